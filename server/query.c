/* query — see query.h. */
#include "query.h"

#include <string.h>

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes s[0..n) into out[0..cap). 0, or -1 on a bad escape, a NUL or
 * when it does not fit. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
                return -1;
            ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
            if (ch == '\0')
                return -1;
        } else if (ch == '+') {
            ch = ' ';
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = ch;
    }
    out[o] = '\0';
    return 0;
}

enum query_result query_next(const char **q, char *name, size_t ncap, char *value, size_t vcap)
{
    const char *p = *q, *eq;
    size_t n;

    while (p && *p == '&')
        p++;
    if (!p || !*p) {
        *q = p;
        return QUERY_END;
    }
    n = strcspn(p, "&");
    *q = p + n + (p[n] == '&');
    eq = memchr(p, '=', n);
    if (decode(p, eq ? (size_t)(eq - p) : n, name, ncap) < 0)
        return QUERY_BAD;
    if (decode(eq ? eq + 1 : p + n, eq ? (size_t)(p + n - eq - 1) : 0, value, vcap) < 0)
        return QUERY_BAD;
    return QUERY_PAIR;
}

size_t query_normalize_path(const char *path, size_t len, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        if (path[i] == '%' && i + 2 < len && hexval(path[i + 1]) >= 0 &&
            hexval(path[i + 2]) >= 0) {
            char ch = (char)(hexval(path[i + 1]) * 16 + hexval(path[i + 2]));
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
                out[o++] = ch;
                i += 2;
                continue;
            }
        }
        out[o++] = path[i];
    }
    out[o] = '\0';
    return o;
}
