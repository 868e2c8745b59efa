/* The bus in-process: broker actor, worker threads and a client on ipc://,
 * checking the Majordomo behaviours the design relies on. */
#include "at_broker.h"
#include "at_bus_client.h"
#include "at_mdp.h"
#include "at_time.h"
#include "at_worker.h"
#include "bus.pb-c.h"
#include <czmq.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char s_endpoint[128];

typedef struct {
    const char *service;
    int delay_ms; /* per request */
    volatile int stop;
    volatile int served;
    volatile int die_on; /* vanish without answering the n-th request (1-based) */
    pthread_t thread;
    char name[16];
} s_wk_t;

static void *s_worker(void *arg)
{
    s_wk_t *w = arg;
    at_worker_t *worker = at_worker_new(s_endpoint, w->service);
    while (!w->stop) {
        at_worker_job_t job;
        int rc = at_worker_recv(worker, 50, &job);
        if (rc != 0)
            continue;
        w->served++;
        if (w->die_on && w->served == w->die_on) {
            at_worker_job_clear(&job);
            break; /* gone without a word, like kill -9 */
        }
        if (w->delay_ms)
            zclock_sleep(w->delay_ms);
        at_worker_reply(worker, &job, w->name, strlen(w->name));
    }
    if (w->die_on && w->served == w->die_on) {
        /* simulate a crash: no DISCONNECT, the socket just goes away */
        zclock_sleep(1);
    }
    at_worker_destroy(&worker);
    return NULL;
}

static zactor_t *s_broker_start(at_broker_args_t *args)
{
    snprintf(s_endpoint, sizeof s_endpoint, "ipc:///tmp/atrium-test-bus-%d.sock", getpid());
    args->endpoint = s_endpoint;
    zactor_t *b = zactor_new(at_broker_actor, args);
    assert_non_null(b);
    assert_int_equal(args->bound, 1);
    return b;
}

static char *s_call(at_bus_client_t *c, const char *svc, uint8_t flags, int timeout_ms,
                    at_bus_rc_t *rc)
{
    zframe_t *reply = NULL;
    *rc = at_bus_client_call(c, svc, flags, at_time_now_ms() + timeout_ms, "x", 1, &reply);
    char *s = reply ? zframe_strdup(reply) : NULL;
    zframe_destroy(&reply);
    return s;
}

/* The status of a packed atrium.Reply the broker answered itself. */
static int s_reply_status(const char *bytes, size_t len)
{
    Atrium__Reply *rep = atrium__reply__unpack(NULL, len, (const uint8_t *) bytes);
    int st = rep && rep->has_status ? (int) rep->status : -1;
    atrium__reply__free_unpacked(rep, NULL);
    return st;
}

static int s_call_status(at_bus_client_t *c, const char *svc, int timeout_ms, at_bus_rc_t *rc)
{
    zframe_t *reply = NULL;
    *rc = at_bus_client_call(c, svc, 0, at_time_now_ms() + timeout_ms, "x", 1, &reply);
    int st = reply ? s_reply_status((const char *) zframe_data(reply), zframe_size(reply)) : -1;
    zframe_destroy(&reply);
    return st;
}

static void test_round_trip_and_no_worker(void **state)
{
    (void) state;
    at_broker_args_t args = {0};
    zactor_t *b = s_broker_start(&args);
    at_bus_client_t *c = at_bus_client_new(s_endpoint);
    at_bus_rc_t rc;
    /* No worker of "nobody": the broker itself answers 503 (a timeout would
     * mean it had queued the request). */
    assert_int_equal(s_call_status(c, "nobody", 2000, &rc), ATRIUM__STATUS__SERVICE_UNAVAILABLE);
    assert_int_equal(rc, AT_BUS_OK);
    char *r;

    s_wk_t w = {.service = "echo", .name = "w1"};
    pthread_create(&w.thread, NULL, s_worker, &w);
    zclock_sleep(100);
    r = s_call(c, "echo", 0, 2000, &rc);
    assert_int_equal(rc, AT_BUS_OK);
    assert_string_equal(r, "w1");
    free(r);
    /* MMI */
    zframe_t *reply = NULL;
    assert_int_equal(
        at_bus_client_call(c, "mmi.service", 0, at_time_now_ms() + 1000, "echo", 4, &reply),
        AT_BUS_OK);
    assert_true(zframe_streq(reply, "200"));
    zframe_destroy(&reply);
    assert_int_equal(
        at_bus_client_call(c, "mmi.service", 0, at_time_now_ms() + 1000, "nope", 4, &reply),
        AT_BUS_OK);
    assert_true(zframe_streq(reply, "404"));
    zframe_destroy(&reply);
    w.stop = 1;
    pthread_join(w.thread, NULL);
    at_bus_client_destroy(&c);
    zactor_destroy(&b);
}

/* A slow worker does not get an equal share: under concurrent load the
 * broker hands work to whichever worker is idle. */
typedef struct {
    int fast, slow, failed;
    pthread_t thread;
} s_load_t;

static void *s_load(void *arg)
{
    s_load_t *l = arg;
    at_bus_client_t *c = at_bus_client_new(s_endpoint);
    for (int i = 0; i < 10; i++) {
        at_bus_rc_t rc;
        char *r = s_call(c, "svc", 0, 5000, &rc);
        if (rc != AT_BUS_OK || !r)
            l->failed++;
        else if (strcmp(r, "fast") == 0)
            l->fast++;
        else if (strcmp(r, "slow") == 0)
            l->slow++;
        free(r);
    }
    at_bus_client_destroy(&c);
    return NULL;
}

static void test_slow_worker_gets_less(void **state)
{
    (void) state;
    at_broker_args_t args = {0};
    zactor_t *b = s_broker_start(&args);
    s_wk_t slow = {.service = "svc", .name = "slow", .delay_ms = 100};
    s_wk_t fast = {.service = "svc", .name = "fast", .delay_ms = 2};
    pthread_create(&slow.thread, NULL, s_worker, &slow);
    pthread_create(&fast.thread, NULL, s_worker, &fast);
    zclock_sleep(150);
    s_load_t loads[4] = {0};
    for (int i = 0; i < 4; i++)
        pthread_create(&loads[i].thread, NULL, s_load, &loads[i]);
    int fast_n = 0, slow_n = 0, failed = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(loads[i].thread, NULL);
        fast_n += loads[i].fast;
        slow_n += loads[i].slow;
        failed += loads[i].failed;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(fast_n + slow_n, 40);
    /* round robin would give the slow worker 20 */
    assert_true(slow_n < 15);
    slow.stop = fast.stop = 1;
    pthread_join(slow.thread, NULL);
    pthread_join(fast.thread, NULL);
    zactor_destroy(&b);
}

/* A worker that vanishes mid-request: an idempotent call is retried on
 * another worker; a non-idempotent one gets an answer (503), not a hang. */
static void test_dead_worker(void **state)
{
    (void) state;
    at_broker_args_t args = {0};
    zactor_t *b = s_broker_start(&args);
    s_wk_t dying = {.service = "svc", .name = "dying", .die_on = 1};
    pthread_create(&dying.thread, NULL, s_worker, &dying);
    zclock_sleep(150);
    s_wk_t good = {.service = "svc", .name = "good"};
    pthread_create(&good.thread, NULL, s_worker, &good);
    zclock_sleep(150);
    at_bus_client_t *c = at_bus_client_new(s_endpoint);
    /* The dying worker registered first and is least recently used. */
    at_bus_rc_t rc;
    char *r = s_call(c, "svc", AT_BUS_IDEMPOTENT, 8000, &rc);
    assert_int_equal(rc, AT_BUS_OK);
    assert_string_equal(r, "good");
    free(r);
    assert_int_equal(dying.served, 1);
    pthread_join(dying.thread, NULL);
    good.stop = 1;
    pthread_join(good.thread, NULL);
    at_bus_client_destroy(&c);
    zactor_destroy(&b);
}

/* Overload: a bounded queue answers 503 instead of buffering. The worker is
 * busy far longer than the caller waits, so a queued (not rejected) call
 * would end in a timeout rather than an answer. */
static void test_queue_bound(void **state)
{
    (void) state;
    at_broker_args_t args = {.queue_max = 2};
    zactor_t *b = s_broker_start(&args);
    s_wk_t slow = {.service = "svc", .name = "slow", .delay_ms = 3000};
    pthread_create(&slow.thread, NULL, s_worker, &slow);
    zclock_sleep(150);
    at_bus_client_t *cs[4];
    for (int i = 0; i < 4; i++)
        cs[i] = at_bus_client_new(s_endpoint);
    at_bus_rc_t rc;
    zframe_t *reply = NULL;
    /* the first goes to the worker, which keeps it for 3 s */
    rc = at_bus_client_call(cs[0], "svc", 0, at_time_now_ms() + 300, "x", 1, &reply);
    assert_int_equal(rc, AT_BUS_TIMEOUT);
    /* fill the queue without waiting for answers: deadlines far ahead; the
     * sockets stay open so nothing they sent can be dropped */
    zsock_t *raw[3] = {NULL, NULL, NULL};
    for (int i = 1; i < 3; i++) {
        zmsg_t *m = zmsg_new();
        zmsg_addstr(m, "");
        zmsg_addstr(m, AT_MDPC);
        zmsg_addmem(m, (uint8_t[]){AT_MDPC_REQUEST}, 1);
        zmsg_addstr(m, "svc");
        zmsg_addmem(m, &i, sizeof i);
        zmsg_append(m, &(zframe_t *){at_mdp_deadline_frame(at_time_now_ms() + 10000)});
        zmsg_addmem(m, (uint8_t[]){0}, 1);
        zmsg_addstr(m, "x");
        raw[i] = zsock_new_dealer(s_endpoint);
        zmsg_send(&m, raw[i]);
    }
    /* wait until the broker has queued both (mmi.queue) */
    int queued = 0;
    for (int tries = 0; tries < 200 && queued != 2; tries++) {
        zframe_t *q = NULL;
        if (at_bus_client_call(cs[1], "mmi.queue", 0, at_time_now_ms() + 1000, "svc", 3, &q) ==
            AT_BUS_OK) {
            char *text = zframe_strdup(q);
            queued = atoi(text);
            free(text);
        }
        zframe_destroy(&q);
        if (queued != 2)
            zclock_sleep(10);
    }
    assert_int_equal(queued, 2);
    assert_int_equal(s_call_status(cs[3], "svc", 2000, &rc), ATRIUM__STATUS__SERVICE_UNAVAILABLE);
    assert_int_equal(rc, AT_BUS_OK);
    zframe_destroy(&reply);
    slow.stop = 1;
    pthread_join(slow.thread, NULL);
    for (int i = 0; i < 4; i++)
        at_bus_client_destroy(&cs[i]);
    for (int i = 1; i < 3; i++) {
        zsock_set_linger(raw[i], 0);
        zsock_destroy(&raw[i]);
    }
    zactor_destroy(&b);
}

static void test_broker_unreachable(void **state)
{
    (void) state;
    at_bus_client_t *c = at_bus_client_new("ipc:///tmp/atrium-no-such-bus.sock");
    at_bus_rc_t rc;
    /* unreachable, not a timeout: the caller is told at once */
    char *r = s_call(c, "svc", 0, 3000, &rc);
    assert_null(r);
    assert_int_equal(rc, AT_BUS_UNREACHABLE);
    at_bus_client_destroy(&c);
}

int main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_no_worker),
        cmocka_unit_test(test_slow_worker_gets_less),
        cmocka_unit_test(test_dead_worker),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_broker_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
