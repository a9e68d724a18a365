/* Messages between the parent (lc_container_create, lc_container_exec)
 * and the processes it starts, over a SOCK_SEQPACKET socketpair: one
 * message per packet, a number, a value, an optional text and an
 * optional fd.  The steps and their order are in container.c.  */
#pragma once

#include <stdint.h>

#include "common/error.h"

enum lc_sync_type
{
  LC_SYNC_PID = 1, /* helper -> parent: the new process's pid (value).  */
  LC_SYNC_GO,      /* parent -> child: go on (value: the child's pid as the parent sees it).  */
  LC_SYNC_HOOKS,   /* init -> parent: mounts done; run prestart and createRuntime hooks.  */
  LC_SYNC_SECCOMP, /* child -> parent: the seccomp listener fd.  */
  LC_SYNC_READY,   /* child -> parent: set up and waiting (fd: the pty master or none).  */
  LC_SYNC_START,   /* parent -> init: exec the process.  */
  LC_SYNC_EXECING, /* child -> parent: calling execve now (the socket closes on exec).  */
  LC_SYNC_ERROR,   /* either way: status (errno) and text; the sender gives up.  */
  LC_SYNC_MOUNTFD, /* parent -> init, before GO 1: an idmapped mount (fd) for mounts[value].  */
};

struct lc_sync_msg
{
  uint32_t type;
  int32_t status;
  int64_t value;
  char *text; /* NUL-terminated, possibly empty.  */
  int fd;     /* -1 when none came.  */
};

int lc_sync_send (int sock, enum lc_sync_type type, int64_t value, const char *text, int fd, rv_error_t *err);
/* Sends ERR as an LC_SYNC_ERROR (best effort: the sender is dying).  */
void lc_sync_send_error (int sock, rv_error_t e);

/* Receives the next message.  End of file gives -EPIPE with "WHO exited
 * before finishing its setup"-style text from the caller's wrap.  */
int lc_sync_recv (int sock, struct lc_sync_msg *ret, rv_error_t *err);

/* Receives a message of type WANT.  LC_SYNC_ERROR becomes *ERR (status
 * and text as sent); end of file and any other type are errors too.  */
int lc_sync_expect (int sock, enum lc_sync_type want, struct lc_sync_msg *ret, rv_error_t *err);

void lc_sync_msg_clear (struct lc_sync_msg *m);
