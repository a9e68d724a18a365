/* state.json: fields, errors, round trips, private fields alongside.  */
#include <yajl/yajl_gen.h>

#include "test_spec.h"

static struct spec_state *
state_ok (const char *sq)
{
  _cleanup_free_ char *j = J (sq);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_state *s = NULL;
  cr_assert_eq (spec_state_parse ("state.json", j, strlen (j), &s, &err), 0, "%s -> %s", j,
                err ? err->msg : "");
  return s;
}

static void
state_round_trip (const struct spec_state *s)
{
  _cleanup_free_ char *json = spec_state_to_json (s, true);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_state *back = NULL;

  cr_assert_not_null (json);
  cr_assert_eq (spec_state_parse ("state.json", json, strlen (json), &back, &err), 0, "%s", json);
  cr_assert (spec_state_equal (s, back), "%s", json);
  spec_state_free (back);
}

Test (state, fields)
{
  struct spec_state *s
      = state_ok ("{'ociVersion':'1.2.0','id':'c1','status':'running','pid':4242,"
                  "'bundle':'/run/bundles/c1','annotations':{'a':'1','b':''},'rootless':false}");
  cr_assert_str_eq (s->oci_version, "1.2.0");
  cr_assert_str_eq (s->id, "c1");
  cr_assert_str_eq (s->status, "running");
  cr_assert_eq (s->pid, 4242);
  cr_assert_str_eq (s->bundle, "/run/bundles/c1");
  cr_assert_eq (s->annotations_len, 2);
  cr_assert_str_eq (s->annotations[1].key, "b");
  cr_assert_str_eq (s->annotations[1].value, "");
  state_round_trip (s);
  spec_state_free (s);
}

Test (state, every_status_and_absent_pid)
{
  const char *statuses[] = { "creating", "created", "running", "paused", "stopped" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (statuses); i++)
    {
      _cleanup_free_ char *doc
          = xasprintf ("{'ociVersion':'1.0.2','id':'x','status':'%s','pid':1,'bundle':'/b'}", statuses[i]);
      struct spec_state *s = state_ok (doc);
      cr_assert_str_eq (s->status, statuses[i]);
      spec_state_free (s);
    }

  {
    struct spec_state *s = state_ok ("{'ociVersion':'1.0.2','id':'x','status':'stopped','bundle':'/b'}");
    _cleanup_free_ char *json = spec_state_to_json (s, false);
    cr_assert_eq (s->pid, 0);
    cr_assert_null (s->annotations);
    cr_assert_str_eq (json,
                      "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"stopped\",\"bundle\":\"/b\"}");
    spec_state_free (s);
  }
}

Test (state, errors)
{
  const struct error_case cases[] = {
    { "{}", "state.json: .ociVersion: required" },
    { "{'ociVersion':'1.2.0'}", "state.json: .id: required" },
    { "{'ociVersion':'1.2.0','id':'x'}", "state.json: .status: required" },
    { "{'ociVersion':'1.2.0','id':'x','status':'stopped'}", "state.json: .bundle: required" },
    { "{'ociVersion':'x','id':'x','status':'stopped','bundle':'/b'}",
      "state.json: .ociVersion: \"x\" is not a SemVer 2.0.0 version" },
    { "{'ociVersion':'1.2.0','id':'','status':'stopped','bundle':'/b'}",
      "state.json: .id: must not be empty" },
    { "{'ociVersion':'1.2.0','id':'x','status':'dead','bundle':'/b'}",
      "state.json: .status: unknown status \"dead\"" },
    { "{'ociVersion':'1.2.0','id':'x','status':'stopped','bundle':'b'}",
      "state.json: .bundle: must be an absolute path, got \"b\"" },
    { "{'ociVersion':'1.2.0','id':'x','status':'stopped','bundle':'/b','pid':-1}",
      "state.json: .pid: -1 is out of range 0..2147483647" },
    { "{'ociVersion':'1.2.0','id':'x','status':'stopped','bundle':'/b','pid':'1'}",
      "state.json: .pid: expected an integer, got a string" },
    { "{'ociVersion':'1.2.0','id':'x','status':'running','bundle':'/b'}",
      "state.json: .pid: required when status is \"running\"" },
    { "{'ociVersion':'1.2.0','id':'x','status':'created','bundle':'/b','pid':0}",
      "state.json: .pid: required when status is \"created\"" },
    { "{'ociVersion':'1.2.0','id':'x','status':'stopped','bundle':'/b','annotations':{'k':1}}",
      "state.json: .annotations[\"k\"]: expected a string, got an integer" },
    { "{'ociVersion':'1.2.0'", "state.json: line 1, column 22: parse error: premature EOF" },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      _cleanup_free_ char *j = J (cases[i].json);
      _cleanup_error_ rv_error_t err = NULL;
      struct spec_state *s = NULL;
      cr_expect_eq (spec_state_parse ("state.json", j, strlen (j), &s, &err), -EINVAL, "%s", j);
      cr_expect_null (s);
      if (err)
        cr_expect (strcmp (err->msg, cases[i].msg) == 0, "input: %s\n  got: %s\n want: %s", j, err->msg,
                   cases[i].msg);
    }
}

/* The runtime's own state file: the OCI members and private ones in one
 * object; spec_state_parse reads back the OCI part.  */
Test (state, private_fields_alongside)
{
  struct spec_state st = { .oci_version = (char *) "1.2.0",
                           .id = (char *) "c1",
                           .status = (char *) "created",
                           .pid = 77,
                           .bundle = (char *) "/b" };
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_state *back = NULL;

  cr_assert_eq (yajl_gen_map_open (g), yajl_gen_status_ok);
  cr_assert_eq (spec_state_gen_fields (g, &st), 0);
  cr_assert_eq (yajl_gen_string (g, (const unsigned char *) "monitorPid", 10), yajl_gen_status_ok);
  cr_assert_eq (yajl_gen_integer (g, 78), yajl_gen_status_ok);
  cr_assert_eq (yajl_gen_map_close (g), yajl_gen_status_ok);
  cr_assert_eq (yajl_gen_get_buf (g, &buf, &len), yajl_gen_status_ok);
  cr_assert_str_eq ((const char *) buf,
                    "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"created\",\"pid\":77,"
                    "\"bundle\":\"/b\",\"monitorPid\":78}");

  cr_assert_eq (spec_state_parse ("state.json", (const char *) buf, len, &back, &err), 0);
  cr_assert (spec_state_equal (&st, back));
  back->pid = 1;
  cr_assert_not (spec_state_equal (&st, back));
  spec_state_free (back);
  yajl_gen_free (g);
  spec_state_free (NULL);
}
