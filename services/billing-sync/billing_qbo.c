/* billing_qbo: QuickBooks Online wire data -> Atrium billing records (pure, no I/O).
 *
 * Does not fetch, store or log anything, and never does arithmetic on money in
 * binary floating point: amounts travel as digit strings from the JSON number on.
 */
#include "billing_qbo.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Significant digits a double holds for any decimal text (DBL_DIG): the bound
 * under which billing_qbo_money_format gives back exactly what QBO wrote. */
#define S_EXACT_DIGITS 15

static const struct {
    const char *code;
    int decimals;
} s_currencies[] = {
    /* ISO 4217 minor units. Only the exceptions to 2 matter, the others are
     * listed so a reader sees they were considered. */
    {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CAD", 2}, {"AUD", 2}, {"NZD", 2}, {"CHF", 2}, {"SEK", 2},
    {"NOK", 2}, {"DKK", 2}, {"PLN", 2}, {"CZK", 2}, {"HUF", 2}, {"MXN", 2}, {"BRL", 2}, {"INR", 2},
    {"ZAR", 2}, {"SGD", 2}, {"HKD", 2}, {"CNY", 2}, {"AED", 2}, {"SAR", 2}, {"ILS", 2}, {"TRY", 2},
    {"PHP", 2}, {"MYR", 2}, {"THB", 2}, {"JPY", 0}, {"KRW", 0}, {"ISK", 0}, {"CLP", 0}, {"VND", 0},
    {"XAF", 0}, {"XOF", 0}, {"UGX", 0}, {"PYG", 0}, {"RWF", 0}, {"KMF", 0}, {"GNF", 0}, {"VUV", 0},
    {"XPF", 0}, {"BIF", 0}, {"DJF", 0}, {"KWD", 3}, {"BHD", 3}, {"OMR", 3}, {"JOD", 3}, {"IQD", 3},
    {"LYD", 3}, {"TND", 3},
};

int billing_qbo_currency_decimals(const char *code)
{
    if (code)
        for (size_t i = 0; i < sizeof s_currencies / sizeof s_currencies[0]; i++)
            if (strcmp(s_currencies[i].code, code) == 0)
                return s_currencies[i].decimals;
    return 2;
}

/* Writes the unsigned amount N (a digit string, no sign, may have leading
 * zeros) as "int.frac" with `decimals` digits of frac into buf. */
static int s_money_emit(const char *digits, bool negative, int decimals, char *buf, size_t cap)
{
    while (*digits == '0' && digits[1])
        digits++;
    size_t n = strlen(digits);
    if (n > S_EXACT_DIGITS)
        return -1;
    bool zero = n == 1 && digits[0] == '0';
    /* Pad so there is at least one integer digit. */
    char padded[S_EXACT_DIGITS + 8];
    size_t pad = n < (size_t) decimals + 1 ? (size_t) decimals + 1 - n : 0;
    memset(padded, '0', pad);
    memcpy(padded + pad, digits, n + 1);
    size_t len = pad + n, int_len = len - (size_t) decimals;
    int written = snprintf(buf, cap, "%s%.*s%s%s", negative && !zero ? "-" : "", (int) int_len,
                           padded, decimals ? "." : "", padded + int_len);
    return written < 0 || (size_t) written >= cap ? -1 : 0;
}

/* The shortest of %.15e..%.17e that reads back as x: QBO's text whenever it
 * had at most 15 significant digits. Fills digits (no point) and the decimal
 * exponent of the first digit; returns the digit count. */
static size_t s_shortest_digits(double x, char *digits, int *exp10)
{
    char tmp[40];
    for (int prec = S_EXACT_DIGITS; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    size_t n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char) *p))
            digits[n++] = *p;
    digits[n] = '\0';
    *exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (n > 1 && digits[n - 1] == '0') /* trailing zeros carry nothing */
        digits[--n] = '\0';
    return n;
}

int billing_qbo_money_format(const json_t *amount, const char *currency, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return -1;
    buf[0] = '\0';
    int decimals = billing_qbo_currency_decimals(currency);
    char scaled[64]; /* |amount| * 10^decimals as an integer digit string */
    bool negative;

    if (json_is_integer(amount)) {
        json_int_t v = json_integer_value(amount);
        negative = v < 0;
        unsigned long long mag = negative ? 0ULL - (unsigned long long) v : (unsigned long long) v;
        snprintf(scaled, sizeof scaled, "%llu%.*s", mag, decimals, "000");
    } else if (json_is_real(amount)) {
        double x = json_real_value(amount);
        if (!isfinite(x))
            return -1;
        negative = signbit(x);
        char digits[24];
        int exp10;
        size_t n = s_shortest_digits(fabs(x), digits, &exp10);
        /* |x| = 0.d1d2..dn * 10^(exp10+1); scaled = d1..dn * 10^shift. */
        long shift = (long) exp10 + 1 - (long) n + decimals;
        if (shift >= 0) {
            if ((size_t) shift + n > S_EXACT_DIGITS + 1)
                return -1;
            snprintf(scaled, sizeof scaled, "%s%0*d", digits, (int) shift, 0);
            if (shift == 0)
                scaled[n] = '\0';
        } else {
            long keep = (long) n + shift; /* digits left of the rounding point */
            if (keep < 0) {
                strcpy(scaled, "0");
            } else {
                /* Round half away from zero on the decimal digits: the
                 * magnitude rounds up when the first dropped digit is >= 5. */
                bool up = digits[keep] >= '5';
                scaled[0] = '0'; /* room for a carry out of the top digit */
                memcpy(scaled + 1, digits, (size_t) keep);
                scaled[keep + 1] = '\0';
                for (long i = keep; up && i >= 0; i--) {
                    if (scaled[i] == '9') {
                        scaled[i] = '0';
                    } else {
                        scaled[i]++;
                        up = false;
                    }
                }
            }
        }
    } else {
        return -1;
    }
    if (s_money_emit(scaled, negative, decimals, buf, cap) != 0) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* -1, 0 or 1 for a string billing_qbo_money_format wrote (never "-0"). */
static int s_money_sign(const char *money)
{
    if (!money || !strpbrk(money, "123456789"))
        return 0;
    return money[0] == '-' ? -1 : 1;
}

const char *billing_qbo_err_name(billing_qbo_err_t code)
{
    static const char *const names[] = {
        [BILLING_QBO_OK] = "ok",
        [BILLING_QBO_E_BAD_RESPONSE] = "bad response",
        [BILLING_QBO_E_FAULT] = "fault",
        [BILLING_QBO_E_AUTH] = "unauthorized",
        [BILLING_QBO_E_REAUTH] = "reauthorization required",
        [BILLING_QBO_E_THROTTLED] = "throttled",
        [BILLING_QBO_E_UNAVAILABLE] = "unavailable",
        [BILLING_QBO_E_TRANSPORT] = "transport",
        [BILLING_QBO_E_CONFIG] = "configuration",
        [BILLING_QBO_E_ABORTED] = "aborted",
        [BILLING_QBO_E_PERSIST] = "token persistence failed",
    };
    if ((unsigned) code < sizeof names / sizeof names[0] && names[code])
        return names[code];
    return "unknown";
}

const char *billing_qbo_status_name(billing_qbo_status_t status)
{
    switch (status) {
    case BILLING_QBO_PAID: return "paid";
    case BILLING_QBO_OVERDUE: return "overdue";
    case BILLING_QBO_VOID: return "void";
    case BILLING_QBO_OPEN: break;
    }
    return "open";
}

const char *billing_qbo_entity_name(billing_qbo_entity_t entity)
{
    switch (entity) {
    case BILLING_QBO_CUSTOMER: return "Customer";
    case BILLING_QBO_PAYMENT: return "Payment";
    case BILLING_QBO_INVOICE: break;
    }
    return "Invoice";
}

static bool s_is_date(const char *s)
{
    if (!s || strlen(s) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char) s[i]))
            return false;
    return true;
}

billing_qbo_status_t billing_qbo_invoice_status(const billing_qbo_invoice_t *invoice,
                                                const char *today)
{
    if (!invoice)
        return BILLING_QBO_OPEN;
    if (invoice->voided)
        return BILLING_QBO_VOID;
    int balance = s_money_sign(invoice->balance);
    if (balance == 0 && s_money_sign(invoice->total) > 0)
        return BILLING_QBO_PAID;
    /* Both are validated YYYY-MM-DD, so text order is date order. */
    if (balance > 0 && s_is_date(invoice->due_on) && s_is_date(today) &&
        strcmp(invoice->due_on, today) < 0)
        return BILLING_QBO_OVERDUE;
    return BILLING_QBO_OPEN;
}

/* ---------------------------------------------------------------- parsing */

static void s_set_error(billing_qbo_error_t *err, billing_qbo_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_set_error(billing_qbo_error_t *err, billing_qbo_err_t code, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* obj[key] matched case-insensitively: the gateway's 401 body is all lower
 * case while the API's is CamelCase (A6). */
static json_t *s_get_ci(const json_t *obj, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *) obj, k, v) if (strcasecmp(k, key) == 0) return v;
    return NULL;
}

/* Fills err from a Fault object if root carries one; returns true then. */
static bool s_fault(const json_t *root, billing_qbo_error_t *err)
{
    json_t *fault = s_get_ci(root, "Fault");
    if (!json_is_object(fault))
        return false;
    json_t *errors = s_get_ci(fault, "Error");
    json_t *first = json_is_array(errors) ? json_array_get(errors, 0) : NULL;
    const char *msg = "", *detail = "", *code = "";
    if (json_is_object(first)) {
        json_t *v;
        if (json_is_string(v = s_get_ci(first, "Message")))
            msg = json_string_value(v);
        if (json_is_string(v = s_get_ci(first, "Detail")))
            detail = json_string_value(v);
        if (json_is_string(v = s_get_ci(first, "code")))
            code = json_string_value(v);
    }
    if (err) {
        snprintf(err->fault_code, sizeof err->fault_code, "%s", code);
        s_set_error(err, BILLING_QBO_E_FAULT, "qbo fault %s: %s%s%s", *code ? code : "?", msg,
                    *detail ? ": " : "", detail);
    }
    return true;
}

static char *s_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* obj[key].value, the shape of every QBO reference (CustomerRef, ParentRef). */
static char *s_ref(const json_t *obj, const char *key, const char *field)
{
    json_t *ref = json_object_get(obj, key);
    return json_is_object(ref) ? s_str(ref, field) : NULL;
}

static void s_date(const json_t *obj, const char *key, char out[11])
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s_is_date(s))
        memcpy(out, s, 11);
    else
        out[0] = '\0';
}

static void s_currency(const json_t *obj, const char *home, char out[4])
{
    json_t *ref = json_object_get(obj, "CurrencyRef");
    json_t *v = json_is_object(ref) ? json_object_get(ref, "value") : NULL;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    bool ok = s && strlen(s) == 3;
    for (int i = 0; ok && i < 3; i++)
        ok = isupper((unsigned char) s[i]);
    snprintf(out, 4, "%s", ok ? s : home);
}

/* Money field; absent gives "" when optional, failure when required. */
static int s_money(const json_t *obj, const char *key, const char *currency, bool required,
                   char out[BILLING_QBO_MONEY_MAX])
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        out[0] = '\0';
        return required ? -1 : 0;
    }
    return billing_qbo_money_format(v, currency, out, BILLING_QBO_MONEY_MAX);
}

static char *s_updated_at(const json_t *obj)
{
    json_t *meta = json_object_get(obj, "MetaData");
    return json_is_object(meta) ? s_str(meta, "LastUpdatedTime") : NULL;
}

static void s_invoice_free(billing_qbo_invoice_t *r)
{
    free(r->id);
    free(r->sync_token);
    free(r->number);
    free(r->customer_id);
    free(r->customer_name);
    free(r->pay_url);
    free(r->updated_at);
}

static void s_customer_free(billing_qbo_customer_t *r)
{
    free(r->id);
    free(r->sync_token);
    free(r->display_name);
    free(r->full_name);
    free(r->company_name);
    free(r->email);
    free(r->parent_id);
    free(r->updated_at);
}

static void s_payment_free(billing_qbo_payment_t *r)
{
    free(r->id);
    free(r->sync_token);
    free(r->customer_id);
    free(r->updated_at);
    for (size_t i = 0; i < r->applied_count; i++)
        free(r->applied[i].invoice_id);
    free(r->applied);
}

static int s_invoice_parse(const json_t *o, const char *home, billing_qbo_invoice_t *r)
{
    s_currency(o, home, r->currency);
    if (s_money(o, "TotalAmt", r->currency, true, r->total) != 0 ||
        s_money(o, "Balance", r->currency, true, r->balance) != 0)
        return -1;
    r->id = s_str(o, "Id");
    r->sync_token = s_str(o, "SyncToken");
    r->number = s_str(o, "DocNumber");
    s_date(o, "TxnDate", r->issued_on);
    s_date(o, "DueDate", r->due_on);
    r->customer_id = s_ref(o, "CustomerRef", "value");
    r->customer_name = s_ref(o, "CustomerRef", "name");
    r->pay_url = s_str(o, "InvoiceLink");
    r->updated_at = s_updated_at(o);
    /* QBO has no void flag: a voided invoice keeps its Id and number, has
     * every amount zeroed and the memo "Voided" (Intuit's void recipe). */
    json_t *note = json_object_get(o, "PrivateNote");
    r->voided = json_is_string(note) && strncmp(json_string_value(note), "Voided", 6) == 0 &&
                s_money_sign(r->total) == 0 && s_money_sign(r->balance) == 0;
    return r->id ? 0 : -1;
}

static int s_customer_parse(const json_t *o, const char *home, billing_qbo_customer_t *r)
{
    s_currency(o, home, r->currency);
    if (s_money(o, "Balance", r->currency, false, r->balance) != 0)
        return -1;
    r->id = s_str(o, "Id");
    r->sync_token = s_str(o, "SyncToken");
    r->display_name = s_str(o, "DisplayName");
    r->full_name = s_str(o, "FullyQualifiedName");
    r->company_name = s_str(o, "CompanyName");
    r->email = s_ref(o, "PrimaryEmailAddr", "Address");
    r->parent_id = s_ref(o, "ParentRef", "value");
    json_t *active = json_object_get(o, "Active");
    r->active = !json_is_false(active); /* omitted means the default, active */
    r->updated_at = s_updated_at(o);
    return r->id ? 0 : -1;
}

static int s_payment_parse(const json_t *o, const char *home, billing_qbo_payment_t *r)
{
    s_currency(o, home, r->currency);
    if (s_money(o, "TotalAmt", r->currency, true, r->total) != 0 ||
        s_money(o, "UnappliedAmt", r->currency, false, r->unapplied) != 0)
        return -1;
    r->id = s_str(o, "Id");
    r->sync_token = s_str(o, "SyncToken");
    s_date(o, "TxnDate", r->issued_on);
    r->customer_id = s_ref(o, "CustomerRef", "value");
    r->updated_at = s_updated_at(o);

    /* A payment may settle several invoices; each line's Amount goes to the
     * invoices its LinkedTxn names (credit memos and journals are skipped). */
    json_t *lines = json_object_get(o, "Line");
    size_t n = 0, i, j;
    json_t *line, *link;
    json_array_foreach(lines, i, line) n += json_array_size(json_object_get(line, "LinkedTxn"));
    if (n) {
        r->applied = calloc(n, sizeof *r->applied);
        if (!r->applied)
            abort();
    }
    json_array_foreach(lines, i, line)
    {
        json_t *links = json_object_get(line, "LinkedTxn");
        json_array_foreach(links, j, link)
        {
            json_t *type = json_object_get(link, "TxnType");
            if (!json_is_string(type) || strcmp(json_string_value(type), "Invoice") != 0)
                continue;
            billing_qbo_applied_t *a = &r->applied[r->applied_count];
            if (s_money(line, "Amount", r->currency, true, a->amount) != 0)
                return -1;
            if (!(a->invoice_id = s_str(link, "TxnId")))
                continue;
            r->applied_count++;
        }
    }
    return r->id ? 0 : -1;
}

int billing_qbo_page_parse(const char *body, size_t len, billing_qbo_entity_t entity,
                           const char *home_currency, billing_qbo_page_t **page_p,
                           billing_qbo_error_t *err)
{
    if (!page_p) {
        s_set_error(err, BILLING_QBO_E_CONFIG, "no page pointer");
        return -1;
    }
    *page_p = NULL;
    if (!body) {
        s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "empty response");
        return -1;
    }
    const char *home = home_currency ? home_currency : "USD";
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "response is not json: %s (line %d)",
                    jerr.text, jerr.line);
        return -1;
    }
    int rc = -1;
    json_t *qr = json_object_get(root, "QueryResponse");
    json_t *rows = NULL;
    if (!json_is_object(root)) {
        s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "response is not a json object");
        goto cleanup;
    }
    if (s_fault(root, err)) /* a Fault wins even beside data, even in a 200 (A6) */
        goto cleanup;
    if (!json_is_object(qr)) {
        s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "response has no QueryResponse object");
        goto cleanup;
    }
    rows = json_object_get(qr, billing_qbo_entity_name(entity));
    if (rows && !json_is_array(rows)) {
        s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "QueryResponse.%s is not an array",
                    billing_qbo_entity_name(entity));
        goto cleanup;
    }

    billing_qbo_page_t *page = calloc(1, sizeof *page);
    if (!page)
        abort();
    page->entity = entity;
    page->returned = json_array_size(rows); /* absent key = no rows (A3) */
    json_t *start = json_object_get(qr, "startPosition");
    page->start_position = json_is_integer(start) ? (long) json_integer_value(start) : 0;
    size_t n = page->returned ? page->returned : 1;
    size_t size = entity == BILLING_QBO_INVOICE    ? sizeof(billing_qbo_invoice_t)
                  : entity == BILLING_QBO_CUSTOMER ? sizeof(billing_qbo_customer_t)
                                                   : sizeof(billing_qbo_payment_t);
    void *array = calloc(n, size);
    if (!array)
        abort();
    if (entity == BILLING_QBO_INVOICE)
        page->invoices = array;
    else if (entity == BILLING_QBO_CUSTOMER)
        page->customers = array;
    else
        page->payments = array;

    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o)
    {
        int ok = -1;
        if (json_is_object(o)) {
            /* A failed record is freed and zeroed so the slot is reused. */
            if (entity == BILLING_QBO_INVOICE) {
                billing_qbo_invoice_t *r = &page->invoices[page->count];
                if ((ok = s_invoice_parse(o, home, r)) != 0) {
                    s_invoice_free(r);
                    memset(r, 0, sizeof *r);
                }
            } else if (entity == BILLING_QBO_CUSTOMER) {
                billing_qbo_customer_t *r = &page->customers[page->count];
                if ((ok = s_customer_parse(o, home, r)) != 0) {
                    s_customer_free(r);
                    memset(r, 0, sizeof *r);
                }
            } else {
                billing_qbo_payment_t *r = &page->payments[page->count];
                if ((ok = s_payment_parse(o, home, r)) != 0) {
                    s_payment_free(r);
                    memset(r, 0, sizeof *r);
                }
            }
        }
        if (ok == 0)
            page->count++;
        else
            page->skipped++;
    }
    *page_p = page;
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}

void billing_qbo_page_destroy(billing_qbo_page_t **page_p)
{
    if (!page_p || !*page_p)
        return;
    billing_qbo_page_t *page = *page_p;
    for (size_t i = 0; i < page->count; i++) {
        if (page->invoices)
            s_invoice_free(&page->invoices[i]);
        else if (page->customers)
            s_customer_free(&page->customers[i]);
        else if (page->payments)
            s_payment_free(&page->payments[i]);
    }
    free(page->invoices);
    free(page->customers);
    free(page->payments);
    free(page);
    *page_p = NULL;
}

/* ---------------------------------------------------------------- queries */

char *billing_qbo_query_literal(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s), extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += s[i] == '\'' || s[i] == '\\';
    char *out = malloc(n + extra + 3);
    if (!out)
        abort();
    char *p = out;
    *p++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\')
            *p++ = '\\';
        *p++ = s[i];
    }
    *p++ = '\'';
    *p = '\0';
    return out;
}

/* Accepts YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM); writes it with a
 * numeric offset into out. */
static bool s_instant(const char *s, char *out, size_t cap)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(s), i;
    if (n < sizeof shape - 1)
        return false;
    for (i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char) s[i]) : s[i] != shape[i])
            return false;
    if (s[i] == '.') {
        i++;
        if (!isdigit((unsigned char) s[i]))
            return false;
        while (isdigit((unsigned char) s[i]))
            i++;
    }
    const char *zone = s + i;
    if (strcmp(zone, "Z") == 0) {
        snprintf(out, cap, "%.*s+00:00", (int) i, s);
        return true;
    }
    if ((zone[0] != '+' && zone[0] != '-') || strlen(zone) != 6 || zone[3] != ':' ||
        !isdigit((unsigned char) zone[1]) || !isdigit((unsigned char) zone[2]) ||
        !isdigit((unsigned char) zone[4]) || !isdigit((unsigned char) zone[5]))
        return false;
    snprintf(out, cap, "%s", s);
    return true;
}

char *billing_qbo_query_build(billing_qbo_entity_t entity, const char *since, long start, long max)
{
    if (start < 1 || max < 1 || max > BILLING_QBO_PAGE_MAX)
        return NULL;
    char instant[64] = "";
    if (since &&
        (strlen(since) >= sizeof instant - 8 || !s_instant(since, instant, sizeof instant)))
        return NULL;
    char *literal = since ? billing_qbo_query_literal(instant) : NULL;
    bool customer = entity == BILLING_QBO_CUSTOMER;
    char *out = NULL;
    int n = asprintf(&out,
                     "select * from %s%s%s%s%s%s orderby Metadata.LastUpdatedTime "
                     "startposition %ld maxresults %ld",
                     billing_qbo_entity_name(entity), since || customer ? " where " : "",
                     since ? "Metadata.LastUpdatedTime >= " : "", since ? literal : "",
                     since && customer ? " and " : "", customer ? "Active IN (true,false)" : "",
                     start, max);
    free(literal);
    if (n < 0)
        abort();
    return out;
}
