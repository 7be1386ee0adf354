/* usher-bench — on-sale swarm simulator and load harness for usher, with
 * an audit of the books afterwards. main() parses the command line, checks
 * the target is reachable, and runs one mode: venue, swarm, rate, audit. */
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "bench.h"
#include "ledger.h"
#include "rate.h"
#include "report.h"
#include "scen.h"
#include "swarm.h"
#include "watch.h"

struct opts {
    const char *mode, *target, *event, *json, *html, *key, *script, *ledger;
    const char *seatmap, *categories, *name;
    int connections, timeout_ms, quiet, wait_expiry, watchers;
    double duration;
    uint64_t seed;
    int sections, rows, seats, hold_ttl, max_hold_ttl, max_per_hold;
    struct swarm_cfg sw;
    struct rate_cfg rt;
    /* which swarm flags were given, so a script's config does not win */
    int set_users, set_arrival, set_party, set_hotspot, set_retries, set_preserve,
        set_prelease, set_think, set_holdttl, set_duration, set_patience, set_pbest, set_pga;
    long ga_capacity;         /* venue: a general-admission area "ga" of this many places */
    double queue_in;          /* venue: a waiting room, onsale this many seconds on (<0 none) */
    const char *admit_rate;   /* venue: its admit_per_min ("auto" or a number) */
    int session_s, max_per_admission;
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: usher-bench MODE [options]\n"
"\n"
"Modes:\n"
"  venue   create (PUT) a generated seat map, or upload one (--seatmap)\n"
"  swarm   simulate an on-sale, then audit the books\n"
"  rate    constant-throughput load on one operation (latency vs load)\n"
"  audit   check the server's books against a saved ledger (--ledger)\n"
"\n"
"Common:\n"
"  --target URL          server (default http://127.0.0.1:8080)\n"
"  --event E             event id (default bench)\n"
"  --connections C       open connections at most (default 64), each opened\n"
"                        only when a request finds none idle; the open-file\n"
"                        limit is raised to fit\n"
"  --duration SECONDS    swarm: stop starting work after this (default 600);\n"
"                        rate: length of the run (default 10)\n"
"  --seed N              seed of every random decision (default 1)\n"
"  --timeout MS          per-request timeout (default 5000)\n"
"  --json FILE           write the JSON report\n"
"  --html FILE           write a self-contained HTML report with charts\n"
"  --key KEY             send Authorization: Bearer KEY\n"
"  --quiet               no progress lines\n"
"  --watchers N          swarm/rate: also keep N live-stream (SSE) clients\n"
"                        reading the event's changes (default 0)\n"
"\n"
"venue:\n"
"  --sections S (default 4)  --rows R (default 25)  --seats N per row (default 50)\n"
"  --categories A,B,...  categories by row bands, front rows first (default none)\n"
"  --name NAME (default \"usher-bench venue\")\n"
"  --hold-ttl S (default 600)  --max-hold-ttl S (default 1800)\n"
"  --max-seats-per-hold N (default 10)\n"
"  --ga N                add a general-admission area \"ga\" of N places (default none)\n"
"  --queue-in S          add a waiting room whose sale starts S seconds from now\n"
"  --admit-per-min R     its rate: a number or auto (default auto)\n"
"  --session S           its time to shop once admitted (default 600)\n"
"  --max-per-admission N seats an admission may hold (default --max-seats-per-hold)\n"
"  --seatmap FILE        upload this seat map JSON instead of generating one\n"
"\n"
"swarm:\n"
"  --users U             virtual buyers (default 1000)\n"
"  --arrival P           burst:SECONDS | ramp:SECONDS | rate:PER_S (default burst:5)\n"
"  --party LO-HI         seats per buyer, uniform (default 1-6)\n"
"  --hotspot X           Zipf exponent of the front-row preference (default 1.0)\n"
"  --retries N           tries after a 409 or an error (default 3)\n"
"  --p-reserve P         share of holds that are bought (default 0.7)\n"
"  --p-release P         share released; the rest walk away (default 0.1)\n"
"  --p-best P            share of buyers asking for best available (half of\n"
"                        them name a section) instead of picking seats (default 0)\n"
"  --p-ga P              share buying places of the event's first general-\n"
"                        admission area, their party size in places (default 0)\n"
"  --queue               buyers join the event's waiting room when they arrive,\n"
"                        poll as Retry-After says and buy once admitted\n"
"  --think SECONDS       mean think time between hold and decision (default 2)\n"
"  --patience SECONDS    while nothing is free but seats are held, a buyer\n"
"                        looks again about every second this long (default 120)\n"
"  --view stale|live     what buyers pick from: stale (default) = only what\n"
"                        answers have told the bench, so concurrent buyers\n"
"                        collide as with a polled seat map; live = seats of\n"
"                        holds in flight already look taken (a pushed map)\n"
"  --refresh SECONDS     poll the seat map this often to correct the view\n"
"                        (default 5; 0 = never)\n"
"  --hold-ttl S          ttl_s sent with each hold (default: the event's)\n"
"  --script FILE         Lua 5.4 scenario (bench/scenarios/*.lua)\n"
"  --ledger FILE         save the ledger for a later `usher-bench audit`\n"
"  --wait-expiry         before the audit, wait until every hold has expired\n"
"\n"
"rate:\n"
"  --op OP               hold-release | hold | seatmap | healthz (default hold-release)\n"
"  --rate R|max          requests per second (default 1000); max = closed\n"
"                        loop, each connection busy all the time (as wrk)\n"
"\n"
"audit:\n"
"  --ledger FILE         the ledger a swarm saved (required)\n"
"  --wait-expiry         wait until every hold in the ledger has expired\n"
"\n"
"Exit codes: 0 all good, 1 audit violation, 2 usage error, 3 target unreachable.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"target", 1, 0, 't'}, {"event", 1, 0, 'e'}, {"connections", 1, 0, 'c'},
        {"duration", 1, 0, 'd'}, {"seed", 1, 0, 's'}, {"json", 1, 0, 'j'},
        {"html", 1, 0, 'H'}, {"key", 1, 0, 'k'}, {"timeout", 1, 0, 'T'},
        {"quiet", 0, 0, 'q'}, {"sections", 1, 0, 1}, {"rows", 1, 0, 2},
        {"seats", 1, 0, 3}, {"categories", 1, 0, 4}, {"seatmap", 1, 0, 5},
        {"hold-ttl", 1, 0, 6}, {"max-hold-ttl", 1, 0, 7}, {"max-seats-per-hold", 1, 0, 8},
        {"users", 1, 0, 9}, {"arrival", 1, 0, 10}, {"party", 1, 0, 11},
        {"hotspot", 1, 0, 12}, {"retries", 1, 0, 13}, {"p-reserve", 1, 0, 14},
        {"p-release", 1, 0, 15}, {"think", 1, 0, 16}, {"script", 1, 0, 17},
        {"ledger", 1, 0, 18}, {"wait-expiry", 0, 0, 19}, {"op", 1, 0, 20},
        {"rate", 1, 0, 21}, {"name", 1, 0, 22}, {"patience", 1, 0, 23}, {"view", 1, 0, 24}, {"refresh", 1, 0, 25}, {"watchers", 1, 0, 26}, {"p-best", 1, 0, 27}, {"p-ga", 1, 0, 28}, {"ga", 1, 0, 29}, {"queue", 0, 0, 30}, {"queue-in", 1, 0, 31}, {"admit-per-min", 1, 0, 32}, {"session", 1, 0, 33}, {"max-per-admission", 1, 0, 34}, {"help", 0, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;

    if (argc < 2) {
        usage(stderr);
        return -1;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 1;
    }
    o->mode = argv[1];
    if (strcmp(o->mode, "venue") && strcmp(o->mode, "swarm") && strcmp(o->mode, "rate") &&
        strcmp(o->mode, "audit")) {
        fprintf(stderr, "usher-bench: unknown mode %s (see --help)\n", o->mode);
        return -1;
    }
    optind = 2;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 't': o->target = optarg; break;
        case 'e': o->event = optarg; break;
        case 'c': o->connections = atoi(optarg); break;
        case 'd': o->duration = atof(optarg); o->set_duration = 1; break;
        case 's': o->seed = strtoull(optarg, NULL, 10); break;
        case 'j': o->json = optarg; break;
        case 'H': o->html = optarg; break;
        case 'k': o->key = optarg; break;
        case 'T': o->timeout_ms = atoi(optarg); break;
        case 'q': o->quiet = 1; break;
        case 1: o->sections = atoi(optarg); break;
        case 2: o->rows = atoi(optarg); break;
        case 3: o->seats = atoi(optarg); break;
        case 4: o->categories = optarg; break;
        case 5: o->seatmap = optarg; break;
        case 6: o->hold_ttl = atoi(optarg); o->set_holdttl = 1; break;
        case 7: o->max_hold_ttl = atoi(optarg); break;
        case 8: o->max_per_hold = atoi(optarg); break;
        case 9: o->sw.users = atol(optarg); o->set_users = 1; break;
        case 10:
            if (swarm_parse_arrival(optarg, &o->sw) < 0) {
                fprintf(stderr, "usher-bench: bad --arrival %s\n", optarg);
                return -1;
            }
            o->set_arrival = 1;
            break;
        case 11:
            if (sscanf(optarg, "%d-%d", &o->sw.party_lo, &o->sw.party_hi) != 2 &&
                sscanf(optarg, "%d", &o->sw.party_lo) == 1)
                o->sw.party_hi = o->sw.party_lo;
            o->set_party = 1;
            break;
        case 12: o->sw.hotspot = atof(optarg); o->set_hotspot = 1; break;
        case 13: o->sw.retries = atoi(optarg); o->set_retries = 1; break;
        case 14: o->sw.p_reserve = atof(optarg); o->set_preserve = 1; break;
        case 15: o->sw.p_release = atof(optarg); o->set_prelease = 1; break;
        case 16: o->sw.think_s = atof(optarg); o->set_think = 1; break;
        case 17: o->script = optarg; break;
        case 18: o->ledger = optarg; break;
        case 19: o->wait_expiry = 1; break;
        case 20:
            if (rate_parse_op(optarg, &o->rt.op) < 0) {
                fprintf(stderr, "usher-bench: bad --op %s\n", optarg);
                return -1;
            }
            break;
        case 21: o->rt.rate = strcmp(optarg, "max") == 0 ? 0 : atof(optarg);
                 if (o->rt.rate <= 0 && strcmp(optarg, "max") != 0) {
                     fprintf(stderr, "usher-bench: --rate is a positive number or max\n");
                     return -1;
                 }
                 break;
        case 22: o->name = optarg; break;
        case 23: o->sw.patience_s = atof(optarg); o->set_patience = 1; break;
        case 24:
            if (strcmp(optarg, "live") && strcmp(optarg, "stale")) {
                fprintf(stderr, "usher-bench: --view is live or stale\n");
                return -1;
            }
            o->sw.live_view = strcmp(optarg, "live") == 0;
            break;
        case 25: o->sw.refresh_s = atof(optarg); break;
        case 26: o->watchers = atoi(optarg); break;
        case 27: o->sw.p_best = atof(optarg); o->set_pbest = 1; break;
        case 28: o->sw.p_ga = atof(optarg); o->set_pga = 1; break;
        case 29: o->ga_capacity = atol(optarg); break;
        case 30: o->sw.queue = 1; break;
        case 31: o->queue_in = atof(optarg); break;
        case 32: o->admit_rate = optarg; break;
        case 33: o->session_s = atoi(optarg); break;
        case 34: o->max_per_admission = atoi(optarg); break;
        case 'h': usage(stdout); return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "usher-bench: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (o->connections < 1 || o->timeout_ms < 1 || o->sw.users < 0 || o->sw.party_lo < 1 ||
        o->sw.party_hi < o->sw.party_lo || o->sw.p_reserve < 0 || o->sw.p_release < 0 ||
        o->sw.p_reserve + o->sw.p_release > 1 || o->sw.p_best < 0 || o->sw.p_ga < 0 ||
        o->sw.p_best + o->sw.p_ga > 1 || o->ga_capacity < 0 || o->ga_capacity > 1000000 ||
        o->rt.rate < 0 || o->sections < 1 ||
        o->rows < 1 || o->seats < 1) {
        fprintf(stderr, "usher-bench: a numeric option is out of range (see --help)\n");
        return -1;
    }
    if (!strcmp(o->mode, "audit") && !o->ledger) {
        fprintf(stderr, "usher-bench: audit needs --ledger FILE\n");
        return -1;
    }
    return 0;
}

/* Ctrl-C ends the run early; the report of what happened so far follows. */
static void on_sigint(evutil_socket_t sig, short what, void *arg)
{
    struct bench *b = arg;

    b->interrupted = 1;
    event_base_loopbreak(b->base);
}

/* Builds the generated seat map: sections S1.., rows 1.., seats 1..N in
 * range form (ids S<s>-<r>-<n>), front rows first. */
static char *venue_body(const struct opts *o)
{
    json_t *body = json_pack("{s:s, s:i, s:i, s:i, s:[]}", "name",
                             o->name ? o->name : "usher-bench venue", "hold_ttl_s", o->hold_ttl,
                             "max_hold_ttl_s", o->max_hold_ttl, "max_seats_per_hold",
                             o->max_per_hold, "sections");
    json_t *secs = json_object_get(body, "sections");
    char cats[16][65];
    int ncat = 0, s, r;
    char *text;

    if (o->categories) {
        const char *p = o->categories;
        while (*p && ncat < 16) {
            size_t n = strcspn(p, ",");
            snprintf(cats[ncat++], sizeof cats[0], "%.*s", (int)(n < 64 ? n : 64), p);
            p += n + (p[n] == ',');
        }
    }
    for (s = 1; s <= o->sections; s++) {
        char sid[16];
        json_t *rows = json_array();
        snprintf(sid, sizeof sid, "S%d", s);
        for (r = 1; r <= o->rows; r++) {
            char rid[16];
            json_t *row;
            snprintf(rid, sizeof rid, "%d", r);
            row = json_pack("{s:s, s:{s:i, s:i}}", "id", rid, "range", "from", 1, "to", o->seats);
            if (ncat)
                json_object_set_new(row, "category",
                                    json_string(cats[(r - 1) * ncat / o->rows]));
            json_array_append_new(rows, row);
        }
        json_array_append_new(secs, json_pack("{s:s, s:o}", "id", sid, "rows", rows));
    }
    if (o->ga_capacity > 0)
        json_array_append_new(secs, json_pack("{s:s, s:s, s:I}", "id", "ga", "name",
                                              "General admission", "capacity",
                                              (json_int_t)o->ga_capacity));
    if (o->queue_in >= 0) {
        char when[32];
        time_t t = time(NULL) + (time_t)o->queue_in;
        json_t *q;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
        q = json_pack("{s:s, s:i, s:i}", "onsale_at", when, "session_s", o->session_s,
                      "max_seats_per_admission",
                      o->max_per_admission ? o->max_per_admission : o->max_per_hold);
        if (!o->admit_rate || strcmp(o->admit_rate, "auto") == 0)
            json_object_set_new(q, "admit_per_min", json_string("auto"));
        else
            json_object_set_new(q, "admit_per_min", json_real(atof(o->admit_rate)));
        json_object_set_new(body, "queue", q);
    }
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static int run_venue(struct bench *b, const struct opts *o)
{
    char path[256], *text;
    json_t *resp = NULL;
    int st;

    if (o->seatmap) {
        json_t *j = json_load_file(o->seatmap, 0, NULL);
        if (!j) {
            fprintf(stderr, "usher-bench: cannot read seat map %s\n", o->seatmap);
            return EXIT_USAGE;
        }
        text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
    } else {
        text = venue_body(o);
    }
    snprintf(path, sizeof path, "/v1/events/%s", b->event);
    st = bench_fetch(b, "PUT", path, text, &resp);
    free(text);
    if (st == 200 || st == 201) {
        printf("venue %s: %lld seats (%s)\n", b->event,
               (long long)json_integer_value(json_object_get(resp, "seats")),
               st == 201 ? "created" : "replaced");
        json_decref(resp);
        return EXIT_OK;
    }
    fprintf(stderr, "usher-bench: PUT %s answered %d: %s\n", path, st,
            resp ? json_string_value(json_object_get(json_object_get(resp, "error"), "message"))
                 : "no answer");
    json_decref(resp);
    return st < 0 ? EXIT_UNREACHABLE : EXIT_USAGE;
}

/* Audits the books against the ledger; the result goes into the report.
 * Returns the exit code. */
static int run_audit(struct bench *b, const struct ledger *l, int wait_expiry)
{
    json_t *audit = NULL;
    int st = audit_run(b, l, wait_expiry, &audit);

    if (st < 0) {
        fprintf(stderr, "usher-bench: audit could not read the server\n");
        return EXIT_UNREACHABLE;
    }
    b->stats.audit = audit;
    return st == 1 ? EXIT_AUDIT : EXIT_OK;
}

/* Script config fills what the command line did not set. */
static void apply_script_config(struct scen *sc, struct opts *o)
{
    double d;
    char s[64];

    if (!o->set_users && scen_config_number(sc, "users", &d)) o->sw.users = (long)d;
    if (!o->set_arrival && scen_config_string(sc, "arrival", s, sizeof s))
        swarm_parse_arrival(s, &o->sw);
    if (!o->set_party && scen_config_string(sc, "party", s, sizeof s) &&
        sscanf(s, "%d-%d", &o->sw.party_lo, &o->sw.party_hi) != 2)
        o->sw.party_hi = o->sw.party_lo;
    if (!o->set_hotspot && scen_config_number(sc, "hotspot", &d)) o->sw.hotspot = d;
    if (!o->set_retries && scen_config_number(sc, "retries", &d)) o->sw.retries = (int)d;
    if (!o->set_preserve && scen_config_number(sc, "p_reserve", &d)) o->sw.p_reserve = d;
    if (!o->set_prelease && scen_config_number(sc, "p_release", &d)) o->sw.p_release = d;
    if (!o->set_think && scen_config_number(sc, "think", &d)) o->sw.think_s = d;
    if (!o->set_holdttl && scen_config_number(sc, "hold_ttl", &d)) o->sw.hold_ttl_s = (int)d;
    if (!o->set_patience && scen_config_number(sc, "patience", &d)) o->sw.patience_s = d;
    if (!o->set_pbest && scen_config_number(sc, "p_best", &d)) o->sw.p_best = d;
    if (!o->set_pga && scen_config_number(sc, "p_ga", &d)) o->sw.p_ga = d;
}

/* Raises the open-file limit to what `sockets` connections need (a swarm
 * arrives on thousands: the usual soft limit of 1,024 would turn the
 * rest into connect errors) or says why it cannot. */
static int files_reserve(int sockets)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)sockets + 64;      /* + the monitor, stdio, a ledger */

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        fprintf(stderr, "usher-bench: %d connections need %llu open files, but the hard limit "
                "is %llu (raise it: ulimit -Hn, or LimitNOFILE= in a unit)\n", sockets,
                (unsigned long long)need, (unsigned long long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        perror("usher-bench: setrlimit");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {
        .target = "http://127.0.0.1:8080", .event = "bench", .connections = 64,
        .timeout_ms = 5000, .seed = 1, .sections = 4, .rows = 25, .seats = 50,
        .hold_ttl = 600, .max_hold_ttl = 1800, .max_per_hold = 10, .queue_in = -1, .session_s = 600,
        .sw = {.users = 1000, .arrival = ARR_BURST, .arrival_arg = 5, .party_lo = 1,
               .party_hi = 6, .hotspot = 1.0, .retries = 3, .p_reserve = 0.7,
               .p_release = 0.1, .think_s = 2.0, .patience_s = 120,
               .refresh_s = 5},
        .rt = {.op = ROP_HOLD_RELEASE, .rate = 1000},
    };
    struct bench b = {0};
    struct venue v = {0};
    struct ledger l = {0};
    struct scen *sc = NULL;
    struct watchers *watch = NULL;
    struct event *sigint = NULL;
    char host[256], *ledger_event = NULL;
    int port, rc = EXIT_USAGE, st;

    switch (parse(argc, argv, &o)) {
    case 1: return EXIT_OK;
    case -1: return EXIT_USAGE;
    }
    if (hc_parse_url(o.target, host, &port) < 0) {
        fprintf(stderr, "usher-bench: bad --target %s\n", o.target);
        return EXIT_USAGE;
    }
    if (o.script) {
        sc = scen_load(o.script);
        if (!sc)
            return EXIT_USAGE;
        apply_script_config(sc, &o);
    }
    if (files_reserve(o.connections + (o.watchers > 0 ? o.watchers : 0)) < 0) {
        scen_free(sc);
        return EXIT_USAGE;
    }
    if (!strcmp(o.mode, "audit")) {
        if (ledger_read(o.ledger, &l, &ledger_event) < 0) {
            fprintf(stderr, "usher-bench: cannot read ledger %s\n", o.ledger);
            return EXIT_USAGE;
        }
        o.event = ledger_event;
    }
    /* a precise clock: libevent 2.1 otherwise times with the coarse
     * monotonic clock (one tick = 4 ms here), so rate mode sent each
     * request up to 4 ms after its due time and counted that as latency */
    {
        struct event_config *ec = event_config_new();
        event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
        b.base = event_base_new_with_config(ec);
        event_config_free(ec);
    }
    b.pool = hc_pool_create(b.base, host, port, o.connections, o.timeout_ms, o.key);
    b.monitor = hc_pool_create(b.base, host, port, 1, o.timeout_ms, o.key);
    b.event = o.event;
    b.quiet = o.quiet;
    stats_init(&b.stats, o.mode);
    sigint = evsignal_new(b.base, SIGINT, on_sigint, &b);
    if (sigint)
        event_add(sigint, NULL);
    if (!b.pool || !b.monitor) {
        fprintf(stderr, "usher-bench: cannot resolve %s\n", host);
        rc = EXIT_UNREACHABLE;
        goto done;
    }
    st = bench_fetch(&b, "GET", "/healthz", NULL, NULL);
    if (st != 200) {
        fprintf(stderr, "usher-bench: %s is not reachable (GET /healthz: %d)\n", o.target, st);
        rc = EXIT_UNREACHABLE;
        goto done;
    }
    stats_init(&b.stats, o.mode);   /* the reachability probe is not part of the run */
    if (!strcmp(o.mode, "venue")) {
        rc = run_venue(&b, &o);
        goto done;
    }
    if (!strcmp(o.mode, "swarm") || (!strcmp(o.mode, "rate") && o.rt.op <= ROP_HOLD)) {
        if (venue_load(&b, &v) < 0) {
            fprintf(stderr, "usher-bench: cannot load event %s (create it with `usher-bench venue`)\n",
                    o.event);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    rc = EXIT_OK;
    if (o.watchers > 0 && (!strcmp(o.mode, "swarm") || !strcmp(o.mode, "rate"))) {
        watch = watchers_start(b.base, host, port, o.event, o.watchers);
        /* let them connect and get their counts before the load starts */
        {
            struct timeval settle = {1, 0};
            event_base_loopexit(b.base, &settle);
            event_base_dispatch(b.base);
        }
    }
    if (!strcmp(o.mode, "swarm")) {
        o.sw.seed = o.seed;
        if (o.set_holdttl)
            o.sw.hold_ttl_s = o.hold_ttl;
        o.sw.max_duration_s = o.set_duration ? o.duration : 600;
        if (o.sw.party_hi > v.max_seats_per_hold) {
            fprintf(stderr, "usher-bench: --party up to %d exceeds the event's max_seats_per_hold %d\n",
                    o.sw.party_hi, v.max_seats_per_hold);
            rc = EXIT_USAGE;
            goto done;
        }
        swarm_run(&b, &v, &o.sw, sc, &l);
        if (o.ledger && ledger_write(o.ledger, &l, o.event) < 0)
            fprintf(stderr, "usher-bench: cannot write ledger %s\n", o.ledger);
        rc = run_audit(&b, &l, o.wait_expiry);
    } else if (!strcmp(o.mode, "rate")) {
        o.rt.duration_s = o.set_duration ? o.duration : 10;
        o.rt.seed = o.seed;
        o.rt.connections = o.connections;
        o.rt.hold_ttl_s = o.set_holdttl ? o.hold_ttl : 0;
        rate_run(&b, &v, &o.rt);
    } else if (!strcmp(o.mode, "audit")) {
        rc = run_audit(&b, &l, o.wait_expiry);
    }
    if (watch) {
        int connected;
        uint64_t bytes, messages, refused;
        struct timeval grace = {0, 300000};
        /* the last changes reach the streams one reader batch later */
        event_base_loopexit(b.base, &grace);
        event_base_dispatch(b.base);
        watchers_stop(watch, &connected, &bytes, &messages, &refused);
        watch = NULL;
        printf("watchers: %d of %d still connected at the end, %llu messages, %.1f MB read, "
               "%llu stream opens refused (retried after 1 s)\n",
               connected, o.watchers, (unsigned long long)messages, (double)bytes / 1e6,
               (unsigned long long)refused);
    }
    b.stats.conns_allowed = o.connections;
    b.stats.conns_peak = hc_pool_open_peak(b.pool);
    report_summary(stdout, &b.stats);
    if (o.json && report_write_json(o.json, &b.stats) < 0)
        fprintf(stderr, "usher-bench: cannot write %s\n", o.json);
    if (o.html && report_write_html(o.html, &b.stats) < 0)
        fprintf(stderr, "usher-bench: cannot write %s\n", o.html);
done:
    if (watch) {
        int c;
        uint64_t x, y, z;
        watchers_stop(watch, &c, &x, &y, &z);
    }
    stats_deinit(&b.stats);
    ledger_free(&l);
    venue_free(&v);
    scen_free(sc);
    hc_pool_destroy(b.pool);
    hc_pool_destroy(b.monitor);
    if (sigint)
        event_free(sigint);
    if (b.base)
        event_base_free(b.base);
    free(ledger_event);
    return rc;
}
