/* validate — checks on request input before anything reaches Redis: id
 * syntax, JSON field types and ranges, unknown fields, seat lists. On
 * failure each check fills a struct verr with the error code, a message
 * naming the field, and optional detail for the error body. */
#ifndef USHER_VALIDATE_H
#define USHER_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "errors.h"

#define ID_MAX 64
#define ORDER_ID_MAX 128

struct verr {
    enum err_code code;
    char msg[256];
    json_t *detail;   /* owned; NULL or an object merged into the error */
};

/* 1 when s[0..len) matches [A-Za-z0-9._:-]{1,max} and is not "." or
 * "..", else 0. */
int validate_id(const char *s, size_t len, size_t max);

/* The characters (Unicode code points) of the valid UTF-8 s[0..len):
 * lengths are limited in characters, as JSON Schema's maxLength counts. */
size_t validate_chars(const char *s, size_t len);

/* Fails with invalid_request when `obj` has a member not in `allowed`
 * (NULL-terminated). 0 or -1. */
int validate_keys(json_t *obj, const char *const *allowed, struct verr *e);

/* Reads string member `key`. Missing: -1 with invalid_request when
 * `required`, else 0 with *out = NULL. Wrong type (null included) or
 * longer than max characters: invalid_request. With `as_id`, a string that is not an id: invalid_id.
 * *out is borrowed from obj. */
int validate_string(json_t *obj, const char *key, int required, size_t max,
                    int as_id, const char **out, struct verr *e);

/* Reads integer member `key` in [min, max]. Missing and not required: 0,
 * *out untouched. Not an integral number (2.0 is one): invalid_request. Out of range:
 * `range_err` (invalid_request or a more precise code). */
int validate_int(json_t *obj, const char *key, int required, json_int_t min,
                 json_int_t max, enum err_code range_err, json_int_t *out,
                 struct verr *e);

/* Reads member "seats": a non-empty array of at most `max` distinct seat
 * ids. Not an array / non-string items: invalid_request; a bad id:
 * invalid_id; empty, too long or repeated: invalid_seat_count.
 * On success *ids is a malloc'd array of n strings borrowed from obj. */
int validate_seat_list(json_t *obj, size_t max, const char ***ids, size_t *n,
                       struct verr *e);
/* The same for member `key` with min to max ids; with min 0 a missing
 * member is an empty list (*ids NULL, *n 0). */
#define VALIDATE_AREAS_MAX 64

/* obj[key] (absent: *n 0): 1 to VALIDATE_AREAS_MAX {"id", "quantity"}
 * of distinct ids, quantities min..max, as the scripts take them:
 * "@<id>=<n>" (lua/README.md). *tokens is one malloc'd block (free it
 * alone), NULL when absent. */
int validate_area_tokens(json_t *obj, const char *key, json_int_t min, json_int_t max,
                         const char ***tokens, size_t *n, struct verr *e);
int validate_seats_at(json_t *obj, const char *key, size_t min, size_t max, const char ***ids,
                      size_t *n, struct verr *e);

/* qsort order of an array of id strings (strcmp). */
int validate_cmp_ids(const void *a, const void *b);

/* Sets e to `code` with a printf-style message; returns -1 so that a check
 * can end with `return validate_fail(...)`. */
int validate_fail(struct verr *e, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Frees e->detail. */
void validate_verr_clear(struct verr *e);

#endif
