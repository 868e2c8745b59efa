/* at_mdp: socket options and frame codecs shared by broker, worker, client. */
#include "at_mdp.h"

void at_mdp_socket_options(zsock_t *sock)
{
    zsock_set_maxmsgsize(sock, AT_BUS_MAXMSG);
    zsock_set_linger(sock, 0);
    zsock_set_heartbeat_ivl(sock, AT_BUS_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout(sock, AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS);
    zsock_set_heartbeat_ttl(sock, AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS);
    zsock_set_sndhwm(sock, 10000);
    zsock_set_rcvhwm(sock, 10000);
}

zframe_t *at_mdp_deadline_frame(int64_t deadline_ms)
{
    uint8_t b[8];
    uint64_t v = (uint64_t) deadline_ms;
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t) (v & 0xff);
    return zframe_new(b, 8);
}

int64_t at_mdp_deadline_of(zframe_t *frame)
{
    if (!frame || zframe_size(frame) != 8)
        return 0;
    const uint8_t *b = zframe_data(frame);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | b[i];
    return (int64_t) v;
}
