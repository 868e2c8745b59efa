/* atriumctl: operator commands. `status` asks the bus which services have
 * instances and whether each answers its ping (which queries its database);
 * `healthcheck` is the same, silent, for container health checks.
 * Commands are a table, not a switch; each returns the process exit code. */
#include "at_bus_client.h"
#include "at_config.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"
#include "bus.pb-c.h"
#include <czmq.h>

static const char *const s_services[] = {"auth", "document", "tasks", "messaging", "billing-sync",
                                         "audit", NULL};

static int s_status(const at_config_t *config, bool quiet)
{
    at_bus_client_t *bus = at_bus_client_new(at_config_get(config, "ATRIUM_BUS_ENDPOINT"));
    int bad = 0;
    for (size_t i = 0; s_services[i]; i++) {
        const char *svc = s_services[i];
        int64_t deadline = at_time_now_ms() + 2000;
        zframe_t *f = NULL;
        const char *state;
        at_bus_rc_t rc = bus ? at_bus_client_call(bus, "mmi.service", 0, deadline, svc, strlen(svc), &f)
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
            if (at_bus_client_call(bus, svc, AT_BUS_IDEMPOTENT, deadline, buf, len, &reply) == AT_BUS_OK) {
                Atrium__Reply *rep = atrium__reply__unpack(NULL, zframe_size(reply), zframe_data(reply));
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

typedef struct {
    const char *name;
    int (*run)(const at_config_t *config, int argc, char **argv);
    const char *help;
} s_command_t;

static const s_command_t s_commands[] = {
    {"status", s_cmd_status, "show each service: instance present, answers, database reachable"},
    {"healthcheck", s_cmd_healthcheck, "exit 0 when every service answers (no output)"},
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
