/* Unit tests for audit_chain: the canonical encoding byte for byte, pinned
 * known-answer hashes (computed once by an independent Python
 * implementation of the header's specification), a chain of three events,
 * that any field change moves the hash, and the normalisers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_chain.h"

#define FIRM "5f0c2a4e-8d1b-4c3a-9e6f-2b7d1a0c9e35"
#define OWNER "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
#define CLIENT "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

/* The pinned vectors. Changing the encoding breaks every stored chain:
 * these must never be "updated" to make a test pass. */
#define H_MIN "121b6f451919406ed6b636fbb4b2ca2a8c384e66d6569628c658918ac296be35"
#define H_1 "f9eedcd912c2ef0569e7445c90fba4f0f97f0c1439d27d9eb0bb9ff77399f193"
#define H_2 "ad3b4b6975c10a1a12d97cb0ba6578e1b72fac9e9c00d8b2437b072a90b8caea"
#define H_3 "b4ac17a3934d9b6388d8b403adab1f6f535f15e8e9949544e8bef8740c3c8ef1"

static const audit_chain_event_t s_min = {
    .firm_id = FIRM,
    .seq = 1,
    .event_id = "0b9c3a10-7e4f-4d2a-8c61-3f5e9d2b1a70",
    .at = "2026-11-29T20:30:00.000Z",
    .action = "auth.login",
    .details = "{}",
};

static const audit_chain_event_t s_e1 = {
    .firm_id = FIRM,
    .seq = 1,
    .event_id = "0b9c3a10-7e4f-4d2a-8c61-3f5e9d2b1a70",
    .at = "2026-11-29T20:30:00.000Z",
    .actor_id = OWNER,
    .actor_name = "Ada Owner",
    .actor_kind = "staff",
    .action = "auth.login",
    .resource_type = "user",
    .resource_id = OWNER,
    .ip = "192.0.2.10",
    .user_agent = "Mozilla/5.0",
    .request_id = "req-1",
    .source = "auth",
    .details = "{}",
};

static const audit_chain_event_t s_e2 = {
    .firm_id = FIRM,
    .seq = 2,
    .event_id = "1c8d2b21-6f50-4e3b-9d72-4a6f0e3c2b81",
    .at = "2026-11-29T20:31:15.250Z",
    .actor_id = OWNER,
    .actor_name = "Ada Owner",
    .actor_kind = "staff",
    .action = "client.created",
    .resource_type = "client",
    .resource_id = CLIENT,
    .client_id = CLIENT,
    .ip = "192.0.2.10",
    .user_agent = "Mozilla/5.0",
    .request_id = "req-2",
    .source = "auth",
    .details = "{\"name\":\"Acme Ltd\"}",
};

static const audit_chain_event_t s_e3 = {
    .firm_id = FIRM,
    .seq = 3,
    .event_id = "2d7e1c32-5a61-4f4c-ae83-5b7a1f4d3c92",
    .at = "2026-11-30T08:00:00.001Z",
    .actor_kind = "system",
    .action = "document.uploaded",
    .resource_type = "document",
    .resource_id = "doc-42",
    .client_id = CLIENT,
    .source = "document",
    .details = "{\"name\":\"Bilanz 2026 \xc3\xa4\xc3\xb6\xc3\xbc.pdf\",\"size\":1024}",
};

static void t_canonical_bytes(void **state)
{
    (void) state;
    /* 17 fields: version, firm, "1", event, at, 3 absent, action, 7 absent, "{}" */
    static const char expect_hex[] =
        "0000000f61747269756d2e61756469742e7631"
        "00000024"
        "35663063326134652d386431622d346333612d396536662d326237643161306339653335"
        "00000001"
        "31"
        "00000024"
        "30623963336131302d376534662d346432612d386336312d336635653964326231613730"
        "00000018"
        "323032362d31312d32395432303a33303a30302e3030305a"
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "0000000a"
        "617574682e6c6f67696e"
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "00000002"
        "7b7d";
    size_t len = 0;
    unsigned char *c = audit_chain_canonical(&s_min, &len);
    assert_non_null(c);
    char *hex = malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", c[i]);
    assert_string_equal(hex, expect_hex);
    free(hex);
    free(c);
}

static void t_known_answer(void **state)
{
    (void) state;
    char h[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &s_min, h), 0);
    assert_string_equal(h, H_MIN);
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &s_e1, h), 0);
    assert_string_equal(h, H_1);
}

static void t_chain_of_three(void **state)
{
    (void) state;
    char h1[AUDIT_CHAIN_HEX_LEN + 1], h2[AUDIT_CHAIN_HEX_LEN + 1], h3[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &s_e1, h1), 0);
    assert_int_equal(audit_chain_hash(h1, &s_e2, h2), 0);
    assert_int_equal(audit_chain_hash(h2, &s_e3, h3), 0);
    assert_string_equal(h1, H_1);
    assert_string_equal(h2, H_2);
    assert_string_equal(h3, H_3);
    /* the previous hash is read in either case, written in lower case */
    char upper[AUDIT_CHAIN_HEX_LEN + 1], again[AUDIT_CHAIN_HEX_LEN + 1];
    for (int i = 0; i <= AUDIT_CHAIN_HEX_LEN; i++)
        upper[i] = (h2[i] >= 'a' && h2[i] <= 'f') ? (char) (h2[i] - 32) : h2[i];
    assert_int_equal(audit_chain_hash(upper, &s_e3, again), 0);
    assert_string_equal(again, H_3);
    /* the same event after another predecessor hashes differently */
    assert_int_equal(audit_chain_hash(h1, &s_e3, again), 0);
    assert_string_not_equal(again, H_3);
}

/* Every field, changed (or made absent, or made present), moves the hash. */
static void t_any_field_changes_hash(void **state)
{
    (void) state;
    char base[AUDIT_CHAIN_HEX_LEN + 1], h[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(H_1, &s_e2, base), 0);
    for (int f = 0; f < 16; f++) {
        for (int variant = 0; variant < 3; variant++) {
            audit_chain_event_t e = s_e2;
            char changed[256];
            const char **slot[] = {&e.firm_id,     &e.event_id,   &e.at,     &e.actor_id,
                                   &e.actor_name,  &e.actor_kind, &e.action, &e.resource_type,
                                   &e.resource_id, &e.client_id,  &e.ip,     &e.user_agent,
                                   &e.request_id,  &e.source,     &e.details};
            if (f == 15) {
                e.seq = variant + 3; /* seq: 3, 4, 5 instead of 2 */
            } else {
                snprintf(changed, sizeof changed, "%sx", *slot[f] ? *slot[f] : "");
                const char *v = variant == 0 ? changed : variant == 1 ? "" : NULL;
                if (!*slot[f] && variant == 2)
                    v = "present";
                *slot[f] = v;
            }
            int rc = audit_chain_hash(H_1, &e, h);
            bool required = f == 0 || f == 1 || f == 2 || f == 6 || f == 14;
            if (rc != 0) {
                /* only a required field may be refused, and only when absent */
                assert_true(required && variant == 2);
                continue;
            }
            if (strcmp(h, base) == 0)
                fail_msg("field %d variant %d did not change the hash", f, variant);
        }
    }
    /* the length prefixes keep field boundaries: "ab"+"c" is not "a"+"bc" */
    audit_chain_event_t a = s_e2, b = s_e2;
    a.actor_name = "ab";
    a.actor_kind = "c";
    b.actor_name = "a";
    b.actor_kind = "bc";
    char ha[AUDIT_CHAIN_HEX_LEN + 1], hb[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(H_1, &a, ha), 0);
    assert_int_equal(audit_chain_hash(H_1, &b, hb), 0);
    assert_string_not_equal(ha, hb);
}

static void t_refusals(void **state)
{
    (void) state;
    char h[AUDIT_CHAIN_HEX_LEN + 1];
    assert_int_equal(audit_chain_hash(NULL, &s_e1, h), -1);
    assert_int_equal(audit_chain_hash("00", &s_e1, h), -1);
    assert_int_equal(
        audit_chain_hash("g000000000000000000000000000000000000000000000000000000000000000", &s_e1,
                         h),
        -1);
    assert_string_equal(h, "");
    audit_chain_event_t e = s_e1;
    e.seq = 0;
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &e, h), -1);
    e = s_e1;
    e.details = NULL;
    assert_int_equal(audit_chain_hash(audit_chain_genesis, &e, h), -1);
    size_t len = 99;
    assert_null(audit_chain_canonical(&e, &len));
    assert_int_equal(len, 0);
}

static void t_normalize_uuid(void **state)
{
    (void) state;
    char u[AUDIT_UUID_LEN + 1];
    assert_int_equal(audit_chain_normalize_uuid("5F0C2A4E-8D1B-4C3A-9E6F-2B7D1A0C9E35", u), 0);
    assert_string_equal(u, FIRM);
    assert_int_equal(audit_chain_normalize_uuid(FIRM, u), 0);
    assert_string_equal(u, FIRM);
    const char *bad[] = {NULL,
                         "",
                         "5f0c2a4e8d1b4c3a9e6f2b7d1a0c9e35",
                         "{5f0c2a4e-8d1b-4c3a-9e6f-2b7d1a0c9e3}",
                         "5f0c2a4e-8d1b-4c3a-9e6f-2b7d1a0c9e3g",
                         "5f0c2a4e-8d1b-4c3a-9e6f-2b7d1a0c9e355",
                         "5f0c2a4e-8d1b-4c3a+9e6f-2b7d1a0c9e35"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(audit_chain_normalize_uuid(bad[i], u), -1);
}

static void t_normalize_time(void **state)
{
    (void) state;
    struct {
        const char *in, *out;
    } ok[] = {
        {"2026-11-29T20:30:00.000Z", "2026-11-29T20:30:00.000Z"},
        {"2026-11-29T20:30:00Z", "2026-11-29T20:30:00.000Z"},
        {"2026-11-29t20:30:00.5z", "2026-11-29T20:30:00.500Z"},
        {"2026-11-29T20:30:00.123999Z", "2026-11-29T20:30:00.123Z"}, /* truncated */
        {"2026-11-29T21:30:00.250+01:00", "2026-11-29T20:30:00.250Z"},
        {"2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000Z"},
        {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"},
        {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
    };
    char out[AUDIT_TIME_LEN + 1];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(audit_chain_normalize_time(ok[i].in, out), 0);
        assert_string_equal(out, ok[i].out);
    }
    const char *bad[] = {NULL,
                         "",
                         "2026-11-29",
                         "2026-11-29 20:30:00Z",
                         "2026-11-29T20:30:00",
                         "2026-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "2026-13-01T00:00:00Z",
                         "2026-11-29T24:00:00Z",
                         "2026-11-29T23:59:60Z",
                         "2026-11-29T20:30:00.Z",
                         "2026-11-29T20:30:00.1234567890Z",
                         "2026-11-29T20:30:00+0100",
                         "2026-11-29T20:30:00Zjunk",
                         "0000-01-01T00:00:00Z",
                         "9999-12-31T23:30:00-01:00",
                         "+2026-11-29T20:30:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (audit_chain_normalize_time(bad[i], out) != -1)
            fail_msg("accepted %s", bad[i] ? bad[i] : "NULL");
}

static void t_normalize_details(void **state)
{
    (void) state;
    char *d = audit_chain_normalize_details("{\"b\": 1, \"a\": {\"d\": [1, 2], \"c\": \"x\"}}");
    assert_string_equal(d, "{\"a\":{\"c\":\"x\",\"d\":[1,2]},\"b\":1}");
    free(d);
    d = audit_chain_normalize_details("{\"name\": \"Bilanz \xc3\xa4.pdf\"}");
    assert_string_equal(d, "{\"name\":\"Bilanz \xc3\xa4.pdf\"}");
    free(d);
    d = audit_chain_normalize_details(NULL);
    assert_string_equal(d, "{}");
    free(d);
    d = audit_chain_normalize_details("");
    assert_string_equal(d, "{}");
    free(d);
    assert_null(audit_chain_normalize_details("[1]"));
    assert_null(audit_chain_normalize_details("\"x\""));
    assert_null(audit_chain_normalize_details("{"));
    assert_null(audit_chain_normalize_details("{\"a\":1,\"a\":2}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_canonical_bytes), cmocka_unit_test(t_known_answer),
        cmocka_unit_test(t_chain_of_three),  cmocka_unit_test(t_any_field_changes_hash),
        cmocka_unit_test(t_refusals),        cmocka_unit_test(t_normalize_uuid),
        cmocka_unit_test(t_normalize_time),  cmocka_unit_test(t_normalize_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
