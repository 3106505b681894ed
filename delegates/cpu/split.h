/* How an op's work is cut into pool tasks: a 2-D grid of near-equal tiles over an [M x N] output
 * (GEMM rows x output channels; depthwise output rows x pixels of a row), chosen once when the
 * node is built. Tiles are whole multiples of a row quantum and a column quantum (the GEMM's
 * register tile), except the last ones; the grid minimises the estimated time of the slowest
 * thread under dynamic scheduling (rounds of T tasks, each costing its multiply-adds plus the
 * per-task packing and a fixed overhead), with no task below a minimum of work. Planned on the
 * H200 host's 16-core Xeon and this repository's 2-core VM (benchmarks/bench_cpu_threads.py). */
#ifndef EDGEQ_CPU_SPLIT_H
#define EDGEQ_CPU_SPLIT_H

#include <stddef.h>

typedef struct {
  size_t m, n;           /* output rows and columns */
  size_t mq, nq;         /* row and column quantum */
  size_t m_tasks, n_tasks;
} eq_tiles;

typedef struct {
  size_t m, n, k;   /* output rows, columns, and multiply-adds per output element */
  size_t mq, nq;    /* quanta (0 taken as 1) */
  size_t max_rows;  /* rows a task may hold (per-thread scratch), 0: no limit */
  double row_cost;  /* work per row per task besides the multiply-adds (packing, im2col, a kernel
                     * call per row), in multiply-add units */
  int threads;
  double min_task;  /* least work per task (0: 2^16 multiply-adds, a GEMM's; slower kernels less) */
} eq_tiles_desc;

/* Column quantum of a GEMM's output split: whole register tiles of nr channels covering at least a
 * 64-byte cache line of each int8 output row, so two tasks seldom write one line (16-channel column
 * tiles of a 64-channel conv had four threads writing every line). */
static inline size_t eq_gemm_column_quantum(size_t nr) {
  if (nr == 0) nr = 1;
  return (64 + nr - 1) / nr * nr;
}

/* Plans the grid; with one thread (or too little work to share) it is the fewest tasks that
 * respect max_rows. */
void eq_tiles_plan(eq_tiles* t, const eq_tiles_desc* d);

static inline size_t eq_tiles_count(const eq_tiles* t) { return t->m_tasks * t->n_tasks; }

/* Task i's rows [m0, m1) and columns [n0, n1); tasks of one row band are consecutive. */
static inline void eq_tile(const eq_tiles* t, size_t i, size_t* m0, size_t* m1, size_t* n0, size_t* n1) {
  const size_t mi = i / t->n_tasks, ni = i % t->n_tasks;
  const size_t mb = (t->m + t->mq - 1) / t->mq, nb = (t->n + t->nq - 1) / t->nq;
  const size_t r0 = mb * mi / t->m_tasks * t->mq, r1 = mb * (mi + 1) / t->m_tasks * t->mq;
  const size_t c0 = nb * ni / t->n_tasks * t->nq, c1 = nb * (ni + 1) / t->n_tasks * t->nq;
  *m0 = r0 < t->m ? r0 : t->m;
  *m1 = r1 < t->m ? r1 : t->m;
  *n0 = c0 < t->n ? c0 : t->n;
  *n1 = c1 < t->n ? c1 : t->n;
}

/* Near-equal chunks of a 1-D range in multiples of q: chunk i of `chunks`, [*b, *e). */
static inline void eq_chunk(size_t total, size_t q, size_t chunks, size_t i, size_t* b, size_t* e) {
  const size_t blocks = (total + q - 1) / q;
  const size_t b0 = blocks * i / chunks * q, b1 = blocks * (i + 1) / chunks * q;
  *b = b0 < total ? b0 : total;
  *e = b1 < total ? b1 : total;
}

/* Chunks for an elementwise op over n elements: 1 when it is too small to share, else a few
 * per thread of at least `min_elems` each. */
size_t eq_elementwise_chunks(size_t n, size_t min_elems, int threads);

#endif /* EDGEQ_CPU_SPLIT_H */
