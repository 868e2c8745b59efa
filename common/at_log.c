/* at_log: JSON lines on stderr; a line is written with one write(2) so lines
 * of different threads never interleave. */
#include "at_log.h"
#include "at_time.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_service[64] = "atrium";
static at_log_level_t s_min = AT_LOG_INFO;
static _Thread_local char s_request_id[128];
static const char *s_names[] = {"debug", "info", "warn", "error"};

int at_log_level_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

void at_log_init(const char *service, const char *level)
{
    snprintf(s_service, sizeof s_service, "%s", service ? service : "atrium");
    int l = at_log_level_parse(level);
    s_min = l < 0 ? AT_LOG_INFO : (at_log_level_t) l;
}

void at_log_set_request_id(const char *request_id)
{
    snprintf(s_request_id, sizeof s_request_id, "%s", request_id ? request_id : "");
}

const char *at_log_request_id(void)
{
    return s_request_id[0] ? s_request_id : NULL;
}

static void s_emit(at_log_level_t level, json_t *fields, const char *fmt, va_list ap)
{
    if (level < s_min)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char ts[40];
    at_time_format_ms(at_time_now_ms(), ts, sizeof ts);
    json_t *rec = json_object();
    json_object_set_new(rec, "ts", json_string(ts));
    json_object_set_new(rec, "level", json_string(s_names[level]));
    json_object_set_new(rec, "service", json_string(s_service));
    if (s_request_id[0])
        json_object_set_new(rec, "request_id", json_string(s_request_id));
    /* Invalid UTF-8 in a message must not lose the record. */
    json_t *m = json_string(msg);
    json_object_set_new(rec, "msg", m ? m : json_string("(message not valid UTF-8)"));
    if (fields)
        json_object_update(rec, fields);
    char *line = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    if (!line)
        return;
    size_t n = strlen(line);
    line = realloc(line, n + 2);
    if (!line)
        abort();
    line[n] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n + 1);
    (void) w;
    free(line);
}

void at_log(at_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_emit(level, NULL, fmt, ap);
    va_end(ap);
}

void at_log_fields(at_log_level_t level, json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_emit(level, fields, fmt, ap);
    va_end(ap);
}
