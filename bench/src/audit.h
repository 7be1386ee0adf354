/* audit — checks the server's books against the bench's ledger, using only
 * the public API: no seat sold to two orders; every acknowledged sale is
 * there with its order; every reserved seat is accounted for by an
 * acknowledged sale or a sale whose answer was lost; no seat held once all
 * holds have expired (or, without waiting, held only by holds the bench
 * knows may still be live). */
#ifndef BENCH_AUDIT_H
#define BENCH_AUDIT_H

#include <jansson.h>

#include "bench.h"
#include "ledger.h"

/* Runs the audit; with wait_expiry it first waits until every hold in the
 * ledger has expired. *report gets {"ok", "violations", ...figures}.
 * Fills b->stats seat totals. Returns 0 clean, 1 violations, -1 when the
 * server could not be read. */
int audit_run(struct bench *b, const struct ledger *l, int wait_expiry, json_t **report);

#endif
