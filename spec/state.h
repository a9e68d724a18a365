/* The OCI state (runtime.md "State"): what `runvm state` prints and what
 * hooks read on stdin.
 *
 * The runtime keeps private fields next to these in its own state file:
 * spec_state_gen_fields writes the OCI members into a map the caller has
 * opened, and spec_state_parse ignores members it does not know, so one
 * JSON object can hold both.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>

#include "common/error.h"
#include "spec/config.h"

struct spec_state
{
  char *oci_version; /* required, SemVer */
  char *id;          /* required, non-empty */
  /* required: "creating", "created", "running", "paused", "stopped".
   * "paused" is not in the schema's enum, but the spec lets runtimes add
   * states and runc reports it; we do too.  */
  char *status;
  /* The container process as seen by the runtime; 0 when absent.  Required
   * when status is "created" or "running".  */
  int pid;
  char *bundle; /* required, absolute */
  struct spec_kv *annotations;
  size_t annotations_len;
};

/* NAME is the file name used in messages ("state.json").  */
int spec_state_parse (const char *name, const char *data, size_t len, struct spec_state **ret,
                      rv_error_t *err);
int spec_state_load (const char *path, struct spec_state **ret, rv_error_t *err);

char *spec_state_to_json (const struct spec_state *state, bool beautify);
/* Emits the members into an open map of G; returns 0, or -1 when yajl
 * refused a value (a string that is not UTF-8).  */
int spec_state_gen_fields (yajl_gen g, const struct spec_state *state);

bool spec_state_equal (const struct spec_state *a, const struct spec_state *b);
void spec_state_free (struct spec_state *state);
