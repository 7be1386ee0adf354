/* watch — N Server-Sent-Event clients on the event's live stream that read
 * and discard everything (--watchers N), to measure what watchers cost the
 * server while a swarm or rate run goes on. Raw sockets on the run's
 * libevent loop; counts bytes and messages. */
#ifndef BENCH_WATCH_H
#define BENCH_WATCH_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

struct watchers;

struct watchers *watchers_start(struct event_base *base, const char *host, int port,
                                const char *event, int n);
/* Closes them all; reports how many were streaming at the end, what they
 * read, and how often a stream was refused (each refused watcher comes
 * back after a second). */
void watchers_stop(struct watchers *w, int *connected, uint64_t *bytes, uint64_t *messages,
                   uint64_t *refused);

#endif
