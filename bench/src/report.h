/* report — turns a run's stats into what people and scripts read: the
 * per-second progress line, the closing summary table, the JSON report
 * (--json) and a self-contained HTML page with SVG charts (--html). */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>

#include "stats.h"

void report_progress(FILE *out, const struct stats *s, const struct tick *row);
void report_summary(FILE *out, const struct stats *s);
/* The JSON report as a new object (caller owns it). */
json_t *report_json(const struct stats *s);
/* Writes the JSON / HTML report to path. 0 or -1 (errno set). */
int report_write_json(const char *path, const struct stats *s);
int report_write_html(const char *path, const struct stats *s);

#endif
