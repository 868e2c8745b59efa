/* atrium-document: the document service process (folders, documents,
 * versions and the chunked byte transfer). Everything is in document_server.c. */
#include "at_service.h"

extern const at_service_def_t document_service;

int main(int argc, char **argv)
{
    return at_service_main(argc, argv, &document_service);
}
