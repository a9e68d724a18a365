/* config.json and process.json: the tables for the document, the process,
 * root, mounts and hooks, and the lookups of config.h.  The `linux`
 * section's tables are in linux.c.
 *
 * Each table lists the fields in the order runc writes them, which is the
 * order spec_*_to_json emits them in.  */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"
#include "spec/config.h"
#include "spec/walk.h"

/* ---- process ---------------------------------------------------------- */

static const struct sj_field user_fields[] = {
  { "uid", &sj_u32, offsetof (struct spec_user, uid), 0, 0, NULL },
  { "gid", &sj_u32, offsetof (struct spec_user, gid), 0, 0, NULL },
  { "umask", &sj_opt_u32, offsetof (struct spec_user, umask), 0, 0, NULL },
  { "additionalGids", &sj_u32_array, offsetof (struct spec_user, additional_gids),
    offsetof (struct spec_user, additional_gids_len), 0, NULL },
  { "username", &sj_string, offsetof (struct spec_user, username), 0, 0, NULL },
};
/* uid and gid are REQUIRED in config.md but not in the schema; runc and
 * crun read a missing one as 0, and so do we (we always write both).  */
static const struct sj_object user_desc = SJ_OBJECT (user_fields, struct spec_user, NULL);

static const struct sj_field box_fields[] = {
  { "height", &sj_u32, offsetof (struct spec_box, height), 0, SJ_MANDATORY, NULL },
  { "width", &sj_u32, offsetof (struct spec_box, width), 0, SJ_MANDATORY, NULL },
};
static const struct sj_object box_desc = SJ_OBJECT (box_fields, struct spec_box, NULL);

static const struct sj_check capability_check = { sj_check_capability, NULL };

static const struct sj_field capabilities_fields[] = {
  { "bounding", &sj_strv, offsetof (struct spec_capabilities, bounding), 0, 0, &capability_check },
  { "effective", &sj_strv, offsetof (struct spec_capabilities, effective), 0, 0, &capability_check },
  { "inheritable", &sj_strv, offsetof (struct spec_capabilities, inheritable), 0, 0, &capability_check },
  { "permitted", &sj_strv, offsetof (struct spec_capabilities, permitted), 0, 0, &capability_check },
  { "ambient", &sj_strv, offsetof (struct spec_capabilities, ambient), 0, 0, &capability_check },
};
static const struct sj_object capabilities_desc
    = SJ_OBJECT (capabilities_fields, struct spec_capabilities, NULL);

/* getrlimit(2); the runtime MUST fail on a type it cannot map.  */
static const struct sj_enum rlimit_types = {
  "rlimit type",
  (const char *const[]){ "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
                         "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",
                         "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING",
                         "RLIMIT_STACK", NULL },
};
static const struct sj_check rlimit_type_check = { sj_check_enum, &rlimit_types };

/* setrlimit(2) refuses soft > hard; saying so here names the entry.  */
static int
rlimit_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_rlimit *rl = obj;
  (void) node;
  if (rl->soft > rl->hard)
    return sj_error (w, "soft limit %" PRIu64 " is greater than hard limit %" PRIu64, rl->soft, rl->hard);
  return 0;
}

static const struct sj_field rlimit_fields[] = {
  { "type", &sj_string, offsetof (struct spec_rlimit, type), 0, SJ_MANDATORY, &rlimit_type_check },
  { "hard", &sj_u64, offsetof (struct spec_rlimit, hard), 0, SJ_MANDATORY, NULL },
  { "soft", &sj_u64, offsetof (struct spec_rlimit, soft), 0, SJ_MANDATORY, NULL },
};
static const struct sj_object rlimit_desc = SJ_OBJECT (rlimit_fields, struct spec_rlimit, rlimit_check);

static const struct sj_enum scheduler_policies = {
  "scheduler policy",
  (const char *const[]){ "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE",
                         "SCHED_DEADLINE", NULL },
};
static const struct sj_check scheduler_policy_check = { sj_check_enum, &scheduler_policies };

static const struct sj_enum scheduler_flags = {
  "scheduler flag",
  (const char *const[]){ "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
                         "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
                         "SCHED_FLAG_UTIL_CLAMP_MAX", NULL },
};
static const struct sj_check scheduler_flag_check = { sj_check_enum, &scheduler_flags };

/* sched_setattr(2)'s rules, as runc checks them before starting.  */
static int
scheduler_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_scheduler *s = obj;
  bool realtime = str_eq (s->policy, "SCHED_FIFO") || str_eq (s->policy, "SCHED_RR");

  (void) node;
  if ((str_eq (s->policy, "SCHED_OTHER") || str_eq (s->policy, "SCHED_BATCH"))
      && (s->nice < -20 || s->nice > 19))
    return sj_field_error (w, "nice", "%d is out of range -20..19 for %s", (int) s->nice, s->policy);
  if (s->priority != 0 && !realtime)
    return sj_field_error (w, "priority", "only allowed with SCHED_FIFO or SCHED_RR");
  if (!str_eq (s->policy, "SCHED_DEADLINE"))
    {
      if (s->runtime != 0)
        return sj_field_error (w, "runtime", "only allowed with SCHED_DEADLINE");
      if (s->deadline != 0)
        return sj_field_error (w, "deadline", "only allowed with SCHED_DEADLINE");
      if (s->period != 0)
        return sj_field_error (w, "period", "only allowed with SCHED_DEADLINE");
    }
  return 0;
}

static const struct sj_field scheduler_fields[] = {
  { "policy", &sj_string, offsetof (struct spec_scheduler, policy), 0, SJ_MANDATORY,
    &scheduler_policy_check },
  { "nice", &sj_i32, offsetof (struct spec_scheduler, nice), 0, SJ_OMIT_ZERO, NULL },
  { "priority", &sj_i32, offsetof (struct spec_scheduler, priority), 0, SJ_OMIT_ZERO, NULL },
  { "flags", &sj_strv, offsetof (struct spec_scheduler, flags), 0, 0, &scheduler_flag_check },
  { "runtime", &sj_u64, offsetof (struct spec_scheduler, runtime), 0, SJ_OMIT_ZERO, NULL },
  { "deadline", &sj_u64, offsetof (struct spec_scheduler, deadline), 0, SJ_OMIT_ZERO, NULL },
  { "period", &sj_u64, offsetof (struct spec_scheduler, period), 0, SJ_OMIT_ZERO, NULL },
};
static const struct sj_object scheduler_desc
    = SJ_OBJECT (scheduler_fields, struct spec_scheduler, scheduler_check);

static const struct sj_enum ioprio_classes = {
  "I/O priority class",
  (const char *const[]){ "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL },
};
static const struct sj_check ioprio_class_check = { sj_check_enum, &ioprio_classes };
static const struct sj_range ioprio_range = { 0, 7, false };

/* priority is REQUIRED in config.md, optional in the schema; runc reads a
 * missing one as 0.  */
static const struct sj_field io_priority_fields[] = {
  { "class", &sj_string, offsetof (struct spec_io_priority, klass), 0, SJ_MANDATORY, &ioprio_class_check },
  { "priority", &sj_i32, offsetof (struct spec_io_priority, priority), 0, 0, &ioprio_range },
};
static const struct sj_object io_priority_desc
    = SJ_OBJECT (io_priority_fields, struct spec_io_priority, NULL);

/* The schema's pattern for CPU lists: "0-3,7".  */
static int
check_cpu_list (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;
  (void) data;
  if (s[strspn (s, "0123456789, -")] == '\0')
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "invalid CPU list %s", q);
}
static const struct sj_check cpu_list_check = { check_cpu_list, NULL };

static const struct sj_field exec_cpu_affinity_fields[] = {
  { "initial", &sj_string, offsetof (struct spec_exec_cpu_affinity, initial), 0, 0, &cpu_list_check },
  { "final", &sj_string, offsetof (struct spec_exec_cpu_affinity, final), 0, 0, &cpu_list_check },
};
static const struct sj_object exec_cpu_affinity_desc
    = SJ_OBJECT (exec_cpu_affinity_fields, struct spec_exec_cpu_affinity, NULL);

/* runc refuses an environment entry without '=' or with an empty name
 * when it prepares the environment; refuse it when reading instead.  */
static int
check_env (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;
  const char *eq = strchr (s, '=');

  (void) data;
  if (eq != NULL && eq != s)
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "invalid environment variable %s: %s", q, eq ? "empty name" : "missing '='");
}
static const struct sj_check env_check = { check_env, NULL };
static const struct sj_check absolute_check = { sj_check_absolute, NULL };

static int
process_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_process *p = obj;
  size_t i, j;

  (void) node;
  /* The spec extends execvp: at least one entry, used as the file.  */
  if (p->args && p->args[0] == NULL)
    return sj_field_error (w, "args", "must contain at least one entry");

  for (i = 0; i < p->rlimits_len; i++)
    for (j = 0; j < i; j++)
      if (str_eq (p->rlimits[i].type, p->rlimits[j].type))
        {
          _cleanup_free_ char *q = sj_quote (p->rlimits[i].type, strlen (p->rlimits[i].type));
          size_t saved = sj_push_field (w, "rlimits");
          int r;
          sj_push_index (w, i);
          sj_push_field (w, "type");
          r = sj_error (w, "duplicate rlimit type %s", q);
          sj_pop (w, saved);
          return r;
        }
  return 0;
}

static const struct sj_field process_fields[] = {
  { "terminal", &sj_bool, offsetof (struct spec_process, terminal), 0, SJ_OMIT_ZERO, NULL },
  { "consoleSize", &sj_embedded, offsetof (struct spec_process, console_size),
    offsetof (struct spec_process, has_console_size), SJ_HAS_FLAG, &box_desc },
  { "user", &sj_embedded, offsetof (struct spec_process, user), 0, 0, &user_desc },
  { "args", &sj_strv, offsetof (struct spec_process, args), 0, SJ_MANDATORY, NULL },
  { "commandLine", &sj_string, offsetof (struct spec_process, command_line), 0, 0, NULL },
  { "env", &sj_strv, offsetof (struct spec_process, env), 0, 0, &env_check },
  { "cwd", &sj_string, offsetof (struct spec_process, cwd), 0, SJ_MANDATORY, &absolute_check },
  { "capabilities", &sj_object, offsetof (struct spec_process, capabilities), 0, 0, &capabilities_desc },
  { "rlimits", &sj_object_array, offsetof (struct spec_process, rlimits),
    offsetof (struct spec_process, rlimits_len), 0, &rlimit_desc },
  { "noNewPrivileges", &sj_bool, offsetof (struct spec_process, no_new_privileges), 0, SJ_OMIT_ZERO, NULL },
  { "apparmorProfile", &sj_string, offsetof (struct spec_process, apparmor_profile), 0, 0, NULL },
  { "oomScoreAdj", &sj_opt_i32, offsetof (struct spec_process, oom_score_adj), 0, 0, NULL },
  { "scheduler", &sj_object, offsetof (struct spec_process, scheduler), 0, 0, &scheduler_desc },
  { "selinuxLabel", &sj_string, offsetof (struct spec_process, selinux_label), 0, 0, NULL },
  { "ioPriority", &sj_object, offsetof (struct spec_process, io_priority), 0, 0, &io_priority_desc },
  { "execCPUAffinity", &sj_object, offsetof (struct spec_process, exec_cpu_affinity), 0, 0,
    &exec_cpu_affinity_desc },
};
const struct sj_object sj_process_desc = SJ_OBJECT (process_fields, struct spec_process, process_check);

/* ---- root, mounts, hooks ---------------------------------------------- */

static const struct sj_field root_fields[] = {
  { "path", &sj_string, offsetof (struct spec_root, path), 0, SJ_MANDATORY, NULL },
  { "readonly", &sj_bool, offsetof (struct spec_root, readonly), 0, SJ_OMIT_ZERO, NULL },
};
static const struct sj_object root_desc = SJ_OBJECT (root_fields, struct spec_root, NULL);

static const struct sj_field id_mapping_fields[] = {
  { "containerID", &sj_u32, offsetof (struct spec_id_mapping, container_id), 0, SJ_MANDATORY, NULL },
  { "hostID", &sj_u32, offsetof (struct spec_id_mapping, host_id), 0, SJ_MANDATORY, NULL },
  { "size", &sj_u32, offsetof (struct spec_id_mapping, size), 0, SJ_MANDATORY, NULL },
};
/* Shared with linux.c.  */
const struct sj_object sj_id_mapping_desc = SJ_OBJECT (id_mapping_fields, struct spec_id_mapping, NULL);

static int
mount_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_mount *m = obj;
  (void) node;
  if ((m->uid_mappings == NULL) != (m->gid_mappings == NULL))
    return sj_field_error (w, m->uid_mappings ? "uidMappings" : "gidMappings",
                           "uidMappings and gidMappings must be given together");
  return 0;
}

/* destination is not checked for being absolute: the spec allows relative
 * destinations "for compatibility with old tools" (taken relative to "/"),
 * and runc accepts them.  */
static const struct sj_field mount_fields[] = {
  { "destination", &sj_string, offsetof (struct spec_mount, destination), 0, SJ_MANDATORY, NULL },
  { "type", &sj_string, offsetof (struct spec_mount, type), 0, 0, NULL },
  { "source", &sj_string, offsetof (struct spec_mount, source), 0, 0, NULL },
  { "options", &sj_strv, offsetof (struct spec_mount, options), 0, 0, NULL },
  { "uidMappings", &sj_object_array, offsetof (struct spec_mount, uid_mappings),
    offsetof (struct spec_mount, uid_mappings_len), 0, &sj_id_mapping_desc },
  { "gidMappings", &sj_object_array, offsetof (struct spec_mount, gid_mappings),
    offsetof (struct spec_mount, gid_mappings_len), 0, &sj_id_mapping_desc },
};
static const struct sj_object mount_desc = SJ_OBJECT (mount_fields, struct spec_mount, mount_check);

static const struct sj_range hook_timeout_range = { 1, INT32_MAX, false };

static const struct sj_field hook_fields[] = {
  { "path", &sj_string, offsetof (struct spec_hook, path), 0, SJ_MANDATORY, &absolute_check },
  { "args", &sj_strv, offsetof (struct spec_hook, args), 0, 0, NULL },
  { "env", &sj_strv, offsetof (struct spec_hook, env), 0, 0, NULL },
  { "timeout", &sj_opt_i32, offsetof (struct spec_hook, timeout), 0, 0, &hook_timeout_range },
};
static const struct sj_object hook_desc = SJ_OBJECT (hook_fields, struct spec_hook, NULL);

#define HOOK_FIELD(name, kind)                                                                               \
  {                                                                                                          \
    name, &sj_object_array, offsetof (struct spec_hooks, hooks[kind]),                                       \
        offsetof (struct spec_hooks, len[kind]), 0, &hook_desc                                               \
  }

static const struct sj_field hooks_fields[] = {
  HOOK_FIELD ("prestart", SPEC_HOOK_PRESTART),
  HOOK_FIELD ("createRuntime", SPEC_HOOK_CREATE_RUNTIME),
  HOOK_FIELD ("createContainer", SPEC_HOOK_CREATE_CONTAINER),
  HOOK_FIELD ("startContainer", SPEC_HOOK_START_CONTAINER),
  HOOK_FIELD ("poststart", SPEC_HOOK_POSTSTART),
  HOOK_FIELD ("poststop", SPEC_HOOK_POSTSTOP),
};
static const struct sj_object hooks_desc = SJ_OBJECT (hooks_fields, struct spec_hooks, NULL);

/* ---- the document ----------------------------------------------------- */

static const struct sj_check semver_check = { sj_check_semver, NULL };

/* process and root are optional here: process is needed only at start
 * (the runtime checks it there), and root.path is checked when root is
 * given.  */
static const struct sj_field config_fields[] = {
  { "ociVersion", &sj_string, offsetof (struct spec_config, oci_version), 0, SJ_MANDATORY, &semver_check },
  { "process", &sj_object, offsetof (struct spec_config, process), 0, 0, &sj_process_desc },
  { "root", &sj_object, offsetof (struct spec_config, root), 0, 0, &root_desc },
  { "hostname", &sj_string, offsetof (struct spec_config, hostname), 0, 0, NULL },
  { "domainname", &sj_string, offsetof (struct spec_config, domainname), 0, 0, NULL },
  { "mounts", &sj_object_array, offsetof (struct spec_config, mounts),
    offsetof (struct spec_config, mounts_len), 0, &mount_desc },
  { "hooks", &sj_object, offsetof (struct spec_config, hooks), 0, 0, &hooks_desc },
  { "annotations", &sj_map, offsetof (struct spec_config, annotations),
    offsetof (struct spec_config, annotations_len), 0, NULL },
  { "linux", &sj_object, offsetof (struct spec_config, linux), 0, 0, &sj_linux_desc },
};
static const struct sj_object config_desc = SJ_OBJECT (config_fields, struct spec_config, NULL);

int
spec_config_parse (const char *name, const char *data, size_t len, struct spec_config **ret, rv_error_t *err)
{
  void *obj;
  int r = sj_parse_document (name ? name : "config.json", data, len, &config_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

int
spec_config_load (const char *path, struct spec_config **ret, rv_error_t *err)
{
  void *obj;
  int r = sj_load_document (path, &config_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

char *
spec_config_to_json (const struct spec_config *config, bool beautify)
{
  return sj_gen_document (&config_desc, config, beautify);
}

bool
spec_config_equal (const struct spec_config *a, const struct spec_config *b)
{
  return sj_equal_object (&config_desc, a, b);
}

void
spec_config_free (struct spec_config *config)
{
  sj_free_object (&config_desc, config);
}

int
spec_process_parse (const char *name, const char *data, size_t len, struct spec_process **ret,
                    rv_error_t *err)
{
  void *obj;
  int r = sj_parse_document (name ? name : "process.json", data, len, &sj_process_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

int
spec_process_load (const char *path, struct spec_process **ret, rv_error_t *err)
{
  void *obj;
  int r = sj_load_document (path, &sj_process_desc, &obj, err);
  if (r < 0)
    return r;
  *ret = obj;
  return 0;
}

char *
spec_process_to_json (const struct spec_process *process, bool beautify)
{
  return sj_gen_document (&sj_process_desc, process, beautify);
}

bool
spec_process_equal (const struct spec_process *a, const struct spec_process *b)
{
  return sj_equal_object (&sj_process_desc, a, b);
}

void
spec_process_free (struct spec_process *process)
{
  sj_free_object (&sj_process_desc, process);
}

/* ---- lookups ---------------------------------------------------------- */

const char *
spec_hook_kind_name (enum spec_hook_kind kind)
{
  if ((unsigned) kind >= SPEC_HOOK_KINDS)
    return NULL;
  return hooks_fields[kind].name;
}

const char *
spec_annotation (const struct spec_config *config, const char *key)
{
  size_t i;

  if (config == NULL || config->annotations == NULL || key == NULL)
    return NULL;
  for (i = 0; i < config->annotations_len; i++)
    if (str_eq (config->annotations[i].key, key))
      return config->annotations[i].value;
  return NULL;
}

const struct spec_namespace *
spec_namespace_find (const struct spec_config *config, const char *type)
{
  size_t i;

  if (config == NULL || config->linux == NULL || type == NULL)
    return NULL;
  for (i = 0; i < config->linux->namespaces_len; i++)
    if (str_eq (config->linux->namespaces[i].type, type))
      return &config->linux->namespaces[i];
  return NULL;
}
