/* auth_store: every SQL statement of the auth service (schema auth: firms,
 * users, clients, memberships). Results come back as protobuf messages
 * allocated in the caller's arena; a PGresult never leaves this file.
 *
 * It checks no permission and opens no transaction: handlers decide who may
 * do what and wrap changes and their audit events in one transaction.
 */
#ifndef AUTH_STORE_H
#define AUTH_STORE_H

#include "at_arena.h"
#include "at_db.h"
#include "auth.pb-c.h"
#include <stdbool.h>

/* A user row as login needs it: the public user plus its password hash. */
typedef struct {
    Atrium__Auth__User *user;
    char *password_hash;
} auth_login_row_t;

/* Inserts a firm named firm_name and its owner (kind staff, role owner).
 * Sets *firm and *user (arena). AT_CONFLICT when the email is taken. */
at_status_t auth_store_signup(at_db_t *db, at_arena_t *arena, const char *firm_name,
                              const char *name, const char *email, const char *password_hash,
                              Atrium__Auth__Firm **firm, Atrium__Auth__User **user);

/* The user whose email equals email case-insensitively. AT_NOT_FOUND when
 * there is none. */
at_status_t auth_store_login_row(at_db_t *db, at_arena_t *arena, const char *email,
                                 auth_login_row_t *out);

/* Replaces the password hash of user_id (after a re-hash at higher cost). */
at_status_t auth_store_set_password_hash(at_db_t *db, const char *user_id, const char *hash);

/* The user user_id of firm firm_id. AT_NOT_FOUND when not there. */
at_status_t auth_store_user_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                const char *user_id, Atrium__Auth__User **user);

/* Sets name and/or time_zone (NULL: keep) of user_id in firm_id, locking the
 * row. *old gets the values before, *user after. AT_NOT_FOUND when absent. */
at_status_t auth_store_user_update(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                   const char *user_id, const char *name, const char *time_zone,
                                   Atrium__Auth__User **old, Atrium__Auth__User **user);

/* True in *valid when PostgreSQL knows name as a time zone
 * (pg_timezone_names, i.e. the IANA database it was built with). */
at_status_t auth_store_time_zone_valid(at_db_t *db, const char *name, bool *valid);

/* Builds the principal of user_id from the database: firm, kind, role,
 * name, all_clients (staff owner/admin) and every membership. AT_NOT_FOUND
 * when the user does not exist. */
at_status_t auth_store_principal(at_db_t *db, at_arena_t *arena, const char *user_id,
                                 Atrium__Principal **out);

/* Up to max clients of firm_id that user_id sees (all of them when all is
 * true), by name, with the user's role in each ("staff" for owners/admins
 * without a membership). */
at_status_t auth_store_me_clients(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *user_id, bool all, int max,
                                  Atrium__Auth__MeClient ***items, size_t *n);

/* One page (newest first) of the clients of firm_id that user_id sees
 * (every client when all is true): limit items after the cursor position
 * (key, id; NULL for the first page). *next_cursor is set (arena) when more
 * follow. */
at_status_t auth_store_clients_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *user_id, bool all, int limit, const char *key,
                                    const char *id, Atrium__Auth__Client ***items, size_t *n,
                                    char **next_cursor);

/* Inserts a client of firm_id. refs may be NULL. */
at_status_t auth_store_client_create(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *name, const Atrium__Auth__ExternalRefs *refs,
                                     Atrium__Auth__Client **client);

/* The client client_id of firm_id. AT_NOT_FOUND when absent (or in another
 * firm, or client_id is not a uuid). */
at_status_t auth_store_client_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *client_id, Atrium__Auth__Client **client);

/* Renames (name NULL: keep) and sets external ids (present members set, ""
 * removes, absent keep) of client_id in firm_id, locking the row. *old_name
 * gets the name before. */
at_status_t auth_store_client_update(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *client_id, const char *name,
                                     const Atrium__Auth__ExternalRefs *refs,
                                     Atrium__Auth__Client **client, char **old_name);

/* One page (newest membership first) of the members of client_id in
 * firm_id, as list_clients pages. */
at_status_t auth_store_members_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *client_id, int limit, const char *key,
                                    const char *id, Atrium__Auth__Member ***items, size_t *n,
                                    char **next_cursor);

/* The membership of user_id in client_id (firm_id), with the user's name,
 * email and kind. AT_NOT_FOUND when there is none. */
at_status_t auth_store_member_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *client_id, const char *user_id,
                                  Atrium__Auth__Member **member);

/* Adds user_id to client_id with role, or changes its role (an upsert).
 * *member gets the membership after; *old_role the role before (NULL when
 * it is new). The caller checks that user and client are of firm_id (the
 * composite foreign keys refuse a cross-firm row anyway). */
at_status_t auth_store_member_set(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *client_id, const char *user_id, const char *role,
                                  Atrium__Auth__Member **member, char **old_role);

/* Removes user_id from client_id; *removed gets the membership as it was.
 * AT_NOT_FOUND when it was not a member. */
at_status_t auth_store_member_delete(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *client_id, const char *user_id,
                                     Atrium__Auth__Member **removed);

/* One page (newest first) of the staff users of firm_id, as clients_list. */
at_status_t auth_store_staff_list(at_db_t *db, at_arena_t *arena, const char *firm_id, int limit,
                                  const char *key, const char *id, Atrium__Auth__User ***items,
                                  size_t *n, char **next_cursor);

/* True in *taken when a user (of any firm) has email, case-insensitively. */
at_status_t auth_store_email_taken(at_db_t *db, const char *email, bool *taken);

/* Inserts an invitation of firm_id by invited_by, stored by the SHA-256
 * hex of its token, expiring ttl_s seconds from now. client_id may be NULL
 * (staff). *out gets id, email, kind, role, client_id, expires_at (arena);
 * the caller adds token and accept_url. */
at_status_t auth_store_invitation_create(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                         const char *invited_by, const char *token_hash,
                                         const char *email, const char *kind, const char *role,
                                         const char *client_id, int ttl_s,
                                         Atrium__Auth__Invitation **out);

/* The public view of the invitation with token_hash; *usable is true when
 * it is neither accepted nor expired. AT_NOT_FOUND when there is none. */
at_status_t auth_store_invitation_info(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                       Atrium__Auth__InvitationInfo **info, bool *usable);

/* What accepting an invitation made besides the user (arena strings; the
 * client fields are NULL for a staff invitation without a client). */
typedef struct {
    char *invitation_id;
    char *client_id;
    char *client_role;
    char *client_name;
} auth_accepted_t;

/* Consumes the invitation with token_hash and creates its user (name,
 * password_hash) and membership, in one statement: the UPDATE ... RETURNING
 * that marks it accepted is the single-use guard, so of concurrent accepts
 * one gets the row and the others AT_GONE (also for used, expired or
 * unknown tokens: check with auth_store_invitation_info first). AT_CONFLICT
 * when the email has been registered since (the caller's rollback then
 * leaves the invitation unused). */
at_status_t auth_store_invitation_accept(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                         const char *name, const char *password_hash,
                                         Atrium__Auth__User **user, auth_accepted_t *accepted);

/* The password hash of user_id in firm_id. AT_NOT_FOUND when absent. */
at_status_t auth_store_password_hash_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                         const char *user_id, char **hash);

/* Sets the password hash of user_id and bumps its session generation,
 * locking the row until the caller's transaction ends; *generation gets the
 * new generation. AT_NOT_FOUND when absent. */
at_status_t auth_store_password_change(at_db_t *db, const char *firm_id, const char *user_id,
                                       const char *hash, int *generation);

/* -- TOTP MFA (003_mfa.sql) ------------------------------------------------ */

/* user_id of firm_id with its sealed TOTP secret (*sealed NULL when none).
 * AT_NOT_FOUND when absent. */
at_status_t auth_store_mfa_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                               const char *user_id, Atrium__Auth__User **user, char **sealed);

/* Stores sealed as the pending secret of user_id while MFA is off.
 * AT_CONFLICT when MFA is on (or the user is gone). */
at_status_t auth_store_totp_set_pending(at_db_t *db, const char *firm_id, const char *user_id,
                                        const char *sealed);

/* Accepts a code of step for user_id: totp_last_step becomes step only if
 * it was below (the single-use guard), and with enable MFA is switched on.
 * AT_OK, or AT_CONFLICT when step was used already (a replay) or there is
 * no secret. */
at_status_t auth_store_totp_use_step(at_db_t *db, const char *firm_id, const char *user_id,
                                     int64_t step, bool enable);

/* Replaces the recovery codes of user_id by the n SHA-256 hex hashes. */
at_status_t auth_store_recovery_replace(at_db_t *db, const char *firm_id, const char *user_id,
                                        char hashes[][65], size_t n);

/* Consumes the unused recovery code with hash of user_id (UPDATE ...
 * RETURNING). AT_OK, or AT_NOT_FOUND when there is none (unknown or used);
 * *left gets the unused codes that remain. */
at_status_t auth_store_recovery_use(at_db_t *db, const char *firm_id, const char *user_id,
                                    const char *hash, int *left);

/* Switches MFA off for user_id: secret and recovery codes are deleted.
 * *was_on tells whether it was on. AT_NOT_FOUND when the user is absent. */
at_status_t auth_store_mfa_disable(at_db_t *db, const char *firm_id, const char *user_id,
                                   bool *was_on);

/* -- personal API tokens (004_api_tokens.sql) --------------------------------- */

#define AUTH_TOKENS_MAX 100 /* per user */

/* Inserts a token of user_id named name stored by token_hash; AT_CONFLICT
 * when the user has AUTH_TOKENS_MAX already. *out gets id, name,
 * created_at (arena). */
at_status_t auth_store_token_create(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *user_id, const char *name, const char *token_hash,
                                    Atrium__Auth__ApiToken **out);

/* Every token of user_id, newest first. */
at_status_t auth_store_tokens_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                   const char *user_id, Atrium__Auth__ApiToken ***items, size_t *n);

/* Deletes token id of user_id; *token_hash gets its hash (arena) to drop it
 * from Redis. AT_NOT_FOUND when the user has no such token. */
at_status_t auth_store_token_delete(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *user_id, const char *id, char **token_hash);

/* The owner of the token with token_hash, noting its use (at most once a
 * minute: the gateway caches the answer that long). AT_NOT_FOUND when
 * there is none. */
at_status_t auth_store_token_auth(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                  Atrium__Auth__TokenAuthReply **out);

/* -- mail outbox and password reset (005_mail_reset.sql) ---------------------- */

/* Queues one mail in the outbox, in the caller's transaction. */
at_status_t auth_store_mail_queue(at_db_t *db, const char *to_addr, const char *to_name,
                                  const char *subject, const char *body);

typedef struct {
    char *id, *to_addr, *to_name, *subject, *body;
    long long created_at; /* unix seconds */
    int attempts;         /* including this one */
} auth_mail_row_t;

/* Claims the oldest mail due (its next attempt pushed back by a lease that
 * grows with the attempts, so two senders never take the same one and a
 * failing one is retried later; at most max_attempts). AT_NOT_FOUND when
 * none is due. */
at_status_t auth_store_mail_claim(at_db_t *db, at_arena_t *arena, int max_attempts,
                                  auth_mail_row_t *out);

/* Records the outcome of a claimed mail: sent (error NULL; the body, which
 * may hold a reset link, is cleared: a database dump shows no live link
 * once it is delivered) or the error. */
at_status_t auth_store_mail_done(at_db_t *db, const char *id, const char *error);

/* Inserts a reset token (by its hash) for the user with email, expiring in
 * ttl_s; *user gets the user (arena). AT_NOT_FOUND when no user has that
 * email (nothing written). */
at_status_t auth_store_reset_create(at_db_t *db, at_arena_t *arena, const char *email,
                                    const char *token_hash, int ttl_s, Atrium__Auth__User **user);

/* Consumes the reset token with token_hash (one UPDATE ... WHERE used_at IS
 * NULL AND expires_at > now() RETURNING, whose row lock makes parallel
 * uses wait for the first one's transaction: exactly one wins) and spends
 * every other open token of the same user. *user_id, *firm_id (arena).
 * AT_GONE when the token is unknown, used or expired. In the caller's
 * transaction (the password is set there too: auth_store_password_change). */
at_status_t auth_store_reset_consume(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                     char **user_id, char **firm_id);

/* -- firm security settings (006_security_settings.sql) ------------------------ */

/* The firm's settings; idle minutes / max hours are 0 when the firm uses the
 * installation's defaults. AT_NOT_FOUND when there is no such firm. */
at_status_t auth_store_security_get(at_db_t *db, const char *firm_id, bool *require_mfa,
                                    int *idle_minutes, int *max_hours);

/* Sets them (in the caller's transaction). */
at_status_t auth_store_security_set(at_db_t *db, const char *firm_id, bool require_mfa,
                                    int idle_minutes, int max_hours);

/* -- last login and branding (007_branding_last_login.sql) ---------------------- */

/* Records a login of user_id now and puts the one before into *prev_ms
 * (epoch ms; 0 when this is the first). One statement. */
at_status_t auth_store_note_login(at_db_t *db, const char *user_id, int64_t *prev_ms);

/* The latest login of user_id into *ms (epoch ms; 0: never). */
at_status_t auth_store_last_login(at_db_t *db, const char *user_id, int64_t *ms);

/* A firm's stored branding; NULL strings (in arena) are unset, labels is
 * the JSON object text of the renamed terms, sections the JSON array text
 * of the section order (NULL: unset). */
typedef struct {
    char *portal_name, *primary_color, *logo_url, *labels, *sections;
} auth_branding_row_t;

/* The branding of firm_id, or, when firm_id is NULL, of the installation's
 * only firm. AT_NOT_FOUND when there is no such firm (or several and no
 * firm_id). */
at_status_t auth_store_branding_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    auth_branding_row_t *out);

/* Replaces firm_id's branding with b (NULL members: unset; labels "{}"
 * when none renamed). */
at_status_t auth_store_branding_set(at_db_t *db, const char *firm_id, const auth_branding_row_t *b);

#endif
