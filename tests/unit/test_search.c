/* Unit tests for at_search: accent and case folding with its offset map,
 * the tsquery text of hostile queries, and snippets of the original text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "at_search.h"
#include "at_text.h"
#include <stdlib.h>
#include <string.h>

static void s_fold_is(const char *in, const char *want)
{
    char *got = at_search_fold_str(in);
    assert_string_equal(got, want);
    free(got);
}

static void t_fold(void **state)
{
    (void) state;
    s_fold_is("Müller", "muller");
    s_fold_is("MÜLLER", "muller");
    s_fold_is("Mu\xCC\x88ller", "muller"); /* NFD: u + combining diaeresis */
    s_fold_is("MULLER", "muller");
    s_fold_is("O'Brien", "o brien");
    s_fold_is("Straße", "strasse");
    s_fold_is("ŁÓDŹ", "lodz");
    s_fold_is("Ærøskøbing", "aeroskobing");
    s_fold_is("ﬁle", "file");      /* ligature (NFKD) */
    s_fold_is("Ｆｕｌｌ", "full"); /* full width */
    s_fold_is("İstanbul", "istanbul");
    s_fold_is("Ελλάδα", "ελλαδα");
    s_fold_is("a&|!():*\\\"b", "a         b"); /* nine separators */
    s_fold_is("", "");
    s_fold_is(NULL, "");
    s_fold_is("x\xFFy", "x y"); /* invalid UTF-8 is a separator */
}

static void t_fold_map(void **state)
{
    (void) state;
    const char *s = "Grüße aus Köln";
    at_fold_t f;
    assert_int_equal(at_search_fold(s, strlen(s), true, &f), 0);
    assert_string_equal(f.text, "grusse aus koln");
    /* "ss" both come from ß at byte 4 (ü takes 2 bytes) */
    assert_int_equal(f.map[0], 0);
    assert_int_equal(f.map[2], 2);
    assert_int_equal(f.map[3], 4);
    assert_int_equal(f.map[4], 4);
    assert_int_equal(f.map[5], 6);
    assert_int_equal(f.map[12], 13); /* o of Köln from ö */
    assert_int_equal(f.map[f.len], strlen(s));
    at_fold_free(&f);
    at_fold_free(&f); /* twice is fine */
}

static char *s_tsq(const char *q)
{
    at_search_query_t pq;
    at_search_query_parse(q, &pq);
    char *t = at_search_tsquery(&pq);
    at_search_query_free(&pq);
    return t;
}

static void t_query(void **state)
{
    (void) state;
    char *t = s_tsq("O'Brien");
    assert_string_equal(t, "'o' & 'brien':*");
    free(t);
    t = s_tsq("  Müller   report ");
    assert_string_equal(t, "'muller' & 'report':*");
    free(t);
    t = s_tsq("a & b | !c:* (d)");
    assert_string_equal(t, "'a' & 'b' & 'c' & 'd':*");
    free(t);
    const char *empty[] = {"", "\"", "\\", "&|!():*", "'", "   ", "''''", NULL};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++)
        assert_null(s_tsq(empty[i]));

    /* a 1000-character word is cut and prefix-matched */
    char big[1001];
    memset(big, 'a', 1000);
    big[1000] = 0;
    t = s_tsq(big);
    assert_int_equal(strlen(t), 2 + AT_SEARCH_WORD_MAX + 2);
    assert_memory_equal(t + strlen(t) - 3, "':*", 3);
    free(t);

    /* only the first AT_SEARCH_WORDS_MAX words count */
    char many[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(many, "w ");
    at_search_query_t pq;
    at_search_query_parse(many, &pq);
    assert_int_equal(pq.n, AT_SEARCH_WORDS_MAX);
    assert_false(pq.prefix[0]);
    assert_true(pq.prefix[AT_SEARCH_WORDS_MAX - 1]);
    at_search_query_free(&pq);

    /* a cut multi-byte word stays well-formed */
    char wide[700] = "";
    for (int i = 0; i < 150; i++)
        strcat(wide, "ж");
    at_search_query_parse(wide, &pq);
    assert_int_equal(pq.n, 1);
    assert_true(strlen(pq.words[0]) <= AT_SEARCH_WORD_MAX);
    assert_true(at_text_utf8_length(pq.words[0]) > 0);
    at_search_query_free(&pq);
}

static char *s_snip(const char *text, const char *q, size_t max)
{
    at_search_query_t pq;
    at_search_query_parse(q, &pq);
    char *s = at_search_snippet(text, strlen(text), &pq, max);
    at_search_query_free(&pq);
    return s;
}

static void t_snippet(void **state)
{
    (void) state;
    char *s = s_snip("Dear Mr. Müller,\nplease find the report.", "muller", 100);
    assert_string_equal(s, "Dear Mr. Müller, please find the report.");
    free(s);

    /* far into a long text: cut on both sides, on words, with ellipses */
    char text[4000] = "";
    for (int i = 0; i < 100; i++)
        strcat(text, "lorem ipsum ");
    strcat(text, "the invoice of Zoë Ångström is due ");
    for (int i = 0; i < 100; i++)
        strcat(text, "dolor sit ");
    s = s_snip(text, "angstrom", 60);
    assert_non_null(strstr(s, "Ångström"));
    assert_memory_equal(s, "\xE2\x80\xA6", 3);
    assert_memory_equal(s + strlen(s) - 3, "\xE2\x80\xA6", 3);
    assert_true(at_text_utf8_length(s) <= 60 + 2);
    assert_true(at_text_utf8_length(s) > 0);
    free(s);

    /* whole words: "port" does not match inside "report" */
    s = s_snip("a report, then a port", "port x", 200);
    assert_string_equal(s, "a report, then a port");
    free(s);

    /* no match: the start of the text */
    s = s_snip("first words of a long text here", "absent", 11);
    assert_string_equal(s, "first words\xE2\x80\xA6");
    free(s);

    /* never cuts a UTF-8 sequence, whatever the width */
    for (size_t max = 1; max < 20; max++) {
        s = s_snip("日本語のテキストと東京の文字", "x", max);
        assert_true(at_text_utf8_length(s) >= 0);
        free(s);
    }
    /* invalid bytes in the original are left out */
    s = s_snip("ab\xFF\xFE cd", "cd", 50);
    assert_string_equal(s, "ab cd");
    free(s);
    s = s_snip("", "x", 50);
    assert_string_equal(s, "");
    free(s);
}

static void t_find(void **state)
{
    (void) state;
    at_search_query_t pq;
    at_search_query_parse("brien o", &pq);
    at_fold_t f;
    const char *s = "To: Ms O'Brien";
    at_search_fold(s, strlen(s), true, &f);
    size_t ml = 0;
    long at = at_search_find(&f, &pq, &ml);
    assert_int_equal(at, 7); /* "o" of O'Brien, first word start that matches */
    assert_int_equal(ml, 1);
    assert_int_equal(f.map[at], 7);
    at_fold_free(&f);
    at_search_query_free(&pq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_fold),    cmocka_unit_test(t_fold_map), cmocka_unit_test(t_query),
        cmocka_unit_test(t_snippet), cmocka_unit_test(t_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
