/* guard — who may do what, and how much: the admission checks every
 * request passes after routing and before any Redis work.
 *
 *  - API keys and roles: `checkout` keys may use the buying routes,
 *    `admin` keys everything. Keys come from a file (one `role:key` per
 *    line, # comments) and/or a comma-separated list in the environment;
 *    they are compared in constant time and never logged. With no keys
 *    configured every route is open (usherd warns at start).
 *  - Token buckets per client address and per API key (429 rate_limited
 *    with Retry-After). The address table has a fixed size; the stalest
 *    bucket is reused when it is full, so hostile address churn costs no
 *    memory.
 *  - Load shedding: with more requests in flight than the limit, new ones
 *    are refused at once with 503 overloaded + Retry-After rather than
 *    queued. The limit adapts (AIMD, like TCP's window): every 50 ms, when
 *    admitted requests took longer than shed_latency_ms on average it
 *    shrinks by a fifth (by half past twice the target, so a limit far
 *    too high comes down within a few windows), and when it refused
 *    something while they were fast it grows (by a quarter under half the target, else a
 *    twentieth), between 8 and max_inflight. So on a
 *    saturated machine the queue in front of Redis stays short whatever
 *    max_inflight says. Requests that finish work already begun (about an
 *    existing hold: reserve, extend, release, read) are shed only past
 *    twice the limit: a buyer about to pay frees capacity and seats, a new
 *    hold adds load. Retry-After is 1 s, or while more are shed than let
 *    through, their ratio over the last second (at most 10 s), so shed
 *    clients come back spread over about the time it would take to serve
 *    them instead of all knocking again every second.
 *
 * Open routes (/healthz, /readyz, /metrics, the ops pages' HTML) pass
 * every check. Single-threaded, like the rest of the loop. */
#ifndef USHER_GUARD_H
#define USHER_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "router.h"

struct guard_config {
    const char *keys_file;     /* NULL/"": none */
    const char *keys_list;     /* "role:key,role:key" or NULL */
    double ip_rate, ip_burst;  /* requests/s per client address; 0 = off */
    double key_rate, key_burst;   /* requests/s per API key; 0 = off */
    int max_inflight;          /* 0 = unbounded */
    int shed_latency_ms;       /* 0 = a fixed limit of max_inflight */
};

struct guard;

#define GUARD_KEY_ID_LEN 16

enum guard_verdict {
    GUARD_PASS,
    GUARD_UNAUTHORIZED,   /* no key or an unknown one: 401 */
    GUARD_ADMIN_KEY_IN_URL, /* an admin key as the query token: 401 */
    GUARD_FORBIDDEN,      /* the key's role may not use this route: 403 */
    GUARD_RATE_LIMITED,   /* a bucket is empty: 429 */
    GUARD_OVERLOADED,     /* too much in flight: 503 */
};

/* NULL on a bad key file/list, with the reason in err. */
struct guard *guard_create(const struct guard_config *cfg, char *err, size_t errlen);
void guard_destroy(struct guard *g);

/* Number of keys configured (0: everything is open). */
size_t guard_keys(const struct guard *g);

/* Decides one request: its route's role, whether it finishes work begun
 * (a request about an existing hold), the Authorization header value
 * (or NULL), a bearer token from the query (EventSource cannot send
 * headers; NULL unless the route takes one: only checkout keys are taken
 * there), the client address, the requests now in flight.
 * On GUARD_RATE_LIMITED / GUARD_OVERLOADED *retry_after_s is set. When
 * a key was taken, *key_id (if key_id is not NULL) is its id: the hex of
 * the first 64 bits of its SHA-256, the same in every process, never the
 * key (it scopes Idempotency-Keys); else NULL. It lives as long as g. */
enum guard_verdict guard_check(struct guard *g, enum route_role role, int finishing,
                               const char *authorization, const char *query_token,
                               const char *client, int64_t inflight, uint64_t now_us,
                               int *retry_after_s, const char **key_id);

/* Reports how long an admitted request took, dispatch to answer: feeds
 * the adaptive in-flight limit. */
void guard_observe(struct guard *g, uint64_t took_us, uint64_t now_us);
/* The in-flight limit now (0 = unbounded). */
int guard_inflight_limit(const struct guard *g);
/* The Retry-After (seconds) a shed request gets now. */
int guard_retry_after(const struct guard *g);

/* Parses "RATE[:BURST]" (requests per second) into rate and burst; the
 * burst defaults to max(RATE, 1). 0 or -1. */
int guard_parse_rate(const char *s, double *rate, double *burst);

#endif
