/* billing_qbo: QuickBooks Online (Accounting v3) wire data -> Atrium billing records.
 *
 * Pure logic with no I/O: parses a query response (shared/integrations.md A3/A5/A6)
 * into invoice, customer and payment records with money as exact decimal strings,
 * derives the portal status of an invoice, and builds the paged query statement.
 * It does not talk HTTP (billing_qbo_client does), store anything, or read CDC or
 * webhook payloads.
 */
#ifndef BILLING_QBO_H
#define BILLING_QBO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Enough for "-" + 15 significant digits + "." + up to 3 decimals + NUL. */
#define BILLING_QBO_MONEY_MAX 24
/* Largest page QBO serves (A3); the client always asks for it. */
#define BILLING_QBO_PAGE_MAX 1000

typedef enum {
    BILLING_QBO_INVOICE = 0,
    BILLING_QBO_CUSTOMER,
    BILLING_QBO_PAYMENT,
} billing_qbo_entity_t;

/* What went wrong, for callers to branch on; the message is for logs only. */
typedef enum {
    BILLING_QBO_OK = 0,
    BILLING_QBO_E_BAD_RESPONSE, /* not the JSON/shape the contract promises */
    BILLING_QBO_E_FAULT,        /* QBO answered with a Fault (A6), e.g. 4000 */
    BILLING_QBO_E_AUTH,         /* 401/403 even after one refresh */
    BILLING_QBO_E_REAUTH,       /* token endpoint said invalid_grant: reconnect */
    BILLING_QBO_E_THROTTLED,    /* 429 and the retry budget is spent */
    BILLING_QBO_E_UNAVAILABLE,  /* 5xx and the retry budget is spent */
    BILLING_QBO_E_TRANSPORT,    /* connect failure or timeout */
    BILLING_QBO_E_CONFIG,       /* bad argument or configuration */
    BILLING_QBO_E_ABORTED,      /* the caller's page callback asked to stop */
    BILLING_QBO_E_PERSIST,      /* the caller could not store new tokens */
} billing_qbo_err_t;

typedef struct {
    billing_qbo_err_t code;
    int http_status;     /* last HTTP status seen, 0 if none */
    char fault_code[16]; /* QBO Fault Error.code or OAuth "error", "" if none */
    long retry_after_s;  /* server's Retry-After when giving up on 429/503, else 0 */
    char message[256];   /* lower case, for logs; never holds a token */
} billing_qbo_error_t;

/* Short lower-case name of an error code for logs ("throttled"; static). */
const char *billing_qbo_err_name(billing_qbo_err_t code);

/* Portal status of an invoice (api.md "Billing"). */
typedef enum {
    BILLING_QBO_OPEN = 0,
    BILLING_QBO_PAID,
    BILLING_QBO_OVERDUE,
    BILLING_QBO_VOID,
} billing_qbo_status_t;

/* Strings are NUL-terminated UTF-8 owned by the page the record sits in; a
 * field QBO omitted (A3: empty fields are left out) is NULL, or "" for the
 * fixed-size arrays. Dates are YYYY-MM-DD; money is a decimal string with the
 * currency's ISO 4217 decimals ("1250.50", "1500", "12.125"). */
typedef struct {
    char *id;                            /* QBO Id, unique per (realm, entity) only */
    char *sync_token;                    /* increments on every change (P15) */
    char *number;                        /* DocNumber */
    char issued_on[11];                  /* TxnDate */
    char due_on[11];                     /* DueDate */
    char total[BILLING_QBO_MONEY_MAX];   /* TotalAmt */
    char balance[BILLING_QBO_MONEY_MAX]; /* Balance */
    char currency[4];                    /* CurrencyRef.value, else the home currency */
    char *customer_id;                   /* CustomerRef.value */
    char *customer_name;                 /* CustomerRef.name */
    char *pay_url;                       /* InvoiceLink, only when requested and enabled (P14) */
    char *updated_at;                    /* MetaData.LastUpdatedTime, company offset, as sent */
    bool voided;                         /* QBO's void shape, see billing_qbo_invoice_status */
} billing_qbo_invoice_t;

typedef struct {
    char *id;
    char *sync_token;
    char *display_name;
    char *full_name; /* FullyQualifiedName, "Parent:Child" */
    char *company_name;
    char *email;     /* PrimaryEmailAddr.Address */
    char *parent_id; /* ParentRef.value for sub-customers */
    bool active;     /* false = "deleted" in QBO (P11) */
    char balance[BILLING_QBO_MONEY_MAX];
    char currency[4];
    char *updated_at;
} billing_qbo_customer_t;

/* One invoice a payment line settles. */
typedef struct {
    char *invoice_id;
    char amount[BILLING_QBO_MONEY_MAX];
} billing_qbo_applied_t;

typedef struct {
    char *id;
    char *sync_token;
    char issued_on[11]; /* TxnDate */
    char *customer_id;
    char total[BILLING_QBO_MONEY_MAX];
    char unapplied[BILLING_QBO_MONEY_MAX];
    char currency[4];
    char *updated_at;
    billing_qbo_applied_t *applied; /* Line[].LinkedTxn of TxnType Invoice */
    size_t applied_count;
} billing_qbo_payment_t;

/* One parsed query page. Exactly one of the arrays is set, per entity. */
typedef struct {
    billing_qbo_entity_t entity;
    size_t returned;     /* rows QBO sent, including skipped ones: paging uses this */
    size_t count;        /* records parsed into the array */
    size_t skipped;      /* rows dropped for a missing Id or unusable amount */
    long start_position; /* echoed startPosition, 0 if absent */
    billing_qbo_invoice_t *invoices;
    billing_qbo_customer_t *customers;
    billing_qbo_payment_t *payments;
} billing_qbo_page_t;

/* ISO 4217 minor-unit digits of a currency code (USD 2, JPY 0, KWD 3, ...);
 * unknown or NULL codes give 2, which is right for most currencies. */
int billing_qbo_currency_decimals(const char *code);

/* Writes amount (a JSON integer or real, as QBO sends money) as a decimal
 * string with exactly the currency's decimals into buf (cap bytes).
 *
 * Never computes in binary floating point: the real is first written as the
 * shortest decimal that reads back as the same double (%.15g..%.17g), which
 * is the text QBO sent whenever that had at most 15 significant digits
 * (DBL_DIG), then rounded half away from zero on the digits. So the result is
 * exact for |amount| < 10^(15 - decimals): below 10^13 for USD, 10^12 for KWD,
 * 10^15 for JPY. Larger amounts, NaN/infinity and non-numbers are refused.
 * A noise tail from arithmetic (0.30000000000000004) rounds away. -0 gives 0.
 * Returns 0, or -1 (buf then holds "") on refusal or if cap is too small. */
int billing_qbo_money_format(const json_t *amount, const char *currency, char *buf, size_t cap);

/* Parses a QBO query response body (A3): {"QueryResponse":{"<Entity>":[...],
 * "startPosition":n,"maxResults":m},"time":...}. A missing entity key means
 * zero rows. A Fault (any key casing, even inside a 200) is an error.
 * home_currency is used for records without CurrencyRef (multicurrency off);
 * NULL means "USD". body need not be NUL-terminated. On success *page_p gets
 * a new page the caller destroys with billing_qbo_page_destroy; returns 0.
 * On failure returns -1, *page_p stays NULL and err (if not NULL) says why
 * (BILLING_QBO_E_BAD_RESPONSE or BILLING_QBO_E_FAULT). */
int billing_qbo_page_parse(const char *body, size_t len, billing_qbo_entity_t entity,
                           const char *home_currency, billing_qbo_page_t **page_p,
                           billing_qbo_error_t *err);

/* Frees a page and every string in it; accepts NULL and a pointer to NULL,
 * and sets *page_p to NULL. */
void billing_qbo_page_destroy(billing_qbo_page_t **page_p);

/* The portal status of an invoice on the calendar day today ("YYYY-MM-DD",
 * the firm's local date): void when QBO shows it voided (TotalAmt and Balance
 * 0 and PrivateNote starting "Voided", the shape QBO gives a voided invoice);
 * paid when Balance is 0 and TotalAmt > 0; overdue when Balance > 0 and
 * DueDate is before today; else open (a zero-total invoice that is not void
 * stays open). Status depends on today, so compute it when serving, not once. */
billing_qbo_status_t billing_qbo_invoice_status(const billing_qbo_invoice_t *invoice,
                                                const char *today);

/* "open", "paid", "overdue" or "void" (static strings). */
const char *billing_qbo_status_name(billing_qbo_status_t status);

/* QBO entity name: "Invoice", "Customer" or "Payment" (static strings). */
const char *billing_qbo_entity_name(billing_qbo_entity_t entity);

/* Quotes s as a QBO query string literal: wraps it in single quotes and
 * backslash-escapes ' and \ (A3, P13). Returns a new string the caller frees,
 * or NULL if s is NULL. The result is not URL-encoded; the client does that. */
char *billing_qbo_query_literal(const char *s);

/* Builds one page's query statement (A3), e.g.
 *   select * from Invoice where Metadata.LastUpdatedTime >= '2024-03-01T00:00:00-08:00'
 *   orderby Metadata.LastUpdatedTime startposition 1001 maxresults 1000
 * since (may be NULL: everything) is an RFC 3339 instant with seconds and an
 * offset or Z; Z is sent as +00:00 because an offset-less or unknown literal
 * is read as Pacific time (P8). ">=" re-reads rows of the checkpoint second,
 * which upserts absorb, instead of missing rows updated in that same second.
 * Customer queries add "Active IN (true,false)" so inactive customers come
 * too (P11). start is 1-based, max in 1..BILLING_QBO_PAGE_MAX.
 * Returns a new string the caller frees, or NULL on a bad argument. */
char *billing_qbo_query_build(billing_qbo_entity_t entity, const char *since, long start, long max);

#endif
