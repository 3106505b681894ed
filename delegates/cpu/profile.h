/* Opt-in per-op timers (env EDGEQ_CPU_PROFILE=1): each delegate kernel sums the wall time
 * of its nodes by op name and prints the table to stderr when it is freed. Off by default:
 * then the only cost is one branch per node. */
#ifndef EDGEQ_CPU_PROFILE_H
#define EDGEQ_CPU_PROFILE_H

#include <stdint.h>

typedef struct eq_profile eq_profile;

/* NULL unless profiling is enabled in the environment (or on allocation failure). */
eq_profile* eq_profile_create(int n_nodes);
uint64_t eq_profile_now_ns(void);
void eq_profile_add(eq_profile* p, int node, const char* op_name, uint64_t ns);
void eq_profile_invoke_done(eq_profile* p);
/* Prints the per-op table (ms per invoke, share) to stderr and frees. */
void eq_profile_finish(eq_profile* p);

#endif
