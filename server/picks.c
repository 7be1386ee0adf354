/* picks — see picks.h. */
#include "picks.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct keyed {
    double key;         /* INFINITY: no key, after every keyed one */
    uint32_t at;        /* seat index, or row number */
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;

    if (x->key < y->key)
        return -1;
    if (x->key > y->key)
        return 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static unsigned char *put_be(unsigned char *p, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

/* The key a seat is ordered by: its rank, or its distance to the focal
 * point, or its index (every key then is INFINITY and ties keep the
 * order). */
static double seat_key(const struct seatmap *m, size_t i, int ranked)
{
    if (ranked)
        return isnan(m->seat_rank[i]) ? INFINITY : m->seat_rank[i];
    if (m->has_focal && !isnan(m->seat_x[i]) && !isnan(m->seat_y[i]))
        return hypot(m->seat_x[i] - m->focal_x, m->seat_y[i] - m->focal_y);
    return INFINITY;
}

int picks_build(const struct seatmap *m, struct picks *p)
{
    /* + 1: an event of areas only has no seats, and malloc(0) may be NULL */
    struct keyed *k = malloc(sizeof *k * (m->nseats > m->nrows ? m->nseats : m->nrows) + 1);
    uint32_t *ord = malloc(sizeof *ord * m->nseats + 1);
    unsigned char *q;
    size_t i, j;
    int ranked = 0;

    memset(p, 0, sizeof *p);
    p->pick_len = m->nseats * PICKS_SEAT_BYTES;
    p->rows_len = m->nrows * (PICKS_ROW_BYTES + 4);
    p->runs_len = m->nrows;
    p->pick = malloc(p->pick_len + 1);
    p->rows = malloc(p->rows_len + 1);
    p->runs = malloc(p->runs_len + 1);
    if (!k || !ord || !p->pick || !p->rows || !p->runs)
        goto fail;
    for (i = 0; i < m->nseats && !ranked; i++)
        ranked = !isnan(m->seat_rank[i]);
    for (i = 0; i < m->nseats; i++) {
        k[i].key = seat_key(m, i, ranked);
        k[i].at = (uint32_t)i;
    }
    qsort(k, m->nseats, sizeof *k, cmp_keyed);
    for (i = 0; i < m->nseats; i++)
        ord[k[i].at] = (uint32_t)i;
    q = (unsigned char *)p->pick;
    for (i = 0; i < m->nseats; i++) {
        *q++ = m->seat_flags[i];
        *q++ = m->seat_cat[i];
        q = put_be(q, ord[i], 3);
    }
    q = (unsigned char *)p->rows;
    for (i = 0; i < m->nrows; i++) {
        const struct seatmap_row *w = &m->row[i];
        uint32_t best = UINT32_MAX, nacc = 0;
        int cat = w->len ? m->seat_cat[w->start] : 0;
        for (j = w->start; j < w->start + w->len; j++) {
            if (ord[j] < best)
                best = ord[j];
            nacc += (m->seat_flags[j] & SEAT_ACCESSIBLE) != 0;
            if (m->seat_cat[j] != cat)
                cat = 255;
        }
        q = put_be(q, (uint32_t)w->start, 4);
        q = put_be(q, (uint32_t)w->len, 4);
        q = put_be(q, best, 4);
        q = put_be(q, (uint32_t)w->loff, 4);
        q = put_be(q, (uint32_t)w->llen, 4);
        q = put_be(q, (uint32_t)w->section, 2);
        q = put_be(q, nacc > 65535 ? 65535 : nacc, 2);
        *q++ = (unsigned char)cat;
        k[i].key = best;
        k[i].at = (uint32_t)i;
        p->runs[i] = (char)(w->len > 255 ? 255 : w->len);
    }
    qsort(k, m->nrows, sizeof *k, cmp_keyed);
    for (i = 0; i < m->nrows; i++)
        q = put_be(q, k[i].at, 4);
    assert(q == (unsigned char *)p->rows + p->rows_len);
    free(k);
    free(ord);
    return 0;
fail:
    free(k);
    free(ord);
    picks_deinit(p);
    return -1;
}

void picks_deinit(struct picks *p)
{
    free(p->pick);
    free(p->rows);
    free(p->runs);
    memset(p, 0, sizeof *p);
}
