#include <stdio.h>

#include "version.h"

int
main (void)
{
  printf ("runvm version %s\n", RUNVM_VERSION);
  return 0;
}
