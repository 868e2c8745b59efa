/* auth_branding: branding rules (see auth_branding.h). */
#include "auth_branding.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

const char *const auth_branding_sections[] = {
    "new_since_last_login", "tasks_due", "unread_threads", "pending_signatures", "open_invoices",
    "recent_activity",      NULL,
};

static const struct {
    const char *key, *label;
} s_labels[] = {
    {"client", "Client"},
    {"clients", "Clients"},
    {"document", "Document"},
    {"documents", "Documents"},
    {"task", "Task"},
    {"tasks", "Tasks"},
    {"thread", "Thread"},
    {"threads", "Threads"},
    {"message", "Message"},
    {"messages", "Messages"},
    {"invoice", "Invoice"},
    {"invoices", "Invoices"},
    {"folder", "Folder"},
    {"folders", "Folders"},
    {"request", "Request"},
    {"requests", "Requests"},
    {"project", "Project"},
    {"projects", "Projects"},
    {NULL, NULL},
};

const char *auth_branding_label_default(const char *key)
{
    for (size_t i = 0; key && s_labels[i].key; i++)
        if (strcmp(s_labels[i].key, key) == 0)
            return s_labels[i].label;
    return NULL;
}

bool auth_branding_color_ok(const char *s)
{
    if (!s || strlen(s) != 7 || s[0] != '#')
        return false;
    for (int i = 1; i < 7; i++)
        if (!isxdigit((unsigned char) s[i]))
            return false;
    return true;
}

bool auth_branding_logo_ok(const char *s)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    if (len == 0 || len > AUTH_BRANDING_URL_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' ||
            c == '`')
            return false;
    }
    if (strncmp(s, "https://", 8) == 0) {
        const char *host = s + 8;
        size_t hl = strcspn(host, "/?#");
        return hl > 0 && host[0] != '@' && host[0] != ':';
    }
    /* same origin: an absolute path, never "//host" (scheme-relative) */
    return s[0] == '/' && s[1] != '/';
}

char *auth_branding_text(at_arena_t *arena, const char *s, size_t max_chars)
{
    if (!s)
        return NULL;
    while (*s && isspace((unsigned char) *s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char) s[len - 1]))
        len--;
    if (!len || u8_check((const uint8_t *) s, len))
        return NULL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
            return NULL;
    size_t nlen = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *) s, len, NULL, &nlen);
    if (!nfc)
        return NULL;
    char *out = NULL;
    if (u8_mbsnlen(nfc, nlen) <= max_chars)
        out = at_arena_strndup(arena, (const char *) nfc, nlen);
    free(nfc);
    return out;
}

int auth_branding_sections_bad(const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t k = 0; auth_branding_sections[k] && list[i]; k++)
            known |= strcmp(auth_branding_sections[k], list[i]) == 0;
        if (!known)
            return (int) i;
        for (size_t j = 0; j < i; j++)
            if (strcmp(list[j], list[i]) == 0)
                return (int) i;
    }
    return -1;
}
