/* auth_rules: who may invite whom and manage which membership, which roles
 * go with which kind of user, and the shape of a single-use token (api.md
 * "Firm, staff, clients, members"). Pure decisions on strings, no I/O.
 *
 * It does not decide visibility (at_can_see_client does: a client the
 * caller cannot see is 404 before these rules are asked) and knows no rows.
 */
#ifndef AUTH_RULES_H
#define AUTH_RULES_H

#include <stdbool.h>

/* A single-use token in URLs: 32 random bytes as unpadded base64url (43
 * characters of [A-Za-z0-9_-]). */
#define AUTH_TOKEN_CHARS 43

/* Who is asking, from the principal: kind "staff" | "client", role (staff:
 * owner | admin | staff; NULL for client users) and the caller's role in
 * the client concerned (admin | member | viewer | staff, NULL when none). */
typedef struct {
    const char *kind;
    const char *role;
    const char *client_role;
} auth_caller_t;

/* True when role is one an invitation of kind may carry: staff owner,
 * admin or staff; client admin, member or viewer. */
bool auth_invite_role_ok(const char *kind, const char *role);

/* True when a membership of a user of kind may have role: "staff" for
 * staff users, admin | member | viewer for client users. */
bool auth_member_role_ok(const char *kind, const char *role);

/* True when caller may invite a user of kind with role: owners anyone;
 * admins anyone but an owner; a client's admin client users of that client
 * (caller->client_role "admin"); nobody else. */
bool auth_may_invite(const auth_caller_t *caller, const char *kind, const char *role);

/* True when caller may add, change or remove the membership of a user of
 * target_kind in a client: firm owners and admins any; the client's admin
 * client users only (staff memberships are the firm's business). */
bool auth_may_manage_member(const auth_caller_t *caller, const char *target_kind);

/* True when token has the shape of AUTH_TOKEN_CHARS base64url characters,
 * checked before any lookup so junk never reaches the database. */
bool auth_token_shape_ok(const char *token);

#endif
