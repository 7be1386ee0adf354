/* batch — one Redis call for the hold operations of one event that are
 * ready together. Handlers hand each operation (hold, read, extend,
 * reserve, release of a hold) to the batcher instead of calling Redis;
 * at the end of the loop turn every event with operations waiting gets
 * one call of lua/hold_batch.lua that applies them in the order they
 * came, each on its own, with its own result. At most one call is out
 * per event: what comes meanwhile waits for its answer and then goes as
 * the next call, so under load an event's operations pile up into calls
 * of many (as ioredis' auto-pipelining does), and at low load each goes
 * out at once: no timer, no wait. Calls are bounded in operations
 * (--batch-max; 1 = every operation alone) and in seats.
 *
 * Contract (as store.h's): an operation accepted by batcher_submit gets
 * exactly one callback, later, never from inside batcher_submit; its
 * reply is its own element of the call's reply (an error reply when that
 * operation failed), or NULL with the call's status when the call failed
 * whole (Redis down, timeout): then every operation of it gets that.
 * The reply is borrowed for the callback only. */
#ifndef USHER_BATCH_H
#define USHER_BATCH_H

#include <event2/event.h>
#include <stddef.h>

#include "store.h"

/* Operation codes of lua/hold_batch.lua. */
enum batch_op {
    BATCH_HOLD = 'H',      /* hold_id holder ttl idem_field fingerprint count seat... */
    BATCH_HOLD_BARE = 'h', /* hold_id count seat...: no holder, ttl or key (4 args fewer) */
    BATCH_HOLD_MORE = 'A', /* as H, the seats followed by "@<area>=<n>" tokens and/or "?"
                            * (suggest): plain holds never pay for parsing them */
    BATCH_GET = 'G',       /* hold_id */
    BATCH_EXTEND = 'X',    /* hold_id ttl */
    BATCH_RESERVE = 'R',   /* hold_id order_id */
    BATCH_RELEASE = 'D',   /* hold_id */
    BATCH_CHANGE = 'M',    /* hold_id n_add seat... n_remove seat... */
    BATCH_BEST = 'B',      /* hold_id holder ttl idem_field fingerprint count together
                            * allow_split accessible n_sections section... n_categories
                            * category... (best available) */
};

#define BATCH_MAX_DEFAULT 64
#define BATCH_SEATS_MAX 2048      /* seats per call, at most (one hold alone may pass) */

struct batcher;

/* NULL when out of memory. max_ops >= 1. wait_n > 0 (--reserve-wait):
 * a call with a reserve in it is followed by WAIT wait_n wait_ms
 * (store_eval_wait). */
struct batcher *batcher_create(struct event_base *base, struct store *store, int max_ops,
                               int wait_n, int wait_ms);
/* Answers every operation still waiting with STORE_DOWN, then frees.
 * Destroy the store first: its destruction answers the calls out. */
void batcher_destroy(struct batcher *b);

/* Queues operation `op` of the event whose keys are k, with its
 * arguments argv[0..argc) (lens NULL: strlen; copied) counting `seats`
 * seats. 0 when accepted (one callback follows), -1 when the store is
 * not ready or memory ran out (no callback; answer 503). With `acked`,
 * before the callback *acked gets the replicas that acknowledged the
 * call's writes (store_eval_wait), -1 when unknown, -2 when no WAIT was
 * sent (--reserve-wait off, or the call failed whole). */
int batcher_submit(struct batcher *b, const struct event_keys *k, enum batch_op op, int argc,
                   const char **argv, const size_t *lens, size_t seats, int *acked,
                   store_cb *cb, void *arg);

#endif
