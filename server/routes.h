/* routes — usherd's one route table: every route of API v1 and the ops
 * routes, with what dispatch needs of each (router.h), in a form a
 * reader can take in at a glance. The only file that names handlers. */
#ifndef USHER_ROUTES_H
#define USHER_ROUTES_H

#include "router.h"

/* The table (static, for the life of the process). */
const struct router *routes_get(void);

#endif
