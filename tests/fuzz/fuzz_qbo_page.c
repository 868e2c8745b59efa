/* fuzz_qbo_page: QuickBooks answers are outside input too. The first byte
 * picks the entity, the rest is the response body. */
#include "billing_qbo.h"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    billing_qbo_entity_t entity = (billing_qbo_entity_t) (data[0] % 3);
    billing_qbo_page_t *page = NULL;
    billing_qbo_error_t err;
    if (billing_qbo_page_parse((const char *) data + 1, size - 1, entity, "USD", &page, &err) == 0)
        billing_qbo_page_destroy(&page);
    return 0;
}
