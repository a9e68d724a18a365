/* Helpers for the spec/ unit tests (test_spec_*.c).
 *
 * JSON literals in the tests use ' where JSON wants ", so that they read
 * without a backslash before every quote; J() turns them into JSON.  */
#pragma once

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "common/utils.h"
#include "spec/config.h"
#include "spec/features.h"
#include "spec/state.h"

/* The fixtures live next to the tests; make runs the tests from the top of
 * the tree.  RUNVM_SPEC_DATA overrides for other layouts.  */
static inline char *
spec_fixture_path (const char *name)
{
  const char *dir = getenv ("RUNVM_SPEC_DATA");
  return xasprintf ("%s/%s", dir ? dir : "tests/unit/data/spec", name);
}

static inline char *
J (const char *s)
{
  char *d = xstrdup (s), *p;
  for (p = d; *p; p++)
    if (*p == '\'')
      *p = '"';
  return d;
}

/* Parses config.json text written with '; fails the test on error.  */
static inline struct spec_config *
config_ok (const char *sq)
{
  _cleanup_free_ char *j = J (sq);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  int r = spec_config_parse ("config.json", j, strlen (j), &c, &err);
  cr_assert_eq (r, 0, "%s\n-> %s", j, err ? err->msg : "(no message)");
  cr_assert_not_null (c);
  return c;
}

/* The error a config.json text gets, or NULL when it parses; the result
 * pointer is checked to stay untouched on failure.  */
static inline char *
config_error (const char *sq)
{
  _cleanup_free_ char *j = J (sq);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = (struct spec_config *) (uintptr_t) 0x1234;
  int r = spec_config_parse ("config.json", j, strlen (j), &c, &err);
  if (r == 0)
    {
      spec_config_free (c);
      return NULL;
    }
  cr_assert_eq (r, -EINVAL, "%s: returned %d", j, r);
  cr_assert_eq (err->status, EINVAL);
  cr_assert_eq ((uintptr_t) c, 0x1234, "ret written on failure");
  return xstrdup (err->msg);
}

struct error_case
{
  const char *json; /* with ' for " */
  const char *msg;
};

/* Every case must fail with exactly its message; all are tried, each
 * mismatch is reported with its input.  */
static inline void
expect_config_errors (const struct error_case *cases, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      _cleanup_free_ char *msg = config_error (cases[i].json);
      cr_expect_not_null (msg, "accepted: %s", cases[i].json);
      if (msg)
        cr_expect (strcmp (msg, cases[i].msg) == 0, "input: %s\n  got: %s\n want: %s", cases[i].json, msg,
                   cases[i].msg);
    }
}

/* parse (to_json (C)) must equal C, compact and beautified.  */
static inline void
config_round_trip (const struct spec_config *c)
{
  int beautify;
  for (beautify = 0; beautify <= 1; beautify++)
    {
      _cleanup_free_ char *json = spec_config_to_json (c, beautify);
      _cleanup_error_ rv_error_t err = NULL;
      struct spec_config *back = NULL;
      cr_assert_not_null (json);
      cr_assert_eq (spec_config_parse ("config.json", json, strlen (json), &back, &err), 0, "%s\n-> %s", json,
                    err ? err->msg : "");
      cr_assert (spec_config_equal (c, back), "round trip changed the config:\n%s", json);
      spec_config_free (back);
    }
}

static inline struct spec_config *
load_fixture (const char *name)
{
  _cleanup_free_ char *path = spec_fixture_path (name);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  cr_assert_eq (spec_config_load (path, &c, &err), 0, "%s: %s", path, err ? err->msg : "");
  return c;
}
