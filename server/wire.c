/* wire — see wire.h. The head is parsed in place on a copy of it. */
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNK_LINE_MAX 64

/* Records why the request is refused; returns -1 for the caller to pass on. */
static int wire_fail(struct wire *w, enum err_code code, const char *message)
{
    w->err = code;
    w->err_msg = message;
    return -1;
}

const char *wire_header(const struct wire *w, const char *name)
{
    int i;

    for (i = 0; i < w->nh; i++)
        if (strcasecmp(w->hname[i], name) == 0)
            return w->hval[i];
    return NULL;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* The origin-form ("/path?query") of a request target: the target
 * itself, or the path of an absolute-form one ("http://host:port/path",
 * which a server MUST accept, RFC 9112 3.2.2; its authority is not
 * checked against ours: usherd answers for any name it is reached by).
 * May rewrite the target in place. NULL when it is neither. */
static char *origin_target(char *target)
{
    char *p;

    if (target[0] == '/')
        return target;
    if (strncasecmp(target, "http://", 7) == 0)
        p = target + 7;
    else if (strncasecmp(target, "https://", 8) == 0)
        p = target + 8;
    else
        return NULL;
    if (*p == '/' || *p == '?' || !*p)
        return NULL;              /* an absolute URI needs a host */
    p += strcspn(p, "/?");
    if (*p == '/')
        return p;
    /* "http://host" or "http://host?q": the path is "/"; the host's last
     * character, already passed over, makes room for the slash */
    p[-1] = '/';
    return p - 1;
}

/* 1 when v is a valid Host field value: uri-host [":" port], uri-host
 * an IP-literal in brackets or a reg-name of unreserved, %-encoded and
 * sub-delim characters (RFC 9110 7.2, RFC 3986 3.2.2); empty is valid. */
static int host_valid(const char *v)
{
    const char *p = v;

    if (*p == '[') {
        for (p++; *p && *p != ']'; p++)
            if (!strchr("0123456789abcdefABCDEF:.vV-_~!$&'()*+,;=", *p))
                return 0;
        if (*p++ != ']')
            return 0;
    } else {
        for (; *p && *p != ':'; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch == '%') {
                if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
                    return 0;
                p += 2;
            } else if (!isalnum(ch) && !strchr("-._~!$&'()*+,;=", ch)) {
                return 0;
            }
        }
    }
    if (*p == ':')
        for (p++; *p; p++)
            if (!is_digit(*p))
                return 0;
    return *p == '\0';
}

static int is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Splits the head (NUL-terminated, without the final CRLF CRLF) into the
 * request line and headers, in place. 0, or -1 (refused). */
static int parse_head(struct wire *w, char *p)
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
    if (sp - target > WIRE_TARGET_MAX)
        return wire_fail(w, ERR_URI_TOO_LONG, NULL);
    for (i = 0; target[i]; i++)
        if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f)
            goto bad;
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT; a later 1.x is served as
     * 1.1 (RFC 9110 2.5), another major version is refused with 505 */
    if (strncmp(version, "HTTP/", 5) != 0 || !is_digit(version[5]) || version[6] != '.' ||
        !is_digit(version[7]) || version[8])
        goto bad;
    if (version[5] != '1')
        return wire_fail(w, ERR_HTTP_VERSION, NULL);
    w->http10 = version[7] == '0';
    w->rq.method = line;
    if (!(w->rq.target = origin_target(target)))
        goto bad;
    w->nh = 0;
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
        if (w->nh == WIRE_HEADERS_MAX)
            return wire_fail(w, ERR_HEADERS_TOO_LARGE, "At most 64 header fields are accepted.");
        w->hname[w->nh] = name;
        w->hval[w->nh++] = v;
    }
    return 0;
bad:
    return wire_fail(w, ERR_INVALID_REQUEST, "The request is not well-formed HTTP/1.1.");
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
 * what this request may have. 0, or -1 (refused). */
static int check_body_len(struct wire *w, const struct wire_limits *lim, unsigned long long len)
{
    size_t max = lim->max_body;

    if (len <= max)
        return 0;
    if (lim->large_body_max &&
        len <= (max = lim->large_body_max(lim->arg, w->rq.method, w->rq.target)))
        return 0;
    snprintf(w->err_buf, sizeof w->err_buf, "The body may be at most %zu bytes on this route.", max);
    return wire_fail(w, ERR_BODY_TOO_LARGE, w->err_buf);
}

/* The transfer codings of every Transfer-Encoding field line, taken as
 * one list (RFC 9110 5.3): -1 when there are none, 1 when the list is
 * exactly "chunked", 0 when it names another coding (501), -2 when it is
 * faulty framing (empty, chunked twice or not last: 400 and close,
 * RFC 9112 6.3). */
static int transfer_codings(const struct wire *w)
{
    int i, seen = 0, chunked = 0, other = 0, last_chunked = 0;

    for (i = 0; i < w->nh; i++) {
        const char *v = w->hval[i];
        if (strcasecmp(w->hname[i], "Transfer-Encoding") != 0)
            continue;
        seen = 1;
        while (*v) {
            size_t n;
            while (*v == ' ' || *v == '\t' || *v == ',')
                v++;
            n = strcspn(v, ",");
            while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n == 0)
                break;
            last_chunked = n == 7 && strncasecmp(v, "chunked", 7) == 0;
            chunked += last_chunked;
            other += !last_chunked;
            v += strcspn(v, ",");
        }
    }
    if (!seen)
        return -1;
    if (chunked + other == 0 || chunked > 1 || !last_chunked)
        return -2;
    return other ? 0 : 1;
}

/* Checks Host (RFC 9112 3.2: a 1.1 request has exactly one, and any
 * request at most one, with a valid value) and decides how the body
 * comes. 0, or -1 (refused). */
static int frame_body(struct wire *w, const struct wire_limits *lim)
{
    const char *cl = NULL, *host = NULL;
    const char *conn = wire_header(w, "Connection");
    const char *expect = wire_header(w, "Expect");
    unsigned long long n = 0;
    int i, hosts = 0, te;

    w->keep_alive = w->http10 ? has_token(conn, "keep-alive") : !has_token(conn, "close");
    w->head_only = strcmp(w->rq.method, "HEAD") == 0;
    w->body = WIRE_NONE;
    w->body_need = 0;
    for (i = 0; i < w->nh; i++) {
        if (strcasecmp(w->hname[i], "Host") == 0) {
            host = w->hval[i];
            hosts++;
        } else if (strcasecmp(w->hname[i], "Content-Length") == 0) {
            /* one length, or copies of it (RFC 9112 6.3) */
            if (cl && strcmp(w->hval[i], cl) != 0)
                return wire_fail(w, ERR_INVALID_REQUEST,
                                 "Content-Length is given twice, differently.");
            cl = w->hval[i];
        }
    }
    if (hosts > 1 || (hosts == 0 && !w->http10) || (host && !host_valid(host)))
        return wire_fail(w, ERR_INVALID_REQUEST, hosts > 1 ? "Host is given more than once."
                         : hosts ? "The Host header is not a valid host[:port]."
                         : "An HTTP/1.1 request needs a Host header.");
    te = transfer_codings(w);
    if (te != -1 && (cl || w->http10 || te == -2))
        /* a length that two readers could take differently: nothing
         * after it can be trusted to be the next request */
        return wire_fail(w, ERR_INVALID_REQUEST, w->http10
                         ? "Transfer-Encoding is not defined for HTTP/1.0."
                         : cl ? "Transfer-Encoding and Content-Length are both given."
                         : "Transfer-Encoding must end in chunked, given once.");
    if (te == 0)
        return wire_fail(w, ERR_UNSUPPORTED_TRANSFER_CODING, NULL);
    if (te == 1) {
        if (!w->chunks && !(w->chunks = evbuffer_new()))
            return wire_fail(w, ERR_INTERNAL, NULL);
        w->phase = WIRE_CH_SIZE;
        w->body = WIRE_CHUNKED;
    } else if (cl) {
        /* Content-Length = 1*DIGIT: no sign, no space, no list */
        for (i = 0; is_digit(cl[i]); i++)      /* saturates: then 413 */
            n = n > (~0ULL - 9) / 10 ? ~0ULL : n * 10 + (unsigned)(cl[i] - '0');
        if (i == 0 || cl[i])
            return wire_fail(w, ERR_INVALID_REQUEST, "Content-Length is not a number.");
        if (check_body_len(w, lim, n) < 0)
            return -1;
        w->body_need = (size_t)n;
        w->body = n ? WIRE_LENGTH : WIRE_NONE;
    }
    w->expect_continue = w->body != WIRE_NONE && !w->http10 && expect &&
                         strcasecmp(expect, "100-continue") == 0;
    return 0;
}

static const char bare_lf_mark;
#define BARE_LF (&bare_lf_mark)

/* Where the head's final CRLF CRLF starts in data[0..len), NULL when it
 * has not come yet, or BARE_LF when a line ends in a bare LF before it:
 * answered 400 at once rather than waited for, and never read as a line
 * end, since another reader of the same bytes might not (RFC 9112 2.2). */
static const char *head_end(const char *data, size_t len)
{
    const char *p = data, *end = data + len;

    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (p == data || p[-1] != '\r')
            return BARE_LF;
        if (p - data >= 3 && p[-2] == '\n' && p[-3] == '\r')
            return p - 3;
        p++;
    }
    return NULL;
}

int wire_read_head(struct wire *w, struct evbuffer *in, const struct wire_limits *lim)
{
    size_t len = evbuffer_get_length(in), scan = len < WIRE_HEAD_MAX ? len : WIRE_HEAD_MAX;
    const char *data, *end;
    size_t hl;

    if (len == 0)
        return 0;
    data = (const char *)evbuffer_pullup(in, (ev_ssize_t)scan);
    end = data ? head_end(data, scan) : NULL;
    if (end == BARE_LF)
        return wire_fail(w, ERR_INVALID_REQUEST, "Lines of the request head must end in CRLF.");
    if (!end) {
        if (len >= WIRE_HEAD_MAX)
            return wire_fail(w, ERR_HEADERS_TOO_LARGE, NULL);
        return 0;
    }
    hl = (size_t)(end - data) + 4;
    if (memchr(data, '\0', hl))
        return wire_fail(w, ERR_INVALID_REQUEST, "The request head contains a NUL byte.");
    if (w->head_cap < hl - 1) {
        free(w->head);
        w->head_cap = hl < 512 ? 512 : hl;
        if (!(w->head = malloc(w->head_cap))) {
            w->head_cap = 0;
            return wire_fail(w, ERR_INTERNAL, NULL);
        }
    }
    memcpy(w->head, data, hl - 4);
    w->head[hl - 4] = '\0';
    evbuffer_drain(in, hl);
    if (parse_head(w, w->head) < 0 || frame_body(w, lim) < 0)
        return -1;
    return 1;
}

int wire_read_chunked(struct wire *w, struct evbuffer *in, const struct wire_limits *lim)
{
    for (;;) {
        size_t len = evbuffer_get_length(in), n;
        char line[CHUNK_LINE_MAX + 2], *end;
        struct evbuffer_ptr eol;
        unsigned long long size;

        if (w->phase == WIRE_CH_DATA) {
            n = len < w->chunk_left ? len : w->chunk_left;
            if (n == 0)
                return 0;
            evbuffer_remove_buffer(in, w->chunks, n);
            if ((w->chunk_left -= n) == 0)
                w->phase = WIRE_CH_DATA_END;
            continue;
        }
        /* a line ends in CRLF; a bare LF is refused, never waited out */
        eol = evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_LF);
        if (eol.pos < 0) {
            if (len > CHUNK_LINE_MAX)
                goto bad;
            return 0;
        }
        if ((size_t)eol.pos > CHUNK_LINE_MAX + 1 || eol.pos == 0)
            goto bad;
        evbuffer_remove(in, line, (size_t)eol.pos + 1);
        if (line[eol.pos - 1] != '\r')
            goto bad;
        line[eol.pos - 1] = '\0';
        eol.pos--;
        switch (w->phase) {
        case WIRE_CH_DATA_END:
            if (eol.pos != 0)
                goto bad;
            w->phase = WIRE_CH_SIZE;
            break;
        case WIRE_CH_TRAILER:
            if (eol.pos == 0)
                return 1;
            break;
        default: {
            /* chunk-size [BWS ";" chunk-ext]: any number of leading
             * zeros, at most 8 significant hex digits */
            char *hex = line, *rest;
            hex += strspn(hex, "0");
            rest = hex + strspn(hex, "0123456789abcdefABCDEF");
            if (rest == line || rest - hex > 8)
                goto bad;
            end = rest + strspn(rest, " \t");
            if (*end ? *end != ';' : end != rest)
                goto bad;
            *rest = '\0';
            size = hex == rest ? 0 : strtoull(hex, NULL, 16);
            if (check_body_len(w, lim, size + evbuffer_get_length(w->chunks)) < 0)
                return -1;
            w->chunk_left = (size_t)size;
            w->phase = size ? WIRE_CH_DATA : WIRE_CH_TRAILER;
        }
        }
    }
bad:
    return wire_fail(w, ERR_INVALID_REQUEST, "The chunked body is malformed.");
}

void wire_next(struct wire *w)
{
    w->nh = 0;
    w->body = WIRE_NONE;
    w->body_need = 0;
    w->expect_continue = 0;
    memset(&w->rq, 0, sizeof w->rq);
    if (w->head_cap > 4096) {    /* a big head is not kept per connection */
        free(w->head);
        w->head = NULL;
        w->head_cap = 0;
    }
}

void wire_deinit(struct wire *w)
{
    free(w->head);
    if (w->chunks)
        evbuffer_free(w->chunks);
    w->head = NULL;
    w->chunks = NULL;
}
