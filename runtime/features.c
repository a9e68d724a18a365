/* `features`: features.json (runtime-spec features.md) for this build.
 *
 * Each table below is what runvm accepts in config.json; later work that
 * adds support for something extends its table.  Capabilities and seccomp
 * are asked of libcap-ng and libseccomp at run time, since those libraries
 * do the work (in the guest, with the same library versions).  */
#include <cap-ng.h>
#include <ctype.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "common/utils.h"
#include "runtime/json_gen.h"
#include "runtime/runtime.h"
#include "version.h"

static const char *const hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

/* mount(8) flag names and their recursive (mount_setattr) forms; the
 * guest kernel (6.1) has mount_setattr and MOUNT_ATTR_NOSYMFOLLOW.  */
static const char *const mount_options[] = {
  "async",
  "atime",
  "bind",
  "defaults",
  "dev",
  "diratime",
  "dirsync",
  "exec",
  "iversion",
  "lazytime",
  "loud",
  "mand",
  "noatime",
  "nodev",
  "nodiratime",
  "noexec",
  "noiversion",
  "nolazytime",
  "nomand",
  "norelatime",
  "nostrictatime",
  "nosuid",
  "nosymfollow",
  "private",
  "ratime",
  "rbind",
  "rdev",
  "rdiratime",
  "relatime",
  "remount",
  "rexec",
  "rnoatime",
  "rnodev",
  "rnodiratime",
  "rnoexec",
  "rnorelatime",
  "rnostrictatime",
  "rnosuid",
  "rnosymfollow",
  "ro",
  "rprivate",
  "rrelatime",
  "rro",
  "rrw",
  "rshared",
  "rslave",
  "rstrictatime",
  "rsuid",
  "rsymfollow",
  "runbindable",
  "rw",
  "shared",
  "silent",
  "slave",
  "strictatime",
  "suid",
  "symfollow",
  "sync",
  "unbindable",
  NULL,
};

static const char *const namespaces[] = {
  "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL,
};

static const char *const seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
  "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

/* Actions with the libseccomp API level that brought them.  SCMP_ACT_NOTIFY
 * is left out: its listener socket would have to reach from the guest to
 * the host, which runvm does not do.  */
static const struct
{
  const char *name;
  unsigned api;
} seccomp_actions[] = {
  { "SCMP_ACT_ALLOW", 1 },        { "SCMP_ACT_ERRNO", 1 },       { "SCMP_ACT_KILL", 1 },
  { "SCMP_ACT_KILL_PROCESS", 3 }, { "SCMP_ACT_KILL_THREAD", 1 }, { "SCMP_ACT_LOG", 3 },
  { "SCMP_ACT_TRACE", 1 },        { "SCMP_ACT_TRAP", 1 },
};

/* The spec's architecture names and libseccomp's names for them; an
 * architecture is listed when the installed libseccomp resolves it.  */
static const struct
{
  const char *spec;
  const char *libseccomp;
} seccomp_archs[] = {
  { "SCMP_ARCH_AARCH64", "aarch64" },
  { "SCMP_ARCH_ARM", "arm" },
  { "SCMP_ARCH_LOONGARCH64", "loongarch64" },
  { "SCMP_ARCH_M68K", "m68k" },
  { "SCMP_ARCH_MIPS", "mips" },
  { "SCMP_ARCH_MIPS64", "mips64" },
  { "SCMP_ARCH_MIPS64N32", "mips64n32" },
  { "SCMP_ARCH_MIPSEL", "mipsel" },
  { "SCMP_ARCH_MIPSEL64", "mipsel64" },
  { "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" },
  { "SCMP_ARCH_PARISC", "parisc" },
  { "SCMP_ARCH_PARISC64", "parisc64" },
  { "SCMP_ARCH_PPC", "ppc" },
  { "SCMP_ARCH_PPC64", "ppc64" },
  { "SCMP_ARCH_PPC64LE", "ppc64le" },
  { "SCMP_ARCH_RISCV64", "riscv64" },
  { "SCMP_ARCH_S390", "s390" },
  { "SCMP_ARCH_S390X", "s390x" },
  { "SCMP_ARCH_SH", "sh" },
  { "SCMP_ARCH_SHEB", "sheb" },
  { "SCMP_ARCH_X32", "x32" },
  { "SCMP_ARCH_X86", "x86" },
  { "SCMP_ARCH_X86_64", "x86_64" },
};

/* Filter flags with the libseccomp API level that supports them.  */
static const struct
{
  const char *name;
  unsigned api;
} seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", 2 },
  { "SECCOMP_FILTER_FLAG_LOG", 3 },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4 },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 7 },
};

/* Config annotations that change what runvm does (the VM's launcher,
 * kernel, size...): the documented io.runvm.* allow-list.  */
static const char *const unsafe_config_annotations[] = {
  "io.runvm.",
  NULL,
};

/* runvm's own annotations in features.json, in key order.  Later work adds
 * what it makes configurable (launchers, transports) here.  */
static const struct
{
  const char *key;
  const char *value;
} runvm_annotations[] = {
  { "io.runvm.checkpoint.enabled", "false" },
  { "io.runvm.commit", RUNVM_COMMIT },
  { "io.runvm.version", RUNVM_VERSION },
};

static void
kstrv_const (struct rt_json *j, const char *key, const char *const *v)
{
  rt_json_key (j, key);
  rt_json_array_open (j);
  for (; *v; v++)
    rt_json_str (j, *v);
  rt_json_array_close (j);
}

static void
kenabled (struct rt_json *j, const char *key, bool enabled)
{
  rt_json_key (j, key);
  rt_json_map_open (j);
  rt_json_kbool (j, "enabled", enabled);
  rt_json_map_close (j);
}

static void
emit_capabilities (struct rt_json *j)
{
  unsigned cap;

  rt_json_key (j, "capabilities");
  rt_json_array_open (j);
  for (cap = 0; cap < 64; cap++)
    {
      const char *name = capng_capability_to_name (cap);
      char upper[64];
      size_t i;

      if (name == NULL)
        continue;
      for (i = 0; name[i] && i + 1 < sizeof (upper); i++)
        upper[i] = (char) toupper ((unsigned char) name[i]);
      upper[i] = '\0';
      {
        _cleanup_free_ char *full = xasprintf ("CAP_%s", upper);
        rt_json_str (j, full);
      }
    }
  rt_json_array_close (j);
}

static void
emit_seccomp (struct rt_json *j, unsigned api)
{
  size_t i;

  rt_json_key (j, "seccomp");
  rt_json_map_open (j);
  rt_json_kbool (j, "enabled", true);
  rt_json_key (j, "actions");
  rt_json_array_open (j);
  for (i = 0; i < ARRAY_SIZE (seccomp_actions); i++)
    if (api >= seccomp_actions[i].api)
      rt_json_str (j, seccomp_actions[i].name);
  rt_json_array_close (j);
  kstrv_const (j, "operators", seccomp_operators);
  rt_json_key (j, "archs");
  rt_json_array_open (j);
  for (i = 0; i < ARRAY_SIZE (seccomp_archs); i++)
    if (seccomp_arch_resolve_name (seccomp_archs[i].libseccomp) != 0)
      rt_json_str (j, seccomp_archs[i].spec);
  rt_json_array_close (j);
  rt_json_key (j, "knownFlags");
  rt_json_array_open (j);
  for (i = 0; i < ARRAY_SIZE (seccomp_flags); i++)
    rt_json_str (j, seccomp_flags[i].name);
  rt_json_array_close (j);
  rt_json_key (j, "supportedFlags");
  rt_json_array_open (j);
  for (i = 0; i < ARRAY_SIZE (seccomp_flags); i++)
    if (api >= seccomp_flags[i].api)
      rt_json_str (j, seccomp_flags[i].name);
  rt_json_array_close (j);
  rt_json_map_close (j);
}

char *
rt_features_json (void)
{
  const struct scmp_version *sv = seccomp_version ();
  unsigned api = seccomp_api_get ();
  _cleanup_free_ char *seccomp_ver = NULL;
  struct rt_json *j = rt_json_new ("    ");
  bool seccomp_done = false;
  size_t i;

  rt_json_map_open (j);
  rt_json_kstr (j, "ociVersionMin", "1.0.0");
  rt_json_kstr (j, "ociVersionMax", SPEC_VERSION);
  kstrv_const (j, "hooks", hooks);
  kstrv_const (j, "mountOptions", mount_options);

  rt_json_key (j, "linux");
  rt_json_map_open (j);
  kstrv_const (j, "namespaces", namespaces);
  emit_capabilities (j);
  rt_json_key (j, "cgroup");
  rt_json_map_open (j);
  rt_json_kbool (j, "v1", true);
  rt_json_kbool (j, "v2", true);
  rt_json_kbool (j, "systemd", false);
  rt_json_kbool (j, "systemdUser", false);
  rt_json_kbool (j, "rdma", false);
  rt_json_map_close (j);
  emit_seccomp (j, api);
  kenabled (j, "apparmor", false);
  kenabled (j, "selinux", false);
  kenabled (j, "intelRdt", false);
  rt_json_key (j, "mountExtensions");
  rt_json_map_open (j);
  kenabled (j, "idmap", false);
  rt_json_map_close (j);
  rt_json_map_close (j);

  /* Annotations in key order, as Go writes a map; libseccomp's version
   * key ("io.github...") sorts before runvm's ("io.runvm...").  */
  if (sv)
    seccomp_ver = xasprintf ("%u.%u.%u", sv->major, sv->minor, sv->micro);
  rt_json_key (j, "annotations");
  rt_json_map_open (j);
  for (i = 0; i < ARRAY_SIZE (runvm_annotations); i++)
    {
      if (!seccomp_done && seccomp_ver
          && strcmp ("io.github.seccomp.libseccomp.version", runvm_annotations[i].key) < 0)
        {
          rt_json_kstr (j, "io.github.seccomp.libseccomp.version", seccomp_ver);
          seccomp_done = true;
        }
      rt_json_kstr (j, runvm_annotations[i].key, runvm_annotations[i].value);
    }
  if (!seccomp_done && seccomp_ver)
    rt_json_kstr (j, "io.github.seccomp.libseccomp.version", seccomp_ver);
  rt_json_map_close (j);
  kstrv_const (j, "potentiallyUnsafeConfigAnnotations", unsafe_config_annotations);
  rt_json_map_close (j);
  return rt_json_finish (j, NULL);
}

int
rt_features (const struct rt_global *g, const struct rt_features_opts *o, rv_error_t *err)
{
  _cleanup_free_ char *text = rt_features_json ();

  (void) o;
  (void) err;
  fprintf (g->out, "%s\n", text);
  return 0;
}
