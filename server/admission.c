/* admission — see admission.h. */
#include "admission.h"

#include <stdio.h>
#include <string.h>

#include "sha256.h"

#define MAC_B64 43            /* 32 bytes in base64url, unpadded */

static void b64url(const uint8_t *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i, o = 0;

    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        if (i + 1 < n) out[o++] = t[v >> 6 & 63];
        if (i + 2 < n) out[o++] = t[v & 63];
    }
    out[o] = '\0';
}

/* The mac of (event, ticket, expires) under secret, base64url. */
static void mac_of(const char *secret, const char *event, const char *ticket, int64_t exp,
                   char out[MAC_B64 + 1])
{
    char msg[ID_MAX * 2 + 32];
    uint8_t d[SHA256_LEN];
    int n = snprintf(msg, sizeof msg, "%s\n%s\n%lld", event, ticket, (long long)exp);

    sha256_hmac(secret, msg, (size_t)n, d);
    b64url(d, sizeof d, out);
}

size_t admission_make(const char *secret, const char *event, const char *ticket,
                      int64_t expires_ms, char *out)
{
    char mac[MAC_B64 + 1];

    mac_of(secret, event, ticket, expires_ms, mac);
    return (size_t)snprintf(out, ADMISSION_TOKEN_MAX + 1, "%s.%lld.%s", ticket,
                            (long long)expires_ms, mac);
}

/* Compares two macs in time that does not depend on where they differ. */
static int same(const char *a, const char *b)
{
    unsigned char d = 0;
    size_t i;

    for (i = 0; i < MAC_B64; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

enum admission_check admission_check(const char *secret, const char *old, const char *event,
                                     const char *token, int64_t now_ms, struct admission *a)
{
    const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL, *p;
    char mac[MAC_B64 + 1];
    int64_t exp = 0;
    size_t tl;

    if (!secret || !dot1 || !dot2 || (tl = (size_t)(dot1 - token)) == 0 || tl > ID_MAX ||
        dot2 - dot1 < 2 || dot2 - dot1 > 17 || strlen(dot2 + 1) != MAC_B64)
        return ADMISSION_BAD;
    for (p = dot1 + 1; p < dot2; p++) {
        if (*p < '0' || *p > '9')
            return ADMISSION_BAD;
        exp = exp * 10 + (*p - '0');
    }
    memcpy(a->ticket, token, tl);
    a->ticket[tl] = '\0';
    if (!validate_id(a->ticket, tl, ID_MAX))
        return ADMISSION_BAD;
    a->expires_ms = exp;
    mac_of(secret, event, a->ticket, exp, mac);
    if (!same(mac, dot2 + 1)) {
        if (!old)
            return ADMISSION_BAD;
        mac_of(old, event, a->ticket, exp, mac);
        if (!same(mac, dot2 + 1))
            return ADMISSION_BAD;
    }
    return exp <= now_ms ? ADMISSION_LAPSED : ADMISSION_VALID;
}
