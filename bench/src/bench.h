/* bench — what the usher-bench modes share: the run context (event loop,
 * HTTP pool, target, stats), the venue as the bench sees it, and a small
 * synchronous fetch for set-up and audit steps. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>

#include "hclient.h"
#include "stats.h"

/* Exit codes (usher-bench --help). */
#define EXIT_OK 0
#define EXIT_AUDIT 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

struct bench {
    struct event_base *base;
    struct hc_pool *pool;
    struct hc_pool *monitor;  /* one connection of its own for the per-second
                               * counts, so they never wait behind the load */
    const char *event;
    struct stats stats;
    int quiet;
    int interrupted;          /* Ctrl-C: stop starting work, report */
};

/* The seat map: seats in map order, grouped in rows within sections. */
struct venue {
    size_t nseats;
    char **id;               /* seat ids */
    uint32_t *row_of;        /* seat -> row index */
    size_t nrows;
    struct vrow { uint32_t first, count, section, rank; } *rows;
    size_t nsections;
    struct vsection { uint32_t first_row, nrows; } *sections;
    uint8_t *status0;        /* status at load: '.', 'h', 'r', 'b' */
    char **section_id;       /* per section */
    int32_t *slot;           /* seat id hash table (venue_find), nslots */
    size_t nslots;
    /* the first general-admission area, if the event has one */
    char area[72];           /* "" for none */
    long area_capacity, area_held0, area_sold0;
    int max_seats_per_hold, hold_ttl_s, max_hold_ttl_s;
};

/* Sends one request and runs the loop until it is answered. Returns the
 * status (or HC_ERR_*); *body gets the parsed JSON (NULL if none). */
int bench_fetch(struct bench *b, const char *method, const char *path,
                const char *body, json_t **out);

/* Loads the venue of b->event (settings and seat map). 0 or -1. */
int venue_load(struct bench *b, struct venue *v);
void venue_free(struct venue *v);
/* The index of seat `id`, or -1. */
int32_t venue_find(const struct venue *v, const char *id);

/* A seeded PRNG (xoshiro256**), so every decision of a run repeats. */
struct rng { uint64_t s[4]; };
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_unit(struct rng *r);                 /* [0, 1) */
long rng_range(struct rng *r, long lo, long hi); /* [lo, hi] */

#endif
