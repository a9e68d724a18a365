/* runvm-agent: the guest agent (agent-client/PROTOCOL.md is the contract).
 *
 * One thread, one epoll loop.  Everything the loop watches is a `struct
 * watch` embedded in its owner: the listening socket, a signalfd
 * (SIGCHLD, and SIGTERM/SIGINT/SIGHUP as a host process), every client
 * connection, and both ends of every attached process stream.
 *
 * Objects that a callback may drop while other events of the same
 * epoll_wait batch still point at them (connections, processes,
 * containers) are unhooked at once (fds closed, watches removed) and freed
 * after the batch, from the `dead_*` lists.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-client/frame.h"
#include "agent-client/msg.h"
#include "cmd/runvm-agent/list.h"
#include "common/error.h"

#include "libcontainer/libcontainer.h"

/* Per direction of a process stream.  */
#define RELAY_BUF_SIZE (64 * 1024)
/* Replies queued for one control connection before it is no longer read.  */
#define CONN_OUT_MAX       (64u << 20)
#define CONN_MAX           1024
#define EVENTS_KEPT        1024
#define EVENTS_WAIT_MAX_MS 600000
#define ID_MAX             1024

struct agent;
struct watch;

typedef void (*watch_fn) (struct agent *a, struct watch *w, uint32_t revents);

struct watch
{
  int fd; /* -1 when not watching: events still queued for it are dropped.  */
  uint32_t events;
  bool added;
  watch_fn fn;
};

void watch_init (struct watch *w, watch_fn fn);
/* Watches FD for EVENTS (0 keeps it out of epoll, so that a hung-up fd
 * nobody wants to hear from does not spin the loop).  */
void watch_set (struct agent *a, struct watch *w, int fd, uint32_t events);
void watch_stop (struct agent *a, struct watch *w);

/* ---- the container side: what builds containers ---------------------- */

/* libcontainer in production; tests plug in plain processes.  Every
 * function is synchronous; PIDs handed out are the caller's to reap.
 * The processes a backend starts must not inherit the agent's signal
 * state (SIGCHLD, SIGTERM, SIGINT, SIGHUP blocked for its signalfd,
 * SIGPIPE ignored): it forks with every signal blocked and resets the
 * child's dispositions and mask (libcontainer/signals.h).
 * A backend's error may name the call and the container itself, as
 * libcontainer's do ("create container `x`: ..."); the agent adds that
 * prefix only where the message does not name the container, so that the
 * client sees it once.  */
struct agent_backend
{
  const char *name;
  /* Builds the container and leaves its init blocked before exec.
   * *RET_CONSOLE gets the pty master of a terminal init, else -1.  */
  int (*create) (const struct agent_create_args *args, const struct lc_stdio *stdio, void **ret_handle,
                 pid_t *ret_pid, int *ret_console, rv_error_t *err);
  int (*start) (void *handle, rv_error_t *err);
  int (*exec) (void *handle, const char *process_json, const struct lc_stdio *stdio, pid_t *ret_pid,
               int *ret_console, rv_error_t *err);
  int (*kill) (void *handle, int sig, bool all, rv_error_t *err);
  int (*pids) (void *handle, pid_t **ret, size_t *ret_len, rv_error_t *err);
  int (*stats) (void *handle, char **ret_json, rv_error_t *err);
  int (*pause) (void *handle, rv_error_t *err);
  int (*resume) (void *handle, rv_error_t *err);
  int (*update) (void *handle, const char *resources_json, rv_error_t *err);
  int (*destroy) (void *handle, rv_error_t *err);
  void (*free) (void *handle);
};

/* backend_lc.c: containers built by libcontainer from spec/ documents.  */
extern const struct agent_backend agent_backend_libcontainer;

/* ---- connections ------------------------------------------------------ */

struct out_frame
{
  struct list link;
  char *data;
  size_t len;
  size_t off;
};

struct conn
{
  struct list link; /* agent->conns, then agent->dead_conns.  */
  struct watch w;
  bool control; /* after hello.  */
  bool closing; /* close once the queued replies are out.  */
  bool dead;
  uint32_t version;
  struct agent_frame_reader reader;
  struct list out;
  size_t out_bytes;
};

/* Queues FRAME (taken) for C and tries to send it at once.  */
void conn_send (struct agent *a, struct conn *c, char *frame, size_t len);
void conn_send_error (struct agent *a, struct conn *c, uint64_t id, rv_error_t err);
/* Frees C's fd and watch now, its memory after the batch.  Its waiters go
 * with it.  */
void conn_drop (struct agent *a, struct conn *c);

/* ---- processes and their streams ------------------------------------- */

struct ring
{
  char *buf;
  size_t start;
  size_t len;
};

struct proc;

struct relay
{
  struct proc *proc;
  enum agent_stream kind;
  bool attached;
  bool finished; /* nothing more will move; counts as drained.  */
  int pfd;       /* the process's side: pipe end or pty master.  */
  struct watch pw;
  int sfd; /* the host's stream connection.  */
  struct watch sw;
  struct ring up;   /* process -> host.  */
  struct ring down; /* host -> process.  */
  char *hdr;        /* the attach reply, sent before any stream byte.  */
  size_t hdr_len, hdr_off;
  bool p_eof;    /* no more output from the process.  */
  bool p_closed; /* input: the process's stdin is closed.  */
  bool s_eof;    /* the host sent end of file (or is gone).  */
  bool s_dead;   /* the host cannot be written to.  */
  bool close_in; /* close_stdin: close after the queued bytes.  */
};

struct ctr;

struct proc
{
  struct list ctr_link; /* ctr->procs, then agent->dead_procs.  */
  struct list all_link; /* agent->procs while not reaped.  */
  struct ctr *ctr;
  char *exec_id; /* NULL: the init.  */
  pid_t pid;
  bool terminal;
  bool reaped;
  bool reported;
  bool forgotten;
  int status; /* from waitpid.  */
  struct relay *relays[AGENT_STREAM_COUNT];
};

enum ctr_state
{
  CTR_CREATED = 0,
  CTR_RUNNING,
  CTR_PAUSED,
  CTR_STOPPED,
};

struct ctr
{
  struct list link; /* agent->ctrs until destroyed.  */
  char *id;
  void *handle;
  enum ctr_state state;
  bool destroyed;
  struct proc *init;
  struct list procs;
  /* OOM notices (oom.c): the watched memory.events, or NULL.  */
  char *oom_path;
  int oom_wd;
  uint64_t oom_kills;
};

/* A call that answers later: wait, events.  */
struct waiter
{
  struct list link;
  struct conn *conn;
  uint64_t id;
  enum agent_call call;
  struct proc *proc;  /* wait */
  uint64_t since;     /* events */
  long long deadline; /* events, monotonic ms.  */
};

struct agent
{
  int epfd;
  struct watch listen_w;
  struct watch sig_w;
  struct watch oom_w; /* inotify, made with the first watched cgroup.  */
  const struct agent_backend *backend;
  bool pid1;
  bool stopping;
  pid_t parent;          /* exit when it changes (0: never).  */
  const char *unix_path; /* the listening socket's file, removed at exit.  */
  struct list conns, ctrs, procs, waiters;
  struct list dead_conns, dead_procs, dead_ctrs;
  size_t n_conns;
  struct agent_event events[EVENTS_KEPT];
  size_t ev_first; /* index of the oldest kept event.  */
  size_t ev_len;
  uint64_t ev_seq; /* seq of the newest event.  */
};

/* server.c */
struct agent_options
{
  const char *listen; /* "unix:PATH" or "vsock:PORT".  */
  const struct agent_backend *backend;
  bool pid1;
  bool exit_with_parent;
};
/* Serves until `shutdown`, SIGTERM (host process) or the parent's exit.
 * Returns 0 on an orderly stop.  Destroys what containers remain.  */
int agent_serve (const struct agent_options *opts, rv_error_t *err);

/* calls.c */
void agent_dispatch (struct agent *a, struct conn *c, const char *payload, size_t len);
void agent_expire_waiters (struct agent *a);
long long agent_next_deadline (struct agent *a);

/* proc.c */
struct ctr *ctr_find (struct agent *a, const char *id);
struct proc *proc_find (struct ctr *c, const char *exec_id);
struct proc *proc_new (struct agent *a, struct ctr *c, const char *exec_id, pid_t pid, bool terminal);
/* A relay for stream KIND of P over PFD (taken).  */
void proc_add_relay (struct proc *p, enum agent_stream kind, int pfd);
/* Whether P's stream KIND exists and can be attached.  */
int relay_check_attach (struct proc *p, enum agent_stream kind, rv_error_t *err);
/* Attaches the host's connection SFD (taken) to P's stream KIND, checked
 * with relay_check_attach; HDR (taken) is the attach reply.  */
void relay_attach (struct agent *a, struct proc *p, enum agent_stream kind, int sfd, char *hdr,
                   size_t hdr_len);
void relay_close_stdin (struct agent *a, struct relay *r);
void agent_reap (struct agent *a);
/* Answers waiters and records the event once P has exited and its output
 * is delivered.  */
void proc_maybe_report (struct agent *a, struct proc *p);
void proc_forget (struct agent *a, struct proc *p);
/* Abandons streams nobody attached (destroy, shutdown).  */
void proc_abandon_streams (struct agent *a, struct proc *p);
void ctr_maybe_free (struct agent *a, struct ctr *c);
void agent_exit_of (int status, int *ret_code, int *ret_signal);
/* Records an event of container C (and process P, or NULL).  */
void agent_push_event (struct agent *a, const char *type, struct ctr *c, struct proc *p);
/* Replies to events waiters that have something now.  */
void agent_wake_events (struct agent *a);
void agent_free_dead (struct agent *a);

/* oom.c */
/* Watches the memory.events of PID's cgroup for container C, when it has
 * a cgroup v2 of its own.  */
void oom_watch (struct agent *a, struct ctr *c, pid_t pid);
void oom_unwatch (struct agent *a, struct ctr *c);
/* The oom_kill count in a memory.events text: 0 or -ENOENT.  */
int oom_parse_kills (const char *memory_events, uint64_t *ret);
/* memory.events of the cgroup in PROC_CGROUP (a /proc/PID/cgroup text)
 * under the cgroup2 mount found in MOUNTINFO; NULL when there is no
 * cgroup v2 path or it equals OWN_CGROUP's.  */
char *oom_events_path (const char *proc_cgroup, const char *own_cgroup, const char *mountinfo);

/* netcfg.c */
int netcfg_loopback_up (rv_error_t *err);
int netcfg_apply (const struct agent_network_args *args, rv_error_t *err);

/* info.c */
int agent_info_collect (struct agent *a, struct agent_info_result *ret, rv_error_t *err);

/* pid1.c */
struct pid1_config
{
  uint32_t port;
  bool debug;
};
/* Mounts, console, modules, the virtio-fs share.  Never fails: what cannot
 * be set up is logged, and only what the agent cannot run without makes
 * it power off.  */
void pid1_setup (struct pid1_config *ret);
/* Parses `runvm.port=` and `runvm.debug=` from a kernel command line.  */
void pid1_parse_cmdline (const char *cmdline, struct pid1_config *ret);
/* Syncs, kills every process, powers off.  Does not return.  */
void pid1_poweroff (void) __attribute__ ((noreturn));
