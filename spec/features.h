/* features.json (features.md of runtime-spec 1.2): what `runvm features`
 * prints.  Absent members mean "unknown", not "unsupported", so booleans
 * are spec_opt_bool and lists stay NULL when absent.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "spec/config.h"

struct spec_features_enabled
{
  struct spec_opt_bool enabled;
};

struct spec_features_cgroup
{
  struct spec_opt_bool v1;
  struct spec_opt_bool v2;
  struct spec_opt_bool systemd;
  struct spec_opt_bool systemd_user;
  struct spec_opt_bool rdma;
};

struct spec_features_seccomp
{
  struct spec_opt_bool enabled;
  char **actions;         /* "SCMP_ACT_*" */
  char **operators;       /* "SCMP_CMP_*" */
  char **archs;           /* "SCMP_ARCH_*" */
  char **known_flags;     /* "SECCOMP_FILTER_FLAG_*" */
  char **supported_flags; /* "SECCOMP_FILTER_FLAG_*" */
};

struct spec_features_mount_extensions
{
  struct spec_features_enabled *idmap;
};

struct spec_features_linux
{
  char **namespaces;   /* "pid", "network", ... */
  char **capabilities; /* "CAP_*" */
  struct spec_features_cgroup *cgroup;
  struct spec_features_seccomp *seccomp;
  struct spec_features_enabled *apparmor;
  struct spec_features_enabled *selinux;
  struct spec_features_enabled *intel_rdt;
  struct spec_features_mount_extensions *mount_extensions;
};

struct spec_features
{
  char *oci_version_min; /* required, SemVer */
  char *oci_version_max; /* required, SemVer */
  char **hooks;          /* "prestart", "createRuntime", ... */
  char **mount_options;
  struct spec_features_linux *linux;
  struct spec_kv *annotations;
  size_t annotations_len;
  char **potentially_unsafe_config_annotations;
};

/* NAME is the file name used in messages ("features.json").  */
int spec_features_parse (const char *name, const char *data, size_t len, struct spec_features **ret,
                         rv_error_t *err);
int spec_features_load (const char *path, struct spec_features **ret, rv_error_t *err);
char *spec_features_to_json (const struct spec_features *features, bool beautify);
bool spec_features_equal (const struct spec_features *a, const struct spec_features *b);
void spec_features_free (struct spec_features *features);
