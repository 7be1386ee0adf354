/* store — see store.h. */
#include "store.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

#include "metrics.h"
#include "util.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct call {
    struct store *s;
    store_cb *cb;          /* NULL once the callback has run */
    void *arg;
    struct event *timer;
    char *cmd;             /* formatted command, kept for a NOSCRIPT retry */
    size_t cmdlen;
    int script;            /* script id, or -1 */
    int retried;
    uint64_t t0_us;
};

/* One SCRIPT LOAD of one connection attempt. */
struct loader {
    struct store *s;
    unsigned gen;
    int id;
};

struct store {
    struct event_base *base;
    char host[256];
    int port;
    char unix_path[256];
    char user[128];
    char pass[256];
    int db;
    int no_scripts;
    const struct timeval *timeout;   /* a libevent common timeout */
    redisAsyncContext *ac;    /* NULL while disconnected */
    unsigned gen;             /* connection attempt number */
    int ready;
    int loads_left;
    int functions;            /* the library is in: calls are FCALL */
    char sha[SCRIPT__COUNT][41];   /* else EVALSHA of these */
    struct event *reconnect;
    int backoff_ms;
};

static void store_connect(struct store *s);

void store_event_keys(struct event_keys *k, const char *event)
{
    static const char *const names[EVENT_KEYS] = {EVENT_KEY_NAMES};
    size_t elen = strnlen(event, STORE_KEY_MAX - 20), i;

    /* "usher:{<event>}:<name>", built with memcpy: this runs for every
     * request, and ten snprintf calls showed up in profiles. */
    for (i = 0; i < EVENT_KEYS; i++) {
        char *p = k->key[i];
        size_t nlen = strlen(names[i]);
        memcpy(p, "usher:{", 7);
        memcpy(p + 7, event, elen);
        memcpy(p + 7 + elen, "}:", 2);
        memcpy(p + 9 + elen, names[i], nlen + 1);
        k->len[i] = 9 + elen + nlen;
    }
    k->n = EVENT_KEYS;
}

void store_event_stage_keys(struct event_keys *k, const char *event, const char *token)
{
    int a = snprintf(k->key[STORE_KEY_STAGE_SEATS], STORE_KEY_MAX, "usher:{%s}:stage:%s:seats",
                     event, token);
    int b = snprintf(k->key[STORE_KEY_STAGE_LAYOUT], STORE_KEY_MAX,
                     "usher:{%s}:stage:%s:layout", event, token);

    k->len[STORE_KEY_STAGE_SEATS] = (size_t)a;
    k->len[STORE_KEY_STAGE_LAYOUT] = (size_t)b;
    k->n = STORE_KEYS_MAX;
}

/* Runs the call's callback unless a timeout already answered it, then
 * frees the call: hiredis hands each call back exactly once. */
static void call_finish(struct call *c, enum store_status st, const redisReply *r)
{
    store_cb *cb = c->cb;

    USHER_ASSERT(c->timer != NULL);
    if (c->script >= 0 && cb)
        metrics_script((enum script_id)c->script, util_now_us() - c->t0_us, st == STORE_OK);
    c->cb = NULL;
    if (cb)
        cb(c->arg, st, r);
    event_free(c->timer);
    free(c->cmd);
    free(c);
}

/* The connection is gone (hiredis frees it): arms the reconnect timer
 * with the current backoff, and doubles the backoff up to its cap. */
static void schedule_reconnect(struct store *s)
{
    struct timeval tv;

    metrics_redis_reconnect();
    s->ac = NULL;
    s->ready = 0;
    tv.tv_sec = s->backoff_ms / 1000;
    tv.tv_usec = (s->backoff_ms % 1000) * 1000;
    evtimer_add(s->reconnect, &tv);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                        : s->backoff_ms * 2;
}

/* Forgets the current connection: every call queued on it fails with
 * STORE_DOWN (via on_reply with a NULL reply), then a reconnect follows. */
static void store_drop(struct store *s, const char *why)
{
    redisAsyncContext *ac = s->ac;

    if (!ac)
        return;
    util_log("warn", "redis connection dropped: %s", why);
    s->ac = NULL;
    s->ready = 0;
    redisAsyncFree(ac);
    schedule_reconnect(s);
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    struct call *c = priv;
    struct store *s = c->s;
    redisReply *reply = r;

    if (reply && reply->type == REDIS_REPLY_ERROR && c->script >= 0 &&
        !c->retried && c->cb && ac == s->ac &&
        (s->functions ? strncmp(reply->str, "ERR Function not found", 22) == 0
                      : strncmp(reply->str, "NOSCRIPT", 8) == 0)) {
        /* Redis lost its functions or script cache (a restart without
         * persistence, FUNCTION FLUSH, SCRIPT FLUSH, a failover to a
         * replica that never had them): load again and resend; both run
         * in order on this connection. A FUNCTION LOAD that finds the
         * library back (another usherd was quicker) fails harmlessly. */
        const struct script_src *src = &script_table[c->script];
        int rc;
        c->retried = 1;
        util_log("warn", "redis lost %s, reloading", src->name);
        rc = s->functions
                 ? redisAsyncCommand(ac, NULL, NULL, "FUNCTION LOAD %b", script_library,
                                     script_library_len)
                 : redisAsyncCommand(ac, NULL, NULL, "SCRIPT LOAD %b", src->src, src->len);
        if (rc == REDIS_OK &&
            redisAsyncFormattedCommand(ac, on_reply, c, c->cmd, c->cmdlen) == REDIS_OK)
            return;
    }
    call_finish(c, reply ? STORE_OK : STORE_DOWN, reply);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;
    store_cb *cb = c->cb;

    /* the timer fires once, and only for a call not yet answered */
    USHER_ASSERT(cb != NULL);
    /* Answer now; the call itself stays queued in hiredis until the drop
     * below flushes it through on_reply, which frees it. */
    c->cb = NULL;
    if (c->script >= 0)
        metrics_script((enum script_id)c->script, util_now_us() - c->t0_us, 0);
    if (cb)
        cb(c->arg, STORE_TIMEOUT, NULL);
    store_drop(c->s, "a call timed out");
}

/* Queues a formatted command (taking ownership of cmd). 0 or -1. */
static int call_send(struct store *s, int script, char *cmd, size_t len,
                     store_cb *cb, void *arg)
{
    struct call *c = calloc(1, sizeof *c);

    if (!c || !s->ac)
        goto fail;
    c->s = s;
    c->cb = cb;
    c->arg = arg;
    c->cmd = cmd;
    c->cmdlen = len;
    c->script = script;
    c->t0_us = util_now_us();
    c->timer = evtimer_new(s->base, on_timeout, c);
    if (!c->timer)
        goto fail;
    if (redisAsyncFormattedCommand(s->ac, on_reply, c, cmd, len) != REDIS_OK)
        goto fail;
    evtimer_add(c->timer, s->timeout);
    return 0;
fail:
    if (c && c->timer)
        event_free(c->timer);
    free(c);
    free(cmd);
    return -1;
}

static size_t uint_digits(size_t n)
{
    size_t d = 1;

    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

long store_format_command(char **out, int argc, const char **argv, const size_t *argvlen)
{
    size_t total = 1 + uint_digits((size_t)argc) + 2, len;
    char *p;
    int i;

    for (i = 0; i < argc; i++) {
        len = argvlen ? argvlen[i] : strlen(argv[i]);
        total += 1 + uint_digits(len) + 2 + len + 2;
    }
    if (!(*out = p = malloc(total + 1)))
        return -1;
    *p++ = '*';
    p = util_put_uint(p, (unsigned long long)argc);
    *p++ = '\r';
    *p++ = '\n';
    for (i = 0; i < argc; i++) {
        len = argvlen ? argvlen[i] : strlen(argv[i]);
        *p++ = '$';
        p = util_put_uint(p, len);
        *p++ = '\r';
        *p++ = '\n';
        memcpy(p, argv[i], len);
        p += len;
        *p++ = '\r';
        *p++ = '\n';
    }
    *p = '\0';
    return (long)total;
}

static int send_argv(struct store *s, int script, int argc, const char **argv,
                     const size_t *argvlen, store_cb *cb, void *arg)
{
    char *cmd = NULL;
    long len = store_format_command(&cmd, argc, argv, argvlen);

    if (len < 0)
        return -1;
    return call_send(s, script, cmd, (size_t)len, cb, arg);
}

static void on_loaded(void *arg, enum store_status st, const redisReply *r)
{
    struct loader *l = arg;
    struct store *s = l->s;
    int current = l->gen == s->gen && s->ac;

    if (current && st == STORE_OK && r->type == REDIS_REPLY_STRING && r->len == 40) {
        memcpy(s->sha[l->id], r->str, 40);
        s->sha[l->id][40] = '\0';
        if (--s->loads_left == 0) {
            s->ready = 1;
            s->backoff_ms = BACKOFF_MIN_MS;
            util_log("info", "redis ready: %d scripts loaded", SCRIPT__COUNT);
        }
    } else if (current && st == STORE_OK) {
        util_log("error", "redis refused script %s: %s",
                 script_table[l->id].name,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        store_drop(s, "script load failed");
    }
    free(l);
}

static void queue_script_loads(struct store *s);

/* The answer to FUNCTION LOAD: the library is in (loaded now, or already
 * by another usherd of this version), or this Redis has no FUNCTION
 * (before 7.0, or the command renamed away): then every script is sent
 * with SCRIPT LOAD and called with EVALSHA, as before Functions. */
static void on_library(void *arg, enum store_status st, const redisReply *r)
{
    struct loader *l = arg;
    struct store *s = l->s;
    int current = l->gen == s->gen && s->ac;

    free(l);
    if (!current || st != STORE_OK)
        return;
    if (r->type == REDIS_REPLY_STRING ||
        (r->type == REDIS_REPLY_ERROR && strstr(r->str, "already exists"))) {
        s->functions = 1;
        s->ready = 1;
        s->backoff_ms = BACKOFF_MIN_MS;
        util_log("info", "redis ready: functions library %s", script_library_name);
    } else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR unknown command", 19) == 0) {
        util_log("info", "redis has no FUNCTION; loading %d scripts instead", SCRIPT__COUNT);
        queue_script_loads(s);
    } else {
        util_log("error", "redis refused the functions library: %s",
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        store_drop(s, "library load failed");
    }
}

static void on_setup(void *arg, enum store_status st, const redisReply *r)
{
    struct loader *l = arg;
    struct store *s = l->s;

    if (l->gen == s->gen && s->ac && st == STORE_OK && r->type == REDIS_REPLY_ERROR) {
        util_log("error", "redis refused connection setup: %s", r->str);
        store_drop(s, "authentication or SELECT failed");
    }
    free(l);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct store *s = ac->data;

    if (ac != s->ac)
        return;
    if (status != REDIS_OK) {
        util_log("warn", "redis connect failed: %s; retrying in %d ms",
                 ac->errstr, s->backoff_ms);
        schedule_reconnect(s);   /* hiredis frees ac after this returns */
        return;
    }
    if (s->no_scripts)
        s->backoff_ms = BACKOFF_MIN_MS;
    else
        util_log("info", "redis connected to %s", s->unix_path[0] ? s->unix_path : s->host);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct store *s = ac->data;

    if (ac != s->ac)
        return;
    util_log("warn", "redis disconnected: %s; reconnecting in %d ms",
             status == REDIS_OK ? "closed" : ac->errstr, s->backoff_ms);
    schedule_reconnect(s);
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    store_connect(arg);
}

/* Queues SCRIPT LOAD of every script (a Redis without FUNCTION). */
static void queue_script_loads(struct store *s)
{
    int i;

    s->loads_left = SCRIPT__COUNT;
    for (i = 0; i < SCRIPT__COUNT && s->ac; i++) {
        struct loader *l = malloc(sizeof *l);
        const char *argv[3] = {"SCRIPT", "LOAD", script_table[i].src};
        size_t lens[3] = {6, 4, script_table[i].len};
        *l = (struct loader){s, s->gen, i};
        if (send_argv(s, -1, 3, argv, lens, on_loaded, l) < 0) {
            free(l);
            store_drop(s, "could not queue SCRIPT LOAD");
        }
    }
}

/* Starts one connection attempt and queues AUTH, SELECT and FUNCTION
 * LOAD of the library on it; store_ready() turns true when it is in. */
static void store_connect(struct store *s)
{
    redisAsyncContext *ac;

    ac = s->unix_path[0] ? redisAsyncConnectUnix(s->unix_path)
                         : redisAsyncConnect(s->host, s->port);
    if (!ac || ac->err) {
        util_log("warn", "redis connect failed: %s; retrying in %d ms",
                 ac ? ac->errstr : "out of memory", s->backoff_ms);
        if (ac)
            redisAsyncFree(ac);
        schedule_reconnect(s);
        return;
    }
    ac->data = s;
    s->ac = ac;
    s->gen++;
    s->ready = 0;
    s->loads_left = 0;
    s->functions = 0;
    s->ready = s->no_scripts;   /* plain commands may queue at once */
    redisLibeventAttach(ac, s->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);

    if (s->pass[0] || s->db) {
        char db[16];
        const char *argv[3];
        int argc = 0;
        if (s->pass[0]) {
            struct loader *l = malloc(sizeof *l);
            argv[argc++] = "AUTH";
            if (s->user[0])
                argv[argc++] = s->user;
            argv[argc++] = s->pass;
            *l = (struct loader){s, s->gen, -1};
            if (send_argv(s, -1, argc, argv, NULL, on_setup, l) < 0)
                free(l);
        }
        if (s->db && s->ac) {
            struct loader *l = malloc(sizeof *l);
            snprintf(db, sizeof db, "%d", s->db);
            argv[0] = "SELECT";
            argv[1] = db;
            *l = (struct loader){s, s->gen, -1};
            if (send_argv(s, -1, 2, argv, NULL, on_setup, l) < 0)
                free(l);
        }
    }
    if (s->ac && !s->no_scripts) {
        struct loader *l = malloc(sizeof *l);
        const char *argv[3] = {"FUNCTION", "LOAD", script_library};
        size_t lens[3] = {8, 4, script_library_len};
        *l = (struct loader){s, s->gen, -1};
        if (send_argv(s, -1, 3, argv, lens, on_library, l) < 0) {
            free(l);
            store_drop(s, "could not queue FUNCTION LOAD");
        }
    }
}

/* Resolves a host name to a numeric address once, at start-up. */
static int resolve_host(const char *name, char *out, size_t len)
{
    struct addrinfo hints = {0}, *res = NULL;
    int rc;

    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0 || !res)
        return -1;
    rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)len, NULL,
                     0, NI_NUMERICHOST);
    freeaddrinfo(res);
    return rc == 0 ? 0 : -1;
}

struct store *store_create(struct event_base *base, const struct store_config *cfg)
{
    struct store *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    s->base = base;
    if (cfg->unix_path && cfg->unix_path[0]) {
        snprintf(s->unix_path, sizeof s->unix_path, "%s", cfg->unix_path);
    } else if (resolve_host(cfg->host, s->host, sizeof s->host) < 0) {
        util_log("error", "cannot resolve redis host %s", cfg->host);
        free(s);
        return NULL;
    }
    s->port = cfg->port;
    snprintf(s->user, sizeof s->user, "%s", cfg->user ? cfg->user : "");
    snprintf(s->pass, sizeof s->pass, "%s", cfg->pass ? cfg->pass : "");
    s->db = cfg->db;
    s->no_scripts = cfg->no_scripts;
    {
        /* Every call has the same timeout: a common timeout keeps them in
         * a queue with O(1) insertion instead of the timer heap. */
        struct timeval tv = {cfg->timeout_ms / 1000, (cfg->timeout_ms % 1000) * 1000};
        s->timeout = event_base_init_common_timeout(base, &tv);
    }
    s->backoff_ms = BACKOFF_MIN_MS;
    s->reconnect = evtimer_new(base, on_reconnect_timer, s);
    if (!s->reconnect) {
        free(s);
        return NULL;
    }
    store_connect(s);
    return s;
}

void store_destroy(struct store *s)
{
    redisAsyncContext *ac;

    if (!s)
        return;
    ac = s->ac;
    s->ac = NULL;
    s->ready = 0;
    if (ac)
        redisAsyncFree(ac);
    event_free(s->reconnect);
    free(s);
}

int store_ready(const struct store *s)
{
    return s->ready && s->ac != NULL;
}

int store_eval(struct store *s, enum script_id id, const struct event_keys *k,
               int argc, const char **argv, const size_t *argvlen,
               store_cb *cb, void *arg)
{
    int n = 3 + k->n + argc, i, rc;
    char nkeys[8];
    const char **v;
    size_t *l;

    if (!store_ready(s))
        return -1;
    v = malloc(sizeof *v * (size_t)n);
    l = malloc(sizeof *l * (size_t)n);
    if (!v || !l) {
        rc = -1;
        goto done;
    }
    if (s->functions) {
        v[0] = "FCALL"; l[0] = 5;
        v[1] = script_table[id].fn; l[1] = strlen(v[1]);
    } else {
        v[0] = "EVALSHA"; l[0] = 7;
        v[1] = s->sha[id]; l[1] = 40;
    }
    v[2] = nkeys; l[2] = (size_t)(util_put_uint(nkeys, (unsigned)k->n) - nkeys);
    for (i = 0; i < k->n; i++) {
        v[3 + i] = k->key[i];
        l[3 + i] = k->len[i];
    }
    for (i = 0; i < argc; i++) {
        v[3 + k->n + i] = argv[i];
        l[3 + k->n + i] = argvlen ? argvlen[i] : strlen(argv[i]);
    }
    rc = send_argv(s, (int)id, n, v, l, cb, arg);
done:
    free(v);
    free(l);
    return rc;
}

int store_command(struct store *s, int argc, const char **argv,
                  const size_t *argvlen, store_cb *cb, void *arg)
{
    if (!store_ready(s))
        return -1;
    return send_argv(s, -1, argc, argv, argvlen, cb, arg);
}
