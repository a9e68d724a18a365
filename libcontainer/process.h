/* Process attributes: what process.* and a few linux.* fields ask of the
 * container's process, validated in the parent (lc_proc_prepare) and
 * applied in the child just before exec.  */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/config.h"

struct lc_rlimit
{
  const char *name;
  int resource;
  struct rlimit value;
};

/* Everything about the process resolved once: numbers instead of names.  */
struct lc_proc
{
  const struct spec_process *spec; /* borrowed.  */
  struct lc_rlimit *rlimits;
  size_t rlimits_len;
  bool has_ioprio;
  int ioprio; /* IOPRIO_PRIO_VALUE (class, level).  */
  bool has_sched;
  unsigned int sched_policy;
  unsigned long long sched_flags;
  bool has_personality;
  unsigned long personality;
  char **env; /* process.env plus HOME when the image's passwd says so (filled in the child).  */
};

int lc_proc_prepare (const struct spec_process *p, const struct spec_personality *personality,
                     struct lc_proc **ret, rv_error_t *err);
void lc_proc_free (struct lc_proc *p);

/* Steps in the child, in the order they run.  */
int lc_proc_set_rlimits (const struct lc_proc *p, rv_error_t *err);
int lc_proc_set_personality (const struct lc_proc *p, rv_error_t *err);
int lc_proc_set_ioprio (const struct lc_proc *p, rv_error_t *err);
int lc_proc_set_scheduler (const struct lc_proc *p, rv_error_t *err);
/* setgroups (additionalGids), setresgid, setresuid.  SETGROUPS false: the
 * user namespace denies setgroups(2) (an unprivileged mapping).  */
int lc_proc_set_user (const struct spec_user *u, bool setgroups_allowed, rv_error_t *err);

/* Writes oom_score_adj of PID (the parent does it: lowering the value
 * needs privileges a child in a user namespace lacks).  */
int lc_proc_set_oom_score_adj (pid_t pid, int value, rv_error_t *err);

/* The executable for ARGV0: as is when it contains '/', else searched in
 * PATH from ENV (the container's environment; a default PATH when it has
 * none), relative to the current root.  */
int lc_proc_find_executable (const char *argv0, char *const *env, char **ret, rv_error_t *err);

/* ENV with HOME added from the container's /etc/passwd entry of UID when
 * ENV has no HOME ("/" when there is no entry), as runc does.  */
char **lc_proc_env_with_home (char *const *env, uid_t uid);

/* Writes linux.sysctl under /proc/sys of the current root.  */
int lc_proc_set_sysctls (const struct spec_kv *kv, size_t n, rv_error_t *err);

/* Checks that each sysctl belongs to a namespace the container has of its
 * own (ipc: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*; net: net.*;
 * uts: kernel.hostname, kernel.domainname), as runc does.  */
int lc_proc_check_sysctls (const struct spec_config *config, rv_error_t *err);

/* A CPU list ("0-3,7") as a set.  Returns 0 or -EINVAL.  */
int lc_proc_parse_cpus (const char *list, cpu_set_t *ret);

/* Closes every fd from FIRST up, except KEEP (-1 for none).  */
void lc_proc_close_fds_from (int first, int keep);
