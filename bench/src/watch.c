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
    int open;
    struct event *ev;
    char prev;                  /* last byte seen, to count "\n\n" across reads */
};

struct watchers {
    int n;
    struct watcher *w;
    uint64_t bytes, messages;
};

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct watcher *w = arg;
    char buf[65536];
    ssize_t n;

    for (;;) {
        n = read(fd, buf, sizeof buf);
        if (n > 0) {
            ssize_t i;
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
        event_del(w->ev);       /* closed by the server */
        w->open = 0;
        return;
    }
}

struct watchers *watchers_start(struct event_base *base, const char *host, int port,
                                const char *event, int n)
{
    struct watchers *all = calloc(1, sizeof *all);
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16], req[512];
    int i, len;

    if (!all)
        return NULL;
    all->w = calloc((size_t)n, sizeof *all->w);
    all->n = n;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof portstr, "%d", port);
    if (!all->w || getaddrinfo(host, portstr, &hints, &res) != 0) {
        free(all->w);
        free(all);
        return NULL;
    }
    len = snprintf(req, sizeof req, "GET /v1/events/%s/stream HTTP/1.1\r\nHost: %s\r\n"
                   "Accept: text/event-stream\r\n\r\n", event, host);
    for (i = 0; i < n; i++) {
        struct watcher *w = &all->w[i];
        w->all = all;
        w->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (w->fd < 0 || connect(w->fd, res->ai_addr, res->ai_addrlen) < 0 ||
            write(w->fd, req, (size_t)len) != len) {
            if (w->fd >= 0)
                close(w->fd);
            w->fd = -1;
            continue;
        }
        evutil_make_socket_nonblocking(w->fd);
        w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_read, w);
        event_add(w->ev, NULL);
        w->open = 1;
    }
    freeaddrinfo(res);
    return all;
}

void watchers_stop(struct watchers *all, int *connected, uint64_t *bytes, uint64_t *messages)
{
    int i, open = 0;

    if (!all)
        return;
    for (i = 0; i < all->n; i++) {
        struct watcher *w = &all->w[i];
        open += w->open;
        if (w->ev)
            event_free(w->ev);
        if (w->fd >= 0)
            close(w->fd);
    }
    *connected = open;
    *bytes = all->bytes;
    *messages = all->messages;
    free(all->w);
    free(all);
}
