/* validate — see validate.h. */
#include "validate.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int validate_fail(struct verr *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;

    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void validate_verr_clear(struct verr *e)
{
    json_decref(e->detail);
    e->detail = NULL;
}

int validate_id(const char *s, size_t len, size_t max)
{
    static __thread unsigned char ok[256];    /* per thread: built without a lock */
    size_t i;

    if (!ok['a']) {
        for (i = 0; i < 256; i++)
            ok[i] = (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z') ||
                    (i >= '0' && i <= '9') || i == '.' || i == '_' ||
                    i == ':' || i == '-';
    }
    if (len == 0 || len > max)
        return 0;
    /* "." and ".." are ids no URL-normalising client (curl, browsers)
     * can ever send in a path: refused everywhere, so no seat, section
     * or event has an id it cannot be addressed by */
    if (s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')))
        return 0;
    for (i = 0; i < len; i++)
        if (!ok[(unsigned char)s[i]])
            return 0;
    return 1;
}

int validate_keys(json_t *obj, const char *const *allowed, struct verr *e)
{
    const char *key;
    json_t *v;
    size_t i;

    json_object_foreach(obj, key, v) {
        for (i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                break;
        if (!allowed[i])
            return validate_fail(e, ERR_INVALID_REQUEST, "Unknown field \"%.64s\".", key);
    }
    return 0;
}

size_t validate_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;   /* not a continuation byte */
    return n;
}

int validate_string(json_t *obj, const char *key, int required, size_t max,
                    int as_id, const char **out, struct verr *e)
{
    json_t *v = json_object_get(obj, key);
    size_t len;

    *out = NULL;
    if (!v) {
        if (required)
            return validate_fail(e, ERR_INVALID_REQUEST, "Field \"%s\" is required.", key);
        return 0;
    }
    if (!json_is_string(v))     /* null too: leave the field out instead */
        return validate_fail(e, ERR_INVALID_REQUEST, "Field \"%s\" must be a string.", key);
    len = json_string_length(v);
    if (as_id && !validate_id(json_string_value(v), len, max))
        return validate_fail(e, ERR_INVALID_ID,
                        "Field \"%s\" must match [A-Za-z0-9._:-]{1,%zu} (not . or ..).", key, max);
    if (validate_chars(json_string_value(v), len) > max || strlen(json_string_value(v)) != len)
        return validate_fail(e, ERR_INVALID_REQUEST,
                        "Field \"%s\" must be at most %zu characters, without NUL.",
                        key, max);
    *out = json_string_value(v);
    return 0;
}

int validate_int(json_t *obj, const char *key, int required, json_int_t min,
                 json_int_t max, enum err_code range_err, json_int_t *out,
                 struct verr *e)
{
    json_t *v = json_object_get(obj, key);
    json_int_t n;

    if (!v) {
        if (required)
            return validate_fail(e, ERR_INVALID_REQUEST, "Field \"%s\" is required.", key);
        return 0;
    }
    /* an integral number is an integer, written 2 or 2.0 (as JSON Schema
     * has it); one past +-2^53 is past every range here */
    if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v))
        n = fabs(json_real_value(v)) <= 9007199254740992.0 ? (json_int_t)json_real_value(v)
            : json_real_value(v) > 0 ? LLONG_MAX : LLONG_MIN;
    else if (json_is_integer(v))
        n = json_integer_value(v);
    else
        return validate_fail(e, ERR_INVALID_REQUEST, "Field \"%s\" must be an integer.", key);
    if (n < min || n > max)
        return validate_fail(e, range_err, "Field \"%s\" must be between %lld and %lld.",
                        key, (long long)min, (long long)max);
    *out = n;
    return 0;
}

int validate_cmp_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int validate_seat_list(json_t *obj, size_t max, const char ***ids, size_t *n,
                       struct verr *e)
{
    return validate_seats_at(obj, "seats", 1, max, ids, n, e);
}

int validate_seats_at(json_t *obj, const char *key, size_t min, size_t max, const char ***ids,
                      size_t *n, struct verr *e)
{
    json_t *arr = json_object_get(obj, key), *v;
    const char **list = NULL, **sorted = NULL;
    size_t i, count;
    int rc = -1;

    *ids = NULL;
    *n = 0;
    if (!arr && min == 0)
        return 0;
    if (!arr)
        return validate_fail(e, ERR_INVALID_REQUEST, "Field \"%s\" is required.", key);
    if (!json_is_array(arr))
        return validate_fail(e, ERR_INVALID_REQUEST,
                        "Field \"%s\" must be an array of seat ids.", key);
    count = json_array_size(arr);
    if (count < min || count > max)
        return validate_fail(e, ERR_INVALID_SEAT_COUNT,
                        "Field \"%s\" must list %zu to %zu seats.", key, min, max);
    if (count == 0)
        return 0;
    list = malloc(sizeof *list * count);
    sorted = malloc(sizeof *sorted * count);
    if (!list || !sorted) {
        validate_fail(e, ERR_INTERNAL, "Out of memory.");
        goto done;
    }
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            validate_fail(e, ERR_INVALID_REQUEST, "%s[%zu] must be a string.", key, i);
            goto done;
        }
        if (!validate_id(json_string_value(v), json_string_length(v), ID_MAX)) {
            validate_fail(e, ERR_INVALID_ID,
                     "%s[%zu] must match [A-Za-z0-9._:-]{1,64}.", key, i);
            goto done;
        }
        list[i] = sorted[i] = json_string_value(v);
    }
    qsort(sorted, count, sizeof *sorted, validate_cmp_ids);
    for (i = 1; i < count; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            validate_fail(e, ERR_INVALID_SEAT_COUNT,
                     "Seat \"%s\" appears more than once.", sorted[i]);
            e->detail = json_pack("{s:[s]}", "seats", sorted[i]);
            goto done;
        }
    }
    *ids = list;
    *n = count;
    list = NULL;
    rc = 0;
done:
    free(list);
    free(sorted);
    return rc;
}

int validate_area_tokens(json_t *obj, const char *key, json_int_t min, json_int_t max,
                         const char ***tokens, size_t *n, struct verr *e)
{
    static const char *const keys[] = {"id", "quantity", NULL};
    json_t *arr = json_object_get(obj, key), *v;
    size_t i, j, count;
    const char **list;
    char *p;

    *tokens = NULL;
    *n = 0;
    if (!arr)
        return 0;
    if (!json_is_array(arr) || (count = json_array_size(arr)) == 0 ||
        count > VALIDATE_AREAS_MAX)
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"%s\" must be an array of 1 to %d {\"id\", \"quantity\"}.",
                             key, VALIDATE_AREAS_MAX);
    /* one block: the pointers, then each "@<id>=<n>" */
    list = malloc(count * (sizeof *list + ID_MAX + 24));
    if (!list)
        return validate_fail(e, ERR_INTERNAL, "Out of memory.");
    p = (char *)(list + count);
    json_array_foreach(arr, i, v) {
        const char *id;
        json_int_t q = 0;
        if (!json_is_object(v)) {
            validate_fail(e, ERR_INVALID_REQUEST, "%s[%zu] must be an object.", key, i);
            goto fail;
        }
        if (validate_keys(v, keys, e) < 0 || validate_string(v, "id", 1, ID_MAX, 1, &id, e) < 0 ||
            validate_int(v, "quantity", 1, min, max, ERR_INVALID_SEAT_COUNT, &q, e) < 0)
            goto fail;
        for (j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(arr, j), "id")), id) == 0) {
                validate_fail(e, ERR_INVALID_REQUEST, "Area \"%s\" appears more than once.", id);
                goto fail;
            }
        list[i] = p;
        p += sprintf(p, "@%s=%lld", id, (long long)q) + 1;
    }
    *tokens = list;
    *n = count;
    return 0;
fail:
    free(list);
    return -1;
}
