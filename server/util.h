/* util — small helpers shared by every module: logging to stderr, clock
 * and time formatting, decimal numbers without printf, unguessable
 * tokens from the OS random source, and executable rules (USHER_ASSERT).
 * Nothing here allocates or blocks. */
#ifndef USHER_UTIL_H
#define USHER_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Prints one line "usherd: <time> <level> <message>" to stderr. */
void util_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Monotonic microseconds. */
uint64_t util_now_us(void);
/* The wall clock, ms since the epoch (admission tokens, queue settings). */
int64_t util_wall_ms(void);

/* Writes `ms` (milliseconds since the epoch) as RFC 3339 UTC with
 * milliseconds, e.g. 2026-11-22T02:06:18.123Z, into buf (>= 32 bytes). */
void util_format_rfc3339(int64_t ms, char *buf, size_t len);
/* Parses an RFC 3339 date-time ("2026-12-01T18:00:00Z", fractions of a
 * second and +hh:mm offsets allowed, 1970 or later) into ms since the
 * epoch. 0, or -1 when s is not one. */
int util_parse_rfc3339(const char *s, int64_t *ms);

/* Writes n in decimal at p (at most 20 bytes, no NUL); returns the end.
 * For the request path, where printf's format parsing costs. */
char *util_put_uint(char *p, unsigned long long n);

/* Appends n bytes of s at *p and advances it, never past end (a longer s
 * is cut there): for answers written by hand into a buffer sized ahead. */
void util_put(char **p, const char *end, const char *s, size_t n);

/* USHER_ASSERT(rule): a lifetime rule made executable, at the entry of
 * the functions that drop, finish or free. On in the Debug, sanitizer and
 * fuzz builds (CMake defines USHER_ASSERTS), compiled out otherwise; a
 * broken rule is logged and aborts. */
#ifdef USHER_ASSERTS
#define USHER_ASSERT(rule) ((rule) ? (void)0 : util_assert_fail(#rule, __FILE__, __LINE__))
#else
#define USHER_ASSERT(rule) ((void)0)
#endif
void util_assert_fail(const char *rule, const char *file, int line)
    __attribute__((noreturn));

/* Fills out[0..22] with a NUL-terminated URL-safe token of 128 random bits
 * from getrandom(2). Returns 0, or -1 when the OS random source fails. */
int util_random_token(char out[23]);

#endif
