/* store — usherd's calls to Redis: one Redis, or a Redis Cluster.
 *
 * Each Redis server is a node (node.c: one hiredis async connection on the
 * libevent loop that reconnects with backoff, authenticates and loads the
 * scripts of lua/ as one Functions library, or each script on a Redis
 * without FUNCTION). The store runs scripts with FCALL (EVALSHA there),
 * reloads what a node lost and resends once, and bounds every call with a
 * libevent timer because hiredis 0.14 has no command timeouts. A call that
 * times out drops its node's connection, which fails every call still
 * queued on it, and the node reconnects.
 *
 * In cluster mode (redis-cluster://) the store keeps the slot map, read
 * with CLUSTER SHARDS (CLUSTER SLOTS on a Redis without it) from any node,
 * opens a node's connection when a call first goes there, and routes each
 * call by the hash slot of its first key (an event's keys share the tag
 * {event}, so one node runs each script). MOVED updates the slot and
 * resends there, ASK resends once with ASKING, TRYAGAIN and CLUSTERDOWN
 * resend with backoff while the call's deadline allows, then answer
 * STORE_DOWN. A MOVED, a lost node or CLUSTERDOWN refreshes the map, at
 * most once a second; it is also refreshed every 10 s. A call lost with
 * its connection is never resent: it may have run.
 *
 * Contract: a call accepted by store_eval()/store_command() gets exactly
 * one callback, later, never from inside the accepting function. The
 * reply is borrowed for the duration of the callback only. */
#ifndef USHER_STORE_H
#define USHER_STORE_H

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stddef.h>

#include "keys_gen.h"
#include "scripts_gen.h"

struct store;

struct store_config {
    int cluster;            /* host is a comma-separated list of host:port seeds */
    const char *host;       /* IPv4/IPv6 literal or name, when unix_path == NULL */
    int port;
    const char *unix_path;  /* or NULL */
    const char *user;       /* "" or NULL: no user */
    const char *pass;       /* "" or NULL: no AUTH */
    int db;
    int timeout_ms;
    int no_scripts;         /* a connection for plain commands only */
};

enum store_status {
    STORE_OK,        /* reply is set; it may be a Redis error reply */
    STORE_DOWN,      /* not connected, or the connection was lost */
    STORE_TIMEOUT,   /* no reply within timeout_ms */
};

typedef void store_cb(void *arg, enum store_status st, const redisReply *reply);

/* The keys of one event, in the order every script gets them (enum
 * event_key, generated from lua/keys.list), and for event_put five staging
 * keys after them (STORE_KEY_STAGE_SEATS, _LAYOUT, _PICK, _ROWS, _RUNS:
 * what PUT stages for the seats, layout, pick, rows and runs keys). All
 * share the hash tag {event}. */
#define STORE_KEY_STAGE_SEATS EVENT_KEYS
#define STORE_KEY_STAGE_LAYOUT (EVENT_KEYS + 1)
#define STORE_KEY_STAGE_PICK (EVENT_KEYS + 2)
#define STORE_KEY_STAGE_ROWS (EVENT_KEYS + 3)
#define STORE_KEY_STAGE_RUNS (EVENT_KEYS + 4)
#define STORE_STAGE_KEYS 5
#define STORE_KEYS_MAX (EVENT_KEYS + STORE_STAGE_KEYS)
#define STORE_KEY_MAX 128

struct event_keys {
    char key[STORE_KEYS_MAX][STORE_KEY_MAX];   /* key[KEY_META], ... */
    size_t len[STORE_KEYS_MAX];
    int n;                      /* keys in use: EVENT_KEYS, or STORE_KEYS_MAX with staging */
};

/* The key of the set of all event ids (not in any event's hash slot). */
#define STORE_EVENTS_KEY "usher:events"

/* Fills `k` for event id `event` (already validated: <= 64 id chars). */
void store_event_keys(struct event_keys *k, const char *event);

/* Adds the staging keys of one PUT of the event (usher:{E}:stage:<token>:
 * seats, :layout, :pick, :rows, :runs) after the event's keys. */
void store_event_stage_keys(struct event_keys *k, const char *event, const char *token);

/* Creates the client and starts connecting; resolves a host name once,
 * here, so that reconnects never block on DNS. Returns NULL on failure. */
struct store *store_create(struct event_base *base, const struct store_config *cfg);

/* Fails every pending call with STORE_DOWN, then frees. */
void store_destroy(struct store *s);

/* 1 when calls can be sent: connected with every script loaded; in
 * cluster mode, once a slot map was read (a call for a slot no node
 * serves then fails on its own: the other events go on). */
int store_ready(const struct store *s);

/* Asks every primary for PING (the one Redis, or each primary of the
 * slot map). cb gets ok = 1 when every one answered PONG and, in cluster
 * mode, the map covers every slot. Returns -1 when not ready (no
 * callback), else 0 and one callback later. */
typedef void store_check_cb(void *arg, int ok);
int store_check(struct store *s, store_check_cb *cb, void *arg);

/* What /metrics shows of node i (0 .. count-1): 0, or -1 past the last. */
struct store_node_info {
    const char *addr;
    int up;          /* connected, scripts in */
    int primary;     /* serves slots in the map (always, for one Redis) */
};
int store_node_info(const struct store *s, size_t i, struct store_node_info *out);
/* Slots the map covers (16384 for one Redis). */
unsigned store_slots_covered(const struct store *s);

/* Runs script `id` with the event's keys and argv. Returns 0 when the call
 * was accepted (one callback will follow) or -1 when the store is not
 * ready (no callback; answer 503). argv/argvlen are copied. */
int store_eval(struct store *s, enum script_id id, const struct event_keys *k,
               int argc, const char **argv, const size_t *argvlen,
               store_cb *cb, void *arg);

/* As store_eval(), then, when the script's reply is not an error, WAIT
 * `replicas` `ms` on the connection that ran it, before the callback:
 * *acked gets how many replicas acknowledged every write of that
 * connection so far, or -1 when that is not known (the WAIT failed, its
 * connection was lost, or the call's deadline came first). The callback
 * gets the script's reply in every one of these cases: what the script
 * did stands (a sale is never answered "not sold" for want of replicas).
 * A WAIT holds up the calls queued behind it on that connection. */
int store_eval_wait(struct store *s, enum script_id id, const struct event_keys *k,
                    int argc, const char **argv, const size_t *argvlen, int replicas, int ms,
                    int *acked, store_cb *cb, void *arg);

/* Sends one plain command. Same contract as store_eval(). In cluster
 * mode it goes to the node of its key: argv[1], or the key after STREAMS
 * of XREAD; a command without a key goes to the node of slot 0. */
int store_command(struct store *s, int argc, const char **argv,
                  const size_t *argvlen, store_cb *cb, void *arg);

/* Formats one command as RESP ("*N\r\n" then "$len\r\n<arg>\r\n" per
 * argument; argvlen NULL: strlen) into a malloc'd *out, as hiredis'
 * redisFormatCommandArgv does but without a sprintf per argument (that
 * was a fifth of usherd's instructions per request). Returns the length,
 * or -1 when out of memory. */
long store_format_command(char **out, int argc, const char **argv, const size_t *argvlen);

#endif
