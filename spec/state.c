/* state.json: the OCI state.  */
#include <stddef.h>
#include <string.h>

#include "common/utils.h"
#include "spec/state.h"
#include "spec/walk.h"

static const struct sj_enum statuses = {
  "status",
  (const char *const[]){ "creating", "created", "running", "paused", "stopped", NULL },
};

static int
check_id (struct sj_walk *w, const char *s, const void *data)
{
  (void) data;
  if (s[0] != '\0')
    return 0;
  return sj_error (w, "must not be empty");
}

static const struct sj_check semver_check = { sj_check_semver, NULL };
static const struct sj_check id_check = { check_id, NULL };
static const struct sj_check status_check = { sj_check_enum, &statuses };
static const struct sj_check absolute_check = { sj_check_absolute, NULL };
/* A pid is positive; 0 stands for "absent" in the struct, as in runc's
 * state (pid,omitempty), and is accepted on input for stopped containers.  */
static const struct sj_range pid_range = { 0, INT32_MAX, false };

static int
state_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_state *s = obj;
  (void) node;
  if (s->pid == 0 && (str_eq (s->status, "created") || str_eq (s->status, "running")))
    return sj_field_error (w, "pid", "required when status is \"%s\"", s->status);
  return 0;
}

static const struct sj_field state_fields[] = {
  { "ociVersion", &sj_string, offsetof (struct spec_state, oci_version), 0, SJ_MANDATORY, &semver_check },
  { "id", &sj_string, offsetof (struct spec_state, id), 0, SJ_MANDATORY, &id_check },
  { "status", &sj_string, offsetof (struct spec_state, status), 0, SJ_MANDATORY, &status_check },
  { "pid", &sj_i32, offsetof (struct spec_state, pid), 0, SJ_OMIT_ZERO, &pid_range },
  { "bundle", &sj_string, offsetof (struct spec_state, bundle), 0, SJ_MANDATORY, &absolute_check },
  { "annotations", &sj_map, offsetof (struct spec_state, annotations),
    offsetof (struct spec_state, annotations_len), 0, NULL },
};
static const struct sj_object state_desc = SJ_OBJECT (state_fields, struct spec_state, state_check);

int
spec_state_parse (const char *name, const char *data, size_t len, struct spec_state **ret, rv_error_t *err)
{
  void *obj;
  int r = sj_parse_document (name ? name : "state.json", data, len, &state_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

int
spec_state_load (const char *path, struct spec_state **ret, rv_error_t *err)
{
  void *obj;
  int r = sj_load_document (path, &state_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

char *
spec_state_to_json (const struct spec_state *state, bool beautify)
{
  return sj_gen_document (&state_desc, state, beautify);
}

int
spec_state_gen_fields (yajl_gen g, const struct spec_state *state)
{
  return sj_gen_fields (g, &state_desc, state);
}

bool
spec_state_equal (const struct spec_state *a, const struct spec_state *b)
{
  return sj_equal_object (&state_desc, a, b);
}

void
spec_state_free (struct spec_state *state)
{
  sj_free_object (&state_desc, state);
}
