/* libFuzzer target for the agent protocol's decoders: the frame reader fed
 * in uneven chunks, the request and reply envelopes, and every call's
 * argument and result schema.  Whatever decodes must encode again and
 * decode to the same JSON.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent-client/frame.h"
#include "agent-client/json.h"
#include "agent-client/msg.h"
#include "common/utils.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Encodes OBJ with S, decodes it again, and checks the second encoding
 * equals the first: decode and encode agree on every field.  */
static void
round_trip (const struct agent_schema *s, const void *obj)
{
  _cleanup_yajl_gen_ yajl_gen g1 = agent_json_gen_new ();
  _cleanup_yajl_gen_ yajl_gen g2 = agent_json_gen_new ();
  _cleanup_yajl_val_ yajl_val tree = NULL;
  _cleanup_free_ char *copy = xmalloc0 (s->size ? s->size : 1);
  const unsigned char *b1, *b2;
  size_t l1, l2;
  rv_error_t err = NULL;

  if (agent_schema_gen (s, obj, g1, &err) < 0)
    {
      /* Only strings that are not UTF-8 can fail here; yajl_tree
       * validated them, so this is a bug.  */
      abort ();
    }
  yajl_gen_get_buf (g1, &b1, &l1);
  if (agent_json_parse ((const char *) b1, l1, &tree, &err) < 0)
    abort ();
  if (agent_schema_decode (s, tree, copy, &err) < 0)
    abort ();
  if (agent_schema_gen (s, copy, g2, &err) < 0)
    abort ();
  yajl_gen_get_buf (g2, &b2, &l2);
  if (l1 != l2 || memcmp (b1, b2, l1) != 0)
    abort ();
  agent_schema_clear (s, copy);
}

static void
try_schema (const struct agent_schema *s, yajl_val v)
{
  _cleanup_free_ char *obj = xmalloc0 (s->size ? s->size : 1);
  rv_error_t err = NULL;

  if (agent_schema_decode (s, v, obj, &err) < 0)
    {
      if (err == NULL || err->msg == NULL)
        abort ();
      rv_error_release (&err);
      return;
    }
  round_trip (s, obj);
  agent_schema_clear (s, obj);
}

static void
payload (const char *p, size_t len)
{
  struct agent_request req;
  struct agent_reply rep;
  rv_error_t err = NULL;
  size_t i;

  if (agent_request_parse (p, len, &req, &err) == 0)
    {
      if (req.call < AGENT_CALL_COUNT)
        try_schema (agent_call_desc (req.call)->args, req.args);
      else
        /* Unknown calls: every schema must cope with any object.  */
        for (i = 0; i < AGENT_CALL_COUNT; i++)
          try_schema (agent_call_desc ((enum agent_call) i)->args, req.args);
      agent_request_clear (&req);
    }
  else
    rv_error_release (&err);

  if (agent_reply_parse (p, len, &rep, &err) == 0)
    {
      for (i = 0; i < AGENT_CALL_COUNT; i++)
        try_schema (agent_call_desc ((enum agent_call) i)->result, rep.result);
      agent_reply_clear (&rep);
    }
  else
    rv_error_release (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct agent_frame_reader r = { 0 };
  rv_error_t err = NULL;
  size_t off = 0, chunk;

  if (size < 1)
    return 0;
  /* The first byte sets the chunk size the reader is fed with, so that
   * frames split at every position get exercised.  */
  chunk = (size_t) data[0] % 17 + 1;
  data++;
  size--;

  while (off < size)
    {
      size_t n = size - off < chunk ? size - off : chunk, used = 0;
      int ret = agent_frame_reader_feed (&r, data + off, n, &used, &err);
      off += used;
      if (ret < 0)
        {
          rv_error_release (&err);
          break;
        }
      if (ret == 1)
        {
          size_t plen;
          _cleanup_free_ char *p = agent_frame_reader_take (&r, &plen);
          payload (p, plen);
        }
    }
  agent_frame_reader_clear (&r);
  return 0;
}
