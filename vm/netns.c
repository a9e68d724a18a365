/* Work inside a network namespace without moving the caller: a thread of
 * its own enters the namespace, runs the function and ends.  Network
 * namespaces, unlike mount namespaces, may be entered by one thread of a
 * multithreaded process, and a socket or tap made there stays in that
 * namespace whichever thread uses it later.  */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>

#include "vm/net.h"

/* The inode number of the kernel's initial network namespace on kernels
 * that give the initial namespaces fixed numbers (PROC_NET_INIT_INO).
 * Namespaces made later get numbers from 0xF0000000 up, so no other
 * namespace can have it.  */
#define NET_INIT_NETNS_INO 0xEFFFFFF9U

struct netns_call
{
  int netns_fd;
  int (*fn) (void *data, rv_error_t *err);
  void *data;
  rv_error_t *err;
  int ret;
};

static void *
netns_thread (void *p)
{
  struct netns_call *c = p;

  if (c->netns_fd >= 0 && setns (c->netns_fd, CLONE_NEWNET) < 0)
    {
      c->ret = rv_error_make (c->err, errno, "enter the network namespace");
      return NULL;
    }
  c->ret = c->fn (c->data, c->err);
  return NULL;
}

int
net_in_netns (int netns_fd, int (*fn) (void *data, rv_error_t *err), void *data, rv_error_t *err)
{
  struct netns_call c = { .netns_fd = netns_fd, .fn = fn, .data = data, .err = err, .ret = 0 };
  pthread_t thread;
  int r;

  r = pthread_create (&thread, NULL, netns_thread, &c);
  if (r != 0)
    return rv_error_make (err, r, "start a thread for the network namespace");
  r = pthread_join (thread, NULL);
  if (r != 0)
    return rv_error_make (err, r, "wait for the network namespace thread");
  return c.ret;
}

int
net_netns_is_host (int netns_fd, bool *ret, rv_error_t *err)
{
  struct stat st, host;
  int type;

  type = ioctl (netns_fd, NS_GET_NSTYPE);
  if (type < 0)
    return rv_error_make (err, errno, "inspect the network namespace");
  if (type != CLONE_NEWNET)
    return rv_error_set (err, EINVAL, "not a network namespace");
  if (fstat (netns_fd, &st) < 0)
    return rv_error_make (err, errno, "stat the network namespace");

  if (stat ("/proc/1/ns/net", &host) == 0)
    {
      *ret = st.st_dev == host.st_dev && st.st_ino == host.st_ino;
      return 0;
    }
  if (errno != EACCES && errno != EPERM && errno != ENOENT)
    return rv_error_make (err, errno, "stat `/proc/1/ns/net`");
  /* PID 1 is out of reach (a sandbox that hides it): fall back on the
   * initial namespace's fixed inode, which older kernels do not have.  */
  *ret = st.st_ino == NET_INIT_NETNS_INO;
  return 0;
}
