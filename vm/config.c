#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/utils.h"
#include "vm/config.h"

#ifndef RUNVM_SYSCONFDIR
#define RUNVM_SYSCONFDIR "/etc"
#endif
#ifndef RUNVM_DATADIR
#define RUNVM_DATADIR "/usr/local/share/runvm"
#endif
#ifndef RUNVM_LIBEXECDIR
#define RUNVM_LIBEXECDIR "/usr/local/libexec/runvm"
#endif

#define CONFIG_MAX_BYTES (1 << 20)

static const char *const accel_names[] = { "auto", "kvm", "tcg", NULL };
static const char *const transport_names[] = { "auto", "vsock", "hybrid", NULL };

/* The allow-list, in the order of enum vm_annotation.  */
static const char *const annotation_keys[] = {
  "io.runvm.vcpus",
  "io.runvm.memory_mb",
  "io.runvm.guest",
  "io.runvm.accel",
  "io.runvm.debug",
  "io.runvm.boot_timeout_ms",
  NULL,
};

const char *
vm_accel_name (enum vm_accel accel)
{
  return (unsigned) accel < ARRAY_SIZE (accel_names) - 1 ? accel_names[accel] : "invalid";
}

const char *
vm_transport_pref_name (enum vm_transport_pref t)
{
  return (unsigned) t < ARRAY_SIZE (transport_names) - 1 ? transport_names[t] : "invalid";
}

const char *
vm_config_path (void)
{
  const char *env = getenv ("RUNVM_CONFIG");
  if (env && *env)
    return env;
  return RUNVM_SYSCONFDIR "/runvm/config.json";
}

static uint32_t
host_cpus (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  if (n < 1)
    return 1;
  return n > VM_MAX_VCPUS ? VM_MAX_VCPUS : (uint32_t) n;
}

static uint32_t
host_memory_mb (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  uint64_t mb;
  if (pages <= 0 || size <= 0)
    return 1024;
  mb = (uint64_t) pages * (uint64_t) size / (1024 * 1024);
  return mb > UINT32_MAX ? UINT32_MAX : (uint32_t) mb;
}

struct vm_config *
vm_config_new (void)
{
  struct vm_config *c = xmalloc0 (sizeof (*c));
  c->launcher = xstrdup ("qemu");
  c->guest = xstrdup ("cloud");
  c->image_dir = xstrdup (RUNVM_DATADIR);
  c->vcpus = 1;
  c->memory_mb = 256;
  c->accel = VM_ACCEL_AUTO;
  c->tb_size_mb = 64;
  c->transport = VM_TRANSPORT_AUTO;
  c->agent_port = 1024;
  c->boot_timeout_ms = 30000;
  c->stop_timeout_ms = 10000;
  c->console_log_max_bytes = 1 << 20;
  c->annotations = VM_ANN_ALL;
  return c;
}

void
vm_config_free (struct vm_config *c)
{
  if (c == NULL)
    return;
  free (c->launcher);
  free (c->guest);
  free (c->image_dir);
  free (c->kernel);
  free (c->initrd);
  strv_free (c->kernel_params);
  free (c->qemu);
  free (c->virtiofsd);
  free (c->vsockd);
  free (c->agent);
  free (c->source);
  free (c);
}

struct vm_config *
vm_config_dup (const struct vm_config *c)
{
  struct vm_config *d = xmalloc (sizeof (*d));
  *d = *c;
  d->launcher = xstrdup (c->launcher);
  d->guest = xstrdup (c->guest);
  d->image_dir = xstrdup (c->image_dir);
  d->kernel = xstrdup (c->kernel);
  d->initrd = xstrdup (c->initrd);
  d->kernel_params = strv_dup (c->kernel_params);
  d->qemu = xstrdup (c->qemu);
  d->virtiofsd = xstrdup (c->virtiofsd);
  d->vsockd = xstrdup (c->vsockd);
  d->agent = xstrdup (c->agent);
  d->source = xstrdup (c->source);
  return d;
}

static void
cleanup_configp (struct vm_config **c)
{
  vm_config_free (*c);
}
#define _cleanup_config_ __attribute__ ((cleanup (cleanup_configp)))

/* ---- the file --------------------------------------------------------- */

enum field_type
{
  F_STRING,
  F_PATH, /* a string that must be an absolute path */
  F_NAME, /* a launcher or guest name: [a-z0-9._-], not starting with '.' */
  F_STRV,
  F_U32,
  F_U64,
  F_BOOL,
  F_ACCEL,
  F_TRANSPORT,
  F_ANNOTATIONS,
  F_OBJECT,
};

struct field
{
  const char *key;
  enum field_type type;
  size_t offset;
  uint64_t min, max;
  const struct field *children; /* F_OBJECT */
};

#define OFF(m) offsetof (struct vm_config, m)

static const struct field timeouts_fields[] = {
  { "boot_ms", F_U32, OFF (boot_timeout_ms), 100, 3600000, NULL },
  { "stop_ms", F_U32, OFF (stop_timeout_ms), 0, 3600000, NULL },
  { NULL, 0, 0, 0, 0, NULL },
};

static const struct field binaries_fields[] = {
  { "qemu", F_STRING, OFF (qemu), 0, 0, NULL },
  { "virtiofsd", F_STRING, OFF (virtiofsd), 0, 0, NULL },
  { "vsockd", F_STRING, OFF (vsockd), 0, 0, NULL },
  { "agent", F_STRING, OFF (agent), 0, 0, NULL },
  { NULL, 0, 0, 0, 0, NULL },
};

static const struct field top_fields[] = {
  { "launcher", F_NAME, OFF (launcher), 0, 0, NULL },
  { "guest", F_NAME, OFF (guest), 0, 0, NULL },
  { "image_dir", F_PATH, OFF (image_dir), 0, 0, NULL },
  { "kernel", F_PATH, OFF (kernel), 0, 0, NULL },
  { "initrd", F_PATH, OFF (initrd), 0, 0, NULL },
  { "kernel_params", F_STRV, OFF (kernel_params), 0, 0, NULL },
  { "vcpus", F_U32, OFF (vcpus), 1, VM_MAX_VCPUS, NULL },
  { "memory_mb", F_U32, OFF (memory_mb), VM_MIN_MEMORY_MB, 1 << 22, NULL },
  { "max_vcpus", F_U32, OFF (max_vcpus), 0, VM_MAX_VCPUS, NULL },
  { "max_memory_mb", F_U32, OFF (max_memory_mb), 0, 1 << 22, NULL },
  { "accel", F_ACCEL, OFF (accel), 0, 0, NULL },
  { "tb_size_mb", F_U32, OFF (tb_size_mb), 1, 4096, NULL },
  { "transport", F_TRANSPORT, OFF (transport), 0, 0, NULL },
  { "agent_port", F_U32, OFF (agent_port), 1, UINT32_MAX - 1, NULL },
  { "timeouts", F_OBJECT, 0, 0, 0, timeouts_fields },
  { "console_log_max_bytes", F_U64, OFF (console_log_max_bytes), 4096, UINT64_C (1) << 40, NULL },
  { "debug", F_BOOL, OFF (debug), 0, 0, NULL },
  { "annotations", F_ANNOTATIONS, OFF (annotations), 0, 0, NULL },
  { "binaries", F_OBJECT, 0, 0, 0, binaries_fields },
  { NULL, 0, 0, 0, 0, NULL },
};

static bool
valid_name (const char *s)
{
  const char *p;
  if (*s == '\0' || *s == '.' || strlen (s) > 64)
    return false;
  for (p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
      return false;
  return true;
}

/* A kernel parameter is one word: whitespace or a control character would
 * split it or end the command line early.  */
static bool
valid_kernel_param (const char *s)
{
  const unsigned char *p;
  if (*s == '\0' || strlen (s) > 1024)
    return false;
  for (p = (const unsigned char *) s; *p; p++)
    if (*p <= ' ' || *p == 0x7f)
      return false;
  return true;
}

static int
lookup_name (const char *const *names, const char *s)
{
  int i;
  for (i = 0; names[i]; i++)
    if (strcmp (names[i], s) == 0)
      return i;
  return -1;
}

static char *
join_names (const char *const *names)
{
  char *out = xstrdup ("");
  size_t i;
  for (i = 0; names[i]; i++)
    {
      char *n = xasprintf ("%s%s%s", out, i ? ", " : "", names[i]);
      free (out);
      out = n;
    }
  return out;
}

static int parse_object (const char *name, const char *prefix, yajl_val obj, const struct field *fields,
                         struct vm_config *c, rv_error_t *err);

static int
parse_field (const char *name, const char *where, yajl_val v, const struct field *f, struct vm_config *c,
             rv_error_t *err)
{
  void *dst = (char *) c + f->offset;
  const char *s;
  size_t i;
  int idx;

  switch (f->type)
    {
    case F_STRING:
    case F_PATH:
    case F_NAME:
      if (!YAJL_IS_STRING (v))
        return rv_error_set (err, EINVAL, "%s: %s: expected a string", name, where);
      s = YAJL_GET_STRING (v);
      if (f->type == F_PATH && s[0] != '/')
        return rv_error_set (err, EINVAL, "%s: %s: `%s` is not an absolute path", name, where, s);
      if (f->type == F_NAME && !valid_name (s))
        return rv_error_set (err, EINVAL,
                             "%s: %s: `%s` is not a valid name (lowercase letters, digits, `-`, `_`, `.`)",
                             name, where, s);
      if (f->type == F_STRING && *s == '\0')
        return rv_error_set (err, EINVAL, "%s: %s: empty string", name, where);
      free (*(char **) dst);
      *(char **) dst = xstrdup (s);
      return 0;

    case F_STRV:
      {
        _cleanup_strv_ char **list = xcalloc (1, sizeof (char *));
        if (!YAJL_IS_ARRAY (v))
          return rv_error_set (err, EINVAL, "%s: %s: expected an array of strings", name, where);
        for (i = 0; i < v->u.array.len; i++)
          {
            yajl_val e = v->u.array.values[i];
            if (!YAJL_IS_STRING (e))
              return rv_error_set (err, EINVAL, "%s: %s[%zu]: expected a string", name, where, i);
            if (!valid_kernel_param (YAJL_GET_STRING (e)))
              return rv_error_set (err, EINVAL, "%s: %s[%zu]: `%s` is not one kernel parameter (no spaces)",
                                   name, where, i, YAJL_GET_STRING (e));
            strv_append (&list, YAJL_GET_STRING (e));
          }
        strv_free (*(char ***) dst);
        *(char ***) dst = TAKE_PTR (list);
        return 0;
      }

    case F_U32:
    case F_U64:
      {
        long long n;
        if (!YAJL_IS_INTEGER (v))
          return rv_error_set (err, EINVAL, "%s: %s: expected an integer", name, where);
        n = YAJL_GET_INTEGER (v);
        if (n < 0 || (uint64_t) n < f->min || (uint64_t) n > f->max)
          return rv_error_set (err, ERANGE, "%s: %s: %lld is out of range [%llu, %llu]", name, where, n,
                               (unsigned long long) f->min, (unsigned long long) f->max);
        if (f->type == F_U32)
          *(uint32_t *) dst = (uint32_t) n;
        else
          *(uint64_t *) dst = (uint64_t) n;
        return 0;
      }

    case F_BOOL:
      if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
        return rv_error_set (err, EINVAL, "%s: %s: expected true or false", name, where);
      *(bool *) dst = YAJL_IS_TRUE (v);
      return 0;

    case F_ACCEL:
    case F_TRANSPORT:
      {
        const char *const *names = f->type == F_ACCEL ? accel_names : transport_names;
        _cleanup_free_ char *all = NULL;
        if (YAJL_IS_STRING (v) && (idx = lookup_name (names, YAJL_GET_STRING (v))) >= 0)
          {
            if (f->type == F_ACCEL)
              *(enum vm_accel *) dst = (enum vm_accel) idx;
            else
              *(enum vm_transport_pref *) dst = (enum vm_transport_pref) idx;
            return 0;
          }
        all = join_names (names);
        return rv_error_set (err, EINVAL, "%s: %s: expected one of %s", name, where, all);
      }

    case F_ANNOTATIONS:
      {
        unsigned bits = 0;
        if (!YAJL_IS_ARRAY (v))
          return rv_error_set (err, EINVAL, "%s: %s: expected an array of annotation names", name, where);
        for (i = 0; i < v->u.array.len; i++)
          {
            yajl_val e = v->u.array.values[i];
            if (!YAJL_IS_STRING (e) || (idx = lookup_name (annotation_keys, YAJL_GET_STRING (e))) < 0)
              {
                _cleanup_free_ char *all = join_names (annotation_keys);
                return rv_error_set (err, EINVAL, "%s: %s[%zu]: expected one of %s", name, where, i, all);
              }
            bits |= 1u << idx;
          }
        *(unsigned *) dst = bits;
        return 0;
      }

    case F_OBJECT:
      if (!YAJL_IS_OBJECT (v))
        return rv_error_set (err, EINVAL, "%s: %s: expected an object", name, where);
      return parse_object (name, where, v, f->children, c, err);
    }
  return rv_error_set (err, EINVAL, "%s: %s: unsupported field", name, where);
}

static int
parse_object (const char *name, const char *prefix, yajl_val obj, const struct field *fields,
              struct vm_config *c, rv_error_t *err)
{
  size_t i;
  int r;

  for (i = 0; i < obj->u.object.len; i++)
    {
      const char *key = obj->u.object.keys[i];
      _cleanup_free_ char *where = xasprintf ("%s.%s", prefix, key);
      const struct field *f;

      for (f = fields; f->key; f++)
        if (strcmp (f->key, key) == 0)
          break;
      if (f->key == NULL)
        return rv_error_set (err, EINVAL, "%s: %s: unknown key", name, where);
      r = parse_field (name, where, obj->u.object.values[i], f, c, err);
      if (r < 0)
        return r;
    }
  return 0;
}

static void
fill_host_bounds (struct vm_config *c)
{
  if (c->max_vcpus == 0)
    c->max_vcpus = host_cpus ();
  if (c->max_memory_mb == 0)
    c->max_memory_mb = host_memory_mb ();
}

int
vm_config_parse (const char *name, const char *data, size_t len, struct vm_config **ret, rv_error_t *err)
{
  _cleanup_config_ struct vm_config *c = vm_config_new ();
  _cleanup_free_ char *text = NULL;
  char errbuf[256] = "";
  yajl_val root;
  int r;

  if (len > CONFIG_MAX_BYTES)
    return rv_error_set (err, EFBIG, "%s: larger than %d bytes", name, CONFIG_MAX_BYTES);
  if (memchr (data, '\0', len))
    return rv_error_set (err, EINVAL, "%s: contains a NUL byte", name);
  text = xstrndup (data, len);
  root = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (root == NULL)
    {
      char *nl;
      while ((nl = strchr (errbuf, '\n')))
        *nl = ' ';
      return rv_error_set (err, EINVAL, "%s: invalid JSON: %s", name, errbuf[0] ? errbuf : "parse error");
    }
  if (!YAJL_IS_OBJECT (root))
    r = rv_error_set (err, EINVAL, "%s: expected a JSON object", name);
  else
    r = parse_object (name, "", root, top_fields, c, err);
  yajl_tree_free (root);
  if (r < 0)
    return r;

  fill_host_bounds (c);
  if (c->vcpus > c->max_vcpus)
    return rv_error_set (err, ERANGE, "%s: .vcpus: %u is above .max_vcpus %u", name, c->vcpus, c->max_vcpus);
  if (c->memory_mb > c->max_memory_mb)
    return rv_error_set (err, ERANGE, "%s: .memory_mb: %u is above .max_memory_mb %u", name, c->memory_mb,
                         c->max_memory_mb);
  if ((c->kernel == NULL) != (c->initrd == NULL))
    return rv_error_set (err, EINVAL,
                         "%s: .kernel and .initrd go together (an initrd holds the kernel's modules)", name);
  *ret = TAKE_PTR (c);
  return 0;
}

int
vm_config_load (const char *path, struct vm_config **ret, rv_error_t *err)
{
  _cleanup_free_ char *data = NULL;
  struct vm_config *c;
  size_t len;
  int r;

  if (path == NULL)
    path = vm_config_path ();
  r = read_file (path, CONFIG_MAX_BYTES + 1, &data, &len, err);
  if (r < 0)
    {
      if (err && *err && (*err)->status == ENOENT)
        {
          rv_error_release (err);
          c = vm_config_new ();
          fill_host_bounds (c);
          *ret = c;
          return 0;
        }
      return rv_error_wrap (err, "runvm configuration");
    }
  r = vm_config_parse (path, data, len, &c, err);
  if (r < 0)
    return r;
  c->source = xstrdup (path);
  *ret = c;
  return 0;
}

/* ---- annotations ------------------------------------------------------ */

static int
annotation_u32 (const char *key, const char *value, uint32_t min, uint32_t max, uint32_t *ret,
                rv_error_t *err)
{
  uint64_t n;
  if (parse_u64 (value, &n) < 0 || n < min || n > max)
    return rv_error_set (err, EINVAL, "annotation %s: `%s` is not an integer in [%u, %u]", key, value, min,
                         max);
  *ret = (uint32_t) n;
  return 0;
}

int
vm_config_apply_annotations (const struct vm_config *config, const struct spec_kv *annotations, size_t len,
                             struct vm_config **ret, rv_error_t *err)
{
  _cleanup_config_ struct vm_config *c = vm_config_dup (config);
  size_t i;
  int r = 0, idx;

  for (i = 0; i < len; i++)
    {
      const char *key = annotations[i].key, *value = annotations[i].value ? annotations[i].value : "";

      if (key == NULL || !str_has_prefix (key, "io.runvm."))
        continue;
      idx = lookup_name (annotation_keys, key);
      if (idx < 0)
        {
          _cleanup_free_ char *all = join_names (annotation_keys);
          return rv_error_set (err, EINVAL, "annotation %s: not supported (a container may set %s)", key,
                               all);
        }
      if (!(c->annotations & (1u << idx)))
        return rv_error_set (err, EPERM, "annotation %s: disabled by the runvm configuration `%s`", key,
                             c->source ? c->source : vm_config_path ());
      switch (1u << idx)
        {
        case VM_ANN_VCPUS:
          r = annotation_u32 (key, value, 1, c->max_vcpus, &c->vcpus, err);
          break;
        case VM_ANN_MEMORY_MB:
          r = annotation_u32 (key, value, VM_MIN_MEMORY_MB, c->max_memory_mb, &c->memory_mb, err);
          break;
        case VM_ANN_BOOT_TIMEOUT_MS:
          r = annotation_u32 (key, value, 100, 3600000, &c->boot_timeout_ms, err);
          break;
        case VM_ANN_GUEST:
          /* Only a name: the image comes from the administrator's image
           * directory, and explicit kernel/initrd paths stay in force.  */
          if (!valid_name (value))
            return rv_error_set (err, EINVAL, "annotation %s: `%s` is not a guest image name", key, value);
          if (c->kernel)
            return rv_error_set (err, EPERM,
                                 "annotation %s: the runvm configuration fixes the kernel to `%s`", key,
                                 c->kernel);
          free (c->guest);
          c->guest = xstrdup (value);
          break;
        case VM_ANN_ACCEL:
          idx = lookup_name (accel_names, value);
          if (idx < 0)
            return rv_error_set (err, EINVAL, "annotation %s: `%s` is not one of auto, kvm, tcg", key, value);
          c->accel = (enum vm_accel) idx;
          break;
        case VM_ANN_DEBUG:
          if (strcmp (value, "true") == 0 || strcmp (value, "1") == 0)
            c->debug = true;
          else if (strcmp (value, "false") == 0 || strcmp (value, "0") == 0)
            c->debug = false;
          else
            return rv_error_set (err, EINVAL, "annotation %s: `%s` is not true or false", key, value);
          break;
        default:
          break;
        }
      if (r < 0)
        return r;
    }
  *ret = TAKE_PTR (c);
  return 0;
}

/* ---- paths ------------------------------------------------------------ */

static int
check_readable_file (const char *what, const char *path, const char *hint, rv_error_t *err)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return rv_error_make (err, errno, "%s `%s`%s", what, path, hint);
  if (!S_ISREG (st.st_mode))
    return rv_error_set (err, EINVAL, "%s `%s`: not a regular file", what, path);
  if (access (path, R_OK) < 0)
    return rv_error_make (err, errno, "%s `%s`", what, path);
  return 0;
}

static char *self_dir (void);

int
vm_config_guest_paths (const struct vm_config *c, char **ret_kernel, char **ret_initrd, rv_error_t *err)
{
  _cleanup_free_ char *kernel = NULL, *initrd = NULL;
  const char *hint;
  int r;

  if (c->kernel)
    {
      kernel = xstrdup (c->kernel);
      initrd = xstrdup (c->initrd);
      hint = " (set by .kernel/.initrd in the runvm configuration)";
    }
  else
    {
      kernel = xasprintf ("%s/vmlinuz-%s", c->image_dir, c->guest);
      initrd = xasprintf ("%s/initrd-%s.img", c->image_dir, c->guest);
      hint = " (build and install the guest image: `make guest install`)";
      /* A build tree that is not installed finds its own image:
       * build/bin/runvm uses build/guest/.  */
      if (strcmp (c->image_dir, RUNVM_DATADIR) == 0 && access (kernel, R_OK) != 0)
        {
          _cleanup_free_ char *self = self_dir ();
          _cleanup_free_ char *k = self ? xasprintf ("%s/../guest/vmlinuz-%s", self, c->guest) : NULL;
          _cleanup_free_ char *i = self ? xasprintf ("%s/../guest/initrd-%s.img", self, c->guest) : NULL;
          /* The kernel decides: with a build-tree kernel and no initrd
           * the error names the build tree's initrd.  */
          if (k && access (k, R_OK) == 0)
            {
              free (kernel);
              free (initrd);
              kernel = TAKE_PTR (k);
              initrd = TAKE_PTR (i);
              hint = " (build the guest image: `make guest`)";
            }
        }
    }
  r = check_readable_file ("guest kernel", kernel, hint, err);
  if (r < 0)
    return r;
  r = check_readable_file ("guest initrd", initrd, hint, err);
  if (r < 0)
    return r;
  *ret_kernel = TAKE_PTR (kernel);
  *ret_initrd = TAKE_PTR (initrd);
  return 0;
}

static bool
is_executable_file (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

char *
vm_find_program (const char *path_or_name, const char *const *dirs, size_t ndirs)
{
  _cleanup_free_ char *path_env = NULL;
  char *save = NULL, *dir;
  const char *name = path_or_name;
  size_t i;

  if (strchr (name, '/'))
    return is_executable_file (name) ? xstrdup (name) : NULL;
  for (i = 0; i < ndirs; i++)
    {
      _cleanup_free_ char *p = NULL;
      if (dirs[i] == NULL)
        continue;
      p = xasprintf ("%s/%s", dirs[i], name);
      if (is_executable_file (p))
        return TAKE_PTR (p);
    }
  path_env = xstrdup (getenv ("PATH") ? getenv ("PATH") : "/usr/local/bin:/usr/bin:/bin");
  for (dir = strtok_r (path_env, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *p = xasprintf ("%s/%s", dir, name);
      if (is_executable_file (p))
        return TAKE_PTR (p);
    }
  return NULL;
}

/* The directory holding the running program, so that a build tree finds
 * its own helpers (build/bin/runvm next to build/bin/runvm-vsockd).  */
static char *
self_dir (void)
{
  char buf[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", buf, sizeof (buf) - 1);
  char *slash;
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  slash = strrchr (buf, '/');
  if (slash == NULL)
    return NULL;
  *slash = '\0';
  return xstrdup (buf);
}

static int
find_helper (const char *what, const char *configured, const char *name, const char *const *dirs,
             size_t ndirs, const char *hint, char **ret, rv_error_t *err)
{
  char *p;
  if (configured)
    {
      p = vm_find_program (configured, NULL, 0);
      if (p == NULL)
        return rv_error_set (err, ENOENT,
                             "%s `%s` (from the runvm configuration) not found or not executable", what,
                             configured);
    }
  else
    {
      p = vm_find_program (name, dirs, ndirs);
      if (p == NULL)
        return rv_error_set (err, ENOENT, "%s `%s` not found (%s)", what, name, hint);
    }
  *ret = p;
  return 0;
}

/* NULL entries in the directory lists are skipped (self_dir may fail).  */
int
vm_config_find_qemu (const struct vm_config *c, char **ret, rv_error_t *err)
{
  return find_helper ("QEMU", c->qemu, "qemu-system-x86_64", NULL, 0, "install the package qemu-system-x86",
                      ret, err);
}

int
vm_config_find_virtiofsd (const struct vm_config *c, char **ret, rv_error_t *err)
{
  const char *const dirs[] = { "/usr/libexec", "/usr/lib/qemu", "/usr/lib/virtiofsd" };
  return find_helper ("virtiofsd", c->virtiofsd, "virtiofsd", dirs, ARRAY_SIZE (dirs),
                      "install the package virtiofsd, or qemu-system-common on Debian 12", ret, err);
}

int
vm_config_find_vsockd (const struct vm_config *c, char **ret, rv_error_t *err)
{
  _cleanup_free_ char *self = self_dir ();
  const char *const dirs[] = { RUNVM_LIBEXECDIR, self };
  return find_helper ("runvm-vsockd", c->vsockd, "runvm-vsockd", dirs, ARRAY_SIZE (dirs),
                      "it is part of runvm: `make install`", ret, err);
}

int
vm_config_find_agent (const struct vm_config *c, char **ret, rv_error_t *err)
{
  _cleanup_free_ char *self = self_dir ();
  const char *const dirs[] = { RUNVM_LIBEXECDIR, self };
  return find_helper ("runvm-agent", c->agent, "runvm-agent", dirs, ARRAY_SIZE (dirs),
                      "it is part of runvm: `make install`", ret, err);
}
