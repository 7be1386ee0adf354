/* fake_reply — hiredis replies built by hand for the unit tests of the
 * modules that read them (replies, sse): strings, integers and arrays
 * over caller-owned storage, nothing allocated. */
#ifndef USHER_TEST_FAKE_REPLY_H
#define USHER_TEST_FAKE_REPLY_H

#include <hiredis/hiredis.h>
#include <string.h>

static inline redisReply S(const char *s)
{
    redisReply r = {0};

    r.type = REDIS_REPLY_STRING;
    r.str = (char *)s;
    r.len = strlen(s);
    return r;
}

static inline redisReply I(long long n)
{
    redisReply r = {0};

    r.type = REDIS_REPLY_INTEGER;
    r.integer = n;
    return r;
}

/* An array of the replies ptrs[0..n) point at. */
static inline redisReply A(redisReply **ptrs, size_t n)
{
    redisReply r = {0};

    r.type = REDIS_REPLY_ARRAY;
    r.elements = n;
    r.element = ptrs;
    return r;
}

/* An array of items[0..n), ptrs (n of them) pointed at each. */
static inline redisReply AV(redisReply *items, redisReply **ptrs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        ptrs[i] = &items[i];
    return A(ptrs, n);
}

#endif
