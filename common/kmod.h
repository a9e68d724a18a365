/* Loading kernel modules inside the guest, without modprobe.
 *
 * The initrd lists its modules in dependency order (vm/guest/mkinitrd).
 * Module parameters given on the kernel command line as `module.param=v`
 * are passed to finit_module(), as modprobe would: the kernel applies them
 * only to built-in code.  */
#pragma once

#include "common/error.h"

/* Loads each .ko named in LIST (one file name per line, relative to the
 * directory holding LIST).  A module already present is fine.  CMDLINE is
 * the kernel command line (NULL reads /proc/cmdline).  */
int kmod_load_list (const char *list, const char *cmdline, rv_error_t *err);

/* The parameters in CMDLINE addressed to MODULE ("virtio_mmio"; '-' and
 * '_' are the same), joined with spaces and stripped of the prefix.
 * Returns a new string, possibly empty.  */
char *kmod_cmdline_params (const char *cmdline, const char *module);
