/* tasks_logic: the rules of a task that need no I/O: field formats (UUIDs,
 * RFC 3339 times, cursor keys, UTF-8 lengths), priorities, the firm's
 * statuses, who may do what, and merging a PATCH onto a stored task.
 *
 * It does not touch the database, the bus or the principal: callers pass
 * the facts (role, creator, assignee) in, so every rule is unit-testable.
 */
#ifndef TASKS_LOGIC_H
#define TASKS_LOGIC_H

#include "tasks.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TASKS_TITLE_MAX 500         /* characters (code points) */
#define TASKS_DESCRIPTION_MAX 20000 /* characters */
#define TASKS_LABEL_MAX 64          /* characters per label */
#define TASKS_LABELS_MAX 20         /* labels per task */
#define TASKS_ASSIGNEES_MAX 50      /* assignees per task */

/* One status of a firm: its key ("in_progress") and whether it counts as
 * done (completes the task). Strings are borrowed. */
typedef struct {
    const char *key;
    bool done;
} tasks_status_t;

/* The statuses every firm has until it defines its own (api.md "Tasks"):
 * open, in_progress, blocked, done. TASKS_DEFAULT_STATUSES entries. */
#define TASKS_DEFAULT_STATUSES 4
extern const tasks_status_t tasks_default_statuses[TASKS_DEFAULT_STATUSES];

/* The entry of set (n entries) whose key is key, or NULL (also for NULL key). */
const tasks_status_t *tasks_status_find(const tasks_status_t *set, size_t n, const char *key);

/* The key of the first status of set that is (done true) or is not (done
 * false) a done status, or NULL when there is none. Borrowed from set. */
const char *tasks_status_first(const tasks_status_t *set, size_t n, bool done);

/* True for low, normal, high and urgent. */
bool tasks_priority_valid(const char *priority);

/* Parses an RFC 3339 date-time (§5.6: "2026-11-29T20:30:00Z",
 * "2026-11-29T21:30:00.5+01:00"; 't'/'z' and a space for 'T' are accepted as
 * §5.6 allows) with calendar checks (days per month, leap years), into
 * microseconds since the Unix epoch (fraction digits beyond six are
 * truncated). Returns 0, or -1 when s is not such a time. *us may be NULL. */
int tasks_time_parse(const char *s, int64_t *us);

/* True when key has the exact cursor-key form the store writes:
 * "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, microseconds) with valid calendar
 * values, so a forged cursor cannot reach PostgreSQL as a bad cast. */
bool tasks_cursor_key_valid(const char *key);

/* What a caller may do with a task. */
typedef enum {
    TASKS_OP_READ = 0,
    TASKS_OP_CREATE,
    TASKS_OP_UPDATE,
    TASKS_OP_COMPLETE,
    TASKS_OP_DELETE,
} tasks_op_t;

/* Whether a caller may do op. role is at_can_see_client's answer (NULL: the
 * client is not theirs, so nothing, and the caller answers 404); staff is
 * at_is_staff; creator / assignee say whether the caller created / is
 * assigned to the task (ignored for READ and CREATE). Staff may do all;
 * client viewers only read; client admins and members create tasks, change
 * the tasks they created, and complete tasks they created or are assigned
 * to; only staff delete. */
bool tasks_may(tasks_op_t op, const char *role, bool staff, bool creator, bool assignee);

/* Removes repeated entries of strs (n entries) in place, keeping the first
 * of each; ci compares case-insensitively (UUIDs). Returns the new count. */
size_t tasks_dedupe(char **strs, size_t n, bool ci);

/* Checks a whole task as it would be stored (after defaults or a merge):
 * title present with text and at most TASKS_TITLE_MAX characters;
 * description at most TASKS_DESCRIPTION_MAX characters; project_id a UUID;
 * assignee_ids UUIDs (at most TASKS_ASSIGNEES_MAX); labels non-blank, at
 * most TASKS_LABEL_MAX characters each and TASKS_LABELS_MAX in all; start_at
 * and due_at RFC 3339 with start_at not after due_at; priority valid; status
 * one of set. Absent optional fields are fine. Returns 0, or -1 with *field
 * (a static field name) and *message (static, lower case) set. */
int tasks_validate(const Atrium__Tasks__Task *t, const tasks_status_t *set, size_t n,
                   const char **field, const char **message);

/* Bits of tasks_merge's changed mask, one per changeable field. */
enum {
    TASKS_F_TITLE = 1u << 0,
    TASKS_F_DESCRIPTION = 1u << 1,
    TASKS_F_PROJECT = 1u << 2,
    TASKS_F_ASSIGNEES = 1u << 3,
    TASKS_F_START = 1u << 4,
    TASKS_F_DUE = 1u << 5,
    TASKS_F_PRIORITY = 1u << 6,
    TASKS_F_LABELS = 1u << 7,
    TASKS_F_STATUS = 1u << 8,
};

/* The field name of one TASKS_F_ bit ("due_at"), or NULL. Static. */
const char *tasks_field_name(unsigned bit);

/* Applies patch onto t in place: a present field replaces t's; an empty
 * string clears description, project_id, start_at and due_at (NULL); each
 * name in patch->clear empties that field. Pointers are shared with patch
 * (both live in the request arena); assignee_ids and labels are then
 * de-duplicated in place (tasks_dedupe). A field counts as changed when its value
 * differs afterwards (times compared as instants). Returns the TASKS_F_ mask
 * of changed fields, or -1 with *field set when clear names a field that
 * cannot be cleared (title, status, priority, or an unknown name). Leaves t
 * unvalidated: call tasks_validate next. */
long tasks_merge(Atrium__Tasks__Task *t, const Atrium__Tasks__UpdateTaskRequest *patch,
                 const char **field);

/* True when id is among t's assignee_ids (case-insensitive). */
bool tasks_is_assignee(const Atrium__Tasks__Task *t, const char *user_id);

#endif
