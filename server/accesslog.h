/* accesslog — one JSON object per answered request (--access-log FILE or
 * "-" for stdout): time, method, route template, event, status, duration
 * in microseconds, body bytes, client address. The event loop only appends
 * to a memory buffer; a writer thread does the write(2)s, so a slow disk
 * never stalls requests. Past ACCESSLOG_MAX_PENDING unwritten bytes, lines
 * are dropped and counted instead of growing memory. */
#ifndef USHER_ACCESSLOG_H
#define USHER_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#define ACCESSLOG_MAX_PENDING (8u * 1024 * 1024)

struct accesslog;

/* Opens `path` for appending ("-" = stdout) and starts the writer thread.
 * NULL on failure (reason logged). */
struct accesslog *accesslog_open(const char *path);
/* Writes what is pending, stops the thread, closes the file. */
void accesslog_close(struct accesslog *al);

void accesslog_write(struct accesslog *al, const char *method, const char *route,
                     const char *event, int status, uint64_t us, size_t bytes,
                     const char *client);

uint64_t accesslog_dropped(const struct accesslog *al);

#endif
