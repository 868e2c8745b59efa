/* routes_auth: the gateway rows of the auth service (api.md "Authentication"
 * and "Firm, staff, clients, members"). Invitations, MFA, passwords, tokens
 * and member changes come with their own issues. */
#include "auth.pb-c.h"
#include "gw_route.h"

/* A client user has no role: say so with null rather than leave it out. */
static const char *const s_user_nulls[] = {"role", NULL};

const gw_route_t gw_routes_auth[] = {
    {"POST", "/api/v1/signup", GW_AUTH_NONE, "auth.signup", &atrium__auth__signup_request__descriptor,
     &atrium__auth__signup_reply__descriptor, 201, GW_SETS_SESSION | GW_NO_CSRF, s_user_nulls},
    {"POST", "/api/v1/auth/login", GW_AUTH_NONE, "auth.login", &atrium__auth__login_request__descriptor,
     &atrium__auth__login_reply__descriptor, 200, GW_SETS_SESSION | GW_NO_CSRF, s_user_nulls},
    {"POST", "/api/v1/auth/logout", GW_AUTH_REQUIRED, "auth.logout", &atrium__auth__empty__descriptor,
     NULL, 204, GW_CLEARS_SESSION | GW_NO_BODY, NULL},
    {"GET", "/api/v1/me", GW_AUTH_REQUIRED, "auth.me", &atrium__auth__empty__descriptor,
     &atrium__auth__me_reply__descriptor, 200, 0, s_user_nulls},
    {"PATCH", "/api/v1/me", GW_AUTH_REQUIRED, "auth.update_me",
     &atrium__auth__update_me_request__descriptor, &atrium__auth__user__descriptor, 200, 0,
     s_user_nulls},
    {"GET", "/api/v1/clients", GW_AUTH_REQUIRED, "auth.clients_list",
     &atrium__auth__clients_list_request__descriptor, &atrium__auth__clients_list_reply__descriptor,
     200, 0, NULL},
    {"POST", "/api/v1/clients", GW_AUTH_REQUIRED, "auth.client_create",
     &atrium__auth__client_create_request__descriptor, &atrium__auth__client__descriptor, 201, 0,
     NULL},
    {"GET", "/api/v1/clients/{client_id}", GW_AUTH_REQUIRED, "auth.client_get",
     &atrium__auth__client_get_request__descriptor, &atrium__auth__client__descriptor, 200, 0, NULL},
    {"PATCH", "/api/v1/clients/{client_id}", GW_AUTH_REQUIRED, "auth.client_update",
     &atrium__auth__client_update_request__descriptor, &atrium__auth__client__descriptor, 200, 0,
     NULL},
    {"GET", "/api/v1/clients/{client_id}/members", GW_AUTH_REQUIRED, "auth.members_list",
     &atrium__auth__members_list_request__descriptor, &atrium__auth__members_list_reply__descriptor,
     200, 0, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
