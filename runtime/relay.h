/* Byte relays between file descriptors, driven by the caller's epoll loop:
 * the monitor copies the engine's stdio to and from the guest's process
 * streams, `runvm exec` does the same for an exec'd process.
 *
 * A relay holds endpoints (one per fd) and one-way channels between them.
 * Each channel has a bounded buffer (RT_RELAY_BUF bytes): a source is read
 * only while its channel has room, so a slow reader slows the writer down
 * instead of growing memory.  Every fd handed to the relay is owned by it.
 *
 * Endpoints come in three kinds, chosen by rt_relay_add_fd:
 *  - pollable fds (pipes, fifos, ttys, sockets) are watched with epoll and
 *    used non-blocking.  A pipe, fifo or tty the relay did not create is
 *    reopened through /proc/self/fd, which gives a file description of its
 *    own: setting O_NONBLOCK on the inherited one would change it for the
 *    engine (or the user's shell) too.  Sockets are not reopened; they are
 *    used with MSG_DONTWAIT instead;
 *  - fds epoll refuses (regular files, /dev/null) are "always ready": the
 *    caller pumps them with a zero timeout while they have work.
 *
 * Events: rt_relay_watch registers what is needed with the caller's epoll
 * fd; an event whose data.ptr is a `struct rt_watch` of kind RT_WATCH_RELAY
 * goes to rt_relay_handle, which pumps every channel and updates the
 * interest set.  A channel ends when its source reaches end of file (then,
 * with RT_CH_SHUT_WR, the destination gets shutdown(SHUT_WR), or close for
 * a pipe) and its buffer is empty, or when its destination fails (the
 * buffer is dropped; with RT_CH_CLOSE_SRC_ON_ERROR the source is closed, so
 * that the writer at the other end learns that nobody reads).  */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define RT_RELAY_BUF (64 * 1024)

/* What an epoll event's data.ptr points to in the loops of the runtime.  */
enum rt_watch_kind
{
  RT_WATCH_SIGNAL = 1,
  RT_WATCH_RELAY,
  RT_WATCH_AGENT,
  RT_WATCH_VM,
  RT_WATCH_SYNC,
};

struct rt_watch
{
  enum rt_watch_kind kind;
  int fd;
  void *data;
};

struct rt_relay;
struct rt_relay_ep;

enum rt_channel_flags
{
  RT_CH_SHUT_WR = 1 << 0,            /* on end of file, shut the destination's writing side */
  RT_CH_OUTPUT = 1 << 1,             /* counts for rt_relay_output_done */
  RT_CH_CLOSE_SRC_ON_ERROR = 1 << 2, /* when the destination fails, close the source */
};

/* EPFD is the caller's epoll fd (not owned).  */
struct rt_relay *rt_relay_new (int epfd);
/* Closes every fd.  Accepts NULL.  */
void rt_relay_free (struct rt_relay *r);

/* Takes FD (closed on failure too).  REOPEN: FD may be shared with other
 * processes, so use a description of its own when it is a pipe, fifo or
 * tty (O_RDONLY, O_WRONLY or O_RDWR by WRITE and READ).  */
int rt_relay_add_fd (struct rt_relay *r, int fd, bool reopen, bool read, bool write, struct rt_relay_ep **ret,
                     rv_error_t *err);
int rt_relay_add_channel (struct rt_relay *r, struct rt_relay_ep *src, struct rt_relay_ep *dst,
                          unsigned flags, rv_error_t *err);

/* Copies what can be copied without blocking and updates the epoll
 * interest of every endpoint.  */
void rt_relay_pump (struct rt_relay *r);
/* The epoll timeout the caller may use: 0 while an always-ready endpoint
 * has work, else -1.  */
int rt_relay_timeout (const struct rt_relay *r);

/* Every RT_CH_OUTPUT channel has ended.  */
bool rt_relay_output_done (const struct rt_relay *r);
/* Every channel has ended.  */
bool rt_relay_done (const struct rt_relay *r);

/* Ends the channels reading from EP as if it had reached end of file
 * (the other end is known to be gone).  */
void rt_relay_eof (struct rt_relay *r, struct rt_relay_ep *ep);
/* Gives every channel up to TIMEOUT_MS to deliver what it holds, reading
 * its source to the end, in blocking fashion; then ends them all.  */
void rt_relay_drain (struct rt_relay *r, int timeout_ms);

int rt_relay_ep_fd (const struct rt_relay_ep *ep);
