/* gw_stream: the streaming endpoints. Uploads (raw body or a multipart
 * `file` part) go to the document service in chunks of at most 1 MiB as
 * they arrive; downloads come back the same way. The gateway never holds
 * more than one chunk of a file, whatever its size, and hashes nothing
 * itself: the document service hashes while it stores.
 *
 * Resumable uploads (tus 1.0.0) reuse the same document.upload_* calls, at
 * the end of this file.
 */
#include "gw.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_pbjson.h"
#include "at_time.h"
#include "document.pb-c.h"
#include <inttypes.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    gw_req_t *r;
    const char *client_id;
    const char *document_id;
    const char *name; /* from ?name= or the part's filename */
    const char *folder_id;
    const char *request_id;
    const char *content_type;
    int64_t declared;
    char *upload_id; /* arena */
    uint8_t *buf;    /* one chunk */
    size_t used;
    int64_t offset;
    at_status_t failed; /* AT_OK while all is well */
    const char *fail_message;
    const char *fail_field;
    bool file_seen;
    bool in_file; /* the part being delivered is the file */
} s_upload_t;

static void s_fail(s_upload_t *u, at_status_t st, Atrium__Reply *rep, const char *fallback)
{
    if (u->failed != AT_OK)
        return;
    u->failed = st;
    u->fail_message = rep && rep->message ? rep->message : fallback;
    u->fail_field = rep ? rep->field : NULL;
}

static int s_begin(s_upload_t *u)
{
    gw_req_t *r = u->r;
    Atrium__Document__UploadBeginRequest req = ATRIUM__DOCUMENT__UPLOAD_BEGIN_REQUEST__INIT;
    req.client_id = (char *) u->client_id;
    req.document_id = (char *) u->document_id;
    req.folder_id = (char *) u->folder_id;
    req.name = (char *) u->name;
    req.content_type = (char *) u->content_type;
    req.request_id = (char *) u->request_id;
    if (u->declared >= 0) {
        req.has_declared_size = 1;
        req.declared_size = u->declared;
    }
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *out = NULL;
    at_status_t st = gw_call_msg(r, "document.upload_begin", false, &req.base,
                                 &atrium__document__upload_begin_reply__descriptor, &out, &rep);
    if (!at_status_is_success(st) || !((Atrium__Document__UploadBeginReply *) out)->upload_id) {
        s_fail(u, at_status_is_success(st) ? AT_INTERNAL : st, rep, "the upload could not start");
        return -1;
    }
    u->upload_id =
        at_arena_strdup(r->arena, ((Atrium__Document__UploadBeginReply *) out)->upload_id);
    return 0;
}

static int s_flush(s_upload_t *u)
{
    if (u->failed != AT_OK)
        return -1;
    if (!u->used)
        return 0;
    gw_req_t *r = u->r;
    Atrium__Document__UploadChunkRequest req = ATRIUM__DOCUMENT__UPLOAD_CHUNK_REQUEST__INIT;
    req.upload_id = u->upload_id;
    req.has_offset = 1;
    req.offset = u->offset;
    req.has_data = 1;
    req.data.data = u->buf;
    req.data.len = u->used;
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
    Atrium__Reply *rep = NULL;
    at_status_t st = gw_call(r, "document.upload_chunk", false, &req.base, &rep);
    if (!at_status_is_success(st)) {
        s_fail(u, st, rep, "the upload could not be stored");
        return -1;
    }
    u->offset += (int64_t) u->used;
    u->used = 0;
    return 0;
}

static int s_append(s_upload_t *u, const char *data, size_t len)
{
    while (len) {
        size_t room = AT_BUS_CHUNK - u->used;
        size_t n = len < room ? len : room;
        memcpy(u->buf + u->used, data, n);
        u->used += n;
        data += n;
        len -= n;
        if (u->used == AT_BUS_CHUNK && s_flush(u) != 0)
            return -1;
    }
    return 0;
}

static void s_abort(s_upload_t *u)
{
    if (!u->upload_id)
        return;
    gw_req_t *r = u->r;
    Atrium__Document__UploadAbortRequest req = ATRIUM__DOCUMENT__UPLOAD_ABORT_REQUEST__INIT;
    req.upload_id = u->upload_id;
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
    Atrium__Reply *rep = NULL;
    gw_call(r, "document.upload_abort", true, &req.base, &rep);
}

/* multipart callbacks (civetweb mg_handle_form_request) */
static int s_field_found(const char *key, const char *filename, char *path, size_t pathlen,
                         void *user)
{
    (void) path;
    (void) pathlen;
    s_upload_t *u = user;
    u->in_file = false;
    if (strcmp(key, "file") != 0 || u->file_seen)
        return MG_FORM_FIELD_STORAGE_SKIP;
    u->file_seen = true;
    u->in_file = true;
    if (!u->name && filename && *filename)
        u->name = at_arena_strdup(u->r->arena, filename);
    if (s_begin(u) != 0)
        return MG_FORM_FIELD_STORAGE_ABORT;
    return MG_FORM_FIELD_STORAGE_GET;
}

static int s_field_get(const char *key, const char *value, size_t len, void *user)
{
    /* civetweb names the part only with its first block; later blocks of the
     * same part come with an empty key, so the open part is tracked here. */
    (void) key;
    s_upload_t *u = user;
    if (!u->in_file)
        return MG_FORM_FIELD_HANDLE_NEXT;
    if (s_append(u, value, len) != 0)
        return MG_FORM_FIELD_HANDLE_ABORT;
    return MG_FORM_FIELD_HANDLE_GET;
}

static int s_field_store(const char *path, long long size, void *user)
{
    (void) path;
    (void) size;
    (void) user;
    return MG_FORM_FIELD_HANDLE_NEXT;
}

void gw_upload(gw_req_t *r, const char *client_id, const char *document_id)
{
    s_upload_t u = {
        .r = r,
        .client_id = client_id,
        .document_id = document_id,
        .name = gw_query(r, "name"),
        .folder_id = gw_query(r, "folder_id"),
        .request_id = gw_query(r, "request_id"),
        .declared = r->info->content_length,
        .failed = AT_OK,
    };
    const char *ct = mg_get_header(r->conn, "Content-Type");
    bool multipart = ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
    u.content_type = multipart ? NULL : ct;
    u.buf = malloc(AT_BUS_CHUNK);
    if (!u.buf)
        abort();
    bool read_error = false;
    if (multipart) {
        u.declared = -1; /* the part is smaller than the body; the service checks as bytes come */
        struct mg_form_data_handler fdh = {s_field_found, s_field_get, s_field_store, &u};
        int fields = mg_handle_form_request(r->conn, &fdh);
        if (fields < 0 && u.failed == AT_OK)
            read_error = true;
        if (!u.file_seen && u.failed == AT_OK) {
            free(u.buf);
            return gw_send_error(r, 400, "validation_failed", "the form has no file part", "file",
                                 0);
        }
    } else {
        if (!u.document_id && (!u.name || !*u.name)) {
            free(u.buf);
            return gw_send_error(r, 400, "validation_failed",
                                 "the name query parameter is required", "name", 0);
        }
        if (s_begin(&u) == 0) {
            while (u.failed == AT_OK) {
                int n = mg_read(r->conn, u.buf + u.used, AT_BUS_CHUNK - u.used);
                if (n < 0) {
                    read_error = true;
                    break;
                }
                if (n == 0)
                    break;
                u.used += (size_t) n;
                if (u.used == AT_BUS_CHUNK)
                    s_flush(&u);
            }
            if (u.declared >= 0 && !read_error && u.failed == AT_OK &&
                u.offset + (int64_t) u.used != u.declared)
                read_error = true; /* the client went away before sending it all */
        }
    }
    if (read_error && u.failed == AT_OK)
        s_fail(&u, AT_BAD_REQUEST, NULL, "the upload was interrupted");
    if (u.failed == AT_OK)
        s_flush(&u);
    free(u.buf);
    if (u.failed != AT_OK) {
        s_abort(&u);
        return gw_send_status(r, u.failed, u.fail_message, u.fail_field, 0);
    }
    Atrium__Document__UploadFinishRequest fin = ATRIUM__DOCUMENT__UPLOAD_FINISH_REQUEST__INIT;
    fin.upload_id = u.upload_id;
    /* Finishing fsyncs the whole file: give it a longer deadline. */
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms * 6;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *doc = NULL;
    at_status_t st = gw_call_msg(r, "document.upload_finish", false, &fin.base,
                                 &atrium__document__document__descriptor, &doc, &rep);
    if (!at_status_is_success(st)) {
        if (st == AT_UNAVAILABLE || st == AT_TIMEOUT)
            s_abort(&u);
        return gw_send_status(r, st, rep ? rep->message : NULL, rep ? rep->field : NULL,
                              rep && rep->has_retry_after ? rep->retry_after : 0);
    }
    static const char *const nulls[] = {"folder_id", NULL}; /* as GET /documents/{id} */
    json_t *j = at_pbjson_encode(doc, nulls);
    gw_send_json(r, 201, j, NULL);
    json_decref(j);
}

/* RFC 7233 single byte range. Returns 1 with [*from, *to] for a satisfiable
 * range, 0 when there is no usable Range header (serve it all), -1 when
 * unsatisfiable (416). */
static int s_range(const char *h, int64_t size, int64_t *from, int64_t *to)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (end == p + 1 || *end || n < 0)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    long long a = strtoll(p, &end, 10);
    if (end == p || *end != '-' || a < 0)
        return 0;
    const char *q = end + 1;
    long long b = size - 1;
    if (*q) {
        b = strtoll(q, &end, 10);
        if (end == q || *end || b < a)
            return 0;
    }
    if (a >= size)
        return -1;
    *from = a;
    *to = b >= size ? size - 1 : b;
    return 1;
}

/* RFC 6266 / RFC 8187: an ASCII fallback and the exact UTF-8 name. */
static const char *s_disposition(gw_req_t *r, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name);
    char *ascii = at_arena_alloc(r->arena, n + 1);
    char *pct = at_arena_alloc(r->arena, n * 3 + 1);
    size_t a = 0, p = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) name[i];
        bool attr = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("!#$&+-.^_`|~", c);
        ascii[a++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%') ? (char) c : '_';
        if (attr && c) {
            pct[p++] = (char) c;
        } else {
            pct[p++] = '%';
            pct[p++] = hex[c >> 4];
            pct[p++] = hex[c & 15];
        }
    }
    ascii[a] = pct[p] = 0;
    return at_arena_printf(r->arena, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii,
                           pct);
}

/* ?version=N of a content or preview request: 1 when given (in *version),
 * 0 when absent, -1 when malformed (then it is answered). */
static int s_version_param(gw_req_t *r, int32_t *version)
{
    const char *v = gw_query(r, "version");
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > 1000000) {
        gw_send_error(r, 400, "validation_failed", "version must be a positive number", "version",
                      0);
        return -1;
    }
    *version = (int32_t) n;
    return 1;
}

void gw_download(gw_req_t *r, const char *document_id)
{
    Atrium__Document__ContentInfoRequest req = ATRIUM__DOCUMENT__CONTENT_INFO_REQUEST__INIT;
    req.document_id = (char *) document_id;
    int vr = s_version_param(r, &req.version);
    if (vr < 0)
        return;
    req.has_version = vr > 0;
    const char *range_h = mg_get_header(r->conn, "Range");
    /* Ask without recording: a revalidation (304) or a bad range (416) is
     * not a download. The download is recorded once its status is known. */
    req.has_record = 1;
    req.record = false;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *out = NULL;
    at_status_t st = gw_call_msg(r, "document.content_info", false, &req.base,
                                 &atrium__document__content_info__descriptor, &out, &rep);
    if (!at_status_is_success(st))
        return gw_send_status(r, st, rep ? rep->message : NULL, rep ? rep->field : NULL,
                              rep && rep->has_retry_after ? rep->retry_after : 0);
    Atrium__Document__ContentInfo *info = (Atrium__Document__ContentInfo *) out;
    if (!info->sha256 || !info->name)
        return gw_send_error(r, 500, "internal", "incomplete content information", NULL, 0);
    const char *etag = at_arena_printf(r->arena, "\"%s\"", info->sha256);
    const char *inm = mg_get_header(r->conn, "If-None-Match");
    if (inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
        gw_send_json(r, 304, NULL, at_arena_printf(r->arena, "ETag: %s\r\n", etag));
        return;
    }
    int64_t size = info->size, from = 0, to = size - 1;
    int rr = s_range(range_h, size, &from, &to);
    if (rr < 0)
        return gw_send_json(
            r, 416, NULL,
            at_arena_printf(r->arena, "Content-Range: bytes */%" PRId64 "\r\n", size));
    int status = rr > 0 ? 206 : 200;
    req.record = true;
    req.has_version = 1;
    req.version = info->version;
    st = gw_call_msg(r, "document.content_info", false, &req.base,
                     &atrium__document__content_info__descriptor, &out, &rep);
    if (!at_status_is_success(st))
        return gw_send_status(r, st, rep ? rep->message : NULL, rep ? rep->field : NULL,
                              rep && rep->has_retry_after ? rep->retry_after : 0);
    int64_t length = size == 0 ? 0 : to - from + 1;
    char head[4096];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\n"
                      "X-Request-Id: %s\r\n"
                      "Content-Type: %s\r\n"
                      "Content-Length: %" PRId64 "\r\n"
                      "%s"
                      "ETag: %s\r\n"
                      "Accept-Ranges: bytes\r\n"
                      "Cache-Control: private, no-cache\r\n"
                      "Content-Disposition: %s\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "Referrer-Policy: no-referrer\r\n"
                      "Content-Security-Policy: default-src 'none'; sandbox\r\n"
                      "\r\n",
                      status, status == 206 ? "Partial Content" : "OK", r->request_id,
                      info->content_type ? info->content_type : "application/octet-stream", length,
                      status == 206 ? at_arena_printf(r->arena,
                                                      "Content-Range: bytes %" PRId64 "-%" PRId64
                                                      "/%" PRId64 "\r\n",
                                                      from, to, size)
                                    : "",
                      etag, s_disposition(r, info->name));
    if (hl < 0 || (size_t) hl >= sizeof head)
        return gw_send_error(r, 500, "internal", "response headers too long", NULL, 0);
    mg_write(r->conn, head, (size_t) hl);
    r->status = status;
    /* The loop reuses nothing from the arena: each chunk's reply is freed
     * as soon as it is written, so memory stays at one chunk. */
    int32_t version = info->version;
    int64_t pos = from, left = length;
    while (left > 0) {
        Atrium__Document__ReadRequest rd = ATRIUM__DOCUMENT__READ_REQUEST__INIT;
        rd.document_id = (char *) document_id;
        rd.has_version = 1;
        rd.version = version;
        rd.has_offset = 1;
        rd.offset = pos;
        rd.has_length = 1;
        rd.length = (int32_t) (left < AT_BUS_CHUNK ? left : AT_BUS_CHUNK);
        r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
        zframe_t *frame = NULL;
        st = gw_call_frame(r, "document.read", true, &rd.base, &frame);
        Atrium__Reply *env =
            st == AT_OK ? atrium__reply__unpack(NULL, zframe_size(frame), zframe_data(frame))
                        : NULL;
        zframe_destroy(&frame);
        Atrium__Document__ReadReply *data =
            env && env->status == AT_OK && env->has_body
                ? atrium__document__read_reply__unpack(NULL, env->body.len, env->body.data)
                : NULL;
        atrium__reply__free_unpacked(env, NULL);
        if (!data || !data->has_data || data->data.len == 0 || (int64_t) data->data.len > left) {
            at_warn("download of %s stopped at %" PRId64, document_id, pos);
            atrium__document__read_reply__free_unpacked(data, NULL);
            r->status = 500; /* headers are gone: the short body tells the client */
            break;
        }
        int w = mg_write(r->conn, data->data.data, data->data.len);
        pos += (int64_t) data->data.len;
        left -= (int64_t) data->data.len;
        atrium__document__read_reply__free_unpacked(data, NULL);
        if (w <= 0)
            break; /* the client went away */
    }
}

/* The thumbnail is one message (at most AT_BUS_CHUNK bytes, the renderer
 * refuses more). Cache-Control adds no-cache to private: every display
 * revalidates, so it is answered by a 304 and still checked against the
 * caller's access (a member removed from the client stops seeing it). */
void gw_preview(gw_req_t *r, const char *document_id)
{
    Atrium__Document__PreviewRequest req = ATRIUM__DOCUMENT__PREVIEW_REQUEST__INIT;
    req.document_id = (char *) document_id;
    int vr = s_version_param(r, &req.version);
    if (vr < 0)
        return;
    req.has_version = vr > 0;
    req.if_none_match = (char *) mg_get_header(r->conn, "If-None-Match");
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *out = NULL;
    at_status_t st = gw_call_msg(r, "document.preview", false, &req.base,
                                 &atrium__document__preview__descriptor, &out, &rep);
    if (!at_status_is_success(st))
        return gw_send_status(r, st, rep ? rep->message : NULL, rep ? rep->field : NULL,
                              rep && rep->has_retry_after ? rep->retry_after : 0);
    Atrium__Document__Preview *p = (Atrium__Document__Preview *) out;
    if (!p->etag || (!p->not_modified && (!p->has_data || p->data.len == 0)))
        return gw_send_error(r, 500, "internal", "incomplete preview", NULL, 0);
    bool nm = p->has_not_modified && p->not_modified;
    int status = nm ? 304 : 200;
    size_t len = nm ? 0 : p->data.len;
    char head[2048];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\n"
                      "X-Request-Id: %s\r\n"
                      "%s"
                      "Content-Length: %zu\r\n"
                      "ETag: \"%s\"\r\n"
                      "Cache-Control: private, no-cache\r\n"
                      "Content-Disposition: inline; filename=\"preview.png\"\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "Referrer-Policy: no-referrer\r\n"
                      "Cross-Origin-Resource-Policy: same-origin\r\n"
                      "Content-Security-Policy: default-src 'none'; sandbox\r\n"
                      "\r\n",
                      status, nm ? "Not Modified" : "OK", r->request_id,
                      nm ? "" : "Content-Type: image/png\r\n", len, p->etag);
    if (hl < 0 || (size_t) hl >= sizeof head)
        return gw_send_error(r, 500, "internal", "response headers too long", NULL, 0);
    mg_write(r->conn, head, (size_t) hl);
    if (len)
        mg_write(r->conn, p->data.data, len);
    r->status = status;
}

/* -- tus 1.0.0 resumable uploads (core, creation, termination, expiration) --
 * An upload is the same document.upload_* state as above, so a client may
 * resume it on any gateway and any document instance. */

#define S_TUS "Tus-Resumable: 1.0.0\r\n"

static void s_tus_error(gw_req_t *r, int status, const char *code, const char *message,
                        const char *field)
{
    gw_send_error_headers(r, status, code, message, field, S_TUS);
}

static void s_tus_status(gw_req_t *r, at_status_t st, Atrium__Reply *rep)
{
    gw_send_error_headers(r, at_status_http(st), at_status_code(st), rep ? rep->message : NULL,
                          rep ? rep->field : NULL,
                          st == AT_UNAVAILABLE ? S_TUS "Retry-After: 1\r\n" : S_TUS);
}

/* tus requires the client to say which protocol version it speaks. */
static bool s_tus_version_ok(gw_req_t *r)
{
    const char *v = mg_get_header(r->conn, "Tus-Resumable");
    if (v && strcmp(v, "1.0.0") == 0)
        return true;
    gw_send_error_headers(r, 412, "bad_request", "Tus-Resumable: 1.0.0 is required", NULL,
                          "Tus-Version: 1.0.0\r\n");
    return false;
}

/* An RFC 9110 HTTP-date for epoch milliseconds (Upload-Expires). */
static const char *s_http_date(gw_req_t *r, int64_t ms)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return at_arena_strdup(r->arena, buf);
}

/* One value of Upload-Metadata ("key base64,key base64,key"), decoded with
 * OpenSSL's base64 into the arena; NULL when the key is absent. *bad is set
 * when the header or the value is malformed. */
static char *s_tus_meta(gw_req_t *r, const char *header, const char *key, bool *bad)
{
    if (!header)
        return NULL;
    size_t klen = strlen(key);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t) (end - p) : strlen(p);
        const char *sp = memchr(p, ' ', n);
        size_t kn = sp ? (size_t) (sp - p) : n;
        if (kn == klen && memcmp(p, key, klen) == 0) {
            if (!sp)
                return at_arena_strdup(r->arena, "");
            const char *b64 = sp + 1;
            size_t bn = n - kn - 1;
            if (bn % 4 != 0 || bn > 4096) {
                *bad = true;
                return NULL;
            }
            unsigned char *out = at_arena_alloc(r->arena, bn / 4 * 3 + 1);
            int len = EVP_DecodeBlock(out, (const unsigned char *) b64, (int) bn);
            if (len < 0) {
                *bad = true;
                return NULL;
            }
            for (size_t i = bn; i > 0 && b64[i - 1] == '='; i--)
                len--; /* EVP_DecodeBlock counts the padding as bytes */
            out[len] = 0;
            if (memchr(out, 0, (size_t) len)) {
                *bad = true;
                return NULL;
            }
            return (char *) out;
        }
        p += n;
    }
    return NULL;
}

void gw_tus_options(gw_req_t *r)
{
    gw_send_json(r, 204, NULL,
                 S_TUS "Tus-Version: 1.0.0\r\n"
                       "Tus-Extension: creation,termination,expiration\r\n");
}

void gw_tus_create(gw_req_t *r)
{
    if (!s_tus_version_ok(r))
        return;
    const char *len_h = mg_get_header(r->conn, "Upload-Length");
    char *end = NULL;
    long long length = len_h ? strtoll(len_h, &end, 10) : -1;
    if (!len_h || end == len_h || *end || length < 0)
        return s_tus_error(r, 400, "validation_failed",
                           "Upload-Length is required (Upload-Defer-Length is not supported)",
                           "Upload-Length");
    const char *meta = mg_get_header(r->conn, "Upload-Metadata");
    bool bad = false;
    s_upload_t u = {.r = r, .declared = length, .failed = AT_OK};
    u.name = s_tus_meta(r, meta, "filename", &bad);
    u.client_id = s_tus_meta(r, meta, "client_id", &bad);
    u.folder_id = s_tus_meta(r, meta, "folder_id", &bad);
    u.document_id = s_tus_meta(r, meta, "document_id", &bad);
    u.request_id = s_tus_meta(r, meta, "request_id", &bad);
    u.content_type = s_tus_meta(r, meta, "filetype", &bad);
    if (bad)
        return s_tus_error(r, 400, "bad_request", "Upload-Metadata is malformed",
                           "Upload-Metadata");
    if (!u.document_id && (!u.client_id || !u.name))
        return s_tus_error(r, 400, "validation_failed",
                           "Upload-Metadata must name the filename and the client_id",
                           "Upload-Metadata");
    if (s_begin(&u) != 0)
        return s_tus_status(r, u.failed, NULL);
    /* the expiry comes from the service, as HEAD reports it */
    Atrium__Document__UploadStatusRequest sq = ATRIUM__DOCUMENT__UPLOAD_STATUS_REQUEST__INIT;
    sq.upload_id = u.upload_id;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *out = NULL;
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
    at_status_t st = gw_call_msg(r, "document.upload_status", true, &sq.base,
                                 &atrium__document__upload_status__descriptor, &out, &rep);
    const char *expires = at_status_is_success(st)
                              ? s_http_date(r, ((Atrium__Document__UploadStatus *) out)->expires_ms)
                              : NULL;
    gw_send_json(r, 201, NULL,
                 at_arena_printf(r->arena, S_TUS "Location: /api/v1/uploads/%s\r\n%s%s%s",
                                 u.upload_id, expires ? "Upload-Expires: " : "",
                                 expires ? expires : "", expires ? "\r\n" : ""));
}

/* The upload's state, or an answer already sent (NULL). */
static Atrium__Document__UploadStatus *s_tus_state(gw_req_t *r, const char *upload_id)
{
    Atrium__Document__UploadStatusRequest sq = ATRIUM__DOCUMENT__UPLOAD_STATUS_REQUEST__INIT;
    sq.upload_id = (char *) upload_id;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *out = NULL;
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
    at_status_t st = gw_call_msg(r, "document.upload_status", true, &sq.base,
                                 &atrium__document__upload_status__descriptor, &out, &rep);
    if (!at_status_is_success(st)) {
        s_tus_status(r, st, rep);
        return NULL;
    }
    return (Atrium__Document__UploadStatus *) out;
}

void gw_tus_head(gw_req_t *r, const char *upload_id)
{
    if (!s_tus_version_ok(r))
        return;
    Atrium__Document__UploadStatus *s = s_tus_state(r, upload_id);
    if (!s)
        return;
    gw_send_json(
        r, 200, NULL,
        at_arena_printf(r->arena,
                        S_TUS "Upload-Offset: %" PRId64 "\r\n%s%s%s"
                              "Upload-Expires: %s\r\n",
                        s->offset, s->has_length ? "Upload-Length: " : "",
                        s->has_length ? at_arena_printf(r->arena, "%" PRId64, s->length) : "",
                        s->has_length ? "\r\n" : "", s_http_date(r, s->expires_ms)));
}

void gw_tus_patch(gw_req_t *r, const char *upload_id)
{
    if (!s_tus_version_ok(r))
        return;
    const char *ct = mg_get_header(r->conn, "Content-Type");
    if (!ct || strcasecmp(ct, "application/offset+octet-stream") != 0)
        return s_tus_error(r, 415, "unsupported_media_type",
                           "a PATCH carries application/offset+octet-stream", NULL);
    const char *off_h = mg_get_header(r->conn, "Upload-Offset");
    char *end = NULL;
    long long offset = off_h ? strtoll(off_h, &end, 10) : -1;
    if (!off_h || end == off_h || *end || offset < 0)
        return s_tus_error(r, 400, "validation_failed", "Upload-Offset is required",
                           "Upload-Offset");
    Atrium__Document__UploadStatus *s = s_tus_state(r, upload_id);
    if (!s)
        return;
    if (offset != s->offset)
        return s_tus_error(r, 409, "conflict",
                           at_arena_printf(r->arena, "the upload is at offset %" PRId64, s->offset),
                           "Upload-Offset");
    int64_t length = s->has_length ? s->length : -1;
    s_upload_t u = {.r = r, .offset = offset, .failed = AT_OK, .declared = length};
    u.upload_id = at_arena_strdup(r->arena, upload_id);
    u.buf = malloc(AT_BUS_CHUNK);
    if (!u.buf)
        abort();
    bool read_error = false;
    while (u.failed == AT_OK) {
        int n = mg_read(r->conn, u.buf + u.used, AT_BUS_CHUNK - u.used);
        if (n <= 0) {
            read_error = n < 0;
            break;
        }
        u.used += (size_t) n;
        if (u.used == AT_BUS_CHUNK)
            s_flush(&u);
    }
    /* what arrived is kept even if the client went away: it resumes from it */
    if (u.failed == AT_OK)
        s_flush(&u);
    free(u.buf);
    if (u.failed != AT_OK)
        return gw_send_error_headers(r, at_status_http(u.failed), at_status_code(u.failed),
                                     u.fail_message, u.fail_field, S_TUS);
    if (read_error)
        return s_tus_error(r, 400, "bad_request", "the request body was interrupted", NULL);
    const char *doc_header = "";
    if (length >= 0 && u.offset == length) {
        Atrium__Document__UploadFinishRequest fin = ATRIUM__DOCUMENT__UPLOAD_FINISH_REQUEST__INIT;
        fin.upload_id = u.upload_id;
        r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms * 6;
        Atrium__Reply *rep = NULL;
        ProtobufCMessage *doc = NULL;
        at_status_t st = gw_call_msg(r, "document.upload_finish", false, &fin.base,
                                     &atrium__document__document__descriptor, &doc, &rep);
        if (!at_status_is_success(st))
            return s_tus_status(r, st, rep);
        doc_header = at_arena_printf(r->arena, "Atrium-Document-Id: %s\r\n",
                                     ((Atrium__Document__Document *) doc)->id);
    }
    gw_send_json(
        r, 204, NULL,
        at_arena_printf(r->arena, S_TUS "Upload-Offset: %" PRId64 "\r\n%s", u.offset, doc_header));
}

void gw_tus_delete(gw_req_t *r, const char *upload_id)
{
    if (!s_tus_version_ok(r))
        return;
    Atrium__Document__UploadAbortRequest req = ATRIUM__DOCUMENT__UPLOAD_ABORT_REQUEST__INIT;
    req.upload_id = (char *) upload_id;
    Atrium__Reply *rep = NULL;
    at_status_t st = gw_call(r, "document.upload_abort", false, &req.base, &rep);
    if (!at_status_is_success(st))
        return s_tus_status(r, st, rep);
    gw_send_json(r, 204, NULL, S_TUS);
}
