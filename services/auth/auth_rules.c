/* auth_rules: invitation and membership decisions; string compares only. */
#include "auth_rules.h"
#include <ctype.h>
#include <string.h>

static bool s_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool s_one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (s_eq(s, *set))
            return true;
    return false;
}

static const char *const s_staff_roles[] = {"owner", "admin", "staff", NULL};
static const char *const s_client_roles[] = {"admin", "member", "viewer", NULL};

bool auth_invite_role_ok(const char *kind, const char *role)
{
    if (s_eq(kind, "staff"))
        return s_one_of(role, s_staff_roles);
    if (s_eq(kind, "client"))
        return s_one_of(role, s_client_roles);
    return false;
}

bool auth_member_role_ok(const char *kind, const char *role)
{
    if (s_eq(kind, "staff"))
        return s_eq(role, "staff");
    if (s_eq(kind, "client"))
        return s_one_of(role, s_client_roles);
    return false;
}

static bool s_firm_admin(const auth_caller_t *c)
{
    return s_eq(c->kind, "staff") && (s_eq(c->role, "owner") || s_eq(c->role, "admin"));
}

static bool s_client_admin(const auth_caller_t *c)
{
    return s_eq(c->kind, "client") && s_eq(c->client_role, "admin");
}

bool auth_may_invite(const auth_caller_t *caller, const char *kind, const char *role)
{
    if (!auth_invite_role_ok(kind, role))
        return false;
    if (s_eq(caller->kind, "staff") && s_eq(caller->role, "owner"))
        return true;
    if (s_firm_admin(caller))
        return !s_eq(role, "owner");
    return s_client_admin(caller) && s_eq(kind, "client");
}

bool auth_may_manage_member(const auth_caller_t *caller, const char *target_kind)
{
    if (s_firm_admin(caller))
        return s_eq(target_kind, "staff") || s_eq(target_kind, "client");
    return s_client_admin(caller) && s_eq(target_kind, "client");
}

bool auth_token_shape_ok(const char *token)
{
    if (!token || strlen(token) != AUTH_TOKEN_CHARS)
        return false;
    for (const char *c = token; *c; c++)
        if (!isalnum((unsigned char) *c) && *c != '-' && *c != '_')
            return false;
    return true;
}
