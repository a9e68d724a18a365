/* libFuzzer target: sequences of vhost-user messages into the back-end.
 *
 * Input: repeated [selector byte][12-byte header][payload].  The low three
 * bits of the selector give how many descriptors travel with the message
 * (memfds of guest memory or eventfds, by the next bits), as SCM_RIGHTS
 * would deliver them.  After the messages, whatever rings came up are
 * walked.  Checks: no crash, no out-of-bounds access (ASan), replies within
 * bounds, and no descriptor leaked.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm/vsock/vhost_user.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int memfds[2] = { -1, -1 };

static void
init_once (void)
{
  unsigned int i;

  if (memfds[0] >= 0)
    return;
  for (i = 0; i < 2; i++)
    {
      memfds[i] = memfd_create ("fuzz-guest", MFD_CLOEXEC);
      if (memfds[i] < 0 || ftruncate (memfds[i], 1 << 20) < 0)
        abort ();
    }
}

static int
lowest_free_fd (void)
{
  int fd = dup (0);
  close (fd);
  return fd;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct vsock_vhu b;
  static struct vsock_vhu_msg msg, reply;
  static struct vsock_chain chain;
  int before;
  unsigned int q, i;

  init_once ();
  before = lowest_free_fd ();
  vsock_vhu_init (&b, 3, -1);

  while (size > 0)
    {
      uint8_t sel = data[0];
      size_t used;
      int r;

      r = vsock_vhu_parse (data + 1, size - 1, &msg, &used);
      if (r < 0)
        break;
      data += 1 + used;
      size -= 1 + used;
      msg.nfds = sel & 7;
      for (i = 0; i < msg.nfds; i++)
        msg.fds[i] = (sel >> (3 + i % 5)) & 1 ? eventfd (0, EFD_CLOEXEC) : dup (memfds[i & 1]);
      r = vsock_vhu_handle (&b, &msg, &reply);
      if (r > 0 && (reply.size > VSOCK_VHU_MAX_PAYLOAD || !(reply.flags & VHOST_USER_REPLY)))
        abort ();
      b.changed = 0;
    }

  for (q = 0; q < VSOCK_VHU_NUM_QUEUES; q++)
    for (i = 0; i < 4 && vsock_vq_ready (&b.vq[q]); i++)
      if (vsock_vq_pop (&b.vq[q], &b.mem, &chain) == 1)
        vsock_vq_push (&b.vq[q], chain.head, 0);

  vsock_vhu_destroy (&b);
  if (lowest_free_fd () != before)
    abort (); /* a descriptor leaked */
  return 0;
}
