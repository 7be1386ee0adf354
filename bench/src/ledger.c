/* ledger — see ledger.h. */
#include "ledger.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"acked", "unknown", "live_hold"};

int ledger_add(struct ledger *l, enum res_state st, const char *order_id,
               const char *hold_id, int nseats, char **seats)
{
    struct ledger_entry *e;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        void *p = realloc(l->e, cap * sizeof *l->e);
        if (!p)
            return -1;
        l->e = p;
        l->cap = cap;
    }
    e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->state = st;
    snprintf(e->order_id, sizeof e->order_id, "%s", order_id ? order_id : "");
    snprintf(e->hold_id, sizeof e->hold_id, "%s", hold_id ? hold_id : "");
    e->nseats = nseats;
    e->seats = seats;
    return 0;
}

void ledger_free(struct ledger *l)
{
    size_t i;
    int k;

    for (i = 0; i < l->n; i++) {
        if (l->owns_seats)
            for (k = 0; k < l->e[i].nseats; k++)
                free(l->e[i].seats[k]);
        free(l->e[i].seats);
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

int ledger_write(const char *path, const struct ledger *l, const char *event)
{
    json_t *root = json_pack("{s:s, s:I, s:[]}", "event", event, "holds_expire_by_ms",
                             (json_int_t)l->holds_expire_by_ms, "entries");
    json_t *arr = json_object_get(root, "entries");
    size_t i;
    int k, rc;

    for (i = 0; i < l->n; i++) {
        const struct ledger_entry *e = &l->e[i];
        json_t *seats = json_array();
        for (k = 0; k < e->nseats; k++)
            json_array_append_new(seats, json_string(e->seats[k]));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:i}", "state",
                                             state_names[e->state], "order_id", e->order_id,
                                             "hold_id", e->hold_id, "seats", seats,
                                             "places", e->places));
    }
    rc = json_dump_file(root, path, JSON_COMPACT);
    json_decref(root);
    return rc;
}

int ledger_read(const char *path, struct ledger *l, char **event)
{
    json_t *root = json_load_file(path, 0, NULL), *e, *seats;
    size_t i, k;

    memset(l, 0, sizeof *l);
    l->owns_seats = 1;
    if (!root || !json_is_string(json_object_get(root, "event"))) {
        json_decref(root);
        return -1;
    }
    *event = strdup(json_string_value(json_object_get(root, "event")));
    l->holds_expire_by_ms = json_integer_value(json_object_get(root, "holds_expire_by_ms"));
    json_array_foreach(json_object_get(root, "entries"), i, e) {
        const char *st = json_string_value(json_object_get(e, "state"));
        enum res_state s = RES_ACKED;
        char **list;
        seats = json_object_get(e, "seats");
        for (k = 0; k < 3; k++)
            if (st && strcmp(st, state_names[k]) == 0)
                s = (enum res_state)k;
        list = calloc(json_array_size(seats) + 1, sizeof *list);
        for (k = 0; k < json_array_size(seats); k++)
            list[k] = strdup(json_string_value(json_array_get(seats, k)));
        ledger_add(l, s, json_string_value(json_object_get(e, "order_id")),
                   json_string_value(json_object_get(e, "hold_id")),
                   (int)json_array_size(seats), list);
        l->e[l->n - 1].places = (int)json_integer_value(json_object_get(e, "places"));
    }
    json_decref(root);
    return 0;
}
