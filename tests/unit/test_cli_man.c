/* man/: a page per verb of the CLI, each rendering without a warning and
 * naming every flag the verb's --help lists.  The verbs and flags are read
 * from the built runvm, so a verb or flag added without documentation
 * fails here.  */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/unit/support/run.h"

static char *
man_dir (void)
{
  const char *b = getenv ("RUNVM_BUILDDIR");
  char *p;

  if (access ("man/runvm.8", F_OK) == 0)
    return xstrdup ("man");
  p = xasprintf ("%s/../man", b ? b : ".");
  cr_assert_eq (access (p, F_OK), 0, "cannot find man/ (run from the source tree)");
  return p;
}

/* The page rendered as a reader sees it, 80 columns wide, in ASCII.
 * Fails on any warning from groff.  */
static char *
render (const char *page)
{
  char *const argv[] = { (char *) "env",
                         (char *) "MANWIDTH=80",
                         (char *) "LC_ALL=C",
                         (char *) "MAN_KEEP_FORMATTING=",
                         (char *) "man",
                         (char *) "--warnings",
                         (char *) "-l",
                         (char *) page,
                         NULL };
  struct run_result r = { 0 };
  char *out;

  cr_assert_eq (run_argv (&r, NULL, NULL, NULL, argv), 0);
  cr_assert_eq (r.status, 0, "man %s: %s", page, r.err);
  cr_assert_str_eq (r.err, "", "man --warnings %s", page);
  cr_assert_gt (strlen (r.out), 200, "%s rendered to almost nothing", page);
  out = TAKE_PTR (r.out);
  run_result_free (&r);
  return out;
}

/* The section of help text after HEADER up to the next blank line.  */
static char **
section_lines (const char *help, const char *header)
{
  const char *p = strstr (help, header);
  char **lines = NULL;

  cr_assert_not_null (p, "no %s in help", header);
  p += strlen (header);
  while (*p && *p != '\n')
    {
      const char *nl = strchr (p, '\n');
      _cleanup_free_ char *line = xstrndup (p, nl ? (size_t) (nl - p) : strlen (p));
      if (line[strspn (line, " ")] != '\0')
        strv_append (&lines, line);
      p = nl ? nl + 1 : p + strlen (p);
    }
  return lines;
}

/* "   --bundle value, -b value  path to..." gives "--bundle" and "-b".  */
static char **
flag_spellings (char **option_lines)
{
  char **out = NULL;
  size_t i;

  for (i = 0; option_lines && option_lines[i]; i++)
    {
      const char *l = option_lines[i] + strspn (option_lines[i], " ");
      const char *end = strstr (l, "  ");
      _cleanup_free_ char *names = NULL;
      char *save = NULL, *tok;

      if (*l != '-')
        continue; /* continuation of a multi-line usage.  */
      names = end ? xstrndup (l, (size_t) (end - l)) : xstrdup (l);
      for (tok = strtok_r (names, ", ", &save); tok; tok = strtok_r (NULL, ", ", &save))
        if (tok[0] == '-' && !strv_contains (out, tok))
          strv_append (&out, tok);
    }
  return out;
}

static char *
help_of (const char *verb)
{
  struct run_result r = { 0 };
  char *const args[] = { (char *) verb, (char *) "--help", NULL };
  char *const app[] = { (char *) "--help", NULL };
  char *out;

  cr_assert_eq (run_runvm (&r, NULL, verb ? args : app), 0);
  cr_assert_eq (r.status, 0);
  out = TAKE_PTR (r.out);
  run_result_free (&r);
  return out;
}

Test (man, a_page_per_verb_naming_every_flag)
{
  _cleanup_free_ char *dir = man_dir (), *app = help_of (NULL);
  _cleanup_strv_ char **commands = section_lines (app, "\nCOMMANDS:\n");
  size_t i, verbs = 0;

  for (i = 0; commands[i]; i++)
    {
      char verb[64];
      _cleanup_free_ char *page = NULL, *text = NULL, *help = NULL, *name = NULL;
      _cleanup_strv_ char **options = NULL, **flags = NULL;
      size_t k;

      if (sscanf (commands[i], " %63[a-z]", verb) != 1 || strcmp (verb, "help") == 0)
        continue;
      verbs++;
      page = xasprintf ("%s/runvm-%s.8", dir, verb);
      cr_assert_eq (access (page, F_OK), 0, "no man page for `%s`", verb);
      text = render (page);
      name = xasprintf ("runvm-%s - ", verb);
      cr_assert (strstr (text, name) != NULL, "%s: NAME should read \"%s...\"", page, name);
      cr_assert (strstr (text, "SYNOPSIS") && strstr (text, "DESCRIPTION") && strstr (text, "OPTIONS")
                     && strstr (text, "EXIT STATUS"),
                 "%s lacks a section", page);
      help = help_of (verb);
      if (strstr (help, "\nOPTIONS:\n"))
        options = section_lines (help, "\nOPTIONS:\n");
      flags = flag_spellings (options);
      for (k = 0; flags && flags[k]; k++)
        {
          /* Whole words only: "-d" must not be found inside "--detach".  */
          _cleanup_free_ char *w1 = xasprintf (" %s ", flags[k]), *w2 = xasprintf (" %s,", flags[k]);
          _cleanup_free_ char *w3 = xasprintf (" %s\n", flags[k]), *w4 = xasprintf (" %s=", flags[k]);
          cr_assert (strstr (text, w1) || strstr (text, w2) || strstr (text, w3) || strstr (text, w4),
                     "%s does not document %s", page, flags[k]);
        }
    }
  cr_assert_geq (verbs, 17);
}

Test (man, runvm_page_names_commands_and_global_flags)
{
  _cleanup_free_ char *dir = man_dir (), *app = help_of (NULL), *page = xasprintf ("%s/runvm.8", dir);
  _cleanup_free_ char *text = render (page);
  _cleanup_strv_ char **globals = section_lines (app, "\nGLOBAL OPTIONS:\n");
  _cleanup_strv_ char **commands = section_lines (app, "\nCOMMANDS:\n");
  _cleanup_strv_ char **flags = flag_spellings (globals);
  size_t i;

  cr_assert (strstr (text, "runvm - ") != NULL);
  for (i = 0; flags[i]; i++)
    {
      _cleanup_free_ char *w1 = xasprintf (" %s ", flags[i]), *w2 = xasprintf (" %s,", flags[i]);
      _cleanup_free_ char *w3 = xasprintf (" %s\n", flags[i]);
      cr_assert (strstr (text, w1) || strstr (text, w2) || strstr (text, w3), "runvm.8 does not document %s",
                 flags[i]);
    }
  for (i = 0; commands[i]; i++)
    {
      char verb[64];
      _cleanup_free_ char *ref = NULL;
      if (sscanf (commands[i], " %63[a-z]", verb) != 1 || strcmp (verb, "help") == 0)
        continue;
      ref = xasprintf ("runvm-%s(8)", verb);
      cr_assert (strstr (text, ref) != NULL, "runvm.8 does not refer to %s", ref);
    }
}

/* No page for a verb that does not exist.  */
Test (man, no_stray_pages)
{
  _cleanup_free_ char *dir = man_dir (), *app = help_of (NULL);
  DIR *d = opendir (dir);
  struct dirent *de;

  cr_assert_not_null (d);
  while ((de = readdir (d)))
    {
      char verb[64];
      _cleanup_free_ char *entry = NULL;
      if (!str_has_suffix (de->d_name, ".8") || strcmp (de->d_name, "runvm.8") == 0)
        continue;
      cr_assert_eq (sscanf (de->d_name, "runvm-%63[a-z].8", verb), 1, "unexpected page %s", de->d_name);
      entry = xasprintf ("\n   %s ", verb);
      cr_assert (strstr (app, entry) != NULL, "%s documents no verb", de->d_name);
    }
  closedir (d);
}
