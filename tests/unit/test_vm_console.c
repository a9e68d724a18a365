#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/console.h"

static char dir[64];

static void
setup (void)
{
  snprintf (dir, sizeof (dir), "/tmp/test_vm_console.XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
}

static void
teardown (void)
{
  _cleanup_free_ char *a = xasprintf ("%s/console.log", dir), *b = xasprintf ("%s/console.log.1", dir);
  (void) unlink (a);
  (void) unlink (b);
  (void) rmdir (dir);
}

static char *
slurp (const char *name)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
  rv_error_t err = NULL;
  char *data = NULL;
  if (read_file (path, 0, &data, NULL, &err) < 0)
    {
      rv_error_release (&err);
      return NULL;
    }
  return data;
}

struct seen
{
  int lines;
  char last[128];
  char source[32];
};

static void
on_line (void *data, const char *source, const char *line, long long now)
{
  struct seen *s = data;
  (void) now;
  s->lines++;
  snprintf (s->last, sizeof (s->last), "%s", line);
  snprintf (s->source, sizeof (s->source), "%s", source);
}

TestSuite (console, .init = setup, .fini = teardown);

Test (console, lines_prefixes_marker_and_callback)
{
  _cleanup_free_ char *path = xasprintf ("%s/console.log", dir), *log = NULL;
  struct vm_console c;
  struct seen seen = { 0 };
  rv_error_t err = NULL;
  int guest = -1, helper = -1;

  cr_assert_eq (vm_console_open (&c, path, 1 << 20, &err), 0);
  c.marker = xstrdup ("READY-MARK");
  c.on_line = on_line;
  c.on_line_data = &seen;
  cr_assert_eq (vm_console_add_source (&c, "guest", false, &guest, &err), 0);
  cr_assert_eq (vm_console_add_source (&c, "virtiofsd", true, &helper, &err), 0);

  /* The marker arrives split across two reads, with a serial "\r\n".  */
  cr_assert_eq (write_all (guest, "[ 0.1] boot\r\nREADY-", 19), 0);
  cr_assert_eq (vm_console_pump (&c, &err), 2);
  cr_assert_not (c.marker_seen);
  cr_assert_eq (write_all (guest, "MARK uptime=1\r\n", 15), 0);
  cr_assert_eq (write_all (helper, "warning: x\n", 11), 0);
  cr_assert_eq (vm_console_pump (&c, &err), 2);
  cr_assert (c.marker_seen);
  cr_assert_eq (seen.lines, 3);
  cr_assert_str_eq (seen.last, "warning: x");
  cr_assert_str_eq (seen.source, "virtiofsd");

  /* End of file flushes a last line without a newline.  */
  cr_assert_eq (write_all (guest, "Kernel panic - no init", 22), 0);
  (void) close (guest);
  (void) close (helper);
  cr_assert_eq (vm_console_pump (&c, &err), 0);

  log = slurp ("console.log");
  cr_assert_str_eq (log,
                    "[ 0.1] boot\nREADY-MARK uptime=1\n[virtiofsd] warning: x\nKernel panic - no init\n");
  vm_console_close (&c);
}

Test (console, tail_is_one_line_newest_last)
{
  _cleanup_free_ char *path = xasprintf ("%s/console.log", dir), *tail = NULL, *small = NULL;
  struct vm_console c;
  rv_error_t err = NULL;
  int fd = -1, i;

  cr_assert_eq (vm_console_open (&c, path, 1 << 20, &err), 0);
  tail = vm_console_tail (&c, 5, 500);
  cr_assert_str_eq (tail, "");
  free (TAKE_PTR (tail));
  cr_assert_eq (vm_console_add_source (&c, "guest", false, &fd, &err), 0);
  for (i = 0; i < 40; i++)
    {
      char line[32];
      int n = snprintf (line, sizeof (line), "  line %d\n\n", i);
      cr_assert_eq (write_all (fd, line, (size_t) n), 0);
    }
  cr_assert_eq (vm_console_pump (&c, &err), 1);
  tail = vm_console_tail (&c, 3, 500);
  cr_assert_str_eq (tail, "line 37 | line 38 | line 39");
  small = vm_console_tail (&c, 10, 12);
  cr_assert_str_eq (small, "line 39", "byte bound keeps whole newest lines");
  (void) close (fd);
  vm_console_close (&c);
}

Test (console, cap_keeps_newest_output_in_two_generations)
{
  _cleanup_free_ char *path = xasprintf ("%s/console.log", dir), *cur = NULL, *old = NULL;
  struct vm_console c;
  rv_error_t err = NULL;
  struct stat a, b;
  int fd = -1, i;

  cr_assert_eq (vm_console_open (&c, path, 8192, &err), 0);
  cr_assert_eq (vm_console_add_source (&c, "guest", false, &fd, &err), 0);
  for (i = 0; i < 2000; i++)
    {
      char line[32];
      int n = snprintf (line, sizeof (line), "line %05d\n", i);
      cr_assert_eq (write_all (fd, line, (size_t) n), 0);
      if (i % 100 == 0)
        cr_assert_geq (vm_console_pump (&c, &err), 1);
    }
  cr_assert_eq (vm_console_pump (&c, &err), 1);
  cr_assert_eq (stat (path, &a), 0);
  old = xasprintf ("%s.1", path);
  cr_assert_eq (stat (old, &b), 0);
  cr_assert_leq (a.st_size + b.st_size, 8192);
  cur = slurp ("console.log");
  cr_assert (str_has_suffix (cur, "line 01999\n"), "newest output kept");
  (void) close (fd);
  vm_console_close (&c);
}

Test (console, long_lines_are_cut_not_lost)
{
  _cleanup_free_ char *path = xasprintf ("%s/console.log", dir), *log = NULL;
  char big[3000];
  struct vm_console c;
  rv_error_t err = NULL;
  int fd = -1;

  memset (big, 'x', sizeof (big));
  cr_assert_eq (vm_console_open (&c, path, 1 << 20, &err), 0);
  cr_assert_eq (vm_console_add_source (&c, "guest", false, &fd, &err), 0);
  cr_assert_eq (write_all (fd, big, sizeof (big)), 0);
  cr_assert_eq (write_all (fd, "\n", 1), 0);
  cr_assert_eq (vm_console_pump (&c, &err), 1);
  (void) close (fd);
  cr_assert_eq (vm_console_pump (&c, &err), 0);
  log = slurp ("console.log");
  cr_assert_eq (strlen (log) - (size_t) (strchr (log, '\n') - log), strlen (log) - (VM_CONSOLE_LINE_MAX - 1));
  cr_assert_eq (strspn (log, "x\n"), strlen (log));
  cr_assert_eq (strlen (log), sizeof (big) + 3, "3000 x's in 3 lines");
  vm_console_close (&c);
}

Test (console, open_fails_with_the_path)
{
  struct vm_console c;
  _cleanup_error_ rv_error_t err = NULL;
  cr_assert_lt (vm_console_open (&c, "/nonexistent/dir/console.log", 4096, &err), 0);
  cr_assert_str_eq (err->msg, "open console log `/nonexistent/dir/console.log`: No such file or directory");
  vm_console_close (&c);
}

Test (console, remembers_the_panic_line)
{
  _cleanup_free_ char *path = xasprintf ("%s/console.log", dir);
  struct vm_console c;
  rv_error_t err = NULL;
  int guest = -1, helper = -1;

  cr_assert_eq (vm_console_open (&c, path, 1 << 20, &err), 0);
  cr_assert_eq (vm_console_add_source (&c, "guest", false, &guest, &err), 0);
  cr_assert_eq (vm_console_add_source (&c, "qemu", true, &helper, &err), 0);
  cr_assert_eq (write_all (helper, "Kernel panic - not from the guest\n", 34), 0);
  cr_assert_eq (write_all (guest, "[ 1.2] Kernel panic - not syncing: Attempted to kill init!\nRIP: 0\n", 66),
                0);
  cr_assert_eq (vm_console_pump (&c, &err), 2);
  cr_assert_str_eq (c.panic, "Kernel panic - not syncing: Attempted to kill init!");
  (void) close (guest);
  (void) close (helper);
  vm_console_close (&c);
}
