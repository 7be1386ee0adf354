/* errors — see errors.h. */
#include "errors.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct err_info table[ERR__COUNT] = {
    [ERR_NOT_FOUND] = {"not_found", 404, "No such route."},
    [ERR_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405,
        "This route does not accept that method."},
    [ERR_INVALID_JSON] = {"invalid_json", 400, "The body is not valid JSON."},
    [ERR_INVALID_REQUEST] = {"invalid_request", 400,
        "The request is not valid."},
    [ERR_INVALID_ID] = {"invalid_id", 400,
        "Ids must match [A-Za-z0-9._:-]{1,64} (order ids up to 128)."},
    [ERR_BODY_TOO_LARGE] = {"body_too_large", 413,
        "The request body is larger than this route accepts."},
    [ERR_HEADERS_TOO_LARGE] = {"headers_too_large", 431,
        "The request head may be at most 16 KiB with at most 64 header fields."},
    [ERR_URI_TOO_LONG] = {"uri_too_long", 414,
        "The request target may be at most 4096 bytes."},
    [ERR_HTTP_VERSION] = {"http_version_not_supported", 505,
        "Only HTTP/1.x is served here."},
    [ERR_UNSUPPORTED_TRANSFER_CODING] = {"unsupported_transfer_coding", 501,
        "The only transfer coding accepted is chunked."},
    [ERR_EVENT_NOT_FOUND] = {"event_not_found", 404, "No such event."},
    [ERR_EVENT_IN_USE] = {"event_in_use", 409,
        "The event has holds or reservations and cannot be replaced."},
    [ERR_DUPLICATE_SEAT] = {"duplicate_seat", 400,
        "A seat id appears more than once in the seat map."},
    [ERR_DUPLICATE_SECTION] = {"duplicate_section", 400,
        "A section id appears more than once in the seat map."},
    [ERR_TOO_MANY_SEATS] = {"too_many_seats", 422,
        "An event may have at most 200000 seats."},
    [ERR_SEATS_UNAVAILABLE] = {"seats_unavailable", 409,
        "Some seats are not available."},
    [ERR_UNKNOWN_SEATS] = {"unknown_seats", 422,
        "Some seats do not exist in this event."},
    [ERR_INVALID_SEAT_COUNT] = {"invalid_seat_count", 422,
        "The seat list is empty, repeats a seat, or is longer than allowed."},
    [ERR_INVALID_TTL] = {"invalid_ttl", 422,
        "ttl_s must be at least 1 and at most the event's max_hold_ttl_s."},
    [ERR_INVALID_IDEMPOTENCY_KEY] = {"invalid_idempotency_key", 400,
        "Idempotency-Key must match [A-Za-z0-9._:-]{1,64}."},
    [ERR_IDEMPOTENCY_KEY_REUSED] = {"idempotency_key_reused", 422,
        "This Idempotency-Key was used with a different request."},
    [ERR_HOLD_NOT_FOUND] = {"hold_not_found", 404, "No such hold."},
    [ERR_HOLD_EXPIRED] = {"hold_expired", 410, "The hold has expired."},
    [ERR_HOLD_ALREADY_RESERVED] = {"hold_already_reserved", 409,
        "The hold has already been reserved."},
    [ERR_ORDER_NOT_FOUND] = {"order_not_found", 404, "No such order."},
    [ERR_SEATS_NOT_RESERVED] = {"seats_not_reserved", 409,
        "Some seats are not reserved."},
    [ERR_SEATS_NOT_BLOCKED] = {"seats_not_blocked", 409,
        "Some seats are not blocked."},
    [ERR_HOLDER_LIMIT] = {"holder_limit", 409,
        "This holder would have more seats in this event than it allows."},
    [ERR_HOLDER_REQUIRED] = {"holder_required", 422,
        "This event limits seats per holder: the hold needs a holder."},
    [ERR_SEATS_REFUNDED] = {"seats_refunded", 409,
        "Every seat of this hold was refunded since it was reserved: none is sold to the order now."},
    [ERR_SEATS_NOT_IN_HOLD] = {"seats_not_in_hold", 422,
        "Seats to remove are not in this hold."},
    [ERR_SEATS_ALREADY_IN_HOLD] = {"seats_already_in_hold", 422,
        "Seats to add are in this hold already."},
    [ERR_NO_SEATS_TOGETHER] = {"no_seats_together", 409,
        "No block of that many free seats next to each other matches; ask with \"allow_split\": true to take seats apart."},
    [ERR_NOT_ENOUGH_SEATS] = {"not_enough_seats", 409,
        "Fewer free seats than asked for match."},
    [ERR_NO_MATCHING_SEATS] = {"no_matching_seats", 422,
        "No seat of the event matches these sections, categories and accessible places."},
    [ERR_BEST_AVAILABLE_UNSUPPORTED] = {"best_available_unsupported", 409,
        "This event was created before seat selection: PUT its seat map again to choose seats for buyers."},
    [ERR_WOULD_ORPHAN_SEAT] = {"would_orphan_seat", 409,
        "The hold would leave a single free seat stranded; the seats named would be stranded."},
    [ERR_COMPANION_REQUIRES_ACCESSIBLE] = {"companion_requires_accessible", 409,
        "A companion seat is held only together with an accessible seat of its row."},
    [ERR_UNKNOWN_AREAS] = {"unknown_areas", 422,
        "Some general-admission areas do not exist in this event."},
    [ERR_AREA_UNAVAILABLE] = {"area_unavailable", 409,
        "Some general-admission areas have fewer places left than asked for."},
    [ERR_AREAS_NOT_IN_ORDER] = {"areas_not_in_order", 409,
        "The order holds fewer places of some areas than asked to release."},
    [ERR_ADMISSION_REQUIRED] = {"admission_required", 403,
        "This event sells through its waiting room: send the admission token as \"Admission: <token>\"."},
    [ERR_ADMISSION_EXPIRED] = {"admission_expired", 403,
        "The admission's shopping time is over."},
    [ERR_ADMISSION_INVALID] = {"admission_invalid", 403,
        "The Admission header is not a token this event's waiting room issued."},
    [ERR_ADMISSION_LIMIT] = {"admission_limit", 409,
        "This admission would hold more seats than the event allows one admission."},
    [ERR_NO_QUEUE] = {"no_queue", 404, "This event has no waiting room."},
    [ERR_QUEUE_NOT_OPEN] = {"queue_not_open", 409,
        "The waiting room is not open yet; see opens_at."},
    [ERR_QUEUE_STARTED] = {"queue_started", 409,
        "The sale has started: opens_at and onsale_at can no longer change."},
    [ERR_QUEUE_NOT_CONFIGURED] = {"queue_not_configured", 422,
        "This usherd has no --queue-secret: no event may have a waiting room."},
    [ERR_TICKET_NOT_FOUND] = {"ticket_not_found", 404, "No such ticket in this waiting room."},
    [ERR_UNAUTHORIZED] = {"unauthorized", 401,
        "A valid API key is required: Authorization: Bearer <key>."},
    [ERR_FORBIDDEN] = {"forbidden", 403, "This API key's role may not do that."},
    [ERR_RATE_LIMITED] = {"rate_limited", 429,
        "Too many requests from this client or key; retry after the given time."},
    [ERR_OVERLOADED] = {"overloaded", 503,
        "The server is at capacity; retry after the given time."},
    [ERR_REDIS_UNAVAILABLE] = {"redis_unavailable", 503,
        "The inventory store is unavailable; retry shortly."},
    [ERR_INTERNAL] = {"internal_error", 500, "Internal error."},
};

const char *errors_list_field(enum err_code e)
{
    return e == ERR_UNKNOWN_AREAS || e == ERR_AREA_UNAVAILABLE || e == ERR_AREAS_NOT_IN_ORDER
               ? "areas" : "seats";
}

const struct err_info *errors_info(enum err_code e)
{
    return &table[e < ERR__COUNT ? e : ERR_INTERNAL];
}

enum err_code errors_from_script(const char *reply, size_t len, json_t **seats)
{
    size_t word = 0, i, start;
    int e;
    enum err_code found = ERR_INTERNAL;

    if (seats)
        *seats = NULL;
    /* Redis puts "ERR " before an error reply that is a single word. */
    if (len > 4 && memcmp(reply, "ERR ", 4) == 0) {
        reply += 4;
        len -= 4;
    }
    while (word < len && reply[word] != ' ')
        word++;
    for (e = 0; e < ERR__COUNT; e++) {
        const char *c = table[e].code;
        for (i = 0; i < word && c[i]; i++)
            if (tolower((unsigned char)reply[i]) != c[i])  /* scripts shout */
                break;
        if (i == word && c[i] == '\0') {
            found = (enum err_code)e;
            break;
        }
    }
    if (found == ERR_INTERNAL || !seats || word >= len)
        return found;
    *seats = json_array();
    for (i = word; i < len; i++) {
        if (reply[i] == ' ')
            continue;
        start = i;
        while (i < len && reply[i] != ' ')
            i++;
        if (i - start == 1 && reply[start] == '|')    /* what is offered instead follows */
            break;
        json_array_append_new(*seats, json_stringn(reply + start, i - start));
    }
    return found;
}

json_t *errors_alternatives(const char *reply, size_t len)
{
    const char *bar = NULL, *p, *end = reply + len;
    json_t *seats;

    for (p = reply; p + 1 < end; p++)
        if (p[0] == ' ' && p[1] == '|' && (p + 2 == end || p[2] == ' ')) {
            bar = p + 2;
            break;
        }
    if (!bar)
        return NULL;
    seats = json_array();
    for (p = bar; p < end;) {
        const char *w;
        while (p < end && *p == ' ')
            p++;
        for (w = p; p < end && *p != ' '; p++)
            ;
        if (p > w)
            json_array_append_new(seats, json_stringn(w, (size_t)(p - w)));
    }
    if (json_array_size(seats) == 0) {
        json_decref(seats);
        return json_array();
    }
    return json_pack("[{s:o}]", "seats", seats);
}

json_t *errors_body(enum err_code e, const char *message, json_t *detail)
{
    const struct err_info *info = errors_info(e);
    json_t *err = json_pack("{s:s, s:s}", "code", info->code, "message",
                            message ? message : info->message);

    if (detail) {
        json_object_update(err, detail);
        json_decref(detail);
    }
    return json_pack("{s:o}", "error", err);
}

char *errors_line(enum err_code e, const char *message, size_t *len)
{
    json_t *b = errors_body(e, message, NULL);
    char *s = b ? json_dumps(b, JSON_COMPACT) : NULL;
    char *line = s ? malloc(strlen(s) + 2) : NULL;

    json_decref(b);
    if (line)
        *len = (size_t)sprintf(line, "%s\n", s);
    free(s);
    return line;
}

/* Every code's default body, made once for the process (by whichever
 * thread asks first) and kept for its life. */
static char *cache[ERR__COUNT];
static size_t lens[ERR__COUNT];
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_fill(void)
{
    int e;

    for (e = 0; e < ERR__COUNT; e++)
        cache[e] = errors_line((enum err_code)e, NULL, &lens[e]);
}

const char *errors_default_body(enum err_code e, size_t *len)
{
    pthread_once(&cache_once, cache_fill);
    if (e >= ERR__COUNT)
        e = ERR_INTERNAL;
    if (!cache[e])
        return NULL;         /* out of memory at the first call */
    *len = lens[e];
    return cache[e];
}
