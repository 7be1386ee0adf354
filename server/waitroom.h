/* waitroom — the settings of an event's waiting room ("queue" of a seat
 * map, or the body of PUT /v1/events/{event}/queue), checked and turned
 * into what event_put.lua and queue_set.lua store. Pure: no request, no
 * Redis, so unit and fuzz tests run the very code the routes run. */
#ifndef USHER_WAITROOM_H
#define USHER_WAITROOM_H

#include <jansson.h>

#include "validate.h"

struct waitroom {
    long long opens_ms, onsale_ms;   /* when joining opens, when the sale starts */
    char rate[32];                   /* "auto", or admissions per minute ("120") */
    long long session_s;             /* time to shop once admitted */
    long long max_seats;             /* seats and places an admission may hold */
};

/* Parses q ({"opens_at"?, "onsale_at", "admit_per_min", "session_s"?,
 * "max_seats_per_admission"?}) into w: opens_at defaults to now
 * (now_ms, or onsale_at when that is earlier), session_s to 600 (10 to 86,400), max_seats_per_admission to
 * max_per_hold (1 to 1,000); onsale_at is at or after opens_at;
 * admit_per_min is "auto" or a number 0.1 to 1,000,000. 0, or -1 with e
 * filled. */
int waitroom_parse(json_t *q, long long max_per_hold, long long now_ms, struct waitroom *w,
                   struct verr *e);

#endif
