/* libFuzzer target: the HTTP/1.1 wire layer (server/conn.c) end to end.
 * Each input is written, as a client would, into one end of a socketpair
 * whose other end conn.c serves; the client then half-closes and the loop
 * runs until the connection is gone. Requests are answered at once: an
 * echo of the body, or, for targets containing "stream", a short stream.
 * Covers the request line and header parser, Content-Length and chunked
 * bodies, pipelining, 100-continue, refusals and every close path. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_stream_close(void *arg)
{
    (void)arg;
}

static void on_request(struct conn *c, const struct wire_request *rq, void *arg)
{
    (void)arg;
    if (strstr(rq->target, "stream")) {
        if (conn_stream_start(c, "text/event-stream", on_stream_close, NULL) == 0) {
            conn_stream_write(c, "data: x\n\n", 9);
            if (strstr(rq->target, "kick"))
                conn_stream_close(c);
            else
                conn_stream_end(c);
        }
        return;
    }
    conn_reply(c, rq->body_len ? 200 : 204, conn_header(c, "X-Extra") ? "X-Seen: 1\r\n" : "",
               "text/plain", rq->body, rq->body_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    struct conn_limits lim = {.max_connections = 4, .body = {.max_body = 4096}, .idle_timeout_s = 1};
    struct conn_server *srv;
    char sink[65536];
    int sv[2], i;

    if (!base)
        base = event_base_new();
    srv = conn_listen(base, "127.0.0.1", 0, &lim, on_request, NULL);
    if (!srv || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    conn_adopt(srv, sv[0], NULL, 0);
    if (size && write(sv[1], data, size) < 0) {
        /* a full socket buffer: the rest is simply not sent */
    }
    shutdown(sv[1], SHUT_WR);
    for (i = 0; i < 64 && conn_server_open(srv) > 0; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        while (read(sv[1], sink, sizeof sink) > 0)
            ;
    }
    close(sv[1]);
    conn_server_free(srv);   /* whatever is still open goes here */
    event_base_loop(base, EVLOOP_NONBLOCK);
    return 0;
}
