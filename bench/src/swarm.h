/* swarm — the on-sale simulator: virtual buyers arrive by a profile, each
 * wants k seats picked with a front-row bias, holds them (retrying on 409
 * with backoff), thinks, then reserves, releases or walks away. Every
 * decision comes from one seeded generator, so a run repeats exactly for a
 * given seed (timing aside). What the server answered goes to the ledger. */
#ifndef BENCH_SWARM_H
#define BENCH_SWARM_H

#include "bench.h"
#include "ledger.h"
#include "scen.h"

enum arrival { ARR_BURST, ARR_RAMP, ARR_RATE };

struct swarm_cfg {
    long users;
    enum arrival arrival;
    double arrival_arg;     /* seconds (burst, ramp) or buyers per second (rate) */
    int party_lo, party_hi;
    double hotspot;         /* Zipf exponent over row ranks; 0 = uniform */
    int retries;
    double p_reserve, p_release;
    double p_best;          /* share of buyers asking for best available */
    double p_ga;            /* share buying general-admission places (the first area) */
    int queue;              /* buyers go through the event's waiting room first */
    double think_s;         /* mean think time (exponential) */
    double patience_s;      /* how long a buyer keeps looking while seats are held */
    int live_view;          /* buyers see seats of holds in flight as taken */
    double refresh_s;       /* poll the seat map this often (0: never) */
    int hold_ttl_s;         /* ttl_s sent with holds; 0 = the event's default */
    uint64_t seed;
    double max_duration_s;  /* stop starting new work after this */
};

/* Runs the swarm to its end, filling b->stats and the ledger. 0, or -1 when
 * the venue is unusable. */
int swarm_run(struct bench *b, const struct venue *v, const struct swarm_cfg *cfg,
              struct scen *sc, struct ledger *ledger);

/* Parses "burst:5", "ramp:30" or "rate:2000". 0 or -1. */
int swarm_parse_arrival(const char *s, struct swarm_cfg *cfg);

#endif
