/* messaging_server: the messaging service's method table and thin
 * handlers: validate, check the principal against the thread's client, call
 * the store and the audit outbox in one transaction, publish the event for
 * the WebSocket layer after commit, answer a status.
 *
 * It holds no SQL (messaging_store) and no rules (messaging_logic).
 */
#include "at_cursor.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_search.h"
#include "at_service.h"
#include "at_tenancy.h"
#include "at_text.h"
#include "document.pb-c.h"
#include "messaging.pb-c.h"
#include "messaging_logic.h"
#include "messaging_store.h"
#include "tasks.pb-c.h"
#include <string.h>
#include <strings.h>

extern const at_embedded_t messaging_migrations[];

static const char *const s_null_fields[] = {"edited_at", "next_cursor", NULL};

/* Publishes {"type":"message.created","client_id","data":message} on
 * atrium:events:<firm>. Best effort, after commit: a lost event costs the
 * reader a refresh, never the message. */
static void s_publish(at_ctx_t *ctx, const char *client_id, const Atrium__Messaging__Message *m)
{
    json_t *ev = json_pack("{s:s, s:s, s:o}", "type", "message.created", "client_id", client_id,
                           "data", at_pbjson_encode(&m->base, s_null_fields));
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    char *channel = at_arena_printf(ctx->arena, "atrium:events:%s", ctx->principal->firm_id);
    if (!text || at_cache_publish(ctx->cache, channel, text, strlen(text)) < 0)
        at_warn("event message.created for message %s was not published", m->id);
    free(text);
    json_decref(ev);
}

static at_status_t s_audit(at_ctx_t *ctx, const char *action, const char *type, const char *id,
                           const char *client_id, json_t *details)
{
    at_status_t st = at_audit(ctx, &(at_audit_event_t){.action = action,
                                                       .resource_type = type,
                                                       .resource_id = id,
                                                       .client_id = client_id,
                                                       .details = details});
    json_decref(details);
    return st;
}

static at_status_t s_commit(at_ctx_t *ctx)
{
    return at_db_commit(ctx->db) == 0 ? AT_OK : AT_UNAVAILABLE;
}

static at_status_t s_check_body(at_ctx_t *ctx, const char *body)
{
    messaging_body_t b = messaging_body_check(body);
    if (b != MESSAGING_BODY_OK)
        return at_fail(ctx, AT_VALIDATION_FAILED, "body", "%s", messaging_body_error(b));
    return AT_OK;
}

static at_status_t s_check_mentions(at_ctx_t *ctx, char **ids, size_t *n)
{
    const char *err = messaging_mentions_check(ids, n);
    return err ? at_fail(ctx, AT_VALIDATION_FAILED, "mention_ids", "%s", err) : AT_OK;
}

/* Loads thread id for the caller and checks they may see it (else 404
 * exactly as a missing thread) and do op (else 403). */
static at_status_t s_thread(at_ctx_t *ctx, const char *id, messaging_op_t op,
                            Atrium__Messaging__Thread **t)
{
    if (!at_text_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "thread does not exist");
    char *firm_id = NULL;
    at_status_t st =
        messaging_store_thread_get(ctx->db, ctx->arena, id, ctx->principal->user_id, &firm_id, t);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "thread does not exist");
    if (st != AT_OK)
        return st;
    const char *role = at_can_see_client(ctx, firm_id, (*t)->client_id);
    if (!role)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "thread does not exist");
    if (!messaging_may(op, role, at_is_staff(ctx), false))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers may not post messages");
    return AT_OK;
}

/* A thread about a task or a document must name one of the same client that
 * the caller can see; the tasks or document service decides visibility (a
 * document in an internal folder is not there for a client user). */
static at_status_t s_check_about(at_ctx_t *ctx, const char *client_id,
                                 const Atrium__Messaging__About *about)
{
    const char *field = NULL;
    const char *err = messaging_about_error(about->type, about->id, &field);
    if (err)
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s", err);
    if (strcmp(about->type, "document") == 0) {
        Atrium__Document__GetDocumentRequest dreq = ATRIUM__DOCUMENT__GET_DOCUMENT_REQUEST__INIT;
        dreq.id = about->id;
        ProtobufCMessage *dreply = NULL;
        at_status_t st = at_call(ctx, "document.get", &dreq.base,
                                 &atrium__document__document__descriptor, &dreply);
        const Atrium__Document__Document *doc = (const void *) dreply;
        if (st == AT_NOT_FOUND || st == AT_FORBIDDEN ||
            (st == AT_OK &&
             (!doc || !doc->client_id || strcasecmp(doc->client_id, client_id) != 0)))
            return at_fail(ctx, AT_VALIDATION_FAILED, "about.id",
                           "document %s does not exist in this client", about->id);
        return st;
    }
    Atrium__Tasks__TaskIdRequest req = ATRIUM__TASKS__TASK_ID_REQUEST__INIT;
    req.id = about->id;
    ProtobufCMessage *reply = NULL;
    at_status_t st = at_call(ctx, "tasks.get", &req.base, &atrium__tasks__task__descriptor, &reply);
    const Atrium__Tasks__Task *task = (const void *) reply;
    if (st == AT_NOT_FOUND || st == AT_FORBIDDEN ||
        (st == AT_OK && (!task || !task->client_id || strcasecmp(task->client_id, client_id) != 0)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "about.id",
                       "task %s does not exist in this client", about->id);
    return st;
}

static at_status_t s_create_thread(at_ctx_t *ctx, const ProtobufCMessage *request,
                                   ProtobufCMessage **reply)
{
    const Atrium__Messaging__CreateThreadRequest *in = (const void *) request;
    const Atrium__Principal *me = ctx->principal;
    const char *role = NULL;
    at_status_t st = at_client_visible(ctx, in->client_id, &role);
    if (st != AT_OK)
        return st;
    if (!messaging_may(MESSAGING_OP_WRITE, role, at_is_staff(ctx), false))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers may not start threads");
    const char *err = messaging_subject_error(in->subject);
    if (err)
        return at_fail(ctx, AT_VALIDATION_FAILED, "subject", "%s", err);
    st = s_check_body(ctx, in->body);
    size_t n_mentions = in->n_mention_ids;
    if (st == AT_OK)
        st = s_check_mentions(ctx, in->mention_ids, &n_mentions);
    const Atrium__Messaging__About *about =
        in->about && (in->about->type || in->about->id) ? in->about : NULL;
    if (st == AT_OK && about) /* a bus call: before the transaction opens */
        st = s_check_about(ctx, in->client_id, about);
    if (st != AT_OK)
        return st;

    char *thread_id = NULL;
    Atrium__Messaging__Message *msg = NULL;
    Atrium__Messaging__Thread *t = NULL;
    char *firm_id = NULL;
    messaging_author_t author = {me->user_id, me->name, me->kind};
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    st = messaging_store_thread_insert(ctx->db, ctx->arena, me->firm_id, in->client_id, in->subject,
                                       about ? about->type : NULL, about ? about->id : NULL,
                                       me->user_id, &thread_id);
    if (st == AT_OK)
        st = messaging_store_message_insert(ctx->db, ctx->arena, thread_id, me->firm_id,
                                            in->client_id, &author, in->body, in->mention_ids,
                                            n_mentions, &msg);
    if (st == AT_OK)
        st = messaging_store_thread_get(ctx->db, ctx->arena, thread_id, me->user_id, &firm_id, &t);
    if (st == AT_OK)
        st = s_audit(ctx, "thread.created", "thread", thread_id, in->client_id,
                     about ? json_pack("{s:s, s:{s:s, s:s}}", "subject", in->subject, "about",
                                       "type", about->type, "id", about->id)
                           : json_pack("{s:s}", "subject", in->subject));
    if (st == AT_OK)
        st = s_audit(ctx, "message.posted", "message", msg->id, in->client_id,
                     json_pack("{s:s, s:s}", "subject", in->subject, "thread_id", thread_id));
    if (st == AT_OK)
        st = s_commit(ctx);
    if (st != AT_OK)
        return st;
    s_publish(ctx, in->client_id, msg);
    t->first_message = msg;
    *reply = &t->base;
    return AT_CREATED;
}

/* A cursor's sequence key, or NULL with a 400 recorded in ctx. */
static bool s_cursor(at_ctx_t *ctx, const char *cursor, char **seq)
{
    *seq = NULL;
    if (!cursor || !*cursor)
        return true;
    char *id = NULL;
    if (at_cursor_decode(ctx->arena, cursor, seq, &id) != 0 || !messaging_seq_key_valid(*seq) ||
        !at_text_uuid(id)) {
        at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one this list made");
        return false;
    }
    return true;
}

static at_status_t s_list_threads(at_ctx_t *ctx, const ProtobufCMessage *request,
                                  ProtobufCMessage **reply)
{
    const Atrium__Messaging__ListThreadsRequest *in = (const void *) request;
    const Atrium__Principal *me = ctx->principal;
    const char *role = NULL;
    at_status_t st = at_client_visible(ctx, in->client_id, &role);
    if (st != AT_OK)
        return st;
    char *seq = NULL;
    if (!s_cursor(ctx, in->cursor, &seq))
        return AT_VALIDATION_FAILED;
    Atrium__Messaging__ThreadPage *page = NULL;
    st = messaging_store_thread_list(ctx->db, ctx->arena, me->firm_id, in->client_id, me->user_id,
                                     seq, at_page_limit(in->has_limit ? in->limit : 0), &page);
    if (st != AT_OK)
        return st;
    *reply = &page->base;
    return AT_OK;
}

static at_status_t s_get_thread(at_ctx_t *ctx, const ProtobufCMessage *request,
                                ProtobufCMessage **reply)
{
    const Atrium__Messaging__ThreadIdRequest *in = (const void *) request;
    Atrium__Messaging__Thread *t = NULL;
    at_status_t st = s_thread(ctx, in->id, MESSAGING_OP_READ, &t);
    if (st != AT_OK)
        return st;
    *reply = &t->base;
    return AT_OK;
}

static at_status_t s_list_messages(at_ctx_t *ctx, const ProtobufCMessage *request,
                                   ProtobufCMessage **reply)
{
    const Atrium__Messaging__ListMessagesRequest *in = (const void *) request;
    Atrium__Messaging__Thread *t = NULL;
    at_status_t st = s_thread(ctx, in->id, MESSAGING_OP_READ, &t);
    if (st != AT_OK)
        return st;
    char *seq = NULL;
    if (!s_cursor(ctx, in->cursor, &seq))
        return AT_VALIDATION_FAILED;
    Atrium__Messaging__MessagePage *page = NULL;
    st = messaging_store_message_list(ctx->db, ctx->arena, t->id, seq,
                                      at_page_limit(in->has_limit ? in->limit : 0), &page);
    if (st != AT_OK)
        return st;
    *reply = &page->base;
    return AT_OK;
}

static at_status_t s_post_message(at_ctx_t *ctx, const ProtobufCMessage *request,
                                  ProtobufCMessage **reply)
{
    const Atrium__Messaging__PostMessageRequest *in = (const void *) request;
    const Atrium__Principal *me = ctx->principal;
    Atrium__Messaging__Thread *t = NULL;
    at_status_t st = s_thread(ctx, in->id, MESSAGING_OP_WRITE, &t);
    size_t n_mentions = in->n_mention_ids;
    if (st == AT_OK)
        st = s_check_body(ctx, in->body);
    if (st == AT_OK)
        st = s_check_mentions(ctx, in->mention_ids, &n_mentions);
    if (st != AT_OK)
        return st;
    messaging_author_t author = {me->user_id, me->name, me->kind};
    Atrium__Messaging__Message *msg = NULL;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    /* the thread's firm is the principal's: s_thread checked it */
    st = messaging_store_message_insert(ctx->db, ctx->arena, t->id, me->firm_id, t->client_id,
                                        &author, in->body, in->mention_ids, n_mentions, &msg);
    if (st == AT_NOT_FOUND) /* the thread was deleted meanwhile (foreign key) */
        return at_fail(ctx, AT_NOT_FOUND, NULL, "thread does not exist");
    if (st == AT_OK)
        st = s_audit(ctx, "message.posted", "message", msg->id, t->client_id,
                     json_pack("{s:s, s:s}", "subject", t->subject, "thread_id", t->id));
    if (st == AT_OK)
        st = s_commit(ctx);
    if (st != AT_OK)
        return st;
    s_publish(ctx, t->client_id, msg);
    *reply = &msg->base;
    return AT_CREATED;
}

/* Loads message id (locked, inside the caller's transaction) for its author
 * to change: 404 when the caller cannot see it, 403 when not theirs. */
static at_status_t s_own_message(at_ctx_t *ctx, const char *id, Atrium__Messaging__Message **m,
                                 char **client_id, char **subject)
{
    if (!at_text_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "message does not exist");
    char *firm_id = NULL;
    at_status_t st =
        messaging_store_message_get(ctx->db, ctx->arena, id, true, &firm_id, client_id, subject, m);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "message does not exist");
    if (st != AT_OK)
        return st;
    const char *role = at_can_see_client(ctx, firm_id, *client_id);
    if (!role)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "message does not exist");
    bool author = (*m)->author && (*m)->author->id &&
                  strcasecmp((*m)->author->id, ctx->principal->user_id) == 0;
    if (!messaging_may(MESSAGING_OP_EDIT, role, at_is_staff(ctx), author))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only the author may change a message");
    return AT_OK;
}

static at_status_t s_edit_message(at_ctx_t *ctx, const ProtobufCMessage *request,
                                  ProtobufCMessage **reply)
{
    const Atrium__Messaging__EditMessageRequest *in = (const void *) request;
    Atrium__Messaging__Message *m = NULL, *out = NULL;
    char *client_id = NULL, *subject = NULL;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    at_status_t st = s_own_message(ctx, in->id, &m, &client_id, &subject);
    if (st == AT_OK)
        st = s_check_body(ctx, in->body);
    if (st != AT_OK)
        return st;
    if (strcmp(m->body, in->body) == 0) { /* same text: not an edit */
        at_db_rollback(ctx->db);
        *reply = &m->base;
        return AT_OK;
    }
    st = messaging_store_message_edit(ctx->db, ctx->arena, m->id, in->body, &out);
    if (st == AT_OK)
        st = s_audit(ctx, "message.edited", "message", m->id, client_id,
                     json_pack("{s:s?, s:s}", "subject", subject, "thread_id", m->thread_id));
    if (st == AT_OK)
        st = s_commit(ctx);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_delete_message(at_ctx_t *ctx, const ProtobufCMessage *request,
                                    ProtobufCMessage **reply)
{
    (void) reply;
    const Atrium__Messaging__MessageIdRequest *in = (const void *) request;
    Atrium__Messaging__Message *m = NULL;
    char *client_id = NULL, *subject = NULL;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    at_status_t st = s_own_message(ctx, in->id, &m, &client_id, &subject);
    if (st == AT_OK)
        st = messaging_store_message_delete(ctx->db, m->id);
    if (st == AT_OK)
        st = s_audit(ctx, "message.deleted", "message", m->id, client_id,
                     json_pack("{s:s?, s:s}", "subject", subject, "thread_id", m->thread_id));
    if (st == AT_OK)
        st = s_commit(ctx);
    return st == AT_OK ? AT_NO_CONTENT : st;
}

static at_status_t s_mark_read(at_ctx_t *ctx, const ProtobufCMessage *request,
                               ProtobufCMessage **reply)
{
    (void) reply;
    const Atrium__Messaging__MarkReadRequest *in = (const void *) request;
    Atrium__Messaging__Thread *t = NULL;
    at_status_t st = s_thread(ctx, in->id, MESSAGING_OP_READ, &t);
    if (st != AT_OK)
        return st;
    const char *up_to = in->up_to && *in->up_to ? in->up_to : NULL;
    if (up_to && !at_text_uuid(up_to))
        return at_fail(ctx, AT_VALIDATION_FAILED, "up_to", "up_to is not a message of this thread");
    st = messaging_store_mark_read(ctx->db, t->id, ctx->principal->user_id, up_to);
    if (st == AT_NOT_FOUND && up_to)
        return at_fail(ctx, AT_VALIDATION_FAILED, "up_to", "up_to is not a message of this thread");
    if (st == AT_NOT_FOUND) /* the thread went away meanwhile */
        return at_fail(ctx, AT_NOT_FOUND, NULL, "thread does not exist");
    return st == AT_OK ? AT_NO_CONTENT : st;
}

/* messaging.search: messages of the caller's firm and visible clients whose
 * body and thread subject match q, one per thread. */
static at_status_t s_search(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    return at_search_handle(ctx, request, reply, messaging_store_search);
}

/* Messages and threads stored before search existed get their search
 * vector (tenant "*"). */
static int s_init(const at_config_t *config, at_db_t *db, void **state)
{
    (void) config;
    *state = NULL;
    at_arena_t *arena = at_arena_new();
    int n = messaging_store_search_backfill(db, arena);
    at_arena_destroy(&arena);
    if (n < 0)
        return -1;
    if (n > 0)
        at_info("search vectors of %d messages and threads written", n);
    return 0;
}

/* messaging.dashboard: GET /dashboard's unread_threads, over every thread
 * of the clients the caller sees. */
static at_status_t s_dashboard(at_ctx_t *ctx, const ProtobufCMessage *request,
                               ProtobufCMessage **reply)
{
    (void) request;
    bool all = false;
    const char *clients = at_client_scope(ctx, &all);
    Atrium__Messaging__DashboardReply *rep =
        at_msg_new(ctx, &atrium__messaging__dashboard_reply__descriptor);
    at_status_t st = messaging_store_dashboard(ctx->db, ctx->arena, ctx->principal->firm_id,
                                               ctx->principal->user_id, all, clients, rep);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the threads cannot be counted");
    *reply = &rep->base;
    return AT_OK;
}

static const at_method_t s_methods[] = {
    {"messaging.dashboard", s_dashboard, &atrium__messaging__dashboard_request__descriptor,
     &atrium__messaging__dashboard_reply__descriptor, 0},
    {"messaging.create_thread", s_create_thread,
     &atrium__messaging__create_thread_request__descriptor, &atrium__messaging__thread__descriptor,
     0},
    {"messaging.list_threads", s_list_threads, &atrium__messaging__list_threads_request__descriptor,
     &atrium__messaging__thread_page__descriptor, 0},
    {"messaging.get_thread", s_get_thread, &atrium__messaging__thread_id_request__descriptor,
     &atrium__messaging__thread__descriptor, 0},
    {"messaging.list_messages", s_list_messages,
     &atrium__messaging__list_messages_request__descriptor,
     &atrium__messaging__message_page__descriptor, 0},
    {"messaging.post_message", s_post_message, &atrium__messaging__post_message_request__descriptor,
     &atrium__messaging__message__descriptor, 0},
    {"messaging.edit_message", s_edit_message, &atrium__messaging__edit_message_request__descriptor,
     &atrium__messaging__message__descriptor, 0},
    {"messaging.delete_message", s_delete_message,
     &atrium__messaging__message_id_request__descriptor, NULL, 0},
    {"messaging.search", s_search, &atrium__search__search_request__descriptor,
     &atrium__search__search_result__descriptor, 0},
    {"messaging.mark_read", s_mark_read, &atrium__messaging__mark_read_request__descriptor, NULL,
     0},
    {NULL, NULL, NULL, NULL, 0},
};

const at_service_def_t messaging_service = {
    .name = "messaging",
    .schema = "messaging",
    .methods = s_methods,
    .migrations = messaging_migrations,
    .init = s_init,
};
