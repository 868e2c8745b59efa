/* document_names: name rules and search patterns; no I/O, no allocation. */
#include "document_names.h"
#include <string.h>

bool doc_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return false; /* continuation byte, C0/C1 overlong lead or > U+10FFFF */
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

bool doc_name_valid(const char *name, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!name || !*name) {
        *why = "name must not be empty";
        return false;
    }
    size_t len = strlen(name);
    if (len > DOC_NAME_MAX) {
        *why = "name must be at most 255 bytes";
        return false;
    }
    const unsigned char *s = (const unsigned char *) name;
    if (!doc_utf8_valid(s, len)) {
        *why = "name must be valid utf-8";
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7F) {
            *why = "name must not contain control characters";
            return false;
        }
        /* C1 controls U+0080..U+009F are encoded C2 80..C2 9F */
        if (s[i] == 0xC2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F) {
            *why = "name must not contain control characters";
            return false;
        }
        if (s[i] == '/') {
            *why = "name must not contain \"/\"";
            return false;
        }
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        *why = "name must not be \".\" or \"..\"";
        return false;
    }
    return true;
}

int doc_like_pattern(const char *q, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return -1;
    out[0] = 0;
    if (!q)
        q = "";
    if (o + 1 >= cap)
        return -1;
    out[o++] = '%';
    for (const char *p = q; *p; p++) {
        bool esc = *p == '\\' || *p == '%' || *p == '_';
        if (o + (esc ? 2 : 1) + 1 >= cap) {
            out[0] = 0;
            return -1;
        }
        if (esc)
            out[o++] = '\\';
        out[o++] = *p;
    }
    if (o + 1 >= cap) {
        out[0] = 0;
        return -1;
    }
    out[o++] = '%';
    out[o] = 0;
    return (int) o;
}

bool doc_is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}
