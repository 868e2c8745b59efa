/* Helpers shared by unit tests (kept tiny; each test file stands alone). */
#include <stddef.h>
int at_test_support_linked = 1;
