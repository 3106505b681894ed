/* Option-string parsing shared by the edgeq delegates: the same rules (and messages) for
 * integers and op lists in libedgeq_cpu and libedgeq_gpu. */
#ifndef EDGEQ_OPTION_PARSE_H
#define EDGEQ_OPTION_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The whole string (surrounding spaces allowed after it) as a base-10 integer; -1 if it is not one. */
int eq_parse_long(const char* s, long* out);

/* Name of op i of a delegate's registry. */
typedef const char* (*eq_op_name_fn)(size_t i);

/* "CONV_2D, add" → enabled[i] = 1 for the named ops (case-insensitive), 0 for the rest.
 * An unknown or empty list fails with a one-line reason in err, prefixed with who. */
int eq_parse_op_list(const char* list, size_t n_ops, eq_op_name_fn name_at, uint8_t* enabled, const char* who,
                     char* err, size_t errlen);

#endif /* EDGEQ_OPTION_PARSE_H */
