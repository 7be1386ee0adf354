/* cluster — see cluster.h. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the one the
 * Cluster specification names; bit by bit, as keys here are short. */
static unsigned crc16(const char *p, size_t len)
{
    unsigned crc = 0;
    size_t i;
    int b;

    for (i = 0; i < len; i++) {
        crc ^= (unsigned)(unsigned char)p[i] << 8;
        for (b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

unsigned cluster_key_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len), *close;

    if (open) {
        size_t rest = len - (size_t)(open - key) - 1;
        close = memchr(open + 1, '}', rest);
        if (close && close > open + 1)
            return crc16(open + 1, (size_t)(close - open - 1)) & (CLUSTER_SLOTS - 1);
    }
    return crc16(key, len) & (CLUSTER_SLOTS - 1);
}

/* An integer reply or a decimal string reply as a number in [0, max];
 * -1 when it is neither or out of range. */
static long int_of(const redisReply *r, long max)
{
    long v;
    char buf[16], *end;

    if (r->type == REDIS_REPLY_INTEGER) {
        if (r->integer < 0 || r->integer > max)
            return -1;
        return (long)r->integer;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= sizeof buf)
        return -1;
    memcpy(buf, r->str, r->len);
    buf[r->len] = '\0';
    v = strtol(buf, &end, 10);
    return *end || v < 0 || v > max ? -1 : v;
}

static long slot_of(const redisReply *r) { return int_of(r, CLUSTER_SLOTS - 1); }

static long port_of(const redisReply *r)
{
    long v = int_of(r, 65535);

    return v > 0 ? v : -1;
}

static int usable_host(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_STRING && r->len > 0 &&
           !(r->len == 1 && r->str[0] == '?');
}

int cluster_join_addr(char *out, const char *host, size_t hostlen, long port)
{
    int n = memchr(host, ':', hostlen)
                ? snprintf(out, CLUSTER_ADDR_MAX, "[%.*s]:%ld", (int)hostlen, host, port)
                : snprintf(out, CLUSTER_ADDR_MAX, "%.*s:%ld", (int)hostlen, host, port);
    return n > 0 && n < CLUSTER_ADDR_MAX ? 0 : -1;
}

/* The value after field `name` in a flat field list, or NULL. */
static const redisReply *field(const redisReply *list, const char *name)
{
    size_t i, n = strlen(name);

    if (list->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (i = 0; i + 1 < list->elements; i += 2) {
        const redisReply *k = list->element[i];
        if (k->type == REDIS_REPLY_STRING && k->len == n && memcmp(k->str, name, n) == 0)
            return list->element[i + 1];
    }
    return NULL;
}

static int field_is(const redisReply *list, const char *name, const char *want)
{
    const redisReply *v = field(list, name);

    return v && v->type == REDIS_REPLY_STRING && v->len == strlen(want) &&
           memcmp(v->str, want, v->len) == 0;
}

/* The address of a shard's primary into out. 0, or -1 when none. */
static int shard_primary(const redisReply *nodes, const char *asked_host, char *out)
{
    size_t i;

    if (!nodes || nodes->type != REDIS_REPLY_ARRAY)
        return -1;
    for (i = 0; i < nodes->elements; i++) {
        const redisReply *n = nodes->element[i], *host, *port;
        if (!field_is(n, "role", "master"))
            continue;
        if (field(n, "health") && !field_is(n, "health", "online"))
            continue;
        host = field(n, "ip");
        if (!usable_host(host))
            host = field(n, "endpoint");
        port = field(n, "port");
        if (!port || port_of(port) < 0)
            port = field(n, "tls-port");
        if (!port || port_of(port) < 0)
            return -1;
        if (usable_host(host))
            return cluster_join_addr(out, host->str, host->len, port_of(port));
        return cluster_join_addr(out, asked_host, strlen(asked_host), port_of(port));
    }
    return -1;
}

int cluster_parse_shards(const redisReply *r, const char *asked_host,
                         struct cluster_range *out, size_t max)
{
    size_t i, j, n = 0;

    if (r->type != REDIS_REPLY_ARRAY)
        return -1;
    for (i = 0; i < r->elements; i++) {
        const redisReply *sh = r->element[i], *slots = field(sh, "slots");
        char addr[CLUSTER_ADDR_MAX];
        if (!slots || slots->type != REDIS_REPLY_ARRAY || slots->elements % 2)
            return -1;
        if (slots->elements == 0 || shard_primary(field(sh, "nodes"), asked_host, addr) < 0)
            continue;
        for (j = 0; j < slots->elements; j += 2) {
            long a = slot_of(slots->element[j]), b = slot_of(slots->element[j + 1]);
            if (a < 0 || b < a || n == max)
                return -1;
            out[n].first = (unsigned)a;
            out[n].last = (unsigned)b;
            memcpy(out[n].addr, addr, sizeof addr);
            n++;
        }
    }
    return (int)n;
}

int cluster_parse_slots(const redisReply *r, const char *asked_host,
                        struct cluster_range *out, size_t max)
{
    size_t i, n = 0;

    if (r->type != REDIS_REPLY_ARRAY)
        return -1;
    for (i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i], *node;
        long a, b, port;
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3)
            return -1;
        a = slot_of(e->element[0]);
        b = slot_of(e->element[1]);
        node = e->element[2];
        if (a < 0 || b < a || node->type != REDIS_REPLY_ARRAY || node->elements < 2 || n == max)
            return -1;
        if ((port = port_of(node->element[1])) < 0)
            return -1;
        out[n].first = (unsigned)a;
        out[n].last = (unsigned)b;
        if (usable_host(node->element[0])
                ? cluster_join_addr(out[n].addr, node->element[0]->str, node->element[0]->len, port)
                : cluster_join_addr(out[n].addr, asked_host, strlen(asked_host), port))
            return -1;
        n++;
    }
    return (int)n;
}

int cluster_ranges_complete(const struct cluster_range *ranges, size_t n)
{
    static __thread unsigned char seen[CLUSTER_SLOTS];
    size_t i, covered = 0;
    unsigned s;

    memset(seen, 0, sizeof seen);
    for (i = 0; i < n; i++)
        for (s = ranges[i].first; s <= ranges[i].last && s < CLUSTER_SLOTS; s++) {
            if (seen[s])
                return 0;
            seen[s] = 1;
            covered++;
        }
    return covered == CLUSTER_SLOTS;
}

enum cluster_error cluster_parse_error(const char *str, size_t len, unsigned *slot,
                                       char *addr, size_t addrlen)
{
    enum cluster_error kind;
    const char *p, *end = str + len, *sp;
    char num[8];
    long v;
    size_t n;

    if (len >= 8 && memcmp(str, "TRYAGAIN", 8) == 0)
        return CLUSTER_ERR_TRYAGAIN;
    if (len >= 11 && memcmp(str, "CLUSTERDOWN", 11) == 0)
        return CLUSTER_ERR_DOWN;
    if (len > 6 && memcmp(str, "MOVED ", 6) == 0) {
        kind = CLUSTER_ERR_MOVED;
        p = str + 6;
    } else if (len > 4 && memcmp(str, "ASK ", 4) == 0) {
        kind = CLUSTER_ERR_ASK;
        p = str + 4;
    } else {
        return CLUSTER_ERR_OTHER;
    }
    sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp == p || (size_t)(sp - p) >= sizeof num)
        return CLUSTER_ERR_OTHER;
    memcpy(num, p, (size_t)(sp - p));
    num[sp - p] = '\0';
    v = strtol(num, (char **)&p, 10);
    if (*p || v < 0 || v >= CLUSTER_SLOTS)
        return CLUSTER_ERR_OTHER;
    n = (size_t)(end - sp - 1);
    if (n == 0 || n >= addrlen || !memchr(sp + 1, ':', n))
        return CLUSTER_ERR_OTHER;
    memcpy(addr, sp + 1, n);
    addr[n] = '\0';
    *slot = (unsigned)v;
    return kind;
}

int cluster_split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(addr, ':'), *h = addr;
    size_t n;
    char *end;
    long v;

    if (!colon || colon == addr)
        return -1;
    n = (size_t)(colon - addr);
    if (addr[0] == '[' && colon[-1] == ']') {
        h = addr + 1;
        n -= 2;
    }
    v = strtol(colon + 1, &end, 10);
    if (*end || v <= 0 || v > 65535 || n == 0 || n >= hostlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = (int)v;
    return 0;
}
