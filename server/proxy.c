/* proxy — see proxy.h. */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Parses one textual address (no prefix) of len bytes, spaces around
 * allowed, into family + 16 bytes; an IPv4-mapped IPv6 address counts as
 * IPv4. 0 or -1. */
static int addr_parse(const char *s, size_t len, int *family, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN + 1];

    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, 16);
    if (inet_pton(AF_INET, buf, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) != 1)
        return -1;
    *family = AF_INET6;
    {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out, mapped, 12) == 0) {
            memmove(out, out + 12, 4);
            memset(out + 4, 0, 12);
            *family = AF_INET;
        }
    }
    return 0;
}

int proxy_parse(struct proxy_list *l, const char *s)
{
    memset(l, 0, sizeof *l);
    while (s && *s) {
        const char *end = strchr(s, ','), *slash;
        size_t len = end ? (size_t)(end - s) : strlen(s);
        struct proxy_prefix *p;
        int max;

        if (l->n == PROXY_MAX)
            return -1;
        p = &l->p[l->n];
        slash = memchr(s, '/', len);
        if (addr_parse(s, slash ? (size_t)(slash - s) : len, &p->family, p->addr) < 0)
            return -1;
        max = p->family == AF_INET ? 32 : 128;
        p->bits = max;
        if (slash) {
            char *stop;
            long bits = strtol(slash + 1, &stop, 10);
            while (*stop == ' ')
                stop++;
            if (stop == slash + 1 || stop != s + len || bits < 0 || bits > max)
                return -1;
            p->bits = (int)bits;
        }
        l->n++;
        s = end ? end + 1 : NULL;
    }
    return 0;
}

static int prefix_match(const struct proxy_prefix *p, int family, const uint8_t a[16])
{
    int full = p->bits / 8, rest = p->bits % 8;

    if (family != p->family || memcmp(a, p->addr, (size_t)full) != 0)
        return 0;
    return rest == 0 || ((a[full] ^ p->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int list_match(const struct proxy_list *l, int family, const uint8_t a[16])
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (prefix_match(&l->p[i], family, a))
            return 1;
    return 0;
}

int proxy_trusted(const struct proxy_list *l, const char *addr, size_t len)
{
    uint8_t a[16];
    int family;

    return l->n && addr_parse(addr, len, &family, a) == 0 && list_match(l, family, a);
}

const char *proxy_client(const struct proxy_list *l, const char *peer, const char *xff,
                         char *out, size_t outlen)
{
    const char *client = peer, *end;
    size_t client_len = strlen(peer);

    if (l->n && xff && proxy_trusted(l, peer, client_len)) {
        /* right to left: the nearest address no trusted proxy vouches for */
        end = xff + strlen(xff);
        while (end > xff) {
            const char *start = end;
            uint8_t a[16];
            int family;

            while (start > xff && start[-1] != ',')
                start--;
            if (addr_parse(start, (size_t)(end - start), &family, a) < 0)
                break;          /* not an address: keep the last good one */
            client = start;
            client_len = (size_t)(end - start);
            if (!list_match(l, family, a))
                break;
            end = start > xff ? start - 1 : xff;
        }
        while (client_len && *client == ' ') {
            client++;
            client_len--;
        }
        while (client_len && client[client_len - 1] == ' ')
            client_len--;
    }
    if (client_len >= outlen)
        client_len = outlen - 1;
    memmove(out, client, client_len);     /* peer may be out */
    out[client_len] = '\0';
    return out;
}
