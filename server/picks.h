/* picks — what the hold script needs to choose seats itself (best
 * available, the orphan rule, companion seats), built once per PUT from
 * the parsed seat map and kept in Redis beside the status string. The
 * formats are lua/README.md's ("Seat selection"), all big-endian:
 *
 *   pick   5 bytes a seat, at its index: flags (SEAT_ACCESSIBLE,
 *          SEAT_COMPANION), category number (0 none), and its place in
 *          the quality order (3 bytes; 0 is the best seat)
 *   rows   a 25-byte record a row in seat-map order: first seat, seats,
 *          the best place of its seats, the offset and length of its
 *          seat lines in the layout (u32 each), section, accessible
 *          seats (u16 each), category (u8: its seats' one, 255 mixed);
 *          then the row numbers best row first (u32 each)
 *   runs   a byte a row: an upper bound of its longest run of free
 *          seats (capped at 255); a new event's is each row's length
 *
 * The quality order: by `rank` (lower first) when any seat has one,
 * seats without one after them; else by distance to `focal_point` when
 * the event has one, seats without coordinates after; else seat-map
 * order. Ties keep seat-map order. */
#ifndef USHER_PICKS_H
#define USHER_PICKS_H

#include <stddef.h>

#include "seatmap.h"

#define PICKS_SEAT_BYTES 5
#define PICKS_ROW_BYTES 25

struct picks {
    char *pick, *rows, *runs;
    size_t pick_len, rows_len, runs_len;
};

/* Builds p from the parsed map m: 0, or -1 when memory ran out (p is then
 * empty). Free with picks_deinit. */
int picks_build(const struct seatmap *m, struct picks *p);

void picks_deinit(struct picks *p);

#endif
