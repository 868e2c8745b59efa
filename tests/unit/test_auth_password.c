/* Unit tests for auth_password: Argon2id round trip, NFC equivalence, the
 * length policy, the dummy verify and PHC strings carrying their cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_password.h"

/* Cheap cost for tests of logic; one test uses the service's real cost. */
#define T_OPS 1ULL
#define T_MEM ((size_t) 8 * 1024 * 1024)

static int s_setup(void **state)
{
    *state = auth_password_new(2, T_OPS, T_MEM);
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    auth_password_t *pw = *state;
    auth_password_destroy(&pw);
    assert_null(pw);
    auth_password_destroy(&pw); /* idempotent */
    auth_password_destroy(NULL);
    return 0;
}

static void t_round_trip(void **state)
{
    auth_password_t *pw = *state;
    char hash[AUTH_PASSWORD_HASH_MAX];
    assert_int_equal(auth_password_hash(pw, "correct horse battery", hash), AUTH_PW_OK);
    assert_non_null(strstr(hash, "$argon2id$"));
    bool match = false;
    assert_int_equal(auth_password_verify(pw, hash, "correct horse battery", &match), AUTH_PW_OK);
    assert_true(match);
    assert_int_equal(auth_password_verify(pw, hash, "correct horse batterY", &match), AUTH_PW_OK);
    assert_false(match);
    /* a second hash of the same password differs (random salt) and verifies */
    char hash2[AUTH_PASSWORD_HASH_MAX];
    assert_int_equal(auth_password_hash(pw, "correct horse battery", hash2), AUTH_PW_OK);
    assert_string_not_equal(hash, hash2);
    assert_int_equal(auth_password_verify(pw, hash2, "correct horse battery", &match), AUTH_PW_OK);
    assert_true(match);
}

static void t_nfc(void **state)
{
    auth_password_t *pw = *state;
    const char *composed = "caf\xc3\xa9-passphrase";    /* U+00E9 */
    const char *decomposed = "cafe\xcc\x81-passphrase"; /* e + U+0301 */
    assert_string_not_equal(composed, decomposed);
    char hash[AUTH_PASSWORD_HASH_MAX];
    bool match = false;
    assert_int_equal(auth_password_hash(pw, composed, hash), AUTH_PW_OK);
    assert_int_equal(auth_password_verify(pw, hash, decomposed, &match), AUTH_PW_OK);
    assert_true(match);
    assert_int_equal(auth_password_hash(pw, decomposed, hash), AUTH_PW_OK);
    assert_int_equal(auth_password_verify(pw, hash, composed, &match), AUTH_PW_OK);
    assert_true(match);
    /* NFC is not case folding nor compatibility mapping */
    assert_int_equal(auth_password_verify(pw, hash, "CAF\xc3\x89-passphrase", &match), AUTH_PW_OK);
    assert_false(match);

    size_t chars = 0;
    char *nfc = auth_password_nfc(decomposed, &chars);
    assert_non_null(nfc);
    assert_string_equal(nfc, composed);
    assert_int_equal(chars, 15);
    auth_password_free_nfc(nfc);
}

static void t_policy(void **state)
{
    auth_password_t *pw = *state;
    char hash[AUTH_PASSWORD_HASH_MAX];
    assert_int_equal(auth_password_check("short"), AUTH_PW_TOO_SHORT);
    assert_int_equal(auth_password_check("elevenchars"), AUTH_PW_TOO_SHORT);
    assert_int_equal(auth_password_check("twelve chars"), AUTH_PW_OK);
    assert_int_equal(auth_password_check(""), AUTH_PW_TOO_SHORT);
    assert_int_equal(auth_password_check(NULL), AUTH_PW_TOO_SHORT);
    assert_int_equal(auth_password_hash(pw, "short", hash), AUTH_PW_TOO_SHORT);
    /* characters, not bytes: 11 two-byte characters are still too short,
     * 12 decomposed e+U+0301 pairs are 12 characters after NFC */
    char buf[64] = "";
    for (int i = 0; i < 11; i++)
        strcat(buf, "\xc3\xa9");
    assert_int_equal(auth_password_check(buf), AUTH_PW_TOO_SHORT);
    buf[0] = 0;
    for (int i = 0; i < 12; i++)
        strcat(buf, "e\xcc\x81");
    assert_int_equal(auth_password_check(buf), AUTH_PW_OK);

    char *longpw = malloc(AUTH_PASSWORD_MAX_BYTES + 2);
    memset(longpw, 'a', AUTH_PASSWORD_MAX_BYTES);
    longpw[AUTH_PASSWORD_MAX_BYTES] = 0;
    assert_int_equal(auth_password_check(longpw), AUTH_PW_OK);
    longpw[AUTH_PASSWORD_MAX_BYTES] = 'a';
    longpw[AUTH_PASSWORD_MAX_BYTES + 1] = 0;
    assert_int_equal(auth_password_check(longpw), AUTH_PW_TOO_LONG);
    assert_int_equal(auth_password_hash(pw, longpw, hash), AUTH_PW_TOO_LONG);
    /* over-long at verify: a mismatch without hashing */
    bool match = true;
    assert_int_equal(auth_password_verify(pw, NULL, longpw, &match), AUTH_PW_OK);
    assert_false(match);
    free(longpw);

    assert_int_equal(auth_password_check("invalid \xff utf-8 bytes"), AUTH_PW_NOT_UTF8);
}

static void t_dummy(void **state)
{
    auth_password_t *pw = *state;
    bool match = true;
    assert_int_equal(auth_password_verify(pw, NULL, "any password at all", &match), AUTH_PW_OK);
    assert_false(match);
    /* garbage in the stored hash is a mismatch, not a crash */
    match = true;
    assert_int_equal(auth_password_verify(pw, "not a hash", "any password at all", &match),
                     AUTH_PW_OK);
    assert_false(match);
}

static void t_cost_in_string(void **state)
{
    (void) state;
    /* the service's real cost: m=19 MiB, t=2, p=1, readable from the string */
    auth_password_t *real = auth_password_new(0, AUTH_PASSWORD_OPSLIMIT, AUTH_PASSWORD_MEMLIMIT);
    assert_non_null(real);
    char hash[AUTH_PASSWORD_HASH_MAX];
    assert_int_equal(auth_password_hash(real, "a real-cost passphrase", hash), AUTH_PW_OK);
    assert_non_null(strstr(hash, "$m=19456,t=2,p=1$"));
    assert_false(auth_password_needs_rehash(real, hash));
    /* a hasher with other parameters still verifies it, and wants a rehash */
    auth_password_t *cheap = auth_password_new(1, T_OPS, T_MEM);
    bool match = false;
    assert_int_equal(auth_password_verify(cheap, hash, "a real-cost passphrase", &match),
                     AUTH_PW_OK);
    assert_true(match);
    assert_true(auth_password_needs_rehash(cheap, hash));
    auth_password_destroy(&cheap);
    auth_password_destroy(&real);
}

static void t_common(void **state)
{
    auth_password_t *pw = *state;
    static const char list[] = "# a comment\r\n"
                               "Password1234\n"
                               "\n"
                               "qwertyuiop123\r\n"
                               "caf\xc3\xa9"
                               "caf\xc3\xa9"
                               "caf\xc3\xa9\n"
                               "iloveyou2024"; /* no final newline */
    assert_int_equal(auth_password_set_common(pw, list, sizeof list - 1), 4);
    assert_true(auth_password_is_common(pw, "password1234"));
    assert_true(auth_password_is_common(pw, "PASSWORD1234")); /* case-insensitive */
    assert_true(auth_password_is_common(pw, "qwertyuiop123"));
    assert_true(auth_password_is_common(pw, "iloveyou2024"));
    /* compared after NFC: e + U+0301 is the listed U+00E9 */
    assert_true(auth_password_is_common(pw, "cafe\xcc\x81"
                                            "caf\xc3\xa9"
                                            "caf\xc3\xa9"));
    assert_false(auth_password_is_common(pw, "# a comment"));
    assert_false(auth_password_is_common(pw, ""));
    assert_false(auth_password_is_common(pw, "password12345"));
    char hash[AUTH_PASSWORD_HASH_MAX];
    assert_int_equal(auth_password_hash(pw, "Password1234", hash), AUTH_PW_COMMON);
    assert_int_equal(auth_password_hash(pw, "a long uncommon one", hash), AUTH_PW_OK);
    /* the policy comes first: too short stays too short */
    assert_int_equal(auth_password_set_common(pw, "short\n", 6), 1);
    assert_int_equal(auth_password_hash(pw, "short", hash), AUTH_PW_TOO_SHORT);
    assert_int_equal(auth_password_set_common(pw, "", 0), 0);
    assert_false(auth_password_is_common(pw, "password1234"));
}

/* The shipped list is well-formed and holds the obvious ones. */
static void t_common_shipped(void **state)
{
    (void) state;
    auth_password_t *pw = auth_password_new(1, T_OPS, T_MEM);
    FILE *f = fopen(ATRIUM_SOURCE_DIR "/services/auth/data/common-passwords.txt", "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    assert_true(auth_password_set_common(pw, buf, n) > 1000);
    free(buf);
    assert_true(auth_password_is_common(pw, "password1234"));
    assert_true(auth_password_is_common(pw, "Qwerty123456"));
    assert_true(auth_password_is_common(pw, "aaaaaaaaaaaa"));
    assert_true(auth_password_is_common(pw, "123456789012"));
    assert_false(auth_password_is_common(pw, "violet-harbour-tractor-91"));
    auth_password_destroy(&pw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_round_trip),     cmocka_unit_test(t_nfc),
        cmocka_unit_test(t_policy),         cmocka_unit_test(t_dummy),
        cmocka_unit_test(t_cost_in_string), cmocka_unit_test(t_common),
        cmocka_unit_test(t_common_shipped),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
