#ifndef EQ_BASE_FAST_EXACT_H
#define EQ_BASE_FAST_EXACT_H
/* Elementwise kernels with an fp32 fast form that flags the outputs it cannot vouch for (a lane near a rounding tie
 * or boundary). EQ_FAST_EXACT_CHUNK outputs a chunk go through FAST; a flagged chunk is redone by EXACT; once 8
 * chunks were redone and they are more than a quarter of those seen (scales in a simple ratio put many results on
 * ties), the loop stops and the caller's exact loop takes the rest. FAST(k, flag*) and EXACT(k) give the 16 int8
 * outputs at element k as an __m128i; FLAG is the flag's type (a mask or an int, zero when nothing is flagged; FAST
 * may set or OR it). Leaves i at the first element not written. */
enum { EQ_FAST_EXACT_CHUNK = 64 };

#define EQ_FAST_EXACT_CHUNKS(i, n, out, FLAG, FAST, EXACT)                                   \
  do {                                                                                      \
    size_t redone_ = 0, chunks_ = 0;                                                        \
    for (; (i) + EQ_FAST_EXACT_CHUNK <= (n); (i) += EQ_FAST_EXACT_CHUNK) {                  \
      FLAG t0_ = 0, t1_ = 0, t2_ = 0, t3_ = 0;                                              \
      const __m128i r0_ = FAST((i), &t0_), r1_ = FAST((i) + 16, &t1_);                      \
      const __m128i r2_ = FAST((i) + 32, &t2_), r3_ = FAST((i) + 48, &t3_);                 \
      ++chunks_;                                                                            \
      if ((t0_ | t1_ | t2_ | t3_) == 0) {                                                   \
        _mm_storeu_si128((__m128i*)((out) + (i)), r0_);                                     \
        _mm_storeu_si128((__m128i*)((out) + (i) + 16), r1_);                                \
        _mm_storeu_si128((__m128i*)((out) + (i) + 32), r2_);                                \
        _mm_storeu_si128((__m128i*)((out) + (i) + 48), r3_);                                \
        continue;                                                                           \
      }                                                                                     \
      for (size_t j_ = (i); j_ < (i) + EQ_FAST_EXACT_CHUNK; j_ += 16)                       \
        _mm_storeu_si128((__m128i*)((out) + j_), EXACT(j_));                                \
      if (++redone_ >= 8 && redone_ * 4 > chunks_) {                                        \
        (i) += EQ_FAST_EXACT_CHUNK;                                                         \
        break;                                                                              \
      }                                                                                     \
    }                                                                                       \
  } while (0)

#endif
