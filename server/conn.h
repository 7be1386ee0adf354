/* conn — usherd's own HTTP/1.1 wire layer: listeners, connections and the
 * response writer, over the request parser of wire.h. It replaces evhttp because on
 * the hot path evhttp spends more CPU than the work itself (two header
 * maps, a malloc per header, a printf per header line), gives no hook to
 * count connections, and answers what it refuses with its own HTML.
 *
 * One request per connection at a time: the next pipelined request is
 * parsed only after the current one is answered, so answers go out in
 * order. Every error this layer detects is answered with usherd's JSON
 * error body (errors.h) and the connection is closed.
 *
 * Lifetime: a connection that goes away while its request is being
 * handled stays allocated (without its socket) until the handler answers;
 * the answer is then dropped. The handler never needs to check. */
#ifndef USHER_CONN_H
#define USHER_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <sys/socket.h>

#include "wire.h"

struct evbuffer;
struct conn;
struct conn_server;

typedef void (*conn_request_cb)(struct conn *c, const struct wire_request *rq, void *arg);

/* Connections refused past max_connections that linger at once, each
 * with its descriptor, while their canned 503 reaches the client. */
#define CONN_REFUSED_LINGER_MAX 256

struct conn_limits {
    size_t max_connections;   /* beyond it new connections get a canned 503 */
    struct wire_limits body;  /* how long a body may be (wire.h) */
    int idle_timeout_s;       /* silence, or a request still incomplete after it */
    int share_port;           /* SO_REUSEPORT: one listener per thread, the
                               * kernel spreads connections over them */
};

/* Listens on host:port (a name is resolved here, at start). NULL (reason
 * logged) on failure. */
struct conn_server *conn_listen(struct event_base *base, const char *host, int port,
                                const struct conn_limits *lim, conn_request_cb cb, void *arg);
/* Closes the listener and every connection (streams included: no close
 * callbacks run). Requests still being handled keep their connection
 * until answered. */
void conn_server_free(struct conn_server *s);

/* Serves an accepted, non-blocking socket (the listener's path; tests and
 * the fuzzer hand in one end of a socketpair). 0, or -1 when it was
 * refused or could not be set up (fd closed either way). */
int conn_adopt(struct conn_server *s, evutil_socket_t fd, const struct sockaddr *sa,
               int salen);

/* Connections of s open now (the fuzzer runs the loop until none is). */
size_t conn_server_open(const struct conn_server *s);


/* The value of request header `name` (case-insensitive), or NULL. */
const char *conn_header(const struct conn *c, const char *name);
/* The client's address ("127.0.0.1"), formatted once per connection. */
const char *conn_peer(struct conn *c);
int conn_peer_port(const struct conn *c);

/* Answers the current request. `extra` is "" or header lines, each ending
 * in "\r\n". The body is copied (conn_reply) or moved (conn_reply_buffer,
 * which drains it; NULL = empty). */
void conn_reply(struct conn *c, int status, const char *extra, const char *content_type,
                const char *body, size_t len);
void conn_reply_buffer(struct conn *c, int status, const char *extra,
                       const char *content_type, struct evbuffer *body);

/* Streams: answers 200 with a body that runs until either side closes
 * (no Content-Length; the connection is not reused). on_close runs once,
 * from the event loop, when the client goes away; it is not called for
 * conn_stream_end/close. -1 when no stream follows: the client is
 * already gone (c freed), or the request was HEAD (answered with the head
 * alone); c is not the caller's then, and on_close is never called. */
int conn_stream_start(struct conn *c, const char *content_type,
                       void (*on_close)(void *), void *arg);
/* Appends to the stream: copied, or referenced until written (cleanup). */
void conn_stream_write(struct conn *c, const char *data, size_t len);
int conn_stream_write_ref(struct conn *c, const void *data, size_t len,
                          void (*cleanup)(const void *, size_t, void *), void *arg);
/* Bytes written to the stream and not yet taken by the kernel. */
size_t conn_stream_backlog(const struct conn *c);
/* Ends the stream after what is queued is sent, or (close) drops it now. */
void conn_stream_end(struct conn *c);
void conn_stream_close(struct conn *c);

#endif
