/* accesslog — see accesslog.h. */
#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "util.h"

struct accesslog {
    int fd;
    int own_fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    char *buf;                  /* filled by the loop */
    size_t len, cap;
    int stopping;
    uint64_t dropped;
};

static void *writer(void *arg)
{
    struct accesslog *al = arg;
    char *mine = NULL;
    size_t mine_cap = 0;

    pthread_mutex_lock(&al->lock);
    for (;;) {
        while (al->len == 0 && !al->stopping)
            pthread_cond_wait(&al->wake, &al->lock);
        if (al->len == 0 && al->stopping)
            break;
        {
            /* take the pending bytes, give the loop an empty buffer */
            char *full = al->buf;
            size_t n = al->len, cap = al->cap, off = 0;
            al->buf = mine;
            al->cap = mine_cap;
            al->len = 0;
            pthread_mutex_unlock(&al->lock);
            while (off < n) {
                ssize_t w = write(al->fd, full + off, n - off);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    break;          /* disk full or gone: drop, keep serving */
                off += (size_t)w;
            }
            mine = full;
            mine_cap = cap;
            pthread_mutex_lock(&al->lock);
        }
    }
    pthread_mutex_unlock(&al->lock);
    free(mine);
    return NULL;
}

struct accesslog *accesslog_open(const char *path)
{
    struct accesslog *al = calloc(1, sizeof *al);

    if (!al)
        return NULL;
    if (strcmp(path, "-") == 0) {
        al->fd = STDOUT_FILENO;
    } else {
        al->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        al->own_fd = 1;
    }
    if (al->fd < 0) {
        util_log("error", "cannot open access log %s: %s", path, strerror(errno));
        free(al);
        return NULL;
    }
    pthread_mutex_init(&al->lock, NULL);
    pthread_cond_init(&al->wake, NULL);
    if (pthread_create(&al->thread, NULL, writer, al) != 0) {
        util_log("error", "cannot start the access log writer");
        if (al->own_fd)
            close(al->fd);
        free(al);
        return NULL;
    }
    return al;
}

void accesslog_close(struct accesslog *al)
{
    if (!al)
        return;
    pthread_mutex_lock(&al->lock);
    al->stopping = 1;
    pthread_cond_signal(&al->wake);
    pthread_mutex_unlock(&al->lock);
    pthread_join(al->thread, NULL);
    if (al->own_fd)
        close(al->fd);
    pthread_mutex_destroy(&al->lock);
    pthread_cond_destroy(&al->wake);
    free(al->buf);
    free(al);
}

void accesslog_write(struct accesslog *al, const char *method, const char *route,
                     const char *event, int status, uint64_t us, size_t bytes,
                     const char *client)
{
    char line[768], when[40], ev[96];
    struct timeval tv;
    int n;

    gettimeofday(&tv, NULL);
    util_format_rfc3339((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, when, sizeof when);
    /* every string here is an id, a route template or an address: none
     * needs JSON escaping (ids are [A-Za-z0-9._:-]) */
    if (event)
        snprintf(ev, sizeof ev, "\"%s\"", event);
    else
        strcpy(ev, "null");
    n = snprintf(line, sizeof line,
                 "{\"time\":\"%s\",\"method\":\"%s\",\"route\":\"%s\",\"event\":%s,"
                 "\"status\":%d,\"duration_us\":%llu,\"bytes\":%zu,\"client\":\"%s\"}\n",
                 when, method, route, ev, status, (unsigned long long)us, bytes,
                 client ? client : "");
    if (n <= 0 || (size_t)n >= sizeof line)
        return;
    pthread_mutex_lock(&al->lock);
    if (al->len + (size_t)n > ACCESSLOG_MAX_PENDING) {
        al->dropped++;
    } else {
        if (al->len + (size_t)n > al->cap) {
            size_t cap = al->cap ? al->cap * 2 : 65536;
            char *p;
            while (cap < al->len + (size_t)n)
                cap *= 2;
            p = realloc(al->buf, cap);
            if (!p) {
                al->dropped++;
                pthread_mutex_unlock(&al->lock);
                return;
            }
            al->buf = p;
            al->cap = cap;
        }
        memcpy(al->buf + al->len, line, (size_t)n);
        al->len += (size_t)n;
        pthread_cond_signal(&al->wake);
    }
    pthread_mutex_unlock(&al->lock);
}

uint64_t accesslog_dropped(const struct accesslog *al)
{
    return al ? al->dropped : 0;
}
