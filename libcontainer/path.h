/* Paths resolved inside a root directory, as if the root were "/".
 *
 * Mount targets, device nodes and symlinks of a container are named by
 * paths that the image controls: a symlink in the image (absolute or
 * relative, or a chain of them) or a ".." must never make an operation land
 * outside the rootfs.  Every function here resolves PATH below ROOTFD the
 * way the kernel would after chroot (ROOTFD): ".." at the root stays at the
 * root, an absolute symlink restarts at the root.
 *
 * openat2 (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) does it where the
 * kernel has it (5.6+); otherwise the walk goes one component at a time
 * with O_NOFOLLOW and follows each symlink by hand.  Creation always walks
 * (each step is a single-component operation relative to a directory fd).  */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Tests set this to force the component-by-component fallback.  */
extern bool lc_path_force_fallback;

/* Opens PATH inside ROOTFD with FLAGS (O_PATH, O_RDONLY, O_DIRECTORY...;
 * O_CLOEXEC is added).  The last component is followed when it is a
 * symlink, inside the root.  */
int lc_path_open_in_root (int rootfd, const char *path, int flags, int *ret_fd, rv_error_t *err);

/* Opens the directory PATH inside ROOTFD, creating it and missing parents
 * with MODE.  Returns an O_PATH | O_DIRECTORY fd.  */
int lc_path_mkdir_in_root (int rootfd, const char *path, mode_t mode, int *ret_fd, rv_error_t *err);

/* Opens PATH inside ROOTFD as an O_PATH fd, creating it when missing: an
 * empty regular file with MODE when AS_FILE, else a directory.  Parents are
 * created as directories (0755).  */
int lc_path_create_in_root (int rootfd, const char *path, bool as_file, mode_t mode, int *ret_fd,
                            rv_error_t *err);

/* Opens the parent directory of PATH inside ROOTFD (created with 0755 when
 * missing) and returns the last component in *RET_NAME.  PATH must name
 * something below the root ("/" has no parent: EINVAL).  The last
 * component is not resolved, so the caller may create, replace or unlink
 * it with the *at() calls.  */
int lc_path_open_parent_in_root (int rootfd, const char *path, int *ret_dirfd, char **ret_name,
                                 rv_error_t *err);

/* "/proc/self/fd/N" for FD, in BUF (at least 32 bytes).  Operations that
 * take a path (mount, chmod) act on what FD refers to through it.  */
const char *lc_path_fd_proc (int fd, char buf[static 32]);

/* The absolute path the kernel reports for FD (readlink of
 * /proc/self/fd/N).  */
int lc_path_fd_path (int fd, char **ret, rv_error_t *err);

/* Whether PATH is ROOT or below it, comparing whole components.  */
bool lc_path_is_below (const char *root, const char *path);

/* A clean absolute form of PATH: one leading "/", no "//", ".", trailing
 * "/", and ".." resolved lexically (never above "/").  */
char *lc_path_clean (const char *path);
