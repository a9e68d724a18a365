/* cgroup v2 writers.  On a v2 host every group is written (a missing
 * controller is an error, as with runc); on a hybrid host only the groups
 * whose controller the v2 hierarchy offers and no v1 hierarchy has.  The
 * spec's values are v1-shaped: shares, blkio weights and memory+swap are
 * converted the way runc converts them.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/cgroup.h"

/* Whether the v2 writer handles CONTROLLER for this cgroup.  */
static bool
mine (struct lc_cgroup *cg, struct lc_cg_dir *dir, const char *controller, bool v2_host)
{
  if (v2_host)
    return true;
  return lc_cgroup_dir_for (cg, controller) == dir;
}

int
lc_cg_v2_enable_controllers (struct lc_cg_dir *dir, rv_error_t *err)
{
  _cleanup_free_ char *p = xstrdup (dir->path);
  size_t root_len = strlen (dir->h->mountpoint);
  char *s;

  (void) err;
  /* From the mount's root down to the leaf's parent.  */
  for (s = p + root_len; s && *s; s = strchr (s + 1, '/'))
    {
      _cleanup_free_ char *parent = xstrndup (p, (size_t) (s - p));
      _cleanup_free_ char *avail = NULL;
      _cleanup_free_ char *all = NULL;
      _cleanup_error_ rv_error_t tmp = NULL;
      char *save = NULL, *tok;

      if (parent[0] == '\0')
        {
          free (parent);
          parent = xstrdup ("/");
        }
      if (lc_cg_read (parent, "cgroup.controllers", &avail, &tmp) < 0)
        continue;
      for (tok = strtok_r (avail, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
        {
          char *n = all ? xasprintf ("%s +%s", all, tok) : xasprintf ("+%s", tok);
          free (all);
          all = n;
        }
      if (all == NULL)
        continue;
      if (lc_cg_write (parent, "cgroup.subtree_control", all, &tmp) == 0)
        continue;
      /* One at a time: a controller may be refused (a threaded subtree,
       * processes in an inner cgroup) without the others being lost.  */
      {
        _cleanup_free_ char *again = NULL;
        char *s2 = NULL;
        rv_error_release (&tmp);
        (void) lc_cg_read (parent, "cgroup.controllers", &again, &tmp);
        rv_error_release (&tmp);
        for (tok = again ? strtok_r (again, " ", &s2) : NULL; tok; tok = strtok_r (NULL, " ", &s2))
          {
            _cleanup_free_ char *one = xasprintf ("+%s", tok);
            (void) lc_cg_write (parent, "cgroup.subtree_control", one, &tmp);
            rv_error_release (&tmp);
          }
      }
    }
  return 0;
}

static int
v2_memory (const char *dir, const struct spec_memory *m, rv_error_t *err)
{
  int64_t limit = m->limit.set ? m->limit.value : 0;
  int64_t swap = m->swap.set ? m->swap.value : 0;
  int64_t v2swap;
  int r;

  if (limit == 0 && swap == 0 && !(m->reservation.set && m->reservation.value != 0))
    return 0;

  if (m->check_before_update.set && m->check_before_update.value && limit > 0)
    {
      _cleanup_free_ char *cur = NULL;
      _cleanup_error_ rv_error_t tmp = NULL;
      uint64_t usage;
      if (lc_cg_read (dir, "memory.current", &cur, &tmp) == 0 && parse_u64 (cur, &usage) == 0
          && usage >= (uint64_t) limit)
        return rv_error_set (err, EBUSY, "memory limit %" PRId64 " is below the current usage %" PRIu64,
                             limit, usage);
    }

  /* The spec's swap is memory+swap; v2's memory.swap.max is swap alone.  */
  if (limit == -1 && swap == 0)
    v2swap = -1;
  else if (swap == -1 || swap == 0 || limit == -1)
    v2swap = swap;
  else if (limit == 0)
    return rv_error_set (err, EINVAL, "memory.swap: a swap limit needs a memory limit");
  else if (swap < limit)
    return rv_error_set (err, EINVAL, "memory.swap (%" PRId64 ") must be >= memory.limit (%" PRId64 ")", swap,
                         limit);
  else
    v2swap = swap - limit;

  if (v2swap != 0 || (swap > 0 && swap == limit))
    {
      _cleanup_free_ char *v = v2swap == -1 ? xstrdup ("max") : xasprintf ("%" PRId64, v2swap);
      r = lc_cg_write (dir, "memory.swap.max", v, err);
      if (r < 0)
        {
          /* No swap accounting: unlimited or no swap is what we have.  */
          if ((*err)->status != ENOENT || (v2swap != -1 && v2swap != 0))
            return r;
          rv_error_release (err);
        }
    }
  if (limit != 0)
    {
      r = limit == -1 ? lc_cg_write (dir, "memory.max", "max", err)
                      : lc_cg_writef (dir, "memory.max", err, "%" PRId64, limit);
      if (r < 0)
        return r;
    }
  if (m->reservation.set && m->reservation.value != 0)
    {
      r = m->reservation.value == -1
              ? lc_cg_write (dir, "memory.low", "max", err)
              : lc_cg_writef (dir, "memory.low", err, "%" PRId64, m->reservation.value);
      if (r < 0)
        return r;
    }
  return 0;
}

/* runc's mapping of cpu.shares [2, 262144] onto cpu.weight [1, 10000]: a
 * quadratic in log2 that fits the minimum, the maximum and the defaults
 * (1024 -> 100).  */
uint64_t
lc_cg_shares_to_weight (uint64_t shares)
{
  double l, e;
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = log2 ((double) shares);
  e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return (uint64_t) ceil (pow (10, e));
}

/* blkio weight [10, 1000] onto io.weight [1, 10000], linearly.  */
uint64_t
lc_cg_blkio_to_io_weight (uint64_t w)
{
  if (w == 0)
    return 0;
  return 1 + (w - 10) * 9999 / 990;
}

static int
v2_cpu (const char *dir, const struct spec_cpu *c, rv_error_t *err)
{
  bool retry_burst = false;
  int r;

  if (c->idle.set)
    {
      r = lc_cg_writef (dir, "cpu.idle", err, "%" PRId64, c->idle.value);
      if (r < 0)
        return r;
    }
  if (c->shares.set && c->shares.value != 0)
    {
      r = lc_cg_writef (dir, "cpu.weight", err, "%" PRIu64, lc_cg_shares_to_weight (c->shares.value));
      if (r < 0)
        return r;
    }
  if (c->burst.set)
    {
      r = lc_cg_writef (dir, "cpu.max.burst", err, "%" PRIu64, c->burst.value);
      if (r < 0)
        {
          if ((*err)->status != EINVAL || !c->quota.set)
            return r;
          rv_error_release (err);
          retry_burst = true;
        }
    }
  if ((c->quota.set && c->quota.value != 0) || (c->period.set && c->period.value != 0))
    {
      _cleanup_free_ char *q
          = (c->quota.set && c->quota.value > 0) ? xasprintf ("%" PRId64, c->quota.value) : xstrdup ("max");
      uint64_t period = c->period.set && c->period.value ? c->period.value : 100000;
      r = lc_cg_writef (dir, "cpu.max", err, "%s %" PRIu64, q, period);
      if (r == 0 && retry_burst)
        r = lc_cg_writef (dir, "cpu.max.burst", err, "%" PRIu64, c->burst.value);
      if (r < 0)
        return r;
    }
  /* Realtime runtime and period have no v2 equivalent; runc ignores them
   * there too.  */
  return 0;
}

static int
v2_cpuset (const char *dir, const struct spec_cpu *c, rv_error_t *err)
{
  int r;
  if (c->cpus && c->cpus[0])
    {
      r = lc_cg_write (dir, "cpuset.cpus", c->cpus, err);
      if (r < 0)
        return r;
    }
  if (c->mems && c->mems[0])
    {
      r = lc_cg_write (dir, "cpuset.mems", c->mems, err);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
io_max (const char *dir, const char *key, const struct spec_throttle_device *t, size_t n, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      int r = lc_cg_writef (dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor,
                            key, t[i].rate);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
v2_io (const char *dir, const struct spec_block_io *b, rv_error_t *err)
{
  bool bfq = lc_cg_exists (dir, "io.bfq.weight");
  size_t i;
  int r;

  if (b->weight.set && b->weight.value != 0)
    {
      if (bfq)
        r = lc_cg_writef (dir, "io.bfq.weight", err, "%" PRIu32, b->weight.value);
      else
        r = lc_cg_writef (dir, "io.weight", err, "%" PRIu64, lc_cg_blkio_to_io_weight (b->weight.value));
      if (r < 0)
        return r;
    }
  for (i = 0; i < b->weight_device_len; i++)
    {
      const struct spec_weight_device *w = &b->weight_device[i];
      if (!w->weight.set || w->weight.value == 0)
        continue;
      if (bfq)
        r = lc_cg_writef (dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu32, w->major, w->minor,
                          w->weight.value);
      else
        r = lc_cg_writef (dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                          lc_cg_blkio_to_io_weight (w->weight.value));
      if (r < 0)
        return r;
    }
  r = io_max (dir, "rbps", b->throttle_read_bps_device, b->throttle_read_bps_device_len, err);
  if (r == 0)
    r = io_max (dir, "wbps", b->throttle_write_bps_device, b->throttle_write_bps_device_len, err);
  if (r == 0)
    r = io_max (dir, "riops", b->throttle_read_iops_device, b->throttle_read_iops_device_len, err);
  if (r == 0)
    r = io_max (dir, "wiops", b->throttle_write_iops_device, b->throttle_write_iops_device_len, err);
  return r;
}

static int
v2_devices (struct lc_cg_dir *d, const struct spec_resources *res, rv_error_t *err)
{
  _cleanup_free_ struct lc_dev_rule *rules = NULL;
  _cleanup_close_ int dirfd = -1;
  struct lc_dev_state st = { 0 };
  size_t n = 0;
  int r;

  r = lc_dev_rules_from_spec (res->devices, res->devices_len, &rules, &n, err);
  if (r < 0)
    return r;
  lc_dev_state_apply (&st, rules, n);
  dirfd = open (d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    r = rv_error_make (err, errno, "open cgroup `%s`", d->path);
  else
    r = lc_bpf_devices_apply (dirfd, &st, err);
  lc_dev_state_clear (&st);
  return r;
}

static int
v2_unified (const char *dir, const struct spec_resources *res, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < res->unified_len; i++)
    {
      const char *k = res->unified[i].key;
      int r;
      if (k == NULL || k[0] == '\0' || strchr (k, '/') != NULL || strcmp (k, ".") == 0
          || strcmp (k, "..") == 0)
        return rv_error_set (err, EINVAL, "unified: invalid key `%s`", k ? k : "");
      r = lc_cg_write (dir, k, res->unified[i].value ? res->unified[i].value : "", err);
      if (r < 0)
        {
          if ((*err)->status == ENOENT)
            {
              /* Name the controller that is missing rather than a file.  */
              _cleanup_free_ char *ctl = xstrndup (k, strcspn (k, "."));
              return rv_error_set (err, ENOENT, "unified: `%s`: controller `%s` is not available in `%s`", k,
                                   ctl, dir);
            }
          return r;
        }
    }
  return 0;
}

int
lc_cg_v2_apply (struct lc_cgroup *cg, struct lc_cg_dir *d, const struct spec_resources *res, bool v2_host,
                rv_error_t *err)
{
  const char *dir = d->path;
  int r = 0;

  if (res->has_pids && mine (cg, d, "pids", v2_host))
    {
      if (res->pids_limit > 0)
        r = lc_cg_writef (dir, "pids.max", err, "%" PRId64, res->pids_limit);
      else
        r = lc_cg_write (dir, "pids.max", "max", err);
    }
  if (r == 0 && res->memory && mine (cg, d, "memory", v2_host))
    r = v2_memory (dir, res->memory, err);
  if (r == 0 && res->block_io && mine (cg, d, "io", v2_host))
    r = v2_io (dir, res->block_io, err);
  if (r == 0 && res->cpu && mine (cg, d, "cpu", v2_host))
    r = v2_cpu (dir, res->cpu, err);
  if (r == 0 && res->devices_len > 0 && (v2_host || lc_cgroup_dir_for (cg, "devices") == NULL))
    r = v2_devices (d, res, err);
  if (r == 0 && res->cpu && mine (cg, d, "cpuset", v2_host))
    r = v2_cpuset (dir, res->cpu, err);
  if (r == 0 && res->hugepage_limits_len > 0 && mine (cg, d, "hugetlb", v2_host))
    r = lc_cg_write_hugetlb (dir, res, "max", err);
  if (r == 0 && res->rdma_len > 0 && mine (cg, d, "rdma", v2_host))
    r = lc_cg_write_rdma (dir, res, err);
  if (r == 0 && res->unified_len > 0)
    r = v2_unified (dir, res, err);
  /* net_cls and net_prio are v1 only; runc ignores them on v2.  */
  return r;
}

int
lc_cg_v2_freeze (struct lc_cg_dir *d, bool frozen, rv_error_t *err)
{
  const char *want = frozen ? "frozen 1" : "frozen 0";
  int i, r;

  r = lc_cg_write (d->path, "cgroup.freeze", frozen ? "1" : "0", err);
  if (r < 0)
    return r;
  /* The freeze completes asynchronously; cgroup.events says when.  */
  for (i = 0; i < 2000; i++)
    {
      _cleanup_free_ char *ev = NULL;
      struct timespec ts = { 0, 1000 * 1000 };
      r = lc_cg_read (d->path, "cgroup.events", &ev, err);
      if (r < 0)
        return r;
      if (strstr (ev, want) != NULL)
        return 0;
      nanosleep (&ts, NULL);
    }
  return rv_error_set (err, EBUSY, "`%s`: cgroup.events did not reach `%s`", d->path, want);
}
