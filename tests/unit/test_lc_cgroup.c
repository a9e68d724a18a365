/* Cgroups: the v1 and v2 writers against hierarchies faked in temporary
 * directories (the values written, their order, the conversions), the
 * device rule emulator and its eBPF program, and the real host's
 * hierarchies (this host is hybrid: v1 controllers plus cgroup2 at
 * /sys/fs/cgroup/unified) for joining, listing, freezing, killing and
 * removing.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/utils.h"
#include "libcontainer/cgroup.h"
#include "tests/unit/support/cgroup_host.h"
#include "tests/unit/support/shell.h"

static char *tmp;

static char *
slurp (const char *fmt, ...)
{
  _cleanup_free_ char *path = NULL;
  rv_error_t err = NULL;
  char *data = NULL;
  size_t len = 0;
  va_list ap;
  va_start (ap, fmt);
  path = xvasprintf (fmt, ap);
  va_end (ap);
  cr_assert_eq (read_file (path, 0, &data, &len, &err), 0, "%s", path);
  while (len > 0 && data[len - 1] == '\n')
    data[--len] = '\0';
  return data;
}

static void
setup_tmp (void)
{
  tmp = xstrdup ("/tmp/lc-cg-XXXXXX");
  cr_assert_not_null (mkdtemp (tmp));
}

static void
teardown_tmp (void)
{
  tb_sh ("rm -rf %s", tmp);
  free (tmp);
}

/* A fake v2 hierarchy: the root offers CONTROLLERS and the cgroup a/b has
 * the interface files already (a real kernel makes them on mkdir).  */
static struct lc_cg_layout *
fake_v2 (void)
{
  static const char *const files[] = { "cgroup.procs",    "cgroup.subtree_control",
                                       "memory.max",      "memory.swap.max",
                                       "memory.low",      "cpu.weight",
                                       "cpu.max",         "cpu.max.burst",
                                       "cpu.idle",        "pids.max",
                                       "io.weight",       "io.max",
                                       "cpuset.cpus",     "cpuset.mems",
                                       "hugetlb.2MB.max", "rdma.max",
                                       "memory.high" };
  struct lc_cg_layout *l = lc_cg_layout_new ();
  const char *const ctl[] = { "cpu", "memory", "pids", "io", "cpuset", "hugetlb", "rdma", NULL };
  size_t i;

  tb_sh ("mkdir -p %s/v2/a/b && echo 'cpu memory pids io cpuset hugetlb rdma' > %s/v2/cgroup.controllers",
         tmp, tmp);
  tb_sh ("cp %s/v2/cgroup.controllers %s/v2/a/cgroup.controllers && touch %s/v2/cgroup.subtree_control "
         "%s/v2/a/cgroup.subtree_control",
         tmp, tmp, tmp, tmp);
  for (i = 0; i < ARRAY_SIZE (files); i++)
    tb_sh ("touch %s/v2/a/b/%s", tmp, files[i]);
  _cleanup_free_ char *root = xasprintf ("%s/v2", tmp);
  lc_cg_layout_add (l, 2, root, "/", ctl);
  return l;
}

Test (lc_cgroup, v2_values_and_conversions, .init = setup_tmp, .fini = teardown_tmp)
{
  struct lc_cg_layout *l = fake_v2 ();
  struct spec_memory mem = { .limit = { true, 1 << 30 },
                             .swap = { true, (1 << 30) + (1 << 20) },
                             .reservation = { true, 1 << 20 } };
  struct spec_cpu cpu = { .shares = { true, 1024 },
                          .quota = { true, 50000 },
                          .period = { true, 100000 },
                          .burst = { true, 1000 },
                          .idle = { true, 1 },
                          .cpus = (char *) "0",
                          .mems = (char *) "0" };
  struct spec_throttle_device thr = { 8, 0, 1048576 };
  struct spec_block_io bio
      = { .weight = { true, 500 }, .throttle_read_bps_device = &thr, .throttle_read_bps_device_len = 1 };
  struct spec_hugepage_limit hp = { (char *) "2MB", 4194304 };
  struct spec_kv unified = { (char *) "memory.high", (char *) "123456789" };
  struct spec_resources r = { .memory = &mem,
                              .cpu = &cpu,
                              .has_pids = true,
                              .pids_limit = 42,
                              .block_io = &bio,
                              .hugepage_limits = &hp,
                              .hugepage_limits_len = 1,
                              .unified = &unified,
                              .unified_len = 1 };
  struct lc_cgroup *cg = NULL;
  rv_error_t err = NULL;

  cr_assert_eq (lc_cgroup_create_in (l, "/a/b", &r, 0, &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (slurp ("%s/v2/a/b/memory.max", tmp), "1073741824");
  cr_assert_str_eq (slurp ("%s/v2/a/b/memory.swap.max", tmp), "1048576");
  cr_assert_str_eq (slurp ("%s/v2/a/b/memory.low", tmp), "1048576");
  cr_assert_str_eq (slurp ("%s/v2/a/b/cpu.weight", tmp), "100");
  cr_assert_str_eq (slurp ("%s/v2/a/b/cpu.max", tmp), "50000 100000");
  cr_assert_str_eq (slurp ("%s/v2/a/b/cpu.max.burst", tmp), "1000");
  cr_assert_str_eq (slurp ("%s/v2/a/b/cpu.idle", tmp), "1");
  cr_assert_str_eq (slurp ("%s/v2/a/b/pids.max", tmp), "42");
  cr_assert_str_eq (slurp ("%s/v2/a/b/io.weight", tmp), "4950");
  cr_assert_str_eq (slurp ("%s/v2/a/b/io.max", tmp), "8:0 rbps=1048576");
  cr_assert_str_eq (slurp ("%s/v2/a/b/cpuset.cpus", tmp), "0");
  cr_assert_str_eq (slurp ("%s/v2/a/b/hugetlb.2MB.max", tmp), "4194304");
  cr_assert_str_eq (slurp ("%s/v2/a/b/memory.high", tmp), "123456789");
  /* Controllers are delegated down to the leaf's parent.  */
  cr_assert_str_eq (slurp ("%s/v2/cgroup.subtree_control", tmp),
                    "+cpu +memory +pids +io +cpuset +hugetlb +rdma");
  cr_assert_str_eq (slurp ("%s/v2/a/cgroup.subtree_control", tmp),
                    "+cpu +memory +pids +io +cpuset +hugetlb +rdma");
  lc_cgroup_free (cg);
  lc_cg_layout_free (l);
}

Test (lc_cgroup, v2_unlimited_and_errors, .init = setup_tmp, .fini = teardown_tmp)
{
  struct lc_cg_layout *l = fake_v2 ();
  struct spec_memory mem = { .limit = { true, -1 } };
  struct spec_cpu cpu = { .quota = { true, -1 } };
  struct spec_resources r = { .memory = &mem, .cpu = &cpu, .has_pids = true, .pids_limit = -1 };
  struct spec_memory bad = { .limit = { true, 1000 }, .swap = { true, 10 } };
  struct spec_resources rb = { .memory = &bad };
  struct spec_kv unified = { (char *) "nothere.max", (char *) "1" };
  struct spec_resources ru = { .unified = &unified, .unified_len = 1 };
  struct lc_cgroup *cg = NULL;
  rv_error_t err = NULL;

  cr_assert_eq (lc_cgroup_create_in (l, "/a/b", &r, 0, &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (slurp ("%s/v2/a/b/memory.max", tmp), "max");
  cr_assert_str_eq (slurp ("%s/v2/a/b/memory.swap.max", tmp), "max");
  cr_assert_str_eq (slurp ("%s/v2/a/b/cpu.max", tmp), "max 100000");
  cr_assert_str_eq (slurp ("%s/v2/a/b/pids.max", tmp), "max");
  cr_assert_lt (lc_cgroup_update (cg, &rb, &err), 0);
  cr_assert (strstr (err->msg, "must be >= memory.limit") != NULL, "%s", err->msg);
  rv_error_release (&err);
  cr_assert_lt (lc_cgroup_update (cg, &ru, &err), 0);
  cr_assert (strstr (err->msg, "controller `nothere` is not available") != NULL, "%s", err->msg);
  rv_error_release (&err);
  lc_cgroup_free (cg);
  lc_cg_layout_free (l);
}

Test (lc_cgroup, shares_and_weights)
{
  cr_assert_eq (lc_cg_shares_to_weight (1024), 100);
  cr_assert_eq (lc_cg_shares_to_weight (2), 1);
  cr_assert_eq (lc_cg_shares_to_weight (262144), 10000);
  cr_assert_eq (lc_cg_shares_to_weight (512), 59);
  cr_assert_eq (lc_cg_blkio_to_io_weight (10), 1);
  cr_assert_eq (lc_cg_blkio_to_io_weight (1000), 10000);
}

/* Fake v1: memory and cpu,cpuacct hierarchies, plus a cpuset one whose
 * new cgroups start empty like the kernel's.  */
static struct lc_cg_layout *
fake_v1 (void)
{
  struct lc_cg_layout *l = lc_cg_layout_new ();
  const char *const mem[] = { "memory", NULL };
  const char *const cpu[] = { "cpu", "cpuacct", NULL };
  const char *const cpuset[] = { "cpuset", NULL };
  _cleanup_free_ char *m = xasprintf ("%s/memory", tmp);
  _cleanup_free_ char *c = xasprintf ("%s/cpu,cpuacct", tmp);
  _cleanup_free_ char *s = xasprintf ("%s/cpuset", tmp);

  tb_sh ("mkdir -p %s/memory/x %s/cpu,cpuacct/x %s/cpuset/x", tmp, tmp, tmp);
  tb_sh ("cd %s/memory/x && touch cgroup.procs memory.memsw.limit_in_bytes memory.soft_limit_in_bytes "
         "memory.swappiness memory.oom_control && echo 9223372036854771712 > memory.limit_in_bytes",
         tmp);
  tb_sh ("cd %s/cpu,cpuacct/x && touch cgroup.procs cpu.cfs_period_us cpu.cfs_quota_us cpu.rt_runtime_us "
         "cpu.rt_period_us && echo 0 > cpu.shares",
         tmp);
  tb_sh ("cd %s/cpuset && echo 0-1 > cpuset.cpus && echo 0 > cpuset.mems && cd x && touch cgroup.procs "
         "cpuset.cpus "
         "cpuset.mems",
         tmp);
  lc_cg_layout_add (l, 1, m, "/", mem);
  lc_cg_layout_add (l, 1, c, "/", cpu);
  lc_cg_layout_add (l, 1, s, "/", cpuset);
  return l;
}

Test (lc_cgroup, v1_values_order_and_cpuset, .init = setup_tmp, .fini = teardown_tmp)
{
  struct lc_cg_layout *l = fake_v1 ();
  struct spec_memory mem = { .limit = { true, 1 << 30 },
                             .swap = { true, 2LL << 30 },
                             .reservation = { true, 4096 },
                             .swappiness = { true, 10 },
                             .disable_oom_killer = { true, true } };
  struct spec_cpu cpu = { .shares = { true, 0 },
                          .quota = { true, 20000 },
                          .period = { true, 50000 },
                          .realtime_runtime = { true, 950 },
                          .realtime_period = { true, 1000 } };
  struct spec_resources r = { .memory = &mem, .cpu = &cpu };
  struct lc_cgroup *cg = NULL;
  rv_error_t err = NULL;

  cr_assert_eq (l->mode, LC_CG_MODE_V1);
  cr_assert_eq (lc_cgroup_create_in (l, "/x/y", &r, 0, &cg, &err), -ENOENT);
  rv_error_release (&err);
  /* The fake kernel makes no files in new directories: use x.  */
  cr_assert_eq (lc_cgroup_create_in (l, "/x", &r, 0, &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (slurp ("%s/memory/x/memory.limit_in_bytes", tmp), "1073741824");
  cr_assert_str_eq (slurp ("%s/memory/x/memory.memsw.limit_in_bytes", tmp), "2147483648");
  cr_assert_str_eq (slurp ("%s/memory/x/memory.soft_limit_in_bytes", tmp), "4096");
  cr_assert_str_eq (slurp ("%s/memory/x/memory.swappiness", tmp), "10");
  cr_assert_str_eq (slurp ("%s/memory/x/memory.oom_control", tmp), "1");
  cr_assert_str_eq (slurp ("%s/cpu,cpuacct/x/cpu.cfs_quota_us", tmp), "20000");
  cr_assert_str_eq (slurp ("%s/cpu,cpuacct/x/cpu.cfs_period_us", tmp), "50000");
  cr_assert_str_eq (slurp ("%s/cpu,cpuacct/x/cpu.rt_runtime_us", tmp), "950");
  cr_assert_str_eq (slurp ("%s/cpu,cpuacct/x/cpu.rt_period_us", tmp), "1000");
  /* An existing cgroup with empty cpuset files is not ours to fill.  */
  cr_assert_str_eq (slurp ("%s/cpuset/x/cpuset.cpus", tmp), "");
  lc_cgroup_free (cg);
  lc_cg_layout_free (l);
}

Test (lc_cgroup, paths_relative_absolute_systemd, .init = setup_tmp, .fini = teardown_tmp)
{
  struct lc_cg_layout *l = lc_cg_layout_new ();
  const char *const ctl[] = { "memory", NULL };
  struct lc_cgroup *cg = NULL;
  rv_error_t err = NULL;

  lc_cg_layout_add (l, 2, tmp, "/own/slice", ctl);
  cr_assert_eq (lc_cgroup_open_in (l, "/", &cg, &err), 0);
  cr_assert_str_eq (cg->dirs[0].path, tmp);
  lc_cgroup_free (cg);
  tb_sh ("mkdir -p %s/own/slice/rel %s/abs %s/system.slice/docker-abc.scope %s/a.slice/a-b.slice/c.scope",
         tmp, tmp, tmp, tmp);
  cr_assert_eq (lc_cgroup_open_in (l, "rel", &cg, &err), 0);
  cr_assert (str_has_suffix (cg->dirs[0].path, "/own/slice/rel"), "%s", cg->dirs[0].path);
  lc_cgroup_free (cg);
  cr_assert_eq (lc_cgroup_open_in (l, "/../../abs", &cg, &err), 0);
  cr_assert_str_eq (cg->dirs[0].rel, "/abs");
  lc_cgroup_free (cg);
  cr_assert_eq (lc_cgroup_open_in (l, "system.slice:docker:abc", &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (cg->dirs[0].rel, "/system.slice/docker-abc.scope");
  lc_cgroup_free (cg);
  cr_assert_eq (lc_cgroup_open_in (l, "a-b.slice::c", &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (cg->dirs[0].rel, "/a.slice/a-b.slice/c.scope");
  lc_cgroup_free (cg);
  cr_assert_lt (lc_cgroup_open_in (l, "/missing", &cg, &err), 0);
  cr_assert_eq (err->status, ENOENT);
  rv_error_release (&err);
  lc_cg_layout_free (l);
}

/* ---- device rules ----------------------------------------------------- */

static struct lc_dev_rule
R (char t, int64_t ma, int64_t mi, unsigned acc, bool allow)
{
  struct lc_dev_rule r = { t, ma, mi, acc, allow };
  return r;
}

#define RD LC_DEV_ACC_READ
#define WR LC_DEV_ACC_WRITE
#define MK LC_DEV_ACC_MKNOD

Test (lc_cgroup, device_emulator)
{
  struct lc_dev_state s = { 0 };
  struct lc_dev_rule rules[] = {
    R ('a', -1, -1, RD | WR | MK, false),
    R ('c', 1, 3, RD | WR | MK, true),
    R ('c', 1, -1, RD, true),
    R ('c', 1, 3, WR, false),
    R ('b', 8, 0, MK, true),
  };

  lc_dev_state_apply (&s, rules, ARRAY_SIZE (rules));
  cr_assert_not (s.default_allow);
  cr_assert (lc_dev_state_allows (&s, 'c', 1, 3, RD));
  /* The write bit was taken back from c 1:3.  */
  cr_assert_not (lc_dev_state_allows (&s, 'c', 1, 3, WR));
  cr_assert_not (lc_dev_state_allows (&s, 'c', 1, 3, RD | WR));
  cr_assert (lc_dev_state_allows (&s, 'c', 1, 9, RD));
  cr_assert_not (lc_dev_state_allows (&s, 'c', 1, 9, WR));
  cr_assert_not (lc_dev_state_allows (&s, 'c', 5, 1, RD));
  cr_assert (lc_dev_state_allows (&s, 'b', 8, 0, MK));
  cr_assert_not (lc_dev_state_allows (&s, 'b', 8, 0, RD));
  lc_dev_state_clear (&s);

  /* Allow all, then holes.  */
  {
    struct lc_dev_rule r2[] = { R ('a', -1, -1, RD | WR | MK, true), R ('c', 10, 200, RD | WR, false) };
    lc_dev_state_apply (&s, r2, ARRAY_SIZE (r2));
    cr_assert (s.default_allow);
    cr_assert (lc_dev_state_allows (&s, 'c', 10, 200, MK));
    cr_assert_not (lc_dev_state_allows (&s, 'c', 10, 200, RD | MK));
    cr_assert (lc_dev_state_allows (&s, 'b', 1, 1, RD | WR));
    _cleanup_free_ char *str = lc_dev_rule_string (&s.ex[0]);
    cr_assert_str_eq (str, "c 10:200 rw");
    lc_dev_state_clear (&s);
  }
}

Test (lc_cgroup, device_rules_from_spec)
{
  struct spec_device_cgroup d[] = {
    { false, NULL, { false, 0 }, { false, 0 }, (char *) "rwm" },
    { true, (char *) "c", { true, 1 }, { true, 3 }, NULL },
    { true, (char *) "x", { true, 1 }, { true, 3 }, (char *) "r" },
  };
  struct lc_dev_rule *rules = NULL;
  rv_error_t err = NULL;
  size_t n = 0;

  cr_assert_eq (lc_dev_rules_from_spec (d, 2, &rules, &n, &err), 0);
  cr_assert_eq (rules[0].type, 'a');
  cr_assert_eq (rules[0].major, -1);
  cr_assert_eq (rules[1].access, RD | WR | MK);
  free (rules);
  cr_assert_lt (lc_dev_rules_from_spec (d, 3, &rules, &n, &err), 0);
  cr_assert (strstr (err->msg, "invalid type `x`") != NULL);
  rv_error_release (&err);
}

/* ---- the real host ---------------------------------------------------- */

static bool
have_v1 (const char *controller)
{
  _cleanup_free_ char *p = xasprintf ("/sys/fs/cgroup/%s/cgroup.procs", controller);
  return access (p, W_OK) == 0;
}

static pid_t
sleeper (void)
{
  pid_t p = fork ();
  cr_assert_geq (p, 0);
  if (p == 0)
    {
      for (;;)
        pause ();
    }
  return p;
}

Test (lc_cgroup, host_create_join_freeze_kill_destroy)
{
  _cleanup_free_ char *path = xasprintf ("/runvm-test-cg-%d/lc", (int) getpid ());
  struct spec_memory mem = { .limit = { true, 64 << 20 } };
  /* What the host offers, and exactly that is checked below.  */
  bool has_memory = tc_host_offers ("memory"), has_pids = tc_host_offers ("pids");
  struct spec_resources r
      = { .memory = has_memory ? &mem : NULL, .has_pids = has_pids, .pids_limit = has_pids ? 10 : 0 };
  _cleanup_free_ pid_t *pids = NULL;
  _cleanup_free_ char *stats = NULL;
  struct lc_cgroup *cg = NULL;
  rv_error_t err = NULL;
  size_t n = 0;
  pid_t p;
  int status;

  if (!have_v1 ("memory") && access ("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0)
    cr_skip_test ("no writable cgroup hierarchy");
  p = sleeper ();
  cr_assert_eq (lc_cgroup_create (path, &r, p, &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_cgroup_pids (cg, &pids, &n, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (n, 1);
  cr_assert_eq (pids[0], p);
  if (have_v1 ("memory"))
    {
      _cleanup_free_ char *f = xasprintf ("/sys/fs/cgroup/memory%s", path);
      cr_assert_str_eq (slurp ("%s/memory.limit_in_bytes", f), "67108864");
    }
  cr_assert_eq (lc_cgroup_freeze (cg, true, &err), 0, "%s", err ? err->msg : "");
  {
    _cleanup_free_ char *st = slurp ("/proc/%d/stat", (int) p);
    (void) st;
  }
  cr_assert_eq (lc_cgroup_freeze (cg, false, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_cgroup_stats_json (cg, &stats, &err), 0);
  {
    char ebuf[256];
    yajl_val tree = yajl_tree_parse (stats, ebuf, sizeof (ebuf));
    const char *pp[] = { "pids", "current", NULL };
    const char *mp[] = { "memory", "usage", "limit", NULL };
    const char *pl[] = { "pids", "limit", NULL };
    cr_assert_not_null (tree, "%s", stats);
    if (has_pids)
      {
        cr_assert_eq (YAJL_GET_INTEGER (yajl_tree_get (tree, pp, yajl_t_number)), 1, "%s", stats);
        cr_assert_eq (YAJL_GET_INTEGER (yajl_tree_get (tree, pl, yajl_t_number)), 10, "%s", stats);
      }
    else
      cr_assert_null (yajl_tree_get (tree, pp, yajl_t_any), "%s", stats);
    if (has_memory)
      cr_assert_eq (YAJL_GET_INTEGER (yajl_tree_get (tree, mp, yajl_t_number)), 64 << 20, "%s", stats);
    else
      cr_assert_null (yajl_tree_get (tree, mp, yajl_t_any), "%s", stats);
    yajl_tree_free (tree);
  }
  cr_assert_eq (lc_cgroup_kill (cg, SIGKILL, &err), 0);
  cr_assert_eq (waitpid (p, &status, 0), p);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  cr_assert_eq (lc_cgroup_destroy (cg, &err), 0, "%s", err ? err->msg : "");
  lc_cgroup_free (cg);
  if (have_v1 ("memory"))
    {
      _cleanup_free_ char *f = xasprintf ("/sys/fs/cgroup/memory%s", path);
      _cleanup_free_ char *parent = xasprintf ("/sys/fs/cgroup/memory/runvm-test-cg-%d", (int) getpid ());
      cr_assert_neq (access (f, F_OK), 0);
      cr_assert_neq (access (parent, F_OK), 0, "the parent we made is gone too");
    }
}

/* The eBPF device filter on a real cgroup2 hierarchy: the unified one of
 * this hybrid host, or /sys/fs/cgroup on a v2 host.  */
static const char *
v2_root (void)
{
  if (access ("/sys/fs/cgroup/unified/cgroup.procs", W_OK) == 0)
    return "/sys/fs/cgroup/unified";
  if (access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
    return "/sys/fs/cgroup";
  return NULL;
}

Test (lc_cgroup, bpf_device_filter_on_host)
{
  const char *root = v2_root ();
  _cleanup_free_ char *dir = NULL;
  struct lc_dev_rule rules[]
      = { R ('a', -1, -1, RD | WR | MK, false), R ('c', 1, 3, RD | WR, true), R ('c', 1, 5, RD, true) };
  struct lc_dev_state s = { 0 };
  rv_error_t err = NULL;
  int dirfd, fds[2], status;
  char res[4] = { 0 };
  pid_t p;

  if (root == NULL)
    cr_skip_test ("no cgroup2 hierarchy");
  dir = xasprintf ("%s/lc-bpf-%d", root, (int) getpid ());
  cr_assert_eq (mkdir (dir, 0755), 0);
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  lc_dev_state_apply (&s, rules, ARRAY_SIZE (rules));
  cr_assert_eq (lc_bpf_devices_apply (dirfd, &s, &err), 0, "%s", err ? err->msg : "");
  /* Applying again replaces, never stacks.  */
  cr_assert_eq (lc_bpf_devices_apply (dirfd, &s, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (pipe (fds), 0);
  p = fork ();
  if (p == 0)
    {
      _cleanup_free_ char *me = xasprintf ("%d", (int) getpid ());
      rv_error_t e2 = NULL;
      int fd;
      if (lc_cg_write (dir, "cgroup.procs", me, &e2) < 0)
        _exit (2);
      res[0] = (fd = open ("/dev/null", O_RDWR)) >= 0 ? 'y' : 'n';
      res[1] = open ("/dev/zero", O_RDONLY) >= 0 ? 'y' : 'n';
      res[2] = open ("/dev/zero", O_RDWR) >= 0 ? 'y' : 'n';
      (void) !write (fds[1], res, 3);
      _exit (0);
    }
  close (fds[1]);
  cr_assert_eq (read (fds[0], res, 3), 3);
  cr_assert_eq (waitpid (p, &status, 0), p);
  cr_assert_str_eq (res, "yyn");
  close (fds[0]);
  close (dirfd);
  lc_dev_state_clear (&s);
  cr_assert_eq (rmdir (dir), 0);
}

Test (lc_cgroup, detect_this_host)
{
  struct lc_cg_layout *l = NULL;
  rv_error_t err = NULL;
  size_t i;

  cr_assert_eq (lc_cg_layout_detect (&l, &err), 0, "%s", err ? err->msg : "");
  for (i = 0; i < l->len; i++)
    {
      cr_assert_not_null (l->h[i].own);
      cr_assert_eq (l->h[i].own[0], '/');
    }
  if (have_v1 ("memory") && access ("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
    cr_assert_eq (l->mode, LC_CG_MODE_HYBRID);
  lc_cg_layout_free (l);
}

/* The whole v2 path on a real cgroup2 hierarchy: this host's unified one
 * seen as if it were the only one (what a v2 guest has).  */
Test (lc_cgroup, real_v2_lifecycle)
{
  const char *root = v2_root ();
  struct lc_cg_layout *l = NULL;
  struct lc_cgroup *cg = NULL;
  struct spec_device_cgroup devs[] = { { false, NULL, { false, 0 }, { false, 0 }, (char *) "rwm" },
                                       { true, (char *) "c", { true, 1 }, { true, 3 }, (char *) "rw" } };
  struct spec_resources r = { .devices = devs, .devices_len = 2 };
  _cleanup_free_ char *path = xasprintf ("/lc-v2-%d", (int) getpid ());
  _cleanup_free_ pid_t *pids = NULL;
  _cleanup_free_ char *ev = NULL;
  _cleanup_free_ char *stats = NULL;
  rv_error_t err = NULL;
  size_t n = 0;
  int status;
  pid_t p;

  if (root == NULL)
    cr_skip_test ("no cgroup2 hierarchy");
  l = lc_cg_layout_new ();
  {
    const char *const none[] = { NULL };
    lc_cg_layout_add (l, 2, root, "/", none);
  }
  cr_assert_eq (l->mode, LC_CG_MODE_V2);
  p = sleeper ();
  cr_assert_eq (lc_cgroup_create_in (l, path, &r, p, &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_cgroup_pids (cg, &pids, &n, &err), 0);
  cr_assert_eq (n, 1);
  cr_assert_eq (pids[0], p);
  cr_assert_eq (lc_cgroup_freeze (cg, true, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_cg_read (cg->dirs[0].path, "cgroup.events", &ev, &err), 0);
  cr_assert (strstr (ev, "frozen 1") != NULL, "%s", ev);
  cr_assert_eq (lc_cgroup_freeze (cg, false, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_cgroup_stats_json (cg, &stats, &err), 0);
  cr_assert (strstr (stats, "\"cpu\":{\"usage\":{\"total\":") != NULL, "%s", stats);
  /* cgroup.kill on a v2 host.  */
  cr_assert_eq (lc_cgroup_kill (cg, SIGKILL, &err), 0);
  cr_assert_eq (waitpid (p, &status, 0), p);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  cr_assert_eq (lc_cgroup_destroy (cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_neq (access (cg->dirs[0].path, F_OK), 0);
  lc_cgroup_free (cg);
  lc_cg_layout_free (l);
}
