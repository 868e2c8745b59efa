/* document_sniff: magic numbers, a walk over ZIP local headers, UTF-8 text. */
#include "document_sniff.h"
#include "document_names.h"
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define T_OCTET "application/octet-stream"

static bool s_starts(const unsigned char *buf, size_t len, const void *magic, size_t mlen)
{
    return len >= mlen && memcmp(buf, magic, mlen) == 0;
}

static uint32_t s_le16(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8;
}

static uint32_t s_le32(const unsigned char *p)
{
    return s_le16(p) | s_le16(p + 2) << 16;
}

static bool s_name_is(const unsigned char *n, size_t nlen, const char *s)
{
    return nlen == strlen(s) && memcmp(n, s, nlen) == 0;
}

static bool s_name_has_prefix(const unsigned char *n, size_t nlen, const char *s)
{
    size_t l = strlen(s);
    return nlen >= l && memcmp(n, s, l) == 0;
}

/* Walks the local file headers (APPNOTE.TXT 4.3.7) that lie within buf.
 * OOXML packages hold [Content_Types].xml and word/, xl/ or ppt/ parts;
 * OpenDocument starts with an uncompressed "mimetype" entry (ODF 1.2 part 3
 * §3.3). An entry with a data descriptor (bit 3) hides its size, which ends
 * the walk. */
static const char *s_zip(const unsigned char *buf, size_t len)
{
    static const char *const odf[] = {
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    };
    static const struct {
        const char *prefix, *type;
    } ooxml[] = {
        {"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    };
    bool content_types = false;
    const char *office = NULL;
    size_t off = 0;
    for (int entries = 0; entries < 256 && off + 30 <= len; entries++) {
        const unsigned char *h = buf + off;
        if (s_le32(h) != 0x04034b50)
            break;
        uint32_t flags = s_le16(h + 6), method = s_le16(h + 8);
        uint32_t csize = s_le32(h + 18), nlen = s_le16(h + 26), xlen = s_le16(h + 28);
        if (off + 30 + nlen > len)
            break;
        const unsigned char *n = h + 30;
        if (entries == 0 && method == 0 && s_name_is(n, nlen, "mimetype")) {
            size_t doff = off + 30 + nlen + xlen;
            for (size_t i = 0; i < sizeof odf / sizeof odf[0]; i++) {
                size_t ml = strlen(odf[i]);
                if (csize == ml && doff + ml <= len && memcmp(buf + doff, odf[i], ml) == 0)
                    return odf[i];
            }
        }
        if (s_name_is(n, nlen, "[Content_Types].xml"))
            content_types = true;
        for (size_t i = 0; !office && i < sizeof ooxml / sizeof ooxml[0]; i++)
            if (s_name_has_prefix(n, nlen, ooxml[i].prefix))
                office = ooxml[i].type;
        if (content_types && office)
            return office;
        if (flags & 0x08)
            break;
        off += 30 + (size_t) nlen + xlen + csize;
    }
    return "application/zip";
}

static const char *s_ext(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    return dot ? dot + 1 : "";
}

/* Text: valid UTF-8 without NUL or control characters other than tab, line
 * feed, form feed and carriage return (and an optional byte order mark). */
static bool s_text(const unsigned char *buf, size_t len, bool truncated)
{
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        buf += 3, len -= 3;
    for (size_t i = 0; i < len; i++)
        if ((buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\f' &&
             buf[i] != '\r') ||
            buf[i] == 0x7F)
            return false;
    if (doc_utf8_valid(buf, len))
        return true;
    if (!truncated)
        return false;
    /* a multi-byte sequence may be cut by the end of the sample */
    for (size_t cut = 1; cut <= 3 && cut <= len; cut++)
        if (doc_utf8_valid(buf, len - cut))
            return (buf[len - cut] & 0xC0) == 0xC0;
    return false;
}

const char *doc_sniff(const unsigned char *buf, size_t len, bool truncated, const char *name)
{
    if (!buf || len == 0)
        return T_OCTET;
    if (s_starts(buf, len, "%PDF-", 5))
        return "application/pdf";
    if (s_starts(buf, len, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (s_starts(buf, len, "\xFF\xD8\xFF", 3))
        return "image/jpeg";
    if (s_starts(buf, len, "GIF87a", 6) || s_starts(buf, len, "GIF89a", 6))
        return "image/gif";
    if (len >= 12 && memcmp(buf, "RIFF", 4) == 0 && memcmp(buf + 8, "WEBP", 4) == 0)
        return "image/webp";
    if (s_starts(buf, len, "PK\x03\x04", 4))
        return s_zip(buf, len);
    if (s_starts(buf, len, "PK\x05\x06", 4))
        return "application/zip"; /* an empty archive */
    if (s_starts(buf, len, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) {
        /* the compound file format (MS-CFB) carries .doc, .xls and .ppt alike */
        const char *ext = s_ext(name);
        if (strcasecmp(ext, "doc") == 0)
            return "application/msword";
        if (strcasecmp(ext, "xls") == 0)
            return "application/vnd.ms-excel";
        if (strcasecmp(ext, "ppt") == 0)
            return "application/vnd.ms-powerpoint";
        return T_OCTET;
    }
    if (s_text(buf, len, truncated))
        return "text/plain; charset=utf-8";
    return T_OCTET;
}

bool doc_sniff_previewable(const char *content_type)
{
    static const char *const ok[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
                                     "application/pdf"};
    if (!content_type)
        return false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(content_type, ok[i]) == 0)
            return true;
    return false;
}
