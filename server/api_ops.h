/* api_ops — what operators and their tools look at: /healthz (the
 * process is up, never asks Redis), /readyz (Redis answers with every
 * script loaded), /metrics (Prometheus), and the ops pages: /ops lists
 * the events, /ops/events/{event} draws one event's seat map live. Both
 * pages are self-contained HTML (server/ops/, compiled into usherd) that
 * talk to the public API and the stream from the browser. */
#ifndef USHER_API_OPS_H
#define USHER_API_OPS_H

struct req;

void api_healthz(struct req *r);
void api_readyz(struct req *r);
void api_metrics(struct req *r);
void api_ops_index(struct req *r);
void api_ops_event(struct req *r);

#endif
