/* routes_billing: the billing-sync rows of the gateway's route table
 * (api.md "Billing"). Webhooks come with the integrations issue. */
#include "billing.pb-c.h"
#include "gw_route.h"

const gw_route_t gw_routes_billing[] = {
    {"GET", "/api/v1/clients/{client_id}/invoices", GW_AUTH_REQUIRED, "billing-sync.invoices",
     &atrium__billing__invoice_list_request__descriptor, &atrium__billing__invoice_page__descriptor,
     200, GW_NO_BODY, NULL},
    {"GET", "/api/v1/invoices/{id}", GW_AUTH_REQUIRED, "billing-sync.invoice",
     &atrium__billing__invoice_get_request__descriptor, &atrium__billing__invoice__descriptor, 200,
     GW_NO_BODY, NULL},
    {"GET", "/api/v1/integrations", GW_AUTH_REQUIRED, "billing-sync.integrations",
     &atrium__billing__integration_list_request__descriptor,
     &atrium__billing__integration_list__descriptor, 200, GW_NO_BODY, NULL},
    {"GET", "/api/v1/integrations/{provider}/connect", GW_AUTH_REQUIRED, "billing-sync.connect",
     &atrium__billing__connect_request__descriptor, &atrium__billing__connect_reply__descriptor,
     200, GW_NO_BODY | GW_REDIRECT, NULL},
    {"GET", "/api/v1/integrations/{provider}/callback", GW_AUTH_REQUIRED, "billing-sync.callback",
     &atrium__billing__callback_request__descriptor, &atrium__billing__callback_reply__descriptor,
     200, GW_NO_BODY | GW_REDIRECT, NULL},
    {"POST", "/api/v1/integrations/{provider}/sync", GW_AUTH_REQUIRED, "billing-sync.sync",
     &atrium__billing__sync_request__descriptor, &atrium__billing__sync_reply__descriptor, 202, 0,
     NULL},
    {"GET", "/api/v1/integrations/{provider}/syncs/{sync_id}", GW_AUTH_REQUIRED,
     "billing-sync.sync_get", &atrium__billing__sync_get_request__descriptor,
     &atrium__billing__sync__descriptor, 200, GW_NO_BODY, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
