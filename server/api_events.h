/* api_events — the event routes: create or replace from a seat map
 * (staged in chunks so no Redis command runs long), read with counts,
 * list, delete. */
#ifndef USHER_API_EVENTS_H
#define USHER_API_EVENTS_H

#include <jansson.h>

struct req;

void api_events_list(struct req *r);
void api_event_put(struct req *r);
void api_event_get(struct req *r);
void api_event_delete(struct req *r);

/* Collects every listed event as [{"event","name","counts"}] sorted by
 * id, then calls done(r, events) (borrowed), or done(r, NULL) when Redis
 * failed. done must answer r. Uses r->data. */
typedef void api_events_done(struct req *r, json_t *events);
void api_events_collect(struct req *r, api_events_done *done);

#endif
