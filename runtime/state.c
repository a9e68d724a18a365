#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/utils.h"
#include "runtime/json_gen.h"
#include "runtime/state.h"

#define STATE_FILE       "state.json"
#define LOCK_FILE        "lock"
#define STATE_FILE_MAX   (4 * 1024 * 1024)
#define PRIVATE_NEW      ":new:"
#define PRIVATE_REMOVING ":rm:"

static const char *const status_names[] = {
  [STATE_CREATING] = "creating", [STATE_CREATED] = "created", [STATE_RUNNING] = "running",
  [STATE_PAUSED] = "paused",     [STATE_STOPPED] = "stopped",
};

const char *
state_status_name (enum state_status status)
{
  if ((unsigned) status < ARRAY_SIZE (status_names))
    return status_names[status];
  return "unknown";
}

int
state_status_parse (const char *name, enum state_status *ret)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (status_names); i++)
    if (strcmp (name, status_names[i]) == 0)
      {
        *ret = (enum state_status) i;
        return 0;
      }
  return -EINVAL;
}

int
state_validate_id (const char *id, rv_error_t *err)
{
  const char *p;

  if (id == NULL || *id == '\0')
    return rv_error_set (err, EINVAL, "container id cannot be empty");
  if (strlen (id) > STATE_ID_MAX || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return rv_error_set (err, EINVAL, "invalid container ID format");
  for (p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'
          || *p == '+' || *p == '-' || *p == '.'))
      return rv_error_set (err, EINVAL, "invalid container ID format");
  return 0;
}

char *
state_dir (const char *root, const char *id)
{
  return xasprintf ("%s/%s", root, id);
}

/* ---- time ------------------------------------------------------------- */

char *
state_time_format (const struct timespec *ts)
{
  char date[40], frac[16];
  struct tm tm;
  int n;

  gmtime_r (&ts->tv_sec, &tm);
  strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", &tm);
  if (ts->tv_nsec == 0)
    return xasprintf ("%sZ", date);
  snprintf (frac, sizeof (frac), "%09ld", ts->tv_nsec);
  for (n = 9; n > 0 && frac[n - 1] == '0'; n--)
    frac[n - 1] = '\0';
  return xasprintf ("%s.%sZ", date, frac);
}

char *
state_time_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return state_time_format (&ts);
}

/* ---- processes ---------------------------------------------------------- */

int
proc_pid_stat (pid_t pid, uint64_t *ret_start_time, char *ret_state)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *path = NULL, *data = NULL;
  uint64_t start = 0;
  const char *p;
  char state;
  int field;

  if (pid <= 0)
    return -ESRCH;
  path = xasprintf ("/proc/%d/stat", (int) pid);
  if (read_file (path, 0, &data, NULL, &tmp_err) < 0)
    return tmp_err->status == ENOENT ? -ESRCH : -tmp_err->status;

  /* The command name (field 2) may hold spaces and parentheses; the
   * fields after it start behind the last ')'.  */
  p = strrchr (data, ')');
  if (p == NULL || p[1] != ' ' || p[2] == '\0')
    return -EINVAL;
  p += 2;
  state = *p;
  for (field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -EINVAL;
      p++;
    }
  for (; *p >= '0' && *p <= '9'; p++)
    start = start * 10 + (uint64_t) (*p - '0');
  if (*p != ' ' && *p != '\n' && *p != '\0')
    return -EINVAL;
  if (ret_start_time)
    *ret_start_time = start;
  if (ret_state)
    *ret_state = state;
  return 0;
}

bool
proc_pid_alive (pid_t pid, uint64_t start_time)
{
  uint64_t start;
  char state;

  if (proc_pid_stat (pid, &start, &state) < 0)
    return false;
  if (state == 'Z' || state == 'X' || state == 'x')
    return false;
  return start == start_time;
}

enum state_status
state_status_current (const struct state_record *r)
{
  if (r->has_exit_status)
    return STATE_STOPPED;
  switch (r->status)
    {
    case STATE_CREATING:
      return proc_pid_alive (r->creator_pid, r->creator_start_time) ? STATE_CREATING : STATE_STOPPED;
    case STATE_CREATED:
    case STATE_RUNNING:
    case STATE_PAUSED:
      return proc_pid_alive (r->pid, r->pid_start_time) ? r->status : STATE_STOPPED;
    case STATE_STOPPED:
    default:
      return STATE_STOPPED;
    }
}

/* ---- state.json --------------------------------------------------------- */

void
state_record_free (struct state_record *r)
{
  size_t i;

  if (r == NULL)
    return;
  free (r->oci_version);
  free (r->id);
  free (r->bundle);
  free (r->rootfs);
  free (r->created);
  free (r->owner);
  for (i = 0; i < r->annotations_len; i++)
    {
      free (r->annotations[i].key);
      free (r->annotations[i].value);
    }
  free (r->annotations);
  free (r->launcher);
  free (r->transport);
  free (r->cgroup_path);
  strv_free (r->cgroup_made);
  free (r);
}

struct state_record *
state_record_dup (const struct state_record *r)
{
  struct state_record *d = xmalloc0 (sizeof (*d));
  size_t i;

  *d = *r;
  d->oci_version = xstrdup (r->oci_version);
  d->id = xstrdup (r->id);
  d->bundle = xstrdup (r->bundle);
  d->rootfs = xstrdup (r->rootfs);
  d->created = xstrdup (r->created);
  d->owner = xstrdup (r->owner);
  d->annotations = r->annotations_len ? xcalloc (r->annotations_len, sizeof (*d->annotations)) : NULL;
  for (i = 0; i < r->annotations_len; i++)
    {
      d->annotations[i].key = xstrdup (r->annotations[i].key);
      d->annotations[i].value = xstrdup (r->annotations[i].value);
    }
  d->launcher = xstrdup (r->launcher);
  d->transport = xstrdup (r->transport);
  d->cgroup_path = xstrdup (r->cgroup_path);
  d->cgroup_made = r->cgroup_made ? strv_dup (r->cgroup_made) : NULL;
  return d;
}

static void
kstr_opt (struct rt_json *j, const char *key, const char *value)
{
  if (value)
    rt_json_kstr (j, key, value);
}

/* The OCI state fields at the top (so the file is itself a valid OCI
 * state document), runvm's own under "runvm".  */
char *
state_record_to_json (const struct state_record *r)
{
  struct rt_json *j = rt_json_new ("  ");
  size_t i;

  rt_json_map_open (j);
  rt_json_kstr (j, "ociVersion", r->oci_version ? r->oci_version : SPEC_VERSION);
  rt_json_kstr (j, "id", r->id);
  rt_json_kstr (j, "status", state_status_name (r->status));
  rt_json_kint (j, "pid", r->pid);
  rt_json_kstr (j, "bundle", r->bundle);
  if (r->annotations_len > 0)
    {
      rt_json_key (j, "annotations");
      rt_json_map_open (j);
      for (i = 0; i < r->annotations_len; i++)
        rt_json_kstr (j, r->annotations[i].key, r->annotations[i].value);
      rt_json_map_close (j);
    }
  rt_json_key (j, "runvm");
  rt_json_map_open (j);
  rt_json_kuint (j, "pidStartTime", r->pid_start_time);
  rt_json_kint (j, "creatorPid", r->creator_pid);
  rt_json_kuint (j, "creatorStartTime", r->creator_start_time);
  rt_json_kstr (j, "rootfs", r->rootfs);
  rt_json_kstr (j, "created", r->created);
  rt_json_kstr (j, "owner", r->owner);
  kstr_opt (j, "launcher", r->launcher);
  kstr_opt (j, "transport", r->transport);
  kstr_opt (j, "cgroupPath", r->cgroup_path);
  if (r->cgroup_made)
    rt_json_kstrv (j, "cgroupMade", r->cgroup_made);
  if (r->has_exit_status)
    rt_json_kint (j, "exitStatus", r->exit_status);
  rt_json_map_close (j);
  rt_json_map_close (j);
  return rt_json_finish (j, NULL);
}

static yajl_val
get (yajl_val obj, const char *key, yajl_type type)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get (obj, path, type);
}

static int
get_str (yajl_val obj, const char *key, bool required, char **ret, rv_error_t *err)
{
  yajl_val v = get (obj, key, yajl_t_any);

  if (v == NULL || YAJL_IS_NULL (v))
    {
      if (required)
        return rv_error_set (err, EINVAL, "missing `%s`", key);
      return 0;
    }
  if (!YAJL_IS_STRING (v))
    return rv_error_set (err, EINVAL, "`%s` is not a string", key);
  *ret = xstrdup (YAJL_GET_STRING (v));
  return 0;
}

static int
get_i64 (yajl_val obj, const char *key, bool required, bool *ret_set, int64_t *ret, rv_error_t *err)
{
  yajl_val v = get (obj, key, yajl_t_any);

  if (v == NULL)
    {
      if (required)
        return rv_error_set (err, EINVAL, "missing `%s`", key);
      return 0;
    }
  if (!YAJL_IS_INTEGER (v))
    return rv_error_set (err, EINVAL, "`%s` is not an integer", key);
  *ret = YAJL_GET_INTEGER (v);
  if (ret_set)
    *ret_set = true;
  return 0;
}

static int
get_u64 (yajl_val obj, const char *key, uint64_t *ret, rv_error_t *err)
{
  yajl_val v = get (obj, key, yajl_t_any);

  if (v == NULL)
    return 0;
  if (!YAJL_IS_NUMBER (v) || parse_u64 (YAJL_GET_NUMBER (v), ret) < 0)
    return rv_error_set (err, EINVAL, "`%s` is not an unsigned integer", key);
  return 0;
}

/* An optional array of strings: *RET stays NULL when KEY is absent.  */
static int
get_strv (yajl_val obj, const char *key, char ***ret, rv_error_t *err)
{
  yajl_val v = get (obj, key, yajl_t_any);
  char **out;
  size_t i;

  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return rv_error_set (err, EINVAL, "`%s` is not an array", key);
  out = xcalloc (1, sizeof (char *));
  for (i = 0; i < v->u.array.len; i++)
    {
      if (!YAJL_IS_STRING (v->u.array.values[i]))
        {
          strv_free (out);
          return rv_error_set (err, EINVAL, "`%s[%zu]` is not a string", key, i);
        }
      strv_append (&out, YAJL_GET_STRING (v->u.array.values[i]));
    }
  *ret = out;
  return 0;
}

static int
parse_record (yajl_val root, struct state_record *r, rv_error_t *err)
{
  _cleanup_free_ char *status = NULL;
  yajl_val priv, ann;
  int64_t n = 0;
  bool set = false;
  size_t i;
  int ret;

  if (!YAJL_IS_OBJECT (root))
    return rv_error_set (err, EINVAL, "not a JSON object");
  ret = get_str (root, "ociVersion", true, &r->oci_version, err);
  if (ret == 0)
    ret = get_str (root, "id", true, &r->id, err);
  if (ret == 0)
    ret = get_str (root, "status", true, &status, err);
  if (ret == 0)
    ret = get_str (root, "bundle", true, &r->bundle, err);
  if (ret == 0)
    ret = get_i64 (root, "pid", false, NULL, &n, err);
  if (ret < 0)
    return ret;
  if (state_status_parse (status, &r->status) < 0)
    return rv_error_set (err, EINVAL, "unknown status `%s`", status);
  if (n < 0 || n > INT_MAX)
    return rv_error_set (err, EINVAL, "`pid` out of range");
  r->pid = (pid_t) n;

  ann = get (root, "annotations", yajl_t_any);
  if (ann && !YAJL_IS_OBJECT (ann))
    return rv_error_set (err, EINVAL, "`annotations` is not an object");
  if (ann && ann->u.object.len > 0)
    {
      r->annotations = xcalloc (ann->u.object.len, sizeof (*r->annotations));
      for (i = 0; i < ann->u.object.len; i++)
        {
          yajl_val v = ann->u.object.values[i];
          if (!YAJL_IS_STRING (v))
            return rv_error_set (err, EINVAL, "annotation `%s` is not a string", ann->u.object.keys[i]);
          r->annotations[i].key = xstrdup (ann->u.object.keys[i]);
          r->annotations[i].value = xstrdup (YAJL_GET_STRING (v));
          r->annotations_len++;
        }
    }

  /* Fields runvm does not know (from a newer version) are ignored.  */
  priv = get (root, "runvm", yajl_t_any);
  if (priv == NULL || !YAJL_IS_OBJECT (priv))
    return rv_error_set (err, EINVAL, "missing `runvm` object");
  n = 0;
  ret = get_u64 (priv, "pidStartTime", &r->pid_start_time, err);
  if (ret == 0)
    ret = get_i64 (priv, "creatorPid", false, NULL, &n, err);
  if (ret == 0)
    ret = get_u64 (priv, "creatorStartTime", &r->creator_start_time, err);
  if (ret == 0)
    ret = get_str (priv, "rootfs", false, &r->rootfs, err);
  if (ret == 0)
    ret = get_str (priv, "created", true, &r->created, err);
  if (ret == 0)
    ret = get_str (priv, "owner", false, &r->owner, err);
  if (ret == 0)
    ret = get_str (priv, "launcher", false, &r->launcher, err);
  if (ret == 0)
    ret = get_str (priv, "transport", false, &r->transport, err);
  if (ret == 0)
    ret = get_str (priv, "cgroupPath", false, &r->cgroup_path, err);
  if (ret == 0)
    ret = get_strv (priv, "cgroupMade", &r->cgroup_made, err);
  if (ret < 0)
    return ret;
  if (n < 0 || n > INT_MAX)
    return rv_error_set (err, EINVAL, "`creatorPid` out of range");
  r->creator_pid = (pid_t) n;
  n = 0;
  ret = get_i64 (priv, "exitStatus", false, &set, &n, err);
  if (ret < 0)
    return ret;
  if (set && (n < 0 || n > 255))
    return rv_error_set (err, EINVAL, "`exitStatus` out of range");
  r->has_exit_status = set;
  r->exit_status = (int) n;
  return 0;
}

int
state_record_parse (const char *data, size_t len, struct state_record **ret, rv_error_t *err)
{
  _cleanup_free_ char *copy = xstrndup (data, len);
  struct state_record *r;
  char errbuf[256];
  yajl_val root;
  int rc;

  errbuf[0] = '\0';
  root = yajl_tree_parse (copy, errbuf, sizeof (errbuf));
  if (root == NULL)
    {
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      return rv_error_set (err, EINVAL, "%s", errbuf[0] ? errbuf : "invalid JSON");
    }
  r = xmalloc0 (sizeof (*r));
  rc = parse_record (root, r, err);
  yajl_tree_free (root);
  if (rc < 0)
    {
      state_record_free (r);
      return rc;
    }
  *ret = r;
  return 0;
}

/* ---- the store ---------------------------------------------------------- */

int
state_root_ensure (const char *root, rv_error_t *err)
{
  struct stat st;

  if (stat (root, &st) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        return rv_error_make (err, ENOTDIR, "state root `%s`", root);
      return 0;
    }
  if (errno != ENOENT)
    return rv_error_make (err, errno, "stat `%s`", root);
  return mkdir_p (root, 0700, err);
}

/* "<root>/<prefix><pid>:<n>" that nobody else uses: a name no container
 * ID can take (it holds ':'), with this process's PID so that leftovers
 * of a dead process can be recognised.  */
static char *
private_dir_create (const char *root, const char *prefix, bool make, rv_error_t *err)
{
  static unsigned counter;
  int attempt;

  for (attempt = 0; attempt < 1000; attempt++)
    {
      struct timespec ts;
      char *path;

      clock_gettime (CLOCK_MONOTONIC, &ts);
      path
          = xasprintf ("%s/%s%d:%u%lx", root, prefix, (int) getpid (), counter++, (unsigned long) ts.tv_nsec);
      if (!make)
        return path;
      if (mkdir (path, 0700) == 0)
        return path;
      if (errno != EEXIST)
        {
          rv_error_make (err, errno, "mkdir `%s`", path);
          free (path);
          return NULL;
        }
      free (path);
    }
  rv_error_set (err, EEXIST, "cannot find a free private name in `%s`", root);
  return NULL;
}

/* Where NAME (in DFD) sits: its device and the ID of its mount.  The
 * mount ID tells a bind mount of the same file system apart, which the
 * device cannot: statx gives it since Linux 5.8, name_to_handle_at since
 * 2.6.39; without either, only the device is compared.  -errno when NAME
 * cannot be looked at.  */
struct place
{
  dev_t dev;
  uint64_t mnt_id; /* 0 when unknown.  */
};

static int
place_of (int dfd, const char *name, struct place *ret)
{
  struct statx stx;
  struct
  {
    struct file_handle fh;
    unsigned char data[MAX_HANDLE_SZ];
  } h;
  int mnt = 0;

  if (statx (dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0)
    return -errno;
  ret->dev = makedev (stx.stx_dev_major, stx.stx_dev_minor);
  ret->mnt_id = 0;
  if (stx.stx_mask & STATX_MNT_ID)
    ret->mnt_id = stx.stx_mnt_id;
  else
    {
      h.fh.handle_bytes = MAX_HANDLE_SZ;
      if (name_to_handle_at (dfd, name, &h.fh, &mnt, 0) == 0 || errno == EOVERFLOW)
        ret->mnt_id = (uint64_t) mnt + 1; /* + 1: 0 stays "unknown".  */
    }
  return 0;
}

static bool
same_mount (const struct place *a, const struct place *b)
{
  if (a->mnt_id && b->mnt_id)
    return a->mnt_id == b->mnt_id;
  return a->dev == b->dev;
}

/* Removes what DFD holds.  An entry on another mount (a bind mount the
 * monitor left behind) is detached, never descended into, so that the
 * bundle behind it is never touched.  */
static int
remove_children (int dfd, const char *path, const struct place *top, int depth, rv_error_t *err)
{
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (depth > 64)
    return rv_error_set (err, ELOOP, "`%s`: directories nested too deep", path);
  fd = dup (dfd);
  if (fd < 0)
    return rv_error_make (err, errno, "dup");
  d = fdopendir (fd);
  if (d == NULL)
    {
      int saved = errno;
      close (fd);
      return rv_error_make (err, saved, "opendir `%s`", path);
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      _cleanup_free_ char *child = NULL;
      struct place here;
      int tries, r;
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      child = xasprintf ("%s/%s", path, de->d_name);
      /* Mounts may be stacked: detach until the entry is on ours.  */
      for (tries = 0;; tries++)
        {
          r = place_of (dfd, de->d_name, &here);
          if (r < 0 || same_mount (&here, top))
            break;
          if (tries >= 16 || umount2 (child, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            return rv_error_make (err, tries >= 16 ? EBUSY : errno, "unmount `%s`", child);
        }
      if (r == -ENOENT)
        continue;
      if (r < 0)
        return rv_error_make (err, -r, "stat `%s`", child);
      if (fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno == ENOENT)
            continue;
          return rv_error_make (err, errno, "stat `%s`", child);
        }
      if (S_ISDIR (st.st_mode))
        {
          _cleanup_close_ int cfd = openat (dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (cfd < 0)
            return rv_error_make (err, errno, "open `%s`", child);
          r = remove_children (cfd, child, top, depth + 1, err);
          if (r < 0)
            return r;
          if (unlinkat (dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            return rv_error_make (err, errno, "rmdir `%s`", child);
        }
      else if (unlinkat (dfd, de->d_name, 0) < 0 && errno != ENOENT)
        return rv_error_make (err, errno, "unlink `%s`", child);
    }
  if (errno != 0)
    return rv_error_make (err, errno, "readdir `%s`", path);
  return 0;
}

static int
remove_tree (const char *path, rv_error_t *err)
{
  _cleanup_close_ int dfd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct place top;
  int r;

  if (dfd < 0)
    return rv_error_make (err, errno, "open `%s`", path);
  r = place_of (dfd, ".", &top);
  if (r < 0)
    return rv_error_make (err, -r, "stat `%s`", path);
  r = remove_children (dfd, path, &top, 0, err);
  if (r < 0)
    return r;
  if (rmdir (path) < 0 && errno != ENOENT)
    return rv_error_make (err, errno, "rmdir `%s`", path);
  return 0;
}

/* Private directories whose process is gone are leftovers of a create or
 * remove that was killed half-way.  A PID that exists again (reused) keeps
 * its directory: leaking it is safer than removing one still in use.  */
static void
remove_stale_private (const char *root)
{
  _cleanup_closedir_ DIR *d = opendir (root);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      _cleanup_error_ rv_error_t tmp_err = NULL;
      _cleanup_free_ char *path = NULL;
      const char *p;
      int pid;

      if (str_has_prefix (de->d_name, PRIVATE_NEW))
        p = de->d_name + strlen (PRIVATE_NEW);
      else if (str_has_prefix (de->d_name, PRIVATE_REMOVING))
        p = de->d_name + strlen (PRIVATE_REMOVING);
      else
        continue;
      pid = atoi (p);
      if (pid <= 0 || pid == getpid () || kill (pid, 0) == 0 || errno != ESRCH)
        continue;
      path = xasprintf ("%s/%s", root, de->d_name);
      (void) remove_tree (path, &tmp_err);
    }
}

int
state_create (const char *root, const struct state_record *r, int *ret_lock_fd, rv_error_t *err)
{
  _cleanup_free_ char *tmp = NULL, *final = NULL, *lock_path = NULL, *state_path = NULL, *json = NULL;
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_close_ int lock_fd = -1;
  int ret;

  ret = state_validate_id (r->id, err);
  if (ret < 0)
    return ret;
  ret = state_root_ensure (root, err);
  if (ret < 0)
    return ret;
  final = state_dir (root, r->id);
  if (access (final, F_OK) == 0)
    return rv_error_set (err, EEXIST, "container with id `%s` already exists", r->id);
  remove_stale_private (root);

  tmp = private_dir_create (root, PRIVATE_NEW, true, err);
  if (tmp == NULL)
    return rv_error_ret (*err);

  lock_path = xasprintf ("%s/%s", tmp, LOCK_FILE);
  lock_fd = open (lock_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd < 0)
    {
      ret = rv_error_make (err, errno, "create `%s`", lock_path);
      goto fail;
    }
  if (flock (lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      ret = rv_error_make (err, errno, "lock `%s`", lock_path);
      goto fail;
    }
  state_path = xasprintf ("%s/%s", tmp, STATE_FILE);
  json = state_record_to_json (r);
  ret = write_file_atomic (state_path, json, strlen (json), 0600, err);
  if (ret < 0)
    goto fail;

  /* The point where the ID is taken.  A plain rename() (for file systems
   * without RENAME_NOREPLACE) is as safe here: it replaces only an empty
   * directory, and a live entry never is one.  */
  if (renameat2 (AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) < 0)
    {
      int saved = errno;
      if (saved == EINVAL && rename (tmp, final) == 0)
        goto done;
      if (saved == EINVAL)
        saved = errno;
      if (saved == EEXIST || saved == ENOTEMPTY)
        ret = rv_error_set (err, EEXIST, "container with id `%s` already exists", r->id);
      else
        ret = rv_error_make (err, saved, "rename `%s` to `%s`", tmp, final);
      goto fail;
    }
done:
  *ret_lock_fd = TAKE_FD (lock_fd);
  return 0;

fail:
  (void) remove_tree (tmp, &tmp_err);
  return ret;
}

int
state_load (const char *root, const char *id, struct state_record **ret, rv_error_t *err)
{
  _cleanup_free_ char *path = NULL, *data = NULL;
  struct state_record *r = NULL;
  size_t len = 0;
  int rc;

  rc = state_validate_id (id, err);
  if (rc < 0)
    return rc;
  path = xasprintf ("%s/%s/%s", root, id, STATE_FILE);
  rc = read_file (path, STATE_FILE_MAX, &data, &len, err);
  if (rc < 0)
    {
      if ((*err)->status == ENOENT || (*err)->status == ENOTDIR)
        return rv_error_set (err, ENOENT, "container does not exist");
      return rc;
    }
  rc = state_record_parse (data, len, &r, err);
  if (rc < 0)
    return rv_error_wrap (err, "`%s`", path);
  if (strcmp (r->id, id) != 0)
    {
      state_record_free (r);
      return rv_error_set (err, EINVAL, "`%s`: holds the state of `%s`", path, r->id);
    }
  *ret = r;
  return 0;
}

int
state_save (const char *root, const struct state_record *r, rv_error_t *err)
{
  _cleanup_free_ char *dir = NULL, *path = NULL, *json = NULL;
  struct stat st;
  int rc;

  rc = state_validate_id (r->id, err);
  if (rc < 0)
    return rc;
  dir = state_dir (root, r->id);
  if (stat (dir, &st) < 0)
    {
      if (errno == ENOENT)
        return rv_error_set (err, ENOENT, "container does not exist");
      return rv_error_make (err, errno, "stat `%s`", dir);
    }
  path = xasprintf ("%s/%s", dir, STATE_FILE);
  json = state_record_to_json (r);
  return write_file_atomic (path, json, strlen (json), 0600, err);
}

static int
lock_once (int fd, int op, int timeout_ms)
{
  struct timespec start, now, pause = { 0, 1000000 };

  if (timeout_ms < 0)
    {
      while (flock (fd, op) < 0)
        if (errno != EINTR)
          return -errno;
      return 0;
    }
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      long elapsed;

      if (flock (fd, op | LOCK_NB) == 0)
        return 0;
      if (errno != EWOULDBLOCK && errno != EINTR)
        return -errno;
      clock_gettime (CLOCK_MONOTONIC, &now);
      elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (elapsed >= timeout_ms)
        return -EAGAIN;
      (void) nanosleep (&pause, NULL);
      /* Back off to at most 20 ms between tries.  */
      if (pause.tv_nsec < 20000000)
        pause.tv_nsec *= 2;
    }
}

int
state_lock (const char *root, const char *id, enum state_lock_mode mode, int timeout_ms, int *ret_fd,
            rv_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  int rc, attempt;

  rc = state_validate_id (id, err);
  if (rc < 0)
    return rc;
  path = xasprintf ("%s/%s/%s", root, id, LOCK_FILE);

  /* The entry may be removed (and even created again) while we wait; the
   * lock we got counts only if its file is still the entry's.  */
  for (attempt = 0; attempt < 100; attempt++)
    {
      _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      struct stat a, b;

      if (fd < 0)
        {
          if (errno == ENOENT || errno == ENOTDIR)
            return rv_error_set (err, ENOENT, "container does not exist");
          return rv_error_make (err, errno, "open `%s`", path);
        }
      rc = lock_once (fd, mode == STATE_LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH, timeout_ms);
      if (rc == -EAGAIN)
        return rv_error_set (err, EAGAIN, "container `%s` is busy: another runvm command holds its lock", id);
      if (rc < 0)
        return rv_error_make (err, -rc, "lock `%s`", path);
      if (fstat (fd, &a) < 0)
        return rv_error_make (err, errno, "stat `%s`", path);
      if (stat (path, &b) < 0)
        {
          if (errno == ENOENT || errno == ENOTDIR)
            return rv_error_set (err, ENOENT, "container does not exist");
          return rv_error_make (err, errno, "stat `%s`", path);
        }
      if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        {
          *ret_fd = TAKE_FD (fd);
          return 0;
        }
    }
  return rv_error_set (err, EAGAIN, "container `%s` is busy: created and removed repeatedly", id);
}

int
state_remove (const char *root, const char *id, rv_error_t *err)
{
  _cleanup_free_ char *dir = NULL, *away = NULL;
  int rc;

  rc = state_validate_id (id, err);
  if (rc < 0)
    return rc;
  dir = state_dir (root, id);
  away = private_dir_create (root, PRIVATE_REMOVING, false, err);
  if (away == NULL)
    return rv_error_ret (*err);
  if (rename (dir, away) < 0)
    {
      if (errno == ENOENT)
        return rv_error_set (err, ENOENT, "container does not exist");
      return rv_error_make (err, errno, "rename `%s` to `%s`", dir, away);
    }
  rc = remove_tree (away, err);
  if (rc < 0)
    return rv_error_wrap (err, "remove container `%s`", id);
  return 0;
}

void
state_entries_free (struct state_entry *entries, size_t len)
{
  size_t i;

  if (entries == NULL)
    return;
  for (i = 0; i < len; i++)
    {
      free (entries[i].id);
      state_record_free (entries[i].record);
      rv_error_release (&entries[i].error);
    }
  free (entries);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
state_list (const char *root, struct state_entry **ret, size_t *ret_len, rv_error_t *err)
{
  _cleanup_closedir_ DIR *d = opendir (root);
  _cleanup_strv_ char **names = NULL;
  struct state_entry *entries;
  struct dirent *de;
  size_t n, i;

  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ret = NULL;
          *ret_len = 0;
          return 0;
        }
      return rv_error_make (err, errno, "open `%s`", root);
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      _cleanup_error_ rv_error_t tmp_err = NULL;
      struct stat st;

      if (state_validate_id (de->d_name, &tmp_err) < 0)
        continue; /* ".", "..", private directories, foreign files.  */
      if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
        continue;
      strv_append (&names, de->d_name);
    }
  if (errno != 0)
    return rv_error_make (err, errno, "readdir `%s`", root);

  n = strv_len (names);
  if (n > 0)
    qsort (names, n, sizeof (char *), compare_names);
  entries = xcalloc (n + 1, sizeof (*entries));
  for (i = 0; i < n; i++)
    {
      struct stat st;

      entries[i].id = xstrdup (names[i]);
      if (fstatat (dirfd (d), names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
        entries[i].uid = st.st_uid;
      else
        entries[i].uid = (uid_t) -1;
      (void) state_load (root, names[i], &entries[i].record, &entries[i].error);
    }
  /* Entries removed while we looked are not reported.  */
  for (i = 0; i < n;)
    if (entries[i].error && entries[i].error->status == ENOENT
        && fstatat (dirfd (d), entries[i].id, &(struct stat){ 0 }, AT_SYMLINK_NOFOLLOW) < 0
        && errno == ENOENT)
      {
        free (entries[i].id);
        rv_error_release (&entries[i].error);
        memmove (&entries[i], &entries[i + 1], (n - i) * sizeof (*entries));
        n--;
      }
    else
      i++;
  *ret = entries;
  *ret_len = n;
  return 0;
}
