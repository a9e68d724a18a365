/* What the agent reads from the kernel command line as the guest's PID 1.  */
#include <criterion/criterion.h>

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
  const char *bad[] = { "runvm.port=", "runvm.port=0", "runvm.port=-1", "runvm.port=4294967296", "runvm.port=12x" };
  size_t i;

  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      pid1_parse_cmdline (bad[i], &cfg);
      cr_assert_eq (cfg.port, 1024, "%s", bad[i]);
    }
}
