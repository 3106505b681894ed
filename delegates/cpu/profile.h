/* Opt-in per-op timers (env EDGEQ_CPU_PROFILE=1, or the profile_path option): each delegate kernel
 * sums the wall time of its nodes and prints a table to stderr, or appends JSON, when it is freed. Off by default:
 * then the only cost is one branch per node. EDGEQ_CPU_PROFILE=thread times the calling thread's CPU time
 * instead (meaningful at 1 thread, where every node runs on it; other jobs' load does not inflate it). */
#ifndef EDGEQ_CPU_PROFILE_H
#define EDGEQ_CPU_PROFILE_H

#include <stdint.h>

typedef struct eq_profile eq_profile;

/* NULL unless profiling is enabled in the environment or by a path (or on allocation failure).
 * node_ids: the runtime's index of each node (for the JSON); path: where eq_profile_finish appends
 * one line {"invokes": N, "nodes": [{"node": i, "op": name, "ms": mean per invoke}]}, or NULL. */
eq_profile* eq_profile_create(int n_nodes, const int* node_ids, const char* path, int thread_clock);
uint64_t eq_profile_now_ns(const eq_profile* p);
void eq_profile_add(eq_profile* p, int node, const char* op_name, uint64_t ns);
void eq_profile_invoke_done(eq_profile* p);
/* Prints the per-op table (ms per invoke, share) to stderr when the environment asked for it,
 * appends the JSON line when a path did, and frees. */
void eq_profile_finish(eq_profile* p);

#endif
