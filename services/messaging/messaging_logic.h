/* messaging_logic: the rules of threads and messages that need no I/O:
 * body, subject, about and mention checks, cursor keys, and who may do what.
 *
 * It does not touch the database or the principal, and never changes text:
 * a body that passes is stored byte for byte as it came.
 */
#ifndef MESSAGING_LOGIC_H
#define MESSAGING_LOGIC_H

#include <stdbool.h>
#include <stddef.h>

#define MESSAGING_BODY_MAX 20000  /* bytes of UTF-8 */
#define MESSAGING_SUBJECT_MAX 300 /* characters (code points) */
#define MESSAGING_MENTIONS_MAX 50

/* Outcome of messaging_body_check. */
typedef enum {
    MESSAGING_BODY_OK = 0,
    MESSAGING_BODY_EMPTY,    /* absent, empty or only blanks */
    MESSAGING_BODY_TOO_LONG, /* more than MESSAGING_BODY_MAX bytes */
    MESSAGING_BODY_NOT_UTF8, /* not well-formed UTF-8 */
} messaging_body_t;

/* Checks a message body. Blanks alone do not make a message. */
messaging_body_t messaging_body_check(const char *body);

/* The lower-case error message for a body outcome (static); NULL for OK. */
const char *messaging_body_error(messaging_body_t outcome);

/* Checks a thread subject: present, not only blanks, UTF-8, at most
 * MESSAGING_SUBJECT_MAX characters. Returns NULL when fine, else the error
 * message (static). */
const char *messaging_subject_error(const char *subject);

/* Checks an optional "about" reference (type, id both NULL: none). Returns
 * NULL when fine, else the error message (static) and *field ("about.type"
 * or "about.id"). */
const char *messaging_about_error(const char *type, const char *id, const char **field);

/* Checks mention ids (UUIDs, at most MESSAGING_MENTIONS_MAX after removing
 * repeats) and removes repeats in place (case-insensitive), updating *n.
 * Returns NULL when fine, else the error message (static). */
const char *messaging_mentions_check(char **ids, size_t *n);

/* True when key is a cursor key this service writes: a positive decimal
 * sequence number of at most 18 digits. */
bool messaging_seq_key_valid(const char *key);

/* What a caller may do in a client's threads. */
typedef enum {
    MESSAGING_OP_READ = 0, /* list and read threads and messages, mark read */
    MESSAGING_OP_WRITE,    /* start threads, post messages */
    MESSAGING_OP_EDIT,     /* edit or delete a message */
} messaging_op_t;

/* Whether the caller may do op. role is at_can_see_client's answer (NULL:
 * nothing; the caller answers 404); staff: at_is_staff; author: the caller
 * wrote the message (EDIT only). Viewers read and mark read only; staff,
 * client admins and members write; only a message's author edits or deletes
 * it, and only while they may still write. */
bool messaging_may(messaging_op_t op, const char *role, bool staff, bool author);

#endif
