#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/kmod.h"
#include "common/utils.h"

static bool
name_eq (const char *a, const char *b, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      char x = a[i] == '-' ? '_' : a[i];
      char y = b[i] == '-' ? '_' : b[i];
      if (x != y || x == '\0')
        return false;
    }
  return true;
}

char *
kmod_cmdline_params (const char *cmdline, const char *module)
{
  _cleanup_free_ char *copy = xstrdup (cmdline ? cmdline : "");
  size_t mlen = strlen (module);
  char *out = xstrdup (""), *save = NULL, *tok;

  /* Quoted values with spaces are not used on runvm's command lines; a
   * whitespace split is enough and never reads past the string.  */
  for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save))
    {
      char *joined;
      if (strlen (tok) <= mlen + 1 || tok[mlen] != '.' || !name_eq (tok, module, mlen))
        continue;
      joined = *out ? xasprintf ("%s %s", out, tok + mlen + 1) : xstrdup (tok + mlen + 1);
      free (out);
      out = joined;
    }
  return out;
}

int
kmod_load_list (const char *list, const char *cmdline, rv_error_t *err)
{
  _cleanup_free_ char *data = NULL, *dir = NULL, *own_cmdline = NULL;
  const char *slash = strrchr (list, '/');
  char *save = NULL, *line;
  int r;

  dir = slash ? xstrndup (list, (size_t) (slash - list)) : xstrdup (".");
  if (cmdline == NULL)
    {
      r = read_file ("/proc/cmdline", 65536, &own_cmdline, NULL, err);
      if (r < 0)
        return r;
      cmdline = own_cmdline;
    }
  r = read_file (list, 1 << 20, &data, NULL, err);
  if (r < 0)
    return r;

  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      _cleanup_free_ char *path = NULL, *module = NULL, *params = NULL;
      _cleanup_close_ int fd = -1;

      if (*line == '\0' || *line == '#')
        continue;
      path = xasprintf ("%s/%s", dir, line);
      module = xstrdup (line);
      if (str_has_suffix (module, ".ko"))
        module[strlen (module) - 3] = '\0';
      params = kmod_cmdline_params (cmdline, module);

      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return rv_error_make (err, errno, "open module `%s`", path);
      if (syscall (SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST)
        return rv_error_make (err, errno, "load module `%s`", module);
    }
  return 0;
}
