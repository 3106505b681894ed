/* MEAN, int8, over any constant set of axes: integer sums, then one requantization with the
 * 1/count factor folded into the multiplier (reference QuantizedMeanOrSum), on the qs8-mean
 * family: a contiguous block of reduced axes (global average pooling) as a row reduction
 * (qs8_mean_rd, by channel ranges on the family's best variant; wide ones cut across threads in
 * ranges of 64 channels, narrow ones -- squeeze-excite's 112x112x32 -- in ranges of rows, each
 * summed apart and added up by the caller), anything else through the general walk (qs8_mean). */
#include <stdlib.h>

#include "cpu_op.h"
#include "parallel.h"
#include "split.h"
#include "qs8-mean/qs8-mean.h"

typedef struct {
  qs8_mean_params p;
  size_t outer, reduce, inner; /* reduce > 0: one contiguous block of reduced axes */
  qs8_mean_rd_channels_fn rd;
  int32_t* sums;     /* out_count, and at least one row of `inner` per thread slot, 64-byte apart */
  size_t slot_stride; /* int32 between the slots' rows */
  int32_t* parts;     /* row split: one row of sums per task (max_parts), slot_stride apart */
  size_t max_parts;
} mean_state;

/* row-split tasks per thread at most (eq_elementwise_chunks' 4) */
#define ROW_PARTS_PER_THREAD 4
/* Least input per task. A MEAN is one pass at ~20 elements/ns on the H200 host's Xeon, so a task of
 * EQ_EW_MIN_ELEMS is shorter than the pool's hand-over: threaded MEANs were slower than at 1 thread
 * there (EfficientNetB0's 17 MEANs 0.12 ms at 1 thread, 0.19 at 4; cpu_threads_h200_xeon16_s4.json). */
#define MEAN_MIN_TASK (4 * EQ_EW_MIN_ELEMS)
/* Widest row split: the caller adds up every part's row of sums, lines the other cores wrote (MobileNetV2's
 * 7x7x1280 pool cut into 7 row parts took 0.021 ms at 8 threads, 0.005 as channel ranges at 4). */
#define ROW_SPLIT_MAX_INNER 256

static void mean_destroy(void* s_) {
  mean_state* s = s_;
  if (s) free(s->sums), free(s->parts);
  free(s);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  mean_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_mean_params mp; /* common/ops/mean.c */
  eq_mean_prepare(ctx, node, &mp);
  const size_t in_count = eq_numel(eq_in(ctx, node, 0));
  qs8_mean_params* p = &s->p;
  p->rank = mp.rank;
  int32_t stride = 1;
  for (int i = mp.rank - 1; i >= 0; --i) {
    p->dims[i] = mp.dims[i];
    p->out_stride[i] = mp.reduced[i] ? 0 : stride;
    if (!mp.reduced[i]) stride *= mp.dims[i];
  }
  if (in_count > INT32_MAX || mp.count > INT32_MAX) {
    free(s);
    return NULL;
  }
  p->in_count = (int32_t)in_count;
  p->out_count = stride;
  p->count = (int32_t)mp.count;
  p->in_zp = mp.in_zp;
  p->out_zp = mp.out_zp;
  p->mult = mp.mult;
  p->shift = mp.shift;
  /* reduced axes (ignoring size-1 ones) forming one block [first, last] */
  int first = -1, last = -1, block = 1;
  for (int i = 0; i < mp.rank; ++i) {
    if (!mp.reduced[i] || mp.dims[i] == 1) continue;
    if (first < 0) first = i;
    else if (last != i - 1) {
      for (int j = last + 1; j < i; ++j) block &= mp.dims[j] == 1;
    }
    last = i;
  }
  if (block) {
    s->outer = s->reduce = s->inner = 1;
    for (int i = 0; i < mp.rank; ++i) {
      if (first >= 0 && i >= first && i <= last) s->reduce *= (size_t)mp.dims[i];
      else if (first < 0 || i < first) s->outer *= (size_t)mp.dims[i];
      else s->inner *= (size_t)mp.dims[i];
    }
  }
  s->rd = qs8_mean_rd_channels_best();
  /* per-slot rows of sums: threads writing sums next to each other shared cache lines */
  s->slot_stride = (s->inner + 15) / 16 * 16;
  size_t count = (size_t)(p->out_count > 0 ? p->out_count : 1);
  const size_t slots = (size_t)(threads > 1 ? threads : 1) * s->slot_stride;
  if (slots > count) count = slots;
  s->sums = aligned_alloc(64, (count * sizeof(int32_t) + 63) / 64 * 64);
  if (!s->sums) {
    mean_destroy(s);
    return NULL;
  }
  if (threads > 1 && s->reduce && s->outer == 1) {
    s->max_parts = (size_t)threads * ROW_PARTS_PER_THREAD;
    s->parts = aligned_alloc(64, s->max_parts * s->slot_stride * sizeof(int32_t));
    if (!s->parts) {
      mean_destroy(s);
      return NULL;
    }
  }
  return s;
}

typedef struct {
  mean_state* s;
  const int8_t* in;
  int8_t* out;
  size_t chunks;
} mean_job;

/* channel range t, in multiples of 64 (a cache line of each input row per task), summed in the
 * thread slot's own row of sums */
static void mean_channels(void* arg, size_t t) {
  const mean_job* j = arg;
  const mean_state* s = j->s;
  size_t c0, c1;
  eq_chunk(s->inner, 64, j->chunks, t, &c0, &c1);
  if (c0 < c1)
    s->rd(&s->p, s->outer, s->reduce, s->inner, c0, c1, j->in, j->out, s->sums + (size_t)eq_pool_slot() * s->slot_stride);
}

/* rows range t of the single [reduce][inner] block into task t's own row of sums */
static void mean_rows(void* arg, size_t t) {
  const mean_job* j = arg;
  const mean_state* s = j->s;
  size_t r0, r1;
  eq_chunk(s->reduce, 1, j->chunks, t, &r0, &r1);
  int32_t* sums = s->parts + t * s->slot_stride;
  for (size_t c = 0; c < s->inner; ++c) sums[c] = 0;
  qs8_mean_rd_add_rows(r0, r1, s->inner, j->in, sums);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  mean_state* s = s_;
  if (!s->reduce) {
    qs8_mean(&s->p, in[0], out[0], s->sums);
    return kTfLiteOk;
  }
  const size_t want = eq_elementwise_chunks(s->outer * s->reduce * s->inner, MEAN_MIN_TASK, eq_pool_threads(pool));
  size_t chunks = want < s->inner / 64 ? want : s->inner / 64;
  if (s->parts && s->inner > 1 && s->inner <= ROW_SPLIT_MAX_INNER && chunks < (size_t)eq_pool_threads(pool) && want > 1) {
    /* too few 64-channel ranges to keep the threads busy: cut the rows */
    size_t parts = want < s->max_parts ? want : s->max_parts;
    if (parts > s->reduce) parts = s->reduce;
    mean_job j = {s, in[0], out[0], parts};
    eq_pool_parallel_for(pool, parts, mean_rows, &j);
    for (size_t t = 1; t < parts; ++t) {
      const int32_t* part = s->parts + t * s->slot_stride;
      for (size_t c = 0; c < s->inner; ++c) s->parts[c] = (int32_t)((uint32_t)s->parts[c] + (uint32_t)part[c]);
    }
    qs8_mean_rd_requant(&s->p, s->inner, s->parts, out[0]);
    return kTfLiteOk;
  }
  if (chunks <= 1) {
    if (s->inner == 1)
      qs8_mean_rd(&s->p, s->outer, s->reduce, 1, in[0], out[0], s->sums);
    else
      s->rd(&s->p, s->outer, s->reduce, s->inner, 0, s->inner, in[0], out[0], s->sums);
    return kTfLiteOk;
  }
  mean_job j = {s, in[0], out[0], chunks};
  eq_pool_parallel_for(pool, chunks, mean_channels, &j);
  return kTfLiteOk;
}

const eq_op_kind eq_op_mean = {{"MEAN", kTfLiteBuiltinMean, eq_check_mean}, create, eval, mean_destroy, NULL};
