/* ledger — the bench's own book of what the server told it: every hold it
 * got and what became of it, every reservation acknowledged (200) and every
 * reservation whose answer was lost (timeout, 5xx, connection error). The
 * audit checks the server's books against it; --ledger FILE saves it as
 * JSON so `usher-bench audit` can check again later. */
#ifndef BENCH_LEDGER_H
#define BENCH_LEDGER_H

#include <stddef.h>
#include <stdint.h>

enum res_state {
    RES_ACKED,       /* 200 on reserve */
    RES_UNKNOWN,     /* reserve sent, answer lost */
    RES_LIVE_HOLD,   /* a hold never reserved nor released: may still be held */
};

struct ledger_entry {
    enum res_state state;
    char order_id[64];
    char hold_id[32];
    int nseats;
    char **seats;            /* borrowed from the venue, or owned (owns_seats) */
    int places;              /* general-admission places of the venue's area */
};

struct ledger {
    struct ledger_entry *e;
    size_t n, cap;
    int owns_seats;
    int64_t holds_expire_by_ms;   /* wall clock: when every live hold is gone */
};

int ledger_add(struct ledger *l, enum res_state st, const char *order_id,
               const char *hold_id, int nseats, char **seats);
void ledger_free(struct ledger *l);
int ledger_write(const char *path, const struct ledger *l, const char *event);
/* Reads a file written by ledger_write; *event gets a malloc'd copy. */
int ledger_read(const char *path, struct ledger *l, char **event);

#endif
