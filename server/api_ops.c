/* api_ops — what ops look at: GET /metrics (Prometheus), and the pages:
 * GET /ops/ lists the events, GET /ops/events/{event} draws one event's
 * seat map live. Both are
 * self-contained HTML (server/ops/ pages, compiled into usherd) that talk
 * to the public API and the stream from the browser. */
#include <stddef.h>

#include <event2/buffer.h>

#include "accesslog.h"
#include "api.h"
#include "api_common.h"
#include "guard.h"
#include "http.h"
#include "metrics.h"
#include "stream.h"

extern const char ops_event_html[], ops_index_html[];
extern const size_t ops_event_html_len, ops_index_html_len;

static void on_metrics_events(struct req *r, json_t *events)
{
    struct evbuffer *out = evbuffer_new();

    if (!out) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    metrics_render(out, store_ready(r->app->store), streams_clients(r->app->streams), events);
    metrics_render_connections(out, conn_server_open(r->app->http) +
                                        conn_server_open(r->app->admin_http),
                               conn_server_refused(r->app->http) +
                                   conn_server_refused(r->app->admin_http),
                               r->app->guard ? guard_inflight_limit(r->app->guard) : 0,
                               r->app->guard ? guard_retry_after(r->app->guard) : 1);
    if (r->app->access_log)
        metrics_render_access_log(out, accesslog_dropped(r->app->access_log));
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
