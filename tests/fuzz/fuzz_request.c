/* libFuzzer target: the request line as usherd routes it. The input is
 * "METHOD PATH" (the first space splits it); the router matches it
 * against the route table and every captured parameter goes through the
 * id check, as dispatch() does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "routes.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *sp, *q;
    struct router_match m;
    int i;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    sp = strchr(buf, ' ');
    if (sp) {
        *sp = '\0';
        q = strchr(sp + 1, '?');
        if (router_match(routes_get(), buf, sp + 1, q ? (size_t)(q - sp - 1) : strlen(sp + 1),
                         &m) == ROUTER_FOUND)
            for (i = 0; i < m.nparams; i++)
                validate_id(m.param[i], m.param_len[i], router_param_max(m.kind[i]));
    }
    free(buf);
    return 0;
}
