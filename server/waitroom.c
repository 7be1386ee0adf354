/* waitroom — see waitroom.h. */
#include "waitroom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* obj[key], an RFC 3339 date-time, into *ms; absent: *ms unchanged
 * unless required. */
static int time_at(json_t *obj, const char *key, int required, long long *ms, struct verr *e)
{
    json_t *v = json_object_get(obj, key);
    int64_t t;

    if (!v && !required)
        return 0;
    if (!json_is_string(v) || util_parse_rfc3339(json_string_value(v), &t) < 0)
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"queue.%s\" must be an RFC 3339 date-time, e.g. "
                             "\"2026-12-01T18:00:00Z\".", key);
    *ms = t;
    return 0;
}

int waitroom_parse(json_t *q, long long max_per_hold, long long now_ms, struct waitroom *w,
                   struct verr *e)
{
    static const char *const keys[] = {"opens_at", "onsale_at", "admit_per_min", "session_s",
                                       "max_seats_per_admission", NULL};
    json_t *rate;
    json_int_t v;

    memset(w, 0, sizeof *w);
    w->opens_ms = now_ms;
    if (!json_is_object(q))
        return validate_fail(e, ERR_INVALID_REQUEST, "Field \"queue\" must be an object.");
    if (validate_keys(q, keys, e) < 0 || time_at(q, "opens_at", 0, &w->opens_ms, e) < 0 ||
        time_at(q, "onsale_at", 1, &w->onsale_ms, e) < 0)
        return -1;
    if (!json_object_get(q, "opens_at") && w->onsale_ms < w->opens_ms)
        w->opens_ms = w->onsale_ms;          /* a sale on already: open now */
    if (w->onsale_ms < w->opens_ms)
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "\"queue.onsale_at\" must not be before \"queue.opens_at\".");
    rate = json_object_get(q, "admit_per_min");
    if (json_is_string(rate) && strcmp(json_string_value(rate), "auto") == 0) {
        strcpy(w->rate, "auto");
    } else if (json_is_number(rate) && json_number_value(rate) >= 0.1 &&
               json_number_value(rate) <= 1e6 && isfinite(json_number_value(rate))) {
        snprintf(w->rate, sizeof w->rate, "%.3f", json_number_value(rate));
    } else {
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"queue.admit_per_min\" must be \"auto\" or a number from "
                             "0.1 to 1000000.");
    }
    v = 600;
    if (validate_int(q, "session_s", 0, 10, 86400, ERR_INVALID_REQUEST, &v, e) < 0)
        return -1;
    w->session_s = v;
    v = max_per_hold;
    if (validate_int(q, "max_seats_per_admission", 0, 1, 1000, ERR_INVALID_REQUEST, &v, e) < 0)
        return -1;
    w->max_seats = v;
    return 0;
}
