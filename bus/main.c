/* atrium-bus: runs the broker actor until SIGTERM. `healthcheck` asks the
 * broker's MMI whether it answers. */
#include "at_broker.h"
#include "at_bus_client.h"
#include "at_config.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"
#include <czmq.h>

static const at_config_key_t s_keys[] = {
    {"ATRIUM_BUS_BIND", "${ATRIUM_BUS_ENDPOINT}", AT_CFG_STRING, 0, 0, true, false,
     "endpoint the bus binds (compose: tcp://*:5555)"},
    {"ATRIUM_BUS_QUEUE_MAX", "1000", AT_CFG_INT, 1, 1000000, true, false,
     "queued requests per service before the bus answers 503"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

static int s_healthcheck(const char *endpoint)
{
    at_bus_client_t *bus = at_bus_client_new(endpoint);
    zframe_t *reply = NULL;
    int rc = bus && at_bus_client_call(bus, "mmi.service", 0, at_time_now_ms() + 2000, "bus", 3,
                                       &reply) == AT_BUS_OK
                 ? 0
                 : 1;
    zframe_destroy(&reply);
    at_bus_client_destroy(&bus);
    return rc;
}

int main(int argc, char **argv)
{
    const at_config_key_t *tables[] = {at_config_common, s_keys, NULL};
    char *err = NULL;
    at_config_t *config = at_config_load(tables, &err);
    if (!config) {
        fprintf(stderr, "atrium-bus: %s\n", err);
        free(err);
        return 2;
    }
    at_log_init("bus", at_config_get(config, "ATRIUM_LOG_LEVEL"));
    zsys_init();
    zsys_set_logstream(NULL);
    if (argc > 1 && strcmp(argv[1], "healthcheck") == 0) {
        int rc = s_healthcheck(at_config_get(config, "ATRIUM_BUS_ENDPOINT"));
        at_config_destroy(&config);
        return rc;
    }
    at_broker_args_t args = {
        .endpoint = at_config_get(config, "ATRIUM_BUS_BIND"),
        .queue_max = (size_t) at_config_int(config, "ATRIUM_BUS_QUEUE_MAX"),
    };
    zactor_t *broker = zactor_new(at_broker_actor, &args);
    if (!broker || !args.bound) {
        zactor_destroy(&broker);
        at_config_destroy(&config);
        return 1;
    }
    at_info("bus listening on %s", args.endpoint);
    while (!zsys_interrupted)
        zclock_sleep(200);
    zactor_destroy(&broker);
    at_config_destroy(&config);
    return 0;
}
