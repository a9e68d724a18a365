#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/utils.h"

static int
ret_of (int status)
{
  return status > 0 ? -status : -1;
}

int
rv_error_ret (rv_error_t err)
{
  return err ? ret_of (err->status) : -1;
}

void
rv_error_release (rv_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

static int
store (rv_error_t *err, int status, char *msg)
{
  rv_error_release (err);
  *err = xmalloc (sizeof (**err));
  (*err)->status = status;
  (*err)->msg = msg;
  return ret_of (status);
}

int
rv_error_vset (rv_error_t *err, int status, const char *fmt, va_list ap)
{
  return store (err, status, xvasprintf (fmt, ap));
}

int
rv_error_set (rv_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = rv_error_vset (err, status, fmt, ap);
  va_end (ap);
  return ret;
}

int
rv_error_make (rv_error_t *err, int status, const char *fmt, ...)
{
  _cleanup_free_ char *head = NULL;
  va_list ap;

  va_start (ap, fmt);
  head = xvasprintf (fmt, ap);
  va_end (ap);

  if (status == 0)
    return store (err, status, TAKE_PTR (head));
  return store (err, status, xasprintf ("%s: %s", head, strerror (status)));
}

int
rv_error_wrap (rv_error_t *err, const char *fmt, ...)
{
  _cleanup_free_ char *head = NULL;
  char *msg;
  va_list ap;

  va_start (ap, fmt);
  head = xvasprintf (fmt, ap);
  va_end (ap);

  if (*err == NULL)
    return store (err, EIO, TAKE_PTR (head));

  msg = xasprintf ("%s: %s", head, (*err)->msg);
  free ((*err)->msg);
  (*err)->msg = msg;
  return ret_of ((*err)->status);
}
