/* hist — a log-linear latency histogram in the spirit of HdrHistogram:
 * microsecond resolution, three significant digits, values up to about
 * 17 minutes, constant memory, O(1) record. Used for every latency that
 * usher-bench reports. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

/* Buckets: values below 2048 us are exact; above, each power of two is
 * split into 1024 sub-buckets (error < 0.1 %). */
#define HIST_SUB 1024
#define HIST_MAGS 20
#define HIST_BUCKETS (2 * HIST_SUB + HIST_MAGS * HIST_SUB)

struct hist {
    uint64_t count;
    uint64_t max;
    uint64_t min;
    uint64_t sum;
    uint32_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t us);
/* The value at percentile p (0..100), as the upper edge of its bucket
 * clamped to the maximum seen; 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
void hist_merge(struct hist *into, const struct hist *from);

/* Bucket index of a value, and the largest value in a bucket (tests). */
int hist_index(uint64_t us);
uint64_t hist_upper(int index);

#endif
