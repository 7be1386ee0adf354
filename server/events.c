/* events — see events.h. */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "validate.h"

struct walk {
    events_visit *visit;
    events_done *done;
    void *arg;
};

static void on_members(void *arg, enum store_status st, const redisReply *r)
{
    struct walk *w = arg;
    struct event_keys keys;
    char id[ID_MAX + 1];
    size_t i;

    if (st != STORE_OK || r->type != REDIS_REPLY_ARRAY) {
        w->done(w->arg, 0);
        free(w);
        return;
    }
    for (i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || !validate_id(e->str, e->len, ID_MAX))
            continue;
        memcpy(id, e->str, e->len);
        id[e->len] = '\0';
        store_event_keys(&keys, id);
        w->visit(w->arg, id, &keys);
    }
    w->done(w->arg, 1);
    free(w);
}

int events_each(struct store *s, events_visit *visit, events_done *done, void *arg)
{
    const char *argv[] = {"SMEMBERS", STORE_EVENTS_KEY};
    struct walk *w = malloc(sizeof *w);

    if (!w)
        return -1;
    *w = (struct walk){visit, done, arg};
    if (store_command(s, 2, argv, NULL, on_members, w) < 0) {
        free(w);
        return -1;
    }
    return 0;
}
