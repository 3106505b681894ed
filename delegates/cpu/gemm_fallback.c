/* Portable implementation of the qs8_gemm API (gemm/qs8_gemm.h), built only when the SIMD
 * edgeq_gemm library (delegates/cpu/gemm/) is not linked (EDGEQ_CPU_PORTABLE_GEMM=ON or
 * no gemm/ folder). Same contract: both requantization roundings, int4 weights kept packed.
 */
#include <stdlib.h>
#include <string.h>

#include "gemm/qs8_gemm.h"
#include "ops/requant.h"

struct qs8_gemm_plan {
  qs8_gemm_desc d;
  void* weights;
  int32_t* bias_minus_zp_sum; /* bias[n] - a_zero_point * sum_k W[n][k] */
  int32_t* multiplier;
  int32_t* shift;
  qs8_rounding rounding;
};

static int32_t weight_at(const qs8_gemm_plan* p, size_t n, size_t k) {
  size_t i = n * (size_t)p->d.k + k;
  if (p->d.weight_bits == 4) return eq_int4_at((const uint8_t*)p->weights, i);
  return ((const int8_t*)p->weights)[i];
}

qs8_gemm_plan* qs8_gemm_plan_create(const qs8_gemm_desc* desc, edgeq_isa isa) {
  return qs8_gemm_plan_create_rounding(desc, isa, QS8_ROUNDING_DOUBLE);
}

qs8_rounding qs8_gemm_plan_rounding(const qs8_gemm_plan* p) { return p->rounding; }

qs8_gemm_plan* qs8_gemm_plan_create_rounding(const qs8_gemm_desc* desc, edgeq_isa isa, qs8_rounding rounding) {
  if (rounding != QS8_ROUNDING_DOUBLE && rounding != QS8_ROUNDING_SINGLE && rounding != QS8_REQUANT_FP32)
    return NULL;
  if (!desc || desc->n <= 0 || desc->k <= 0 || !desc->weights || !desc->multiplier || !desc->shift) return NULL;
  if (desc->weight_bits != 8 && desc->weight_bits != 4) return NULL;
  if (isa != EDGEQ_ISA_AUTO && isa != EDGEQ_ISA_SCALAR) return NULL;
  qs8_gemm_plan* p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->d = *desc;
  p->rounding = rounding;
  size_t count = (size_t)desc->n * (size_t)desc->k;
  size_t wbytes = desc->weight_bits == 4 ? (count + 1) / 2 : count;
  p->weights = malloc(wbytes);
  p->bias_minus_zp_sum = malloc(sizeof(int32_t) * (size_t)desc->n);
  p->multiplier = malloc(sizeof(int32_t) * (size_t)desc->n);
  p->shift = malloc(sizeof(int32_t) * (size_t)desc->n);
  if (!p->weights || !p->bias_minus_zp_sum || !p->multiplier || !p->shift) {
    qs8_gemm_plan_destroy(p);
    return NULL;
  }
  memcpy(p->weights, desc->weights, wbytes);
  memcpy(p->multiplier, desc->multiplier, sizeof(int32_t) * (size_t)desc->n);
  memcpy(p->shift, desc->shift, sizeof(int32_t) * (size_t)desc->n);
  p->d.weights = p->weights;
  p->d.multiplier = p->multiplier;
  p->d.shift = p->shift;
  p->d.bias = NULL;
  for (int32_t n = 0; n < desc->n; ++n) {
    int32_t sum = 0;
    for (int32_t k = 0; k < desc->k; ++k) sum += weight_at(p, (size_t)n, (size_t)k);
    /* (a - zp) * w summed == a*w summed - zp*sum(w); exact in wrapping int32 arithmetic */
    uint32_t b = desc->bias ? (uint32_t)desc->bias[n] : 0u;
    p->bias_minus_zp_sum[n] = (int32_t)(b - (uint32_t)desc->a_zero_point * (uint32_t)sum);
  }
  return p;
}

void qs8_gemm_plan_destroy(qs8_gemm_plan* p) {
  if (!p) return;
  free(p->weights);
  free(p->bias_minus_zp_sum);
  free(p->multiplier);
  free(p->shift);
  free(p);
}

edgeq_isa qs8_gemm_plan_isa(const qs8_gemm_plan* p) { (void)p; return EDGEQ_ISA_SCALAR; }

size_t qs8_gemm_plan_weight_bytes(const qs8_gemm_plan* p) {
  size_t count = (size_t)p->d.n * (size_t)p->d.k;
  return p->d.weight_bits == 4 ? (count + 1) / 2 : count;
}

size_t qs8_gemm_plan_nr(const qs8_gemm_plan* p) { (void)p; return 1; }

void qs8_gemm_run(const qs8_gemm_plan* p, size_t m, const int8_t* a, size_t lda, int8_t* c, size_t ldc,
                  size_t n_begin, size_t n_end) {
  const size_t k_len = (size_t)p->d.k;
  for (size_t row = 0; row < m; ++row) {
    const int8_t* ar = a + row * lda;
    for (size_t n = n_begin; n < n_end; ++n) {
      uint32_t acc = (uint32_t)p->bias_minus_zp_sum[n];
      if (p->d.weight_bits == 8) {
        const int8_t* w = (const int8_t*)p->weights + n * k_len;
        int32_t s = 0;
        for (size_t k = 0; k < k_len; ++k) s += (int32_t)ar[k] * (int32_t)w[k];
        acc += (uint32_t)s;
      } else {
        int32_t s = 0;
        for (size_t k = 0; k < k_len; ++k) s += (int32_t)ar[k] * weight_at(p, n, k);
        acc += (uint32_t)s;
      }
      if (p->rounding == QS8_REQUANT_FP32) {
        c[row * ldc + n] = (int8_t)eq_requant_fp32((int32_t)acc, eq_multiplier_to_float(p->multiplier[n], p->shift[n]),
                                                   p->d.c_zero_point, p->d.c_min, p->d.c_max);
        continue;
      }
      const int32_t r = p->rounding == QS8_ROUNDING_SINGLE ? eq_mbqm_single((int32_t)acc, p->multiplier[n], p->shift[n])
                                                          : eq_mbqm((int32_t)acc, p->multiplier[n], p->shift[n]);
      const int32_t v = r + p->d.c_zero_point;
      c[row * ldc + n] = (int8_t)eq_clamp(v, p->d.c_min, p->d.c_max);
    }
  }
}

edgeq_isa edgeq_detect_isa(void) { return EDGEQ_ISA_SCALAR; }

const char* edgeq_isa_name(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_AUTO: return "auto";
    case EDGEQ_ISA_SCALAR: return "scalar";
    case EDGEQ_ISA_AVX2: return "avx2";
    case EDGEQ_ISA_AVX512VNNI: return "avx512vnni";
    case EDGEQ_ISA_NEON: return "neon";
    case EDGEQ_ISA_NEON_DOT: return "neon-dot";
    case EDGEQ_ISA_NEON_I8MM: return "neon-i8mm";
  }
  return "unknown";
}
