#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/seccomp.h"

int
lc_seccomp_action (const char *name, const struct spec_opt_u32 *errno_ret, unsigned int *ret)
{
  unsigned int e = errno_ret && errno_ret->set ? errno_ret->value : EPERM;

  if (name == NULL)
    return -EINVAL;
  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *ret = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *ret = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *ret = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *ret = SCMP_ACT_ERRNO (e);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *ret = SCMP_ACT_TRACE (e);
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *ret = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *ret = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *ret = SCMP_ACT_NOTIFY;
  else
    return -EINVAL;
  return 0;
}

static int
parse_op (const char *name, enum scmp_compare *ret)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  size_t i;
  for (i = 0; name && i < ARRAY_SIZE (ops); i++)
    if (strcmp (ops[i].name, name) == 0)
      {
        *ret = ops[i].op;
        return 0;
      }
  return -EINVAL;
}

static uint32_t
parse_arch (const char *name)
{
  static const struct
  {
    const char *name;
    uint32_t arch;
  } arches[] = {
    { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
    { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
    { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
    { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
    { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
    { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
    { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
    { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
    { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
    { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
    { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
    { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
    { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
    { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
    { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
    { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
    { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
    { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
    { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (arches); i++)
    if (strcmp (arches[i].name, name) == 0)
      return arches[i].arch;
  return 0;
}

static bool
has_repeated_index (const struct spec_syscall *sc)
{
  size_t i, j;
  for (i = 0; i < sc->args_len; i++)
    for (j = i + 1; j < sc->args_len; j++)
      if (sc->args[i].index == sc->args[j].index)
        return true;
  return false;
}

static int
add_rules (scmp_filter_ctx ctx, const struct spec_syscall *sc, size_t idx, uint32_t def, bool *notify,
           rv_error_t *err)
{
  struct scmp_arg_cmp cmp[6];
  unsigned int action;
  char **name;
  size_t i;

  if (lc_seccomp_action (sc->action, &sc->errno_ret, &action) < 0)
    return rv_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: unknown action `%s`", idx,
                         sc->action ? sc->action : "");
  if (action == SCMP_ACT_NOTIFY)
    *notify = true;
  if (sc->args_len > 6)
    return rv_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: more than 6 arguments", idx);
  for (i = 0; i < sc->args_len; i++)
    {
      enum scmp_compare op;
      if (sc->args[i].index > 5)
        return rv_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: argument index %u out of range", idx,
                             sc->args[i].index);
      if (parse_op (sc->args[i].op, &op) < 0)
        return rv_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: unknown operator `%s`", idx,
                             sc->args[i].op ? sc->args[i].op : "");
      cmp[i].arg = sc->args[i].index;
      cmp[i].op = op;
      cmp[i].datum_a = sc->args[i].value;
      cmp[i].datum_b = sc->args[i].value_two;
    }

  for (name = sc->names; name && *name; name++)
    {
      int nr = seccomp_syscall_resolve_name (*name);
      int r;

      /* A syscall libseccomp does not know for any arch: ignored, as runc
       * does (profiles list syscalls of newer kernels).  */
      if (nr == __NR_SCMP_ERROR)
        {
          rv_debug ("seccomp: ignoring unknown syscall %s", *name);
          continue;
        }
      /* libseccomp refuses a rule equal to the default.  */
      if (action == def)
        continue;
      if (sc->args_len == 0)
        r = seccomp_rule_add (ctx, action, nr, 0);
      else if (!has_repeated_index (sc))
        r = seccomp_rule_add_array (ctx, action, nr, (unsigned) sc->args_len, cmp);
      else
        {
          /* Two conditions on one argument cannot share a rule: each gets
           * its own (so they OR), as runc does.  */
          r = 0;
          for (i = 0; i < sc->args_len && r == 0; i++)
            r = seccomp_rule_add_array (ctx, action, nr, 1, &cmp[i]);
        }
      if (r < 0)
        return rv_error_make (err, -r, "linux.seccomp.syscalls[%zu]: add rule for `%s`", idx, *name);
    }
  return 0;
}

void
lc_seccomp_free (struct lc_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->prog);
  free (s);
}

int
lc_seccomp_compile (const struct spec_seccomp *s, struct lc_seccomp **ret, rv_error_t *err)
{
  _cleanup_close_ int memfd = -1;
  struct lc_seccomp *out = NULL;
  scmp_filter_ctx ctx = NULL;
  unsigned int def;
  bool notify = false;
  unsigned int flags = 0;
  char **f;
  size_t i;
  struct stat st;
  int r;

  if (lc_seccomp_action (s->default_action, &s->default_errno_ret, &def) < 0)
    return rv_error_set (err, EINVAL, "linux.seccomp.defaultAction: unknown action `%s`",
                         s->default_action ? s->default_action : "");
  if (def == SCMP_ACT_NOTIFY)
    return rv_error_set (err, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
  for (f = s->flags; f && *f; f++)
    {
      /* The child is single-threaded when it loads the filter: TSYNC has
       * nothing to synchronise (and conflicts with NEW_LISTENER).  */
      if (strcmp (*f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        continue;
      if (strcmp (*f, "SECCOMP_FILTER_FLAG_LOG") == 0)
        flags |= SECCOMP_FILTER_FLAG_LOG;
      else if (strcmp (*f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
      else if (strcmp (*f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        flags |= 1U << 5;
      else
        return rv_error_set (err, EINVAL, "linux.seccomp.flags: unknown flag `%s`", *f);
    }

  ctx = seccomp_init (def);
  if (ctx == NULL)
    return rv_error_set (err, EINVAL, "seccomp: cannot initialise the filter");
  for (f = s->architectures; f && *f; f++)
    {
      uint32_t arch = parse_arch (*f);
      if (arch == 0)
        {
          r = rv_error_set (err, EINVAL, "linux.seccomp.architectures: unknown architecture `%s`", *f);
          goto out;
        }
      r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          r = rv_error_make (err, -r, "linux.seccomp.architectures: add `%s`", *f);
          goto out;
        }
    }
  for (i = 0; i < s->syscalls_len; i++)
    {
      r = add_rules (ctx, &s->syscalls[i], i, def, &notify, err);
      if (r < 0)
        goto out;
    }
  if (notify && s->listener_path == NULL)
    {
      r = rv_error_set (err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath");
      goto out;
    }

  memfd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  if (memfd < 0)
    {
      r = rv_error_make (err, errno, "seccomp: memfd_create");
      goto out;
    }
  r = seccomp_export_bpf (ctx, memfd);
  if (r < 0)
    {
      r = rv_error_make (err, -r, "seccomp: export the filter");
      goto out;
    }
  if (fstat (memfd, &st) < 0 || lseek (memfd, 0, SEEK_SET) < 0)
    {
      r = rv_error_make (err, errno, "seccomp: read the filter back");
      goto out;
    }
  out = xmalloc0 (sizeof (*out));
  out->len = (size_t) st.st_size / sizeof (struct sock_filter);
  out->prog = xmalloc ((size_t) st.st_size);
  r = read_exact (memfd, out->prog, (size_t) st.st_size);
  if (r < 0)
    {
      lc_seccomp_free (out);
      r = rv_error_make (err, -r, "seccomp: read the filter back");
      goto out;
    }
  out->flags = flags;
  out->notify = notify;
  if (notify)
    out->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  *ret = out;
  r = 0;
out:
  seccomp_release (ctx);
  return r;
}

int
lc_seccomp_load (const struct lc_seccomp *s, int *ret_notify_fd, rv_error_t *err)
{
  struct sock_fprog prog = {
    .len = (unsigned short) s->len,
    .filter = s->prog,
  };
  int r;

  r = (int) syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &prog);
  if (r < 0)
    return rv_error_make (err, errno, "load the seccomp filter");
  *ret_notify_fd = s->notify ? r : -1;
  return 0;
}
