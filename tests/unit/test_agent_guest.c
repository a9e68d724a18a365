/* What the agent reads from the kernel command line as the guest's PID 1.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "tests/agent/plain_backend.h"

Test (agent_guest, cmdline_defaults)
{
  struct pid1_config cfg;

  pid1_parse_cmdline (NULL, &cfg);
  cr_assert_eq (cfg.port, 1024);
  cr_assert_not (cfg.debug);
  pid1_parse_cmdline ("console=ttyS0 quiet runvm.portx=5 xrunvm.port=6", &cfg);
  cr_assert_eq (cfg.port, 1024);
  cr_assert_not (cfg.debug);
}

Test (agent_guest, cmdline_port_and_debug)
{
  struct pid1_config cfg;

  pid1_parse_cmdline ("console=hvc0 runvm.port=2049 runvm.debug=1 tsc_early_khz=2445430\n", &cfg);
  cr_assert_eq (cfg.port, 2049);
  cr_assert (cfg.debug);
  pid1_parse_cmdline ("runvm.debug", &cfg);
  cr_assert (cfg.debug);
  pid1_parse_cmdline ("runvm.debug=0", &cfg);
  cr_assert_not (cfg.debug);
  /* The last word wins, as with the kernel's own parameters.  */
  pid1_parse_cmdline ("runvm.port=7 runvm.port=8", &cfg);
  cr_assert_eq (cfg.port, 8);
}

Test (agent_guest, cmdline_bad_port_keeps_default)
{
  struct pid1_config cfg;
  const char *bad[]
      = { "runvm.port=", "runvm.port=0", "runvm.port=-1", "runvm.port=4294967296", "runvm.port=12x" };
  size_t i;

  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      pid1_parse_cmdline (bad[i], &cfg);
      cr_assert_eq (cfg.port, 1024, "%s", bad[i]);
    }
}

Test (agent_guest, oom_kill_count)
{
  uint64_t n = 99;

  cr_assert_eq (oom_parse_kills ("low 0\nhigh 3\nmax 7\noom 2\noom_kill 5\noom_group_kill 0\n", &n), 0);
  cr_assert_eq (n, 5);
  cr_assert_eq (oom_parse_kills ("low 0\noom 2\n", &n), -ENOENT);
  cr_assert_eq (n, 5);
}

Test (agent_guest, memory_events_of_the_containers_cgroup)
{
  static const char guest_mounts[]
      = "22 1 0:20 / /proc rw,nosuid - proc proc rw\n"
        "25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 cgroup2 rw,nsdelegate\n";
  static const char hybrid_mounts[] = "30 29 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                                      "31 29 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  char *path;

  path = oom_events_path ("0::/runvm/web\n", "0::/\n", guest_mounts);
  cr_assert_str_eq (path, "/sys/fs/cgroup/runvm/web/memory.events");
  free (path);
  path = oom_events_path ("12:memory:/x\n0::/x\n", "12:memory:/\n0::/\n", hybrid_mounts);
  cr_assert_str_eq (path, "/sys/fs/cgroup/unified/x/memory.events");
  free (path);
  /* The agent's own cgroup is not the container's.  */
  cr_assert_null (oom_events_path ("0::/user.slice\n", "0::/user.slice\n", guest_mounts));
  /* No v2 path at all, or no cgroup2 mount.  */
  cr_assert_null (oom_events_path ("4:memory:/x\n", "4:memory:/\n", guest_mounts));
  cr_assert_null (oom_events_path ("0::/x\n", "0::/\n", "22 1 0:20 / /proc rw - proc proc rw\n"));
}
