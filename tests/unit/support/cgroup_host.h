/* What the test host's cgroups offer, for tests that create cgroups on
 * the real host and must assert exactly what it can give: a v1 hierarchy
 * of the controller, or the controller listed in the cgroup2 root's
 * cgroup.controllers (a bare cgroup2 mount in a CI root may list none).  */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline bool
tc_host_offers (const char *controller)
{
  static const char *const v2_roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
  char path[256], list[1024];
  size_t i;

  snprintf (path, sizeof (path), "/sys/fs/cgroup/%s/cgroup.procs", controller);
  if (access (path, W_OK) == 0)
    return true;
  for (i = 0; i < sizeof (v2_roots) / sizeof (v2_roots[0]); i++)
    {
      FILE *f;
      char *tok, *save = NULL;
      bool found = false;

      snprintf (path, sizeof (path), "%s/cgroup.controllers", v2_roots[i]);
      f = fopen (path, "re");
      if (f == NULL)
        continue;
      if (fgets (list, sizeof (list), f) == NULL)
        list[0] = '\0';
      fclose (f);
      for (tok = strtok_r (list, " \n", &save); tok && !found; tok = strtok_r (NULL, " \n", &save))
        found = strcmp (tok, controller) == 0;
      return found;
    }
  return false;
}
