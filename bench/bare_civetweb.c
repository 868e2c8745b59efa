/* bench-bare-civetweb: the ceiling. A civetweb JSON handler with the same
 * options as the gateway and nothing else, so the benchmarks can quote the
 * gateway as a ratio of what civetweb alone does on the same machine.
 * usage: bench-bare-civetweb PORT THREADS (runs until killed) */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

static int s_handler(struct mg_connection *conn, void *cbdata)
{
    (void) cbdata;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                "Content-Length: 11\r\n\r\n{\"ok\":true}";
    mg_write(conn, reply, sizeof reply - 1);
    return 200;
}

int main(int argc, char **argv)
{
    char ports[64];
    snprintf(ports, sizeof ports, "127.0.0.1:%s", argc > 1 ? argv[1] : "18900");
    const char *options[] = {"listening_ports",
                             ports,
                             "num_threads",
                             argc > 2 ? argv[2] : "64",
                             "tcp_nodelay",
                             "1",
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "15000",
                             NULL,
                             NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    mg_init_library(0);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (!ctx)
        return 1;
    mg_set_request_handler(ctx, "/", s_handler, NULL);
    signal(SIGTERM, s_on_signal);
    signal(SIGINT, s_on_signal);
    while (!s_stop)
        usleep(100000);
    mg_stop(ctx);
    mg_exit_library();
    return 0;
}
