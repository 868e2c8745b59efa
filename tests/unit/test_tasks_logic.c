/* Unit tests for tasks_logic: formats (UUID, RFC 3339, cursor keys, UTF-8),
 * priorities and statuses, permissions, validation and PATCH merging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tasks_logic.h"

#define U1 "0b7e3c1a-1f2d-4c5b-9a8e-7d6c5b4a3f21"
#define U2 "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

static void t_time(void **state)
{
    (void) state;
    int64_t us = -1;
    assert_int_equal(tasks_time_parse("1970-01-01T00:00:00Z", &us), 0);
    assert_int_equal(us, 0);
    assert_int_equal(tasks_time_parse("2026-11-29T20:30:00.000Z", &us), 0);
    assert_int_equal(us, INT64_C(1795984200) * 1000000);
    int64_t other;
    assert_int_equal(tasks_time_parse("2026-11-29T21:30:00+01:00", &other), 0);
    assert_int_equal(other, us);
    assert_int_equal(tasks_time_parse("2026-11-29t15:00:00.5-05:30", &other), 0);
    assert_int_equal(other, us + 500000);
    assert_int_equal(tasks_time_parse("2026-11-29 20:30:00.1234567z", &other), 0);
    assert_int_equal(other, us + 123456);
    assert_int_equal(tasks_time_parse("2024-02-29T00:00:00Z", NULL), 0);
    assert_int_equal(tasks_time_parse("2000-02-29T00:00:00Z", NULL), 0);
    /* not RFC 3339, or not on the calendar */
    const char *bad[] = {"",
                         "tomorrow",
                         "2026-11-29",
                         "2026-11-29T20:30:00",
                         "2026-11-29T20:30Z",
                         "2026-13-01T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "1900-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "2026-11-29T24:00:00Z",
                         "2026-11-29T20:60:00Z",
                         "2026-11-29T20:30:00.Z",
                         "2026-11-29T20:30:00+0100",
                         "2026-11-29T20:30:00Z ",
                         "2026-11-29X20:30:00Z",
                         "0000-01-01T00:00:00Z",
                         "2026-1-29T20:30:00Z",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        if (tasks_time_parse(bad[i], NULL) == 0)
            fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(tasks_time_parse(NULL, NULL), -1);
}

static void t_cursor_key(void **state)
{
    (void) state;
    assert_true(tasks_cursor_key_valid("2026-11-29 20:30:00.123456"));
    assert_false(tasks_cursor_key_valid("2026-11-29 20:30:00.12345"));
    assert_false(tasks_cursor_key_valid("2026-11-29T20:30:00.123456"));
    assert_false(tasks_cursor_key_valid("2026-02-30 20:30:00.123456"));
    assert_false(tasks_cursor_key_valid("'; DROP TABLE tasks; --  "));
    assert_false(tasks_cursor_key_valid(NULL));
}

static void t_priority_status(void **state)
{
    (void) state;
    assert_true(tasks_priority_valid("low"));
    assert_true(tasks_priority_valid("urgent"));
    assert_false(tasks_priority_valid("URGENT"));
    assert_false(tasks_priority_valid(""));
    assert_false(tasks_priority_valid(NULL));
    const tasks_status_t *set = tasks_default_statuses;
    size_t n = TASKS_DEFAULT_STATUSES;
    assert_non_null(tasks_status_find(set, n, "in_progress"));
    assert_false(tasks_status_find(set, n, "open")->done);
    assert_true(tasks_status_find(set, n, "done")->done);
    assert_null(tasks_status_find(set, n, "Done"));
    assert_null(tasks_status_find(set, n, NULL));
    assert_string_equal(tasks_status_first(set, n, false), "open");
    assert_string_equal(tasks_status_first(set, n, true), "done");
    tasks_status_t custom[] = {{"todo", false}, {"shipped", true}, {"archived", true}};
    assert_string_equal(tasks_status_first(custom, 3, true), "shipped");
    assert_null(tasks_status_first(custom, 1, true));
}

static void t_may(void **state)
{
    (void) state;
    /* not their client: nothing, whatever else is true */
    assert_false(tasks_may(TASKS_OP_READ, NULL, true, true, true));
    /* staff: everything */
    for (int op = TASKS_OP_READ; op <= TASKS_OP_DELETE; op++)
        assert_true(tasks_may((tasks_op_t) op, "staff", true, false, false));
    /* viewer: reads only, even for a task assigned to them */
    assert_true(tasks_may(TASKS_OP_READ, "viewer", false, false, false));
    assert_false(tasks_may(TASKS_OP_CREATE, "viewer", false, false, false));
    assert_false(tasks_may(TASKS_OP_COMPLETE, "viewer", false, false, true));
    assert_false(tasks_may(TASKS_OP_UPDATE, "viewer", false, true, false));
    /* members and client admins */
    const char *roles[] = {"member", "admin"};
    for (int i = 0; i < 2; i++) {
        assert_true(tasks_may(TASKS_OP_CREATE, roles[i], false, false, false));
        assert_true(tasks_may(TASKS_OP_UPDATE, roles[i], false, true, false));
        assert_false(tasks_may(TASKS_OP_UPDATE, roles[i], false, false, true));
        assert_true(tasks_may(TASKS_OP_COMPLETE, roles[i], false, false, true));
        assert_true(tasks_may(TASKS_OP_COMPLETE, roles[i], false, true, false));
        assert_false(tasks_may(TASKS_OP_COMPLETE, roles[i], false, false, false));
        assert_false(tasks_may(TASKS_OP_DELETE, roles[i], false, true, true));
    }
    /* a role this version does not know reads only */
    assert_false(tasks_may(TASKS_OP_CREATE, "owner-ish", false, true, true));
}

static void t_dedupe(void **state)
{
    (void) state;
    char a[] = U1, b[] = U2, c[] = "0B7E3C1A-1F2D-4C5B-9A8E-7D6C5B4A3F21";
    char *ids[] = {a, b, c, a};
    assert_int_equal(tasks_dedupe(ids, 4, true), 2);
    assert_ptr_equal(ids[0], a);
    assert_ptr_equal(ids[1], b);
    char x[] = "Tax", y[] = "tax", z[] = "Tax";
    char *labels[] = {x, y, z};
    assert_int_equal(tasks_dedupe(labels, 3, false), 2);
    assert_int_equal(tasks_dedupe(NULL, 0, false), 0);
}

static Atrium__Tasks__Task s_task(void)
{
    Atrium__Tasks__Task t = ATRIUM__TASKS__TASK__INIT;
    t.title = "File the 2026 return";
    t.priority = "normal";
    t.status = "open";
    return t;
}

static void s_expect_invalid(const Atrium__Tasks__Task *t, const char *want_field)
{
    const char *field = NULL, *message = NULL;
    assert_int_equal(
        tasks_validate(t, tasks_default_statuses, TASKS_DEFAULT_STATUSES, &field, &message), -1);
    assert_string_equal(field, want_field);
    assert_non_null(message);
}

static void t_validate(void **state)
{
    (void) state;
    const tasks_status_t *set = tasks_default_statuses;
    const char *field = NULL, *message = NULL;
    Atrium__Tasks__Task t = s_task();
    assert_int_equal(tasks_validate(&t, set, TASKS_DEFAULT_STATUSES, &field, &message), 0);

    t.title = NULL;
    s_expect_invalid(&t, "title");
    t.title = "  \n";
    s_expect_invalid(&t, "title");
    char title[600];
    memset(title, 'x', 500);
    title[500] = 0;
    t.title = title;
    assert_int_equal(tasks_validate(&t, set, TASKS_DEFAULT_STATUSES, &field, &message), 0);
    title[500] = 'x';
    title[501] = 0;
    s_expect_invalid(&t, "title");
    /* 500 characters of two bytes each is still 500 characters */
    char wide[1100];
    for (int i = 0; i < 500; i++)
        memcpy(wide + 2 * i, "\xC3\xBC", 2);
    wide[1000] = 0;
    t.title = wide;
    assert_int_equal(tasks_validate(&t, set, TASKS_DEFAULT_STATUSES, &field, &message), 0);

    t = s_task();
    t.priority = "asap";
    s_expect_invalid(&t, "priority");
    t = s_task();
    t.status = "closed";
    s_expect_invalid(&t, "status");
    t = s_task();
    t.due_at = "next friday";
    s_expect_invalid(&t, "due_at");
    t = s_task();
    t.start_at = "2026-02-30T00:00:00Z";
    s_expect_invalid(&t, "start_at");
    t = s_task();
    t.start_at = "2026-12-02T00:00:00Z";
    t.due_at = "2026-12-01T23:00:00-02:00"; /* 2026-12-02T01:00Z: after the start */
    assert_int_equal(tasks_validate(&t, set, TASKS_DEFAULT_STATUSES, &field, &message), 0);
    t.due_at = "2026-12-01T23:00:00Z";
    s_expect_invalid(&t, "due_at");
    t = s_task();
    t.project_id = "p1";
    s_expect_invalid(&t, "project_id");
    t = s_task();
    char *ids[] = {U1, "42"};
    t.assignee_ids = ids;
    t.n_assignee_ids = 2;
    s_expect_invalid(&t, "assignee_ids");
    t = s_task();
    char *labels[] = {"tax", " "};
    t.labels = labels;
    t.n_labels = 2;
    s_expect_invalid(&t, "labels");
    t.n_labels = 1;
    assert_int_equal(tasks_validate(&t, set, TASKS_DEFAULT_STATUSES, &field, &message), 0);
    char *many[21];
    for (int i = 0; i < 21; i++)
        many[i] = "l";
    t.labels = many;
    t.n_labels = 21;
    s_expect_invalid(&t, "labels");
}

static void t_merge(void **state)
{
    (void) state;
    char *ids[] = {U1};
    char *labels[] = {"tax"};
    Atrium__Tasks__Task t = s_task();
    t.description = "old";
    t.due_at = "2026-12-01T10:00:00.000Z";
    t.assignee_ids = ids;
    t.n_assignee_ids = 1;
    t.labels = labels;
    t.n_labels = 1;
    const char *field = NULL;

    /* an empty patch changes nothing */
    Atrium__Tasks__UpdateTaskRequest p = ATRIUM__TASKS__UPDATE_TASK_REQUEST__INIT;
    Atrium__Tasks__Task m = t;
    assert_int_equal(tasks_merge(&m, &p, &field), 0);

    /* the same instant written differently is no change; "" clears */
    p.due_at = "2026-12-01T11:00:00+01:00";
    p.description = "";
    p.status = "done";
    m = t;
    long changed = tasks_merge(&m, &p, &field);
    assert_int_equal(changed, TASKS_F_DESCRIPTION | TASKS_F_STATUS);
    assert_null(m.description);
    assert_string_equal(m.status, "done");
    assert_string_equal(m.title, t.title);

    /* arrays replace when given (de-duplicated), clear empties */
    char *new_ids[] = {U2, U2, U1};
    Atrium__Tasks__UpdateTaskRequest q = ATRIUM__TASKS__UPDATE_TASK_REQUEST__INIT;
    q.assignee_ids = new_ids;
    q.n_assignee_ids = 3;
    char *clear[] = {"labels", "due_at"};
    q.clear = clear;
    q.n_clear = 2;
    m = t;
    changed = tasks_merge(&m, &q, &field);
    assert_int_equal(changed, TASKS_F_ASSIGNEES | TASKS_F_LABELS | TASKS_F_DUE);
    assert_int_equal(m.n_assignee_ids, 2);
    assert_string_equal(m.assignee_ids[0], U2);
    assert_int_equal(m.n_labels, 0);
    assert_null(m.due_at);

    /* the same assignees in another case: no change */
    char upper[] = "0B7E3C1A-1F2D-4C5B-9A8E-7D6C5B4A3F21";
    char *same[] = {upper};
    Atrium__Tasks__UpdateTaskRequest r = ATRIUM__TASKS__UPDATE_TASK_REQUEST__INIT;
    r.assignee_ids = same;
    r.n_assignee_ids = 1;
    m = t;
    assert_int_equal(tasks_merge(&m, &r, &field), 0);

    /* fields that cannot be cleared */
    char *bad[] = {"title"};
    Atrium__Tasks__UpdateTaskRequest s = ATRIUM__TASKS__UPDATE_TASK_REQUEST__INIT;
    s.clear = bad;
    s.n_clear = 1;
    m = t;
    assert_int_equal(tasks_merge(&m, &s, &field), -1);
    assert_string_equal(field, "clear");

    assert_true(tasks_is_assignee(&t, "0B7E3C1A-1F2D-4C5B-9A8E-7D6C5B4A3F21"));
    assert_false(tasks_is_assignee(&t, U2));
    assert_false(tasks_is_assignee(&t, NULL));
    assert_string_equal(tasks_field_name(TASKS_F_DUE), "due_at");
    assert_null(tasks_field_name(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_time),
        cmocka_unit_test(t_cursor_key),
        cmocka_unit_test(t_priority_status),
        cmocka_unit_test(t_may),
        cmocka_unit_test(t_dedupe),
        cmocka_unit_test(t_validate),
        cmocka_unit_test(t_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
