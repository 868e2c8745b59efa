/* auth_server: the auth service's method table and thin handlers: validate,
 * check the principal, call the store, write sessions/principals, audit.
 *
 * SQL lives in auth_store.c, hashing in auth_password.c, Redis keys in
 * auth_session.c; nothing here builds SQL, JSON text or crypto.
 */
#include "at_cursor.h"
#include "at_log.h"
#include "at_service.h"
#include "auth.pb-c.h"
#include "auth_branding.h"
#include "at_pbjson.h"
#include "at_text.h"
#include "auth_password.h"
#include "auth_rules.h"
#include "auth_session.h"
#include "auth_store.h"
#include "auth_mail.h"
#include "auth_throttle.h"
#include "auth_totp.h"
#include "at_keyfile.h"
#include "at_time.h"
#include <sodium.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unistr.h>

extern const at_embedded_t auth_migrations[];
extern const at_embedded_t auth_data[]; /* data/common-passwords.txt */

#define S_NAME_MAX_CHARS 200
#define S_ME_CLIENTS_MAX 200
#define S_MFA_TICKET_TTL_S 300             /* api.md: the second login step within 5 minutes */
#define S_INVITATION_TTL_S (7 * 24 * 3600) /* api.md: invitations expire in 7 days */
#define S_RESET_TTL_S 3600                 /* issue 3: a reset link works for 1 hour */
#define S_RESET_PER_EMAIL 5                /* reset requests per email per window */
#define S_RESET_PER_IP 50                  /* reset requests per client IP per window */
#define S_RESET_WINDOW_S 900
#define S_MAIL_MAX_ATTEMPTS 8 /* then a mail stays unsent, its last_error kept */
#define S_MAIL_TIMEOUT_S 30
#define S_SECURITY_IDLE_MIN 5 /* settings/security: session_idle_minutes 5..1440 */
#define S_SECURITY_IDLE_MAX 1440
#define S_SECURITY_MAX_HOURS 720 /* session_max_hours 1..720 */

/* Process state shared read-only by the workers (the hasher locks itself). */
typedef struct {
    auth_password_t *password;
    bool signup_open;
    int idle_s;
    int64_t max_s;
    const char *public_url; /* ATRIUM_PUBLIC_URL */
    size_t public_url_len;  /* its length without trailing slashes */
    auth_throttle_limits_t throttle;
    unsigned char secret_key[AUTH_TOTP_KEY_BYTES]; /* seals TOTP secrets at rest */
    const char *smtp_url;                          /* ATRIUM_SMTP_URL; "" writes .eml files */
    const char *mail_from;                         /* ATRIUM_MAIL_FROM */
    const char *mail_from_name;                    /* ATRIUM_MAIL_FROM_NAME */
    char *mail_dir;                                /* $ATRIUM_DATA_DIR/mail */
    const char *default_firm_id;                   /* ATRIUM_DEFAULT_FIRM_ID; "" none */
} s_state_t;

static const at_config_key_t s_config[] = {
    {"ATRIUM_SIGNUP", "closed", AT_CFG_STRING, 0, 0, true, false,
     "open: anyone may create a firm with POST /api/v1/signup; closed: it answers 403"},
    {"ATRIUM_SESSION_IDLE_MINUTES", "30", AT_CFG_INT, 1, 10080, true, false,
     "a session ends after this many minutes without a request"},
    {"ATRIUM_SESSION_MAX_HOURS", "12", AT_CFG_INT, 1, 8760, true, false,
     "a session ends this many hours after login whatever its use"},
    {"ATRIUM_PUBLIC_URL", "http://localhost:8080", AT_CFG_STRING, 0, 0, true, false,
     "the address users reach Atrium at: invitation links (accept_url) start with it"},
    {"ATRIUM_AUTH_SECRET_KEY_FILE", "${ATRIUM_DATA_DIR}/auth/secret.key", AT_CFG_STRING, 0, 0, true,
     false, "the key that encrypts TOTP secrets at rest (created on first start, mode 0600)"},
    {"ATRIUM_LOGIN_FAILURES_PER_ACCOUNT", "5", AT_CFG_INT, 1, 1000, true, false,
     "failed logins of one email within the throttle window before login answers 429"},
    {"ATRIUM_LOGIN_FAILURES_PER_IP", "20", AT_CFG_INT, 1, 100000, true, false,
     "failed logins from one client IP within the throttle window before login answers 429"},
    {"ATRIUM_LOGIN_THROTTLE_MINUTES", "15", AT_CFG_INT, 1, 1440, true, false,
     "the window of the failed-login counters; a throttled login may retry when it ends"},
    {"ATRIUM_SMTP_URL", "", AT_CFG_STRING, 0, 0, false, true,
     "SMTP server for mail (smtp://host:25, smtps://host:465); empty: each mail is written as"
     " an .eml file under $ATRIUM_DATA_DIR/mail/"},
    {"ATRIUM_MAIL_FROM", "atrium@localhost", AT_CFG_STRING, 0, 0, true, false,
     "the sender address of Atrium's mail (password reset links)"},
    {"ATRIUM_MAIL_FROM_NAME", "Atrium", AT_CFG_STRING, 0, 0, true, false,
     "the sender's display name of Atrium's mail"},
    {"ATRIUM_DEFAULT_FIRM_ID", "", AT_CFG_STRING, 0, 0, false, false,
     "the firm whose branding GET /api/v1/branding shows to a visitor without a session and"
     " without ?firm=; empty: the installation's only firm, else the defaults"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

/* -- validation helpers -------------------------------------------------- */

/* s without leading/trailing white space, copied into the arena, or NULL
 * when that is empty, over max_chars code points, or has control chars. */
static char *s_clean_text(at_ctx_t *ctx, const char *s, size_t max_chars)
{
    if (!s)
        return NULL;
    while (*s && isspace((unsigned char) *s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char) s[len - 1]))
        len--;
    if (!len)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
            return NULL;
    if (u8_mbsnlen((const uint8_t *) s, len) > max_chars)
        return NULL;
    return at_arena_strndup(ctx->arena, s, len);
}

/* A deliberately loose shape check (RFC 5321 limits, one @, no blanks): the
 * mailbox is proven by mail, not by a regex. */
static bool s_email_ok(const char *e)
{
    if (!e)
        return false;
    size_t len = strlen(e);
    const char *at = strchr(e, '@');
    if (len < 3 || len > 254 || !at || at == e || !at[1] || strchr(at + 1, '@') ||
        (size_t) (at - e) > 64)
        return false;
    for (const char *c = e; *c; c++)
        if ((unsigned char) *c <= 0x20 || *c == 0x7f)
            return false;
    return true;
}

static bool s_uuid_ok(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
            return false;
    }
    return true;
}

/* An IANA-shaped name ("Europe/Berlin", "UTC", "Etc/GMT+5"); the database
 * then says whether it exists. */
static bool s_time_zone_shape_ok(const char *tz)
{
    size_t len = tz ? strlen(tz) : 0;
    if (len == 0 || len > 64 || tz[0] == '/' || strstr(tz, ".."))
        return false;
    for (const char *c = tz; *c; c++)
        if (!isalnum((unsigned char) *c) && !strchr("/_+-", *c))
            return false;
    return true;
}

static at_status_t s_password_fail(at_ctx_t *ctx, auth_pw_rc_t rc, const char *field)
{
    switch (rc) {
    case AUTH_PW_TOO_SHORT:
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s must have at least %d characters",
                       field, AUTH_PASSWORD_MIN_CHARS);
    case AUTH_PW_TOO_LONG:
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s must have at most %d bytes", field,
                       AUTH_PASSWORD_MAX_BYTES);
    case AUTH_PW_NOT_UTF8:
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s is not valid UTF-8", field);
    case AUTH_PW_COMMON:
        return at_fail(ctx, AT_VALIDATION_FAILED, field,
                       "%s is too common: it is on the list of passwords attackers try first",
                       field);
    case AUTH_PW_BUSY:
        ctx->retry_after = 1;
        return at_fail(ctx, AT_UNAVAILABLE, NULL, "too many password checks at once");
    default: return at_fail(ctx, AT_INTERNAL, NULL, "password hashing failed");
    }
}

/* Decodes ?cursor= into a keyset position. */
static at_status_t s_cursor(at_ctx_t *ctx, const char *cursor, char **key, char **id)
{
    *key = *id = NULL;
    if (!cursor || !*cursor)
        return AT_OK;
    if (at_cursor_decode(ctx->arena, cursor, key, id) != 0 || !s_uuid_ok(*id) ||
        strlen(*key) != 27 || (*key)[26] != 'Z')
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one this list made");
    return AT_OK;
}

static bool s_firm_admin(const at_ctx_t *ctx)
{
    const char *r = ctx->principal ? ctx->principal->role : NULL;
    return at_is_staff(ctx) && r && (strcmp(r, "owner") == 0 || strcmp(r, "admin") == 0);
}

static at_status_t s_db_fail(at_ctx_t *ctx, at_status_t st)
{
    if (st == AT_UNAVAILABLE)
        return at_fail(ctx, st, NULL, "the database cannot be reached");
    return at_fail(ctx, st, NULL, "database error");
}

static at_status_t s_begin(at_ctx_t *ctx)
{
    return at_db_begin(ctx->db) == 0 ? AT_OK : s_db_fail(ctx, AT_UNAVAILABLE);
}

static at_status_t s_commit(at_ctx_t *ctx)
{
    return at_db_commit(ctx->db) == 0 ? AT_OK : s_db_fail(ctx, AT_UNAVAILABLE);
}

static at_status_t s_redis_fail(at_ctx_t *ctx)
{
    ctx->retry_after = 1;
    return at_fail(ctx, AT_UNAVAILABLE, NULL, "the session store cannot be reached");
}

/* s_start_session's prev_login_ms for a login: note it now (users.last_login_at)
 * and keep the one before in the session. */
#define S_LOGIN_NOW (-1)

/* Starts a session for user in Redis and writes its principal; both before
 * the caller commits, so a Redis outage leaves nothing half-made.
 * prev_login_ms: S_LOGIN_NOW for a login, else the previous login to carry
 * into the new session (epoch ms; 0: none). */
static at_status_t s_start_session(at_ctx_t *ctx, const Atrium__Auth__User *user,
                                   auth_session_t *session, int64_t prev_login_ms)
{
    s_state_t *state = ctx->state;
    Atrium__Principal *principal = NULL;
    at_status_t st = auth_store_principal(ctx->db, ctx->arena, user->id, &principal);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (prev_login_ms == S_LOGIN_NOW &&
        (st = auth_store_note_login(ctx->db, user->id, &prev_login_ms)) != AT_OK)
        return s_db_fail(ctx, st);
    /* the firm's settings when the session starts: its idle and absolute
     * limits, and whether staff must have MFA */
    bool require_mfa = false;
    int idle_min = 0, max_h = 0;
    st = auth_store_security_get(ctx->db, user->firm_id, &require_mfa, &idle_min, &max_h);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    auth_session_spec_t spec = {
        .user_id = user->id,
        .firm_id = user->firm_id,
        .ip = ctx->request ? ctx->request->ip : NULL,
        .user_agent = ctx->request ? ctx->request->user_agent : NULL,
        .idle_s = idle_min ? idle_min * 60 : state->idle_s,
        .max_s = max_h ? (int64_t) max_h * 3600 : state->max_s,
        .generation = principal->session_generation,
        .mfa_enrolment_only =
            require_mfa && user->kind && strcmp(user->kind, "staff") == 0 && !user->mfa_enabled,
        .set_ttl_s =
            state->max_s > S_SECURITY_MAX_HOURS * 3600 ? state->max_s : S_SECURITY_MAX_HOURS * 3600,
        .prev_login_ms = prev_login_ms,
    };
    if (auth_principal_write(ctx->cache, principal) != AT_OK ||
        auth_session_create(ctx->cache, ctx->arena, &spec, session) != AT_OK)
        return s_redis_fail(ctx);
    return AT_OK;
}

/* Rebuilds and writes user_id's principal after a change to its name, role
 * or memberships; the gateway reads it on the user's next request. */
static at_status_t s_refresh_principal(at_ctx_t *ctx, const char *user_id)
{
    Atrium__Principal *principal = NULL;
    at_status_t st = auth_store_principal(ctx->db, ctx->arena, user_id, &principal);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (auth_principal_write(ctx->cache, principal) != AT_OK)
        return s_redis_fail(ctx);
    return AT_OK;
}

/* -- signup, login, logout ------------------------------------------------ */

static at_status_t s_signup(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__SignupRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    if (!state->signup_open)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "signup is closed on this installation");
    char *firm_name = s_clean_text(ctx, req->firm_name, S_NAME_MAX_CHARS);
    if (!firm_name)
        return at_fail(ctx, AT_VALIDATION_FAILED, "firm_name",
                       "firm_name must have 1 to %d characters", S_NAME_MAX_CHARS);
    char *name = s_clean_text(ctx, req->name, S_NAME_MAX_CHARS);
    if (!name)
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "name must have 1 to %d characters",
                       S_NAME_MAX_CHARS);
    if (!s_email_ok(req->email))
        return at_fail(ctx, AT_VALIDATION_FAILED, "email", "email is not an email address");
    char hash[AUTH_PASSWORD_HASH_MAX];
    auth_pw_rc_t rc = auth_password_hash(state->password, req->password, hash);
    if (rc != AUTH_PW_OK)
        return s_password_fail(ctx, rc, "password");

    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    Atrium__Auth__Firm *firm = NULL;
    Atrium__Auth__User *user = NULL;
    st = auth_store_signup(ctx->db, ctx->arena, firm_name, name, req->email, hash, &firm, &user);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, "email", "an account with this email already exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    at_audit_event_t ev = {.action = "firm.created",
                           .resource_type = "firm",
                           .resource_id = firm->id,
                           .firm_id = firm->id,
                           .actor_id = user->id,
                           .actor_name = user->name,
                           .actor_kind = user->kind,
                           .details = json_pack("{s:s}", "name", firm->name)};
    st = at_audit(ctx, &ev);
    json_decref(ev.details);
    if (st == AT_OK) {
        ev = (at_audit_event_t){.action = "auth.login",
                                .resource_type = "user",
                                .resource_id = user->id,
                                .firm_id = firm->id,
                                .actor_id = user->id,
                                .actor_name = user->name,
                                .actor_kind = user->kind};
        st = at_audit(ctx, &ev);
    }
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    auth_session_t session;
    if ((st = s_start_session(ctx, user, &session, S_LOGIN_NOW)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    Atrium__Auth__SignupReply *rep = at_msg_new(ctx, &atrium__auth__signup_reply__descriptor);
    rep->firm = firm;
    rep->user = user;
    rep->csrf_token = session.csrf;
    rep->session_token = session.token;
    *out = &rep->base;
    return AT_CREATED;
}

static at_status_t s_bad_login(at_ctx_t *ctx)
{
    /* one status and one message for every failure: never tell whether the
     * email exists (api.md "Authentication") */
    return at_fail(ctx, AT_INVALID_CREDENTIALS, NULL, "email or password is wrong");
}

static at_status_t s_login(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__LoginRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    if (!req->email || !*req->email)
        return at_fail(ctx, AT_VALIDATION_FAILED, "email", "email is required");
    if (!req->password || !*req->password)
        return at_fail(ctx, AT_VALIDATION_FAILED, "password", "password is required");
    if (strnlen(req->password, AUTH_PASSWORD_MAX_BYTES + 1) > AUTH_PASSWORD_MAX_BYTES ||
        strlen(req->email) > 254)
        return s_bad_login(ctx); /* can never match: refused before any hashing */

    /* counted and throttled before the password is looked at (or any hash
     * runs); a success takes the count back */
    const char *ip = ctx->request ? ctx->request->ip : NULL;
    int wait = 0;
    long long attempts = 0;
    at_status_t st =
        auth_throttle_begin(ctx->cache, &state->throttle, req->email, ip, &wait, &attempts);
    if (st == AT_UNAVAILABLE)
        return s_redis_fail(ctx);
    if (st == AT_RATE_LIMITED) {
        ctx->retry_after = wait;
        return at_fail(ctx, AT_RATE_LIMITED, NULL, "too many failed logins, try again later");
    }

    auth_login_row_t row;
    st = auth_store_login_row(ctx->db, ctx->arena, req->email, &row);
    if (st != AT_OK && st != AT_NOT_FOUND) {
        auth_throttle_undo(ctx->cache, req->email, ip);
        return s_db_fail(ctx, st);
    }
    bool match = false;
    auth_pw_rc_t rc =
        auth_password_verify(state->password, row.password_hash, req->password, &match);
    if (rc != AUTH_PW_OK) {
        auth_throttle_undo(ctx->cache, req->email, ip);
        return s_password_fail(ctx, rc, "password");
    }
    bool locked = attempts == state->throttle.per_account;
    if (!row.user) {
        /* the audit trail is chained per firm and this attempt has none */
        at_info(locked ? "login locked for an unknown email" : "login failed for an unknown email");
        return s_bad_login(ctx);
    }
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    at_audit_event_t ev = {.resource_type = "user",
                           .resource_id = row.user->id,
                           .firm_id = row.user->firm_id,
                           .actor_id = row.user->id,
                           .actor_name = row.user->name,
                           .actor_kind = row.user->kind};
    if (!match) {
        ev.action = "auth.login_failed";
        ev.details = json_pack("{s:s}", "reason", "wrong_password");
        st = at_audit(ctx, &ev);
        json_decref(ev.details);
        if (st == AT_OK && locked) {
            ev.action = "auth.locked";
            ev.details = json_pack("{s:i, s:i}", "failures", state->throttle.per_account, "minutes",
                                   state->throttle.window_s / 60);
            st = at_audit(ctx, &ev);
            json_decref(ev.details);
        }
        if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
            at_warn("cannot record a failed login: %s", at_status_code(st));
        return s_bad_login(ctx);
    }
    if (auth_password_needs_rehash(state->password, row.password_hash)) {
        char hash[AUTH_PASSWORD_HASH_MAX];
        if (auth_password_hash(state->password, req->password, hash) == AUTH_PW_OK)
            auth_store_set_password_hash(ctx->db, row.user->id, hash);
    }
    Atrium__Auth__LoginReply *rep = at_msg_new(ctx, &atrium__auth__login_reply__descriptor);
    if (row.user->mfa_enabled) {
        /* the password was right, nothing more: a ticket for the second
         * step and no session; the account's earlier failures stay counted
         * until that step succeeds */
        auth_throttle_undo(ctx->cache, req->email, ip);
        auth_mfa_ticket_t t = {row.user->id, row.user->firm_id, row.user->email};
        if (auth_mfa_ticket_create(ctx->cache, ctx->arena, &t, S_MFA_TICKET_TTL_S,
                                   &rep->mfa_ticket) != AT_OK)
            return s_redis_fail(ctx);
        if ((st = s_commit(ctx)) != AT_OK)
            return st;
        rep->has_mfa_required = 1;
        rep->mfa_required = 1;
        *out = &rep->base;
        return AT_OK;
    }
    auth_throttle_success(ctx->cache, req->email, ip);
    ev.action = "auth.login";
    if ((st = at_audit(ctx, &ev)) != AT_OK)
        return s_db_fail(ctx, st);
    auth_session_t session;
    if ((st = s_start_session(ctx, row.user, &session, S_LOGIN_NOW)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    rep->user = row.user;
    rep->csrf_token = session.csrf;
    rep->session_token = session.token;
    *out = &rep->base;
    return AT_OK;
}

/* -- TOTP MFA ------------------------------------------------------------- */

/* The TOTP secret sealed in the user's row, opened into key (20 bytes).
 * -1 when there is none or it does not open (another key file). */
static int s_totp_key(const s_state_t *state, const char *sealed,
                      unsigned char key[AUTH_TOTP_SECRET_BYTES])
{
    size_t len = 0;
    if (!sealed ||
        auth_secret_open(state->secret_key, sealed, key, AUTH_TOTP_SECRET_BYTES, &len) != 0 ||
        len != AUTH_TOTP_SECRET_BYTES) {
        if (sealed)
            at_error("a TOTP secret does not open with ATRIUM_AUTH_SECRET_KEY_FILE's key");
        return -1;
    }
    return 0;
}

static at_status_t s_mfa_bad_code(at_ctx_t *ctx)
{
    return at_fail(ctx, AT_INVALID_CREDENTIALS, "code", "the code is wrong or was used already");
}

/* Second login step: POST /auth/mfa {mfa_ticket, code}. The ticket is
 * taken (GETDEL) whatever the outcome, so each password login buys one
 * guess, and a wrong code counts as a failed login for throttling. */
static at_status_t s_mfa_login(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__MfaLoginRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    if (!req->code || !*req->code)
        return at_fail(ctx, AT_VALIDATION_FAILED, "code", "code is required");
    if (!auth_token_shape_ok(req->mfa_ticket))
        return at_fail(ctx, AT_UNAUTHENTICATED, "mfa_ticket",
                       "the MFA ticket is unknown, used or expired: log in again");
    auth_mfa_ticket_t t;
    at_status_t st = auth_mfa_ticket_take(ctx->cache, ctx->arena, req->mfa_ticket, &t);
    if (st == AT_UNAVAILABLE)
        return s_redis_fail(ctx);
    if (st != AT_OK)
        return at_fail(ctx, AT_UNAUTHENTICATED, "mfa_ticket",
                       "the MFA ticket is unknown, used or expired: log in again");
    const char *ip = ctx->request ? ctx->request->ip : NULL;
    int wait = 0;
    long long attempts = 0;
    st = auth_throttle_begin(ctx->cache, &state->throttle, t.email, ip, &wait, &attempts);
    if (st == AT_UNAVAILABLE)
        return s_redis_fail(ctx);
    if (st == AT_RATE_LIMITED) {
        ctx->retry_after = wait;
        return at_fail(ctx, AT_RATE_LIMITED, NULL, "too many failed logins, try again later");
    }
    Atrium__Auth__User *user = NULL;
    char *sealed = NULL;
    st = auth_store_mfa_get(ctx->db, ctx->arena, t.firm_id, t.user_id, &user, &sealed);
    if (st == AT_NOT_FOUND)
        return s_bad_login(ctx);
    if (st != AT_OK) {
        auth_throttle_undo(ctx->cache, t.email, ip);
        return s_db_fail(ctx, st);
    }
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    const char *method = NULL;
    int left = -1;
    unsigned char key[AUTH_TOTP_SECRET_BYTES];
    if (auth_totp_code_shape(req->code)) {
        if (user->mfa_enabled && s_totp_key(state, sealed, key) == 0) {
            int64_t step = auth_totp_match(key, sizeof key, req->code, at_time_now_ms() / 1000);
            sodium_memzero(key, sizeof key);
            if (step >= 0) {
                st = auth_store_totp_use_step(ctx->db, t.firm_id, t.user_id, step, false);
                if (st == AT_OK)
                    method = "totp";
                else if (st != AT_CONFLICT)
                    return s_db_fail(ctx, st);
            }
        }
    } else {
        char hash[65];
        if (user->mfa_enabled && auth_recovery_code_hash(req->code, hash) == 0) {
            st = auth_store_recovery_use(ctx->db, t.firm_id, t.user_id, hash, &left);
            if (st == AT_OK)
                method = "recovery_code";
            else if (st != AT_NOT_FOUND)
                return s_db_fail(ctx, st);
        }
    }
    at_audit_event_t ev = {.resource_type = "user",
                           .resource_id = user->id,
                           .firm_id = user->firm_id,
                           .actor_id = user->id,
                           .actor_name = user->name,
                           .actor_kind = user->kind};
    if (!method) {
        bool locked = attempts == state->throttle.per_account;
        ev.action = "auth.login_failed";
        ev.details = json_pack("{s:s}", "reason", "wrong_mfa_code");
        st = at_audit(ctx, &ev);
        json_decref(ev.details);
        if (st == AT_OK && locked) {
            ev.action = "auth.locked";
            ev.details = json_pack("{s:i, s:i}", "failures", state->throttle.per_account, "minutes",
                                   state->throttle.window_s / 60);
            st = at_audit(ctx, &ev);
            json_decref(ev.details);
        }
        if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
            at_warn("cannot record a failed login: %s", at_status_code(st));
        return s_mfa_bad_code(ctx);
    }
    auth_throttle_success(ctx->cache, t.email, ip);
    ev.action = "auth.login";
    ev.details = left >= 0 ? json_pack("{s:s, s:i}", "mfa", method, "recovery_codes_left", left)
                           : json_pack("{s:s}", "mfa", method);
    st = at_audit(ctx, &ev);
    json_decref(ev.details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    auth_session_t session;
    if ((st = s_start_session(ctx, user, &session, S_LOGIN_NOW)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    Atrium__Auth__LoginReply *rep = at_msg_new(ctx, &atrium__auth__login_reply__descriptor);
    rep->user = user;
    rep->csrf_token = session.csrf;
    rep->session_token = session.token;
    *out = &rep->base;
    return AT_OK;
}

/* MFA settings change only from a logged-in session: an API token that
 * leaks must not be able to enrol its own second factor on the account. */
static at_status_t s_session_only(at_ctx_t *ctx, const char *what)
{
    return at_fail(ctx, AT_FORBIDDEN, NULL, "%s needs a logged-in session, not an API token", what);
}

/* POST /me/mfa/totp: a new secret, pending until a code confirms it. */
static at_status_t s_totp_begin(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    s_state_t *state = ctx->state;
    const Atrium__Principal *p = ctx->principal;
    if (!p->session_id)
        return s_session_only(ctx, "MFA enrolment");
    Atrium__Auth__User *user = NULL;
    char *sealed = NULL;
    at_status_t st =
        auth_store_mfa_get(ctx->db, ctx->arena, p->firm_id, p->user_id, &user, &sealed);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_UNAUTHENTICATED, NULL, "the user of this session no longer exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (user->mfa_enabled)
        return at_fail(ctx, AT_CONFLICT, NULL, "MFA is on already: turn it off first");
    unsigned char key[AUTH_TOTP_SECRET_BYTES];
    randombytes_buf(key, sizeof key);
    char *box = auth_secret_seal(state->secret_key, key, sizeof key);
    char b32[(AUTH_TOTP_SECRET_BYTES * 8 + 4) / 5 + 1];
    auth_base32_encode(key, sizeof key, b32);
    sodium_memzero(key, sizeof key);
    st = auth_store_totp_set_pending(ctx->db, p->firm_id, p->user_id, box);
    free(box);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, NULL, "MFA is on already: turn it off first");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    Atrium__Auth__TotpBeginReply *rep =
        at_msg_new(ctx, &atrium__auth__totp_begin_reply__descriptor);
    rep->secret = at_str(ctx, b32);
    char *uri = auth_totp_uri("Atrium", user->email, b32);
    rep->otpauth_uri = at_str(ctx, uri);
    free(uri);
    sodium_memzero(b32, sizeof b32);
    *out = &rep->base;
    return AT_OK;
}

/* POST /me/mfa/totp/confirm {code}: a code of the pending secret turns MFA
 * on and brings ten recovery codes, shown this once. */
static at_status_t s_totp_confirm(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__TotpConfirmRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    const Atrium__Principal *p = ctx->principal;
    if (!p->session_id)
        return s_session_only(ctx, "MFA enrolment");
    if (!auth_totp_code_shape(req->code))
        return at_fail(ctx, AT_VALIDATION_FAILED, "code", "code must be %d digits",
                       AUTH_TOTP_DIGITS);
    Atrium__Auth__User *user = NULL;
    char *sealed = NULL;
    at_status_t st =
        auth_store_mfa_get(ctx->db, ctx->arena, p->firm_id, p->user_id, &user, &sealed);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_UNAUTHENTICATED, NULL, "the user of this session no longer exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (user->mfa_enabled)
        return at_fail(ctx, AT_CONFLICT, NULL, "MFA is on already");
    if (!sealed)
        return at_fail(ctx, AT_CONFLICT, NULL, "no TOTP enrolment to confirm: start one first");
    unsigned char key[AUTH_TOTP_SECRET_BYTES];
    if (s_totp_key(state, sealed, key) != 0)
        return at_fail(ctx, AT_INTERNAL, NULL, "the TOTP secret cannot be read");
    int64_t step = auth_totp_match(key, sizeof key, req->code, at_time_now_ms() / 1000);
    sodium_memzero(key, sizeof key);
    if (step < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "code",
                       "the code is wrong: check the clock of "
                       "the authenticator");
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    st = auth_store_totp_use_step(ctx->db, p->firm_id, p->user_id, step, true);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_VALIDATION_FAILED, "code", "the code was used already");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    Atrium__Auth__TotpConfirmReply *rep =
        at_msg_new(ctx, &atrium__auth__totp_confirm_reply__descriptor);
    rep->n_recovery_codes = AUTH_RECOVERY_CODES;
    rep->recovery_codes = at_arena_alloc(ctx->arena, AUTH_RECOVERY_CODES * sizeof(char *));
    char hashes[AUTH_RECOVERY_CODES][65];
    for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
        char code[AUTH_RECOVERY_CODE_LEN + 1];
        auth_recovery_code_new(code);
        auth_recovery_code_hash(code, hashes[i]);
        rep->recovery_codes[i] = at_str(ctx, code);
    }
    st = auth_store_recovery_replace(ctx->db, p->firm_id, p->user_id, hashes, AUTH_RECOVERY_CODES);
    if (st == AT_OK) {
        json_t *details = json_pack("{s:s}", "method", "totp");
        st = at_audit(ctx, &(at_audit_event_t){.action = "auth.mfa_enabled",
                                               .resource_type = "user",
                                               .resource_id = p->user_id,
                                               .details = details});
        json_decref(details);
    }
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    /* a privilege change: a new session (token and CSRF token) replaces the
     * caller's, which ends; it also drops an enrolment-only restriction */
    user->has_mfa_enabled = 1;
    user->mfa_enabled = 1;
    /* not a login: the new session keeps the old one's previous login */
    int64_t prev_login_ms = 0;
    if (p->session_id)
        auth_session_prev_login(ctx->cache, p->session_id, &prev_login_ms);
    auth_session_t session;
    if ((st = s_start_session(ctx, user, &session, prev_login_ms)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    if (auth_session_end(ctx->cache, p->user_id, p->session_id) != AT_OK)
        at_warn("MFA on for user %s: the session before it could not be ended", p->user_id);
    rep->csrf_token = session.csrf;
    rep->session_token = session.token;
    *out = &rep->base;
    return AT_OK;
}

/* DELETE /me/mfa/totp {password}: MFA off, with the password as proof. */
static at_status_t s_totp_disable(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) out;
    const Atrium__Auth__TotpDisableRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    const Atrium__Principal *p = ctx->principal;
    if (!p->session_id)
        return s_session_only(ctx, "turning MFA off");
    if (!req->password || !*req->password)
        return at_fail(ctx, AT_VALIDATION_FAILED, "password", "password is required");
    if (at_is_staff(ctx)) {
        bool require_mfa = false;
        int idle_min = 0, max_h = 0;
        at_status_t sst =
            auth_store_security_get(ctx->db, p->firm_id, &require_mfa, &idle_min, &max_h);
        if (sst != AT_OK)
            return s_db_fail(ctx, sst);
        if (require_mfa)
            return at_fail(ctx, AT_FORBIDDEN, NULL, "the firm requires MFA for staff: it stays on");
    }
    char *hash = NULL;
    at_status_t st =
        auth_store_password_hash_get(ctx->db, ctx->arena, p->firm_id, p->user_id, &hash);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_UNAUTHENTICATED, NULL, "the user of this session no longer exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    bool match = false;
    auth_pw_rc_t rc = auth_password_verify(state->password, hash, req->password, &match);
    if (rc != AUTH_PW_OK)
        return s_password_fail(ctx, rc, "password");
    if (!match)
        return at_fail(ctx, AT_FORBIDDEN, "password", "password is wrong");
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    bool was_on = false;
    st = auth_store_mfa_disable(ctx->db, p->firm_id, p->user_id, &was_on);
    if (st == AT_OK && was_on) {
        json_t *details = json_pack("{s:s}", "method", "totp");
        st = at_audit(ctx, &(at_audit_event_t){.action = "auth.mfa_disabled",
                                               .resource_type = "user",
                                               .resource_id = p->user_id,
                                               .details = details});
        json_decref(details);
    }
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

static at_status_t s_logout(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    (void) out;
    const Atrium__Principal *p = ctx->principal;
    if (p->session_id && auth_session_end(ctx->cache, p->user_id, p->session_id) != AT_OK)
        return s_redis_fail(ctx);
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    st = at_audit(ctx, &(at_audit_event_t){.action = "auth.logout",
                                           .resource_type = "user",
                                           .resource_id = p->user_id});
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

/* -- me ------------------------------------------------------------------- */

static at_status_t s_me(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    const Atrium__Principal *p = ctx->principal;
    Atrium__Auth__MeReply *rep = at_msg_new(ctx, &atrium__auth__me_reply__descriptor);
    at_status_t st = auth_store_user_get(ctx->db, ctx->arena, p->firm_id, p->user_id, &rep->user);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_UNAUTHENTICATED, NULL, "the user of this session no longer exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    st = auth_store_me_clients(ctx->db, ctx->arena, p->firm_id, p->user_id, s_firm_admin(ctx),
                               S_ME_CLIENTS_MAX, &rep->clients, &rep->n_clients);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (p->session_id) {
        st = auth_session_csrf(ctx->cache, ctx->arena, p->session_id, &rep->csrf_token);
        if (st == AT_UNAVAILABLE)
            return s_redis_fail(ctx);
    }
    if (at_is_staff(ctx)) {
        /* what a session that reaches only the enrolment routes shows */
        bool require_mfa = false;
        int idle_min = 0, max_h = 0;
        st = auth_store_security_get(ctx->db, p->firm_id, &require_mfa, &idle_min, &max_h);
        if (st != AT_OK)
            return s_db_fail(ctx, st);
        rep->has_mfa_enrolment_required = 1;
        rep->mfa_enrolment_required = require_mfa && !rep->user->mfa_enabled;
    }
    *out = &rep->base;
    return AT_OK;
}

static at_status_t s_update_me(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__UpdateMeRequest *req = (const void *) in;
    const Atrium__Principal *p = ctx->principal;
    char *name = NULL;
    if (req->name && !(name = s_clean_text(ctx, req->name, S_NAME_MAX_CHARS)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "name must have 1 to %d characters",
                       S_NAME_MAX_CHARS);
    if (req->time_zone) {
        bool valid = false;
        at_status_t st = AT_OK;
        if (s_time_zone_shape_ok(req->time_zone))
            st = auth_store_time_zone_valid(ctx->db, req->time_zone, &valid);
        if (st != AT_OK)
            return s_db_fail(ctx, st);
        if (!valid)
            return at_fail(ctx, AT_VALIDATION_FAILED, "time_zone",
                           "time_zone is not an IANA time zone name");
    }
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    Atrium__Auth__User *old = NULL, *user = NULL;
    st = auth_store_user_update(ctx->db, ctx->arena, p->firm_id, p->user_id, name, req->time_zone,
                                &old, &user);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_UNAUTHENTICATED, NULL, "the user of this session no longer exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    bool renamed = strcmp(old->name, user->name) != 0;
    bool moved = strcmp(old->time_zone, user->time_zone) != 0;
    if (renamed || moved) {
        json_t *changes = json_object();
        if (renamed)
            json_object_set_new(changes, "name",
                                json_pack("{s:s, s:s}", "old", old->name, "new", user->name));
        if (moved)
            json_object_set_new(
                changes, "time_zone",
                json_pack("{s:s, s:s}", "old", old->time_zone, "new", user->time_zone));
        json_t *details = json_pack("{s:s, s:o}", "name", user->name, "changes", changes);
        st = at_audit(ctx, &(at_audit_event_t){.action = "user.updated",
                                               .resource_type = "user",
                                               .resource_id = user->id,
                                               .details = details});
        json_decref(details);
        if (st != AT_OK)
            return s_db_fail(ctx, st);
    }
    /* the principal carries the name (audit actor names): rewrite it first */
    if (renamed && (st = s_refresh_principal(ctx, user->id)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    *out = &user->base;
    return AT_OK;
}

/* -- principal (the gateway, on a cache miss) ----------------------------- */

static at_status_t s_principal(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__PrincipalRequest *req = (const void *) in;
    /* the gateway names the user in the envelope and sends no body */
    const char *user_id = req->user_id     ? req->user_id
                          : ctx->principal ? ctx->principal->user_id
                                           : NULL;
    if (!s_uuid_ok(user_id))
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user does not exist");
    Atrium__Principal *principal = NULL;
    at_status_t st = auth_store_principal(ctx->db, ctx->arena, user_id, &principal);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    /* the caller can go on without the cache; the next miss writes it */
    auth_principal_write(ctx->cache, principal);
    *out = &principal->base;
    return AT_OK;
}

/* -- clients -------------------------------------------------------------- */

static at_status_t s_clients_list(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__ClientsListRequest *req = (const void *) in;
    const Atrium__Principal *p = ctx->principal;
    char *key = NULL, *id = NULL;
    at_status_t st = s_cursor(ctx, req->cursor, &key, &id);
    if (st != AT_OK)
        return st;
    Atrium__Auth__ClientsListReply *rep =
        at_msg_new(ctx, &atrium__auth__clients_list_reply__descriptor);
    st = auth_store_clients_list(ctx->db, ctx->arena, p->firm_id, p->user_id, s_firm_admin(ctx),
                                 at_page_limit(req->has_limit ? req->limit : 0), key, id,
                                 &rep->items, &rep->n_items, &rep->next_cursor);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    *out = &rep->base;
    return AT_OK;
}

static at_status_t s_client_create(at_ctx_t *ctx, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    const Atrium__Auth__ClientCreateRequest *req = (const void *) in;
    if (!s_firm_admin(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only the firm's owners and admins create clients");
    char *name = s_clean_text(ctx, req->name, S_NAME_MAX_CHARS);
    if (!name)
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "name must have 1 to %d characters",
                       S_NAME_MAX_CHARS);
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    Atrium__Auth__Client *client = NULL;
    st = auth_store_client_create(ctx->db, ctx->arena, ctx->principal->firm_id, name,
                                  req->external_refs, &client);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:s}", "name", client->name);
    st = at_audit(ctx, &(at_audit_event_t){.action = "client.created",
                                           .resource_type = "client",
                                           .resource_id = client->id,
                                           .client_id = client->id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    /* owners and admins see every client through all_clients: no principal
     * changes when one is created */
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    *out = &client->base;
    return AT_CREATED;
}

/* The client client_id if the caller may see it, else 404 exactly as if it
 * did not exist (api.md "Conventions"). */
static at_status_t s_visible_client(at_ctx_t *ctx, const char *client_id,
                                    Atrium__Auth__Client **client)
{
    *client = NULL;
    const Atrium__Principal *p = ctx->principal;
    if (!s_uuid_ok(client_id) || !at_can_see_client(ctx, p->firm_id, client_id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    at_status_t st = auth_store_client_get(ctx->db, ctx->arena, p->firm_id, client_id, client);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    return AT_OK;
}

static at_status_t s_client_get(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__ClientGetRequest *req = (const void *) in;
    Atrium__Auth__Client *client = NULL;
    at_status_t st = s_visible_client(ctx, req->client_id, &client);
    if (st != AT_OK)
        return st;
    *out = &client->base;
    return AT_OK;
}

static at_status_t s_client_update(at_ctx_t *ctx, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    const Atrium__Auth__ClientUpdateRequest *req = (const void *) in;
    Atrium__Auth__Client *client = NULL;
    at_status_t st = s_visible_client(ctx, req->client_id, &client);
    if (st != AT_OK)
        return st;
    if (!s_firm_admin(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only the firm's owners and admins change clients");
    char *name = NULL;
    if (req->name && !(name = s_clean_text(ctx, req->name, S_NAME_MAX_CHARS)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "name must have 1 to %d characters",
                       S_NAME_MAX_CHARS);
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    char *old_name = NULL;
    st = auth_store_client_update(ctx->db, ctx->arena, ctx->principal->firm_id, client->id, name,
                                  req->external_refs, &client, &old_name);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:s, s:{s:s, s:s}}", "name", client->name, "changes", "old_name",
                                old_name, "new_name", client->name);
    if (req->external_refs)
        json_object_set_new(json_object_get(details, "changes"), "external_refs", json_true());
    st = at_audit(ctx, &(at_audit_event_t){.action = "client.updated",
                                           .resource_type = "client",
                                           .resource_id = client->id,
                                           .client_id = client->id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    *out = &client->base;
    return AT_OK;
}

static at_status_t s_members_list(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__MembersListRequest *req = (const void *) in;
    Atrium__Auth__Client *client = NULL;
    at_status_t st = s_visible_client(ctx, req->client_id, &client);
    if (st != AT_OK)
        return st;
    char *key = NULL, *id = NULL;
    if ((st = s_cursor(ctx, req->cursor, &key, &id)) != AT_OK)
        return st;
    Atrium__Auth__MembersListReply *rep =
        at_msg_new(ctx, &atrium__auth__members_list_reply__descriptor);
    st = auth_store_members_list(ctx->db, ctx->arena, ctx->principal->firm_id, client->id,
                                 at_page_limit(req->has_limit ? req->limit : 0), key, id,
                                 &rep->items, &rep->n_items, &rep->next_cursor);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    *out = &rep->base;
    return AT_OK;
}

/* -- members (changes) ----------------------------------------------------- */

/* The caller as auth_rules sees it, for client_id (NULL: firm-wide). */
static auth_caller_t s_caller(const at_ctx_t *ctx, const char *client_id)
{
    const Atrium__Principal *p = ctx->principal;
    return (auth_caller_t){.kind = p->kind,
                           .role = p->role,
                           .client_role =
                               client_id ? at_can_see_client(ctx, p->firm_id, client_id) : NULL};
}

/* Loads the visible client and the user_id of the same firm a membership
 * change is about, and checks the caller may change it. A client admin
 * manages only users already in its client (new ones come by invitation),
 * so it can learn nothing of the firm's other users. */
static at_status_t s_member_target(at_ctx_t *ctx, const char *client_id, const char *user_id,
                                   Atrium__Auth__Client **client, Atrium__Auth__User **user,
                                   Atrium__Auth__Member **current)
{
    const Atrium__Principal *p = ctx->principal;
    *user = NULL;
    *current = NULL;
    at_status_t st = s_visible_client(ctx, client_id, client);
    if (st != AT_OK)
        return st;
    auth_caller_t caller = s_caller(ctx, (*client)->id);
    bool firm_admin = s_firm_admin(ctx);
    if (!firm_admin && !auth_may_manage_member(&caller, "client"))
        return at_fail(ctx, AT_FORBIDDEN, NULL,
                       "only the firm's owners and admins and the client's admins manage members");
    if (!s_uuid_ok(user_id))
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user does not exist");
    st = auth_store_member_get(ctx->db, ctx->arena, p->firm_id, (*client)->id, user_id, current);
    if (st != AT_OK && st != AT_NOT_FOUND)
        return s_db_fail(ctx, st);
    if (!firm_admin && !*current)
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user is not a member of this client");
    st = auth_store_user_get(ctx->db, ctx->arena, p->firm_id, user_id, user);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (!auth_may_manage_member(&caller, (*user)->kind))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only the firm's owners and admins manage staff");
    return AT_OK;
}

static at_status_t s_member_set(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__MemberSetRequest *req = (const void *) in;
    Atrium__Auth__Client *client = NULL;
    Atrium__Auth__User *user = NULL;
    Atrium__Auth__Member *current = NULL;
    at_status_t st = s_member_target(ctx, req->client_id, req->user_id, &client, &user, &current);
    if (st != AT_OK)
        return st;
    if (!auth_member_role_ok(user->kind, req->role))
        return at_fail(ctx, AT_VALIDATION_FAILED, "role", "%s",
                       strcmp(user->kind, "staff") == 0 ? "role of a staff member must be staff"
                                                        : "role must be admin, member or viewer");
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    Atrium__Auth__Member *member = NULL;
    char *old_role = NULL;
    st = auth_store_member_set(ctx->db, ctx->arena, ctx->principal->firm_id, client->id, user->id,
                               req->role, &member, &old_role);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (!old_role || strcmp(old_role, member->role) != 0) {
        json_t *details = json_pack("{s:s, s:s, s:s}", "name", client->name, "user_name",
                                    user->name, "role", member->role);
        if (old_role)
            json_object_set_new(
                details, "changes",
                json_pack("{s:{s:s, s:s}}", "role", "old", old_role, "new", member->role));
        st = at_audit(
            ctx, &(at_audit_event_t){.action = old_role ? "member.role_changed" : "member.added",
                                     .resource_type = "user",
                                     .resource_id = user->id,
                                     .client_id = client->id,
                                     .details = details});
        json_decref(details);
        if (st != AT_OK)
            return s_db_fail(ctx, st);
        /* the member's very next request sees the new grant */
        if ((st = s_refresh_principal(ctx, user->id)) != AT_OK)
            return st;
    }
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    *out = &member->base;
    return AT_OK;
}

static at_status_t s_member_delete(at_ctx_t *ctx, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    (void) out;
    const Atrium__Auth__MemberDeleteRequest *req = (const void *) in;
    Atrium__Auth__Client *client = NULL;
    Atrium__Auth__User *user = NULL;
    Atrium__Auth__Member *current = NULL;
    at_status_t st = s_member_target(ctx, req->client_id, req->user_id, &client, &user, &current);
    if (st != AT_OK)
        return st;
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    Atrium__Auth__Member *removed = NULL;
    st = auth_store_member_delete(ctx->db, ctx->arena, ctx->principal->firm_id, client->id,
                                  user->id, &removed);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user is not a member of this client");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:s, s:s, s:s}", "name", client->name, "user_name", user->name,
                                "role", removed->role);
    st = at_audit(ctx, &(at_audit_event_t){.action = "member.removed",
                                           .resource_type = "user",
                                           .resource_id = user->id,
                                           .client_id = client->id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_refresh_principal(ctx, user->id)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

/* -- staff ------------------------------------------------------------------- */

static at_status_t s_staff_list(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__StaffListRequest *req = (const void *) in;
    /* client users do not see the firm's staff list at all: 404, as for
     * anything outside their reach (they see staff on their clients'
     * member lists) */
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "staff list does not exist");
    char *key = NULL, *id = NULL;
    at_status_t st = s_cursor(ctx, req->cursor, &key, &id);
    if (st != AT_OK)
        return st;
    Atrium__Auth__StaffListReply *rep =
        at_msg_new(ctx, &atrium__auth__staff_list_reply__descriptor);
    st = auth_store_staff_list(ctx->db, ctx->arena, ctx->principal->firm_id,
                               at_page_limit(req->has_limit ? req->limit : 0), key, id, &rep->items,
                               &rep->n_items, &rep->next_cursor);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    *out = &rep->base;
    return AT_OK;
}

/* -- invitations -------------------------------------------------------------- */

static at_status_t s_invitation_create(at_ctx_t *ctx, const ProtobufCMessage *in,
                                       ProtobufCMessage **out)
{
    const Atrium__Auth__InvitationCreateRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    const Atrium__Principal *p = ctx->principal;
    if (!s_email_ok(req->email))
        return at_fail(ctx, AT_VALIDATION_FAILED, "email", "email is not an email address");
    const char *kind = req->kind;
    if (!kind || (strcmp(kind, "staff") != 0 && strcmp(kind, "client") != 0))
        return at_fail(ctx, AT_VALIDATION_FAILED, "kind", "kind must be staff or client");
    if (!auth_invite_role_ok(kind, req->role))
        return at_fail(ctx, AT_VALIDATION_FAILED, "role", "%s",
                       strcmp(kind, "staff") == 0 ? "role must be owner, admin or staff"
                                                  : "role must be admin, member or viewer");
    Atrium__Auth__Client *client = NULL;
    bool has_client = req->client_id && *req->client_id;
    if (!has_client && strcmp(kind, "client") == 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "client_id",
                       "client_id is required to invite a client user");
    at_status_t st;
    if (has_client && (st = s_visible_client(ctx, req->client_id, &client)) != AT_OK)
        return st;
    auth_caller_t caller = s_caller(ctx, client ? client->id : NULL);
    if (!auth_may_invite(&caller, kind, req->role))
        return at_fail(ctx, AT_FORBIDDEN, NULL,
                       "only the firm's owners and admins, or a client's admin for client "
                       "users of that client, invite");
    bool taken = false;
    if ((st = auth_store_email_taken(ctx->db, req->email, &taken)) != AT_OK)
        return s_db_fail(ctx, st);
    /* An email has one account, made by accepting: a user the firm already
     * has joins another client with PUT .../members instead. (Row-level
     * security shows only this firm's users here; an email taken in another
     * firm is refused at accept by the unique index, revealing nothing now.) */
    if (taken)
        return at_fail(ctx, AT_CONFLICT, "email", "an account with this email already exists");

    char *token = auth_random_token(ctx->arena);
    char hash[65];
    auth_session_token_hash(token, hash);
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    Atrium__Auth__Invitation *inv = NULL;
    st = auth_store_invitation_create(ctx->db, ctx->arena, p->firm_id, p->user_id, hash, req->email,
                                      kind, req->role, client ? client->id : NULL,
                                      S_INVITATION_TTL_S, &inv);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:s, s:s, s:s, s:s?}", "email", inv->email, "kind", inv->kind,
                                "role", inv->role, "client_name", client ? client->name : NULL);
    st = at_audit(ctx, &(at_audit_event_t){.action = "invitation.created",
                                           .resource_type = "invitation",
                                           .resource_id = inv->id,
                                           .client_id = inv->client_id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    inv->token = token;
    inv->accept_url = at_arena_printf(ctx->arena, "%.*s/invite/%s", (int) state->public_url_len,
                                      state->public_url, token);
    *out = &inv->base;
    return AT_CREATED;
}

/* Looks up the invitation of token: 404 when there is none (or the token
 * is malformed), 410 once used or expired (api.md). */
static at_status_t s_usable_invitation(at_ctx_t *ctx, const char *token, char hash[65],
                                       Atrium__Auth__InvitationInfo **info)
{
    if (!auth_token_shape_ok(token))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "invitation does not exist");
    auth_session_token_hash(token, hash);
    bool usable = false;
    at_status_t st = auth_store_invitation_info(ctx->db, ctx->arena, hash, info, &usable);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "invitation does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if (!usable)
        return at_fail(ctx, AT_GONE, NULL, "invitation has been used or has expired");
    return AT_OK;
}

static at_status_t s_invitation_get(at_ctx_t *ctx, const ProtobufCMessage *in,
                                    ProtobufCMessage **out)
{
    const Atrium__Auth__InvitationGetRequest *req = (const void *) in;
    char hash[65];
    Atrium__Auth__InvitationInfo *info = NULL;
    at_status_t st = s_usable_invitation(ctx, req->token, hash, &info);
    if (st != AT_OK)
        return st;
    *out = &info->base;
    return AT_OK;
}

static at_status_t s_invitation_accept(at_ctx_t *ctx, const ProtobufCMessage *in,
                                       ProtobufCMessage **out)
{
    const Atrium__Auth__InvitationAcceptRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    char hash[65];
    Atrium__Auth__InvitationInfo *info = NULL;
    /* a cheap look first, so a bad token never costs an Argon2id hash; the
     * UPDATE below is what decides */
    at_status_t st = s_usable_invitation(ctx, req->token, hash, &info);
    if (st != AT_OK)
        return st;
    char *name = s_clean_text(ctx, req->name, S_NAME_MAX_CHARS);
    if (!name)
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "name must have 1 to %d characters",
                       S_NAME_MAX_CHARS);
    char pw_hash[AUTH_PASSWORD_HASH_MAX];
    auth_pw_rc_t rc = auth_password_hash(state->password, req->password, pw_hash);
    if (rc != AUTH_PW_OK)
        return s_password_fail(ctx, rc, "password");

    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    Atrium__Auth__User *user = NULL;
    auth_accepted_t acc;
    st = auth_store_invitation_accept(ctx->db, ctx->arena, hash, name, pw_hash, &user, &acc);
    if (st == AT_GONE)
        return at_fail(ctx, AT_GONE, NULL, "invitation has been used or has expired");
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, "email", "an account with this email already exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    at_audit_event_t ev = {.action = "invitation.accepted",
                           .resource_type = "invitation",
                           .resource_id = acc.invitation_id,
                           .client_id = acc.client_id,
                           .firm_id = user->firm_id,
                           .actor_id = user->id,
                           .actor_name = user->name,
                           .actor_kind = user->kind};
    ev.details =
        json_pack("{s:s, s:s, s:s?, s:s?}", "email", user->email, "kind", user->kind, "role",
                  user->role ? user->role : acc.client_role, "client_name", acc.client_name);
    st = at_audit(ctx, &ev);
    json_decref(ev.details);
    if (st == AT_OK && acc.client_id) {
        ev = (at_audit_event_t){.action = "member.added",
                                .resource_type = "user",
                                .resource_id = user->id,
                                .client_id = acc.client_id,
                                .firm_id = user->firm_id,
                                .actor_id = user->id,
                                .actor_name = user->name,
                                .actor_kind = user->kind};
        ev.details = json_pack("{s:s?, s:s, s:s}", "name", acc.client_name, "user_name", user->name,
                               "role", acc.client_role);
        st = at_audit(ctx, &ev);
        json_decref(ev.details);
    }
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    auth_session_t session;
    if ((st = s_start_session(ctx, user, &session, S_LOGIN_NOW)) != AT_OK)
        return st;
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    Atrium__Auth__InvitationAcceptReply *rep =
        at_msg_new(ctx, &atrium__auth__invitation_accept_reply__descriptor);
    rep->user = user;
    rep->csrf_token = session.csrf;
    rep->session_token = session.token;
    *out = &rep->base;
    return AT_OK;
}

/* -- sessions and password ------------------------------------------------------ */

static at_status_t s_sessions_list(at_ctx_t *ctx, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    (void) in;
    const Atrium__Principal *p = ctx->principal;
    Atrium__Auth__SessionsListReply *rep =
        at_msg_new(ctx, &atrium__auth__sessions_list_reply__descriptor);
    if (auth_session_list(ctx->cache, ctx->arena, p->user_id, p->session_id, &rep->items,
                          &rep->n_items) != AT_OK)
        return s_redis_fail(ctx);
    *out = &rep->base;
    return AT_OK;
}

static bool s_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (const char *c = s; *c; c++)
        if (!isxdigit((unsigned char) *c) || isupper((unsigned char) *c))
            return false;
    return true;
}

static at_status_t s_session_delete(at_ctx_t *ctx, const ProtobufCMessage *in,
                                    ProtobufCMessage **out)
{
    (void) out;
    const Atrium__Auth__SessionDeleteRequest *req = (const void *) in;
    const Atrium__Principal *p = ctx->principal;
    if (!s_hex64(req->id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "session does not exist");
    at_status_t st = auth_session_owned(ctx->cache, p->user_id, req->id);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "session does not exist");
    if (st != AT_OK || auth_session_end(ctx->cache, p->user_id, req->id) != AT_OK)
        return s_redis_fail(ctx);
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    bool current = p->session_id && strcmp(p->session_id, req->id) == 0;
    json_t *details = json_pack("{s:b}", "current", current);
    st = at_audit(ctx, &(at_audit_event_t){.action = "auth.session_revoked",
                                           .resource_type = "user",
                                           .resource_id = p->user_id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

static at_status_t s_password_change(at_ctx_t *ctx, const ProtobufCMessage *in,
                                     ProtobufCMessage **out)
{
    (void) out;
    const Atrium__Auth__PasswordChangeRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    const Atrium__Principal *p = ctx->principal;
    if (!req->current_password || !*req->current_password)
        return at_fail(ctx, AT_VALIDATION_FAILED, "current_password",
                       "current_password is required");
    if (!req->new_password || !*req->new_password)
        return at_fail(ctx, AT_VALIDATION_FAILED, "new_password", "new_password is required");
    char *old_hash = NULL;
    at_status_t st =
        auth_store_password_hash_get(ctx->db, ctx->arena, p->firm_id, p->user_id, &old_hash);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_UNAUTHENTICATED, NULL, "the user of this session no longer exists");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    bool match = false;
    auth_pw_rc_t rc =
        auth_password_verify(state->password, old_hash, req->current_password, &match);
    if (rc != AUTH_PW_OK)
        return s_password_fail(ctx, rc, "current_password");
    if (!match)
        /* 403, not 401: the session is fine, the proof is not */
        return at_fail(ctx, AT_FORBIDDEN, "current_password", "current_password is wrong");
    char new_hash[AUTH_PASSWORD_HASH_MAX];
    if ((rc = auth_password_hash(state->password, req->new_password, new_hash)) != AUTH_PW_OK)
        return s_password_fail(ctx, rc, "new_password");

    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    int generation = 0;
    st = auth_store_password_change(ctx->db, p->firm_id, p->user_id, new_hash, &generation);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    /* Redis before the commit, in this order: the caller's session moves to
     * the new generation, then the principal (which the gateway compares
     * every session with) does, then the other sessions are deleted. Should
     * the commit fail, the principal names a generation PostgreSQL does not
     * have and the next rebuild logs the user out: it fails closed. */
    if (p->session_id) {
        st = auth_session_set_generation(ctx->cache, p->session_id, generation);
        if (st == AT_UNAVAILABLE)
            return s_redis_fail(ctx);
    }
    if ((st = s_refresh_principal(ctx, p->user_id)) != AT_OK)
        return st;
    int ended = 0;
    if (auth_session_end_others(ctx->cache, p->user_id, p->session_id, &ended) != AT_OK)
        return s_redis_fail(ctx);
    json_t *details = json_pack("{s:i}", "sessions_ended", ended);
    st = at_audit(ctx, &(at_audit_event_t){.action = "user.password_changed",
                                           .resource_type = "user",
                                           .resource_id = p->user_id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

/* -- password reset ------------------------------------------------------------ */

/* POST /auth/password-reset {email}: 202 and the same empty body whatever
 * the email. For a user's email a token is stored (hashed) and its link
 * queued in the mail outbox, both in one transaction; for any other the
 * transaction is empty. The background thread sends the mail, so neither
 * answer waits for SMTP. */
static at_status_t s_password_reset(at_ctx_t *ctx, const ProtobufCMessage *in,
                                    ProtobufCMessage **out)
{
    const Atrium__Auth__PasswordResetRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    if (!s_email_ok(req->email))
        return at_fail(ctx, AT_VALIDATION_FAILED, "email", "email is not an email address");
    const auth_throttle_limits_t limits = {S_RESET_PER_EMAIL, S_RESET_PER_IP, S_RESET_WINDOW_S,
                                           "reset"};
    int wait = 0;
    long long count = 0;
    at_status_t st = auth_throttle_begin(ctx->cache, &limits, req->email,
                                         ctx->request ? ctx->request->ip : NULL, &wait, &count);
    if (st == AT_UNAVAILABLE)
        return s_redis_fail(ctx);
    if (st == AT_RATE_LIMITED) {
        ctx->retry_after = wait;
        return at_fail(ctx, AT_RATE_LIMITED, NULL, "too many reset requests, try again later");
    }
    char *token = auth_random_token(ctx->arena);
    char hash[65];
    auth_session_token_hash(token, hash);
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    Atrium__Auth__User *user = NULL;
    st = auth_store_reset_create(ctx->db, ctx->arena, req->email, hash, S_RESET_TTL_S, &user);
    if (st == AT_OK) {
        char *body = at_arena_printf(
            ctx->arena,
            "Hello %s,\n\n"
            "someone, hopefully you, asked to reset the password of your Atrium account\n"
            "%s. To choose a new password, open this link within one hour:\n\n"
            "%.*s/reset/%s\n\n"
            "The link works once. If you did not ask for this, ignore this mail: your\n"
            "password stays as it is.\n",
            user->name, user->email, (int) state->public_url_len, state->public_url, token);
        st = auth_store_mail_queue(ctx->db, user->email, user->name, "Reset your Atrium password",
                                   body);
        if (st == AT_OK)
            st = at_audit(ctx, &(at_audit_event_t){.action = "user.password_reset_requested",
                                                   .resource_type = "user",
                                                   .resource_id = user->id,
                                                   .firm_id = user->firm_id,
                                                   .actor_id = user->id,
                                                   .actor_name = user->name,
                                                   .actor_kind = user->kind});
    } else if (st == AT_NOT_FOUND) {
        at_info("password reset asked for an unknown email");
        st = AT_OK;
    }
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    *out = at_msg_new(ctx, &atrium__auth__empty__descriptor);
    return AT_ACCEPTED;
}

/* POST /auth/password-reset/confirm {token, new_password}: the token is
 * consumed first (its row stays locked until this transaction ends, so a
 * parallel use waits and then finds it spent: 410), then the password is
 * checked and hashed (a refused password rolls back and leaves the token
 * usable), set, and every session of the user ends: the generation moves
 * on in PostgreSQL and in the principal, and the sessions are deleted. */
static at_status_t s_password_reset_confirm(at_ctx_t *ctx, const ProtobufCMessage *in,
                                            ProtobufCMessage **out)
{
    (void) out;
    const Atrium__Auth__PasswordResetConfirmRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    if (!req->token || !*req->token)
        return at_fail(ctx, AT_VALIDATION_FAILED, "token", "token is required");
    if (!req->new_password || !*req->new_password)
        return at_fail(ctx, AT_VALIDATION_FAILED, "new_password", "new_password is required");
    char token_hash[65];
    auth_session_token_hash(req->token, token_hash);
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    char *user_id = NULL, *firm_id = NULL;
    st = auth_store_reset_consume(ctx->db, ctx->arena, token_hash, &user_id, &firm_id);
    if (st == AT_GONE)
        return at_fail(ctx, AT_GONE, "token", "this reset link was used already or has expired");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    char new_hash[AUTH_PASSWORD_HASH_MAX];
    auth_pw_rc_t rc = auth_password_hash(state->password, req->new_password, new_hash);
    if (rc != AUTH_PW_OK)
        return s_password_fail(ctx, rc, "new_password");
    int generation = 0;
    st = auth_store_password_change(ctx->db, firm_id, user_id, new_hash, &generation);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    /* as for a password change: the principal moves to the new generation
     * before the commit (a failed commit then fails closed) */
    if ((st = s_refresh_principal(ctx, user_id)) != AT_OK)
        return st;
    int ended = 0;
    if (auth_session_end_others(ctx->cache, user_id, NULL, &ended) != AT_OK)
        return s_redis_fail(ctx);
    Atrium__Auth__User *user = NULL;
    if ((st = auth_store_user_get(ctx->db, ctx->arena, firm_id, user_id, &user)) != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:i}", "sessions_ended", ended);
    st = at_audit(ctx, &(at_audit_event_t){.action = "user.password_reset",
                                           .resource_type = "user",
                                           .resource_id = user_id,
                                           .firm_id = firm_id,
                                           .actor_id = user_id,
                                           .actor_name = user->name,
                                           .actor_kind = user->kind,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

/* -- the mail sender (background thread) ------------------------------------- */

/* Builds and delivers one claimed mail, and records the outcome. */
static void s_send_mail(at_ctx_t *ctx, const auth_mail_row_t *m)
{
    s_state_t *state = ctx->state;
    const char *domain = strchr(state->mail_from, '@');
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    char rnd_hex[17];
    sodium_bin2hex(rnd_hex, sizeof rnd_hex, rnd, sizeof rnd);
    char *msgid = at_arena_printf(ctx->arena, "atrium.%s.%s@%s", m->id, rnd_hex,
                                  domain && domain[1] ? domain + 1 : "localhost");
    auth_mail_t mail = {.from_addr = state->mail_from,
                        .from_name = state->mail_from_name,
                        .to_addr = m->to_addr,
                        .to_name = m->to_name,
                        .subject = m->subject,
                        .body = m->body,
                        .date = (time_t) m->created_at,
                        .message_id = msgid};
    char *msg = NULL, *err = NULL;
    int rc = -1;
    if (auth_mail_build(&mail, &msg) != 0) {
        err = strdup("an address of the mail is not usable");
    } else if (*state->smtp_url) {
        rc = auth_mail_send_smtp(state->smtp_url, state->mail_from, m->to_addr, msg,
                                 S_MAIL_TIMEOUT_S, &err);
    } else {
        char *name = at_arena_printf(ctx->arena, "%012lld-%s", atoll(m->id), rnd_hex);
        rc = auth_mail_write_eml(state->mail_dir, name, msg, &err);
    }
    free(msg);
    if (rc != 0)
        at_warn("mail %s (attempt %d) not sent: %s", m->id, m->attempts, err ? err : "?");
    else
        at_info("mail %s sent", m->id);
    if (auth_store_mail_done(ctx->db, m->id, rc == 0 ? NULL : (err ? err : "?")) != AT_OK)
        at_warn("mail %s: cannot record the outcome", m->id);
    free(err);
}

static void s_background(at_ctx_t *ctx, volatile int *stop)
{
    while (!*stop) {
        at_arena_reset(ctx->arena);
        auth_mail_row_t m;
        if (auth_store_mail_claim(ctx->db, ctx->arena, S_MAIL_MAX_ATTEMPTS, &m) == AT_OK) {
            s_send_mail(ctx, &m);
            continue;
        }
        /* nothing due (or the database is away): look again shortly */
        for (int i = 0; i < 4 && !*stop; i++)
            usleep(50 * 1000);
    }
}

/* -- firm security settings ------------------------------------------------------ */

static at_status_t s_security_check(at_ctx_t *ctx)
{
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no such resource");
    if (!s_firm_admin(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only an owner or admin manages security settings");
    return AT_OK;
}

static at_status_t s_security_reply(at_ctx_t *ctx, ProtobufCMessage **out)
{
    s_state_t *state = ctx->state;
    bool require_mfa = false;
    int idle_min = 0, max_h = 0;
    at_status_t st =
        auth_store_security_get(ctx->db, ctx->principal->firm_id, &require_mfa, &idle_min, &max_h);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    Atrium__Auth__SecuritySettings *rep =
        at_msg_new(ctx, &atrium__auth__security_settings__descriptor);
    rep->has_require_mfa_for_staff = rep->has_session_idle_minutes = rep->has_session_max_hours = 1;
    rep->require_mfa_for_staff = require_mfa;
    rep->session_idle_minutes = idle_min ? idle_min : state->idle_s / 60;
    rep->session_max_hours = max_h ? max_h : (int) (state->max_s / 3600);
    *out = &rep->base;
    return AT_OK;
}

/* GET /settings/security: the values in force. */
static at_status_t s_security_get(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    at_status_t st = s_security_check(ctx);
    return st != AT_OK ? st : s_security_reply(ctx, out);
}

/* PUT /settings/security: all three values. Sessions started afterwards
 * use them (ones already open keep the limits they began with); with
 * require_mfa_for_staff on, a staff user without MFA who logs in gets a
 * session that reaches only the MFA enrolment routes. */
static at_status_t s_security_set(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__SecuritySettings *req = (const void *) in;
    at_status_t st = s_security_check(ctx);
    if (st != AT_OK)
        return st;
    if (!req->has_require_mfa_for_staff)
        return at_fail(ctx, AT_VALIDATION_FAILED, "require_mfa_for_staff",
                       "require_mfa_for_staff is required");
    if (!req->has_session_idle_minutes || req->session_idle_minutes < S_SECURITY_IDLE_MIN ||
        req->session_idle_minutes > S_SECURITY_IDLE_MAX)
        return at_fail(ctx, AT_VALIDATION_FAILED, "session_idle_minutes",
                       "session_idle_minutes must be %d to %d", S_SECURITY_IDLE_MIN,
                       S_SECURITY_IDLE_MAX);
    if (!req->has_session_max_hours || req->session_max_hours < 1 ||
        req->session_max_hours > S_SECURITY_MAX_HOURS)
        return at_fail(ctx, AT_VALIDATION_FAILED, "session_max_hours",
                       "session_max_hours must be 1 to %d", S_SECURITY_MAX_HOURS);
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    st = auth_store_security_set(ctx->db, ctx->principal->firm_id, req->require_mfa_for_staff,
                                 req->session_idle_minutes, req->session_max_hours);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details =
        json_pack("{s:b, s:i, s:i}", "require_mfa_for_staff", (int) req->require_mfa_for_staff,
                  "session_idle_minutes", (int) req->session_idle_minutes, "session_max_hours",
                  (int) req->session_max_hours);
    st = at_audit(ctx, &(at_audit_event_t){.action = "firm.security_changed",
                                           .resource_type = "firm",
                                           .resource_id = ctx->principal->firm_id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return s_security_reply(ctx, out);
}

/* -- branding ---------------------------------------------------------------------- */

/* The string member of msg that field f is (proto2 optional string). */
static char **s_str_field(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    return (char **) ((char *) msg + f->offset);
}

/* The branding in force from a stored row (NULL: none stored), defaults
 * filled in, as the reply message. */
static Atrium__Auth__Branding *s_branding_message(at_ctx_t *ctx, const auth_branding_row_t *row)
{
    Atrium__Auth__Branding *b = at_msg_new(ctx, &atrium__auth__branding__descriptor);
    b->portal_name = row && row->portal_name ? row->portal_name : AUTH_BRANDING_DEFAULT_NAME;
    b->primary_color = row && row->primary_color ? row->primary_color : AUTH_BRANDING_DEFAULT_COLOR;
    b->logo_url = row ? row->logo_url : NULL;
    ProtobufCMessage *labels = NULL;
    json_t *stored = row && row->labels ? json_loads(row->labels, 0, NULL) : NULL;
    if (!stored || at_pbjson_decode(&atrium__auth__branding_labels__descriptor, stored,
                                    at_arena_allocator(ctx->arena), &labels, NULL) != 0)
        labels = at_msg_new(ctx, &atrium__auth__branding_labels__descriptor);
    json_decref(stored);
    const ProtobufCMessageDescriptor *ld = &atrium__auth__branding_labels__descriptor;
    for (unsigned i = 0; i < ld->n_fields; i++) {
        char **slot = s_str_field(labels, &ld->fields[i]);
        if (!*slot)
            *slot = (char *) auth_branding_label_default(ld->fields[i].name);
    }
    b->labels = (Atrium__Auth__BrandingLabels *) labels;
    json_t *sections = row && row->sections ? json_loads(row->sections, 0, NULL) : NULL;
    size_t n = json_is_array(sections) ? json_array_size(sections) : 0;
    if (n == 0) {
        while (auth_branding_sections[n])
            n++;
        b->dashboard_sections = (char **) auth_branding_sections;
    } else {
        b->dashboard_sections = at_arena_alloc(ctx->arena, sizeof(char *) * n);
        for (size_t i = 0; i < n; i++)
            b->dashboard_sections[i] = at_str(ctx, json_string_value(json_array_get(sections, i)));
    }
    b->n_dashboard_sections = n;
    json_decref(sections);
    return b;
}

/* GET /branding, public. The firm: the caller's own with a session; else
 * ?firm=<id>; else ATRIUM_DEFAULT_FIRM_ID; else the installation's only
 * firm. A firm id that is malformed or names no firm answers the defaults,
 * exactly like a firm that set nothing, so the route tells no one which
 * firms exist. */
static at_status_t s_branding_get(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__BrandingGetRequest *req = (const void *) in;
    s_state_t *state = ctx->state;
    const char *firm = NULL;
    bool named = true;
    if (ctx->principal && ctx->principal->firm_id && ctx->principal->user_id)
        firm = ctx->principal->firm_id;
    else if (req->firm && *req->firm)
        firm = req->firm;
    else if (*state->default_firm_id)
        firm = state->default_firm_id;
    else
        named = false;
    auth_branding_row_t row;
    at_status_t st = AT_NOT_FOUND;
    if (!named || at_text_uuid(firm))
        st = auth_store_branding_get(ctx->db, ctx->arena, named ? firm : NULL, &row);
    if (st != AT_OK && st != AT_NOT_FOUND)
        return s_db_fail(ctx, st);
    *out = &s_branding_message(ctx, st == AT_OK ? &row : NULL)->base;
    return AT_OK;
}

/* PUT /settings/branding: replaces the whole branding; an absent field
 * returns to its default (labels: each term absent keeps its default). */
static at_status_t s_branding_set(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__Branding *req = (const void *) in;
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no such resource");
    if (!s_firm_admin(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only an owner or admin manages the branding");
    auth_branding_row_t row = {0};
    if (req->portal_name && !(row.portal_name = auth_branding_text(ctx->arena, req->portal_name,
                                                                   AUTH_BRANDING_NAME_MAX)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "portal_name",
                       "portal_name must have 1 to %d characters and no control characters",
                       AUTH_BRANDING_NAME_MAX);
    if (req->primary_color) {
        if (!auth_branding_color_ok(req->primary_color))
            return at_fail(ctx, AT_VALIDATION_FAILED, "primary_color",
                           "primary_color must be #rrggbb");
        row.primary_color = at_str(ctx, req->primary_color);
        for (char *c = row.primary_color; *c; c++)
            *c = (char) tolower((unsigned char) *c);
    }
    if (req->logo_url && *req->logo_url) {
        if (!auth_branding_logo_ok(req->logo_url))
            return at_fail(ctx, AT_VALIDATION_FAILED, "logo_url",
                           "logo_url must be an https:// address or a path on this site");
        row.logo_url = req->logo_url;
    }
    json_t *labels = json_object();
    const ProtobufCMessageDescriptor *ld = &atrium__auth__branding_labels__descriptor;
    for (unsigned i = 0; req->labels && i < ld->n_fields; i++) {
        const char *v = *s_str_field((ProtobufCMessage *) req->labels, &ld->fields[i]);
        if (!v)
            continue;
        char *clean = auth_branding_text(ctx->arena, v, AUTH_BRANDING_LABEL_MAX);
        if (!clean) {
            json_decref(labels);
            return at_fail(ctx, AT_VALIDATION_FAILED,
                           at_arena_printf(ctx->arena, "labels.%s", ld->fields[i].name),
                           "labels.%s must have 1 to %d characters and no control characters",
                           ld->fields[i].name, AUTH_BRANDING_LABEL_MAX);
        }
        json_object_set_new(labels, ld->fields[i].name, json_string(clean));
    }
    int bad = auth_branding_sections_bad((const char *const *) req->dashboard_sections,
                                         req->n_dashboard_sections);
    if (bad >= 0) {
        json_decref(labels);
        return at_fail(ctx, AT_VALIDATION_FAILED,
                       at_arena_printf(ctx->arena, "dashboard_sections[%d]", bad),
                       "dashboard_sections must name each of new_since_last_login, tasks_due,"
                       " unread_threads, pending_signatures, open_invoices, recent_activity"
                       " at most once");
    }
    json_t *sections = NULL;
    if (req->n_dashboard_sections) {
        sections = json_array();
        for (size_t i = 0; i < req->n_dashboard_sections; i++)
            json_array_append_new(sections, json_string(req->dashboard_sections[i]));
    }
    char *labels_text = json_dumps(labels, JSON_COMPACT);
    char *sections_text = sections ? json_dumps(sections, JSON_COMPACT) : NULL;
    row.labels = at_str(ctx, labels_text);
    row.sections = at_str(ctx, sections_text);
    free(labels_text);
    free(sections_text);
    json_t *details = json_pack("{s:s?, s:s?, s:s?, s:O, s:O?}", "portal_name", row.portal_name,
                                "primary_color", row.primary_color, "logo_url", row.logo_url,
                                "labels", labels, "dashboard_sections", sections);
    json_decref(labels);
    json_decref(sections);
    at_status_t st = s_begin(ctx);
    if (st == AT_OK) {
        st = auth_store_branding_set(ctx->db, ctx->principal->firm_id, &row);
        if (st == AT_OK)
            st = at_audit(ctx, &(at_audit_event_t){.action = "firm.branding_changed",
                                                   .resource_type = "firm",
                                                   .resource_id = ctx->principal->firm_id,
                                                   .details = details});
        if (st != AT_OK)
            st = s_db_fail(ctx, st);
        else
            st = s_commit(ctx);
    }
    json_decref(details);
    if (st != AT_OK)
        return st;
    *out = &s_branding_message(ctx, &row)->base;
    return AT_OK;
}

/* -- dashboard ------------------------------------------------------------------- */

/* auth.dashboard (for GET /dashboard): the caller's login before this
 * session. A session recorded it when it began, so this is one Redis read
 * and no SQL; an API token (no session) or a session older than the record
 * asks PostgreSQL for the user's latest login. */
static at_status_t s_dashboard(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    int64_t ms = 0;
    at_status_t st = AT_NOT_FOUND;
    if (ctx->principal->session_id && *ctx->principal->session_id)
        st = auth_session_prev_login(ctx->cache, ctx->principal->session_id, &ms);
    if (st == AT_UNAVAILABLE)
        return s_redis_fail(ctx);
    if (st == AT_NOT_FOUND &&
        (st = auth_store_last_login(ctx->db, ctx->principal->user_id, &ms)) != AT_OK)
        return s_db_fail(ctx, st);
    Atrium__Auth__DashboardReply *rep = at_msg_new(ctx, &atrium__auth__dashboard_reply__descriptor);
    if (ms > 0) {
        char when[40];
        at_time_format_ms(ms, when, sizeof when);
        rep->last_login_at = at_str(ctx, when);
    }
    *out = &rep->base;
    return AT_OK;
}

/* -- personal API tokens ------------------------------------------------------- */

#define S_API_TOKEN_PREFIX "atr_"
#define S_API_TOKEN_CACHE_S 60 /* the gateway's cache of a token's owner */

/* POST /me/tokens {name}: a token with the caller's rights, shown once.
 * Only a session may make one: a token cannot mint tokens. */
static at_status_t s_token_create(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__TokenCreateRequest *req = (const void *) in;
    const Atrium__Principal *p = ctx->principal;
    if (!p->session_id)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "API tokens are made from a logged-in session");
    char *name = s_clean_text(ctx, req->name, S_NAME_MAX_CHARS);
    if (!name)
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "name must have 1 to %d characters",
                       S_NAME_MAX_CHARS);
    char *token =
        at_arena_printf(ctx->arena, S_API_TOKEN_PREFIX "%s", auth_random_token(ctx->arena));
    char hash[65];
    auth_session_token_hash(token, hash);
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    Atrium__Auth__ApiToken *t = NULL;
    st = auth_store_token_create(ctx->db, ctx->arena, p->firm_id, p->user_id, name, hash, &t);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, NULL, "a user has at most %d API tokens", AUTH_TOKENS_MAX);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:s, s:s}", "token_id", t->id, "name", t->name);
    st = at_audit(ctx, &(at_audit_event_t){.action = "auth.token_created",
                                           .resource_type = "user",
                                           .resource_id = p->user_id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    t->token = token;
    *out = &t->base;
    return AT_CREATED;
}

static at_status_t s_tokens_list(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    const Atrium__Principal *p = ctx->principal;
    Atrium__Auth__TokensListReply *rep =
        at_msg_new(ctx, &atrium__auth__tokens_list_reply__descriptor);
    at_status_t st = auth_store_tokens_list(ctx->db, ctx->arena, p->firm_id, p->user_id,
                                            &rep->items, &rep->n_items);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    *out = &rep->base;
    return AT_OK;
}

static at_status_t s_token_delete(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) out;
    const Atrium__Auth__TokenDeleteRequest *req = (const void *) in;
    const Atrium__Principal *p = ctx->principal;
    if (!s_uuid_ok(req->id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "API token does not exist");
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    char *hash = NULL;
    st = auth_store_token_delete(ctx->db, ctx->arena, p->firm_id, p->user_id, req->id, &hash);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "API token does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    json_t *details = json_pack("{s:s}", "token_id", req->id);
    st = at_audit(ctx, &(at_audit_event_t){.action = "auth.token_revoked",
                                           .resource_type = "user",
                                           .resource_id = p->user_id,
                                           .details = details});
    json_decref(details);
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    /* out of Redis before the commit: should that fail, nothing changes */
    if (auth_api_token_uncache(ctx->cache, ctx->arena, hash) != AT_OK)
        return s_redis_fail(ctx);
    if ((st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

/* internal: who a bearer token is (the gateway asks on a cache miss); the
 * answer is cached in Redis for a minute. */
static at_status_t s_token_auth(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__TokenAuthRequest *req = (const void *) in;
    if (!s_hex64(req->token_hash))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "API token does not exist");
    Atrium__Auth__TokenAuthReply *who = NULL;
    at_status_t st = auth_store_token_auth(ctx->db, ctx->arena, req->token_hash, &who);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "API token does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    auth_api_token_cache(ctx->cache, ctx->arena, req->token_hash, who, S_API_TOKEN_CACHE_S);
    *out = &who->base;
    return AT_OK;
}

/* auth.mail_user (internal: no HTTP route serves it; system callers only,
 * i.e. another service acting for its firm): queues one plain-text mail to
 * a user of the caller's firm in the mail outbox, which the background
 * thread sends like every other mail. The document service sends signature
 * reminders this way, so it never learns an email address. */
static at_status_t s_mail_user(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Auth__MailUserRequest *req = (const void *) in;
    const Atrium__Principal *p = ctx->principal;
    if (!p->kind || strcmp(p->kind, "system") != 0)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only services may queue mail");
    if (!s_uuid_ok(req->user_id))
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user does not exist");
    if (!req->subject || !*req->subject || strlen(req->subject) > 200 ||
        strpbrk(req->subject, "\r\n"))
        return at_fail(ctx, AT_VALIDATION_FAILED, "subject",
                       "subject must be one line of 1-200 bytes");
    if (!req->body || strlen(req->body) > 20000)
        return at_fail(ctx, AT_VALIDATION_FAILED, "body", "body must be at most 20000 bytes");
    Atrium__Auth__User *user = NULL;
    at_status_t st = auth_store_user_get(ctx->db, ctx->arena, p->firm_id, req->user_id, &user);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, "user_id", "user does not exist");
    if (st != AT_OK)
        return s_db_fail(ctx, st);
    if ((st = auth_store_mail_queue(ctx->db, user->email, user->name, req->subject, req->body)) !=
        AT_OK)
        return s_db_fail(ctx, st);
    *out = at_msg_new(ctx, &atrium__auth__empty__descriptor);
    return AT_OK;
}

/* -- the service ---------------------------------------------------------- */

static const at_method_t s_methods[] = {
    {"auth.signup", s_signup, &atrium__auth__signup_request__descriptor,
     &atrium__auth__signup_reply__descriptor, AT_METHOD_PUBLIC},
    {"auth.login", s_login, &atrium__auth__login_request__descriptor,
     &atrium__auth__login_reply__descriptor, AT_METHOD_PUBLIC},
    {"auth.mfa_login", s_mfa_login, &atrium__auth__mfa_login_request__descriptor,
     &atrium__auth__login_reply__descriptor, AT_METHOD_PUBLIC},
    {"auth.totp_begin", s_totp_begin, &atrium__auth__empty__descriptor,
     &atrium__auth__totp_begin_reply__descriptor, 0},
    {"auth.totp_confirm", s_totp_confirm, &atrium__auth__totp_confirm_request__descriptor,
     &atrium__auth__totp_confirm_reply__descriptor, 0},
    {"auth.totp_disable", s_totp_disable, &atrium__auth__totp_disable_request__descriptor, NULL, 0},
    {"auth.logout", s_logout, &atrium__auth__empty__descriptor, NULL, 0},
    {"auth.me", s_me, &atrium__auth__empty__descriptor, &atrium__auth__me_reply__descriptor, 0},
    {"auth.update_me", s_update_me, &atrium__auth__update_me_request__descriptor,
     &atrium__auth__user__descriptor, 0},
    /* internal: the gateway rebuilds a missing principal before it has one */
    {"auth.principal", s_principal, &atrium__auth__principal_request__descriptor,
     &atrium__principal__descriptor, AT_METHOD_PUBLIC},
    {"auth.clients_list", s_clients_list, &atrium__auth__clients_list_request__descriptor,
     &atrium__auth__clients_list_reply__descriptor, 0},
    {"auth.client_create", s_client_create, &atrium__auth__client_create_request__descriptor,
     &atrium__auth__client__descriptor, 0},
    {"auth.client_get", s_client_get, &atrium__auth__client_get_request__descriptor,
     &atrium__auth__client__descriptor, 0},
    {"auth.client_update", s_client_update, &atrium__auth__client_update_request__descriptor,
     &atrium__auth__client__descriptor, 0},
    {"auth.members_list", s_members_list, &atrium__auth__members_list_request__descriptor,
     &atrium__auth__members_list_reply__descriptor, 0},
    {"auth.member_set", s_member_set, &atrium__auth__member_set_request__descriptor,
     &atrium__auth__member__descriptor, 0},
    {"auth.member_delete", s_member_delete, &atrium__auth__member_delete_request__descriptor, NULL,
     0},
    {"auth.staff_list", s_staff_list, &atrium__auth__staff_list_request__descriptor,
     &atrium__auth__staff_list_reply__descriptor, 0},
    {"auth.invitation_create", s_invitation_create,
     &atrium__auth__invitation_create_request__descriptor, &atrium__auth__invitation__descriptor,
     0},
    {"auth.invitation_get", s_invitation_get, &atrium__auth__invitation_get_request__descriptor,
     &atrium__auth__invitation_info__descriptor, AT_METHOD_PUBLIC},
    {"auth.invitation_accept", s_invitation_accept,
     &atrium__auth__invitation_accept_request__descriptor,
     &atrium__auth__invitation_accept_reply__descriptor, AT_METHOD_PUBLIC},
    {"auth.sessions_list", s_sessions_list, &atrium__auth__sessions_list_request__descriptor,
     &atrium__auth__sessions_list_reply__descriptor, 0},
    {"auth.session_delete", s_session_delete, &atrium__auth__session_delete_request__descriptor,
     NULL, 0},
    {"auth.password_change", s_password_change, &atrium__auth__password_change_request__descriptor,
     NULL, 0},
    {"auth.branding_get", s_branding_get, &atrium__auth__branding_get_request__descriptor,
     &atrium__auth__branding__descriptor, AT_METHOD_PUBLIC},
    {"auth.branding_set", s_branding_set, &atrium__auth__branding__descriptor,
     &atrium__auth__branding__descriptor, 0},
    {"auth.dashboard", s_dashboard, &atrium__auth__empty__descriptor,
     &atrium__auth__dashboard_reply__descriptor, 0},
    {"auth.security_get", s_security_get, &atrium__auth__empty__descriptor,
     &atrium__auth__security_settings__descriptor, 0},
    {"auth.security_set", s_security_set, &atrium__auth__security_settings__descriptor,
     &atrium__auth__security_settings__descriptor, 0},
    {"auth.password_reset", s_password_reset, &atrium__auth__password_reset_request__descriptor,
     &atrium__auth__empty__descriptor, AT_METHOD_PUBLIC},
    {"auth.password_reset_confirm", s_password_reset_confirm,
     &atrium__auth__password_reset_confirm_request__descriptor, NULL, AT_METHOD_PUBLIC},
    {"auth.token_create", s_token_create, &atrium__auth__token_create_request__descriptor,
     &atrium__auth__api_token__descriptor, 0},
    {"auth.tokens_list", s_tokens_list, &atrium__auth__tokens_list_request__descriptor,
     &atrium__auth__tokens_list_reply__descriptor, 0},
    {"auth.token_delete", s_token_delete, &atrium__auth__token_delete_request__descriptor, NULL, 0},
    /* internal: the gateway resolves a bearer token it has not cached */
    {"auth.token_auth", s_token_auth, &atrium__auth__token_auth_request__descriptor,
     &atrium__auth__token_auth_reply__descriptor, AT_METHOD_PUBLIC},
    /* internal: services mail a user of their firm (signature reminders) */
    {"auth.mail_user", s_mail_user, &atrium__auth__mail_user_request__descriptor,
     &atrium__auth__empty__descriptor, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static int s_init(const at_config_t *config, at_db_t *db, void **state)
{
    (void) db;
    const char *signup = at_config_get(config, "ATRIUM_SIGNUP");
    if (strcmp(signup, "open") != 0 && strcmp(signup, "closed") != 0) {
        at_error("ATRIUM_SIGNUP must be open or closed, not \"%s\"", signup);
        return -1;
    }
    s_state_t *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    size_t ulen = strlen(at_config_get(config, "ATRIUM_PUBLIC_URL"));
    while (ulen && at_config_get(config, "ATRIUM_PUBLIC_URL")[ulen - 1] == '/')
        ulen--;
    s->public_url_len = ulen;
    s->signup_open = strcmp(signup, "open") == 0;
    s->idle_s = (int) at_config_int(config, "ATRIUM_SESSION_IDLE_MINUTES") * 60;
    s->max_s = at_config_int(config, "ATRIUM_SESSION_MAX_HOURS") * 3600;
    s->public_url = at_config_get(config, "ATRIUM_PUBLIC_URL");
    s->smtp_url = at_config_get(config, "ATRIUM_SMTP_URL");
    s->mail_from = at_config_get(config, "ATRIUM_MAIL_FROM");
    s->mail_from_name = at_config_get(config, "ATRIUM_MAIL_FROM_NAME");
    s->default_firm_id = at_config_get(config, "ATRIUM_DEFAULT_FIRM_ID");
    if (*s->default_firm_id && !at_text_uuid(s->default_firm_id)) {
        at_error("ATRIUM_DEFAULT_FIRM_ID is not a firm id: \"%s\"", s->default_firm_id);
        free(s);
        return -1;
    }
    if (!auth_mail_addr_ok(s->mail_from)) {
        at_error("ATRIUM_MAIL_FROM is not an email address: \"%s\"", s->mail_from);
        free(s);
        return -1;
    }
    if (asprintf(&s->mail_dir, "%s/mail", at_config_get(config, "ATRIUM_DATA_DIR")) < 0)
        abort();
    s->throttle.per_account = (int) at_config_int(config, "ATRIUM_LOGIN_FAILURES_PER_ACCOUNT");
    s->throttle.per_ip = (int) at_config_int(config, "ATRIUM_LOGIN_FAILURES_PER_IP");
    s->throttle.window_s = (int) at_config_int(config, "ATRIUM_LOGIN_THROTTLE_MINUTES") * 60;
    s->password = auth_password_new(0, AUTH_PASSWORD_OPSLIMIT, AUTH_PASSWORD_MEMLIMIT);
    if (!s->password) {
        at_error("libsodium does not start");
        free(s->mail_dir);
        free(s);
        return -1;
    }
    char *err = NULL;
    if (at_keyfile_load(at_config_get(config, "ATRIUM_AUTH_SECRET_KEY_FILE"), s->secret_key,
                        sizeof s->secret_key, &err) != 0) {
        at_error("auth: secret key: %s", err ? err : "?");
        free(err);
        auth_password_destroy(&s->password);
        free(s->mail_dir);
        free(s);
        return -1;
    }
    for (const at_embedded_t *e = auth_data; e->name; e++)
        if (strcmp(e->name, "common-passwords.txt") == 0)
            at_debug("%zu common passwords refused",
                     auth_password_set_common(s->password, (const char *) e->data, e->len));
    *state = s;
    return 0;
}

static void s_fini(void *state)
{
    s_state_t *s = state;
    if (!s)
        return;
    auth_password_destroy(&s->password);
    sodium_memzero(s->secret_key, sizeof s->secret_key);
    free(s->mail_dir);
    free(s);
}

const at_service_def_t auth_service = {
    .name = "auth",
    .schema = "auth",
    .methods = s_methods,
    .migrations = auth_migrations,
    .config = s_config,
    .init = s_init,
    .fini = s_fini,
    .background = s_background,
};
