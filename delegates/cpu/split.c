/* Work split of the CPU ops; see split.h. */
#include "split.h"

/* Below this much GEMM work (multiply-adds) a task is not worth handing to another thread. */
#define MIN_TASK_WORK ((double)(1 << 16))
/* Fixed cost of one task (claiming it, setting up the kernel), in multiply-adds. */
#define TASK_OVERHEAD ((double)(1 << 14))
/* Tail allowance, in tasks: the slowest thread typically ends about half a task after the
 * others (a late wake-up, a descheduled thread), so smaller tasks shorten the tail. */
#define TAIL_TASKS 0.5

static size_t cdiv(size_t a, size_t b) { return (a + b - 1) / b; }

void eq_tiles_plan(eq_tiles* t, const eq_tiles_desc* d) {
  t->m = d->m;
  t->n = d->n;
  t->mq = d->mq ? d->mq : 1;
  t->nq = d->nq ? d->nq : 1;
  const size_t mb = d->m ? cdiv(d->m, t->mq) : 1, nb = d->n ? cdiv(d->n, t->nq) : 1;
  /* the fewest row bands whose largest fits max_rows */
  size_t mt_min = 1;
  if (d->max_rows) {
    mt_min = cdiv(d->m, d->max_rows);
    if (mt_min < 1) mt_min = 1;
    while (mt_min < mb && cdiv(mb, mt_min) * t->mq > d->max_rows) mt_min++;
  }
  t->m_tasks = mt_min;
  t->n_tasks = 1;
  const double work = (double)d->m * (double)d->n * (double)d->k;
  const size_t threads = d->threads > 1 ? (size_t)d->threads : 1;
  const double min_task = d->min_task > 0 ? d->min_task : MIN_TASK_WORK;
  if (threads == 1 || work < 2 * min_task) return;
  const double max_tasks = work / min_task;
  const size_t mt_hi = mb < mt_min + 8 * threads ? mb : mt_min + 8 * threads;
  const size_t nt_hi = nb < 8 * threads ? nb : 8 * threads;
  double best = -1;
  for (size_t mt = mt_min; mt <= mt_hi; ++mt) {
    const double rows = (double)(cdiv(mb, mt) * t->mq < d->m ? cdiv(mb, mt) * t->mq : d->m);
    for (size_t nt = 1; nt <= nt_hi; ++nt) {
      const size_t tasks = mt * nt;
      if ((double)tasks > max_tasks && tasks > mt_min) break;
      const double cols = (double)(cdiv(nb, nt) * t->nq < d->n ? cdiv(nb, nt) * t->nq : d->n);
      const double task = rows * cols * (double)d->k + rows * d->row_cost + TASK_OVERHEAD;
      const double cost = ((double)cdiv(tasks, threads) + TAIL_TASKS) * task;
      if (best < 0 || cost < best) {
        best = cost;
        t->m_tasks = mt;
        t->n_tasks = nt;
      }
    }
  }
}

size_t eq_elementwise_chunks(size_t n, size_t min_elems, int threads) {
  if (threads <= 1 || min_elems == 0 || n < 2 * min_elems) return 1;
  const size_t most = n / min_elems, want = 4 * (size_t)threads;
  return most < want ? most : want;
}
