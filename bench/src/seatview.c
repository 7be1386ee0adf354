/* seatview — see seatview.h. */
#include "seatview.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int seatview_init(struct seatview *sv, const struct venue *v, double hotspot, struct rng *rng)
{
    size_t i;

    memset(sv, 0, sizeof *sv);
    sv->v = v;
    sv->rng = rng;
    sv->view = calloc(v->nseats + 1, 1);
    sv->cdf = calloc(v->nrows + 1, sizeof *sv->cdf);
    if (!sv->view || !sv->cdf) {
        seatview_deinit(sv);
        return -1;
    }
    for (i = 0; i < v->nseats; i++) {
        sv->view[i] = v->status0[i] == '.' ? V_FREE : v->status0[i] == 'r' ? V_SOLD : V_TAKEN;
        if (sv->view[i] == V_FREE)
            sv->free_count++;
        else if (sv->view[i] == V_TAKEN)
            sv->pending_count++;
    }
    for (i = 0; i < v->nrows; i++) {
        double weight = pow((double)v->rows[i].rank + 1.0, -hotspot);
        sv->cdf[i] = weight + (v->rows[i].rank ? sv->cdf[i - 1] : 0.0);
    }
    return 0;
}

void seatview_deinit(struct seatview *sv)
{
    free(sv->view);
    free(sv->cdf);
    sv->view = NULL;
    sv->cdf = NULL;
}

void seatview_set(struct seatview *sv, int32_t i, enum view to)
{
    int was_pending = sv->view[i] == V_HELD || sv->view[i] == V_TAKEN || sv->view[i] == V_INFLIGHT;
    int is_pending = to == V_HELD || to == V_TAKEN || to == V_INFLIGHT;

    sv->pending_count += is_pending - was_pending;
    if (sv->view[i] == V_FREE && to != V_FREE)
        sv->free_count--;
    else if (sv->view[i] != V_FREE && to == V_FREE)
        sv->free_count++;
    if (sv->view[i] != V_SOLD && to == V_SOLD)
        sv->sold++;
    sv->view[i] = (uint8_t)to;
}

int32_t seatview_find(const struct seatview *sv, const char *id, const int32_t *cands, int n)
{
    int k;

    for (k = 0; k < n; k++)
        if (strcmp(sv->v->id[cands[k]], id) == 0)
            return cands[k];
    return -1;
}

static uint32_t pick_row(struct seatview *sv)
{
    const struct venue *v = sv->v;
    const struct vsection *sec = &v->sections[rng_range(sv->rng, 0, (long)v->nsections - 1)];
    const double *c = sv->cdf + sec->first_row;
    double u = rng_unit(sv->rng) * c[sec->nrows - 1];
    uint32_t lo = 0, hi = sec->nrows - 1;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (c[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return sec->first_row + lo;
}

int seatview_pick(struct seatview *sv, int k, int32_t *out)
{
    const struct venue *v = sv->v;
    int tries, n;

    if (sv->free_count < k)
        return 0;
    for (tries = 0; tries < 8; tries++) {
        const struct vrow *r = &v->rows[pick_row(sv)];
        uint32_t start, j, run = 0;
        if ((int)r->count < k)
            continue;
        start = (uint32_t)rng_range(sv->rng, 0, (long)r->count - 1);
        for (j = 0; j < r->count + (uint32_t)k; j++) {
            uint32_t pos = (start + j) % r->count;
            if (pos == 0)
                run = 0;   /* runs do not wrap around the row's end */
            if (sv->view[r->first + pos] == V_FREE) {
                if (++run == (uint32_t)k) {
                    for (n = 0; n < k; n++)
                        out[n] = (int32_t)(r->first + pos - (uint32_t)(k - 1 - n));
                    return k;
                }
            } else {
                run = 0;
            }
        }
    }
    {
        size_t i, s0 = (size_t)rng_range(sv->rng, 0, (long)v->nseats - 1);
        n = 0;
        for (i = 0; i < v->nseats && n < k; i++) {
            size_t at = (s0 + i) % v->nseats;
            if (sv->view[at] == V_FREE)
                out[n++] = (int32_t)at;
        }
    }
    return n == k ? k : 0;
}

/* Ids cannot hold a quote, so "status":" only ever begins a seat's status. */
int seatview_scan(const char *body, size_t len, uint8_t *avail, size_t n)
{
    static const char key[] = "\"status\":\"";
    const char *p = body, *end = body + len;
    size_t i = 0;

    while (p && (p = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
        p += sizeof key - 1;
        if (i == n)
            return -1;
        avail[i++] = (size_t)(end - p) > 10 && memcmp(p, "available\"", 10) == 0;
    }
    return i == n ? 0 : -1;
}

void seatview_refresh(struct seatview *sv, const uint8_t *avail)
{
    size_t i;

    for (i = 0; i < sv->v->nseats; i++) {
        if (sv->view[i] == V_TAKEN && avail[i])
            seatview_set(sv, (int32_t)i, V_FREE);
        else if (sv->view[i] == V_FREE && !avail[i])
            seatview_set(sv, (int32_t)i, V_TAKEN);
    }
}
