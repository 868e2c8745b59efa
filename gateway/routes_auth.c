/* routes_auth: the gateway rows of the auth service (api.md "Authentication"
 * and "Firm, staff, clients, members"). Password reset and API tokens come
 * later (issue 3). */
#include "auth.pb-c.h"
#include "gw_route.h"

/* A client user has no role: say so with null rather than leave it out. */
static const char *const s_user_nulls[] = {"role", NULL};
static const char *const s_invitation_nulls[] = {"client_id", NULL};
static const char *const s_invitation_info_nulls[] = {"client_name", NULL};

const gw_route_t gw_routes_auth[] = {
    {"POST", "/api/v1/signup", GW_AUTH_NONE, "auth.signup", &atrium__auth__signup_request__descriptor,
     &atrium__auth__signup_reply__descriptor, 201, GW_SETS_SESSION | GW_NO_CSRF, s_user_nulls},
    {"POST", "/api/v1/auth/login", GW_AUTH_NONE, "auth.login", &atrium__auth__login_request__descriptor,
     &atrium__auth__login_reply__descriptor, 200, GW_SETS_SESSION | GW_NO_CSRF, s_user_nulls},
    /* the second login step: the ticket is no session, so this route is
     * public and nothing else accepts a ticket */
    {"POST", "/api/v1/auth/mfa", GW_AUTH_NONE, "auth.mfa_login",
     &atrium__auth__mfa_login_request__descriptor, &atrium__auth__login_reply__descriptor, 200,
     GW_SETS_SESSION | GW_NO_CSRF, s_user_nulls},
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
    {"PUT", "/api/v1/clients/{client_id}/members/{user_id}", GW_AUTH_REQUIRED, "auth.member_set",
     &atrium__auth__member_set_request__descriptor, &atrium__auth__member__descriptor, 200, 0,
     NULL},
    {"DELETE", "/api/v1/clients/{client_id}/members/{user_id}", GW_AUTH_REQUIRED,
     "auth.member_delete", &atrium__auth__member_delete_request__descriptor, NULL, 204, GW_NO_BODY,
     NULL},
    {"GET", "/api/v1/staff", GW_AUTH_REQUIRED, "auth.staff_list",
     &atrium__auth__staff_list_request__descriptor, &atrium__auth__staff_list_reply__descriptor, 200,
     0, NULL},
    {"POST", "/api/v1/invitations", GW_AUTH_REQUIRED, "auth.invitation_create",
     &atrium__auth__invitation_create_request__descriptor, &atrium__auth__invitation__descriptor,
     201, 0, s_invitation_nulls},
    {"GET", "/api/v1/invitations/{token}", GW_AUTH_NONE, "auth.invitation_get",
     &atrium__auth__invitation_get_request__descriptor, &atrium__auth__invitation_info__descriptor,
     200, 0, s_invitation_info_nulls},
    {"POST", "/api/v1/invitations/{token}/accept", GW_AUTH_NONE, "auth.invitation_accept",
     &atrium__auth__invitation_accept_request__descriptor,
     &atrium__auth__invitation_accept_reply__descriptor, 200, GW_SETS_SESSION | GW_NO_CSRF,
     s_user_nulls},
    {"GET", "/api/v1/me/sessions", GW_AUTH_REQUIRED, "auth.sessions_list",
     &atrium__auth__sessions_list_request__descriptor, &atrium__auth__sessions_list_reply__descriptor,
     200, 0, NULL},
    {"DELETE", "/api/v1/me/sessions/{id}", GW_AUTH_REQUIRED, "auth.session_delete",
     &atrium__auth__session_delete_request__descriptor, NULL, 204, GW_NO_BODY, NULL},
    {"POST", "/api/v1/me/password", GW_AUTH_REQUIRED, "auth.password_change",
     &atrium__auth__password_change_request__descriptor, NULL, 204, 0, NULL},
    {"POST", "/api/v1/me/mfa/totp", GW_AUTH_REQUIRED, "auth.totp_begin",
     &atrium__auth__empty__descriptor, &atrium__auth__totp_begin_reply__descriptor, 200,
     GW_NO_BODY, NULL},
    {"POST", "/api/v1/me/mfa/totp/confirm", GW_AUTH_REQUIRED, "auth.totp_confirm",
     &atrium__auth__totp_confirm_request__descriptor, &atrium__auth__totp_confirm_reply__descriptor,
     200, 0, NULL},
    {"DELETE", "/api/v1/me/mfa/totp", GW_AUTH_REQUIRED, "auth.totp_disable",
     &atrium__auth__totp_disable_request__descriptor, NULL, 204, 0, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
