#include <stddef.h>
#include <stdio.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"
#include "vm/check.h"

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  _cleanup_free_ char *text = NULL, *config_error = NULL;
  struct vm_config *config = NULL;
  struct vm_check_facts facts;
  rv_error_t load_err = NULL;
  int ret, problems = 0;

  (void) opts;
  ret = cli_check_args (ctx, 0, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  /* A broken configuration is one of the things to report, not a reason
   * to stop: the rest is checked with the defaults.  */
  if (vm_config_load (NULL, &config, &load_err) < 0)
    {
      config_error = xstrdup (load_err->msg);
      rv_error_release (&load_err);
      if (vm_config_parse ("defaults", "{}", 2, &config, err) < 0)
        return -1;
    }
  vm_check_collect (config, config_error, &facts);
  text = vm_check_report (&facts, &problems);
  fputs (text, ctx->global->out);
  vm_check_facts_free (&facts);
  vm_config_free (config);
  return problems ? 1 : 0;
}

const struct cli_command cmd_check = {
  .name = "check",
  .usage = "check what this host offers for running containers in VMs",
  .args_usage = "",
  .description = "Shows what runvm will use on this host and why: KVM or TCG, the vsock transport,\n"
                 "QEMU and virtiofsd with their versions, the guest kernel and initrd, the cgroup\n"
                 "layout, and each missing piece with the package or make target that provides it.\n"
                 "Exits 1 when something keeps runvm from starting containers.",
  .opts_size = 0,
  .action = action,
};
