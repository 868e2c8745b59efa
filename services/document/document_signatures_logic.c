/* document_signatures_logic: signature request rules and certificate line
 * wrapping (see header). */
#include "document_signatures_logic.h"
#include "document_names.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static bool s_is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

doc_sign_verdict_t doc_sign_may_act(const char *request_status, bool ordered,
                                    const char *const *statuses, size_t n, long me,
                                    doc_sign_action_t action)
{
    if (me < 0 || (size_t) me >= n)
        return DOC_SIGN_NOT_SIGNER;
    if (!s_is(request_status, "pending"))
        return DOC_SIGN_CLOSED;
    if (!s_is(statuses[me], "pending"))
        return DOC_SIGN_DONE;
    if (action == DOC_SIGN_SIGN &&
        !doc_sign_turn(request_status, ordered, statuses, n, (size_t) me))
        return DOC_SIGN_NOT_TURN;
    return DOC_SIGN_OK;
}

const char *doc_sign_request_status(const char *const *statuses, size_t n)
{
    bool all = n > 0;
    for (size_t i = 0; i < n; i++) {
        if (s_is(statuses[i], "declined"))
            return "declined";
        all = all && s_is(statuses[i], "signed");
    }
    return all ? "completed" : "pending";
}

bool doc_sign_turn(const char *request_status, bool ordered, const char *const *statuses, size_t n,
                   size_t i)
{
    if (!s_is(request_status, "pending") || i >= n || !s_is(statuses[i], "pending"))
        return false;
    for (size_t k = 0; ordered && k < i; k++)
        if (!s_is(statuses[k], "signed"))
            return false;
    return true;
}

bool doc_sign_kind_valid(const char *kind)
{
    return s_is(kind, "signature") || s_is(kind, "approval");
}

bool doc_sign_typed_name_valid(const char *s, const char **why)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || strspn(s, " \t") == len) {
        *why = "typed_name is required";
        return false;
    }
    if (len > DOC_SIGN_NAME_MAX || !doc_utf8_valid((const unsigned char *) s, len)) {
        *why = "typed_name must be valid UTF-8 of at most 200 bytes";
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        /* C0, DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F) */
        if (c < 0x20 || c == 0x7f ||
            (c == 0xc2 && i + 1 < len && (unsigned char) s[i + 1] >= 0x80 &&
             (unsigned char) s[i + 1] <= 0x9f)) {
            *why = "typed_name must not hold control characters";
            return false;
        }
    }
    return true;
}

bool doc_sign_text_valid(const char *s)
{
    if (!s)
        return true;
    size_t len = strlen(s);
    return len <= DOC_SIGN_TEXT_MAX && doc_utf8_valid((const unsigned char *) s, len);
}

/* Bytes of the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t s_cp_len(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

size_t doc_sign_wrap(const char *text, double width, doc_sign_measure_fn measure, void *arg,
                     doc_sign_span_t *spans, size_t max)
{
    size_t lines = 0, len = text ? strlen(text) : 0, pos = 0;
    while (pos < len) {
        if (text[pos] == '\n') { /* an empty line of its own */
            if (lines < max)
                spans[lines] = (doc_sign_span_t){pos, 0};
            lines++;
            pos++;
            continue;
        }
        size_t end = pos, last_blank = 0;
        bool blank_seen = false;
        while (end < len && text[end] != '\n') {
            size_t step = s_cp_len((unsigned char) text[end]);
            if (end + step > len)
                step = len - end;
            if (measure(text + pos, end + step - pos, arg) > width && end > pos)
                break;
            if (text[end] == ' ') {
                last_blank = end;
                blank_seen = true;
            }
            end += step;
        }
        size_t line_end = end, next = end;
        if (end < len && text[end] != '\n' && text[end] != ' ' && blank_seen && last_blank > pos) {
            line_end = last_blank; /* break at the last blank that fits */
            next = last_blank;
        }
        while (line_end > pos && text[line_end - 1] == ' ')
            line_end--;
        if (lines < max)
            spans[lines] = (doc_sign_span_t){pos, line_end - pos};
        lines++;
        while (next < len && text[next] == ' ')
            next++;
        if (next < len && text[next] == '\n')
            next++; /* the newline ended this line */
        pos = next;
    }
    return lines;
}

void doc_sign_uuid(char out[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
