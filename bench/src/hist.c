/* hist — see hist.h. */
#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

int hist_index(uint64_t us)
{
    int mag;

    if (us < 2 * HIST_SUB)
        return (int)us;
    mag = 63 - __builtin_clzll(us) - 10;        /* us >> mag is in [1024, 2048) */
    if (mag > HIST_MAGS)
        return HIST_BUCKETS - 1;
    return 2 * HIST_SUB + (mag - 1) * HIST_SUB + (int)((us >> mag) - HIST_SUB);
}

uint64_t hist_upper(int i)
{
    int mag, sub;

    if (i < 2 * HIST_SUB)
        return (uint64_t)i;
    mag = (i - 2 * HIST_SUB) / HIST_SUB + 1;
    sub = (i - 2 * HIST_SUB) % HIST_SUB;
    return (((uint64_t)(HIST_SUB + sub) + 1) << mag) - 1;
}

void hist_record(struct hist *h, uint64_t us)
{
    h->bucket[hist_index(us)]++;
    h->count++;
    h->sum += us;
    if (us > h->max)
        h->max = us;
    if (us < h->min)
        h->min = us;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    uint64_t want, seen = 0;
    int i;

    if (h->count == 0)
        return 0;
    want = (uint64_t)(p / 100.0 * (double)h->count + 0.5);
    if (want < 1)
        want = 1;
    if (want > h->count)
        want = h->count;
    for (i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= want) {
            uint64_t v = hist_upper(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    int i;

    for (i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->max > into->max)
        into->max = from->max;
    if (from->min < into->min)
        into->min = from->min;
}
