/* buyer — one virtual buyer of a swarm run, as a state machine driven by
 * the server's answers and its own timers:
 *
 *   arrive -> pick seats -> hold --201--> think --+--> reserve --200--> done (sold)
 *               ^           |                    |      | 429/503: again after Retry-After
 *               |           | 409: back off,     +--> release --> done
 *               |           |   pick again       +--> walk away (the hold expires) --> done
 *               +-----------+ 429/503: again after Retry-After; out of patience --> done
 *
 * Every decision comes from the run's seeded generator (or the Lua
 * scenario's hooks); what the server answered goes to the ledger. */
#ifndef BENCH_BUYER_H
#define BENCH_BUYER_H

#include <stdint.h>

#include <event2/event.h>

#include "bench.h"
#include "ledger.h"
#include "scen.h"
#include "seatview.h"

struct swarm_cfg;

#define MAX_PARTY 16

/* What every buyer of one run shares. */
struct crowd {
    struct bench *b;
    const struct venue *v;
    const struct swarm_cfg *cfg;
    struct scen *sc;
    struct ledger *ledger;
    struct rng rng;
    struct seatview seats;
    uint64_t t0;                /* the run's start, hc_now_us() */
    int stopping;               /* past max_duration_s: no new work */
    long done;                  /* buyers finished */
};

enum bstate { B_WAIT, B_BUSY, B_DONE };

/* How a buyer asks: names seats it picked from its view, asks the server
 * for the best available, or buys places of the general-admission area. */
enum bkind { K_PICK, K_BEST, K_GA };

struct buyer {
    struct crowd *crowd;
    uint32_t id;
    uint8_t party, attempt, state, nseats, kind;
    int16_t prefer;          /* K_BEST: the section it asks for, -1 any */
    uint8_t pre;             /* joined the waiting room before onsale_at */
    char ticket[24];         /* its waiting-room ticket, "" before joining */
    char *admission;         /* "Admission: <token>\r\n" once admitted, else NULL */
    int32_t seat[MAX_PARTY];
    char hold_id[32];
    double expires_in_s;
    double held_at;          /* seconds since the start, when the hold came */
    double arrived;          /* seconds since the start */
    struct event *timer;
};

/* Seconds since the run's start. */
double crowd_elapsed(const struct crowd *c);

/* The buyer arrives now: wants `party` seats and tries to hold them. */
void buyer_arrive(struct buyer *by, int party);
/* The run is over before the buyer came: counted as given up. */
void buyer_give_up(struct buyer *by);

#endif
