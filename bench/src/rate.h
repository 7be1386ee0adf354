/* rate — open-model constant-throughput load on one operation, in the
 * manner of wrk2: request i is due at start + i/rate and its latency is
 * measured from that due time, so a stalled server shows up in the
 * latency instead of silently lowering the offered load (coordinated
 * omission). With rate 0 it is a closed loop instead, like wrk: each
 * connection sends its next request when the last one is answered. */
#ifndef BENCH_RATE_H
#define BENCH_RATE_H

#include "bench.h"

enum rate_op { ROP_HOLD_RELEASE, ROP_HOLD, ROP_SEATMAP, ROP_HEALTHZ };

struct rate_cfg {
    enum rate_op op;
    double rate;             /* requests per second; 0 = as fast as the
                              * connections allow (closed loop, as wrk) */
    int connections;         /* for the closed loop */
    double duration_s;
    uint64_t seed;
    int hold_ttl_s;          /* for holds: 0 = event default */
};

int rate_parse_op(const char *s, enum rate_op *op);
/* Runs the load; `v` is needed for the hold operations (else NULL). */
int rate_run(struct bench *b, const struct venue *v, const struct rate_cfg *cfg);

#endif
