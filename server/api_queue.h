/* api_queue — the waiting room's routes: join (POST .../queue), a
 * ticket's standing with its admission token once admitted (GET
 * .../queue/{ticket}), the room as a whole (GET .../queue), and its
 * settings (PUT .../queue, admin). Admission is derived by the scripts
 * from Redis time (lua/lib/queue.lua); the tokens are made here
 * (admission.h). */
#ifndef USHER_API_QUEUE_H
#define USHER_API_QUEUE_H

struct req;

void api_queue_join(struct req *r);
void api_queue_ticket(struct req *r);
void api_queue_summary(struct req *r);
void api_queue_set(struct req *r);

#endif
