/* events — the list of events: the set usher:events (in a slot of its
 * own in Redis Cluster, outside every event's), and the one walk over it
 * that GET /v1/events, /metrics and the sweeper share: SMEMBERS, each id
 * checked (an id that is not one is skipped) and given its keys, one
 * visit per listed event. A listed event whose keys are gone is still
 * visited: its scripts say EVENT_NOT_FOUND, and callers skip it. */
#ifndef USHER_EVENTS_H
#define USHER_EVENTS_H

#include "store.h"

/* Called once per listed event; `event` and `keys` are borrowed for the
 * call (copy what a later callback needs). */
typedef void events_visit(void *arg, const char *event, const struct event_keys *keys);
/* Called once after the last visit: ok 1, or 0 when the list could not
 * be read (Redis down, slow or refusing), with no visit before. */
typedef void events_done(void *arg, int ok);

/* Reads the list and visits it. 0 when the read was sent (done follows,
 * later, never from inside this call), or -1 when the store cannot take
 * it (neither callback runs). */
int events_each(struct store *s, events_visit *visit, events_done *done, void *arg);

#endif
