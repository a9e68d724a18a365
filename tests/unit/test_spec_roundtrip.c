/* Serialising: parse (to_json (x)) == x for every field; absent stays
 * absent; configs that runc and crun generate and a large engine-style
 * config parse (quickly) and survive the round trip.  */
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_spec.h"

Test (round_trip, full_fixture)
{
  struct spec_config *c = load_fixture ("full.json");
  config_round_trip (c);
  spec_config_free (c);
}

Test (round_trip, serialised_text_is_stable)
{
  struct spec_config *c = load_fixture ("full.json"), *back = NULL;
  _cleanup_free_ char *once = spec_config_to_json (c, true), *twice = NULL;
  _cleanup_error_ rv_error_t err = NULL;

  cr_assert_eq (spec_config_parse ("config.json", once, strlen (once), &back, &err), 0);
  twice = spec_config_to_json (back, true);
  cr_assert_str_eq (once, twice);
  /* Unknown members (windows, vendor extensions) are not carried over.  */
  cr_assert_null (strstr (once, "windows"));
  cr_assert_null (strstr (once, "x-vendor-extension"));
  spec_config_free (back);
  spec_config_free (c);
}

/* Each change to a parsed config must make it differ from the original:
 * equality looks at every member.  */
Test (round_trip, equal_sees_every_change)
{
  struct spec_config *a = load_fixture ("full.json");
  struct spec_config *b;
  char *saved;

/* MUTATION changes B; UNDO restores what free needs (a shortened length
 * would leak the entries past it).  */
#define DIFFERS_UNDO(mutation, undo)                                                                         \
  do                                                                                                         \
    {                                                                                                        \
      b = load_fixture ("full.json");                                                                        \
      cr_assert (spec_config_equal (a, b));                                                                  \
      mutation;                                                                                              \
      cr_assert_not (spec_config_equal (a, b), "%s", #mutation);                                             \
      cr_assert_not (spec_config_equal (b, a), "%s", #mutation);                                             \
      undo;                                                                                                  \
      spec_config_free (b);                                                                                  \
    }                                                                                                        \
  while (0)
#define DIFFERS(mutation) DIFFERS_UNDO (mutation, (void) 0)

  DIFFERS (b->hostname[0] = 'B');
  DIFFERS (b->process->terminal = false);
  DIFFERS (b->process->has_console_size = false);
  DIFFERS (b->process->console_size.width++);
  DIFFERS (b->process->user.umask.set = false);
  DIFFERS (b->process->user.additional_gids[2]--);
  DIFFERS_UNDO (b->process->user.additional_gids_len--, b->process->user.additional_gids_len++);
  DIFFERS (b->process->capabilities->ambient[0][0] = 'x');
  DIFFERS_UNDO (
      (saved = b->process->capabilities->permitted[1], b->process->capabilities->permitted[1] = NULL),
      b->process->capabilities->permitted[1] = saved);
  DIFFERS (strv_free (b->process->capabilities->inheritable); b->process->capabilities->inheritable = NULL);
  DIFFERS (b->process->rlimits[1].soft--);
  DIFFERS (b->process->oom_score_adj.value++);
  DIFFERS (b->process->scheduler->period++);
  DIFFERS (b->process->io_priority->priority++);
  DIFFERS (b->root->readonly = false);
  DIFFERS (b->mounts[1].uid_mappings[0].size++);
  DIFFERS_UNDO (b->mounts_len--, b->mounts_len++);
  DIFFERS (b->hooks->hooks[SPEC_HOOK_PRESTART][0].timeout.set = false);
  DIFFERS_UNDO (b->hooks->len[SPEC_HOOK_POSTSTART]--, b->hooks->len[SPEC_HOOK_POSTSTART]++);
  DIFFERS (b->annotations[2].value[0] = 'x');
  DIFFERS (b->annotations[0].key[0] = 'x');
  DIFFERS (b->linux->namespaces[1].path[1] = 'x');
  DIFFERS (b->linux->time_offsets[0].clock[0] = 'x');
  DIFFERS (b->linux->time_offsets[1].secs--);
  DIFFERS (b->linux->devices[0].gid.value++);
  DIFFERS (b->linux->resources->devices[0].allow = true);
  DIFFERS (b->linux->resources->devices[1].major.set = false);
  DIFFERS (b->linux->resources->memory->use_hierarchy.value = true);
  DIFFERS (b->linux->resources->memory->use_hierarchy.set = false);
  DIFFERS (b->linux->resources->cpu->idle.value = 0);
  DIFFERS (b->linux->resources->has_pids = false);
  DIFFERS (b->linux->resources->pids_limit = 7);
  DIFFERS (b->linux->resources->block_io->weight_device[1].leaf_weight.value++);
  DIFFERS (b->linux->resources->block_io->throttle_write_bps_device[0].rate--);
  DIFFERS (b->linux->resources->hugepage_limits[1].limit++);
  DIFFERS (b->linux->resources->network->priorities[1].priority++);
  DIFFERS (b->linux->resources->rdma[0].device[0] = 'x');
  DIFFERS (b->linux->resources->rdma[1].hca_handles.set = true);
  DIFFERS (b->linux->resources->unified[1].value[0] = 'x');
  DIFFERS (b->linux->sysctl[1].value[0] = '5');
  DIFFERS (b->linux->seccomp->syscalls[1].args[1].value_two++);
  DIFFERS (b->linux->seccomp->syscalls[2].errno_ret.value++);
  DIFFERS (b->linux->seccomp->listener_metadata[0] = 'x');
  DIFFERS (b->linux->intel_rdt->enable_mbm = false);
  DIFFERS (b->linux->personality->domain[5] = '6');

  spec_config_free (a);
}

/* A config assembled in C, as `runvm spec` or a test may build one,
 * serialises to the JSON a reader expects, with absent members left out.  */
Test (round_trip, built_in_code)
{
  struct spec_config *c = xmalloc0 (sizeof (*c));
  _cleanup_free_ char *json = NULL;

  c->oci_version = xstrdup (SPEC_VERSION);
  c->root = xmalloc0 (sizeof (*c->root));
  c->root->path = xstrdup ("rootfs");
  c->process = xmalloc0 (sizeof (*c->process));
  strv_append (&c->process->args, "sh");
  c->process->cwd = xstrdup ("/");
  c->process->rlimits = xcalloc (1, sizeof (struct spec_rlimit));
  c->process->rlimits_len = 1;
  c->process->rlimits[0].type = xstrdup ("RLIMIT_NOFILE");
  c->process->rlimits[0].soft = 1024;
  c->process->rlimits[0].hard = UINT64_MAX;
  c->linux = xmalloc0 (sizeof (*c->linux));
  c->linux->resources = xmalloc0 (sizeof (*c->linux->resources));
  c->linux->resources->memory = xmalloc0 (sizeof (struct spec_memory));
  c->linux->resources->memory->limit = (struct spec_opt_i64){ true, INT64_MIN };

  json = spec_config_to_json (c, false);
  cr_assert_str_eq (json,
                    "{\"ociVersion\":\"1.2.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
                    "\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,"
                    "\"soft\":1024}]},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":{\"memory\":{"
                    "\"limit\":-9223372036854775808}}}}");
  config_round_trip (c);
  spec_config_free (c);
}

Test (round_trip, invalid_utf8_gives_null)
{
  struct spec_config *c = xmalloc0 (sizeof (*c));
  c->oci_version = xstrdup ("1.2.0");
  c->hostname = xstrdup ("caf\xe9");
  cr_assert_null (spec_config_to_json (c, false));
  cr_assert_null (spec_config_to_json (NULL, false));
  spec_config_free (c);
}

/* Runs TOOL spec [ARGS] in a fresh directory and parses what it wrote.  */
static void
tool_spec_parses (const char *tool, const char *extra, bool ours)
{
  char dir[] = "/tmp/rv-spec-XXXXXX";
  _cleanup_free_ char *cmd = NULL, *path = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  int status;

  cmd = xasprintf ("command -v '%s' >/dev/null 2>&1", tool);
  if (system (cmd) != 0)
    {
      cr_assert_not (ours, "%s is missing", tool);
      cr_skip_test ("%s is not installed", tool);
    }
  cr_assert_not_null (mkdtemp (dir));
  free (cmd);
  cmd = xasprintf ("cd %s && %s spec %s >/dev/null 2>&1", dir, tool, extra);
  status = system (cmd);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s failed", cmd);

  path = xasprintf ("%s/config.json", dir);
  cr_assert_eq (spec_config_load (path, &c, &err), 0, "%s %s: %s", tool, extra, err ? err->msg : "");
  cr_assert_not_null (c->process);
  cr_assert_str_eq (c->process->cwd, "/");
  cr_assert_not_null (c->root);
  cr_assert_str_eq (c->root->path, "rootfs");
  cr_assert_not_null (spec_namespace_find (c, "mount"));
  config_round_trip (c);
  spec_config_free (c);
  unlink (path);
  rmdir (dir);
}

Test (round_trip, runc_spec)
{
  tool_spec_parses ("runc", "", false);
}

Test (round_trip, runc_spec_rootless)
{
  tool_spec_parses ("runc", "--rootless", false);
}

Test (round_trip, crun_spec)
{
  tool_spec_parses ("crun", "", false);
}

Test (round_trip, crun_spec_rootless)
{
  tool_spec_parses ("crun", "--rootless", false);
}

/* Our own `runvm spec` writes what our parser reads.  */
static char *
runvm_binary (void)
{
  const char *dir = getenv ("RUNVM_BUILDDIR");
  cr_assert_not_null (dir, "RUNVM_BUILDDIR is not set");
  return xasprintf ("%s/bin/runvm", dir);
}

Test (round_trip, runvm_spec)
{
  _cleanup_free_ char *runvm = runvm_binary ();
  tool_spec_parses (runvm, "", true);
}

Test (round_trip, runvm_spec_rootless)
{
  _cleanup_free_ char *runvm = runvm_binary ();
  tool_spec_parses (runvm, "--rootless", true);
}

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

Test (round_trip, large_engine_config_parses_quickly)
{
  _cleanup_free_ char *path = spec_fixture_path ("large.json"), *data = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  size_t len, i, n = 20;
  double start, per_parse;

  cr_assert_eq (read_file (path, 0, &data, &len, &err), 0, "%s", err ? err->msg : "");
  start = now_seconds ();
  for (i = 0; i < n; i++)
    {
      cr_assert_eq (spec_config_parse ("config.json", data, len, &c, &err), 0, "%s", err ? err->msg : "");
      if (i + 1 < n)
        spec_config_free (c);
    }
  per_parse = (now_seconds () - start) / (double) n;
  cr_log_info ("large.json (%zu bytes): %.3f ms per parse", len, per_parse * 1e3);
  /* A few hundred microseconds in an optimised build; the bound leaves
   * room for sanitizers and a loaded machine.  */
  cr_assert_lt (per_parse, 0.05, "%.3f ms per parse", per_parse * 1e3);

  cr_assert_eq (c->mounts_len, 210);
  cr_assert_gt (strv_len (c->linux->seccomp->syscalls[0].names), 300);
  cr_assert_eq (c->linux->seccomp->syscalls_len, 9);
  cr_assert_eq (c->annotations_len, 50);
  cr_assert_eq (c->linux->resources->block_io->weight.value, 0);
  config_round_trip (c);
  spec_config_free (c);
}
