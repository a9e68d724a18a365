#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/config.h"

static struct vm_config *
parse_ok (const char *json)
{
  rv_error_t err = NULL;
  struct vm_config *c = NULL;
  int r = vm_config_parse ("config.json", json, strlen (json), &c, &err);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "");
  return c;
}

static char *
parse_err (const char *json)
{
  rv_error_t err = NULL;
  struct vm_config *c = NULL;
  char *msg;
  cr_assert_lt (vm_config_parse ("config.json", json, strlen (json), &c, &err), 0, "accepted: %s", json);
  cr_assert_null (c);
  msg = xstrdup (err->msg);
  rv_error_release (&err);
  return msg;
}

Test (vm_config, defaults_for_everything)
{
  struct vm_config *c = parse_ok ("{}");
  cr_assert_str_eq (c->launcher, "qemu");
  cr_assert_str_eq (c->guest, "cloud");
  cr_assert_null (c->kernel);
  cr_assert_eq (c->vcpus, 1);
  cr_assert_eq (c->memory_mb, 256);
  cr_assert_eq (c->accel, VM_ACCEL_AUTO);
  cr_assert_eq (c->transport, VM_TRANSPORT_AUTO);
  cr_assert_eq (c->agent_port, 1024);
  cr_assert_gt (c->boot_timeout_ms, 0);
  cr_assert_geq (c->max_vcpus, 1);
  cr_assert_geq (c->max_memory_mb, 64);
  cr_assert_eq (c->annotations, VM_ANN_ALL);
  vm_config_free (c);
}

Test (vm_config, every_key)
{
  struct vm_config *c
      = parse_ok ("{\"launcher\":\"host\",\"guest\":\"min\",\"image_dir\":\"/srv/img\","
                  "\"kernel\":\"/k/vmlinuz\",\"initrd\":\"/k/initrd\",\"kernel_params\":[\"a=1\",\"b\"],"
                  "\"vcpus\":2,\"memory_mb\":512,\"max_vcpus\":4,\"max_memory_mb\":2048,"
                  "\"accel\":\"tcg\",\"tb_size_mb\":16,\"transport\":\"hybrid\",\"agent_port\":2000,"
                  "\"timeouts\":{\"boot_ms\":5000,\"stop_ms\":100},\"console_log_max_bytes\":65536,"
                  "\"debug\":true,\"annotations\":[\"io.runvm.vcpus\"],"
                  "\"binaries\":{\"qemu\":\"/q\",\"virtiofsd\":\"/v\",\"vsockd\":\"/s\",\"agent\":\"/a\"}}");
  cr_assert_str_eq (c->launcher, "host");
  cr_assert_str_eq (c->guest, "min");
  cr_assert_str_eq (c->image_dir, "/srv/img");
  cr_assert_str_eq (c->kernel, "/k/vmlinuz");
  cr_assert_str_eq (c->initrd, "/k/initrd");
  cr_assert_str_eq (c->kernel_params[1], "b");
  cr_assert_eq (c->vcpus, 2);
  cr_assert_eq (c->memory_mb, 512);
  cr_assert_eq (c->max_vcpus, 4);
  cr_assert_eq (c->max_memory_mb, 2048);
  cr_assert_eq (c->accel, VM_ACCEL_TCG);
  cr_assert_eq (c->tb_size_mb, 16);
  cr_assert_eq (c->transport, VM_TRANSPORT_HYBRID);
  cr_assert_eq (c->agent_port, 2000);
  cr_assert_eq (c->boot_timeout_ms, 5000);
  cr_assert_eq (c->stop_timeout_ms, 100);
  cr_assert_eq (c->console_log_max_bytes, 65536);
  cr_assert (c->debug);
  cr_assert_eq (c->annotations, VM_ANN_VCPUS);
  cr_assert_str_eq (c->qemu, "/q");
  cr_assert_str_eq (c->agent, "/a");
  vm_config_free (c);
}

Test (vm_config, errors_name_the_key)
{
  struct
  {
    const char *json, *msg;
  } cases[] = {
    { "{\"vcpu\":2}", "config.json: .vcpu: unknown key" },
    { "{\"timeouts\":{\"boot\":1}}", "config.json: .timeouts.boot: unknown key" },
    { "{\"vcpus\":\"2\"}", "config.json: .vcpus: expected an integer" },
    { "{\"vcpus\":0}", "config.json: .vcpus: 0 is out of range [1, 255]" },
    { "{\"memory_mb\":-5}", "config.json: .memory_mb: -5 is out of range [64, 4194304]" },
    { "{\"accel\":\"hvf\"}", "config.json: .accel: expected one of auto, kvm, tcg" },
    { "{\"debug\":1}", "config.json: .debug: expected true or false" },
    { "{\"kernel\":\"vmlinuz\",\"initrd\":\"/i\"}",
      "config.json: .kernel: `vmlinuz` is not an absolute path" },
    { "{\"kernel\":\"/k\"}",
      "config.json: .kernel and .initrd go together (an initrd holds the kernel's modules)" },
    { "{\"guest\":\"../etc\"}",
      "config.json: .guest: `../etc` is not a valid name (lowercase letters, digits, `-`, `_`, `.`)" },
    { "{\"kernel_params\":[\"init=/bin/sh rw\"]}",
      "config.json: .kernel_params[0]: `init=/bin/sh rw` is not one kernel parameter (no spaces)" },
    { "{\"annotations\":[\"io.runvm.kernel\"]}",
      "config.json: .annotations[0]: expected one of io.runvm.vcpus, io.runvm.memory_mb, io.runvm.guest, "
      "io.runvm.accel, io.runvm.debug, io.runvm.boot_timeout_ms" },
    { "{\"vcpus\":8,\"max_vcpus\":4}", "config.json: .vcpus: 8 is above .max_vcpus 4" },
    { "[1]", "config.json: expected a JSON object" },
    { "{\"binaries\":{\"qemu\":\"\"}}", "config.json: .binaries.qemu: empty string" },
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      _cleanup_free_ char *msg = parse_err (cases[i].json);
      cr_assert_str_eq (msg, cases[i].msg, "for %s", cases[i].json);
    }
}

Test (vm_config, invalid_json_is_one_line)
{
  _cleanup_free_ char *msg = parse_err ("{\"vcpus\": ");
  cr_assert (str_has_prefix (msg, "config.json: invalid JSON: "), "%s", msg);
  cr_assert_null (strchr (msg, '\n'));
}

Test (vm_config, missing_file_gives_defaults_and_bad_file_an_error)
{
  char dir[] = "/tmp/test_vm_config.XXXXXX";
  _cleanup_free_ char *path = NULL, *missing = NULL;
  struct vm_config *c = NULL;
  rv_error_t err = NULL;

  cr_assert_not_null (mkdtemp (dir));
  missing = xasprintf ("%s/none.json", dir);
  cr_assert_eq (vm_config_load (missing, &c, &err), 0);
  cr_assert_null (c->source);
  cr_assert_eq (c->vcpus, 1);
  vm_config_free (c);

  path = xasprintf ("%s/config.json", dir);
  cr_assert_eq (write_file_atomic (path, "{\"vcpus\": 2}", 12, 0644, &err), 0);
  setenv ("RUNVM_CONFIG", path, 1);
  cr_assert_str_eq (vm_config_path (), path);
  cr_assert_eq (vm_config_load (NULL, &c, &err), 0);
  cr_assert_eq (c->vcpus, 2);
  cr_assert_str_eq (c->source, path);
  vm_config_free (c);
  unsetenv ("RUNVM_CONFIG");

  cr_assert_eq (write_file_atomic (path, "{\"cpus\": 2}", 11, 0644, &err), 0);
  c = NULL;
  cr_assert_lt (vm_config_load (path, &c, &err), 0);
  cr_assert_null (c);
  cr_assert (strstr (err->msg, "config.json: .cpus: unknown key") != NULL, "%s", err->msg);
  rv_error_release (&err);
  (void) unlink (path);
  (void) rmdir (dir);
}

static struct vm_config *
annotate (const struct vm_config *base, const char *key, const char *value, char **ret_msg)
{
  struct spec_kv kv[] = { { (char *) "org.example.other", (char *) "x" }, { (char *) key, (char *) value } };
  struct vm_config *c = NULL;
  rv_error_t err = NULL;
  int r = vm_config_apply_annotations (base, kv, 2, &c, &err);
  if (r < 0)
    {
      *ret_msg = xstrdup (err->msg);
      rv_error_release (&err);
      return NULL;
    }
  *ret_msg = NULL;
  return c;
}

Test (vm_config, annotations_allowed)
{
  struct vm_config *base = parse_ok ("{\"max_vcpus\":4,\"max_memory_mb\":1024}");
  struct vm_config *c;
  char *msg;

  c = annotate (base, "io.runvm.vcpus", "3", &msg);
  cr_assert_not_null (c, "%s", msg);
  cr_assert_eq (c->vcpus, 3);
  cr_assert_eq (base->vcpus, 1, "the base stays");
  vm_config_free (c);

  c = annotate (base, "io.runvm.memory_mb", "1024", &msg);
  cr_assert_eq (c->memory_mb, 1024);
  vm_config_free (c);

  c = annotate (base, "io.runvm.guest", "min", &msg);
  cr_assert_str_eq (c->guest, "min");
  vm_config_free (c);

  c = annotate (base, "io.runvm.accel", "tcg", &msg);
  cr_assert_eq (c->accel, VM_ACCEL_TCG);
  vm_config_free (c);

  c = annotate (base, "io.runvm.debug", "true", &msg);
  cr_assert (c->debug);
  vm_config_free (c);

  c = annotate (base, "io.runvm.boot_timeout_ms", "60000", &msg);
  cr_assert_eq (c->boot_timeout_ms, 60000);
  vm_config_free (c);
  vm_config_free (base);
}

Test (vm_config, annotations_refused)
{
  struct vm_config *base
      = parse_ok ("{\"max_vcpus\":4,\"max_memory_mb\":1024,\"annotations\":[\"io.runvm.vcpus\","
                  "\"io.runvm.memory_mb\",\"io.runvm.guest\"]}");
  struct vm_config *fixed = parse_ok ("{\"kernel\":\"/k\",\"initrd\":\"/i\"}");
  struct
  {
    const struct vm_config *base;
    const char *key, *value, *msg;
  } cases[] = {
    { base, "io.runvm.vcpus", "5", "annotation io.runvm.vcpus: `5` is not an integer in [1, 4]" },
    { base, "io.runvm.vcpus", "two", "annotation io.runvm.vcpus: `two` is not an integer in [1, 4]" },
    { base, "io.runvm.memory_mb", "32",
      "annotation io.runvm.memory_mb: `32` is not an integer in [64, 1024]" },
    { base, "io.runvm.guest", "../../etc/shadow",
      "annotation io.runvm.guest: `../../etc/shadow` is not a guest image name" },
    { base, "io.runvm.kernel", "/etc/shadow",
      "annotation io.runvm.kernel: not supported (a container may set io.runvm.vcpus, io.runvm.memory_mb, "
      "io.runvm.guest, io.runvm.accel, io.runvm.debug, io.runvm.boot_timeout_ms)" },
    { base, "io.runvm.debug", "true", "annotation io.runvm.debug: disabled by the runvm configuration `" },
    { fixed, "io.runvm.guest", "min",
      "annotation io.runvm.guest: the runvm configuration fixes the kernel to `/k`" },
    { fixed, "io.runvm.accel", "fast", "annotation io.runvm.accel: `fast` is not one of auto, kvm, tcg" },
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char *msg = NULL;
      struct vm_config *c = annotate (cases[i].base, cases[i].key, cases[i].value, &msg);
      cr_assert_null (c, "%s=%s accepted", cases[i].key, cases[i].value);
      cr_assert (str_has_prefix (msg, cases[i].msg), "got: %s", msg);
      free (msg);
    }
  vm_config_free (base);
  vm_config_free (fixed);
}

Test (vm_config, guest_paths_checked_with_a_hint)
{
  struct vm_config *c = parse_ok ("{\"image_dir\":\"/nonexistent/share/runvm\"}");
  _cleanup_error_ rv_error_t err = NULL;
  char *k = NULL, *i = NULL;
  cr_assert_lt (vm_config_guest_paths (c, &k, &i, &err), 0);
  cr_assert_null (k);
  cr_assert_str_eq (err->msg,
                    "guest kernel `/nonexistent/share/runvm/vmlinuz-cloud` (build and install the guest "
                    "image: `make guest install`): No such file or directory");
  vm_config_free (c);
}

Test (vm_config, guest_paths_found)
{
  char dir[] = "/tmp/test_vm_guest.XXXXXX";
  _cleanup_free_ char *json = NULL, *kp = NULL, *ip = NULL;
  struct vm_config *c;
  rv_error_t err = NULL;
  char *k = NULL, *i = NULL;

  cr_assert_not_null (mkdtemp (dir));
  kp = xasprintf ("%s/vmlinuz-min", dir);
  ip = xasprintf ("%s/initrd-min.img", dir);
  cr_assert_eq (write_file_atomic (kp, "k", 1, 0644, &err), 0);
  cr_assert_eq (write_file_atomic (ip, "i", 1, 0644, &err), 0);
  json = xasprintf ("{\"image_dir\":\"%s\",\"guest\":\"min\"}", dir);
  c = parse_ok (json);
  cr_assert_eq (vm_config_guest_paths (c, &k, &i, &err), 0);
  cr_assert_str_eq (k, kp);
  cr_assert_str_eq (i, ip);
  free (k);
  free (i);
  vm_config_free (c);
  (void) unlink (kp);
  (void) unlink (ip);
  (void) rmdir (dir);
}

Test (vm_config, find_program)
{
  const char *dirs[] = { NULL, "/nonexistent", "/bin" };
  _cleanup_free_ char *sh = vm_find_program ("sh", dirs, ARRAY_SIZE (dirs));
  _cleanup_free_ char *abs = vm_find_program ("/bin/sh", NULL, 0);
  cr_assert_str_eq (sh, "/bin/sh");
  cr_assert_str_eq (abs, "/bin/sh");
  cr_assert_null (vm_find_program ("/etc/passwd", NULL, 0), "not executable");
  cr_assert_null (vm_find_program ("runvm-no-such-program", dirs, ARRAY_SIZE (dirs)));
}

Test (vm_config, missing_helper_names_the_package)
{
  struct vm_config *c = parse_ok ("{\"binaries\":{\"virtiofsd\":\"/nonexistent/virtiofsd\"}}");
  _cleanup_error_ rv_error_t err = NULL;
  char *p = NULL;
  cr_assert_lt (vm_config_find_virtiofsd (c, &p, &err), 0);
  cr_assert_str_eq (
      err->msg,
      "virtiofsd `/nonexistent/virtiofsd` (from the runvm configuration) not found or not executable");
  vm_config_free (c);
}
