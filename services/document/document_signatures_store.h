/* document_signatures_store: the SQL of signature requests (tables of
 * sql/004_signatures.sql). Strings and messages it returns live in the
 * request's arena; a PGresult never leaves a function.
 *
 * Like document_store, it checks no permission and opens no transaction:
 * document_signatures.c brackets the statements that belong together.
 */
#ifndef DOCUMENT_SIGNATURES_STORE_H
#define DOCUMENT_SIGNATURES_STORE_H

#include "at_service.h"
#include "document.pb-c.h"
#include <stdbool.h>

typedef Atrium__Document__SignatureRequest doc_sig_t;

/* A request with what access checks and the certificate need. */
typedef struct {
    doc_sig_t *req; /* in the arena, signers in position order */
    const char *firm_id;
    const char **signer_events; /* per signer: its act's audit event id, or NULL */
    bool doc_internal;          /* the document is in an internal folder now */
    bool doc_deleted;           /* the document is soft-deleted now */
} doc_sig_row_t;

/* What a new request holds (borrowed strings; message, due_at may be NULL). */
typedef struct {
    const char *firm_id, *client_id, *document_id, *document_name, *document_sha256;
    int32_t document_version;
    const char *kind, *message, *due_at;
    bool ordered;
    const char *created_by, *created_by_name;
} doc_sig_new_t;

/* Inserts a pending request; *id in the arena. */
at_status_t doc_sig_store_create(at_ctx_t *ctx, const doc_sig_new_t *in, const char **id);

/* Adds signer user_id at position (1..n) to request_id. */
at_status_t doc_sig_store_signer_add(at_ctx_t *ctx, const char *request_id, const char *firm_id,
                                     int position, const char *user_id, const char *name,
                                     const char *kind);

/* Records that audit event event_id (action, by user_id, about the signer
 * subject_id; both may be NULL) concerns request_id. */
at_status_t doc_sig_store_event_add(at_ctx_t *ctx, const char *event_id, const char *request_id,
                                    const char *firm_id, const char *action, const char *user_id,
                                    const char *subject_id);

/* The request id with its signers (lock: the request row FOR UPDATE, so
 * acts on one request run one after the other). AT_NOT_FOUND if none. */
at_status_t doc_sig_store_get(at_ctx_t *ctx, const char *id, bool lock, doc_sig_row_t *out);

/* What a list selects. */
typedef struct {
    const char *firm_id;
    const char *document_id; /* set: that document's requests; NULL: the caller's */
    const char *user_id;     /* the caller */
    const char *status;      /* NULL: any */
    bool awaiting_me;        /* only requests waiting on the caller now */
    bool staff;              /* the caller sees internal and deleted documents */
    bool all_clients;        /* the caller sees every client of the firm */
    const char *clients;     /* else: a PostgreSQL array literal of the caller's client ids */
    int limit;
    const char *after_key, *after_id; /* keyset cursor or NULL */
} doc_sig_filter_t;

/* A page of requests, newest first, with their signers, into out. For the
 * caller's list (no document_id): requests naming the caller as a signer
 * or made by them; status "pending" there means waiting on the caller (a
 * pending signer) or made by them and pending. */
at_status_t doc_sig_store_list(at_ctx_t *ctx, const doc_sig_filter_t *f,
                               Atrium__Document__SignatureRequestList *out);

/* Records signer user_id's act on request_id: status "signed" (typed_name)
 * or "declined" (reason), the time, ip, user agent and audit event id.
 * AT_NOT_FOUND when that signer is not pending (nothing written). */
at_status_t doc_sig_store_signer_act(at_ctx_t *ctx, const char *request_id, const char *user_id,
                                     const char *status, const char *typed_name, const char *reason,
                                     const char *ip, const char *user_agent, const char *event_id);

/* Sets the request's status ("completed" also sets completed_at). */
at_status_t doc_sig_store_set_status(at_ctx_t *ctx, const char *id, const char *status);

/* One request voided or claimed for a reminder (strings in the arena). */
typedef struct {
    const char *id, *firm_id, *client_id, *document_id, *document_name, *kind, *due_at;
    const char *message;
    int32_t document_version;
    bool past_due; /* due_at has passed (a "before" claim then sends nothing) */
} doc_sig_brief_t;

/* Voids every pending request of document_id with reason, returning them
 * in *out (arena), *n. */
at_status_t doc_sig_store_void_document(at_ctx_t *ctx, const char *document_id, const char *reason,
                                        doc_sig_brief_t **out, int *n);

/* Claims up to max pending requests due for a reminder, once each: due
 * false claims the "before" reminder (due_at - lead_s has come), true the
 * "at due_at" one, by setting its reminded_*_at in one UPDATE over rows
 * taken FOR UPDATE SKIP LOCKED. *out (arena), *n. */
at_status_t doc_sig_store_claim_reminders(at_ctx_t *ctx, bool due, int64_t lead_s, int max,
                                          doc_sig_brief_t **out, int *n);

/* Every audit event of request_id, oldest first, as CertificateEvents
 * (arena; audit fields unset) in *out, *n. */
at_status_t doc_sig_store_events(at_ctx_t *ctx, const char *request_id,
                                 Atrium__Document__CertificateEvent ***out, size_t *n);

#endif
