/* at_log: JSON-lines logging to stderr, one record per line, with the
 * service name, level, time and the request id of the calling thread.
 *
 * It never logs secrets: callers pass no tokens, passwords or document bytes.
 * It does not rotate files (the supervisor or the container runtime does).
 */
#ifndef AT_LOG_H
#define AT_LOG_H

#include <jansson.h>

typedef enum { AT_LOG_DEBUG = 0, AT_LOG_INFO, AT_LOG_WARN, AT_LOG_ERROR } at_log_level_t;

/* Sets the process's service name and minimum level ("debug", "info", "warn",
 * "error"; anything else means info). Call once from main before threads. */
void at_log_init(const char *service, const char *level);

/* Sets (copies) the request id that this thread's next records carry; NULL
 * clears it. Thread-local. */
void at_log_set_request_id(const char *request_id);

/* The calling thread's request id, or NULL. Borrowed, thread-local. */
const char *at_log_request_id(void);

/* Writes one record: msg formatted with printf rules. */
void at_log(at_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes one record with extra members from fields (borrowed; may be NULL). */
void at_log_fields(at_log_level_t level, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses a level name; returns -1 when unknown. */
int at_log_level_parse(const char *name);

#define at_debug(...) at_log(AT_LOG_DEBUG, __VA_ARGS__)
#define at_info(...) at_log(AT_LOG_INFO, __VA_ARGS__)
#define at_warn(...) at_log(AT_LOG_WARN, __VA_ARGS__)
#define at_error(...) at_log(AT_LOG_ERROR, __VA_ARGS__)

#endif
