/* tasks_logic: task rules without I/O (see tasks_logic.h). */
#include "tasks_logic.h"
#include "at_text.h"
#include <string.h>
#include <strings.h>

const tasks_status_t tasks_default_statuses[TASKS_DEFAULT_STATUSES] = {
    {"open", false},
    {"in_progress", false},
    {"blocked", false},
    {"done", true},
};

const tasks_status_t *tasks_status_find(const tasks_status_t *set, size_t n, const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (set[i].key && strcmp(set[i].key, key) == 0)
            return &set[i];
    return NULL;
}

const char *tasks_status_first(const tasks_status_t *set, size_t n, bool done)
{
    for (size_t i = 0; i < n; i++)
        if (set[i].done == done)
            return set[i].key;
    return NULL;
}

bool tasks_priority_valid(const char *p)
{
    static const char *const names[] = {"low", "normal", "high", "urgent"};
    if (!p)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(p, names[i]) == 0)
            return true;
    return false;
}

/* Reads exactly n digits at s into *v. */
static bool s_digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_mdays(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static int64_t s_days(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD?HH:MM:SS" at s with sep the allowed separators; fills the
 * fields and checks the calendar. */
static bool s_date_time(const char *s, const char *seps, int f[6])
{
    if (!s_digits(s, 4, &f[0]) || s[4] != '-' || !s_digits(s + 5, 2, &f[1]) || s[7] != '-' ||
        !s_digits(s + 8, 2, &f[2]) || !s[10] || !strchr(seps, s[10]) ||
        !s_digits(s + 11, 2, &f[3]) || s[13] != ':' || !s_digits(s + 14, 2, &f[4]) ||
        s[16] != ':' || !s_digits(s + 17, 2, &f[5]))
        return false;
    /* years before 1 or leap seconds are not times anyone schedules a task at */
    return f[0] >= 1 && f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= s_mdays(f[0], f[1]) &&
           f[3] <= 23 && f[4] <= 59 && f[5] <= 59;
}

int tasks_time_parse(const char *s, int64_t *us)
{
    int f[6];
    if (!s || strlen(s) < 20 || !s_date_time(s, "Tt ", f))
        return -1;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 6)
                frac = frac * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0)
            return -1;
        for (; nd < 6; nd++)
            frac *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!s_digits(p + 1, 2, &oh) || p[3] != ':' || !s_digits(p + 4, 2, &om) || oh > 23 ||
            om > 59)
            return -1;
        offset_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else
        return -1;
    if (*p)
        return -1;
    int64_t secs = s_days(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5] - offset_s;
    if (us)
        *us = secs * 1000000 + frac;
    return 0;
}

bool tasks_cursor_key_valid(const char *key)
{
    int f[6], frac;
    return key && strlen(key) == 26 && s_date_time(key, " ", f) && key[19] == '.' &&
           s_digits(key + 20, 6, &frac);
}

bool tasks_may(tasks_op_t op, const char *role, bool staff, bool creator, bool assignee)
{
    if (!role)
        return false;
    if (staff || op == TASKS_OP_READ)
        return true;
    if (strcmp(role, "admin") != 0 && strcmp(role, "member") != 0)
        return false; /* viewer, or a role this version does not know: read only */
    switch (op) {
    case TASKS_OP_CREATE: return true;
    case TASKS_OP_UPDATE: return creator;
    case TASKS_OP_COMPLETE: return creator || assignee;
    default: return false;
    }
}

size_t tasks_dedupe(char **strs, size_t n, bool ci)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < out && !seen; j++)
            seen = ci ? strcasecmp(strs[j], strs[i]) == 0 : strcmp(strs[j], strs[i]) == 0;
        if (!seen)
            strs[out++] = strs[i];
    }
    return out;
}

#define S_FAIL(f, m)    \
    do {                \
        *field = (f);   \
        *message = (m); \
        return -1;      \
    } while (0)

int tasks_validate(const Atrium__Tasks__Task *t, const tasks_status_t *set, size_t n,
                   const char **field, const char **message)
{
    long len = at_text_utf8_length(t->title);
    if (!t->title || !at_text_has_text(t->title))
        S_FAIL("title", "title must not be empty");
    if (len < 0 || len > TASKS_TITLE_MAX)
        S_FAIL("title", "title must be at most 500 characters");
    if (t->description) {
        len = at_text_utf8_length(t->description);
        if (len < 0 || len > TASKS_DESCRIPTION_MAX)
            S_FAIL("description", "description must be at most 20000 characters");
    }
    if (t->project_id && !at_text_uuid(t->project_id))
        S_FAIL("project_id", "project_id is not a valid id");
    if (t->n_assignee_ids > TASKS_ASSIGNEES_MAX)
        S_FAIL("assignee_ids", "a task has at most 50 assignees");
    for (size_t i = 0; i < t->n_assignee_ids; i++)
        if (!at_text_uuid(t->assignee_ids[i]))
            S_FAIL("assignee_ids", "assignee_ids holds an id that is not valid");
    if (t->n_labels > TASKS_LABELS_MAX)
        S_FAIL("labels", "a task has at most 20 labels");
    for (size_t i = 0; i < t->n_labels; i++) {
        len = at_text_utf8_length(t->labels[i]);
        if (!at_text_has_text(t->labels[i]) || len < 0 || len > TASKS_LABEL_MAX)
            S_FAIL("labels", "a label must be 1 to 64 characters");
    }
    int64_t start = 0, due = 0;
    if (t->start_at && tasks_time_parse(t->start_at, &start) != 0)
        S_FAIL("start_at", "start_at must be an RFC 3339 time such as 2026-11-29T20:30:00Z");
    if (t->due_at && tasks_time_parse(t->due_at, &due) != 0)
        S_FAIL("due_at", "due_at must be an RFC 3339 time such as 2026-11-29T20:30:00Z");
    if (t->start_at && t->due_at && start > due)
        S_FAIL("due_at", "due_at must not be before start_at");
    if (!tasks_priority_valid(t->priority))
        S_FAIL("priority", "priority must be low, normal, high or urgent");
    if (!tasks_status_find(set, n, t->status))
        S_FAIL("status", "status is not one of the firm's task statuses");
    return 0;
}

const char *tasks_field_name(unsigned bit)
{
    switch (bit) {
    case TASKS_F_TITLE: return "title";
    case TASKS_F_DESCRIPTION: return "description";
    case TASKS_F_PROJECT: return "project_id";
    case TASKS_F_ASSIGNEES: return "assignee_ids";
    case TASKS_F_START: return "start_at";
    case TASKS_F_DUE: return "due_at";
    case TASKS_F_PRIORITY: return "priority";
    case TASKS_F_LABELS: return "labels";
    case TASKS_F_STATUS: return "status";
    default: return NULL;
    }
}

static bool s_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Times compare as instants; text that does not parse compares as text (the
 * validator refuses it next anyway). */
static bool s_time_eq(const char *a, const char *b)
{
    int64_t x, y;
    if (a && b && tasks_time_parse(a, &x) == 0 && tasks_time_parse(b, &y) == 0)
        return x == y;
    return s_str_eq(a, b);
}

static bool s_list_eq(char **a, size_t na, char **b, size_t nb, bool ci)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (ci ? strcasecmp(a[i], b[i]) != 0 : strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* A patch string: absent keeps, "" clears, else replaces. */
static void s_take(char **dst, char *src)
{
    if (src)
        *dst = *src ? src : NULL;
}

long tasks_merge(Atrium__Tasks__Task *t, const Atrium__Tasks__UpdateTaskRequest *p,
                 const char **field)
{
    Atrium__Tasks__Task old = *t;
    for (size_t i = 0; i < p->n_clear; i++) {
        const char *c = p->clear[i];
        if (strcmp(c, "description") == 0)
            t->description = NULL;
        else if (strcmp(c, "project_id") == 0)
            t->project_id = NULL;
        else if (strcmp(c, "start_at") == 0)
            t->start_at = NULL;
        else if (strcmp(c, "due_at") == 0)
            t->due_at = NULL;
        else if (strcmp(c, "assignee_ids") == 0)
            t->n_assignee_ids = 0;
        else if (strcmp(c, "labels") == 0)
            t->n_labels = 0;
        else {
            *field = "clear";
            return -1;
        }
    }
    if (p->title)
        t->title = p->title;
    if (p->priority)
        t->priority = p->priority;
    if (p->status)
        t->status = p->status;
    s_take(&t->description, p->description);
    s_take(&t->project_id, p->project_id);
    s_take(&t->start_at, p->start_at);
    s_take(&t->due_at, p->due_at);
    if (p->n_assignee_ids) {
        t->assignee_ids = p->assignee_ids;
        t->n_assignee_ids = p->n_assignee_ids;
    }
    if (p->n_labels) {
        t->labels = p->labels;
        t->n_labels = p->n_labels;
    }
    t->n_assignee_ids = tasks_dedupe(t->assignee_ids, t->n_assignee_ids, true);
    t->n_labels = tasks_dedupe(t->labels, t->n_labels, false);
    long changed = 0;
    if (!s_str_eq(old.title, t->title))
        changed |= TASKS_F_TITLE;
    if (!s_str_eq(old.description, t->description))
        changed |= TASKS_F_DESCRIPTION;
    if (!(old.project_id && t->project_id ? strcasecmp(old.project_id, t->project_id) == 0
                                          : old.project_id == t->project_id))
        changed |= TASKS_F_PROJECT;
    if (!s_list_eq(old.assignee_ids, old.n_assignee_ids, t->assignee_ids, t->n_assignee_ids, true))
        changed |= TASKS_F_ASSIGNEES;
    if (!s_time_eq(old.start_at, t->start_at))
        changed |= TASKS_F_START;
    if (!s_time_eq(old.due_at, t->due_at))
        changed |= TASKS_F_DUE;
    if (!s_str_eq(old.priority, t->priority))
        changed |= TASKS_F_PRIORITY;
    if (!s_list_eq(old.labels, old.n_labels, t->labels, t->n_labels, false))
        changed |= TASKS_F_LABELS;
    if (!s_str_eq(old.status, t->status))
        changed |= TASKS_F_STATUS;
    return changed;
}

bool tasks_is_assignee(const Atrium__Tasks__Task *t, const char *user_id)
{
    if (!user_id)
        return false;
    for (size_t i = 0; i < t->n_assignee_ids; i++)
        if (t->assignee_ids[i] && strcasecmp(t->assignee_ids[i], user_id) == 0)
            return true;
    return false;
}
