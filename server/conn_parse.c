/* conn_parse — the HTTP/1.1 request parser of conn.c: the request line
 * and header fields, parsed in place on a copy of the head; how the body
 * is framed (Content-Length or chunked, 100-continue); the chunked
 * decoder; header lookup and the peer address. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conn_int.h"

const char *conn_header(const struct conn *c, const char *name)
{
    int i;

    for (i = 0; i < c->nh; i++)
        if (strcasecmp(c->hname[i], name) == 0)
            return c->hval[i];
    return NULL;
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

static int is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Splits the head (NUL-terminated, without the final CRLF CRLF) into the
 * request line and headers, in place. 0, or -1 after conn_refuse(). */
static int parse_head(struct conn *c, char *p)
{
    char *line, *sp, *target, *version;
    int i;

    while (p[0] == '\r' && p[1] == '\n')      /* empty lines before a request */
        p += 2;
    line = p;
    p = strstr(p, "\r\n");
    if (p) {
        *p = '\0';
        p += 2;
    }
    sp = strchr(line, ' ');
    if (!sp || sp == line || sp - line > 16)
        goto bad;
    *sp = '\0';
    for (i = 0; line[i]; i++)
        if (!is_tchar((unsigned char)line[i]))
            goto bad;
    target = sp + 1;
    sp = strchr(target, ' ');
    if (!sp || sp == target)
        goto bad;
    *sp = '\0';
    version = sp + 1;
    if (sp - target > TARGET_MAX) {
        conn_refuse(c, ERR_URI_TOO_LONG, NULL);
        return -1;
    }
    for (i = 0; target[i]; i++)
        if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f)
            goto bad;
    if (strcmp(version, "HTTP/1.1") == 0)
        c->http10 = 0;
    else if (strcmp(version, "HTTP/1.0") == 0)
        c->http10 = 1;
    else
        goto bad;
    c->rq.method = line;
    c->rq.target = target;
    c->nh = 0;
    while (p && *p) {
        char *name = p, *colon, *end, *v;
        p = strstr(p, "\r\n");
        if (p) {
            *p = '\0';
            p += 2;
        }
        colon = strchr(name, ':');
        if (!colon || colon == name)
            goto bad;
        for (end = name; end < colon; end++)
            if (!is_tchar((unsigned char)*end))
                goto bad;
        *colon = '\0';
        v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        end = v + strlen(v);
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        for (end = v; *end; end++)
            if (((unsigned char)*end < 0x20 && *end != '\t') || *end == 0x7f)
                goto bad;
        if (c->nh == HEADERS_MAX) {
            conn_refuse(c, ERR_HEADERS_TOO_LARGE, "At most 64 header fields are accepted.");
            return -1;
        }
        c->hname[c->nh] = name;
        c->hval[c->nh++] = v;
    }
    return 0;
bad:
    conn_refuse(c, ERR_INVALID_REQUEST, "The request is not well-formed HTTP/1.1.");
    return -1;
}

static int has_token(const char *v, const char *token)
{
    size_t n = strlen(token);

    while (v && *v) {
        while (*v == ' ' || *v == ',')
            v++;
        if (strncasecmp(v, token, n) == 0 && (v[n] == '\0' || v[n] == ',' || v[n] == ' '))
            return 1;
        v = strchr(v, ',');
    }
    return 0;
}

/* Refuses a body of `len` bytes (so far, or announced) when it passes
 * what this request may have. 0, or -1 after conn_refuse(). */
static int check_body_len(struct conn *c, unsigned long long len)
{
    const struct conn_limits *lim = &c->s->lim;
    size_t max = lim->max_body;
    char msg[80];

    if (len <= max)
        return 0;
    if (lim->large_body_max && len <= (max = lim->large_body_max(c->rq.method, c->rq.target)))
        return 0;
    snprintf(msg, sizeof msg, "The body may be at most %zu bytes on this route.", max);
    conn_refuse(c, ERR_BODY_TOO_LARGE, msg);
    return -1;
}

/* Decides how the body comes. 0, or -1 after conn_refuse(). */
static int frame_body(struct conn *c)
{
    const char *te = conn_header(c, "Transfer-Encoding");
    const char *cl = conn_header(c, "Content-Length");
    const char *conn = conn_header(c, "Connection");
    const char *expect;
    char *end;
    unsigned long long n;
    int i;

    c->keep_alive = c->http10 ? has_token(conn, "keep-alive") : !has_token(conn, "close");
    c->head_only = strcmp(c->rq.method, "HEAD") == 0;
    c->body_need = 0;
    for (i = 0; i < c->nh; i++)   /* one length, or copies of it (RFC 9112 6.3) */
        if (cl && strcasecmp(c->hname[i], "Content-Length") == 0 && strcmp(c->hval[i], cl)) {
            conn_refuse(c, ERR_INVALID_REQUEST, "Content-Length is given twice, differently.");
            return -1;
        }
    if (te) {
        if (cl || strcasecmp(te, "chunked") != 0) {
            conn_refuse(c, ERR_INVALID_REQUEST,
                        "Only a chunked Transfer-Encoding without Content-Length is accepted.");
            return -1;
        }
        if (!c->chunks && !(c->chunks = evbuffer_new()))
            return -1;
        c->phase = CH_SIZE;
        c->state = C_CHUNKED;
    } else if (cl) {
        errno = 0;
        n = strtoull(cl, &end, 10);
        if (!*cl || *end || cl[0] == '-' || errno) {
            conn_refuse(c, ERR_INVALID_REQUEST, "Content-Length is not a number.");
            return -1;
        }
        if (check_body_len(c, n) < 0)
            return -1;
        c->body_need = (size_t)n;
        c->state = n ? C_BODY : C_HEAD;
    } else {
        c->state = C_HEAD;
    }
    expect = conn_header(c, "Expect");
    if (c->state != C_HEAD && expect && strcasecmp(expect, "100-continue") == 0 &&
        !c->http10 && evbuffer_get_length(c->in) < c->body_need + 1)
        evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    return 0;
}

/* Reads the head when complete. 1 = next step, 0 = more input needed,
 * -1 = refused. */
int conn_step_head(struct conn *c)
{
    size_t len = evbuffer_get_length(c->in), scan = len < HEAD_MAX ? len : HEAD_MAX;
    const char *data, *end;
    size_t hl;

    if (len == 0)
        return 0;
    data = (const char *)evbuffer_pullup(c->in, (ev_ssize_t)scan);
    end = data ? memmem(data, scan, "\r\n\r\n", 4) : NULL;
    if (!end) {
        if (len >= HEAD_MAX) {
            conn_refuse(c, ERR_HEADERS_TOO_LARGE, NULL);
            return -1;
        }
        return 0;
    }
    hl = (size_t)(end - data) + 4;
    if (memchr(data, '\0', hl)) {
        conn_refuse(c, ERR_INVALID_REQUEST, "The request head contains a NUL byte.");
        return -1;
    }
    if (c->head_cap < hl - 1) {
        free(c->head);
        c->head_cap = hl < 512 ? 512 : hl;
        if (!(c->head = malloc(c->head_cap))) {
            c->head_cap = 0;
            return -1;
        }
    }
    memcpy(c->head, data, hl - 4);
    c->head[hl - 4] = '\0';
    evbuffer_drain(c->in, hl);
    if (parse_head(c, c->head) < 0 || frame_body(c) < 0)
        return -1;
    return 1;
}

/* Decodes what has arrived of a chunked body. 1 = complete, 0 = more
 * input needed, -1 = refused. */
int conn_step_chunked(struct conn *c)
{
    for (;;) {
        size_t len = evbuffer_get_length(c->in), n;
        char line[CHUNK_LINE_MAX + 1], *end;
        struct evbuffer_ptr eol;
        unsigned long long size;

        if (c->phase == CH_DATA) {
            n = len < c->chunk_left ? len : c->chunk_left;
            if (n == 0)
                return 0;
            evbuffer_remove_buffer(c->in, c->chunks, n);
            if ((c->chunk_left -= n) == 0)
                c->phase = CH_DATA_END;
            continue;
        }
        eol = evbuffer_search_eol(c->in, NULL, &n, EVBUFFER_EOL_CRLF_STRICT);
        if (eol.pos < 0) {
            if (len > CHUNK_LINE_MAX)
                goto bad;
            return 0;
        }
        if ((size_t)eol.pos > CHUNK_LINE_MAX)
            goto bad;
        evbuffer_remove(c->in, line, (size_t)eol.pos);
        line[eol.pos] = '\0';
        evbuffer_drain(c->in, 2);
        switch (c->phase) {
        case CH_DATA_END:
            if (eol.pos != 0)
                goto bad;
            c->phase = CH_SIZE;
            break;
        case CH_TRAILER:
            if (eol.pos == 0)
                return 1;
            break;
        default:
            line[strcspn(line, ";")] = '\0';
            if (!line[0] || strlen(line) > 8 || line[strspn(line, "0123456789abcdefABCDEF")])
                goto bad;
            size = strtoull(line, &end, 16);
            if (check_body_len(c, size + evbuffer_get_length(c->chunks)) < 0)
                return -1;
            c->chunk_left = (size_t)size;
            c->phase = size ? CH_DATA : CH_TRAILER;
        }
    }
bad:
    conn_refuse(c, ERR_INVALID_REQUEST, "The chunked body is malformed.");
    return -1;
}
