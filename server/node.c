/* node — see node.h. */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libevent.h>

#include "cluster.h"
#include "metrics.h"
#include "util.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct node {
    struct event_base *base;
    char host[256];
    int port;
    char unix_path[256];
    char user[128];
    char pass[256];
    int db;
    int no_scripts;
    int setup_ms;
    char addr[CLUSTER_ADDR_MAX];
    node_lost_cb *lost;
    void *owner;
    redisAsyncContext *ac;    /* NULL while disconnected */
    unsigned gen;             /* connection attempt number */
    int ready;
    int loads_left;
    int functions;            /* the library is in: calls are FCALL */
    char sha[SCRIPT__COUNT][41];   /* else EVALSHA of these */
    struct event *reconnect;  /* pending while waiting out a backoff */
    struct event *setup;      /* drops a connection that does not get ready */
    int backoff_ms;
    unsigned queued;          /* node_send commands not yet answered */
};

/* One setup command of one connection attempt. */
struct loader {
    struct node *n;
    unsigned gen;
    int id;
};

static void node_connect(struct node *n);

/* The connection is gone (hiredis frees it): arms the reconnect timer
 * with the current backoff, doubles the backoff up to its cap, and tells
 * the owner. */
static void schedule_reconnect(struct node *n)
{
    struct timeval tv;

    metrics_redis_reconnect();
    n->ac = NULL;
    n->ready = 0;
    evtimer_del(n->setup);
    tv.tv_sec = n->backoff_ms / 1000;
    tv.tv_usec = (n->backoff_ms % 1000) * 1000;
    evtimer_add(n->reconnect, &tv);
    n->backoff_ms = n->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n->backoff_ms * 2;
    if (n->lost)
        n->lost(n->owner, n);
}

void node_drop(struct node *n, const char *why)
{
    redisAsyncContext *ac = n->ac;

    if (!ac)
        return;
    util_log("warn", "redis connection to %s dropped: %s", n->addr, why);
    n->ac = NULL;
    n->ready = 0;
    redisAsyncFree(ac);
    schedule_reconnect(n);
}

static void set_ready(struct node *n)
{
    n->ready = 1;
    n->backoff_ms = BACKOFF_MIN_MS;
    evtimer_del(n->setup);
}

static struct loader *loader_new(struct node *n, int id)
{
    struct loader *l = malloc(sizeof *l);

    if (l)
        *l = (struct loader){n, n->gen, id};
    return l;
}

/* Whether a setup reply belongs to the node's current connection. */
static int loader_current(const struct loader *l, const redisAsyncContext *ac)
{
    return l->gen == l->n->gen && l->n->ac == ac;
}

static void on_loaded(redisAsyncContext *ac, void *reply, void *priv)
{
    struct loader *l = priv;
    struct node *n = l->n;
    redisReply *r = reply;

    if (r && loader_current(l, ac)) {
        if (r->type == REDIS_REPLY_STRING && r->len == 40) {
            memcpy(n->sha[l->id], r->str, 40);
            n->sha[l->id][40] = '\0';
            if (--n->loads_left == 0) {
                set_ready(n);
                util_log("info", "redis ready: %d scripts loaded (%s)", SCRIPT__COUNT, n->addr);
            }
        } else {
            util_log("error", "redis %s refused script %s: %s", n->addr,
                     script_table[l->id].name,
                     r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
            free(l);
            node_drop(n, "script load failed");
            return;
        }
    }
    free(l);
}

/* Queues SCRIPT LOAD of every script (a Redis without FUNCTION). */
static void queue_script_loads(struct node *n)
{
    int i;

    n->loads_left = SCRIPT__COUNT;
    for (i = 0; i < SCRIPT__COUNT && n->ac; i++) {
        struct loader *l = loader_new(n, i);
        if (!l || redisAsyncCommand(n->ac, on_loaded, l, "SCRIPT LOAD %b", script_table[i].src,
                                    script_table[i].len) != REDIS_OK) {
            free(l);
            node_drop(n, "could not queue SCRIPT LOAD");
        }
    }
}

/* The answer to FUNCTION LOAD: the library is in (loaded now, or already
 * by another usherd of this version), or this Redis has no FUNCTION
 * (before 7.0, or the command renamed away): then every script is sent
 * with SCRIPT LOAD and called with EVALSHA, as before Functions. */
static void on_library(redisAsyncContext *ac, void *reply, void *priv)
{
    struct loader *l = priv;
    struct node *n = l->n;
    redisReply *r = reply;
    int current = r && loader_current(l, ac);

    free(l);
    if (!current)
        return;
    if (r->type == REDIS_REPLY_STRING ||
        (r->type == REDIS_REPLY_ERROR && strstr(r->str, "already exists"))) {
        n->functions = 1;
        set_ready(n);
        util_log("info", "redis ready: functions library %s (%s)", script_library_name, n->addr);
    } else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "READONLY", 8) == 0) {
        /* A replica (a cluster primary demoted by a failover, before the
         * map says so): it has its primary's functions, and answers MOVED
         * to every call for its slots. */
        n->functions = 1;
        set_ready(n);
        util_log("info", "redis ready: %s is a replica, its functions come from its primary",
                 n->addr);
    } else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR unknown command", 19) == 0) {
        util_log("info", "redis has no FUNCTION (%s); loading %d scripts instead", n->addr,
                 SCRIPT__COUNT);
        queue_script_loads(n);
    } else {
        util_log("error", "redis %s refused the functions library: %s", n->addr,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        node_drop(n, "library load failed");
    }
}

static void on_setup(redisAsyncContext *ac, void *reply, void *priv)
{
    struct loader *l = priv;
    struct node *n = l->n;
    redisReply *r = reply;
    int bad = r && loader_current(l, ac) && r->type == REDIS_REPLY_ERROR;

    if (bad)
        util_log("error", "redis %s refused connection setup: %s", n->addr, r->str);
    free(l);
    if (bad)
        node_drop(n, "authentication or SELECT failed");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct node *n = ac->data;

    if (ac != n->ac)
        return;
    if (status != REDIS_OK) {
        util_log("warn", "redis connect to %s failed: %s; retrying in %d ms", n->addr,
                 ac->errstr, n->backoff_ms);
        schedule_reconnect(n);   /* hiredis frees ac after this returns */
        return;
    }
    if (!n->no_scripts)
        util_log("info", "redis connected to %s", n->addr);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct node *n = ac->data;

    if (ac != n->ac)
        return;
    util_log("warn", "redis %s disconnected: %s; reconnecting in %d ms", n->addr,
             status == REDIS_OK ? "closed" : ac->errstr, n->backoff_ms);
    schedule_reconnect(n);
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    node_connect(arg);
}

static void on_setup_timer(evutil_socket_t fd, short what, void *arg)
{
    struct node *n = arg;

    if (n->ac && !n->ready)
        node_drop(n, "no answer to the connection's setup");
}

static void queue_setup(struct node *n, redisCallbackFn *fn, int argc, const char **argv,
                        const size_t *lens)
{
    struct loader *l = loader_new(n, -1);

    if (!l || redisAsyncCommandArgv(n->ac, fn, l, argc, argv, lens) != REDIS_OK) {
        free(l);
        node_drop(n, "could not queue the connection's setup");
    }
}

/* Starts one connection attempt and queues AUTH, SELECT and FUNCTION
 * LOAD of the library on it; node_ready() turns true when it is in. */
static void node_connect(struct node *n)
{
    redisAsyncContext *ac;
    struct timeval tv = {n->setup_ms / 1000, (n->setup_ms % 1000) * 1000};

    ac = n->unix_path[0] ? redisAsyncConnectUnix(n->unix_path)
                         : redisAsyncConnect(n->host, n->port);
    if (!ac || ac->err) {
        util_log("warn", "redis connect to %s failed: %s; retrying in %d ms", n->addr,
                 ac ? ac->errstr : "out of memory", n->backoff_ms);
        if (ac)
            redisAsyncFree(ac);
        schedule_reconnect(n);
        return;
    }
    ac->data = n;
    n->ac = ac;
    n->gen++;
    n->loads_left = 0;
    n->functions = 0;
    n->ready = n->no_scripts;   /* plain commands may queue at once */
    redisLibeventAttach(ac, n->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (!n->ready)
        evtimer_add(n->setup, &tv);
    if (n->pass[0]) {
        const char *argv[3];
        int argc = 0;
        argv[argc++] = "AUTH";
        if (n->user[0])
            argv[argc++] = n->user;
        argv[argc++] = n->pass;
        queue_setup(n, on_setup, argc, argv, NULL);
    }
    if (n->db && n->ac) {
        char db[16];
        const char *argv[2] = {"SELECT", db};
        snprintf(db, sizeof db, "%d", n->db);
        queue_setup(n, on_setup, 2, argv, NULL);
    }
    if (n->ac && !n->no_scripts) {
        const char *argv[3] = {"FUNCTION", "LOAD", script_library};
        size_t lens[3] = {8, 4, script_library_len};
        queue_setup(n, on_library, 3, argv, lens);
    }
}

struct node *node_create(struct event_base *base, const struct node_config *cfg,
                         node_lost_cb *lost, void *owner)
{
    struct node *n = calloc(1, sizeof *n);

    if (!n)
        return NULL;
    n->base = base;
    snprintf(n->host, sizeof n->host, "%s", cfg->host ? cfg->host : "");
    snprintf(n->unix_path, sizeof n->unix_path, "%s", cfg->unix_path ? cfg->unix_path : "");
    n->port = cfg->port;
    snprintf(n->user, sizeof n->user, "%s", cfg->user ? cfg->user : "");
    snprintf(n->pass, sizeof n->pass, "%s", cfg->pass ? cfg->pass : "");
    n->db = cfg->db;
    n->no_scripts = cfg->no_scripts;
    n->setup_ms = cfg->setup_ms > 0 ? cfg->setup_ms : 2000;
    if (n->unix_path[0])
        snprintf(n->addr, sizeof n->addr, "%s", n->unix_path);
    else
        cluster_join_addr(n->addr, n->host, strlen(n->host), n->port);
    n->lost = lost;
    n->owner = owner;
    n->backoff_ms = BACKOFF_MIN_MS;
    n->reconnect = evtimer_new(base, on_reconnect_timer, n);
    n->setup = evtimer_new(base, on_setup_timer, n);
    if (!n->reconnect || !n->setup) {
        if (n->reconnect)
            event_free(n->reconnect);
        free(n);
        return NULL;
    }
    return n;
}

void node_destroy(struct node *n)
{
    redisAsyncContext *ac;

    if (!n)
        return;
    ac = n->ac;
    n->ac = NULL;
    n->ready = 0;
    n->lost = NULL;
    if (ac)
        redisAsyncFree(ac);
    event_free(n->reconnect);
    event_free(n->setup);
    free(n);
}

void node_start(struct node *n)
{
    if (!n->ac && !evtimer_pending(n->reconnect, NULL))
        node_connect(n);
}

int node_ready(const struct node *n)
{
    return n->ready && n->ac != NULL;
}

int node_up(const struct node *n)
{
    return n->ac != NULL;
}

int node_functions(const struct node *n)
{
    return n->functions;
}

const char *node_sha(const struct node *n, enum script_id id)
{
    return n->sha[id];
}

const char *node_addr(const struct node *n)
{
    return n->addr;
}

int node_owns(const struct node *n, const redisAsyncContext *ac)
{
    return n->ac == ac;
}

int node_send(struct node *n, int asking, redisCallbackFn *fn, void *priv, const char *cmd,
              size_t len)
{
    node_start(n);
    if (!n->ac)
        return -1;
    if (asking && redisAsyncCommand(n->ac, NULL, NULL, "ASKING") != REDIS_OK)
        return -1;
    if (redisAsyncFormattedCommand(n->ac, fn, priv, cmd, len) != REDIS_OK)
        return -1;
    n->queued++;
    return 0;
}

unsigned node_queued(const struct node *n)
{
    return n->queued;
}

void node_replied(struct node *n)
{
    USHER_ASSERT(n->queued > 0);
    n->queued--;
}

int node_reload(struct node *n, enum script_id id)
{
    const struct script_src *src = &script_table[id];

    if (!n->ac)
        return -1;
    util_log("warn", "redis lost %s, reloading (%s)", src->name, n->addr);
    return (n->functions ? redisAsyncCommand(n->ac, NULL, NULL, "FUNCTION LOAD %b",
                                             script_library, script_library_len)
                         : redisAsyncCommand(n->ac, NULL, NULL, "SCRIPT LOAD %b", src->src,
                                             src->len)) == REDIS_OK
               ? 0
               : -1;
}
