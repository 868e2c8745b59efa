/* document_signatures_logic: the rules of signature and approval requests
 * and the line wrapping of their certificate. Pure functions, no I/O (the
 * measure of a text's width is the caller's callback).
 *
 * A request is "pending" until every signer signed ("completed"), one
 * declined ("declined"), or a new version of its document "voided" it; all
 * three are final. A signer is "pending", "signed" or "declined". When the
 * request is ordered, signer n may sign only after signers 1..n-1 signed.
 */
#ifndef DOCUMENT_SIGNATURES_LOGIC_H
#define DOCUMENT_SIGNATURES_LOGIC_H

#include <stdbool.h>
#include <stddef.h>

/* Most signers of one request, longest typed name, message and reason in
 * bytes. */
#define DOC_SIGN_MAX_SIGNERS 20
#define DOC_SIGN_NAME_MAX 200
#define DOC_SIGN_TEXT_MAX 5000

typedef enum {
    DOC_SIGN_SIGN,
    DOC_SIGN_DECLINE,
} doc_sign_action_t;

/* What an act of one signer meets. */
typedef enum {
    DOC_SIGN_OK,
    DOC_SIGN_NOT_SIGNER, /* the caller is not named: 403 */
    DOC_SIGN_CLOSED,     /* the request is completed, declined or voided: 409 */
    DOC_SIGN_DONE,       /* this signer already signed or declined: 409 */
    DOC_SIGN_NOT_TURN,   /* ordered, and an earlier signer has not signed: 409 */
} doc_sign_verdict_t;

/* Whether signer `me` (index into statuses, the signers' statuses in
 * position order, n of them; -1: the caller is not a signer) may do action
 * on a request in request_status. Declining is allowed out of turn (a later
 * signer may refuse early); signing is not when ordered. */
doc_sign_verdict_t doc_sign_may_act(const char *request_status, bool ordered,
                                    const char *const *statuses, size_t n, long me,
                                    doc_sign_action_t action);

/* The request status its signers' statuses make: "declined" when one
 * declined, "completed" when all signed, else "pending". */
const char *doc_sign_request_status(const char *const *statuses, size_t n);

/* True while a pending request waits on signer i: the signer is pending and,
 * when ordered, every earlier signer signed. */
bool doc_sign_turn(const char *request_status, bool ordered, const char *const *statuses, size_t n,
                   size_t i);

/* True for "signature" and "approval". */
bool doc_sign_kind_valid(const char *kind);

/* Checks a typed name: valid UTF-8, 1..DOC_SIGN_NAME_MAX bytes, not only
 * blanks, no control characters. Returns true, or false with *why (static). */
bool doc_sign_typed_name_valid(const char *s, const char **why);

/* Checks a free text (message, reason): valid UTF-8 of at most
 * DOC_SIGN_TEXT_MAX bytes; NULL is valid. Returns true or false. */
bool doc_sign_text_valid(const char *s);

/* One line of wrapped text: len bytes from offset off. */
typedef struct {
    size_t off, len;
} doc_sign_span_t;

/* Width of len bytes of s in the caller's unit (points, characters). */
typedef double (*doc_sign_measure_fn)(const char *s, size_t len, void *arg);

/* Wraps text (UTF-8) into lines no wider than width: a line breaks at the
 * last blank that keeps it within width, a word wider than a line (a hash,
 * a user agent) is cut between code points, a newline always breaks, and
 * blanks at a break are dropped. Every line holds at least one code point,
 * so a too-narrow width still terminates. Writes up to max spans and
 * returns the number of lines the whole text takes (may exceed max). */
size_t doc_sign_wrap(const char *text, double width, doc_sign_measure_fn measure, void *arg,
                     doc_sign_span_t *spans, size_t max);

/* Writes a random (version 4, RFC 9562) UUID in lower-case text form. */
void doc_sign_uuid(char out[37]);

#endif
