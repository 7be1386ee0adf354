/* common — bench_fetch, the venue loader and the PRNG (see bench.h). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct fetch {
    int done, status;
    json_t *body;
};

static void on_fetch(struct hc_req *r, int status, const char *body, size_t len,
                     uint64_t us)
{
    struct fetch *f = r->user;

    f->done = 1;
    f->status = status;
    if (body && len)
        f->body = json_loadb(body, len, 0, NULL);
    free(r->body);
    free(r);
}

int bench_fetch(struct bench *b, const char *method, const char *path,
                const char *body, json_t **out)
{
    struct fetch f = {0};
    struct hc_req *r = calloc(1, sizeof *r);

    if (out)
        *out = NULL;
    if (!r)
        return HC_ERR_CONNECT;
    r->method = method;
    snprintf(r->path, sizeof r->path, "%s", path);
    if (body) {
        r->body = strdup(body);
        r->body_len = strlen(body);
    }
    r->cb = on_fetch;
    r->user = &f;
    hc_submit(b->pool, r);
    while (!f.done)
        event_base_loop(b->base, EVLOOP_ONCE);
    if (out)
        *out = f.body;
    else
        json_decref(f.body);
    return f.status;
}

void venue_free(struct venue *v)
{
    size_t i;

    for (i = 0; i < v->nseats; i++)
        free(v->id[i]);
    for (i = 0; i < v->nsections && v->section_id; i++)
        free(v->section_id[i]);
    free(v->section_id);
    free(v->slot);
    free(v->id);
    free(v->row_of);
    free(v->rows);
    free(v->sections);
    free(v->status0);
    memset(v, 0, sizeof *v);
}

static uint64_t id_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;       /* FNV-1a */

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

int32_t venue_find(const struct venue *v, const char *id)
{
    size_t at;

    if (!v->nslots)
        return -1;
    for (at = id_hash(id) & (v->nslots - 1); v->slot[at] >= 0; at = (at + 1) & (v->nslots - 1))
        if (strcmp(v->id[v->slot[at]], id) == 0)
            return v->slot[at];
    return -1;
}

/* The seat id table venue_find reads: twice the seats or more, a power of two. */
static int venue_index(struct venue *v)
{
    size_t i, at;

    for (v->nslots = 16; v->nslots < 2 * v->nseats; v->nslots *= 2)
        ;
    if (!(v->slot = malloc(sizeof *v->slot * v->nslots)))
        return -1;
    memset(v->slot, 0xff, sizeof *v->slot * v->nslots);
    for (i = 0; i < v->nseats; i++) {
        for (at = id_hash(v->id[i]) & (v->nslots - 1); v->slot[at] >= 0;
             at = (at + 1) & (v->nslots - 1))
            ;
        v->slot[at] = (int32_t)i;
    }
    return 0;
}

int venue_load(struct bench *b, struct venue *v)
{
    char path[256];
    json_t *ev = NULL, *map = NULL, *seats, *s;
    const char *prev_sec = NULL, *prev_row = NULL;
    size_t i;
    int st, rc = -1;

    memset(v, 0, sizeof *v);
    snprintf(path, sizeof path, "/v1/events/%s", b->event);
    st = bench_fetch(b, "GET", path, NULL, &ev);
    if (st != 200 || !ev)
        goto done;
    v->hold_ttl_s = (int)json_integer_value(json_object_get(ev, "hold_ttl_s"));
    v->max_hold_ttl_s = (int)json_integer_value(json_object_get(ev, "max_hold_ttl_s"));
    v->max_seats_per_hold = (int)json_integer_value(json_object_get(ev, "max_seats_per_hold"));
    snprintf(path, sizeof path, "/v1/events/%s/seats", b->event);
    st = bench_fetch(b, "GET", path, NULL, &map);
    seats = json_object_get(map, "seats");
    if (st != 200 || !json_is_array(seats))
        goto done;
    v->nseats = json_array_size(seats);
    v->id = calloc(v->nseats + 1, sizeof *v->id);
    v->row_of = calloc(v->nseats + 1, sizeof *v->row_of);
    v->rows = calloc(v->nseats + 1, sizeof *v->rows);
    v->sections = calloc(v->nseats + 1, sizeof *v->sections);
    v->status0 = calloc(v->nseats + 1, 1);
    v->section_id = calloc(v->nseats + 1, sizeof *v->section_id);
    if (!v->id || !v->row_of || !v->rows || !v->sections || !v->status0 || !v->section_id)
        goto done;
    {
        json_t *a = json_array_get(json_object_get(map, "areas"), 0);
        json_t *c = json_object_get(a, "counts");
        if (json_is_string(json_object_get(a, "id"))) {
            snprintf(v->area, sizeof v->area, "%s", json_string_value(json_object_get(a, "id")));
            v->area_capacity = (long)json_integer_value(json_object_get(a, "capacity"));
            v->area_held0 = (long)json_integer_value(json_object_get(c, "held"));
            v->area_sold0 = (long)json_integer_value(json_object_get(c, "reserved"));
        }
    }
    json_array_foreach(seats, i, s) {
        const char *sec = json_string_value(json_object_get(s, "section"));
        const char *row = json_string_value(json_object_get(s, "row"));
        if (!sec || !row)
            goto done;
        if (!prev_sec || strcmp(sec, prev_sec) != 0) {
            v->sections[v->nsections].first_row = (uint32_t)v->nrows;
            v->section_id[v->nsections] = strdup(sec);
            v->nsections++;
            prev_row = NULL;
        }
        if (!prev_row || strcmp(row, prev_row) != 0) {
            struct vsection *vs = &v->sections[v->nsections - 1];
            v->rows[v->nrows] = (struct vrow){(uint32_t)i, 0, (uint32_t)(v->nsections - 1),
                                              vs->nrows};
            vs->nrows++;
            v->nrows++;
        }
        prev_sec = sec;
        prev_row = row;
        v->rows[v->nrows - 1].count++;
        v->row_of[i] = (uint32_t)(v->nrows - 1);
        v->id[i] = strdup(json_string_value(json_object_get(s, "id")));
        {
            const char *ss = json_string_value(json_object_get(s, "status"));
            v->status0[i] = !ss ? '.' : ss[0] == 'h' ? 'h' : ss[0] == 'r' ? 'r'
                          : ss[0] == 'b' ? 'b' : '.';
        }
    }
    rc = venue_index(v);
done:
    json_decref(ev);
    json_decref(map);
    if (rc < 0)
        venue_free(v);
    return rc;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rng_seed(struct rng *r, uint64_t seed)
{
    int i;

    for (i = 0; i < 4; i++) {           /* splitmix64 */
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

long rng_range(struct rng *r, long lo, long hi)
{
    return hi <= lo ? lo : lo + (long)(rng_next(r) % (uint64_t)(hi - lo + 1));
}
