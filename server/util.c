/* util — see util.h. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void util_log(const char *level, const char *fmt, ...)
{
    char when[32];
    struct timespec ts;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    util_format_rfc3339((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                        when, sizeof when);
    va_start(ap, fmt);
    fprintf(stderr, "usherd: %s %s ", when, level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

uint64_t util_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void util_format_rfc3339(int64_t ms, char *buf, size_t len)
{
    /* the seconds part is formatted once per second asked for: every hold
     * answer carries one, and strftime with snprintf cost more than the
     * rest of the answer (callgrind) */
    static __thread int64_t last_secs = -1;   /* per thread: no lock */
    static __thread char last[24];
    int64_t secs = ms / 1000;
    int msec = (int)(ms % 1000);

    if (len < 25)
        return;
    if (secs != last_secs) {
        time_t t = (time_t)secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S", &tm);
        last_secs = secs;
    }
    memcpy(buf, last, 19);
    buf[19] = '.';
    buf[20] = (char)('0' + msec / 100);
    buf[21] = (char)('0' + msec / 10 % 10);
    buf[22] = (char)('0' + msec % 10);
    buf[23] = 'Z';
    buf[24] = '\0';
}

void util_put(char **p, const char *end, const char *s, size_t n)
{
    if (n > (size_t)(end - *p))
        n = (size_t)(end - *p);
    memcpy(*p, s, n);
    *p += n;
}

char *util_put_uint(char *p, unsigned long long n)
{
    char tmp[20];
    int i = 0;

    do {
        tmp[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i)
        *p++ = tmp[--i];
    return p;
}

/* Random bytes are drawn from getrandom(2) a pool at a time; each token
 * takes 16 fresh bytes that are then wiped, so no bits are ever reused. One
 * syscall serves 256 tokens instead of one. A pool per thread: no lock. */
static __thread unsigned char pool[4096];
static __thread size_t pool_left;

int util_random_token(char out[23])
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[18] = {0};   /* 16 random + padding to a multiple of 3 */
    int i, o = 0;

    if (pool_left < 16) {
        if (getrandom(pool, sizeof pool, 0) != (ssize_t)sizeof pool)
            return -1;
        pool_left = sizeof pool;
    }
    pool_left -= 16;
    memcpy(raw, pool + pool_left, 16);
    memset(pool + pool_left, 0, 16);
    /* 16 bytes = 128 bits -> 22 base64url characters (the last one
     * carries 2 bits). */
    for (i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
                     (uint32_t)raw[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        if (o < 22) out[o++] = b64[v >> 6 & 63];
        if (o < 22) out[o++] = b64[v & 63];
    }
    out[22] = '\0';
    return 0;
}

void util_assert_fail(const char *cond, const char *file, int line)
{
    util_log("fatal", "broken rule at %s:%d: %s", file, line, cond);
    abort();
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int util_parse_rfc3339(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, n = 0, off = 0;
    int64_t frac = 0, scale = 1000;
    const char *p;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
        (s[10] != 'T' && s[10] != 't') ||
        sscanf(s + 11, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 60 || (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100) || y % 400 == 0)))
        return -1;
    p = s + 19;
    if (*p == '.') {
        if (!(p[1] >= '0' && p[1] <= '9'))
            return -1;
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
               p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '9' && p[5] >= '0' &&
               p[5] <= '9') {
        int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');
        if (oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    if (sec == 60)
        sec = 59;                /* a leap second: the instant before */
    *ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) -
           (int64_t)off * 60) * 1000 + frac;
    return 0;
}

int64_t util_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
