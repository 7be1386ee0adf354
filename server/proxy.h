/* proxy — which TCP peers may tell usherd who the client is.
 *
 * Behind a load balancer every connection comes from the balancer, so a
 * per-address rate limit would put all buyers in one bucket. With
 * `--trusted-proxies 10.0.0.0/8,::1` a request whose TCP peer is in one of
 * those prefixes is attributed to the address its X-Forwarded-For names:
 * the list is read from the right (each proxy appends the address it got
 * the request from) and the first address that is not itself a trusted
 * proxy is the client. Entries a client wrote itself sit further left and
 * are never reached. A peer that is not trusted is the client, whatever
 * headers it sends; a trusted peer with no usable header is too. */
#ifndef USHER_PROXY_H
#define USHER_PROXY_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_MAX 16

struct proxy_prefix {
    int family;             /* AF_INET or AF_INET6 */
    int bits;
    uint8_t addr[16];
};

struct proxy_list {
    size_t n;
    struct proxy_prefix p[PROXY_MAX];
};

/* Parses "ADDR[/BITS][,ADDR[/BITS]...]" (IPv4 or IPv6 literals, no names);
 * "" = none. 0 or -1. */
int proxy_parse(struct proxy_list *l, const char *s);

/* Whether the textual address `addr` is in one of l's prefixes. */
int proxy_trusted(const struct proxy_list *l, const char *addr, size_t len);

/* The client's address for a request from `peer` with X-Forwarded-For
 * value `xff` (or NULL): written to out (NUL-terminated) and returned. */
const char *proxy_client(const struct proxy_list *l, const char *peer, const char *xff,
                         char *out, size_t outlen);

#endif
