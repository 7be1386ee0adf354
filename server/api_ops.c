/* api_ops — see api_ops.h. */
#include "api_ops.h"

#include <stddef.h>

#include <event2/buffer.h>

#include "accesslog.h"
#include "api_common.h"
#include "api_events.h"
#include "app.h"
#include "guard.h"
#include "metrics.h"

extern const char ops_event_html[], ops_index_html[];
extern const size_t ops_event_html_len, ops_index_html_len;

void api_healthz(struct req *r)
{
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void on_checked(void *arg, int ok)
{
    struct req *r = arg;

    if (ok)
        http_reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
    else
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}

/* GET /readyz: every primary answers PING (one Redis, or every primary of
 * a slot map that covers all 16,384 slots). */
void api_readyz(struct req *r)
{
    if (store_check(r->app->store, on_checked, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE,
                         "Not connected to Redis, scripts not loaded yet, or (cluster) "
                         "the slot map does not cover every slot.", NULL);
}

static void render_nodes(struct evbuffer *out, const struct store *s)
{
    struct metrics_node nodes[64];
    struct store_node_info info;
    size_t n = 0;

    while (n < 64 && store_node_info(s, n, &info) == 0) {
        nodes[n] = (struct metrics_node){info.addr, info.up, info.primary};
        n++;
    }
    metrics_render_redis_nodes(out, nodes, n, store_slots_covered(s));
}

static void on_metrics_events(struct req *r, json_t *events)
{
    struct evbuffer *out = evbuffer_new();

    if (!out) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    metrics_render(out, store_ready(r->app->store), events);
    render_nodes(out, r->app->store);
    metrics_render_connections(out, r->app->guard ? guard_retry_after(r->app->guard) : 1);
    if (r->app->access_log)
        metrics_render_access_log(out, accesslog_dropped(r->app->access_log));
    metrics_render_batches(out);
    http_reply_typed(r, 200, "text/plain; version=0.0.4; charset=utf-8", out);
    evbuffer_free(out);
}

/* GET /metrics: the process's series, and seats by status per event read
 * from Redis now (left out, with usher_redis_up 0, when Redis is down). */
void api_metrics(struct req *r)
{
    api_events_collect(r, on_metrics_events);
}

void api_ops_index(struct req *r)
{
    http_reply_bytes(r, 200, "text/html; charset=utf-8", ops_index_html, ops_index_html_len);
}

void api_ops_event(struct req *r)
{
    /* The page reports a missing event itself, from the API's 404. */
    http_reply_bytes(r, 200, "text/html; charset=utf-8", ops_event_html, ops_event_html_len);
}
