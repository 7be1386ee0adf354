/* stats — what a usher-bench run counts: per operation a latency
 * histogram, status-code counts and transport errors; per second a
 * timeline row; and the seat totals. report.c prints and writes them. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <jansson.h>
#include <stdint.h>

#include "hist.h"

/* OP_BEST: a hold by best available (its own latency: the script chooses) */
/* OP_QUEUE: joining the waiting room and polling a ticket */
enum op { OP_HOLD, OP_RESERVE, OP_RELEASE, OP_SEATMAP, OP_HEALTHZ, OP_COUNTS, OP_BEST, OP_QUEUE,
          OP__COUNT };

struct op_stats {
    struct hist h;
    struct hist admitted;     /* answers that were not shed (429/503) */
    struct hist admitted_sent;/* the same from when a connection took them:
                               * the server's share, without the bench's
                               * own queue */
    struct hist wait;         /* time in the bench's queue, all answers */
    uint64_t codes[600];
    uint64_t err_connect, err_timeout, err_read;
};

struct tick {
    double t;                 /* seconds since start */
    uint64_t requests;        /* in this second */
    uint64_t p99_us;          /* of this second's requests */
    uint64_t holds_ok, holds_conflict, errors;
    long available, held, sold, blocked;   /* from the server, -1 unknown */
};

struct stats {
    const char *mode;
    uint64_t start_us;
    double duration_s;
    struct op_stats op[OP__COUNT];
    struct hist second;       /* this second, all ops */
    struct tick cur;          /* this second's counters */
    struct tick *ticks;
    size_t nticks, cap;
    long seats_total, seats_sold, seats_held_end;
    double sellout_s;         /* < 0: not sold out */
    uint64_t users, users_with_seats, users_gave_up;
    uint64_t best_held, best_together;   /* best-available holds, and those next to each other */
    uint64_t ga_held, ga_places;         /* general-admission holds and their places */
    /* the waiting room (swarm --queue): waits from joining to admission,
     * and per admitted buyer its arrival number and admission time, for
     * the pre-queue and for those who came after onsale_at */
    struct hist queue_wait;
    uint64_t queue_joined, queue_pre, queue_admitted, queue_sold_out;
    struct queue_pair { double arrival, admitted; } *qpre, *qpost;
    size_t nqpre, nqpost, capqpre, capqpost;
    uint64_t unsent;          /* rate mode: due, still in the bench's queue at the end */
    int conns_allowed;        /* --connections */
    int conns_peak;           /* the most the load had open at once */
    json_t *audit;            /* {"ok", "violations"} or NULL */
};

extern const char *const op_names[OP__COUNT];

void stats_init(struct stats *s, const char *mode);
void stats_deinit(struct stats *s);
/* Counts one answered (status > 0) or failed (HC_ERR_*) request:
 * latency_us from its start, of which wait_us in the bench's own queue. */
void stats_record(struct stats *s, enum op op, int status, uint64_t latency_us,
                  uint64_t wait_us);
/* Closes the current second into the timeline; returns the new row. */
struct tick *stats_tick(struct stats *s, double t);
uint64_t stats_requests(const struct stats *s);
/* A buyer of the waiting room admitted: when it arrived, when the server
 * admitted it (any clock: only its order counts), and how long it
 * waited until it learnt it; of the pre-queue or not. */
void stats_queue_admitted(struct stats *s, int pre, double arrival, double admitted,
                          double wait_s);
/* Spearman's rank correlation of arrival and admission over v[0..n)
 * (ties ranked by their order): about 0 for a shuffled pre-queue, 1 for
 * first come, first served. 0 below 3 pairs. */
double stats_rank_correlation(const struct queue_pair *v, size_t n);
uint64_t stats_errors(const struct stats *s);

#endif
