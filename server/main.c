/* usherd — reserved-seating inventory server. main() wires the modules
 * together: config, then per thread (--threads) a libevent loop with its
 * own Redis store, batcher, HTTP listener (one port shared with
 * SO_REUSEPORT), guard, layout cache and streams, the first thread also
 * the sweeper and the admin listener; and stops them in reverse order on
 * SIGINT/SIGTERM. Threads share only the configuration, the route table,
 * the access log and the metrics (each counts into its own state). */
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "accesslog.h"
#include "app.h"
#include "batch.h"
#include "config.h"
#include "conn.h"
#include "guard.h"
#include "http.h"
#include "layouts.h"
#include "metrics.h"
#include "routes.h"
#include "store.h"
#include "stream.h"
#include "sweeper.h"
#include "util.h"

/* One event loop and everything it serves. */
struct worker {
    struct app app;
    struct store_config sc;
    struct sweeper *sw;             /* thread 0 only */
    int wake[2];                    /* a byte here stops the loop (other threads) */
    struct event *stop;
    pthread_t tid;
    int started, ok;
};

static struct worker *workers;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w0 = arg;
    int i;

    util_log("info", "signal %d: shutting down", (int)sig);
    for (i = 1; i < w0->app.threads; i++)
        if (write(workers[i].wake[1], "x", 1) < 0)
            util_log("warn", "could not stop thread %d", i);
    event_base_loopexit(w0->app.base, NULL);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopexit(arg, NULL);
}

/* Raises the open-file limit to its hard cap and lowers max_connections
 * to fit it, keeping room for Redis connections, logs, listeners and
 * refused connections lingering. */
static void fit_connections(struct config *c)
{
    struct rlimit rl;
    const rlim_t spare = 256 + CONN_REFUSED_LINGER_MAX;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)c->max_connections + spare > rl.rlim_cur) {
        int fit = rl.rlim_cur > spare * 2 ? (int)(rl.rlim_cur - spare) : (int)(rl.rlim_cur / 2);
        util_log("warn", "open-file limit %llu: max connections lowered from %d to %d",
                 (unsigned long long)rl.rlim_cur, c->max_connections, fit);
        c->max_connections = fit;
    }
}

/* An event base whose epoll backend batches changes: hiredis turns write
 * interest on and off for every command, and with the changelist only the
 * net change of one loop iteration reaches epoll_ctl. */
static struct event_base *base_create(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *base;

    if (!ec)
        return NULL;
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(ec);
    event_config_free(ec);
    return base;
}

/* Builds thread w's loop and what it serves, from w->app's thread,
 * threads, cfg and access_log (set by main), on that thread (its counters
 * go to its own metrics state). 0, or -1 (reason in err, or logged). */
static int worker_open(struct worker *w, char *err, size_t errlen)
{
    struct app *app = &w->app;
    const struct config *cfg = app->cfg;
    int n = app->threads;

    app->router = routes_get();
    if (!(app->base = base_create()))
        return -1;
    w->sc = (struct store_config){
        .cluster = cfg->redis_cluster, .host = cfg->redis_host, .port = cfg->redis_port,
        .unix_path = cfg->redis_unix[0] ? cfg->redis_unix : NULL,
        .user = cfg->redis_user, .pass = cfg->redis_pass, .db = cfg->redis_db,
        .timeout_ms = cfg->redis_timeout_ms,
    };
    app->store = store_create(app->base, &w->sc);
    app->batcher = app->store ? batcher_create(app->base, app->store, cfg->batch_max,
                                               cfg->reserve_wait_n, cfg->reserve_wait_ms)
                              : NULL;
    app->layouts = layouts_create(LAYOUTS_MAX_BYTES / (size_t)n);
    if (!app->store || !app->batcher || !app->layouts)
        return -1;
    {
        /* limits are per thread: each its share of the process's */
        struct guard_config gc = {
            .keys_file = cfg->keys_file, .keys_list = cfg->keys_list,
            .ip_rate = cfg->ip_rate / n, .ip_burst = cfg->ip_burst / n,
            .key_rate = cfg->key_rate / n, .key_burst = cfg->key_burst / n,
            .max_inflight = cfg->max_inflight > 0 && cfg->max_inflight < n
                                ? 1 : cfg->max_inflight / n,
            .shed_latency_ms = cfg->shed_latency_ms,
        };
        if (gc.ip_rate > 0 && gc.ip_burst < 1)
            gc.ip_burst = 1;
        if (gc.key_rate > 0 && gc.key_burst < 1)
            gc.key_burst = 1;
        if (!(app->guard = guard_create(&gc, err, errlen)))
            return -1;
        metrics_inflight_limit(guard_inflight_limit(app->guard));
    }
    if (http_start(app) < 0)
        return -1;
    {
        struct streams_config scfg = {cfg->sse_heartbeat_ms, (size_t)cfg->sse_max_buffer};
        if (!(app->streams = streams_create(app, &w->sc, &scfg)))
            return -1;
    }
    if (app->thread == 0) {
        /* one sweeper per process */
        if (!(w->sw = sweeper_create(app->base, app->store, cfg->sweep_interval_ms)))
            return -1;
    } else if (!(w->stop = event_new(app->base, w->wake[0], EV_READ, on_wake, app->base)) ||
               event_add(w->stop, NULL) < 0) {
        return -1;
    }
    return 0;
}

/* Stops what worker_open built, in reverse order (whatever part of it). */
static void worker_close(struct worker *w)
{
    struct app *app = &w->app;

    sweeper_destroy(w->sw);
    streams_destroy(app->streams);
    /* The store first: its pending calls answer their requests with 503
     * while the HTTP side still exists. */
    store_destroy(app->store);          /* answers the batches out */
    batcher_destroy(app->batcher);
    conn_server_free(app->http);
    conn_server_free(app->admin_http);
    guard_destroy(app->guard);
    layouts_destroy(app->layouts);
    if (w->stop)
        event_free(w->stop);
    if (app->base)
        event_base_free(app->base);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char err[256] = "";
    int ok;

    metrics_thread_use((size_t)w->app.thread);
    ok = worker_open(w, err, sizeof err) == 0;
    if (!ok && err[0])
        util_log("error", "thread %d: %s", w->app.thread, err);
    pthread_mutex_lock(&start_lock);
    w->ok = ok;
    w->started = 1;
    pthread_cond_broadcast(&start_cond);
    pthread_mutex_unlock(&start_lock);
    if (ok)
        event_base_dispatch(w->app.base);
    worker_close(w);
    return NULL;
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct accesslog *access_log = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    sigset_t block, old;
    char err[256] = "";
    int rc = 1, n, i, spawned = 0, all_ok = 1;

    switch (config_load(&cfg, argc, argv, err, sizeof err)) {
    case 1: return 0;
    case -1:
        fprintf(stderr, "usherd: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fit_connections(&cfg);
    n = cfg.threads;
    metrics_init(routes_get());
    if (metrics_threads((size_t)n) < 0 || !(workers = calloc((size_t)n, sizeof *workers)))
        goto done;
    if (cfg.access_log[0] && !(access_log = accesslog_open(cfg.access_log)))
        goto done;
    /* the other threads never take SIGINT/SIGTERM: thread 0 stops them */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (i = 0; i < n; i++) {
        struct worker *w = &workers[i];
        w->app.thread = i;
        w->app.threads = n;
        w->app.cfg = &cfg;
        w->app.access_log = access_log;
        w->wake[0] = w->wake[1] = -1;
        if (i > 0 && (pipe(w->wake) < 0 || pthread_create(&w->tid, NULL, worker_main, w) != 0)) {
            all_ok = 0;
            break;
        }
        if (i > 0)
            spawned = i;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (worker_open(&workers[0], err, sizeof err) < 0) {
        if (err[0]) {
            util_log("error", "%s", err);
            rc = 2;
        }
        all_ok = 0;
    }
    pthread_mutex_lock(&start_lock);
    for (i = 1; i <= spawned; i++) {
        while (!workers[i].started)
            pthread_cond_wait(&start_cond, &start_lock);
        all_ok &= workers[i].ok;
    }
    pthread_mutex_unlock(&start_lock);
    if (all_ok) {
        struct guard *g = workers[0].app.guard;
        sigint = evsignal_new(workers[0].app.base, SIGINT, on_signal, &workers[0]);
        sigterm = evsignal_new(workers[0].app.base, SIGTERM, on_signal, &workers[0]);
        if (!sigint || !sigterm || evsignal_add(sigint, NULL) < 0 ||
            evsignal_add(sigterm, NULL) < 0)
            all_ok = 0;
        else if (guard_keys(g) == 0)
            util_log("warn", "NO API KEYS CONFIGURED: every /v1 route is open to anyone who "
                             "can connect; use --keys FILE or USHER_KEYS in production");
        else
            util_log("info", "%zu API keys loaded", guard_keys(g));
    }
    if (all_ok) {
        util_log("info", "usherd %s listening on %s:%d (%d thread%s), redis %s", USHER_VERSION,
                 cfg.listen_host, cfg.listen_port, n, n == 1 ? "" : "s",
                 cfg.redis_unix[0] ? cfg.redis_unix : cfg.redis_host);
        event_base_dispatch(workers[0].app.base);
        rc = 0;
    }
done:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (workers) {
        for (i = 1; i <= spawned; i++)
            if (write(workers[i].wake[1], "x", 1) < 0)
                util_log("warn", "could not stop thread %d", i);
        worker_close(&workers[0]);
        for (i = 1; i <= spawned; i++) {
            pthread_join(workers[i].tid, NULL);
            close(workers[i].wake[0]);
            close(workers[i].wake[1]);
        }
        free(workers);
    }
    accesslog_close(access_log);        /* after the last request's line */
    util_log("info", "usherd stopped (exit %d)", rc);
    return rc;
}
