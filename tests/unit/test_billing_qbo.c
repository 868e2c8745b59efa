/* Unit tests of billing_qbo: money conversion, response parsing, status and
 * query statements. No network; the client has its own test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "billing_qbo.h"

/* Formats the JSON number text `number` as jansson parses it off the wire. */
static int s_fmt(const char *number, const char *currency, char *out)
{
    json_error_t jerr;
    json_t *v = json_loads(number, JSON_DECODE_ANY, &jerr);
    assert_non_null(v);
    int rc = billing_qbo_money_format(v, currency, out, BILLING_QBO_MONEY_MAX);
    json_decref(v);
    return rc;
}

static void s_expect(const char *number, const char *currency, const char *want)
{
    char out[BILLING_QBO_MONEY_MAX];
    int rc = s_fmt(number, currency, out);
    if (rc != 0 || strcmp(out, want) != 0)
        fail_msg("%s %s -> rc %d \"%s\", want \"%s\"", number, currency, rc, out, want);
}

static void s_refused(const char *number, const char *currency)
{
    char out[BILLING_QBO_MONEY_MAX] = "junk";
    assert_int_equal(s_fmt(number, currency, out), -1);
    assert_string_equal(out, "");
}

static void test_currency_decimals(void **state)
{
    (void) state;
    assert_int_equal(billing_qbo_currency_decimals("USD"), 2);
    assert_int_equal(billing_qbo_currency_decimals("EUR"), 2);
    assert_int_equal(billing_qbo_currency_decimals("JPY"), 0);
    assert_int_equal(billing_qbo_currency_decimals("KWD"), 3);
    assert_int_equal(billing_qbo_currency_decimals("BHD"), 3);
    assert_int_equal(billing_qbo_currency_decimals("CHF"), 2);
    assert_int_equal(billing_qbo_currency_decimals("XYZ"), 2);
    assert_int_equal(billing_qbo_currency_decimals(NULL), 2);
}

static void test_money_values(void **state)
{
    (void) state;
    s_expect("1250.5", "USD", "1250.50");
    s_expect("250.0", "USD", "250.00");
    s_expect("0", "USD", "0.00");
    s_expect("-1250", "USD", "-1250.00");
    s_expect("999999999.99", "USD", "999999999.99");
    s_expect("9999999999999.99", "USD", "9999999999999.99"); /* largest exact USD */
    s_expect("0.30000000000000004", "USD", "0.30");          /* 0.1 + 0.2 */
    s_expect("1500", "JPY", "1500");
    s_expect("1500.0", "JPY", "1500");
    s_expect("12.125", "KWD", "12.125");
    s_expect("12", "KWD", "12.000");
    s_expect("0.001", "BHD", "0.001");
    s_expect("-42.5", "USD", "-42.50"); /* a credit */
    s_expect("1.5e3", "USD", "1500.00");
    s_expect("1e-7", "USD", "0.00");
    s_expect("-0.0", "USD", "0.00");
    s_expect("-0.001", "USD", "0.00"); /* never "-0.00" */
}

/* Where binary printf would be wrong: 12.125 is an exact binary tie (printf
 * rounds it to even, 12.12) and 1.005 is stored as 1.00499999999999989... */
static void test_money_rounds_half_away_on_decimal_text(void **state)
{
    (void) state;
    char out[BILLING_QBO_MONEY_MAX];
    snprintf(out, sizeof out, "%.2f", 1.005);
    assert_string_equal(out, "1.00"); /* the trap, on this libc */
    s_expect("1.005", "USD", "1.01");
    s_expect("12.125", "USD", "12.13");
    s_expect("-12.125", "USD", "-12.13");
    s_expect("0.5", "JPY", "1");
    s_expect("-0.5", "JPY", "-1");
    s_expect("0.995", "USD", "1.00");
    s_expect("9.995", "USD", "10.00");
    s_expect("99999.9995", "KWD", "100000.000");
    s_expect("0.0005", "KWD", "0.001");
    s_expect("0.0004", "KWD", "0.000");
}

static void test_money_refuses_out_of_range_and_non_numbers(void **state)
{
    (void) state;
    s_refused("10000000000000.0", "USD"); /* 10^13: past the exact range */
    s_refused("10000000000000", "USD");
    s_refused("1000000000000.0", "KWD");   /* 10^12 */
    s_refused("1000000000000000", "JPY");  /* 10^15 */
    s_refused("999999999999999.5", "JPY"); /* rounds up to 10^15 */
    s_refused("1e300", "USD");
    s_refused("\"12.00\"", "USD");
    s_refused("null", "USD");
    s_expect("999999999999999", "JPY", "999999999999999");
    s_expect("999999999999.999", "KWD", "999999999999.999");

    char tiny[5];
    json_t *v = json_real(1250.5);
    assert_int_equal(billing_qbo_money_format(v, "USD", tiny, sizeof tiny), -1);
    assert_int_equal(billing_qbo_money_format(NULL, "USD", tiny, sizeof tiny), -1);
    json_decref(v);
}

/* Every amount QBO can send below 1000.000 comes back as written. */
static void test_money_round_trips_every_small_amount(void **state)
{
    (void) state;
    char text[32], out[BILLING_QBO_MONEY_MAX];
    for (long minor = 0; minor < 1000000; minor += 1) {
        snprintf(text, sizeof text, "%ld.%03ld", minor / 1000, minor % 1000);
        json_t *v = json_real(strtod(text, NULL));
        assert_int_equal(billing_qbo_money_format(v, "KWD", out, sizeof out), 0);
        if (strcmp(out, text) != 0)
            fail_msg("%s came back as %s", text, out);
        json_decref(v);
    }
    /* and some big USD amounts near the bound, all 2-decimal endings */
    for (long cents = 0; cents < 100; cents++) {
        snprintf(text, sizeof text, "98765432109%02ld.%02ld", cents, 99 - cents);
        json_t *v = json_real(strtod(text, NULL));
        assert_int_equal(billing_qbo_money_format(v, "USD", out, sizeof out), 0);
        assert_string_equal(out, text);
        json_decref(v);
    }
}

/* The invoice of shared/integrations.md A5, with a pay link. */
static const char s_a5_page[] =
    "{\"QueryResponse\":{\"Invoice\":[{"
    "\"Id\":\"130\",\"SyncToken\":\"2\",\"domain\":\"QBO\",\"sparse\":false,"
    "\"MetaData\":{\"CreateTime\":\"2024-03-01T09:12:44-08:00\","
    "\"LastUpdatedTime\":\"2024-03-05T14:02:10-08:00\"},"
    "\"DocNumber\":\"1037\",\"TxnDate\":\"2024-03-01\",\"DueDate\":\"2024-03-31\","
    "\"CurrencyRef\":{\"value\":\"USD\",\"name\":\"United States Dollar\"},"
    "\"CustomerRef\":{\"value\":\"58\",\"name\":\"Acme Dental:Clinic North\"},"
    "\"Line\":[{\"Id\":\"1\",\"LineNum\":1,\"Amount\":250.0,\"DetailType\":\"SalesItemLineDetail\","
    "\"SalesItemLineDetail\":{\"ItemRef\":{\"value\":\"7\"},\"UnitPrice\":125,\"Qty\":2}},"
    "{\"Amount\":250.0,\"DetailType\":\"SubTotalLineDetail\",\"SubTotalLineDetail\":{}}],"
    "\"TotalAmt\":250.0,\"Balance\":100.0,"
    "\"LinkedTxn\":[{\"TxnId\":\"212\",\"TxnType\":\"Payment\"}],"
    "\"InvoiceLink\":\"https://pay.example/inv/130\"}],"
    "\"startPosition\":1,\"maxResults\":1},\"time\":\"2024-03-06T10:00:00.123-08:00\"}";

static billing_qbo_page_t *s_parse_ok(const char *body, billing_qbo_entity_t entity,
                                      const char *home)
{
    billing_qbo_page_t *page = NULL;
    billing_qbo_error_t err = {0};
    if (billing_qbo_page_parse(body, strlen(body), entity, home, &page, &err) != 0)
        fail_msg("parse failed: %s", err.message);
    assert_non_null(page);
    return page;
}

static void test_parse_a5_invoice(void **state)
{
    (void) state;
    billing_qbo_page_t *page = s_parse_ok(s_a5_page, BILLING_QBO_INVOICE, NULL);
    assert_int_equal(page->returned, 1);
    assert_int_equal(page->count, 1);
    assert_int_equal(page->skipped, 0);
    assert_int_equal(page->start_position, 1);
    assert_null(page->customers);
    const billing_qbo_invoice_t *inv = &page->invoices[0];
    assert_string_equal(inv->id, "130");
    assert_string_equal(inv->sync_token, "2");
    assert_string_equal(inv->number, "1037");
    assert_string_equal(inv->issued_on, "2024-03-01");
    assert_string_equal(inv->due_on, "2024-03-31");
    assert_string_equal(inv->total, "250.00");
    assert_string_equal(inv->balance, "100.00");
    assert_string_equal(inv->currency, "USD");
    assert_string_equal(inv->customer_id, "58");
    assert_string_equal(inv->customer_name, "Acme Dental:Clinic North");
    assert_string_equal(inv->pay_url, "https://pay.example/inv/130");
    assert_string_equal(inv->updated_at, "2024-03-05T14:02:10-08:00");
    assert_false(inv->voided);
    assert_int_equal(billing_qbo_invoice_status(inv, "2024-03-15"), BILLING_QBO_OPEN);
    assert_int_equal(billing_qbo_invoice_status(inv, "2024-03-31"), BILLING_QBO_OPEN);
    assert_int_equal(billing_qbo_invoice_status(inv, "2024-04-01"), BILLING_QBO_OVERDUE);

    /* Not NUL-terminated input: parse only the first len bytes. */
    size_t len = strlen(s_a5_page);
    char *copy = malloc(len);
    memcpy(copy, s_a5_page, len);
    billing_qbo_page_t *again = NULL;
    assert_int_equal(billing_qbo_page_parse(copy, len, BILLING_QBO_INVOICE, NULL, &again, NULL), 0);
    assert_string_equal(again->invoices[0].total, "250.00");
    free(copy);
    billing_qbo_page_destroy(&again);

    billing_qbo_page_destroy(&page);
    assert_null(page);
    billing_qbo_page_destroy(&page); /* idempotent */
    billing_qbo_page_destroy(NULL);
}

static void test_parse_currencies_and_omitted_fields(void **state)
{
    (void) state;
    const char *body =
        "{\"QueryResponse\":{\"Invoice\":["
        "{\"Id\":\"1\",\"TotalAmt\":1500,\"Balance\":1500.0,"
        "\"CurrencyRef\":{\"value\":\"JPY\"},\"DueDate\":\"2026-01-31\"},"
        "{\"Id\":\"2\",\"TotalAmt\":12.125,\"Balance\":0.125,\"CurrencyRef\":{\"value\":\"KWD\"}},"
        "{\"Id\":\"3\",\"TotalAmt\":99.9,\"Balance\":0,\"TxnDate\":\"31/01/2026\"},"
        "{\"Id\":\"4\",\"TotalAmt\":10,\"Balance\":10,\"CurrencyRef\":{\"value\":\"usd!\"}}"
        "],\"startPosition\":1,\"maxResults\":4}}";
    billing_qbo_page_t *page = s_parse_ok(body, BILLING_QBO_INVOICE, "EUR");
    assert_int_equal(page->count, 4);
    billing_qbo_invoice_t *r = page->invoices;
    assert_string_equal(r[0].currency, "JPY");
    assert_string_equal(r[0].total, "1500");
    assert_string_equal(r[0].balance, "1500");
    assert_string_equal(r[0].issued_on, ""); /* omitted */
    assert_null(r[0].number);
    assert_null(r[0].pay_url);
    assert_null(r[0].customer_id);
    assert_string_equal(r[1].currency, "KWD");
    assert_string_equal(r[1].total, "12.125");
    assert_string_equal(r[1].balance, "0.125");
    assert_string_equal(r[2].currency, "EUR"); /* no CurrencyRef: the home currency */
    assert_string_equal(r[2].total, "99.90");
    assert_string_equal(r[2].balance, "0.00");
    assert_string_equal(r[2].issued_on, "");   /* not a date: dropped, not trusted */
    assert_string_equal(r[3].currency, "EUR"); /* malformed code: the home currency */
    billing_qbo_page_destroy(&page);
}

static void test_parse_empty_and_skipped_rows(void **state)
{
    (void) state;
    /* No rows: QBO leaves the entity key out entirely (A3). */
    billing_qbo_page_t *page = s_parse_ok(
        "{\"QueryResponse\":{},\"time\":\"2024-03-06T10:00:00-08:00\"}", BILLING_QBO_INVOICE, NULL);
    assert_int_equal(page->returned, 0);
    assert_int_equal(page->count, 0);
    billing_qbo_page_destroy(&page);

    /* Unusable rows are counted, not fatal: the page still pages on. */
    page = s_parse_ok("{\"QueryResponse\":{\"Invoice\":["
                      "{\"TotalAmt\":1,\"Balance\":1},"                  /* no Id */
                      "{\"Id\":\"2\",\"TotalAmt\":\"1\",\"Balance\":1}," /* string money */
                      "{\"Id\":\"3\",\"TotalAmt\":1},"                   /* no Balance */
                      "{\"Id\":\"4\",\"TotalAmt\":1e20,\"Balance\":1},"  /* out of range */
                      "17,"
                      "{\"Id\":\"5\",\"TotalAmt\":7.5,\"Balance\":0}]}}",
                      BILLING_QBO_INVOICE, NULL);
    assert_int_equal(page->returned, 6);
    assert_int_equal(page->count, 1);
    assert_int_equal(page->skipped, 5);
    assert_string_equal(page->invoices[0].id, "5");
    assert_string_equal(page->invoices[0].total, "7.50");
    billing_qbo_page_destroy(&page);
}

static void s_parse_fails(const char *body, billing_qbo_err_t code, const char *fault_code)
{
    billing_qbo_page_t *page = (billing_qbo_page_t *) &page; /* must be reset to NULL */
    billing_qbo_error_t err = {0};
    assert_int_equal(
        billing_qbo_page_parse(body, strlen(body), BILLING_QBO_INVOICE, NULL, &page, &err), -1);
    assert_null(page);
    assert_int_equal(err.code, code);
    assert_string_equal(err.fault_code, fault_code);
    assert_true(strlen(err.message) > 0);
}

static void test_parse_faults_and_garbage(void **state)
{
    (void) state;
    s_parse_fails("{\"Fault\":{\"Error\":[{\"Message\":\"Error parsing query\","
                  "\"Detail\":\"QueryParserError: Encountered \\\"'\\\"\",\"code\":\"4000\"}],"
                  "\"type\":\"ValidationFault\"},\"time\":\"2024-03-06T10:00:00-08:00\"}",
                  BILLING_QBO_E_FAULT, "4000");
    /* The gateway's all-lower-case 401 body (A6). */
    s_parse_fails("{\"fault\":{\"error\":[{\"message\":\"message=AuthenticationFailed; "
                  "errorCode=003200; statusCode=401\",\"detail\":\"Token expired\","
                  "\"code\":\"3200\"}],\"type\":\"AUTHENTICATION\"}}",
                  BILLING_QBO_E_FAULT, "3200");
    /* A Fault beside a QueryResponse still is a fault. */
    s_parse_fails("{\"QueryResponse\":{},\"Fault\":{\"Error\":[{\"code\":\"10000\"}]}}",
                  BILLING_QBO_E_FAULT, "10000");
    /* The throttle body is XML even when JSON was asked for (A6). */
    s_parse_fails("<IntuitResponse><Fault type=\"SERVICE\"><Error code=\"3001\"/></Fault>"
                  "</IntuitResponse>",
                  BILLING_QBO_E_BAD_RESPONSE, "");
    s_parse_fails("", BILLING_QBO_E_BAD_RESPONSE, "");
    s_parse_fails("[1,2]", BILLING_QBO_E_BAD_RESPONSE, "");
    s_parse_fails("{\"time\":\"x\"}", BILLING_QBO_E_BAD_RESPONSE, "");
    s_parse_fails("{\"QueryResponse\":{\"Invoice\":{\"Id\":\"1\"}}}", BILLING_QBO_E_BAD_RESPONSE,
                  "");
    s_parse_fails("{\"QueryResponse\":{\"Invoice\":[{\"Id\":\"1\",\"TotalAmt\":", /* cut */
                  BILLING_QBO_E_BAD_RESPONSE, "");

    billing_qbo_page_t *page = NULL;
    assert_int_equal(billing_qbo_page_parse(NULL, 0, BILLING_QBO_INVOICE, NULL, &page, NULL), -1);
    assert_int_equal(billing_qbo_page_parse("{}", 2, BILLING_QBO_INVOICE, NULL, NULL, NULL), -1);
}

static billing_qbo_status_t s_status(const char *total, const char *balance, const char *note,
                                     const char *due, const char *today)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"QueryResponse\":{\"Invoice\":[{\"Id\":\"9\",\"TotalAmt\":%s,\"Balance\":%s"
             "%s%s%s%s%s%s}]}}",
             total, balance, note ? ",\"PrivateNote\":\"" : "", note ? note : "", note ? "\"" : "",
             due ? ",\"DueDate\":\"" : "", due ? due : "", due ? "\"" : "");
    billing_qbo_page_t *page = s_parse_ok(body, BILLING_QBO_INVOICE, NULL);
    assert_int_equal(page->count, 1);
    billing_qbo_status_t status = billing_qbo_invoice_status(&page->invoices[0], today);
    billing_qbo_page_destroy(&page);
    return status;
}

static void test_status(void **state)
{
    (void) state;
    const char *today = "2026-11-29";
    /* QBO's void shape: amounts zeroed and the memo "Voided". */
    assert_int_equal(s_status("0", "0", "Voided", "2026-01-01", today), BILLING_QBO_VOID);
    assert_int_equal(s_status("0.0", "0.0", "Voided - wrong customer", NULL, today),
                     BILLING_QBO_VOID);
    /* A memo alone does not void an invoice that still has amounts. */
    assert_int_equal(s_status("100.0", "100.0", "Voided", "2026-01-01", today),
                     BILLING_QBO_OVERDUE);
    assert_int_equal(s_status("100.0", "0", "Voided", NULL, today), BILLING_QBO_PAID);
    assert_int_equal(s_status("100.0", "0", NULL, "2020-01-01", today), BILLING_QBO_PAID);
    assert_int_equal(s_status("100.0", "0.001", NULL, "2020-01-01", today), BILLING_QBO_PAID);
    assert_int_equal(s_status("100.0", "0.01", NULL, "2026-11-28", today), BILLING_QBO_OVERDUE);
    assert_int_equal(s_status("100.0", "0.01", NULL, "2026-11-29", today), BILLING_QBO_OPEN);
    assert_int_equal(s_status("100.0", "50", NULL, "2026-12-31", today), BILLING_QBO_OPEN);
    assert_int_equal(s_status("100.0", "50", NULL, NULL, today), BILLING_QBO_OPEN);
    assert_int_equal(s_status("100.0", "50", NULL, "2020-01-01", "not a date"), BILLING_QBO_OPEN);
    assert_int_equal(s_status("100.0", "50", NULL, "2020-01-01", NULL), BILLING_QBO_OPEN);
    assert_int_equal(s_status("0", "0", NULL, "2020-01-01", today), BILLING_QBO_OPEN);
    assert_int_equal(s_status("-20.0", "-20.0", NULL, "2020-01-01", today), BILLING_QBO_OPEN);
    assert_int_equal(billing_qbo_invoice_status(NULL, today), BILLING_QBO_OPEN);

    assert_string_equal(billing_qbo_status_name(BILLING_QBO_OPEN), "open");
    assert_string_equal(billing_qbo_status_name(BILLING_QBO_PAID), "paid");
    assert_string_equal(billing_qbo_status_name(BILLING_QBO_OVERDUE), "overdue");
    assert_string_equal(billing_qbo_status_name(BILLING_QBO_VOID), "void");
}

static void test_parse_customers(void **state)
{
    (void) state;
    const char *body =
        "{\"QueryResponse\":{\"Customer\":[{"
        "\"Id\":\"58\",\"SyncToken\":\"4\",\"domain\":\"QBO\","
        "\"MetaData\":{\"CreateTime\":\"2024-01-01T00:00:00-08:00\","
        "\"LastUpdatedTime\":\"2024-03-01T00:00:00-08:00\"},"
        "\"DisplayName\":\"Clinic North\",\"FullyQualifiedName\":\"Acme Dental:Clinic North\","
        "\"CompanyName\":\"Acme Dental North LLC\","
        "\"PrimaryEmailAddr\":{\"Address\":\"ap@acme.example\"},\"Active\":true,\"Job\":true,"
        "\"ParentRef\":{\"value\":\"57\"},\"Level\":1,\"Balance\":100.0,"
        "\"CurrencyRef\":{\"value\":\"USD\"}},"
        "{\"Id\":\"60\",\"DisplayName\":\"O'Keefe's Dental \\u2013 North\",\"Active\":false},"
        "{\"Id\":\"61\",\"DisplayName\":\"Quiet\"}"
        "],\"startPosition\":1,\"maxResults\":3}}";
    billing_qbo_page_t *page = s_parse_ok(body, BILLING_QBO_CUSTOMER, "GBP");
    assert_int_equal(page->count, 3);
    assert_null(page->invoices);
    billing_qbo_customer_t *c = page->customers;
    assert_string_equal(c[0].id, "58");
    assert_string_equal(c[0].sync_token, "4");
    assert_string_equal(c[0].display_name, "Clinic North");
    assert_string_equal(c[0].full_name, "Acme Dental:Clinic North");
    assert_string_equal(c[0].company_name, "Acme Dental North LLC");
    assert_string_equal(c[0].email, "ap@acme.example");
    assert_string_equal(c[0].parent_id, "57");
    assert_true(c[0].active);
    assert_string_equal(c[0].balance, "100.00");
    assert_string_equal(c[0].currency, "USD");
    assert_string_equal(c[0].updated_at, "2024-03-01T00:00:00-08:00");
    assert_string_equal(c[1].display_name, "O'Keefe's Dental \xe2\x80\x93 North");
    assert_false(c[1].active);
    assert_null(c[1].parent_id);
    assert_string_equal(c[1].balance, ""); /* omitted */
    assert_string_equal(c[1].currency, "GBP");
    assert_true(c[2].active); /* omitted Active is the default, active */
    billing_qbo_page_destroy(&page);
}

static void test_parse_payments(void **state)
{
    (void) state;
    const char *body =
        "{\"QueryResponse\":{\"Payment\":[{"
        "\"Id\":\"212\",\"SyncToken\":\"0\",\"TxnDate\":\"2024-03-05\","
        "\"CustomerRef\":{\"value\":\"58\"},\"CurrencyRef\":{\"value\":\"KWD\"},"
        "\"TotalAmt\":150.5,\"UnappliedAmt\":0.25,"
        "\"Line\":[{\"Amount\":100.125,\"LinkedTxn\":[{\"TxnId\":\"130\",\"TxnType\":\"Invoice\"}]}"
        ","
        "{\"Amount\":50.125,\"LinkedTxn\":[{\"TxnId\":\"131\",\"TxnType\":\"Invoice\"},"
        "{\"TxnId\":\"77\",\"TxnType\":\"CreditMemo\"}]},"
        "{\"Amount\":1}]},"
        "{\"Id\":\"213\",\"TotalAmt\":5}]}}";
    billing_qbo_page_t *page = s_parse_ok(body, BILLING_QBO_PAYMENT, NULL);
    assert_int_equal(page->count, 2);
    billing_qbo_payment_t *p = page->payments;
    assert_string_equal(p[0].id, "212");
    assert_string_equal(p[0].issued_on, "2024-03-05");
    assert_string_equal(p[0].customer_id, "58");
    assert_string_equal(p[0].total, "150.500");
    assert_string_equal(p[0].unapplied, "0.250");
    assert_int_equal(p[0].applied_count, 2);
    assert_string_equal(p[0].applied[0].invoice_id, "130");
    assert_string_equal(p[0].applied[0].amount, "100.125");
    assert_string_equal(p[0].applied[1].invoice_id, "131");
    assert_string_equal(p[0].applied[1].amount, "50.125");
    assert_string_equal(p[1].total, "5.00");
    assert_string_equal(p[1].unapplied, "");
    assert_int_equal(p[1].applied_count, 0);
    billing_qbo_page_destroy(&page);
}

static void test_query_literal(void **state)
{
    (void) state;
    char *s = billing_qbo_query_literal("O'Keefe's \\ Dental");
    assert_string_equal(s, "'O\\'Keefe\\'s \\\\ Dental'");
    free(s);
    s = billing_qbo_query_literal("");
    assert_string_equal(s, "''");
    free(s);
    assert_null(billing_qbo_query_literal(NULL));
}

static void s_query(billing_qbo_entity_t e, const char *since, long start, long max,
                    const char *want)
{
    char *q = billing_qbo_query_build(e, since, start, max);
    if (!want) {
        if (q)
            fail_msg("expected refusal, got %s", q);
        return;
    }
    assert_non_null(q);
    assert_string_equal(q, want);
    free(q);
}

static void test_query_build(void **state)
{
    (void) state;
    s_query(
        BILLING_QBO_INVOICE, NULL, 1, 1000,
        "select * from Invoice orderby Metadata.LastUpdatedTime startposition 1 maxresults 1000");
    s_query(BILLING_QBO_INVOICE, "2024-03-01T00:00:00-08:00", 1001, 1000,
            "select * from Invoice where Metadata.LastUpdatedTime >= '2024-03-01T00:00:00-08:00' "
            "orderby Metadata.LastUpdatedTime startposition 1001 maxresults 1000");
    s_query(
        BILLING_QBO_PAYMENT, "2024-03-01T08:00:00.250Z", 1, 10,
        "select * from Payment where Metadata.LastUpdatedTime >= '2024-03-01T08:00:00.250+00:00' "
        "orderby Metadata.LastUpdatedTime startposition 1 maxresults 10");
    s_query(BILLING_QBO_CUSTOMER, NULL, 1, 1000,
            "select * from Customer where Active IN (true,false) "
            "orderby Metadata.LastUpdatedTime startposition 1 maxresults 1000");
    s_query(BILLING_QBO_CUSTOMER, "2024-03-01T00:00:00+05:30", 1, 1000,
            "select * from Customer where Metadata.LastUpdatedTime >= '2024-03-01T00:00:00+05:30' "
            "and Active IN (true,false) orderby Metadata.LastUpdatedTime startposition 1 "
            "maxresults 1000");
    /* refusals: no offset (would be read as Pacific, P8), not a time, injection, bounds */
    s_query(BILLING_QBO_INVOICE, "2024-03-01T00:00:00", 1, 1000, NULL);
    s_query(BILLING_QBO_INVOICE, "2024-03-01", 1, 1000, NULL);
    s_query(BILLING_QBO_INVOICE, "2024-03-01T00:00:00-08:00' or Id > '0", 1, 1000, NULL);
    s_query(BILLING_QBO_INVOICE, "2024-03-01T00:00:00.Z", 1, 1000, NULL);
    s_query(BILLING_QBO_INVOICE, NULL, 0, 1000, NULL);
    s_query(BILLING_QBO_INVOICE, NULL, 1, 0, NULL);
    s_query(BILLING_QBO_INVOICE, NULL, 1, 1001, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_decimals),
        cmocka_unit_test(test_money_values),
        cmocka_unit_test(test_money_rounds_half_away_on_decimal_text),
        cmocka_unit_test(test_money_refuses_out_of_range_and_non_numbers),
        cmocka_unit_test(test_money_round_trips_every_small_amount),
        cmocka_unit_test(test_parse_a5_invoice),
        cmocka_unit_test(test_parse_currencies_and_omitted_fields),
        cmocka_unit_test(test_parse_empty_and_skipped_rows),
        cmocka_unit_test(test_parse_faults_and_garbage),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_parse_customers),
        cmocka_unit_test(test_parse_payments),
        cmocka_unit_test(test_query_literal),
        cmocka_unit_test(test_query_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
