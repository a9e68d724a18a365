#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/utils.h"
#include "runtime/runtime.h"

/* The names Go's x/sys/unix knows on Linux (runc looks names up there).  */
static const struct
{
  const char *name;
  int number;
} signals[] = {
  { "SIGHUP", SIGHUP },   { "SIGINT", SIGINT },       { "SIGQUIT", SIGQUIT }, { "SIGILL", SIGILL },
  { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT },     { "SIGBUS", SIGBUS },   { "SIGFPE", SIGFPE },
  { "SIGKILL", SIGKILL }, { "SIGUSR1", SIGUSR1 },     { "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
  { "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM },     { "SIGTERM", SIGTERM }, { "SIGSTKFLT", SIGSTKFLT },
  { "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT },     { "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP },
  { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU },     { "SIGURG", SIGURG },   { "SIGXCPU", SIGXCPU },
  { "SIGXFSZ", SIGXFSZ }, { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF }, { "SIGWINCH", SIGWINCH },
  { "SIGIO", SIGIO },     { "SIGPWR", SIGPWR },       { "SIGSYS", SIGSYS },
};

int
rt_signal_parse (const char *s, int *ret, rv_error_t *err)
{
  _cleanup_free_ char *name = NULL;
  int n;
  size_t i;

  /* runc takes any integer (strconv.Atoi) and lets kill(2) judge it.  */
  if (parse_int (s, &n) == 0 || (s[0] == '+' && parse_int (s + 1, &n) == 0))
    {
      *ret = n;
      return 0;
    }
  name = strncasecmp (s, "SIG", 3) == 0 ? xstrdup (s) : xasprintf ("SIG%s", s);
  for (i = 0; name[i]; i++)
    if (name[i] >= 'a' && name[i] <= 'z')
      name[i] = (char) (name[i] - 'a' + 'A');
  for (i = 0; i < ARRAY_SIZE (signals); i++)
    if (strcmp (name, signals[i].name) == 0)
      {
        *ret = signals[i].number;
        return 0;
      }
  /* Real-time signals, as kill(1) and crun name them.  */
  if (strcmp (name, "SIGRTMIN") == 0 || strcmp (name, "SIGRTMAX") == 0)
    {
      *ret = name[6] == 'I' ? SIGRTMIN : SIGRTMAX;
      return 0;
    }
  if ((str_has_prefix (name, "SIGRTMIN+") || str_has_prefix (name, "SIGRTMAX-"))
      && parse_int (name + 9, &n) == 0 && n >= 0 && n <= SIGRTMAX - SIGRTMIN)
    {
      *ret = name[6] == 'I' ? SIGRTMIN + n : SIGRTMAX - n;
      return 0;
    }
  return rv_error_set (err, EINVAL, "unknown signal \"%s\"", s);
}
