#include <string.h>
#include <yajl/yajl_gen.h>

#include "common/utils.h"
#include "runtime/json_gen.h"

struct rt_json
{
  yajl_gen gen;
  char *buf;
  size_t len;
  size_t cap;
};

static void
append (struct rt_json *j, const char *s, size_t n)
{
  if (j->cap - j->len <= n)
    {
      j->cap = (j->cap + n) * 2 + 64;
      j->buf = xrealloc (j->buf, j->cap);
    }
  memcpy (j->buf + j->len, s, n);
  j->len += n;
  j->buf[j->len] = '\0';
}

/* yajl hands over escapes as chunks of their own ("\\b", "\\u001F") and
 * never puts a backslash in a chunk of plain text, so an escape is
 * recognised by the whole chunk; `<`, `>`, `&` and U+2028/9 occur only
 * inside strings in JSON text, so they can be replaced wherever they are.  */
static void
print_cb (void *ctx, const char *s, size_t n)
{
  struct rt_json *j = ctx;
  size_t i, start = 0;
  char esc[8];

  if (n == 2 && s[0] == '\\' && (s[1] == 'b' || s[1] == 'f'))
    {
      append (j, s[1] == 'b' ? "\\u0008" : "\\u000c", 6);
      return;
    }
  if (n == 6 && s[0] == '\\' && s[1] == 'u')
    {
      memcpy (esc, s, 6);
      for (i = 2; i < 6; i++)
        if (esc[i] >= 'A' && esc[i] <= 'F')
          esc[i] = (char) (esc[i] - 'A' + 'a');
      append (j, esc, 6);
      return;
    }
  for (i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) s[i];
      const char *rep = NULL;
      size_t skip = 1;

      if (c == '<')
        rep = "\\u003c";
      else if (c == '>')
        rep = "\\u003e";
      else if (c == '&')
        rep = "\\u0026";
      else if (c == 0xe2 && i + 2 < n && (unsigned char) s[i + 1] == 0x80
               && ((unsigned char) s[i + 2] == 0xa8 || (unsigned char) s[i + 2] == 0xa9))
        {
          rep = (unsigned char) s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
          skip = 3;
        }
      if (rep == NULL)
        continue;
      append (j, s + start, i - start);
      append (j, rep, strlen (rep));
      i += skip - 1;
      start = i + 1;
    }
  append (j, s + start, n - start);
}

struct rt_json *
rt_json_new (const char *indent)
{
  struct rt_json *j = xmalloc0 (sizeof (*j));

  j->gen = yajl_gen_alloc (NULL);
  if (j->gen == NULL)
    abort ();
  yajl_gen_config (j->gen, yajl_gen_print_callback, print_cb, j);
  if (indent)
    {
      yajl_gen_config (j->gen, yajl_gen_beautify, 1);
      yajl_gen_config (j->gen, yajl_gen_indent_string, indent);
    }
  append (j, "", 0);
  return j;
}

void
rt_json_free (struct rt_json *j)
{
  if (j == NULL)
    return;
  yajl_gen_free (j->gen);
  free (j->buf);
  free (j);
}

char *
rt_json_finish (struct rt_json *j, size_t *ret_len)
{
  char *buf;

  /* yajl ends an indented document with a newline; Go's MarshalIndent
   * does not.  */
  while (j->len > 0 && j->buf[j->len - 1] == '\n')
    j->buf[--j->len] = '\0';
  if (ret_len)
    *ret_len = j->len;
  buf = TAKE_PTR (j->buf);
  rt_json_free (j);
  return buf;
}

void
rt_json_map_open (struct rt_json *j)
{
  yajl_gen_map_open (j->gen);
}

void
rt_json_map_close (struct rt_json *j)
{
  yajl_gen_map_close (j->gen);
}

void
rt_json_array_open (struct rt_json *j)
{
  yajl_gen_array_open (j->gen);
}

void
rt_json_array_close (struct rt_json *j)
{
  yajl_gen_array_close (j->gen);
}

void
rt_json_null (struct rt_json *j)
{
  yajl_gen_null (j->gen);
}

void
rt_json_str (struct rt_json *j, const char *s)
{
  if (s == NULL)
    s = "";
  yajl_gen_string (j->gen, (const unsigned char *) s, strlen (s));
}

void
rt_json_int (struct rt_json *j, int64_t v)
{
  yajl_gen_integer (j->gen, (long long) v);
}

void
rt_json_uint (struct rt_json *j, uint64_t v)
{
  char num[24];
  int n = snprintf (num, sizeof (num), "%llu", (unsigned long long) v);

  /* yajl_gen_integer takes a signed long long; values above INT64_MAX
   * (RLIMIT_INFINITY) go through as number text.  */
  yajl_gen_number (j->gen, num, (size_t) n);
}

void
rt_json_bool (struct rt_json *j, bool v)
{
  yajl_gen_bool (j->gen, v);
}

void
rt_json_key (struct rt_json *j, const char *key)
{
  rt_json_str (j, key);
}

void
rt_json_kstr (struct rt_json *j, const char *key, const char *s)
{
  rt_json_key (j, key);
  rt_json_str (j, s);
}

void
rt_json_kint (struct rt_json *j, const char *key, int64_t v)
{
  rt_json_key (j, key);
  rt_json_int (j, v);
}

void
rt_json_kuint (struct rt_json *j, const char *key, uint64_t v)
{
  rt_json_key (j, key);
  rt_json_uint (j, v);
}

void
rt_json_kbool (struct rt_json *j, const char *key, bool v)
{
  rt_json_key (j, key);
  rt_json_bool (j, v);
}

void
rt_json_kstrv (struct rt_json *j, const char *key, char *const *v)
{
  rt_json_key (j, key);
  rt_json_array_open (j);
  for (; v && *v; v++)
    rt_json_str (j, *v);
  rt_json_array_close (j);
}
