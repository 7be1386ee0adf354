/* seatmap — see seatmap.h. */
#include "seatmap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A growable byte buffer; `failed` sticks once an allocation fails. */
struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Parser state shared by the section and row walkers. */
struct parse {
    struct seatmap *m;
    struct buf ids, layout, sections, categories;
    size_t *offsets;           /* seat i's id starts at ids.p + offsets[i] */
    size_t cap, rows_cap;
    const char *last_cat;      /* the category named last, and its number */
    unsigned char last_cat_no;
    struct verr *e;
};

/* The number of category `name` (1 + its index in first-use order),
 * adding it; 0 with e filled past SEATMAP_CATEGORIES_MAX. */
static unsigned char category_no(struct parse *ps, const char *name)
{
    const char *p = ps->categories.p, *end = p ? p + ps->categories.len : NULL;
    size_t n = strlen(name), no = 1;

    if (ps->last_cat && strcmp(ps->last_cat, name) == 0)
        return ps->last_cat_no;
    for (; p && p < end; no++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if ((size_t)(nl - p) == n && memcmp(p, name, n) == 0)
            break;
        p = nl + 1;
    }
    if (!p || p >= end) {
        if (ps->m->ncategories >= SEATMAP_CATEGORIES_MAX) {
            validate_fail(ps->e, ERR_INVALID_REQUEST, "A seat map may name at most %d categories.",
                          SEATMAP_CATEGORIES_MAX);
            return 0;
        }
        buf_add(&ps->categories, name, n);
        buf_add(&ps->categories, "\n", 1);
        no = ++ps->m->ncategories;
    }
    ps->last_cat = name;
    ps->last_cat_no = (unsigned char)no;
    return (unsigned char)no;
}

/* Appends `,"key":<json>` for an optional string or number member. */
static int add_extra(struct parse *ps, json_t *seat, const char *where)
{
    json_t *v;
    char num[40];

    v = json_object_get(seat, "category");
    if (v) {
        char *enc;
        if (!json_is_string(v) ||
            validate_chars(json_string_value(v), json_string_length(v)) > SEATMAP_CATEGORY_MAX)
            return validate_fail(ps->e, ERR_INVALID_REQUEST,
                        "%s: \"category\" must be a string of at most %d characters.",
                        where, SEATMAP_CATEGORY_MAX);
        enc = json_dumps(v, JSON_ENCODE_ANY);
        if (!enc)
            return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s: bad \"category\".", where);
        buf_str(&ps->layout, ",\"category\":");
        buf_str(&ps->layout, enc);
        free(enc);
    }
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "y" : "x";
        v = json_object_get(seat, key);
        if (!v)
            continue;
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s: \"%s\" must be a number.",
                        where, key);
        snprintf(num, sizeof num, ",\"%s\":%.10g", key, json_number_value(v));
        buf_str(&ps->layout, num);
    }
    v = json_object_get(seat, "rank");
    if (v) {
        if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
            return validate_fail(ps->e, ERR_INVALID_REQUEST,
                        "%s: \"rank\" must be a number of at least 0.", where);
        snprintf(num, sizeof num, ",\"rank\":%.10g", json_number_value(v));
        buf_str(&ps->layout, num);
    }
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "companion" : "accessible";
        v = json_object_get(seat, key);
        if (v && !json_is_boolean(v))
            return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s: \"%s\" must be true or false.",
                        where, key);
        if (json_is_true(v)) {
            buf_str(&ps->layout, k ? ",\"companion\":true" : ",\"accessible\":true");
            if (k && json_is_true(json_object_get(seat, "accessible")))
                return validate_fail(ps->e, ERR_INVALID_REQUEST,
                            "%s: a seat is accessible or a companion seat, not both.", where);
        }
    }
    return 0;
}

/* A number member of `o`, or NAN when absent (checked by add_extra). */
static double number_or_nan(json_t *o, const char *key)
{
    json_t *v = o ? json_object_get(o, key) : NULL;

    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* realloc(p, bytes), or p itself with *failed set when that fails. */
static void *grow(void *p, size_t bytes, int *failed)
{
    void *q = realloc(p, bytes);

    if (!q) {
        *failed = 1;
        return p;
    }
    return q;
}

/* Grows the per-seat arrays to hold `cap` seats; -1 out of memory. */
static int seats_grow(struct parse *ps, size_t cap)
{
    struct seatmap *m = ps->m;
    int failed = 0;

    ps->offsets = grow(ps->offsets, cap * sizeof *ps->offsets, &failed);
    m->seat_flags = grow(m->seat_flags, cap, &failed);
    m->seat_cat = grow(m->seat_cat, cap, &failed);
    m->seat_rank = grow(m->seat_rank, cap * sizeof *m->seat_rank, &failed);
    m->seat_x = grow(m->seat_x, cap * sizeof *m->seat_x, &failed);
    m->seat_y = grow(m->seat_y, cap * sizeof *m->seat_y, &failed);
    if (failed)
        return -1;
    ps->cap = cap;
    return 0;
}

/* Adds one seat: its id to ids, its attributes (`extra`: a listed seat's
 * object, NULL for one of a range, whose category is cat) and, unless it
 * is one of a range (whose line the row wrote), its line to the layout:
 * the id and its extras. */
static int add_seat(struct parse *ps, const char *id, size_t idlen, json_t *extra,
                    unsigned char cat, const char *where)
{
    struct seatmap *m = ps->m;
    size_t i;

    if (ps->m->nseats >= SEATMAP_MAX_SEATS)
        return validate_fail(ps->e, ERR_TOO_MANY_SEATS,
                    "An event may have at most %d seats.", SEATMAP_MAX_SEATS);
    if (!validate_id(id, idlen, ID_MAX))
        return validate_fail(ps->e, ERR_INVALID_ID,
                    "%s: seat id \"%.70s\" must match [A-Za-z0-9._:-]{1,64}.", where, id);
    if (m->nseats == ps->cap && seats_grow(ps, ps->cap ? ps->cap * 2 : 1024) < 0)
        return validate_fail(ps->e, ERR_INTERNAL, "Out of memory.");
    i = m->nseats++;
    ps->offsets[i] = ps->ids.len;
    buf_add(&ps->ids, id, idlen);
    buf_add(&ps->ids, "", 1);
    m->seat_flags[i] = 0;
    m->seat_cat[i] = cat;
    m->seat_rank[i] = number_or_nan(extra, "rank");
    m->seat_x[i] = number_or_nan(extra, "x");
    m->seat_y[i] = number_or_nan(extra, "y");
    if (!extra)
        return 0;
    if (json_is_true(json_object_get(extra, "accessible")))
        m->seat_flags[i] |= SEAT_ACCESSIBLE;
    if (json_is_true(json_object_get(extra, "companion"))) {
        m->seat_flags[i] |= SEAT_COMPANION;
        m->has_companions = 1;
    }
    if (json_is_string(json_object_get(extra, "category")) &&
        !(m->seat_cat[i] = category_no(ps, json_string_value(json_object_get(extra, "category")))))
        return -1;
    buf_add(&ps->layout, id, idlen);
    if (add_extra(ps, extra, where) < 0)
        return -1;
    buf_str(&ps->layout, "\n");
    return 0;
}

/* Starts a row in the layout: TAB section index TAB its seats' shared
 * tail ("section", "row", and a range row's extras) LF. */
static int add_row(struct parse *ps, size_t sidx, const char *sec, const char *row,
                   json_t *range_row, const char *where)
{
    char head[32];

    snprintf(head, sizeof head, "\t%zu\t", sidx);
    buf_str(&ps->layout, head);
    buf_str(&ps->layout, "\"section\":\"");
    buf_str(&ps->layout, sec);
    buf_str(&ps->layout, "\",\"row\":\"");
    buf_str(&ps->layout, row);
    buf_str(&ps->layout, "\"");
    if (range_row && add_extra(ps, range_row, where) < 0)
        return -1;
    buf_str(&ps->layout, "\n");
    return 0;
}

/* Opens the next row, of section sidx: its seats and layout lines start
 * here. */
static int row_begin(struct parse *ps, size_t sidx)
{
    struct seatmap *m = ps->m;
    struct seatmap_row *w;

    if (m->nrows == ps->rows_cap) {
        size_t cap = ps->rows_cap ? ps->rows_cap * 2 : 64;
        struct seatmap_row *p = realloc(m->row, cap * sizeof *p);
        if (!p)
            return validate_fail(ps->e, ERR_INTERNAL, "Out of memory.");
        m->row = p;
        ps->rows_cap = cap;
    }
    w = &m->row[m->nrows++];
    w->start = m->nseats;
    w->section = sidx;
    w->loff = ps->layout.len;
    w->len = w->llen = 0;
    return 0;
}

/* Closes the row row_begin opened; a companion seat must have an
 * accessible seat in its row (it is sold only with one). */
static int row_end(struct parse *ps, const char *where)
{
    struct seatmap *m = ps->m;
    struct seatmap_row *w = &m->row[m->nrows - 1];
    size_t i, companion = SIZE_MAX;
    int accessible = 0;

    w->len = m->nseats - w->start;
    w->llen = ps->layout.len - w->loff;
    for (i = w->start; i < m->nseats; i++) {
        if (m->seat_flags[i] & SEAT_ACCESSIBLE)
            accessible = 1;
        if ((m->seat_flags[i] & SEAT_COMPANION) && companion == SIZE_MAX)
            companion = i;
    }
    if (companion != SIZE_MAX && !accessible)
        return validate_fail(ps->e, ERR_INVALID_REQUEST,
                    "%s: companion seat \"%s\" has no accessible seat in its row.", where,
                    ps->ids.p + ps->offsets[companion]);
    if (w->len == 0)
        m->nrows--;            /* an empty row holds nothing to choose */
    return 0;
}

static int parse_row(struct parse *ps, size_t sidx, const char *sec, json_t *row,
                     size_t si, size_t ri)
{
    static const char *const row_keys[] = {"id", "seats", "range", "category", NULL};
    static const char *const seat_keys[] = {"id", "category", "x", "y", "rank", "accessible",
                                            "companion", NULL};
    static const char *const range_keys[] = {"from", "to", NULL};
    json_t *seats, *range, *v;
    const char *rid, *sid;
    char where[96];
    size_t i;
    unsigned char cat = 0;

    snprintf(where, sizeof where, "sections[%zu].rows[%zu]", si, ri);
    if (!json_is_object(row))
        return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s must be an object.", where);
    if (validate_keys(row, row_keys, ps->e) < 0 ||
        validate_string(row, "id", 1, ID_MAX, 1, &rid, ps->e) < 0)
        return -1;
    seats = json_object_get(row, "seats");
    range = json_object_get(row, "range");
    if (!seats == !range)
        return validate_fail(ps->e, ERR_INVALID_REQUEST,
                    "%s must have exactly one of \"seats\" or \"range\".", where);
    if (add_row(ps, sidx, sec, rid, range ? row : NULL, where) < 0)
        return -1;
    if (row_begin(ps, sidx) < 0)
        return -1;
    if (range) {
        json_int_t from = 0, to = 0, n;
        char line[200];
        if (!json_is_object(range))
            return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s.range must be an object.", where);
        if (validate_keys(range, range_keys, ps->e) < 0 ||
            validate_int(range, "from", 1, 0, 1000000, ERR_INVALID_REQUEST, &from, ps->e) < 0 ||
            validate_int(range, "to", 1, 0, 1000000, ERR_INVALID_REQUEST, &to, ps->e) < 0)
            return -1;
        if (to < from)
            return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s.range: \"to\" is below \"from\".", where);
        v = json_object_get(row, "category");
        if (json_is_string(v) && !(cat = category_no(ps, json_string_value(v))))
            return -1;
        for (n = from; n <= to; n++) {
            char id[160];
            int len = snprintf(id, sizeof id, "%s-%s-%lld", sec, rid, (long long)n);
            if (add_seat(ps, id, (size_t)len, NULL, cat, where) < 0)
                return -1;
        }
        snprintf(line, sizeof line, "*%s-%s-\t%lld\t%lld\n", sec, rid, (long long)from,
                 (long long)to);
        buf_str(&ps->layout, line);
        return row_end(ps, where);
    }
    if (!json_is_array(seats))
        return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s.seats must be an array.", where);
    json_array_foreach(seats, i, v) {
        snprintf(where, sizeof where, "sections[%zu].rows[%zu].seats[%zu]", si, ri, i);
        if (!json_is_object(v))
            return validate_fail(ps->e, ERR_INVALID_REQUEST, "%s must be an object.", where);
        if (validate_keys(v, seat_keys, ps->e) < 0 ||
            validate_string(v, "id", 1, ID_MAX, 1, &sid, ps->e) < 0)
            return -1;
        if (json_object_get(row, "category") && !json_object_get(v, "category"))
            return validate_fail(ps->e, ERR_INVALID_REQUEST,
                        "%s: a row's \"category\" applies to range rows only.", where);
        if (add_seat(ps, sid, strlen(sid), v, 0, where) < 0)
            return -1;
    }
    snprintf(where, sizeof where, "sections[%zu].rows[%zu]", si, ri);
    return row_end(ps, where);
}


/* Fails with duplicate_seat naming the first repeated seat id. */
static int check_unique(struct seatmap *m, struct verr *e)
{
    const char **sorted = malloc(sizeof *sorted * (m->nseats + 1));
    size_t i;
    int rc = 0;

    if (!sorted)
        return validate_fail(e, ERR_INTERNAL, "Out of memory.");
    memcpy(sorted, m->seat, sizeof *sorted * m->nseats);
    qsort(sorted, m->nseats, sizeof *sorted, validate_cmp_ids);
    for (i = 1; i < m->nseats; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            rc = validate_fail(e, ERR_DUPLICATE_SEAT, "Seat id \"%s\" appears more than once.",
                      sorted[i]);
            e->detail = json_pack("{s:[s]}", "seats", sorted[i]);
            break;
        }
    }
    free(sorted);
    return rc;
}

/* The event's seat-selection settings: orphan_rule and focal_point. */
static int parse_selection(json_t *body, struct seatmap *m, struct verr *e)
{
    static const char *const focal_keys[] = {"x", "y", NULL};
    json_t *v = json_object_get(body, "orphan_rule");

    if (v) {
        if (json_is_string(v) && strcmp(json_string_value(v), "no_single_gaps") == 0)
            m->no_single_gaps = 1;
        else if (!json_is_string(v) || strcmp(json_string_value(v), "none") != 0)
            return validate_fail(e, ERR_INVALID_REQUEST,
                        "Field \"orphan_rule\" must be \"none\" or \"no_single_gaps\".");
    }
    v = json_object_get(body, "focal_point");
    if (!v)
        return 0;
    if (!json_is_object(v) || validate_keys(v, focal_keys, e) < 0 ||
        !json_is_number(json_object_get(v, "x")) || !json_is_number(json_object_get(v, "y")) ||
        !isfinite(json_number_value(json_object_get(v, "x"))) ||
        !isfinite(json_number_value(json_object_get(v, "y"))))
        return validate_fail(e, ERR_INVALID_REQUEST,
                    "Field \"focal_point\" must be {\"x\": number, \"y\": number}.");
    m->has_focal = 1;
    m->focal_x = json_number_value(json_object_get(v, "x"));
    m->focal_y = json_number_value(json_object_get(v, "y"));
    return 0;
}

int seatmap_parse(json_t *body, struct seatmap *m, struct verr *e)
{
    static const char *const top_keys[] = {"name", "hold_ttl_s", "max_hold_ttl_s",
        "max_seats_per_hold", "max_seats_per_holder", "sections", "orphan_rule",
        "focal_point", "queue", NULL};
    static const char *const sec_keys[] = {"id", "name", "rows", "capacity", NULL};
    struct parse ps = {.m = m, .e = e};
    json_t *sections, *sec, *rows, *row, *out = NULL, *areas = NULL;
    json_int_t v;
    size_t si, ri, i;

    memset(m, 0, sizeof *m);
    m->hold_ttl_s = 600;
    m->max_hold_ttl_s = 1800;
    m->max_seats_per_hold = 10;
    if (validate_keys(body, top_keys, e) < 0 ||
        validate_string(body, "name", 1, SEATMAP_NAME_MAX, 0, &m->name, e) < 0)
        goto fail;
    v = m->hold_ttl_s;
    if (validate_int(body, "hold_ttl_s", 0, 1, 86400, ERR_INVALID_REQUEST, &v, e) < 0)
        goto fail;
    m->hold_ttl_s = v;
    v = m->max_hold_ttl_s;
    if (validate_int(body, "max_hold_ttl_s", 0, 1, 7 * 86400, ERR_INVALID_REQUEST, &v, e) < 0)
        goto fail;
    m->max_hold_ttl_s = v;
    v = m->max_seats_per_hold;
    if (validate_int(body, "max_seats_per_hold", 0, 1, 1000, ERR_INVALID_REQUEST, &v, e) < 0)
        goto fail;
    m->max_seats_per_hold = v;
    v = 0;
    if (validate_int(body, "max_seats_per_holder", 0, 0, 100000, ERR_INVALID_REQUEST, &v, e) < 0)
        goto fail;
    m->max_seats_per_holder = v;
    if (m->max_hold_ttl_s < m->hold_ttl_s) {
        validate_fail(e, ERR_INVALID_REQUEST, "max_hold_ttl_s must be at least hold_ttl_s.");
        goto fail;
    }
    if (parse_selection(body, m, e) < 0)
        goto fail;
    if (json_object_get(body, "queue")) {
        if (waitroom_parse(json_object_get(body, "queue"), m->max_seats_per_hold, util_wall_ms(),
                           &m->queue, e) < 0)
            goto fail;
        m->has_queue = 1;
    }
    sections = json_object_get(body, "sections");
    if (!json_is_array(sections) || json_array_size(sections) == 0) {
        validate_fail(e, ERR_INVALID_REQUEST, "Field \"sections\" must be a non-empty array.");
        goto fail;
    }
    out = json_array();
    areas = json_array();
    json_array_foreach(sections, si, sec) {
        const char *sid, *sname;
        size_t before = m->nseats;
        if (!json_is_object(sec)) {
            validate_fail(e, ERR_INVALID_REQUEST, "sections[%zu] must be an object.", si);
            goto fail;
        }
        if (validate_keys(sec, sec_keys, e) < 0 ||
            validate_string(sec, "id", 1, ID_MAX, 1, &sid, e) < 0 ||
            validate_string(sec, "name", 0, SEATMAP_NAME_MAX, 0, &sname, e) < 0)
            goto fail;
        for (i = 0; i < si; i++) {
            if (strcmp(sid, json_string_value(json_object_get(
                                json_array_get(sections, i), "id"))) == 0) {
                validate_fail(e, ERR_DUPLICATE_SECTION, "Section id \"%s\" appears more than once.", sid);
                goto fail;
            }
        }
        if (json_object_get(sec, "capacity")) {    /* general admission: no seats */
            json_int_t cap = 0;
            if (json_object_get(sec, "rows")) {
                validate_fail(e, ERR_INVALID_REQUEST,
                              "sections[%zu] has a capacity: a general-admission area has no rows.", si);
                goto fail;
            }
            if (validate_int(sec, "capacity", 1, 1, SEATMAP_AREA_MAX, ERR_INVALID_REQUEST, &cap, e) < 0)
                goto fail;
            if (++m->nareas > SEATMAP_AREAS_MAX) {
                validate_fail(e, ERR_INVALID_REQUEST, "An event may have at most %d areas.",
                              SEATMAP_AREAS_MAX);
                goto fail;
            }
            json_array_append_new(areas, json_pack("{s:s, s:s, s:I}", "id", sid, "name",
                                                   sname ? sname : sid, "capacity", cap));
            continue;
        }
        rows = json_object_get(sec, "rows");
        if (!json_is_array(rows)) {
            validate_fail(e, ERR_INVALID_REQUEST, "sections[%zu].rows must be an array.", si);
            goto fail;
        }
        json_array_foreach(rows, ri, row) {
            if (parse_row(&ps, si, sid, row, si, ri) < 0)
                goto fail;
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:I}", "id", sid, "name",
                                             sname ? sname : sid, "n",
                                             (json_int_t)(m->nseats - before)));
    }
    if (m->nseats == 0 && m->nareas == 0) {
        validate_fail(e, ERR_INVALID_REQUEST, "The seat map has no seats and no areas.");
        goto fail;
    }
    if (ps.ids.failed || ps.layout.failed || ps.categories.failed) {
        validate_fail(e, ERR_INTERNAL, "Out of memory.");
        goto fail;
    }
    m->ids = ps.ids.p;
    ps.ids.p = NULL;
    m->seat = malloc(sizeof *m->seat * m->nseats + 1);
    m->seat_len = malloc(sizeof *m->seat_len * m->nseats + 1);
    if (!m->seat || !m->seat_len) {
        validate_fail(e, ERR_INTERNAL, "Out of memory.");
        goto fail;
    }
    for (i = 0; i < m->nseats; i++) {
        m->seat[i] = m->ids + ps.offsets[i];
        m->seat_len[i] = strlen(m->seat[i]);
    }
    if (check_unique(m, e) < 0)
        goto fail;
    m->categories = ps.categories.p;
    ps.categories.p = NULL;
    m->sections_json = json_dumps(out, JSON_COMPACT);
    m->areas_json = json_dumps(areas, JSON_COMPACT);
    m->layout = ps.layout.p;
    m->layout_len = ps.layout.len;
    json_decref(out);
    json_decref(areas);
    free(ps.offsets);
    if (!m->sections_json || !m->areas_json) {
        validate_fail(e, ERR_INTERNAL, "Out of memory.");
        seatmap_deinit(m);
        return -1;
    }
    return 0;
fail:
    json_decref(out);
    json_decref(areas);
    free(ps.offsets);
    free(ps.ids.p);
    free(ps.layout.p);
    free(ps.categories.p);
    seatmap_deinit(m);
    return -1;
}

void seatmap_deinit(struct seatmap *m)
{
    free(m->seat_flags);
    free(m->seat_cat);
    free(m->seat_rank);
    free(m->seat_x);
    free(m->seat_y);
    free(m->row);
    free(m->categories);
    free(m->ids);
    free(m->seat);
    free(m->seat_len);
    free(m->sections_json);
    free(m->areas_json);
    free(m->layout);
    memset(m, 0, sizeof *m);
}

/* The decimal number in [p, end): 1 to 7 digits and nothing else, else -1. */
static long long parse_count(const char *p, const char *end)
{
    long long v = 0;

    if (p >= end || end - p > 7)
        return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* Appends n ids' lines of one row: sidx TAB "id":"<id>",<tail><extra>} LF. */
static void expand_seat(struct buf *b, const char *sidx, size_t sidx_len, const char *id,
                        size_t idlen, const char *tail, size_t tail_len, const char *extra,
                        size_t extra_len)
{
    buf_add(b, sidx, sidx_len);
    buf_add(b, "\t\"id\":\"", 7);
    buf_add(b, id, idlen);
    buf_add(b, "\",", 2);
    buf_add(b, tail, tail_len);
    buf_add(b, extra, extra_len);
    buf_add(b, "}\n", 2);
}

int seatmap_layout_expand(const char *s, size_t n, char **out, size_t *out_len)
{
    const char *p = s, *end = s + n, *sidx = NULL, *tail = NULL;
    size_t sidx_len = 0, tail_len = 0, seats = 0;
    struct buf b = {0};

    *out = NULL;
    *out_len = 0;
    if (n == 0 || s[0] != '\t')
        return 0;                        /* already lines (an older usherd's) */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            goto bad;
        if (*p == '\t') {                /* a row: TAB sidx TAB tail */
            const char *t = memchr(p + 1, '\t', (size_t)(nl - p - 1));
            if (!t)
                goto bad;
            sidx = p + 1;
            sidx_len = (size_t)(t - sidx);
            tail = t + 1;
            tail_len = (size_t)(nl - tail);
        } else if (!tail) {
            goto bad;
        } else if (*p == '*') {          /* a range: *prefix TAB from TAB to */
            const char *t1 = memchr(p, '\t', (size_t)(nl - p));
            const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
            char id[200];
            long long from, to;
            if (!t2 || (size_t)(t1 - p - 1) > sizeof id - 24 ||
                (from = parse_count(t1 + 1, t2)) < 0 || (to = parse_count(t2 + 1, nl)) < from ||
                (size_t)(to - from) >= SEATMAP_MAX_SEATS - seats)
                goto bad;
            seats += (size_t)(to - from) + 1;
            memcpy(id, p + 1, (size_t)(t1 - p - 1));
            for (long long k = from; k <= to; k++) {
                int len = (int)(t1 - p - 1);
                len += snprintf(id + len, sizeof id - (size_t)len, "%lld", k);
                expand_seat(&b, sidx, sidx_len, id, (size_t)len, tail, tail_len, "", 0);
            }
        } else {                         /* a seat: id, then its extras from ',' */
            const char *c = memchr(p, ',', (size_t)(nl - p));
            if (++seats > SEATMAP_MAX_SEATS)
                goto bad;
            if (!c)
                c = nl;
            expand_seat(&b, sidx, sidx_len, p, (size_t)(c - p), tail, tail_len, c,
                        (size_t)(nl - c));
        }
        p = nl + 1;
    }
    if (b.failed)
        goto bad;
    *out = b.p;
    *out_len = b.len;
    return 0;
bad:
    free(b.p);
    return -1;
}
