/* document_requests: validation and status moves of document requests. */
#include "document_requests.h"
#include "document_names.h"
#include <string.h>

static bool s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int s_month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool doc_time_valid(const char *s)
{
    int y, mo, d, h, mi, sec;
    if (!s || strlen(s) < 20)
        return false;
    if (!s_digits(s, 4, &y) || s[4] != '-' || !s_digits(s + 5, 2, &mo) || s[7] != '-' ||
        !s_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !s_digits(s + 11, 2, &h) ||
        s[13] != ':' || !s_digits(s + 14, 2, &mi) || s[16] != ':' || !s_digits(s + 17, 2, &sec))
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > s_month_days(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == 0;
    int oh, om;
    return (*p == '+' || *p == '-') && s_digits(p + 1, 2, &oh) && p[3] == ':' &&
           s_digits(p + 4, 2, &om) && oh <= 23 && om <= 59 && p[6] == 0;
}

bool doc_request_valid(const char *title, const char *description, const char *due_at,
                       const char **field, const char **why)
{
    *field = NULL;
    *why = NULL;
    if (!title || !*title) {
        *field = "title";
        *why = "title is required";
        return false;
    }
    size_t tl = strlen(title);
    if (tl > DOC_REQUEST_TITLE_MAX || !doc_utf8_valid((const unsigned char *) title, tl)) {
        *field = "title";
        *why = "title must be valid UTF-8 of at most 500 bytes";
        return false;
    }
    if (description) {
        size_t dl = strlen(description);
        if (dl > DOC_REQUEST_TEXT_MAX || !doc_utf8_valid((const unsigned char *) description, dl)) {
            *field = "description";
            *why = "description must be valid UTF-8 of at most 10000 bytes";
            return false;
        }
    }
    if (due_at && *due_at && !doc_time_valid(due_at)) {
        *field = "due_at";
        *why = "due_at must be an RFC 3339 time such as 2026-11-29T20:30:00Z";
        return false;
    }
    return true;
}

const char *doc_request_next(const char *from, doc_req_action_t action)
{
    if (!from)
        return NULL;
    bool open = strcmp(from, "open") == 0, submitted = strcmp(from, "submitted") == 0;
    switch (action) {
    case DOC_REQ_SUBMIT: return open || submitted ? "submitted" : NULL;
    case DOC_REQ_ACCEPT: return submitted ? "accepted" : NULL;
    case DOC_REQ_REJECT: return submitted ? "open" : NULL;
    }
    return NULL;
}
