/* at_tenancy: whether the caller may address a client by its id when there
 * is no row yet to compare (creating or listing a client's things).
 *
 * at_can_see_client answers from the principal alone: a grant names the
 * client, but an owner or admin (all_clients) is granted every id, including
 * ids of other firms' clients. This closes that gap by asking the auth
 * service, which owns the client list. It does not cache: a deleted client
 * is gone on the next request.
 */
/* Confirmed (firm, client) pairs are kept per thread for a minute, so a
 * page of requests about one client costs one question to auth. */
#ifndef AT_TENANCY_H
#define AT_TENANCY_H

#include "at_service.h"

/* The caller's role in client_id of their own firm (as at_can_see_client),
 * confirmed to exist: a client named in the principal's grants is trusted
 * (CONTRACTS "Tenancy"); otherwise, for all_clients staff, auth.client_get
 * must find it in the firm. Returns AT_OK and sets *role (borrowed), or
 * AT_NOT_FOUND (recorded with at_fail, as if the client did not exist), or
 * the bus status (AT_UNAVAILABLE, AT_TIMEOUT) when auth cannot answer. */
at_status_t at_client_visible(at_ctx_t *ctx, const char *client_id, const char **role);

/* The clients the caller sees, for one statement over many of them (the
 * dashboard's aggregates): *all is true for a staff principal with
 * all_clients (owners, admins: every client of their firm); otherwise the
 * result lists the granted client ids. Returns a JSON array of strings
 * ("[]" when none; text in ctx->arena) for a statement to unpack, e.g.
 * ARRAY(SELECT json_array_elements_text($n::json)::uuid). Never NULL. */
const char *at_client_scope(at_ctx_t *ctx, bool *all);

#endif
