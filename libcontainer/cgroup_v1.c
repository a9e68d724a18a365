/* cgroup v1 writers: one function per controller, each writing the spec's
 * values into the v1 hierarchy that carries the controller.  Groups whose
 * controller is not on a v1 hierarchy are left to cgroup_v2.c; groups
 * whose controller is nowhere are skipped, as runc's v1 manager does.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/cgroup.h"

static struct lc_cg_dir *
v1_dir (struct lc_cgroup *cg, const char *controller)
{
  struct lc_cg_dir *d = lc_cgroup_dir_for (cg, controller);
  return d && d->h->version == 1 ? d : NULL;
}

static int
read_u64 (const char *dir, const char *file, uint64_t *ret, rv_error_t *err)
{
  _cleanup_free_ char *s = NULL;
  int r = lc_cg_read (dir, file, &s, err);
  if (r < 0)
    return r;
  if (parse_u64 (s, ret) < 0)
    return rv_error_set (err, EINVAL, "`%s/%s`: not a number: `%s`", dir, file, s);
  return 0;
}

static int
set_memory_limit (const char *dir, int64_t limit, rv_error_t *err)
{
  int r = lc_cg_writef (dir, "memory.limit_in_bytes", err, "%" PRId64, limit);
  if (r < 0 && (*err)->status == EBUSY)
    {
      _cleanup_error_ rv_error_t tmp = NULL;
      uint64_t usage = 0;
      (void) read_u64 (dir, "memory.usage_in_bytes", &usage, &tmp);
      return rv_error_set (err, EBUSY, "cannot set memory limit to %" PRId64 " (current usage: %" PRIu64 ")",
                           limit, usage);
    }
  return r;
}

static int
v1_memory (struct lc_cgroup *cg, const struct spec_memory *m, rv_error_t *err)
{
  struct lc_cg_dir *d = v1_dir (cg, "memory");
  int64_t limit = m->limit.set ? m->limit.value : 0;
  int64_t swap = m->swap.set ? m->swap.value : 0;
  bool has_memsw;
  int r;

  if (d == NULL)
    return 0;
  has_memsw = lc_cg_exists (d->path, "memory.memsw.limit_in_bytes");
  /* An unlimited memory limit without a swap value lifts swap too.  */
  if (limit == -1 && !m->swap.set && has_memsw)
    swap = -1;
  if (swap != 0 && !has_memsw)
    {
      if (swap == -1)
        swap = 0;
      else
        return rv_error_set (err, ENOTSUP, "memory.swap: swap accounting is not enabled on this kernel");
    }

  if (limit != 0 && swap != 0)
    {
      /* memsw must stay >= limit at every step: raise memsw first when it
       * grows, the limit first when it shrinks.  */
      uint64_t cur = 0;
      r = read_u64 (d->path, "memory.limit_in_bytes", &cur, err);
      if (r < 0)
        return r;
      if (swap == -1 || cur < (uint64_t) swap)
        {
          r = lc_cg_writef (d->path, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap);
          if (r == 0)
            r = set_memory_limit (d->path, limit, err);
          if (r < 0)
            return r;
          limit = swap = 0;
        }
    }
  if (limit != 0)
    {
      r = set_memory_limit (d->path, limit, err);
      if (r < 0)
        return r;
    }
  if (swap != 0)
    {
      r = lc_cg_writef (d->path, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap);
      if (r < 0)
        return r;
    }
  if (m->reservation.set && m->reservation.value != 0)
    {
      r = lc_cg_writef (d->path, "memory.soft_limit_in_bytes", err, "%" PRId64, m->reservation.value);
      if (r < 0)
        return r;
    }
  if (m->disable_oom_killer.set && m->disable_oom_killer.value)
    {
      r = lc_cg_write (d->path, "memory.oom_control", "1", err);
      if (r < 0)
        return r;
    }
  if (m->swappiness.set && m->swappiness.value != (uint64_t) -1)
    {
      if (m->swappiness.value > 100)
        return rv_error_set (err, EINVAL, "invalid memory swappiness %" PRIu64 " (valid range is 0-100)",
                             m->swappiness.value);
      r = lc_cg_writef (d->path, "memory.swappiness", err, "%" PRIu64, m->swappiness.value);
      if (r < 0)
        return r;
    }
  /* kernel and kernelTCP are deprecated and ignored, as runc does: recent
   * kernels removed the files.  */
  return 0;
}

static int
v1_cpu (struct lc_cgroup *cg, const struct spec_cpu *c, rv_error_t *err)
{
  struct lc_cg_dir *d = v1_dir (cg, "cpu");
  struct lc_cg_dir *cs = v1_dir (cg, "cpuset");
  bool retry_period = false, retry_burst = false, retry_rt_period = false;
  int r;

  if (d)
    {
      if (c->shares.set && c->shares.value != 0)
        {
          uint64_t got = 0;
          r = lc_cg_writef (d->path, "cpu.shares", err, "%" PRIu64, c->shares.value);
          if (r == 0)
            r = read_u64 (d->path, "cpu.shares", &got, err);
          if (r < 0)
            return r;
          /* The kernel clamps silently; say so.  */
          if (got != c->shares.value)
            return rv_error_set (err, EINVAL,
                                 "cpu.shares %" PRIu64 " out of range (the kernel set %" PRIu64 ")",
                                 c->shares.value, got);
        }
      /* period, burst and quota depend on one another: a write the kernel
       * rejects now (EINVAL) is retried after the quota.  */
      if (c->period.set && c->period.value != 0)
        {
          r = lc_cg_writef (d->path, "cpu.cfs_period_us", err, "%" PRIu64, c->period.value);
          if (r < 0)
            {
              if ((*err)->status != EINVAL || !c->quota.set)
                return r;
              rv_error_release (err);
              retry_period = true;
            }
        }
      if (c->burst.set)
        {
          r = lc_cg_writef (d->path, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst.value);
          if (r < 0)
            {
              if ((*err)->status != EINVAL || !c->quota.set)
                return r;
              rv_error_release (err);
              retry_burst = true;
            }
        }
      if (c->quota.set && c->quota.value != 0)
        {
          r = lc_cg_writef (d->path, "cpu.cfs_quota_us", err, "%" PRId64, c->quota.value);
          if (r == 0 && retry_period)
            r = lc_cg_writef (d->path, "cpu.cfs_period_us", err, "%" PRIu64, c->period.value);
          if (r == 0 && retry_burst)
            r = lc_cg_writef (d->path, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst.value);
          if (r < 0)
            return r;
        }
      if (c->idle.set)
        {
          r = lc_cg_writef (d->path, "cpu.idle", err, "%" PRId64, c->idle.value);
          if (r < 0)
            return r;
        }
      if (c->realtime_period.set && c->realtime_period.value != 0)
        {
          r = lc_cg_writef (d->path, "cpu.rt_period_us", err, "%" PRIu64, c->realtime_period.value);
          if (r < 0)
            {
              if ((*err)->status != EINVAL || !c->realtime_runtime.set)
                return r;
              rv_error_release (err);
              retry_rt_period = true;
            }
        }
      if (c->realtime_runtime.set && c->realtime_runtime.value != 0)
        {
          r = lc_cg_writef (d->path, "cpu.rt_runtime_us", err, "%" PRId64, c->realtime_runtime.value);
          if (r == 0 && retry_rt_period)
            r = lc_cg_writef (d->path, "cpu.rt_period_us", err, "%" PRIu64, c->realtime_period.value);
          if (r < 0)
            return r;
        }
    }
  if (cs)
    {
      if (c->cpus && c->cpus[0])
        {
          r = lc_cg_write (cs->path, "cpuset.cpus", c->cpus, err);
          if (r < 0)
            return r;
        }
      if (c->mems && c->mems[0])
        {
          r = lc_cg_write (cs->path, "cpuset.mems", c->mems, err);
          if (r < 0)
            return r;
        }
    }
  return 0;
}

static int
write_throttle (const char *dir, const char *file, const struct spec_throttle_device *t, size_t n,
                rv_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      int r = lc_cg_writef (dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor,
                            t[i].rate);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
v1_blkio (struct lc_cgroup *cg, const struct spec_block_io *b, rv_error_t *err)
{
  struct lc_cg_dir *d = v1_dir (cg, "blkio");
  const char *weight = "blkio.weight", *weight_device = "blkio.weight_device";
  size_t i;
  int r;

  if (d == NULL)
    return 0;
  /* Without CFQ (gone since 5.0) the weights are BFQ's.  */
  if (!lc_cg_exists (d->path, weight) && lc_cg_exists (d->path, "blkio.bfq.weight"))
    {
      weight = "blkio.bfq.weight";
      weight_device = "blkio.bfq.weight_device";
    }
  if (b->weight.set && b->weight.value != 0)
    {
      r = lc_cg_writef (d->path, weight, err, "%" PRIu32, b->weight.value);
      if (r < 0)
        return r;
    }
  if (b->leaf_weight.set && b->leaf_weight.value != 0)
    {
      r = lc_cg_writef (d->path, "blkio.leaf_weight", err, "%" PRIu32, b->leaf_weight.value);
      if (r < 0)
        return r;
    }
  for (i = 0; i < b->weight_device_len; i++)
    {
      const struct spec_weight_device *w = &b->weight_device[i];
      if (w->weight.set && w->weight.value != 0)
        {
          r = lc_cg_writef (d->path, weight_device, err, "%" PRId64 ":%" PRId64 " %" PRIu32, w->major,
                            w->minor, w->weight.value);
          if (r < 0)
            return r;
        }
      if (w->leaf_weight.set && w->leaf_weight.value != 0)
        {
          r = lc_cg_writef (d->path, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRIu32,
                            w->major, w->minor, w->leaf_weight.value);
          if (r < 0)
            return r;
        }
    }
  r = write_throttle (d->path, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
                      b->throttle_read_bps_device_len, err);
  if (r == 0)
    r = write_throttle (d->path, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                        b->throttle_write_bps_device_len, err);
  if (r == 0)
    r = write_throttle (d->path, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                        b->throttle_read_iops_device_len, err);
  if (r == 0)
    r = write_throttle (d->path, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                        b->throttle_write_iops_device_len, err);
  return r;
}

static int
v1_hugetlb (struct lc_cgroup *cg, const struct spec_resources *res, rv_error_t *err)
{
  struct lc_cg_dir *d = v1_dir (cg, "hugetlb");
  return d ? lc_cg_write_hugetlb (d->path, res, "limit_in_bytes", err) : 0;
}

/* The same files on v1 and v2 but for their last part: "limit_in_bytes"
 * or "max".  */
int
lc_cg_write_hugetlb (const char *dir, const struct spec_resources *res, const char *limit, rv_error_t *err)
{
  bool rsvd = true;
  size_t i;

  for (i = 0; i < res->hugepage_limits_len; i++)
    {
      const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
      _cleanup_free_ char *file = xasprintf ("hugetlb.%s.%s", h->page_size, limit);
      _cleanup_free_ char *rfile = xasprintf ("hugetlb.%s.rsvd.%s", h->page_size, limit);
      int r = lc_cg_writef (dir, file, err, "%" PRIu64, h->limit);
      if (r < 0)
        return r;
      /* Reservations (5.7+) get the same limit, so a mapping cannot
       * reserve more than it may fault in.  */
      if (rsvd && lc_cg_exists (dir, rfile))
        {
          r = lc_cg_writef (dir, rfile, err, "%" PRIu64, h->limit);
          if (r < 0)
            return r;
        }
      else
        rsvd = false;
    }
  return 0;
}

static int
v1_network (struct lc_cgroup *cg, const struct spec_network *n, rv_error_t *err)
{
  struct lc_cg_dir *cls = v1_dir (cg, "net_cls");
  struct lc_cg_dir *prio = v1_dir (cg, "net_prio");
  size_t i;
  int r;

  if (cls && n->class_id.set)
    {
      r = lc_cg_writef (cls->path, "net_cls.classid", err, "%" PRIu32, n->class_id.value);
      if (r < 0)
        return r;
    }
  if (prio)
    for (i = 0; i < n->priorities_len; i++)
      {
        r = lc_cg_writef (prio->path, "net_prio.ifpriomap", err, "%s %" PRIu32, n->priorities[i].name,
                          n->priorities[i].priority);
        if (r < 0)
          return r;
      }
  return 0;
}

int
lc_cg_write_rdma (const char *dir, const struct spec_resources *res, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < res->rdma_len; i++)
    {
      const struct spec_rdma *x = &res->rdma[i];
      _cleanup_free_ char *line = xstrdup (x->device);
      if (x->hca_handles.set)
        {
          char *n = xasprintf ("%s hca_handle=%" PRIu32, line, x->hca_handles.value);
          free (line);
          line = n;
        }
      if (x->hca_objects.set)
        {
          char *n = xasprintf ("%s hca_object=%" PRIu32, line, x->hca_objects.value);
          free (line);
          line = n;
        }
      if (x->hca_handles.set || x->hca_objects.set)
        {
          int r = lc_cg_write (dir, "rdma.max", line, err);
          if (r < 0)
            return r;
        }
    }
  return 0;
}

static int
v1_devices (struct lc_cgroup *cg, const struct spec_resources *res, rv_error_t *err)
{
  struct lc_cg_dir *d = v1_dir (cg, "devices");
  _cleanup_free_ struct lc_dev_rule *rules = NULL;
  struct lc_dev_state st = { 0 };
  size_t n = 0, i;
  int r;

  if (d == NULL || res->devices_len == 0)
    return 0;
  r = lc_dev_rules_from_spec (res->devices, res->devices_len, &rules, &n, err);
  if (r < 0)
    return r;
  lc_dev_state_apply (&st, rules, n);
  /* The kernel's list is replaced by "a" then rebuilt: the default, then
   * each exception.  */
  r = lc_cg_write (d->path, st.default_allow ? "devices.allow" : "devices.deny", "a", err);
  for (i = 0; r == 0 && i < st.len; i++)
    {
      _cleanup_free_ char *line = lc_dev_rule_string (&st.ex[i]);
      r = lc_cg_write (d->path, st.default_allow ? "devices.deny" : "devices.allow", line, err);
    }
  lc_dev_state_clear (&st);
  return r;
}

int
lc_cg_v1_apply (struct lc_cgroup *cg, const struct spec_resources *res, rv_error_t *err)
{
  struct lc_cg_dir *d;
  int r = 0;

  if (res->memory)
    r = v1_memory (cg, res->memory, err);
  if (r == 0 && res->cpu)
    r = v1_cpu (cg, res->cpu, err);
  if (r == 0 && res->has_pids && (d = v1_dir (cg, "pids")) != NULL)
    {
      if (res->pids_limit > 0)
        r = lc_cg_writef (d->path, "pids.max", err, "%" PRId64, res->pids_limit);
      else
        r = lc_cg_write (d->path, "pids.max", "max", err);
    }
  if (r == 0 && res->block_io)
    r = v1_blkio (cg, res->block_io, err);
  if (r == 0 && res->hugepage_limits_len > 0)
    r = v1_hugetlb (cg, res, err);
  if (r == 0 && res->network)
    r = v1_network (cg, res->network, err);
  if (r == 0 && res->rdma_len > 0 && (d = v1_dir (cg, "rdma")) != NULL)
    r = lc_cg_write_rdma (d->path, res, err);
  if (r == 0)
    r = v1_devices (cg, res, err);
  return r;
}

int
lc_cg_v1_freeze (struct lc_cg_dir *d, bool frozen, rv_error_t *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  int i, r;

  /* FREEZING can last while tasks are in uninterruptible sleep; writing
   * the state again kicks the freezer, as runc does.  */
  for (i = 0; i < 1000; i++)
    {
      _cleanup_free_ char *state = NULL;
      struct timespec ts = { 0, 1000 * 1000 };

      if (i % 50 == 0)
        {
          r = lc_cg_write (d->path, "freezer.state", want, err);
          if (r < 0)
            return r;
        }
      r = lc_cg_read (d->path, "freezer.state", &state, err);
      if (r < 0)
        return r;
      if (strcmp (state, want) == 0)
        return 0;
      nanosleep (&ts, NULL);
    }
  return rv_error_set (err, EBUSY, "`%s`: freezer.state did not reach %s", d->path, want);
}
