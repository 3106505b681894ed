/* Static-schedule thread pool: in parallel_for(n), thread j (the caller is thread 0) runs
 * tasks j, j+T, j+2T, ... That fixed assignment lets ops keep one scratch buffer per
 * thread slot (task % T) without locking. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

struct eq_pool {
  int threads;
  pthread_t* workers;
  pthread_mutex_t mu;
  pthread_cond_t start_cv, done_cv;
  unsigned long generation;
  int pending;
  int stop;
  int started; /* worker threads to join */
  void (*fn)(void*, size_t);
  void* arg;
  size_t n;
};

typedef struct {
  eq_pool* pool;
  int slot;
} worker_arg;

static void* worker_main(void* p) {
  worker_arg* wa = p;
  eq_pool* pool = wa->pool;
  const int slot = wa->slot;
  free(wa);
  unsigned long seen = 0;
  for (;;) {
    pthread_mutex_lock(&pool->mu);
    while (pool->generation == seen && !pool->stop) pthread_cond_wait(&pool->start_cv, &pool->mu);
    if (pool->stop) {
      pthread_mutex_unlock(&pool->mu);
      return NULL;
    }
    seen = pool->generation;
    void (*fn)(void*, size_t) = pool->fn;
    void* arg = pool->arg;
    size_t n = pool->n;
    pthread_mutex_unlock(&pool->mu);
    for (size_t i = (size_t)slot; i < n; i += (size_t)pool->threads) fn(arg, i);
    pthread_mutex_lock(&pool->mu);
    if (--pool->pending == 0) pthread_cond_signal(&pool->done_cv);
    pthread_mutex_unlock(&pool->mu);
  }
}

eq_pool* eq_pool_create(int threads) {
  eq_pool* pool = calloc(1, sizeof(*pool));
  if (!pool) return NULL;
  pool->threads = threads < 1 ? 1 : threads;
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->start_cv, NULL);
  pthread_cond_init(&pool->done_cv, NULL);
  if (pool->threads > 1) {
    pool->workers = calloc((size_t)pool->threads - 1, sizeof(pthread_t));
    if (!pool->workers) {
      eq_pool_destroy(pool);
      return NULL;
    }
    for (int i = 1; i < pool->threads; ++i) {
      worker_arg* wa = malloc(sizeof(*wa));
      if (wa) {
        wa->pool = pool;
        wa->slot = i;
      }
      if (!wa || pthread_create(&pool->workers[i - 1], NULL, worker_main, wa) != 0) {
        free(wa);
        pool->started = i - 1;
        eq_pool_destroy(pool);
        return NULL;
      }
    }
    pool->started = pool->threads - 1;
  }
  return pool;
}

void eq_pool_destroy(eq_pool* pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->mu);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->start_cv);
  pthread_mutex_unlock(&pool->mu);
  for (int i = 0; i < pool->started; ++i) pthread_join(pool->workers[i], NULL);
  free(pool->workers);
  pthread_cond_destroy(&pool->start_cv);
  pthread_cond_destroy(&pool->done_cv);
  pthread_mutex_destroy(&pool->mu);
  free(pool);
}

int eq_pool_threads(const eq_pool* pool) { return pool ? pool->threads : 1; }

void eq_pool_parallel_for(eq_pool* pool, size_t n, void (*fn)(void* arg, size_t i), void* arg) {
  if (!pool || pool->threads == 1 || n <= 1) {
    for (size_t i = 0; i < n; ++i) fn(arg, i);
    return;
  }
  pthread_mutex_lock(&pool->mu);
  pool->fn = fn;
  pool->arg = arg;
  pool->n = n;
  pool->pending = pool->threads - 1;
  pool->generation++;
  pthread_cond_broadcast(&pool->start_cv);
  pthread_mutex_unlock(&pool->mu);
  for (size_t i = 0; i < n; i += (size_t)pool->threads) fn(arg, i);
  pthread_mutex_lock(&pool->mu);
  while (pool->pending > 0) pthread_cond_wait(&pool->done_cv, &pool->mu);
  pthread_mutex_unlock(&pool->mu);
}
