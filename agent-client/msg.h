/* Messages of the agent protocol (agent-client/PROTOCOL.md).
 *
 * Every call has a C struct for its arguments and one for its result, and
 * a schema (a table of fields) that encodes them with yajl_gen and decodes
 * them from a yajl tree, checking every field's type.  Unknown fields are
 * ignored; a missing required field, a wrong type or an out-of-range
 * number is an error that names the call and the field.
 *
 * Conventions of the structs, as in spec/config.h: strings are `char *`
 * (NULL when absent, and then not sent), string lists NULL-terminated,
 * arrays a pointer plus a `_len`, numbers 0 when absent.  JSON documents
 * carried whole (config.json, process.json, resources, stats) are `char *`
 * JSON text on the C side and a JSON object on the wire.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"

/* The protocol versions this build speaks.  */
#define AGENT_PROTOCOL_MIN 1
#define AGENT_PROTOCOL_MAX 1

enum agent_call
{
  AGENT_CALL_HELLO = 0,
  AGENT_CALL_ATTACH,
  AGENT_CALL_CREATE,
  AGENT_CALL_START,
  AGENT_CALL_EXEC,
  AGENT_CALL_SIGNAL,
  AGENT_CALL_WAIT,
  AGENT_CALL_RESIZE,
  AGENT_CALL_CLOSE_STDIN,
  AGENT_CALL_PS,
  AGENT_CALL_STATS,
  AGENT_CALL_PAUSE,
  AGENT_CALL_RESUME,
  AGENT_CALL_UPDATE,
  AGENT_CALL_DESTROY,
  AGENT_CALL_STATE,
  AGENT_CALL_NETWORK,
  AGENT_CALL_INFO,
  AGENT_CALL_EVENTS,
  AGENT_CALL_SHUTDOWN,
  AGENT_CALL_COUNT,
  /* Not calls: what a request's "call" may turn out to be.  */
  AGENT_CALL_UNKNOWN = AGENT_CALL_COUNT,
  AGENT_CALL_MISSING,
};

/* The streams of one process.  A terminal process has AGENT_STREAM_TTY
 * only; others any of the three pipes.  */
enum agent_stream
{
  AGENT_STREAM_STDIN = 0,
  AGENT_STREAM_STDOUT,
  AGENT_STREAM_STDERR,
  AGENT_STREAM_TTY,
  AGENT_STREAM_COUNT,
};

const char *agent_stream_name (enum agent_stream s);
int agent_stream_parse (const char *name, enum agent_stream *ret);

/* ---- arguments and results ------------------------------------------ */

/* Which pipes a non-terminal process gets; a stream not asked for is
 * /dev/null.  */
struct agent_stdio
{
  bool in;
  bool out;
  bool err;
};

struct agent_hello_args
{
  uint32_t min_version;
  uint32_t max_version;
  char *client;
};

struct agent_hello_result
{
  uint32_t version;
  char *agent;
};

struct agent_attach_args
{
  uint32_t version;
  char *container;
  char *exec_id; /* NULL: the container's init.  */
  char *stream;  /* agent_stream_name ().  */
};

struct agent_create_args
{
  char *container;
  char *config; /* config.json with guest paths (JSON text).  */
  char *rootfs; /* guest path of the root filesystem; NULL: from config.  */
  char *bundle; /* reported to hooks.  */
  struct agent_stdio stdio;
  bool no_pivot;
  bool no_new_keyring;
  /* The host runs the hooks of the runtime's namespace (prestart,
   * createRuntime, poststart, poststop) itself.  */
  bool no_runtime_hooks;
  char *cgroup_path;
};

struct agent_pid_result
{
  int pid;
};

/* start, ps, stats, pause, resume, destroy, state.  */
struct agent_container_args
{
  char *container;
};

struct agent_exec_args
{
  char *container;
  char *exec_id;
  char *process; /* process.json (JSON text).  */
  struct agent_stdio stdio;
};

/* wait, close_stdin.  */
struct agent_process_args
{
  char *container;
  char *exec_id;
};

struct agent_signal_args
{
  char *container;
  char *exec_id;
  int signal;
  bool all;
};

struct agent_resize_args
{
  char *container;
  char *exec_id;
  uint32_t rows;
  uint32_t cols;
};

struct agent_exit_result
{
  int pid;
  /* The shell's convention: the exit status, or 128+N after signal N.  */
  int exit_code;
  int signal; /* 0 unless killed by a signal.  */
};

struct agent_ps_result
{
  int *pids;
  size_t pids_len;
};

struct agent_stats_result
{
  char *stats; /* runc's `events --stats` "data" object (JSON text).  */
};

struct agent_update_args
{
  char *container;
  char *resources; /* linux.resources (JSON text).  */
};

struct agent_state_result
{
  char *status; /* "created", "running", "paused", "stopped".  */
  int pid;
  int exit_code; /* when stopped.  */
  int signal;
};

struct agent_interface
{
  char *device;     /* the guest's current name ("eth0"), or  */
  char *match_mac;  /* its current MAC address.  */
  char *name;       /* new name; NULL keeps it.  */
  char *mac;        /* new MAC address; NULL keeps it.  */
  uint32_t mtu;     /* 0 keeps it.  */
  char **addresses; /* "10.0.0.2/24", "fd00::2/64"; added, then the link is up.  */
};

struct agent_route
{
  char *dest;    /* "default", "default6" or a prefix "10.1.0.0/16".  */
  char *gateway; /* NULL: on-link.  */
  char *device;  /* name after renaming; NULL: chosen by the kernel.  */
  uint32_t metric;
};

struct agent_network_args
{
  struct agent_interface *interfaces;
  size_t interfaces_len;
  struct agent_route *routes;
  size_t routes_len;
};

struct agent_info_result
{
  char *agent;   /* agent version.  */
  char *kernel;  /* uname release.  */
  char *machine; /* uname machine.  */
  char *hostname;
  uint64_t uptime_ms;
  uint64_t mem_total; /* bytes.  */
  uint64_t mem_free;
  uint64_t mem_available;
  uint32_t cpus;
  uint32_t containers;
  bool pid1;
};

struct agent_events_args
{
  uint64_t since; /* events with seq > since.  */
  int timeout_ms; /* how long to wait for one; 0: answer at once.  */
};

struct agent_event
{
  uint64_t seq;
  char *type; /* "exit", "oom".  */
  char *container;
  char *exec_id;
  int pid;
  int exit_code;
  int signal;
  char *time; /* RFC 3339.  */
};

struct agent_events_result
{
  struct agent_event *events;
  size_t events_len;
  /* Events older than this were dropped from the agent's ring before they
   * were asked for (0: none lost).  */
  uint64_t lost;
};

/* ---- schemas ---------------------------------------------------------- */

enum agent_field_type
{
  AGENT_FIELD_STRING = 0, /* char *  */
  AGENT_FIELD_BOOL,       /* bool  */
  AGENT_FIELD_INT,        /* int  */
  AGENT_FIELD_U32,        /* uint32_t  */
  AGENT_FIELD_U64,        /* uint64_t  */
  AGENT_FIELD_STRV,       /* char **, NULL-terminated  */
  AGENT_FIELD_INTV,       /* int * with a size_t count  */
  AGENT_FIELD_JSON,       /* char * JSON text of an object  */
  AGENT_FIELD_OBJECT,     /* a struct embedded in place  */
  AGENT_FIELD_ARRAY,      /* a pointer to structs with a size_t count  */
};

struct agent_schema;

struct agent_field
{
  const char *name;
  enum agent_field_type type;
  size_t offset;
  size_t len_offset; /* INTV and ARRAY: where the count lives.  */
  bool required;
  const struct agent_schema *schema; /* OBJECT and ARRAY.  */
};

struct agent_schema
{
  const char *name;
  size_t size;
  const struct agent_field *fields;
  size_t n_fields;
};

/* Decodes V (an object, or NULL for "absent", which reads as {}) into
 * *RET, a struct of S's type; on failure *RET is left zeroed.  */
int agent_schema_decode (const struct agent_schema *s, yajl_val v, void *ret, rv_error_t *err);
/* Emits OBJ as a JSON object into G.  Fails (EINVAL) for a missing
 * required field, a JSON field that is not a JSON object, or a string
 * that is not UTF-8.  */
int agent_schema_gen (const struct agent_schema *s, const void *obj, yajl_gen g, rv_error_t *err);
/* Frees what OBJ points to (not OBJ) and zeroes it.  */
void agent_schema_clear (const struct agent_schema *s, void *obj);

struct agent_call_desc
{
  const char *name;
  const struct agent_schema *args;
  const struct agent_schema *result;
};

/* The call's description; NULL outside 0..AGENT_CALL_COUNT-1.  */
const struct agent_call_desc *agent_call_desc (enum agent_call call);
const char *agent_call_name (enum agent_call call);
/* AGENT_CALL_UNKNOWN when NAME is no call.  */
enum agent_call agent_call_lookup (const char *name);

extern const struct agent_schema agent_event_schema;

/* ---- envelopes -------------------------------------------------------- */

struct agent_request
{
  uint64_t id;
  enum agent_call call;  /* AGENT_CALL_UNKNOWN / _MISSING: answer with an error.  */
  const char *call_name; /* as sent; NULL when missing.  */
  yajl_val args;         /* NULL when absent.  */
  yajl_val root;         /* owns the tree.  */
};

struct agent_reply
{
  uint64_t id;
  int status; /* 0, or an errno value.  */
  const char *msg;
  yajl_val result; /* NULL when absent.  */
  yajl_val root;
};

/* Parse a frame's payload.  A request fails only when the payload is not a
 * JSON object with a valid "id"; a bad "call" comes back as
 * AGENT_CALL_UNKNOWN or AGENT_CALL_MISSING so that it can be answered.  */
int agent_request_parse (const char *payload, size_t len, struct agent_request *ret, rv_error_t *err);
int agent_reply_parse (const char *payload, size_t len, struct agent_reply *ret, rv_error_t *err);
void agent_request_clear (struct agent_request *r);
void agent_reply_clear (struct agent_reply *r);

/* Whole frames (header included) in *RET.  ARGS / RESULT point to the
 * call's struct, or NULL for an empty object.  Fail with EINVAL for what
 * agent_schema_gen rejects and EMSGSIZE when the payload exceeds
 * AGENT_FRAME_MAX.  */
int agent_request_frame (uint64_t id, enum agent_call call, const void *args, char **ret, size_t *ret_len,
                         rv_error_t *err);
int agent_reply_frame (uint64_t id, enum agent_call call, const void *result, char **ret, size_t *ret_len,
                       rv_error_t *err);
/* An error reply.  MSG is cut to AGENT_ERROR_MSG_MAX bytes and bytes that
 * are not UTF-8 become '?', so this never fails.  */
#define AGENT_ERROR_MSG_MAX 4096
char *agent_error_frame (uint64_t id, int status, const char *msg, size_t *ret_len);
