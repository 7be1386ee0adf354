/* sweeper — see sweeper.h. */
#include "sweeper.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "metrics.h"
#include "replies.h"
#include "util.h"

#define SWEEP_BATCH "500"
#define SWEEP_ROUNDS_MAX 20     /* batches per event per tick */

struct sweeper {
    struct event_base *base;
    struct store *store;
    struct event *timer;
    struct timeval interval;
    int in_flight;              /* calls outstanding of the current tick */
    int dead;                   /* destroyed: free when in_flight reaches 0 */
};

struct sweep_job {
    struct sweeper *sw;
    struct event_keys keys;
    int rounds;
};

static void sweep_send(struct sweep_job *j);

/* One call of the tick is back; the last one schedules the next tick, or
 * frees a destroyed sweeper. */
static void tick_done(struct sweeper *sw)
{
    if (--sw->in_flight > 0)
        return;
    if (sw->dead)
        free(sw);
    else
        evtimer_add(sw->timer, &sw->interval);
}

static void on_swept(void *arg, enum store_status st, const redisReply *r)
{
    struct sweep_job *j = arg;
    struct sweep_view v;
    int ok = st == STORE_OK && replies_sweep(r, &v) == 0;

    if (ok)
        metrics_hold(HOLD_EXPIRED, (uint64_t)v.expired);
    if (ok && v.more && ++j->rounds < SWEEP_ROUNDS_MAX && !j->sw->dead) {
        sweep_send(j);          /* more due: keep going this tick */
        return;
    }
    tick_done(j->sw);
    free(j);
}

static void sweep_send(struct sweep_job *j)
{
    const char *argv[] = {SWEEP_BATCH};

    if (store_eval(j->sw->store, SCRIPT_SWEEP, &j->keys, 1, argv, NULL, on_swept, j) < 0) {
        tick_done(j->sw);
        free(j);
    }
}

static void sweep_visit(void *arg, const char *event, const struct event_keys *keys)
{
    struct sweeper *sw = arg;
    struct sweep_job *j;

    if (sw->dead || !(j = calloc(1, sizeof *j)))
        return;
    j->sw = sw;
    j->keys = *keys;
    sw->in_flight++;
    sweep_send(j);
}

static void sweep_listed(void *arg, int ok)
{
    tick_done(arg);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sweeper *sw = arg;

    sw->in_flight = 1;
    if (events_each(sw->store, sweep_visit, sweep_listed, sw) < 0)
        tick_done(sw);          /* not connected: try again next tick */
}

struct sweeper *sweeper_create(struct event_base *base, struct store *store,
                               int interval_ms)
{
    struct sweeper *sw = calloc(1, sizeof *sw);

    if (!sw)
        return NULL;
    sw->base = base;
    sw->store = store;
    sw->interval.tv_sec = interval_ms / 1000;
    sw->interval.tv_usec = (interval_ms % 1000) * 1000;
    sw->timer = evtimer_new(base, on_tick, sw);
    if (!sw->timer) {
        free(sw);
        return NULL;
    }
    evtimer_add(sw->timer, &sw->interval);
    return sw;
}

void sweeper_destroy(struct sweeper *sw)
{
    if (!sw)
        return;
    event_free(sw->timer);
    sw->timer = NULL;
    sw->dead = 1;
    if (sw->in_flight == 0)
        free(sw);
    /* else the last outstanding call's callback frees it (the store's
     * destruction answers every call) */
}
