/* hclient — see hclient.h. */
#include "hclient.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum hc_conn_state { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct hc_conn {
    struct hc_pool *pool;
    int fd;
    enum hc_conn_state state;
    struct event *rev, *wev, *timer;
    char *rbuf;
    size_t rlen, rcap;
    char *wbuf;
    size_t wlen, woff, wcap;
    struct hc_req *req;
    int fail_status;         /* set when a failure is reported from the timer */
    int on_free;             /* in the pool's free stack */
};

struct hc_pool {
    struct event_base *base;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char host[256];
    char fixed[768];                 /* the request line's tail and fixed headers */
    size_t fixed_len;
    const struct timeval *timeout;   /* a libevent common timeout */
    int nconns;
    struct hc_conn *conns;
    struct hc_conn **free;      /* idle or closed connections without a request */
    int nfree;               /* (a stack: a scan per answer showed in profiles) */
    struct hc_req *head, *tail;
    size_t queued, busy;
    int open, open_peak;     /* sockets open now, and at most */
};

static void hc_conn_dispatch(struct hc_conn *c);
static void pool_dispatch(struct hc_pool *p);

static void pool_put_free(struct hc_pool *p, struct hc_conn *c)
{
    if (!c->on_free) {
        c->on_free = 1;
        p->free[p->nfree++] = c;
    }
}

uint64_t hc_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int hc_parse_url(const char *url, char *host, int *port)
{
    const char *p = url, *colon, *end;
    size_t n;

    if (strncmp(p, "http://", 7) == 0)
        p += 7;
    end = p + strcspn(p, "/");
    colon = memchr(p, ':', (size_t)(end - p));
    n = (size_t)((colon ? colon : end) - p);
    if (n == 0 || n > 255)
        return -1;
    memcpy(host, p, n);
    host[n] = '\0';
    *port = colon ? atoi(colon + 1) : 80;
    return *port > 0 && *port < 65536 ? 0 : -1;
}

static void hc_conn_close(struct hc_conn *c)
{
    if (c->fd >= 0) {
        event_del(c->rev);
        event_del(c->wev);
        close(c->fd);
        c->fd = -1;
        c->pool->open--;
    }
    c->state = C_DOWN;
    c->rlen = c->wlen = c->woff = 0;
}

/* Ends the connection's current request with `status` and frees it. */
static void hc_conn_finish(struct hc_conn *c, int status, const char *body, size_t len)
{
    struct hc_req *r = c->req;
    uint64_t now = hc_now_us();

    c->req = NULL;
    evtimer_del(c->timer);
    c->pool->busy--;
    if (c->state == C_BUSY || c->state == C_CONNECTING)
        c->state = c->fd >= 0 ? C_IDLE : C_DOWN;
    pool_put_free(c->pool, c);   /* before the callback: it may submit */
    r->cb(r, status, body, len, now > r->start_us ? now - r->start_us : 0);
    /* the callback owns r now; body is ours */
}

static void hc_conn_fail(struct hc_conn *c, int status)
{
    hc_conn_close(c);
    if (c->req)
        hc_conn_finish(c, status, NULL, 0);
}

static int hc_conn_flush(struct hc_conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            event_add(c->wev, NULL);
            return 0;
        }
        if (n <= 0)
            return -1;
        c->woff += (size_t)n;
    }
    c->woff = c->wlen = 0;
    event_del(c->wev);
    return 0;
}

static int buf_reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    char *p = realloc(*buf, n);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static size_t put(char *dst, const char *src, size_t n)
{
    memcpy(dst, src, n);
    return n;
}

/* Formats the request into wbuf with memcpy (snprintf showed in profiles)
 * and writes as much as the socket takes. */
static void hc_conn_send(struct hc_conn *c)
{
    struct hc_req *r = c->req;
    struct hc_pool *p = c->pool;
    size_t ml = strlen(r->method), pl = strlen(r->path), need, n = 0;
    size_t hl = r->headers ? strlen(r->headers) : 0;
    char num[24];
    int nl = snprintf(num, sizeof num, "%zu", r->body_len);

    evtimer_add(c->timer, p->timeout);

    need = ml + pl + p->fixed_len + (size_t)nl + hl + r->body_len + 16;
    if (buf_reserve(&c->wbuf, &c->wcap, need) < 0)
        goto fail;
    n += put(c->wbuf + n, r->method, ml);
    n += put(c->wbuf + n, " ", 1);
    n += put(c->wbuf + n, r->path, pl);
    n += put(c->wbuf + n, p->fixed, p->fixed_len);    /* " HTTP/1.1\r\n...Length: " */
    n += put(c->wbuf + n, num, (size_t)nl);
    n += put(c->wbuf + n, "\r\n", 2);
    if (hl)
        n += put(c->wbuf + n, r->headers, hl);
    n += put(c->wbuf + n, "\r\n", 2);
    if (r->body_len)
        n += put(c->wbuf + n, r->body, r->body_len);
    c->wlen = n;
    c->woff = 0;
    if (hc_conn_flush(c) == 0)
        return;
fail:
    /* report from the loop: hc_conn_send may run inside hc_submit */
    c->fail_status = HC_ERR_READ;
    event_active(c->timer, EV_TIMEOUT, 1);
}

/* Parses a complete response at the start of rbuf. Returns its total
 * length, 0 when more bytes are needed, -1 when it is malformed. */
static long parse_response(struct hc_conn *c, int *status, size_t *body_off,
                           size_t *body_len, int *close_after)
{
    char *end, *line;
    size_t clen = 0;
    int have_len = 0;

    if (c->rlen < 12)
        return 0;
    end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end)
        return c->rlen > 65536 ? -1 : 0;
    if (memcmp(c->rbuf, "HTTP/1.", 7) != 0)
        return -1;
    *status = atoi(c->rbuf + 9);
    *close_after = c->rbuf[7] == '0';
    for (line = memchr(c->rbuf, '\n', (size_t)(end - c->rbuf)); line && line < end;
         line = memchr(line, '\n', (size_t)(end - line))) {
        line++;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            clen = strtoul(line + 15, NULL, 10);
            have_len = 1;
        } else if (strncasecmp(line, "Connection:", 11) == 0) {
            const char *v = line + 11;
            while (*v == ' ')
                v++;
            *close_after = strncasecmp(v, "close", 5) == 0;
        } else if (strncasecmp(line, "Retry-After:", 12) == 0 && c->req) {
            c->req->retry_after_s = atoi(line + 12);
        } else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
            return -1;   /* usherd never sends chunked replies */
        }
    }
    if (!have_len && *status != 204 && *status != 304)
        return -1;
    *body_off = (size_t)(end + 4 - c->rbuf);
    *body_len = clen;
    if (c->rlen < *body_off + clen)
        return 0;
    return (long)(*body_off + clen);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct hc_conn *c = arg;

    for (;;) {
        ssize_t n;
        if (buf_reserve(&c->rbuf, &c->rcap, c->rlen + 16384) < 0) {
            hc_conn_fail(c, HC_ERR_READ);
            return;
        }
        n = read(fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            hc_conn_fail(c, HC_ERR_READ);
            pool_dispatch(c->pool);
            return;
        }
        c->rlen += (size_t)n;
        if ((size_t)n < c->rcap - c->rlen + (size_t)n)
            break;
    }
    if (!c->req) {           /* bytes nobody asked for */
        hc_conn_close(c);
        return;
    }
    {
        int status = 0, close_after = 0;
        size_t off = 0, len = 0;
        long total = parse_response(c, &status, &off, &len, &close_after);
        if (total == 0)
            return;
        if (total < 0) {
            hc_conn_fail(c, HC_ERR_READ);
            pool_dispatch(c->pool);
            return;
        }
        /* The body stays valid during the callback: rbuf is only reused
         * after it returns. */
        c->rlen = 0;
        if (close_after)
            hc_conn_close(c);
        hc_conn_finish(c, status, c->rbuf + off, len);
    }
    pool_dispatch(c->pool);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct hc_conn *c = arg;

    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            hc_conn_fail(c, HC_ERR_CONNECT);
            pool_dispatch(c->pool);
            return;
        }
        c->state = C_BUSY;
        event_add(c->rev, NULL);
        event_del(c->wev);
        hc_conn_send(c);
        return;
    }
    if (hc_conn_flush(c) < 0) {
        hc_conn_fail(c, HC_ERR_READ);
        pool_dispatch(c->pool);
    }
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct hc_conn *c = arg;
    int st = c->fail_status ? c->fail_status : HC_ERR_TIMEOUT;

    c->fail_status = 0;
    hc_conn_fail(c, st);
    pool_dispatch(c->pool);
}

/* Opens the socket and starts a non-blocking connect. 0 or -1. */
static int hc_conn_open(struct hc_conn *c)
{
    struct hc_pool *p = c->pool;
    int one = 1;

    c->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    event_assign(c->rev, p->base, c->fd, EV_READ | EV_PERSIST, on_read, c);
    event_assign(c->wev, p->base, c->fd, EV_WRITE | EV_PERSIST, on_write, c);
    if (connect(c->fd, (struct sockaddr *)&p->addr, p->addrlen) < 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->state = C_CONNECTING;
    event_add(c->wev, NULL);
    if (++p->open > p->open_peak)
        p->open_peak = p->open;
    return 0;
}

/* Gives the next queued request to idle or closed connection c. */
static void hc_conn_dispatch(struct hc_conn *c)
{
    struct hc_pool *p = c->pool;
    struct hc_req *r = p->head;

    p->head = r->next;
    if (!p->head)
        p->tail = NULL;
    p->queued--;
    p->busy++;
    c->req = r;
    r->sent_us = hc_now_us();
    if (c->state == C_DOWN) {
        if (hc_conn_open(c) < 0) {
            /* report from the loop, not from inside hc_submit */
            c->fail_status = HC_ERR_CONNECT;
            event_active(c->timer, EV_TIMEOUT, 1);
        } else {
            evtimer_add(c->timer, p->timeout);
        }
        return;
    }
    c->state = C_BUSY;
    hc_conn_send(c);
}

static void pool_dispatch(struct hc_pool *p)
{
    while (p->head && p->nfree > 0) {
        struct hc_conn *c = p->free[--p->nfree];
        c->on_free = 0;
        if (!c->req && (c->state == C_IDLE || c->state == C_DOWN))
            hc_conn_dispatch(c);
    }
}

void hc_submit(struct hc_pool *p, struct hc_req *r)
{
    r->next = NULL;
    r->retry_after_s = 0;
    if (!r->start_us)
        r->start_us = hc_now_us();
    if (p->tail)
        p->tail->next = r;
    else
        p->head = r;
    p->tail = r;
    p->queued++;
    pool_dispatch(p);
}

size_t hc_pending(const struct hc_pool *p)
{
    return p->queued + p->busy;
}

int hc_pool_open_peak(const struct hc_pool *p)
{
    return p->open_peak;
}

size_t hc_drop_queued(struct hc_pool *p, void (*drop)(struct hc_req *, void *), void *arg)
{
    size_t n = 0;

    while (p->head) {
        struct hc_req *r = p->head;
        p->head = r->next;
        p->queued--;
        n++;
        drop(r, arg);
    }
    p->tail = NULL;
    return n;
}

struct hc_pool *hc_pool_create(struct event_base *base, const char *host, int port,
                               int connections, int timeout_ms, const char *bearer)
{
    struct hc_pool *p = calloc(1, sizeof *p);
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    int i;

    if (!p)
        return NULL;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof portstr, "%d", port);
    if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) {
        free(p);
        return NULL;
    }
    memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
    p->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    p->base = base;
    snprintf(p->host, sizeof p->host, "%s:%d", host, port);
    {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        int n = snprintf(p->fixed, sizeof p->fixed,
                         " HTTP/1.1\r\nHost: %s\r\n%s%s%sContent-Type: application/json\r\n"
                         "Content-Length: ", p->host, bearer && *bearer ? "Authorization: Bearer " : "",
                         bearer ? bearer : "", bearer && *bearer ? "\r\n" : "");
        p->fixed_len = n > 0 && (size_t)n < sizeof p->fixed ? (size_t)n : 0;
        p->timeout = event_base_init_common_timeout(base, &tv);
    }
    p->nconns = connections;
    p->conns = calloc((size_t)connections, sizeof *p->conns);
    p->free = calloc((size_t)connections, sizeof *p->free);
    if (!p->conns || !p->free) {
        free(p->conns);
        free(p->free);
        free(p);
        return NULL;
    }
    for (i = connections - 1; i >= 0; i--) {   /* conns[0] on top */
        struct hc_conn *c = &p->conns[i];
        pool_put_free(p, c);
        c->pool = p;
        c->fd = -1;
        c->rev = event_new(base, -1, 0, NULL, NULL);
        c->wev = event_new(base, -1, 0, NULL, NULL);
        c->timer = evtimer_new(base, on_timeout, c);
    }
    return p;
}

void hc_pool_destroy(struct hc_pool *p)
{
    int i;

    if (!p)
        return;
    for (i = 0; i < p->nconns; i++) {
        struct hc_conn *c = &p->conns[i];
        hc_conn_close(c);
        if (c->req) {
            struct hc_req *r = c->req;
            free(r->body);
            free(r);
        }
        event_free(c->rev);
        event_free(c->wev);
        event_free(c->timer);
        free(c->rbuf);
        free(c->wbuf);
    }
    while (p->head) {
        struct hc_req *r = p->head;
        p->head = r->next;
        free(r->body);
        free(r);
    }
    free(p->conns);
    free(p->free);
    free(p);
}
