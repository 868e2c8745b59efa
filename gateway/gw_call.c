/* gw_call: one bus call on behalf of an HTTP request: the envelope carries
 * the request id, the principal, the deadline, the caller's IP and agent. */
#include "gw.h"
#include "at_log.h"
#include "at_mdp.h"
#include <string.h>

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
    env.ip = (char *) r->info->remote_addr;
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

at_status_t gw_call_msg(gw_req_t *r, const char *rpc, bool idempotent,
                        const ProtobufCMessage *body, const ProtobufCMessageDescriptor *desc,
                        ProtobufCMessage **out, Atrium__Reply **reply)
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
