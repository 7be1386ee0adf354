/* config — usherd's settings: defaults, then USHER_* environment
 * variables, then command-line flags (getopt_long). Also parses the
 * listen address and the Redis URL. Owns nothing on the heap. */
#ifndef USHER_CONFIG_H
#define USHER_CONFIG_H

#include <stddef.h>

#include "proxy.h"

struct config {
    char listen_host[256];
    int listen_port;
    char redis_url[512];
    /* parsed from redis_url: either unix_path or host:port, or with
     * redis_cluster the seeds "host:port,host:port..." in redis_host */
    int redis_cluster;
    char redis_host[512];
    int redis_port;
    char redis_unix[256];
    char redis_user[128];
    char redis_pass[256];
    int redis_db;
    int redis_timeout_ms;    /* per Redis call; 503 after it */
    int sweep_interval_ms;   /* period of the expired-hold sweep */
    int journal_max;         /* change journal entries kept per event (about) */
    int batch_max;           /* hold operations per Redis call, at most (batch.h) */
    int threads;             /* event loops (--threads) */
    int reserve_wait_n;      /* WAIT for this many replicas after a sale; 0 = off */
    int reserve_wait_ms;     /* ... at most this long (below redis_timeout_ms) */
    int sse_heartbeat_ms;    /* comment line to every stream client this often */
    int sse_max_buffer;      /* unsent bytes after which a stream client is dropped */
    char access_log[512];    /* "" none, "-" stdout, else a file */
    char keys_file[512];     /* "" none: role:key lines */
    const char *keys_list;   /* USHER_KEYS ("role:key,..."), or NULL */
    double ip_rate, ip_burst;     /* per client address; 0 = off */
    struct proxy_list trusted_proxies;  /* peers whose X-Forwarded-For counts */
    double key_rate, key_burst;   /* per API key; 0 = off */
    int max_inflight;        /* requests waiting on Redis before shedding */
    int shed_latency_ms;     /* the in-flight limit shrinks when answers are slower */
    int idle_timeout_s;      /* a connection silent (or stalled mid-request) this long is closed */
    int max_connections;     /* open client connections at most */
    char queue_secret[256];  /* "" none: no event may have a waiting room */
    char queue_secret_old[256];   /* "" none: also accepted (rotation) */
    char admin_host[256];    /* "" = no separate admin listener */
    int admin_port;
};

/* Fills `c` from defaults, environment and argv. Returns 0 to run, 1 when
 * --help or --version was printed (exit 0), -1 on a bad setting with the
 * reason in err (exit 2). */
int config_load(struct config *c, int argc, char **argv, char *err, int errlen);

/* Parses "HOST:PORT" into c->listen_host / c->listen_port. 0 or -1. */
int config_parse_listen(struct config *c, const char *s);

/* Parses "HOST:PORT" or "[v6]:PORT" into host (cap bytes) and *port. */
int config_parse_hostport(const char *s, char *host, size_t cap, int *port);

/* Parses redis://[user:pass@]host[:port][/db], unix:///path or
 * redis-cluster://[user:pass@]host:port[,host:port...] into the redis_*
 * fields. 0 or -1. */
int config_parse_redis_url(struct config *c, const char *url);

#endif
