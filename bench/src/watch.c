/* watch — see watch.h. */
#include "watch.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct watcher {
    struct watchers *all;
    int fd;
    int open;                   /* streaming (got a 200) or connecting */
    int streaming;
    struct event *ev, *retry;
    char prev;                  /* last byte seen, to count "\n\n" across reads */
};

struct watchers {
    int n;
    struct watcher *w;
    uint64_t bytes, messages, refused;
    struct event_base *base;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char req[512];
    int reqlen;
};

static void watcher_connect(struct watcher *w);

static void watcher_close(struct watcher *w)
{
    if (w->ev)
        event_free(w->ev);
    if (w->fd >= 0)
        close(w->fd);
    w->ev = NULL;
    w->fd = -1;
    w->open = w->streaming = 0;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    watcher_connect(arg);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct watcher *w = arg;
    char buf[65536];
    ssize_t n;

    for (;;) {
        n = read(fd, buf, sizeof buf);
        if (n > 0) {
            ssize_t i;
            if (!w->streaming) {
                /* refused (503 overloaded, 429): come back in a second,
                 * as a browser's reconnecting seat map would */
                if (n < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) {
                    struct timeval tv = {1, 0};
                    w->all->refused++;
                    watcher_close(w);
                    evtimer_add(w->retry, &tv);
                    return;
                }
                w->streaming = 1;
            }
            w->all->bytes += (uint64_t)n;
            for (i = 0; i < n; i++) {
                if (buf[i] == '\n' && w->prev == '\n')
                    w->all->messages++;
                w->prev = buf[i];
            }
            if ((size_t)n < sizeof buf)
                return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        watcher_close(w);       /* closed by the server */
        return;
    }
}

static void watcher_connect(struct watcher *w)
{
    struct watchers *all = w->all;

    w->fd = socket(all->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (w->fd < 0 || connect(w->fd, (struct sockaddr *)&all->addr, all->addrlen) < 0 ||
        write(w->fd, all->req, (size_t)all->reqlen) != all->reqlen) {
        watcher_close(w);
        return;
    }
    evutil_make_socket_nonblocking(w->fd);
    w->ev = event_new(all->base, w->fd, EV_READ | EV_PERSIST, on_read, w);
    event_add(w->ev, NULL);
    w->open = 1;
}

struct watchers *watchers_start(struct event_base *base, const char *host, int port,
                                const char *event, int n)
{
    struct watchers *all = calloc(1, sizeof *all);
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    int i;

    if (!all)
        return NULL;
    all->w = calloc((size_t)n, sizeof *all->w);
    all->n = n;
    all->base = base;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof portstr, "%d", port);
    if (!all->w || getaddrinfo(host, portstr, &hints, &res) != 0 ||
        res->ai_addrlen > sizeof all->addr) {
        if (res)
            freeaddrinfo(res);
        free(all->w);
        free(all);
        return NULL;
    }
    memcpy(&all->addr, res->ai_addr, res->ai_addrlen);
    all->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    all->reqlen = snprintf(all->req, sizeof all->req,
                           "GET /v1/events/%s/stream HTTP/1.1\r\nHost: %s\r\n"
                           "Accept: text/event-stream\r\n\r\n", event, host);
    for (i = 0; i < n; i++) {
        struct watcher *w = &all->w[i];
        w->all = all;
        w->fd = -1;
        w->retry = evtimer_new(base, on_retry, w);
        watcher_connect(w);
    }
    return all;
}

void watchers_stop(struct watchers *all, int *connected, uint64_t *bytes, uint64_t *messages,
                   uint64_t *refused)
{
    int i, open = 0;

    if (!all)
        return;
    for (i = 0; i < all->n; i++) {
        struct watcher *w = &all->w[i];
        open += w->streaming;
        watcher_close(w);
        if (w->retry)
            event_free(w->retry);
    }
    *connected = open;
    *bytes = all->bytes;
    *messages = all->messages;
    *refused = all->refused;
    free(all->w);
    free(all);
}
