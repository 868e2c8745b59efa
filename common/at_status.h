/* at_status: the one table from the bus status set (proto/bus.proto, enum
 * Status) to the HTTP status and JSON error code of api.md, and the log level
 * a reply of that status is logged at.
 *
 * It does not build error bodies (the gateway does) and knows no messages.
 */
#ifndef AT_STATUS_H
#define AT_STATUS_H

#include "bus.pb-c.h"
#include <stdbool.h>

typedef Atrium__Status at_status_t;

#define AT_OK ATRIUM__STATUS__OK
#define AT_BAD_REQUEST ATRIUM__STATUS__BAD_REQUEST
#define AT_VALIDATION_FAILED ATRIUM__STATUS__VALIDATION_FAILED
#define AT_UNAUTHENTICATED ATRIUM__STATUS__UNAUTHENTICATED
#define AT_INVALID_CREDENTIALS ATRIUM__STATUS__INVALID_CREDENTIALS
#define AT_MFA_REQUIRED ATRIUM__STATUS__MFA_REQUIRED
#define AT_FORBIDDEN ATRIUM__STATUS__FORBIDDEN
#define AT_NOT_FOUND ATRIUM__STATUS__NOT_FOUND
#define AT_CONFLICT ATRIUM__STATUS__CONFLICT
#define AT_GONE ATRIUM__STATUS__GONE
#define AT_PAYLOAD_TOO_LARGE ATRIUM__STATUS__PAYLOAD_TOO_LARGE
#define AT_UNSUPPORTED_MEDIA ATRIUM__STATUS__UNSUPPORTED_MEDIA_TYPE
#define AT_RATE_LIMITED ATRIUM__STATUS__RATE_LIMITED
#define AT_INTERNAL ATRIUM__STATUS__INTERNAL
#define AT_UNAVAILABLE ATRIUM__STATUS__SERVICE_UNAVAILABLE
#define AT_TIMEOUT ATRIUM__STATUS__TIMEOUT
#define AT_CREATED ATRIUM__STATUS__CREATED
#define AT_NO_CONTENT ATRIUM__STATUS__NO_CONTENT
#define AT_ACCEPTED ATRIUM__STATUS__ACCEPTED
#define AT_RANGE_NOT_SATISFIABLE ATRIUM__STATUS__RANGE_NOT_SATISFIABLE

/* HTTP status for s (RFC 9110); an unknown value maps to 500. */
int at_status_http(at_status_t s);

/* api.md error code for s ("not_found"); "ok" for the success statuses;
 * "internal" for unknown values. The string is static. */
const char *at_status_code(at_status_t s);

/* True for OK, CREATED, NO_CONTENT and ACCEPTED. */
bool at_status_is_success(at_status_t s);

/* Log level name a reply of status s is logged at ("info", "warn", "error"). */
const char *at_status_log_level(at_status_t s);

/* Parses an api.md code back to a status; returns -1 if unknown. */
int at_status_from_code(const char *code);

#endif
