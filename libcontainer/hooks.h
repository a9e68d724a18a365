/* OCI hooks: a program run with the container's state on its stdin, in
 * whatever namespaces the calling process is in (the parent for
 * prestart/createRuntime/poststart/poststop, the container's init for
 * createContainer/startContainer), waited for by PID with its timeout.  */
#pragma once

#include <sys/types.h>

#include "common/error.h"
#include "spec/config.h"

/* The state JSON a hook reads: ociVersion, id, status, pid, bundle,
 * annotations.  PID 0 leaves "pid" out (a stopped container).  */
char *lc_hook_state_json (const char *id, const char *status, pid_t pid, const char *bundle,
                          const struct spec_kv *annotations, size_t annotations_len);
/* The same object into a yajl generator (void * to keep yajl out of this
 * header).  */
void lc_hook_state_gen (void *yajl_gen, const char *id, const char *status, pid_t pid, const char *bundle,
                        const struct spec_kv *annotations, size_t annotations_len);

/* Runs HOOKS[0..N) in order; the first failure stops the list and names
 * the hook, its exit status or signal and the start of its output.
 * DEFAULT_ENV is the environment of hooks that have none (NULL: the
 * calling process's own, as runc's hooks inherit runc's).  */
int lc_hooks_run (const char *kind, const struct spec_hook *hooks, size_t n, const char *state,
                  char *const *default_env, rv_error_t *err);
