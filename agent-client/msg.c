#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "agent-client/frame.h"
#include "agent-client/json.h"
#include "agent-client/msg.h"
#include "common/utils.h"

static const char *const stream_names[AGENT_STREAM_COUNT] = {
  [AGENT_STREAM_STDIN] = "stdin",
  [AGENT_STREAM_STDOUT] = "stdout",
  [AGENT_STREAM_STDERR] = "stderr",
  [AGENT_STREAM_TTY] = "tty",
};

const char *
agent_stream_name (enum agent_stream s)
{
  return (unsigned) s < AGENT_STREAM_COUNT ? stream_names[s] : "invalid";
}

int
agent_stream_parse (const char *name, enum agent_stream *ret)
{
  size_t i;
  for (i = 0; i < AGENT_STREAM_COUNT; i++)
    if (str_eq (name, stream_names[i]))
      {
        *ret = (enum agent_stream) i;
        return 0;
      }
  return -EINVAL;
}

/* ---- the tables ------------------------------------------------------- */

#define F(st, name, member, type)                                                                            \
  {                                                                                                          \
    name, type, offsetof (st, member), 0, false, NULL                                                        \
  }
#define REQ(st, name, member, type)                                                                          \
  {                                                                                                          \
    name, type, offsetof (st, member), 0, true, NULL                                                         \
  }
#define INTV(st, name, member, count)                                                                        \
  {                                                                                                          \
    name, AGENT_FIELD_INTV, offsetof (st, member), offsetof (st, count), false, NULL                         \
  }
#define OBJ(st, name, member, sch)                                                                           \
  {                                                                                                          \
    name, AGENT_FIELD_OBJECT, offsetof (st, member), 0, false, &(sch)                                        \
  }
#define ARR(st, name, member, count, sch)                                                                    \
  {                                                                                                          \
    name, AGENT_FIELD_ARRAY, offsetof (st, member), offsetof (st, count), false, &(sch)                      \
  }
#define SCHEMA(var, name, st, fields)                                                                        \
  const struct agent_schema var = { name, sizeof (st), fields, ARRAY_SIZE (fields) }
#define EMPTY_SCHEMA(var, name) static const struct agent_schema var = { name, 0, NULL, 0 }

static const struct agent_field stdio_fields[] = {
  F (struct agent_stdio, "stdin", in, AGENT_FIELD_BOOL),
  F (struct agent_stdio, "stdout", out, AGENT_FIELD_BOOL),
  F (struct agent_stdio, "stderr", err, AGENT_FIELD_BOOL),
};
static SCHEMA (stdio_schema, "stdio", struct agent_stdio, stdio_fields);

static const struct agent_field hello_args_fields[] = {
  REQ (struct agent_hello_args, "min_version", min_version, AGENT_FIELD_U32),
  REQ (struct agent_hello_args, "max_version", max_version, AGENT_FIELD_U32),
  F (struct agent_hello_args, "client", client, AGENT_FIELD_STRING),
};
static SCHEMA (hello_args_schema, "hello", struct agent_hello_args, hello_args_fields);

static const struct agent_field hello_result_fields[] = {
  REQ (struct agent_hello_result, "version", version, AGENT_FIELD_U32),
  F (struct agent_hello_result, "agent", agent, AGENT_FIELD_STRING),
};
static SCHEMA (hello_result_schema, "hello", struct agent_hello_result, hello_result_fields);

static const struct agent_field attach_args_fields[] = {
  REQ (struct agent_attach_args, "version", version, AGENT_FIELD_U32),
  REQ (struct agent_attach_args, "container", container, AGENT_FIELD_STRING),
  F (struct agent_attach_args, "exec_id", exec_id, AGENT_FIELD_STRING),
  REQ (struct agent_attach_args, "stream", stream, AGENT_FIELD_STRING),
};
static SCHEMA (attach_args_schema, "attach", struct agent_attach_args, attach_args_fields);

static const struct agent_field create_args_fields[] = {
  REQ (struct agent_create_args, "container", container, AGENT_FIELD_STRING),
  REQ (struct agent_create_args, "config", config, AGENT_FIELD_JSON),
  F (struct agent_create_args, "rootfs", rootfs, AGENT_FIELD_STRING),
  F (struct agent_create_args, "bundle", bundle, AGENT_FIELD_STRING),
  OBJ (struct agent_create_args, "stdio", stdio, stdio_schema),
  F (struct agent_create_args, "no_pivot", no_pivot, AGENT_FIELD_BOOL),
  F (struct agent_create_args, "no_new_keyring", no_new_keyring, AGENT_FIELD_BOOL),
  F (struct agent_create_args, "no_runtime_hooks", no_runtime_hooks, AGENT_FIELD_BOOL),
  F (struct agent_create_args, "cgroup_path", cgroup_path, AGENT_FIELD_STRING),
};
static SCHEMA (create_args_schema, "create", struct agent_create_args, create_args_fields);

static const struct agent_field pid_result_fields[] = {
  REQ (struct agent_pid_result, "pid", pid, AGENT_FIELD_INT),
};

static const struct agent_field container_args_fields[] = {
  REQ (struct agent_container_args, "container", container, AGENT_FIELD_STRING),
};

static const struct agent_field exec_args_fields[] = {
  REQ (struct agent_exec_args, "container", container, AGENT_FIELD_STRING),
  REQ (struct agent_exec_args, "exec_id", exec_id, AGENT_FIELD_STRING),
  REQ (struct agent_exec_args, "process", process, AGENT_FIELD_JSON),
  OBJ (struct agent_exec_args, "stdio", stdio, stdio_schema),
};
static SCHEMA (exec_args_schema, "exec", struct agent_exec_args, exec_args_fields);

static const struct agent_field process_args_fields[] = {
  REQ (struct agent_process_args, "container", container, AGENT_FIELD_STRING),
  F (struct agent_process_args, "exec_id", exec_id, AGENT_FIELD_STRING),
};

static const struct agent_field signal_args_fields[] = {
  REQ (struct agent_signal_args, "container", container, AGENT_FIELD_STRING),
  F (struct agent_signal_args, "exec_id", exec_id, AGENT_FIELD_STRING),
  REQ (struct agent_signal_args, "signal", signal, AGENT_FIELD_INT),
  F (struct agent_signal_args, "all", all, AGENT_FIELD_BOOL),
};
static SCHEMA (signal_args_schema, "signal", struct agent_signal_args, signal_args_fields);

static const struct agent_field resize_args_fields[] = {
  REQ (struct agent_resize_args, "container", container, AGENT_FIELD_STRING),
  F (struct agent_resize_args, "exec_id", exec_id, AGENT_FIELD_STRING),
  REQ (struct agent_resize_args, "rows", rows, AGENT_FIELD_U32),
  REQ (struct agent_resize_args, "cols", cols, AGENT_FIELD_U32),
};
static SCHEMA (resize_args_schema, "resize", struct agent_resize_args, resize_args_fields);

static const struct agent_field exit_result_fields[] = {
  F (struct agent_exit_result, "pid", pid, AGENT_FIELD_INT),
  REQ (struct agent_exit_result, "exit_code", exit_code, AGENT_FIELD_INT),
  F (struct agent_exit_result, "signal", signal, AGENT_FIELD_INT),
};
static SCHEMA (wait_result_schema, "wait", struct agent_exit_result, exit_result_fields);

static const struct agent_field ps_result_fields[] = {
  INTV (struct agent_ps_result, "pids", pids, pids_len),
};
static SCHEMA (ps_result_schema, "ps", struct agent_ps_result, ps_result_fields);

static const struct agent_field stats_result_fields[] = {
  REQ (struct agent_stats_result, "stats", stats, AGENT_FIELD_JSON),
};
static SCHEMA (stats_result_schema, "stats", struct agent_stats_result, stats_result_fields);

static const struct agent_field update_args_fields[] = {
  REQ (struct agent_update_args, "container", container, AGENT_FIELD_STRING),
  REQ (struct agent_update_args, "resources", resources, AGENT_FIELD_JSON),
};
static SCHEMA (update_args_schema, "update", struct agent_update_args, update_args_fields);

static const struct agent_field state_result_fields[] = {
  REQ (struct agent_state_result, "status", status, AGENT_FIELD_STRING),
  F (struct agent_state_result, "pid", pid, AGENT_FIELD_INT),
  F (struct agent_state_result, "exit_code", exit_code, AGENT_FIELD_INT),
  F (struct agent_state_result, "signal", signal, AGENT_FIELD_INT),
};
static SCHEMA (state_result_schema, "state", struct agent_state_result, state_result_fields);

static const struct agent_field interface_fields[] = {
  F (struct agent_interface, "device", device, AGENT_FIELD_STRING),
  F (struct agent_interface, "match_mac", match_mac, AGENT_FIELD_STRING),
  F (struct agent_interface, "name", name, AGENT_FIELD_STRING),
  F (struct agent_interface, "mac", mac, AGENT_FIELD_STRING),
  F (struct agent_interface, "mtu", mtu, AGENT_FIELD_U32),
  F (struct agent_interface, "addresses", addresses, AGENT_FIELD_STRV),
};
static SCHEMA (interface_schema, "interface", struct agent_interface, interface_fields);

static const struct agent_field route_fields[] = {
  REQ (struct agent_route, "dest", dest, AGENT_FIELD_STRING),
  F (struct agent_route, "gateway", gateway, AGENT_FIELD_STRING),
  F (struct agent_route, "device", device, AGENT_FIELD_STRING),
  F (struct agent_route, "metric", metric, AGENT_FIELD_U32),
};
static SCHEMA (route_schema, "route", struct agent_route, route_fields);

static const struct agent_field network_args_fields[] = {
  ARR (struct agent_network_args, "interfaces", interfaces, interfaces_len, interface_schema),
  ARR (struct agent_network_args, "routes", routes, routes_len, route_schema),
};
static SCHEMA (network_args_schema, "network", struct agent_network_args, network_args_fields);

static const struct agent_field info_result_fields[] = {
  F (struct agent_info_result, "agent", agent, AGENT_FIELD_STRING),
  F (struct agent_info_result, "kernel", kernel, AGENT_FIELD_STRING),
  F (struct agent_info_result, "machine", machine, AGENT_FIELD_STRING),
  F (struct agent_info_result, "hostname", hostname, AGENT_FIELD_STRING),
  F (struct agent_info_result, "uptime_ms", uptime_ms, AGENT_FIELD_U64),
  F (struct agent_info_result, "mem_total", mem_total, AGENT_FIELD_U64),
  F (struct agent_info_result, "mem_free", mem_free, AGENT_FIELD_U64),
  F (struct agent_info_result, "mem_available", mem_available, AGENT_FIELD_U64),
  F (struct agent_info_result, "cpus", cpus, AGENT_FIELD_U32),
  F (struct agent_info_result, "containers", containers, AGENT_FIELD_U32),
  F (struct agent_info_result, "pid1", pid1, AGENT_FIELD_BOOL),
};
static SCHEMA (info_result_schema, "info", struct agent_info_result, info_result_fields);

static const struct agent_field events_args_fields[] = {
  F (struct agent_events_args, "since", since, AGENT_FIELD_U64),
  F (struct agent_events_args, "timeout_ms", timeout_ms, AGENT_FIELD_INT),
};
static SCHEMA (events_args_schema, "events", struct agent_events_args, events_args_fields);

static const struct agent_field event_fields[] = {
  REQ (struct agent_event, "seq", seq, AGENT_FIELD_U64),
  REQ (struct agent_event, "type", type, AGENT_FIELD_STRING),
  F (struct agent_event, "container", container, AGENT_FIELD_STRING),
  F (struct agent_event, "exec_id", exec_id, AGENT_FIELD_STRING),
  F (struct agent_event, "pid", pid, AGENT_FIELD_INT),
  F (struct agent_event, "exit_code", exit_code, AGENT_FIELD_INT),
  F (struct agent_event, "signal", signal, AGENT_FIELD_INT),
  F (struct agent_event, "time", time, AGENT_FIELD_STRING),
};
SCHEMA (agent_event_schema, "event", struct agent_event, event_fields);

static const struct agent_field events_result_fields[] = {
  ARR (struct agent_events_result, "events", events, events_len, agent_event_schema),
  F (struct agent_events_result, "lost", lost, AGENT_FIELD_U64),
};
static SCHEMA (events_result_schema, "events", struct agent_events_result, events_result_fields);

/* Calls that share argument or result shapes get schemas of their own
 * names, so that error messages name the call.  */
static SCHEMA (start_args_schema, "start", struct agent_container_args, container_args_fields);
static SCHEMA (ps_args_schema, "ps", struct agent_container_args, container_args_fields);
static SCHEMA (stats_args_schema, "stats", struct agent_container_args, container_args_fields);
static SCHEMA (pause_args_schema, "pause", struct agent_container_args, container_args_fields);
static SCHEMA (resume_args_schema, "resume", struct agent_container_args, container_args_fields);
static SCHEMA (destroy_args_schema, "destroy", struct agent_container_args, container_args_fields);
static SCHEMA (state_args_schema, "state", struct agent_container_args, container_args_fields);
static SCHEMA (wait_args_schema, "wait", struct agent_process_args, process_args_fields);
static SCHEMA (close_stdin_args_schema, "close_stdin", struct agent_process_args, process_args_fields);
static SCHEMA (create_result_schema, "create", struct agent_pid_result, pid_result_fields);
static SCHEMA (exec_result_schema, "exec", struct agent_pid_result, pid_result_fields);
EMPTY_SCHEMA (empty_schema, "empty");

static const struct agent_call_desc calls[AGENT_CALL_COUNT] = {
  [AGENT_CALL_HELLO] = { "hello", &hello_args_schema, &hello_result_schema },
  [AGENT_CALL_ATTACH] = { "attach", &attach_args_schema, &empty_schema },
  [AGENT_CALL_CREATE] = { "create", &create_args_schema, &create_result_schema },
  [AGENT_CALL_START] = { "start", &start_args_schema, &empty_schema },
  [AGENT_CALL_EXEC] = { "exec", &exec_args_schema, &exec_result_schema },
  [AGENT_CALL_SIGNAL] = { "signal", &signal_args_schema, &empty_schema },
  [AGENT_CALL_WAIT] = { "wait", &wait_args_schema, &wait_result_schema },
  [AGENT_CALL_RESIZE] = { "resize", &resize_args_schema, &empty_schema },
  [AGENT_CALL_CLOSE_STDIN] = { "close_stdin", &close_stdin_args_schema, &empty_schema },
  [AGENT_CALL_PS] = { "ps", &ps_args_schema, &ps_result_schema },
  [AGENT_CALL_STATS] = { "stats", &stats_args_schema, &stats_result_schema },
  [AGENT_CALL_PAUSE] = { "pause", &pause_args_schema, &empty_schema },
  [AGENT_CALL_RESUME] = { "resume", &resume_args_schema, &empty_schema },
  [AGENT_CALL_UPDATE] = { "update", &update_args_schema, &empty_schema },
  [AGENT_CALL_DESTROY] = { "destroy", &destroy_args_schema, &empty_schema },
  [AGENT_CALL_STATE] = { "state", &state_args_schema, &state_result_schema },
  [AGENT_CALL_NETWORK] = { "network", &network_args_schema, &empty_schema },
  [AGENT_CALL_INFO] = { "info", &empty_schema, &info_result_schema },
  [AGENT_CALL_EVENTS] = { "events", &events_args_schema, &events_result_schema },
  [AGENT_CALL_SHUTDOWN] = { "shutdown", &empty_schema, &empty_schema },
};

const struct agent_call_desc *
agent_call_desc (enum agent_call call)
{
  return (unsigned) call < AGENT_CALL_COUNT ? &calls[call] : NULL;
}

const char *
agent_call_name (enum agent_call call)
{
  return (unsigned) call < AGENT_CALL_COUNT ? calls[call].name : "unknown";
}

enum agent_call
agent_call_lookup (const char *name)
{
  size_t i;
  for (i = 0; i < AGENT_CALL_COUNT; i++)
    if (str_eq (name, calls[i].name))
      return (enum agent_call) i;
  return AGENT_CALL_UNKNOWN;
}

/* ---- decoding --------------------------------------------------------- */

static yajl_val
object_get (yajl_val obj, const char *key)
{
  size_t i;
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

static int decode_into (const struct agent_schema *s, yajl_val v, void *obj, const char *path,
                        rv_error_t *err);

static int
type_error (const char *path, const char *name, const char *what, rv_error_t *err)
{
  return rv_error_set (err, EINVAL, "%s.%s: expected %s", path, name, what);
}

static int
decode_field (const struct agent_field *f, yajl_val v, char *obj, const char *path, rv_error_t *err)
{
  void *dst = obj + f->offset;
  int64_t i64;
  uint64_t u64;
  size_t i;

  switch (f->type)
    {
    case AGENT_FIELD_STRING:
      if (!YAJL_IS_STRING (v))
        return type_error (path, f->name, "a string", err);
      *(char **) dst = xstrdup (YAJL_GET_STRING (v));
      return 0;
    case AGENT_FIELD_BOOL:
      if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
        return type_error (path, f->name, "a boolean", err);
      *(bool *) dst = YAJL_IS_TRUE (v);
      return 0;
    case AGENT_FIELD_INT:
      if (agent_json_i64 (v, &i64) < 0 || i64 < INT_MIN || i64 > INT_MAX)
        return type_error (path, f->name, "a 32-bit integer", err);
      *(int *) dst = (int) i64;
      return 0;
    case AGENT_FIELD_U32:
      if (agent_json_u64 (v, &u64) < 0 || u64 > UINT32_MAX)
        return type_error (path, f->name, "an unsigned 32-bit integer", err);
      *(uint32_t *) dst = (uint32_t) u64;
      return 0;
    case AGENT_FIELD_U64:
      if (agent_json_u64 (v, &u64) < 0)
        return type_error (path, f->name, "an unsigned 64-bit integer", err);
      *(uint64_t *) dst = u64;
      return 0;
    case AGENT_FIELD_STRV:
      {
        char **strv;
        if (!YAJL_IS_ARRAY (v))
          return type_error (path, f->name, "an array of strings", err);
        for (i = 0; i < v->u.array.len; i++)
          if (!YAJL_IS_STRING (v->u.array.values[i]))
            return type_error (path, f->name, "an array of strings", err);
        strv = xcalloc (v->u.array.len + 1, sizeof (char *));
        for (i = 0; i < v->u.array.len; i++)
          strv[i] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
        *(char ***) dst = strv;
        return 0;
      }
    case AGENT_FIELD_INTV:
      {
        _cleanup_free_ int *ints = NULL;
        if (!YAJL_IS_ARRAY (v))
          return type_error (path, f->name, "an array of integers", err);
        ints = xcalloc (v->u.array.len, sizeof (int));
        for (i = 0; i < v->u.array.len; i++)
          {
            if (agent_json_i64 (v->u.array.values[i], &i64) < 0 || i64 < INT_MIN || i64 > INT_MAX)
              return type_error (path, f->name, "an array of 32-bit integers", err);
            ints[i] = (int) i64;
          }
        *(int **) dst = TAKE_PTR (ints);
        *(size_t *) (obj + f->len_offset) = v->u.array.len;
        return 0;
      }
    case AGENT_FIELD_JSON:
      if (!YAJL_IS_OBJECT (v))
        return type_error (path, f->name, "an object", err);
      *(char **) dst = agent_json_to_string (v);
      return 0;
    case AGENT_FIELD_OBJECT:
      {
        _cleanup_free_ char *sub = xasprintf ("%s.%s", path, f->name);
        if (!YAJL_IS_OBJECT (v))
          return type_error (path, f->name, "an object", err);
        return decode_into (f->schema, v, dst, sub, err);
      }
    case AGENT_FIELD_ARRAY:
      {
        const struct agent_schema *s = f->schema;
        size_t n;
        char *items;
        int r;

        if (!YAJL_IS_ARRAY (v))
          return type_error (path, f->name, "an array of objects", err);
        n = v->u.array.len;
        items = xcalloc (n, s->size);
        /* Stored before the items are filled, so that a failure half way
         * is released by agent_schema_clear like a success.  */
        *(char **) dst = items;
        *(size_t *) (obj + f->len_offset) = n;
        for (i = 0; i < n; i++)
          {
            _cleanup_free_ char *sub = xasprintf ("%s.%s[%zu]", path, f->name, i);
            if (!YAJL_IS_OBJECT (v->u.array.values[i]))
              return rv_error_set (err, EINVAL, "%s: expected an object", sub);
            r = decode_into (s, v->u.array.values[i], items + i * s->size, sub, err);
            if (r < 0)
              return r;
          }
        return 0;
      }
    default:
      return rv_error_set (err, EINVAL, "%s.%s: unsupported field type", path, f->name);
    }
}

static int
decode_into (const struct agent_schema *s, yajl_val v, void *obj, const char *path, rv_error_t *err)
{
  size_t i;
  int r;

  for (i = 0; i < s->n_fields; i++)
    {
      const struct agent_field *f = &s->fields[i];
      yajl_val fv = v ? object_get (v, f->name) : NULL;

      /* null reads as absent, as in the runtime-spec's Go structs.  */
      if (fv == NULL || YAJL_IS_NULL (fv))
        {
          if (f->required)
            return rv_error_set (err, EINVAL, "%s.%s: required", path, f->name);
          continue;
        }
      r = decode_field (f, fv, obj, path, err);
      if (r < 0)
        return r;
    }
  return 0;
}

int
agent_schema_decode (const struct agent_schema *s, yajl_val v, void *ret, rv_error_t *err)
{
  _cleanup_free_ char *tmp = xmalloc0 (s->size);
  int r;

  if (v && !YAJL_IS_NULL (v) && !YAJL_IS_OBJECT (v))
    return rv_error_set (err, EINVAL, "%s: expected an object", s->name);
  if (v && YAJL_IS_NULL (v))
    v = NULL;
  r = decode_into (s, v, tmp, s->name, err);
  if (r < 0)
    {
      agent_schema_clear (s, tmp);
      return r;
    }
  if (s->size)
    memcpy (ret, tmp, s->size);
  return 0;
}

void
agent_schema_clear (const struct agent_schema *s, void *obj)
{
  char *base = obj;
  size_t i, j;

  for (i = 0; i < s->n_fields; i++)
    {
      const struct agent_field *f = &s->fields[i];
      void *dst = base + f->offset;

      switch (f->type)
        {
        case AGENT_FIELD_STRING:
        case AGENT_FIELD_JSON:
          free (*(char **) dst);
          break;
        case AGENT_FIELD_STRV:
          strv_free (*(char ***) dst);
          break;
        case AGENT_FIELD_INTV:
          free (*(int **) dst);
          break;
        case AGENT_FIELD_OBJECT:
          agent_schema_clear (f->schema, dst);
          break;
        case AGENT_FIELD_ARRAY:
          {
            char *items = *(char **) dst;
            size_t n = *(size_t *) (base + f->len_offset);
            for (j = 0; items && j < n; j++)
              agent_schema_clear (f->schema, items + j * f->schema->size);
            free (items);
            break;
          }
        default:
          break;
        }
    }
  if (s->size)
    memset (obj, 0, s->size);
}

/* ---- encoding --------------------------------------------------------- */

static int
gen_str (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s)) == yajl_gen_status_ok ? 0 : -EINVAL;
}

static int gen_object (const struct agent_schema *s, const char *obj, yajl_gen g, const char *path,
                       rv_error_t *err);

static int
gen_field (const struct agent_field *f, const char *obj, yajl_gen g, const char *path, rv_error_t *err)
{
  const void *src = obj + f->offset;
  char num[32];
  size_t i;
  int r;

  switch (f->type)
    {
    case AGENT_FIELD_STRING:
      {
        const char *str = *(char *const *) src;
        if (str == NULL)
          break;
        if (gen_str (g, f->name) < 0 || gen_str (g, str) < 0)
          return rv_error_set (err, EINVAL, "%s.%s: not valid UTF-8", path, f->name);
        return 0;
      }
    case AGENT_FIELD_BOOL:
      gen_str (g, f->name);
      yajl_gen_bool (g, *(const bool *) src);
      return 0;
    case AGENT_FIELD_INT:
      gen_str (g, f->name);
      yajl_gen_integer (g, *(const int *) src);
      return 0;
    case AGENT_FIELD_U32:
      gen_str (g, f->name);
      yajl_gen_integer (g, *(const uint32_t *) src);
      return 0;
    case AGENT_FIELD_U64:
      /* yajl_gen_integer takes a long long; the text form keeps all 64 bits.  */
      snprintf (num, sizeof (num), "%" PRIu64, *(const uint64_t *) src);
      gen_str (g, f->name);
      yajl_gen_number (g, num, strlen (num));
      return 0;
    case AGENT_FIELD_STRV:
      {
        char *const *strv = *(char **const *) src;
        if (strv == NULL)
          break;
        gen_str (g, f->name);
        yajl_gen_array_open (g);
        for (i = 0; strv[i]; i++)
          if (gen_str (g, strv[i]) < 0)
            return rv_error_set (err, EINVAL, "%s.%s[%zu]: not valid UTF-8", path, f->name, i);
        yajl_gen_array_close (g);
        return 0;
      }
    case AGENT_FIELD_INTV:
      {
        const int *ints = *(int *const *) src;
        size_t n = *(const size_t *) (obj + f->len_offset);
        if (ints == NULL)
          break;
        gen_str (g, f->name);
        yajl_gen_array_open (g);
        for (i = 0; i < n; i++)
          yajl_gen_integer (g, ints[i]);
        yajl_gen_array_close (g);
        return 0;
      }
    case AGENT_FIELD_JSON:
      {
        const char *text = *(char *const *) src;
        _cleanup_yajl_val_ yajl_val tree = NULL;
        if (text == NULL)
          break;
        r = agent_json_parse (text, strlen (text), &tree, err);
        if (r < 0)
          return rv_error_wrap (err, "%s.%s", path, f->name);
        if (!YAJL_IS_OBJECT (tree))
          return rv_error_set (err, EINVAL, "%s.%s: expected a JSON object", path, f->name);
        gen_str (g, f->name);
        agent_json_gen_value (g, tree);
        return 0;
      }
    case AGENT_FIELD_OBJECT:
      {
        _cleanup_free_ char *sub = xasprintf ("%s.%s", path, f->name);
        gen_str (g, f->name);
        return gen_object (f->schema, src, g, sub, err);
      }
    case AGENT_FIELD_ARRAY:
      {
        const char *items = *(char *const *) src;
        size_t n = *(const size_t *) (obj + f->len_offset);
        if (items == NULL)
          break;
        gen_str (g, f->name);
        yajl_gen_array_open (g);
        for (i = 0; i < n; i++)
          {
            _cleanup_free_ char *sub = xasprintf ("%s.%s[%zu]", path, f->name, i);
            r = gen_object (f->schema, items + i * f->schema->size, g, sub, err);
            if (r < 0)
              return r;
          }
        yajl_gen_array_close (g);
        return 0;
      }
    default:
      return rv_error_set (err, EINVAL, "%s.%s: unsupported field type", path, f->name);
    }
  if (f->required)
    return rv_error_set (err, EINVAL, "%s.%s: required", path, f->name);
  return 0;
}

static int
gen_object (const struct agent_schema *s, const char *obj, yajl_gen g, const char *path, rv_error_t *err)
{
  size_t i;
  int r;

  yajl_gen_map_open (g);
  for (i = 0; obj && i < s->n_fields; i++)
    {
      r = gen_field (&s->fields[i], obj, g, path, err);
      if (r < 0)
        return r;
    }
  yajl_gen_map_close (g);
  return 0;
}

int
agent_schema_gen (const struct agent_schema *s, const void *obj, yajl_gen g, rv_error_t *err)
{
  return gen_object (s, obj, g, s->name, err);
}

/* ---- envelopes -------------------------------------------------------- */

static int
parse_object (const char *payload, size_t len, yajl_val *ret, rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val root = NULL;
  int r;

  r = agent_json_parse (payload, len, &root, err);
  if (r < 0)
    return r;
  if (!YAJL_IS_OBJECT (root))
    return rv_error_set (err, EBADMSG, "message: expected a JSON object");
  *ret = TAKE_PTR (root);
  return 0;
}

static int
parse_id (yajl_val root, uint64_t *ret, rv_error_t *err)
{
  yajl_val v = object_get (root, "id");
  if (v == NULL || agent_json_u64 (v, ret) < 0)
    return rv_error_set (err, EBADMSG, "message: .id: expected an unsigned 64-bit integer");
  return 0;
}

int
agent_request_parse (const char *payload, size_t len, struct agent_request *ret, rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val root = NULL;
  struct agent_request req = { 0 };
  yajl_val call;
  int r;

  r = parse_object (payload, len, &root, err);
  if (r < 0)
    return r;
  r = parse_id (root, &req.id, err);
  if (r < 0)
    return r;
  call = object_get (root, "call");
  if (call && YAJL_IS_STRING (call))
    {
      req.call_name = YAJL_GET_STRING (call);
      req.call = agent_call_lookup (req.call_name);
    }
  else
    req.call = AGENT_CALL_MISSING;
  req.args = object_get (root, "args");
  req.root = TAKE_PTR (root);
  *ret = req;
  return 0;
}

int
agent_reply_parse (const char *payload, size_t len, struct agent_reply *ret, rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val root = NULL;
  struct agent_reply rep = { 0 };
  yajl_val v;
  int64_t status;
  int r;

  r = parse_object (payload, len, &root, err);
  if (r < 0)
    return r;
  r = parse_id (root, &rep.id, err);
  if (r < 0)
    return r;
  v = object_get (root, "status");
  if (v == NULL || agent_json_i64 (v, &status) < 0 || status < 0 || status > 4095)
    return rv_error_set (err, EBADMSG, "reply: .status: expected an errno value");
  rep.status = (int) status;
  v = object_get (root, "msg");
  if (v && YAJL_IS_STRING (v))
    rep.msg = YAJL_GET_STRING (v);
  else if (v && !YAJL_IS_NULL (v))
    return rv_error_set (err, EBADMSG, "reply: .msg: expected a string");
  rep.result = object_get (root, "result");
  rep.root = TAKE_PTR (root);
  *ret = rep;
  return 0;
}

void
agent_request_clear (struct agent_request *r)
{
  if (r->root)
    yajl_tree_free (r->root);
  memset (r, 0, sizeof (*r));
}

void
agent_reply_clear (struct agent_reply *r)
{
  if (r->root)
    yajl_tree_free (r->root);
  memset (r, 0, sizeof (*r));
}

static int
finish_frame (yajl_gen g, char **ret, size_t *ret_len, rv_error_t *err)
{
  const unsigned char *buf;
  size_t len;

  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    return rv_error_set (err, EINVAL, "message: incomplete JSON");
  if (len > AGENT_FRAME_MAX)
    return rv_error_set (err, EMSGSIZE, "message of %zu bytes: larger than the frame limit of %u", len,
                         AGENT_FRAME_MAX);
  *ret = agent_frame_wrap (buf, len, ret_len);
  return 0;
}

static void
gen_id (yajl_gen g, uint64_t id)
{
  char num[32];
  snprintf (num, sizeof (num), "%" PRIu64, id);
  gen_str (g, "id");
  yajl_gen_number (g, num, strlen (num));
}

int
agent_request_frame (uint64_t id, enum agent_call call, const void *args, char **ret, size_t *ret_len,
                     rv_error_t *err)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  const struct agent_call_desc *d = agent_call_desc (call);
  int r;

  if (d == NULL)
    return rv_error_set (err, EINVAL, "request: no call %d", (int) call);
  yajl_gen_map_open (g);
  gen_id (g, id);
  gen_str (g, "call");
  gen_str (g, d->name);
  gen_str (g, "args");
  r = agent_schema_gen (d->args, args, g, err);
  if (r < 0)
    return r;
  yajl_gen_map_close (g);
  return finish_frame (g, ret, ret_len, err);
}

int
agent_reply_frame (uint64_t id, enum agent_call call, const void *result, char **ret, size_t *ret_len,
                   rv_error_t *err)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  const struct agent_call_desc *d = agent_call_desc (call);
  int r;

  if (d == NULL)
    return rv_error_set (err, EINVAL, "reply: no call %d", (int) call);
  yajl_gen_map_open (g);
  gen_id (g, id);
  gen_str (g, "status");
  yajl_gen_integer (g, 0);
  gen_str (g, "result");
  r = agent_schema_gen (d->result, result, g, err);
  if (r < 0)
    return r;
  yajl_gen_map_close (g);
  return finish_frame (g, ret, ret_len, err);
}

/* Copies S (at most MAX bytes), replacing every byte that does not start
 * a complete, minimal UTF-8 sequence with '?'.  */
static char *
utf8_sanitize (const char *s, size_t max)
{
  size_t len = strnlen (s, max), i = 0, o = 0;
  char *out = xmalloc (len + 1);

  while (i < len)
    {
      unsigned char c = (unsigned char) s[i];
      size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      uint32_t cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
      size_t k;
      bool ok = n > 0 && i + n <= len;

      for (k = 1; ok && k < n; k++)
        {
          unsigned char cc = (unsigned char) s[i + k];
          if ((cc & 0xc0) != 0x80)
            ok = false;
          cp = (cp << 6) | (cc & 0x3f);
        }
      if (ok && n > 1)
        ok = !((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
               || (cp >= 0xd800 && cp <= 0xdfff));
      if (!ok)
        {
          out[o++] = '?';
          i++;
          continue;
        }
      memcpy (out + o, s + i, n);
      o += n;
      i += n;
    }
  out[o] = '\0';
  return out;
}

char *
agent_error_frame (uint64_t id, int status, const char *msg, size_t *ret_len)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  _cleanup_free_ char *clean = utf8_sanitize (msg ? msg : "", AGENT_ERROR_MSG_MAX);
  const unsigned char *buf;
  size_t len;

  yajl_gen_map_open (g);
  gen_id (g, id);
  gen_str (g, "status");
  yajl_gen_integer (g, status > 0 && status <= 4095 ? status : EIO);
  gen_str (g, "msg");
  gen_str (g, clean);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  return agent_frame_wrap (buf, len, ret_len);
}
