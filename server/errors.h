/* errors — the one table of API error codes: for each, the stable
 * snake_case code clients match on, its HTTP status and a default message.
 * Lua scripts fail with redis.error_reply("CODE seat seat ..."); this
 * module maps such replies back to the same table. */
#ifndef USHER_ERRORS_H
#define USHER_ERRORS_H

#include <jansson.h>

enum err_code {
    ERR_NOT_FOUND,
    ERR_METHOD_NOT_ALLOWED,
    ERR_INVALID_JSON,
    ERR_INVALID_REQUEST,
    ERR_INVALID_ID,
    ERR_BODY_TOO_LARGE,
    ERR_HEADERS_TOO_LARGE,
    ERR_URI_TOO_LONG,
    ERR_HTTP_VERSION,
    ERR_UNSUPPORTED_TRANSFER_CODING,
    ERR_EVENT_NOT_FOUND,
    ERR_EVENT_IN_USE,
    ERR_DUPLICATE_SEAT,
    ERR_DUPLICATE_SECTION,
    ERR_TOO_MANY_SEATS,
    ERR_SEATS_UNAVAILABLE,
    ERR_UNKNOWN_SEATS,
    ERR_INVALID_SEAT_COUNT,
    ERR_INVALID_TTL,
    ERR_INVALID_IDEMPOTENCY_KEY,
    ERR_IDEMPOTENCY_KEY_REUSED,
    ERR_HOLD_NOT_FOUND,
    ERR_HOLD_EXPIRED,
    ERR_HOLD_ALREADY_RESERVED,
    ERR_ORDER_NOT_FOUND,
    ERR_SEATS_NOT_RESERVED,
    ERR_SEATS_NOT_BLOCKED,
    ERR_HOLDER_LIMIT,
    ERR_HOLDER_REQUIRED,
    ERR_SEATS_REFUNDED,
    ERR_SEATS_NOT_IN_HOLD,
    ERR_SEATS_ALREADY_IN_HOLD,
    ERR_NO_SEATS_TOGETHER,
    ERR_NOT_ENOUGH_SEATS,
    ERR_NO_MATCHING_SEATS,
    ERR_BEST_AVAILABLE_UNSUPPORTED,
    ERR_WOULD_ORPHAN_SEAT,
    ERR_COMPANION_REQUIRES_ACCESSIBLE,
    ERR_UNKNOWN_AREAS,
    ERR_AREA_UNAVAILABLE,
    ERR_AREAS_NOT_IN_ORDER,
    ERR_ADMISSION_REQUIRED,
    ERR_ADMISSION_EXPIRED,
    ERR_ADMISSION_INVALID,
    ERR_ADMISSION_LIMIT,
    ERR_NO_QUEUE,
    ERR_QUEUE_NOT_OPEN,
    ERR_QUEUE_STARTED,
    ERR_QUEUE_NOT_CONFIGURED,
    ERR_TICKET_NOT_FOUND,
    ERR_UNAUTHORIZED,
    ERR_FORBIDDEN,
    ERR_RATE_LIMITED,
    ERR_OVERLOADED,
    ERR_REDIS_UNAVAILABLE,
    ERR_INTERNAL,
    ERR__COUNT
};

struct err_info {
    const char *code;     /* "seats_unavailable" */
    int status;           /* 409 */
    const char *message;  /* default human sentence */
};

/* The field of an error's body naming what a script's error lists:
 * "areas" for the general-admission codes, else "seats". */
const char *errors_list_field(enum err_code e);

/* The entry for `e`; never NULL for e < ERR__COUNT. */
const struct err_info *errors_info(enum err_code e);

/* Maps a script error reply ("SEATS_UNAVAILABLE A-1-1 A-1-2") to its code.
 * When `seats` is not NULL and the reply names seats, *seats receives a new
 * JSON array of them (caller owns it), else NULL. Unknown replies map to
 * ERR_INTERNAL. */
enum err_code errors_from_script(const char *reply, size_t len, json_t **seats);

/* A hold that asked to be offered something else ("suggest") has its
 * error's names followed by a lone '|' and the seats offered: those as
 * a new [{"seats": [...]}] ([] when nothing follows the '|'), or NULL
 * when the reply has no '|'. */
json_t *errors_alternatives(const char *reply, size_t len);

/* Builds {"error":{"code","message",...detail}}. `message` NULL means the
 * default; `detail` (may be NULL) is an object whose members are merged in
 * and whose reference is stolen. Returns a new reference. */
json_t *errors_body(enum err_code e, const char *message, json_t *detail);

/* errors_body(e, message, NULL) as one JSON line ending in "\n", in a
 * new buffer the caller frees; its length in *len. NULL when out of
 * memory. */
char *errors_line(enum err_code e, const char *message, size_t *len);

/* errors_body(e, NULL, NULL) as one JSON line, rendered once and kept:
 * refusals under load cost no JSON work. NULL when out of memory. */
const char *errors_default_body(enum err_code e, size_t *len);

#endif
