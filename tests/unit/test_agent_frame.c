/* Frames, JSON limits, message schemas and envelopes of the agent
 * protocol (agent-client/frame.c, json.c, msg.c).  */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "agent-client/frame.h"
#include "agent-client/json.h"
#include "agent-client/msg.h"
#include "common/utils.h"

static void
feed_all (struct agent_frame_reader *r, const char *data, size_t len, char **ret, size_t *ret_len)
{
  rv_error_t err = NULL;
  size_t used = 0;
  int n = agent_frame_reader_feed (r, data, len, &used, &err);
  cr_assert_eq (n, 1, "%s", err ? err->msg : "incomplete");
  cr_assert_eq (used, len);
  *ret = agent_frame_reader_take (r, ret_len);
}

Test (agent_frame, header_round_trip_and_bounds)
{
  uint8_t hdr[4];
  uint32_t len = 0;

  agent_frame_put_header (hdr, 0x00fedcba);
  cr_assert_eq (hdr[0], 0);
  cr_assert_eq (hdr[3], 0xba);
  cr_assert_eq (agent_frame_get_header (hdr, &len), 0);
  cr_assert_eq (len, 0x00fedcba);

  agent_frame_put_header (hdr, AGENT_FRAME_MAX);
  cr_assert_eq (agent_frame_get_header (hdr, &len), 0);
  agent_frame_put_header (hdr, AGENT_FRAME_MAX + 1);
  len = 7;
  cr_assert_eq (agent_frame_get_header (hdr, &len), -EMSGSIZE);
  cr_assert_eq (len, 7);
  agent_frame_put_header (hdr, 0);
  cr_assert_eq (agent_frame_get_header (hdr, &len), -EMSGSIZE);
}

Test (agent_frame, reader_byte_by_byte_stops_at_frame_end)
{
  struct agent_frame_reader r = { 0 };
  _cleanup_free_ char *a = NULL, *b = NULL, *two = NULL;
  size_t alen, blen, i, used, len;
  rv_error_t err = NULL;
  char *payload;
  int n = 0;

  a = agent_frame_wrap ("{\"id\":1}", 8, &alen);
  b = agent_frame_wrap ("{}", 2, &blen);
  two = xmalloc (alen + blen);
  memcpy (two, a, alen);
  memcpy (two + alen, b, blen);

  /* One byte at a time: the frame completes exactly at its last byte.  */
  for (i = 0; i < alen; i++)
    {
      n = agent_frame_reader_feed (&r, two + i, 1, &used, &err);
      cr_assert_eq (used, 1);
      cr_assert_eq (n, i + 1 == alen ? 1 : 0);
    }
  payload = agent_frame_reader_take (&r, &len);
  cr_assert_eq (len, 8);
  cr_assert_str_eq (payload, "{\"id\":1}");
  free (payload);

  /* Both frames in one buffer: the reader takes only the first.  */
  n = agent_frame_reader_feed (&r, two, alen + blen, &used, &err);
  cr_assert_eq (n, 1);
  cr_assert_eq (used, alen);
  free (agent_frame_reader_take (&r, &len));
  feed_all (&r, two + alen, blen, &payload, &len);
  cr_assert_str_eq (payload, "{}");
  free (payload);
  cr_assert_not (agent_frame_reader_busy (&r));
  agent_frame_reader_clear (&r);
}

Test (agent_frame, oversized_header_fails_before_allocation)
{
  struct agent_frame_reader r = { 0 };
  uint8_t hdr[4] = { 0xff, 0xff, 0xff, 0xff };
  rv_error_t err = NULL;
  size_t used;

  cr_assert_eq (agent_frame_reader_feed (&r, hdr, 4, &used, &err), -EMSGSIZE);
  cr_assert_null (r.payload);
  cr_assert_eq (err->status, EMSGSIZE);
  cr_assert (strstr (err->msg, "4294967295") != NULL, "%s", err->msg);
  rv_error_release (&err);
  agent_frame_reader_clear (&r);
}

Test (agent_json, limits)
{
  rv_error_t err = NULL;
  yajl_val v = NULL;
  char deep[200];
  size_t i;

  for (i = 0; i < 65; i++)
    deep[i] = '[';
  for (i = 0; i < 65; i++)
    deep[65 + i] = ']';
  cr_assert_eq (agent_json_parse (deep, 130, &v, &err), -EBADMSG);
  cr_assert (strstr (err->msg, "deeper") != NULL, "%s", err->msg);
  rv_error_release (&err);

  cr_assert_eq (agent_json_parse (deep + 1, 128, &v, &err), 0);
  yajl_tree_free (v);

  /* Brackets inside strings do not count.  */
  const char *quoted = "{\"a\":\"[[[[{{{\\\"\"}";
  cr_assert_eq (agent_json_parse (quoted, strlen (quoted), &v, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (YAJL_GET_STRING (v->u.object.values[0]), "[[[[{{{\"");
  yajl_tree_free (v);

  cr_assert_eq (agent_json_parse ("{\"a\":1}\0", 8, &v, &err), -EBADMSG);
  cr_assert (strstr (err->msg, "NUL") != NULL);
  rv_error_release (&err);

  cr_assert_eq (agent_json_parse ("{\"a\":", 5, &v, &err), -EBADMSG);
  cr_assert (str_has_prefix (err->msg, "invalid JSON: "), "%s", err->msg);
  cr_assert_null (strchr (err->msg, '\n'));
  rv_error_release (&err);
}

Test (agent_json, too_many_values)
{
  size_t n = AGENT_JSON_MAX_VALUES + 2, i;
  _cleanup_free_ char *text = xmalloc (2 * n + 2);
  rv_error_t err = NULL;
  yajl_val v = NULL;
  size_t len = 0;

  text[len++] = '[';
  for (i = 0; i < n; i++)
    {
      text[len++] = '0';
      text[len++] = ',';
    }
  text[len - 1] = ']';
  cr_assert_eq (agent_json_parse (text, len, &v, &err), -EBADMSG);
  cr_assert (strstr (err->msg, "values") != NULL, "%s", err->msg);
  rv_error_release (&err);
}

/* Encodes ARGS of CALL as a request, parses it back, decodes the args.  */
static void
request_round_trip (enum agent_call call, const void *args, void *out)
{
  const struct agent_call_desc *d = agent_call_desc (call);
  _cleanup_free_ char *frame = NULL;
  struct agent_request req = { 0 };
  rv_error_t err = NULL;
  uint32_t plen;
  size_t len;

  cr_assert_eq (agent_request_frame (42, call, args, &frame, &len, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (agent_frame_get_header ((uint8_t *) frame, &plen), 0);
  cr_assert_eq (plen + 4, len);
  cr_assert_eq (agent_request_parse (frame + 4, plen, &req, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (req.id, 42);
  cr_assert_eq (req.call, call);
  cr_assert_str_eq (req.call_name, d->name);
  cr_assert_eq (agent_schema_decode (d->args, req.args, out, &err), 0, "%s", err ? err->msg : "");
  agent_request_clear (&req);
}

static void
reply_round_trip (enum agent_call call, const void *result, void *out)
{
  const struct agent_call_desc *d = agent_call_desc (call);
  _cleanup_free_ char *frame = NULL;
  struct agent_reply rep = { 0 };
  rv_error_t err = NULL;
  size_t len;

  cr_assert_eq (agent_reply_frame (UINT64_MAX, call, result, &frame, &len, &err), 0, "%s",
                err ? err->msg : "");
  cr_assert_eq (agent_reply_parse (frame + 4, len - 4, &rep, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (rep.id, UINT64_MAX);
  cr_assert_eq (rep.status, 0);
  cr_assert_eq (agent_schema_decode (d->result, rep.result, out, &err), 0, "%s", err ? err->msg : "");
  agent_reply_clear (&rep);
}

Test (agent_msg, create_round_trip)
{
  struct agent_create_args in = {
    .container = (char *) "c1",
    .config = (char *) "{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"sh\"],\"terminal\":false},"
                       "\"big\":18446744073709551615,\"neg\":-5,\"f\":1.5,\"n\":null,\"t\":true}",
    .rootfs = (char *) "/run/runvm/shared/c1/rootfs",
    .stdio = { .in = true, .out = true, .err = false },
    .no_pivot = true,
    .no_runtime_hooks = true,
  };
  struct agent_create_args out;

  request_round_trip (AGENT_CALL_CREATE, &in, &out);
  cr_assert_str_eq (out.container, "c1");
  /* The document travels as an object and comes back as the same text,
   * numbers exactly as written.  */
  cr_assert_str_eq (out.config, in.config);
  cr_assert_str_eq (out.rootfs, in.rootfs);
  cr_assert_null (out.bundle);
  cr_assert (out.stdio.in && out.stdio.out && !out.stdio.err);
  cr_assert (out.no_pivot && !out.no_new_keyring && out.no_runtime_hooks);
  agent_schema_clear (agent_call_desc (AGENT_CALL_CREATE)->args, &out);
  cr_assert_null (out.container);
}

Test (agent_msg, network_and_events_round_trip)
{
  char *addrs[] = { (char *) "10.0.0.2/24", (char *) "fd00::2/64", NULL };
  struct agent_interface ifs[] = {
    { .match_mac = (char *) "02:00:00:00:00:01", .name = (char *) "eth0", .mtu = 1400, .addresses = addrs },
    { .device = (char *) "eth1" },
  };
  struct agent_route routes[]
      = { { .dest = (char *) "default", .gateway = (char *) "10.0.0.1", .metric = 7 } };
  struct agent_network_args in = { ifs, 2, routes, 1 }, out;
  struct agent_event evs[] = {
    { .seq = UINT64_MAX, .type = (char *) "exit", .container = (char *) "c", .exit_code = 137, .signal = 9 },
    { .seq = 2, .type = (char *) "oom", .container = (char *) "d" },
  };
  struct agent_events_result ein = { evs, 2, 3 }, eout;

  request_round_trip (AGENT_CALL_NETWORK, &in, &out);
  cr_assert_eq (out.interfaces_len, 2);
  cr_assert_str_eq (out.interfaces[0].match_mac, "02:00:00:00:00:01");
  cr_assert_eq (out.interfaces[0].mtu, 1400);
  cr_assert_str_eq (out.interfaces[0].addresses[1], "fd00::2/64");
  cr_assert_null (out.interfaces[0].addresses[2]);
  cr_assert_str_eq (out.interfaces[1].device, "eth1");
  cr_assert_null (out.interfaces[1].addresses);
  cr_assert_eq (out.routes_len, 1);
  cr_assert_eq (out.routes[0].metric, 7);
  agent_schema_clear (agent_call_desc (AGENT_CALL_NETWORK)->args, &out);

  reply_round_trip (AGENT_CALL_EVENTS, &ein, &eout);
  cr_assert_eq (eout.events_len, 2);
  cr_assert_eq (eout.events[0].seq, UINT64_MAX);
  cr_assert_eq (eout.events[0].exit_code, 137);
  cr_assert_str_eq (eout.events[1].type, "oom");
  cr_assert_eq (eout.lost, 3);
  agent_schema_clear (agent_call_desc (AGENT_CALL_EVENTS)->result, &eout);
}

Test (agent_msg, every_call_round_trips_empty_and_named)
{
  size_t i;

  for (i = 0; i < AGENT_CALL_COUNT; i++)
    {
      const struct agent_call_desc *d = agent_call_desc ((enum agent_call) i);
      cr_assert_not_null (d);
      cr_assert_eq (agent_call_lookup (d->name), (enum agent_call) i);
      cr_assert_str_eq (agent_call_name ((enum agent_call) i), d->name);
    }
  cr_assert_eq (agent_call_lookup ("nope"), AGENT_CALL_UNKNOWN);
  cr_assert_null (agent_call_desc (AGENT_CALL_COUNT));
}

static int
decode_text (enum agent_call call, const char *args_json, void *out, rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val v = NULL;
  int r = agent_json_parse (args_json, strlen (args_json), &v, err);
  if (r < 0)
    return r;
  return agent_schema_decode (agent_call_desc (call)->args, v, out, err);
}

Test (agent_msg, type_checks_name_the_field)
{
  static const struct
  {
    enum agent_call call;
    const char *json;
    const char *msg;
  } cases[] = {
    { AGENT_CALL_CREATE, "{\"config\":{}}", "create.container: required" },
    { AGENT_CALL_CREATE, "{\"container\":\"c\",\"config\":[]}", "create.config: expected an object" },
    { AGENT_CALL_CREATE, "{\"container\":\"c\",\"config\":{},\"stdio\":{\"stdin\":1}}",
      "create.stdio.stdin: expected a boolean" },
    { AGENT_CALL_CREATE, "{\"container\":7,\"config\":{}}", "create.container: expected a string" },
    { AGENT_CALL_SIGNAL, "{\"container\":\"c\",\"signal\":2147483648}",
      "signal.signal: expected a 32-bit integer" },
    { AGENT_CALL_SIGNAL, "{\"container\":\"c\",\"signal\":1.0}", "signal.signal: expected a 32-bit integer" },
    { AGENT_CALL_RESIZE, "{\"container\":\"c\",\"rows\":-1,\"cols\":1}",
      "resize.rows: expected an unsigned 32-bit integer" },
    { AGENT_CALL_EVENTS, "{\"since\":18446744073709551616}",
      "events.since: expected an unsigned 64-bit integer" },
    { AGENT_CALL_NETWORK, "{\"interfaces\":[{\"mtu\":1},3]}", "network.interfaces[1]: expected an object" },
    { AGENT_CALL_NETWORK, "{\"interfaces\":[{\"addresses\":[\"a\",1]}]}",
      "network.interfaces[0].addresses: expected an array of strings" },
    { AGENT_CALL_NETWORK, "{\"routes\":[{}]}", "network.routes[0].dest: required" },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char out[512];
      rv_error_t err = NULL;
      memset (out, 0x5a, sizeof (out));
      cr_assert_eq (decode_text (cases[i].call, cases[i].json, out, &err), -EINVAL, "%s", cases[i].json);
      cr_assert_str_eq (err->msg, cases[i].msg);
      /* Untouched on failure.  */
      cr_assert_eq ((unsigned char) out[0], 0x5a);
      rv_error_release (&err);
    }
}

Test (agent_msg, unknown_fields_and_null_ignored)
{
  struct agent_signal_args out;
  rv_error_t err = NULL;

  cr_assert_eq (decode_text (AGENT_CALL_SIGNAL,
                             "{\"container\":\"c\",\"signal\":9,\"future\":{\"x\":[1,2]},\"exec_id\":null}",
                             &out, &err),
                0);
  cr_assert_str_eq (out.container, "c");
  cr_assert_eq (out.signal, 9);
  cr_assert_null (out.exec_id);
  agent_schema_clear (agent_call_desc (AGENT_CALL_SIGNAL)->args, &out);
}

Test (agent_msg, envelopes)
{
  struct agent_request req;
  struct agent_reply rep;
  rv_error_t err = NULL;

#define PARSE_REQ(s) agent_request_parse (s, strlen (s), &req, &err)
#define PARSE_REP(s) agent_reply_parse (s, strlen (s), &rep, &err)
  cr_assert_eq (PARSE_REQ ("[1]"), -EBADMSG);
  rv_error_release (&err);
  cr_assert_eq (PARSE_REQ ("{\"call\":\"info\"}"), -EBADMSG);
  cr_assert_str_eq (err->msg, "message: .id: expected an unsigned 64-bit integer");
  rv_error_release (&err);
  cr_assert_eq (PARSE_REQ ("{\"id\":-1,\"call\":\"info\"}"), -EBADMSG);
  rv_error_release (&err);

  cr_assert_eq (PARSE_REQ ("{\"id\":3,\"call\":\"frobnicate\"}"), 0);
  cr_assert_eq (req.call, AGENT_CALL_UNKNOWN);
  cr_assert_str_eq (req.call_name, "frobnicate");
  agent_request_clear (&req);
  cr_assert_eq (PARSE_REQ ("{\"id\":3,\"call\":5}"), 0);
  cr_assert_eq (req.call, AGENT_CALL_MISSING);
  agent_request_clear (&req);

  cr_assert_eq (PARSE_REP ("{\"id\":3}"), -EBADMSG);
  rv_error_release (&err);
  cr_assert_eq (PARSE_REP ("{\"id\":3,\"status\":2,\"msg\":7}"), -EBADMSG);
  rv_error_release (&err);
  cr_assert_eq (PARSE_REP ("{\"id\":3,\"status\":2,\"msg\":\"no container `x`\"}"), 0);
  cr_assert_eq (rep.status, 2);
  cr_assert_str_eq (rep.msg, "no container `x`");
  agent_reply_clear (&rep);
}

Test (agent_msg, error_frame_is_always_valid)
{
  char bad[] = { 'a', (char) 0xff, 'b', (char) 0xc3, (char) 0xa9, (char) 0xe2, (char) 0x82, 0 };
  _cleanup_free_ char *frame = NULL, *big = xmalloc (AGENT_ERROR_MSG_MAX * 2 + 1);
  struct agent_reply rep;
  rv_error_t err = NULL;
  size_t len;

  frame = agent_error_frame (9, ENOENT, bad, &len);
  cr_assert_eq (agent_reply_parse (frame + 4, len - 4, &rep, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (rep.status, ENOENT);
  cr_assert_str_eq (rep.msg, "a?b\xc3\xa9??");
  agent_reply_clear (&rep);
  free (TAKE_PTR (frame));

  memset (big, 'x', AGENT_ERROR_MSG_MAX * 2);
  big[AGENT_ERROR_MSG_MAX * 2] = '\0';
  frame = agent_error_frame (9, 0, big, &len);
  cr_assert_eq (agent_reply_parse (frame + 4, len - 4, &rep, &err), 0);
  cr_assert_eq (strlen (rep.msg), AGENT_ERROR_MSG_MAX);
  cr_assert_eq (rep.status, EIO);
  agent_reply_clear (&rep);
}

Test (agent_msg, encode_rejects_what_the_peer_would)
{
  struct agent_create_args a = { .container = (char *) "c", .config = (char *) "[1]" };
  struct agent_create_args b = { .config = (char *) "{}" };
  struct agent_create_args c = { .container = (char *) "c\xff", .config = (char *) "{}" };
  _cleanup_free_ char *frame = NULL;
  rv_error_t err = NULL;
  size_t len;

  cr_assert_eq (agent_request_frame (1, AGENT_CALL_CREATE, &a, &frame, &len, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "create.config: expected a JSON object");
  rv_error_release (&err);
  cr_assert_eq (agent_request_frame (1, AGENT_CALL_CREATE, &b, &frame, &len, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "create.container: required");
  rv_error_release (&err);
  cr_assert_eq (agent_request_frame (1, AGENT_CALL_CREATE, &c, &frame, &len, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "create.container: not valid UTF-8");
  rv_error_release (&err);
  cr_assert_null (frame);
}

Test (agent_msg, streams_by_name)
{
  enum agent_stream s;
  cr_assert_eq (agent_stream_parse ("stderr", &s), 0);
  cr_assert_eq (s, AGENT_STREAM_STDERR);
  cr_assert_str_eq (agent_stream_name (AGENT_STREAM_TTY), "tty");
  cr_assert_eq (agent_stream_parse ("stdhuh", &s), -EINVAL);
  cr_assert_eq (agent_stream_parse (NULL, &s), -EINVAL);
}
