/* metrics — see metrics.h. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NBUCKETS 13
static const double bucket_le[NBUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};

struct histo {
    uint64_t bucket[NBUCKETS];   /* not cumulative; summed when rendered */
    uint64_t count;
    uint64_t sum_ns;
};

#define MAX_ROUTES 32
#define NCLASSES 5               /* 1xx..5xx */

/* One thread's counters. Every member is a 64-bit integer, so that the
 * states of all threads sum as arrays (snapshot()). Route slots: the
 * table's routes, plus one for "no route matched". */
struct state {
    uint64_t by_code[MAX_ROUTES + 1][600];
    struct histo duration[MAX_ROUTES + 1];
    uint64_t unmatched_by_method_code[8][600];
    int64_t inflight;
    struct histo script[SCRIPT__COUNT];
    uint64_t script_errors[SCRIPT__COUNT];
    uint64_t holds[HOLD__COUNT];
    uint64_t reconnects;
    uint64_t redirects[2];      /* MOVED, ASK */
    uint64_t retries[2];        /* TRYAGAIN, CLUSTERDOWN */
    uint64_t refreshes[2];      /* failed, ok */
    uint64_t replication[2];    /* --reserve-wait: unconfirmed, confirmed */
    uint64_t refused[4];
    int64_t connections;        /* open client connections (gauge) */
    uint64_t connections_refused;
    int64_t sse_clients;        /* gauge */
    int64_t inflight_limit;     /* this thread's shedding limit now (gauge) */
    uint64_t batches, batch_ops;
};

/* Each thread counts into its own state (m), the first thread into
 * `first` without any set-up; a scrape on any thread sums them all. One
 * writer per state: its stores and everyone's loads are relaxed atomics
 * (plain moves on x86), so a scrape never races a count and the request
 * path takes no lock. */
#define THREADS_MAX 64
static struct state first;
static struct state *states[THREADS_MAX] = {&first};
static size_t nstates = 1;
static __thread struct state *m = &first;

#define ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)

int metrics_threads(size_t n)
{
    USHER_ASSERT(nstates == 1);
    if (n > THREADS_MAX)
        return -1;
    for (; nstates < n; nstates++)
        if (!(states[nstates] = calloc(1, sizeof *states[nstates])))
            return -1;
    return 0;
}

void metrics_thread_use(size_t i)
{
    USHER_ASSERT(i < nstates);
    m = states[i];
}

/* The sum of every thread's state, or NULL when out of memory. */
static struct state *snapshot(void)
{
    struct state *t = calloc(1, sizeof *t);
    uint64_t *dst = (uint64_t *)t;
    size_t i, k;

    if (!t)
        return NULL;
    for (i = 0; i < nstates; i++) {
        const uint64_t *src = (const uint64_t *)states[i];
        for (k = 0; k < sizeof *t / sizeof *dst; k++)
            dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
    }
    return t;
}

static const char *const refused_reasons[4] = {"unauthorized", "forbidden", "rate_limited",
                                               "overloaded"};

static const char *const methods[8] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS",
                                       "PATCH", "OTHER"};

static void histo_add(struct histo *h, double seconds)
{
    int i;

    for (i = 0; i < NBUCKETS; i++)
        if (seconds <= bucket_le[i]) {
            ADD(h->bucket[i], 1);
            break;
        }
    ADD(h->count, 1);
    ADD(h->sum_ns, (uint64_t)(seconds * 1e9));
}

/* The route table the counters are kept by (metrics_init). */
static const struct router *table;

void metrics_init(const struct router *rt)
{
    table = rt;
}

static int route_slot(const struct route *route)
{
    if (!route || !table || route < table->routes || route >= table->routes + table->n)
        return MAX_ROUTES;
    return (int)(route - table->routes) < MAX_ROUTES ? (int)(route - table->routes) : MAX_ROUTES;
}

void metrics_http(const struct route *route, const char *method, int status, uint64_t us)
{
    int slot = route_slot(route);

    if (status < 100 || status > 599)
        status = 599;
    if (slot == MAX_ROUTES) {
        int k;
        for (k = 0; k < 7 && strcmp(methods[k], method) != 0; k++)
            ;
        ADD(m->unmatched_by_method_code[k][status], 1);
    } else {
        ADD(m->by_code[slot][status], 1);
    }
    histo_add(&m->duration[slot], (double)us / 1e6);
}

void metrics_inflight(int delta)
{
    ADD(m->inflight, delta);
}

int64_t metrics_inflight_now(void)
{
    return m->inflight;
}

void metrics_refused(const char *reason)
{
    int i;

    for (i = 0; i < 4; i++)
        if (strcmp(refused_reasons[i], reason) == 0)
            ADD(m->refused[i], 1);
}

void metrics_script(enum script_id id, uint64_t us, int ok)
{
    if ((int)id < 0 || id >= SCRIPT__COUNT)
        return;
    histo_add(&m->script[id], (double)us / 1e6);
    if (!ok)
        ADD(m->script_errors[id], 1);
}

void metrics_hold(enum hold_change what, uint64_t n)
{
    if (what < HOLD__COUNT)
        ADD(m->holds[what], n);
}

void metrics_redis_reconnect(void)
{
    ADD(m->reconnects, 1);
}

void metrics_redis_redirect(int ask)
{
    ADD(m->redirects[ask ? 1 : 0], 1);
}

void metrics_redis_retry(int clusterdown)
{
    ADD(m->retries[clusterdown ? 1 : 0], 1);
}

void metrics_redis_refresh(int ok)
{
    ADD(m->refreshes[ok ? 1 : 0], 1);
}

void metrics_connection(int delta)
{
    ADD(m->connections, delta);
}

void metrics_connection_refused(void)
{
    ADD(m->connections_refused, 1);
}

void metrics_inflight_limit(int limit)
{
    __atomic_store_n(&m->inflight_limit, (int64_t)limit, __ATOMIC_RELAXED);
}

void metrics_sse_client(int delta)
{
    ADD(m->sse_clients, delta);
}

void metrics_batch(uint64_t ops)
{
    ADD(m->batches, 1);
    ADD(m->batch_ops, ops);
}

void metrics_reserve_replication(int confirmed)
{
    ADD(m->replication[confirmed ? 1 : 0], 1);
}


/* Prometheus label values escape \, " and newline; ours are ids and route
 * templates, which have none, but events come from Redis: escape anyway. */
static void label(struct evbuffer *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            evbuffer_add_printf(out, "\\%c", *v);
        else if (*v == '\n')
            evbuffer_add(out, "\\n", 2);
        else
            evbuffer_add(out, v, 1);
    }
}

static void histo_render(struct evbuffer *out, const char *name, const char *lname,
                         const char *lvalue, const struct histo *h)
{
    uint64_t cum = 0;
    int i;

    for (i = 0; i < NBUCKETS; i++) {
        cum += h->bucket[i];
        evbuffer_add_printf(out, "%s_bucket{%s=\"", name, lname);
        label(out, lvalue);
        evbuffer_add_printf(out, "\",le=\"%g\"} %llu\n", bucket_le[i], (unsigned long long)cum);
    }
    evbuffer_add_printf(out, "%s_bucket{%s=\"", name, lname);
    label(out, lvalue);
    evbuffer_add_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
    evbuffer_add_printf(out, "%s_sum{%s=\"", name, lname);
    label(out, lvalue);
    evbuffer_add_printf(out, "\"} %.9f\n", (double)h->sum_ns / 1e9);
    evbuffer_add_printf(out, "%s_count{%s=\"", name, lname);
    label(out, lvalue);
    evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)h->count);
}

void metrics_render_access_log(struct evbuffer *out, uint64_t dropped)
{
    evbuffer_add_printf(out, "# HELP usher_access_log_dropped_total Access-log lines dropped "
                             "because the disk could not keep up.\n"
                             "# TYPE usher_access_log_dropped_total counter\n"
                             "usher_access_log_dropped_total %llu\n", (unsigned long long)dropped);
}

void metrics_render_batches(struct evbuffer *out)
{
    struct state *t = snapshot();

    if (!t)
        return;
    evbuffer_add_printf(out, "# HELP usher_redis_batches_total Calls of hold_batch: the hold "
                             "operations of one event sent together.\n"
                             "# TYPE usher_redis_batches_total counter\n"
                             "usher_redis_batches_total %llu\n"
                             "# HELP usher_redis_batch_ops_total Hold operations sent in "
                             "those calls.\n# TYPE usher_redis_batch_ops_total counter\n"
                             "usher_redis_batch_ops_total %llu\n",
                        (unsigned long long)t->batches, (unsigned long long)t->batch_ops);
    free(t);
}

void metrics_render_connections(struct evbuffer *out, int retry_after_s)
{
    struct state *t = snapshot();

    if (!t)
        return;
    evbuffer_add_printf(out, "# HELP usher_inflight_limit Requests in flight beyond which new "
                             "ones are shed (adapts to latency; 0 = unbounded).\n"
                             "# TYPE usher_inflight_limit gauge\nusher_inflight_limit %lld\n"
                             "# HELP usher_shed_retry_after_seconds The Retry-After that shed "
                             "requests get now (grows while most are shed).\n"
                             "# TYPE usher_shed_retry_after_seconds gauge\n"
                             "usher_shed_retry_after_seconds %d\n",
                        (long long)t->inflight_limit, retry_after_s);
    evbuffer_add_printf(out, "# HELP usher_http_connections Open client connections.\n"
                             "# TYPE usher_http_connections gauge\n"
                             "usher_http_connections %lld\n"
                             "# HELP usher_http_connections_refused_total Connections refused "
                             "at --max-connections.\n"
                             "# TYPE usher_http_connections_refused_total counter\n"
                             "usher_http_connections_refused_total %llu\n",
                        (long long)t->connections, (unsigned long long)t->connections_refused);
    free(t);
}

/* The waiting rooms of `events` (those with "queue"), read at scrape. */
static void metrics_render_queues(struct evbuffer *out, json_t *events)
{
    static const struct { const char *field, *name, *help; } g[] = {
        {"waiting", "usher_queue_waiting", "Buyers in the waiting room not admitted yet."},
        {"admitted", "usher_queue_admitted", "Buyers admitted whose shopping time runs."},
        {"expired", "usher_queue_expired", "Buyers admitted whose shopping time is over."},
        {"rate_per_min", "usher_queue_rate_per_minute", "Admissions per minute now."},
        {"clear_s", "usher_queue_clear_seconds", "Seconds until everyone waiting is admitted at the current rate."},
    };
    size_t i, k;
    json_t *e;

    for (k = 0; k < sizeof g / sizeof g[0]; k++) {
        int head = 0;
        json_array_foreach(events, i, e) {
            json_t *v = json_object_get(json_object_get(e, "queue"), g[k].field);
            if (!json_is_number(v))
                continue;
            if (!head++)
                evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", g[k].name, g[k].help,
                                    g[k].name);
            evbuffer_add_printf(out, "%s{event=\"", g[k].name);
            label(out, json_string_value(json_object_get(e, "event")));
            evbuffer_add_printf(out, "\"} %g\n", json_number_value(v));
        }
    }
}

void metrics_render(struct evbuffer *out, int redis_up, json_t *events)
{
    static const char *const hold_names[HOLD__COUNT] = {
        "created", "extended", "reserved", "released", "expired", "changed",
    };
    size_t nroutes = table ? table->n : 0, i;
    const struct route *routes = table ? table->routes : NULL;
    int r, c, k;
    struct state *t = snapshot();

    if (!t)
        return;

    evbuffer_add_printf(out,
        "# HELP usher_build_info usherd's version.\n# TYPE usher_build_info gauge\n"
        "usher_build_info{version=\"%s\"} 1\n", USHER_VERSION);

    evbuffer_add_printf(out, "# HELP usher_http_requests_total HTTP requests answered, by route "
                             "template, method and status.\n# TYPE usher_http_requests_total counter\n");
    for (r = 0; r < (int)nroutes && r < MAX_ROUTES; r++)
        for (c = 100; c < 600; c++)
            if (t->by_code[r][c])
                evbuffer_add_printf(out,
                    "usher_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %llu\n",
                    routes[r].pattern, routes[r].method, c, (unsigned long long)t->by_code[r][c]);
    for (k = 0; k < 8; k++)
        for (c = 100; c < 600; c++)
            if (t->unmatched_by_method_code[k][c])
                evbuffer_add_printf(out,
                    "usher_http_requests_total{route=\"unmatched\",method=\"%s\",code=\"%d\"} %llu\n",
                    methods[k], c, (unsigned long long)t->unmatched_by_method_code[k][c]);

    evbuffer_add_printf(out, "# HELP usher_thread_requests_total HTTP requests answered, by "
                             "event loop (--threads): how evenly the kernel spreads them.\n"
                             "# TYPE usher_thread_requests_total counter\n");
    for (i = 0; i < nstates; i++) {
        uint64_t sum = 0;
        for (r = 0; r <= MAX_ROUTES; r++)
            sum += __atomic_load_n(&states[i]->duration[r].count, __ATOMIC_RELAXED);
        evbuffer_add_printf(out, "usher_thread_requests_total{thread=\"%zu\"} %llu\n", i,
                            (unsigned long long)sum);
    }
    evbuffer_add_printf(out, "# HELP usher_http_request_duration_seconds Time from dispatch to "
                             "answer, by route template.\n"
                             "# TYPE usher_http_request_duration_seconds histogram\n");
    for (r = 0; r <= MAX_ROUTES; r++) {
        if (!t->duration[r].count)
            continue;
        histo_render(out, "usher_http_request_duration_seconds", "route",
                     r < (int)nroutes && r < MAX_ROUTES ? routes[r].pattern : "unmatched",
                     &t->duration[r]);
    }

    evbuffer_add_printf(out, "# HELP usher_http_requests_in_flight Requests being handled "
                             "(stream opens, which share reads, not counted).\n"
                             "# TYPE usher_http_requests_in_flight gauge\n"
                             "usher_http_requests_in_flight %lld\n", (long long)t->inflight);
    evbuffer_add_printf(out, "# HELP usher_requests_refused_total Requests refused before any "
                             "work, by reason (shed load included).\n"
                             "# TYPE usher_requests_refused_total counter\n");
    for (k = 0; k < 4; k++)
        evbuffer_add_printf(out, "usher_requests_refused_total{reason=\"%s\"} %llu\n",
                            refused_reasons[k], (unsigned long long)t->refused[k]);
    evbuffer_add_printf(out, "# HELP usher_sse_clients Live stream clients connected.\n"
                             "# TYPE usher_sse_clients gauge\nusher_sse_clients %lld\n",
                        (long long)t->sse_clients);

    evbuffer_add_printf(out, "# HELP usher_redis_script_duration_seconds Redis script calls, "
                             "from send to reply.\n"
                             "# TYPE usher_redis_script_duration_seconds histogram\n");
    for (i = 0; i < SCRIPT__COUNT; i++)
        if (t->script[i].count)
            histo_render(out, "usher_redis_script_duration_seconds", "script",
                         script_table[i].name, &t->script[i]);
    evbuffer_add_printf(out, "# HELP usher_redis_script_failures_total Script calls without a "
                             "reply (timeout, connection lost).\n"
                             "# TYPE usher_redis_script_failures_total counter\n");
    for (i = 0; i < SCRIPT__COUNT; i++)
        if (t->script_errors[i])
            evbuffer_add_printf(out, "usher_redis_script_failures_total{script=\"%s\"} %llu\n",
                                script_table[i].name, (unsigned long long)t->script_errors[i]);

    evbuffer_add_printf(out, "# HELP usher_redis_up 1 when Redis answers and the scripts are "
                             "loaded.\n# TYPE usher_redis_up gauge\nusher_redis_up %d\n", redis_up);
    evbuffer_add_printf(out, "# HELP usher_redis_reconnects_total Redis connections lost and "
                             "attempted again.\n# TYPE usher_redis_reconnects_total counter\n"
                             "usher_redis_reconnects_total %llu\n",
                        (unsigned long long)t->reconnects);

    evbuffer_add_printf(out, "# HELP usher_reserve_replication_total Reservations answered with "
                             "--reserve-wait, by whether replicas confirmed them.\n"
                             "# TYPE usher_reserve_replication_total counter\n"
                             "usher_reserve_replication_total{result=\"confirmed\"} %llu\n"
                             "usher_reserve_replication_total{result=\"unconfirmed\"} %llu\n",
                        (unsigned long long)t->replication[1], (unsigned long long)t->replication[0]);
    evbuffer_add_printf(out, "# HELP usher_holds_total Holds changed by this process (expired: "
                             "by its sweeper).\n# TYPE usher_holds_total counter\n");
    for (k = 0; k < HOLD__COUNT; k++)
        evbuffer_add_printf(out, "usher_holds_total{change=\"%s\"} %llu\n", hold_names[k],
                            (unsigned long long)t->holds[k]);

    if (events) {
        static const char *const st[] = {"available", "held", "reserved", "blocked"};
        json_t *e;
        evbuffer_add_printf(out, "# HELP usher_seats Seats by status, per event (read at scrape).\n"
                                 "# TYPE usher_seats gauge\n");
        json_array_foreach(events, i, e) {
            json_t *counts = json_object_get(e, "counts");
            for (k = 0; k < 4; k++) {
                evbuffer_add(out, "usher_seats{event=\"", 19);
                label(out, json_string_value(json_object_get(e, "event")));
                evbuffer_add_printf(out, "\",status=\"%s\"} %lld\n", st[k],
                                    (long long)json_integer_value(json_object_get(counts, st[k])));
            }
        }
        metrics_render_queues(out, events);
    }
    free(t);
}

void metrics_render_redis_nodes(struct evbuffer *out, const struct metrics_node *nodes,
                                size_t n, unsigned slots_covered)
{
    size_t i;
    struct state *t = snapshot();

    if (!t)
        return;

    evbuffer_add_printf(out, "# HELP usher_redis_node_up 1 when the Redis node is connected "
                             "with the scripts loaded (role: primary of mapped slots, or "
                             "other).\n# TYPE usher_redis_node_up gauge\n");
    for (i = 0; i < n; i++) {
        evbuffer_add(out, "usher_redis_node_up{node=\"", 26);
        label(out, nodes[i].addr);
        evbuffer_add_printf(out, "\",role=\"%s\"} %d\n", nodes[i].primary ? "primary" : "other",
                            nodes[i].up);
    }
    evbuffer_add_printf(out, "# HELP usher_redis_slots_mapped Hash slots the slot map covers "
                             "(16384: all).\n# TYPE usher_redis_slots_mapped gauge\n"
                             "usher_redis_slots_mapped %u\n", slots_covered);
    evbuffer_add_printf(out, "# HELP usher_redis_redirects_total Cluster redirections followed.\n"
                             "# TYPE usher_redis_redirects_total counter\n"
                             "usher_redis_redirects_total{kind=\"moved\"} %llu\n"
                             "usher_redis_redirects_total{kind=\"ask\"} %llu\n",
                        (unsigned long long)t->redirects[0], (unsigned long long)t->redirects[1]);
    evbuffer_add_printf(out, "# HELP usher_redis_retries_total Calls sent again after a wait "
                             "(TRYAGAIN, CLUSTERDOWN).\n# TYPE usher_redis_retries_total counter\n"
                             "usher_redis_retries_total{reason=\"tryagain\"} %llu\n"
                             "usher_redis_retries_total{reason=\"clusterdown\"} %llu\n",
                        (unsigned long long)t->retries[0], (unsigned long long)t->retries[1]);
    evbuffer_add_printf(out, "# HELP usher_redis_map_refreshes_total Slot map reads.\n"
                             "# TYPE usher_redis_map_refreshes_total counter\n"
                             "usher_redis_map_refreshes_total{result=\"ok\"} %llu\n"
                             "usher_redis_map_refreshes_total{result=\"failed\"} %llu\n",
                        (unsigned long long)t->refreshes[1], (unsigned long long)t->refreshes[0]);
    free(t);
}
