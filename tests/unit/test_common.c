#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/kmod.h"
#include "common/log.h"
#include "common/utils.h"

Test (error, make_appends_strerror_and_returns_negative_errno)
{
  rv_error_t err = NULL;
  int r = rv_error_make (&err, ENOENT, "open `%s`", "/x");
  cr_assert_eq (r, -ENOENT);
  cr_assert_eq (err->status, ENOENT);
  cr_assert_str_eq (err->msg, "open `/x`: No such file or directory");
  rv_error_release (&err);
  cr_assert_null (err);
}

Test (error, set_keeps_message_and_status_zero_is_negative)
{
  _cleanup_error_ rv_error_t err = NULL;
  cr_assert_eq (rv_error_set (&err, EINVAL, "config.json: .a: bad"), -EINVAL);
  cr_assert_str_eq (err->msg, "config.json: .a: bad");
  cr_assert_eq (rv_error_set (&err, 0, "plain"), -1);
  cr_assert_eq (rv_error_ret (err), -1);
}

Test (error, wrap_prefixes)
{
  _cleanup_error_ rv_error_t err = NULL;
  rv_error_make (&err, EACCES, "open `%s`", "/y");
  cr_assert_eq (rv_error_wrap (&err, "load bundle"), -EACCES);
  cr_assert_str_eq (err->msg, "load bundle: open `/y`: Permission denied");
}

Test (utils, strv)
{
  _cleanup_strv_ char **v = NULL;
  _cleanup_strv_ char **d = NULL;
  strv_append (&v, "a");
  strv_append (&v, "b");
  cr_assert_eq (strv_len (v), 2);
  cr_assert (strv_contains (v, "b"));
  cr_assert_not (strv_contains (v, "c"));
  d = strv_dup (v);
  cr_assert_str_eq (d[1], "b");
  cr_assert_null (d[2]);
}

Test (utils, parse_numbers)
{
  uint64_t u;
  int64_t i;
  int n;
  cr_assert_eq (parse_u64 ("18446744073709551615", &u), 0);
  cr_assert_eq (u, UINT64_MAX);
  cr_assert_eq (parse_u64 ("18446744073709551616", &u), -ERANGE);
  cr_assert_eq (parse_u64 ("-1", &u), -EINVAL);
  cr_assert_eq (parse_u64 ("12x", &u), -EINVAL);
  cr_assert_eq (parse_u64 ("", &u), -EINVAL);
  cr_assert_eq (parse_i64 ("-9", &i), 0);
  cr_assert_eq (i, -9);
  cr_assert_eq (parse_int ("4294967296", &n), -ERANGE);
}

Test (utils, atomic_write_and_read_back)
{
  char dir[] = "/tmp/rv-test-XXXXXX";
  _cleanup_free_ char *path = NULL, *sub = NULL, *data = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct stat st;
  size_t len;

  cr_assert_not_null (mkdtemp (dir));
  path = xasprintf ("%s/sub/dir/state.json", dir);
  sub = xasprintf ("%s/sub/dir", dir);
  cr_assert_eq (mkdir_p (sub, 0700, &err), 0);
  cr_assert_eq (write_file_atomic (path, "{\"a\":1}", 7, 0600, &err), 0);
  cr_assert_eq (read_file (path, 0, &data, &len, &err), 0);
  cr_assert_eq (len, 7);
  cr_assert_str_eq (data, "{\"a\":1}");
  cr_assert_eq (stat (path, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0600);
  free (data);
  data = NULL;
  cr_assert_lt (read_file (path, 3, &data, &len, &err), 0);
  cr_assert_eq (err->status, EFBIG);
}

Test (log, json_line_shape)
{
  char path[] = "/tmp/rv-log-XXXXXX";
  _cleanup_close_ int fd = mkstemp (path);
  _cleanup_free_ char *data = NULL;
  _cleanup_error_ rv_error_t err = NULL;

  rv_log_setup (fd, RV_LOG_FORMAT_JSON, RV_LOG_ERROR);
  rv_log (RV_LOG_ERROR, "container \"%s\" does not exist", "x");
  rv_debug ("not shown");
  cr_assert_eq (read_file (path, 0, &data, NULL, &err), 0);
  cr_assert (str_has_prefix (
      data, "{\"level\":\"error\",\"msg\":\"container \\\"x\\\" does not exist\",\"time\":\""));
  cr_assert (str_has_suffix (data, "Z\"}\n"));
  cr_assert_null (strchr (data, '\n') + 1 == data + strlen (data) ? NULL : "more than one line");
  unlink (path);
}

Test (kmod, cmdline_params)
{
  const char *cmdline = "console=ttyS0 virtio_mmio.device=512@0xfeb00000:12 virtio-mmio.device=1@2:3 "
                        "vsock.x=1 virtio_mmiox.y=2 virtio_mmio.";
  _cleanup_free_ char *p = kmod_cmdline_params (cmdline, "virtio_mmio");
  _cleanup_free_ char *q = kmod_cmdline_params (cmdline, "fuse");
  cr_assert_str_eq (p, "device=512@0xfeb00000:12 device=1@2:3");
  cr_assert_str_eq (q, "");
}
