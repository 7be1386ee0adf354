/* config — see config.h. */
#include "config.h"

#include "guard.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_REDIS "redis://127.0.0.1:6379"

static int parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_ms(const char *s, int min, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || v < 0 || v > 3600000)
        return -1;
    if (strcmp(end, "s") == 0)
        v *= 1000;
    else if (*end != '\0' && strcmp(end, "ms") != 0)
        return -1;
    if (v < min || v > 3600000)
        return -1;
    *out = (int)v;
    return 0;
}

int config_parse_hostport(const char *s, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    size_t hl;

    if (!colon || colon == s)
        return -1;
    hl = (size_t)(colon - s);
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {   /* [::1]:8080 */
        s++;
        hl -= 2;
    }
    if (hl >= cap)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    return parse_port(colon + 1, port);
}

int config_parse_listen(struct config *c, const char *s)
{
    return config_parse_hostport(s, c->listen_host, sizeof c->listen_host, &c->listen_port);
}

static int parse_count(const char *s, long min, long max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* user[:pass]@ in front of p (up to `end`): into redis_user/_pass; the
 * text after the '@' (or p), or NULL when malformed. */
static const char *parse_userinfo(struct config *c, const char *p, const char *end)
{
    const char *at = memchr(p, '@', (size_t)(end - p)), *colon;
    size_t n;

    if (!at)
        return p;
    colon = memchr(p, ':', (size_t)(at - p));
    n = (size_t)((colon ? colon : at) - p);
    if (n >= sizeof c->redis_user)
        return NULL;
    memcpy(c->redis_user, p, n);
    c->redis_user[n] = '\0';
    if (colon) {
        n = (size_t)(at - colon - 1);
        if (n >= sizeof c->redis_pass)
            return NULL;
        memcpy(c->redis_pass, colon + 1, n);
        c->redis_pass[n] = '\0';
    }
    return at + 1;
}

/* [user:pass@]host:port[,host:port...]: every seed needs its port; no
 * database (a cluster has only 0). */
static int parse_cluster_url(struct config *c, const char *p)
{
    const char *end = p + strlen(p), *q;
    char host[256];
    int port;

    if (!(p = parse_userinfo(c, p, end)) || *p == '\0' || (size_t)(end - p) >= sizeof c->redis_host)
        return -1;
    for (q = p; q < end;) {
        const char *comma = memchr(q, ',', (size_t)(end - q));
        size_t n = comma ? (size_t)(comma - q) : (size_t)(end - q);
        char seed[300];
        if (n == 0 || n >= sizeof seed)
            return -1;
        memcpy(seed, q, n);
        seed[n] = '\0';
        if (strchr(seed, '/') || config_parse_hostport(seed, host, sizeof host, &port) < 0 ||
            host[0] == '\0')
            return -1;
        q += n + (comma ? 1 : 0);
        if (comma && q == end)
            return -1;
    }
    memcpy(c->redis_host, p, (size_t)(end - p) + 1);
    c->redis_cluster = 1;
    return 0;
}

int config_parse_redis_url(struct config *c, const char *url)
{
    const char *p, *slash, *colon;
    char port[8];
    size_t n;

    c->redis_unix[0] = c->redis_host[0] = '\0';
    c->redis_user[0] = c->redis_pass[0] = '\0';
    c->redis_port = 6379;
    c->redis_db = 0;
    c->redis_cluster = 0;
    if (strncmp(url, "redis-cluster://", 16) == 0)
        return parse_cluster_url(c, url + 16);
    if (strncmp(url, "unix://", 7) == 0) {
        p = url + 7;
        if (*p != '/' || strlen(p) >= sizeof c->redis_unix)
            return -1;
        strcpy(c->redis_unix, p);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return -1;
    p = url + 8;
    slash = strchr(p, '/');
    if (!(p = parse_userinfo(c, p, slash ? slash : p + strlen(p))))
        return -1;
    n = slash ? (size_t)(slash - p) : strlen(p);
    colon = memchr(p, ':', n);
    if (colon) {
        size_t pl = n - (size_t)(colon - p) - 1;
        if (pl == 0 || pl >= sizeof port)
            return -1;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
        if (parse_port(port, &c->redis_port) < 0)
            return -1;
        n = (size_t)(colon - p);
    }
    if (n == 0 || n >= sizeof c->redis_host)
        return -1;
    memcpy(c->redis_host, p, n);
    c->redis_host[n] = '\0';
    if (slash && slash[1]) {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end != '\0' || db < 0 || db > 1000)
            return -1;
        c->redis_db = (int)db;
    }
    return 0;
}

/* "N:MS": N replicas (1-16), MS milliseconds (1-60000); "off" or "0". */
static int parse_reserve_wait(struct config *c, const char *v)
{
    const char *colon = strchr(v, ':');
    char n[8];

    if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
        c->reserve_wait_n = c->reserve_wait_ms = 0;
        return 0;
    }
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof n)
        return -1;
    memcpy(n, v, (size_t)(colon - v));
    n[colon - v] = '\0';
    if (parse_count(n, 1, 16, &c->reserve_wait_n) < 0 ||
        parse_count(colon + 1, 1, 60000, &c->reserve_wait_ms) < 0)
        return -1;
    return 0;
}

static void print_help(void)
{
    printf(
"usage: usherd [options]\n"
"\n"
"Reserved-seating inventory server: HTTP/1.1 in front, Redis behind.\n"
"\n"
"  --listen HOST:PORT       address to serve HTTP on (env USHER_LISTEN,\n"
"                           default " DEFAULT_LISTEN ")\n"
"  --redis URL              redis://[user:pass@]host[:port][/db],\n"
"                           unix:///path/to.sock or (Redis Cluster, 7.0 or\n"
"                           later) redis-cluster://[user:pass@]host:port\n"
"                           [,host:port...] (env USHER_REDIS_URL,\n"
"                           default " DEFAULT_REDIS ")\n"
"  --redis-timeout MS       answer 503 when Redis has not replied after this\n"
"                           (env USHER_REDIS_TIMEOUT, default 2000ms;\n"
"                           suffix s or ms)\n"
"  --sweep-interval MS      period of the expired-hold sweep (env\n"
"                           USHER_SWEEP_INTERVAL, default 1000ms)\n"
"  --journal-max N          change journal entries kept per event, about\n"
"                           (env USHER_JOURNAL_MAX, default 100000; at least\n"
"                           100; applies to events created or replaced after)\n"
"  --sse-heartbeat MS       comment line to stream clients this often (env\n"
"                           USHER_SSE_HEARTBEAT, default 15s)\n"
"  --sse-max-buffer BYTES   drop a stream client with this much unsent\n"
"                           (env USHER_SSE_MAX_BUFFER, default 1MiB; k/M)\n"
"  --access-log FILE|-      one JSON line per request to FILE, or stdout\n"
"                           (env USHER_ACCESS_LOG, default none)\n"
"  --keys FILE              API keys, one role:key per line, roles checkout\n"
"                           and admin (env USHER_KEYS_FILE; USHER_KEYS may\n"
"                           hold role:key,role:key too). Without keys\n"
"                           every route is open.\n"
"  --admin-listen HOST:PORT also serve /healthz, /readyz, /metrics and the\n"
"                           ops pages here (env USHER_ADMIN_LISTEN)\n"
"  --ip-rate R[:BURST]      requests/s per client address, 0 = off (env\n"
"                           USHER_IP_RATE, default 0)\n"
"  --trusted-proxies LIST   ADDR[/BITS],...: peers (load balancers) whose\n"
"                           X-Forwarded-For names the client, for --ip-rate\n"
"                           and the access log (env USHER_TRUSTED_PROXIES,\n"
"                           default none: the TCP peer is the client)\n"
"  --key-rate R[:BURST]     requests/s per API key, 0 = off (env\n"
"                           USHER_KEY_RATE, default 0)\n"
"  --max-inflight N         shed new requests with 503 overloaded while more\n"
"                           than N wait on Redis, 0 = never (env\n"
"                           USHER_MAX_INFLIGHT, default 512)\n"
"  --shed-latency MS        shrink the in-flight limit while admitted\n"
"                           requests take longer than this on average, grow\n"
"                           it back when they are faster; 0 = a fixed limit\n"
"                           (env USHER_SHED_LATENCY, default 5ms)\n"
"  --max-connections N      open client connections at most; beyond, new\n"
"                           ones get a canned 503 and are closed (env\n"
"                           USHER_MAX_CONNECTIONS, default 16384, lowered to\n"
"                           fit the open-file limit)\n"
"  --batch-max N            hold operations of one event sent to Redis in one\n"
"                           call, at most; 1 = each alone (env\n"
"                           USHER_BATCH_MAX, default 64)\n"
"  --threads N              event loops, each its own Redis connections; the\n"
"                           kernel spreads connections over them (env\n"
"                           USHER_THREADS, default 1, at most 64)\n"
"  --reserve-wait N:MS      after a call that sells seats, WAIT until N\n"
"                           replicas have its writes or MS passed; the sale\n"
"                           stands either way, the answer says whether it was\n"
"                           replicated (env USHER_RESERVE_WAIT, default off;\n"
"                           MS below --redis-timeout)\n"
"  --queue-secret S         signs waiting-room admissions (HMAC-SHA256): the\n"
"                           same in every usherd of an event, 16 to 255\n"
"                           characters (env USHER_QUEUE_SECRET; without it no\n"
"                           event may have a queue)\n"
"  --queue-secret-old S     still accepted when checking admissions, for a\n"
"                           rotation (env USHER_QUEUE_SECRET_OLD)\n"
"  --idle-timeout S         close a connection idle, or stalled in the middle\n"
"                           of a request or reply, this long (env\n"
"                           USHER_IDLE_TIMEOUT, default 30 s)\n"
"  --help                   print this help and exit\n"
"  --version                print the version and exit\n");
}

static int apply(struct config *c, int opt, const char *v)
{
    switch (opt) {
    case 'l': return config_parse_listen(c, v);
    case 'r':
        if (strlen(v) >= sizeof c->redis_url)
            return -1;
        strcpy(c->redis_url, v);
        return config_parse_redis_url(c, v);
    case 't': return parse_ms(v, 10, &c->redis_timeout_ms);
    case 's': return parse_ms(v, 10, &c->sweep_interval_ms);
    case 'b': return parse_ms(v, 50, &c->sse_heartbeat_ms);
    case 'a':
        if (strlen(v) >= sizeof c->access_log)
            return -1;
        strcpy(c->access_log, v);
        return 0;
    case 'm': {
        char *end;
        long n = strtol(v, &end, 10);
        if (*v == '\0' || n < 1 || n > 1024L * 1024 * 1024)
            return -1;
        if (strcmp(end, "KiB") == 0 || strcmp(end, "k") == 0)
            n *= 1024;
        else if (strcmp(end, "MiB") == 0 || strcmp(end, "M") == 0)
            n *= 1024 * 1024;
        else if (*end)
            return -1;
        if (n < 1024 || n > 1024L * 1024 * 1024)
            return -1;
        c->sse_max_buffer = (int)n;
        return 0;
    }
    case 'k':
        if (strlen(v) >= sizeof c->keys_file)
            return -1;
        strcpy(c->keys_file, v);
        return 0;
    case 'A': return config_parse_hostport(v, c->admin_host, sizeof c->admin_host, &c->admin_port);
    case 'I': return guard_parse_rate(v, &c->ip_rate, &c->ip_burst);
    case 'K': return guard_parse_rate(v, &c->key_rate, &c->key_burst);
    case 'P': return proxy_parse(&c->trusted_proxies, v);
    case 'F': return parse_count(v, 0, 10000000, &c->max_inflight);
    case 'T': return parse_count(v, 1, 3600, &c->idle_timeout_s);
    case 'C': return parse_count(v, 1, 10000000, &c->max_connections);
    case 'L': return parse_ms(v, 0, &c->shed_latency_ms);
    case 'B': return parse_count(v, 1, 256, &c->batch_max);
    case 'W': return parse_reserve_wait(c, v);
    case 'N': return parse_count(v, 1, 64, &c->threads);
    case 'Q':
    case 'O': {
        char *to = opt == 'Q' ? c->queue_secret : c->queue_secret_old;
        size_t n = strlen(v);
        if (n < 16 || n >= sizeof c->queue_secret)
            return -1;
        memcpy(to, v, n + 1);
        return 0;
    }
    case 'j': {
        char *end;
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || n < 100 || n > 100000000)
            return -1;
        c->journal_max = (int)n;
        return 0;
    }
    }
    return -1;
}

static const char *opt_name(const struct option *opts, int opt)
{
    for (; opts->name; opts++)
        if (opts->val == opt)
            return opts->name;
    return "?";
}

int config_load(struct config *c, int argc, char **argv, char *err, int errlen)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"redis", required_argument, NULL, 'r'},
        {"redis-timeout", required_argument, NULL, 't'},
        {"sweep-interval", required_argument, NULL, 's'},
        {"journal-max", required_argument, NULL, 'j'},
        {"sse-heartbeat", required_argument, NULL, 'b'},
        {"sse-max-buffer", required_argument, NULL, 'm'},
        {"access-log", required_argument, NULL, 'a'},
        {"keys", required_argument, NULL, 'k'},
        {"admin-listen", required_argument, NULL, 'A'},
        {"ip-rate", required_argument, NULL, 'I'},
        {"key-rate", required_argument, NULL, 'K'},
        {"trusted-proxies", required_argument, NULL, 'P'},
        {"max-inflight", required_argument, NULL, 'F'},
        {"idle-timeout", required_argument, NULL, 'T'},
        {"max-connections", required_argument, NULL, 'C'},
        {"shed-latency", required_argument, NULL, 'L'},
        {"batch-max", required_argument, NULL, 'B'},
        {"reserve-wait", required_argument, NULL, 'W'},
        {"threads", required_argument, NULL, 'N'},
        {"queue-secret", required_argument, NULL, 'Q'},
        {"queue-secret-old", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    static const struct { int opt; const char *env; } envs[] = {
        {'l', "USHER_LISTEN"}, {'r', "USHER_REDIS_URL"},
        {'t', "USHER_REDIS_TIMEOUT"}, {'s', "USHER_SWEEP_INTERVAL"},
        {'j', "USHER_JOURNAL_MAX"}, {'b', "USHER_SSE_HEARTBEAT"},
        {'m', "USHER_SSE_MAX_BUFFER"}, {'a', "USHER_ACCESS_LOG"},
        {'k', "USHER_KEYS_FILE"}, {'A', "USHER_ADMIN_LISTEN"}, {'I', "USHER_IP_RATE"},
        {'K', "USHER_KEY_RATE"}, {'F', "USHER_MAX_INFLIGHT"}, {'T', "USHER_IDLE_TIMEOUT"},
        {'C', "USHER_MAX_CONNECTIONS"}, {'L', "USHER_SHED_LATENCY"},
        {'P', "USHER_TRUSTED_PROXIES"}, {'B', "USHER_BATCH_MAX"},
        {'W', "USHER_RESERVE_WAIT"}, {'N', "USHER_THREADS"},
        {'Q', "USHER_QUEUE_SECRET"}, {'O', "USHER_QUEUE_SECRET_OLD"},
    };
    size_t i;
    int opt;

    memset(c, 0, sizeof *c);
    apply(c, 'l', DEFAULT_LISTEN);
    apply(c, 'r', DEFAULT_REDIS);
    c->redis_timeout_ms = 2000;
    c->sweep_interval_ms = 1000;
    c->journal_max = 100000;
    c->sse_heartbeat_ms = 15000;
    c->sse_max_buffer = 1024 * 1024;
    c->max_inflight = 512;
    c->idle_timeout_s = 30;
    c->max_connections = 16384;
    c->shed_latency_ms = 5;
    c->batch_max = 64;
    c->threads = 1;
    c->keys_list = getenv("USHER_KEYS");
    for (i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        const char *v = getenv(envs[i].env);
        if (v && *v && apply(c, envs[i].opt, v) < 0) {
            snprintf(err, (size_t)errlen, "bad value for %s: %s", envs[i].env, v);
            return -1;
        }
    }
    optind = 0;   /* glibc: 0 restarts getopt completely */
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'h') {
            print_help();
            return 1;
        }
        if (opt == 'V') {
            printf("usherd %s\n", USHER_VERSION);
            return 1;
        }
        if (opt == '?') {
            snprintf(err, (size_t)errlen, "unknown option (see --help)");
            return -1;
        }
        if (apply(c, opt, optarg) < 0) {
            snprintf(err, (size_t)errlen, "bad value for --%s: %s",
                     opt_name(opts, opt),
                     optarg);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, (size_t)errlen, "unexpected argument: %s", argv[optind]);
        return -1;
    }
    /* the WAIT runs inside the call's deadline: a sale must never time out
     * into a 503 because its replication was slow */
    if (c->reserve_wait_n && c->reserve_wait_ms >= c->redis_timeout_ms) {
        snprintf(err, (size_t)errlen, "--reserve-wait MS (%d) must be below --redis-timeout (%d)",
                 c->reserve_wait_ms, c->redis_timeout_ms);
        return -1;
    }
    /* a stream's heartbeat is what keeps it under the idle timeout */
    if (c->sse_heartbeat_ms >= c->idle_timeout_s * 1000)
        c->sse_heartbeat_ms = c->idle_timeout_s * 1000 / 2;
    return 0;
}
