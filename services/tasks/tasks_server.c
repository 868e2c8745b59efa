/* tasks_server: the tasks service's method table and its thin handlers:
 * validate, check the principal against the task's client, call the store
 * and the audit outbox in one transaction, answer a status.
 *
 * It holds no SQL (tasks_store) and no rules of its own (tasks_logic).
 */
#include "at_cursor.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_search.h"
#include "at_service.h"
#include "at_tenancy.h"
#include "at_text.h"
#include "tasks.pb-c.h"
#include "tasks_logic.h"
#include "tasks_store.h"
#include <string.h>

extern const at_embedded_t tasks_migrations[];

/* Task fields written as JSON null when absent (events; the gateway's
 * route rows carry the same list). */
static const char *const s_null_fields[] = {"description", "start_at",    "due_at", "completed_at",
                                            "project_id",  "next_cursor", NULL};

/* Publishes {"type", "client_id", "data": task} on atrium:events:<firm> for
 * the WebSocket layer. Best effort, after commit: a lost event costs a
 * refresh, never the change. */
static void s_publish(at_ctx_t *ctx, const char *type, const Atrium__Tasks__Task *t)
{
    json_t *ev = json_pack("{s:s, s:s?, s:o}", "type", type, "client_id", t->client_id, "data",
                           at_pbjson_encode(&t->base, s_null_fields));
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    char *channel = at_arena_printf(ctx->arena, "atrium:events:%s", ctx->principal->firm_id);
    if (!text || at_cache_publish(ctx->cache, channel, text, strlen(text)) < 0)
        at_warn("event %s for task %s was not published", type, t->id ? t->id : "?");
    free(text);
    json_decref(ev);
}

static at_status_t s_audit(at_ctx_t *ctx, const char *action, const Atrium__Tasks__Task *t,
                           json_t *details)
{
    json_object_set_new(details, "title", json_string(t->title));
    at_status_t st = at_audit(ctx, &(at_audit_event_t){.action = action,
                                                       .resource_type = "task",
                                                       .resource_id = t->id,
                                                       .client_id = t->client_id,
                                                       .details = details});
    json_decref(details);
    return st;
}

static at_status_t s_commit(at_ctx_t *ctx)
{
    return at_db_commit(ctx->db) == 0 ? AT_OK : AT_UNAVAILABLE;
}

/* The caller's role in the task's client, or NULL (answer 404). */
static const char *s_role(at_ctx_t *ctx, const char *firm_id, const Atrium__Tasks__Task *t)
{
    return at_can_see_client(ctx, firm_id, t->client_id);
}

/* Loads task id for op (locked when op changes it, inside the caller's
 * transaction) and checks the caller may see it (else 404 exactly as a
 * missing task) and may do op (else 403). */
static at_status_t s_load(at_ctx_t *ctx, const char *id, tasks_op_t op, Atrium__Tasks__Task **t)
{
    if (!at_text_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "task does not exist");
    char *firm_id = NULL;
    at_status_t st = tasks_store_get(ctx->db, ctx->arena, id, op != TASKS_OP_READ, &firm_id, t);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "task does not exist");
    if (st != AT_OK)
        return st;
    const char *role = s_role(ctx, firm_id, *t);
    if (!role)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "task does not exist");
    const char *me = ctx->principal->user_id;
    bool creator = (*t)->created_by && strcasecmp((*t)->created_by, me) == 0;
    if (!tasks_may(op, role, at_is_staff(ctx), creator, tasks_is_assignee(*t, me)))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "you may not %s this task",
                       op == TASKS_OP_DELETE     ? "delete"
                       : op == TASKS_OP_COMPLETE ? "complete"
                                                 : "change");
    return AT_OK;
}

static at_status_t s_create(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    const Atrium__Tasks__CreateTaskRequest *in = (const void *) request;
    const char *firm_id = ctx->principal->firm_id;
    const char *role = NULL;
    at_status_t st = at_client_visible(ctx, in->client_id, &role);
    if (st != AT_OK)
        return st;
    if (!tasks_may(TASKS_OP_CREATE, role, at_is_staff(ctx), false, false))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers may not create tasks");

    const tasks_status_t *set;
    size_t nset;
    st = tasks_store_statuses(ctx->db, ctx->arena, firm_id, &set, &nset);
    if (st != AT_OK)
        return st;
    Atrium__Tasks__Task t = ATRIUM__TASKS__TASK__INIT;
    t.client_id = in->client_id;
    t.title = in->title;
    t.description = in->description && *in->description ? in->description : NULL;
    t.project_id = in->project_id && *in->project_id ? in->project_id : NULL;
    t.start_at = in->start_at && *in->start_at ? in->start_at : NULL;
    t.due_at = in->due_at && *in->due_at ? in->due_at : NULL;
    t.priority = in->priority ? in->priority : "normal";
    t.status = in->status ? in->status : (char *) tasks_status_first(set, nset, false);
    /* the arrays live in the request arena; de-duplicating them in place is ours to do */
    t.assignee_ids = in->assignee_ids;
    t.n_assignee_ids = tasks_dedupe(in->assignee_ids, in->n_assignee_ids, true);
    t.labels = in->labels;
    t.n_labels = tasks_dedupe(in->labels, in->n_labels, false);
    const char *field, *message;
    if (tasks_validate(&t, set, nset, &field, &message) != 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s", message);

    bool done = tasks_status_find(set, nset, t.status)->done;
    Atrium__Tasks__Task *out = NULL;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    st = tasks_store_insert(ctx->db, ctx->arena, firm_id, &t, done, ctx->principal->user_id, &out);
    if (st == AT_OK)
        st = s_audit(ctx, "task.created", out, json_pack("{s:s}", "status", out->status));
    if (st == AT_OK && done)
        st = s_audit(ctx, "task.completed", out, json_object());
    if (st == AT_OK)
        st = s_commit(ctx);
    if (st != AT_OK)
        return st;
    s_publish(ctx, "task.updated", out);
    *reply = &out->base;
    return AT_CREATED;
}

static at_status_t s_list(at_ctx_t *ctx, const ProtobufCMessage *request, ProtobufCMessage **reply)
{
    const Atrium__Tasks__ListTasksRequest *in = (const void *) request;
    const char *firm_id = ctx->principal->firm_id;
    const char *role = NULL;
    at_status_t st = at_client_visible(ctx, in->client_id, &role);
    if (st != AT_OK)
        return st;
    const char *assignee = in->assignee && *in->assignee ? in->assignee : NULL;
    if (assignee && strcmp(assignee, "me") == 0)
        assignee = ctx->principal->user_id;
    if (assignee && !at_text_uuid(assignee))
        return at_fail(ctx, AT_VALIDATION_FAILED, "assignee", "assignee must be me or a user id");
    const char *project_id = in->project_id && *in->project_id ? in->project_id : NULL;
    if (project_id && !at_text_uuid(project_id))
        return at_fail(ctx, AT_VALIDATION_FAILED, "project_id", "project_id is not a valid id");
    char *key = NULL, *id = NULL;
    if (in->cursor && *in->cursor &&
        (at_cursor_decode(ctx->arena, in->cursor, &key, &id) != 0 || !tasks_cursor_key_valid(key) ||
         !at_text_uuid(id)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one this list made");
    Atrium__Tasks__TaskPage *page = NULL;
    st = tasks_store_list(ctx->db, ctx->arena, firm_id, in->client_id,
                          in->status && *in->status ? in->status : NULL, assignee, project_id, key,
                          id, at_page_limit(in->has_limit ? in->limit : 0), &page);
    if (st != AT_OK)
        return st;
    *reply = &page->base;
    return AT_OK;
}

static at_status_t s_get(at_ctx_t *ctx, const ProtobufCMessage *request, ProtobufCMessage **reply)
{
    const Atrium__Tasks__TaskIdRequest *in = (const void *) request;
    Atrium__Tasks__Task *t = NULL;
    at_status_t st = s_load(ctx, in->id, TASKS_OP_READ, &t);
    if (st != AT_OK)
        return st;
    *reply = &t->base;
    return AT_OK;
}

/* What a PATCH changed, for the audit trail: the changed field names, and
 * old and new values of the short fields (never the description's text). */
static json_t *s_changes(const Atrium__Tasks__Task *old, const Atrium__Tasks__Task *now,
                         long changed)
{
    json_t *names = json_array(), *from = json_object(), *to = json_object();
    struct {
        unsigned bit;
        const char *a, *b;
    } scalars[] = {
        {TASKS_F_TITLE, old->title, now->title},
        {TASKS_F_STATUS, old->status, now->status},
        {TASKS_F_PRIORITY, old->priority, now->priority},
        {TASKS_F_START, old->start_at, now->start_at},
        {TASKS_F_DUE, old->due_at, now->due_at},
        {TASKS_F_PROJECT, old->project_id, now->project_id},
    };
    for (unsigned bit = 1; bit <= TASKS_F_STATUS; bit <<= 1)
        if (changed & bit)
            json_array_append_new(names, json_string(tasks_field_name(bit)));
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
        if (!(changed & scalars[i].bit))
            continue;
        const char *name = tasks_field_name(scalars[i].bit);
        json_object_set_new(from, name, scalars[i].a ? json_string(scalars[i].a) : json_null());
        json_object_set_new(to, name, scalars[i].b ? json_string(scalars[i].b) : json_null());
    }
    return json_pack("{s:o, s:o, s:o}", "changed", names, "from", from, "to", to);
}

static at_status_t s_update(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    const Atrium__Tasks__UpdateTaskRequest *in = (const void *) request;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    Atrium__Tasks__Task *t = NULL;
    at_status_t st = s_load(ctx, in->id, TASKS_OP_UPDATE, &t);
    if (st != AT_OK)
        return st;
    const tasks_status_t *set;
    size_t nset;
    st = tasks_store_statuses(ctx->db, ctx->arena, ctx->principal->firm_id, &set, &nset);
    if (st != AT_OK)
        return st;
    Atrium__Tasks__Task old = *t;
    const char *field = NULL, *message = NULL;
    long changed = tasks_merge(t, in, &field);
    if (changed < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, field,
                       "clear names a field that cannot be cleared");
    /* a stored status the firm has since removed may stay while untouched */
    bool keep_status = !(changed & TASKS_F_STATUS) && !tasks_status_find(set, nset, t->status);
    tasks_status_t *with = NULL;
    if (keep_status) {
        with = at_arena_alloc(ctx->arena, sizeof *with * (nset + 1));
        memcpy(with, set, sizeof *with * nset);
        with[nset] = (tasks_status_t){t->status, t->completed_at != NULL};
        set = with;
        nset++;
    }
    if (tasks_validate(t, set, nset, &field, &message) != 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s", message);
    if (changed == 0) {
        at_db_rollback(ctx->db);
        *reply = &t->base;
        return AT_OK;
    }
    bool was_done = old.completed_at != NULL;
    bool done = tasks_status_find(set, nset, t->status)->done;
    Atrium__Tasks__Task *out = NULL;
    st = tasks_store_update(ctx->db, ctx->arena, t, done, &out);
    if (st == AT_OK)
        st = s_audit(ctx, "task.updated", out, s_changes(&old, out, changed));
    if (st == AT_OK && done && !was_done)
        st = s_audit(ctx, "task.completed", out, json_object());
    if (st == AT_OK)
        st = s_commit(ctx);
    if (st != AT_OK)
        return st;
    s_publish(ctx, "task.updated", out);
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_complete(at_ctx_t *ctx, const ProtobufCMessage *request,
                              ProtobufCMessage **reply)
{
    const Atrium__Tasks__TaskIdRequest *in = (const void *) request;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    Atrium__Tasks__Task *t = NULL;
    at_status_t st = s_load(ctx, in->id, TASKS_OP_COMPLETE, &t);
    if (st != AT_OK)
        return st;
    if (t->completed_at) { /* already done: completing again changes nothing */
        at_db_rollback(ctx->db);
        *reply = &t->base;
        return AT_OK;
    }
    const tasks_status_t *set;
    size_t nset;
    st = tasks_store_statuses(ctx->db, ctx->arena, ctx->principal->firm_id, &set, &nset);
    if (st != AT_OK)
        return st;
    const char *done_key = tasks_status_first(set, nset, true);
    if (!done_key)
        return at_fail(ctx, AT_CONFLICT, "status", "the firm has no done status");
    const char *old_status = t->status;
    t->status = (char *) done_key;
    Atrium__Tasks__Task *out = NULL;
    st = tasks_store_update(ctx->db, ctx->arena, t, true, &out);
    if (st == AT_OK)
        st = s_audit(ctx, "task.completed", out,
                     json_pack("{s:s?, s:s}", "from", old_status, "to", out->status));
    if (st == AT_OK)
        st = s_commit(ctx);
    if (st != AT_OK)
        return st;
    s_publish(ctx, "task.updated", out);
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_delete(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    (void) reply;
    const Atrium__Tasks__TaskIdRequest *in = (const void *) request;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    Atrium__Tasks__Task *t = NULL;
    at_status_t st = s_load(ctx, in->id, TASKS_OP_DELETE, &t);
    if (st != AT_OK)
        return st;
    st = tasks_store_delete(ctx->db, t->id);
    if (st == AT_OK)
        st = s_audit(ctx, "task.deleted", t, json_object());
    if (st == AT_OK)
        st = s_commit(ctx);
    return st == AT_OK ? AT_NO_CONTENT : st;
}

/* tasks.search: the tasks of the caller's firm and visible clients whose
 * title or description matches q (what tasks.list would show them). */
static at_status_t s_search(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    return at_search_handle(ctx, request, reply, tasks_store_search);
}

/* Tasks stored before search existed get their search vector (tenant "*"). */
static int s_init(const at_config_t *config, at_db_t *db, void **state)
{
    (void) config;
    *state = NULL;
    at_arena_t *arena = at_arena_new();
    int n = tasks_store_search_backfill(db, arena);
    at_arena_destroy(&arena);
    if (n < 0)
        return -1;
    if (n > 0)
        at_info("search vectors of %d tasks written", n);
    return 0;
}

/* tasks.dashboard: GET /dashboard's tasks_due. Staff see the open tasks
 * assigned to them (in the clients they see), client users every open task
 * of their clients: what each has to act on, due within 7 days or late. */
static at_status_t s_dashboard(at_ctx_t *ctx, const ProtobufCMessage *request,
                               ProtobufCMessage **reply)
{
    (void) request;
    bool all = false;
    const char *clients = at_client_scope(ctx, &all);
    Atrium__Tasks__DashboardReply *rep =
        at_msg_new(ctx, &atrium__tasks__dashboard_reply__descriptor);
    at_status_t st =
        tasks_store_dashboard(ctx->db, ctx->arena, ctx->principal->firm_id, ctx->principal->user_id,
                              at_is_staff(ctx), all, clients, rep);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the tasks cannot be counted");
    *reply = &rep->base;
    return AT_OK;
}

static const at_method_t s_methods[] = {
    {"tasks.dashboard", s_dashboard, &atrium__tasks__dashboard_request__descriptor,
     &atrium__tasks__dashboard_reply__descriptor, 0},
    {"tasks.create", s_create, &atrium__tasks__create_task_request__descriptor,
     &atrium__tasks__task__descriptor, 0},
    {"tasks.list", s_list, &atrium__tasks__list_tasks_request__descriptor,
     &atrium__tasks__task_page__descriptor, 0},
    {"tasks.get", s_get, &atrium__tasks__task_id_request__descriptor,
     &atrium__tasks__task__descriptor, 0},
    {"tasks.update", s_update, &atrium__tasks__update_task_request__descriptor,
     &atrium__tasks__task__descriptor, 0},
    {"tasks.complete", s_complete, &atrium__tasks__task_id_request__descriptor,
     &atrium__tasks__task__descriptor, 0},
    {"tasks.delete", s_delete, &atrium__tasks__task_id_request__descriptor, NULL, 0},
    {"tasks.search", s_search, &atrium__search__search_request__descriptor,
     &atrium__search__search_result__descriptor, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const at_service_def_t tasks_service = {
    .name = "tasks",
    .schema = "tasks",
    .methods = s_methods,
    .migrations = tasks_migrations,
    .init = s_init,
};
