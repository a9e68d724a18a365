/* Containers end to end on this host: create, start, exec, terminal,
 * hooks, user namespaces, failures that leave nothing behind.  */
#include "tests/unit/test_lc_support.h"

Test (lc_container, runs_and_reports_exit_status)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int status;

  tb_init (&b);
  tb_args (&b, "/bin/sh", "-c", "echo hello from $(hostname) pid $$; exit 3", NULL);
  cr_assert_eq (tb_run (&b, &out, &status, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (out, "hello from tb pid 1\n");
  cr_assert (WIFEXITED (status));
  cr_assert_eq (WEXITSTATUS (status), 3);
  tb_assert_clean (&b);
  tb_fini (&b);
}
