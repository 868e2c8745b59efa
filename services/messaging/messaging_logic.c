/* messaging_logic: message and thread rules without I/O (see the header). */
#include "messaging_logic.h"
#include "at_text.h"
#include <string.h>
#include <strings.h>

messaging_body_t messaging_body_check(const char *body)
{
    if (!at_text_has_text(body))
        return MESSAGING_BODY_EMPTY;
    if (strlen(body) > MESSAGING_BODY_MAX)
        return MESSAGING_BODY_TOO_LONG;
    if (at_text_utf8_length(body) < 0)
        return MESSAGING_BODY_NOT_UTF8;
    return MESSAGING_BODY_OK;
}

const char *messaging_body_error(messaging_body_t outcome)
{
    switch (outcome) {
    case MESSAGING_BODY_OK: return NULL;
    case MESSAGING_BODY_EMPTY: return "body must not be empty";
    case MESSAGING_BODY_TOO_LONG: return "body must be at most 20000 bytes";
    case MESSAGING_BODY_NOT_UTF8: return "body must be UTF-8 text";
    }
    return "body is not valid";
}

const char *messaging_subject_error(const char *subject)
{
    if (!at_text_has_text(subject))
        return "subject must not be empty";
    long n = at_text_utf8_length(subject);
    if (n < 0)
        return "subject must be UTF-8 text";
    if (n > MESSAGING_SUBJECT_MAX)
        return "subject must be at most 300 characters";
    return NULL;
}

const char *messaging_about_error(const char *type, const char *id, const char **field)
{
    if (!type && !id)
        return NULL;
    if (!type || (strcmp(type, "document") != 0 && strcmp(type, "task") != 0)) {
        *field = "about.type";
        return "about.type must be document or task";
    }
    if (!at_text_uuid(id)) {
        *field = "about.id";
        return "about.id is not a valid id";
    }
    return NULL;
}

const char *messaging_mentions_check(char **ids, size_t *n)
{
    size_t out = 0;
    for (size_t i = 0; i < *n; i++) {
        if (!at_text_uuid(ids[i]))
            return "mention_ids holds an id that is not valid";
        bool seen = false;
        for (size_t j = 0; j < out && !seen; j++)
            seen = strcasecmp(ids[j], ids[i]) == 0;
        if (!seen)
            ids[out++] = ids[i];
    }
    if (out > MESSAGING_MENTIONS_MAX)
        return "a message mentions at most 50 people";
    *n = out;
    return NULL;
}

bool messaging_seq_key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > 18 || key[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++)
        if (key[i] < '0' || key[i] > '9')
            return false;
    return true;
}

bool messaging_may(messaging_op_t op, const char *role, bool staff, bool author)
{
    if (!role)
        return false;
    if (op == MESSAGING_OP_READ)
        return true;
    bool writer = staff || strcmp(role, "admin") == 0 || strcmp(role, "member") == 0;
    if (op == MESSAGING_OP_WRITE)
        return writer;
    return writer && author;
}
