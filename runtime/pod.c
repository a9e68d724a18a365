/* Pods as the CRI engines describe them in annotations.  */
#include <errno.h>
#include <string.h>

#include "runtime/rt_impl.h"

static const struct
{
  const char *engine;
  const char *type_key;
  const char *sandbox_key;
} engines[] = {
  { "containerd", "io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id" },
  { "cri-o", "io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID" },
};

int
rt_pod_parse (const struct spec_config *config, struct rt_pod *ret, rv_error_t *err)
{
  struct rt_pod pod = { RT_POD_NONE, NULL, NULL };
  size_t i;

  for (i = 0; i < sizeof (engines) / sizeof (engines[0]); i++)
    {
      const char *type = spec_annotation (config, engines[i].type_key);
      if (type == NULL)
        continue;
      if (strcmp (type, "sandbox") == 0)
        pod.role = RT_POD_SANDBOX;
      else if (strcmp (type, "container") == 0)
        pod.role = RT_POD_CONTAINER;
      else
        return rv_error_set (err, EINVAL,
                             "annotation `%s`: unknown container type `%s` (sandbox or container)",
                             engines[i].type_key, type);
      pod.sandbox_id = spec_annotation (config, engines[i].sandbox_key);
      pod.engine = engines[i].engine;
      break;
    }
  *ret = pod;
  return 0;
}
