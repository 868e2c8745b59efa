/* document_requests: the rules of document requests (staff ask a client for
 * a file): what a new request must carry and how its status moves. Pure
 * functions, no I/O.
 *
 * Statuses: "open" (waiting for the client), "submitted" (a file was
 * uploaded for it), "accepted" (staff took it; final). A rejection sends a
 * submitted request back to "open" with the reason kept, so "rejected" is
 * never a resting state.
 */
#ifndef DOCUMENT_REQUESTS_H
#define DOCUMENT_REQUESTS_H

#include <stdbool.h>

/* Longest title and description in bytes. */
#define DOC_REQUEST_TITLE_MAX 500
#define DOC_REQUEST_TEXT_MAX 10000

typedef enum {
    DOC_REQ_SUBMIT, /* a file was uploaded for it */
    DOC_REQ_ACCEPT,
    DOC_REQ_REJECT,
} doc_req_action_t;

/* True when s is an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional
 * fraction, then Z or +HH:MM/-HH:MM, with a real calendar date. */
bool doc_time_valid(const char *s);

/* Checks a new request's fields (description and due_at may be NULL).
 * Returns true, or false with *field and *why set to static strings. */
bool doc_request_valid(const char *title, const char *description, const char *due_at,
                       const char **field, const char **why);

/* The status after action on a request in status from, or NULL when the
 * action is not allowed there (answer 409): submit from open or submitted
 * (a newer file replaces the submission), accept from submitted, reject
 * from submitted (back to open). */
const char *doc_request_next(const char *from, doc_req_action_t action);

#endif
