/* Frames of the agent protocol (agent-client/PROTOCOL.md, "Frames"):
 * a 4-byte big-endian payload length, then that many bytes of JSON.  The
 * length is checked against AGENT_FRAME_MAX before anything is allocated.  */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define AGENT_FRAME_HEADER_SIZE 4
#define AGENT_FRAME_MAX         (16u << 20)

void agent_frame_put_header (uint8_t hdr[AGENT_FRAME_HEADER_SIZE], uint32_t len);

/* The payload length a header announces: 0, or -EMSGSIZE when it is 0 or
 * larger than AGENT_FRAME_MAX.  */
int agent_frame_get_header (const uint8_t hdr[AGENT_FRAME_HEADER_SIZE], uint32_t *ret_len);

/* A whole frame around PAYLOAD (header included), as one allocation.  */
char *agent_frame_wrap (const void *payload, size_t len, size_t *ret_len);

/* Incremental reader for non-blocking sockets.  The caller asks where the
 * next bytes go (never past the current frame, so one read never swallows
 * part of the next frame), reads into that space, and commits what it
 * read:
 *
 *   agent_frame_reader_want (&r, &buf, &n);
 *   got = read (fd, buf, n);
 *   r = agent_frame_reader_commit (&r, got, err);   1: a frame is ready
 *   payload = agent_frame_reader_take (&r, &len);
 *
 * Memory held is at most the current frame.  */
struct agent_frame_reader
{
  uint8_t hdr[AGENT_FRAME_HEADER_SIZE];
  size_t hdr_got;
  char *payload;
  uint32_t len;
  size_t got;
};

void agent_frame_reader_want (struct agent_frame_reader *r, void **ret_buf, size_t *ret_len);
/* Returns 1 when a frame is complete, 0 when more bytes are needed, or
 * -EMSGSIZE for a bad header (the stream cannot be resynchronised).  */
int agent_frame_reader_commit (struct agent_frame_reader *r, size_t n, rv_error_t *err);
/* The completed payload (NUL-terminated; ownership passes), and resets the
 * reader for the next frame.  */
char *agent_frame_reader_take (struct agent_frame_reader *r, size_t *ret_len);
/* True between the first byte of a frame and its completion.  */
int agent_frame_reader_busy (const struct agent_frame_reader *r);
/* Copies bytes from DATA through want/commit; stops after a completed
 * frame.  *RET_USED gets the bytes consumed.  Returns as commit does.  */
int agent_frame_reader_feed (struct agent_frame_reader *r, const void *data, size_t len, size_t *ret_used,
                             rv_error_t *err);
void agent_frame_reader_clear (struct agent_frame_reader *r);
