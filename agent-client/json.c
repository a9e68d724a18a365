#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "agent-client/json.h"
#include "common/utils.h"

/* One pass over the text, outside strings, bounding nesting and the number
 * of values (every value but the first follows a '[', '{', ',' or ':').  */
static int
check_shape (const char *data, size_t len, rv_error_t *err)
{
  size_t i, depth = 0, values = 1;
  bool in_string = false, escaped = false;

  for (i = 0; i < len; i++)
    {
      char c = data[i];
      if (c == '\0')
        return rv_error_set (err, EBADMSG, "invalid JSON: NUL byte at offset %zu", i);
      if (in_string)
        {
          if (escaped)
            escaped = false;
          else if (c == '\\')
            escaped = true;
          else if (c == '"')
            in_string = false;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = true;
          break;
        case '[':
        case '{':
          if (++depth > AGENT_JSON_MAX_DEPTH)
            return rv_error_set (err, EBADMSG, "invalid JSON: nested deeper than %d levels",
                                 AGENT_JSON_MAX_DEPTH);
          values++;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        case ',':
        case ':':
          values++;
          break;
        default:
          break;
        }
      if (values > AGENT_JSON_MAX_VALUES)
        return rv_error_set (err, EBADMSG, "invalid JSON: more than %u values", AGENT_JSON_MAX_VALUES);
    }
  return 0;
}

int
agent_json_parse (const char *data, size_t len, yajl_val *ret, rv_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  char errbuf[256];
  yajl_val v;
  char *nl;
  int r;

  r = check_shape (data, len, err);
  if (r < 0)
    return r;
  text = xmalloc (len + 1);
  memcpy (text, data, len);
  text[len] = '\0';

  errbuf[0] = '\0';
  v = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (v == NULL)
    {
      /* yajl's message continues with a picture of the input; the first
       * line names the problem.  */
      nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      return rv_error_set (err, EBADMSG, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
  *ret = v;
  return 0;
}

int
agent_json_gen_value (yajl_gen g, yajl_val v)
{
  size_t i;
  int r;

  if (v == NULL)
    return yajl_gen_null (g) == yajl_gen_status_ok ? 0 : -EINVAL;
  switch (v->type)
    {
    case yajl_t_string:
      r = yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
      break;
    case yajl_t_number:
      r = yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
      break;
    case yajl_t_true:
    case yajl_t_false:
      r = yajl_gen_bool (g, v->type == yajl_t_true);
      break;
    case yajl_t_null:
      r = yajl_gen_null (g);
      break;
    case yajl_t_object:
      if (yajl_gen_map_open (g) != yajl_gen_status_ok)
        return -EINVAL;
      for (i = 0; i < v->u.object.len; i++)
        {
          const char *k = v->u.object.keys[i];
          if (yajl_gen_string (g, (const unsigned char *) k, strlen (k)) != yajl_gen_status_ok
              || agent_json_gen_value (g, v->u.object.values[i]) < 0)
            return -EINVAL;
        }
      r = yajl_gen_map_close (g);
      break;
    case yajl_t_array:
      if (yajl_gen_array_open (g) != yajl_gen_status_ok)
        return -EINVAL;
      for (i = 0; i < v->u.array.len; i++)
        if (agent_json_gen_value (g, v->u.array.values[i]) < 0)
          return -EINVAL;
      r = yajl_gen_array_close (g);
      break;
    default:
      return -EINVAL;
    }
  return r == yajl_gen_status_ok ? 0 : -EINVAL;
}

yajl_gen
agent_json_gen_new (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  return g;
}

char *
agent_json_to_string (yajl_val v)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  const unsigned char *buf;
  size_t len;

  /* Values come from yajl_tree_parse, which validated them already.  */
  if (agent_json_gen_value (g, v) < 0 || yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    return xstrdup ("null");
  return xstrndup ((const char *) buf, len);
}

int
agent_json_i64 (yajl_val v, int64_t *ret)
{
  if (!YAJL_IS_NUMBER (v) || v->u.number.r == NULL)
    return -EINVAL;
  return parse_i64 (v->u.number.r, ret);
}

int
agent_json_u64 (yajl_val v, uint64_t *ret)
{
  if (!YAJL_IS_NUMBER (v) || v->u.number.r == NULL)
    return -EINVAL;
  return parse_u64 (v->u.number.r, ret);
}
