/* libFuzzer target: every JSON request body usherd accepts. The input is
 * parsed as read_body() parses it (jansson, duplicates rejected) and, when
 * it is an object, given to the body check of every route that takes one:
 * the seat map (PUT event), hold create, extend, reserve, change, and the admin
 * seat lists. A seat map that parses must list, expanded from its stored
 * layout, exactly its seats; the input itself is also read as a stored
 * layout (inputs under 512 bytes: a range line alone may stand for
 * 200,000 seats). Crashes, leaks and sanitizer reports fail the run. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_holds.h"
#include "api_seats.h"
#include "seatmap.h"
#include "waitroom.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct verr e = {0};
    struct seatmap m;
    struct hold_args a;
    const char *order, **add, **rm, **areas;
    size_t nadd, nrm, nareas;
    json_int_t ttl;
    size_t n;
    char *lines;

    if (size < 512 && seatmap_layout_expand((const char *)data, size, &lines, &n) == 0)
        free(lines);
    if (!json_is_object(body))
        goto done;
    if (seatmap_parse(body, &m, &e) == 0) {
        size_t count = 0;
        if (m.nseats == 0 && !m.nareas)     /* areas only, never nothing */
            abort();
        if (m.nseats) {
            if (seatmap_layout_expand(m.layout, m.layout_len, &lines, &n) < 0 || !lines)
                abort();
            for (size_t i = 0; i < n; i++)
                count += lines[i] == '\n';
            if (count != m.nseats || memcmp(lines + n - 2, "}\n", 2) != 0)
                abort();
            free(lines);
        }
        seatmap_deinit(&m);
    }
    validate_verr_clear(&e);
    api_hold_create_args(body, &a, &e);
    free(a.seats);
    free(a.areas);
    validate_verr_clear(&e);
    {
        struct waitroom w;
        if (waitroom_parse(body, 10, 1796000000000LL, &w, &e) == 0 &&
            (w.onsale_ms < w.opens_ms || w.session_s < 10 || w.max_seats < 1))
            abort();
    }
    validate_verr_clear(&e);
    api_hold_extend_args(body, &ttl, &e);
    validate_verr_clear(&e);
    api_hold_reserve_args(body, &order, &e);
    validate_verr_clear(&e);
    if (api_hold_change_args(body, &add, &nadd, &rm, &nrm, &areas, &nareas, &e) == 0) {
        free(add);
        free(rm);
        free(areas);
    }
    validate_verr_clear(&e);
    {
        struct seats_args sa;
        api_seats_args(body, 1, &sa, &e);
        api_seats_args_free(&sa);
    }
    validate_verr_clear(&e);
done:
    json_decref(body);
    return 0;
}
