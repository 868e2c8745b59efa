/* bench-audit-driver: a throwaway load driver for bench/audit.py.
 *
 *   ingest ENDPOINT FIRM N   sends N events of FIRM to audit.ingest over the
 *                            bus in batches of 200 as a system principal
 *                            (as the outbox relays do) and prints events/s
 *   redeliver ENDPOINT FIRM  sends the batches [A, B, B] then [A, C] (B twice
 *                            in one batch, A again in the next) and prints
 *                            the accepted counts: "2 1" when redeliveries
 *                            are ignored (tests/integration/test_audit_relay.py)
 *   gen FIRM N SEQ HASH      writes N events of FIRM after (SEQ, HASH) as
 *                            PostgreSQL COPY text for audit.events, each with
 *                            its correct chain hash (audit_chain.h), and the
 *                            new head "seq hash" on stderr
 *
 * The generated events spread over 8 actions, 50 actors, 200 clients and
 * 4 resource types, so filtered queries select from 0.5% to 12.5% of them.
 * It is not a test and checks little: bad arguments abort the run.
 */
#include "at_bus_client.h"
#include "at_time.h"
#include "audit.pb-c.h"
#include "audit_chain.h"
#include "bus.pb-c.h"
#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 200

static const char *const s_actions[] = {"document.viewed", "document.uploaded", "task.created",
                                        "task.completed",  "client.updated",    "message.sent",
                                        "invoice.viewed",  "auth.login"};
static const char *const s_types[] = {"document", "task", "client", "invoice"};

/* Deterministic ids for the i-th actor / client, so bench/audit.py can name
 * them in filters: 00000000-0000-4000-8000-0000000000NN style. */
static void s_id(char out[37], unsigned kind, unsigned i)
{
    snprintf(out, 37, "%08x-0000-4000-8000-%012u", kind, i);
}

static void s_uuid(char out[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, b, sizeof b);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

typedef struct {
    char event_id[37], actor_id[37], client_id[37], actor_name[32], resource_id[24], at[32];
    const char *action, *type;
} s_fields_t;

static void s_fields(s_fields_t *f, long long i, int64_t at_ms)
{
    s_uuid(f->event_id);
    unsigned actor = (unsigned) (i * 7 % 50), client = (unsigned) (i * 13 % 200);
    s_id(f->actor_id, 1, actor);
    s_id(f->client_id, 2, client);
    snprintf(f->actor_name, sizeof f->actor_name, "Actor %u", actor);
    f->action = s_actions[i % 8];
    f->type = s_types[i % 4];
    snprintf(f->resource_id, sizeof f->resource_id, "r-%lld", i % 10000);
    at_time_format_ms(at_ms, f->at, sizeof f->at);
}

/* Sends one IngestRequest of k events; *accepted from the reply. */
static int s_send(at_bus_client_t *bus, Atrium__Audit__Event **ptrs, int k, int *accepted)
{
    Atrium__Principal sys = ATRIUM__PRINCIPAL__INIT;
    sys.user_id = sys.firm_id = "00000000-0000-0000-0000-000000000000";
    sys.kind = "system";
    sys.name = "bench";
    Atrium__Audit__IngestRequest ing = ATRIUM__AUDIT__INGEST_REQUEST__INIT;
    ing.n_events = (size_t) k;
    ing.events = ptrs;
    size_t blen = atrium__audit__ingest_request__get_packed_size(&ing);
    uint8_t *body = malloc(blen + 1);
    atrium__audit__ingest_request__pack(&ing, body);
    Atrium__Request env = ATRIUM__REQUEST__INIT;
    env.method = "audit.ingest";
    env.request_id = "bench-audit";
    env.principal = &sys;
    env.has_deadline_ms = 1;
    env.deadline_ms = at_time_now_ms() + 30000;
    env.has_body = 1;
    env.body.data = body;
    env.body.len = blen;
    size_t elen = atrium__request__get_packed_size(&env);
    uint8_t *buf = malloc(elen + 1);
    atrium__request__pack(&env, buf);
    zframe_t *frame = NULL;
    int rc = 0;
    if (at_bus_client_call(bus, "audit", 0, env.deadline_ms, buf, elen, &frame) != AT_BUS_OK) {
        fprintf(stderr, "bench-audit-driver: no reply from audit.ingest\n");
        rc = 1;
    } else {
        Atrium__Reply *rep = atrium__reply__unpack(NULL, zframe_size(frame), zframe_data(frame));
        if (!rep || !rep->has_status || rep->status != 0) {
            fprintf(stderr, "bench-audit-driver: audit.ingest failed (%d)\n",
                    rep && rep->has_status ? (int) rep->status : -1);
            rc = 1;
        } else if (accepted) {
            Atrium__Audit__IngestReply *r =
                atrium__audit__ingest_reply__unpack(NULL, rep->body.len, rep->body.data);
            *accepted = r ? r->accepted : -1;
            if (r)
                atrium__audit__ingest_reply__free_unpacked(r, NULL);
        }
        if (rep)
            atrium__reply__free_unpacked(rep, NULL);
        zframe_destroy(&frame);
    }
    free(buf);
    free(body);
    return rc;
}

static int s_redeliver(const char *endpoint, const char *firm)
{
    at_bus_client_t *bus = at_bus_client_new(endpoint);
    if (!bus)
        return 1;
    s_fields_t f[3];
    Atrium__Audit__Event ev[3];
    for (int i = 0; i < 3; i++) {
        s_fields(&f[i], i, at_time_now_ms());
        atrium__audit__event__init(&ev[i]);
        ev[i].event_id = f[i].event_id;
        ev[i].firm_id = (char *) firm;
        ev[i].action = "bench.redelivered";
        ev[i].at = f[i].at;
        ev[i].resource_id = f[i].event_id;
    }
    Atrium__Audit__Event *b1[] = {&ev[0], &ev[1], &ev[1]}, *b2[] = {&ev[0], &ev[2]};
    int a1 = -1, a2 = -1;
    int rc = s_send(bus, b1, 3, &a1) || s_send(bus, b2, 2, &a2);
    if (rc == 0)
        printf("%d %d\n", a1, a2);
    at_bus_client_destroy(&bus);
    return rc;
}

static int s_ingest(const char *endpoint, const char *firm, long long n)
{
    at_bus_client_t *bus = at_bus_client_new(endpoint);
    if (!bus)
        return 1;
    s_fields_t *fs = calloc(BATCH, sizeof *fs);
    Atrium__Audit__Event *evs = calloc(BATCH, sizeof *evs);
    Atrium__Audit__Event **ptrs = calloc(BATCH, sizeof *ptrs);
    int64_t t0 = at_time_mono_us();
    long long sent = 0;
    int rc = 0;
    while (sent < n && rc == 0) {
        int k = n - sent < BATCH ? (int) (n - sent) : BATCH;
        for (int j = 0; j < k; j++) {
            s_fields(&fs[j], sent + j, at_time_now_ms());
            atrium__audit__event__init(&evs[j]);
            evs[j].event_id = fs[j].event_id;
            evs[j].firm_id = (char *) firm;
            evs[j].actor_id = fs[j].actor_id;
            evs[j].actor_name = fs[j].actor_name;
            evs[j].actor_kind = "staff";
            evs[j].client_id = fs[j].client_id;
            evs[j].action = (char *) fs[j].action;
            evs[j].resource_type = (char *) fs[j].type;
            evs[j].resource_id = fs[j].resource_id;
            evs[j].at = fs[j].at;
            evs[j].ip = "127.0.0.1";
            evs[j].details = "{\"name\":\"bench\"}";
            evs[j].source = "bench";
            ptrs[j] = &evs[j];
        }
        rc = s_send(bus, ptrs, k, NULL);
        sent += k;
    }
    double s = (double) (at_time_mono_us() - t0) / 1e6;
    if (rc == 0)
        printf("%lld %.3f %.0f\n", sent, s, (double) sent / s);
    free(ptrs);
    free(evs);
    free(fs);
    at_bus_client_destroy(&bus);
    return rc;
}

/* COPY text: no value generated here holds a tab, newline or backslash. */
static void s_col(const char *v, bool last)
{
    fputs(v ? v : "\\N", stdout);
    fputc(last ? '\n' : '\t', stdout);
}

static int s_gen(const char *firm, long long n, long long seq, const char *hash)
{
    char prev[AUDIT_CHAIN_HEX_LEN + 1], h[AUDIT_CHAIN_HEX_LEN + 1];
    snprintf(prev, sizeof prev, "%s", hash);
    char *details = audit_chain_normalize_details("{\"name\":\"bench\"}");
    int64_t start = at_time_now_ms() - n; /* one event a millisecond, ending now */
    char seqs[24];
    s_fields_t f;
    for (long long i = 0; i < n; i++) {
        s_fields(&f, seq + 1 + i, start + i);
        audit_chain_event_t ev = {.firm_id = firm,
                                  .seq = seq + 1 + i,
                                  .event_id = f.event_id,
                                  .at = f.at,
                                  .actor_id = f.actor_id,
                                  .actor_name = f.actor_name,
                                  .actor_kind = "staff",
                                  .action = f.action,
                                  .resource_type = f.type,
                                  .resource_id = f.resource_id,
                                  .client_id = f.client_id,
                                  .ip = "127.0.0.1",
                                  .source = "bench",
                                  .details = details};
        if (audit_chain_hash(prev, &ev, h) != 0)
            return 1;
        snprintf(seqs, sizeof seqs, "%lld", seq + 1 + i);
        const char *cols[] = {firm,       seqs,          f.event_id,  f.at,
                              f.actor_id, f.actor_name,  "staff",     f.action,
                              f.type,     f.resource_id, f.client_id, "127.0.0.1",
                              NULL,       NULL,          "bench",     details,
                              h};
        for (int c = 0; c < 17; c++)
            s_col(cols[c], c == 16);
        memcpy(prev, h, sizeof h);
    }
    free(details);
    fprintf(stderr, "%lld %s\n", seq + n, prev);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    if (argc == 5 && strcmp(argv[1], "ingest") == 0)
        return s_ingest(argv[2], argv[3], atoll(argv[4]));
    if (argc == 4 && strcmp(argv[1], "redeliver") == 0)
        return s_redeliver(argv[2], argv[3]);
    if (argc == 6 && strcmp(argv[1], "gen") == 0)
        return s_gen(argv[2], atoll(argv[3]), atoll(argv[4]), argv[5]);
    fprintf(stderr, "usage: bench-audit-driver ingest ENDPOINT FIRM N\n"
                    "       bench-audit-driver redeliver ENDPOINT FIRM\n"
                    "       bench-audit-driver gen FIRM N SEQ HASH > events.copy\n");
    return 2;
}
