/* classify: runs a model compiled by `edgeq compile --name model` on one input file.
 *
 *   classify INPUT.bin [OUTPUTS.bin]
 *
 * INPUT.bin holds the model's input tensor as raw bytes (e.g. numpy's
 * x.astype(np.int8).tofile("INPUT.bin")); a model with several inputs reads them one after
 * another from the same file. Prints the top class of the first output and, when
 * OUTPUTS.bin is given, writes every output tensor's raw bytes there, one after another.
 * Plain C99; the model code needs no heap and no libc beyond memcpy/memset.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

/* Reads every input tensor from `path`, which must hold exactly their bytes. */
static int read_inputs(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "classify: cannot open %s\n", path);
    return -1;
  }
  size_t need = 0, got = 0;
  for (int i = 0; i < MODEL_NUM_INPUTS; ++i) {
    need += model_input_info(i)->bytes;
    got += fread(model_input(i), 1, model_input_info(i)->bytes, f);
  }
  const int extra = fgetc(f) != EOF;
  fclose(f);
  if (got != need || extra) {
    fprintf(stderr, "classify: %s must hold exactly %u bytes (the model's input tensors), it holds %s%u\n", path,
            (unsigned)need, extra ? "more than " : "", (unsigned)got);
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: classify INPUT.bin [OUTPUTS.bin]\n");
    return 2;
  }
  if (read_inputs(argv[1]) != 0) return 2;
  model_invoke();
  const edgeq_tensor_info* out = model_output_info(0);
  const unsigned char* y = (const unsigned char*)model_output(0);
  unsigned best = 0;
  double best_v = -1e300;
  for (unsigned i = 0; i < out->bytes / (out->type == 1 ? 4u : 1u); ++i) {
    double v;
    if (out->type == 1) {
      float f;
      memcpy(&f, y + 4 * i, 4);
      v = f;
    } else {
      v = out->scale * ((double)(signed char)y[i] - out->zero_point);
    }
    if (v > best_v) {
      best_v = v;
      best = i;
    }
  }
  printf("class %u score %.4f\n", best, best_v);
  if (argc == 3) {
    FILE* f = fopen(argv[2], "wb");
    if (!f) {
      fprintf(stderr, "classify: cannot write %s\n", argv[2]);
      return 2;
    }
    for (int i = 0; i < MODEL_NUM_OUTPUTS; ++i)
      fwrite(model_output(i), 1, model_output_info(i)->bytes, f);
    if (fclose(f) != 0) {
      fprintf(stderr, "classify: cannot write %s\n", argv[2]);
      return 2;
    }
  }
  return 0;
}
