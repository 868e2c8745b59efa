/* at_mdp: the wire constants of Atrium's bus, the Majordomo Protocol
 * MDP/0.2 (rfc.zeromq.org/spec:18) with one extension: the first three body
 * frames of every request are [correlation id][deadline][flags], so the
 * broker can drop expired work and retry idempotent calls, and clients can
 * match replies to calls after a timeout.
 *
 *   client -> broker  "" MDPC02 REQUEST service corr deadline flags payload
 *   broker -> client  "" MDPC02 FINAL   service corr payload
 *   worker -> broker  "" MDPW02 READY   service
 *   broker -> worker  "" MDPW02 REQUEST client "" corr deadline flags payload
 *   worker -> broker  "" MDPW02 FINAL   client "" corr payload
 *   either way        "" MDPW02 HEARTBEAT | DISCONNECT
 *
 * deadline is 8 bytes, big-endian Unix epoch milliseconds; flags is 1 byte.
 * The payload of a client request is a packed atrium.Request, of a reply a
 * packed atrium.Reply (proto/bus.proto). Service "mmi.service" (RFC 8, MMI)
 * answers "200" when the service named in the payload has a worker, else
 * "404"; "mmi.queue" (Atrium's addition) answers how many requests of the
 * named service wait for a worker, in decimal.
 */
#ifndef AT_MDP_H
#define AT_MDP_H

#include <czmq.h>
#include <stdint.h>

#define AT_MDPC "MDPC02"
#define AT_MDPW "MDPW02"

/* Client commands */
#define AT_MDPC_REQUEST 0x01
#define AT_MDPC_PARTIAL 0x02
#define AT_MDPC_FINAL 0x03

/* Worker commands */
#define AT_MDPW_READY 0x01
#define AT_MDPW_REQUEST 0x02
#define AT_MDPW_PARTIAL 0x03
#define AT_MDPW_FINAL 0x04
#define AT_MDPW_HEARTBEAT 0x05
#define AT_MDPW_DISCONNECT 0x06

/* Request flags */
#define AT_BUS_IDEMPOTENT 0x01

/* Heartbeat interval and liveness: a peer silent for
 * AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS is dead. */
#define AT_BUS_HEARTBEAT_MS 500
#define AT_BUS_LIVENESS 4

/* Largest message any bus socket accepts (ZMQ_MAXMSGSIZE). File bytes travel
 * in chunks of AT_BUS_CHUNK bytes at most, well below this. */
#define AT_BUS_MAXMSG (8 * 1024 * 1024)
#define AT_BUS_CHUNK (1024 * 1024)

/* Applies the options every bus socket carries: ZMQ_MAXMSGSIZE, linger 0,
 * ZMTP heartbeats (ivl, timeout, ttl) and bounded high-water marks. */
void at_mdp_socket_options(zsock_t *sock);

/* Encodes/decodes the deadline frame. */
zframe_t *at_mdp_deadline_frame(int64_t deadline_ms);
int64_t at_mdp_deadline_of(zframe_t *frame);

#endif
