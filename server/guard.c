/* guard — see guard.h. */
#include "guard.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

#define KEY_MIN 16
#define KEY_MAX 256
#define MAX_KEYS 1024
#define IP_SLOTS 8192          /* power of two */
#define IP_PROBE 8
#define ADDR_MAX 64

struct bucket {
    double tokens;
    uint64_t last_us;
};

struct key {
    enum route_role role;
    size_t len;
    char text[KEY_MAX];
    char id[GUARD_KEY_ID_LEN + 1];   /* names the key without revealing it */
    struct bucket b;
};

struct ip_slot {
    char addr[ADDR_MAX];       /* "" = free */
    struct bucket b;
};

struct guard {
    struct guard_config cfg;
    struct key *keys;
    size_t nkeys;
    struct ip_slot *ips;       /* IP_SLOTS, when ip_rate > 0 */
    /* the adaptive in-flight limit and its current 50 ms window */
    double limit;
    uint64_t win_start_us, win_sum_us, win_n;
    int win_refused;
    /* shed and let through per second, for the Retry-After of the shed */
    uint64_t ra_start_us;
    uint32_t ra_shed, ra_passed;
    int retry_after_s;
};

#define SHED_WINDOW_US 50000
#define SHED_LIMIT_MIN 8.0
#define RETRY_WINDOW_US 1000000
#define RETRY_AFTER_MAX 10

/* Sets the Retry-After of shed requests from the second before: 1, or,
 * while more are shed than let through, the ratio of the two (at most
 * RETRY_AFTER_MAX): the shed would take about that many seconds at the
 * rate let through. With a fixed 1 s every shed buyer came back every
 * second and the retries alone outnumbered new buyers (bench/README §5).
 * After a second with no requests it is 1 again. */
static void retry_update(struct guard *g, uint64_t now_us)
{
    uint64_t passed = g->ra_passed ? g->ra_passed : 1, ratio;

    if (now_us - g->ra_start_us < RETRY_WINDOW_US)
        return;
    ratio = (g->ra_shed + passed - 1) / passed;     /* rounded up */
    if (now_us - g->ra_start_us >= 2 * RETRY_WINDOW_US || ratio < 1)
        ratio = 1;
    g->retry_after_s = ratio > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (int)ratio;
    g->ra_start_us = now_us;
    g->ra_shed = g->ra_passed = 0;
}

/* Closes the window when it is over: multiplicative decrease when the
 * admitted were slow (by a fifth; by half when slower than twice the
 * target: from the default ceiling of 512 the limit must fall below the
 * clients' connection count before it sheds at all, and every window it
 * spends getting there queues a window's excess); increase when the limit
 * was in the way, by a quarter when they were well under the target (a
 * burst on an idle server must not wait for the limit to creep back),
 * else by a twentieth. */
static void limit_update(struct guard *g, uint64_t now_us)
{
    double max = g->cfg.max_inflight;
    double floor = max < SHED_LIMIT_MIN ? max : SHED_LIMIT_MIN;
    uint64_t target_us = (uint64_t)g->cfg.shed_latency_ms * 1000u, avg_us;

    if (g->cfg.shed_latency_ms <= 0 || now_us - g->win_start_us < SHED_WINDOW_US)
        return;
    if (g->win_start_us == 0) {      /* the first window starts now */
        g->win_start_us = now_us;
        return;
    }
    avg_us = g->win_n > 0 ? g->win_sum_us / g->win_n : 0;
    if (avg_us > target_us) {
        double cut = avg_us > 2 * target_us ? 0.5 : 0.8;
        g->limit = g->limit * cut < floor ? floor : g->limit * cut;
    } else if (g->win_refused) {
        double grow = g->win_n > 0 && avg_us * 2 < target_us ? 1.25 : 1.05;
        g->limit = g->limit * grow + 1 > max ? max : g->limit * grow + 1;
    }
    g->win_start_us = now_us;
    g->win_sum_us = g->win_n = 0;
    g->win_refused = 0;
}

void guard_observe(struct guard *g, uint64_t took_us, uint64_t now_us)
{
    g->win_sum_us += took_us;
    g->win_n++;
    limit_update(g, now_us);
}

int guard_inflight_limit(const struct guard *g)
{
    return (int)g->limit;
}

int guard_retry_after(const struct guard *g)
{
    return g->retry_after_s;
}

int guard_parse_rate(const char *s, double *rate, double *burst)
{
    char *end;
    double r = strtod(s, &end), b;

    if (end == s || !isfinite(r) || r < 0 || r > 1e9)
        return -1;
    b = r < 1 ? 1 : r;
    if (*end == ':') {
        const char *p = end + 1;
        b = strtod(p, &end);
        if (end == p || !isfinite(b) || b < 1 || b > 1e9)
            return -1;
    }
    if (*end)
        return -1;
    *rate = r;
    *burst = b;
    return 0;
}

/* Adds one "role:key" (n bytes, trimmed). 0 or -1 with err set. */
static int key_add(struct guard *g, const char *s, size_t n, const char *where, int line,
                   char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    struct key *k;
    size_t rl, kl, i;

    if (!colon) {
        snprintf(err, errlen, "%s:%d: expected role:key", where, line);
        return -1;
    }
    rl = (size_t)(colon - s);
    kl = n - rl - 1;
    if (g->nkeys == MAX_KEYS) {
        snprintf(err, errlen, "%s: more than %d keys", where, MAX_KEYS);
        return -1;
    }
    k = &g->keys[g->nkeys];
    if (rl == 8 && memcmp(s, "checkout", 8) == 0)
        k->role = ROLE_CHECKOUT;
    else if (rl == 5 && memcmp(s, "admin", 5) == 0)
        k->role = ROLE_ADMIN;
    else {
        snprintf(err, errlen, "%s:%d: role must be checkout or admin", where, line);
        return -1;
    }
    if (kl < KEY_MIN || kl >= KEY_MAX) {
        snprintf(err, errlen, "%s:%d: a key must be %d to %d characters", where, line, KEY_MIN,
                 KEY_MAX - 1);
        return -1;
    }
    for (i = 0; i < kl; i++)
        if (colon[1 + i] <= ' ' || colon[1 + i] > '~') {
            snprintf(err, errlen, "%s:%d: a key must be printable ASCII without spaces", where,
                     line);
            return -1;
        }
    memcpy(k->text, colon + 1, kl);
    k->len = kl;
    {
        /* the first 64 bits of SHA-256 of the key, in hex: the same in
         * every process that loads the key, and no way back to it */
        uint8_t d[SHA256_LEN];
        sha256(k->text, kl, d);
        for (i = 0; i < GUARD_KEY_ID_LEN / 2; i++)
            snprintf(k->id + 2 * i, 3, "%02x", d[i]);
    }
    k->b.tokens = g->cfg.key_burst;
    g->nkeys++;
    return 0;
}

/* Adds the entries of text, separated by any of seps; '#' starts a
 * comment running to the end of the line. */
static int keys_parse(struct guard *g, const char *text, const char *seps, const char *where,
                      char *err, size_t errlen)
{
    const char *p = text;
    int line = 1;

    while (*p) {
        size_t n = strcspn(p, seps), m;
        const char *s = p, *hash = memchr(p, '#', n);
        m = hash ? (size_t)(hash - s) : n;
        while (m && (*s == ' ' || *s == '\t'))
            s++, m--;
        while (m && (s[m - 1] == ' ' || s[m - 1] == '\t' || s[m - 1] == '\r'))
            m--;
        if (m && key_add(g, s, m, where, line, err, errlen) < 0)
            return -1;
        p += n;
        if (*p) {
            line += *p == '\n';
            p++;
        }
    }
    return 0;
}

static char *file_read(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0, r;

    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    do {
        if (n + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!nb || cap > 4 * 1024 * 1024) {
                free(nb ? nb : buf);
                fclose(f);
                snprintf(err, errlen, "%s is too large", path);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, 4096, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

struct guard *guard_create(const struct guard_config *cfg, char *err, size_t errlen)
{
    struct guard *g = calloc(1, sizeof *g);
    char *text = NULL;

    if (!g)
        goto fail_oom;
    g->cfg = *cfg;
    g->limit = cfg->max_inflight;
    g->retry_after_s = 1;
    g->keys = calloc(MAX_KEYS, sizeof *g->keys);
    if (!g->keys)
        goto fail_oom;
    if (cfg->keys_file && *cfg->keys_file) {
        if (!(text = file_read(cfg->keys_file, err, errlen)))
            goto fail;
        if (keys_parse(g, text, "\n", cfg->keys_file, err, errlen) < 0)
            goto fail;
    }
    if (cfg->keys_list && *cfg->keys_list &&
        keys_parse(g, cfg->keys_list, ",\n", "USHER_KEYS", err, errlen) < 0)
        goto fail;
    if (cfg->ip_rate > 0 && !(g->ips = calloc(IP_SLOTS, sizeof *g->ips)))
        goto fail_oom;
    free(text);
    return g;
fail_oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(text);
    guard_destroy(g);
    return NULL;
}

void guard_destroy(struct guard *g)
{
    if (!g)
        return;
    if (g->keys)        /* keys do not outlive us in freed memory */
        memset(g->keys, 0, MAX_KEYS * sizeof *g->keys);
    free(g->keys);
    free(g->ips);
    free(g);
}

size_t guard_keys(const struct guard *g)
{
    return g->nkeys;
}

/* Compares every configured key with the token, touching every byte of
 * every key whatever matches, so the time taken tells nothing about how
 * close a guess was. Returns the matching key or NULL. */
static struct key *key_find(struct guard *g, const char *tok, size_t n)
{
    struct key *found = NULL;
    size_t i, j;

    for (i = 0; i < g->nkeys; i++) {
        struct key *k = &g->keys[i];
        unsigned diff = (unsigned)(k->len ^ n);
        for (j = 0; j < KEY_MAX; j++) {
            unsigned char a = (unsigned char)k->text[j];
            unsigned char b = j < n ? (unsigned char)tok[j] : 0;
            diff |= (unsigned)(a ^ b);
        }
        /* branch-free select of the first match */
        {
            uintptr_t hit = (uintptr_t)0 - (uintptr_t)(diff == 0 && !found);
            found = (struct key *)(((uintptr_t)k & hit) | ((uintptr_t)found & ~hit));
        }
    }
    return found;
}

/* Takes one token from b. 1 when there was one; else 0 and the seconds
 * until there is. */
static int bucket_take(struct bucket *b, double rate, double burst, uint64_t now_us,
                       int *retry_after_s)
{
    if (b->last_us && now_us > b->last_us)
        b->tokens += (double)(now_us - b->last_us) * rate / 1e6;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_us = now_us;
    if (b->tokens >= 1) {
        b->tokens -= 1;
        return 1;
    }
    *retry_after_s = (int)ceil((1 - b->tokens) / rate);
    if (*retry_after_s < 1)
        *retry_after_s = 1;
    return 0;
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;       /* FNV-1a */

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* The bucket of one client address: its slot, a free one, or the one in
 * reach that was used longest ago. */
static struct bucket *ip_bucket(struct guard *g, const char *addr)
{
    uint32_t h = hash_str(addr);
    struct ip_slot *free_slot = NULL, *oldest = NULL, *s;
    int i;

    for (i = 0; i < IP_PROBE; i++) {
        s = &g->ips[(h + (uint32_t)i) & (IP_SLOTS - 1)];
        if (strcmp(s->addr, addr) == 0)
            return &s->b;
        if (!s->addr[0]) {
            if (!free_slot)
                free_slot = s;
        } else if (!oldest || s->b.last_us < oldest->b.last_us) {
            oldest = s;
        }
    }
    s = free_slot ? free_slot : oldest;
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    s->b.tokens = g->cfg.ip_burst;
    s->b.last_us = 0;
    return &s->b;
}

enum guard_verdict guard_check(struct guard *g, enum route_role role, int finishing,
                               const char *authorization, const char *query_token,
                               const char *client, int64_t inflight, uint64_t now_us,
                               int *retry_after_s, const char **key_id)
{
    struct key *k = NULL;

    if (key_id)
        *key_id = NULL;
    if (role == ROLE_OPEN)
        return GUARD_PASS;
    if (g->ips && client && *client &&
        !bucket_take(ip_bucket(g, client), g->cfg.ip_rate, g->cfg.ip_burst, now_us,
                     retry_after_s))
        return GUARD_RATE_LIMITED;
    if (g->cfg.max_inflight > 0) {
        limit_update(g, now_us);
        retry_update(g, now_us);
        if (inflight > (int64_t)g->limit * (finishing ? 2 : 1)) {
            g->win_refused = 1;
            g->ra_shed++;
            *retry_after_s = g->retry_after_s;
            return GUARD_OVERLOADED;
        }
        g->ra_passed++;
    }
    if (g->nkeys == 0)
        return GUARD_PASS;
    if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *t = authorization + 7;
        while (*t == ' ')
            t++;
        k = key_find(g, t, strnlen(t, KEY_MAX));
    } else if (!authorization && query_token) {
        k = key_find(g, query_token, strnlen(query_token, KEY_MAX));
        if (k && k->role == ROLE_ADMIN)
            return GUARD_ADMIN_KEY_IN_URL;
    }
    if (!k)
        return GUARD_UNAUTHORIZED;
    if (role == ROLE_ADMIN && k->role != ROLE_ADMIN)
        return GUARD_FORBIDDEN;
    if (key_id)
        *key_id = k->id;
    if (g->cfg.key_rate > 0 &&
        !bucket_take(&k->b, g->cfg.key_rate, g->cfg.key_burst, now_us, retry_after_s))
        return GUARD_RATE_LIMITED;
    return GUARD_PASS;
}
