/* libFuzzer target: API key lists (--keys files, USHER_KEYS) and the
 * admission check. The input's first line is the key list text; the rest
 * is an Authorization header value checked against it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *nl, err[256];
    struct guard_config gc = {0};
    struct guard *g;
    int retry;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    gc.keys_list = buf;
    gc.key_rate = 5;
    gc.key_burst = 5;
    g = guard_create(&gc, err, sizeof err);
    if (g) {
        guard_check(g, ROLE_ADMIN, 0, nl ? nl + 1 : NULL, NULL, "127.0.0.1", 0, 1, &retry, NULL);
        guard_check(g, ROLE_CHECKOUT, 1, NULL, nl ? nl + 1 : NULL, "127.0.0.1", 0, 2, &retry, NULL);
        guard_destroy(g);
    }
    free(buf);
    return 0;
}
