/* features.json: every field, errors, round trips, and what runc and crun
 * print for `features`.  */
#include <sys/wait.h>

#include "test_spec.h"

static const char *full_features
    = "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0',"
      "'hooks':['prestart','createRuntime','createContainer','startContainer','poststart','poststop'],"
      "'mountOptions':['bind','rbind','ro','idmap'],"
      "'linux':{'namespaces':['cgroup','ipc','mount','network','pid','user','uts','time'],"
      "'capabilities':['CAP_CHOWN','CAP_SYS_ADMIN','CAP_CHECKPOINT_RESTORE'],"
      "'cgroup':{'v1':true,'v2':true,'systemd':false,'systemdUser':false,'rdma':true},"
      "'seccomp':{'enabled':true,'actions':['SCMP_ACT_ALLOW','SCMP_ACT_NOTIFY'],"
      "'operators':['SCMP_CMP_EQ','SCMP_CMP_MASKED_EQ'],'archs':['SCMP_ARCH_X86_64','SCMP_ARCH_AARCH64'],"
      "'knownFlags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG'],"
      "'supportedFlags':['SECCOMP_FILTER_FLAG_LOG']},"
      "'apparmor':{'enabled':true},'selinux':{'enabled':false},'intelRdt':{'enabled':false},"
      "'mountExtensions':{'idmap':{'enabled':true}}},"
      "'annotations':{'io.runvm.version':'0.1.0','io.github.seccomp.libseccomp.version':'2.5.4'},"
      "'potentiallyUnsafeConfigAnnotations':['io.runvm.','run.oci.keep_original_groups']}";

static struct spec_features *
features_ok (const char *sq)
{
  _cleanup_free_ char *j = J (sq);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_features *f = NULL;
  cr_assert_eq (spec_features_parse ("features.json", j, strlen (j), &f, &err), 0, "%s -> %s", j,
                err ? err->msg : "");
  return f;
}

static void
features_round_trip (const struct spec_features *f)
{
  _cleanup_free_ char *json = spec_features_to_json (f, true);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_features *back = NULL;

  cr_assert_not_null (json);
  cr_assert_eq (spec_features_parse ("features.json", json, strlen (json), &back, &err), 0, "%s", json);
  cr_assert (spec_features_equal (f, back), "%s", json);
  spec_features_free (back);
}

Test (features, fields)
{
  struct spec_features *f = features_ok (full_features);
  struct spec_features_linux *l = f->linux;

  cr_assert_str_eq (f->oci_version_min, "1.0.0");
  cr_assert_str_eq (f->oci_version_max, "1.2.0");
  cr_assert_eq (strv_len (f->hooks), 6);
  cr_assert_str_eq (f->hooks[1], "createRuntime");
  cr_assert_str_eq (f->mount_options[3], "idmap");
  cr_assert_eq (strv_len (l->namespaces), 8);
  cr_assert_str_eq (l->capabilities[2], "CAP_CHECKPOINT_RESTORE");
  cr_assert (l->cgroup->v1.set && l->cgroup->v1.value);
  cr_assert (l->cgroup->v2.set && l->cgroup->v2.value);
  cr_assert (l->cgroup->systemd.set && !l->cgroup->systemd.value);
  cr_assert (l->cgroup->systemd_user.set && !l->cgroup->systemd_user.value);
  cr_assert (l->cgroup->rdma.set && l->cgroup->rdma.value);
  cr_assert (l->seccomp->enabled.value);
  cr_assert_str_eq (l->seccomp->actions[1], "SCMP_ACT_NOTIFY");
  cr_assert_str_eq (l->seccomp->operators[1], "SCMP_CMP_MASKED_EQ");
  cr_assert_str_eq (l->seccomp->archs[1], "SCMP_ARCH_AARCH64");
  cr_assert_str_eq (l->seccomp->known_flags[0], "SECCOMP_FILTER_FLAG_TSYNC");
  cr_assert_str_eq (l->seccomp->supported_flags[0], "SECCOMP_FILTER_FLAG_LOG");
  cr_assert (l->apparmor->enabled.set && l->apparmor->enabled.value);
  cr_assert (l->selinux->enabled.set && !l->selinux->enabled.value);
  cr_assert (l->intel_rdt->enabled.set && !l->intel_rdt->enabled.value);
  cr_assert (l->mount_extensions->idmap->enabled.value);
  cr_assert_eq (f->annotations_len, 2);
  cr_assert_str_eq (f->annotations[0].key, "io.runvm.version");
  cr_assert_str_eq (f->potentially_unsafe_config_annotations[1], "run.oci.keep_original_groups");
  features_round_trip (f);
  spec_features_free (f);
}

Test (features, absent_means_unknown)
{
  struct spec_features *f
      = features_ok ("{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'cgroup':{}}}");
  _cleanup_free_ char *json = spec_features_to_json (f, false);

  cr_assert_null (f->hooks);
  cr_assert_null (f->linux->seccomp);
  cr_assert_not (f->linux->cgroup->v1.set);
  cr_assert_str_eq (json,
                    "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.2.0\",\"linux\":{\"cgroup\":{}}}");
  features_round_trip (f);
  spec_features_free (f);
}

Test (features, errors)
{
  const struct error_case cases[] = {
    { "{}", "features.json: .ociVersionMin: required" },
    { "{'ociVersionMin':'1.0.0'}", "features.json: .ociVersionMax: required" },
    { "{'ociVersionMin':'1.0','ociVersionMax':'1.2.0'}",
      "features.json: .ociVersionMin: \"1.0\" is not a SemVer 2.0.0 version" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','hooks':'prestart'}",
      "features.json: .hooks: expected an array, got a string" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'namespaces':['pid','foo']}}",
      "features.json: .linux.namespaces[1]: unknown namespace type \"foo\"" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'capabilities':['chown']}}",
      "features.json: .linux.capabilities[0]: invalid capability name \"chown\"" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'cgroup':{'v1':'true'}}}",
      "features.json: .linux.cgroup.v1: expected a boolean, got a string" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'seccomp':{'actions':['X']}}}",
      "features.json: .linux.seccomp.actions[0]: unknown seccomp action \"X\"" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'seccomp':{'operators':['X']}}}",
      "features.json: .linux.seccomp.operators[0]: unknown seccomp operator \"X\"" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'seccomp':{'archs':['X']}}}",
      "features.json: .linux.seccomp.archs[0]: unknown seccomp architecture \"X\"" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'seccomp':{'knownFlags':['X']}}}",
      "features.json: .linux.seccomp.knownFlags[0]: unknown seccomp flag \"X\"" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'seccomp':{'supportedFlags':[1]}}}",
      "features.json: .linux.seccomp.supportedFlags[0]: expected a string, got an integer" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'apparmor':{'enabled':1}}}",
      "features.json: .linux.apparmor.enabled: expected a boolean, got an integer" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','linux':{'mountExtensions':{'idmap':[]}}}",
      "features.json: .linux.mountExtensions.idmap: expected an object, got an array" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','annotations':{'a':true}}",
      "features.json: .annotations[\"a\"]: expected a string, got a boolean" },
    { "{'ociVersionMin':'1.0.0','ociVersionMax':'1.2.0','potentiallyUnsafeConfigAnnotations':{}}",
      "features.json: .potentiallyUnsafeConfigAnnotations: expected an array, got an object" },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      _cleanup_free_ char *j = J (cases[i].json);
      _cleanup_error_ rv_error_t err = NULL;
      struct spec_features *f = NULL;
      cr_expect_eq (spec_features_parse ("features.json", j, strlen (j), &f, &err), -EINVAL, "%s", j);
      cr_expect_null (f);
      if (err)
        cr_expect (strcmp (err->msg, cases[i].msg) == 0, "input: %s\n  got: %s\n want: %s", j, err->msg,
                   cases[i].msg);
    }
}

/* What another runtime prints for `features` parses: the enumerations
 * agree with theirs.  */
static void
tool_features_parse (const char *tool, bool ours)
{
  _cleanup_free_ char *cmd = xasprintf ("%s features 2>/dev/null", tool);
  _cleanup_free_ char *data = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_features *f = NULL;
  FILE *p;
  size_t len;
  int status;

  p = popen (cmd, "r");
  cr_assert_not_null (p);
  cr_assert_eq (read_fd (fileno (p), 0, &data, &len, &err), 0);
  status = pclose (p);
  cr_assert (!ours || (WIFEXITED (status) && WEXITSTATUS (status) == 0), "`%s` failed", cmd);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || len == 0)
    cr_skip_test ("`%s` is not available", cmd);
  cr_assert_eq (spec_features_parse ("features.json", data, len, &f, &err), 0, "%s: %s", tool, err->msg);
  cr_assert_not_null (f->linux);
  cr_assert_not_null (f->linux->namespaces);
  features_round_trip (f);
  spec_features_free (f);
}

Test (features, runc_features)
{
  tool_features_parse ("runc", false);
}

Test (features, crun_features)
{
  /* crun before 1.9 has no `features`; the test then skips.  */
  tool_features_parse ("crun", false);
}

/* And so does our own.  */
Test (features, runvm_features)
{
  const char *dir = getenv ("RUNVM_BUILDDIR");
  _cleanup_free_ char *runvm = NULL;

  cr_assert_not_null (dir, "RUNVM_BUILDDIR is not set");
  runvm = xasprintf ("%s/bin/runvm", dir);
  tool_features_parse (runvm, true);
}

Test (features, free_accepts_null)
{
  spec_features_free (NULL);
}
