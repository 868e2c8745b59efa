/* gw_reply: every response the gateway writes goes out here, as one write
 * of headers and body (no Nagle stalls), with the request id and the
 * security headers. It never builds JSON by hand: bodies are jansson. */
#include "gw.h"
#include <stdio.h>
#include <string.h>

const char *gw_security_headers(const gw_t *gw)
{
    if (gw->behind_tls)
        return "X-Content-Type-Options: nosniff\r\n"
               "Referrer-Policy: no-referrer\r\n"
               "X-Frame-Options: DENY\r\n"
               "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
               "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n";
    return "X-Content-Type-Options: nosniff\r\n"
           "Referrer-Policy: no-referrer\r\n"
           "X-Frame-Options: DENY\r\n"
           "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n";
}

static const char *s_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

void gw_send_json(gw_req_t *r, int status, json_t *body, const char *extra_headers)
{
    char *text = body && status != 204 && status != 304 ? json_dumps(body, JSON_COMPACT) : NULL;
    size_t blen = text ? strlen(text) : 0;
    char head[2048];
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 %d %s\r\n"
                        "X-Request-Id: %s\r\n"
                        "Cache-Control: no-store\r\n"
                        "%s"
                        "%s%s"
                        "Content-Length: %zu\r\n"
                        "\r\n",
                        status, s_reason(status), r->request_id, gw_security_headers(r->gw),
                        text ? "Content-Type: application/json; charset=utf-8\r\n" : "",
                        extra_headers ? extra_headers : "", blen);
    if (hlen < 0 || (size_t) hlen >= sizeof head) {
        free(text);
        mg_printf(r->conn, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
        r->status = 500;
        return;
    }
    if (text) {
        char *all = at_arena_alloc(r->arena, (size_t) hlen + blen);
        memcpy(all, head, (size_t) hlen);
        memcpy(all + hlen, text, blen);
        mg_write(r->conn, all, (size_t) hlen + blen);
    } else {
        mg_write(r->conn, head, (size_t) hlen);
    }
    free(text);
    r->status = status;
}

void gw_send_error(gw_req_t *r, int status, const char *code, const char *message,
                   const char *field, int retry_after)
{
    char extra[64] = "";
    if (retry_after > 0)
        snprintf(extra, sizeof extra, "Retry-After: %d\r\n", retry_after);
    gw_send_error_headers(r, status, code, message, field, retry_after > 0 ? extra : NULL);
}

void gw_send_error_headers(gw_req_t *r, int status, const char *code, const char *message,
                           const char *field, const char *extra_headers)
{
    json_t *err = json_object();
    json_object_set_new(err, "code", json_string(code));
    json_t *m = json_string(message ? message : code);
    json_object_set_new(err, "message", m ? m : json_string(code));
    if (field && *field)
        json_object_set_new(err, "field", json_string(field));
    json_object_set_new(err, "request_id", json_string(r->request_id));
    json_t *body = json_object();
    json_object_set_new(body, "error", err);
    gw_send_json(r, status, body, extra_headers);
    json_decref(body);
}

void gw_send_status(gw_req_t *r, at_status_t st, const char *message, const char *field,
                    int retry_after)
{
    if ((st == AT_UNAVAILABLE || st == AT_RATE_LIMITED) && retry_after <= 0)
        retry_after = 1;
    gw_send_error(r, at_status_http(st), at_status_code(st), message, field, retry_after);
}
