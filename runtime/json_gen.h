/* JSON output in the exact shape Go's encoding/json gives, on top of
 * yajl_gen, for the outputs engines and users compare with runc's (`state`,
 * `list --format json`, `spec`, `features`).
 *
 * Go escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings, writes
 * control characters as lowercase \u00xx (also \b and \f), and prints no
 * newline after the indented document; yajl does none of this, so the
 * writer rewrites yajl's output as it is produced.  Empty arrays and maps
 * are written as yajl writes them; the callers never emit them (Go's
 * `omitempty` drops them in runc's output too).
 *
 *   struct rt_json *j = rt_json_new ("  ");
 *   rt_json_map_open (j);
 *   rt_json_kstr (j, "id", id);
 *   rt_json_map_close (j);
 *   char *text = rt_json_finish (j, NULL);   // j is freed
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_json;

/* INDENT NULL gives compact output; otherwise each level is indented
 * with INDENT ("\t" as `runc spec`, "  " as `runc state`).  */
struct rt_json *rt_json_new (const char *indent);

/* Returns the document (NUL-terminated, no trailing newline) and frees J.
 * *RET_LEN, when not NULL, gets its length.  */
char *rt_json_finish (struct rt_json *j, size_t *ret_len);

void rt_json_free (struct rt_json *j);

void rt_json_map_open (struct rt_json *j);
void rt_json_map_close (struct rt_json *j);
void rt_json_array_open (struct rt_json *j);
void rt_json_array_close (struct rt_json *j);
void rt_json_null (struct rt_json *j);

/* Scalars; a NULL string is written as "".  */
void rt_json_str (struct rt_json *j, const char *s);
void rt_json_int (struct rt_json *j, int64_t v);
void rt_json_uint (struct rt_json *j, uint64_t v);
void rt_json_bool (struct rt_json *j, bool v);

/* "key": value inside a map.  */
void rt_json_key (struct rt_json *j, const char *key);
void rt_json_kstr (struct rt_json *j, const char *key, const char *s);
void rt_json_kint (struct rt_json *j, const char *key, int64_t v);
void rt_json_kuint (struct rt_json *j, const char *key, uint64_t v);
void rt_json_kbool (struct rt_json *j, const char *key, bool v);
/* "key": [ "a", "b" ] from a NULL-terminated vector.  */
void rt_json_kstrv (struct rt_json *j, const char *key, char *const *v);
