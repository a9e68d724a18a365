#include <errno.h>
#include <string.h>

#include "agent-client/frame.h"
#include "common/utils.h"

void
agent_frame_put_header (uint8_t hdr[AGENT_FRAME_HEADER_SIZE], uint32_t len)
{
  hdr[0] = (uint8_t) (len >> 24);
  hdr[1] = (uint8_t) (len >> 16);
  hdr[2] = (uint8_t) (len >> 8);
  hdr[3] = (uint8_t) len;
}

int
agent_frame_get_header (const uint8_t hdr[AGENT_FRAME_HEADER_SIZE], uint32_t *ret_len)
{
  uint32_t len = ((uint32_t) hdr[0] << 24) | ((uint32_t) hdr[1] << 16) | ((uint32_t) hdr[2] << 8) | hdr[3];
  if (len == 0 || len > AGENT_FRAME_MAX)
    return -EMSGSIZE;
  *ret_len = len;
  return 0;
}

char *
agent_frame_wrap (const void *payload, size_t len, size_t *ret_len)
{
  char *frame = xmalloc (len + AGENT_FRAME_HEADER_SIZE);
  agent_frame_put_header ((uint8_t *) frame, (uint32_t) len);
  memcpy (frame + AGENT_FRAME_HEADER_SIZE, payload, len);
  *ret_len = len + AGENT_FRAME_HEADER_SIZE;
  return frame;
}

void
agent_frame_reader_want (struct agent_frame_reader *r, void **ret_buf, size_t *ret_len)
{
  if (r->hdr_got < AGENT_FRAME_HEADER_SIZE)
    {
      *ret_buf = r->hdr + r->hdr_got;
      *ret_len = AGENT_FRAME_HEADER_SIZE - r->hdr_got;
      return;
    }
  *ret_buf = r->payload + r->got;
  *ret_len = r->len - r->got;
}

int
agent_frame_reader_commit (struct agent_frame_reader *r, size_t n, rv_error_t *err)
{
  if (r->hdr_got < AGENT_FRAME_HEADER_SIZE)
    {
      r->hdr_got += n;
      if (r->hdr_got < AGENT_FRAME_HEADER_SIZE)
        return 0;
      if (agent_frame_get_header (r->hdr, &r->len) < 0)
        return rv_error_set (err, EMSGSIZE, "frame of %u bytes: not within 1..%u",
                             ((uint32_t) r->hdr[0] << 24) | ((uint32_t) r->hdr[1] << 16)
                                 | ((uint32_t) r->hdr[2] << 8) | r->hdr[3],
                             AGENT_FRAME_MAX);
      /* Allocated only now that the length is known to be in bounds.  */
      r->payload = xmalloc ((size_t) r->len + 1);
      r->got = 0;
      return 0;
    }
  r->got += n;
  return r->got == r->len ? 1 : 0;
}

char *
agent_frame_reader_take (struct agent_frame_reader *r, size_t *ret_len)
{
  char *p = TAKE_PTR (r->payload);
  p[r->len] = '\0';
  *ret_len = r->len;
  r->hdr_got = 0;
  r->len = 0;
  r->got = 0;
  return p;
}

int
agent_frame_reader_busy (const struct agent_frame_reader *r)
{
  return r->hdr_got > 0;
}

int
agent_frame_reader_feed (struct agent_frame_reader *r, const void *data, size_t len, size_t *ret_used,
                         rv_error_t *err)
{
  const char *p = data;
  size_t used = 0;
  int ret = 0;

  while (used < len)
    {
      void *buf;
      size_t want, n;

      agent_frame_reader_want (r, &buf, &want);
      n = want < len - used ? want : len - used;
      memcpy (buf, p + used, n);
      used += n;
      ret = agent_frame_reader_commit (r, n, err);
      if (ret != 0)
        break;
    }
  *ret_used = used;
  return ret;
}

void
agent_frame_reader_clear (struct agent_frame_reader *r)
{
  free (r->payload);
  memset (r, 0, sizeof (*r));
}
