/* Kernel program build with an on-disk binary cache. PoCL and mobile drivers take seconds
 * to compile; the binary is keyed by everything that changes it: platform, device, driver
 * version, build options and the source text. Writes go to a temp file + rename, so a
 * crash never leaves a half-written binary behind. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"

static uint64_t fnv1a(uint64_t h, const char* s) {
  for (; *s; ++s) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h ^ 0xff; /* field separator */
}

static int mkdirs(const char* path) {
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char* p = buf + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void build_log(eqg_device* d, cl_program prog, char* out, size_t len) {
  out[0] = 0;
  size_t size = 0; /* drivers refuse a buffer smaller than the whole log */
  if (d->cl.GetProgramBuildInfo(prog, d->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) != CL_SUCCESS || !size) return;
  char* log = calloc(size + 1, 1);
  if (!log) return;
  if (d->cl.GetProgramBuildInfo(prog, d->device, CL_PROGRAM_BUILD_LOG, size, log, NULL) != CL_SUCCESS) log[0] = 0;
  /* the first lines are the useful ones; keep the message on one line */
  size_t j = 0;
  int lines = 0;
  for (size_t i = 0; log[i] && j + 1 < len && lines < 3; ++i) {
    if (log[i] == '\n') {
      ++lines;
      if (j && j + 3 < len) { out[j++] = ' '; out[j++] = '|'; out[j++] = ' '; }
    } else {
      out[j++] = log[i];
    }
  }
  out[j] = 0;
  free(log);
}

static unsigned char* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char* buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    }
    *size = n > 0 ? (size_t)n : 0;
  }
  fclose(f);
  return buf;
}

static int try_cached(eqg_device* d) {
  size_t size = 0;
  unsigned char* bin = read_file(d->cache_file, &size);
  if (!bin) return -1;
  const double t0 = eqg_now_ms();
  cl_int status = CL_SUCCESS, rc = CL_SUCCESS;
  const unsigned char* bins[1] = {bin};
  cl_program p = d->cl.CreateProgramWithBinary(d->context, 1, &d->device, &size, bins, &status, &rc);
  free(bin);
  if (!p || rc != CL_SUCCESS || status != CL_SUCCESS) {
    if (p) d->cl.ReleaseProgram(p);
    snprintf(d->cache_note, sizeof(d->cache_note), "cached binary rejected by the driver: rebuilt from source");
    return -1;
  }
  if (d->cl.BuildProgram(p, 1, &d->device, d->build_options, NULL, NULL) != CL_SUCCESS) {
    d->cl.ReleaseProgram(p);
    snprintf(d->cache_note, sizeof(d->cache_note), "cached binary failed to link: rebuilt from source");
    return -1;
  }
  d->program = p;
  d->cache_load_ms = eqg_now_ms() - t0;
  d->cache_hit = 1;
  return 0;
}

static void store(eqg_device* d, const char* dir) {
  size_t size = 0;
  if (d->cl.GetProgramInfo(d->program, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, NULL) != CL_SUCCESS || !size) {
    snprintf(d->cache_note, sizeof(d->cache_note), "the driver returned no program binary: nothing cached");
    return;
  }
  unsigned char* bin = malloc(size);
  unsigned char* bins[1] = {bin};
  if (!bin || d->cl.GetProgramInfo(d->program, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL) != CL_SUCCESS) {
    free(bin);
    return;
  }
  char tmp[1100];
  snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", d->cache_file, (long)getpid());
  FILE* f = mkdirs(dir) == 0 ? fopen(tmp, "wb") : NULL;
  int ok = f && fwrite(bin, 1, size, f) == size;
  if (f && fclose(f) != 0) ok = 0;
  if (ok && rename(tmp, d->cache_file) == 0) {
    free(bin);
    return;
  }
  if (f) remove(tmp);
  snprintf(d->cache_note, sizeof(d->cache_note), "cannot write the program cache in '%s': check it is writable", dir);
  free(bin);
}

int eqg_program_build(eqg_device* d, const char* source, const char* cache_dir, char* err, size_t errlen) {
  d->cache_hit = 0;
  d->cache_store_ms = 0;
  d->cache_note[0] = 0;
  d->cache_file[0] = 0;
  if (cache_dir) {
    uint64_t h = 1469598103934665603ULL;
    h = fnv1a(h, d->platform_name);
    h = fnv1a(h, d->device_name);
    h = fnv1a(h, d->driver_version);
    h = fnv1a(h, d->device_version);
    h = fnv1a(h, d->build_options);
    h = fnv1a(h, source);
    snprintf(d->cache_file, sizeof(d->cache_file), "%s/edgeq-gpu-%016llx.bin", cache_dir, (unsigned long long)h);
    if (try_cached(d) == 0) return 0;
  }
  const double t0 = eqg_now_ms();
  cl_int rc = CL_SUCCESS;
  cl_program p = d->cl.CreateProgramWithSource(d->context, 1, &source, NULL, &rc);
  if (!p) {
    snprintf(err, errlen, "cannot create the OpenCL program (%s)", eqg_cl_error(rc));
    return -1;
  }
  rc = d->cl.BuildProgram(p, 1, &d->device, d->build_options, NULL, NULL);
  if (rc != CL_SUCCESS) {
    char log[600];
    build_log(d, p, log, sizeof(log));
    snprintf(err, errlen, "the OpenCL kernels failed to build on '%s' (%s, options '%s'): %s", d->device_name,
             eqg_cl_error(rc), d->build_options, log[0] ? log : "no build log");
    d->cl.ReleaseProgram(p);
    return -1;
  }
  d->program = p;
  d->compile_ms = eqg_now_ms() - t0;
  /* writing the cache is start-up time too: PoCL compiles every kernel when asked for the binary */
  const double t1 = eqg_now_ms();
  if (cache_dir) store(d, cache_dir);
  d->cache_store_ms = eqg_now_ms() - t1;
  return 0;
}
