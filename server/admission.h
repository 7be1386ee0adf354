/* admission — the waiting room's admission tokens, made and checked by
 * usherd alone, without Redis: "<ticket>.<expires ms>.<mac>" where mac is
 * the base64url HMAC-SHA256 (RFC 2104) of "<event>\n<ticket>\n<expires
 * ms>" under the queue secret (--queue-secret; --queue-secret-old is
 * still accepted, so the secret can be rotated without refusing the
 * tokens out there). Any usherd with the secret checks any usherd's
 * token. The seats a token may hold are counted by the hold script, not
 * here: a token proves an admission, not a budget. */
#ifndef USHER_ADMISSION_H
#define USHER_ADMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "validate.h"

#define ADMISSION_TOKEN_MAX (ID_MAX + 24 + 48)

enum admission_check { ADMISSION_VALID, ADMISSION_BAD, ADMISSION_LAPSED };

struct admission {
    char ticket[ID_MAX + 1];
    int64_t expires_ms;
};

/* Writes the token of `ticket` of `event` expiring at expires_ms into out
 * (ADMISSION_TOKEN_MAX + 1 bytes). Its length. */
size_t admission_make(const char *secret, const char *event, const char *ticket,
                      int64_t expires_ms, char *out);

/* Checks `token` for `event` under secret, else old (NULL: none): BAD
 * when malformed or signed by neither, LAPSED when it expired by now_ms
 * (the local clock; the hold script checks again by Redis' time), else
 * VALID with a filled. */
enum admission_check admission_check(const char *secret, const char *old, const char *event,
                                     const char *token, int64_t now_ms, struct admission *a);

#endif
