/* The state store: what runvm knows about each container on this host.
 *
 * Layout (docs/ARCHITECTURE.md, "State"):
 *
 *   <root>/                 mode 0700, created on first use
 *   <root>/<id>/            mode 0700, one per container
 *   <root>/<id>/state.json  the OCI state plus runvm's private fields
 *   <root>/<id>/lock        flock(2) target serialising commands on <id>
 *
 * Creation is atomic: the entry is built complete (lock file and a
 * state.json with status `creating`) in a private directory under <root>
 * and renamed into place without replacing anything, so no reader ever
 * sees a half-made entry and of two creators of one ID exactly one wins;
 * the loser removes only its own private directory.  Removal renames the
 * entry away first, so it disappears at once, then deletes it without
 * crossing into mounts.  Private directories are named with a `:`, which
 * no container ID contains, and are skipped by state_list().
 *
 * state.json is always replaced atomically (write_file_atomic), so readers
 * need no lock to see a consistent file.  The lock orders the commands
 * that change a container (start, kill, delete, the monitor's own
 * updates): writers take it exclusively, commands that need a stable view
 * across several steps take it shared.
 *
 * Status is never trusted as stored: state_status_current() combines the
 * stored status with the liveness of the recorded process, identified by
 * its PID *and* its start time (field 22 of /proc/<pid>/stat) so that a
 * reused PID is not taken for the container.
 *
 * Errors carry errno values callers may branch on: ENOENT "container does
 * not exist", EEXIST "container with id `x` already exists", EINVAL
 * "invalid container ID format" / "container id cannot be empty",
 * EAGAIN when a lock could not be taken in time.
 *
 * A lock is a flock(2) on an open file description: a child forked while
 * the lock is held shares it until the child closes its copy (or execs;
 * the descriptors are close-on-exec).  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"
#include "spec/config.h"

/* Longest ID: one path component.  */
#define STATE_ID_MAX 255

enum state_status
{
  STATE_CREATING = 0,
  STATE_CREATED,
  STATE_RUNNING,
  STATE_PAUSED,
  STATE_STOPPED,
};

/* "creating", "created", "running", "paused", "stopped".  */
const char *state_status_name (enum state_status status);
/* 0, or -EINVAL for an unknown name.  */
int state_status_parse (const char *name, enum state_status *ret);

struct state_record
{
  char *oci_version; /* of the bundle's config.json.  */
  char *id;
  enum state_status status; /* as stored; see state_status_current().  */
  /* The container's process on the host: the monitor.  0 until known.  */
  pid_t pid;
  uint64_t pid_start_time;
  /* The `runvm create` process, while status is `creating`.  */
  pid_t creator_pid;
  uint64_t creator_start_time;
  char *bundle;  /* absolute.  */
  char *rootfs;  /* absolute.  */
  char *created; /* RFC 3339 with nanoseconds, as Go prints it.  */
  char *owner;   /* name of the user who created it.  */
  struct spec_kv *annotations;
  size_t annotations_len;
  char *launcher;  /* "qemu", "host", ...; NULL until chosen.  */
  char *transport; /* agent_transport_to_string() form; NULL until known.  A
                    * relative socket path is relative to <root>/<id>.  */
  /* The container's cgroup on the host, absolute (what `linux.cgroupsPath`
   * resolved to when the container was created); NULL when runvm made
   * none (--cgroup-manager disabled).  */
  char *cgroup_path;
  /* What creating it makes of that cgroup (lc_cgroup_missing_dirs before
   * the monitor started): the only directories `delete` removes, and
   * where it kills what is left.  Empty when the cgroup existed before
   * (an engine's, or another's): then nothing of it is touched.  NULL in
   * a record of an older runvm: the cgroup's leaf is removed.  */
  char **cgroup_made;
  bool has_exit_status;
  int exit_status; /* the workload's: exit code, or 128+N for signal N.  */
};

/* Checks ID by runc's rules: 1 to STATE_ID_MAX characters from
 * [A-Za-z0-9_+.-], and not "." or "..".  */
int state_validate_id (const char *id, rv_error_t *err);

/* "<root>/<id>"; a new string.  */
char *state_dir (const char *root, const char *id);

/* Creates ROOT (and missing parents) with mode 0700 if it does not exist.  */
int state_root_ensure (const char *root, rv_error_t *err);

/* Creates the entry of R->id in ROOT holding R (normally status
 * `creating` with creator_pid set), creating ROOT if needed.  On success
 * *RET_LOCK_FD is the entry's lock, held exclusively: the caller finishes
 * creating under it and closes it (or keeps it to the end).  Fails with
 * EEXIST, leaving nothing behind, when the ID is taken.  */
int state_create (const char *root, const struct state_record *r, int *ret_lock_fd, rv_error_t *err);

/* Reads the entry of ID.  ENOENT when there is none (or it has no
 * state.json, as when its creator was killed before finishing).  */
int state_load (const char *root, const char *id, struct state_record **ret, rv_error_t *err);

/* Replaces the state.json of R->id atomically.  ENOENT when the entry is
 * gone.  */
int state_save (const char *root, const struct state_record *r, rv_error_t *err);

enum state_lock_mode
{
  STATE_LOCK_SHARED = 0,
  STATE_LOCK_EXCLUSIVE,
};

/* Takes the lock of ID.  TIMEOUT_MS < 0 waits as long as it takes, 0 tries
 * once, > 0 gives up after that long (EAGAIN).  On success *RET_FD holds
 * the lock until closed.  The entry is checked again once the lock is
 * held, so a caller never holds the lock of an entry removed meanwhile
 * (ENOENT).  */
int state_lock (const char *root, const char *id, enum state_lock_mode mode, int timeout_ms, int *ret_fd,
                rv_error_t *err);

/* Removes the entry of ID and everything in it.  Mounts found inside are
 * detached, never descended into.  ENOENT when there is none.  */
int state_remove (const char *root, const char *id, rv_error_t *err);

/* The status to report: `stopped` once an exit status is recorded or the
 * responsible process (the creator while `creating`, the monitor after)
 * is gone or a zombie; the stored status otherwise.  */
enum state_status state_status_current (const struct state_record *r);

/* Start time of PID in clock ticks since boot (field 22 of
 * /proc/<pid>/stat) and its state letter (field 3).  -ESRCH when there is
 * no such process.  */
int proc_pid_stat (pid_t pid, uint64_t *ret_start_time, char *ret_state);

/* PID exists, is not a zombie, and started at START_TIME.  */
bool proc_pid_alive (pid_t pid, uint64_t start_time);

/* One entry of state_list().  Exactly one of RECORD and ERROR is set.  */
struct state_entry
{
  char *id;
  uid_t uid; /* owner of <root>/<id>.  */
  struct state_record *record;
  rv_error_t error;
};

/* Lists the entries of ROOT in name order.  An entry that cannot be read
 * is listed with its error instead of failing the listing.  A missing
 * ROOT is an empty list.  */
int state_list (const char *root, struct state_entry **ret, size_t *ret_len, rv_error_t *err);
void state_entries_free (struct state_entry *entries, size_t len);

/* state.json text for R, and back.  */
char *state_record_to_json (const struct state_record *r);
int state_record_parse (const char *data, size_t len, struct state_record **ret, rv_error_t *err);
struct state_record *state_record_dup (const struct state_record *r);
void state_record_free (struct state_record *r);

/* The current time as Go's time.RFC3339Nano prints a UTC time: trailing
 * zeros of the fraction dropped, the fraction left out when zero.  */
char *state_time_now (void);
char *state_time_format (const struct timespec *ts);
