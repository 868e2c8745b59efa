/* atrium-billing-sync: QuickBooks Online invoices for the portal. */
#include "at_service.h"

extern const at_service_def_t billing_service;

int main(int argc, char **argv)
{
    return at_service_main(argc, argv, &billing_service);
}
