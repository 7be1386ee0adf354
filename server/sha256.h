/* sha256 — SHA-256 (FIPS 180-4) of a byte string, for the few places
 * usherd must name a secret without revealing it: an API key's scope id
 * (the Idempotency-Key scope) is a digest of the key, the same in every
 * process that loads the key, from which the key cannot be recovered.
 * Keys are digested once, when they are loaded; an admission token's
 * HMAC is two digests of under 200 bytes a hold.
 * No dependency: Debian's hiredis, libevent and jansson have none, and a
 * crypto library for one digest at start-up would be all cost. */
#ifndef USHER_SHA256_H
#define USHER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Writes the 32-byte digest of data[0..len) to out. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104) of msg[0..n) under the NUL-terminated key: the
 * waiting room's admission tokens (admission.h). msg is short (at most
 * 512 bytes are taken). */
void sha256_hmac(const char *key, const void *msg, size_t n, uint8_t out[SHA256_LEN]);

#endif
