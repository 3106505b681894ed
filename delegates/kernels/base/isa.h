/* The instruction sets the kernels have variants for, the one probe of what this CPU (and OS)
 * can run, and the one override: env EDGEQ_ISA=NAME caps every kernel family at NAME (scalar,
 * avx2, avx512, avx512vnni, avx512vbmi, amx, neon, neondot, i8mm), so tests and A/B runs can take each variant
 * through the whole delegate. Each family lists its variants best first and runs the first one
 * that is compiled in and edgeq_isa_enabled(). */
#ifndef EDGEQ_KERNELS_ISA_H
#define EDGEQ_KERNELS_ISA_H

#ifdef __cplusplus
extern "C" {
#endif

/* Within one architecture, each ISA includes the ones listed before it (AMX all but VBMI, which the AMX
 * CPUs have too: a cap at amx enables both). */
typedef enum {
  EDGEQ_ISA_AUTO = 0,      /* best enabled variant */
  EDGEQ_ISA_SCALAR,        /* portable C reference */
  EDGEQ_ISA_AVX2,
  EDGEQ_ISA_AVX512,        /* AVX-512 F + BW + VL */
  EDGEQ_ISA_AVX512VNNI,    /* ... + VNNI */
  EDGEQ_ISA_AVX512VBMI,    /* ... + VBMI (byte permutes: 256-entry tables in registers) */
  EDGEQ_ISA_AMX,           /* AVX512VNNI + AMX-TILE / AMX-INT8, tile data state granted by the OS */
  EDGEQ_ISA_NEON,          /* aarch64 baseline */
  EDGEQ_ISA_NEON_DOT,      /* aarch64 SDOT (FEAT_DotProd) */
  EDGEQ_ISA_NEON_I8MM,     /* aarch64 SMMLA (FEAT_I8MM) */
} edgeq_isa;

/* Whether this CPU and OS run code for isa (scalar: always); ignores EDGEQ_ISA. */
int edgeq_isa_supported(edgeq_isa isa);
/* Supported, and not above the EDGEQ_ISA cap (read on every call: plans are created rarely). */
int edgeq_isa_enabled(edgeq_isa isa);
const char* edgeq_isa_name(edgeq_isa isa);
/* EDGEQ_ISA_AUTO for NULL or an unknown name. */
edgeq_isa edgeq_isa_from_name(const char* name);
/* Whether this CPU's vector gathers are slow next to arithmetic: AMD's (Zen 5 here: a 16-lane
 * vpgatherdd costs more than a 16-lane double-rounding MUL or ADD in AVX-512). Env EDGEQ_SLOW_GATHERS=0|1
 * overrides (tests, A/B on other hosts); read on every call. */
int edgeq_slow_gathers(void);

#ifdef __cplusplus
}
#endif
#endif /* EDGEQ_KERNELS_ISA_H */
