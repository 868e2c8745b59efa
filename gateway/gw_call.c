/* gw_call: one bus call on behalf of an HTTP request: the envelope carries
 * the request id, the principal, the deadline, the caller's IP and agent. */
#include "gw.h"
#include "at_log.h"
#include "at_mdp.h"
#include <string.h>

/* True when ip is one of the comma-separated list (blanks ignored). */
static bool s_listed(const char *list, const char *ip)
{
    size_t n = strlen(ip);
    for (const char *p = list; p && *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t len = strcspn(p, ", ");
        if (len && len == n && memcmp(p, ip, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* The client's IP: the socket's peer, or, when that peer is a trusted
 * proxy, the last X-Forwarded-For entry not itself a trusted proxy (the
 * entries before it are the client's to write and are never believed). */
static const char *s_client_ip(gw_req_t *r)
{
    const char *peer = r->info->remote_addr;
    const char *xff = mg_get_header(r->conn, "X-Forwarded-For");
    const char *list = r->gw->trusted_proxies;
    if (!xff || !list || !*list || !s_listed(list, peer))
        return peer;
    char *copy = at_arena_strdup(r->arena, xff);
    const char *ip = peer;
    for (char *end = copy + strlen(copy); end > copy;) {
        char *comma = end - 1;
        while (comma > copy && *comma != ',')
            comma--;
        char *start = *comma == ',' ? comma + 1 : comma;
        *end = 0;
        while (*start == ' ')
            start++;
        size_t len = strcspn(start, " ");
        start[len] = 0;
        if (!*start || len > 45 || strspn(start, "0123456789abcdefABCDEF.:") != len)
            break; /* malformed: keep the last good one */
        ip = start;
        if (!s_listed(list, start))
            break;
        end = comma;
    }
    return ip;
}

at_status_t gw_call_frame(gw_req_t *r, const char *rpc, bool idempotent,
                          const ProtobufCMessage *body, zframe_t **frame)
{
    *frame = NULL;
    char service[64];
    const char *dot = strchr(rpc, '.');
    size_t sl = dot ? (size_t) (dot - rpc) : strlen(rpc);
    if (sl >= sizeof service)
        return AT_INTERNAL;
    memcpy(service, rpc, sl);
    service[sl] = 0;

    Atrium__Request env = ATRIUM__REQUEST__INIT;
    env.request_id = r->request_id;
    env.principal = r->id.principal;
    env.has_deadline_ms = 1;
    env.deadline_ms = r->deadline_ms;
    env.method = (char *) rpc;
    env.ip = (char *) s_client_ip(r);
    env.user_agent = (char *) mg_get_header(r->conn, "User-Agent");
    /* Packed with malloc, not the arena: an upload sends a chunk per call and
     * the arena lives for the whole request. */
    uint8_t *b = NULL;
    if (body) {
        size_t blen = protobuf_c_message_get_packed_size(body);
        b = malloc(blen + 1);
        if (!b)
            abort();
        protobuf_c_message_pack(body, b);
        env.has_body = 1;
        env.body.data = b;
        env.body.len = blen;
    }
    size_t len = atrium__request__get_packed_size(&env);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    atrium__request__pack(&env, buf);
    at_bus_rc_t rc = at_bus_client_call(r->thread->bus, service, idempotent ? AT_BUS_IDEMPOTENT : 0,
                                        r->deadline_ms, buf, len, frame);
    free(b);
    free(buf);
    if (rc == AT_BUS_UNREACHABLE)
        return AT_UNAVAILABLE;
    if (rc == AT_BUS_TIMEOUT)
        return AT_TIMEOUT;
    return AT_OK;
}

at_status_t gw_call(gw_req_t *r, const char *rpc, bool idempotent, const ProtobufCMessage *body,
                    Atrium__Reply **reply)
{
    *reply = NULL;
    zframe_t *frame = NULL;
    at_status_t bus = gw_call_frame(r, rpc, idempotent, body, &frame);
    if (bus != AT_OK)
        return bus;
    Atrium__Reply *rep =
        atrium__reply__unpack(at_arena_allocator(r->arena), zframe_size(frame), zframe_data(frame));
    zframe_destroy(&frame);
    if (!rep) {
        at_error("gateway: malformed reply to %s", rpc);
        return AT_INTERNAL;
    }
    *reply = rep;
    return rep->has_status ? rep->status : AT_INTERNAL;
}

at_status_t gw_call_msg(gw_req_t *r, const char *rpc, bool idempotent, const ProtobufCMessage *body,
                        const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                        Atrium__Reply **reply)
{
    *out = NULL;
    at_status_t st = gw_call(r, rpc, idempotent, body, reply);
    if (!at_status_is_success(st) || !desc)
        return st;
    const Atrium__Reply *rep = *reply;
    *out = protobuf_c_message_unpack(desc, at_arena_allocator(r->arena),
                                     rep->has_body ? rep->body.len : 0,
                                     rep->has_body ? rep->body.data : (const uint8_t *) "");
    return *out ? st : AT_INTERNAL;
}
