/* config.json outside the linux section: every field reaches the struct,
 * absent fields stay absent, the lookups, loading from a file.  */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_spec.h"

static struct spec_config *full;

static void
load_full (void)
{
  full = load_fixture ("full.json");
}

static void
free_full (void)
{
  spec_config_free (full);
}

TestSuite (config_fields, .init = load_full, .fini = free_full);

static void
assert_strv (char *const *v, const char *const *want, size_t n)
{
  size_t i;
  cr_assert_not_null (v);
  for (i = 0; i < n; i++)
    cr_assert_str_eq (v[i], want[i]);
  cr_assert_null (v[n]);
}

#define ASSERT_STRV(v, ...)                                                                                  \
  do                                                                                                         \
    {                                                                                                        \
      const char *const want_[] = { __VA_ARGS__ };                                                           \
      assert_strv ((v), want_, ARRAY_SIZE (want_));                                                          \
    }                                                                                                        \
  while (0)

Test (config_fields, oci_version_hostname_domainname)
{
  cr_assert_str_eq (full->oci_version, "1.2.0");
  cr_assert_str_eq (full->hostname, "box");
  cr_assert_str_eq (full->domainname, "example.org");
}

Test (config_fields, root)
{
  cr_assert_not_null (full->root);
  cr_assert_str_eq (full->root->path, "/var/lib/runvm/rootfs");
  cr_assert (full->root->readonly);
}

Test (config_fields, process_terminal_console_size)
{
  struct spec_process *p = full->process;
  cr_assert (p->terminal);
  cr_assert (p->has_console_size);
  cr_assert_eq (p->console_size.height, 25);
  cr_assert_eq (p->console_size.width, 80);
}

Test (config_fields, process_user)
{
  struct spec_user *u = &full->process->user;
  cr_assert_eq (u->uid, 1000);
  cr_assert_eq (u->gid, 1001);
  cr_assert (u->umask.set);
  cr_assert_eq (u->umask.value, 18);
  cr_assert_eq (u->additional_gids_len, 3);
  cr_assert_eq (u->additional_gids[0], 5);
  cr_assert_eq (u->additional_gids[1], 6);
  cr_assert_eq (u->additional_gids[2], UINT32_MAX);
  cr_assert_str_eq (u->username, "alice");
}

Test (config_fields, process_args_env_cwd_command_line)
{
  struct spec_process *p = full->process;
  ASSERT_STRV (p->args, "/bin/sh", "-c", "echo hi");
  ASSERT_STRV (p->env, "PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY=");
  cr_assert_str_eq (p->cwd, "/home/alice");
  cr_assert_str_eq (p->command_line, "sh -c 'echo hi'");
}

Test (config_fields, process_capabilities)
{
  struct spec_capabilities *c = full->process->capabilities;
  cr_assert_not_null (c);
  ASSERT_STRV (c->bounding, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  ASSERT_STRV (c->effective, "CAP_KILL");
  cr_assert_not_null (c->inheritable); /* present and empty */
  cr_assert_null (c->inheritable[0]);
  ASSERT_STRV (c->permitted, "CAP_KILL", "CAP_NET_BIND_SERVICE");
  ASSERT_STRV (c->ambient, "CAP_NET_BIND_SERVICE");
}

Test (config_fields, process_rlimits)
{
  struct spec_process *p = full->process;
  cr_assert_eq (p->rlimits_len, 2);
  cr_assert_str_eq (p->rlimits[0].type, "RLIMIT_NOFILE");
  cr_assert_eq (p->rlimits[0].soft, 1024);
  cr_assert_eq (p->rlimits[0].hard, 1048576);
  cr_assert_str_eq (p->rlimits[1].type, "RLIMIT_CORE");
  cr_assert_eq (p->rlimits[1].soft, UINT64_MAX);
  cr_assert_eq (p->rlimits[1].hard, UINT64_MAX);
}

Test (config_fields, process_security)
{
  struct spec_process *p = full->process;
  cr_assert (p->no_new_privileges);
  cr_assert_str_eq (p->apparmor_profile, "runvm-default");
  cr_assert_str_eq (p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
  cr_assert (p->oom_score_adj.set);
  cr_assert_eq (p->oom_score_adj.value, -999);
}

Test (config_fields, process_scheduler)
{
  struct spec_scheduler *s = full->process->scheduler;
  cr_assert_not_null (s);
  cr_assert_str_eq (s->policy, "SCHED_DEADLINE");
  cr_assert_eq (s->nice, 0);
  cr_assert_eq (s->priority, 0);
  ASSERT_STRV (s->flags, "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_DL_OVERRUN");
  cr_assert_eq (s->runtime, 10000000);
  cr_assert_eq (s->deadline, 20000000);
  cr_assert_eq (s->period, 30000000);
}

Test (config_fields, process_io_priority_exec_cpu_affinity)
{
  struct spec_process *p = full->process;
  cr_assert_str_eq (p->io_priority->klass, "IOPRIO_CLASS_BE");
  cr_assert_eq (p->io_priority->priority, 4);
  cr_assert_str_eq (p->exec_cpu_affinity->initial, "0-3,7");
  cr_assert_str_eq (p->exec_cpu_affinity->final, "4");
}

Test (config_fields, mounts)
{
  struct spec_mount *m = full->mounts;
  cr_assert_eq (full->mounts_len, 3);
  cr_assert_str_eq (m[0].destination, "/proc");
  cr_assert_str_eq (m[0].type, "proc");
  cr_assert_str_eq (m[0].source, "proc");
  cr_assert_null (m[0].options);
  cr_assert_null (m[0].uid_mappings);

  cr_assert_str_eq (m[1].destination, "/data");
  ASSERT_STRV (m[1].options, "rbind", "ro", "idmap");
  cr_assert_eq (m[1].uid_mappings_len, 1);
  cr_assert_eq (m[1].uid_mappings[0].container_id, 0);
  cr_assert_eq (m[1].uid_mappings[0].host_id, 100000);
  cr_assert_eq (m[1].uid_mappings[0].size, 65536);
  cr_assert_eq (m[1].gid_mappings_len, 1);
  cr_assert_eq (m[1].gid_mappings[0].host_id, 200000);

  /* Relative destinations are kept as written (runc resolves them
   * against "/").  */
  cr_assert_str_eq (m[2].destination, "relative/dir");
  cr_assert_not_null (m[2].options);
  cr_assert_null (m[2].options[0]);
}

Test (config_fields, hooks)
{
  struct spec_hooks *h = full->hooks;
  struct spec_hook *pre = h->hooks[SPEC_HOOK_PRESTART];

  cr_assert_eq (h->len[SPEC_HOOK_PRESTART], 1);
  cr_assert_str_eq (pre->path, "/usr/bin/prestart");
  ASSERT_STRV (pre->args, "prestart", "-v");
  ASSERT_STRV (pre->env, "A=1");
  cr_assert (pre->timeout.set);
  cr_assert_eq (pre->timeout.value, 5);

  cr_assert_eq (h->len[SPEC_HOOK_CREATE_RUNTIME], 1);
  cr_assert_str_eq (h->hooks[SPEC_HOOK_CREATE_RUNTIME][0].path, "/usr/bin/create-runtime");
  cr_assert_not (h->hooks[SPEC_HOOK_CREATE_RUNTIME][0].timeout.set);
  cr_assert_null (h->hooks[SPEC_HOOK_CREATE_RUNTIME][0].args);
  cr_assert_eq (h->hooks[SPEC_HOOK_CREATE_CONTAINER][0].timeout.value, INT32_MAX);
  cr_assert_str_eq (h->hooks[SPEC_HOOK_START_CONTAINER][0].path, "/usr/bin/start-container");
  cr_assert_eq (h->len[SPEC_HOOK_POSTSTART], 2);
  cr_assert_str_eq (h->hooks[SPEC_HOOK_POSTSTART][1].path, "/usr/bin/poststart2");
  /* An empty list is present, with no entries.  */
  cr_assert_not_null (h->hooks[SPEC_HOOK_POSTSTOP]);
  cr_assert_eq (h->len[SPEC_HOOK_POSTSTOP], 0);
}

Test (config_fields, annotations_in_document_order)
{
  cr_assert_eq (full->annotations_len, 3);
  cr_assert_str_eq (full->annotations[0].key, "io.runvm.vcpus");
  cr_assert_str_eq (full->annotations[0].value, "2");
  cr_assert_str_eq (full->annotations[1].key, "org.opencontainers.image.os");
  cr_assert_str_eq (full->annotations[2].key, "empty.value");
  cr_assert_str_eq (full->annotations[2].value, "");
}

Test (config_fields, lookups)
{
  cr_assert_str_eq (spec_annotation (full, "io.runvm.vcpus"), "2");
  cr_assert_str_eq (spec_annotation (full, "empty.value"), "");
  cr_assert_null (spec_annotation (full, "io.runvm.missing"));
  cr_assert_null (spec_annotation (NULL, "x"));
  cr_assert_null (spec_annotation (full, NULL));

  cr_assert_str_eq (spec_namespace_find (full, "network")->path, "/var/run/netns/box");
  cr_assert_null (spec_namespace_find (full, "pid")->path);
  cr_assert_null (spec_namespace_find (full, "foo"));
  cr_assert_null (spec_namespace_find (NULL, "pid"));
}

Test (config, minimal_config_leaves_everything_absent)
{
  struct spec_config *c = config_ok ("{'ociVersion':'1.0.2-dev'}");
  _cleanup_free_ char *json = spec_config_to_json (c, false);

  cr_assert_str_eq (c->oci_version, "1.0.2-dev");
  cr_assert_null (c->process);
  cr_assert_null (c->root);
  cr_assert_null (c->hostname);
  cr_assert_null (c->mounts);
  cr_assert_null (c->hooks);
  cr_assert_null (c->annotations);
  cr_assert_null (c->linux);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.0.2-dev\"}");
  spec_config_free (c);
}

Test (config, process_defaults)
{
  struct spec_config *c = config_ok ("{'ociVersion':'1.2.0','process':{'cwd':'/','args':['sh'],'user':{}}}");
  struct spec_process *p = c->process;
  _cleanup_free_ char *json = spec_process_to_json (p, false);

  cr_assert_not (p->terminal);
  cr_assert_not (p->has_console_size);
  cr_assert_eq (p->user.uid, 0);
  cr_assert_eq (p->user.gid, 0);
  cr_assert_not (p->user.umask.set);
  cr_assert_null (p->user.additional_gids);
  cr_assert_null (p->env);
  cr_assert_null (p->capabilities);
  cr_assert_null (p->rlimits);
  cr_assert_not (p->oom_score_adj.set);
  cr_assert_null (p->scheduler);
  cr_assert_null (p->io_priority);
  cr_assert_null (p->exec_cpu_affinity);
  /* user is always written, with uid and gid, as runc does.  */
  cr_assert_str_eq (json, "{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}");
  spec_config_free (c);
}

Test (config, scheduler_nice_and_priority)
{
  struct spec_config *c = config_ok ("{'ociVersion':'1.2.0','process':{'cwd':'/','args':['sh'],"
                                     "'scheduler':{'policy':'SCHED_BATCH','nice':-20}}}");
  cr_assert_eq (c->process->scheduler->nice, -20);
  spec_config_free (c);
  c = config_ok ("{'ociVersion':'1.2.0','process':{'cwd':'/','args':['sh'],"
                 "'scheduler':{'policy':'SCHED_RR','priority':99,'nice':100}}}");
  cr_assert_eq (c->process->scheduler->priority, 99);
  cr_assert_eq (c->process->scheduler->nice, 100); /* nice only bounds OTHER and BATCH */
  spec_config_free (c);
}

Test (config, oom_score_adj_zero_is_set)
{
  struct spec_config *c
      = config_ok ("{'ociVersion':'1.2.0','process':{'cwd':'/','args':['sh'],'oomScoreAdj':0}}");
  cr_assert (c->process->oom_score_adj.set);
  cr_assert_eq (c->process->oom_score_adj.value, 0);
  config_round_trip (c);
  spec_config_free (c);
}

Test (config, semver_forms)
{
  const char *good[]
      = { "0.0.0", "1.2.0", "1.0.2-dev", "1.0.0-rc.1+build.5", "10.20.30-alpha-1.0.x", "1.1.0+0012" };
  const char *bad[] = { "1",      "1.2",        "1.2.3.4",  "v1.2.0", "01.2.0", "1.02.0", "1.2.00",
                        "1.2.0-", "1.2.0-a..b", "1.2.0-01", "1.2.0+", "1.2.0 ", "",       "1.2.0-a_b" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (good); i++)
    {
      _cleanup_free_ char *doc = xasprintf ("{'ociVersion':'%s'}", good[i]);
      spec_config_free (config_ok (doc));
    }
  for (i = 0; i < ARRAY_SIZE (bad); i++)
    {
      _cleanup_free_ char *doc = xasprintf ("{'ociVersion':'%s'}", bad[i]);
      _cleanup_free_ char *want
          = xasprintf ("config.json: .ociVersion: \"%s\" is not a SemVer 2.0.0 version", bad[i]);
      _cleanup_free_ char *msg = config_error (doc);
      cr_expect_not_null (msg, "accepted %s", bad[i]);
      if (msg)
        cr_expect_str_eq (msg, want);
    }
}

Test (config, capability_names_are_shaped_not_known)
{
  /* A name the kernel may not know is kept: runc warns and skips it.  */
  struct spec_config *c = config_ok ("{'ociVersion':'1.2.0','process':{'cwd':'/','args':['sh'],"
                                     "'capabilities':{'bounding':['CAP_FUTURE_THING','CAP_BPF']}}}");
  cr_assert_str_eq (c->process->capabilities->bounding[0], "CAP_FUTURE_THING");
  spec_config_free (c);
}

Test (config, unknown_properties_are_ignored)
{
  struct spec_config *c
      = config_ok ("{'ociVersion':'1.2.0','solaris':{'milestone':'x'},'vm':{'kernel':{}},"
                   "'process':{'cwd':'/','args':['sh'],'x':[{}],'user':{'uid':1,'sid':'S-1'}},"
                   "'linux':{'netDevices':{'eth0':{}},'memoryPolicy':{'mode':'MPOL_BIND'},"
                   "'resources':{'future':1}}}");
  cr_assert_eq (c->process->user.uid, 1);
  cr_assert_not_null (c->linux->resources);
  spec_config_free (c);
}

Test (config, load_names_the_file_by_base_name)
{
  char dir[] = "/tmp/rv-spec-XXXXXX";
  _cleanup_free_ char *path = NULL, *missing = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  const char *bad = "{\"ociVersion\":\"1.2.0\",\"hostname\":7}";
  int fd;

  cr_assert_not_null (mkdtemp (dir));
  path = xasprintf ("%s/config.json", dir);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  cr_assert_geq (fd, 0);
  cr_assert_eq (write_all (fd, bad, strlen (bad)), 0);
  close (fd);

  cr_assert_eq (spec_config_load (path, &c, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "config.json: .hostname: expected a string, got an integer");
  cr_assert_null (c);

  missing = xasprintf ("%s/nope.json", dir);
  cr_assert_eq (spec_config_load (missing, &c, &err), -ENOENT);
  cr_assert (strstr (err->msg, "nope.json") != NULL, "%s", err->msg);

  unlink (path);
  rmdir (dir);
}

Test (config, hook_kind_names)
{
  cr_assert_str_eq (spec_hook_kind_name (SPEC_HOOK_PRESTART), "prestart");
  cr_assert_str_eq (spec_hook_kind_name (SPEC_HOOK_CREATE_RUNTIME), "createRuntime");
  cr_assert_str_eq (spec_hook_kind_name (SPEC_HOOK_CREATE_CONTAINER), "createContainer");
  cr_assert_str_eq (spec_hook_kind_name (SPEC_HOOK_START_CONTAINER), "startContainer");
  cr_assert_str_eq (spec_hook_kind_name (SPEC_HOOK_POSTSTART), "poststart");
  cr_assert_str_eq (spec_hook_kind_name (SPEC_HOOK_POSTSTOP), "poststop");
  cr_assert_null (spec_hook_kind_name (SPEC_HOOK_KINDS));
}

Test (config, free_accepts_null_and_half_built)
{
  struct spec_config *c = xmalloc0 (sizeof (*c));
  spec_config_free (NULL);
  spec_process_free (NULL);
  /* What an engine-side builder may leave behind: pointers set, counts
   * not yet.  */
  c->process = xmalloc0 (sizeof (*c->process));
  c->process->args = xcalloc (2, sizeof (char *));
  c->process->args[0] = xstrdup ("sh");
  c->linux = xmalloc0 (sizeof (*c->linux));
  c->linux->namespaces = xcalloc (4, sizeof (struct spec_namespace));
  c->linux->resources = xmalloc0 (sizeof (*c->linux->resources));
  spec_config_free (c);
}

Test (process, parse_process_json)
{
  const char *doc
      = "{'terminal':true,'consoleSize':{'height':40,'width':120},'user':{'uid':5,'gid':6},"
        "'args':['ls','-l'],'env':['A=b'],'cwd':'/tmp','noNewPrivileges':true,"
        "'capabilities':{'effective':['CAP_CHOWN']},'rlimits':[{'type':'RLIMIT_NPROC','soft':1,'hard':2}],"
        "'apparmorProfile':'p','selinuxLabel':'l','oomScoreAdj':1000,"
        "'execCPUAffinity':{'final':'1-2'}}";
  _cleanup_free_ char *j = J (doc);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_process *p = NULL, *back = NULL;
  _cleanup_free_ char *json = NULL;

  cr_assert_eq (spec_process_parse ("process.json", j, strlen (j), &p, &err), 0, "%s", err ? err->msg : "");
  cr_assert (p->terminal);
  cr_assert_eq (p->console_size.width, 120);
  cr_assert_eq (p->user.uid, 5);
  cr_assert_str_eq (p->args[1], "-l");
  cr_assert_str_eq (p->cwd, "/tmp");
  cr_assert_str_eq (p->rlimits[0].type, "RLIMIT_NPROC");
  cr_assert_eq (p->oom_score_adj.value, 1000);
  cr_assert_null (p->exec_cpu_affinity->initial);
  cr_assert_str_eq (p->exec_cpu_affinity->final, "1-2");

  json = spec_process_to_json (p, true);
  cr_assert_eq (spec_process_parse ("process.json", json, strlen (json), &back, &err), 0);
  cr_assert (spec_process_equal (p, back));
  back->user.gid = 7;
  cr_assert_not (spec_process_equal (p, back));
  spec_process_free (back);
  spec_process_free (p);
}

Test (process, errors_name_process_json)
{
  const struct error_case cases[] = {
    { "{}", "process.json: .args: required" },
    { "{'args':['sh']}", "process.json: .cwd: required" },
    { "{'args':['sh'],'cwd':'.'}", "process.json: .cwd: must be an absolute path, got \".\"" },
    { "[{'args':['sh']}]", "process.json: expected an object, got an array" },
    { "{'args':['sh'],'cwd':'/','user':{'uid':'0'}}",
      "process.json: .user.uid: expected an integer, got a string" },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      _cleanup_free_ char *j = J (cases[i].json);
      _cleanup_error_ rv_error_t err = NULL;
      struct spec_process *p = NULL;
      cr_expect_eq (spec_process_parse ("process.json", j, strlen (j), &p, &err), -EINVAL, "%s", j);
      if (err)
        cr_expect_str_eq (err->msg, cases[i].msg, "input: %s", j);
      cr_expect_null (p);
    }
}

Test (process, load)
{
  char dir[] = "/tmp/rv-spec-XXXXXX";
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_process *p = NULL;
  const char *doc = "{\"args\":[\"true\"],\"cwd\":\"/\"}";
  int fd;

  cr_assert_not_null (mkdtemp (dir));
  path = xasprintf ("%s/p.json", dir);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  cr_assert_eq (write_all (fd, doc, strlen (doc)), 0);
  close (fd);
  cr_assert_eq (spec_process_load (path, &p, &err), 0);
  cr_assert_str_eq (p->args[0], "true");
  spec_process_free (p);
  unlink (path);
  rmdir (dir);
}
