#include <stdio.h>
#include <string.h>

#include "common/utils.h"
#include "runtime/tabwriter.h"

struct tw_cell
{
  const char *text;
  size_t size;
  int width;
};

struct tw_line
{
  struct tw_cell *cells;
  size_t n;
};

struct tw
{
  struct tw_line *lines;
  size_t n;
  int minwidth;
  int padding;
  char padchar;
  int *widths; /* a stack, one entry per column being formatted.  */
  size_t nwidths;
  FILE *out;
};

static int
utf8_width (const char *s, size_t n)
{
  int w = 0;
  size_t i;

  for (i = 0; i < n; i++)
    if (((unsigned char) s[i] & 0xc0) != 0x80)
      w++;
  return w;
}

static void
write_lines (struct tw *t, size_t line0, size_t line1)
{
  size_t i, j;
  int k;

  for (i = line0; i < line1; i++)
    {
      const struct tw_line *l = &t->lines[i];
      for (j = 0; j < l->n; j++)
        {
          const struct tw_cell *c = &l->cells[j];
          fwrite (c->text, 1, c->size, t->out);
          if (j < t->nwidths)
            for (k = c->width; k < t->widths[j]; k++)
              fputc (t->padchar, t->out);
        }
      if (i + 1 < t->n)
        fputc ('\n', t->out);
    }
}

/* The recursion of Go's Writer.format: find the next block of lines that
 * have a cell in the current column, size the column, and format the
 * columns to its right within that block.  */
static void
format (struct tw *t, size_t line0, size_t line1)
{
  size_t column = t->nwidths;
  size_t this;

  for (this = line0; this < line1; this ++)
    {
      int width;

      if (column + 1 >= t->lines[this].n)
        continue;
      write_lines (t, line0, this);
      line0 = this;
      width = t->minwidth;
      for (; this < line1; this ++)
        {
          const struct tw_line *l = &t->lines[this];
          if (column + 1 >= l->n)
            break;
          if (l->cells[column].width + t->padding > width)
            width = l->cells[column].width + t->padding;
        }
      t->widths[t->nwidths++] = width;
      format (t, line0, this);
      t->nwidths--;
      line0 = this;
      /* The increment skips the line that ended the block; it has no cell
       * in this column, so nothing is lost.  */
    }
  write_lines (t, line0, line1);
}

char *
tabwriter_format (const char *text, int minwidth, int padding, char padchar)
{
  struct tw t = { .minwidth = minwidth, .padding = padding, .padchar = padchar };
  char *result = NULL;
  size_t result_len = 0, maxcells = 0, i;
  const char *p = text;

  for (;;)
    {
      const char *eol = strchr (p, '\n');
      const char *end = eol ? eol : p + strlen (p);
      struct tw_line *l;

      t.lines = xreallocarray (t.lines, t.n + 1, sizeof (*t.lines));
      l = &t.lines[t.n++];
      l->cells = NULL;
      l->n = 0;
      for (;;)
        {
          const char *tab = memchr (p, '\t', (size_t) (end - p));
          const char *cend = tab ? tab : end;
          l->cells = xreallocarray (l->cells, l->n + 1, sizeof (*l->cells));
          l->cells[l->n].text = p;
          l->cells[l->n].size = (size_t) (cend - p);
          l->cells[l->n].width = utf8_width (p, (size_t) (cend - p));
          l->n++;
          if (tab == NULL)
            break;
          p = tab + 1;
        }
      if (l->n > maxcells)
        maxcells = l->n;
      if (eol == NULL)
        break;
      p = eol + 1;
    }

  t.widths = xcalloc (maxcells + 1, sizeof (int));
  t.out = open_memstream (&result, &result_len);
  if (t.out == NULL)
    abort ();
  format (&t, 0, t.n);
  if (fclose (t.out) != 0)
    abort ();

  for (i = 0; i < t.n; i++)
    free (t.lines[i].cells);
  free (t.lines);
  free (t.widths);
  return result;
}
