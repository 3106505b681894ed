/* A small fixed pthread pool, created once per delegate kernel (never per invoke), that the
 * ops split their work over. */
#ifndef EDGEQ_CPU_THREADPOOL_H
#define EDGEQ_CPU_THREADPOOL_H

#include <stddef.h>

typedef struct eq_pool eq_pool;

/* threads: total workers including the calling thread; returns NULL on failure. */
eq_pool* eq_pool_create(int threads);
void eq_pool_destroy(eq_pool* pool);

/* Runs fn(arg, i) for i in [0, n) on the pool's threads (caller included); pool may be NULL. */
void eq_pool_parallel_for(eq_pool* pool, size_t n, void (*fn)(void* arg, size_t i), void* arg);
int eq_pool_threads(const eq_pool* pool);
/* Elementwise work: fn(arg, i0, i1) over [0, n) in 2 * threads ranges that start at multiples of 64
 * elements when n >= min_split; below that one call on the caller (no wake-up for small ops). */
void eq_pool_for_ranges(eq_pool* pool, size_t n, size_t min_split, void (*fn)(const void* arg, size_t i0, size_t i1),
                        const void* arg);
/* Slot of the calling thread inside a parallel_for task: 0..threads-1, fixed per thread and
 * never shared by two threads of one pool (per-thread scratch index). */
int eq_pool_slot(void);

#endif /* EDGEQ_CPU_THREADPOOL_H */
