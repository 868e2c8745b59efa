/* auth_mail: e-mail messages of the auth service (password reset) and the
 * two ways they leave: SMTP through libcurl, or an RFC 5322 .eml file in a
 * folder when no SMTP server is configured (development, tests).
 *
 * auth_mail_build is pure: it never lets CR or LF into a header (display
 * names and subjects have them, and every other control character, turned
 * into spaces; addresses that hold one are refused), quotes ASCII display
 * names and RFC 2047-encodes (UTF-8, base64) anything else, and encodes the
 * body quoted-printable, so no line of the message is over 76 characters
 * and a body line "." or "From " cannot matter.
 */
#ifndef AUTH_MAIL_H
#define AUTH_MAIL_H

#include <stdbool.h>
#include <time.h>

typedef struct {
    const char *from_addr; /* "atrium@example.com" */
    const char *from_name; /* may be NULL */
    const char *to_addr;
    const char *to_name; /* may be NULL */
    const char *subject; /* UTF-8 */
    const char *body;    /* UTF-8 text, \n or \r\n line ends */
    time_t date;
    const char *message_id; /* "<unique>@<host>" without the angle brackets */
} auth_mail_t;

/* True when addr is a usable bare address: 3 to 254 bytes, one @, nothing
 * at or below a space, no DEL and none of <>()[],;:\" */
bool auth_mail_addr_ok(const char *addr);

/* A display name or subject as header text (malloc'd): control characters
 * become spaces, blanks are trimmed; printable ASCII is returned as a
 * quoted-string when quote is true (display names) or as is (subjects);
 * anything else as RFC 2047 encoded-words (=?UTF-8?B?...?=, each at most
 * 75 characters, folded with CRLF SP). NULL on allocation failure. */
char *auth_mail_phrase(const char *text, bool quote);

/* The whole message, CRLF line ends, into *out (malloc'd). 0, or -1 when an
 * address or the message id is unusable (*out NULL). */
int auth_mail_build(const auth_mail_t *m, char **out);

/* Writes msg as <dir>/<name>.eml: a temporary file in dir, fsync, rename,
 * so a reader never sees half a message. dir is made (0700) if missing.
 * 0, or -1 with *err (malloc'd). */
int auth_mail_write_eml(const char *dir, const char *name, const char *msg, char **err);

/* Sends msg by SMTP to url (smtp://host:port, smtps://...) from `from` to
 * `to`. 0, or -1 with *err (malloc'd). */
int auth_mail_send_smtp(const char *url, const char *from, const char *to, const char *msg,
                        int timeout_s, char **err);

#endif
