/* sweeper — the periodic clean-up: every interval it lists the events and
 * runs sweep.lua on each, so expired holds give their seats back and old
 * tombstones go even when no request touches the event. Every usherd runs
 * one; the script is idempotent, so several sweeping at once is harmless. */
#ifndef USHER_SWEEPER_H
#define USHER_SWEEPER_H

#include <event2/event.h>

#include "store.h"

struct sweeper;

/* Starts sweeping every `interval_ms`. NULL on failure. */
struct sweeper *sweeper_create(struct event_base *base, struct store *store,
                               int interval_ms);

/* Stops the timer. Calls still in flight keep the sweeper until they are
 * answered (the store's destruction answers them), then it is freed. */
void sweeper_destroy(struct sweeper *sw);

#endif
