#include "qs8-vbinary-nd/qs8-vbinary-nd.h"

#include <string.h>

void qs8_vbinary_nd(const qs8_vbinary_nd_params* p, const int8_t* a, const int8_t* b, int8_t* out) {
  const int32_t* d = p->dims;
  const size_t inner = (size_t)d[4];
  const int32_t as = p->a_stride[4], bs = p->b_stride[4];
  const int contiguous = as == 1 && bs == 1;
  for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
      for (int32_t i2 = 0; i2 < d[2]; ++i2) {
        if (contiguous && inner < 64 && d[3] > 1 &&
            ((p->a_stride[3] == (int32_t)inner && p->b_stride[3] == 0) ||
             (p->b_stride[3] == (int32_t)inner && p->a_stride[3] == 0))) {
          /* short runs against one short row of the other input (x[.., C] + c[C], small C): that
           * row tiled into a block, so the kernel gets many rows per call */
          const int8_t* ar = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2];
          const int8_t* br = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2];
          const int a_rows = p->a_stride[3] != 0;
          const size_t per = 256 / inner;
          int8_t tile[256];
          for (size_t r = 0; r < per; ++r) memcpy(tile + r * inner, a_rows ? br : ar, inner);
          for (size_t i3 = 0; i3 < (size_t)d[3]; i3 += per) {
            const size_t n = ((size_t)d[3] - i3 < per ? (size_t)d[3] - i3 : per) * inner;
            p->fn(n, a_rows ? ar + i3 * inner : tile, a_rows ? tile : br + i3 * inner, out, p->params);
            out += n;
          }
          continue;
        }
        for (int32_t i3 = 0; i3 < d[3]; ++i3) {
          const int8_t* ar = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2] + i3 * p->a_stride[3];
          const int8_t* br = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2] + i3 * p->b_stride[3];
          if (contiguous) {
            p->fn(inner, ar, br, out, p->params);
            out += inner;
            continue;
          }
          if ((as == 1 && bs == 0) || (as == 0 && bs == 1)) {
            /* one input repeats one value along the run: the kernel gets it in blocks of 64 */
            int8_t rep[64];
            memset(rep, as == 0 ? *ar : *br, sizeof(rep));
            for (size_t i = 0; i < inner; i += 64) {
              const size_t n = inner - i < 64 ? inner - i : 64;
              p->fn(n, as ? ar + i : rep, bs ? br + i : rep, out + i, p->params);
            }
            out += inner;
            continue;
          }
          for (size_t i = 0; i < inner; ++i, ++out) p->fn(1, ar + i * (size_t)as, br + i * (size_t)bs, out, p->params);
        }
      }
}
