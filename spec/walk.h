/* Internal to spec/: the JSON tree and the table-driven walker behind the
 * config.json, process.json, state.json and features.json models.
 *
 * A document is read in two steps.  sj_tree_parse() turns the text into a
 * tree with yajl's event parser (numbers stay text, so the whole uint64 range
 * survives; syntax errors carry line and column).  The walker then matches
 * each JSON object against a table of fields, in the manner of systemd's
 * nspawn-oci.c: every field names its JSON key, a type (which knows how to
 * parse, emit, compare and free the C member), the member's offset, flags
 * such as SJ_MANDATORY, and an argument for the type (a nested table, an
 * enum, a range).  Unknown keys are skipped, as the runtime-spec requires.
 *
 * Because the same table drives parsing, serialising, comparing and
 * freeing, a field added to a table gets all four at once, and a parsed
 * object that failed half-way is freed by the same code as a complete one.
 *
 * Errors read "<file>: <path>: <message>", the path in jq's notation:
 * `.linux.namespaces[1].type`, `.annotations["io.x"]`.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "common/error.h"

/* Deepest nesting sj_tree_parse accepts.  The deepest path the spec defines
 * is 8 levels; the margin is for unknown extensions, the limit bounds the
 * recursion that frees the tree.  */
#define SJ_MAX_DEPTH 128

enum sj_node_type
{
  SJ_NULL,
  SJ_BOOL,
  SJ_NUMBER,
  SJ_STRING,
  SJ_OBJECT,
  SJ_ARRAY,
};

struct sj_node;

struct sj_member
{
  char *key;
  size_t key_len;
  struct sj_node *value;
};

struct sj_node
{
  enum sj_node_type type;
  bool boolean;
  /* SJ_STRING: the decoded string; SJ_NUMBER: the number as written.
   * NUL-terminated, but a string may hold NUL bytes of its own.  */
  char *text;
  size_t text_len;
  struct sj_node **items;    /* SJ_ARRAY */
  struct sj_member *members; /* SJ_OBJECT, in document order */
  size_t len;                /* items or members */
  size_t cap;
};

int sj_tree_parse (const char *file, const char *data, size_t len, struct sj_node **ret, rv_error_t *err);
void sj_tree_free (struct sj_node *node);

/* The walk: where in the document we are, for error messages.  */
struct sj_walk
{
  const char *file;
  rv_error_t *err;
  char *path;
  size_t path_len;
  size_t path_cap;
};

/* Path segments; each returns the length to restore with sj_pop.  */
size_t sj_push_field (struct sj_walk *w, const char *name);
size_t sj_push_index (struct sj_walk *w, size_t index);
size_t sj_push_key (struct sj_walk *w, const char *key, size_t len);
void sj_pop (struct sj_walk *w, size_t saved);

/* Records "<file>: <path>: <message>" with EINVAL; returns -EINVAL.  */
int sj_error (struct sj_walk *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The same, one field further down: "<path>.<field>: <message>".  */
int sj_field_error (struct sj_walk *w, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* S as a JSON string literal, for messages (quotes, escapes); cut after
 * SJ_QUOTE_MAX bytes, with "..." after the closing quote.  */
#define SJ_QUOTE_MAX 100
char *sj_quote (const char *s, size_t len);

/* ---- tables ---------------------------------------------------------- */

enum sj_kind
{
  SJ_K_BOOLEAN,
  SJ_K_INTEGER,
  SJ_K_STRING,
  SJ_K_OBJECT,
  SJ_K_ARRAY,
};

struct sj_field;

struct sj_type
{
  enum sj_kind kind; /* checked by the walker before parse is called */
  int (*parse) (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f);
  /* Whether the member holds a value to emit (absent optionals do not).  */
  bool (*present) (const void *base, const struct sj_field *f);
  /* Emits the value (the walker has emitted the key).  */
  int (*gen) (yajl_gen g, const void *base, const struct sj_field *f);
  bool (*equal) (const void *a, const void *b, const struct sj_field *f);
  void (*free) (void *base, const struct sj_field *f); /* NULL: nothing owned */
};

enum
{
  SJ_MANDATORY = 1 << 0,
  /* Scalars: leave the key out when the value is 0 / false (Go's
   * omitempty); without it a plain scalar is always written.  */
  SJ_OMIT_ZERO = 1 << 1,
  /* sj_embedded: `aux` is the offset of a bool saying whether it is set.  */
  SJ_HAS_FLAG = 1 << 2,
};

struct sj_field
{
  const char *name;
  const struct sj_type *type;
  size_t offset;
  size_t aux; /* arrays: offset of the _len member; see SJ_HAS_FLAG */
  unsigned flags;
  const void *arg; /* per type: struct sj_object, sj_check, sj_range */
};

struct sj_object
{
  const struct sj_field *fields;
  size_t n_fields;
  size_t size;
  /* Rules that involve several fields, run after all fields parsed.  NODE
   * is the object's JSON, for rules about which keys were present.  */
  int (*check) (struct sj_walk *w, const struct sj_node *node, void *obj);
};

#define SJ_OBJECT(fields_, type_, check_)                                                                    \
  {                                                                                                          \
    .fields = (fields_), .n_fields = sizeof (fields_) / sizeof ((fields_)[0]), .size = sizeof (type_),       \
    .check = (check_)                                                                                        \
  }

/* Validation of a string value (and of each string of a list).  */
struct sj_check
{
  int (*fn) (struct sj_walk *w, const char *s, const void *data);
  const void *data;
};

/* An enumeration: "unknown <what> \"x\"" for anything not in VALUES.  */
struct sj_enum
{
  const char *what;
  const char *const *values; /* NULL-terminated */
};
int sj_check_enum (struct sj_walk *w, const char *s, const void *data);
bool sj_enum_contains (const struct sj_enum *e, const char *s);

/* A range narrower than the C type, for integer fields.  */
struct sj_range
{
  int64_t min;
  int64_t max;
  bool zero_unset; /* 0 is also accepted and means "not set" */
};

/* Types.  The C member at `offset` is:  */
extern const struct sj_type sj_string;       /* char *; arg: sj_check or NULL */
extern const struct sj_type sj_strv;         /* char **, NULL-terminated; arg: sj_check */
extern const struct sj_type sj_bool;         /* bool */
extern const struct sj_type sj_opt_bool;     /* struct spec_opt_bool */
extern const struct sj_type sj_u32;          /* uint32_t; arg: sj_range */
extern const struct sj_type sj_opt_u32;      /* struct spec_opt_u32; arg: sj_range */
extern const struct sj_type sj_opt_u16;      /* struct spec_opt_u32 holding a uint16 */
extern const struct sj_type sj_i32;          /* int32_t; arg: sj_range */
extern const struct sj_type sj_opt_i32;      /* struct spec_opt_i32; arg: sj_range */
extern const struct sj_type sj_i64;          /* int64_t */
extern const struct sj_type sj_opt_i64;      /* struct spec_opt_i64 */
extern const struct sj_type sj_u64;          /* uint64_t */
extern const struct sj_type sj_opt_u64;      /* struct spec_opt_u64 */
extern const struct sj_type sj_u32_array;    /* uint32_t *, length at aux */
extern const struct sj_type sj_object;       /* pointer to a struct; arg: sj_object */
extern const struct sj_type sj_embedded;     /* a struct member; arg: sj_object */
extern const struct sj_type sj_object_array; /* pointer to structs, length at aux; arg: sj_object */
/* A JSON object whose keys name the entries: an array of structs whose first
 * member is the `char *` key, length at aux; arg: sj_keyed.  */
extern const struct sj_type sj_keyed_array;
/* A JSON object of strings: struct spec_kv *, length at aux; arg: sj_check
 * for the keys or NULL.  Keys are non-empty and unique.  */
extern const struct sj_type sj_map;

struct sj_keyed
{
  const struct sj_object *entry;
  struct sj_check key_check;
};

/* ---- documents ------------------------------------------------------- */

/* Parses DATA into a new struct described by DESC.  */
int sj_parse_document (const char *file, const char *data, size_t len, const struct sj_object *desc,
                       void **ret, rv_error_t *err);
/* Walks NODE (any type) as an object of DESC into OBJ.  */
int sj_walk_object (struct sj_walk *w, const struct sj_node *node, const struct sj_object *desc, void *obj);

/* The document as JSON text; NULL when a string is not valid UTF-8.  */
char *sj_gen_document (const struct sj_object *desc, const void *obj, bool beautify);
/* Emits the fields of OBJ as key/value pairs into an open map.  */
int sj_gen_fields (yajl_gen g, const struct sj_object *desc, const void *obj);

bool sj_equal_object (const struct sj_object *desc, const void *a, const void *b);

/* Frees what OBJ's members own, then (sj_free_object) OBJ.  Both accept
 * NULL and half-built objects.  */
void sj_free_fields (const struct sj_object *desc, void *obj);
void sj_free_object (const struct sj_object *desc, void *obj);

/* Loads a document from PATH, naming it by its base name in messages.  */
int sj_load_document (const char *path, const struct sj_object *desc, void **ret, rv_error_t *err);

/* Checks shared by several documents.  */
int sj_check_semver (struct sj_walk *w, const char *s, const void *data);
int sj_check_absolute (struct sj_walk *w, const char *s, const void *data);
int sj_check_capability (struct sj_walk *w, const char *s, const void *data);

extern const struct sj_enum sj_namespace_types;
extern const struct sj_enum sj_seccomp_actions;
extern const struct sj_enum sj_seccomp_operators;
extern const struct sj_enum sj_seccomp_archs;
extern const struct sj_enum sj_seccomp_flags;

/* Objects shared between documents.  */
extern const struct sj_object sj_process_desc;    /* struct spec_process */
extern const struct sj_object sj_linux_desc;      /* struct spec_linux */
extern const struct sj_object sj_id_mapping_desc; /* struct spec_id_mapping */
