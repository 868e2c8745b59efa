/* document_text: text extraction of stored files (see document_text.h). */
#include "document_text.h"
#include "at_text.h"
#include <errno.h>
#include <fcntl.h>
#include <poppler.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *text;
    size_t len, cap;
} s_text_t;

/* The length of the longest prefix of s (len bytes) that does not end in
 * the middle of a UTF-8 sequence. */
static size_t s_utf8_cut(const char *s, size_t len)
{
    size_t i = len;
    while (i > 0 && len - i < 4 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    unsigned char lead = (unsigned char) s[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (i - 1) >= need ? len : i - 1;
}

/* Appends up to DOC_TEXT_MAX_BYTES in all; false once full. */
static bool s_append(s_text_t *t, const char *s, size_t n)
{
    if (t->len + n > DOC_TEXT_MAX_BYTES)
        n = s_utf8_cut(s, DOC_TEXT_MAX_BYTES - t->len);
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->text = realloc(t->text, cap);
        if (!t->text)
            abort();
        t->cap = cap;
    }
    memcpy(t->text + t->len, s, n);
    t->len += n;
    t->text[t->len] = 0;
    return t->len < DOC_TEXT_MAX_BYTES;
}

/* The text of the first DOC_TEXT_MAX_PAGES pages. 1: not a PDF poppler
 * can open (broken, encrypted): no text, for good. */
static int s_pdf(const char *path, s_text_t *out, const char **why)
{
    if (access(path, R_OK) != 0) { /* missing or unreadable: worth another try */
        *why = "the blob cannot be read";
        return -1;
    }
    GError *err = NULL;
    char *uri = g_filename_to_uri(path, NULL, &err);
    if (!uri) {
        g_clear_error(&err);
        *why = "the blob path is not a file name";
        return -1;
    }
    PopplerDocument *doc = poppler_document_new_from_file(uri, NULL, &err);
    g_free(uri);
    if (!doc) {
        g_clear_error(&err);
        *why = "poppler cannot open the PDF";
        return 1;
    }
    int pages = poppler_document_get_n_pages(doc);
    bool room = true;
    for (int i = 0; i < pages && i < DOC_TEXT_MAX_PAGES && room; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page)
            continue;
        char *t = poppler_page_get_text(page);
        if (t) {
            if (!g_utf8_validate(t, -1, NULL)) {
                char *valid = g_utf8_make_valid(t, -1);
                g_free(t);
                t = valid;
            }
            room = s_append(out, t, strlen(t)) && s_append(out, "\n", 1);
            g_free(t);
        }
        g_object_unref(page);
    }
    g_object_unref(doc);
    return 0;
}

/* A UTF-8 text file's first DOC_TEXT_MAX_BYTES. 1: not UTF-8 text. */
static int s_plain(const char *path, s_text_t *out, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *why = "the blob cannot be opened";
        return -1;
    }
    size_t cap = DOC_TEXT_MAX_BYTES, len = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        abort();
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            free(buf);
            *why = "the blob cannot be read";
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    char probe;
    bool more = read(fd, &probe, 1) == 1;
    close(fd);
    if (more)
        len = s_utf8_cut(buf, len);
    buf[len] = 0;
    size_t start = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* BOM */
    if (memchr(buf, 0, len) || at_text_utf8_length(buf + start) < 0) {
        free(buf);
        *why = "not UTF-8 text";
        return 1;
    }
    s_append(out, buf + start, len - start);
    free(buf);
    return 0;
}

int doc_text_extract(const char *path, const char *content_type, char **text, size_t *len,
                     const char **why)
{
    s_text_t t = {0};
    s_append(&t, "", 0);
    int rc = 0;
    const char *ct = content_type ? content_type : "";
    if (strncmp(ct, "application/pdf", 15) == 0)
        rc = s_pdf(path, &t, why);
    else if (strncmp(ct, "text/plain", 10) == 0 || strncmp(ct, "text/csv", 8) == 0)
        rc = s_plain(path, &t, why);
    if (rc < 0) {
        free(t.text);
        return -1;
    }
    if (rc > 0)
        t.len = 0, t.text[0] = 0;
    *text = t.text;
    *len = t.len;
    return 0;
}
