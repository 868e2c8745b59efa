/* Unit tests for at_keyfile: created on first load (0600 in a 0700
 * folder), the same key on the next load, a malformed file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "at_keyfile.h"

static void t_create_then_reload(void **state)
{
    (void) state;
    char dir[] = "/tmp/at_keyfile_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/sub/dir/secret.key", dir);
    unsigned char a[32], b[32];
    char *err = NULL;
    assert_int_equal(at_keyfile_load(path, a, sizeof a, &err), 0);
    assert_null(err);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub/dir", dir);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(at_keyfile_load(path, b, sizeof b, &err), 0);
    assert_memory_equal(a, b, sizeof a);
    /* a key of another length is not what the file holds */
    unsigned char c[16];
    assert_int_equal(at_keyfile_load(path, c, sizeof c, &err), -1);
    assert_non_null(err);
    free(err);
    /* garbage is refused */
    FILE *f = fopen(path, "w");
    fputs("not hex at all\n", f);
    fclose(f);
    assert_int_equal(at_keyfile_load(path, b, sizeof b, &err), -1);
    assert_non_null(strstr(err, "does not hold"));
    free(err);
    unlink(path);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_create_then_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
