/* at_pbjson: JSON (jansson) <-> protobuf-c, driven by descriptors through one
 * table of rules per field type (s_rules).
 *
 * It deliberately does not: enforce required fields on decode (the gateway
 * adds path parameters after decoding; protobuf_c_message_check does that),
 * produce proto3 canonical JSON (no camelCase names, no int64 as strings),
 * keep unknown JSON members, or log. Out-of-memory aborts.
 */
#include "at_pbjson.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MEMBER(msg, offset) ((void *) ((char *) (msg) + (offset)))

/* ---- memory ------------------------------------------------------------ */

static void *s_sys_alloc(void *data, size_t size)
{
    (void) data;
    void *p = malloc(size);
    if (!p)
        abort();
    return p;
}

static void s_sys_free(void *data, void *ptr)
{
    (void) data;
    free(ptr);
}

/* malloc/free, so protobuf_c_message_free_unpacked(msg, NULL) frees what we
 * built with it. */
static const ProtobufCAllocator s_sys = {s_sys_alloc, s_sys_free, NULL};

/* Zeroed memory from a; a zeroed field is one free_unpacked can walk. */
static void *s_new(const ProtobufCAllocator *a, size_t size)
{
    void *p = a->alloc(a->allocator_data, size ? size : 1);
    if (!p)
        abort();
    memset(p, 0, size);
    return p;
}

static void s_release(const ProtobufCAllocator *a, void *p)
{
    if (p)
        a->free(a->allocator_data, p);
}

static char *s_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_xprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *s = NULL;
    int rc = vasprintf(&s, fmt, args);
    va_end(args);
    if (rc < 0)
        abort();
    return s;
}

static json_t *s_json(json_t *j)
{
    if (!j)
        abort(); /* jansson returns NULL only when malloc failed here */
    return j;
}

/* ---- text helpers ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if there is none. */
static size_t s_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A string we accept: valid UTF-8 and no NUL (C strings would cut it). */
static bool s_text_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    for (size_t i = 0; i < len;) {
        size_t k = p[i] ? s_utf8_seq(p + i, len - i) : 0;
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

static char *s_copy(const ProtobufCAllocator *a, const char *s, size_t len)
{
    char *copy = s_new(a, len + 1);
    memcpy(copy, s, len);
    return copy;
}

/* Encoding must not fail on a stored string that is not UTF-8 (jansson
 * refuses those), so bad bytes become U+FFFD. */
static json_t *s_json_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t len = strlen(s);
    char *buf = s_sys_alloc(NULL, len * 3 + 1);
    size_t out = 0;
    for (size_t i = 0; i < len;) {
        size_t k = s_utf8_seq((const unsigned char *) s + i, len - i);
        if (k) {
            memcpy(buf + out, s + i, k);
            out += k;
            i += k;
        } else {
            memcpy(buf + out, "\xEF\xBF\xBD", 3);
            out += 3;
            i++;
        }
    }
    j = s_json(json_stringn(buf, out));
    free(buf);
    return j;
}

static char s_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Base 10, the whole text, no blanks or '+': what a URL parameter holds. */
static int s_parse_signed(const char *text, long long *out)
{
    if (!(s_digit(text[0]) || (text[0] == '-' && s_digit(text[1]))))
        return -1;
    char *end;
    errno = 0;
    *out = strtoll(text, &end, 10);
    return errno || *end ? -1 : 0;
}

static int s_parse_unsigned(const char *text, unsigned long long *out)
{
    if (!s_digit(text[0]))
        return -1; /* strtoull would take "-1" as ULLONG_MAX */
    char *end;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return errno || *end ? -1 : 0;
}

static int s_parse_double(const char *text, double *out)
{
    if (!(s_digit(text[0]) || text[0] == '-' || text[0] == '.') || strpbrk(text, "xX"))
        return -1; /* no blanks, '+', "nan", "inf" or hex */
    char *end;
    *out = strtod(text, &end);
    return end == text || *end || !isfinite(*out) ? -1 : 0;
}

/* ---- base64 (OpenSSL does the coding; we only check the alphabet) ------ */

static bool s_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || s_digit(c) || c == '+' || c == '/';
}

/* Standard base64 with padding (RFC 4648 §4). EVP_DecodeBlock alone would
 * accept surrounding blanks and '=' inside the text, and counts padding as
 * output bytes, so both are handled here. */
static int s_b64_decode(const char *s, size_t len, const ProtobufCAllocator *a,
                        ProtobufCBinaryData *out)
{
    if (len % 4 || len > INT_MAX)
        return -1;
    size_t pad = 0;
    if (len && s[len - 1] == '=')
        pad = len > 1 && s[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - pad; i++)
        if (!s_b64_char(s[i]))
            return -1;
    if (len == 0) {
        out->len = 0;
        out->data = NULL;
        return 0;
    }
    uint8_t *buf = s_new(a, len / 4 * 3);
    int n = EVP_DecodeBlock(buf, (const unsigned char *) s, (int) len);
    if (n < 0 || (size_t) n < pad) {
        s_release(a, buf);
        return -1;
    }
    out->len = (size_t) n - pad;
    out->data = buf;
    return 0;
}

static json_t *s_b64_encode(const ProtobufCBinaryData *bd)
{
    if (bd->len == 0)
        return s_json(json_string(""));
    if (bd->len > (size_t) INT_MAX / 4 * 3)
        return json_null(); /* beyond EVP's int; no reply carries that */
    size_t cap = (bd->len + 2) / 3 * 4 + 1;
    unsigned char *buf = s_sys_alloc(NULL, cap);
    int n = EVP_EncodeBlock(buf, bd->data, (int) bd->len);
    json_t *j = s_json(json_stringn((const char *) buf, (size_t) n));
    free(buf);
    return j;
}

/* ---- the rules, one set per field type -------------------------------- */

/* from_json/from_text write one value into dst (a field or an array slot)
 * only on success and return 0, or return -1. from_json of a message may
 * set *err to the path inside it. to_json returns a new reference. */
typedef struct {
    size_t size;
    int (*from_json)(const ProtobufCFieldDescriptor *f, json_t *v, const ProtobufCAllocator *a,
                     void *dst, char **err);
    int (*from_text)(const ProtobufCFieldDescriptor *f, const char *text,
                     const ProtobufCAllocator *a, void *dst);
    json_t *(*to_json)(const ProtobufCFieldDescriptor *f, const void *src,
                       const char *const *null_fields);
} s_rule_t;

static int s_i32_put(long long v, void *dst)
{
    if (v < INT32_MIN || v > INT32_MAX)
        return -1;
    *(int32_t *) dst = (int32_t) v;
    return 0;
}

static int s_i32_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                           const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    return json_is_integer(v) ? s_i32_put(json_integer_value(v), dst) : -1;
}

static int s_i32_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                           const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    long long v;
    return s_parse_signed(text, &v) ? -1 : s_i32_put(v, dst);
}

static json_t *s_i32_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                             const char *const *nf)
{
    (void) f, (void) nf;
    return s_json(json_integer(*(const int32_t *) src));
}

static int s_u32_put(long long v, void *dst)
{
    if (v < 0 || v > UINT32_MAX)
        return -1;
    *(uint32_t *) dst = (uint32_t) v;
    return 0;
}

static int s_u32_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                           const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    return json_is_integer(v) ? s_u32_put(json_integer_value(v), dst) : -1;
}

static int s_u32_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                           const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    long long v;
    return s_parse_signed(text, &v) ? -1 : s_u32_put(v, dst);
}

static json_t *s_u32_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                             const char *const *nf)
{
    (void) f, (void) nf;
    return s_json(json_integer(*(const uint32_t *) src));
}

static int s_i64_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                           const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    if (!json_is_integer(v))
        return -1;
    *(int64_t *) dst = json_integer_value(v);
    return 0;
}

static int s_i64_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                           const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    long long v;
    if (s_parse_signed(text, &v))
        return -1;
    *(int64_t *) dst = v;
    return 0;
}

static json_t *s_i64_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                             const char *const *nf)
{
    (void) f, (void) nf;
    return s_json(json_integer(*(const int64_t *) src));
}

/* jansson cannot parse integers above INT64_MAX, so JSON never carries them. */
static int s_u64_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                           const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *(uint64_t *) dst = (uint64_t) json_integer_value(v);
    return 0;
}

static int s_u64_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                           const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    unsigned long long v;
    if (s_parse_unsigned(text, &v))
        return -1;
    *(uint64_t *) dst = v;
    return 0;
}

static json_t *s_u64_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                             const char *const *nf)
{
    (void) f, (void) nf;
    uint64_t v = *(const uint64_t *) src;
    return s_json(json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t) v));
}

static int s_float_put(double v, void *dst)
{
    if (fabs(v) > FLT_MAX)
        return -1;
    *(float *) dst = (float) v;
    return 0;
}

static int s_float_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                             const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    return json_is_number(v) ? s_float_put(json_number_value(v), dst) : -1;
}

static int s_float_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                             const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    double v;
    return s_parse_double(text, &v) ? -1 : s_float_put(v, dst);
}

/* JSON has no NaN or infinity: those are written as null. */
static json_t *s_real(double v)
{
    return isfinite(v) ? s_json(json_real(v)) : json_null();
}

static json_t *s_float_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                               const char *const *nf)
{
    (void) f, (void) nf;
    return s_real(*(const float *) src);
}

static int s_double_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                              const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    if (!json_is_number(v))
        return -1;
    *(double *) dst = json_number_value(v);
    return 0;
}

static int s_double_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                              const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    return s_parse_double(text, dst);
}

static json_t *s_double_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                                const char *const *nf)
{
    (void) f, (void) nf;
    return s_real(*(const double *) src);
}

static int s_bool_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                            const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) a, (void) err;
    if (!json_is_boolean(v))
        return -1;
    *(protobuf_c_boolean *) dst = json_is_true(v);
    return 0;
}

static int s_bool_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                            const ProtobufCAllocator *a, void *dst)
{
    (void) f, (void) a;
    if (!strcmp(text, "true") || !strcmp(text, "1"))
        *(protobuf_c_boolean *) dst = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "0"))
        *(protobuf_c_boolean *) dst = 0;
    else
        return -1;
    return 0;
}

static json_t *s_bool_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                              const char *const *nf)
{
    (void) f, (void) nf;
    return json_boolean(*(const protobuf_c_boolean *) src);
}

/* True if s (len bytes) is exactly name in lower case. */
static bool s_is_lower_of(const char *s, size_t len, const char *name)
{
    for (size_t i = 0; i < len; i++)
        if (!name[i] || s[i] != s_lower(name[i]))
            return false;
    return name[len] == '\0';
}

static int s_enum_put(const ProtobufCFieldDescriptor *f, const char *s, size_t len, void *dst)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    for (unsigned i = 0; i < ed->n_values; i++)
        if (s_is_lower_of(s, len, ed->values[i].name)) {
            *(int *) dst = ed->values[i].value;
            return 0;
        }
    return -1;
}

static int s_enum_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                            const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) a, (void) err;
    if (!json_is_string(v))
        return -1;
    return s_enum_put(f, json_string_value(v), json_string_length(v), dst);
}

static int s_enum_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                            const ProtobufCAllocator *a, void *dst)
{
    (void) a;
    return s_enum_put(f, text, strlen(text), dst);
}

/* A value the descriptor does not name (a newer peer) stays a number rather
 * than being lost. */
static json_t *s_enum_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                              const char *const *nf)
{
    (void) nf;
    int v = *(const int *) src;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    if (!ev)
        return s_json(json_integer(v));
    size_t len = strlen(ev->name);
    char *lower = s_sys_alloc(NULL, len + 1);
    for (size_t i = 0; i <= len; i++)
        lower[i] = s_lower(ev->name[i]);
    json_t *j = s_json(json_stringn(lower, len));
    free(lower);
    return j;
}

static int s_string_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                              const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) err;
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!s_text_ok(s, len))
        return -1;
    *(char **) dst = s_copy(a, s, len);
    return 0;
}

static int s_string_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                              const ProtobufCAllocator *a, void *dst)
{
    (void) f;
    size_t len = strlen(text);
    if (!s_text_ok(text, len))
        return -1;
    *(char **) dst = s_copy(a, text, len);
    return 0;
}

static json_t *s_string_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                                const char *const *nf)
{
    (void) f, (void) nf;
    const char *s = *(char *const *) src;
    return s ? s_json_string(s) : json_null();
}

static int s_bytes_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                             const ProtobufCAllocator *a, void *dst, char **err)
{
    (void) f, (void) err;
    if (!json_is_string(v))
        return -1;
    return s_b64_decode(json_string_value(v), json_string_length(v), a, dst);
}

static int s_bytes_from_text(const ProtobufCFieldDescriptor *f, const char *text,
                             const ProtobufCAllocator *a, void *dst)
{
    (void) f;
    return s_b64_decode(text, strlen(text), a, dst);
}

static json_t *s_bytes_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                               const char *const *nf)
{
    (void) f, (void) nf;
    return s_b64_encode(src);
}

static int s_decode_fields(const ProtobufCMessageDescriptor *desc, json_t *obj,
                           const ProtobufCAllocator *a, ProtobufCMessage *msg, char **err);
static json_t *s_encode(const ProtobufCMessage *msg, const char *const *null_fields);

static ProtobufCMessage *s_message_new(const ProtobufCMessageDescriptor *desc,
                                       const ProtobufCAllocator *a)
{
    ProtobufCMessage *msg = s_new(a, desc->sizeof_message);
    protobuf_c_message_init(desc, msg);
    return msg;
}

static int s_message_from_json(const ProtobufCFieldDescriptor *f, json_t *v,
                               const ProtobufCAllocator *a, void *dst, char **err)
{
    if (!json_is_object(v))
        return -1;
    /* Linked in before it is filled, so a failure frees it with the rest. */
    ProtobufCMessage *sub = s_message_new(f->descriptor, a);
    *(ProtobufCMessage **) dst = sub;
    return s_decode_fields(f->descriptor, v, a, sub, err);
}

static json_t *s_message_to_json(const ProtobufCFieldDescriptor *f, const void *src,
                                 const char *const *nf)
{
    (void) f;
    const ProtobufCMessage *sub = *(ProtobufCMessage *const *) src;
    return sub ? s_encode(sub, nf) : json_null();
}

static const s_rule_t s_rules[] = {
    [PROTOBUF_C_TYPE_INT32] = {sizeof(int32_t), s_i32_from_json, s_i32_from_text, s_i32_to_json},
    [PROTOBUF_C_TYPE_SINT32] = {sizeof(int32_t), s_i32_from_json, s_i32_from_text, s_i32_to_json},
    [PROTOBUF_C_TYPE_SFIXED32] = {sizeof(int32_t), s_i32_from_json, s_i32_from_text, s_i32_to_json},
    [PROTOBUF_C_TYPE_UINT32] = {sizeof(uint32_t), s_u32_from_json, s_u32_from_text, s_u32_to_json},
    [PROTOBUF_C_TYPE_FIXED32] = {sizeof(uint32_t), s_u32_from_json, s_u32_from_text, s_u32_to_json},
    [PROTOBUF_C_TYPE_INT64] = {sizeof(int64_t), s_i64_from_json, s_i64_from_text, s_i64_to_json},
    [PROTOBUF_C_TYPE_SINT64] = {sizeof(int64_t), s_i64_from_json, s_i64_from_text, s_i64_to_json},
    [PROTOBUF_C_TYPE_SFIXED64] = {sizeof(int64_t), s_i64_from_json, s_i64_from_text, s_i64_to_json},
    [PROTOBUF_C_TYPE_UINT64] = {sizeof(uint64_t), s_u64_from_json, s_u64_from_text, s_u64_to_json},
    [PROTOBUF_C_TYPE_FIXED64] = {sizeof(uint64_t), s_u64_from_json, s_u64_from_text, s_u64_to_json},
    [PROTOBUF_C_TYPE_FLOAT] = {sizeof(float), s_float_from_json, s_float_from_text,
                               s_float_to_json},
    [PROTOBUF_C_TYPE_DOUBLE] = {sizeof(double), s_double_from_json, s_double_from_text,
                                s_double_to_json},
    [PROTOBUF_C_TYPE_BOOL] = {sizeof(protobuf_c_boolean), s_bool_from_json, s_bool_from_text,
                              s_bool_to_json},
    [PROTOBUF_C_TYPE_ENUM] = {sizeof(int), s_enum_from_json, s_enum_from_text, s_enum_to_json},
    [PROTOBUF_C_TYPE_STRING] = {sizeof(char *), s_string_from_json, s_string_from_text,
                                s_string_to_json},
    [PROTOBUF_C_TYPE_BYTES] = {sizeof(ProtobufCBinaryData), s_bytes_from_json, s_bytes_from_text,
                               s_bytes_to_json},
    /* A message has no text form: set_from_text refuses it. */
    [PROTOBUF_C_TYPE_MESSAGE] = {sizeof(ProtobufCMessage *), s_message_from_json, NULL,
                                 s_message_to_json},
};

static const s_rule_t *s_rule(const ProtobufCFieldDescriptor *f)
{
    /* Descriptors are generated code; a type outside the table is a bug. */
    assert((size_t) f->type < sizeof s_rules / sizeof s_rules[0]);
    return &s_rules[f->type];
}

/* ---- presence ---------------------------------------------------------- */

static bool s_is_oneof(const ProtobufCFieldDescriptor *f)
{
    return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
}

static bool s_is_pointer(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
}

/* proto2 optional scalars and bytes carry has_x; strings and messages are
 * absent when NULL; a oneof member is present when its case names it;
 * required and proto3 (LABEL_NONE) scalars are always present. */
static bool s_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const void *slot = S_MEMBER(msg, f->offset);
    if (s_is_oneof(f) && *(const uint32_t *) S_MEMBER(msg, f->quantifier_offset) != f->id)
        return false;
    if (s_is_pointer(f)) {
        /* As protobuf-c packs: an optional string still pointing at its
         * static default was never set. */
        const void *ptr = *(void *const *) slot;
        return ptr && !(f->label == PROTOBUF_C_LABEL_OPTIONAL && ptr == f->default_value);
    }
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !s_is_oneof(f))
        return *(const protobuf_c_boolean *) S_MEMBER(msg, f->quantifier_offset);
    return true;
}

static void s_mark_present(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    if (s_is_oneof(f))
        *(uint32_t *) S_MEMBER(msg, f->quantifier_offset) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !s_is_pointer(f))
        *(protobuf_c_boolean *) S_MEMBER(msg, f->quantifier_offset) = 1;
}

/* Another member of f's oneof already holds the value. */
static bool s_oneof_taken(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    if (!s_is_oneof(f))
        return false;
    uint32_t which = *(const uint32_t *) S_MEMBER(msg, f->quantifier_offset);
    return which != 0 && which != f->id;
}

/* ---- encode ------------------------------------------------------------ */

static bool s_listed(const char *const *names, const char *name)
{
    for (; names && *names; names++)
        if (!strcmp(*names, name))
            return true;
    return false;
}

static json_t *s_encode(const ProtobufCMessage *msg, const char *const *null_fields)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    json_t *obj = s_json(json_object());
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        const s_rule_t *rule = s_rule(f);
        json_t *value;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            /* Always an array, [] when empty: clients iterate without a check. */
            size_t n = *(const size_t *) S_MEMBER(msg, f->quantifier_offset);
            const char *arr = *(char *const *) S_MEMBER(msg, f->offset);
            value = s_json(json_array());
            for (size_t k = 0; k < n; k++)
                if (json_array_append_new(value,
                                          rule->to_json(f, arr + k * rule->size, null_fields)))
                    abort(); /* only on out-of-memory */
        } else if (s_present(msg, f))
            value = rule->to_json(f, S_MEMBER(msg, f->offset), null_fields);
        else if (s_listed(null_fields, f->name))
            value = json_null();
        else
            continue;
        if (json_object_set_new(obj, f->name, value))
            abort(); /* only on out-of-memory: names are valid UTF-8 */
    }
    return obj;
}

json_t *at_pbjson_encode(const ProtobufCMessage *msg, const char *const *null_fields)
{
    if (!msg)
        return NULL;
    assert(msg->descriptor && msg->descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    return s_encode(msg, null_fields);
}

/* ---- decode ------------------------------------------------------------ */

/* The path of a failure in field f: "name", "name[3]", "name.inner",
 * "name[3].inner". Consumes inner (which may be NULL). */
static char *s_path(const char *name, long index, char *inner)
{
    const char *dot = inner && *inner ? "." : "";
    const char *rest = inner ? inner : "";
    char *path = index < 0 ? s_xprintf("%s%s%s", name, dot, rest)
                           : s_xprintf("%s[%ld]%s%s", name, index, dot, rest);
    free(inner);
    return path;
}

/* Fills field f of msg from v (not null); on failure *index is the bad
 * array element (or -1) and *inner the path inside it. */
static int s_decode_field(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, json_t *v,
                          const ProtobufCAllocator *a, long *index, char **inner)
{
    const s_rule_t *rule = s_rule(f);
    *index = -1;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (!json_is_array(v))
            return -1;
        size_t n = json_array_size(v);
        if (n == 0)
            return 0;
        /* The whole zeroed array and its count are set first, so a failure
         * part way leaves a message free_unpacked can walk. */
        char *arr = s_new(a, n * rule->size);
        *(void **) S_MEMBER(msg, f->offset) = arr;
        *(size_t *) S_MEMBER(msg, f->quantifier_offset) = n;
        for (size_t k = 0; k < n; k++)
            if (rule->from_json(f, json_array_get(v, k), a, arr + k * rule->size, inner)) {
                *index = (long) k;
                return -1;
            }
        return 0;
    }
    /* Two members of one oneof: refused rather than one silently dropped. */
    if (s_oneof_taken(msg, f))
        return -1;
    if (s_is_oneof(f))
        s_mark_present(msg, f); /* before the value, so free_unpacked sees it */
    if (rule->from_json(f, v, a, S_MEMBER(msg, f->offset), inner))
        return -1;
    s_mark_present(msg, f);
    return 0;
}

static int s_decode_fields(const ProtobufCMessageDescriptor *desc, json_t *obj,
                           const ProtobufCAllocator *a, ProtobufCMessage *msg, char **err)
{
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        json_t *v = json_object_get(obj, f->name);
        if (!v || json_is_null(v))
            continue; /* absent: keeps the descriptor's default */
        long index;
        char *inner = NULL;
        if (s_decode_field(msg, f, v, a, &index, &inner)) {
            *err = s_path(f->name, index, inner);
            return -1;
        }
    }
    return 0;
}

int at_pbjson_decode(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCAllocator *alloc,
                     ProtobufCMessage **out, char **err_field)
{
    assert(desc && desc->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    assert(out);
    *out = NULL;
    if (err_field)
        *err_field = NULL;
    char *err = NULL;
    if (!json_is_object(obj))
        err = s_xprintf("%s", "");
    else {
        const ProtobufCAllocator *a = alloc ? alloc : &s_sys;
        ProtobufCMessage *msg = s_message_new(desc, a);
        if (s_decode_fields(desc, obj, a, msg, &err) == 0) {
            *out = msg;
            return 0;
        }
        /* With an arena this only walks; with malloc it frees every part. */
        protobuf_c_message_free_unpacked(msg, alloc);
    }
    if (err_field)
        *err_field = err;
    else
        free(err);
    return -1;
}

/* ---- set from text ----------------------------------------------------- */

/* Frees the current value of a singular string or bytes field unless it is
 * the descriptor's static default. */
static void s_release_value(const ProtobufCFieldDescriptor *f, void *slot,
                            const ProtobufCAllocator *a)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *s = *(char **) slot;
        if (s != f->default_value)
            s_release(a, s);
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        const ProtobufCBinaryData *dflt = f->default_value;
        uint8_t *data = ((ProtobufCBinaryData *) slot)->data;
        if (!dflt || dflt->data != data)
            s_release(a, data);
    }
}

int at_pbjson_set_from_text(ProtobufCMessage *msg, const char *name, const char *text,
                            ProtobufCAllocator *alloc)
{
    assert(msg && msg->descriptor && name);
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
    if (!f)
        return 1;
    const s_rule_t *rule = s_rule(f);
    if (!text || !rule->from_text || s_oneof_taken(msg, f))
        return -1;
    const ProtobufCAllocator *a = alloc ? alloc : &s_sys;
    union {
        max_align_t align;
        ProtobufCBinaryData bytes;
        char raw[sizeof(ProtobufCBinaryData)];
    } value;
    memset(&value, 0, sizeof value);
    assert(rule->size <= sizeof value.raw);
    if (rule->from_text(f, text, a, &value))
        return -1;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *n = S_MEMBER(msg, f->quantifier_offset);
        char **arr = S_MEMBER(msg, f->offset);
        char *grown = s_new(a, (*n + 1) * rule->size);
        if (*n)
            memcpy(grown, *arr, *n * rule->size);
        memcpy(grown + *n * rule->size, value.raw, rule->size);
        s_release(a, *arr);
        *arr = grown;
        (*n)++;
        return 0;
    }
    void *slot = S_MEMBER(msg, f->offset);
    if (s_present(msg, f) || !s_is_oneof(f))
        s_release_value(f, slot, a);
    memcpy(slot, value.raw, rule->size);
    s_mark_present(msg, f);
    return 0;
}
