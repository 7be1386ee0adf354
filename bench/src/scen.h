/* scen — Lua 5.4 scenario scripts (--script FILE) that override a buyer's
 * behaviour, in the spirit of wrk's scripts. A script may set a global
 * table `config` (defaults for the swarm flags; flags given on the command
 * line win) and define any of these hooks; a missing hook, or one that
 * returns nil, leaves the built-in behaviour:
 *
 *   party(buyer)                  -> seats wanted (k)
 *   pick(buyer, k, attempt)       -> list of seat ids, or nil
 *   think(buyer)                  -> seconds between hold and decision
 *   decide(buyer, hold)           -> "reserve" | "release" | "abandon"
 *   on_conflict(buyer, taken, attempt) -> "retry" | "giveup"
 *   best(buyer, k)                -> {sections = {...}, categories = {...}}:
 *                                    what a best-available buyer asks for
 *
 * `buyer` is the buyer's number, `hold` a table {id=, seats={...}},
 * `taken` the seat ids the server said were unavailable. The library
 * `usher` offers: usher.random() in [0,1) and usher.random(lo, hi) (the
 * run's seeded generator, so runs repeat), usher.nseats(), usher.seat(i)
 * (id of the i-th seat in map order, 1-based), usher.is_free(i) (the bench's
 * own view), usher.nrows(), usher.row(r) -> first, count, section. */
#ifndef BENCH_SCEN_H
#define BENCH_SCEN_H

#include <stdint.h>

#include "bench.h"

struct scen;

enum act { ACT_DEFAULT = -1, ACT_RESERVE, ACT_RELEASE, ACT_ABANDON };

/* Loads and runs the script file. NULL with a message on stderr. */
struct scen *scen_load(const char *path);
void scen_free(struct scen *s);

/* Reads config.<key> (a number or string) into *num / str; 1 if set. */
int scen_config_number(struct scen *s, const char *key, double *num);
int scen_config_string(struct scen *s, const char *key, char *str, size_t len);

/* Gives the hooks the venue, the bench's seat view and its generator. */
void scen_bind(struct scen *s, const struct venue *v, const uint8_t *view, struct rng *rng);

/* Each hook returns -1 / ACT_DEFAULT / a negative number when the script
 * does not decide, so the caller uses its own default. */
int scen_party(struct scen *s, uint32_t buyer);
/* Fills out[0..max) with seat indexes; returns the count, or -1. */
int scen_pick(struct scen *s, uint32_t buyer, int k, int attempt, int32_t *out, int max);
double scen_think(struct scen *s, uint32_t buyer);
enum act scen_decide(struct scen *s, uint32_t buyer, const char *hold_id,
                     const int32_t *seats, int n);
/* 1 retry, 0 give up, -1 default. */
int scen_on_conflict(struct scen *s, uint32_t buyer, char **taken, int ntaken, int attempt);
/* A best-available buyer's wishes as JSON members to put in its
 * best_available object (",\"sections\":[...],\"categories\":[...]", each
 * only when given) into out (cap bytes): 0, or -1 when the script does
 * not say (out ""). */
int scen_best(struct scen *s, uint32_t buyer, int k, char *out, size_t cap);

#endif
