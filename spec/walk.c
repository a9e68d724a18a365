/* The JSON tree and the table-driven walker; see spec/walk.h.  */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "common/utils.h"
#include "spec/config.h"
#include "spec/walk.h"

/* Documents bigger than this are refused before parsing; the largest real
 * configs (hundreds of mounts, a full seccomp profile) are well under 1 MiB.  */
#define SJ_MAX_DOCUMENT (64u << 20)

/* ---- the tree -------------------------------------------------------- */

struct builder
{
  struct sj_node *root;
  struct sj_node *stack[SJ_MAX_DEPTH];
  size_t depth;
  char *key; /* the key of the member whose value comes next */
  size_t key_len;
  bool too_deep;
};

/* LEN bytes and a NUL; unlike strndup, keeps NUL bytes inside.  */
static char *
mem_dup0 (const char *s, size_t len)
{
  char *p = xmalloc (len + 1);
  if (len)
    memcpy (p, s, len);
  p[len] = '\0';
  return p;
}

static struct sj_node *
node_new (enum sj_node_type type)
{
  struct sj_node *n = xmalloc0 (sizeof (*n));
  n->type = type;
  return n;
}

void
sj_tree_free (struct sj_node *node)
{
  size_t i;

  if (node == NULL)
    return;
  for (i = 0; i < node->len; i++)
    {
      if (node->type == SJ_ARRAY)
        sj_tree_free (node->items[i]);
      else
        {
          free (node->members[i].key);
          sj_tree_free (node->members[i].value);
        }
    }
  free (node->items);
  free (node->members);
  free (node->text);
  free (node);
}

/* Hangs NODE into the tree before it gets children, so that a parse that
 * stops half-way leaves one tree to free.  */
static void
attach (struct builder *b, struct sj_node *node)
{
  struct sj_node *parent;

  if (b->depth == 0)
    {
      b->root = node;
      return;
    }
  parent = b->stack[b->depth - 1];
  if (parent->len == parent->cap)
    {
      parent->cap = parent->cap ? parent->cap * 2 : 4;
      if (parent->type == SJ_ARRAY)
        parent->items = xreallocarray (parent->items, parent->cap, sizeof (*parent->items));
      else
        parent->members = xreallocarray (parent->members, parent->cap, sizeof (*parent->members));
    }
  if (parent->type == SJ_ARRAY)
    parent->items[parent->len++] = node;
  else
    {
      struct sj_member *m = &parent->members[parent->len++];
      m->key = TAKE_PTR (b->key);
      m->key_len = b->key_len;
      m->value = node;
    }
}

static int
on_null (void *ctx)
{
  attach (ctx, node_new (SJ_NULL));
  return 1;
}

static int
on_boolean (void *ctx, int value)
{
  struct sj_node *n = node_new (SJ_BOOL);
  n->boolean = value != 0;
  attach (ctx, n);
  return 1;
}

static int
on_text (void *ctx, enum sj_node_type type, const char *s, size_t len)
{
  struct sj_node *n = node_new (type);
  n->text = mem_dup0 (s, len);
  n->text_len = len;
  attach (ctx, n);
  return 1;
}

static int
on_number (void *ctx, const char *s, size_t len)
{
  return on_text (ctx, SJ_NUMBER, s, len);
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  return on_text (ctx, SJ_STRING, (const char *) s, len);
}

static int
on_open (void *ctx, enum sj_node_type type)
{
  struct builder *b = ctx;
  struct sj_node *n;

  if (b->depth == SJ_MAX_DEPTH)
    {
      b->too_deep = true;
      return 0;
    }
  n = node_new (type);
  attach (b, n);
  b->stack[b->depth++] = n;
  return 1;
}

static int
on_start_map (void *ctx)
{
  return on_open (ctx, SJ_OBJECT);
}

static int
on_start_array (void *ctx)
{
  return on_open (ctx, SJ_ARRAY);
}

static int
on_close (void *ctx)
{
  struct builder *b = ctx;
  b->depth--;
  return 1;
}

static int
on_map_key (void *ctx, const unsigned char *key, size_t len)
{
  struct builder *b = ctx;
  free (b->key);
  b->key = mem_dup0 ((const char *) key, len);
  b->key_len = len;
  return 1;
}

static const yajl_callbacks tree_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = on_close,
  .yajl_start_array = on_start_array,
  .yajl_end_array = on_close,
};

static void
position (const char *data, size_t len, size_t offset, size_t *ret_line, size_t *ret_column)
{
  size_t line = 1, start = 0, i;

  if (offset > len)
    offset = len;
  for (i = 0; i < offset; i++)
    if (data[i] == '\n')
      {
        line++;
        start = i + 1;
      }
  *ret_line = line;
  *ret_column = offset - start + 1;
}

int
sj_tree_parse (const char *file, const char *data, size_t len, struct sj_node **ret, rv_error_t *err)
{
  struct builder b = { 0 };
  yajl_handle h;
  yajl_status st;
  size_t line, column, offset;
  int r = 0;

  h = yajl_alloc (&tree_callbacks, NULL, &b);
  if (h == NULL)
    return rv_error_make (err, ENOMEM, "%s: allocate the JSON parser", file);

  /* A syntax error is where yajl stopped reading; an error from the final
   * call (a document that ends early) is at the end of the input.  */
  st = yajl_parse (h, (const unsigned char *) data, len);
  offset = yajl_get_bytes_consumed (h);
  if (st == yajl_status_ok)
    {
      st = yajl_complete_parse (h);
      offset = len;
    }
  if (st != yajl_status_ok)
    {
      position (data, len, offset, &line, &column);
      if (b.too_deep)
        r = rv_error_set (err, EINVAL, "%s: line %zu, column %zu: nesting deeper than %d levels", file, line,
                          column, SJ_MAX_DEPTH);
      else
        {
          unsigned char *msg = yajl_get_error (h, 0, (const unsigned char *) data, len);
          size_t n = msg ? strlen ((char *) msg) : 0;

          /* yajl ends its messages with ".\n"; the error is one line.  */
          while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.' || msg[n - 1] == ' '))
            n--;
          r = rv_error_set (err, EINVAL, "%s: line %zu, column %zu: %.*s", file, line, column, (int) n,
                            msg ? (char *) msg : "invalid JSON");
          if (msg)
            yajl_free_error (h, msg);
        }
      sj_tree_free (b.root);
      free (b.key);
      yajl_free (h);
      return r;
    }
  yajl_free (h);
  free (b.key);
  *ret = b.root;
  return 0;
}

/* ---- paths and messages ---------------------------------------------- */

static void
path_append (struct sj_walk *w, const char *s, size_t n)
{
  if (w->path_len + n + 1 > w->path_cap)
    {
      w->path_cap = (w->path_len + n + 1) * 2;
      w->path = xrealloc (w->path, w->path_cap);
    }
  memcpy (w->path + w->path_len, s, n);
  w->path_len += n;
  w->path[w->path_len] = '\0';
}

size_t
sj_push_field (struct sj_walk *w, const char *name)
{
  size_t saved = w->path_len;
  path_append (w, ".", 1);
  path_append (w, name, strlen (name));
  return saved;
}

size_t
sj_push_index (struct sj_walk *w, size_t index)
{
  char buf[32];
  size_t saved = w->path_len;
  int n = snprintf (buf, sizeof (buf), "[%zu]", index);
  path_append (w, buf, (size_t) n);
  return saved;
}

size_t
sj_push_key (struct sj_walk *w, const char *key, size_t len)
{
  _cleanup_free_ char *q = sj_quote (key, len);
  size_t saved = w->path_len;
  path_append (w, "[", 1);
  path_append (w, q, strlen (q));
  path_append (w, "]", 1);
  return saved;
}

void
sj_pop (struct sj_walk *w, size_t saved)
{
  w->path_len = saved;
  if (w->path)
    w->path[saved] = '\0';
}

char *
sj_quote (const char *s, size_t len)
{
  char *out, *p;
  bool cut = false;
  size_t i;

  /* Messages stay short: long values are cut, at a UTF-8 boundary.  */
  if (len > SJ_QUOTE_MAX)
    {
      len = SJ_QUOTE_MAX;
      while (len > 0 && ((unsigned char) s[len] & 0xc0) == 0x80)
        len--;
      cut = true;
    }
  out = p = xmalloc (len * 6 + 8);
  *p++ = '"';
  for (i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) s[i];
      switch (c)
        {
        case '"':
        case '\\':
          *p++ = '\\';
          *p++ = (char) c;
          break;
        case '\n':
          *p++ = '\\';
          *p++ = 'n';
          break;
        case '\t':
          *p++ = '\\';
          *p++ = 't';
          break;
        case '\r':
          *p++ = '\\';
          *p++ = 'r';
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            p += snprintf (p, 7, "\\u%04x", c);
          else
            *p++ = (char) c;
        }
    }
  *p++ = '"';
  if (cut)
    {
      memcpy (p, "...", 3);
      p += 3;
    }
  *p = '\0';
  return out;
}

int
sj_error (struct sj_walk *w, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  if (w->path_len == 0)
    return rv_error_set (w->err, EINVAL, "%s: %s", w->file, msg);
  return rv_error_set (w->err, EINVAL, "%s: %s: %s", w->file, w->path, msg);
}

int
sj_field_error (struct sj_walk *w, const char *field, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  size_t saved;
  va_list ap;
  int r;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  saved = sj_push_field (w, field);
  r = sj_error (w, "%s", msg);
  sj_pop (w, saved);
  return r;
}

static bool
number_is_integer (const struct sj_node *v)
{
  return strpbrk (v->text, ".eE") == NULL;
}

static const char *
node_type_name (const struct sj_node *v)
{
  switch (v->type)
    {
    case SJ_NULL:
      return "null";
    case SJ_BOOL:
      return "a boolean";
    case SJ_NUMBER:
      return number_is_integer (v) ? "an integer" : "a number";
    case SJ_STRING:
      return "a string";
    case SJ_OBJECT:
      return "an object";
    case SJ_ARRAY:
      return "an array";
    }
  return "?";
}

static int
check_kind (struct sj_walk *w, const struct sj_node *v, enum sj_kind kind)
{
  static const char *const names[] = {
    [SJ_K_BOOLEAN] = "a boolean", [SJ_K_INTEGER] = "an integer", [SJ_K_STRING] = "a string",
    [SJ_K_OBJECT] = "an object",  [SJ_K_ARRAY] = "an array",
  };
  bool ok;

  switch (kind)
    {
    case SJ_K_BOOLEAN:
      ok = v->type == SJ_BOOL;
      break;
    case SJ_K_INTEGER:
      ok = v->type == SJ_NUMBER && number_is_integer (v);
      break;
    case SJ_K_STRING:
      ok = v->type == SJ_STRING;
      break;
    case SJ_K_OBJECT:
      ok = v->type == SJ_OBJECT;
      break;
    case SJ_K_ARRAY:
      ok = v->type == SJ_ARRAY;
      break;
    default:
      ok = false;
    }
  if (ok)
    return 0;
  return sj_error (w, "expected %s, got %s", names[kind], node_type_name (v));
}

/* ---- checks ---------------------------------------------------------- */

bool
sj_enum_contains (const struct sj_enum *e, const char *s)
{
  const char *const *it;
  for (it = e->values; *it; it++)
    if (strcmp (*it, s) == 0)
      return true;
  return false;
}

int
sj_check_enum (struct sj_walk *w, const char *s, const void *data)
{
  const struct sj_enum *e = data;
  _cleanup_free_ char *q = NULL;

  if (sj_enum_contains (e, s))
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "unknown %s %s", e->what, q);
}

int
sj_check_absolute (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;

  (void) data;
  if (s[0] == '/')
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "must be an absolute path, got %s", q);
}

static bool
is_alnum_hyphen (char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* A numeric part of MAJOR.MINOR.PATCH: 0 or no leading zero.  */
static bool
semver_number (const char **p)
{
  const char *s = *p;
  if (!is_digit (*s))
    return false;
  if (*s == '0')
    s++;
  else
    while (is_digit (*s))
      s++;
  *p = s;
  return true;
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-]; in a pre-release,
 * an all-digit identifier has no leading zero.  */
static bool
semver_identifiers (const char **p, bool prerelease)
{
  const char *s = *p;
  for (;;)
    {
      const char *start = s;
      bool digits = true;
      while (is_alnum_hyphen (*s))
        {
          if (!is_digit (*s))
            digits = false;
          s++;
        }
      if (s == start)
        return false;
      if (prerelease && digits && *start == '0' && s - start > 1)
        return false;
      if (*s != '.')
        break;
      s++;
    }
  *p = s;
  return true;
}

int
sj_check_semver (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;
  const char *p = s;

  (void) data;
  if (semver_number (&p) && *p++ == '.' && semver_number (&p) && *p++ == '.' && semver_number (&p)
      && (*p != '-' || (p++, semver_identifiers (&p, true)))
      && (*p != '+' || (p++, semver_identifiers (&p, false))) && *p == '\0')
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "%s is not a SemVer 2.0.0 version", q);
}

/* Names as capabilities(7) spells them; whether the kernel knows one is
 * decided where capabilities are applied (runc warns and skips).  */
int
sj_check_capability (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;
  const char *p;

  (void) data;
  if (strncmp (s, "CAP_", 4) == 0 && s[4] != '\0')
    {
      for (p = s + 4; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || is_digit (*p) || *p == '_'))
          break;
      if (*p == '\0')
        return 0;
    }
  q = sj_quote (s, strlen (s));
  return sj_error (w, "invalid capability name %s", q);
}

static int
run_check (struct sj_walk *w, const struct sj_check *c, const char *s)
{
  if (c == NULL || c->fn == NULL)
    return 0;
  return c->fn (w, s, c->data);
}

/* ---- member access --------------------------------------------------- */

#define MEMBER(type, base, off)  ((type *) ((char *) (base) + (off)))
#define CMEMBER(type, base, off) ((type const *) ((const char *) (base) + (off)))
#define FIELD(type, base, f)     MEMBER (type, base, (f)->offset)
#define CFIELD(type, base, f)    CMEMBER (type, base, (f)->offset)
#define LEN(base, f)             MEMBER (size_t, base, (f)->aux)
#define CLEN(base, f)            CMEMBER (size_t, base, (f)->aux)

static int
gen_ok (yajl_gen_status st)
{
  return st == yajl_gen_status_ok ? 0 : -1;
}

static int
gen_str (yajl_gen g, const char *s)
{
  if (s == NULL)
    s = "";
  return gen_ok (yajl_gen_string (g, (const unsigned char *) s, strlen (s)));
}

static int
gen_u64 (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, v);
  return gen_ok (yajl_gen_number (g, buf, (size_t) n));
}

static int
gen_i64 (yajl_gen g, int64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRId64, v);
  return gen_ok (yajl_gen_number (g, buf, (size_t) n));
}

/* ---- strings --------------------------------------------------------- */

/* A string value as a C string: refused when it holds a NUL byte, which
 * no path, name or argument can carry.  */
static int
string_value (struct sj_walk *w, const struct sj_node *v, const struct sj_check *check, char **ret)
{
  int r;

  if (memchr (v->text, '\0', v->text_len) != NULL)
    return sj_error (w, "string contains a NUL character");
  r = run_check (w, check, v->text);
  if (r < 0)
    return r;
  *ret = xstrdup (v->text);
  return 0;
}

static int
string_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  return string_value (w, v, f->arg, FIELD (char *, base, f));
}

static bool
string_present (const void *base, const struct sj_field *f)
{
  return *CFIELD (char *, base, f) != NULL;
}

static int
string_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  return gen_str (g, *CFIELD (char *, base, f));
}

static bool
string_equal (const void *a, const void *b, const struct sj_field *f)
{
  return str_eq (*CFIELD (char *, a, f), *CFIELD (char *, b, f));
}

static void
string_free (void *base, const struct sj_field *f)
{
  char **p = FIELD (char *, base, f);
  free (*p);
  *p = NULL;
}

const struct sj_type sj_string = {
  SJ_K_STRING, string_parse, string_present, string_gen, string_equal, string_free,
};

static int
strv_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  char ***dst = FIELD (char **, base, f);
  size_t i;

  *dst = xcalloc (v->len + 1, sizeof (char *));
  for (i = 0; i < v->len; i++)
    {
      size_t saved = sj_push_index (w, i);
      int r = check_kind (w, v->items[i], SJ_K_STRING);
      if (r == 0)
        r = string_value (w, v->items[i], f->arg, &(*dst)[i]);
      sj_pop (w, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

static bool
strv_present (const void *base, const struct sj_field *f)
{
  return *CFIELD (char **, base, f) != NULL;
}

static int
strv_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  char *const *v = *CFIELD (char **, base, f);
  int r = gen_ok (yajl_gen_array_open (g));

  for (; r == 0 && *v; v++)
    r = gen_str (g, *v);
  return r < 0 ? r : gen_ok (yajl_gen_array_close (g));
}

static bool
strv_equal (const void *a, const void *b, const struct sj_field *f)
{
  char *const *x = *CFIELD (char **, a, f);
  char *const *y = *CFIELD (char **, b, f);

  if (x == NULL || y == NULL)
    return x == y;
  for (; *x && *y; x++, y++)
    if (strcmp (*x, *y) != 0)
      return false;
  return *x == NULL && *y == NULL;
}

static void
strv_free_member (void *base, const struct sj_field *f)
{
  char ***p = FIELD (char **, base, f);
  strv_free (*p);
  *p = NULL;
}

const struct sj_type sj_strv = {
  SJ_K_ARRAY, strv_parse, strv_present, strv_gen, strv_equal, strv_free_member,
};

/* ---- booleans -------------------------------------------------------- */

static int
bool_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  (void) w;
  *FIELD (bool, base, f) = v->boolean;
  return 0;
}

static bool
bool_present (const void *base, const struct sj_field *f)
{
  return !(f->flags & SJ_OMIT_ZERO) || *CFIELD (bool, base, f);
}

static int
bool_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  return gen_ok (yajl_gen_bool (g, *CFIELD (bool, base, f)));
}

static bool
bool_equal (const void *a, const void *b, const struct sj_field *f)
{
  return *CFIELD (bool, a, f) == *CFIELD (bool, b, f);
}

const struct sj_type sj_bool = { SJ_K_BOOLEAN, bool_parse, bool_present, bool_gen, bool_equal, NULL };

static int
opt_bool_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  struct spec_opt_bool *o = FIELD (struct spec_opt_bool, base, f);
  (void) w;
  o->set = true;
  o->value = v->boolean;
  return 0;
}

static bool
opt_bool_present (const void *base, const struct sj_field *f)
{
  return CFIELD (struct spec_opt_bool, base, f)->set;
}

static int
opt_bool_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  return gen_ok (yajl_gen_bool (g, CFIELD (struct spec_opt_bool, base, f)->value));
}

static bool
opt_bool_equal (const void *a, const void *b, const struct sj_field *f)
{
  const struct spec_opt_bool *x = CFIELD (struct spec_opt_bool, a, f);
  const struct spec_opt_bool *y = CFIELD (struct spec_opt_bool, b, f);
  return x->set == y->set && (!x->set || x->value == y->value);
}

const struct sj_type sj_opt_bool = {
  SJ_K_BOOLEAN, opt_bool_parse, opt_bool_present, opt_bool_gen, opt_bool_equal, NULL,
};

/* ---- integers -------------------------------------------------------- */

struct int_limits
{
  const char *name;
  bool is_signed;
  int64_t min;
  uint64_t max;
};

static const struct int_limits L_U16 = { "uint16", false, 0, UINT16_MAX };
static const struct int_limits L_U32 = { "uint32", false, 0, UINT32_MAX };
static const struct int_limits L_U64 = { "uint64", false, 0, UINT64_MAX };
static const struct int_limits L_I32 = { "int32", true, INT32_MIN, INT32_MAX };
static const struct int_limits L_I64 = { "int64", true, INT64_MIN, INT64_MAX };

/* The text of an integer (the kind check ensured -?[0-9]+) as the C type
 * described by L, then within R when given.  Returns the value as int64 for
 * signed types and uint64 for unsigned ones.  */
/* Numbers in messages are cut short: the text can be any length.  */
#define NUM_FMT "%.*s%s"
#define NUM_ARGS(v)                                                                                          \
  (int) ((v)->text_len > 40 ? 40 : (v)->text_len), (v)->text, (v)->text_len > 40 ? "..." : ""

static int
integer_value (struct sj_walk *w, const struct sj_node *v, const struct int_limits *l,
               const struct sj_range *r, int64_t *ret_s, uint64_t *ret_u)
{
  const char *p = v->text;
  bool neg = false, overflow = false;
  uint64_t mag = 0;
  int64_t s = 0;

  if (*p == '-')
    {
      neg = true;
      p++;
    }
  for (; *p; p++)
    {
      unsigned d = (unsigned) (*p - '0');
      if (mag > (UINT64_MAX - d) / 10)
        overflow = true;
      else
        mag = mag * 10 + d;
    }
  if (mag == 0)
    neg = false; /* -0 is 0 */

  if (overflow)
    return sj_error (w, NUM_FMT " is out of range for %s", NUM_ARGS (v), l->name);
  if (!l->is_signed)
    {
      if (neg || mag > l->max)
        return sj_error (w, NUM_FMT " is out of range for %s", NUM_ARGS (v), l->name);
      s = mag <= INT64_MAX ? (int64_t) mag : INT64_MAX;
    }
  else if (neg)
    {
      /* -(min) as unsigned, without overflowing on INT64_MIN.  */
      uint64_t limit = (uint64_t) (-(l->min + 1)) + 1;
      if (mag > limit)
        return sj_error (w, NUM_FMT " is out of range for %s", NUM_ARGS (v), l->name);
      s = mag == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) mag;
    }
  else
    {
      if (mag > l->max)
        return sj_error (w, NUM_FMT " is out of range for %s", NUM_ARGS (v), l->name);
      s = (int64_t) mag;
    }

  if (r && !(r->zero_unset && s == 0) && (s < r->min || s > r->max))
    return sj_error (w, NUM_FMT " is out of range %" PRId64 "..%" PRId64 "%s", NUM_ARGS (v), r->min, r->max,
                     r->zero_unset ? " (or 0 for unset)" : "");
  *ret_s = s;
  *ret_u = mag;
  return 0;
}

/* Plain integers: the member always holds a value; SJ_OMIT_ZERO leaves 0
 * out when writing.  Optional ones are spec_opt_* with a `set` flag.  */
#define INT_TYPES(tag, ctype, opttype, limits, is_signed_)                                                   \
  static int tag##_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)  \
  {                                                                                                          \
    int64_t s;                                                                                               \
    uint64_t u;                                                                                              \
    int r = integer_value (w, v, &(limits), f->arg, &s, &u);                                                 \
    if (r < 0)                                                                                               \
      return r;                                                                                              \
    *FIELD (ctype, base, f) = is_signed_ ? (ctype) s : (ctype) u;                                            \
    return 0;                                                                                                \
  }                                                                                                          \
  static bool tag##_present (const void *base, const struct sj_field *f)                                     \
  {                                                                                                          \
    return !(f->flags & SJ_OMIT_ZERO) || *CFIELD (ctype, base, f) != 0;                                      \
  }                                                                                                          \
  static int tag##_gen (yajl_gen g, const void *base, const struct sj_field *f)                              \
  {                                                                                                          \
    return is_signed_ ? gen_i64 (g, (int64_t) *CFIELD (ctype, base, f))                                      \
                      : gen_u64 (g, (uint64_t) *CFIELD (ctype, base, f));                                    \
  }                                                                                                          \
  static bool tag##_equal (const void *a, const void *b, const struct sj_field *f)                           \
  {                                                                                                          \
    return *CFIELD (ctype, a, f) == *CFIELD (ctype, b, f);                                                   \
  }                                                                                                          \
  static int opt_##tag##_parse (struct sj_walk *w, const struct sj_node *v, void *base,                      \
                                const struct sj_field *f)                                                    \
  {                                                                                                          \
    opttype *o = FIELD (opttype, base, f);                                                                   \
    int64_t s;                                                                                               \
    uint64_t u;                                                                                              \
    int r = integer_value (w, v, &(limits), f->arg, &s, &u);                                                 \
    if (r < 0)                                                                                               \
      return r;                                                                                              \
    o->value = is_signed_ ? (ctype) s : (ctype) u;                                                           \
    o->set = true;                                                                                           \
    return 0;                                                                                                \
  }                                                                                                          \
  static bool opt_##tag##_present (const void *base, const struct sj_field *f)                               \
  {                                                                                                          \
    return CFIELD (opttype, base, f)->set;                                                                   \
  }                                                                                                          \
  static int opt_##tag##_gen (yajl_gen g, const void *base, const struct sj_field *f)                        \
  {                                                                                                          \
    const opttype *o = CFIELD (opttype, base, f);                                                            \
    return is_signed_ ? gen_i64 (g, (int64_t) o->value) : gen_u64 (g, (uint64_t) o->value);                  \
  }                                                                                                          \
  static bool opt_##tag##_equal (const void *a, const void *b, const struct sj_field *f)                     \
  {                                                                                                          \
    const opttype *x = CFIELD (opttype, a, f), *y = CFIELD (opttype, b, f);                                  \
    return x->set == y->set && (!x->set || x->value == y->value);                                            \
  }                                                                                                          \
  const struct sj_type sj_##tag                                                                              \
      = { SJ_K_INTEGER, tag##_parse, tag##_present, tag##_gen, tag##_equal, NULL };                          \
  const struct sj_type sj_opt_##tag = {                                                                      \
    SJ_K_INTEGER, opt_##tag##_parse, opt_##tag##_present, opt_##tag##_gen, opt_##tag##_equal, NULL,          \
  };

INT_TYPES (u32, uint32_t, struct spec_opt_u32, L_U32, false)
INT_TYPES (i32, int32_t, struct spec_opt_i32, L_I32, true)
INT_TYPES (i64, int64_t, struct spec_opt_i64, L_I64, true)
INT_TYPES (u64, uint64_t, struct spec_opt_u64, L_U64, false)

/* uint16 values kept in a spec_opt_u32 (blkio weights).  */
static int
opt_u16_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  struct spec_opt_u32 *o = FIELD (struct spec_opt_u32, base, f);
  int64_t s;
  uint64_t u;
  int r = integer_value (w, v, &L_U16, f->arg, &s, &u);
  if (r < 0)
    return r;
  o->value = (uint32_t) u;
  o->set = true;
  return 0;
}

const struct sj_type sj_opt_u16 = {
  SJ_K_INTEGER, opt_u16_parse, opt_u32_present, opt_u32_gen, opt_u32_equal, NULL,
};

static int
u32_array_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  uint32_t **dst = FIELD (uint32_t *, base, f);
  size_t i;

  *dst = xcalloc (v->len ? v->len : 1, sizeof (uint32_t));
  *LEN (base, f) = v->len;
  for (i = 0; i < v->len; i++)
    {
      size_t saved = sj_push_index (w, i);
      int64_t s;
      uint64_t u;
      int r = check_kind (w, v->items[i], SJ_K_INTEGER);
      if (r == 0)
        r = integer_value (w, v->items[i], &L_U32, f->arg, &s, &u);
      sj_pop (w, saved);
      if (r < 0)
        return r;
      (*dst)[i] = (uint32_t) u;
    }
  return 0;
}

static bool
array_present (const void *base, const struct sj_field *f)
{
  return *CFIELD (void *, base, f) != NULL;
}

static int
u32_array_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  const uint32_t *v = *CFIELD (uint32_t *, base, f);
  size_t i, n = *CLEN (base, f);
  int r = gen_ok (yajl_gen_array_open (g));

  for (i = 0; r == 0 && i < n; i++)
    r = gen_u64 (g, v[i]);
  return r < 0 ? r : gen_ok (yajl_gen_array_close (g));
}

static bool
u32_array_equal (const void *a, const void *b, const struct sj_field *f)
{
  const uint32_t *x = *CFIELD (uint32_t *, a, f), *y = *CFIELD (uint32_t *, b, f);
  size_t n = *CLEN (a, f);

  if (x == NULL || y == NULL)
    return x == y;
  return n == *CLEN (b, f) && (n == 0 || memcmp (x, y, n * sizeof (*x)) == 0);
}

static void
array_free (void *base, const struct sj_field *f)
{
  void **p = FIELD (void *, base, f);
  free (*p);
  *p = NULL;
  *LEN (base, f) = 0;
}

const struct sj_type sj_u32_array = {
  SJ_K_ARRAY, u32_array_parse, array_present, u32_array_gen, u32_array_equal, array_free,
};

/* ---- objects --------------------------------------------------------- */

static const struct sj_field *
find_field (const struct sj_object *desc, const char *key, size_t key_len)
{
  size_t i;
  for (i = 0; i < desc->n_fields; i++)
    if (strlen (desc->fields[i].name) == key_len && memcmp (desc->fields[i].name, key, key_len) == 0)
      return &desc->fields[i];
  return NULL;
}

int
sj_walk_object (struct sj_walk *w, const struct sj_node *node, const struct sj_object *desc, void *obj)
{
  uint64_t seen = 0;
  size_t i;
  int r;

  /* `seen` has a bit per field; no table comes close to 64 entries.  */
  if (desc->n_fields > 64)
    abort ();
  r = check_kind (w, node, SJ_K_OBJECT);
  if (r < 0)
    return r;

  for (i = 0; i < node->len; i++)
    {
      const struct sj_member *m = &node->members[i];
      const struct sj_field *f = find_field (desc, m->key, m->key_len);
      uint64_t bit;
      size_t saved;

      /* Unknown properties are ignored: the spec reserves them for
       * extensions and later versions.  */
      if (f == NULL)
        continue;
      bit = UINT64_C (1) << (f - desc->fields);
      saved = sj_push_field (w, f->name);
      if (seen & bit)
        r = sj_error (w, "duplicate property");
      else
        {
          seen |= bit;
          r = check_kind (w, m->value, f->type->kind);
          if (r == 0)
            r = f->type->parse (w, m->value, obj, f);
        }
      sj_pop (w, saved);
      if (r < 0)
        return r;
    }

  for (i = 0; i < desc->n_fields; i++)
    if ((desc->fields[i].flags & SJ_MANDATORY) && !(seen & (UINT64_C (1) << i)))
      {
        size_t saved = sj_push_field (w, desc->fields[i].name);
        r = sj_error (w, "required");
        sj_pop (w, saved);
        return r;
      }

  return desc->check ? desc->check (w, node, obj) : 0;
}

int
sj_gen_fields (yajl_gen g, const struct sj_object *desc, const void *obj)
{
  size_t i;
  int r;

  for (i = 0; i < desc->n_fields; i++)
    {
      const struct sj_field *f = &desc->fields[i];
      if (!f->type->present (obj, f))
        continue;
      r = gen_str (g, f->name);
      if (r == 0)
        r = f->type->gen (g, obj, f);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
gen_object (yajl_gen g, const struct sj_object *desc, const void *obj)
{
  int r = gen_ok (yajl_gen_map_open (g));
  if (r == 0)
    r = sj_gen_fields (g, desc, obj);
  return r < 0 ? r : gen_ok (yajl_gen_map_close (g));
}

bool
sj_equal_object (const struct sj_object *desc, const void *a, const void *b)
{
  size_t i;

  if (a == NULL || b == NULL)
    return a == b;
  for (i = 0; i < desc->n_fields; i++)
    if (!desc->fields[i].type->equal (a, b, &desc->fields[i]))
      return false;
  return true;
}

void
sj_free_fields (const struct sj_object *desc, void *obj)
{
  size_t i;

  if (obj == NULL)
    return;
  for (i = 0; i < desc->n_fields; i++)
    if (desc->fields[i].type->free)
      desc->fields[i].type->free (obj, &desc->fields[i]);
}

void
sj_free_object (const struct sj_object *desc, void *obj)
{
  sj_free_fields (desc, obj);
  free (obj);
}

/* A pointer to a struct of its own, NULL when absent.  */
static int
object_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  const struct sj_object *desc = f->arg;
  void **slot = FIELD (void *, base, f);

  *slot = xmalloc0 (desc->size);
  return sj_walk_object (w, v, desc, *slot);
}

static bool
object_present (const void *base, const struct sj_field *f)
{
  return *CFIELD (void *, base, f) != NULL;
}

static int
object_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  return gen_object (g, f->arg, *CFIELD (void *, base, f));
}

static bool
object_equal (const void *a, const void *b, const struct sj_field *f)
{
  return sj_equal_object (f->arg, *CFIELD (void *, a, f), *CFIELD (void *, b, f));
}

static void
object_free (void *base, const struct sj_field *f)
{
  void **slot = FIELD (void *, base, f);
  sj_free_object (f->arg, *slot);
  *slot = NULL;
}

const struct sj_type sj_object = {
  SJ_K_OBJECT, object_parse, object_present, object_gen, object_equal, object_free,
};

/* A struct inside its parent.  With SJ_HAS_FLAG, a bool at `aux` says
 * whether it was given.  The nested table's offsets are relative to
 * base + offset, so an offset of 0 lets a JSON object fill members of the
 * parent itself (resources.pids -> has_pids, pids_limit).  */
static int
embedded_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  if (f->flags & SJ_HAS_FLAG)
    *MEMBER (bool, base, f->aux) = true;
  return sj_walk_object (w, v, f->arg, FIELD (char, base, f));
}

static bool
embedded_present (const void *base, const struct sj_field *f)
{
  return !(f->flags & SJ_HAS_FLAG) || *CMEMBER (bool, base, f->aux);
}

static int
embedded_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  return gen_object (g, f->arg, CFIELD (char, base, f));
}

static bool
embedded_equal (const void *a, const void *b, const struct sj_field *f)
{
  if (f->flags & SJ_HAS_FLAG)
    {
      bool x = *CMEMBER (bool, a, f->aux), y = *CMEMBER (bool, b, f->aux);
      if (x != y)
        return false;
      if (!x)
        return true;
    }
  return sj_equal_object (f->arg, CFIELD (char, a, f), CFIELD (char, b, f));
}

static void
embedded_free (void *base, const struct sj_field *f)
{
  sj_free_fields (f->arg, FIELD (char, base, f));
}

const struct sj_type sj_embedded = {
  SJ_K_OBJECT, embedded_parse, embedded_present, embedded_gen, embedded_equal, embedded_free,
};

/* Arrays of structs: the pointer is non-NULL when the array was given,
 * even empty, so that presence survives a round trip.  The array and its
 * length are stored before the entries are parsed, so a failure leaves
 * zeroed entries that free cleanly.  */
static void *
array_alloc (void *base, const struct sj_field *f, size_t n, size_t size)
{
  void *arr = xcalloc (n ? n : 1, size);
  *FIELD (void *, base, f) = arr;
  *LEN (base, f) = n;
  return arr;
}

static int
object_array_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  const struct sj_object *desc = f->arg;
  char *arr = array_alloc (base, f, v->len, desc->size);
  size_t i;

  for (i = 0; i < v->len; i++)
    {
      size_t saved = sj_push_index (w, i);
      int r = sj_walk_object (w, v->items[i], desc, arr + i * desc->size);
      sj_pop (w, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
object_array_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  const struct sj_object *desc = f->arg;
  const char *arr = *CFIELD (char *, base, f);
  size_t i, n = *CLEN (base, f);
  int r = gen_ok (yajl_gen_array_open (g));

  for (i = 0; r == 0 && i < n; i++)
    r = gen_object (g, desc, arr + i * desc->size);
  return r < 0 ? r : gen_ok (yajl_gen_array_close (g));
}

static bool
object_array_equal_with (const struct sj_object *desc, const void *a, const void *b, const struct sj_field *f,
                         bool keyed)
{
  const char *x = *CFIELD (char *, a, f), *y = *CFIELD (char *, b, f);
  size_t i, n = *CLEN (a, f);

  if (x == NULL || y == NULL)
    return x == y;
  if (n != *CLEN (b, f))
    return false;
  for (i = 0; i < n; i++)
    {
      const char *ex = x + i * desc->size, *ey = y + i * desc->size;
      if (keyed && !str_eq (*(char *const *) ex, *(char *const *) ey))
        return false;
      if (!sj_equal_object (desc, ex, ey))
        return false;
    }
  return true;
}

static bool
object_array_equal (const void *a, const void *b, const struct sj_field *f)
{
  return object_array_equal_with (f->arg, a, b, f, false);
}

static void
object_array_free_with (const struct sj_object *desc, void *base, const struct sj_field *f, bool keyed)
{
  char *arr = *FIELD (char *, base, f);
  size_t i, n = *LEN (base, f);

  if (arr)
    for (i = 0; i < n; i++)
      {
        if (keyed)
          free (*(char **) (arr + i * desc->size));
        sj_free_fields (desc, arr + i * desc->size);
      }
  array_free (base, f);
}

static void
object_array_free (void *base, const struct sj_field *f)
{
  object_array_free_with (f->arg, base, f, false);
}

const struct sj_type sj_object_array = {
  SJ_K_ARRAY, object_array_parse, array_present, object_array_gen, object_array_equal, object_array_free,
};

static int
compare_members (const void *a, const void *b, void *data)
{
  const struct sj_node *v = data;
  const struct sj_member *x = &v->members[*(const size_t *) a];
  const struct sj_member *y = &v->members[*(const size_t *) b];
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp (x->key, y->key, n);

  if (c == 0 && x->key_len != y->key_len)
    c = x->key_len < y->key_len ? -1 : 1;
  if (c == 0)
    c = *(const size_t *) a < *(const size_t *) b ? -1 : 1;
  return c;
}

/* The index of the first member, in document order, whose key appeared
 * before; V->len when keys are unique.  Sorting keeps this O(n log n) for
 * maps with many keys.  */
static size_t
first_repeated_key (const struct sj_node *v)
{
  _cleanup_free_ size_t *order = NULL;
  size_t i, first = v->len;

  if (v->len < 2)
    return v->len;
  order = xcalloc (v->len, sizeof (size_t));
  for (i = 0; i < v->len; i++)
    order[i] = i;
  qsort_r (order, v->len, sizeof (size_t), compare_members, (void *) v);
  for (i = 1; i < v->len; i++)
    {
      const struct sj_member *x = &v->members[order[i - 1]], *y = &v->members[order[i]];
      if (x->key_len == y->key_len && memcmp (x->key, y->key, x->key_len) == 0 && order[i] < first)
        first = order[i];
    }
  return first;
}

/* The checks every key of a JSON map gets: a C string, non-empty, unique
 * (the JSON grammar allows repeated keys; which one wins is undefined).
 * REPEATED is first_repeated_key's answer.  */
static int
map_key_check (struct sj_walk *w, const struct sj_node *v, size_t i, size_t repeated,
               const struct sj_check *check)
{
  const struct sj_member *m = &v->members[i];

  if (memchr (m->key, '\0', m->key_len) != NULL)
    return sj_error (w, "key contains a NUL character");
  if (m->key_len == 0)
    return sj_error (w, "empty key");
  if (i == repeated)
    return sj_error (w, "duplicate key");
  return run_check (w, check, m->key);
}

static int
keyed_array_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  const struct sj_keyed *k = f->arg;
  const struct sj_object *desc = k->entry;
  char *arr = array_alloc (base, f, v->len, desc->size);
  size_t i, repeated = first_repeated_key (v);

  for (i = 0; i < v->len; i++)
    {
      const struct sj_member *m = &v->members[i];
      size_t saved = sj_push_key (w, m->key, m->key_len);
      int r = map_key_check (w, v, i, repeated, &k->key_check);
      if (r == 0)
        {
          *(char **) (arr + i * desc->size) = xstrdup (m->key);
          r = sj_walk_object (w, m->value, desc, arr + i * desc->size);
        }
      sj_pop (w, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
keyed_array_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  const struct sj_keyed *k = f->arg;
  const char *arr = *CFIELD (char *, base, f);
  size_t i, n = *CLEN (base, f);
  int r = gen_ok (yajl_gen_map_open (g));

  for (i = 0; r == 0 && i < n; i++)
    {
      const char *e = arr + i * k->entry->size;
      r = gen_str (g, *(char *const *) e);
      if (r == 0)
        r = gen_object (g, k->entry, e);
    }
  return r < 0 ? r : gen_ok (yajl_gen_map_close (g));
}

static bool
keyed_array_equal (const void *a, const void *b, const struct sj_field *f)
{
  const struct sj_keyed *k = f->arg;
  return object_array_equal_with (k->entry, a, b, f, true);
}

static void
keyed_array_free (void *base, const struct sj_field *f)
{
  const struct sj_keyed *k = f->arg;
  object_array_free_with (k->entry, base, f, true);
}

const struct sj_type sj_keyed_array = {
  SJ_K_OBJECT, keyed_array_parse, array_present, keyed_array_gen, keyed_array_equal, keyed_array_free,
};

static int
map_parse (struct sj_walk *w, const struct sj_node *v, void *base, const struct sj_field *f)
{
  struct spec_kv *kv = array_alloc (base, f, v->len, sizeof (struct spec_kv));
  size_t i, repeated = first_repeated_key (v);

  for (i = 0; i < v->len; i++)
    {
      const struct sj_member *m = &v->members[i];
      size_t saved = sj_push_key (w, m->key, m->key_len);
      int r = map_key_check (w, v, i, repeated, f->arg);
      if (r == 0)
        r = check_kind (w, m->value, SJ_K_STRING);
      if (r == 0)
        r = string_value (w, m->value, NULL, &kv[i].value);
      if (r == 0)
        kv[i].key = xstrdup (m->key);
      sj_pop (w, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
map_gen (yajl_gen g, const void *base, const struct sj_field *f)
{
  const struct spec_kv *kv = *CFIELD (struct spec_kv *, base, f);
  size_t i, n = *CLEN (base, f);
  int r = gen_ok (yajl_gen_map_open (g));

  for (i = 0; r == 0 && i < n; i++)
    {
      r = gen_str (g, kv[i].key);
      if (r == 0)
        r = gen_str (g, kv[i].value);
    }
  return r < 0 ? r : gen_ok (yajl_gen_map_close (g));
}

static bool
map_equal (const void *a, const void *b, const struct sj_field *f)
{
  const struct spec_kv *x = *CFIELD (struct spec_kv *, a, f), *y = *CFIELD (struct spec_kv *, b, f);
  size_t i, n = *CLEN (a, f);

  if (x == NULL || y == NULL)
    return x == y;
  if (n != *CLEN (b, f))
    return false;
  for (i = 0; i < n; i++)
    if (!str_eq (x[i].key, y[i].key) || !str_eq (x[i].value, y[i].value))
      return false;
  return true;
}

static void
map_free (void *base, const struct sj_field *f)
{
  struct spec_kv *kv = *FIELD (struct spec_kv *, base, f);
  size_t i, n = *LEN (base, f);

  if (kv)
    for (i = 0; i < n; i++)
      {
        free (kv[i].key);
        free (kv[i].value);
      }
  array_free (base, f);
}

const struct sj_type sj_map = { SJ_K_OBJECT, map_parse, array_present, map_gen, map_equal, map_free };

/* ---- documents ------------------------------------------------------- */

int
sj_parse_document (const char *file, const char *data, size_t len, const struct sj_object *desc, void **ret,
                   rv_error_t *err)
{
  struct sj_walk w = { .file = file, .err = err };
  struct sj_node *tree = NULL;
  void *obj;
  int r;

  if (len > SJ_MAX_DOCUMENT)
    return rv_error_set (err, EFBIG, "%s: larger than %u bytes", file, SJ_MAX_DOCUMENT);
  r = sj_tree_parse (file, data, len, &tree, err);
  if (r < 0)
    return r;

  obj = xmalloc0 (desc->size);
  r = sj_walk_object (&w, tree, desc, obj);
  sj_tree_free (tree);
  free (w.path);
  if (r < 0)
    {
      sj_free_object (desc, obj);
      return r;
    }
  *ret = obj;
  return 0;
}

int
sj_load_document (const char *path, const struct sj_object *desc, void **ret, rv_error_t *err)
{
  _cleanup_free_ char *data = NULL;
  const char *name = strrchr (path, '/');
  size_t len;
  int r;

  r = read_file (path, SJ_MAX_DOCUMENT + 1, &data, &len, err);
  if (r < 0)
    return r;
  return sj_parse_document (name ? name + 1 : path, data, len, desc, ret, err);
}

char *
sj_gen_document (const struct sj_object *desc, const void *obj, bool beautify)
{
  yajl_gen g;
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  if (obj == NULL)
    return NULL;
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return NULL;
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  if (beautify)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "\t");
    }
  if (gen_object (g, desc, obj) == 0 && yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    out = mem_dup0 ((const char *) buf, len);
  yajl_gen_free (g);
  return out;
}
