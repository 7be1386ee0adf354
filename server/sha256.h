/* sha256 — SHA-256 (FIPS 180-4) of a byte string, for the few places
 * usherd must name a secret without revealing it: an API key's scope id
 * (the Idempotency-Key scope) is a digest of the key, the same in every
 * process that loads the key, from which the key cannot be recovered.
 * Not on any hot path: keys are digested once, when they are loaded.
 * No dependency: Debian's hiredis, libevent and jansson have none, and a
 * crypto library for one digest at start-up would be all cost. */
#ifndef USHER_SHA256_H
#define USHER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Writes the 32-byte digest of data[0..len) to out. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
