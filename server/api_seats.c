/* api_seats — see api_seats.h. */
#include "api_seats.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "validate.h"
#include "app.h"
#include "layouts.h"
#include "query.h"
#include "replies.h"
#include "seatmap.h"
#include "util.h"

#define ADMIN_SEATS_MAX 5000

/* ---- GET /v1/events/{event}/seats[?section=S][&status=X] ---- */

struct seat_filter {
    char section[ID_MAX + 1];   /* "" = all */
    char status;                /* 0 = all, else a status byte */
    struct layout *layout;      /* the cached layout the read named, or NULL */
    char *lines;                /* the reply's layout expanded, when not cached */
};

static void seat_filter_free(void *p)
{
    struct seat_filter *f = p;

    layouts_release(f->layout);
    free(f->lines);
    free(f);
}

/* The layout to list, one line per seat: the cached one when event_read
 * left it out because the read named its id, else the reply's, expanded
 * (seatmap_layout_expand) and cached for the next read. -1 when the
 * reply's layout is malformed or memory ran out. */
static int seats_layout(struct req *r, struct seat_filter *f, const struct event_view *v,
                        const char **data, size_t *len)
{
    if (f->layout && v->layout_id.len && v->layout.len == 0 &&
        strcmp(f->layout->id, v->layout_id.s) == 0) {
        *data = f->layout->data;
        *len = f->layout->len;
        return 0;
    }
    layouts_release(f->layout);
    f->layout = NULL;
    if (seatmap_layout_expand(v->layout.s, v->layout.len, &f->lines, len) < 0)
        return -1;
    *data = f->lines ? f->lines : v->layout.s;
    if (!f->lines)
        *len = v->layout.len;
    if (v->layout_id.len)
        f->layout = layouts_put(r->app->layouts, r->event, v->layout_id.s, *data, *len);
    return 0;
}

static const char *status_name(char c)
{
    switch (c) {
    case SEAT_HELD: return "held";
    case SEAT_RESERVED: return "reserved";
    case SEAT_BLOCKED: return "blocked";
    default: return "available";
    }
}

/* Section index of filter->section in the sections JSON; -1 = all,
 * -2 = no such section. */
static long section_index(struct rstr sections, const char *id)
{
    json_t *a, *s;
    size_t i;
    long found = -2;

    if (!id[0])
        return -1;
    a = json_loadb(sections.s, sections.len, 0, NULL);
    json_array_foreach(a, i, s) {
        if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0) {
            found = (long)i;
            break;
        }
    }
    json_decref(a);
    return found;
}

static void on_seats_list(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct seat_filter *f = r->data;
    struct event_view ev;
    struct rstr status;
    struct evbuffer *out;
    struct evbuffer_iovec v;
    const char *p, *end, *ldata;
    char *w, *wend;
    size_t i = 0, cap, llen;
    long want;
    int first = 1;
    json_t *areas;
    char *areas_json;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 0))
        return;
    if (replies_event(reply, &ev) < 0 ||
        !(areas = api_areas(ev.areas.s, ev.areas.len, f->section))) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    areas_json = json_dumps(areas, JSON_COMPACT);
    json_decref(areas);
    if (!areas_json) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    status = ev.status;
    if (seats_layout(r, f, &ev, &ldata, &llen) < 0) {
        free(areas_json);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    want = section_index(ev.sections, f->section);
    /* Written straight into one reserved extent, no printf: a 120,000-seat
     * map is 8 MB, and formatting it seat by seat held the event loop for
     * tens of milliseconds. Per seat at most the layout line's tail plus
     * 23 bytes (",{\"status\":\"available\","). */
    cap = llen + status.len * 24 + strlen(r->event) + strlen(areas_json) + 48;
    out = evbuffer_new();
    if (!out || evbuffer_reserve_space(out, (ev_ssize_t)cap, &v, 1) != 1) {
        if (out)
            evbuffer_free(out);
        free(areas_json);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    w = v.iov_base;
    wend = w + cap;
    util_put(&w, wend, "{\"event\":\"", 10);
    util_put(&w, wend, r->event, strlen(r->event));
    util_put(&w, wend, "\",\"seats\":[", 11);
    /* Each layout line: "<section index>\t<tail of the seat's object>\n". */
    for (p = ldata, end = p + llen; p < end && i < status.len; i++) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *nl = tab ? memchr(tab, '\n', (size_t)(end - tab)) : NULL;
        char c = status.s[i];
        if (!nl)
            break;
        if ((want == -1 || strtol(p, NULL, 10) == want) && (!f->status || f->status == c)) {
            const char *name = status_name(c);
            if (!first)
                util_put(&w, wend, ",", 1);
            util_put(&w, wend, "{\"status\":\"", 11);
            util_put(&w, wend, name, strlen(name));
            util_put(&w, wend, "\",", 2);
            util_put(&w, wend, tab + 1, (size_t)(nl - tab - 1));
            first = 0;
        }
        p = nl + 1;
    }
    util_put(&w, wend, "],\"areas\":", 10);
    util_put(&w, wend, areas_json, strlen(areas_json));
    util_put(&w, wend, "}\n", 2);
    free(areas_json);
    v.iov_len = (size_t)(w - (char *)v.iov_base);
    evbuffer_commit_space(out, &v, 1);
    http_reply_buffer(r, 200, out);
    evbuffer_free(out);
}

/* Reads the seat map's filters: section=S and status=X, each at most
 * once. NULL, or why the query is refused. */
static const char *seat_filter_parse(const char *q, struct seat_filter *f)
{
    char name[16], value[ID_MAX + 1];
    int have_section = 0;
    enum query_result res;

    while ((res = query_next(&q, name, sizeof name, value, sizeof value)) != QUERY_END) {
        if (res == QUERY_BAD)
            return "The query string is malformed, or a value is too long.";
        if (strcmp(name, "section") == 0) {
            if (have_section++)
                return "section may be given once.";
            if (!validate_id(value, strlen(value), ID_MAX))
                return "section must be a section id.";
            strcpy(f->section, value);
        } else if (strcmp(name, "status") == 0) {
            if (f->status)
                return "status may be given once.";
            if (strcmp(value, "available") == 0) f->status = SEAT_AVAILABLE;
            else if (strcmp(value, "held") == 0) f->status = SEAT_HELD;
            else if (strcmp(value, "reserved") == 0) f->status = SEAT_RESERVED;
            else if (strcmp(value, "blocked") == 0) f->status = SEAT_BLOCKED;
            else return "status must be one of available, held, reserved, blocked.";
        } else {
            return "Unknown query parameter; use section and status.";
        }
    }
    return NULL;
}

void api_seats_list(struct req *r)
{
    struct seat_filter *f = calloc(1, sizeof *f);
    const char *argv[2] = {"1", ""};
    const char *bad;

    if (!f) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    r->data = f;
    r->data_free = seat_filter_free;
    if ((bad = seat_filter_parse(r->query, f)) != NULL) {
        http_reply_error(r, ERR_INVALID_REQUEST, bad, NULL);
        return;
    }
    f->layout = layouts_get(r->app->layouts, r->event);
    argv[1] = f->layout ? f->layout->id : "";
    api_eval(r, SCRIPT_EVENT_READ, 2, argv, NULL, on_seats_list);
}

/* ---- GET /v1/events/{event}/orders/{order} ---- */

/* The seat ids of a script's reply and, after them, its areas
 * ("@<id>=<n>") as {"id", "quantity"}: into *seats and *areas (new). */
static void seats_and_areas(const redisReply *reply, json_t **seats, json_t **areas)
{
    size_t i;

    *seats = json_array();
    *areas = json_array();
    for (i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        const char *eq;
        if (e->type != REDIS_REPLY_STRING)
            continue;
        if (e->len > 1 && e->str[0] == '@' && (eq = memchr(e->str, '=', e->len)))
            json_array_append_new(*areas, json_pack("{s:s#, s:I}", "id", e->str + 1,
                                                    (int)(eq - e->str - 1), "quantity",
                                                    (json_int_t)strtoll(eq + 1, NULL, 10)));
        else
            json_array_append_new(*seats, json_stringn(e->str, e->len));
    }
}

static void on_order_get(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    json_t *seats, *areas, *body;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 0))
        return;
    seats_and_areas(reply, &seats, &areas);
    body = json_pack("{s:s, s:s, s:o}", "event", r->event, "order_id", r->order, "seats", seats);
    if (json_array_size(areas))
        json_object_set(body, "areas", areas);
    json_decref(areas);
    http_reply_json(r, 200, body);
}

void api_order_get(struct req *r)
{
    const char *argv[] = {r->order};

    api_eval(r, SCRIPT_ORDER_GET, 1, argv, NULL, on_order_get);
}

/* ---- POST /v1/events/{event}/release | block | unblock ---- */

static void on_seats_changed(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    const struct seats_action *act = r->m.route->data;
    json_t *seats, *areas, *body;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 0))
        return;
    seats_and_areas(reply, &seats, &areas);
    body = json_pack("{s:o}", act->field, seats);
    if (json_array_size(areas))
        json_object_set(body, "areas", areas);
    json_decref(areas);
    http_reply_json(r, 200, body);
}

int api_seats_args(json_t *body, int areas, struct seats_args *a, struct verr *e)
{
    static const char *const keys[] = {"seats", NULL};
    static const char *const area_keys[] = {"seats", "order_id", "areas", NULL};
    int with = areas && (json_object_get(body, "order_id") || json_object_get(body, "areas"));

    memset(a, 0, sizeof *a);
    if (validate_keys(body, areas ? area_keys : keys, e) < 0 ||
        validate_seats_at(body, "seats", with ? 0 : 1, ADMIN_SEATS_MAX, &a->seats, &a->nseats,
                          e) < 0)
        return -1;
    if (!with)
        return 0;
    if (validate_string(body, "order_id", 1, ORDER_ID_MAX, 1, &a->order, e) < 0 ||
        validate_area_tokens(body, "areas", 1, SEATMAP_AREA_MAX, &a->areas, &a->nareas, e) < 0)
        return -1;
    if (!a->nareas)
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"areas\" is required with \"order_id\".");
    return 0;
}

void api_seats_args_free(struct seats_args *a)
{
    free(a->seats);
    free(a->areas);
    memset(a, 0, sizeof *a);
}

void api_seats_change(struct req *r)
{
    const struct seats_action *act = r->m.route->data;
    struct verr e = {0};
    struct seats_args a;
    const char **argv;
    char order[ORDER_ID_MAX + 2];
    size_t n;

    if (api_seats_args(r->body, act->areas, &a, &e) < 0) {
        api_seats_args_free(&a);
        http_reply_verr(r, &e);
        return;
    }
    /* the seats, then "#<order>" and the areas' tokens (seats_release.lua) */
    n = a.nseats + (a.order ? 1 + a.nareas : 0);
    if (!(argv = malloc(sizeof *argv * (n + 1)))) {
        api_seats_args_free(&a);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (a.nseats)
        memcpy(argv, a.seats, sizeof *argv * a.nseats);
    if (a.order) {
        snprintf(order, sizeof order, "#%s", a.order);
        argv[a.nseats] = order;
        memcpy(argv + a.nseats + 1, a.areas, sizeof *argv * a.nareas);
    }
    api_eval(r, act->script, (int)n, argv, NULL, on_seats_changed);
    free(argv);
    api_seats_args_free(&a);
}
