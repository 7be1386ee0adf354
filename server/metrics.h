/* metrics — usherd's counters and histograms, and GET /metrics in the
 * Prometheus text exposition format (version 0.0.4). Everything is
 * counted in this process (scrape every usherd); the seats-by-status
 * gauges are read from Redis at scrape time. Single-threaded, no locks. */
#ifndef USHER_METRICS_H
#define USHER_METRICS_H

#include <event2/buffer.h>
#include <jansson.h>
#include <stdint.h>

#include "router.h"
#include "scripts_gen.h"

enum hold_change { HOLD_CREATED, HOLD_EXTENDED, HOLD_RESERVED, HOLD_RELEASED, HOLD_EXPIRED,
                   HOLD_CHANGED, HOLD__COUNT };

/* Keeps the counters by the routes of rt (for the life of the process):
 * call once at start. */
void metrics_init(const struct router *rt);

/* Counters per thread: metrics_threads(n) makes the states of threads
 * 1..n-1 (thread 0, the first, has one already; call before starting
 * them; -1 past 64 or out of memory); each thread i > 0 calls
 * metrics_thread_use(i) before it counts. Counting takes no lock; a
 * scrape on any thread sums every thread's state. */
int metrics_threads(size_t n);
void metrics_thread_use(size_t i);

/* One request answered: route (NULL when none matched), its method,
 * status and time from dispatch to the answer. */
void metrics_http(const struct route *route, const char *method, int status, uint64_t us);
void metrics_inflight(int delta);
int64_t metrics_inflight_now(void);
/* A request refused before any work: reason is its error's code
 * (errors_info(code)->code: "unauthorized", "forbidden", "rate_limited",
 * "overloaded"). */
void metrics_refused(const char *reason);
/* One script call finished (ok = a reply came, error replies included). */
void metrics_script(enum script_id id, uint64_t us, int ok);
void metrics_hold(enum hold_change what, uint64_t n);
void metrics_redis_reconnect(void);
/* Cluster routing: a MOVED (ask 0) or ASK (1) followed; a call sent again
 * after TRYAGAIN (0) or CLUSTERDOWN (1); a slot map read, ok or not. */
void metrics_redis_redirect(int ask);
void metrics_redis_retry(int clusterdown);
void metrics_redis_refresh(int ok);
/* A reservation answered with --reserve-wait: replicas confirmed it or not. */
void metrics_reserve_replication(int confirmed);

/* Client connections opened (+1) and closed (-1) on any listener, one
 * refused at --max-connections; a live-stream client joined (+1) or left
 * (-1); a hold_batch call of `ops` operations sent. */
void metrics_connection(int delta);
void metrics_connection_refused(void);
void metrics_sse_client(int delta);
/* This thread's in-flight limit now (guard.h): /metrics shows the sum. */
void metrics_inflight_limit(int limit);
void metrics_batch(uint64_t ops);

/* Appends the exposition: the process's series, plus `redis_up` and,
 * from `events` ([{"event","counts"}] or NULL), the seats by status per
 * event. */
void metrics_render(struct evbuffer *out, int redis_up, json_t *events);
/* Open connections, those refused, the shedding's in-flight limit (summed
 * over threads) and the Retry-After the answering thread gives now. */
void metrics_render_connections(struct evbuffer *out, int retry_after_s);
/* Lines the access log had to drop (the disk could not keep up). */
void metrics_render_access_log(struct evbuffer *out, uint64_t dropped);
/* The Redis nodes (one for a single Redis) and the slots mapped. */
struct metrics_node {
    const char *addr;
    int up, primary;
};
void metrics_render_redis_nodes(struct evbuffer *out, const struct metrics_node *nodes,
                                size_t n, unsigned slots_covered);
/* Calls of hold_batch and the operations in them (batch.h). */
void metrics_render_batches(struct evbuffer *out);

#endif
