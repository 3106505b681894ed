/* Thread pool with sticky ranges and stealing: in parallel_for(n) each thread (caller slot 0,
 * workers 1..T-1) owns a fixed slice of the task indices -- the same slice for the same n on every
 * call -- runs it from the front, then takes tasks from the back of the other slices. A thread
 * therefore sees the same weights and the same activation rows on every invoke (a 2048-wide int4
 * FC's columns stay in that core's L2: XNNPACK's pthreadpool does the same), and when a worker
 * wakes late or not at all on a loaded machine the others run its slice instead of waiting for it.
 * The caller returns once all n tasks are *finished*, never waiting for idle workers to check in.
 *
 * Each slice is one 64-bit word, (generation tag << 40 | begin << 20 | end), on its own cache line;
 * owner and thieves claim with a compare-and-swap on it, and only while it carries the tag of the
 * job they read. Workers pick a job up without a lock: a new job is written only after every task
 * of the last one was claimed (all slices empty), behind a release fence, then the slices are
 * filled and the generation published. A worker reads the job after seeing the generation; if the
 * job was rewritten meanwhile, the fence pairing shows it the emptied slices of its own job or
 * slices with a later tag, and its claims fail. (With a mutex around the pick-up,
 * all workers queued on it at every op: on 16 cores the last one joined tens of microseconds
 * late, longer than many ops.) Sleeping and waking go through one futex word per direction
 * (Linux; a mutex and condition variables elsewhere): one call wakes every sleeper at once.
 *
 * Consecutive ops of one invoke are microseconds apart, so idle workers (and the caller waiting
 * for the last tasks) poll for up to the spin time (EDGEQ_CPU_POOL_SPIN_US; by default 50 us on a
 * machine of 8 or more CPUs that has one for each thread, else 10 us)
 * before sleeping. The poll never yields: on an oversubscribed machine a poller that keeps the
 * core (or gives it away with sched_yield) delays the threads that have work, and a sleeper
 * that is woken gets the core back sooner than a yielder (EfficientNet-B0 224 at 2 threads on
 * a loaded 2-core VM: 100 us of yielding polls 3.2x XNNPACK, 10 us of pauses 1.4x). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall() */
#endif
#include "threadpool.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* EQ_POOL_NO_FUTEX: the portable wait (tests build both) */
#if defined(__linux__) && !defined(EQ_POOL_NO_FUTEX)
#define EQ_POOL_FUTEX 1
#include <linux/futex.h>
#include <sys/syscall.h>
#else
#define EQ_POOL_FUTEX 0
#endif

/* Default polls. Small machines are often oversubscribed: on the loaded 2-core VM at 2 threads
 * 50 us polls were 1.3x slower than 10 us (benchmarks/results/cpu_pool_spin_sweep_x86_t2.txt).
 * With idle cores beside the pool the next op comes sooner than a sleeper wakes: on the H200 host's
 * 16-core Xeon 50 us took 0.87-0.96x the time of 10 us at 8 and 16 threads, about the same at 4
 * (cpu_threads_h200_xeon16.json). */
#define EQ_POOL_SPIN_SMALL_NS 10000
#define EQ_POOL_SPIN_LARGE_NS 50000
#define EQ_POOL_LARGE_CPUS 8

typedef void (*task_fn)(void*, size_t);

/* slice word: tag (24 bits: a stale claim needs a worker stalled for 2^24 jobs) | begin | end */
#define SLICE_BITS 20
#define SLICE_MASK ((UINT64_C(1) << SLICE_BITS) - 1)
#define SLICE_TAG_SHIFT (2 * SLICE_BITS)
#define SLICE_TAG_MASK ((UINT64_C(1) << (64 - SLICE_TAG_SHIFT)) - 1)
#define MAX_POOL_TASKS ((size_t)SLICE_MASK) /* more tasks run on the caller alone */

typedef struct {
  _Alignas(64) _Atomic uint64_t word;
} slice;

struct eq_pool {
  /* the caller's side: the job, written while no task of it can be claimed */
  _Alignas(64) _Atomic(task_fn) fn;
  _Atomic(void*) arg;
  uint32_t generation; /* caller only */
  int threads;
  int started; /* worker threads to join */
  uint64_t spin_ns;
  pthread_t* workers;
  slice* slices; /* one per thread */
  _Alignas(64) _Atomic uint32_t remaining; /* tasks of the current job not finished (futex word) */
  _Atomic uint32_t caller_waiting;
  _Alignas(64) _Atomic uint32_t published; /* generation of the current job (futex word) */
  _Atomic uint32_t sleepers;
  _Atomic int stop;
#if !EQ_POOL_FUTEX
  pthread_mutex_t mu;
  pthread_cond_t cv;
#endif
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Blocks while *word == value (returns at once if it differs; spurious returns are fine). */
static void wait_word(eq_pool* pool, _Atomic uint32_t* word, uint32_t value) {
#if EQ_POOL_FUTEX
  (void)pool;
  syscall(SYS_futex, (uint32_t*)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
  pthread_mutex_lock(&pool->mu);
  while (atomic_load(word) == value) pthread_cond_wait(&pool->cv, &pool->mu);
  pthread_mutex_unlock(&pool->mu);
#endif
}

/* Wakes up to `count` threads blocked in wait_word on word (after the caller changed it). */
static void wake_word(eq_pool* pool, _Atomic uint32_t* word, int count) {
#if EQ_POOL_FUTEX
  (void)pool;
  syscall(SYS_futex, (uint32_t*)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
#else
  (void)word, (void)count;
  pthread_mutex_lock(&pool->mu);
  pthread_cond_broadcast(&pool->cv);
  pthread_mutex_unlock(&pool->mu);
#endif
}

/* Polls (pauses only: sched_yield here starved the pool on a loaded machine, see above) until
 * *word != value or the spin time passes; returns the last value read. */
static uint32_t spin_while(const eq_pool* pool, _Atomic uint32_t* word, uint32_t value) {
  const uint64_t t_end = now_ns() + pool->spin_ns;
  for (unsigned k = 1;; ++k) {
    const uint32_t v = atomic_load_explicit(word, memory_order_acquire);
    if (v != value) return v;
    cpu_relax();
    if ((k & 15) == 0 && now_ns() > t_end) return v;
  }
}

/* Polls until *word == 0 or the spin time passes; returns the last value read. */
static uint32_t spin_until_zero(const eq_pool* pool, _Atomic uint32_t* word) {
  const uint64_t t_end = now_ns() + pool->spin_ns;
  for (unsigned k = 1;; ++k) {
    const uint32_t v = atomic_load_explicit(word, memory_order_acquire);
    if (v == 0) return v;
    cpu_relax();
    if ((k & 15) == 0 && now_ns() > t_end) return v;
  }
}

static _Thread_local int tl_slot;

int eq_pool_slot(void) { return tl_slot; }

typedef struct {
  eq_pool* pool;
  int slot;
} worker_arg;

/* Claims task *i from the front of a slice (its owner) or from the back (a thief) while the
 * slice carries `tag`; 0 when it is empty or belongs to another job. */
static int claim(slice* sl, uint64_t tag, int back, size_t* i) {
  uint64_t v = atomic_load_explicit(&sl->word, memory_order_acquire);
  for (;;) {
    const size_t b = (size_t)(v >> SLICE_BITS & SLICE_MASK), e = (size_t)(v & SLICE_MASK);
    if ((v >> SLICE_TAG_SHIFT) != tag || b >= e) return 0;
    const uint64_t next = back ? v - 1 : v + (UINT64_C(1) << SLICE_BITS);
    if (atomic_compare_exchange_weak_explicit(&sl->word, &v, next, memory_order_acq_rel, memory_order_acquire)) {
      *i = back ? e - 1 : b;
      return 1;
    }
  }
}

static void run_task(eq_pool* pool, task_fn fn, void* arg, size_t i) {
  fn(arg, i);
  if (atomic_fetch_sub(&pool->remaining, 1) == 1 && atomic_load(&pool->caller_waiting))
    wake_word(pool, &pool->remaining, INT_MAX);
}

/* Runs the tasks of job `gen` left in this thread's slice, then steals from the back of the others
 * (slices are filled once per job, so one pass finds every task left). */
static void run_tasks(eq_pool* pool, int slot, uint32_t gen, task_fn fn, void* arg) {
  const uint64_t tag = gen & SLICE_TAG_MASK;
  size_t i;
  while (claim(&pool->slices[slot], tag, 0, &i)) run_task(pool, fn, arg, i);
  for (int k = 1; k < pool->threads; ++k) {
    slice* victim = &pool->slices[(slot + k) % pool->threads];
    while (claim(victim, tag, 1, &i)) run_task(pool, fn, arg, i);
  }
}

static void* worker_main(void* p) {
  worker_arg* wa = p;
  eq_pool* pool = wa->pool;
  const int slot = wa->slot;
  tl_slot = slot;
  free(wa);
  uint32_t seen = 0;
  for (;;) {
    uint32_t g = spin_while(pool, &pool->published, seen);
    while (g == seen) {
      /* announce the sleep before the last look: the caller reads `sleepers` after publishing */
      atomic_fetch_add(&pool->sleepers, 1);
      if (atomic_load(&pool->published) == seen) wait_word(pool, &pool->published, seen);
      atomic_fetch_sub(&pool->sleepers, 1);
      g = atomic_load_explicit(&pool->published, memory_order_acquire);
    }
    if (atomic_load(&pool->stop)) return NULL;
    seen = g;
    const task_fn fn = atomic_load_explicit(&pool->fn, memory_order_relaxed);
    void* arg = atomic_load_explicit(&pool->arg, memory_order_relaxed);
    /* pairs with the caller's release fence: if either came from a later job, every slice read
     * after this fence is empty (job g all claimed) or tagged with that later job */
    atomic_thread_fence(memory_order_acquire);
    run_tasks(pool, slot, g, fn, arg);
  }
}

static uint64_t spin_ns_for(int threads) {
  const char* s = getenv("EDGEQ_CPU_POOL_SPIN_US");
  if (s && *s) {
    char* end = NULL;
    const long us = strtol(s, &end, 10);
    if (end && *end == '\0' && us >= 0 && us <= 100000) return (uint64_t)us * 1000u;
  }
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus >= EQ_POOL_LARGE_CPUS && threads <= cpus ? EQ_POOL_SPIN_LARGE_NS : EQ_POOL_SPIN_SMALL_NS;
}

eq_pool* eq_pool_create(int threads) {
  const size_t bytes = (sizeof(eq_pool) + 63) / 64 * 64;
  eq_pool* pool = aligned_alloc(64, bytes);
  if (!pool) return NULL;
  memset(pool, 0, bytes);
  pool->threads = threads < 1 ? 1 : threads;
  pool->spin_ns = spin_ns_for(pool->threads);
  atomic_init(&pool->fn, NULL);
  atomic_init(&pool->arg, NULL);
  pool->slices = aligned_alloc(64, (size_t)pool->threads * sizeof(slice));
  if (!pool->slices) {
    free(pool);
    return NULL;
  }
  for (int i = 0; i < pool->threads; ++i) atomic_init(&pool->slices[i].word, 0); /* tag 0: no job */
  atomic_init(&pool->remaining, 0);
  atomic_init(&pool->caller_waiting, 0);
  atomic_init(&pool->published, 0);
  atomic_init(&pool->sleepers, 0);
  atomic_init(&pool->stop, 0);
#if !EQ_POOL_FUTEX
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->cv, NULL);
#endif
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
  atomic_store(&pool->stop, 1);
  atomic_store(&pool->published, pool->generation + 1); /* ends spins and sleeps */
  wake_word(pool, &pool->published, INT_MAX);
  for (int i = 0; i < pool->started; ++i) pthread_join(pool->workers[i], NULL);
  free(pool->workers);
  free(pool->slices);
#if !EQ_POOL_FUTEX
  pthread_cond_destroy(&pool->cv);
  pthread_mutex_destroy(&pool->mu);
#endif
  free(pool);
}

int eq_pool_threads(const eq_pool* pool) { return pool ? pool->threads : 1; }

void eq_pool_parallel_for(eq_pool* pool, size_t n, void (*fn)(void* arg, size_t i), void* arg) {
  tl_slot = 0; /* the calling thread always uses slot 0 */
  if (!pool || pool->threads == 1 || n <= 1 || n > MAX_POOL_TASKS) {
    for (size_t i = 0; i < n; ++i) fn(arg, i);
    return;
  }
  const uint32_t gen = ++pool->generation;
  const uint64_t tag = (uint64_t)(gen & SLICE_TAG_MASK) << SLICE_TAG_SHIFT;
  /* every task of the last job was claimed (and finished): its slices are empty */
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&pool->fn, fn, memory_order_relaxed);
  atomic_store_explicit(&pool->arg, arg, memory_order_relaxed);
  atomic_store_explicit(&pool->remaining, (uint32_t)n, memory_order_relaxed);
  /* slot t owns the same near-equal slice for a given n on every call (the first n % T one more) */
  const size_t T = (size_t)pool->threads, q = n / T, r = n % T;
  for (size_t t = 0; t < T; ++t) {
    const size_t b = t * q + (t < r ? t : r), e = b + q + (t < r);
    atomic_store_explicit(&pool->slices[t].word, tag | (uint64_t)b << SLICE_BITS | (uint64_t)e, memory_order_release);
  }
  atomic_store(&pool->published, gen);
  /* a job of few tasks wakes no more sleepers than it can use; the others keep sleeping and join a
   * later job (they compare the generation, not a count of jobs) */
  if (atomic_load(&pool->sleepers)) wake_word(pool, &pool->published, n - 1 < (size_t)INT_MAX ? (int)(n - 1) : INT_MAX);
  run_tasks(pool, 0, gen, fn, arg);
  uint32_t left = spin_until_zero(pool, &pool->remaining);
  while (left != 0) {
    /* announce the sleep before the last look: the worker finishing the last task reads it */
    atomic_store(&pool->caller_waiting, 1);
    left = atomic_load(&pool->remaining);
    if (left != 0) wait_word(pool, &pool->remaining, left);
    atomic_store(&pool->caller_waiting, 0);
    left = atomic_load_explicit(&pool->remaining, memory_order_acquire);
  }
  atomic_thread_fence(memory_order_acquire); /* the tasks' writes */
}

typedef struct {
  void (*fn)(const void* arg, size_t i0, size_t i1);
  const void* arg;
  size_t n, chunks;
} range_job;

static void range_chunk(void* arg, size_t t) {
  const range_job* j = arg;
  const size_t blocks = (j->n + 63) / 64;
  const size_t i0 = blocks * t / j->chunks * 64, i1 = blocks * (t + 1) / j->chunks * 64;
  const size_t end = i1 < j->n ? i1 : j->n;
  if (i0 < end) j->fn(j->arg, i0, end);
}

void eq_pool_for_ranges(eq_pool* pool, size_t n, size_t min_split, void (*fn)(const void* arg, size_t i0, size_t i1),
                        const void* arg) {
  range_job j = {fn, arg, n, n >= min_split ? 2 * (size_t)eq_pool_threads(pool) : 1};
  eq_pool_parallel_for(j.chunks > 1 ? pool : NULL, j.chunks, range_chunk, &j);
}
