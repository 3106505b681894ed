/* Remembered device choice file (see device_memo.h). */
#include "device_memo.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv1a(uint64_t h, const char* s) {
  for (; s && *s; ++s) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return (h ^ 0xff) * 1099511628211ULL; /* field separator */
}

/* Hash of a small file's name and text (an .icd file holds one library path). */
static uint64_t file_hash(const char* path, const char* name) {
  uint64_t h = fnv1a(14695981039346656037ULL, name);
  FILE* f = fopen(path, "rb");
  if (!f) return h;
  char buf[1024];
  const size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  return fnv1a(h, buf);
}

/* The installed ICD files as the ocl-icd loader reads them: OCL_ICD_VENDORS (a folder or one
 * file), else /etc/OpenCL/vendors. Order-independent (a sum of per-file hashes). */
static uint64_t vendors_hash(void) {
  const char* env = getenv("OCL_ICD_VENDORS");
  const char* dir = env && *env ? env : "/etc/OpenCL/vendors";
  struct stat st;
  if (stat(dir, &st) != 0) return 1;
  if (!S_ISDIR(st.st_mode)) return file_hash(dir, dir);
  DIR* dp = opendir(dir);
  if (!dp) return 2;
  uint64_t sum = 3;
  for (struct dirent* e; (e = readdir(dp));) {
    const size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".icd") != 0) continue;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    sum += file_hash(path, e->d_name);
  }
  closedir(dp);
  return sum;
}

int eqg_memo_path(const eqg_options* o, const char* cache_dir, char* path, size_t len) {
  if (!cache_dir || !*cache_dir) return -1;
  uint64_t h = fnv1a(14695981039346656037ULL, "edgeq device memo 1");
  h = fnv1a(h, o->platform ? o->platform : "-");
  h = fnv1a(h, o->device ? o->device : "-");
  h = fnv1a(h, eqg_device_type_option(o->device_type));
  h = fnv1a(h, getenv("EDGEQ_OPENCL_LIBRARY"));
  h = fnv1a(h, getenv("OCL_ICD_FILENAMES"));
  h = fnv1a(h, getenv("OCL_ICD_VENDORS"));
  h ^= vendors_hash();
  h *= 1099511628211ULL;
  const int n = snprintf(path, len, "%s/device-%016llx.txt", cache_dir, (unsigned long long)h);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

static int read_line(FILE* f, char* out, size_t len) {
  if (!fgets(out, (int)len, f)) return -1;
  const size_t n = strlen(out);
  if (!n || out[n - 1] != '\n') return -1;
  out[n - 1] = 0;
  return 0;
}

int eqg_memo_read(const char* path, eqg_memo* m) {
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  const int ok = read_line(f, m->library, sizeof(m->library)) == 0 && read_line(f, m->platform, sizeof(m->platform)) == 0 &&
                 read_line(f, m->device, sizeof(m->device)) == 0 && fscanf(f, "%d", &m->device_index) == 1 &&
                 m->library[0] == '/' && m->device_index >= 0;
  fclose(f);
  return ok ? 0 : -1;
}

void eqg_memo_write(const char* path, const eqg_memo* m) {
  if (strchr(m->library, '\n') || strchr(m->platform, '\n') || strchr(m->device, '\n')) return;
  char tmp[1200];
  snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
  FILE* f = fopen(tmp, "w");
  if (!f) return;
  const int ok = fprintf(f, "%s\n%s\n%s\n%d\n", m->library, m->platform, m->device, m->device_index) > 0;
  if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) unlink(tmp);
}
