/* The Go-compatible formatting pieces behind the CLI's output: JSON as
 * encoding/json writes it, columns as text/tabwriter aligns them, log
 * lines as logrus writes them.  */
#include <criterion/criterion.h>
#include <string.h>

#include "common/log.h"
#include "common/utils.h"
#include "runtime/json_gen.h"
#include "runtime/tabwriter.h"

Test (json_gen, escapes_as_go)
{
  struct rt_json *j = rt_json_new (NULL);
  _cleanup_free_ char *s = NULL;

  rt_json_map_open (j);
  rt_json_kstr (j, "a<b", "x<y>&z \"q\" \\ \n\t\b\f\x01 \xe2\x80\xa8 / \xc3\xa9");
  rt_json_kint (j, "n", -5);
  rt_json_kuint (j, "u", UINT64_MAX);
  rt_json_kbool (j, "t", true);
  rt_json_map_close (j);
  s = rt_json_finish (j, NULL);
  cr_assert_str_eq (s, "{\"a\\u003cb\":\"x\\u003cy\\u003e\\u0026z \\\"q\\\" \\\\ \\n\\t\\u0008\\u000c\\u0001 "
                       "\\u2028 / \xc3\xa9\",\"n\":-5,\"u\":18446744073709551615,\"t\":true}");
}

Test (json_gen, indents_as_marshal_indent)
{
  struct rt_json *j = rt_json_new ("\t");
  _cleanup_free_ char *s = NULL;
  char *const v[] = { (char *) "x", (char *) "y", NULL };

  rt_json_map_open (j);
  rt_json_kstrv (j, "l", v);
  rt_json_key (j, "m");
  rt_json_map_open (j);
  rt_json_kstr (j, "k", "v");
  rt_json_map_close (j);
  rt_json_map_close (j);
  s = rt_json_finish (j, NULL);
  cr_assert_str_eq (s, "{\n\t\"l\": [\n\t\t\"x\",\n\t\t\"y\"\n\t],\n\t\"m\": {\n\t\t\"k\": \"v\"\n\t}\n}");
}

/* Cases checked against Go's text/tabwriter.  */
Test (tabwriter, go_column_blocks)
{
  _cleanup_free_ char *a = tabwriter_format ("a\tb\tc\naaa\tbbbbb\tc\n", 1, 2, ' ');
  _cleanup_free_ char *b = tabwriter_format ("x\ty\nno tabs here\nlonger\tz\n", 1, 2, ' ');
  _cleanup_free_ char *c = tabwriter_format ("ID\tPID\nabc\t1\n", 12, 3, ' ');
  _cleanup_free_ char *d = tabwriter_format ("a\tb\ntrailing", 1, 1, '.');
  _cleanup_free_ char *e = tabwriter_format ("é\tx\nab\ty\n", 1, 1, ' ');
  _cleanup_free_ char *f = tabwriter_format ("a\tb\tc\nd\te\nf\tg\th\n", 1, 1, ' ');

  cr_assert_str_eq (a, "a    b      c\naaa  bbbbb  c\n");
  /* A line without a tab ends the block: columns restart below it.  */
  cr_assert_str_eq (b, "x  y\nno tabs here\nlonger  z\n");
  cr_assert_str_eq (c, "ID          PID\nabc         1\n");
  cr_assert_str_eq (d, "a.b\ntrailing");
  cr_assert_str_eq (e, "é  x\nab y\n");
  /* Column 2 exists only on the first and last lines, so it forms two
   * blocks; column 1 is one block over all three lines.  */
  cr_assert_str_eq (f, "a b c\nd e\nf g h\n");
}

Test (log, text_quotes_only_when_needed)
{
  _cleanup_free_ char *a
      = rv_log_format_line (RV_LOG_FORMAT_TEXT, RV_LOG_ERROR, "T", "plain-word_1.2/x@y^z+");
  _cleanup_free_ char *b = rv_log_format_line (RV_LOG_FORMAT_TEXT, RV_LOG_WARNING, "2026-11-22T07:59:01Z",
                                               "say \"hi\"\n\tnow\x01");
  _cleanup_free_ char *c = rv_log_format_line (RV_LOG_FORMAT_TEXT, RV_LOG_ERROR, "T", "");

  cr_assert_str_eq (a, "time=T level=error msg=plain-word_1.2/x@y^z+\n");
  cr_assert_str_eq (b, "time=\"2026-11-22T07:59:01Z\" level=warning msg=\"say \\\"hi\\\"\\n\\tnow\\x01\"\n");
  cr_assert_str_eq (c, "time=T level=error msg=\n");
}

Test (log, json_escapes_as_go)
{
  _cleanup_free_ char *a = rv_log_format_line (RV_LOG_FORMAT_JSON, RV_LOG_ERROR, "T", "a<b>&\"c\"\n");

  cr_assert_str_eq (a,
                    "{\"level\":\"error\",\"msg\":\"a\\u003cb\\u003e\\u0026\\\"c\\\"\\n\",\"time\":\"T\"}\n");
}
