/* A stand-in libnvidia-ml.so.1 for the NVML reader's tests (no NVIDIA GPU here): the real
 * nvidia-ml-py binding loads it and calls it exactly as it calls the driver's library. It replays
 * the total-energy trace in $EDGEQ_NVML_TRACE (lines "t_ms energy_mJ", as NVML counts them) against
 * the time since nvmlInit, holding each value until the next one like the real counter; past the
 * trace's end it continues at the last segment's rate. $EDGEQ_NVML_MODE=nodriver or =unsupported
 * makes init or the energy call fail with NVML's own codes. Only the calls the reader makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OK = 0, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, DRIVER_NOT_LOADED = 9, UNKNOWN = 999 };
static double ts[4096], es[4096];
static int n;
static double t0;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static const char* mode(void) { return getenv("EDGEQ_NVML_MODE") ? getenv("EDGEQ_NVML_MODE") : ""; }

int nvmlInitWithFlags(unsigned flags) {
  (void)flags;
  if (strcmp(mode(), "nodriver") == 0) return DRIVER_NOT_LOADED;
  const char* path = getenv("EDGEQ_NVML_TRACE");
  FILE* f = path ? fopen(path, "r") : NULL;
  if (!f) return UNKNOWN;
  n = 0;
  while (n < 4096 && fscanf(f, "%lf %lf", &ts[n], &es[n]) == 2) n++;
  fclose(f);
  t0 = now_ms();
  return n >= 2 ? OK : UNKNOWN;
}

int nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
int nvmlShutdown(void) { return OK; }

int nvmlDeviceGetCount_v2(unsigned* count) {
  *count = 1;
  return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** handle) {
  if (index != 0) return INVALID_ARGUMENT;
  *handle = (void*)0x1;
  return OK;
}

int nvmlDeviceGetName(void* handle, char* name, unsigned length) {
  (void)handle;
  snprintf(name, length, "NVIDIA H200 (replayed trace)");
  return OK;
}

int nvmlDeviceGetTotalEnergyConsumption(void* handle, unsigned long long* mj) {
  (void)handle;
  if (strcmp(mode(), "unsupported") == 0) return NOT_SUPPORTED;
  double t = now_ms() - t0;
  if (t >= ts[n - 1]) { /* continue at the last segment's rate, in the trace's refresh steps */
    double step = ts[n - 1] - ts[n - 2];
    double k = (double)(long long)((t - ts[n - 1]) / step);
    *mj = (unsigned long long)(es[n - 1] + k * (es[n - 1] - es[n - 2]));
    return OK;
  }
  int i = 0;
  while (i + 1 < n && ts[i + 1] <= t) i++;
  *mj = (unsigned long long)es[i];
  return OK;
}

const char* nvmlErrorString(int r) {
  switch (r) {
    case NOT_SUPPORTED: return "Not Supported";
    case DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case INVALID_ARGUMENT: return "Invalid Argument";
    default: return "Unknown Error";
  }
}
