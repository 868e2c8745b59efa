/* atriumctl: operator commands. `status` asks the bus which services have
 * instances and whether each answers its ping (which queries its database);
 * `healthcheck` is the same, silent, for container health checks;
 * `audit verify` checks an audit export (JSON Lines) offline, with the same
 * chain code the audit service runs and no access to any server;
 * `fsck-blobs` asks the document service (over the bus: it owns the blob
 * folder and the versions) for rows without blobs and blobs without rows.
 * Commands are a table, not a switch; each returns the process exit code. */
#include "at_bus_client.h"
#include "at_config.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"
#include "audit_export.h"
#include "audit_verify.h"
#include "bus.pb-c.h"
#include "document.pb-c.h"
#include <inttypes.h>
#include <czmq.h>
#include <jansson.h>

static const char *const s_services[] = {"auth",         "document", "tasks", "messaging",
                                         "billing-sync", "audit",    NULL};

static int s_status(const at_config_t *config, bool quiet)
{
    at_bus_client_t *bus = at_bus_client_new(at_config_get(config, "ATRIUM_BUS_ENDPOINT"));
    int bad = 0;
    for (size_t i = 0; s_services[i]; i++) {
        const char *svc = s_services[i];
        int64_t deadline = at_time_now_ms() + 2000;
        zframe_t *f = NULL;
        const char *state;
        at_bus_rc_t rc =
            bus ? at_bus_client_call(bus, "mmi.service", 0, deadline, svc, strlen(svc), &f)
                : AT_BUS_UNREACHABLE;
        if (rc != AT_BUS_OK) {
            state = "bus unreachable";
        } else if (!zframe_streq(f, "200")) {
            state = "no instance";
        } else {
            char method[64];
            snprintf(method, sizeof method, "%s.ping", svc);
            Atrium__Request env = ATRIUM__REQUEST__INIT;
            env.method = method;
            env.request_id = "atriumctl";
            env.has_deadline_ms = 1;
            env.deadline_ms = deadline;
            uint8_t buf[256];
            size_t len = atrium__request__pack(&env, buf);
            zframe_t *reply = NULL;
            state = "not answering";
            if (at_bus_client_call(bus, svc, AT_BUS_IDEMPOTENT, deadline, buf, len, &reply) ==
                AT_BUS_OK) {
                Atrium__Reply *rep =
                    atrium__reply__unpack(NULL, zframe_size(reply), zframe_data(reply));
                state = rep && rep->status == ATRIUM__STATUS__OK ? "ok" : "database down";
                atrium__reply__free_unpacked(rep, NULL);
            }
            zframe_destroy(&reply);
        }
        zframe_destroy(&f);
        if (strcmp(state, "ok") != 0)
            bad++;
        if (!quiet)
            printf("%-14s %s\n", svc, state);
    }
    at_bus_client_destroy(&bus);
    return bad ? 1 : 0;
}

static int s_cmd_status(const at_config_t *c, int argc, char **argv)
{
    (void) argc;
    (void) argv;
    return s_status(c, false);
}

static int s_cmd_healthcheck(const at_config_t *c, int argc, char **argv)
{
    (void) argc;
    (void) argv;
    return s_status(c, true);
}

/* ------------------------------------------------------------ audit verify */

#define S_MAX_KEYS 16

typedef struct {
    unsigned char pk[S_MAX_KEYS][32];
    char id[S_MAX_KEYS][AUDIT_KEY_ID_LEN + 1];
    int n;
    json_t **cps; /* checkpoint objects, ascending seq (borrowed from root) */
    size_t ncps, next;
    json_t *root[S_MAX_KEYS]; /* one per --checkpoints file */
    int nroots;
} s_trust_t;

static int s_cmp_cp(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *) a, "seq"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *) b, "seq"));
    return x < y ? -1 : x > y;
}

/* Adds the checkpoints of one file: the saved answer of GET
 * /api/v1/audit/checkpoints ({"items": [...]}, one page), a JSON array of
 * checkpoints, or one checkpoint (the answer of POST). Several files (pages)
 * add up. */
static int s_load_checkpoints(s_trust_t *t, const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "atriumctl: %s: %s (line %d)\n", path, err.text, err.line);
        return -1;
    }
    t->root[t->nroots++] = root;
    json_t *arr = json_is_array(root) ? root : json_object_get(root, "items");
    size_t n = arr ? json_array_size(arr) : 1;
    t->cps = realloc(t->cps, (t->ncps + n + 1) * sizeof *t->cps);
    if (!t->cps)
        abort();
    for (size_t i = 0; i < n; i++) {
        json_t *c = arr ? json_array_get(arr, i) : root;
        if (!json_is_object(c) || !json_is_integer(json_object_get(c, "seq"))) {
            fprintf(stderr, "atriumctl: %s: entry %zu is not a checkpoint\n", path, i);
            return -1;
        }
        t->cps[t->ncps++] = c;
    }
    qsort(t->cps, t->ncps, sizeof *t->cps, s_cmp_cp);
    return 0;
}

/* The checkpoint c as the verifier takes it, and the trusted key of its
 * signer into *pk (NULL when none is trusted). */
static audit_checkpoint_t s_cp(s_trust_t *t, json_t *c, const unsigned char **pk)
{
    audit_checkpoint_t cp = {
        .firm_id = json_string_value(json_object_get(c, "firm_id")),
        .seq = (int64_t) json_integer_value(json_object_get(c, "seq")),
        .head_hash = json_string_value(json_object_get(c, "head_hash")),
        .at = json_string_value(json_object_get(c, "at")),
        .key_id = json_string_value(json_object_get(c, "key_id")),
        .signature = json_string_value(json_object_get(c, "signature")),
    };
    *pk = NULL;
    for (int i = 0; i < t->n && !*pk; i++)
        if (cp.key_id && strcmp(cp.key_id, t->id[i]) == 0)
            *pk = t->pk[i];
    return cp;
}

static void s_check_cp(audit_verify_t *v, s_trust_t *t, json_t *c)
{
    const unsigned char *pk = NULL;
    audit_checkpoint_t cp = s_cp(t, c, &pk);
    audit_verify_checkpoint(v, &cp, pk);
}

/* An export that starts after seq 1 (retention archived the events
 * before it) continues the chain from the checkpoint at first_seq - 1,
 * which must be among the checkpoints given. */
static void s_start(audit_verify_t *v, s_trust_t *t, int64_t first_seq)
{
    int64_t at = first_seq - 1;
    json_t *c = NULL;
    while (t->next < t->ncps && json_integer_value(json_object_get(t->cps[t->next], "seq")) <= at) {
        if (json_integer_value(json_object_get(t->cps[t->next], "seq")) == at)
            c = t->cps[t->next];
        t->next++;
    }
    const unsigned char *pk = NULL;
    audit_checkpoint_t cp = {0};
    if (c)
        cp = s_cp(t, c, &pk);
    audit_verify_start(v, at, c ? &cp : NULL, pk);
}

static int s_cmd_audit_verify(int argc, char **argv)
{
    const char *file = NULL, *cpfile[S_MAX_KEYS];
    int ncpfiles = 0;
    s_trust_t t = {0};
    int rc = 2;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--public-key") == 0) && i + 1 < argc) {
            if (t.n == S_MAX_KEYS || audit_chain_parse_public_key(argv[++i], t.pk[t.n]) != 0) {
                fprintf(stderr, "atriumctl: --public-key takes 64 hex digits\n");
                goto done;
            }
            audit_chain_key_id(t.pk[t.n], t.id[t.n]);
            t.n++;
        } else if ((strcmp(argv[i], "--checkpoints") == 0 ||
                    strcmp(argv[i], "--checkpoint") == 0) &&
                   i + 1 < argc) {
            if (ncpfiles == S_MAX_KEYS) {
                fprintf(stderr, "atriumctl: at most %d --checkpoints files\n", S_MAX_KEYS);
                goto done;
            }
            cpfile[ncpfiles++] = argv[++i];
        } else if (!file && argv[i][0] != '-') {
            file = argv[i];
        } else if (!file && strcmp(argv[i], "-") == 0) {
            file = "-";
        } else {
            file = NULL;
            break;
        }
    }
    if (!file || (ncpfiles && t.n == 0)) {
        fprintf(
            stderr,
            "usage: atriumctl audit verify FILE.jsonl [--public-key HEX]... [--checkpoints "
            "FILE.json]\n"
            "  FILE.jsonl   GET /api/v1/audit/export?format=jsonl (the whole trail; - for stdin)\n"
            "  --checkpoints  the saved answer of GET /api/v1/audit/checkpoints (or POST);\n"
            "               an export that starts after seq 1 (events archived by retention)\n"
            "               needs the checkpoint at the seq before its first among them;\n"
            "               repeat it for several pages (?cursor=)\n"
            "  --public-key   the Ed25519 key you trust (64 hex), needed with --checkpoints\n");
        goto done;
    }
    for (int i = 0; i < ncpfiles; i++)
        if (s_load_checkpoints(&t, cpfile[i]) != 0)
            goto done;
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!in) {
        fprintf(stderr, "atriumctl: cannot open %s: %s\n", file, strerror(errno));
        goto done;
    }
    audit_verify_t v;
    audit_verify_init(&v, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    rc = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (len == 0 || strspn(line, " \t\r\n") == (size_t) len)
            continue;
        audit_chain_event_t ev;
        const char *hash = NULL, *why = NULL;
        json_t *hold = NULL;
        char *details = NULL;
        if (audit_export_jsonl_parse(line, &ev, &hash, &hold, &details, &why) != 0) {
            printf("FAILED: line %ld: %s\n", lineno, why);
            rc = 1;
            break;
        }
        if (v.events == 0 && ev.seq > 1)
            s_start(&v, &t, ev.seq);
        audit_verify_event(&v, &ev, hash);
        while (t.next < t.ncps &&
               json_integer_value(json_object_get(t.cps[t.next], "seq")) <= v.last_seq)
            s_check_cp(&v, &t, t.cps[t.next++]);
        json_decref(hold);
        free(details);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    if (rc == 0) {
        /* checkpoints past the end: events were cut off the end */
        while (t.next < t.ncps)
            s_check_cp(&v, &t, t.cps[t.next++]);
        if (v.events == 0) {
            printf("FAILED: %s holds no events\n", file);
            rc = 1;
        } else if (audit_verify_ok(&v)) {
            printf(
                "ok: %lld events of firm %s, seq %lld to %lld, head %s; %d checkpoint%s verified\n",
                (long long) v.events, v.firm_id, (long long) v.start_seq + 1,
                (long long) v.last_seq, v.head, v.checkpoints, v.checkpoints == 1 ? "" : "s");
        } else {
            printf("FAILED at seq %lld: %s\n", (long long) v.first_bad_seq, v.problem);
            rc = 1;
        }
    }
done:
    free(t.cps);
    for (int i = 0; i < t.nroots; i++)
        json_decref(t.root[i]);
    return rc;
}

static int s_cmd_audit(const at_config_t *c, int argc, char **argv)
{
    (void) c;
    if (argc >= 1 && strcmp(argv[0], "verify") == 0)
        return s_cmd_audit_verify(argc - 1, argv + 1);
    fprintf(stderr, "usage: atriumctl audit verify FILE.jsonl [--public-key HEX] "
                    "[--checkpoints FILE.json]\n");
    return 2;
}

static void s_fsck_print(const char *what, Atrium__Document__FsckBlob **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s %s size %" PRId64, what, v[i]->sha256, v[i]->size);
        if (v[i]->has_file_size)
            printf(" file_size %" PRId64, v[i]->file_size);
        if (v[i]->has_versions)
            printf(" versions %d document %s", v[i]->versions,
                   v[i]->document_id ? v[i]->document_id : "-");
        printf("\n");
    }
}

/* fsck-blobs [--limit N] [--timeout S] [--repair [--grace S]]: exit 0
 * consistent (after repair), 1 problems found (left), 2 the check could not
 * run. Without --repair it changes nothing; with it, blobs without a row
 * older than the grace period (default 3600 s) are removed. */
static int s_cmd_fsck_blobs(const at_config_t *c, int argc, char **argv)
{
    int limit = 1000, timeout_s = 120, grace_s = 3600;
    bool repair = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_s = atoi(argv[++i]);
        else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc)
            grace_s = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repair") == 0)
            repair = true;
        else {
            fprintf(stderr, "usage: atriumctl fsck-blobs [--limit N] [--timeout SECONDS]"
                            " [--repair [--grace SECONDS]]\n");
            return 2;
        }
    }
    if (limit <= 0 || timeout_s <= 0 || grace_s < 0) {
        fprintf(stderr,
                "atriumctl: --limit and --timeout must be positive, --grace not negative\n");
        return 2;
    }
    Atrium__Document__FsckRequest rq = ATRIUM__DOCUMENT__FSCK_REQUEST__INIT;
    rq.has_limit = 1;
    rq.limit = limit;
    rq.has_repair = 1;
    rq.repair = repair;
    rq.has_grace_s = 1;
    rq.grace_s = grace_s;
    uint8_t body[32];
    Atrium__Request env = ATRIUM__REQUEST__INIT;
    env.method = "document.fsck_blobs";
    env.request_id = "atriumctl-fsck";
    env.has_deadline_ms = 1;
    env.deadline_ms = at_time_now_ms() + (int64_t) timeout_s * 1000;
    env.has_body = 1;
    env.body.data = body;
    env.body.len = atrium__document__fsck_request__pack(&rq, body);
    uint8_t buf[256];
    size_t len = atrium__request__pack(&env, buf);
    at_bus_client_t *bus = at_bus_client_new(at_config_get(c, "ATRIUM_BUS_ENDPOINT"));
    zframe_t *reply = NULL;
    at_bus_rc_t rc = bus ? at_bus_client_call(bus, "document", AT_BUS_IDEMPOTENT, env.deadline_ms,
                                              buf, len, &reply)
                         : AT_BUS_UNREACHABLE;
    int out = 2;
    if (rc != AT_BUS_OK) {
        fprintf(stderr, "atriumctl: the document service did not answer (bus code %d)\n", rc);
        goto done;
    }
    Atrium__Reply *rep = atrium__reply__unpack(NULL, zframe_size(reply), zframe_data(reply));
    if (!rep || rep->status != ATRIUM__STATUS__OK) {
        fprintf(stderr, "atriumctl: fsck-blobs failed: %s\n",
                rep && rep->message ? rep->message : "unreadable reply");
        atrium__reply__free_unpacked(rep, NULL);
        goto done;
    }
    Atrium__Document__FsckReport *r =
        atrium__document__fsck_report__unpack(NULL, rep->body.len, rep->body.data);
    atrium__reply__free_unpacked(rep, NULL);
    if (!r) {
        fprintf(stderr, "atriumctl: fsck-blobs: unreadable report\n");
        goto done;
    }
    s_fsck_print("missing", r->missing, r->n_missing);
    s_fsck_print("orphan", r->orphans, r->n_orphans);
    s_fsck_print("size-mismatch", r->mismatched, r->n_mismatched);
    printf(
        "blobs referenced %" PRId64 ", files %" PRId64 ", rows without blob %" PRId64
        ", blobs without row %" PRId64 ", size mismatches %" PRId64 ", other entries %" PRId64 "\n",
        r->referenced, r->files, r->missing_count, r->orphan_count, r->mismatch_count, r->strays);
    s_fsck_print("preview-missing", r->preview_missing, r->n_preview_missing);
    s_fsck_print("preview-orphan", r->preview_orphans, r->n_preview_orphans);
    s_fsck_print("preview-size-mismatch", r->preview_mismatched, r->n_preview_mismatched);
    printf("previews made %" PRId64 ", files %" PRId64 ", rows without file %" PRId64
           ", files without row %" PRId64 ", size mismatches %" PRId64 ", other entries %" PRId64
           "\n",
           r->preview_referenced, r->preview_files, r->preview_missing_count,
           r->preview_orphan_count, r->preview_mismatch_count, r->preview_strays);
    if ((int64_t) r->n_missing < r->missing_count || (int64_t) r->n_orphans < r->orphan_count ||
        (int64_t) r->n_mismatched < r->mismatch_count ||
        (int64_t) r->n_preview_missing < r->preview_missing_count ||
        (int64_t) r->n_preview_orphans < r->preview_orphan_count ||
        (int64_t) r->n_preview_mismatched < r->preview_mismatch_count)
        printf("(lists cut at %d entries each; --limit raises it)\n", limit);
    if (repair)
        printf("removed %" PRId64 " blobs without row (older than %d s)\n", r->removed_count,
               grace_s);
    /* a thumbnail can be made again; a blob cannot: both are reported */
    out = r->missing_count || r->orphan_count > r->removed_count || r->mismatch_count ||
                  r->preview_missing_count || r->preview_orphan_count || r->preview_mismatch_count
              ? 1
              : 0;
    atrium__document__fsck_report__free_unpacked(r, NULL);
done:
    zframe_destroy(&reply);
    at_bus_client_destroy(&bus);
    return out;
}

typedef struct {
    const char *name;
    int (*run)(const at_config_t *config, int argc, char **argv);
    const char *help;
} s_command_t;

static const s_command_t s_commands[] = {
    {"status", s_cmd_status, "show each service: instance present, answers, database reachable"},
    {"healthcheck", s_cmd_healthcheck, "exit 0 when every service answers (no output)"},
    {"audit", s_cmd_audit,
     "audit verify FILE.jsonl: check an export's chain and checkpoints offline"},
    {"fsck-blobs", s_cmd_fsck_blobs,
     "report document versions without blob files and blob files without versions (and the "
     "same for preview thumbnails)"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    const at_config_key_t *tables[] = {at_config_common, NULL};
    char *err = NULL;
    at_config_t *config = at_config_load(tables, &err);
    if (!config) {
        fprintf(stderr, "atriumctl: %s\n", err);
        free(err);
        return 2;
    }
    at_log_init("atriumctl", "warn");
    zsys_init();
    zsys_set_logstream(NULL);
    int rc = 2;
    const s_command_t *cmd = NULL;
    for (const s_command_t *c = s_commands; argc > 1 && c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            cmd = c;
    if (cmd) {
        rc = cmd->run(config, argc - 2, argv + 2);
    } else {
        fprintf(stderr, "usage: atriumctl COMMAND\n");
        for (const s_command_t *c = s_commands; c->name; c++)
            fprintf(stderr, "  %-12s %s\n", c->name, c->help);
    }
    at_config_destroy(&config);
    return rc;
}
