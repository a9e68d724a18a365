/* Scope-bound cleanup, in the style of systemd's fd-util.h and crun's utils.h.
 *
 *   _cleanup_free_ char *p = xstrdup ("x");
 *   _cleanup_close_ int fd = open (...);
 *   return TAKE_FD (fd);       hands ownership to the caller
 *
 * Every destructor accepts the "empty" value (NULL, -1, 0) so that a
 * variable may be declared before the resource exists.  */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIKELY(x)   __builtin_expect (!!(x), 1)
#define UNLIKELY(x) __builtin_expect (!!(x), 0)

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

static inline void
cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      (void) close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_fclosep (FILE **f)
{
  if (*f)
    (void) fclose (*f);
}

static inline void
cleanup_closedirp (DIR **d)
{
  if (*d)
    (void) closedir (*d);
}

static inline void
cleanup_strvp (char ***v)
{
  char **it;
  if (*v == NULL)
    return;
  for (it = *v; *it; it++)
    free (*it);
  free (*v);
}

/* Kills and reaps a child that was never handed over.  */
static inline void
cleanup_pidp (pid_t *pid)
{
  if (*pid > 0)
    {
      int saved = errno;
      (void) kill (*pid, SIGKILL);
      while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
        ;
      errno = saved;
    }
}

#define _cleanup_free_     __attribute__ ((cleanup (cleanup_freep)))
#define _cleanup_close_    __attribute__ ((cleanup (cleanup_closep)))
#define _cleanup_fclose_   __attribute__ ((cleanup (cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__ ((cleanup (cleanup_closedirp)))
#define _cleanup_strv_     __attribute__ ((cleanup (cleanup_strvp)))
#define _cleanup_pid_      __attribute__ ((cleanup (cleanup_pidp)))

#define TAKE_PTR(p)                                                                                          \
  ({                                                                                                         \
    __typeof__ (p) _take_tmp = (p);                                                                          \
    (p) = NULL;                                                                                              \
    _take_tmp;                                                                                               \
  })

#define TAKE_FD(fd)                                                                                          \
  ({                                                                                                         \
    int _take_fd = (fd);                                                                                     \
    (fd) = -1;                                                                                               \
    _take_fd;                                                                                                \
  })

#define TAKE_PID(pid)                                                                                        \
  ({                                                                                                         \
    pid_t _take_pid = (pid);                                                                                 \
    (pid) = 0;                                                                                               \
    _take_pid;                                                                                               \
  })
