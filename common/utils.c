#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"

static void __attribute__ ((noreturn)) oom (void)
{
  static const char msg[] = "runvm: out of memory\n";
  (void) !write (STDERR_FILENO, msg, sizeof (msg) - 1);
  abort ();
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xmalloc0 (size_t size)
{
  return xcalloc (1, size ? size : 1);
}

void *
xcalloc (size_t nmemb, size_t size)
{
  void *p = calloc (nmemb ? nmemb : 1, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *ptr, size_t size)
{
  void *p = realloc (ptr, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xreallocarray (void *ptr, size_t nmemb, size_t size)
{
  void *p = reallocarray (ptr, nmemb ? nmemb : 1, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p;
  if (s == NULL)
    return NULL;
  p = strdup (s);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (p == NULL)
    oom ();
  return p;
}

char *
xvasprintf (const char *fmt, va_list ap)
{
  char *p;
  if (vasprintf (&p, fmt, ap) < 0)
    oom ();
  return p;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *p;

  va_start (ap, fmt);
  p = xvasprintf (fmt, ap);
  va_end (ap);
  return p;
}

size_t
strv_len (char *const *v)
{
  size_t n = 0;
  if (v)
    while (v[n])
      n++;
  return n;
}

void
strv_free (char **v)
{
  cleanup_strvp (&v);
}

char **
strv_dup (char *const *v)
{
  size_t i, n;
  char **r;

  if (v == NULL)
    return NULL;
  n = strv_len (v);
  r = xcalloc (n + 1, sizeof (char *));
  for (i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

void
strv_append (char ***v, const char *s)
{
  size_t n = strv_len (*v);
  *v = xreallocarray (*v, n + 2, sizeof (char *));
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

bool
strv_contains (char *const *v, const char *s)
{
  if (v == NULL)
    return false;
  for (; *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

bool
str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
str_has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && memcmp (s + a - b, suffix, b) == 0;
}

bool
str_eq (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp (a, b) == 0;
}

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
read_exact (int fd, void *buf, size_t len)
{
  char *p = buf;
  while (len > 0)
    {
      ssize_t n = read (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      if (n == 0)
        return -EPIPE;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
read_fd (int fd, size_t max, char **ret, size_t *ret_len, rv_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0, cap = 0;

  for (;;)
    {
      ssize_t n;
      if (cap - len < 4096)
        {
          cap = cap ? cap * 2 : 8192;
          buf = xrealloc (buf, cap + 1);
        }
      n = read (fd, buf + len, cap - len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return rv_error_make (err, errno, "read");
        }
      if (n == 0)
        break;
      len += (size_t) n;
      if (max && len > max)
        return rv_error_set (err, EFBIG, "larger than %zu bytes", max);
    }
  if (buf == NULL)
    buf = xmalloc (1);
  buf[len] = '\0';
  if (ret_len)
    *ret_len = len;
  *ret = TAKE_PTR (buf);
  return 0;
}

int
read_file (const char *path, size_t max, char **ret, size_t *ret_len, rv_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  int r;

  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", path);
  r = read_fd (fd, max, ret, ret_len, err);
  if (r < 0)
    return rv_error_wrap (err, "read `%s`", path);
  return 0;
}

int
write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, rv_error_t *err)
{
  _cleanup_free_ char *tmp = NULL, *dir = NULL;
  _cleanup_close_ int fd = -1, dfd = -1;
  const char *slash;
  int r;

  slash = strrchr (path, '/');
  dir = slash ? (slash == path ? xstrdup ("/") : xstrndup (path, (size_t) (slash - path))) : xstrdup (".");
  tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return rv_error_make (err, errno, "create `%s`", tmp);
  r = write_all (fd, data, len);
  if (r == 0 && fsync (fd) < 0)
    r = -errno;
  if (r == 0 && close (TAKE_FD (fd)) < 0)
    r = -errno;
  if (r < 0)
    {
      (void) unlink (tmp);
      return rv_error_make (err, -r, "write `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      r = errno;
      (void) unlink (tmp);
      return rv_error_make (err, r, "rename `%s` to `%s`", tmp, path);
    }
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    (void) fsync (dfd);
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, rv_error_t *err)
{
  _cleanup_free_ char *p = xstrdup (path);
  char *it;

  for (it = p + 1; *it; it++)
    {
      if (*it != '/')
        continue;
      *it = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return rv_error_make (err, errno, "mkdir `%s`", p);
      *it = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return rv_error_make (err, errno, "mkdir `%s`", p);
  return 0;
}

int
parse_u64 (const char *s, uint64_t *ret)
{
  unsigned long long v;
  char *end;

  if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
    return -EINVAL;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno == ERANGE)
    return -ERANGE;
  if (*end != '\0')
    return -EINVAL;
  *ret = v;
  return 0;
}

int
parse_i64 (const char *s, int64_t *ret)
{
  long long v;
  char *end;

  if (s == NULL || *s == '\0' || *s == '+' || *s == ' ')
    return -EINVAL;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno == ERANGE)
    return -ERANGE;
  if (*end != '\0')
    return -EINVAL;
  *ret = v;
  return 0;
}

int
parse_int (const char *s, int *ret)
{
  int64_t v;
  int r = parse_i64 (s, &v);
  if (r < 0)
    return r;
  if (v < INT_MIN || v > INT_MAX)
    return -ERANGE;
  *ret = (int) v;
  return 0;
}

char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

int
fd_set_cloexec (int fd, bool on)
{
  int flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return -errno;
  flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (fcntl (fd, F_SETFD, flags) < 0)
    return -errno;
  return 0;
}

int
fd_set_nonblock (int fd, bool on)
{
  int flags = fcntl (fd, F_GETFL);
  if (flags < 0)
    return -errno;
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (fcntl (fd, F_SETFL, flags) < 0)
    return -errno;
  return 0;
}
