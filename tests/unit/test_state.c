/* The state store (runtime/state.h): IDs, atomic creation under races,
 * locking between writers and readers, status derivation with PID reuse,
 * listing with broken entries, removal that never crosses mounts.  */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/state.h"
#include "tests/unit/support/run.h"

static char *root;

static void
setup (void)
{
  char *base = make_temp_dir ();
  /* A root that does not exist yet: state_create makes it.  */
  root = xasprintf ("%s/root", base);
  free (base);
}

static void
teardown (void)
{
  char *base = xstrndup (root, strlen (root) - strlen ("/root"));
  remove_temp_dir (base);
  free (base);
  free (root);
}

static struct state_record *
new_record (const char *id)
{
  struct state_record *r = xmalloc0 (sizeof (*r));
  uint64_t start = 0;

  cr_assert_eq (proc_pid_stat (getpid (), &start, NULL), 0);
  r->oci_version = xstrdup ("1.2.0");
  r->id = xstrdup (id);
  r->status = STATE_CREATING;
  r->creator_pid = getpid ();
  r->creator_start_time = start;
  r->bundle = xstrdup ("/b");
  r->rootfs = xstrdup ("/b/rootfs");
  r->created = state_time_now ();
  r->owner = xstrdup ("root");
  return r;
}

static size_t
count_entries (const char *dir, bool private_only)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;

  cr_assert_not_null (d);
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (!private_only || de->d_name[0] == ':')
        n++;
    }
  closedir (d);
  return n;
}

Test (state, id_rules)
{
  static const char *const good[] = { "a", "A-b_c.d+e", "0", "...", ".x", "x..", NULL };
  static const char *const bad[] = { "", ".", "..", "a/b", "a b", "a:b", "a,b", "é", "a\n", NULL };
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *longest = xmalloc (STATE_ID_MAX + 2);
  size_t i;

  for (i = 0; good[i]; i++)
    cr_assert_eq (state_validate_id (good[i], &err), 0, "%s", good[i]);
  for (i = 0; bad[i]; i++)
    {
      cr_assert_eq (state_validate_id (bad[i], &err), -EINVAL, "%s", bad[i]);
      cr_assert_str_eq (err->msg, i == 0 ? "container id cannot be empty" : "invalid container ID format");
    }
  memset (longest, 'a', STATE_ID_MAX + 1);
  longest[STATE_ID_MAX + 1] = '\0';
  cr_assert_lt (state_validate_id (longest, &err), 0);
  longest[STATE_ID_MAX] = '\0';
  cr_assert_eq (state_validate_id (longest, &err), 0);
}

Test (state, time_format_as_go)
{
  struct timespec a = { 1795334938, 502301392 }, b = { 1795334938, 500000000 }, c = { 1795334938, 0 };
  _cleanup_free_ char *sa = state_time_format (&a), *sb = state_time_format (&b),
                      *sc = state_time_format (&c);

  cr_assert_str_eq (sa, "2026-11-22T08:08:58.502301392Z");
  cr_assert_str_eq (sb, "2026-11-22T08:08:58.5Z");
  cr_assert_str_eq (sc, "2026-11-22T08:08:58Z");
}

Test (state, create_load_roundtrip, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record *r = new_record ("c1"), *l = NULL;
  _cleanup_free_ char *dir = state_dir (root, "c1");
  struct stat st;
  int lock = -1;

  r->annotations_len = 2;
  r->annotations = xcalloc (2, sizeof (*r->annotations));
  r->annotations[0].key = xstrdup ("z");
  r->annotations[0].value = xstrdup ("<&>\"\n");
  r->annotations[1].key = xstrdup ("a");
  r->annotations[1].value = xstrdup ("1");
  r->launcher = xstrdup ("qemu");
  r->transport = xstrdup ("hybrid:/run/runvm/c1/vsock.sock:1024");
  r->has_exit_status = true;
  r->exit_status = 137;
  cr_assert_eq (state_create (root, r, &lock, &err), 0, "%s", err ? err->msg : "");
  cr_assert_geq (lock, 0);
  cr_assert_eq (stat (root, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0700);
  cr_assert_eq (stat (dir, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0700);

  cr_assert_eq (state_load (root, "c1", &l, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (l->id, "c1");
  cr_assert_eq (l->status, STATE_CREATING);
  cr_assert_eq (l->creator_pid, getpid ());
  cr_assert_eq (l->creator_start_time, r->creator_start_time);
  cr_assert_str_eq (l->created, r->created);
  cr_assert_str_eq (l->rootfs, "/b/rootfs");
  cr_assert_eq (l->annotations_len, 2);
  cr_assert_str_eq (l->annotations[0].key, "z");
  cr_assert_str_eq (l->annotations[0].value, "<&>\"\n");
  cr_assert_str_eq (l->launcher, "qemu");
  cr_assert_str_eq (l->transport, r->transport);
  cr_assert (l->has_exit_status);
  cr_assert_eq (l->exit_status, 137);
  cr_assert_eq (count_entries (root, true), 0);

  /* An update replaces the file as a whole.  */
  l->status = STATE_CREATED;
  l->pid = 42;
  cr_assert_eq (state_save (root, l, &err), 0);
  state_record_free (l);
  cr_assert_eq (state_load (root, "c1", &l, &err), 0);
  cr_assert_eq (l->status, STATE_CREATED);
  cr_assert_eq (l->pid, 42);
  state_record_free (l);
  state_record_free (r);
  close (lock);
}

Test (state, load_errors, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *dir = NULL, *file = NULL;
  struct state_record *l = NULL;

  cr_assert_eq (state_load (root, "nosuch", &l, &err), -ENOENT);
  cr_assert_str_eq (err->msg, "container does not exist");
  cr_assert_eq (state_load (root, "../x", &l, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "invalid container ID format");

  cr_assert_eq (state_root_ensure (root, &err), 0);
  dir = state_dir (root, "broken");
  cr_assert_eq (mkdir (dir, 0700), 0);
  /* A directory without state.json is no container (runc says the same).  */
  cr_assert_eq (state_load (root, "broken", &l, &err), -ENOENT);
  file = xasprintf ("%s/state.json", dir);
  cr_assert_eq (write_file_atomic (file, "{\"id\":", 6, 0600, &err), 0);
  cr_assert_eq (state_load (root, "broken", &l, &err), -EINVAL);
  cr_assert (strstr (err->msg, "state.json") != NULL, "%s", err->msg);
  cr_assert_null (l);
}

Test (state, second_create_fails_and_leaves_nothing, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record *r = new_record ("dup"), *l = NULL;
  int lock = -1, lock2 = -1;

  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  free (r->bundle);
  r->bundle = xstrdup ("/other");
  cr_assert_eq (state_create (root, r, &lock2, &err), -EEXIST);
  cr_assert_str_eq (err->msg, "container with id `dup` already exists");
  cr_assert_eq (lock2, -1);
  cr_assert_eq (count_entries (root, false), 1);
  cr_assert_eq (state_load (root, "dup", &l, &err), 0);
  cr_assert_str_eq (l->bundle, "/b");
  state_record_free (l);
  state_record_free (r);
  close (lock);
}

/* 20 processes create one ID at once, released together through a pipe:
 * exactly one wins, every other gets EEXIST, the winner's entry is intact
 * and no private directory is left behind.  */
Test (state, racing_creates_of_one_id, .init = setup, .fini = teardown)
{
  enum
  {
    RACERS = 20
  };
  _cleanup_error_ rv_error_t err = NULL;
  pid_t pids[RACERS];
  int go[2], i, winners = 0, losers = 0;
  struct state_record *l = NULL;
  char winner_bundle[32];

  cr_assert_eq (pipe (go), 0);
  for (i = 0; i < RACERS; i++)
    {
      pids[i] = fork ();
      cr_assert_geq (pids[i], 0);
      if (pids[i] == 0)
        {
          rv_error_t cerr = NULL;
          struct state_record *r;
          char c;
          int lock = -1, ret;

          close (go[1]);
          if (read (go[0], &c, 1) != 0)
            _exit (3);
          r = new_record ("racer");
          free (r->bundle);
          r->bundle = xasprintf ("/bundle-%d", i);
          ret = state_create (root, r, &lock, &cerr);
          if (ret == 0)
            {
              /* Hold the lock a moment, as a real create would.  */
              usleep (20000);
              _exit (0);
            }
          _exit (ret == -EEXIST && strstr (cerr->msg, "already exists") ? 1 : 2);
        }
    }
  close (go[0]);
  close (go[1]); /* EOF releases all racers at once.  */
  for (i = 0; i < RACERS; i++)
    {
      int status;
      cr_assert_eq (waitpid (pids[i], &status, 0), pids[i]);
      cr_assert (WIFEXITED (status));
      cr_assert_neq (WEXITSTATUS (status), 2, "a racer failed with something else than EEXIST");
      cr_assert_neq (WEXITSTATUS (status), 3);
      if (WEXITSTATUS (status) == 0)
        {
          winners++;
          snprintf (winner_bundle, sizeof (winner_bundle), "/bundle-%d", i);
        }
      else
        losers++;
    }
  cr_assert_eq (winners, 1);
  cr_assert_eq (losers, RACERS - 1);
  cr_assert_eq (count_entries (root, false), 1, "only the winner's entry may remain");
  cr_assert_eq (state_load (root, "racer", &l, &err), 0);
  cr_assert_str_eq (l->bundle, winner_bundle);
  state_record_free (l);
}

/* Racers for different IDs do not get in each other's way.  */
Test (state, racing_creates_of_many_ids, .init = setup, .fini = teardown)
{
  enum
  {
    RACERS = 12
  };
  pid_t pids[RACERS];
  int i;

  for (i = 0; i < RACERS; i++)
    {
      pids[i] = fork ();
      cr_assert_geq (pids[i], 0);
      if (pids[i] == 0)
        {
          rv_error_t cerr = NULL;
          char id[16];
          int lock = -1;
          snprintf (id, sizeof (id), "c%d", i);
          _exit (state_create (root, new_record (id), &lock, &cerr) == 0 ? 0 : 1);
        }
    }
  for (i = 0; i < RACERS; i++)
    {
      int status;
      cr_assert_eq (waitpid (pids[i], &status, 0), pids[i]);
      cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  cr_assert_eq (count_entries (root, false), RACERS);
}

static void
write_slowly (const char *path, unsigned value)
{
  char text[32];
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int n = snprintf (text, sizeof (text), "%u", value);

  cr_assert_geq (fd, 0);
  /* Torn on purpose: a reader that does not hold the lock would see an
   * empty or half-written file.  */
  cr_assert_eq (write (fd, text, 1), 1);
  usleep (200);
  cr_assert_eq (write (fd, text + 1, (size_t) n - 1), n - 1);
  close (fd);
}

/* Writers update state.json and a side file together under the exclusive
 * lock; readers holding the shared lock must always see both agree.
 * Readers without any lock must still always parse state.json (it is
 * replaced atomically).  */
Test (state, writers_and_readers_under_the_lock, .init = setup, .fini = teardown)
{
  enum
  {
    WRITERS = 3,
    READERS = 4,
    ROUNDS = 60
  };
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *side = NULL;
  struct state_record *r = new_record ("shared");
  pid_t pids[WRITERS + READERS + 1];
  int lock = -1, i, n = 0;

  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  side = xasprintf ("%s/shared/side", root);
  write_slowly (side, 0);
  close (lock);

  for (i = 0; i < WRITERS; i++)
    {
      pids[n] = fork ();
      if (pids[n++] == 0)
        {
          int k;
          for (k = 0; k < ROUNDS; k++)
            {
              rv_error_t e = NULL;
              int fd = -1;
              unsigned v = (unsigned) (i * 1000 + k + 1);
              if (state_lock (root, "shared", STATE_LOCK_EXCLUSIVE, -1, &fd, &e) < 0)
                _exit (10);
              r->pid = (pid_t) v;
              if (state_save (root, r, &e) < 0)
                _exit (11);
              write_slowly (side, v);
              close (fd);
            }
          _exit (0);
        }
    }
  for (i = 0; i < READERS; i++)
    {
      pids[n] = fork ();
      if (pids[n++] == 0)
        {
          int k;
          for (k = 0; k < ROUNDS * 2; k++)
            {
              rv_error_t e = NULL;
              struct state_record *l = NULL;
              char *text = NULL;
              int fd = -1;
              if (state_lock (root, "shared", STATE_LOCK_SHARED, 5000, &fd, &e) < 0)
                _exit (20);
              if (state_load (root, "shared", &l, &e) < 0 || read_file (side, 0, &text, NULL, &e) < 0)
                _exit (21);
              if ((unsigned) l->pid != (unsigned) strtoul (text, NULL, 10)
                  && !(l->pid == 0 && strcmp (text, "0") == 0))
                _exit (22);
              close (fd);
              state_record_free (l);
              free (text);
            }
          _exit (0);
        }
    }
  /* A lock-free reader: every load must succeed.  */
  pids[n] = fork ();
  if (pids[n++] == 0)
    {
      int k;
      for (k = 0; k < ROUNDS * 4; k++)
        {
          rv_error_t e = NULL;
          struct state_record *l = NULL;
          if (state_load (root, "shared", &l, &e) < 0)
            _exit (30);
          state_record_free (l);
        }
      _exit (0);
    }
  for (i = 0; i < n; i++)
    {
      int status;
      cr_assert_eq (waitpid (pids[i], &status, 0), pids[i]);
      cr_assert (WIFEXITED (status), "process %d died", i);
      cr_assert_eq (WEXITSTATUS (status), 0, "process %d failed with %d", i, WEXITSTATUS (status));
    }
  state_record_free (r);
}

Test (state, lock_modes_and_timeouts, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record *r = new_record ("l");
  int lock = -1, a = -1, b = -1, sync_pipe[2], status;
  struct timespec t0, t1;
  long ms;
  pid_t child;
  char c;

  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  close (lock);

  /* Two shared holders at once.  */
  cr_assert_eq (state_lock (root, "l", STATE_LOCK_SHARED, 0, &a, &err), 0);
  cr_assert_eq (state_lock (root, "l", STATE_LOCK_SHARED, 0, &b, &err), 0);
  close (a);
  close (b);

  /* A child holds it exclusively; we give up after the timeout.  */
  cr_assert_eq (pipe (sync_pipe), 0);
  child = fork ();
  if (child == 0)
    {
      rv_error_t e = NULL;
      int fd = -1;
      if (state_lock (root, "l", STATE_LOCK_EXCLUSIVE, -1, &fd, &e) < 0)
        _exit (1);
      (void) !write (sync_pipe[1], "x", 1);
      pause ();
      _exit (0);
    }
  cr_assert_eq (read (sync_pipe[0], &c, 1), 1);
  cr_assert_eq (state_lock (root, "l", STATE_LOCK_SHARED, 0, &a, &err), -EAGAIN);
  cr_assert (strstr (err->msg, "busy") != NULL);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  cr_assert_eq (state_lock (root, "l", STATE_LOCK_EXCLUSIVE, 150, &a, &err), -EAGAIN);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  cr_assert (ms >= 150 && ms < 2000, "waited %ld ms", ms);

  /* Once the holder is gone the lock is free again.  */
  kill (child, SIGKILL);
  waitpid (child, &status, 0);
  cr_assert_eq (state_lock (root, "l", STATE_LOCK_EXCLUSIVE, 1000, &a, &err), 0);
  close (a);
  state_record_free (r);
}

Test (state, lock_of_removed_entry, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record *r = new_record ("gone");
  int lock = -1, fd = -1, sync_pipe[2], status;
  pid_t child;
  char c;

  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  cr_assert_eq (pipe (sync_pipe), 0);
  /* The child waits for the lock the creator holds; meanwhile the entry
   * is removed.  It must not end up holding the lock of a dead entry.  */
  child = fork ();
  if (child == 0)
    {
      rv_error_t e = NULL;
      int cfd = -1, ret;
      /* The inherited descriptor shares the creator's lock.  */
      close (lock);
      (void) !write (sync_pipe[1], "x", 1);
      ret = state_lock (root, "gone", STATE_LOCK_EXCLUSIVE, 5000, &cfd, &e);
      _exit (ret == -ENOENT ? 0 : 1);
    }
  cr_assert_eq (read (sync_pipe[0], &c, 1), 1);
  usleep (50000);
  cr_assert_eq (state_remove (root, "gone", &err), 0);
  close (lock);
  cr_assert_eq (waitpid (child, &status, 0), child);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  cr_assert_eq (state_lock (root, "gone", STATE_LOCK_SHARED, 0, &fd, &err), -ENOENT);
  state_record_free (r);
}

Test (state, remove, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record *r = new_record ("rm");
  _cleanup_free_ char *deep = NULL, *file = NULL;
  int lock = -1;

  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  close (lock);
  deep = xasprintf ("%s/rm/shared/a/b", root);
  cr_assert_eq (mkdir_p (deep, 0700, &err), 0);
  file = xasprintf ("%s/f", deep);
  cr_assert_eq (write_file_atomic (file, "x", 1, 0600, &err), 0);
  cr_assert_eq (state_remove (root, "rm", &err), 0);
  cr_assert_eq (count_entries (root, false), 0);
  cr_assert_eq (state_remove (root, "rm", &err), -ENOENT);
  cr_assert_str_eq (err->msg, "container does not exist");
  state_record_free (r);
}

/* A bind mount left inside the entry (the monitor shares the bundle's
 * rootfs through <state>/shared) is detached; what it showed survives.  */
Test (state, remove_does_not_cross_mounts, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record *r = new_record ("mnt");
  _cleanup_free_ char *base = xstrndup (root, strlen (root) - 5), *src = NULL, *precious = NULL,
                      *target = NULL;
  int lock = -1;

  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  close (lock);
  src = xasprintf ("%s/bundle-rootfs", base);
  cr_assert_eq (mkdir (src, 0700), 0);
  precious = xasprintf ("%s/precious", src);
  cr_assert_eq (write_file_atomic (precious, "keep", 4, 0600, &err), 0);
  target = xasprintf ("%s/mnt/shared/rootfs", root);
  cr_assert_eq (mkdir_p (target, 0700, &err), 0);
  if (mount (src, target, NULL, MS_BIND, NULL) < 0)
    cr_skip_test ("bind mounts need CAP_SYS_ADMIN: %s", strerror (errno));
  if (state_remove (root, "mnt", &err) < 0)
    {
      /* Leave no mount behind, wherever removal left the entry.  */
      DIR *d = opendir (root);
      struct dirent *de;
      (void) umount2 (target, MNT_DETACH);
      while (d && (de = readdir (d)))
        {
          _cleanup_free_ char *moved = xasprintf ("%s/%s/shared/rootfs", root, de->d_name);
          (void) umount2 (moved, MNT_DETACH);
        }
      if (d)
        closedir (d);
      cr_assert_fail ("%s", err->msg);
    }
  cr_assert_eq (access (precious, F_OK), 0, "the bind-mounted directory lost its content");
  cr_assert_eq (count_entries (root, false), 0);
  state_record_free (r);
}

static pid_t
zombie (void)
{
  siginfo_t info;
  pid_t p = fork ();

  if (p == 0)
    _exit (0);
  /* Wait for the exit without reaping: it stays a zombie.  */
  cr_assert_eq (waitid (P_PID, (id_t) p, &info, WEXITED | WNOWAIT), 0);
  return p;
}

Test (state, status_derivation)
{
  struct state_record *r = new_record ("s");
  uint64_t start = 0;
  pid_t z;

  cr_assert_eq (proc_pid_stat (getpid (), &start, NULL), 0);
  cr_assert_eq (state_status_current (r), STATE_CREATING);

  /* The creator died before finishing.  */
  r->creator_pid = 999999999;
  cr_assert_eq (state_status_current (r), STATE_STOPPED);

  r->status = STATE_CREATED;
  r->pid = getpid ();
  r->pid_start_time = start;
  cr_assert_eq (state_status_current (r), STATE_CREATED);
  r->status = STATE_RUNNING;
  cr_assert_eq (state_status_current (r), STATE_RUNNING);
  r->status = STATE_PAUSED;
  cr_assert_eq (state_status_current (r), STATE_PAUSED);

  /* The PID now belongs to another process (different start time).  */
  r->pid_start_time = start + 1;
  cr_assert_eq (state_status_current (r), STATE_STOPPED);
  cr_assert (!proc_pid_alive (getpid (), start + 1));
  cr_assert (proc_pid_alive (getpid (), start));

  /* A zombie is dead.  */
  z = zombie ();
  cr_assert_eq (proc_pid_stat (z, &start, NULL), 0);
  r->pid = z;
  r->pid_start_time = start;
  cr_assert_eq (state_status_current (r), STATE_STOPPED);
  waitpid (z, NULL, 0);

  /* A recorded exit status wins over a live monitor.  */
  r->pid = getpid ();
  cr_assert_eq (proc_pid_stat (getpid (), &r->pid_start_time, NULL), 0);
  r->status = STATE_RUNNING;
  r->has_exit_status = true;
  cr_assert_eq (state_status_current (r), STATE_STOPPED);
  state_record_free (r);
}

/* The command name (field 2 of /proc/<pid>/stat) may contain ") " and
 * must not shift the fields after it.  */
Test (state, proc_stat_with_odd_command_name)
{
  uint64_t own = 0, theirs = 0;
  int p[2];
  char c;
  pid_t child;

  cr_assert_eq (pipe (p), 0);
  child = fork ();
  if (child == 0)
    {
      prctl (PR_SET_NAME, "a) b (c) 9 9", 0, 0, 0);
      (void) !write (p[1], "x", 1);
      pause ();
      _exit (0);
    }
  cr_assert_eq (read (p[0], &c, 1), 1);
  cr_assert_eq (proc_pid_stat (child, &theirs, NULL), 0);
  cr_assert_eq (proc_pid_stat (getpid (), &own, NULL), 0);
  /* The child started after us, within the test's lifetime.  */
  cr_assert_geq (theirs, own);
  cr_assert_lt (theirs - own, 100 * 600);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  cr_assert_eq (proc_pid_stat (child, &theirs, NULL), -ESRCH);
}

Test (state, list_sorted_with_broken_entries, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_entry *e = NULL;
  _cleanup_free_ char *broken = NULL, *priv = NULL, *file = NULL;
  size_t n = 0;
  const char *ids[] = { "b", "a", "c" };
  int i, lock;

  cr_assert_eq (state_list (root, &e, &n, &err), 0, "a missing root is an empty list");
  cr_assert_eq (n, 0);
  state_entries_free (e, n);

  for (i = 0; i < 3; i++)
    {
      struct state_record *r = new_record (ids[i]);
      cr_assert_eq (state_create (root, r, &lock, &err), 0);
      close (lock);
      state_record_free (r);
    }
  broken = xasprintf ("%s/b2", root);
  cr_assert_eq (mkdir (broken, 0700), 0);
  file = xasprintf ("%s/state.json", broken);
  cr_assert_eq (write_file_atomic (file, "nonsense", 8, 0600, &err), 0);
  priv = xasprintf ("%s/:new:1:x", root);
  cr_assert_eq (mkdir (priv, 0700), 0);

  cr_assert_eq (state_list (root, &e, &n, &err), 0);
  cr_assert_eq (n, 4);
  cr_assert_str_eq (e[0].id, "a");
  cr_assert_str_eq (e[1].id, "b");
  cr_assert_str_eq (e[2].id, "b2");
  cr_assert_str_eq (e[3].id, "c");
  cr_assert_not_null (e[0].record);
  cr_assert_null (e[2].record);
  cr_assert_not_null (e[2].error);
  cr_assert_eq (e[0].uid, geteuid ());
  state_entries_free (e, n);
}

/* Leftovers of a create killed half-way (private directories of a dead
 * process) are cleaned up by the next create; live ones are kept.  */
Test (state, stale_private_directories, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *dead = NULL, *live = NULL;
  struct state_record *r = new_record ("x");
  pid_t gone;
  int lock;

  gone = fork ();
  if (gone == 0)
    _exit (0);
  waitpid (gone, NULL, 0);
  cr_assert_eq (state_root_ensure (root, &err), 0);
  dead = xasprintf ("%s/:new:%d:1", root, (int) gone);
  live = xasprintf ("%s/:new:%d:1", root, (int) getppid ());
  cr_assert_eq (mkdir (dead, 0700), 0);
  cr_assert_eq (mkdir (live, 0700), 0);
  cr_assert_eq (state_create (root, r, &lock, &err), 0);
  close (lock);
  cr_assert_neq (access (dead, F_OK), 0);
  cr_assert_eq (access (live, F_OK), 0);
  state_record_free (r);
}

/* What create made of the host cgroup survives the file: a list, an
 * empty list (nothing was ours), or no list at all (an older record).  */
Test (state, cgroup_made_roundtrip)
{
  static char *made[] = { (char *) "/sys/fs/cgroup/memory/a", (char *) "/sys/fs/cgroup/memory/a/b", NULL };
  static char *none[] = { NULL };
  char **lists[] = { made, none, NULL };
  size_t i;

  for (i = 0; i < 3; i++)
    {
      struct state_record r = { .oci_version = (char *) "1.2.0",
                                .id = (char *) "x",
                                .bundle = (char *) "/b",
                                .created = (char *) "2024-01-01T00:00:00Z",
                                .cgroup_path = (char *) "/a/b",
                                .cgroup_made = lists[i] };
      _cleanup_free_ char *text = state_record_to_json (&r);
      struct state_record *back = NULL, *dup = NULL;
      rv_error_t err = NULL;

      cr_assert_eq (state_record_parse (text, strlen (text), &back, &err), 0, "%s", err ? err->msg : "");
      dup = state_record_dup (back);
      if (lists[i] == NULL)
        {
          cr_assert_null (back->cgroup_made, "%s", text);
          cr_assert_null (dup->cgroup_made);
        }
      else
        {
          size_t j;
          cr_assert_not_null (back->cgroup_made, "%s", text);
          cr_assert_eq (strv_len (back->cgroup_made), strv_len (lists[i]));
          cr_assert_eq (strv_len (dup->cgroup_made), strv_len (lists[i]));
          for (j = 0; lists[i][j]; j++)
            cr_assert_str_eq (back->cgroup_made[j], lists[i][j]);
        }
      state_record_free (back);
      state_record_free (dup);
    }
  {
    const char *bad = "{\"ociVersion\":\"1.2.0\",\"id\":\"x\",\"status\":\"creating\",\"bundle\":\"/b\","
                      "\"runvm\":{\"created\":\"t\",\"cgroupMade\":[1]}}";
    struct state_record *r = NULL;
    rv_error_t err = NULL;
    cr_assert_lt (state_record_parse (bad, strlen (bad), &r, &err), 0);
    cr_assert (strstr (err->msg, "cgroupMade[0]") != NULL, "%s", err->msg);
    rv_error_release (&err);
  }
}
