/* features.json.  The enumerations are those of config.json, so that a
 * features document never announces what the config parser would refuse.  */
#include <stddef.h>

#include "spec/features.h"
#include "spec/walk.h"

static const struct sj_field enabled_fields[] = {
  { "enabled", &sj_opt_bool, offsetof (struct spec_features_enabled, enabled), 0, 0, NULL },
};
static const struct sj_object enabled_desc = SJ_OBJECT (enabled_fields, struct spec_features_enabled, NULL);

static const struct sj_field cgroup_fields[] = {
  { "v1", &sj_opt_bool, offsetof (struct spec_features_cgroup, v1), 0, 0, NULL },
  { "v2", &sj_opt_bool, offsetof (struct spec_features_cgroup, v2), 0, 0, NULL },
  { "systemd", &sj_opt_bool, offsetof (struct spec_features_cgroup, systemd), 0, 0, NULL },
  { "systemdUser", &sj_opt_bool, offsetof (struct spec_features_cgroup, systemd_user), 0, 0, NULL },
  { "rdma", &sj_opt_bool, offsetof (struct spec_features_cgroup, rdma), 0, 0, NULL },
};
static const struct sj_object cgroup_desc = SJ_OBJECT (cgroup_fields, struct spec_features_cgroup, NULL);

static const struct sj_check action_check = { sj_check_enum, &sj_seccomp_actions };
static const struct sj_check operator_check = { sj_check_enum, &sj_seccomp_operators };
static const struct sj_check arch_check = { sj_check_enum, &sj_seccomp_archs };
static const struct sj_check flag_check = { sj_check_enum, &sj_seccomp_flags };

static const struct sj_field seccomp_fields[] = {
  { "enabled", &sj_opt_bool, offsetof (struct spec_features_seccomp, enabled), 0, 0, NULL },
  { "actions", &sj_strv, offsetof (struct spec_features_seccomp, actions), 0, 0, &action_check },
  { "operators", &sj_strv, offsetof (struct spec_features_seccomp, operators), 0, 0, &operator_check },
  { "archs", &sj_strv, offsetof (struct spec_features_seccomp, archs), 0, 0, &arch_check },
  { "knownFlags", &sj_strv, offsetof (struct spec_features_seccomp, known_flags), 0, 0, &flag_check },
  { "supportedFlags", &sj_strv, offsetof (struct spec_features_seccomp, supported_flags), 0, 0, &flag_check },
};
static const struct sj_object seccomp_desc = SJ_OBJECT (seccomp_fields, struct spec_features_seccomp, NULL);

static const struct sj_field mount_extensions_fields[] = {
  { "idmap", &sj_object, offsetof (struct spec_features_mount_extensions, idmap), 0, 0, &enabled_desc },
};
static const struct sj_object mount_extensions_desc
    = SJ_OBJECT (mount_extensions_fields, struct spec_features_mount_extensions, NULL);

static const struct sj_check namespace_check = { sj_check_enum, &sj_namespace_types };
static const struct sj_check capability_check = { sj_check_capability, NULL };

static const struct sj_field linux_fields[] = {
  { "namespaces", &sj_strv, offsetof (struct spec_features_linux, namespaces), 0, 0, &namespace_check },
  { "capabilities", &sj_strv, offsetof (struct spec_features_linux, capabilities), 0, 0, &capability_check },
  { "cgroup", &sj_object, offsetof (struct spec_features_linux, cgroup), 0, 0, &cgroup_desc },
  { "seccomp", &sj_object, offsetof (struct spec_features_linux, seccomp), 0, 0, &seccomp_desc },
  { "apparmor", &sj_object, offsetof (struct spec_features_linux, apparmor), 0, 0, &enabled_desc },
  { "selinux", &sj_object, offsetof (struct spec_features_linux, selinux), 0, 0, &enabled_desc },
  { "intelRdt", &sj_object, offsetof (struct spec_features_linux, intel_rdt), 0, 0, &enabled_desc },
  { "mountExtensions", &sj_object, offsetof (struct spec_features_linux, mount_extensions), 0, 0,
    &mount_extensions_desc },
};
static const struct sj_object linux_desc = SJ_OBJECT (linux_fields, struct spec_features_linux, NULL);

static const struct sj_check semver_check = { sj_check_semver, NULL };

static const struct sj_field features_fields[] = {
  { "ociVersionMin", &sj_string, offsetof (struct spec_features, oci_version_min), 0, SJ_MANDATORY,
    &semver_check },
  { "ociVersionMax", &sj_string, offsetof (struct spec_features, oci_version_max), 0, SJ_MANDATORY,
    &semver_check },
  { "hooks", &sj_strv, offsetof (struct spec_features, hooks), 0, 0, NULL },
  { "mountOptions", &sj_strv, offsetof (struct spec_features, mount_options), 0, 0, NULL },
  { "linux", &sj_object, offsetof (struct spec_features, linux), 0, 0, &linux_desc },
  { "annotations", &sj_map, offsetof (struct spec_features, annotations),
    offsetof (struct spec_features, annotations_len), 0, NULL },
  { "potentiallyUnsafeConfigAnnotations", &sj_strv,
    offsetof (struct spec_features, potentially_unsafe_config_annotations), 0, 0, NULL },
};
static const struct sj_object features_desc = SJ_OBJECT (features_fields, struct spec_features, NULL);

int
spec_features_parse (const char *name, const char *data, size_t len, struct spec_features **ret,
                     rv_error_t *err)
{
  void *obj;
  int r = sj_parse_document (name ? name : "features.json", data, len, &features_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

int
spec_features_load (const char *path, struct spec_features **ret, rv_error_t *err)
{
  void *obj;
  int r = sj_load_document (path, &features_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

char *
spec_features_to_json (const struct spec_features *features, bool beautify)
{
  return sj_gen_document (&features_desc, features, beautify);
}

bool
spec_features_equal (const struct spec_features *a, const struct spec_features *b)
{
  return sj_equal_object (&features_desc, a, b);
}

void
spec_features_free (struct spec_features *features)
{
  sj_free_object (&features_desc, features);
}
