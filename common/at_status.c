/* at_status: the status table (api.md "Errors"); nothing else maps codes. */
#include "at_status.h"
#include <string.h>

typedef struct {
    at_status_t status;
    int http;
    const char *code;
    const char *level;
} s_row_t;

static const s_row_t s_rows[] = {
    {AT_OK, 200, "ok", "info"},
    {AT_CREATED, 201, "ok", "info"},
    {AT_ACCEPTED, 202, "ok", "info"},
    {AT_NO_CONTENT, 204, "ok", "info"},
    {AT_BAD_REQUEST, 400, "bad_request", "info"},
    {AT_VALIDATION_FAILED, 400, "validation_failed", "info"},
    {AT_UNAUTHENTICATED, 401, "unauthenticated", "info"},
    {AT_INVALID_CREDENTIALS, 401, "invalid_credentials", "info"},
    {AT_MFA_REQUIRED, 401, "mfa_required", "info"},
    {AT_FORBIDDEN, 403, "forbidden", "info"},
    {AT_NOT_FOUND, 404, "not_found", "info"},
    {AT_CONFLICT, 409, "conflict", "info"},
    {AT_GONE, 410, "gone", "info"},
    {AT_PAYLOAD_TOO_LARGE, 413, "payload_too_large", "info"},
    {AT_UNSUPPORTED_MEDIA, 415, "unsupported_media_type", "info"},
    {AT_RANGE_NOT_SATISFIABLE, 416, "range_not_satisfiable", "info"},
    {AT_RATE_LIMITED, 429, "rate_limited", "warn"},
    {AT_INTERNAL, 500, "internal", "error"},
    {AT_UNAVAILABLE, 503, "service_unavailable", "warn"},
    {AT_TIMEOUT, 504, "timeout", "warn"},
};
#define S_NROWS (sizeof s_rows / sizeof s_rows[0])

static const s_row_t *s_find(at_status_t s)
{
    for (size_t i = 0; i < S_NROWS; i++)
        if (s_rows[i].status == s)
            return &s_rows[i];
    return NULL;
}

int at_status_http(at_status_t s)
{
    const s_row_t *r = s_find(s);
    return r ? r->http : 500;
}

const char *at_status_code(at_status_t s)
{
    const s_row_t *r = s_find(s);
    return r ? r->code : "internal";
}

bool at_status_is_success(at_status_t s)
{
    return s == AT_OK || s == AT_CREATED || s == AT_NO_CONTENT || s == AT_ACCEPTED;
}

const char *at_status_log_level(at_status_t s)
{
    const s_row_t *r = s_find(s);
    return r ? r->level : "error";
}

int at_status_from_code(const char *code)
{
    if (!code)
        return -1;
    for (size_t i = 0; i < S_NROWS; i++)
        if (!at_status_is_success(s_rows[i].status) && strcmp(s_rows[i].code, code) == 0)
            return (int) s_rows[i].status;
    return -1;
}
