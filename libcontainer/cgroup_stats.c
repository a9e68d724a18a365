/* Statistics in the shape of runc's `events --stats` "data" object
 * (runc's types/events.go): cpu, memory, pids, blkio, hugetlb.  Each
 * group is read from the hierarchy holding its controller; a group whose
 * controller is nowhere is left out, as runc does.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/cgroup.h"

static void
gen_key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static void
gen_u64 (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, v);
  yajl_gen_number (g, buf, (size_t) n);
}

static void
gen_kv (yajl_gen g, const char *k, uint64_t v)
{
  gen_key (g, k);
  gen_u64 (g, v);
}

/* A number file; "max" reads as UINT64_MAX, absence as 0.  */
static uint64_t
read_num (const char *dir, const char *file)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  uint64_t v = 0;
  if (lc_cg_read (dir, file, &s, &tmp) < 0)
    return 0;
  if (strcmp (s, "max") == 0)
    return UINT64_MAX;
  if (parse_u64 (s, &v) < 0)
    {
      int64_t i;
      /* v1 reports an unlimited value as a large signed number or -1.  */
      if (parse_i64 (s, &i) == 0 && i < 0)
        return UINT64_MAX;
      return 0;
    }
  return v;
}

/* The value of KEY in a "key value" per line file (memory.stat, cpu.stat,
 * memory.events).  */
static bool
read_keyed (const char *dir, const char *file, const char *key, uint64_t *ret)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  char *save = NULL, *line;
  size_t klen = strlen (key);

  if (lc_cg_read (dir, file, &s, &tmp) < 0)
    return false;
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
      return parse_u64 (line + klen + 1, ret) == 0;
  return false;
}

static void
gen_keyed_map (yajl_gen g, const char *dir, const char *file)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  char *save = NULL, *line;

  yajl_gen_map_open (g);
  if (lc_cg_read (dir, file, &s, &tmp) == 0)
    for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        char *sp = strchr (line, ' ');
        uint64_t v;
        if (sp == NULL)
          continue;
        *sp = '\0';
        if (parse_u64 (sp + 1, &v) == 0)
          gen_kv (g, line, v);
      }
  yajl_gen_map_close (g);
}

static void
gen_u64_list (yajl_gen g, const char *dir, const char *file, uint64_t scale)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  char *save = NULL, *tok;

  yajl_gen_array_open (g);
  if (lc_cg_read (dir, file, &s, &tmp) == 0)
    for (tok = strtok_r (s, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
      {
        uint64_t v;
        if (parse_u64 (tok, &v) == 0)
          gen_u64 (g, v * scale);
      }
  yajl_gen_array_close (g);
}

static void
stats_cpu (struct lc_cgroup *cg, yajl_gen g)
{
  struct lc_cg_dir *acct = lc_cgroup_dir_for (cg, "cpuacct");
  struct lc_cg_dir *cpu = lc_cgroup_dir_for (cg, "cpu");
  struct lc_cg_dir *v2 = lc_cgroup_v2_dir (cg);
  uint64_t v = 0;

  gen_key (g, "cpu");
  yajl_gen_map_open (g);
  gen_key (g, "usage");
  yajl_gen_map_open (g);
  if (acct && acct->h->version == 1)
    {
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t scale = hz > 0 ? 1000000000ULL / (uint64_t) hz : 10000000ULL;
      gen_kv (g, "total", read_num (acct->path, "cpuacct.usage"));
      gen_key (g, "percpu");
      gen_u64_list (g, acct->path, "cpuacct.usage_percpu", 1);
      if (lc_cg_exists (acct->path, "cpuacct.usage_percpu_sys"))
        {
          gen_key (g, "percpu_kernel");
          gen_u64_list (g, acct->path, "cpuacct.usage_percpu_sys", 1);
          gen_key (g, "percpu_user");
          gen_u64_list (g, acct->path, "cpuacct.usage_percpu_user", 1);
        }
      v = 0;
      (void) read_keyed (acct->path, "cpuacct.stat", "system", &v);
      gen_kv (g, "kernel", v * scale);
      v = 0;
      (void) read_keyed (acct->path, "cpuacct.stat", "user", &v);
      gen_kv (g, "user", v * scale);
    }
  else if (v2)
    {
      /* cpu.stat is there without the cpu controller (core accounting).  */
      v = 0;
      (void) read_keyed (v2->path, "cpu.stat", "usage_usec", &v);
      gen_kv (g, "total", v * 1000);
      v = 0;
      (void) read_keyed (v2->path, "cpu.stat", "system_usec", &v);
      gen_kv (g, "kernel", v * 1000);
      v = 0;
      (void) read_keyed (v2->path, "cpu.stat", "user_usec", &v);
      gen_kv (g, "user", v * 1000);
    }
  yajl_gen_map_close (g);

  gen_key (g, "throttling");
  yajl_gen_map_open (g);
  if (cpu && cpu->h->version == 1)
    {
      if (read_keyed (cpu->path, "cpu.stat", "nr_periods", &v))
        gen_kv (g, "periods", v);
      if (read_keyed (cpu->path, "cpu.stat", "nr_throttled", &v))
        gen_kv (g, "throttledPeriods", v);
      if (read_keyed (cpu->path, "cpu.stat", "throttled_time", &v))
        gen_kv (g, "throttledTime", v);
    }
  else if (v2)
    {
      if (read_keyed (v2->path, "cpu.stat", "nr_periods", &v))
        gen_kv (g, "periods", v);
      if (read_keyed (v2->path, "cpu.stat", "nr_throttled", &v))
        gen_kv (g, "throttledPeriods", v);
      if (read_keyed (v2->path, "cpu.stat", "throttled_usec", &v))
        gen_kv (g, "throttledTime", v * 1000);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
gen_mem_entry (yajl_gen g, const char *name, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  gen_key (g, name);
  yajl_gen_map_open (g);
  gen_kv (g, "limit", limit);
  if (usage)
    gen_kv (g, "usage", usage);
  if (max)
    gen_kv (g, "max", max);
  gen_kv (g, "failcnt", failcnt);
  yajl_gen_map_close (g);
}

static void
mem_entry_v1 (yajl_gen g, const char *dir, const char *name, const char *prefix)
{
  _cleanup_free_ char *lim = xasprintf ("%s.limit_in_bytes", prefix);
  _cleanup_free_ char *use = xasprintf ("%s.usage_in_bytes", prefix);
  _cleanup_free_ char *max = xasprintf ("%s.max_usage_in_bytes", prefix);
  _cleanup_free_ char *fail = xasprintf ("%s.failcnt", prefix);
  if (!lc_cg_exists (dir, use))
    return;
  gen_mem_entry (g, name, read_num (dir, lim), read_num (dir, use), read_num (dir, max),
                 read_num (dir, fail));
}

static void
stats_memory (struct lc_cgroup *cg, yajl_gen g)
{
  struct lc_cg_dir *d = lc_cgroup_dir_for (cg, "memory");
  uint64_t v;

  if (d == NULL)
    return;
  gen_key (g, "memory");
  yajl_gen_map_open (g);
  if (d->h->version == 1)
    {
      if (read_keyed (d->path, "memory.stat", "cache", &v))
        gen_kv (g, "cache", v);
      mem_entry_v1 (g, d->path, "usage", "memory");
      mem_entry_v1 (g, d->path, "swap", "memory.memsw");
      mem_entry_v1 (g, d->path, "kernel", "memory.kmem");
      mem_entry_v1 (g, d->path, "kernelTCP", "memory.kmem.tcp");
    }
  else
    {
      uint64_t cur = read_num (d->path, "memory.current"), lim = read_num (d->path, "memory.max");
      uint64_t fail = 0, scur, slim;
      if (read_keyed (d->path, "memory.stat", "file", &v))
        gen_kv (g, "cache", v);
      (void) read_keyed (d->path, "memory.events", "max", &fail);
      gen_mem_entry (g, "usage", lim, cur, read_num (d->path, "memory.peak"), fail);
      /* v1 reports swap as memory+swap; so does runc on v2.  */
      if (lc_cg_exists (d->path, "memory.swap.current"))
        {
          scur = read_num (d->path, "memory.swap.current") + cur;
          slim = read_num (d->path, "memory.swap.max");
          if (slim != UINT64_MAX && lim != UINT64_MAX)
            slim += lim;
          else
            slim = UINT64_MAX;
          fail = 0;
          (void) read_keyed (d->path, "memory.swap.events", "max", &fail);
          gen_mem_entry (g, "swap", slim, scur, 0, fail);
        }
    }
  gen_key (g, "raw");
  gen_keyed_map (g, d->path, "memory.stat");
  yajl_gen_map_close (g);
}

static void
stats_pids (struct lc_cgroup *cg, yajl_gen g)
{
  struct lc_cg_dir *d = lc_cgroup_dir_for (cg, "pids");
  uint64_t cur, max;

  if (d == NULL)
    return;
  cur = read_num (d->path, "pids.current");
  max = read_num (d->path, "pids.max");
  gen_key (g, "pids");
  yajl_gen_map_open (g);
  if (cur)
    gen_kv (g, "current", cur);
  /* "max" (no limit) shows as no limit, as runc reports it.  */
  if (max && max != UINT64_MAX)
    gen_kv (g, "limit", max);
  yajl_gen_map_close (g);
}

static void
gen_blkio_entry (yajl_gen g, uint64_t major, uint64_t minor, const char *op, uint64_t value)
{
  yajl_gen_map_open (g);
  if (major)
    gen_kv (g, "major", major);
  if (minor)
    gen_kv (g, "minor", minor);
  if (op && op[0])
    {
      gen_key (g, "op");
      yajl_gen_string (g, (const unsigned char *) op, strlen (op));
    }
  if (value)
    gen_kv (g, "value", value);
  yajl_gen_map_close (g);
}

/* v1 "8:0 Read 4096" lines (and "Total N").  */
static void
blkio_v1_list (yajl_gen g, const char *dir, const char *file, const char *key)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  char *save = NULL, *line;

  if (lc_cg_read (dir, file, &s, &tmp) < 0 || s[0] == '\0')
    return;
  gen_key (g, key);
  yajl_gen_array_open (g);
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, val;
      char op[32];
      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &val) == 4)
        gen_blkio_entry (g, maj, min, op, val);
    }
  yajl_gen_array_close (g);
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".  */
static void
blkio_v2_list (yajl_gen g, const char *dir, const char *key, const char *rkey, const char *wkey)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  char *save = NULL, *line;

  if (lc_cg_read (dir, "io.stat", &s, &tmp) < 0 || s[0] == '\0')
    return;
  gen_key (g, key);
  yajl_gen_array_open (g);
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min;
      char *save2 = NULL, *tok;
      if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
        continue;
      for (tok = strtok_r (line, " ", &save2); tok; tok = strtok_r (NULL, " ", &save2))
        {
          char *eq = strchr (tok, '=');
          uint64_t v;
          if (eq == NULL)
            continue;
          *eq = '\0';
          if (parse_u64 (eq + 1, &v) < 0)
            continue;
          if (strcmp (tok, rkey) == 0)
            gen_blkio_entry (g, maj, min, "Read", v);
          else if (strcmp (tok, wkey) == 0)
            gen_blkio_entry (g, maj, min, "Write", v);
        }
    }
  yajl_gen_array_close (g);
}

static void
stats_blkio (struct lc_cgroup *cg, yajl_gen g)
{
  struct lc_cg_dir *d = lc_cgroup_dir_for (cg, "blkio");

  if (d == NULL)
    return;
  gen_key (g, "blkio");
  yajl_gen_map_open (g);
  if (d->h->version == 1)
    {
      /* CFQ's files when there, else the throttle layer's (what runc reads).  */
      const char *bytes = "blkio.io_service_bytes_recursive", *ios = "blkio.io_serviced_recursive";
      if (!lc_cg_exists (d->path, bytes))
        {
          bytes = "blkio.throttle.io_service_bytes_recursive";
          ios = "blkio.throttle.io_serviced_recursive";
        }
      blkio_v1_list (g, d->path, bytes, "ioServiceBytesRecursive");
      blkio_v1_list (g, d->path, ios, "ioServicedRecursive");
    }
  else
    {
      blkio_v2_list (g, d->path, "ioServiceBytesRecursive", "rbytes", "wbytes");
      blkio_v2_list (g, d->path, "ioServicedRecursive", "rios", "wios");
    }
  yajl_gen_map_close (g);
}

static void
stats_hugetlb (struct lc_cgroup *cg, yajl_gen g)
{
  struct lc_cg_dir *d = lc_cgroup_dir_for (cg, "hugetlb");
  _cleanup_closedir_ DIR *dp = NULL;
  struct dirent *de;
  const char *suffix;

  gen_key (g, "hugetlb");
  yajl_gen_map_open (g);
  if (d && (dp = opendir (d->path)) != NULL)
    {
      suffix = d->h->version == 1 ? ".limit_in_bytes" : ".max";
      while ((de = readdir (dp)) != NULL)
        {
          _cleanup_free_ char *size = NULL;
          const char *n = de->d_name;
          size_t len = strlen (n);
          if (!str_has_prefix (n, "hugetlb.") || !str_has_suffix (n, suffix) || strstr (n, ".rsvd.") != NULL)
            continue;
          size = xstrndup (n + strlen ("hugetlb."), len - strlen ("hugetlb.") - strlen (suffix));
          gen_key (g, size);
          yajl_gen_map_open (g);
          if (d->h->version == 1)
            {
              _cleanup_free_ char *u = xasprintf ("hugetlb.%s.usage_in_bytes", size);
              _cleanup_free_ char *m = xasprintf ("hugetlb.%s.max_usage_in_bytes", size);
              _cleanup_free_ char *f = xasprintf ("hugetlb.%s.failcnt", size);
              uint64_t usage = read_num (d->path, u), max = read_num (d->path, m);
              if (usage)
                gen_kv (g, "usage", usage);
              if (max)
                gen_kv (g, "max", max);
              gen_kv (g, "failcnt", read_num (d->path, f));
            }
          else
            {
              _cleanup_free_ char *u = xasprintf ("hugetlb.%s.current", size);
              _cleanup_free_ char *e = xasprintf ("hugetlb.%s.events", size);
              uint64_t usage = read_num (d->path, u), fail = 0;
              (void) read_keyed (d->path, e, "max", &fail);
              if (usage)
                gen_kv (g, "usage", usage);
              gen_kv (g, "failcnt", fail);
            }
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_map_close (g);
}

int
lc_cg_stats_json (struct lc_cgroup *cg, char **ret, rv_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  if (g == NULL)
    return rv_error_make (err, ENOMEM, "stats of cgroup `%s`", cg->path);
  yajl_gen_map_open (g);
  stats_cpu (cg, g);
  stats_memory (cg, g);
  stats_pids (cg, g);
  stats_blkio (cg, g);
  stats_hugetlb (cg, g);
  yajl_gen_map_close (g);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      return rv_error_set (err, EIO, "stats of cgroup `%s`: JSON generation failed", cg->path);
    }
  *ret = xstrndup ((const char *) buf, len);
  yajl_gen_free (g);
  return 0;
}
