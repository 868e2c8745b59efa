/* auth_mail: see auth_mail.h. */
#include "auth_mail.h"
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_EW_CHUNK 45 /* bytes per encoded-word: 60 base64 chars + 12 = 72 <= 75 */

bool auth_mail_addr_ok(const char *addr)
{
    if (!addr)
        return false;
    size_t len = strlen(addr);
    const char *at = strchr(addr, '@');
    if (len < 3 || len > 254 || !at || at == addr || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const unsigned char *c = (const unsigned char *) addr; *c; c++)
        if (*c <= 0x20 || *c == 0x7f || strchr("<>()[],;:\\\"", *c))
            return false;
    return true;
}

/* text with control characters as spaces and blanks trimmed (malloc'd). */
static char *s_sanitise(const char *text)
{
    if (!text)
        text = "";
    while (*text && ((unsigned char) *text <= 0x20 || *text == 0x7f))
        text++;
    char *s = strdup(text);
    if (!s)
        return NULL;
    for (unsigned char *c = (unsigned char *) s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = ' ';
    size_t len = strlen(s);
    while (len && s[len - 1] == ' ')
        s[--len] = '\0';
    return s;
}

char *auth_mail_phrase(const char *text, bool quote)
{
    char *s = s_sanitise(text);
    if (!s)
        return NULL;
    bool ascii = true;
    for (const unsigned char *c = (const unsigned char *) s; *c; c++)
        if (*c >= 0x80)
            ascii = false;
    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    if (!f) {
        free(s);
        return NULL;
    }
    if (ascii && !quote) {
        fputs(s, f);
    } else if (ascii) {
        fputc('"', f);
        for (const char *c = s; *c; c++) {
            if (*c == '"' || *c == '\\')
                fputc('\\', f);
            fputc(*c, f);
        }
        fputc('"', f);
    } else {
        /* encoded-words of whole UTF-8 characters */
        size_t len = strlen(s), i = 0;
        bool first = true;
        while (i < len) {
            size_t n = len - i < S_EW_CHUNK ? len - i : S_EW_CHUNK;
            while (n < len - i && n > 1 && ((unsigned char) s[i + n] & 0xC0) == 0x80)
                n--; /* do not split a character */
            unsigned char b64[4 * ((S_EW_CHUNK + 2) / 3) + 1];
            EVP_EncodeBlock(b64, (const unsigned char *) s + i, (int) n);
            fprintf(f, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", (const char *) b64);
            first = false;
            i += n;
        }
    }
    free(s);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* quoted-printable (RFC 2045 6.7) of body with CRLF line ends */
static void s_qp(FILE *f, const char *body)
{
    int col = 0;
    for (const unsigned char *c = (const unsigned char *) body; *c; c++) {
        if (*c == '\r' && c[1] == '\n')
            continue;
        if (*c == '\n') {
            fputs("\r\n", f);
            col = 0;
            continue;
        }
        bool next_is_eol = !c[1] || c[1] == '\n' || (c[1] == '\r' && c[2] == '\n');
        bool plain =
            (*c >= 33 && *c <= 126 && *c != '=') || ((*c == ' ' || *c == '\t') && !next_is_eol);
        /* a "." or "F" at a line start is encoded too: no SMTP dot or mbox
         * "From " line can arise */
        if (col == 0 && (*c == '.' || *c == 'F'))
            plain = false;
        int width = plain ? 1 : 3;
        if (col + width > 75) {
            fputs("=\r\n", f);
            col = 0;
            if (*c == '.' || *c == 'F')
                plain = false, width = 3;
        }
        if (plain)
            fputc(*c, f);
        else
            fprintf(f, "=%02X", *c);
        col += width;
    }
    if (col)
        fputs("\r\n", f);
}

int auth_mail_build(const auth_mail_t *m, char **out)
{
    *out = NULL;
    if (!auth_mail_addr_ok(m->from_addr) || !auth_mail_addr_ok(m->to_addr) ||
        !auth_mail_addr_ok(m->message_id))
        return -1;
    char *from_name = m->from_name ? auth_mail_phrase(m->from_name, true) : NULL;
    char *to_name = m->to_name ? auth_mail_phrase(m->to_name, true) : NULL;
    char *subject = auth_mail_phrase(m->subject, false);
    char *buf = NULL;
    size_t buf_len = 0;
    FILE *f = subject ? open_memstream(&buf, &buf_len) : NULL;
    int rc = -1;
    if (!f)
        goto cleanup;
    char date[64];
    struct tm tm;
    gmtime_r(&m->date, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    fprintf(f, "Date: %s\r\n", date);
    if (from_name && *from_name && strcmp(from_name, "\"\"") != 0)
        fprintf(f, "From: %s <%s>\r\n", from_name, m->from_addr);
    else
        fprintf(f, "From: <%s>\r\n", m->from_addr);
    if (to_name && *to_name && strcmp(to_name, "\"\"") != 0)
        fprintf(f, "To: %s <%s>\r\n", to_name, m->to_addr);
    else
        fprintf(f, "To: <%s>\r\n", m->to_addr);
    fprintf(f, "Subject: %s\r\n", subject);
    fprintf(f, "Message-ID: <%s>\r\n", m->message_id);
    fputs("MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: quoted-printable\r\n"
          "\r\n",
          f);
    s_qp(f, m->body ? m->body : "");
    if (fclose(f) != 0) {
        free(buf);
        buf = NULL;
        goto cleanup;
    }
    *out = buf;
    rc = 0;
cleanup:
    free(from_name);
    free(to_name);
    free(subject);
    return rc;
}

/* -- delivery ------------------------------------------------------------ */

static int s_err(char **err, const char *fmt, const char *a, const char *b)
{
    if (asprintf(err, fmt, a, b) < 0)
        *err = NULL;
    return -1;
}

int auth_mail_write_eml(const char *dir, const char *name, const char *msg, char **err)
{
    *err = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return s_err(err, "cannot make %s: %s", dir, strerror(errno));
    char *tmp = NULL, *final = NULL;
    int rc = -1, fd = -1;
    if (asprintf(&tmp, "%s/.%s.eml.tmp", dir, name) < 0 ||
        asprintf(&final, "%s/%s.eml", dir, name) < 0) {
        s_err(err, "out of memory%s%s", "", "");
        goto cleanup;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        s_err(err, "cannot write %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    size_t len = strlen(msg), done = 0;
    while (done < len) {
        ssize_t n = write(fd, msg + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            s_err(err, "cannot write %s: %s", tmp, strerror(errno));
            goto cleanup;
        }
        done += (size_t) n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        s_err(err, "cannot write %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, final) != 0) {
        s_err(err, "cannot rename to %s: %s", final, strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && tmp)
        unlink(tmp);
    free(tmp);
    free(final);
    return rc;
}

typedef struct {
    const char *data;
    size_t len, pos;
} s_reader_t;

static size_t s_read(char *ptr, size_t size, size_t nmemb, void *userp)
{
    s_reader_t *r = userp;
    size_t room = size * nmemb, left = r->len - r->pos;
    size_t n = left < room ? left : room;
    memcpy(ptr, r->data + r->pos, n);
    r->pos += n;
    return n;
}

int auth_mail_send_smtp(const char *url, const char *from, const char *to, const char *msg,
                        int timeout_s, char **err)
{
    *err = NULL;
    CURL *curl = curl_easy_init();
    if (!curl)
        return s_err(err, "libcurl does not start%s%s", "", "");
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    s_reader_t reader = {msg, strlen(msg), 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) timeout_s);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK)
        return s_err(err, "smtp: %s%s", *errbuf ? errbuf : curl_easy_strerror(rc), "");
    return 0;
}
