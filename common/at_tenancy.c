/* at_tenancy: client existence for all_clients principals (see header). */
#include "at_tenancy.h"
#include "at_text.h"
#include "tenancy.pb-c.h"
#include <strings.h>

at_status_t at_client_visible(at_ctx_t *ctx, const char *client_id, const char **role)
{
    *role = NULL;
    const Atrium__Principal *p = ctx->principal;
    const char *r = p && at_text_uuid(client_id) ? at_can_see_client(ctx, p->firm_id, client_id)
                                                  : NULL;
    if (!r)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i]->client_id && strcasecmp(p->clients[i]->client_id, client_id) == 0) {
            *role = r;
            return AT_OK;
        }
    Atrium__Tenancy__ClientRef req = ATRIUM__TENANCY__CLIENT_REF__INIT;
    req.client_id = (char *) client_id;
    ProtobufCMessage *reply = NULL;
    at_status_t st = at_call(ctx, "auth.client_get", &req.base, NULL, &reply);
    if (st == AT_NOT_FOUND || st == AT_FORBIDDEN)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    if (!at_status_is_success(st))
        return st;
    *role = r;
    return AT_OK;
}
