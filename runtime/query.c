/* `state` and `list`: read-only views of the state store, printed in
 * runc's exact shapes (runc's state.go and list.go).  */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"
#include "runtime/json_gen.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "runtime/tabwriter.h"

static int
compare_kv (const void *a, const void *b)
{
  return strcmp (((const struct spec_kv *) a)->key, ((const struct spec_kv *) b)->key);
}

/* One container as runc's containerState prints it: Go orders the fields
 * as the struct declares them, omits empty annotations, and sorts map
 * keys.  The process ID is 0 once the container has stopped.  */
static void
emit_container (struct rt_json *j, const struct state_record *r, const char *owner)
{
  enum state_status status = state_status_current (r);
  _cleanup_free_ struct spec_kv *sorted = NULL;
  size_t i;

  rt_json_map_open (j);
  rt_json_kstr (j, "ociVersion", r->oci_version);
  rt_json_kstr (j, "id", r->id);
  rt_json_kint (j, "pid", status == STATE_STOPPED ? 0 : r->pid);
  rt_json_kstr (j, "status", state_status_name (status));
  rt_json_kstr (j, "bundle", r->bundle);
  rt_json_kstr (j, "rootfs", r->rootfs);
  rt_json_kstr (j, "created", r->created);
  if (r->annotations_len > 0)
    {
      sorted = xcalloc (r->annotations_len, sizeof (*sorted));
      memcpy (sorted, r->annotations, r->annotations_len * sizeof (*sorted));
      qsort (sorted, r->annotations_len, sizeof (*sorted), compare_kv);
      rt_json_key (j, "annotations");
      rt_json_map_open (j);
      for (i = 0; i < r->annotations_len; i++)
        rt_json_kstr (j, sorted[i].key, sorted[i].value);
      rt_json_map_close (j);
    }
  rt_json_kstr (j, "owner", owner);
  rt_json_map_close (j);
}

int
rt_state (const struct rt_global *g, const struct rt_state_opts *o, rv_error_t *err)
{
  struct state_record *r = NULL;
  _cleanup_free_ char *text = NULL;
  struct rt_json *j;
  int ret;

  ret = state_load (g->root, o->id, &r, err);
  if (ret < 0)
    return ret;
  /* runc leaves the owner empty in `state` (only `list` fills it in).  */
  j = rt_json_new ("  ");
  emit_container (j, r, "");
  state_record_free (r);
  text = rt_json_finish (j, NULL);
  fputs (text, g->out);
  return 0;
}

/* The user name owning the container's directory, "#<uid>" when it has
 * none, as runc's list prints it.  */
static char *
owner_name (uid_t uid)
{
  struct passwd pw, *res = NULL;
  char buf[4096];

  if (uid != (uid_t) -1 && getpwuid_r (uid, &pw, buf, sizeof (buf), &res) == 0 && res)
    return xstrdup (res->pw_name);
  return xasprintf ("#%u", (unsigned) uid);
}

int
rt_list (const struct rt_global *g, const struct rt_list_opts *o, rv_error_t *err)
{
  struct state_entry *entries = NULL;
  size_t n = 0, i, shown = 0;
  const char *format = o->format ? o->format : "table";
  _cleanup_free_ char *table = NULL, *text = NULL;
  struct rt_json *j = NULL;
  FILE *t = NULL;
  size_t tlen = 0;
  int ret;

  ret = state_list (g->root, &entries, &n, err);
  if (ret < 0)
    return ret;

  for (i = 0; i < n; i++)
    if (entries[i].error)
      fprintf (g->diag, "load container %s: %s\n", entries[i].id, entries[i].error->msg);

  if (o->quiet)
    {
      for (i = 0; i < n; i++)
        if (entries[i].record)
          fprintf (g->out, "%s\n", entries[i].id);
      state_entries_free (entries, n);
      return 0;
    }

  if (strcmp (format, "table") == 0)
    {
      t = open_memstream (&table, &tlen);
      if (t == NULL)
        abort ();
      fputs ("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n", t);
      for (i = 0; i < n; i++)
        {
          const struct state_record *r = entries[i].record;
          _cleanup_free_ char *owner = NULL;
          enum state_status status;

          if (r == NULL)
            continue;
          status = state_status_current (r);
          owner = owner_name (entries[i].uid);
          fprintf (t, "%s\t%d\t%s\t%s\t%s\t%s\n", r->id, status == STATE_STOPPED ? 0 : (int) r->pid,
                   state_status_name (status), r->bundle ? r->bundle : "", r->created ? r->created : "",
                   owner);
        }
      if (fclose (t) != 0)
        abort ();
      text = tabwriter_format (table, 12, 3, ' ');
      fputs (text, g->out);
    }
  else if (strcmp (format, "json") == 0)
    {
      j = rt_json_new (NULL);
      for (i = 0; i < n; i++)
        {
          _cleanup_free_ char *owner = NULL;

          if (entries[i].record == NULL)
            continue;
          if (shown++ == 0)
            rt_json_array_open (j);
          owner = owner_name (entries[i].uid);
          emit_container (j, entries[i].record, owner);
        }
      /* Go encodes an empty (nil) slice as null.  */
      if (shown == 0)
        rt_json_null (j);
      else
        rt_json_array_close (j);
      text = rt_json_finish (j, NULL);
      fprintf (g->out, "%s\n", text);
    }
  else
    ret = rv_error_set (err, EINVAL, "invalid format option");
  state_entries_free (entries, n);
  return ret;
}
