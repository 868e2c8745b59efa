/* Unit tests for auth_rules (who may invite whom and manage which member,
 * role sets, token shape) and auth_session_describe (a session's listing
 * from its stored JSON and the key's TTL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "at_arena.h"
#include "auth_rules.h"
#include "auth_session.h"

static const auth_caller_t s_owner = {"staff", "owner", NULL};
static const auth_caller_t s_admin = {"staff", "admin", NULL};
static const auth_caller_t s_staff = {"staff", "staff", "staff"};
static const auth_caller_t s_client_admin = {"client", NULL, "admin"};
static const auth_caller_t s_client_member = {"client", NULL, "member"};
static const auth_caller_t s_client_viewer = {"client", NULL, "viewer"};
static const auth_caller_t s_client_elsewhere = {"client", NULL, NULL};

static void t_roles(void **state)
{
    (void) state;
    assert_true(auth_invite_role_ok("staff", "owner"));
    assert_true(auth_invite_role_ok("staff", "staff"));
    assert_false(auth_invite_role_ok("staff", "viewer"));
    assert_true(auth_invite_role_ok("client", "viewer"));
    assert_false(auth_invite_role_ok("client", "owner"));
    assert_false(auth_invite_role_ok("client", NULL));
    assert_false(auth_invite_role_ok(NULL, "admin"));
    assert_false(auth_invite_role_ok("robot", "admin"));
    assert_true(auth_member_role_ok("staff", "staff"));
    assert_false(auth_member_role_ok("staff", "admin"));
    assert_true(auth_member_role_ok("client", "admin"));
    assert_false(auth_member_role_ok("client", "staff"));
    assert_false(auth_member_role_ok("client", "Admin"));
}

static void t_may_invite(void **state)
{
    (void) state;
    assert_true(auth_may_invite(&s_owner, "staff", "owner"));
    assert_true(auth_may_invite(&s_owner, "client", "admin"));
    assert_true(auth_may_invite(&s_admin, "staff", "admin"));
    assert_false(auth_may_invite(&s_admin, "staff", "owner"));
    assert_true(auth_may_invite(&s_admin, "client", "viewer"));
    assert_false(auth_may_invite(&s_staff, "client", "member"));
    assert_false(auth_may_invite(&s_staff, "staff", "staff"));
    assert_true(auth_may_invite(&s_client_admin, "client", "admin"));
    assert_false(auth_may_invite(&s_client_admin, "staff", "staff"));
    assert_false(auth_may_invite(&s_client_member, "client", "member"));
    assert_false(auth_may_invite(&s_client_viewer, "client", "viewer"));
    assert_false(auth_may_invite(&s_client_elsewhere, "client", "member"));
    /* an invalid role is never allowed, whoever asks */
    assert_false(auth_may_invite(&s_owner, "client", "owner"));
    /* a client user whose principal claims a staff role gains nothing */
    const auth_caller_t forged = {"client", "owner", NULL};
    assert_false(auth_may_invite(&forged, "client", "member"));
}

static void t_may_manage(void **state)
{
    (void) state;
    assert_true(auth_may_manage_member(&s_owner, "staff"));
    assert_true(auth_may_manage_member(&s_admin, "client"));
    assert_false(auth_may_manage_member(&s_staff, "client"));
    assert_true(auth_may_manage_member(&s_client_admin, "client"));
    assert_false(auth_may_manage_member(&s_client_admin, "staff"));
    assert_false(auth_may_manage_member(&s_client_member, "client"));
    assert_false(auth_may_manage_member(&s_owner, NULL));
}

static void t_token_shape(void **state)
{
    (void) state;
    assert_true(auth_token_shape_ok("abcdefghijABCDEFGHIJ0123456789-_abcdefghijk"));
    assert_false(auth_token_shape_ok("abcdefghijABCDEFGHIJ0123456789-_abcdefghij"));
    assert_false(auth_token_shape_ok("abcdefghijABCDEFGHIJ0123456789-_abcdefghijkl"));
    assert_false(auth_token_shape_ok("abcdefghijABCDEFGHIJ0123456789+/abcdefghijk"));
    assert_false(auth_token_shape_ok("abcdefghijABCDEFGHIJ0123456789-_abcdefghij="));
    assert_false(auth_token_shape_ok(""));
    assert_false(auth_token_shape_ok(NULL));
    at_arena_t *a = at_arena_new();
    assert_true(auth_token_shape_ok(auth_random_token(a)));
    assert_string_not_equal(auth_random_token(a), auth_random_token(a));
    at_arena_destroy(&a);
}

static void t_describe(void **state)
{
    (void) state;
    at_arena_t *a = at_arena_new();
    /* created 2026-11-29T20:00:00Z, idle 1800 s, 12 h absolute */
    const char *json = "{\"user_id\":\"u\",\"firm_id\":\"f\",\"csrf_token\":\"c\","
                       "\"created_ms\":1795982400000,\"expires_ms\":1796025600000,"
                       "\"idle_s\":1800,\"ip\":\"10.0.0.7\",\"user_agent\":\"curl/8\","
                       "\"last_ms\":1795982400000,\"generation\":2}";
    int64_t now = 1795982400000 + 600000; /* ten minutes later */
    /* 1500 s left of 1800: used 300 s ago */
    Atrium__Auth__Session *s = auth_session_describe(a, "ab", json, strlen(json), 1500, now, "ab");
    assert_non_null(s);
    assert_string_equal(s->id, "ab");
    assert_string_equal(s->created_at, "2026-11-29T20:00:00.000Z");
    assert_string_equal(s->last_used_at, "2026-11-29T20:05:00.000Z");
    assert_string_equal(s->expires_at, "2026-11-30T08:00:00.000Z");
    assert_string_equal(s->ip, "10.0.0.7");
    assert_string_equal(s->user_agent, "curl/8");
    assert_true(s->has_current && s->current);
    /* TTL unknown: the stored last use; another session is not current */
    s = auth_session_describe(a, "cd", json, strlen(json), -2, now, "ab");
    assert_string_equal(s->last_used_at, "2026-11-29T20:00:00.000Z");
    assert_false(s->current);
    /* a TTL above idle_s (clock or config change) is ignored */
    s = auth_session_describe(a, "cd", json, strlen(json), 4000, now, NULL);
    assert_string_equal(s->last_used_at, "2026-11-29T20:00:00.000Z");
    /* not a session */
    assert_null(auth_session_describe(a, "x", "{}", 2, 10, now, NULL));
    assert_null(auth_session_describe(a, "x", "nope", 4, 10, now, NULL));
    at_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_roles),      cmocka_unit_test(t_may_invite),
        cmocka_unit_test(t_may_manage), cmocka_unit_test(t_token_shape),
        cmocka_unit_test(t_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
