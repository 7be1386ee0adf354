/* hclient — usher-bench's HTTP/1.1 client: a pool of keep-alive
 * connections to one target on a libevent loop, raw non-blocking sockets,
 * one request in flight per connection, a FIFO queue of requests waiting
 * for a free connection (users queue like browsers behind a load
 * balancer), and a timeout per request. Written for throughput: a reply is
 * parsed in place and a request is one write(2) when the socket allows. */
#ifndef BENCH_HCLIENT_H
#define BENCH_HCLIENT_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/* Negative "statuses" of a request that got no HTTP answer. */
#define HC_ERR_CONNECT (-1)
#define HC_ERR_TIMEOUT (-2)
#define HC_ERR_READ (-3)

struct hc_pool;
struct hc_req;

/* Called once per request: status is the HTTP status or an HC_ERR_*; the
 * body is borrowed for the call; latency is from the request's `start_us`
 * (its intended send time when set, else when it was queued). The callback
 * owns `req` (malloc'd by the caller) and its `body`: it frees them or
 * submits the request again. It is never called from inside hc_submit. */
typedef void hc_cb(struct hc_req *req, int status, const char *body, size_t len,
                   uint64_t latency_us);

struct hc_req {
    const char *method;      /* "GET", "POST", ... (static) */
    char path[256];
    char *body;              /* malloc'd or NULL */
    size_t body_len;
    const char *headers;     /* extra header lines ("Name: value\r\n"...), or NULL */
    int op;                  /* caller's operation id, for statistics */
    uint64_t start_us;       /* 0: hc sets it at submit */
    uint64_t sent_us;        /* set by hc: when a connection took it; the
                              * wait before is the bench's own queue */
    int retry_after_s;       /* set by hc: the answer's Retry-After, or 0 */
    hc_cb *cb;
    void *user;
    struct hc_req *next;     /* queue link, owned by hc */
};

struct hc_pool *hc_pool_create(struct event_base *base, const char *host, int port,
                               int connections, int timeout_ms, const char *bearer);
void hc_pool_destroy(struct hc_pool *p);

/* Queues a request; it is sent when a connection is free. */
void hc_submit(struct hc_pool *p, struct hc_req *req);

/* Requests queued or in flight. */
size_t hc_pending(const struct hc_pool *p);
/* The most connections the pool had open at once: it opens one only when
 * a request finds none idle, so this is what the load needed (up to the
 * pool's size, when requests had to queue). */
int hc_pool_open_peak(const struct hc_pool *p);

/* Takes every request still waiting in the queue (never sent) out of it
 * and hands each to drop(req, arg), which owns it then; requests in
 * flight are left to finish. Returns how many were taken: for a run that
 * must end on time however far behind the bench is. */
size_t hc_drop_queued(struct hc_pool *p, void (*drop)(struct hc_req *, void *), void *arg);

/* How long a finished request waited in the bench's own queue (for rate
 * mode, from its due time) before a connection took it. */
static inline uint64_t hc_wait_us(const struct hc_req *r)
{
    return r->sent_us > r->start_us ? r->sent_us - r->start_us : 0;
}

/* Monotonic microseconds. */
uint64_t hc_now_us(void);

/* Parses http://HOST:PORT[/] into host (<= 255) and port. 0 or -1. */
int hc_parse_url(const char *url, char *host, int *port);

#endif
