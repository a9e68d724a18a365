/* lc-run: a minimal `runc run` over libcontainer, for the OCI validation
 * suite until the host launcher exists:
 *
 *   lc-run [run] [--no-pivot] [--no-new-keyring] [-b BUNDLE] ID
 *
 * Loads BUNDLE/config.json, creates and starts the container in the
 * foreground with our stdio (or its terminal relayed to our stdio), waits
 * for it, destroys it, and exits with the workload's status (128+N when
 * killed by signal N).  SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on
 * to the container's init.  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "spec/config.h"

static void __attribute__ ((noreturn)) die (rv_error_t err)
{
  fprintf (stderr, "lc-run: %s\n", err->msg);
  exit (1);
}

static void
usage (void)
{
  fprintf (stderr, "usage: lc-run [run] [--no-pivot] [--no-new-keyring] [-b BUNDLE] ID\n");
  exit (2);
}

/* Copies what is there from IN to OUT; false at end of file.  */
static bool
pump (int in, int out)
{
  char buf[8192];
  ssize_t n = read (in, buf, sizeof (buf));
  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  return write_all (out, buf, (size_t) n) == 0;
}

int
main (int argc, char **argv)
{
  const char *bundle = ".", *id = NULL;
  bool no_pivot = false, no_new_keyring = false;
  struct spec_config *config = NULL;
  struct lc_container *c = NULL;
  struct lc_create_opts o = { 0 };
  _cleanup_free_ char *path = NULL;
  char abs_bundle[PATH_MAX];
  rv_error_t err = NULL;
  sigset_t sigs;
  int sfd, console, status = 0, i;
  pid_t pid;
  bool in_open = true;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "run") == 0 && i == 1)
        continue;
      if (strcmp (argv[i], "--no-pivot") == 0)
        no_pivot = true;
      else if (strcmp (argv[i], "--no-new-keyring") == 0)
        no_new_keyring = true;
      else if ((strcmp (argv[i], "-b") == 0 || strcmp (argv[i], "--bundle") == 0) && i + 1 < argc)
        bundle = argv[++i];
      else if (argv[i][0] == '-')
        usage ();
      else if (id == NULL)
        id = argv[i];
      else
        usage ();
    }
  if (id == NULL)
    usage ();
  if (realpath (bundle, abs_bundle) == NULL)
    {
      fprintf (stderr, "lc-run: bundle `%s`: %s\n", bundle, strerror (errno));
      return 1;
    }
  path = xasprintf ("%s/config.json", abs_bundle);
  if (spec_config_load (path, &config, &err) < 0)
    die (err);

  /* Signals are handled through a signalfd, so blocked from here on: the
   * children unblock what they inherit (libcontainer's init sets its
   * mask before exec).  */
  sigemptyset (&sigs);
  sigaddset (&sigs, SIGCHLD);
  sigaddset (&sigs, SIGINT);
  sigaddset (&sigs, SIGTERM);
  sigaddset (&sigs, SIGHUP);
  sigaddset (&sigs, SIGQUIT);
  sigprocmask (SIG_BLOCK, &sigs, NULL);
  sfd = signalfd (-1, &sigs, SFD_CLOEXEC);

  o.id = id;
  o.config = config;
  o.bundle = abs_bundle;
  o.no_pivot = no_pivot;
  o.no_new_keyring = no_new_keyring;
  o.stdio.in = 0;
  o.stdio.out = 1;
  o.stdio.err = 2;
  if (lc_container_create (&o, &c, &err) < 0)
    die (err);
  console = lc_container_take_console (c);
  if (lc_container_start (c, &err) < 0)
    {
      rv_error_t e2 = NULL;
      fprintf (stderr, "lc-run: %s\n", err->msg);
      (void) lc_container_destroy (c, &e2);
      (void) waitpid (lc_container_pid (c), NULL, 0);
      return 1;
    }
  pid = lc_container_pid (c);

  for (;;)
    {
      struct pollfd p[3];
      int n = 0;
      p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      if (console >= 0)
        {
          p[n++] = (struct pollfd){ .fd = console, .events = POLLIN };
          if (in_open)
            p[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
        }
      if (poll (p, (nfds_t) n, -1) < 0 && errno != EINTR)
        break;
      if (p[0].revents)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof (si)) == (ssize_t) sizeof (si) && si.ssi_signo != SIGCHLD)
            {
              rv_error_t e2 = NULL;
              if (lc_container_kill (c, (int) si.ssi_signo, false, &e2) < 0)
                rv_error_release (&e2);
            }
          if (waitpid (pid, &status, WNOHANG) == pid)
            break;
        }
      if (console >= 0 && n > 1 && p[1].revents && !pump (console, 1))
        {
          /* The terminal closed: the workload is gone or going.  */
          close (console);
          console = -1;
        }
      if (n > 2 && p[2].revents && !pump (0, console))
        in_open = false;
    }
  if (console >= 0)
    {
      /* What the workload wrote just before exiting.  */
      (void) fd_set_nonblock (console, true);
      while (pump (console, 1))
        ;
      close (console);
    }
  if (lc_container_destroy (c, &err) < 0)
    {
      fprintf (stderr, "lc-run: %s\n", err->msg);
      rv_error_release (&err);
    }
  lc_container_free (c);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}
