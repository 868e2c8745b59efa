/* gw_certificate: GET /api/v1/signature-requests/{id}/certificate, the one
 * signature route that may answer something other than JSON. The document
 * service gathers the evidence (and renders the PDF with cairo); the
 * gateway only picks the representation: JSON by the descriptor like every
 * route, or the PDF bytes as an attachment.
 *
 * It checks no permission (the service does: 404 for a request the caller
 * may not see) and never builds PDF or JSON by hand.
 */
#include "gw.h"
#include "at_pbjson.h"
#include "document.pb-c.h"
#include <string.h>

/* Absent evidence is null, not missing: a signer who has not signed, an
 * event the audit trail has not stored yet. */
static const char *const s_nulls[] = {
    "message",    "completed_at", "typed_name",     "signed_at", "ip",
    "user_agent", "reason",       "audit_event_id", "audit_seq", "audit_hash",
    "actor_id",   "subject_id",   "created_at",     NULL,
};

void gw_signature_certificate(gw_req_t *r, const char *id)
{
    Atrium__Document__CertificateRequest req = ATRIUM__DOCUMENT__CERTIFICATE_REQUEST__INIT;
    req.id = (char *) id;
    req.format = (char *) gw_query(r, "format");
    bool pdf = req.format && strcmp(req.format, "pdf") == 0;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *out = NULL;
    at_status_t st = gw_call_msg(r, "document.signature_certificate", true, &req.base,
                                 &atrium__document__certificate__descriptor, &out, &rep);
    if (!at_status_is_success(st)) {
        const char *msg = rep && rep->message ? rep->message
                          : st == AT_TIMEOUT  ? "the service did not answer in time"
                                              : "the service cannot be reached";
        return gw_send_status(r, st, msg, rep ? rep->field : NULL,
                              rep && rep->has_retry_after ? rep->retry_after : 0);
    }
    Atrium__Document__Certificate *c = (Atrium__Document__Certificate *) out;
    if (!pdf) {
        c->has_pdf = 0;
        json_t *json = at_pbjson_encode(out, s_nulls);
        gw_send_json(r, 200, json, NULL);
        json_decref(json);
        return;
    }
    if (!c->has_pdf || !c->pdf.len)
        return gw_send_error(r, 500, "internal", "the certificate was not rendered", NULL, 0);
    char head[1024];
    /* the id is a uuid (the service found the request by it) */
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\n"
                      "X-Request-Id: %s\r\n"
                      "Cache-Control: no-store\r\n"
                      "%s"
                      "Content-Type: application/pdf\r\n"
                      "Content-Disposition: attachment;"
                      " filename=\"signature-certificate-%.36s.pdf\"\r\n"
                      "Content-Length: %zu\r\n"
                      "\r\n",
                      r->request_id, gw_security_headers(r->gw), c->request_id, c->pdf.len);
    if (hl < 0 || (size_t) hl >= sizeof head)
        return gw_send_error(r, 500, "internal", "response headers too long", NULL, 0);
    mg_write(r->conn, head, (size_t) hl);
    mg_write(r->conn, c->pdf.data, c->pdf.len);
    r->status = 200;
}
