/* document_signatures: signature and approval requests on documents (api.md
 * "Documents"): the bus methods behind the /signature-requests routes, the
 * hook that voids pending requests when a document gets a new version, and
 * the reminder work of the background thread.
 *
 * Staff request; signers are users who can see the document (asked of
 * auth); a signature binds to the version's SHA-256. Each act is an audit
 * event whose id is kept, so the certificate can show where it stands in
 * the firm's hash chain (asked of audit). It holds no SQL
 * (document_signatures_store.c), no rules (document_signatures_logic.c) and
 * no PDF drawing (document_signatures_pdf.c).
 */
#ifndef DOCUMENT_SIGNATURES_H
#define DOCUMENT_SIGNATURES_H

#include "at_service.h"

/* The handlers of the method table (at_handler_fn), one per route:
 * document.signature_create   POST /documents/{id}/signature-requests
 * document.signature_list     GET  /signature-requests (the caller's)
 * document.signature_document_list GET /documents/{id}/signature-requests
 * document.signature_get      GET  /signature-requests/{id}
 * document.signature_sign     POST /signature-requests/{id}/sign
 * document.signature_decline  POST /signature-requests/{id}/decline
 * document.signature_remind   POST /signature-requests/{id}/remind
 * document.signature_certificate GET /signature-requests/{id}/certificate
 *   (format=pdf: the reply's pdf field holds the rendering) */
at_status_t doc_sig_create(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);
at_status_t doc_sig_list(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);
at_status_t doc_sig_document_list(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply);
at_status_t doc_sig_get(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);
at_status_t doc_sig_sign(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);
at_status_t doc_sig_decline(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);
at_status_t doc_sig_remind(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);
at_status_t doc_sig_certificate(at_ctx_t *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage **reply);

/* Voids every pending signature request of document_id (of firm_id and
 * client_id; internal: in an internal folder) because it now has version
 * `version` (0: because it was deleted): called inside the transaction that
 * adds the version (upload, new version, restore) or deletes the document,
 * so the two commit together. Writes a
 * signature.voided audit event per request. Returns AT_OK or a db status. */
at_status_t doc_sig_void_document(at_ctx_t *ctx, const char *document_id, const char *firm_id,
                                  const char *client_id, int32_t version, bool internal);

/* One round of reminders, for the service's background thread: claims the
 * pending requests whose "before" time (due_at minus
 * ATRIUM_SIGNATURE_REMINDER_S) or due_at has come, each once whatever the
 * number of instances, and reminds the signers it waits on: an audit
 * event, an in-app notification (Redis atrium:events:<firm>, type
 * "notification", for that user only) and a mail through auth. A "before"
 * claim found already past due sends nothing (the due reminder follows). */
void document_signatures_tick(at_ctx_t *ctx);

#endif
