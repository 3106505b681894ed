/* Stress test of the CPU delegate's thread pool (delegates/cpu/threadpool.c): every task of every
 * job runs exactly once, parallel_for returns only after all of them finished, and no two tasks
 * running at once share a slot. Jobs come back to back (workers polling) and after pauses (workers
 * asleep on the futex). Then jobs where one task of slot 1's slice does not end until every other
 * task has: the rest of that slice must be taken by other threads (stealing), not wait behind it.
 * Prints "threads=T jobs=J tasks=N errors=E"; exit status 1 on any error. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "threadpool.h"

enum { MAX_TASKS = 512, MAX_SLOTS = 64 };

typedef struct {
  _Atomic int runs[MAX_TASKS];
  _Atomic int busy[MAX_SLOTS];
  _Atomic long errors;
  int threads;
} job_state;

static void task(void* arg, size_t i) {
  job_state* s = arg;
  const int slot = eq_pool_slot();
  if (slot < 0 || slot >= s->threads || atomic_exchange(&s->busy[slot], 1) != 0) atomic_fetch_add(&s->errors, 1);
  volatile unsigned x = 0; /* a little work, uneven across tasks */
  for (unsigned k = 0; k < (unsigned)(i % 7) * 200u; ++k) x += k;
  atomic_fetch_add(&s->runs[i], 1);
  if (slot >= 0 && slot < s->threads) atomic_store(&s->busy[slot], 0);
}

typedef struct {
  _Atomic int done;
  size_t n, held;
  _Atomic long errors;
} hold_state;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The held task waits (up to 2 s) until all n - 1 others finished. */
static void hold_task(void* arg, size_t i) {
  hold_state* s = arg;
  if (i == s->held) {
    const uint64_t t_end = now_ms() + 2000;
    while (atomic_load(&s->done) != (int)s->n - 1)
      if (now_ms() > t_end) {
        atomic_fetch_add(&s->errors, 1);
        break;
      }
  }
  atomic_fetch_add(&s->done, 1);
}

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? atoi(argv[1]) : 4000;
  long total_errors = 0;
  static const int thread_counts[] = {2, 3, 4, 8};
  unsigned seed = 12345;
  for (size_t ti = 0; ti < sizeof(thread_counts) / sizeof(thread_counts[0]); ++ti) {
    const int threads = thread_counts[ti];
    eq_pool* pool = eq_pool_create(threads);
    if (!pool) return 2;
    job_state* s = calloc(1, sizeof(*s));
    s->threads = threads;
    long tasks = 0;
    for (int j = 0; j < jobs; ++j) {
      seed = seed * 1103515245u + 12345u;
      const size_t n = 2 + (seed >> 8) % (MAX_TASKS - 1);
      for (size_t i = 0; i < n; ++i) atomic_store(&s->runs[i], 0);
      eq_pool_parallel_for(pool, n, task, s);
      for (size_t i = 0; i < n; ++i)
        if (atomic_load(&s->runs[i]) != 1) atomic_fetch_add(&s->errors, 1);
      tasks += (long)n;
      if (j % 100 == 99) { /* let the workers fall asleep */
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
      }
    }
    for (int j = 0; j < 50; ++j) {
      hold_state h = {0};
      h.n = 3 * (size_t)threads + (size_t)j % 3;
      h.held = h.n / (size_t)threads; /* first of slot 1's slice (or near it) */
      eq_pool_parallel_for(pool, h.n, hold_task, &h);
      if (atomic_load(&h.done) != (int)h.n) atomic_fetch_add(&s->errors, 1);
      atomic_fetch_add(&s->errors, atomic_load(&h.errors));
      tasks += (long)h.n;
    }
    eq_pool_destroy(pool);
    printf("threads=%d jobs=%d tasks=%ld errors=%ld\n", threads, jobs, tasks, atomic_load(&s->errors));
    total_errors += atomic_load(&s->errors);
    free(s);
  }
  return total_errors ? 1 : 0;
}
