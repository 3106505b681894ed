/* CPU feature probe and the EDGEQ_ISA cap. */
#include "base/isa.h"

#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

/* AMX: cpuid AMX-TILE and AMX-INT8, XCR0 tile config and tile data enabled, and the process granted
 * the tile data state (Linux asks each process to request it: arch_prctl ARCH_REQ_XCOMP_PERM; the
 * grant is process-wide, so threads made before or after may use the tiles). Probed once. */
#if !defined(EDGEQ_AMX_EMULATE)
static int amx_probe(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) return 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; /* OSXSAVE: xgetbv usable */
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & (3u << 17)) != (3u << 17)) return 0;
  return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
}
#endif

static int amx_supported(void) {
#if defined(EDGEQ_AMX_EMULATE)
  return 1; /* test build: the AMX kernels run on emulated tiles (base/amx-emulate.h) */
#else
  static volatile int state = -1; /* idempotent probe: a benign race at worst probes twice */
  if (state < 0) state = amx_probe();
  return state;
#endif
}
#endif

int edgeq_isa_supported(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return 1;
#if defined(__x86_64__) || defined(__i386__)
    /* libgcc's cpu model also checks XCR0 (xgetbv), so OS-disabled AVX state reads as absent */
    case EDGEQ_ISA_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2");
    case EDGEQ_ISA_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl");
    case EDGEQ_ISA_AVX512VNNI:
      return edgeq_isa_supported(EDGEQ_ISA_AVX512) && __builtin_cpu_supports("avx512vnni");
    case EDGEQ_ISA_AVX512VBMI:
      return edgeq_isa_supported(EDGEQ_ISA_AVX512VNNI) && __builtin_cpu_supports("avx512vbmi");
#if defined(__linux__) && defined(__x86_64__)
    case EDGEQ_ISA_AMX: return edgeq_isa_supported(EDGEQ_ISA_AVX512VNNI) && amx_supported();
#endif
#endif
#if defined(__aarch64__)
    case EDGEQ_ISA_NEON: return 1; /* Advanced SIMD is mandatory on AArch64 */
#if defined(__linux__)
    case EDGEQ_ISA_NEON_DOT: return (getauxval(AT_HWCAP) & (1UL << 20)) != 0;   /* HWCAP_ASIMDDP */
    case EDGEQ_ISA_NEON_I8MM: return (getauxval(AT_HWCAP2) & (1UL << 13)) != 0; /* HWCAP2_I8MM */
#endif
#endif
    default: return 0;
  }
}

int edgeq_slow_gathers(void) {
  const char* env = getenv("EDGEQ_SLOW_GATHERS");
  if (env && (env[0] == '0' || env[0] == '1') && env[1] == 0) return env[0] == '1';
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_is("amd");
#else
  return 0;
#endif
}

static int is_x86(edgeq_isa isa) { return isa >= EDGEQ_ISA_AVX2 && isa <= EDGEQ_ISA_AMX; }
static int is_arm(edgeq_isa isa) { return isa >= EDGEQ_ISA_NEON && isa <= EDGEQ_ISA_NEON_I8MM; }

int edgeq_isa_enabled(edgeq_isa isa) {
  if (!edgeq_isa_supported(isa)) return 0;
  const edgeq_isa cap = edgeq_isa_from_name(getenv("EDGEQ_ISA"));
  if (cap == EDGEQ_ISA_AUTO || isa == EDGEQ_ISA_SCALAR) return 1;
  return ((is_x86(isa) && is_x86(cap)) || (is_arm(isa) && is_arm(cap))) && isa <= cap;
}

static const char* const kNames[] = {"auto", "scalar", "avx2", "avx512", "avx512vnni", "avx512vbmi", "amx", "neon", "neondot", "i8mm"};

const char* edgeq_isa_name(edgeq_isa isa) {
  return (unsigned)isa < sizeof(kNames) / sizeof(kNames[0]) ? kNames[isa] : "unknown";
}

edgeq_isa edgeq_isa_from_name(const char* name) {
  for (size_t i = 1; name && i < sizeof(kNames) / sizeof(kNames[0]); ++i)
    if (strcmp(name, kNames[i]) == 0) return (edgeq_isa)i;
  return EDGEQ_ISA_AUTO;
}
