/* routes_document: the document service's JSON endpoints (api.md
 * "Documents"). Upload (POST .../documents, POST .../versions) and
 * content download and the preview stream through gw_stream.c, not this
 * table (an upload's ?request_id= fulfils a document request); signatures
 * are not served yet. */
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
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
