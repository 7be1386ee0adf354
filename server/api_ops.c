/* api_ops — the ops pages: GET /ops/ lists the events, GET
 * /ops/events/{event} draws one event's seat map live. Both are
 * self-contained HTML (server/ops/ pages, compiled into usherd) that talk
 * to the public API and the stream from the browser. */
#include <stddef.h>

#include "api.h"
#include "http.h"

extern const char ops_event_html[], ops_index_html[];
extern const size_t ops_event_html_len, ops_index_html_len;

void api_ops_index(struct req *r)
{
    http_reply_bytes(r, 200, "text/html; charset=utf-8", ops_index_html, ops_index_html_len);
}

void api_ops_event(struct req *r)
{
    /* The page reports a missing event itself, from the API's 404. */
    http_reply_bytes(r, 200, "text/html; charset=utf-8", ops_event_html, ops_event_html_len);
}
