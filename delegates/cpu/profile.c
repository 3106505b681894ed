/* Per-op timers behind EDGEQ_CPU_PROFILE; see profile.h. */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct eq_profile {
  int n_nodes;
  int stderr_table;
  int* ids;   /* the runtime's node index of each node */
  char* path; /* JSON lines, or NULL */
  const char** names; /* op name per node */
  uint64_t* ns;       /* summed time per node */
  uint64_t invokes;
  clockid_t clock;    /* CLOCK_MONOTONIC, or CLOCK_THREAD_CPUTIME_ID (EDGEQ_CPU_PROFILE=thread, profile_clock) */
};

static void profile_free(eq_profile* p) {
  free(p->names);
  free(p->ns);
  free(p->ids);
  free(p->path);
  free(p);
}

eq_profile* eq_profile_create(int n_nodes, const int* node_ids, const char* path, int thread_clock) {
  const char* env = getenv("EDGEQ_CPU_PROFILE");
  const int thread_time = env && strcmp(env, "thread") == 0;
  const int table = env && (strcmp(env, "1") == 0 || thread_time);
  if ((!table && !path) || n_nodes <= 0) return NULL;
  eq_profile* p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->clock = thread_time || thread_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
  p->n_nodes = n_nodes;
  p->stderr_table = table;
  p->names = calloc((size_t)n_nodes, sizeof(*p->names));
  p->ns = calloc((size_t)n_nodes, sizeof(*p->ns));
  p->ids = malloc(sizeof(int) * (size_t)n_nodes);
  p->path = path ? strdup(path) : NULL;
  if (!p->names || !p->ns || !p->ids || (path && !p->path)) {
    profile_free(p);
    return NULL;
  }
  memcpy(p->ids, node_ids, sizeof(int) * (size_t)n_nodes);
  return p;
}

uint64_t eq_profile_now_ns(const eq_profile* p) {
  struct timespec ts;
  clock_gettime(p->clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void eq_profile_add(eq_profile* p, int node, const char* op_name, uint64_t ns) {
  p->names[node] = op_name;
  p->ns[node] += ns;
}

void eq_profile_invoke_done(eq_profile* p) { p->invokes++; }

void eq_profile_finish(eq_profile* p) {
  if (!p) return;
  uint64_t total = 0;
  for (int i = 0; i < p->n_nodes; ++i) total += p->ns[i];
  if (p->path && p->invokes) {
    FILE* f = fopen(p->path, "a");
    if (f) {
      fprintf(f, "{\"invokes\": %llu, \"clock\": \"%s\", \"nodes\": [", (unsigned long long)p->invokes,
              p->clock == CLOCK_THREAD_CPUTIME_ID ? "thread" : "wall");
      for (int i = 0; i < p->n_nodes; ++i)
        fprintf(f, "%s{\"node\": %d, \"op\": \"%s\", \"ms\": %.6f}", i ? ", " : "", p->ids[i],
                p->names[i] ? p->names[i] : "?", (double)p->ns[i] / 1e6 / (double)p->invokes);
      fputs("]}\n", f);
      fclose(f);
    }
  }
  if (p->stderr_table && p->invokes && total) {
    fprintf(stderr, "edgeq cpu profile: %d nodes, %llu invokes, %.3f ms per invoke\n", p->n_nodes,
            (unsigned long long)p->invokes, (double)total / 1e6 / (double)p->invokes);
    /* one line per op name, in order of first appearance */
    for (int i = 0; i < p->n_nodes; ++i) {
      if (!p->names[i]) continue;
      int first = 1, count = 0;
      uint64_t sum = 0;
      for (int j = 0; j < p->n_nodes; ++j) {
        if (!p->names[j] || strcmp(p->names[j], p->names[i]) != 0) continue;
        if (j < i) first = 0;
        sum += p->ns[j];
        count++;
      }
      if (first)
        fprintf(stderr, "  %-20s %4d nodes %9.3f ms %5.1f%%\n", p->names[i], count,
                (double)sum / 1e6 / (double)p->invokes, 100.0 * (double)sum / (double)total);
    }
  }
  profile_free(p);
}
