/* seatview — what one swarm run believes about every seat: free, held by
 * one of its buyers, sold, taken by someone else, or asked for in a
 * request still in flight; kept from the server's answers and, when
 * polled, its seat map. Buyers pick their seats from it: k adjacent free
 * seats in a row drawn with a front-row (Zipf) bias, else any k free. */
#ifndef BENCH_SEATVIEW_H
#define BENCH_SEATVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

enum view { V_FREE, V_HELD, V_SOLD, V_TAKEN, V_INFLIGHT };

struct seatview {
    const struct venue *v;
    struct rng *rng;            /* the run's, for every pick */
    uint8_t *view;              /* one enum view per seat */
    long free_count;
    long pending_count;         /* held, taken or in flight: may come free again */
    long sold;
    double *cdf;                /* per row: cumulative Zipf weight in its section */
};

/* From the venue's status at load; hotspot is the Zipf exponent over row
 * ranks (0 = uniform). 0, or -1 when out of memory. */
int seatview_init(struct seatview *sv, const struct venue *v, double hotspot, struct rng *rng);
void seatview_deinit(struct seatview *sv);

void seatview_set(struct seatview *sv, int32_t seat, enum view to);
/* The index of seat `id` among cands[0..n), or -1. */
int32_t seatview_find(const struct seatview *sv, const char *id, const int32_t *cands, int n);
/* Picks k free seats into out: their count, or 0 when the run sees fewer
 * than k free. */
int seatview_pick(struct seatview *sv, int k, int32_t *out);

/* Which seats a seat-map answer shows available, in seat-map order, into
 * avail[0..n). Scanned, not parsed: jansson took about half a second for
 * a 120,000-seat map, a stall of the whole generator at every refresh.
 * 0, or -1 unless exactly n seats were found. */
int seatview_scan(const char *body, size_t len, uint8_t *avail, size_t n);
/* What the server says now (avail, from seatview_scan) replaces what
 * stale 409s taught the view, both ways; the run's own holds and sales
 * stay. */
void seatview_refresh(struct seatview *sv, const uint8_t *avail);

#endif
