/* conn_int — what conn.c (I/O, answers, life cycle) and conn_parse.c
 * (the request parser) share: the connection and server structs. Not for
 * the rest of usherd, which sees only conn.h. */
#ifndef USHER_CONN_INT_H
#define USHER_CONN_INT_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conn.h"
#include "errors.h"

#define HEAD_MAX (16 * 1024)     /* request line and headers */
#define TARGET_MAX 4096          /* the request target */
#define HEADERS_MAX 64
#define INPUT_MAX (64 * 1024)    /* read ahead while a request is handled */
#define OUTPUT_PAUSE (256 * 1024) /* unsent answers before parsing stops */
#define CHUNK_LINE_MAX 64
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

enum chunk_phase { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER };

struct conn {
    struct conn_server *s;        /* NULL once the server is gone */
    evutil_socket_t fd;           /* -1 once the socket is gone */
    struct event *rev, *wev;
    struct evbuffer *in, *out;
    enum cstate state;
    int keep_alive;               /* the current request allows reuse */
    int http10;
    int head_only;                /* HEAD: answer without the body */
    int in_process;               /* conn_process() is on the stack */
    int dead;                     /* socket gone: free when answered */
    int eof;                      /* the client half-closed */
    int failed;                   /* a write failed: drop at the next read event */
    uint64_t start_us;            /* when an incomplete request was first seen */
    size_t body_need;             /* C_BODY */
    struct evbuffer *chunks;      /* C_CHUNKED: the body so far */
    size_t chunk_left;
    enum chunk_phase phase;
    char *head;                   /* the current head, parsed in place */
    size_t head_cap;
    int nh;
    const char *hname[HEADERS_MAX], *hval[HEADERS_MAX];
    struct conn_request rq;
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
    uint64_t refused;
    struct conn *conns;
    struct refused *refused_list; /* lingering refused sockets */
    size_t nrefused;
    char full[512];               /* the canned answer past max_connections */
    size_t full_len;
};

/* Answers an error the layer found, and closes after it (conn.c). */
void conn_refuse(struct conn *c, enum err_code code, const char *message);

/* The parser (conn_parse.c). Each returns 1 = a step done, 0 = more input
 * needed, -1 = refused (conn_refuse called). */
int conn_step_head(struct conn *c);      /* head read, body framed */
int conn_step_chunked(struct conn *c);   /* chunked body complete */

#endif
