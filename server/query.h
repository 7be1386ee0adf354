/* query — the one reader of request query strings ("a=1&b=x%20y"): each
 * name=value pair in turn, %-decoded ('+' is a space, as forms send it),
 * into the caller's buffers. Used for the seat map's filters and the
 * stream's access_token; nothing else takes a query. */
#ifndef USHER_QUERY_H
#define USHER_QUERY_H

#include <stddef.h>

enum query_result {
    QUERY_END,        /* no pair left */
    QUERY_PAIR,       /* name and value filled */
    QUERY_BAD,        /* a bad %-escape, a NUL, or longer than the buffers */
};

/* Reads the pair at *q (advanced past it and its '&'): the decoded name
 * into name[0..ncap) and value into value[0..vcap), NUL-terminated; a
 * pair without '=' has the value "". Empty pairs ("a=1&&b=2") are
 * skipped. *q NULL or "" is QUERY_END. */
enum query_result query_next(const char **q, char *name, size_t ncap, char *value, size_t vcap);

/* Decodes the %-escapes of unreserved characters (RFC 3986 2.3: letters,
 * digits, "-._~") of path[0..len) into out (at least len + 1 bytes),
 * leaving every other escape as it is: a path that differs only in such
 * escapes names the same resource, and no other escape may change how a
 * path splits into segments ("%2F" stays three characters). Returns the
 * length written (NUL-terminated). */
size_t query_normalize_path(const char *path, size_t len, char *out);

#endif
