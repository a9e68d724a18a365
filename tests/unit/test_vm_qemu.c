#include <criterion/criterion.h>
#include <string.h>

#include "common/utils.h"
#include "vm/qemu_argv.h"

/* The value following FLAG whose option string starts with PREFIX.  */
static const char *
find_opt (char **argv, const char *flag, const char *prefix)
{
  size_t i;
  for (i = 0; argv[i] && argv[i + 1]; i++)
    if (strcmp (argv[i], flag) == 0 && str_has_prefix (argv[i + 1], prefix))
      return argv[i + 1];
  return NULL;
}

static bool
has_arg (char **argv, const char *arg)
{
  return strv_contains (argv, arg);
}

static struct qemu_spec
base_spec (void)
{
  static char *cmdline[] = { "console=ttyS0", "panic=-1", NULL };
  struct qemu_spec s = { 0 };
  s.binary = "/usr/bin/qemu-system-x86_64";
  s.name = "runvm-c1";
  s.accel = VM_ACCEL_TCG;
  s.tb_size_mb = 32;
  s.vcpus = 2;
  s.memory_mb = 256;
  s.kernel = "/k/vmlinuz";
  s.initrd = "/k/initrd.img";
  s.cmdline = cmdline;
  s.vsock = QEMU_VSOCK_NONE;
  s.vhost_fd = -1;
  s.vsock_fd = -1;
  return s;
}

Test (qemu_opt, escapes_commas_in_values)
{
  _cleanup_free_ char *o = NULL;
  qemu_opt_add (&o, NULL, "socket");
  qemu_opt_add (&o, "id", "fs0");
  qemu_opt_add (&o, "path", "/run/a,share=off/fs.sock");
  cr_assert_str_eq (o, "socket,id=fs0,path=/run/a,,share=off/fs.sock");
}

Test (qemu_opt, numbers_and_empty)
{
  _cleanup_free_ char *o = NULL;
  qemu_opt_add_u64 (&o, "cpus", 4);
  qemu_opt_add (&o, "x", "");
  cr_assert_str_eq (o, "cpus=4,x=");
}

Test (qemu_argv, tcg_machine_memory_and_boot)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = qemu_build_argv (&s);

  cr_assert_str_eq (argv[0], "/usr/bin/qemu-system-x86_64");
  cr_assert (has_arg (argv, "-nodefaults"));
  cr_assert (has_arg (argv, "-no-user-config"));
  cr_assert (has_arg (argv, "-no-reboot"));
  cr_assert_not_null (find_opt (argv, "-machine", "microvm,"));
  cr_assert_not_null (strstr (find_opt (argv, "-machine", "microvm,"), "memory-backend=mem"));
  cr_assert_not_null (strstr (find_opt (argv, "-machine", "microvm,"), "x-option-roms=off"));
  cr_assert_str_eq (find_opt (argv, "-accel", "tcg"), "tcg,tb-size=32");
  cr_assert_str_eq (find_opt (argv, "-cpu", ""), "max");
  cr_assert_str_eq (find_opt (argv, "-smp", ""), "cpus=2");
  cr_assert_str_eq (find_opt (argv, "-m", ""), "256M");
  cr_assert_str_eq (find_opt (argv, "-object", "memory-backend-memfd"),
                    "memory-backend-memfd,id=mem,size=268435456,share=on");
  cr_assert_str_eq (find_opt (argv, "-kernel", ""), "/k/vmlinuz");
  cr_assert_str_eq (find_opt (argv, "-initrd", ""), "/k/initrd.img");
  cr_assert_str_eq (find_opt (argv, "-append", ""), "console=ttyS0 panic=-1");
  cr_assert_str_eq (find_opt (argv, "-global", ""), "virtio-mmio.force-legacy=false");
  cr_assert_str_eq (find_opt (argv, "-serial", ""), "chardev:con");
  cr_assert_str_eq (find_opt (argv, "-name", ""), "guest=runvm-c1,debug-threads=on");
  cr_assert_null (find_opt (argv, "-device", ""));
  cr_assert_null (find_opt (argv, "-sandbox", ""));
}

Test (qemu_argv, kvm_uses_host_cpu)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  s.accel = VM_ACCEL_KVM;
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-accel", ""), "kvm");
  cr_assert_str_eq (find_opt (argv, "-cpu", ""), "host");
}

Test (qemu_argv, kernel_vsock_with_claimed_fd)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  s.vsock = QEMU_VSOCK_VHOST;
  s.guest_cid = 4242;
  s.vhost_fd = 7;
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-device", "vhost-vsock-device"),
                    "vhost-vsock-device,id=vsock0,guest-cid=4242,vhostfd=7");
}

Test (qemu_argv, vhost_user_vsock_and_fs)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  s.vsock = QEMU_VSOCK_VHOST_USER;
  s.vsock_socket = "/run/runvm/c,1/vsock-vu.sock";
  s.fs_socket = "/run/runvm/c,1/fs.sock";
  s.fs_tag = "runvm";
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-chardev", "socket,id=vsock0"),
                    "socket,id=vsock0,path=/run/runvm/c,,1/vsock-vu.sock");
  cr_assert_str_eq (find_opt (argv, "-device", "vhost-user-vsock-device"),
                    "vhost-user-vsock-device,chardev=vsock0");
  cr_assert_str_eq (find_opt (argv, "-chardev", "socket,id=fs0"),
                    "socket,id=fs0,path=/run/runvm/c,,1/fs.sock");
  cr_assert_str_eq (find_opt (argv, "-device", "vhost-user-fs-device"),
                    "vhost-user-fs-device,chardev=fs0,tag=runvm,queue-size=1024");
}

Test (qemu_argv, vhost_user_vsock_on_an_inherited_socket)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  s.vsock = QEMU_VSOCK_VHOST_USER;
  s.vsock_fd = 5;
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-chardev", "socket,id=vsock0"), "socket,id=vsock0,fd=5");
}

Test (qemu_argv, tap_and_sandbox)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  struct net_qemu_nic nic = { .id = "net0", .tap_fd = 9, .vhost_fd = -1, .mac = "52:54:00:12:34:56" };
  s.nics = &nic;
  s.n_nics = 1;
  s.sandbox = true;
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-netdev", ""), "tap,id=net0,fd=9");
  cr_assert_str_eq (find_opt (argv, "-device", "virtio-net"),
                    "virtio-net-device,netdev=net0,mac=52:54:00:12:34:56");
  cr_assert_str_eq (find_opt (argv, "-sandbox", ""),
                    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
}

Test (qemu_argv, nics_in_order_with_vhost_and_mtu)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  struct net_qemu_nic nics[] = {
    { .id = "net0", .tap_fd = 9, .vhost_fd = 10, .mac = "52:54:00:00:00:01", .mtu = 1400 },
    { .id = "net1", .tap_fd = 11, .vhost_fd = -1, .mac = "52:54:00:00:00:02" },
  };
  s.nics = nics;
  s.n_nics = 2;
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-netdev", "tap,id=net0"), "tap,id=net0,fd=9,vhost=on,vhostfd=10");
  cr_assert_str_eq (find_opt (argv, "-netdev", "tap,id=net1"), "tap,id=net1,fd=11");
  cr_assert_str_eq (find_opt (argv, "-device", "virtio-net-device,netdev=net0"),
                    "virtio-net-device,netdev=net0,mac=52:54:00:00:00:01,host_mtu=1400");
  cr_assert_str_eq (find_opt (argv, "-device", "virtio-net-device,netdev=net1"),
                    "virtio-net-device,netdev=net1,mac=52:54:00:00:00:02");
}

Test (qemu_argv, hostile_name_stays_one_value)
{
  struct qemu_spec s = base_spec ();
  _cleanup_strv_ char **argv = NULL;
  s.name = "x,debug-threads=off,process=evil";
  argv = qemu_build_argv (&s);
  cr_assert_str_eq (find_opt (argv, "-name", ""),
                    "guest=x,,debug-threads=off,,process=evil,debug-threads=on");
}

Test (qemu_cmdline, tcg_guest_contract)
{
  char *extra[] = { "loglevel=3", NULL };
  _cleanup_strv_ char **w = qemu_guest_cmdline (1024, false, 2445430, extra);
  cr_assert (strv_contains (w, "console=ttyS0"));
  cr_assert (strv_contains (w, "runvm.port=1024"));
  cr_assert (strv_contains (w, "panic=-1"));
  cr_assert (strv_contains (w, "reboot=t"));
  cr_assert (strv_contains (w, "tsc_early_khz=2445430"));
  cr_assert (strv_contains (w, "quiet"));
  cr_assert (strv_contains (w, "cryptomgr.notests"));
  cr_assert_not (strv_contains (w, "runvm.debug=1"));
  cr_assert_str_eq (w[strv_len (w) - 1], "loglevel=3");
}

Test (qemu_cmdline, kvm_debug)
{
  _cleanup_strv_ char **w = qemu_guest_cmdline (2000, true, 0, NULL);
  size_t i;
  cr_assert (strv_contains (w, "runvm.port=2000"));
  cr_assert (strv_contains (w, "runvm.debug=1"));
  cr_assert_not (strv_contains (w, "quiet"));
  for (i = 0; w[i]; i++)
    cr_assert_not (str_has_prefix (w[i], "tsc_early_khz="));
}
