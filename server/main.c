/* usherd — reserved-seating inventory server. main() wires the modules
 * together: config, the libevent loop, the Redis store, the HTTP front
 * and the sweeper, and stops them in reverse order on SIGINT/SIGTERM. */
#include <event2/event.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>

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

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    util_log("info", "signal %d: shutting down", (int)sig);
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

int main(int argc, char **argv)
{
    struct config cfg;
    struct app app = {0};
    struct store_config sc;
    struct sweeper *sw = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    char err[256];
    int rc = 1;

    switch (config_load(&cfg, argc, argv, err, sizeof err)) {
    case 1: return 0;
    case -1:
        fprintf(stderr, "usherd: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fit_connections(&cfg);
    app.cfg = &cfg;
    app.router = routes_get();
    metrics_init(app.router);
    app.base = base_create();
    if (!app.base)
        goto done;
    sc = (struct store_config){
        .cluster = cfg.redis_cluster, .host = cfg.redis_host, .port = cfg.redis_port,
        .unix_path = cfg.redis_unix[0] ? cfg.redis_unix : NULL,
        .user = cfg.redis_user, .pass = cfg.redis_pass, .db = cfg.redis_db,
        .timeout_ms = cfg.redis_timeout_ms,
    };
    app.store = store_create(app.base, &sc);
    app.batcher = app.store ? batcher_create(app.base, app.store, cfg.batch_max, cfg.reserve_wait_n,
                                                cfg.reserve_wait_ms) : NULL;
    app.layouts = layouts_create(LAYOUTS_MAX_BYTES);
    if (!app.store || !app.batcher || !app.layouts)
        goto done;
    if (cfg.access_log[0] && !(app.access_log = accesslog_open(cfg.access_log)))
        goto done;
    {
        struct guard_config gc = {
            .keys_file = cfg.keys_file, .keys_list = cfg.keys_list,
            .ip_rate = cfg.ip_rate, .ip_burst = cfg.ip_burst,
            .key_rate = cfg.key_rate, .key_burst = cfg.key_burst,
            .max_inflight = cfg.max_inflight,
            .shed_latency_ms = cfg.shed_latency_ms,
        };
        app.guard = guard_create(&gc, err, sizeof err);
        if (!app.guard) {
            util_log("error", "%s", err);
            rc = 2;
            goto done;
        }
        if (guard_keys(app.guard) == 0)
            util_log("warn", "NO API KEYS CONFIGURED: every /v1 route is open to anyone who "
                             "can connect; use --keys FILE or USHER_KEYS in production");
        else
            util_log("info", "%zu API keys loaded", guard_keys(app.guard));
    }
    if (http_start(&app) < 0)
        goto done;
    {
        struct streams_config scfg = {cfg.sse_heartbeat_ms, (size_t)cfg.sse_max_buffer};
        app.streams = streams_create(&app, &sc, &scfg);
        if (!app.streams)
            goto done;
    }
    sw = sweeper_create(app.base, app.store, cfg.sweep_interval_ms);
    sigint = evsignal_new(app.base, SIGINT, on_signal, app.base);
    sigterm = evsignal_new(app.base, SIGTERM, on_signal, app.base);
    if (!sw || !sigint || !sigterm || evsignal_add(sigint, NULL) < 0 ||
        evsignal_add(sigterm, NULL) < 0)
        goto done;
    util_log("info", "usherd %s listening on %s:%d, redis %s", USHER_VERSION,
             cfg.listen_host, cfg.listen_port,
             cfg.redis_unix[0] ? cfg.redis_unix : cfg.redis_host);
    event_base_dispatch(app.base);
    rc = 0;
done:
    sweeper_destroy(sw);
    streams_destroy(app.streams);
    /* The store first: its pending calls answer their requests with 503
     * while the HTTP side still exists. */
    store_destroy(app.store);           /* answers the batches out */
    batcher_destroy(app.batcher);
    conn_server_free(app.http);
    conn_server_free(app.admin_http);
    guard_destroy(app.guard);
    layouts_destroy(app.layouts);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (app.base)
        event_base_free(app.base);
    accesslog_close(app.access_log);    /* after the last request's line */
    util_log("info", "usherd stopped (exit %d)", rc);
    return rc;
}
