/* ps, pause, resume, update, events: the verbs that look at or adjust a
 * container that exists, through its agent and its host cgroup.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "runtime/json_gen.h"
#include "runtime/rt_impl.h"

#define VERB_TIMEOUT_MS 10000

/* Loads ID under a lock of MODE (*RET_LOCK, -1 for none); *RET_STATUS is
 * its current status.  */
static int
load (const struct rt_global *g, const char *id, int mode, int *ret_lock, struct state_record **ret_record,
      enum state_status *ret_status, rv_error_t *err)
{
  int ret = state_validate_id (id, err);
  *ret_lock = -1;
  if (ret == 0 && mode >= 0)
    ret = state_lock (g->root, id, (enum state_lock_mode) mode, -1, ret_lock, err);
  if (ret == 0)
    ret = state_load (g->root, id, ret_record, err);
  if (ret < 0)
    {
      if (*ret_lock >= 0)
        close (*ret_lock);
      *ret_lock = -1;
      return ret;
    }
  *ret_status = state_status_current (*ret_record);
  return 0;
}

/* ---- ps ------------------------------------------------------------------ */

static void
add_pids_of (const char *path, pid_t **pids, size_t *n)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ pid_t *got = NULL;
  struct lc_cgroup *cg = NULL;
  size_t len = 0, i;

  if (lc_cgroup_open (path, &cg, &tmp_err) < 0)
    return;
  if (lc_cgroup_pids (cg, &got, &len, &tmp_err) == 0)
    {
      *pids = xreallocarray (*pids, *n + len, sizeof (pid_t));
      for (i = 0; i < len; i++)
        (*pids)[(*n)++] = got[i];
    }
  lc_cgroup_free (cg);
}

/* PID and its descendants, when there is no cgroup to list.  */
static void
add_tree (pid_t pid, pid_t **pids, size_t *n, int depth)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *path = xasprintf ("/proc/%d/task/%d/children", (int) pid, (int) pid), *text = NULL;
  char *tok, *save = NULL;

  *pids = xreallocarray (*pids, *n + 1, sizeof (pid_t));
  (*pids)[(*n)++] = pid;
  if (depth > 16 || read_file (path, 1 << 16, &text, NULL, &tmp_err) < 0)
    return;
  for (tok = strtok_r (text, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    add_tree ((pid_t) atoi (tok), pids, n, depth + 1);
}

static int
compare_pid (const void *a, const void *b)
{
  return *(const pid_t *) a - *(const pid_t *) b;
}

/* The container's processes as the host sees them: its cgroup there (the
 * monitor, the VMM and its helpers), as runc lists its cgroup.  */
static void
host_pids (const struct state_record *r, enum state_status s, pid_t **ret, size_t *ret_len)
{
  pid_t *pids = NULL;
  size_t n = 0;

  if (r->cgroup_path)
    add_pids_of (r->cgroup_path, &pids, &n);
  else if (s != STATE_STOPPED && proc_pid_alive (r->pid, r->pid_start_time))
    add_tree (r->pid, &pids, &n, 0);
  if (n > 1)
    {
      size_t i, o = 1;
      qsort (pids, n, sizeof (*pids), compare_pid);
      /* A process shows in every hierarchy that lists it.  */
      for (i = 1; i < n; i++)
        if (pids[i] != pids[o - 1])
          pids[o++] = pids[i];
      n = o;
    }
  *ret = pids;
  *ret_len = n;
}

/* `ps ARGS` on the host, its header and the lines of PIDS (runc's way).  */
static int
ps_table (FILE *out, char **ps_args, const pid_t *pids, size_t n, rv_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_strv_ char **argv = NULL;
  int fds[2], status, col = -1;
  char *line, *save = NULL;
  bool header = true;
  pid_t child;

  strv_append (&argv, "ps");
  if (ps_args && ps_args[0])
    for (char **a = ps_args; *a; a++)
      strv_append (&argv, *a);
  else
    strv_append (&argv, "-ef");
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "pipe");
  child = fork ();
  if (child < 0)
    return rv_error_make (err, errno, "fork");
  if (child == 0)
    {
      dup2 (fds[1], 1);
      execvp ("ps", argv);
      _exit (127);
    }
  close (fds[1]);
  if (read_fd (fds[0], 16 << 20, &text, NULL, err) < 0)
    {
      close (fds[0]);
      (void) waitpid (child, NULL, 0);
      return -1;
    }
  close (fds[0]);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return rv_error_set (err, EIO, "ps %s failed", ps_args && ps_args[0] ? ps_args[0] : "-ef");
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      _cleanup_free_ char *copy = xstrdup (line);
      char *f, *fsave = NULL;
      int i = 0;

      if (header)
        {
          for (f = strtok_r (copy, " \t", &fsave); f; f = strtok_r (NULL, " \t", &fsave), i++)
            if (strcmp (f, "PID") == 0)
              col = i;
          if (col < 0)
            return rv_error_set (err, EINVAL, "couldn't find PID field in ps output");
          fprintf (out, "%s\n", line);
          header = false;
          continue;
        }
      for (f = strtok_r (copy, " \t", &fsave); f && i < col; f = strtok_r (NULL, " \t", &fsave))
        i++;
      if (f)
        {
          pid_t p = (pid_t) atoi (f);
          if (bsearch (&p, pids, n, sizeof (*pids), compare_pid))
            fprintf (out, "%s\n", line);
        }
    }
  return 0;
}

int
rt_ps (const struct rt_global *g, const struct rt_ps_opts *o, rv_error_t *err)
{
  _cleanup_free_ pid_t *pids = NULL;
  const char *format = o->format ? o->format : "table";
  struct state_record *r = NULL;
  enum state_status s;
  size_t n = 0, i;
  int lock, ret;

  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return rv_error_set (err, EINVAL, "invalid format option");
  ret = load (g, o->id, -1, &lock, &r, &s, err);
  if (ret < 0)
    return ret;
  host_pids (r, s, &pids, &n);
  state_record_free (r);
  if (strcmp (format, "json") == 0)
    {
      fputc ('[', g->out);
      for (i = 0; i < n; i++)
        fprintf (g->out, "%s%d", i ? "," : "", (int) pids[i]);
      fputs ("]\n", g->out);
      return 0;
    }
  return ps_table (g->out, o->ps_args, pids, n, err);
}

/* ---- pause, resume ----------------------------------------------------------- */

/* The freezer of the guest: the agent, which stays responsive, freezes
 * the container's cgroup there, so that exec, ps and resume still work (a
 * frozen VMM could not answer them).  */
static int
freeze (const struct rt_global *g, const char *id, bool pause, rv_error_t *err)
{
  struct state_record *r = NULL;
  struct agent_conn *c = NULL;
  enum state_status s;
  int lock, ret;

  ret = load (g, id, STATE_LOCK_EXCLUSIVE, &lock, &r, &s, err);
  if (ret < 0)
    return ret;
  if (pause && s != STATE_RUNNING)
    ret = rv_error_set (err, EINVAL, "container not running");
  else if (!pause && s != STATE_PAUSED)
    ret = rv_error_set (err, EINVAL, "container not paused");
  if (ret == 0)
    ret = rt_agent_connect (g->root, r, VERB_TIMEOUT_MS, &c, err);
  if (ret == 0)
    ret = pause ? agent_pause (c, id, err) : agent_resume (c, id, err);
  if (ret == 0)
    {
      r->status = pause ? STATE_PAUSED : STATE_RUNNING;
      ret = state_save (g->root, r, err);
    }
  agent_conn_free (c);
  state_record_free (r);
  close (lock);
  return ret < 0 ? ret : 0;
}

int
rt_pause (const struct rt_global *g, const struct rt_pause_opts *o, rv_error_t *err)
{
  return freeze (g, o->id, true, err);
}

int
rt_resume (const struct rt_global *g, const struct rt_resume_opts *o, rv_error_t *err)
{
  return freeze (g, o->id, false, err);
}

/* ---- update ------------------------------------------------------------------ */

static void
kint (struct rt_json *j, const char *key, bool set, int64_t v)
{
  if (set)
    {
      rt_json_key (j, key);
      rt_json_int (j, v);
    }
}

static void
kuint (struct rt_json *j, const char *key, bool set, uint64_t v)
{
  if (set)
    rt_json_kuint (j, key, v);
}

/* The linux.resources object runc's single-value flags describe.  */
static char *
resources_from_flags (const struct rt_update_opts *o)
{
  struct rt_json *j = rt_json_new (NULL);

  rt_json_map_open (j);
  if (o->memory.set || o->memory_reservation.set || o->memory_swap.set)
    {
      rt_json_key (j, "memory");
      rt_json_map_open (j);
      kint (j, "limit", o->memory.set, o->memory.value);
      kint (j, "reservation", o->memory_reservation.set, o->memory_reservation.value);
      kint (j, "swap", o->memory_swap.set, o->memory_swap.value);
      rt_json_map_close (j);
    }
  if (o->cpu_share.set || o->cpu_quota.set || o->cpu_period.set || o->cpu_burst.set || o->cpu_rt_runtime.set
      || o->cpu_rt_period.set || o->cpuset_cpus || o->cpuset_mems || o->cpu_idle.set)
    {
      rt_json_key (j, "cpu");
      rt_json_map_open (j);
      kuint (j, "shares", o->cpu_share.set, o->cpu_share.value);
      kint (j, "quota", o->cpu_quota.set, o->cpu_quota.value);
      kuint (j, "burst", o->cpu_burst.set, o->cpu_burst.value);
      kuint (j, "period", o->cpu_period.set, o->cpu_period.value);
      kint (j, "realtimeRuntime", o->cpu_rt_runtime.set, o->cpu_rt_runtime.value);
      kuint (j, "realtimePeriod", o->cpu_rt_period.set, o->cpu_rt_period.value);
      if (o->cpuset_cpus)
        rt_json_kstr (j, "cpus", o->cpuset_cpus);
      if (o->cpuset_mems)
        rt_json_kstr (j, "mems", o->cpuset_mems);
      kint (j, "idle", o->cpu_idle.set, o->cpu_idle.value);
      rt_json_map_close (j);
    }
  if (o->blkio_weight.set)
    {
      rt_json_key (j, "blockIO");
      rt_json_map_open (j);
      rt_json_kuint (j, "weight", o->blkio_weight.value);
      rt_json_map_close (j);
    }
  if (o->pids_limit.set)
    {
      rt_json_key (j, "pids");
      rt_json_map_open (j);
      rt_json_key (j, "limit");
      rt_json_int (j, o->pids_limit.value);
      rt_json_map_close (j);
    }
  rt_json_map_close (j);
  return rt_json_finish (j, NULL);
}

/* RESOURCES (a linux.resources object) checked as config.json's are.  */
static int
parse_resources (const char *json, struct spec_config **ret, rv_error_t *err)
{
  _cleanup_free_ char *doc
      = xasprintf ("{\"ociVersion\":\"%s\",\"linux\":{\"resources\":%s}}", SPEC_VERSION, json);
  int r = spec_config_parse ("resources", doc, strlen (doc), ret, err);
  return r < 0 ? rv_error_wrap (err, "update") : 0;
}

int
rt_update (const struct rt_global *g, const struct rt_update_opts *o, rv_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  _cleanup_free_ struct spec_resources *host = NULL;
  struct spec_config *parsed = NULL;
  struct state_record *r = NULL;
  struct agent_conn *c = NULL;
  struct lc_cgroup *cg = NULL;
  enum state_status s;
  int lock, ret;

  if (o->l3_cache_schema || o->mem_bw_schema)
    return rv_error_set (err, ENOTSUP, "update: Intel RDT is not supported by runvm");
  if (o->kernel_memory.set || o->kernel_memory_tcp.set)
    rv_warning ("kernel memory settings are ignored and will be removed");
  ret = load (g, o->id, STATE_LOCK_EXCLUSIVE, &lock, &r, &s, err);
  if (ret < 0)
    return ret;
  if (s == STATE_STOPPED)
    ret = rv_error_set (err, EINVAL, "container not running");
  else if (o->resources)
    {
      size_t len;
      if (strcmp (o->resources, "-") == 0)
        ret = read_fd (STDIN_FILENO, 1 << 20, &json, &len, err);
      else
        ret = read_file (o->resources, 1 << 20, &json, &len, err);
      if (ret < 0)
        ret = rv_error_wrap (err, "update: read the resources");
    }
  else
    json = resources_from_flags (o);
  if (ret == 0)
    ret = parse_resources (json, &parsed, err);
  /* The host, where the VM lives, then the guest, where the workload
   * feels it: both hold the configured values.  The host goes first since
   * it is the one that can refuse (a memory limit below what the VM
   * already uses), and then nothing has changed.  */
  if (ret == 0)
    ret = rt_agent_connect (g->root, r, VERB_TIMEOUT_MS, &c, err);
  if (ret == 0 && r->cgroup_path)
    {
      host = rt_host_resources (parsed->linux->resources);
      ret = lc_cgroup_open (r->cgroup_path, &cg, err);
      if (ret == 0)
        ret = lc_cgroup_update (cg, host, err);
      if (ret < 0)
        ret = rv_error_wrap (err, "update the host cgroup");
      lc_cgroup_free (cg);
    }
  if (ret == 0)
    ret = agent_update (c, o->id, json, err);
  agent_conn_free (c);
  spec_config_free (parsed);
  state_record_free (r);
  if (lock >= 0)
    close (lock);
  return ret < 0 ? ret : 0;
}

/* ---- events ------------------------------------------------------------------- */

static void
print_event (FILE *out, const char *type, const char *id, const char *data)
{
  struct rt_json *j = rt_json_new (NULL);
  _cleanup_free_ char *head = NULL;

  rt_json_map_open (j);
  rt_json_kstr (j, "type", type);
  rt_json_kstr (j, "id", id);
  rt_json_map_close (j);
  head = rt_json_finish (j, NULL);
  /* The data object is the agent's JSON text, spliced in whole.  */
  if (data)
    fprintf (out, "%.*s,\"data\":%s}\n", (int) strlen (head) - 1, head, data);
  else
    fprintf (out, "%s\n", head);
  fflush (out);
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rt_events (const struct rt_global *g, const struct rt_events_opts *o, rv_error_t *err)
{
  struct state_record *r = NULL;
  struct agent_conn *c = NULL;
  enum state_status s;
  long long interval = o->interval_ns > 0 ? o->interval_ns / 1000000 : 5000, next;
  uint64_t since = 0;
  int lock, ret;

  ret = load (g, o->id, -1, &lock, &r, &s, err);
  if (ret < 0)
    return ret;
  if (s == STATE_STOPPED)
    {
      state_record_free (r);
      return rv_error_set (err, EINVAL, "container with id %s is not running", o->id);
    }
  ret = rt_agent_connect (g->root, r, VERB_TIMEOUT_MS, &c, err);
  if (ret < 0)
    goto out;
  if (o->stats)
    {
      _cleanup_free_ char *data = NULL;
      ret = agent_stats (c, o->id, &data, err);
      if (ret == 0)
        print_event (g->out, "stats", o->id, data);
      goto out;
    }

  /* Events that happened before we came are not ours to report.  */
  {
    struct agent_events_result ev = { 0 };
    ret = agent_events (c, 0, 0, &ev, err);
    if (ret < 0)
      goto out;
    for (size_t i = 0; i < ev.events_len; i++)
      if (ev.events[i].seq > since)
        since = ev.events[i].seq;
    agent_result_clear (AGENT_CALL_EVENTS, &ev);
  }
  next = now_ms () + interval;
  for (;;)
    {
      struct agent_events_result ev = { 0 };
      long long left = next - now_ms ();
      size_t i;

      if (left > 0)
        {
          agent_conn_set_timeout (c, (int) left + VERB_TIMEOUT_MS);
          ret = agent_events (c, since, (int) left, &ev, err);
          if (ret < 0)
            break;
          for (i = 0; i < ev.events_len; i++)
            {
              struct agent_event *e = &ev.events[i];
              if (e->seq > since)
                since = e->seq;
              if (str_eq (e->container, o->id) && str_eq (e->type, "oom"))
                print_event (g->out, "oom", o->id, NULL);
              if (str_eq (e->container, o->id) && str_eq (e->type, "exit") && e->exec_id == NULL)
                {
                  agent_result_clear (AGENT_CALL_EVENTS, &ev);
                  goto out;
                }
            }
          agent_result_clear (AGENT_CALL_EVENTS, &ev);
          continue;
        }
      {
        _cleanup_free_ char *data = NULL;
        _cleanup_error_ rv_error_t tmp_err = NULL;
        if (agent_stats (c, o->id, &data, &tmp_err) == 0)
          print_event (g->out, "stats", o->id, data);
        else
          rv_warning ("%s", tmp_err->msg);
      }
      next = now_ms () + interval;
    }
  /* The agent went away with the VM: the container has stopped.  */
  if (ret < 0)
    {
      rv_error_release (err);
      ret = 0;
    }

out:
  agent_conn_free (c);
  state_record_free (r);
  return ret < 0 ? ret : 0;
}
