/* libFuzzer target: every JSON request body usherd accepts. The input is
 * parsed as read_body() parses it (jansson, duplicates rejected) and, when
 * it is an object, given to the body check of every route that takes one:
 * the seat map (PUT event), hold create, extend, reserve, and the admin
 * seat lists. Crashes, leaks and sanitizer reports fail the run. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "api_holds.h"
#include "api_seats.h"
#include "seatmap.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct verr e = {0};
    struct seatmap m;
    struct hold_args a;
    const char **seats, *order;
    json_int_t ttl;
    size_t n;

    if (!json_is_object(body))
        goto done;
    if (seatmap_parse(body, &m, &e) == 0)
        seatmap_deinit(&m);
    validate_verr_clear(&e);
    api_hold_create_args(body, &a, &e);
    free(a.seats);
    validate_verr_clear(&e);
    api_hold_extend_args(body, &ttl, &e);
    validate_verr_clear(&e);
    api_hold_reserve_args(body, &order, &e);
    validate_verr_clear(&e);
    api_seats_args(body, &seats, &n, &e);
    free(seats);
    validate_verr_clear(&e);
done:
    json_decref(body);
    return 0;
}
