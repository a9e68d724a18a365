#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"
#include "runtime/tabwriter.h"

#define MAX_NAMES 4

/* Splits "bundle, b" into its names; returns how many.  */
static size_t
flag_names (const char *spec, char names[MAX_NAMES][64])
{
  size_t n = 0;
  const char *p = spec;

  while (*p && n < MAX_NAMES)
    {
      const char *end = strchr (p, ',');
      size_t len;

      if (end == NULL)
        end = p + strlen (p);
      while (p < end && *p == ' ')
        p++;
      len = (size_t) (end - p);
      while (len > 0 && p[len - 1] == ' ')
        len--;
      if (len >= 64)
        len = 63;
      memcpy (names[n], p, len);
      names[n][len] = '\0';
      n++;
      p = *end ? end + 1 : end;
    }
  return n;
}

/* Go's strconv.Quote for the ASCII range, used where Go prints %q.  */
static char *
go_quote (const char *s)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    abort ();
  fputc ('"', f);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c == '\n')
        fputs ("\\n", f);
      else if (c == '\t')
        fputs ("\\t", f);
      else if (c == '\r')
        fputs ("\\r", f);
      else if (c < 0x20 || c == 0x7f)
        fprintf (f, "\\x%02x", c);
      else
        fputc (c, f);
    }
  fputc ('"', f);
  if (fclose (f) != 0)
    abort ();
  return buf;
}

int
cli_parse_bool (const char *s, bool *ret)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (yes); i++)
    if (strcmp (s, yes[i]) == 0)
      {
        *ret = true;
        return 0;
      }
  for (i = 0; i < ARRAY_SIZE (no); i++)
    if (strcmp (s, no[i]) == 0)
      {
        *ret = false;
        return 0;
      }
  return -EINVAL;
}

/* Go's strconv.ParseInt (s, 0, 64): an optional sign, then a 0x, 0o, 0b
 * or 0 (octal) prefix or none; underscores only between digits after a
 * prefix.  -EINVAL (syntax) or -ERANGE.  */
static int
parse_go_int (const char *s, int64_t *ret)
{
  bool neg = false, prefixed = false, any = false, last_us = false;
  unsigned base = 10;
  uint64_t v = 0, limit;

  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    base = 16, s += 2, prefixed = true;
  else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
    base = 8, s += 2, prefixed = true;
  else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
    base = 2, s += 2, prefixed = true;
  else if (s[0] == '0' && s[1] != '\0')
    base = 8, s += 1, prefixed = true, any = true;
  limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
  for (; *s; s++)
    {
      unsigned d;
      if (*s == '_')
        {
          if (!prefixed || last_us)
            return -EINVAL;
          last_us = true;
          continue;
        }
      last_us = false;
      if (*s >= '0' && *s <= '9')
        d = (unsigned) (*s - '0');
      else if (*s >= 'a' && *s <= 'z')
        d = (unsigned) (*s - 'a' + 10);
      else if (*s >= 'A' && *s <= 'Z')
        d = (unsigned) (*s - 'A' + 10);
      else
        return -EINVAL;
      if (d >= base)
        return -EINVAL;
      if (v > (limit - d) / base)
        return -ERANGE;
      v = v * base + d;
      any = true;
    }
  if (!any || last_us)
    return -EINVAL;
  *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
  return 0;
}

int
cli_parse_duration (const char *s, int64_t *ret)
{
  static const struct
  {
    const char *name;
    uint64_t ns;
  } units[] = {
    { "ns", 1ULL },           { "us", 1000ULL },      { "\xc2\xb5s", 1000ULL }, /* U+00B5 micro sign */
    { "\xce\xbcs", 1000ULL },                                                   /* U+03BC Greek mu */
    { "ms", 1000000ULL },     { "s", 1000000000ULL }, { "m", 60000000000ULL },  { "h", 3600000000000ULL },
  };
  bool neg = false;
  uint64_t total = 0;

  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  if (strcmp (s, "0") == 0)
    {
      *ret = 0;
      return 0;
    }
  if (*s == '\0')
    return -EINVAL;
  while (*s)
    {
      uint64_t whole = 0, frac = 0, scale = 1, unit = 0, add;
      bool digits = false;
      size_t i, ulen = 0;

      for (; *s >= '0' && *s <= '9'; s++, digits = true)
        {
          if (whole > (UINT64_MAX - 9) / 10)
            return -EINVAL;
          whole = whole * 10 + (uint64_t) (*s - '0');
        }
      if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
          if (scale < 1000000000000000000ULL)
            {
              frac = frac * 10 + (uint64_t) (*s - '0');
              scale *= 10;
            }
      if (!digits)
        return -EINVAL;
      for (i = 0; i < ARRAY_SIZE (units); i++)
        {
          size_t l = strlen (units[i].name);
          /* The longest unit that matches and is followed by a digit, a
           * '.' or the end: "ms" before "m".  */
          if (strncmp (s, units[i].name, l) == 0 && l > ulen
              && (s[l] == '\0' || s[l] == '.' || (s[l] >= '0' && s[l] <= '9')))
            {
              unit = units[i].ns;
              ulen = l;
            }
        }
      if (unit == 0)
        return -EINVAL;
      s += ulen;
      if (whole > INT64_MAX / unit)
        return -EINVAL;
      add = whole * unit + (uint64_t) ((long double) frac * (long double) unit / (long double) scale);
      if (add > (uint64_t) INT64_MAX - total)
        return -EINVAL;
      total += add;
    }
  *ret = neg ? -(int64_t) total : (int64_t) total;
  return 0;
}

/* Stores VALUE for FLAG in OPTS.  On failure, *RET_MSG (for the
 * "invalid value" message) says why, as Go's flag package words it.  */
static int
set_value (const struct cli_flag *flag, void *opts, const char *value, char **ret_msg)
{
  char *field = (char *) opts + flag->offset;
  int64_t v;
  int r;

  switch (flag->type)
    {
    case CLI_BOOL:
      {
        bool b;
        if (cli_parse_bool (value, &b) < 0)
          {
            *ret_msg = xstrdup ("parse error");
            return -EINVAL;
          }
        *(bool *) field = b;
        return 0;
      }
    case CLI_STRING:
      *(const char **) field = value;
      return 0;
    case CLI_INT:
      r = parse_go_int (value, &v);
      if (r == 0 && (v < INT_MIN || v > INT_MAX))
        r = -ERANGE;
      if (r < 0)
        {
          *ret_msg = xstrdup (r == -ERANGE ? "value out of range" : "parse error");
          return r;
        }
      *(int *) field = (int) v;
      return 0;
    case CLI_DURATION:
      if (cli_parse_duration (value, &v) < 0)
        {
          *ret_msg = xstrdup ("parse error");
          return -EINVAL;
        }
      *(int64_t *) field = v;
      return 0;
    case CLI_STRING_SLICE:
      strv_append ((char ***) field, value);
      return 0;
    case CLI_INT64_SLICE:
      {
        struct cli_i64_list *l = (struct cli_i64_list *) field;
        r = parse_go_int (value, &v);
        if (r < 0)
          {
            _cleanup_free_ char *q = go_quote (value);
            *ret_msg = xasprintf ("strconv.ParseInt: parsing %s: %s", q,
                                  r == -ERANGE ? "value out of range" : "invalid syntax");
            return r;
          }
        l->values = xreallocarray (l->values, l->len + 1, sizeof (int64_t));
        l->values[l->len++] = v;
        return 0;
      }
    }
  return -EINVAL;
}

void
cli_free_opts (const struct cli_flag *flags, void *opts)
{
  const struct cli_flag *f;

  for (f = flags; f && f->name; f++)
    {
      char *field = (char *) opts + f->offset;
      if (f->type == CLI_STRING_SLICE)
        {
          strv_free (*(char ***) field);
          *(char ***) field = NULL;
        }
      else if (f->type == CLI_INT64_SLICE)
        {
          struct cli_i64_list *l = (struct cli_i64_list *) field;
          free (l->values);
          l->values = NULL;
          l->len = 0;
        }
    }
}

int
cli_parse_flags (const struct cli_flag *flags, bool allow_help, char **args, int n, void *opts, bool *given,
                 bool *ret_help, int *ret_next, rv_error_t *err)
{
  unsigned visited[64] = { 0 };
  const struct cli_flag *f;
  size_t nflags = 0, k;
  bool help = false;
  int i = 0;

  for (f = flags; f && f->name; f++, nflags++)
    if (f->value)
      {
        _cleanup_free_ char *msg = NULL;
        if (set_value (f, opts, f->value, &msg) < 0)
          abort (); /* a default that does not parse is a bug in the table.  */
      }
  if (nflags > ARRAY_SIZE (visited))
    abort ();

  while (i < n)
    {
      const char *s = args[i], *name, *eq, *value = NULL;
      char names[MAX_NAMES][64];
      _cleanup_free_ char *fname = NULL;
      size_t fi = 0, ni = 0;
      bool found = false, has_value;

      if (strlen (s) < 2 || s[0] != '-')
        break;
      name = s + 1;
      if (s[1] == '-')
        {
          if (s[2] == '\0')
            {
              i++;
              break;
            }
          name = s + 2;
        }
      if (*name == '\0' || *name == '-' || *name == '=')
        return rv_error_set (err, EINVAL, "bad flag syntax: %s", s);
      i++;
      eq = strchr (name, '=');
      has_value = eq != NULL;
      fname = has_value ? xstrndup (name, (size_t) (eq - name)) : xstrdup (name);
      if (has_value)
        value = eq + 1;

      for (f = flags, fi = 0; f && f->name && !found; f++, fi++)
        {
          size_t nn = flag_names (f->name, names);
          for (ni = 0; ni < nn; ni++)
            if (strcmp (names[ni], fname) == 0)
              {
                found = true;
                break;
              }
          if (found)
            break;
        }
      if (!found)
        {
          if (allow_help && (strcmp (fname, "help") == 0 || strcmp (fname, "h") == 0))
            {
              bool b = true;
              if (has_value && cli_parse_bool (value, &b) < 0)
                {
                  _cleanup_free_ char *q = go_quote (value);
                  return rv_error_set (err, EINVAL, "invalid boolean value %s for -%s: parse error", q,
                                       fname);
                }
              help = b;
              continue;
            }
          return rv_error_set (err, EINVAL, "flag provided but not defined: -%s", fname);
        }

      if (f->type == CLI_BOOL)
        {
          if (!has_value)
            value = "true";
          else
            {
              _cleanup_free_ char *msg = NULL;
              if (set_value (f, opts, value, &msg) < 0)
                {
                  _cleanup_free_ char *q = go_quote (value);
                  return rv_error_set (err, EINVAL, "invalid boolean value %s for -%s: %s", q, fname, msg);
                }
            }
        }
      else if (!has_value)
        {
          if (i >= n)
            return rv_error_set (err, EINVAL, "flag needs an argument: -%s", fname);
          value = args[i++];
        }
      if (f->type != CLI_BOOL || !has_value)
        {
          _cleanup_free_ char *msg = NULL;
          if (set_value (f, opts, value, &msg) < 0)
            {
              _cleanup_free_ char *q = go_quote (value);
              return rv_error_set (err, EINVAL, "invalid value %s for flag -%s: %s", q, fname, msg);
            }
        }
      visited[fi] |= 1U << ni;
    }

  /* urfave's normalizeFlags: two spellings of one flag are refused.  */
  for (f = flags, k = 0; f && f->name; f++, k++)
    {
      char names[MAX_NAMES][64];
      size_t nn = flag_names (f->name, names), a;
      const char *first = NULL;

      for (a = 0; a < nn; a++)
        if (visited[k] & (1U << a))
          {
            if (first)
              return rv_error_set (err, EINVAL, "Cannot use two forms of the same flag: %s %s", names[a],
                                   first);
            first = names[a];
          }
      if (given)
        given[k] = visited[k] != 0;
    }
  if (ret_help)
    *ret_help = help;
  *ret_next = i;
  return 0;
}

char **
cli_reorder_args (char **args, int n)
{
  char **out = xcalloc ((size_t) n + 1, sizeof (char *));
  char **nonflags = xcalloc ((size_t) n + 1, sizeof (char *));
  int i, nf = 0, nn = 0, j;
  bool read_value = false;

  for (i = 0; i < n; i++)
    {
      const char *a = args[i];
      if (strcmp (a, "--") == 0)
        {
          for (; i < n; i++)
            nonflags[nn++] = args[i];
          break;
        }
      if (read_value && a[0] != '-')
        {
          read_value = false;
          out[nf++] = args[i];
          continue;
        }
      read_value = false;
      if (strcmp (a, "-") != 0 && a[0] == '-')
        {
          out[nf++] = args[i];
          read_value = strchr (a, '=') == NULL;
        }
      else
        nonflags[nn++] = args[i];
    }
  for (j = 0; j < nn; j++)
    out[nf++] = nonflags[j];
  free (nonflags);
  return out;
}

bool
cli_given (const struct cli_ctx *ctx, const char *name)
{
  const struct cli_flag *f;
  size_t k;

  for (f = ctx->cmd->flags, k = 0; f && f->name; f++, k++)
    {
      char names[MAX_NAMES][64];
      if (flag_names (f->name, names) > 0 && strcmp (names[0], name) == 0)
        return ctx->given && ctx->given[k];
    }
  return false;
}

char *
cli_flag_line (const struct cli_flag *flag)
{
  char names[MAX_NAMES][64];
  size_t nn = flag_names (flag->name, names), i;
  bool placeholder = flag->type != CLI_BOOL;
  _cleanup_free_ char *def = NULL, *usage = NULL;
  char *line = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&line, &len);
  const char *u, *end;

  if (f == NULL)
    abort ();
  for (i = 0; i < nn; i++)
    fprintf (f, "%s%s%s%s", i ? ", " : "", strlen (names[i]) == 1 ? "-" : "--", names[i],
             placeholder ? " value" : "");
  /* urfave shows the default of scalar flags; a string's is quoted and
   * left out when empty.  */
  if (flag->value && *flag->value && flag->type == CLI_STRING)
    def = go_quote (flag->value);
  else if (flag->value && *flag->value && (flag->type == CLI_INT || flag->type == CLI_DURATION))
    def = xstrdup (flag->value);
  usage = def ? xasprintf ("%s (default: %s)", flag->usage, def) : xstrdup (flag->usage);
  /* strings.TrimSpace */
  for (u = usage; *u == ' ' || *u == '\n'; u++)
    ;
  for (end = u + strlen (u); end > u && (end[-1] == ' ' || end[-1] == '\n'); end--)
    ;
  fprintf (f, "\t%.*s", (int) (end - u), u);
  if (fclose (f) != 0)
    abort ();
  return line;
}

int
cli_take_id (const struct cli_ctx *ctx, const char **ret_id, rv_error_t *err)
{
  int ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  *ret_id = ctx->argv[0];
  return 0;
}

char *
cli_command_help (const char *prog, const struct cli_command *cmd)
{
  _cleanup_free_ char *raw = NULL;
  const struct cli_flag *fl;
  bool visible = false;
  size_t len = 0;
  FILE *f;

  for (fl = cmd->flags; fl && fl->name; fl++)
    if (!fl->hidden)
      visible = true;

  f = open_memstream (&raw, &len);
  if (f == NULL)
    abort ();
  fprintf (f, "NAME:\n   %s %s - %s\n\nUSAGE:\n   %s %s%s %s", prog, cmd->name, cmd->usage, prog, cmd->name,
           visible ? " [command options]" : "", cmd->args_usage ? cmd->args_usage : "[arguments...]");
  if (cmd->description)
    fprintf (f, "\n\nDESCRIPTION:\n   %s", cmd->description);
  if (visible)
    {
      fputs ("\n\nOPTIONS:\n   ", f);
      for (fl = cmd->flags; fl && fl->name; fl++)
        {
          _cleanup_free_ char *line = NULL;
          if (fl->hidden)
            continue;
          line = cli_flag_line (fl);
          fprintf (f, "%s\n   ", line);
        }
    }
  fputc ('\n', f);
  if (fclose (f) != 0)
    abort ();
  return tabwriter_format (raw, 1, 2, ' ');
}

int
cli_check_args (const struct cli_ctx *ctx, int expected, enum cli_args_check check, rv_error_t *err)
{
  const char *what = NULL;
  _cleanup_free_ char *help = NULL;

  switch (check)
    {
    case CLI_EXACT_ARGS:
      if (ctx->argc != expected)
        what = "exactly";
      break;
    case CLI_MIN_ARGS:
      if (ctx->argc < expected)
        what = "a minimum of";
      break;
    case CLI_MAX_ARGS:
      if (ctx->argc > expected)
        what = "a maximum of";
      break;
    }
  if (what == NULL)
    return 0;
  help = cli_command_help (ctx->prog, ctx->cmd);
  fputs ("Incorrect Usage.\n\n", stdout);
  fputs (help, stdout);
  fflush (stdout);
  return rv_error_set (err, EINVAL, "%s: \"%s\" requires %s %d argument(s)", ctx->argv0, ctx->cmd->name, what,
                       expected);
}

char *
cli_abs_path (const char *p)
{
  _cleanup_free_ char *cwd = NULL, *joined = NULL;
  _cleanup_strv_ char **parts = NULL;
  char *out = NULL, *save = NULL, *tok;
  size_t len = 0, n, i;
  FILE *f;

  if (p[0] == '/')
    joined = xstrdup (p);
  else
    {
      cwd = getcwd (NULL, 0);
      joined = xasprintf ("%s/%s", cwd ? cwd : ".", p);
    }
  /* filepath.Clean: drop empty and "." elements, let ".." eat one.  */
  for (tok = strtok_r (joined, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          n = strv_len (parts);
          if (n > 0)
            {
              free (parts[n - 1]);
              parts[n - 1] = NULL;
            }
          continue;
        }
      strv_append (&parts, tok);
    }
  f = open_memstream (&out, &len);
  if (f == NULL)
    abort ();
  n = strv_len (parts);
  if (n == 0)
    fputc ('/', f);
  for (i = 0; i < n; i++)
    fprintf (f, "/%s", parts[i]);
  if (fclose (f) != 0)
    abort ();
  return out;
}

char *
cli_bundle_path (const char *bundle)
{
  char *real;

  if (bundle == NULL || *bundle == '\0')
    bundle = ".";
  real = realpath (bundle, NULL);
  if (real)
    return real;
  return cli_abs_path (bundle);
}
