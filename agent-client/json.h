/* JSON helpers for the agent protocol, on top of yajl.
 *
 * yajl_tree frees values recursively and builds one allocation per value,
 * so every text is checked before it reaches yajl_tree_parse: at most
 * AGENT_JSON_MAX_DEPTH levels of nesting and AGENT_JSON_MAX_VALUES values.
 * A message from a confused or hostile peer then costs bounded memory and
 * stack.  */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"

#define AGENT_JSON_MAX_DEPTH  64
#define AGENT_JSON_MAX_VALUES (1u << 20)

/* Parses LEN bytes of DATA (no NUL needed, none allowed) into a tree.
 * Errors read "invalid JSON: <yajl's first line>" with EBADMSG.  */
int agent_json_parse (const char *data, size_t len, yajl_val *ret, rv_error_t *err);

/* Emits V (from yajl_tree) into G, keeping numbers exactly as written.  */
int agent_json_gen_value (yajl_gen g, yajl_val v);

/* V as compact JSON text.  */
char *agent_json_to_string (yajl_val v);

/* Strict conversions of a yajl number (integers only, in range).  Return
 * 0 or -EINVAL / -ERANGE.  */
int agent_json_i64 (yajl_val v, int64_t *ret);
int agent_json_u64 (yajl_val v, uint64_t *ret);

/* A yajl generator with UTF-8 validation on; aborts on exhaustion.  */
yajl_gen agent_json_gen_new (void);

static inline void
cleanup_yajl_valp (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}
static inline void
cleanup_yajl_genp (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}
#define _cleanup_yajl_val_ __attribute__ ((cleanup (cleanup_yajl_valp)))
#define _cleanup_yajl_gen_ __attribute__ ((cleanup (cleanup_yajl_genp)))
