/* billing_store: every SQL statement of billing-sync; nothing else in the
 * service includes libpq. Store functions take the request context, run
 * parameterised statements and build replies in the context's arena.
 *
 * It does not talk to providers (billing_qbo_client does) and does not
 * check permissions (billing_server does).
 */
#ifndef BILLING_STORE_H
#define BILLING_STORE_H

#include "at_service.h"
#include "billing.pb-c.h"
#include <jansson.h>

/* A page of the client's invoices, newest issued first, after the cursor
 * key/id (NULL: first page); status filters when not NULL. */
at_status_t billing_store_invoices(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                   const char *status, const char *after_key, const char *after_id,
                                   int limit, Atrium__Billing__InvoicePage **page);

/* One invoice of the firm with the client it belongs to (NULL when its
 * customer is linked to no client). AT_NOT_FOUND when absent. */
at_status_t billing_store_invoice(at_ctx_t *ctx, const char *firm_id, const char *id,
                                  Atrium__Billing__Invoice **invoice);

/* The firm's integration with provider: status, last sync, counts. A firm
 * without a connection gets status "not_connected". */
at_status_t billing_store_integration(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                      Atrium__Billing__Integration **out);

/* Records an OAuth state (by its SHA-256 hex) valid for ten minutes. */
at_status_t billing_store_state_put(at_ctx_t *ctx, const char *state_hash, const char *firm_id,
                                    const char *user_id, const char *provider);

/* Consumes the state atomically (single use): AT_OK when it existed for
 * this firm, user and provider and had not expired; AT_NOT_FOUND else. */
at_status_t billing_store_state_take(at_ctx_t *ctx, const char *state_hash, const char *firm_id,
                                     const char *user_id, const char *provider);

/* Stores (or replaces) the firm's connection. */
at_status_t billing_store_connect(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                  const char *realm_id, const char *refresh_token,
                                  const char *user_id);

/* The connection's realm and refresh token (arena); AT_NOT_FOUND when the
 * firm is not connected. */
at_status_t billing_store_connection(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                     char **realm_id, char **refresh_token);

/* Saves a rotated refresh token (the provider may issue a new one on every
 * refresh and void the old one, so it is saved before it is used). */
at_status_t billing_store_save_refresh(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                       const char *refresh_token);

/* Replaces the firm's client links with links (a JSON array of objects
 * {client_id, name_key, qbo_customer_id}). */
at_status_t billing_store_links_replace(at_ctx_t *ctx, const char *firm_id, json_t *links);

/* Queues a sync unless one is queued or running; *sync_id is the one that
 * will run (arena). */
at_status_t billing_store_sync_queue(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                     const char *user_id, char **sync_id);

/* A sync of the firm (AT_NOT_FOUND when it is not theirs). */
at_status_t billing_store_sync_get(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                   const char *sync_id, Atrium__Billing__Sync **out);

/* Claims the oldest queued sync for this instance (FOR UPDATE SKIP LOCKED,
 * so several instances never run the same one). AT_NOT_FOUND when none. */
at_status_t billing_store_sync_claim(at_ctx_t *ctx, char **sync_id, char **firm_id,
                                     char **provider);

/* Upserts a page of customers / invoices given as a JSON array of records;
 * a record whose sync token did not change is not written. *written is the
 * number of rows inserted or changed. */
at_status_t billing_store_upsert_customers(at_ctx_t *ctx, const char *firm_id, const char *realm_id,
                                           json_t *rows, long *written);
at_status_t billing_store_upsert_invoices(at_ctx_t *ctx, const char *firm_id, const char *realm_id,
                                          json_t *rows, long *written);

/* Links customers to clients: by the client's stored QuickBooks id first,
 * else by the same name (case-insensitive). */
at_status_t billing_store_link_customers(at_ctx_t *ctx, const char *firm_id, const char *realm_id);

/* Adds to a running sync's counters. */
at_status_t billing_store_sync_progress(at_ctx_t *ctx, const char *sync_id, long invoices_seen,
                                        long invoices_written, long customers_seen);

/* Ends a sync: done (error NULL) or failed with error; updates the
 * connection's last_sync_at / last_error. */
at_status_t billing_store_sync_finish(at_ctx_t *ctx, const char *sync_id, const char *firm_id,
                                      const char *provider, const char *error);

/* The unpaid (open or overdue, not void) invoices of firm_id the caller
 * sees: all of them when all (invoices of no client included), else those
 * of the clients in the JSON array text clients. Counts and exact decimal
 * balances per currency into *out (arena). One statement. */
at_status_t billing_store_dashboard(at_ctx_t *ctx, const char *firm_id, bool all,
                                    const char *clients, Atrium__Billing__DashboardReply *out);

#endif
