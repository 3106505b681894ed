/* A small fixed pthread pool, created once per delegate kernel (never per invoke). */
#ifndef EDGEQ_CPU_THREADPOOL_H
#define EDGEQ_CPU_THREADPOOL_H

#include "ops/ops.h"

/* threads: total workers including the calling thread; returns NULL on failure. */
eq_pool* eq_pool_create(int threads);
void eq_pool_destroy(eq_pool* pool);

#endif /* EDGEQ_CPU_THREADPOOL_H */
