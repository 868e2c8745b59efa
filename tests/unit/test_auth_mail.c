/* Unit tests for auth_mail_build and auth_mail_phrase: hostile display
 * names and subjects never put CR/LF into a header, non-ASCII names become
 * RFC 2047 encoded-words, bad addresses are refused, the body is
 * quoted-printable with short lines; and auth_mail_write_eml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_mail.h"

static auth_mail_t s_base(void)
{
    return (auth_mail_t){.from_addr = "atrium@example.com",
                         .from_name = "Atrium",
                         .to_addr = "ann@example.com",
                         .to_name = "Ann",
                         .subject = "Hello",
                         .body = "Line one\nLine two\n",
                         .date = 0,
                         .message_id = "abc123@example.com"};
}

/* Every header line of msg (up to the blank line): no bare CR or LF, and
 * no header line that does not start with a known name or a fold. */
static void s_check_headers(const char *msg)
{
    const char *end = strstr(msg, "\r\n\r\n");
    assert_non_null(end);
    static const char *const names[] = {"Date: ",
                                        "From: ",
                                        "To: ",
                                        "Subject: ",
                                        "Message-ID: ",
                                        "MIME-Version: ",
                                        "Content-Type: ",
                                        "Content-Transfer-Encoding: ",
                                        " ",
                                        NULL};
    const char *line = msg;
    while (line < end + 2) {
        const char *eol = strstr(line, "\r\n");
        assert_non_null(eol);
        for (const char *c = line; c < eol; c++)
            assert_true(*c != '\r' && *c != '\n');
        bool known = false;
        for (int i = 0; names[i]; i++)
            if (strncmp(line, names[i], strlen(names[i])) == 0)
                known = true;
        assert_true(known);
        assert_true(eol - line <= 998);
        line = eol + 2;
    }
}

static void t_plain(void **state)
{
    (void) state;
    auth_mail_t m = s_base();
    char *msg = NULL;
    assert_int_equal(auth_mail_build(&m, &msg), 0);
    s_check_headers(msg);
    assert_non_null(strstr(msg, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    assert_non_null(strstr(msg, "From: \"Atrium\" <atrium@example.com>\r\n"));
    assert_non_null(strstr(msg, "To: \"Ann\" <ann@example.com>\r\n"));
    assert_non_null(strstr(msg, "Subject: Hello\r\n"));
    assert_non_null(strstr(msg, "Message-ID: <abc123@example.com>\r\n"));
    assert_non_null(strstr(msg, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(msg, "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(msg, "\r\n\r\nLine one\r\nLine two\r\n"));
    free(msg);
}

static void t_hostile_names(void **state)
{
    (void) state;
    static const char *const names[] = {"Eve\r\nBcc: victim@example.com",
                                        "Eve\nSubject: owned",
                                        "Eve\rX: y",
                                        "\"Eve\" <eve@evil.example>, mallory@evil.example",
                                        "Eve\\\"; Bcc: x@y.z",
                                        "\r\n\r\nbody injection",
                                        "Zoë\r\nBcc: victim@example.com",
                                        "",
                                        "\x01\x02\x7f",
                                        NULL};
    for (int i = 0; names[i]; i++) {
        auth_mail_t m = s_base();
        m.to_name = names[i];
        m.from_name = names[i];
        m.subject = names[i];
        char *msg = NULL;
        assert_int_equal(auth_mail_build(&m, &msg), 0);
        s_check_headers(msg);
        /* no injected header at a line start */
        assert_null(strstr(msg, "\r\nBcc:"));
        assert_null(strstr(msg, "\r\nX: "));
        const char *to = strstr(msg, "\r\nTo: ");
        assert_non_null(to);
        /* the address in To is the real one, the last <...> of the line */
        const char *eol = strstr(to + 2, "\r\n");
        assert_memory_equal(eol - strlen("<ann@example.com>"), "<ann@example.com>",
                            strlen("<ann@example.com>"));
        free(msg);
    }
}

static void t_quoting(void **state)
{
    (void) state;
    char *p = auth_mail_phrase("A \"B\" \\ C", true);
    assert_string_equal(p, "\"A \\\"B\\\" \\\\ C\"");
    free(p);
    p = auth_mail_phrase("  a\r\nb  ", false);
    assert_string_equal(p, "a  b");
    free(p);
}

static void t_encoded_words(void **state)
{
    (void) state;
    char *p = auth_mail_phrase("Zoë", true);
    assert_string_equal(p, "=?UTF-8?B?Wm/Dqw==?=");
    free(p);
    /* a long name is several words, each <= 75 chars, folded, never
     * splitting a UTF-8 character */
    char name[400] = "";
    for (int i = 0; i < 60; i++)
        strcat(name, "é"); /* 120 bytes */
    strcat(name, "\r\nBcc: x@y.z");
    p = auth_mail_phrase(name, true);
    int words = 0;
    for (char *w = p; (w = strstr(w, "=?UTF-8?B?")); w++) {
        char *e = strstr(w + 10, "?=");
        assert_non_null(e);
        assert_true(e + 2 - w <= 75);
        words++;
    }
    assert_true(words >= 3);
    /* every CRLF is a fold */
    for (char *c = p; (c = strstr(c, "\r\n")); c += 2)
        assert_int_equal(c[2], ' ');
    free(p);
}

static void t_bad_addresses(void **state)
{
    (void) state;
    static const char *const bad[] = {
        "a@b\r\nBcc: x@y.z", "a b@c.d", "<a@b.c>", "a@b@c", "@b.c", "a@",
        "a,b@c.d",           "a@b.c\n", "",        NULL};
    for (int i = 0; bad[i]; i++) {
        assert_false(auth_mail_addr_ok(bad[i]));
        auth_mail_t m = s_base();
        m.to_addr = bad[i];
        char *msg = (char *) 1;
        assert_int_equal(auth_mail_build(&m, &msg), -1);
        assert_null(msg);
        m = s_base();
        m.from_addr = bad[i];
        assert_int_equal(auth_mail_build(&m, &msg), -1);
    }
    assert_false(auth_mail_addr_ok(NULL));
    assert_true(auth_mail_addr_ok("o'brien+x@example.co.uk"));
}

static void t_body_qp(void **state)
{
    (void) state;
    auth_mail_t m = s_base();
    char body[600] = ".\nFrom me\nnaïve = x \n";
    for (int i = 0; i < 200; i++)
        strcat(body, "x");
    strcat(body, "\n");
    m.body = body;
    char *msg = NULL;
    assert_int_equal(auth_mail_build(&m, &msg), 0);
    const char *b = strstr(msg, "\r\n\r\n") + 4;
    assert_true(strncmp(b, "=2E\r\n=46rom me\r\nna=C3=AFve =3D x=20\r\n", 36) == 0);
    for (const char *l = b; *l;) {
        const char *eol = strstr(l, "\r\n");
        assert_non_null(eol);
        assert_true(eol - l <= 76);
        l = eol + 2;
    }
    free(msg);
}

static void t_write_eml(void **state)
{
    (void) state;
    char dir[] = "/tmp/atrium-mail-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof sub, "%s/mail", dir);
    char *err = NULL;
    assert_int_equal(auth_mail_write_eml(sub, "1-abc", "hello\r\n", &err), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/1-abc.eml", sub);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[32] = "";
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 7);
    fclose(f);
    assert_string_equal(buf, "hello\r\n");
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_plain),         cmocka_unit_test(t_hostile_names),
        cmocka_unit_test(t_quoting),       cmocka_unit_test(t_encoded_words),
        cmocka_unit_test(t_bad_addresses), cmocka_unit_test(t_body_qp),
        cmocka_unit_test(t_write_eml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
