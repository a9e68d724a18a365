/* runvm-testinit: a trivial static /init for tests and for the boot floor.
 *
 * It does what every runvm guest init must do before serving anything
 * (mount /proc, load the initrd's modules) and then what the kernel command
 * line parameter `runvm.test=` asks:
 *
 *   ready  (default) print the ready marker, power off: the boot floor
 *   idle   print the ready marker, then sleep: an idle guest
 *   exit   return from PID 1, so the kernel panics
 *   sleep  print nothing more and sleep: a guest whose agent never answers
 *
 * Every line carries the guest's CLOCK_BOOTTIME, the time since the kernel
 * started, so that bench/boot can split the boot into VMM start, kernel
 * boot and init.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/kmod.h"
#include "common/utils.h"

#define READY_MARKER "RUNVM-TESTINIT-READY"

static double
uptime (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_BOOTTIME, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
say (const char *what)
{
  char buf[256];
  int n = snprintf (buf, sizeof (buf), "runvm-testinit: %s uptime=%.6f\n", what, uptime ());
  if (n > 0)
    (void) write_all (STDOUT_FILENO, buf, (size_t) n < sizeof (buf) ? (size_t) n : sizeof (buf) - 1);
}

static void
setup_console (void)
{
  int fd;

  /* The kernel opens /dev/console for PID 1 when the initramfs has it; if
   * it did not, stdout is closed and output would be lost.  */
  if (fcntl (STDOUT_FILENO, F_GETFD) >= 0)
    return;
  (void) mkdir ("/dev", 0755);
  (void) mount ("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  fd = open ("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0)
    return;
  (void) dup2 (fd, STDIN_FILENO);
  (void) dup2 (fd, STDOUT_FILENO);
  (void) dup2 (fd, STDERR_FILENO);
  if (fd > STDERR_FILENO)
    (void) close (fd);
}

static void
sleep_forever (void)
{
  for (;;)
    pause ();
}

static const char *
test_mode (char *cmdline)
{
  char *save = NULL, *tok;
  for (tok = strtok_r (cmdline, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save))
    if (str_has_prefix (tok, "runvm.test="))
      return tok + strlen ("runvm.test=");
  return "ready";
}

int
main (void)
{
  _cleanup_free_ char *cmdline = NULL;
  rv_error_t err = NULL;
  const char *mode;

  setup_console ();
  say ("start");
  (void) mkdir ("/proc", 0555);
  if (mount ("proc", "/proc", "proc", 0, NULL) < 0 && errno != EBUSY)
    say ("mount /proc failed");
  if (read_file ("/proc/cmdline", 65536, &cmdline, NULL, &err) < 0)
    {
      say (err->msg);
      rv_error_release (&err);
      cmdline = xstrdup ("");
    }
  if (access ("/lib/modules/load", R_OK) == 0 && kmod_load_list ("/lib/modules/load", cmdline, &err) < 0)
    {
      say (err->msg);
      rv_error_release (&err);
    }
  mode = test_mode (cmdline);

  if (strcmp (mode, "exit") == 0)
    {
      say ("exiting");
      return 1;
    }
  if (strcmp (mode, "sleep") == 0)
    sleep_forever ();

  say (READY_MARKER);
  if (strcmp (mode, "idle") == 0)
    sleep_forever ();
  sync ();
  (void) reboot (RB_POWER_OFF);
  say ("power off failed");
  sleep_forever ();
  return 0;
}
