/* Column alignment as Go's text/tabwriter does it (flags 0: cells aligned
 * left, padded with PADCHAR), so that `list` and `--help` line up exactly
 * as runc's do.  runc's `list` uses (minwidth 12, padding 3); urfave/cli's
 * help uses (minwidth 1, padding 2).
 *
 * TEXT is tab-separated cells and newline-terminated lines.  A cell is
 * tab-terminated; the last cell of a line takes no part in alignment.  A
 * column block is a run of consecutive lines that have a cell in that
 * column; each block gets the width of its widest cell plus PADDING, at
 * least MINWIDTH.  Widths count UTF-8 characters.  */
#pragma once

/* Returns a new string.  */
char *tabwriter_format (const char *text, int minwidth, int padding, char padchar);
