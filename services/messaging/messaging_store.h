/* messaging_store: every SQL statement of the messaging service (schema
 * messaging). Rows come back as atrium.messaging messages in the caller's
 * arena, times as RFC 3339 UTC with milliseconds; bodies exactly as stored.
 *
 * It does not check permissions or validate input (the server does both
 * first) and opens no transactions: the server brackets what must commit
 * together.
 */
#ifndef MESSAGING_STORE_H
#define MESSAGING_STORE_H

#include "at_arena.h"
#include "at_db.h"
#include "at_search.h"
#include "messaging.pb-c.h"
#include "search.pb-c.h"

/* Who writes a message: borrowed strings. */
typedef struct {
    const char *id, *name, *kind;
} messaging_author_t;

/* Inserts a thread of client_id (about_type / about_id may both be NULL)
 * and sets *id (arena) to its id. */
at_status_t messaging_store_thread_insert(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                          const char *client_id, const char *subject,
                                          const char *about_type, const char *about_id,
                                          const char *created_by, char **id);

/* Reads thread id with its message count, newest message time and the
 * unread count for user_id; *firm_id (arena) is its firm. AT_NOT_FOUND when
 * there is none. */
at_status_t messaging_store_thread_get(at_db_t *db, at_arena_t *arena, const char *id,
                                       const char *user_id, char **firm_id,
                                       Atrium__Messaging__Thread **out);

/* One page of a client's threads, newest first, with unread counts for
 * user_id. after_seq: the cursor's key (validated) or NULL. */
at_status_t messaging_store_thread_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                        const char *client_id, const char *user_id,
                                        const char *after_seq, int limit,
                                        Atrium__Messaging__ThreadPage **page);

/* Inserts a message into thread_id (of firm_id / client_id) and moves the
 * author's read position to it (their own message is not unread).
 * mention_ids: n UUIDs. *out: the stored message. */
at_status_t messaging_store_message_insert(at_db_t *db, at_arena_t *arena, const char *thread_id,
                                           const char *firm_id, const char *client_id,
                                           const messaging_author_t *author, const char *body,
                                           char **mention_ids, size_t n,
                                           Atrium__Messaging__Message **out);

/* Reads message id (FOR UPDATE when lock) with its firm, client and the
 * subject of its thread (arena). AT_NOT_FOUND when there is none. */
at_status_t messaging_store_message_get(at_db_t *db, at_arena_t *arena, const char *id, bool lock,
                                        char **firm_id, char **client_id, char **subject,
                                        Atrium__Messaging__Message **out);

/* Replaces message id's body and sets edited_at now. *out: the message. */
at_status_t messaging_store_message_edit(at_db_t *db, at_arena_t *arena, const char *id,
                                         const char *body, Atrium__Messaging__Message **out);

/* Deletes message id. AT_NOT_FOUND when it was not there. */
at_status_t messaging_store_message_delete(at_db_t *db, const char *id);

/* One page of thread_id's messages, oldest first. after_seq: the cursor's
 * key (validated) or NULL. */
at_status_t messaging_store_message_list(at_db_t *db, at_arena_t *arena, const char *thread_id,
                                         const char *after_seq, int limit,
                                         Atrium__Messaging__MessagePage **page);

/* Moves user_id's read position in thread_id forward to message up_to (a
 * message of the thread), or to the thread's newest message when up_to is
 * NULL; it never moves back. AT_NOT_FOUND when up_to is not a message of
 * the thread. */
at_status_t messaging_store_mark_read(at_db_t *db, const char *thread_id, const char *user_id,
                                      const char *up_to);

/* Excerpt length of a message body in search hits, in code points. */
#define MESSAGING_SNIPPET_CHARS 160

/* Up to limit messages of firm_id matching tsquery (at_search_tsquery text
 * of q) in their body and their thread's subject together, one per thread
 * (its best match), best first, as search hits in out (arena): title the
 * thread's subject, snippet an excerpt of the body around q's first match.
 * clients_json: JSON array of the visible client ids, or NULL for every
 * client of the firm. */
at_status_t messaging_store_search(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                   const char *clients_json, const char *tsquery,
                                   const at_search_query_t *q, int limit,
                                   Atrium__Search__SearchResult *out);

/* Gives every message and thread stored before search existed its search
 * vector, in batches (the arena is reset after each). Returns the number
 * done, or -1 on a database error. Run at start-up under tenant "*". */
int messaging_store_search_backfill(at_db_t *db, at_arena_t *arena);

/* The threads of firm_id (every client when all, else those in the JSON
 * array text clients) holding messages by others that user_id has not
 * read: how many, how many such messages, and the 5 with the newest unread
 * message, into *out (arena). One statement. */
at_status_t messaging_store_dashboard(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                      const char *user_id, bool all, const char *clients,
                                      Atrium__Messaging__DashboardReply *out);

#endif
