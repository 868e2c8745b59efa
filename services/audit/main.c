/* atrium-audit: the audit trail service (ingest from every outbox relay,
 * the hash chain, the trail's read API). Everything is in audit_server.c. */
#include "at_service.h"

extern const at_service_def_t audit_service;

int main(int argc, char **argv)
{
    return at_service_main(argc, argv, &audit_service);
}
