/* store — see store.h. */
#include "store.h"

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cluster.h"
#include "metrics.h"
#include "node.h"
#include "util.h"

#define NODES_MAX 64
#define HOPS_MAX 5                 /* MOVED/ASK followed per attempt */
#define RETRY_MIN_MS 10            /* TRYAGAIN/CLUSTERDOWN backoff, doubling */
#define RETRY_MAX_MS 250
#define REFRESH_GAP_US 1000000     /* at most one map refresh a second */
#define REFRESH_EVERY_MS 10000     /* and one every 10 s regardless */
#define REFRESH_FAILED_MS 250      /* after a failed one, ask another node */

struct call {
    struct store *s;
    struct node *n;        /* the node it is queued on; NULL while waiting */
    store_cb *cb;          /* NULL once the callback has run */
    void *arg;
    struct event *timer;   /* the call's deadline */
    struct event *later;   /* a resend after a wait, or NULL */
    struct call *wprev, *wnext;   /* on the store's list while waiting */
    char *cmd;             /* formatted command, kept for resends */
    size_t cmdlen;
    int script;            /* script id, or -1 */
    int slot;              /* hash slot of its key, -1 for none */
    int retried;           /* the lost library was reloaded once */
    int hops;              /* redirections followed since the last wait */
    int waits;             /* TRYAGAIN/CLUSTERDOWN waits so far */
    int wait_n, wait_ms;   /* WAIT after the script (store_eval_wait), or 0 */
    int *acked;            /* where the WAIT's count goes; NULL once answered */
    int waiting;           /* the WAIT is out; kept is the script's reply */
    redisReply *kept;
    uint64_t t0_us;
};

struct store {
    struct event_base *base;
    struct node_config ncfg;   /* for nodes the map names; host/port vary */
    char user[128], pass[256], unix_path[256];
    int timeout_ms;
    const struct timeval *timeout;   /* a libevent common timeout */
    int cluster;
    struct node *nodes[NODES_MAX];   /* seeds first; never freed before the store */
    size_t nnodes;
    unsigned char primary[NODES_MAX];
    short slot_node[CLUSTER_SLOTS];  /* index into nodes, -1: not mapped */
    unsigned covered;                /* slots the last map read covers */
    int map_ok;                      /* ... every slot, exactly once */
    int mapped;                      /* a map was read once: calls may go */
    int use_slots;                   /* CLUSTER SHARDS unknown: CLUSTER SLOTS */
    int refreshing;
    uint64_t refreshed_us;
    size_t ask_next;
    struct node *asked;
    struct event *refresh;
    struct call *parked;             /* calls waiting to be resent */
    size_t nseeds;                   /* nodes[0..nseeds) are the URL's, kept */
    struct event *prune;             /* frees nodes the map dropped, later */
};

static int call_start(struct store *s, struct node *n, int slot, int script, char *cmd,
                      size_t len, int wait_n, int wait_ms, int *acked, store_cb *cb, void *arg);
static void map_refresh(struct store *s);
static void on_node_lost(void *owner, struct node *n);

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
    static const char *const names[STORE_STAGE_KEYS] = {"seats", "layout", "pick", "rows",
                                                         "runs"};

    for (int i = 0; i < STORE_STAGE_KEYS; i++) {
        int n = snprintf(k->key[STORE_KEY_STAGE_SEATS + i], STORE_KEY_MAX,
                         "usher:{%s}:stage:%s:%s", event, token, names[i]);
        k->len[STORE_KEY_STAGE_SEATS + i] = (size_t)n;
    }
    k->n = STORE_KEYS_MAX;
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

/* Runs the call's callback unless a timeout already answered it, then
 * frees the call: each call is handed back exactly once. */
static void call_finish(struct call *c, enum store_status st, const redisReply *r)
{
    store_cb *cb = c->cb;

    USHER_ASSERT(c->timer != NULL);
    if (c->script >= 0 && cb)
        metrics_script((enum script_id)c->script, util_now_us() - c->t0_us, st == STORE_OK);
    c->cb = NULL;
    c->acked = NULL;
    if (cb)
        cb(c->arg, st, r);
    event_free(c->timer);
    if (c->later)
        event_free(c->later);
    if (c->kept)
        freeReplyObject(c->kept);
    free(c->cmd);
    free(c);
}

/* A deep copy of r (hiredis frees its replies when the callback returns;
 * a reply kept across a WAIT must outlive that). NULL when out of memory. */
static redisReply *reply_dup(const redisReply *r)
{
    redisReply *d = calloc(1, sizeof *d);
    size_t i;

    if (!d)
        return NULL;
    d->type = r->type;
    d->integer = r->integer;
    if (r->str) {
        if (!(d->str = malloc(r->len + 1)))
            goto fail;
        memcpy(d->str, r->str, r->len);
        d->str[r->len] = '\0';
        d->len = r->len;
    }
    if (r->elements) {
        if (!(d->element = calloc(r->elements, sizeof *d->element)))
            goto fail;
        d->elements = r->elements;
        for (i = 0; i < r->elements; i++)
            if (!(d->element[i] = reply_dup(r->element[i])))
                goto fail;
    }
    return d;
fail:
    freeReplyObject(d);
    return NULL;
}

/* The node that serves `slot` now: the one Redis, or the map's; NULL
 * when the map has none. */
static struct node *route(const struct store *s, int slot)
{
    int i;

    if (!s->cluster)
        return s->nodes[0];
    i = s->slot_node[slot < 0 ? 0 : slot];
    return i >= 0 ? s->nodes[i] : NULL;
}

/* The node at "host:port", made when the map or a redirection first
 * names it; NULL when the address is malformed or there are too many. */
static struct node *node_at(struct store *s, const char *addr)
{
    struct node_config nc = s->ncfg;
    char host[256];
    size_t i;

    for (i = 0; i < s->nnodes; i++)
        if (strcmp(node_addr(s->nodes[i]), addr) == 0)
            return s->nodes[i];
    if (s->nnodes == NODES_MAX || cluster_split_addr(addr, host, sizeof host, &nc.port) < 0) {
        util_log("error", "redis cluster: cannot use node %s", addr);
        return NULL;
    }
    nc.host = host;
    if (!(s->nodes[s->nnodes] = node_create(s->base, &nc, s->cluster ? on_node_lost : NULL, s)))
        return NULL;
    return s->nodes[s->nnodes++];
}

static int node_index(const struct store *s, const struct node *n)
{
    size_t i;

    for (i = 0; i < s->nnodes; i++)
        if (s->nodes[i] == n)
            return (int)i;
    return -1;
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv);

/* Queues c on node n (ASKING first when asked). 0, or -1 when n has no
 * connection to queue on. */
static int call_queue(struct call *c, struct node *n, int asking)
{
    c->n = n;
    if (n && node_send(n, asking, on_reply, c, c->cmd, c->cmdlen) == 0)
        return 0;
    c->n = NULL;
    return -1;
}

static int call_later(struct call *c);

/* Sends c again, to n: a redirection or a resend after a wait. In
 * cluster mode a node without a connection (lost, or a failover under
 * way) is waited for, as the command was never sent, while the deadline
 * allows. The caller is a callback, so a failure answers at once. */
static void call_resend(struct call *c, struct node *n, int asking)
{
    if (call_queue(c, n, asking) == 0)
        return;
    if (c->s->cluster && call_later(c)) {
        map_refresh(c->s);
        return;
    }
    call_finish(c, STORE_DOWN, NULL);
}

static void parked_unlink(struct call *c)
{
    struct store *s = c->s;

    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else if (s->parked == c)
        s->parked = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    c->wprev = c->wnext = NULL;
}

static void on_later(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;

    parked_unlink(c);
    call_resend(c, route(c->s, c->slot), 0);
}

/* Resends c after a backoff (TRYAGAIN, CLUSTERDOWN, no connection) when
 * the deadline leaves time for it. 1 when it will, 0 when the caller
 * must answer. A waiting call is on the store's list (store_destroy
 * answers it). */
static int call_later(struct call *c)
{
    struct store *s = c->s;
    int ms = RETRY_MIN_MS << (c->waits < 5 ? c->waits : 5);
    struct timeval tv;

    if (ms > RETRY_MAX_MS)
        ms = RETRY_MAX_MS;
    if (util_now_us() + (uint64_t)ms * 1000 >= c->t0_us + (uint64_t)s->timeout_ms * 1000)
        return 0;
    if (!c->later && !(c->later = evtimer_new(s->base, on_later, c)))
        return 0;
    c->waits++;
    c->hops = 0;
    tv.tv_sec = 0;
    tv.tv_usec = ms * 1000;
    evtimer_add(c->later, &tv);
    c->wprev = NULL;
    c->wnext = s->parked;
    if (s->parked)
        s->parked->wprev = c;
    s->parked = c;
    return 1;
}

/* A cluster error reply to c: follows it and returns 1, or 0 when c must
 * be answered with it (not a redirection, or too many). */
static int call_redirect(struct call *c, const redisReply *r)
{
    struct store *s = c->s;
    char addr[CLUSTER_ADDR_MAX];
    unsigned slot;
    struct node *to;

    switch (cluster_parse_error(r->str, r->len, &slot, addr, sizeof addr)) {
    case CLUSTER_ERR_MOVED:
        metrics_redis_redirect(0);
        to = node_at(s, addr);
        if (to && s->cluster) {
            s->slot_node[slot] = (short)node_index(s, to);
            map_refresh(s);
        }
        if (!to || ++c->hops > HOPS_MAX)
            return 0;
        call_resend(c, to, 0);
        return 1;
    case CLUSTER_ERR_ASK:
        metrics_redis_redirect(1);
        to = node_at(s, addr);
        if (!to || ++c->hops > HOPS_MAX)
            return 0;
        call_resend(c, to, 1);
        return 1;
    case CLUSTER_ERR_TRYAGAIN:
        metrics_redis_retry(0);
        return call_later(c);
    case CLUSTER_ERR_DOWN:
        metrics_redis_retry(1);
        map_refresh(s);
        return call_later(c);
    default:
        return 0;
    }
}

static int lost_library(const struct node *n, const redisReply *r)
{
    return node_functions(n) ? strncmp(r->str, "ERR Function not found", 22) == 0
                             : strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/* The script of c ran and answered `reply` on node n: keeps the reply and
 * sends the WAIT on the same connection. 1 when it is out. */
static int call_wait(struct call *c, struct node *n, const redisReply *reply)
{
    char *cmd, num[2][16];
    const char *argv[3] = {"WAIT", num[0], num[1]};
    long len;

    snprintf(num[0], sizeof num[0], "%d", c->wait_n);
    snprintf(num[1], sizeof num[1], "%d", c->wait_ms);
    if (!(c->kept = reply_dup(reply)))
        return 0;
    if ((len = store_format_command(&cmd, 3, argv, NULL)) < 0)
        return 0;
    free(c->cmd);
    c->cmd = cmd;
    c->cmdlen = (size_t)len;
    c->waiting = 1;
    if (call_queue(c, n, 0) == 0)
        return 1;
    c->waiting = 0;
    return 0;
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    struct call *c = priv;
    struct node *n = c->n;
    redisReply *reply = r;

    c->n = NULL;
    if (n)
        node_replied(n);
    if (c->waiting) {            /* the WAIT's answer: then the script's */
        if (c->acked)
            *c->acked = reply && reply->type == REDIS_REPLY_INTEGER ? (int)reply->integer : -1;
        call_finish(c, STORE_OK, c->kept);
        return;
    }
    if (reply && reply->type != REDIS_REPLY_ERROR && c->wait_n > 0 && c->cb && n &&
        node_owns(n, ac) && call_wait(c, n, reply))
        return;
    if (c->kept) {               /* a WAIT that could not be sent */
        call_finish(c, STORE_OK, reply);
        return;
    }
    if (reply && reply->type == REDIS_REPLY_ERROR && c->cb) {
        if (c->s->cluster && call_redirect(c, reply))
            return;        /* resent, waiting, or answered (and freed) */
        if (c->script >= 0 && !c->retried && n && node_owns(n, ac) && lost_library(n, reply)) {
            /* Redis lost its functions or script cache (a restart without
             * persistence, FUNCTION FLUSH, SCRIPT FLUSH, a failover to a
             * replica that never had them): load again and resend; both
             * run in order on this connection. A FUNCTION LOAD that finds
             * the library back (another usherd was quicker) fails
             * harmlessly. */
            c->retried = 1;
            if (node_reload(n, (enum script_id)c->script) == 0 && call_queue(c, n, 0) == 0)
                return;
        }
    }
    call_finish(c, reply ? STORE_OK : STORE_DOWN, reply);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;
    store_cb *cb = c->cb;

    /* the timer fires once, and only for a call not yet answered */
    USHER_ASSERT(cb != NULL);
    c->cb = NULL;
    if (c->waiting) {
        /* The script ran and its reply stands, replication unknown; the
         * WAIT's answer (or its connection's loss) frees the call later.
         * WAIT is not stuck, only slow: the connection stays. */
        if (c->acked)
            *c->acked = -1;
        c->acked = NULL;
        if (c->script >= 0)
            metrics_script((enum script_id)c->script, util_now_us() - c->t0_us, 1);
        cb(c->arg, STORE_OK, c->kept);
        return;
    }
    c->acked = NULL;
    if (c->script >= 0)
        metrics_script((enum script_id)c->script, util_now_us() - c->t0_us, 0);
    cb(c->arg, STORE_TIMEOUT, NULL);
    if (c->n) {
        /* The call stays queued in hiredis until the drop flushes it
         * through on_reply, which frees it. */
        node_drop(c->n, "a call timed out");
    } else {
        parked_unlink(c);                     /* waiting to resend: only here */
        call_finish(c, STORE_TIMEOUT, NULL);
    }
}

/* Sends a formatted command (taking ownership of cmd) to node n, or to
 * the node of `slot` when n is NULL. 0, or -1 (no callback). */
static int call_start(struct store *s, struct node *n, int slot, int script, char *cmd,
                      size_t len, int wait_n, int wait_ms, int *acked, store_cb *cb, void *arg)
{
    struct call *c = calloc(1, sizeof *c);

    if (!c)
        goto fail;
    *c = (struct call){.s = s, .cb = cb, .arg = arg, .cmd = cmd, .cmdlen = len,
                       .script = script, .slot = slot, .wait_n = wait_n,
                       .wait_ms = wait_ms, .acked = acked, .t0_us = util_now_us()};
    if (!(c->timer = evtimer_new(s->base, on_timeout, c)))
        goto fail;
    if (call_queue(c, n ? n : route(s, slot), 0) < 0) {
        /* a routed call in cluster mode waits for its node (the command
         * was not sent, so resending is safe); else answer 503 now */
        if (!s->cluster || n || !call_later(c))
            goto fail;
        map_refresh(s);
    }
    evtimer_add(c->timer, s->timeout);
    return 0;
fail:
    if (c && c->timer)
        event_free(c->timer);
    free(c);
    free(cmd);
    return -1;
}

/* ---- the slot map (cluster mode) ---- */

/* Takes the ranges of a fresh map. A slot the map leaves out keeps the
 * node it had (a shard caught mid-failover may list no primary that is
 * online yet): its calls still go there and a MOVED or CLUSTERDOWN says
 * the rest. Only the covered count, for /readyz, follows the new map. */
static void map_apply(struct store *s, const struct cluster_range *rg, int n)
{
    static __thread unsigned char named[CLUSTER_SLOTS];
    unsigned slot;
    int i, idx;

    memset(named, 0, sizeof named);
    memset(s->primary, 0, sizeof s->primary);
    s->covered = 0;
    for (i = 0; i < n; i++) {
        struct node *to = node_at(s, rg[i].addr);
        if (!to)
            continue;
        idx = node_index(s, to);
        s->primary[idx] = 1;
        for (slot = rg[i].first; slot <= rg[i].last; slot++) {
            if (!named[slot])
                s->covered++;
            named[slot] = 1;
            s->slot_node[slot] = (short)idx;
        }
    }
    s->map_ok = s->covered == CLUSTER_SLOTS && cluster_ranges_complete(rg, (size_t)n);
    s->mapped = 1;
    event_active(s->prune, EV_TIMEOUT, 1);
}

/* Frees the nodes the map no longer names (a failed primary, an address
 * gone with its pod) that are not seeds and have nothing queued, so that
 * years of failovers never fill the table. Runs from the loop, never
 * inside a hiredis callback (a node's connection cannot be freed from its
 * own callback). A slot still pointing at a freed node is unmapped: its
 * calls wait for the next map. */
static void on_prune(evutil_socket_t fd, short what, void *arg)
{
    struct store *s = arg;
    short to[NODES_MAX];
    size_t i, j = 0;
    unsigned slot;

    for (i = 0; i < s->nnodes; i++) {
        struct node *n = s->nodes[i];
        if (i >= s->nseeds && !s->primary[i] && node_queued(n) == 0) {
            util_log("info", "redis cluster: forgetting node %s", node_addr(n));
            if (s->asked == n)
                s->asked = NULL;
            node_destroy(n);
            to[i] = -1;
            continue;
        }
        to[i] = (short)j;
        s->primary[j] = s->primary[i];
        s->nodes[j++] = n;
    }
    if (j == s->nnodes)
        return;
    for (i = j; i < s->nnodes; i++)
        s->primary[i] = 0;
    s->nnodes = j;
    for (slot = 0; slot < CLUSTER_SLOTS; slot++)
        if (s->slot_node[slot] >= 0)
            s->slot_node[slot] = to[s->slot_node[slot]];
}

static void refresh_in(struct store *s, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    evtimer_add(s->refresh, &tv);
}

static void on_topology(void *arg, enum store_status st, const redisReply *r)
{
    struct store *s = arg;
    struct cluster_range *rg = NULL;
    char host[256] = "127.0.0.1";
    int port, n = -1;

    s->refreshing = 0;
    if (st == STORE_OK && r->type == REDIS_REPLY_ERROR && !s->use_slots &&
        (strstr(r->str, "nknown subcommand") || strstr(r->str, "nknown command"))) {
        s->use_slots = 1;        /* a Redis before 7.0 */
        map_refresh(s);
        return;
    }
    if (s->asked)
        cluster_split_addr(node_addr(s->asked), host, sizeof host, &port);
    if (st == STORE_OK && r->type == REDIS_REPLY_ARRAY &&
        (rg = malloc(sizeof *rg * CLUSTER_SLOTS)))
        n = s->use_slots ? cluster_parse_slots(r, host, rg, CLUSTER_SLOTS)
                         : cluster_parse_shards(r, host, rg, CLUSTER_SLOTS);
    if (n > 0) {
        int was_ok = s->map_ok;
        map_apply(s, rg, n);
        s->refreshed_us = util_now_us();
        metrics_redis_refresh(1);
        if (s->map_ok != was_ok || !s->map_ok)
            util_log(s->map_ok ? "info" : "warn", "redis cluster: %u of %d slots mapped on %d ranges",
                     s->covered, CLUSTER_SLOTS, n);
        refresh_in(s, s->map_ok ? REFRESH_EVERY_MS : REFRESH_FAILED_MS);
    } else {
        metrics_redis_refresh(0);
        if (st == STORE_OK)
            util_log("warn", "redis cluster: %s gave no usable slot map: %s",
                     s->asked ? node_addr(s->asked) : "?",
                     r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        refresh_in(s, REFRESH_FAILED_MS);
    }
    free(rg);
}

/* Asks a node for the map now: a connected one first, else the next in
 * turn (seeds included), so a lost node is asked no more than its turn. */
static void refresh_now(struct store *s)
{
    const char *shards[] = {"CLUSTER", "SHARDS"}, *slots[] = {"CLUSTER", "SLOTS"};
    struct node *n = NULL;
    char *cmd;
    long len;
    size_t i;

    if (s->refreshing)
        return;
    for (i = 0; i < s->nnodes && !n; i++)
        if (node_ready(s->nodes[(s->ask_next + i) % s->nnodes]))
            n = s->nodes[(s->ask_next + i) % s->nnodes];
    if (!n)
        n = s->nodes[s->ask_next % s->nnodes];
    s->ask_next++;
    s->asked = n;
    len = store_format_command(&cmd, 2, s->use_slots ? slots : shards, NULL);
    if (len >= 0 && call_start(s, n, -1, -1, cmd, (size_t)len, 0, 0, NULL, on_topology, s) == 0)
        s->refreshing = 1;
    else
        refresh_in(s, REFRESH_FAILED_MS);
}

/* A refresh is wanted (MOVED, a lost node, CLUSTERDOWN): now, or when a
 * second has passed since the last. */
static void map_refresh(struct store *s)
{
    uint64_t now = util_now_us(), due = s->refreshed_us + REFRESH_GAP_US;

    if (!s->cluster || s->refreshing)
        return;
    if (now >= due)
        refresh_now(s);
    else
        refresh_in(s, (int)((due - now) / 1000) + 1);
}

static void on_refresh_timer(evutil_socket_t fd, short what, void *arg)
{
    refresh_now(arg);
}

static void on_node_lost(void *owner, struct node *n)
{
    map_refresh(owner);
}

/* ---- the store ---- */

/* Copies "host:port" seeds (names resolved once, here) into nodes. */
static int add_seeds(struct store *s, const char *list)
{
    char item[CLUSTER_ADDR_MAX], host[256], num[256], addr[CLUSTER_ADDR_MAX];
    const char *p = list;
    int port;

    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || n >= sizeof item)
            return -1;
        memcpy(item, p, n);
        item[n] = '\0';
        if (cluster_split_addr(item, host, sizeof host, &port) < 0 ||
            resolve_host(host, num, sizeof num) < 0) {
            util_log("error", "cannot use redis cluster seed %s", item);
            return -1;
        }
        if (cluster_join_addr(addr, num, strlen(num), port) < 0 || !node_at(s, addr))
            return -1;
        p += n + (comma ? 1 : 0);
    }
    return s->nnodes ? 0 : -1;
}

struct store *store_create(struct event_base *base, const struct store_config *cfg)
{
    struct store *s = calloc(1, sizeof *s);
    char host[256];
    unsigned slot;

    if (!s)
        return NULL;
    s->base = base;
    s->cluster = cfg->cluster;
    s->timeout_ms = cfg->timeout_ms;
    snprintf(s->user, sizeof s->user, "%s", cfg->user ? cfg->user : "");
    snprintf(s->pass, sizeof s->pass, "%s", cfg->pass ? cfg->pass : "");
    snprintf(s->unix_path, sizeof s->unix_path, "%s", cfg->unix_path ? cfg->unix_path : "");
    s->ncfg = (struct node_config){.user = s->user, .pass = s->pass, .db = cfg->db,
                                   .no_scripts = cfg->no_scripts, .setup_ms = cfg->timeout_ms,
                                   .port = cfg->port};
    {
        /* Every call has the same timeout: a common timeout keeps them in
         * a queue with O(1) insertion instead of the timer heap. */
        struct timeval tv = {cfg->timeout_ms / 1000, (cfg->timeout_ms % 1000) * 1000};
        s->timeout = event_base_init_common_timeout(base, &tv);
    }
    for (slot = 0; slot < CLUSTER_SLOTS; slot++)
        s->slot_node[slot] = -1;
    if (!(s->refresh = evtimer_new(base, on_refresh_timer, s)) ||
        !(s->prune = event_new(base, -1, 0, on_prune, s)))
        goto fail;
    if (s->cluster) {
        if (add_seeds(s, cfg->host) < 0)
            goto fail;
        s->nseeds = s->nnodes;
        refresh_now(s);
        return s;
    }
    if (s->unix_path[0]) {
        s->ncfg.unix_path = s->unix_path;
    } else if (resolve_host(cfg->host, host, sizeof host) < 0) {
        util_log("error", "cannot resolve redis host %s", cfg->host);
        goto fail;
    } else {
        s->ncfg.host = host;
    }
    if (!(s->nodes[0] = node_create(base, &s->ncfg, NULL, NULL)))
        goto fail;
    s->nnodes = 1;
    s->primary[0] = 1;
    s->ncfg.host = NULL;
    node_start(s->nodes[0]);
    return s;
fail:
    store_destroy(s);
    return NULL;
}

void store_destroy(struct store *s)
{
    size_t i;

    if (!s)
        return;
    s->cluster = 0;           /* no refresh or wait from the calls failing now */
    while (s->parked) {
        struct call *c = s->parked;
        parked_unlink(c);
        call_finish(c, STORE_DOWN, NULL);
    }
    for (i = 0; i < s->nnodes; i++)
        node_destroy(s->nodes[i]);
    if (s->refresh)
        event_free(s->refresh);
    if (s->prune)
        event_free(s->prune);
    free(s);
}

int store_ready(const struct store *s)
{
    return s->cluster ? s->mapped : node_ready(s->nodes[0]);
}

/* The call's functions or scripts: a cluster (Redis 7 or later) always
 * has FUNCTION; one Redis says so when its library loaded. */
static int use_functions(const struct store *s)
{
    return s->cluster || node_functions(s->nodes[0]);
}

static int eval_start(struct store *s, enum script_id id, const struct event_keys *k,
                      int argc, const char **argv, const size_t *argvlen, int wait_n,
                      int wait_ms, int *acked, store_cb *cb, void *arg)
{
    int n = 3 + k->n + argc, i, rc = -1;
    char nkeys[8], *cmd;
    const char **v;
    size_t *l;
    long len;

    if (!store_ready(s))
        return -1;
    v = malloc(sizeof *v * (size_t)n);
    l = malloc(sizeof *l * (size_t)n);
    if (!v || !l)
        goto done;
    if (use_functions(s)) {
        v[0] = "FCALL"; l[0] = 5;
        v[1] = script_table[id].fn; l[1] = strlen(v[1]);
    } else {
        v[0] = "EVALSHA"; l[0] = 7;
        v[1] = node_sha(s->nodes[0], id); l[1] = 40;
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
    len = store_format_command(&cmd, n, v, l);
    if (len >= 0)
        rc = call_start(s, NULL, s->cluster ? (int)cluster_key_slot(k->key[0], k->len[0]) : -1,
                        (int)id, cmd, (size_t)len, wait_n, wait_ms, acked, cb, arg);
done:
    free(v);
    free(l);
    return rc;
}

int store_eval(struct store *s, enum script_id id, const struct event_keys *k,
               int argc, const char **argv, const size_t *argvlen,
               store_cb *cb, void *arg)
{
    return eval_start(s, id, k, argc, argv, argvlen, 0, 0, NULL, cb, arg);
}

int store_eval_wait(struct store *s, enum script_id id, const struct event_keys *k,
                    int argc, const char **argv, const size_t *argvlen, int replicas, int ms,
                    int *acked, store_cb *cb, void *arg)
{
    *acked = -1;
    return eval_start(s, id, k, argc, argv, argvlen, replicas, ms, acked, cb, arg);
}

/* Index of a command's key in argv, or -1 when it has none. */
static int command_key(int argc, const char **argv)
{
    int i;

    if (argc >= 2 && strcasecmp(argv[0], "XREAD") == 0) {
        for (i = 1; i + 1 < argc; i++)
            if (strcasecmp(argv[i], "STREAMS") == 0)
                return i + 1;
        return -1;
    }
    return argc >= 2 && strcasecmp(argv[0], "PING") != 0 ? 1 : -1;
}

int store_command(struct store *s, int argc, const char **argv,
                  const size_t *argvlen, store_cb *cb, void *arg)
{
    int slot = -1, key;
    char *cmd;
    long len;

    if (!store_ready(s))
        return -1;
    if (s->cluster && (key = command_key(argc, argv)) >= 0)
        slot = (int)cluster_key_slot(argv[key], argvlen ? argvlen[key] : strlen(argv[key]));
    if ((len = store_format_command(&cmd, argc, argv, argvlen)) < 0)
        return -1;
    return call_start(s, NULL, slot, -1, cmd, (size_t)len, 0, 0, NULL, cb, arg);
}

/* ---- checks and what /metrics shows ---- */

struct check {
    store_check_cb *cb;
    void *arg;
    int left, ok;
};

static void on_check_ping(void *arg, enum store_status st, const redisReply *r)
{
    struct check *k = arg;

    if (st != STORE_OK || r->type != REDIS_REPLY_STATUS)
        k->ok = 0;
    if (--k->left == 0) {
        k->cb(k->arg, k->ok);
        free(k);
    }
}

int store_check(struct store *s, store_check_cb *cb, void *arg)
{
    const char *ping[] = {"PING"};
    struct check *k;
    size_t i;

    if (!store_ready(s) || (s->cluster && !s->map_ok) || !(k = calloc(1, sizeof *k)))
        return -1;
    *k = (struct check){cb, arg, 1, 1};    /* one held until all are out */
    for (i = 0; i < s->nnodes; i++) {
        char *cmd;
        long len;
        if (!s->primary[i])
            continue;
        k->left++;
        len = store_format_command(&cmd, 1, ping, NULL);
        if (len < 0 || call_start(s, s->nodes[i], -1, -1, cmd, (size_t)len, 0, 0, NULL, on_check_ping, k) < 0) {
            k->ok = 0;
            k->left--;
        }
    }
    if (--k->left == 0) {      /* none could be queued */
        free(k);
        return -1;
    }
    return 0;
}

int store_node_info(const struct store *s, size_t i, struct store_node_info *out)
{
    if (i >= s->nnodes)
        return -1;
    out->addr = node_addr(s->nodes[i]);
    out->up = node_ready(s->nodes[i]);
    out->primary = s->primary[i];
    return 0;
}

unsigned store_slots_covered(const struct store *s)
{
    return s->cluster ? s->covered : CLUSTER_SLOTS;
}
