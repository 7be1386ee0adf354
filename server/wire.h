/* wire — the HTTP/1.1 request parser (RFC 9112) under conn.c: reads the
 * request line and header fields from the connection's input, decides
 * how the body is framed (Content-Length or chunked), and decodes a
 * chunked body. It only reads and says what it found: on a refusal it
 * names the error and conn.c answers it; it never writes.
 *
 * Framing that two readers could take differently is refused, never
 * guessed at: Transfer-Encoding (all its lines as one list) must end in
 * chunked, once, and never comes with Content-Length or in HTTP/1.0;
 * Content-Length is digits only; a bare LF ends no line. A 1.1 request
 * needs one valid Host. */
#ifndef USHER_WIRE_H
#define USHER_WIRE_H

#include <stddef.h>

#include "errors.h"

struct evbuffer;

#define WIRE_HEAD_MAX (16 * 1024)   /* request line and headers */
#define WIRE_TARGET_MAX 4096        /* the request target */
#define WIRE_HEADERS_MAX 64

/* One parsed request. method and target stay valid until the next
 * request is read; the body only during the request callback. */
struct wire_request {
    const char *method;       /* NUL-terminated, e.g. "GET" */
    const char *target;       /* origin-form: "/path?query", NUL-terminated */
    const char *body;         /* NULL when the request has no body */
    size_t body_len;
};

struct wire_limits {
    size_t max_body;          /* largest body of a request, unless: */
    /* asked, when a body would pass max_body, for the largest this request
     * may have (its route's limit); NULL: max_body holds for every request.
     * Bodies are refused at the head, before they are read. */
    size_t (*large_body_max)(void *arg, const char *method, const char *target);
    void *arg;
};

enum wire_body { WIRE_NONE, WIRE_LENGTH, WIRE_CHUNKED };
enum wire_chunk_phase { WIRE_CH_SIZE, WIRE_CH_DATA, WIRE_CH_DATA_END, WIRE_CH_TRAILER };

/* The parser's state for one connection, embedded in it. */
struct wire {
    struct wire_request rq;
    int http10;
    int keep_alive;           /* the request allows the connection's reuse */
    int head_only;            /* HEAD: answer without the body */
    int expect_continue;      /* Expect: 100-continue, and a body to come */
    enum wire_body body;      /* how the body comes, once the head is read */
    size_t body_need;         /* WIRE_LENGTH: its length */
    struct evbuffer *chunks;  /* WIRE_CHUNKED: the body so far */
    size_t chunk_left;
    enum wire_chunk_phase phase;
    char *head;               /* the current head, parsed in place */
    size_t head_cap;
    int nh;
    const char *hname[WIRE_HEADERS_MAX], *hval[WIRE_HEADERS_MAX];
    /* after -1: what to answer */
    enum err_code err;
    const char *err_msg;      /* NULL: the code's default */
    char err_buf[80];
};

/* Reads a request head from `in` once it is complete, draining it.
 * 1: read, and framed (w->body, w->body_need, w->expect_continue);
 * 0: more input needed (nothing drained); -1: refused, w->err and
 * w->err_msg say why (the connection must be closed after the answer). */
int wire_read_head(struct wire *w, struct evbuffer *in, const struct wire_limits *lim);

/* Decodes what `in` holds of a chunked body into w->chunks. 1: the body
 * is complete; 0: more input needed; -1: refused, as wire_read_head. */
int wire_read_chunked(struct wire *w, struct evbuffer *in, const struct wire_limits *lim);

/* The value of header `name` (case-insensitive) of the request read
 * last, or NULL. */
const char *wire_header(const struct wire *w, const char *name);

/* Forgets the request read last: call once it is answered. */
void wire_next(struct wire *w);

/* Frees what w holds (not w). */
void wire_deinit(struct wire *w);

#endif
