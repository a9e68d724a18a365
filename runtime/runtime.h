/* The interface between the CLI verbs (cmd/runvm/<verb>.c) and the runtime
 * library: one options struct and one function per verb.
 *
 * The CLI parses runc's command line into these structs and calls the
 * function; it prints the error the function returns (errors follow
 * docs/error_handling.md) and exits with the status runc would.  Functions
 * write their normal output to G->out and warnings that runc prints
 * outside its log to G->diag.
 *
 * Paths in the options are absolute where runc makes them absolute
 * (--root, --bundle, --pid-file); others are passed as given.  Strings are
 * borrowed from the caller for the duration of the call.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "spec/config.h"

enum rt_cgroup_manager
{
  RT_CGROUP_MANAGER_CGROUPFS = 0,
  RT_CGROUP_MANAGER_SYSTEMD,
  RT_CGROUP_MANAGER_DISABLED,
};

/* The global options, given before the verb.  */
struct rt_global
{
  const char *root; /* --root: absolute; /run/runvm by default.  */
  const char *log;  /* --log FILE, or NULL for stderr.  */
  enum rv_log_format log_format;
  enum rv_log_level log_level; /* --log-level; debug with --debug.  */
  bool debug;
  /* --systemd-cgroup (runc) or --cgroup-manager=systemd (crun, podman):
   * cgroupsPath is "slice:prefix:name".  */
  enum rt_cgroup_manager cgroup_manager;
  const char *criu;     /* --criu: accepted for compatibility.  */
  const char *rootless; /* --rootless: "true", "false" or "auto".  */
  FILE *out;            /* the verb's output: stdout.  */
  FILE *diag;           /* warnings outside the log: stderr.  */
};

/* ---- create, run, start ----------------------------------------------- */

struct rt_create_opts
{
  const char *id;
  const char *bundle;         /* --bundle/-b, absolute; the current directory by default.  */
  const char *pid_file;       /* --pid-file, absolute, or NULL.  */
  const char *console_socket; /* --console-socket: receives the pty master.  */
  const char *pidfd_socket;   /* --pidfd-socket: receives a pidfd of the init (runc 1.2).  */
  bool no_pivot;              /* --no-pivot */
  bool no_new_keyring;        /* --no-new-keyring */
  int preserve_fds;           /* --preserve-fds N: fds 3 .. 3+N-1 go to the container.  */
};

struct rt_run_opts
{
  struct rt_create_opts create; /* the flags run shares with create.  */
  bool detach;                  /* --detach/-d */
  bool keep;                    /* --keep: do not delete the container when it exits.  */
  bool no_subreaper;            /* --no-subreaper */
};

struct rt_start_opts
{
  const char *id;
};

/* Creates the container and leaves it `created`.  */
int rt_create (const struct rt_global *g, const struct rt_create_opts *o, rv_error_t *err);
/* Creates and starts; without detach, waits and sets *RET_STATUS to the
 * exit status for runvm to exit with (128+N after signal N).  */
int rt_run (const struct rt_global *g, const struct rt_run_opts *o, int *ret_status, rv_error_t *err);
int rt_start (const struct rt_global *g, const struct rt_start_opts *o, rv_error_t *err);

/* ---- state, list -------------------------------------------------------- */

struct rt_state_opts
{
  const char *id;
};

struct rt_list_opts
{
  const char *format; /* --format/-f: "table" (default) or "json".  */
  bool quiet;         /* --quiet/-q: IDs only.  */
};

/* Prints the state as runc does: indented JSON, no newline at the end.  */
int rt_state (const struct rt_global *g, const struct rt_state_opts *o, rv_error_t *err);
/* Prints the containers under G->root; entries that cannot be read are
 * reported on G->diag and skipped.  */
int rt_list (const struct rt_global *g, const struct rt_list_opts *o, rv_error_t *err);

/* ---- signals, removal ----------------------------------------------------- */

struct rt_kill_opts
{
  const char *id;
  int signal; /* SIGTERM by default.  */
  bool all;   /* --all/-a: every process of the container.  */
};

struct rt_delete_opts
{
  const char *id;
  bool force; /* --force/-f: kill a running container first.  */
};

int rt_kill (const struct rt_global *g, const struct rt_kill_opts *o, rv_error_t *err);
int rt_delete (const struct rt_global *g, const struct rt_delete_opts *o, rv_error_t *err);

/* ---- inspection --------------------------------------------------------- */

struct rt_ps_opts
{
  const char *id;
  const char *format; /* --format/-f: "table" (default) or "json".  */
  char **ps_args;     /* arguments for ps(1) after the ID; NULL means -ef.  */
};

struct rt_events_opts
{
  const char *id;
  bool stats;          /* --stats: print the stats once and exit.  */
  int64_t interval_ns; /* --interval: > 0; 5 s by default.  */
};

int rt_ps (const struct rt_global *g, const struct rt_ps_opts *o, rv_error_t *err);
int rt_events (const struct rt_global *g, const struct rt_events_opts *o, rv_error_t *err);

/* ---- exec ----------------------------------------------------------------- */

struct rt_exec_opts
{
  const char *id;
  char **args;                /* the command; NULL when --process is given.  */
  const char *process;        /* --process/-p: a process.json.  */
  bool tty;                   /* --tty/-t */
  bool tty_set;               /* --tty given at all (it overrides process.json).  */
  const char *console_socket; /* --console-socket */
  const char *pidfd_socket;   /* --pidfd-socket */
  bool detach;                /* --detach/-d */
  const char *pid_file;       /* --pid-file, absolute, or NULL.  */
  char **env;                 /* --env/-e KEY=VALUE, appended to the config's.  */
  const char *cwd;            /* --cwd */
  bool has_user;              /* --user/-u uid[:gid] */
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
  uint32_t *additional_gids; /* --additional-gids/-g, repeated.  */
  size_t additional_gids_len;
  char **caps; /* --cap/-c: added to the bounding, effective, permitted and ambient sets.  */
  bool no_new_privs;
  bool no_new_privs_set;     /* --no-new-privs given at all.  */
  const char *apparmor;      /* --apparmor */
  const char *process_label; /* --process-label */
  int preserve_fds;          /* --preserve-fds */
  char **cgroups;            /* --cgroup [<controller>:]<path>, repeated.  */
  bool ignore_paused;        /* --ignore-paused */
};

/* Runs a process in the container; without detach, waits and sets
 * *RET_STATUS to its exit status.  */
int rt_exec (const struct rt_global *g, const struct rt_exec_opts *o, int *ret_status, rv_error_t *err);

/* ---- pause, resume, update ----------------------------------------------- */

struct rt_pause_opts
{
  const char *id;
};

struct rt_resume_opts
{
  const char *id;
};

/* Each value is applied only when set; memory values are bytes (-1 is
 * unlimited).  With RESOURCES, the other values are ignored, as in runc.  */
struct rt_update_opts
{
  const char *id;
  const char *resources; /* --resources/-r: a LinuxResources JSON file, or "-" for stdin.  */
  struct spec_opt_u32 blkio_weight;
  struct spec_opt_u64 cpu_period;
  struct spec_opt_i64 cpu_quota;
  struct spec_opt_u64 cpu_burst;
  struct spec_opt_u64 cpu_share;
  struct spec_opt_u64 cpu_rt_period;
  struct spec_opt_i64 cpu_rt_runtime;
  struct spec_opt_i64 cpu_idle;
  const char *cpuset_cpus;
  const char *cpuset_mems;
  struct spec_opt_i64 memory;
  struct spec_opt_i64 memory_reservation;
  struct spec_opt_i64 memory_swap;
  struct spec_opt_i64 kernel_memory;     /* obsolete; runc warns and ignores it.  */
  struct spec_opt_i64 kernel_memory_tcp; /* obsolete, likewise.  */
  struct spec_opt_i64 pids_limit;
  const char *l3_cache_schema;
  const char *mem_bw_schema;
};

int rt_pause (const struct rt_global *g, const struct rt_pause_opts *o, rv_error_t *err);
int rt_resume (const struct rt_global *g, const struct rt_resume_opts *o, rv_error_t *err);
int rt_update (const struct rt_global *g, const struct rt_update_opts *o, rv_error_t *err);

/* ---- checkpoint, restore: not supported by runvm ------------------------- */

struct rt_checkpoint_opts
{
  const char *id;
  const char *image_path;
  const char *work_path;
  const char *parent_path;
  bool leave_running;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool lazy_pages;
  int status_fd; /* -1 when not given.  */
  const char *page_server;
  bool file_locks;
  bool pre_dump;
  const char *manage_cgroups_mode;
  char **empty_ns;
  bool auto_dedup;
};

struct rt_restore_opts
{
  const char *id;
  const char *console_socket;
  const char *image_path;
  const char *work_path;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  const char *manage_cgroups_mode;
  const char *bundle;
  bool detach;
  const char *pid_file;
  bool no_subreaper;
  bool no_pivot;
  char **empty_ns;
  bool auto_dedup;
  bool lazy_pages;
  const char *lsm_profile;
  const char *lsm_mount_context;
};

int rt_checkpoint (const struct rt_global *g, const struct rt_checkpoint_opts *o, rv_error_t *err);
int rt_restore (const struct rt_global *g, const struct rt_restore_opts *o, int *ret_status, rv_error_t *err);

/* ---- spec, features --------------------------------------------------------- */

struct rt_spec_opts
{
  const char *bundle; /* --bundle/-b: where config.json goes; the current directory by default.  */
  bool rootless;      /* --rootless */
};

struct rt_features_opts
{
  int unused;
};

/* Writes a starter config.json like `runc spec`; refuses to replace one.  */
int rt_spec (const struct rt_global *g, const struct rt_spec_opts *o, rv_error_t *err);
/* The text of that config.json (ociVersion 1.2.0).  */
char *rt_spec_template (bool rootless);

/* Prints features.json: what this build of runvm supports.  */
int rt_features (const struct rt_global *g, const struct rt_features_opts *o, rv_error_t *err);
char *rt_features_json (void);

/* ---- helpers for the CLI ---------------------------------------------------- */

/* A signal as `runc kill` takes it: a number ("9"), or a name with or
 * without "SIG" in any case ("KILL", "sigterm"); also "RTMIN", "RTMIN+N"
 * and "RTMAX-N".  Unknown names fail with `unknown signal "X"`.  */
int rt_signal_parse (const char *s, int *ret, rv_error_t *err);
