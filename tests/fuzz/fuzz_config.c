/* libFuzzer target for the spec/ parsers.
 *
 * Each input is read as config.json, process.json, state.json and
 * features.json.  What parses must serialise, parse again and compare
 * equal; what fails must fail with a one-line message and leave the result
 * pointer alone.  Sanitizers catch the rest.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"
#include "spec/config.h"
#include "spec/features.h"
#include "spec/state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_error (int r, rv_error_t err, const void *ret)
{
  if (r >= 0)
    return;
  if (err == NULL || err->msg == NULL || strchr (err->msg, '\n') != NULL || ret != NULL)
    abort ();
}

#define ROUND_TRIP(kind, name)                                                                               \
  do                                                                                                         \
    {                                                                                                        \
      rv_error_t err_ = NULL;                                                                                \
      struct spec_##kind *a_ = NULL, *b_ = NULL;                                                             \
      char *json_;                                                                                           \
      int r_ = spec_##kind##_parse (name, (const char *) data, size, &a_, &err_);                            \
      check_error (r_, err_, a_);                                                                            \
      rv_error_release (&err_);                                                                              \
      if (r_ < 0)                                                                                            \
        break;                                                                                               \
      json_ = spec_##kind##_to_json (a_, size % 2 == 0);                                                     \
      if (json_ == NULL)                                                                                     \
        abort ();                                                                                            \
      if (spec_##kind##_parse (name, json_, strlen (json_), &b_, &err_) < 0)                                 \
        abort ();                                                                                            \
      if (!spec_##kind##_equal (a_, b_))                                                                     \
        abort ();                                                                                            \
      free (json_);                                                                                          \
      spec_##kind##_free (a_);                                                                               \
      spec_##kind##_free (b_);                                                                               \
    }                                                                                                        \
  while (0)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ROUND_TRIP (config, "config.json");
  ROUND_TRIP (process, "process.json");
  ROUND_TRIP (state, "state.json");
  ROUND_TRIP (features, "features.json");
  return 0;
}
