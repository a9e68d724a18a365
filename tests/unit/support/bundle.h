/* Bundles and runvm invocations for the lifecycle tests: a busybox rootfs,
 * a config.json built from a template, and runvm run with files for its
 * stdio, so that a container outliving the command (create, run -d) does
 * not hold the test's pipes.  */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct tb
{
  char *dir;    /* the test's temporary directory */
  char *root;   /* --root */
  char *bundle; /* DIR/bundle, rootfs DIR/bundle/rootfs */
};

/* A temporary directory with a bundle whose rootfs holds busybox and its
 * applets.  Skips the test when /bin/busybox is missing.  The runvm that
 * tb_runvm runs uses the `host` launcher, or the one RUNVM_TEST_LAUNCHER
 * names.  */
void tb_init (struct tb *t);
/* Deletes every container left in the root (delete --force), then the
 * directory.  */
void tb_fini (struct tb *t);

/* Writes DIR/bundle/config.json: process args `sh -c SCRIPT`, the
 * namespaces NAMESPACES (a JSON array body such as "{\"type\":\"pid\"}" or
 * "" for none), and EXTRA (JSON members added at the top level, "" for
 * none, e.g. "\"hooks\": {...},").  */
void tb_config (struct tb *t, const char *script, const char *namespaces, const char *extra);
/* Namespaces of a typical container.  */
#define TB_NS_DEFAULT                                                                                        \
  "{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"network\"}"

struct tb_result
{
  int status; /* exit code, 128+N after signal N */
  char *out;
  char *err;
  char *out_path; /* where stdout went: a container started by this
                   * command (create, run -d) writes there later */
};

/* Runs runvm --root ROOT ARGS... with IN (NULL: /dev/null) as stdin and
 * files for stdout and stderr, waits for runvm itself only, and reads the
 * files back.  */
void tb_runvm (struct tb *t, struct tb_result *r, const char *in, ...) __attribute__ ((sentinel));
void tb_result_free (struct tb_result *r);

/* The OCI state of ID as `runvm state` prints it: its status and pid (0
 * and "" when it does not exist).  */
char *tb_status (struct tb *t, const char *id, pid_t *ret_pid);

/* Waits up to MS for PID (a child of ours: the test is a subreaper) to
 * exit; its status as a shell gives it, or -1.  */
int tb_wait_pid (pid_t pid, int ms);
/* Waits up to MS for PATH to contain TEXT.  */
bool tb_wait_text (const char *path, const char *text, int ms);
/* Reads a whole file; NULL when it cannot.  */
char *tb_read (const char *path);
