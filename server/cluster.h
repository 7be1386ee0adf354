/* cluster — the pure parts of Redis Cluster routing, with no I/O (store.c
 * does that): the hash slot of a key (CRC16 of its hash tag, as the
 * Cluster specification defines it), the slot map read from a CLUSTER
 * SHARDS or CLUSTER SLOTS reply, and what an error reply asks of the
 * client (MOVED, ASK, TRYAGAIN, CLUSTERDOWN).
 *
 * Every key of one event carries the tag {event}, so all of an event's
 * keys share one slot and one node, and every script stays single-node. */
#ifndef USHER_CLUSTER_H
#define USHER_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#define CLUSTER_SLOTS 16384
#define CLUSTER_ADDR_MAX 300       /* "host:port" */

/* The slot of `key`: CRC16 of the text between the first '{' and the
 * next '}' when that is not empty, else of the whole key, mod 16384. */
unsigned cluster_key_slot(const char *key, size_t len);

/* One range of slots and the address of the primary that serves it. */
struct cluster_range {
    unsigned first, last;
    char addr[CLUSTER_ADDR_MAX];
};

/* Parses a CLUSTER SHARDS reply (RESP2: each shard a flat list of
 * "slots" [first, last, ...] and "nodes" [flat field lists]; slot bounds
 * integers or strings) into at most `max` ranges served by each shard's
 * primary. A node that gives no usable address ("ip" and "endpoint"
 * empty or "?") is given `asked_host`, the host the reply came from.
 * Returns the number of ranges, or -1 when the reply is not a shard list
 * or names a slot out of range. Shards without a primary are skipped. */
int cluster_parse_shards(const redisReply *r, const char *asked_host,
                         struct cluster_range *out, size_t max);

/* The same from a CLUSTER SLOTS reply ([first, last, [ip, port, id],
 * replicas...] per range), the fallback for a Redis before 7.0. */
int cluster_parse_slots(const redisReply *r, const char *asked_host,
                        struct cluster_range *out, size_t max);

/* Whether ranges cover every slot exactly once (a map that can serve
 * every event). */
int cluster_ranges_complete(const struct cluster_range *ranges, size_t n);

enum cluster_error {
    CLUSTER_ERR_OTHER,       /* not a cluster redirection: the caller's answer */
    CLUSTER_ERR_MOVED,       /* the slot lives at addr now: remember, resend there */
    CLUSTER_ERR_ASK,         /* this one command goes to addr after ASKING */
    CLUSTER_ERR_TRYAGAIN,    /* keys of the slot are moving: resend later */
    CLUSTER_ERR_DOWN,        /* CLUSTERDOWN: resend later */
};

/* Reads an error reply's text. For MOVED and ASK fills *slot and addr
 * ("host:port", the host part as Redis sent it; an empty host is the
 * asked node's, left to the caller). A malformed redirection is OTHER. */
enum cluster_error cluster_parse_error(const char *str, size_t len, unsigned *slot,
                                       char *addr, size_t addrlen);

/* "host:port" into out (CLUSTER_ADDR_MAX bytes), the host in brackets
 * when it has a ':' (IPv6), as cluster_split_addr reads it. 0, or -1 when
 * it does not fit. */
int cluster_join_addr(char *out, const char *host, size_t hostlen, long port);

/* Splits "host:port" (the port after the last ':'; "[v6]:port" too) into
 * host and port. 0 or -1. */
int cluster_split_addr(const char *addr, char *host, size_t hostlen, int *port);

#endif
