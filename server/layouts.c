/* layouts — see layouts.h. A short list (one entry per event read
 * lately), searched linearly: there are few events, and a search is
 * nothing next to writing the map it serves. */
#include "layouts.h"

#include <stdlib.h>
#include <string.h>

struct layouts {
    struct layout *head;
    size_t bytes, max_bytes;
    uint64_t clock;
};

struct layouts *layouts_create(size_t max_bytes)
{
    struct layouts *c = calloc(1, sizeof *c);

    if (c)
        c->max_bytes = max_bytes;
    return c;
}

void layouts_release(struct layout *l)
{
    if (l && --l->refs == 0)
        free(l);              /* the data lives in the same block */
}

/* Takes l out of the list (prev: its predecessor, or NULL). */
static void unlink_entry(struct layouts *c, struct layout *prev, struct layout *l)
{
    if (prev)
        prev->next = l->next;
    else
        c->head = l->next;
    c->bytes -= l->len;
    layouts_release(l);       /* the cache's reference */
}

void layouts_destroy(struct layouts *c)
{
    if (!c)
        return;
    while (c->head)
        unlink_entry(c, NULL, c->head);
    free(c);
}

struct layout *layouts_get(struct layouts *c, const char *event)
{
    struct layout *l;

    for (l = c->head; l; l = l->next)
        if (strcmp(l->event, event) == 0) {
            l->used = ++c->clock;
            l->refs++;
            return l;
        }
    return NULL;
}

/* Drops the least recently used entries until `need` more bytes fit. */
static void make_room(struct layouts *c, size_t need)
{
    while (c->head && c->bytes + need > c->max_bytes) {
        struct layout *l, *prev = NULL, *old = c->head, *old_prev = NULL;
        for (l = c->head; l; prev = l, l = l->next)
            if (l->used < old->used) {
                old = l;
                old_prev = prev;
            }
        unlink_entry(c, old_prev, old);
    }
}

struct layout *layouts_put(struct layouts *c, const char *event, const char *id,
                           const char *data, size_t len)
{
    struct layout *l, *prev = NULL;
    size_t idlen = strlen(id);

    if (!idlen || idlen > LAYOUT_ID_MAX || strlen(event) >= sizeof l->event ||
        len > c->max_bytes)
        return NULL;
    for (l = c->head; l; prev = l, l = l->next)
        if (strcmp(l->event, event) == 0) {
            unlink_entry(c, prev, l);
            break;
        }
    make_room(c, len);
    l = malloc(sizeof *l + len);
    if (!l)
        return NULL;
    memcpy(l + 1, data, len);
    l->data = (const char *)(l + 1);
    l->len = len;
    memcpy(l->id, id, idlen + 1);
    strcpy(l->event, event);
    l->refs = 2;              /* the cache's and the caller's */
    l->used = ++c->clock;
    l->next = c->head;
    c->head = l;
    c->bytes += len;
    return l;
}

size_t layouts_bytes(const struct layouts *c)
{
    return c->bytes;
}
