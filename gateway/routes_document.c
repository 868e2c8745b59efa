/* routes_document: the document service's JSON endpoints (api.md
 * "Documents"). Upload (POST .../documents, POST .../versions) and
 * content download and the preview stream through gw_stream.c, not this
 * table (an upload's ?request_id= fulfils a document request), and a
 * signature certificate (JSON or PDF) is hand-written in gw_certificate.c. */
#include "document.pb-c.h"
#include "gw_route.h"
#include <stddef.h>

/* A document at the top level has "folder_id": null, a top-level folder
 * "parent_id": null, as api.md's shapes list them. */
static const char *const s_doc_nulls[] = {"folder_id", "next_cursor", NULL};
static const char *const s_doc_one_nulls[] = {"folder_id", "deleted_at", NULL};
#define REQ_NULLS                                                                             \
    "description", "due_at", "folder_id", "reason", "document_id", "version", "submitted_by", \
        "submitted_at"
static const char *const s_req_nulls[] = {REQ_NULLS, NULL};
static const char *const s_reqs_nulls[] = {REQ_NULLS, "next_cursor", NULL};
static const char *const s_folder_nulls[] = {"parent_id", "next_cursor", NULL};
/* a signature request: what has not happened yet is null */
#define SIG_NULLS                                                                          \
    "message", "due_at", "completed_at", "voided_at", "void_reason", "name", "typed_name", \
        "acted_at", "ip", "user_agent", "reason"
static const char *const s_sig_nulls[] = {SIG_NULLS, NULL};
static const char *const s_sigs_nulls[] = {SIG_NULLS, "next_cursor", NULL};

const gw_route_t gw_routes_document[] = {
    {"GET", "/api/v1/clients/{client_id}/folders", GW_AUTH_REQUIRED, "document.folders_list",
     &atrium__document__list_folders_request__descriptor,
     &atrium__document__folder_list__descriptor, 200, GW_NO_BODY, s_folder_nulls},
    {"POST", "/api/v1/clients/{client_id}/folders", GW_AUTH_REQUIRED, "document.folders_create",
     &atrium__document__create_folder_request__descriptor, &atrium__document__folder__descriptor,
     201, 0, s_folder_nulls},
    {"GET", "/api/v1/clients/{client_id}/documents", GW_AUTH_REQUIRED, "document.list",
     &atrium__document__list_documents_request__descriptor,
     &atrium__document__document_list__descriptor, 200, GW_NO_BODY, s_doc_nulls},
    /* staff also get a soft-deleted document, with its deleted_at */
    {"GET", "/api/v1/documents/{id}", GW_AUTH_REQUIRED, "document.get",
     &atrium__document__get_document_request__descriptor, &atrium__document__document__descriptor,
     200, GW_NO_BODY, s_doc_one_nulls},
    {"PATCH", "/api/v1/documents/{id}", GW_AUTH_REQUIRED, "document.update",
     &atrium__document__update_document_request__descriptor,
     &atrium__document__document__descriptor, 200, 0, s_doc_nulls},
    /* deleting twice: the second answers 404, nothing is lost by a retry */
    {"DELETE", "/api/v1/documents/{id}", GW_AUTH_REQUIRED, "document.delete",
     &atrium__document__delete_document_request__descriptor, NULL, 204, GW_NO_BODY, NULL},
    {"GET", "/api/v1/documents/{id}/versions", GW_AUTH_REQUIRED, "document.versions",
     &atrium__document__list_versions_request__descriptor,
     &atrium__document__version_list__descriptor, 200, GW_NO_BODY, NULL},
    {"POST", "/api/v1/documents/{id}/versions/{version}/restore", GW_AUTH_REQUIRED,
     "document.restore_version", &atrium__document__restore_version_request__descriptor,
     &atrium__document__document__descriptor, 201, GW_NO_BODY, s_doc_one_nulls},
    /* staff only; restoring a live document answers it unchanged */
    {"POST", "/api/v1/documents/{id}/restore", GW_AUTH_REQUIRED, "document.restore",
     &atrium__document__restore_document_request__descriptor,
     &atrium__document__document__descriptor, 200, GW_NO_BODY | GW_IDEMPOTENT, s_doc_one_nulls},
    /* owner/admin; only a deleted document (409 otherwise); its bytes go */
    {"POST", "/api/v1/documents/{id}/purge", GW_AUTH_REQUIRED, "document.purge",
     &atrium__document__purge_document_request__descriptor, NULL, 204, GW_NO_BODY, NULL},
    {"GET", "/api/v1/documents/{id}/activity", GW_AUTH_REQUIRED, "document.activity",
     &atrium__document__activity_request__descriptor, &atrium__document__activity_list__descriptor,
     200, GW_NO_BODY, NULL},
    {"GET", "/api/v1/clients/{client_id}/document-requests", GW_AUTH_REQUIRED,
     "document.requests_list", &atrium__document__list_document_requests_request__descriptor,
     &atrium__document__document_request_list__descriptor, 200, GW_NO_BODY, s_reqs_nulls},
    {"POST", "/api/v1/clients/{client_id}/document-requests", GW_AUTH_REQUIRED,
     "document.requests_create", &atrium__document__create_document_request_request__descriptor,
     &atrium__document__document_request__descriptor, 201, 0, s_req_nulls},
    {"POST", "/api/v1/document-requests/{id}/accept", GW_AUTH_REQUIRED, "document.requests_accept",
     &atrium__document__decide_document_request_request__descriptor,
     &atrium__document__document_request__descriptor, 200, GW_NO_BODY, s_req_nulls},
    {"POST", "/api/v1/document-requests/{id}/reject", GW_AUTH_REQUIRED, "document.requests_reject",
     &atrium__document__decide_document_request_request__descriptor,
     &atrium__document__document_request__descriptor, 200, 0, s_req_nulls},
    /* signature and approval requests (document_signatures.c): staff ask;
     * named signers sign or decline; the certificate is in gw_certificate.c */
    {"POST", "/api/v1/documents/{id}/signature-requests", GW_AUTH_REQUIRED,
     "document.signature_create", &atrium__document__create_signature_request_request__descriptor,
     &atrium__document__signature_request__descriptor, 201, 0, s_sig_nulls},
    {"GET", "/api/v1/documents/{id}/signature-requests", GW_AUTH_REQUIRED,
     "document.signature_document_list",
     &atrium__document__list_signature_requests_request__descriptor,
     &atrium__document__signature_request_list__descriptor, 200, GW_NO_BODY, s_sigs_nulls},
    {"GET", "/api/v1/signature-requests", GW_AUTH_REQUIRED, "document.signature_list",
     &atrium__document__list_signature_requests_request__descriptor,
     &atrium__document__signature_request_list__descriptor, 200, GW_NO_BODY, s_sigs_nulls},
    {"GET", "/api/v1/signature-requests/{id}", GW_AUTH_REQUIRED, "document.signature_get",
     &atrium__document__get_signature_request_request__descriptor,
     &atrium__document__signature_request__descriptor, 200, GW_NO_BODY, s_sig_nulls},
    {"POST", "/api/v1/signature-requests/{id}/sign", GW_AUTH_REQUIRED, "document.signature_sign",
     &atrium__document__sign_request__descriptor, &atrium__document__signature_request__descriptor,
     200, 0, s_sig_nulls},
    {"POST", "/api/v1/signature-requests/{id}/decline", GW_AUTH_REQUIRED,
     "document.signature_decline", &atrium__document__decline_request__descriptor,
     &atrium__document__signature_request__descriptor, 200, 0, s_sig_nulls},
    {"POST", "/api/v1/signature-requests/{id}/remind", GW_AUTH_REQUIRED,
     "document.signature_remind", &atrium__document__remind_request__descriptor,
     &atrium__document__signature_request__descriptor, 200, GW_NO_BODY, s_sig_nulls},
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
