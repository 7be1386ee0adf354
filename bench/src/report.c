/* report — see report.h. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

void report_progress(FILE *out, const struct stats *s, const struct tick *row)
{
    fprintf(out, "[%5.1fs] %7llu req/s  p99 %6.1f ms  holds ok %llu / 409 %llu / err %llu",
            row->t, (unsigned long long)row->requests, (double)row->p99_us / 1000.0,
            (unsigned long long)row->holds_ok, (unsigned long long)row->holds_conflict,
            (unsigned long long)row->errors);
    if (row->sold >= 0)
        fprintf(out, "  seats sold %ld held %ld", row->sold, row->held);
    fputc('\n', out);
    fflush(out);
}

static uint64_t op_total(const struct op_stats *o)
{
    uint64_t n = o->err_connect + o->err_timeout + o->err_read;
    int c;

    for (c = 0; c < 600; c++)
        n += o->codes[c];
    return n;
}

/* How much of the latency was the bench's own: the time requests waited
 * for a free connection, and how many connections the load took. A
 * report whose queue is large measured the generator, not the server. */
static void report_queue(FILE *out, const struct stats *s)
{
    const char *sep = "";
    uint64_t worst = 0;
    int i;

    if (!s->conns_allowed)
        return;
    fprintf(out, "connections: %d open at most (--connections %d); bench queue p99:",
            s->conns_peak, s->conns_allowed);
    for (i = 0; i < OP__COUNT; i++) {
        const struct op_stats *o = &s->op[i];
        uint64_t w;
        if (!op_total(o) || i == OP_COUNTS)
            continue;
        w = hist_percentile(&o->wait, 99);
        if (w > worst)
            worst = w;
        fprintf(out, "%s %s %.2f ms", sep, op_names[i], (double)w / 1000.0);
        sep = ",";
    }
    fputc('\n', out);
    if (worst >= 10000 && s->conns_peak >= s->conns_allowed)
        fprintf(out, "the bench's own queue held requests back (p99 %.0f ms) with every "
                "connection busy: raise --connections, or the latency above is partly "
                "the bench's\n", (double)worst / 1000.0);
    else if (worst >= 10000)
        fprintf(out, "the bench's own queue held requests back (p99 %.0f ms) with connections "
                "to spare: the generator itself could not keep up (give it a core of its own)\n",
                (double)worst / 1000.0);
}

void report_summary(FILE *out, const struct stats *s)
{
    int i, c;
    double d = s->duration_s > 0 ? s->duration_s : 1e-9;

    fprintf(out, "\n%-9s %10s %10s %9s %9s %9s %9s %9s  %s\n", "op", "requests", "req/s",
            "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "codes");
    for (i = 0; i < OP__COUNT; i++) {
        const struct op_stats *o = &s->op[i];
        uint64_t n = op_total(o);
        if (!n)
            continue;
        fprintf(out, "%-9s %10llu %10.1f %9.2f %9.2f %9.2f %9.2f %9.2f ", op_names[i],
                (unsigned long long)n, (double)n / d,
                hist_percentile(&o->h, 50) / 1000.0, hist_percentile(&o->h, 90) / 1000.0,
                hist_percentile(&o->h, 99) / 1000.0, hist_percentile(&o->h, 99.9) / 1000.0,
                (double)o->h.max / 1000.0);
        for (c = 0; c < 600; c++)
            if (o->codes[c])
                fprintf(out, " %d:%llu", c, (unsigned long long)o->codes[c]);
        if (o->err_connect + o->err_timeout + o->err_read)
            fprintf(out, " connect-err:%llu timeout:%llu read-err:%llu",
                    (unsigned long long)o->err_connect, (unsigned long long)o->err_timeout,
                    (unsigned long long)o->err_read);
        fputc('\n', out);
    }
    for (i = 0; i < OP__COUNT; i++) {
        const struct op_stats *o = &s->op[i];
        if (!o->codes[429] && !o->codes[503])
            continue;
        fprintf(out, "%-9s admitted (not 429/503): %llu, p50 %.2f ms, p99 %.2f ms, "
                "p99.9 %.2f ms (from send: p99 %.2f ms); shed: %llu\n", op_names[i],
                (unsigned long long)o->admitted.count, hist_percentile(&o->admitted, 50) / 1000.0,
                hist_percentile(&o->admitted, 99) / 1000.0,
                hist_percentile(&o->admitted, 99.9) / 1000.0,
                hist_percentile(&o->admitted_sent, 99) / 1000.0,
                (unsigned long long)(o->codes[429] + o->codes[503]));
    }
    fprintf(out, "\n%s: %.1f s, %llu requests, %.1f req/s\n", s->mode, s->duration_s,
            (unsigned long long)stats_requests(s), (double)stats_requests(s) / d);
    report_queue(out, s);
    if (s->unsent)
        fprintf(out, "never sent: %llu requests were due but still in the bench's queue at "
                "the end (the target or the connections could not keep up with the rate)\n",
                (unsigned long long)s->unsent);
    if (op_total(&s->op[OP_HOLD])) {
        const struct op_stats *h = &s->op[OP_HOLD];
        fprintf(out, "hold success rate: %.1f %% (%llu of %llu)\n",
                100.0 * (double)h->codes[201] / (double)op_total(h),
                (unsigned long long)h->codes[201], (unsigned long long)op_total(h));
    }
    if (s->best_held)
        fprintf(out, "best available: %llu holds, %.1f %% of parties seated together\n",
                (unsigned long long)s->best_held,
                100.0 * (double)s->best_together / (double)s->best_held);
    if (s->ga_held)
        fprintf(out, "general admission: %llu holds of %llu places\n",
                (unsigned long long)s->ga_held, (unsigned long long)s->ga_places);
    if (s->queue_joined) {
        fprintf(out, "waiting room: %llu joined (%llu before onsale), %llu admitted, %llu told "
                "sold_out; wait to admission p50 %.1f s, p90 %.1f s, p99 %.1f s, max %.1f s\n",
                (unsigned long long)s->queue_joined, (unsigned long long)s->queue_pre,
                (unsigned long long)s->queue_admitted, (unsigned long long)s->queue_sold_out,
                (double)hist_percentile(&s->queue_wait, 50) / 1e6,
                (double)hist_percentile(&s->queue_wait, 90) / 1e6,
                (double)hist_percentile(&s->queue_wait, 99) / 1e6,
                (double)hist_percentile(&s->queue_wait, 100) / 1e6);
        fprintf(out, "fairness (rank correlation of arrival and admission): pre-queue %.3f "
                "(%zu buyers), after onsale %.3f (%zu)\n",
                stats_rank_correlation(s->qpre, s->nqpre), s->nqpre,
                stats_rank_correlation(s->qpost, s->nqpost), s->nqpost);
    }
    if (s->users)
        fprintf(out, "buyers: %llu, with seats: %llu, gave up: %llu\n",
                (unsigned long long)s->users, (unsigned long long)s->users_with_seats,
                (unsigned long long)s->users_gave_up);
    if (s->seats_total >= 0) {
        fprintf(out, "seats: %ld total, %ld sold (%.1f %%), %ld held at end",
                s->seats_total, s->seats_sold,
                s->seats_total ? 100.0 * (double)s->seats_sold / (double)s->seats_total : 0.0,
                s->seats_held_end);
        if (s->sellout_s >= 0)
            fprintf(out, ", sold out after %.1f s", s->sellout_s);
        fputc('\n', out);
    }
    if (s->audit) {
        json_t *v = json_object_get(s->audit, "violations");
        size_t k;
        json_t *item;
        fprintf(out, "audit: %s", json_is_true(json_object_get(s->audit, "ok")) ? "clean" : "VIOLATIONS");
        fprintf(out, " (%zu)", json_array_size(v));
        if (json_array_size(json_object_get(s->audit, "lost_answers")))
            fprintf(out, "; %zu reserve answers lost (timeout or error), %lld of their seats on the books",
                    json_array_size(json_object_get(s->audit, "lost_answers")),
                    (long long)json_integer_value(json_object_get(s->audit, "unknown_confirmed_seats")));
        fputc('\n', out);
        json_array_foreach(v, k, item) {
            if (k >= 50) {
                fprintf(out, "  ... %zu more (see --json)\n", json_array_size(v) - 50);
                break;
            }
            fprintf(out, "  %s seat %s: %s\n",
                    json_string_value(json_object_get(item, "kind")),
                    json_string_value(json_object_get(item, "seat")),
                    json_string_value(json_object_get(item, "evidence")));
        }
    }
}

json_t *report_json(const struct stats *s)
{
    json_t *root = json_object(), *ops = json_object(), *tl = json_array();
    double d = s->duration_s > 0 ? s->duration_s : 1e-9;
    uint64_t ec = 0, et = 0, er = 0;
    size_t i;
    int o, c;

    json_object_set_new(root, "mode", json_string(s->mode));
    json_object_set_new(root, "duration_s", json_real(s->duration_s));
    json_object_set_new(root, "requests", json_integer((json_int_t)stats_requests(s)));
    json_object_set_new(root, "rps", json_real((double)stats_requests(s) / d));
    json_object_set_new(root, "unsent", json_integer((json_int_t)s->unsent));
    json_object_set_new(root, "connections",
                        json_pack("{s:i, s:i}", "allowed", s->conns_allowed,
                                  "peak", s->conns_peak));
    for (o = 0; o < OP__COUNT; o++) {
        const struct op_stats *st = &s->op[o];
        uint64_t n = op_total(st);
        json_t *codes;
        if (!n)
            continue;
        codes = json_object();
        for (c = 0; c < 600; c++) {
            char k[8];
            if (!st->codes[c])
                continue;
            snprintf(k, sizeof k, "%d", c);
            json_object_set_new(codes, k, json_integer((json_int_t)st->codes[c]));
        }
        json_object_set_new(ops, op_names[o], json_pack("{s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I}",
            "requests", (json_int_t)n, "rps", (double)n / d,
            "p50_us", (json_int_t)hist_percentile(&st->h, 50),
            "p90_us", (json_int_t)hist_percentile(&st->h, 90),
            "p99_us", (json_int_t)hist_percentile(&st->h, 99),
            "p999_us", (json_int_t)hist_percentile(&st->h, 99.9),
            "max_us", (json_int_t)st->h.max, "codes", codes,
            "connect_errors", (json_int_t)st->err_connect,
            "timeouts", (json_int_t)st->err_timeout, "read_errors", (json_int_t)st->err_read));
        json_object_set_new(json_object_get(ops, op_names[o]), "admitted",
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)st->admitted.count,
                      "p50_us", (json_int_t)hist_percentile(&st->admitted, 50),
                      "p99_us", (json_int_t)hist_percentile(&st->admitted, 99),
                      "p999_us", (json_int_t)hist_percentile(&st->admitted, 99.9),
                      "sent_p50_us", (json_int_t)hist_percentile(&st->admitted_sent, 50),
                      "sent_p99_us", (json_int_t)hist_percentile(&st->admitted_sent, 99)));
        json_object_set_new(json_object_get(ops, op_names[o]), "bench_wait_p99_us",
                            json_integer((json_int_t)hist_percentile(&st->wait, 99)));
        ec += st->err_connect;
        et += st->err_timeout;
        er += st->err_read;
    }
    json_object_set_new(root, "ops", ops);
    json_object_set_new(root, "errors", json_pack("{s:I, s:I, s:I}", "connect", (json_int_t)ec,
                                                  "timeout", (json_int_t)et, "read", (json_int_t)er));
    json_object_set_new(root, "seats", json_pack("{s:I, s:I, s:I, s:o}",
        "total", (json_int_t)s->seats_total, "sold", (json_int_t)s->seats_sold,
        "held_at_end", (json_int_t)s->seats_held_end,
        "sellout_s", s->sellout_s >= 0 ? json_real(s->sellout_s) : json_null()));
    if (s->users)
        json_object_set_new(root, "users", json_pack("{s:I, s:I, s:I}",
            "total", (json_int_t)s->users, "with_seats", (json_int_t)s->users_with_seats,
            "gave_up", (json_int_t)s->users_gave_up));
    if (s->best_held || s->ga_held)
        json_object_set_new(root, "selection", json_pack("{s:I, s:I, s:I, s:I}",
            "best_holds", (json_int_t)s->best_held, "best_together", (json_int_t)s->best_together,
            "ga_holds", (json_int_t)s->ga_held, "ga_places", (json_int_t)s->ga_places));
    if (s->queue_joined)
        json_object_set_new(root, "queue", json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:f, s:f}",
            "joined", (json_int_t)s->queue_joined, "pre", (json_int_t)s->queue_pre,
            "admitted", (json_int_t)s->queue_admitted, "sold_out", (json_int_t)s->queue_sold_out,
            "wait_us", "p50", (json_int_t)hist_percentile(&s->queue_wait, 50),
            "p90", (json_int_t)hist_percentile(&s->queue_wait, 90),
            "p99", (json_int_t)hist_percentile(&s->queue_wait, 99),
            "max", (json_int_t)hist_percentile(&s->queue_wait, 100),
            "rank_pre", stats_rank_correlation(s->qpre, s->nqpre),
            "rank_post", stats_rank_correlation(s->qpost, s->nqpost)));
    if (s->audit)
        json_object_set(root, "audit", s->audit);
    for (i = 0; i < s->nticks; i++) {
        const struct tick *t = &s->ticks[i];
        json_array_append_new(tl, json_pack("{s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
            "t", t->t, "requests", (json_int_t)t->requests, "p99_us", (json_int_t)t->p99_us,
            "holds_ok", (json_int_t)t->holds_ok, "holds_409", (json_int_t)t->holds_conflict,
            "errors", (json_int_t)t->errors, "available", (json_int_t)t->available,
            "held", (json_int_t)t->held, "sold", (json_int_t)t->sold,
            "blocked", (json_int_t)t->blocked));
    }
    json_object_set_new(root, "timeline", tl);
    return root;
}

int report_write_json(const char *path, const struct stats *s)
{
    json_t *j = report_json(s);
    int rc = json_dump_file(j, path, JSON_INDENT(1));

    json_decref(j);
    return rc;
}

/* One SVG line chart: series of (t, value) from the timeline. */
struct series {
    const char *label;
    const char *colour;
    double (*get)(const struct tick *);
};

static double g_rps(const struct tick *t) { return (double)t->requests; }
static double g_p99(const struct tick *t) { return (double)t->p99_us / 1000.0; }
static double g_avail(const struct tick *t) { return (double)t->available; }
static double g_held(const struct tick *t) { return (double)t->held; }
static double g_sold(const struct tick *t) { return (double)t->sold; }

/* An axis label: 950, 12.5k, 1.2M. */
static const char *fmt_num(char *buf, size_t len, double v)
{
    if (v >= 1e6)
        snprintf(buf, len, "%.3gM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, len, "%.3gk", v / 1e3);
    else
        snprintf(buf, len, "%.4g", v);
    return buf;
}

static void svg_chart(FILE *f, const struct stats *s, const char *title,
                      const struct series *ser, int nser, int right_axis_series)
{
    const double W = 860, H = 280, L = 60, R = 60, T = 30, B = 40;
    double tmax = 1, ymax[4] = {1, 1, 1, 1};
    size_t i;
    int k;

    for (i = 0; i < s->nticks; i++) {
        if (s->ticks[i].t > tmax)
            tmax = s->ticks[i].t;
        for (k = 0; k < nser; k++) {
            int axis = k == right_axis_series;
            double v = ser[k].get(&s->ticks[i]);
            if (v > ymax[axis])
                ymax[axis] = v;
        }
    }
    if (right_axis_series < 0)
        ymax[1] = ymax[0];
    fprintf(f, "<figure><figcaption>%s</figcaption>\n"
               "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n",
            title, W, H, W, H);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n",
            L, T, W - L - R, H - T - B);
    for (k = 0; k <= 4; k++) {
        double y = T + (H - T - B) * k / 4.0;
        char num[32];
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" class=\"ax\">%s</text>\n",
                L, W - R, y, y, L - 6, y + 4, fmt_num(num, sizeof num, ymax[0] * (4 - k) / 4.0));
        if (right_axis_series >= 0)
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"ax\">%s</text>\n",
                    W - R + 6, y + 4, fmt_num(num, sizeof num, ymax[1] * (4 - k) / 4.0));
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" class=\"ax\">%.1fs</text>\n",
                L + (W - L - R) * k / 4.0, H - B + 16, tmax * k / 4.0);
    }
    for (k = 0; k < nser; k++) {
        int axis = k == right_axis_series;
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", ser[k].colour);
        for (i = 0; i < s->nticks; i++) {
            double v = ser[k].get(&s->ticks[i]);
            if (v < 0)
                continue;
            fprintf(f, "%.1f,%.1f ", L + (W - L - R) * s->ticks[i].t / tmax,
                    T + (H - T - B) * (1 - v / ymax[axis]));
        }
        fprintf(f, "\"/>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\" class=\"lg\">%s</text>\n",
                L + 10 + 170 * k, T - 10, ser[k].colour, ser[k].label);
    }
    fprintf(f, "</svg></figure>\n");
}

int report_write_html(const char *path, const struct stats *s)
{
    static const struct series load[] = {
        {"requests/s (left)", "#1f77b4", g_rps}, {"p99 ms (right)", "#d62728", g_p99},
    };
    static const struct series seats[] = {
        {"available", "#2ca02c", g_avail}, {"held", "#ff7f0e", g_held}, {"sold", "#7f3fbf", g_sold},
    };
    FILE *f = fopen(path, "w");
    json_t *j;
    char *text;

    if (!f)
        return -1;
    fprintf(f, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>usher-bench %s report</title>\n<style>"
               "body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:900px}"
               "figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}"
               ".ax{font-size:11px;fill:#666}.lg{font-size:12px;font-weight:600}"
               "pre{background:#f4f4f4;padding:12px;overflow:auto;font-size:12px}"
               ".ok{color:#2ca02c}.bad{color:#d62728}</style></head><body>\n", s->mode);
    fprintf(f, "<h1>usher-bench: %s</h1>\n<p>%.1f s, %llu requests, %.0f req/s.",
            s->mode, s->duration_s, (unsigned long long)stats_requests(s),
            s->duration_s > 0 ? (double)stats_requests(s) / s->duration_s : 0.0);
    if (s->seats_total >= 0)
        fprintf(f, " Seats: %ld, sold %ld%s.", s->seats_total, s->seats_sold,
                s->sellout_s >= 0 ? " (sold out)" : "");
    if (s->audit)
        fprintf(f, " Audit: <b class=\"%s\">%s</b>.",
                json_is_true(json_object_get(s->audit, "ok")) ? "ok" : "bad",
                json_is_true(json_object_get(s->audit, "ok")) ? "clean" : "violations");
    fprintf(f, "</p>\n");
    svg_chart(f, s, "Load: requests per second and p99 latency", load, 2, 1);
    if (s->seats_total >= 0)
        svg_chart(f, s, "Seats over time: available, held, sold", seats, 3, -1);
    j = report_json(s);
    json_object_del(j, "timeline");
    text = json_dumps(j, JSON_INDENT(1));
    fprintf(f, "<h2>Numbers</h2><pre>");
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '<') fputs("&lt;", f);
        else if (*p == '&') fputs("&amp;", f);
        else fputc(*p, f);
    }
    fprintf(f, "</pre></body></html>\n");
    free(text);
    json_decref(j);
    return fclose(f);
}
