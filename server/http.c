/* http — see http.h. */
#include "http.h"

#include <event2/buffer.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "app.h"
#include "config.h"
#include "conn.h"
#include "guard.h"
#include "metrics.h"
#include "proxy.h"
#include "query.h"
#include "util.h"
#include "validate.h"

/* Frees r and everything hung on it, once its one answer is out. */
static void req_finish(struct req *r)
{
    if (r->counted)
        metrics_inflight(-1);
    if (r->data_free)
        r->data_free(r->data);
    json_decref(r->body);
    free(r);
}

/* Counts the answer and writes its access-log line. */
static void req_account(struct req *r, int status, size_t bytes)
{
    uint64_t us = util_now_us() - r->t0_us;

    metrics_http(r->m.route, r->method, status, us);
    if (r->admitted) {
        guard_observe(r->app->guard, us, r->t0_us + us);
        metrics_inflight_limit(guard_inflight_limit(r->app->guard));
    }
    if (r->app->access_log) {
        char client[80];
        /* the port only when the address is the TCP peer's */
        if (strcmp(http_client(r), conn_peer(r->conn)) == 0)
            snprintf(client, sizeof client, "%s:%d", r->client, conn_peer_port(r->conn));
        else
            snprintf(client, sizeof client, "%s", r->client);
        accesslog_write(r->app->access_log, r->method,
                        r->m.route ? r->m.route->pattern : "unmatched", r->event, status, us,
                        bytes, client);
    }
}

const char *http_client(struct req *r)
{
    if (!r->client[0])
        proxy_client(&r->app->cfg->trusted_proxies, conn_peer(r->conn),
                     http_header(r, "X-Forwarded-For"), r->client, sizeof r->client);
    return r->client;
}

void http_add_header(struct req *r, const char *name, const char *value)
{
    size_t n = strlen(r->extra);

    snprintf(r->extra + n, sizeof r->extra - n, "%s: %s\r\n", name, value);
}

static void send_reply(struct req *r, int status, struct evbuffer *body,
                       const char *content_type)
{
    req_account(r, status, body ? evbuffer_get_length(body) : 0);
    conn_reply_buffer(r->conn, status, r->extra, content_type, body);
    req_finish(r);
}

struct conn *http_stream_start(struct req *r, const char *content_type,
                               void (*on_close)(void *), void *arg)
{
    struct conn *c = r->conn;

    req_account(r, 200, 0);
    req_finish(r);
    return conn_stream_start(c, content_type, on_close, arg) == 0 ? c : NULL;
}

void http_reply_buffer(struct req *r, int status, struct evbuffer *body)
{
    send_reply(r, status, body, "application/json");
}

void http_reply_typed(struct req *r, int status, const char *content_type,
                      struct evbuffer *body)
{
    send_reply(r, status, body, content_type);
}

void http_reply_json(struct req *r, int status, json_t *body)
{
    char stack[4096], *out = stack;
    size_t n = body ? json_dumpb(body, stack, sizeof stack - 1, JSON_COMPACT) : 0;

    /* most answers fit the stack buffer: dumped once, copied once */
    if (n >= sizeof stack - 1 && (out = malloc(n + 1)) != NULL)
        n = json_dumpb(body, out, n, JSON_COMPACT);
    json_decref(body);
    if (n == 0 || !out) {
        static const char fail[] = "{\"error\":{\"code\":\"internal_error\",\"message\":"
                                   "\"The answer could not be encoded.\"}}\n";
        http_reply_bytes(r, 500, "application/json", fail, sizeof fail - 1);
        return;
    }
    out[n] = '\n';
    http_reply_bytes(r, status, "application/json", out, n + 1);
    if (out != stack)
        free(out);
}

void http_reply_bytes(struct req *r, int status, const char *content_type,
                      const char *data, size_t len)
{
    req_account(r, status, len);
    conn_reply(r->conn, status, r->extra, content_type, data, len);
    req_finish(r);
}

void http_reply_empty(struct req *r, int status)
{
    send_reply(r, status, NULL, NULL);
}

void http_reply_error(struct req *r, enum err_code code, const char *message,
                      json_t *detail)
{
    const struct err_info *info = errors_info(code);
    const char *body;
    size_t len;

    if (code == ERR_REDIS_UNAVAILABLE)
        http_add_header(r, "Retry-After", "1");
    if (!message && !detail && (body = errors_default_body(code, &len)) != NULL) {
        http_reply_bytes(r, info->status, "application/json", body, len);
        return;
    }
    http_reply_json(r, info->status, errors_body(code, message, detail));
}

void http_reply_verr(struct req *r, struct verr *e)
{
    json_t *detail = e->detail;

    e->detail = NULL;
    http_reply_error(r, e->code, e->msg[0] ? e->msg : NULL, detail);
}

void http_reply_store(struct req *r, enum store_status st, const redisReply *reply)
{
    json_t *seats = NULL;
    enum err_code code;

    if (st == STORE_TIMEOUT) {
        http_reply_error(r, ERR_REDIS_UNAVAILABLE,
                         "The inventory store did not answer in time; retry shortly.",
                         NULL);
        return;
    }
    if (st != STORE_OK || !reply) {
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
        return;
    }
    if (reply->type != REDIS_REPLY_ERROR) {
        util_log("error", "unexpected reply type %d from redis", reply->type);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    code = errors_from_script(reply->str, reply->len, &seats);
    if (code == ERR_INTERNAL) {
        /* OOM, READONLY, LOADING, BUSY ...: Redis cannot serve us now. */
        util_log("warn", "redis error: %.200s", reply->str);
        json_decref(seats);
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
        return;
    }
    {
        json_t *detail = json_object(), *alt = errors_alternatives(reply->str, reply->len);
        if (seats)
            json_object_set_new(detail, errors_list_field(code), seats);
        if (alt)
            json_object_set_new(detail, "alternatives", alt);
        if (!json_object_size(detail)) {
            json_decref(detail);
            detail = NULL;
        }
        http_reply_error(r, code, NULL, detail);
    }
}

const char *http_header(struct req *r, const char *name)
{
    return conn_header(r->conn, name);
}

/* Parses the request body (lent for the dispatch only) into r->body per
 * the route's body kind; its size was checked at the head (conn's
 * large_body_max). 0, or -1 after replying with the error. */
static int read_body(struct req *r, const char *data, size_t len)
{
    json_error_t jerr;

    if (r->m.route->body == BODY_NONE)
        return 0;
    if (len == 0) {
        http_reply_error(r, ERR_INVALID_JSON, "A JSON object body is required.", NULL);
        return -1;
    }
    r->body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r->body) {
        char msg[256];
        snprintf(msg, sizeof msg, "The body is not valid JSON: %s at byte %d.",
                 jerr.text, jerr.position);
        http_reply_error(r, ERR_INVALID_JSON, msg, NULL);
        return -1;
    }
    if (!json_is_object(r->body)) {
        http_reply_error(r, ERR_INVALID_REQUEST, "The body must be a JSON object.", NULL);
        return -1;
    }
    return 0;
}

/* The value of the query's access_token (for EventSource, which cannot
 * send headers), %-decoded into buf, or NULL: none, empty, malformed, or
 * given twice. */
static const char *query_token(const char *q, char *buf, size_t cap)
{
    char name[16], value[260];
    const char *found = NULL;
    enum query_result res;

    while ((res = query_next(&q, name, sizeof name, value, sizeof value)) != QUERY_END) {
        if (res == QUERY_BAD)
            continue;           /* a long or bad pair is not the token */
        if (strcmp(name, "access_token") != 0)
            continue;
        if (found || !value[0] || strlen(value) >= cap)
            return NULL;
        snprintf(buf, cap, "%s", value);
        found = buf;
    }
    return found;
}

/* Runs the admission checks (guard.h). 0 to go on, -1 after refusing. */
static int admit(struct req *r)
{
    static const enum err_code refusal[] = {
        [GUARD_UNAUTHORIZED] = ERR_UNAUTHORIZED,
        [GUARD_ADMIN_KEY_IN_URL] = ERR_UNAUTHORIZED,
        [GUARD_FORBIDDEN] = ERR_FORBIDDEN,
        [GUARD_RATE_LIMITED] = ERR_RATE_LIMITED,
        [GUARD_OVERLOADED] = ERR_OVERLOADED,
    };
    char tok[260], retry[16];
    const char *qtok = query_token(r->query, tok, sizeof tok), *msg = NULL;
    enum guard_verdict v;
    int retry_s = 1, coalesced = r->m.route->flags & ROUTE_COALESCED;

    if (!r->app->guard || r->m.route->role == ROLE_OPEN)
        return 0;
    /* a request about an existing hold finishes work already begun */
    v = guard_check(r->app->guard, r->m.route->role,
                    (r->m.route->flags & ROUTE_FINISHING) != 0,
                    http_header(r, "Authorization"),
                    r->m.route->flags & ROUTE_QUERY_KEY ? qtok : NULL, http_client(r),
                    coalesced ? 0 : metrics_inflight_now(),
                    r->t0_us, &retry_s, &r->key_id);
    if (v == GUARD_PASS) {
        r->admitted = !coalesced;
        return 0;
    }
    metrics_refused(errors_info(refusal[v])->code);
    if (v == GUARD_UNAUTHORIZED || v == GUARD_ADMIN_KEY_IN_URL)
        http_add_header(r, "WWW-Authenticate", "Bearer realm=\"usher\"");
    if (v == GUARD_ADMIN_KEY_IN_URL)
        msg = "An admin key is never taken from the URL; send Authorization: Bearer <key>.";
    else if (v == GUARD_UNAUTHORIZED && qtok && !(r->m.route->flags & ROUTE_QUERY_KEY))
        msg = "access_token is taken on the stream route only; send Authorization: Bearer <key>.";
    if (v == GUARD_RATE_LIMITED || v == GUARD_OVERLOADED) {
        snprintf(retry, sizeof retry, "%d", retry_s);
        http_add_header(r, "Retry-After", retry);
    }
    http_reply_error(r, refusal[v], msg, NULL);
    return -1;
}

static void dispatch(struct conn *c, const struct wire_request *rq, struct app *app,
                     int admin_only)
{
    struct req *r = malloc(sizeof *r);
    const char *uri = rq->target;
    const char *q;
    enum router_result res;
    int i;

    if (!r) {
        conn_reply(c, 500, "", NULL, NULL, 0);
        return;
    }
    /* All zero but the event's key strings: 1.9 KB that store_event_keys
     * writes before any use, and whose zeroing was about 5 % of usherd's
     * instructions per request (callgrind). */
    memset(r, 0, offsetof(struct req, keys));
    r->keys.n = 0;
    memset(&r->keys + 1, 0, sizeof *r - offsetof(struct req, keys) - sizeof r->keys);
    r->app = app;
    r->conn = c;
    r->t0_us = util_now_us();
    r->method = rq->method;
    q = strchr(uri, '?');
    r->query = q ? q + 1 : NULL;
    res = router_match(app->router, r->method, uri,
                       q ? (size_t)(q - uri) : strlen(uri), &r->m);
    if (!(res == ROUTER_FOUND && (r->m.route->flags & ROUTE_COALESCED))) {
        metrics_inflight(1);
        r->counted = 1;
    }
    if (res == ROUTER_NOT_FOUND ||
        (admin_only && res == ROUTER_FOUND && r->m.route->role != ROLE_OPEN)) {
        r->m.route = NULL;
        http_reply_error(r, ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    if (res == ROUTER_BAD_METHOD) {
        http_add_header(r, "Allow", r->m.allow);
        http_reply_error(r, ERR_METHOD_NOT_ALLOWED, NULL, NULL);
        return;
    }
    if (admit(r) < 0)
        return;
    for (i = 0; i < r->m.nparams; i++) {
        enum param_kind kind = r->m.kind[i];
        if (!validate_id(r->m.param[i], r->m.param_len[i], router_param_max(kind))) {
            char msg[128];
            snprintf(msg, sizeof msg, "The %s id must match [A-Za-z0-9._:-]{1,%zu} (not . or ..).",
                     router_param_name(kind), router_param_max(kind));
            http_reply_error(r, ERR_INVALID_ID, msg, NULL);
            return;
        }
        if (kind == PARAM_EVENT)
            r->event = r->m.param[i];
        else if (kind == PARAM_HOLD)
            r->hold = r->m.param[i];
        else if (kind == PARAM_TICKET)
            r->ticket = r->m.param[i];
        else
            r->order = r->m.param[i];
    }
    if (r->event)
        store_event_keys(&r->keys, r->event);
    if (read_body(r, rq->body, rq->body_len) < 0)
        return;
    r->m.route->handler(r);
}

static void dispatch_main(struct conn *c, const struct wire_request *rq, void *arg)
{
    dispatch(c, rq, arg, 0);
}

static void dispatch_admin(struct conn *c, const struct wire_request *rq, void *arg)
{
    dispatch(c, rq, arg, 1);
}

static size_t large_body_max(void *arg, const char *method, const char *target)
{
    const struct app *app = arg;

    return router_body_max(app->router, method, target);
}

int http_start(struct app *app)
{
    const struct config *c = app->cfg;
    struct conn_limits lim = {
        /* each thread its share, on one port the kernel spreads */
        .max_connections = (size_t)(c->max_connections / (app->threads > 1 ? app->threads : 1)),
        .share_port = app->threads > 1,
        /* each route's own limit, applied at the head */
        .body = {.max_body = ROUTER_BODY_SMALL, .large_body_max = large_body_max, .arg = app},
        .idle_timeout_s = c->idle_timeout_s,
    };

    app->http = conn_listen(app->base, c->listen_host, c->listen_port, &lim,
                            dispatch_main, app);
    if (!app->http)
        return -1;
    if (c->admin_host[0] && app->thread == 0) {
        lim.body.max_body = 0;
        lim.body.large_body_max = NULL;
        app->admin_http = conn_listen(app->base, c->admin_host, c->admin_port, &lim,
                                      dispatch_admin, app);
        if (!app->admin_http)
            return -1;
    }
    return 0;
}
