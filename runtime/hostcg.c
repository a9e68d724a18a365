/* The container's cgroup on the host: where `linux.cgroupsPath` puts it,
 * and what is applied there.  */
#include <string.h>

#include "common/utils.h"
#include "runtime/rt_impl.h"

/* The calling process's cgroup: the cgroup2 entry ("0::/x"), else the
 * memory hierarchy's, else "/".  */
static char *
own_cgroup (void)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *text = NULL;
  char *line, *save = NULL, *v2 = NULL, *memory = NULL;

  if (read_file ("/proc/self/cgroup", 1 << 16, &text, NULL, &tmp_err) < 0)
    return xstrdup ("/");
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      if (strcmp (c1 + 1, "") == 0 && v2 == NULL)
        v2 = c2 + 1;
      else
        {
          char *ctl, *csave = NULL;
          for (ctl = strtok_r (c1 + 1, ",", &csave); ctl; ctl = strtok_r (NULL, ",", &csave))
            if (strcmp (ctl, "memory") == 0 && memory == NULL)
              memory = c2 + 1;
        }
    }
  if (v2 && *v2 == '/')
    return xstrdup (v2);
  if (memory && *memory == '/')
    return xstrdup (memory);
  return xstrdup ("/");
}

char *
rt_host_cgroup_path (const struct spec_config *config, const char *id, enum rt_cgroup_manager manager)
{
  const char *path = config->linux && config->linux->cgroups_path && config->linux->cgroups_path[0]
                         ? config->linux->cgroups_path
                         : NULL;
  _cleanup_free_ char *base = NULL;

  if (manager == RT_CGROUP_MANAGER_DISABLED)
    return NULL;
  /* libcontainer expands "slice:prefix:name" itself, wherever it meets it.  */
  if (path && (path[0] == '/' || strchr (path, ':') != NULL))
    return xstrdup (path);
  base = own_cgroup ();
  return xasprintf ("%s%s%s", base, str_has_suffix (base, "/") ? "" : "/", path ? path : id);
}

struct spec_resources *
rt_host_resources (const struct spec_resources *resources)
{
  struct spec_resources *r;
  if (resources == NULL)
    return NULL;
  r = xmalloc (sizeof (*r));
  *r = *resources;
  r->devices = NULL;
  r->devices_len = 0;
  return r;
}
