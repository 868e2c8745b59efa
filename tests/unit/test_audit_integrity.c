/* Unit tests for the audit trail's integrity pieces: the bytes a checkpoint
 * signs (pinned against an independent Python construction of the
 * audit_chain.h text) and a signature pinned from another Ed25519
 * implementation (Python cryptography); CSV neutralisation and quoting and
 * the JSONL round trip (audit_export.h); and the streaming verifier
 * (audit_verify.h) on a good chain, an edited event, a gap, and newest
 * events removed below a checkpoint, and one that starts from a signed
 * checkpoint after retention archived what came before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_chain.h"
#include "audit_export.h"
#include "audit_verify.h"

#define FIRM "5f0c2a4e-8d1b-4c3a-9e6f-2b7d1a0c9e35"
#define HEAD "b4ac17a3934d9b6388d8b403adab1f6f535f15e8e9949544e8bef8740c3c8ef1"
#define AT "2026-11-30T08:00:00.001Z"
/* F("atrium.audit.checkpoint.v1") F(FIRM) F("42") F(HEAD) F(AT) */
#define MSG_HEX                                                                                    \
    "0000001a61747269756d2e61756469742e636865636b706f696e742e76310000002435663063326134652d3864"   \
    "31622d346333612d396536662d326237643161306339653335000000023432000000406234616331376133393334" \
    "64396236333838643862343033616461623166366635333566313565386539393439353434653862656638373430" \
    "63"                                                                                           \
    "33633865663100000018323032362d31312d33305430383a30303a30302e3030315a"
/* seed 00 01 02 ... 1f */
#define PK_HEX "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define SIG_HEX                                                                                    \
    "b38ac9e6654c2da115d90738743eca8a956b2fcf70ee90c454cf62ef498e1a0a87c28625a0da6359ae9c1dd7d617" \
    "fe936e482e473bd7c0665b38bedbd857840b"
#define KEY_ID "56475aa75463474c"

static void s_keypair(unsigned char pk[32], unsigned char sk[64])
{
    unsigned char seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char) i;
    crypto_sign_seed_keypair(pk, sk, seed);
}

static void t_checkpoint_bytes(void **state)
{
    (void) state;
    size_t len = 0;
    unsigned char *msg = audit_chain_checkpoint_message(FIRM, 42, HEAD, AT, &len);
    assert_non_null(msg);
    char hex[2 * 172 + 1];
    assert_int_equal(len, 172);
    sodium_bin2hex(hex, sizeof hex, msg, len);
    assert_string_equal(hex, MSG_HEX);
    free(msg);
    assert_null(audit_chain_checkpoint_message(FIRM, 0, HEAD, AT, &len));
    assert_null(audit_chain_checkpoint_message(NULL, 1, HEAD, AT, &len));
}

static void t_checkpoint_signature(void **state)
{
    (void) state;
    unsigned char pk[32], sk[64];
    s_keypair(pk, sk);
    char pkhex[65], sig[AUDIT_SIG_HEX_LEN + 1], id[AUDIT_KEY_ID_LEN + 1];
    sodium_bin2hex(pkhex, sizeof pkhex, pk, 32);
    assert_string_equal(pkhex, PK_HEX);
    audit_chain_key_id(pk, id);
    assert_string_equal(id, KEY_ID);
    /* Ed25519 is deterministic: the same signature as another implementation */
    assert_int_equal(audit_chain_checkpoint_sign(sk, FIRM, 42, HEAD, AT, sig), 0);
    assert_string_equal(sig, SIG_HEX);
    assert_int_equal(audit_chain_checkpoint_verify(pk, FIRM, 42, HEAD, AT, SIG_HEX), 0);
    /* any signed field changed, or the signature, fails */
    assert_int_equal(audit_chain_checkpoint_verify(pk, FIRM, 41, HEAD, AT, SIG_HEX), -1);
    assert_int_equal(audit_chain_checkpoint_verify(pk, FIRM, 42, audit_chain_genesis, AT, SIG_HEX),
                     -1);
    assert_int_equal(
        audit_chain_checkpoint_verify(pk, FIRM, 42, HEAD, "2026-11-30T08:00:00.002Z", SIG_HEX), -1);
    assert_int_equal(audit_chain_checkpoint_verify(pk, "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", 42,
                                                   HEAD, AT, SIG_HEX),
                     -1);
    sig[0] = sig[0] == '0' ? '1' : '0';
    assert_int_equal(audit_chain_checkpoint_verify(pk, FIRM, 42, HEAD, AT, sig), -1);
    assert_int_equal(audit_chain_checkpoint_verify(pk, FIRM, 42, HEAD, AT, "abc"), -1);
    unsigned char other[32];
    assert_int_equal(audit_chain_parse_public_key(PK_HEX, other), 0);
    assert_memory_equal(other, pk, 32);
    assert_int_equal(audit_chain_parse_public_key("zz", other), -1);
}

static char *s_cell(const char *in)
{
    audit_buf_t b = {0};
    audit_export_csv_cell(&b, in);
    char *out = strdup(b.data ? b.data : "");
    audit_buf_free(&b);
    return out;
}

static void t_csv_neutralised(void **state)
{
    (void) state;
    static const char *const cases[][2] = {
        {"=1+2", "'=1+2"},
        {"+1", "'+1"},
        {"-2+3", "'-2+3"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"\rx", "\"'\rx\""},
        {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
        {"plain", "plain"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"1=1", "1=1"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = s_cell(cases[i][0]);
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
    char *got = s_cell(NULL);
    assert_string_equal(got, "");
    free(got);
}

static const audit_chain_event_t s_ev = {
    .firm_id = FIRM,
    .seq = 1,
    .event_id = "0b9c3a10-7e4f-4d2a-8c61-3f5e9d2b1a70",
    .at = "2026-11-29T20:30:00.000Z",
    .actor_id = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
    .actor_name = "=1+2",
    .actor_kind = "staff",
    .action = "client.created",
    .resource_type = "client",
    .user_agent = "Mozilla, \"5.0\"",
    .source = "auth",
    .details = "{\"name\":\"=1+2\",\"n\":[1,2.5,{\"z\":null,\"a\":\"é\"}]}",
};

static void t_csv_row(void **state)
{
    (void) state;
    audit_buf_t b = {0};
    audit_export_csv_header(&b);
    audit_export_csv_row(&b, &s_ev, HEAD);
    assert_string_equal(
        b.data,
        "seq,at,event_id,firm_id,actor_id,actor_name,actor_kind,action,resource_type,resource_id,"
        "client_id,ip,user_agent,request_id,source,details,hash\r\n"
        "1,2026-11-29T20:30:00.000Z,0b9c3a10-7e4f-4d2a-8c61-3f5e9d2b1a70," FIRM
        ",c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f,'=1+2,staff,client.created,client,,,,"
        "\"Mozilla, \"\"5.0\"\"\",,auth,"
        "\"{\"\"name\"\":\"\"=1+2\"\",\"\"n\"\":[1,2.5,{\"\"z\"\":null,\"\"a\"\":\"\"é\"\"}]}"
        "\"," HEAD "\r\n");
    audit_buf_free(&b);
}

static void t_jsonl_round_trip(void **state)
{
    (void) state;
    /* what is stored is the canonical details text */
    char *canon = audit_chain_normalize_details(s_ev.details);
    audit_chain_event_t ev = s_ev;
    ev.details = canon;
    char hash[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &ev, hash), 0);
    audit_buf_t b = {0};
    audit_export_jsonl_row(&b, &ev, hash);
    assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
    assert_null(strchr(b.data, '\n') != b.data + b.len - 1 ? b.data : NULL);
    audit_chain_event_t back;
    const char *h = NULL, *why = NULL;
    json_t *hold = NULL;
    char *details = NULL;
    assert_int_equal(audit_export_jsonl_parse(b.data, &back, &h, &hold, &details, &why), 0);
    assert_string_equal(back.details, canon);
    assert_null(back.client_id);
    assert_string_equal(back.actor_name, "=1+2"); /* JSONL is never neutralised */
    char again[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &back, again), 0);
    assert_string_equal(again, hash);
    assert_string_equal(h, hash);
    json_decref(hold);
    free(details);
    assert_int_equal(audit_export_jsonl_parse("[1]", &back, &h, &hold, &details, &why), -1);
    assert_int_equal(audit_export_jsonl_parse("{\"seq\":\"1\",\"details\":{}}", &back, &h, &hold,
                                              &details, &why),
                     -1);
    audit_buf_free(&b);
    free(canon);
}

/* A chain of n events of FIRM, hashes computed; names[] keeps them apart. */
#define N 6
static char s_ids[N][37], s_ats[N][25], s_hashes[N][AUDIT_CHAIN_HEX_LEN + 1];
static audit_chain_event_t s_chain[N];

static void s_make_chain(void)
{
    const char *prev = audit_chain_genesis;
    for (int i = 0; i < N; i++) {
        snprintf(s_ids[i], sizeof s_ids[i], "00000000-0000-4000-8000-%012d", i + 1);
        snprintf(s_ats[i], sizeof s_ats[i], "2026-11-29T20:30:0%d.000Z", i);
        s_chain[i] = (audit_chain_event_t){.firm_id = FIRM,
                                           .seq = i + 1,
                                           .event_id = s_ids[i],
                                           .at = s_ats[i],
                                           .action = "task.created",
                                           .details = "{}"};
        assert_int_equal(audit_chain_hash(prev, &s_chain[i], s_hashes[i]), 0);
        prev = s_hashes[i];
    }
}

static audit_checkpoint_t s_cp(const unsigned char sk[64], int64_t seq, char sig[129])
{
    audit_chain_checkpoint_sign(sk, FIRM, seq, s_hashes[seq - 1], AT, sig);
    return (audit_checkpoint_t){FIRM, seq, s_hashes[seq - 1], AT, KEY_ID, sig};
}

static void t_verify(void **state)
{
    (void) state;
    unsigned char pk[32], sk[64];
    s_keypair(pk, sk);
    s_make_chain();
    char sig3[129], sig6[129];
    audit_checkpoint_t cp3 = s_cp(sk, 3, sig3), cp6 = s_cp(sk, 6, sig6);
    audit_verify_t v;

    /* untouched: ok */
    audit_verify_init(&v, FIRM);
    for (int i = 0; i < N; i++) {
        audit_verify_event(&v, &s_chain[i], s_hashes[i]);
        if (i == 2)
            audit_verify_checkpoint(&v, &cp3, pk);
    }
    audit_verify_checkpoint(&v, &cp6, pk);
    audit_verify_expect_seq(&v, N);
    assert_true(audit_verify_ok(&v));
    assert_int_equal(v.events, N);
    assert_string_equal(v.head, s_hashes[N - 1]);
    assert_int_equal(v.checkpoints, 2);

    /* event 4 edited: named */
    audit_verify_init(&v, FIRM);
    for (int i = 0; i < N; i++) {
        audit_chain_event_t e = s_chain[i];
        if (i == 3)
            e.actor_name = "Mallory";
        audit_verify_event(&v, &e, s_hashes[i]);
    }
    audit_verify_checkpoint(&v, &cp6, pk);
    assert_false(audit_verify_ok(&v));
    assert_int_equal(v.first_bad_seq, 4);
    assert_false(v.checkpoints_ok); /* the chain no longer reaches cp6's head */

    /* event 2 missing */
    audit_verify_init(&v, FIRM);
    for (int i = 0; i < N; i++)
        if (i != 1)
            audit_verify_event(&v, &s_chain[i], s_hashes[i]);
    assert_int_equal(v.first_bad_seq, 2);

    /* newest two removed (and the head row rewound): the checkpoint says */
    audit_verify_init(&v, FIRM);
    for (int i = 0; i < 4; i++)
        audit_verify_event(&v, &s_chain[i], s_hashes[i]);
    audit_verify_checkpoint(&v, &cp6, pk);
    assert_false(audit_verify_ok(&v));
    assert_false(v.checkpoints_ok);
    assert_true(v.chain_ok);
    assert_int_equal(v.first_bad_seq, 5);
    assert_non_null(strstr(v.problem, "removed"));

    /* a forged checkpoint (another key) fails */
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    char bad[129];
    audit_checkpoint_t forged = s_cp(sk2, 3, bad);
    audit_verify_init(&v, FIRM);
    for (int i = 0; i < 3; i++)
        audit_verify_event(&v, &s_chain[i], s_hashes[i]);
    audit_verify_checkpoint(&v, &forged, pk);
    assert_false(v.checkpoints_ok);
    assert_int_equal(v.first_bad_seq, 3);
}

/* Retention: a trail whose events 1..3 were archived verifies from the
 * signed checkpoint at 3, and not without one, nor from a forged one. */
static void t_verify_from_checkpoint(void **state)
{
    (void) state;
    unsigned char pk[32], sk[64];
    s_keypair(pk, sk);
    s_make_chain();
    char sig3[129], sig6[129];
    audit_checkpoint_t cp3 = s_cp(sk, 3, sig3), cp6 = s_cp(sk, 6, sig6);
    audit_verify_t v;

    audit_verify_init(&v, FIRM);
    audit_verify_start(&v, 3, &cp3, pk);
    for (int i = 3; i < N; i++)
        audit_verify_event(&v, &s_chain[i], s_hashes[i]);
    audit_verify_checkpoint(&v, &cp6, pk);
    audit_verify_expect_seq(&v, N);
    assert_true(audit_verify_ok(&v));
    assert_int_equal(v.events, N - 3);
    assert_int_equal(v.start_seq, 3);
    assert_int_equal(v.checkpoints, 2);
    assert_string_equal(v.head, s_hashes[N - 1]);

    /* no checkpoint vouches for the start */
    audit_verify_init(&v, FIRM);
    audit_verify_start(&v, 3, NULL, NULL);
    for (int i = 3; i < N; i++)
        audit_verify_event(&v, &s_chain[i], s_hashes[i]);
    assert_false(audit_verify_ok(&v));
    assert_int_equal(v.first_bad_seq, 3);

    /* the start's checkpoint signed by another key */
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    char bad[129];
    audit_checkpoint_t forged = s_cp(sk2, 3, bad);
    audit_verify_init(&v, FIRM);
    audit_verify_start(&v, 3, &forged, pk);
    assert_false(audit_verify_ok(&v));

    /* the first live event removed as well: a gap after the start */
    audit_verify_init(&v, FIRM);
    audit_verify_start(&v, 3, &cp3, pk);
    for (int i = 4; i < N; i++)
        audit_verify_event(&v, &s_chain[i], s_hashes[i]);
    assert_false(audit_verify_ok(&v));
    assert_int_equal(v.first_bad_seq, 4);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_checkpoint_bytes),       cmocka_unit_test(t_checkpoint_signature),
        cmocka_unit_test(t_csv_neutralised),        cmocka_unit_test(t_csv_row),
        cmocka_unit_test(t_jsonl_round_trip),       cmocka_unit_test(t_verify),
        cmocka_unit_test(t_verify_from_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
