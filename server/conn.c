/* conn — see conn.h.
 *
 * Each connection has a read event (persistent, with the idle timeout),
 * a write event that is armed only while the kernel refuses bytes, and an
 * input and an output evbuffer. Answers are written at once (one send per
 * answer, or per batch of pipelined answers), so a request costs one read
 * and one write, and no epoll_ctl. The request parser is wire.c: it says
 * what it read or why it refuses, and this file acts on it. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

#define INPUT_MAX (64 * 1024)    /* read ahead while a request is handled */
#define OUTPUT_PAUSE (256 * 1024) /* unsent answers before parsing stops */
#define READ_CHUNK 16384         /* bytes asked of the kernel per read */

enum cstate {
    C_HEAD,       /* reading a request head */
    C_BODY,       /* reading a Content-Length body */
    C_CHUNKED,    /* reading a chunked body */
    C_BUSY,       /* the request is being handled */
    C_STREAM,     /* answering with a stream */
    C_CLOSING,    /* sending what is left, then closing */
    C_LINGER      /* sent all; reading until the client closes too */
};

struct conn {
    struct conn_server *s;        /* NULL once the server is gone */
    evutil_socket_t fd;           /* -1 once the socket is gone */
    struct event *rev, *wev;
    struct evbuffer *in, *out;
    enum cstate state;
    struct wire w;                /* the request being read or answered */
    int in_process;               /* conn_process() is on the stack */
    int dead;                     /* socket gone: free when answered */
    int eof;                      /* the client half-closed */
    int failed;                   /* a write failed: drop at the next read event */
    uint64_t start_us;            /* when an incomplete request was first seen */
    void (*on_close)(void *);
    void *close_arg;
    struct sockaddr_storage addr;
    char peer[INET6_ADDRSTRLEN];
    struct conn *prev, *next;
};

/* A connection refused past max_connections, lingering after its canned
 * answer (see conn.c refuse_linger). */
struct refused {
    struct conn_server *s;
    evutil_socket_t fd;
    struct event *ev;
    struct refused *prev, *next;
};

#define REFUSED_LINGER_MAX CONN_REFUSED_LINGER_MAX
#define REFUSED_LINGER_MS 1000

struct conn_server {
    struct event_base *base;
    struct evconnlistener *lev;
    struct event *resume;         /* re-enables accepting after EMFILE */
    struct conn_limits lim;
    conn_request_cb cb;
    void *arg;
    size_t open;
    struct conn *conns;
    struct refused *refused_list; /* lingering refused sockets */
    size_t nrefused;
    char full[512];               /* the canned answer past max_connections */
    size_t full_len;
};

static void conn_process(struct conn *c);
static void conn_refuse(struct conn *c, enum err_code code, const char *message);

/* ---- closing ---- */

static void conn_unlink(struct conn *c)
{
    struct conn_server *s = c->s;

    if (!s)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->open--;
    metrics_connection(-1);
    c->s = NULL;
}

/* Frees a connection whose socket is gone and that nothing refers to:
 * no handler owes it an answer, conn_process is not on the stack. */
static void conn_free(struct conn *c)
{
    USHER_ASSERT(c->dead && c->fd < 0);
    USHER_ASSERT(!c->in_process && c->state != C_BUSY);
    wire_deinit(&c->w);
    free(c);
}

/* Closes the socket now. The struct lives on while a handler or
 * conn_process() still refers to it. */
static void conn_drop(struct conn *c)
{
    if (c->fd >= 0) {
        event_free(c->rev);
        event_free(c->wev);
        evbuffer_free(c->in);
        evbuffer_free(c->out);
        evutil_closesocket(c->fd);
        c->fd = -1;
        c->rev = c->wev = NULL;
        c->in = c->out = NULL;
        conn_unlink(c);
    }
    c->dead = 1;
    if (c->state != C_BUSY && !c->in_process)
        conn_free(c);
}

/* The client went away (or stopped reading): closes, telling a stream. */
static void conn_lost(struct conn *c)
{
    void (*cb)(void *) = c->state == C_STREAM ? c->on_close : NULL;

    c->on_close = NULL;
    if (cb)
        cb(c->close_arg);
    conn_drop(c);
}

/* ---- writing ---- */

/* Sends what the output holds; arms the write event for the rest. 0, or
 * -1 when the connection was dropped. */
static int conn_flush(struct conn *c)
{
    size_t left;

    if (c->fd < 0 || c->failed)
        return -1;
    while ((left = evbuffer_get_length(c->out)) > 0) {
        int n = evbuffer_write(c->out, c->fd);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            /* dropped from the read event, never under a caller's feet */
            c->failed = 1;
            event_active(c->rev, EV_READ, 0);
            return -1;
        }
    }
    if (left > 0) {
        struct timeval tv = {c->s ? c->s->lim.idle_timeout_s : 30, 0};
        if (!event_pending(c->wev, EV_WRITE, NULL))
            event_add(c->wev, &tv);
        return 0;
    }
    if (event_pending(c->wev, EV_WRITE, NULL))
        event_del(c->wev);
    if (c->state == C_CLOSING) {
        /* close gracefully: a close with unread input would reset the
         * connection and could destroy the answer before it is read */
        struct timeval linger = {2, 0};
        if (c->eof || shutdown(c->fd, SHUT_WR) < 0) {
            conn_drop(c);
            return -1;
        }
        c->state = C_LINGER;
        event_add(c->rev, &linger);
    }
    return 0;
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    if (what & EV_TIMEOUT) {     /* the client stopped reading */
        conn_lost(c);
        return;
    }
    if (conn_flush(c) == 0 && evbuffer_get_length(c->out) == 0 &&
        (c->state == C_HEAD || c->state == C_BODY || c->state == C_CHUNKED))
        conn_process(c);         /* parsing paused for the output to drain */
}

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* The Date header's value, formatted once a second. */
static const char *http_date(void)
{
    static __thread time_t last;      /* per thread: no lock */
    static __thread char buf[40];
    time_t now = time(NULL);

    if (now != last) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        last = now;
    }
    return buf;
}

/* The head's buffer is sized so that util_put never cuts: short fixed
 * parts, extra < 256, a short content type. */
#define HEAD_LIT(p, end, lit) util_put(p, end, lit, sizeof lit - 1)

/* Queues the status line and headers; len < 0: a stream (no length).
 * Built by hand: this runs for every answer (refusals under a swarm
 * included), and printf's parsing of a format was about 5 % of usherd's
 * CPU. */
static void write_head(struct conn *c, int status, const char *extra,
                       const char *content_type, long long len)
{
    char buf[1024], *p = buf, *end = buf + sizeof buf, num[24];
    const char *why = reason(status);

    HEAD_LIT(&p, end, "HTTP/1.1 ");
    util_put(&p, end, num, (size_t)(util_put_uint(num, (unsigned long long)status) - num));
    HEAD_LIT(&p, end, " ");
    util_put(&p, end, why, strlen(why));
    HEAD_LIT(&p, end, "\r\nDate: ");
    util_put(&p, end, http_date(), strlen(http_date()));
    HEAD_LIT(&p, end, "\r\n");
    if (content_type) {
        HEAD_LIT(&p, end, "Content-Type: ");
        util_put(&p, end, content_type, strnlen(content_type, 200));
        HEAD_LIT(&p, end, "\r\n");
    }
    if (len >= 0 && status != 204 && status != 304) {
        HEAD_LIT(&p, end, "Content-Length: ");
        util_put(&p, end, num, (size_t)(util_put_uint(num, (unsigned long long)len) - num));
        HEAD_LIT(&p, end, "\r\n");
    }
    HEAD_LIT(&p, end, "Cache-Control: no-store\r\n");
    if (extra)
        util_put(&p, end, extra, strlen(extra));
    if (!c->w.keep_alive)
        HEAD_LIT(&p, end, "Connection: close\r\n");
    else if (c->w.http10)
        HEAD_LIT(&p, end, "Connection: keep-alive\r\n");
    HEAD_LIT(&p, end, "\r\n");
    evbuffer_add(c->out, buf, (size_t)(p - buf));
}

/* After an answer: next request, or close. Only a request being
 * handled is answered, and once: a second answer finds it moved on. */
static void conn_next(struct conn *c)
{
    USHER_ASSERT(c->state == C_BUSY);
    c->state = c->w.keep_alive ? C_HEAD : C_CLOSING;
    if (c->fd >= 0 && c->w.keep_alive && !c->eof && !event_pending(c->rev, EV_READ, NULL)) {
        struct timeval tv = {c->s->lim.idle_timeout_s, 0};
        event_add(c->rev, &tv);   /* reading was paused while busy */
    }
    c->start_us = 0;
    wire_next(&c->w);
    if (c->dead) {
        if (!c->in_process)
            conn_free(c);
        return;
    }
    if (c->in_process)
        return;                   /* conn_process goes on and flushes */
    if (conn_flush(c) == 0)
        conn_process(c);
}

void conn_reply(struct conn *c, int status, const char *extra, const char *content_type,
                const char *body, size_t len)
{
    if (!c->dead) {
        write_head(c, status, extra, body ? content_type : NULL, (long long)len);
        if (len && !c->w.head_only)
            evbuffer_add(c->out, body, len);
    }
    conn_next(c);
}

void conn_reply_buffer(struct conn *c, int status, const char *extra,
                       const char *content_type, struct evbuffer *body)
{
    size_t len = body ? evbuffer_get_length(body) : 0;

    if (!c->dead) {
        write_head(c, status, extra, body ? content_type : NULL, (long long)len);
        if (body && !c->w.head_only)
            evbuffer_add_buffer(c->out, body);
    }
    if (body)
        evbuffer_drain(body, evbuffer_get_length(body));
    conn_next(c);
}

/* Answers an error this layer found, and closes after it. */
static void conn_refuse(struct conn *c, enum err_code code, const char *message)
{
    size_t len = 0;
    char *line = errors_line(code, message, &len);

    c->w.keep_alive = 0;
    c->w.head_only = 0;
    if (c->fd >= 0) {
        write_head(c, errors_info(code)->status, "", "application/json", (long long)len);
        if (line)
            evbuffer_add(c->out, line, len);
    }
    free(line);
    c->state = C_CLOSING;
    c->on_close = NULL;
}

/* ---- streams ---- */

int conn_stream_start(struct conn *c, const char *content_type,
                      void (*on_close)(void *), void *arg)
{
    if (c->w.head_only) {        /* HEAD: the head is the whole answer */
        if (!c->dead)
            write_head(c, 200, "X-Accel-Buffering: no\r\n", content_type, -1);
        conn_next(c);
        return -1;
    }
    c->w.keep_alive = 0;         /* the body ends when the connection does */
    c->state = C_STREAM;
    if (c->dead) {
        conn_free(c);
        return -1;
    }
    c->on_close = on_close;
    c->close_arg = arg;
    write_head(c, 200, "X-Accel-Buffering: no\r\n", content_type, -1);
    conn_flush(c);
    return 0;
}

void conn_stream_write(struct conn *c, const char *data, size_t len)
{
    if (c->fd < 0 || c->state != C_STREAM)
        return;
    evbuffer_add(c->out, data, len);
    conn_flush(c);
}

int conn_stream_write_ref(struct conn *c, const void *data, size_t len,
                          void (*cleanup)(const void *, size_t, void *), void *arg)
{
    if (c->fd < 0 || c->state != C_STREAM)
        return -1;
    if (evbuffer_add_reference(c->out, data, len, cleanup, arg) != 0)
        return -1;
    conn_flush(c);
    return 0;
}

size_t conn_stream_backlog(const struct conn *c)
{
    return c->fd >= 0 ? evbuffer_get_length(c->out) : 0;
}

void conn_stream_end(struct conn *c)
{
    c->on_close = NULL;
    c->state = C_CLOSING;
    conn_flush(c);
}

void conn_stream_close(struct conn *c)
{
    c->on_close = NULL;
    conn_drop(c);
}

/* Hands the complete request to the server's callback. */
static void conn_dispatch(struct conn *c)
{
    size_t drain = 0;

    struct wire_request *rq = &c->w.rq;

    USHER_ASSERT(!c->dead && c->in_process);
    USHER_ASSERT(c->state == C_HEAD || c->state == C_BODY || c->state == C_CHUNKED);
    rq->body = NULL;
    rq->body_len = 0;
    if (c->state == C_BODY) {
        rq->body = (const char *)evbuffer_pullup(c->in, (ev_ssize_t)c->w.body_need);
        rq->body_len = drain = c->w.body_need;
    } else if (c->state == C_CHUNKED) {
        rq->body_len = evbuffer_get_length(c->w.chunks);
        rq->body = (const char *)evbuffer_pullup(c->w.chunks, -1);
    }
    c->state = C_BUSY;
    c->s->cb(c, rq, c->s->arg);
    /* the body was only lent for the callback */
    if (drain && c->in)
        evbuffer_drain(c->in, drain);
    if (c->w.chunks)
        evbuffer_drain(c->w.chunks, evbuffer_get_length(c->w.chunks));
}

/* The head is read: the body comes next, or the request is whole. */
static void conn_framed(struct conn *c)
{
    /* 100 Continue only while the body has not come already */
    if (c->w.expect_continue && evbuffer_get_length(c->in) < c->w.body_need + 1)
        evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    switch (c->w.body) {
    case WIRE_LENGTH:
        c->state = C_BODY;
        break;
    case WIRE_CHUNKED:
        c->state = C_CHUNKED;
        break;
    default:
        conn_dispatch(c);
    }
}

/* Parses and dispatches what the input holds, as far as it goes. */
static void conn_process(struct conn *c)
{
    int r = 1;

    if (c->in_process)
        return;
    c->in_process = 1;
    while (!c->dead && r > 0 && evbuffer_get_length(c->out) < OUTPUT_PAUSE) {
        switch (c->state) {
        case C_HEAD:
            r = wire_read_head(&c->w, c->in, &c->s->lim.body);
            if (r > 0)
                conn_framed(c);
            break;
        case C_BODY:
            r = evbuffer_get_length(c->in) >= c->w.body_need;
            if (r)
                conn_dispatch(c);
            break;
        case C_CHUNKED:
            r = wire_read_chunked(&c->w, c->in, &c->s->lim.body);
            if (r > 0)
                conn_dispatch(c);
            break;
        default:
            r = 0;
        }
        if (r < 0)
            conn_refuse(c, c->w.err, c->w.err_msg);
    }
    c->in_process = 0;
    if (c->dead) {
        if (c->state != C_BUSY)
            conn_free(c);
        return;
    }
    if (r == 0 && c->eof &&
        (c->state == C_HEAD || c->state == C_BODY || c->state == C_CHUNKED)) {
        c->state = C_CLOSING;     /* nothing more will come */
    } else if (r == 0 && evbuffer_get_length(c->in) > 0 &&
               (c->state == C_HEAD || c->state == C_BODY || c->state == C_CHUNKED)) {
        /* an incomplete request: it may not take longer than the idle
         * timeout in all, however slowly it trickles in */
        uint64_t now = util_now_us();
        if (!c->start_us)
            c->start_us = now;
        else if (now - c->start_us > (uint64_t)c->s->lim.idle_timeout_s * 1000000u) {
            conn_drop(c);
            return;
        }
    }
    conn_flush(c);
}

/* Reads what the socket has into the input, straight into its free space
 * (evbuffer_read would first ask the kernel how much with an ioctl). */
static ssize_t conn_read(struct conn *c)
{
    struct evbuffer_iovec v[2];
    struct iovec io[2];
    ssize_t n;
    int nv = evbuffer_reserve_space(c->in, READ_CHUNK, v, 2), i;

    if (nv <= 0) {
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < nv; i++) {
        io[i].iov_base = v[i].iov_base;
        io[i].iov_len = v[i].iov_len;
    }
    n = readv(c->fd, io, nv);
    if (n <= 0) {
        evbuffer_commit_space(c->in, v, 0);
        return n;
    }
    if ((size_t)n <= v[0].iov_len) {
        v[0].iov_len = (size_t)n;
        nv = 1;
    } else {
        v[1].iov_len = (size_t)n - v[0].iov_len;
    }
    evbuffer_commit_space(c->in, v, nv);
    return n;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    ssize_t n;

    if (c->failed) {             /* a write failed: the client is gone */
        conn_lost(c);
        return;
    }
    if (what & EV_TIMEOUT) {
        /* silence: fine while a request or a stream is under way */
        if (c->state != C_BUSY && c->state != C_STREAM)
            conn_lost(c);
        return;
    }
    n = conn_read(c);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0 || (n == 0 && (c->state == C_STREAM || c->state == C_LINGER))) {
        conn_lost(c);
        return;
    }
    if (n == 0) {
        /* a half-close: what came is still answered, then we close */
        event_del(c->rev);
        c->eof = 1;
        if (c->state != C_BUSY)
            conn_process(c);
        return;
    }
    switch (c->state) {
    case C_STREAM:
    case C_CLOSING:
    case C_LINGER:
        evbuffer_drain(c->in, evbuffer_get_length(c->in));
        return;
    case C_BUSY:
        if (evbuffer_get_length(c->in) > INPUT_MAX + c->w.body_need)
            event_del(c->rev);    /* read on after the answer */
        return;
    default:
        conn_process(c);
    }
}

/* ---- the request's parts ---- */

const char *conn_header(const struct conn *c, const char *name)
{
    return wire_header(&c->w, name);
}

const char *conn_peer(struct conn *c)
{
    if (!c->peer[0]) {
        const struct sockaddr *sa = (const struct sockaddr *)&c->addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, c->peer,
                      sizeof c->peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->peer,
                      sizeof c->peer);
        else
            snprintf(c->peer, sizeof c->peer, "local");
    }
    return c->peer;
}

int conn_peer_port(const struct conn *c)
{
    const struct sockaddr *sa = (const struct sockaddr *)&c->addr;

    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

/* ---- accepting ---- */

static void refused_free(struct refused *x)
{
    struct conn_server *s = x->s;

    if (x->prev)
        x->prev->next = x->next;
    else
        s->refused_list = x->next;
    if (x->next)
        x->next->prev = x->prev;
    s->nrefused--;
    event_free(x->ev);
    evutil_closesocket(x->fd);
    free(x);
}

/* Reads and drops what a refused client sends, until it closes or the
 * linger is over; then closes. */
static void on_refused_readable(evutil_socket_t fd, short what, void *arg)
{
    struct refused *x = arg;
    char sink[4096];
    ssize_t n;

    if (what & EV_TIMEOUT) {
        refused_free(x);
        return;
    }
    while ((n = recv(fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
        ;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        refused_free(x);
}

/* Answers a connection past max_connections with the canned 503 and
 * closes it gracefully: a close with the client's request still unread
 * makes the kernel reset the connection, and the reset destroys the
 * answer before the client reads it (most refused clients then saw a
 * reset, not the 503 with its Retry-After). So the sending side is shut,
 * what the client sends is read and dropped, and the socket is closed at
 * its EOF or after REFUSED_LINGER_MS. At most REFUSED_LINGER_MAX linger at
 * once (a few hundred bytes each); past that the plain close it is. */
static void refuse_linger(struct conn_server *s, evutil_socket_t fd)
{
    struct timeval tv = {REFUSED_LINGER_MS / 1000, (REFUSED_LINGER_MS % 1000) * 1000};
    ssize_t w = send(fd, s->full, s->full_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    struct refused *x = NULL;

    if (w == (ssize_t)s->full_len && s->nrefused < REFUSED_LINGER_MAX &&
        shutdown(fd, SHUT_WR) == 0 && (x = calloc(1, sizeof *x)) != NULL &&
        (x->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_refused_readable, x)) != NULL &&
        event_add(x->ev, &tv) == 0) {
        x->s = s;
        x->fd = fd;
        x->next = s->refused_list;
        if (x->next)
            x->next->prev = x;
        s->refused_list = x;
        s->nrefused++;
        return;
    }
    if (x && x->ev)
        event_free(x->ev);
    free(x);
    evutil_closesocket(fd);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    conn_adopt(arg, fd, sa, salen);
}

int conn_adopt(struct conn_server *s, evutil_socket_t fd, const struct sockaddr *sa,
               int salen)
{
    struct timeval tv = {s->lim.idle_timeout_s, 0};
    struct conn *c;
    int one = 1;

    if (s->open >= s->lim.max_connections) {
        refuse_linger(s, fd);
        metrics_connection_refused();
        return -1;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->fd = fd;
    c->in = evbuffer_new();
    c->out = evbuffer_new();
    c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, c);
    c->wev = event_new(s->base, fd, EV_WRITE, on_writable, c);
    if (!c->in || !c->out || !c->rev || !c->wev || event_add(c->rev, &tv) < 0)
        goto fail;
    if (salen > 0 && (size_t)salen <= sizeof c->addr)
        memcpy(&c->addr, sa, (size_t)salen);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->s = s;
    c->next = s->conns;
    if (c->next)
        c->next->prev = c;
    s->conns = c;
    s->open++;
    metrics_connection(1);
    return 0;
fail:
    if (c) {
        if (c->rev)
            event_free(c->rev);
        if (c->wev)
            event_free(c->wev);
        if (c->in)
            evbuffer_free(c->in);
        if (c->out)
            evbuffer_free(c->out);
        free(c);
    }
    evutil_closesocket(fd);
    return -1;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct conn_server *s = arg;

    evconnlistener_enable(s->lev);
}

/* accept() failed: out of descriptors, most likely. Pauses accepting for
 * a moment instead of spinning on a listener that stays readable. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    struct conn_server *s = arg;
    struct timeval tv = {0, 100000};
    int err = EVUTIL_SOCKET_ERROR();

    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        static uint64_t last;
        uint64_t now = util_now_us();
        if (now - last > 10000000u) {
            util_log("warn", "accept: %s; pausing new connections", strerror(err));
            last = now;
        }
        evconnlistener_disable(lev);
        event_add(s->resume, &tv);
    }
}

struct conn_server *conn_listen(struct event_base *base, const char *host, int port,
                                const struct conn_limits *lim, conn_request_cb cb, void *arg)
{
    struct conn_server *s = calloc(1, sizeof *s);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *ai = NULL;
    char addr[300], portstr[16];
    size_t body_len = 0;
    char *body = errors_line(ERR_OVERLOADED, "Too many open connections; retry shortly.",
                             &body_len);

    if (!s || !body)
        goto fail;
    s->base = base;
    s->lim = *lim;
    s->cb = cb;
    s->arg = arg;
    s->full_len = (size_t)snprintf(s->full, sizeof s->full,
                                   "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                   "application/json\r\nContent-Length: %zu\r\nRetry-After: 1\r\n"
                                   "Connection: close\r\n\r\n%s", body_len, body);
    if (s->full_len >= sizeof s->full)
        goto fail;
    snprintf(addr, sizeof addr, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    snprintf(portstr, sizeof portstr, "%d", port);
    /* at start only: a name here may block on DNS, the loop is not running */
    if (getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai) != 0 || !ai) {
        util_log("error", "cannot resolve listen address %s", addr);
        goto fail;
    }
    s->resume = evtimer_new(base, on_resume, s);
    s->lev = evconnlistener_new_bind(base, on_accept, s,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC |
                                         (lim->share_port ? LEV_OPT_REUSEABLE_PORT : 0),
                                     -1, ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!s->resume || !s->lev) {
        util_log("error", "cannot listen on %s: %s", addr, strerror(errno));
        goto fail;
    }
    evconnlistener_set_error_cb(s->lev, on_accept_error);
    free(body);
    return s;
fail:
    free(body);
    if (s && s->resume)
        event_free(s->resume);
    free(s);
    return NULL;
}

void conn_server_free(struct conn_server *s)
{
    if (!s)
        return;
    evconnlistener_free(s->lev);
    event_free(s->resume);
    while (s->conns) {
        struct conn *c = s->conns;
        c->on_close = NULL;
        conn_drop(c);    /* unlinks c */
    }
    while (s->refused_list)
        refused_free(s->refused_list);
    free(s);
}

size_t conn_server_open(const struct conn_server *s)
{
    return s ? s->open : 0;
}
