/* SPDX-License-Identifier: MIT
 * disc_provider: YTS and TheRARBG behind one interface: token buckets, queues, mirror
 * failover, retries, 429, the pause switch and the health state. See disc_provider.h.
 *
 * A search (also a listing or a probe) is a `struct s_search` that lives on exactly one of
 * the provider's lists, by its state:
 *   QUEUED   on queue[OD] or queue[BG], waiting for a token (s_pump hands them out);
 *   SENDING  on `active`, its HTTP request in flight;
 *   WAITING  on `active`, in a backoff before its next round;
 *   DONE     on `done`, its zero timer about to call the callback.
 * The search's one timer serves the state it is in: the budget deadline while QUEUED, the
 * backoff while WAITING, the deferred callback when DONE. Nothing calls a callback directly,
 * so no callback ever runs inside a call of the user's. */
#include "cm.h"
#include "disc_provider.h"

#include <math.h>

#define S_MOD "provider"
#define S_TAG 0x64707276u /* "dprv" */

enum {
    S_URL_MAX = DISC_PROVIDER_BASE_MAX + 128, /* base + the longest path we build */
    S_HOST_MAX = 63,                          /* bytes of a mirror's host kept for logs */
    S_RESEND_MS = 100, /* retry of a request disc_http refused (its in-flight cap) */
};

enum s_op { S_OP_SEARCH, S_OP_LATEST, S_OP_PROBE };
enum s_st { S_ST_QUEUED, S_ST_SENDING, S_ST_WAITING, S_ST_DONE };
enum s_out { S_OUT_OK, S_OUT_OK_ERRORS, S_OUT_FAIL }; /* of an operation, for the state */
enum s_verdict { S_V_OK, S_V_MIRROR, S_V_429, S_V_REFUSED };
enum { S_Q_OD = 0, S_Q_BG = 1 };

static const char *const s_op_names[] = {"search", "latest", "probe"};

struct s_search;

struct s_list {
    struct s_search *head, *tail;
    size_t n;
};

struct s_search {
    struct s_search *prev, *next; /* on `list` */
    struct s_list *list;          /* the list it is on, NULL between two */
    disc_provider_t *p;
    int id;
    enum s_op op;
    int q;         /* S_Q_OD or S_Q_BG: its bucket and queue */
    char imdb[12]; /* search: the id asked for */
    disc_provider_done_fn *cb;
    void *arg;
    enum s_st st;
    uint64_t deadline_ms; /* monotonic end of its budget, 0 not started yet */
    int round;            /* 0 .. retries */
    size_t tried;         /* mirrors tried in this round */
    size_t mirror;        /* mirror of the request in flight or next */
    bool resume;          /* queued again within a round: keep mirror and tried */
    bool sent;            /* at least one request went out */
    bool had_error;       /* a request of it failed */
    int http_id;          /* while SENDING */
    struct event *timer;
    struct disc_parsed *result; /* the answer (DONE with OK), owned */
    int status;                 /* disc_prov_status (DONE) */
    char why[DISC_PROVIDER_WHY_MAX];
};

struct s_bucket {
    double tokens;    /* 0 .. burst */
    double rate;      /* tokens per second */
    uint64_t last_us; /* monotonic time of the last refill */
};

struct disc_provider {
    uint32_t tag; /* S_TAG */
    struct event_base *base;
    disc_http_t *http;
    enum disc_provider_kind kind;
    char mirrors[DISC_PROVIDER_MIRRORS_MAX][DISC_PROVIDER_BASE_MAX + 1]; /* no trailing '/' */
    char hosts[DISC_PROVIDER_MIRRORS_MAX][S_HOST_MAX + 1];               /* for logs */
    size_t nmirrors;
    size_t cur; /* the mirror that last worked: rounds start there */
    struct s_bucket bk[2];
    double burst;
    int timeout_ms, budget_ms, retries, backoff_ms;
    size_t max_body;
    uint64_t blocked_until_ms; /* monotonic end of a 429 block, 0 none */
    bool paused;
    struct s_list queue[2]; /* S_Q_OD, S_Q_BG */
    struct s_list active;   /* SENDING and WAITING */
    struct s_list done;     /* DONE, callback pending */
    struct event *pump_timer;
    int next_id;
    int probe_id;    /* the probe under way, 0 none */
    size_t inflight; /* requests in flight */
    uint64_t rng;
    int hist[DISC_PROVIDER_HISTORY]; /* s_out of the last operations, newest first */
    size_t nhist;
    enum disc_prov_state state;
    char state_why[DISC_PROVIDER_WHY_MAX];
    struct disc_provider_stats st; /* counters (the live fields are filled on demand) */
};

/* --- lists --- */

static void s_list_push(struct s_list *l, struct s_search *s, bool front)
{
    assert(!s->list);
    s->list = l;
    if (front) {
        s->prev = NULL;
        s->next = l->head;
        if (l->head)
            l->head->prev = s;
        else
            l->tail = s;
        l->head = s;
    } else {
        s->next = NULL;
        s->prev = l->tail;
        if (l->tail)
            l->tail->next = s;
        else
            l->head = s;
        l->tail = s;
    }
    l->n++;
}

static void s_list_unlink(struct s_search *s)
{
    struct s_list *l = s->list;
    if (!l)
        return;
    if (s->prev)
        s->prev->next = s->next;
    else
        l->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        l->tail = s->prev;
    s->prev = s->next = NULL;
    s->list = NULL;
    l->n--;
}

/* --- small helpers --- */

static uint64_t s_rand(disc_provider_t *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return p->rng;
}

static const char *s_name(enum disc_provider_kind k)
{
    return k == DISC_PROV_YTS ? "YTS" : "TheRARBG";
}

static void s_refill(struct s_bucket *b, double burst)
{
    uint64_t now = cm_mono_us();
    b->tokens += b->rate * (double)(now - b->last_us) / 1e6;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_us = now;
}

/* The host[:port] of a base URL, for log lines. */
static void s_host_of(const char *base, char *out, size_t size)
{
    const char *h = strstr(base, "://");
    h = h ? h + 3 : base;
    size_t n = strcspn(h, "/");
    if (n >= size)
        n = size - 1;
    memcpy(out, h, n);
    out[n] = '\0';
}

/* True when a redirect's Location points at the site's root ("/"), or there is none. */
static bool s_location_root(const char *loc)
{
    if (!loc || !loc[0])
        return true;
    const char *path = loc;
    const char *sch = strstr(loc, "://");
    if (sch) {
        path = strchr(sch + 3, '/');
        if (!path)
            return true;
    }
    return path[0] == '/' && (path[1] == '\0' || path[1] == '?' || path[1] == '#');
}

/* True when the answer is an HTML page. */
static bool s_is_html(const struct disc_http_result *res)
{
    if (strncasecmp(res->content_type, "text/html", 9) == 0)
        return true;
    for (size_t i = 0; i < res->len; i++) {
        char c = res->body[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '<';
    }
    return false;
}

/* --- health --- */

static void s_set_state(disc_provider_t *p, enum disc_prov_state st, const char *fmt, ...)
    CM_PRINTF(3, 4);
static void s_set_state(disc_provider_t *p, enum disc_prov_state st, const char *fmt, ...)
{
    char why[DISC_PROVIDER_WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    cm_utf8_copy(p->state_why, sizeof(p->state_why), why);
    if (st != p->state) {
        if (st == DISC_PROV_READY)
            cm_log_n(S_MOD, 0, "%s is %s: %s", s_name(p->kind), disc_prov_state_name(st),
                     p->state_why);
        else
            cm_log_w(S_MOD, 0, "%s is %s: %s", s_name(p->kind), disc_prov_state_name(st),
                     p->state_why);
    }
    p->state = st;
}

/* One operation reached its end after at least one request. */
static void s_outcome(disc_provider_t *p, enum s_out out, const char *why)
{
    memmove(p->hist + 1, p->hist, sizeof(p->hist) - sizeof(p->hist[0]));
    p->hist[0] = out;
    if (p->nhist < DISC_PROVIDER_HISTORY)
        p->nhist++;
    if (out == S_OUT_OK) {
        s_set_state(p, DISC_PROV_READY, "answering from mirror %zu (%s)", p->cur, p->hosts[p->cur]);
        return;
    }
    if (out == S_OUT_OK_ERRORS) {
        s_set_state(p, DISC_PROV_DEGRADED, "answered after errors: %s", p->st.last_error);
        return;
    }
    size_t fails = 0;
    while (fails < p->nhist && p->hist[fails] == S_OUT_FAIL)
        fails++;
    if (fails >= DISC_PROVIDER_HISTORY)
        s_set_state(p, DISC_PROV_ERROR, "the last %zu operations failed: %s", fails, why);
    else
        s_set_state(p, DISC_PROV_DEGRADED, "a request failed: %s", why);
}

/* A request failed on mirror `m`. */
static void s_note_error(disc_provider_t *p, const struct s_search *s, size_t m, const char *err)
{
    char tmp[DISC_PROVIDER_WHY_MAX];
    snprintf(tmp, sizeof(tmp), "mirror %zu (%s): %s", m, p->hosts[m], err);
    cm_utf8_copy(p->st.last_error, sizeof(p->st.last_error), tmp);
    p->st.last_error_ms = cm_now_ms();
    p->st.errors++;
    cm_log_i(S_MOD, 0, "%s %s%s%s: %s", s_name(p->kind), s_op_names[s->op], s->imdb[0] ? " " : "",
             s->imdb, p->st.last_error);
}

/* --- searches: ends --- */

static void s_pump(disc_provider_t *p);

static void s_search_free(struct s_search *s)
{
    disc_provider_t *p = s->p;
    s_list_unlink(s);
    if (s->http_id > 0) {
        disc_http_cancel(p->http, s->http_id);
        p->inflight--;
        s->http_id = 0;
    }
    if (p->probe_id == s->id)
        p->probe_id = 0;
    if (s->timer)
        event_free(s->timer);
    disc_parsed_destroy(&s->result);
    cm_free(s);
}

/* End the search: its callback runs from its zero timer. */
static void s_finish(struct s_search *s, int status, const char *fmt, ...) CM_PRINTF(3, 4);
static void s_finish(struct s_search *s, int status, const char *fmt, ...)
{
    disc_provider_t *p = s->p;
    char why[DISC_PROVIDER_WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    cm_utf8_copy(s->why, sizeof(s->why), why);
    s_list_unlink(s);
    s->st = S_ST_DONE;
    s->status = status;
    if (status != DISC_PROV_OK)
        disc_parsed_destroy(&s->result);
    if (p->probe_id == s->id)
        p->probe_id = 0;
    s_list_push(&p->done, s, false);
    evtimer_del(s->timer);
    struct timeval tv = {0, 0};
    evtimer_add(s->timer, &tv);
    if (status == DISC_PROV_OK) {
        p->st.succeeded++;
        p->st.last_ok_ms = cm_now_ms();
        s_outcome(p, s->had_error ? S_OUT_OK_ERRORS : S_OUT_OK, "");
    } else {
        p->st.failed++;
        if (status != DISC_PROV_E_BUSY)
            cm_log_w(S_MOD, 0, "%s %s%s%s failed (%s): %s", s_name(p->kind), s_op_names[s->op],
                     s->imdb[0] ? " " : "", s->imdb, disc_prov_status_name(status), s->why);
        /* Waiting out a pause or a full queue says nothing about the site. */
        if (s->sent && status != DISC_PROV_E_PAUSED)
            s_outcome(p, S_OUT_FAIL, s->why);
    }
}

static void s_deliver(struct s_search *s)
{
    s_list_unlink(s);
    struct disc_parsed *res = s->status == DISC_PROV_OK ? s->result : NULL;
    s->result = NULL;
    if (s->cb)
        s->cb(s->arg, s->status, s->status == DISC_PROV_OK ? &res : NULL, s->why);
    disc_parsed_destroy(&res);
    s_search_free(s);
}

/* --- searches: queue and dispatch --- */

/* Put the search on its queue; with a budget started, its deadline is armed. */
static void s_enqueue(struct s_search *s, bool front)
{
    disc_provider_t *p = s->p;
    s_list_unlink(s);
    s->st = S_ST_QUEUED;
    s_list_push(&p->queue[s->q], s, front);
    evtimer_del(s->timer);
    if (s->deadline_ms) {
        uint64_t now = cm_mono_ms();
        struct timeval tv = cm_tv_ms(s->deadline_ms > now ? (int64_t)(s->deadline_ms - now) : 0);
        evtimer_add(s->timer, &tv);
    }
}

static void s_pump_in(disc_provider_t *p, int64_t ms)
{
    struct timeval tv = cm_tv_ms(ms);
    evtimer_add(p->pump_timer, &tv);
}

static void s_on_http(void *arg, const struct disc_http_result *res);

/* The request path of the search's operation. */
static void s_path(const struct s_search *s, char *out, size_t size)
{
    bool yts = s->p->kind == DISC_PROV_YTS;
    switch (s->op) {
    case S_OP_SEARCH:
        if (yts)
            snprintf(out, size, "/api/v2/list_movies.json?query_term=%s&page=1&limit=20", s->imdb);
        else
            snprintf(out, size, "/imdb-detail/%s/?format=json", s->imdb);
        break;
    case S_OP_LATEST:
        if (yts)
            snprintf(out, size, "/api/v2/list_movies.json?limit=20&page=1&sort_by=date_added");
        else
            snprintf(out, size, "/get-posts/category:Movies:time:1H/?format=json");
        break;
    case S_OP_PROBE:
        if (yts)
            snprintf(out, size, "/api/v2/list_movies.json?limit=1");
        else
            snprintf(out, size, "/get-posts/category:Movies:time:1H/?format=json");
        break;
    }
}

/* Send the search's request to its mirror. Returns 0 when sent, 1 when the search ended (no
 * budget left), -1 when disc_http refused it (the caller queues it again). */
static int s_send(struct s_search *s)
{
    disc_provider_t *p = s->p;
    uint64_t now = cm_mono_ms();
    if (now >= s->deadline_ms) {
        if (s->had_error)
            s_finish(s, DISC_PROV_E_TIMEOUT, "no answer within %d ms; last error: %s", p->budget_ms,
                     p->st.last_error);
        else
            s_finish(s, DISC_PROV_E_TIMEOUT, "no answer within %d ms", p->budget_ms);
        return 1;
    }
    uint64_t left = s->deadline_ms - now;
    int timeout = left < (uint64_t)p->timeout_ms ? (int)left : p->timeout_ms;
    char path[128], url[S_URL_MAX];
    s_path(s, path, sizeof(path));
    snprintf(url, sizeof(url), "%s%s", p->mirrors[s->mirror], path);
    int id = disc_http_get(p->http, url, timeout, p->max_body, s_on_http, s);
    if (id < 0)
        return -1;
    s_list_unlink(s);
    evtimer_del(s->timer);
    s->st = S_ST_SENDING;
    s->http_id = id;
    s->sent = true;
    s_list_push(&p->active, s, false);
    p->inflight++;
    p->st.requests++;
    return 0;
}

/* A search leaves its queue with a token. Same return as s_send. */
static int s_dispatch(struct s_search *s)
{
    disc_provider_t *p = s->p;
    if (!s->deadline_ms)
        s->deadline_ms = cm_mono_ms() + (uint64_t)p->budget_ms;
    if (!s->resume) {
        s->tried = 0;
        s->mirror = s->op == S_OP_PROBE ? 0 : p->cur;
    }
    s->resume = false;
    int rc = s_send(s);
    if (rc < 0)
        s->resume = true;
    return rc;
}

/* Hand tokens to the queued searches, on-demand first; arm the pump timer for the next. */
static void s_pump(disc_provider_t *p)
{
    if (p->paused)
        return;
    uint64_t now = cm_mono_ms();
    if (p->blocked_until_ms > now) {
        if (p->queue[S_Q_OD].n || p->queue[S_Q_BG].n)
            s_pump_in(p, (int64_t)(p->blocked_until_ms - now));
        return;
    }
    int64_t wait_ms = -1;
    for (int q = 0; q < 2; q++) {
        struct s_bucket *b = &p->bk[q];
        while (p->queue[q].head) {
            if (p->inflight >= DISC_PROVIDER_INFLIGHT_MAX)
                return; /* the next answer pumps again */
            s_refill(b, p->burst);
            if (b->tokens < 1.0) {
                int64_t w = (int64_t)ceil((1.0 - b->tokens) / b->rate * 1000.0);
                if (w < 1)
                    w = 1;
                if (wait_ms < 0 || w < wait_ms)
                    wait_ms = w;
                break;
            }
            b->tokens -= 1.0;
            struct s_search *s = p->queue[q].head;
            s_list_unlink(s);
            int rc = s_dispatch(s);
            if (rc != 0)
                b->tokens += 1.0; /* nothing was sent */
            if (rc < 0) {
                s_enqueue(s, true);
                s_pump_in(p, S_RESEND_MS);
                return;
            }
        }
    }
    if (wait_ms >= 0)
        s_pump_in(p, wait_ms);
}

static void s_on_pump(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    s_pump(arg);
}

/* --- answers --- */

/* YTS: keep the movie asked for (see the header) as the only one, with meta.imdb set. */
static void s_yts_pick(struct disc_parsed *r, const char *imdb)
{
    if (r->nmovies == 0)
        return;
    size_t k = 0;
    for (size_t i = 0; r->nmovies > 1 && i < r->nmovies; i++) {
        if (strcmp(r->movies[i].meta.imdb, imdb) == 0) {
            k = i;
            break;
        }
    }
    struct disc_movie m = r->movies[k];
    if (m.first != 0 && m.ntorrents)
        memmove(r->torrents, r->torrents + m.first, m.ntorrents * sizeof(r->torrents[0]));
    m.first = 0;
    snprintf(m.meta.imdb, sizeof(m.meta.imdb), "%s", imdb);
    r->ignored += r->nmovies - 1;
    r->movies[0] = m;
    r->nmovies = 1;
    r->ntorrents = m.ntorrents;
}

/* Judge an HTTP result for search `s`: on S_V_OK, s->result is set (not for a probe). */
static enum s_verdict s_judge(struct s_search *s, const struct disc_http_result *res, char *err,
                              size_t errlen)
{
    disc_provider_t *p = s->p;
    bool yts = p->kind == DISC_PROV_YTS;
    if (res->curl_code != 0) {
        snprintf(err, errlen, "%s", res->error);
        return S_V_MIRROR;
    }
    long st = res->status;
    bool html = s_is_html(res);
    if (st == 429) {
        snprintf(err, errlen, "HTTP 429 (rate limited)");
        return S_V_429;
    }
    if (st >= 300 && st < 400) {
        if (s->op == S_OP_SEARCH && !yts && s_location_root(res->location)) {
            s->result = disc_parsed_new(); /* the site does not know the id */
            return S_V_OK;
        }
        snprintf(err, errlen, "HTTP %ld (a redirect)", st);
        return S_V_MIRROR;
    }
    if (st >= 400 && st < 500) {
        snprintf(err, errlen, "HTTP %ld%s", st, html ? " (an HTML page)" : "");
        return S_V_REFUSED;
    }
    if (st < 200 || st >= 300) {
        snprintf(err, errlen, "HTTP %ld%s", st, html ? " (an HTML page)" : "");
        return S_V_MIRROR;
    }
    if (html) {
        snprintf(err, errlen, "an HTML page instead of JSON (HTTP %ld)", st);
        return S_V_MIRROR;
    }
    char why[DISC_PROVIDER_WHY_MAX] = "";
    struct disc_parsed *r = disc_parsed_new();
    int rc = 0;
    switch (s->op) {
    case S_OP_SEARCH:
        if (yts) {
            rc = disc_parse_yts(res->body, res->len, r, why, sizeof(why));
            if (rc == 0)
                s_yts_pick(r, s->imdb);
        } else {
            rc = disc_parse_rarbg_detail(res->body, res->len, s->imdb, r, why, sizeof(why));
        }
        break;
    case S_OP_LATEST:
        if (yts)
            rc = disc_parse_yts(res->body, res->len, r, why, sizeof(why));
        else
            rc = disc_parse_rarbg_posts(res->body, res->len, r, why, sizeof(why));
        break;
    case S_OP_PROBE:
        if (yts) {
            if (!disc_parse_yts_ok(res->body, res->len)) {
                rc = -1;
                snprintf(why, sizeof(why), "not a YTS answer with status \"ok\"");
            }
        } else {
            rc = disc_parse_rarbg_posts(res->body, res->len, r, why, sizeof(why));
        }
        disc_parsed_destroy(&r);
        break;
    }
    if (rc != 0) {
        disc_parsed_destroy(&r);
        snprintf(err, errlen, "malformed answer: %s", why);
        return S_V_MIRROR;
    }
    s->result = r;
    return S_V_OK;
}

/* Every mirror of this round failed: another round after backoff, or the end. */
static void s_round_failed(struct s_search *s, const char *err)
{
    disc_provider_t *p = s->p;
    char why[DISC_PROVIDER_WHY_MAX];
    if (p->nmirrors > 1)
        snprintf(why, sizeof(why), "all %zu mirrors failed, %d %s; last: %s", p->nmirrors,
                 s->round + 1, s->round ? "rounds" : "round", err);
    else
        snprintf(why, sizeof(why), "%s%s", err, s->round ? " (after retries)" : "");
    int retries = s->op == S_OP_PROBE ? 0 : p->retries;
    if (s->round >= retries) {
        s_finish(s, DISC_PROV_E_UNAVAILABLE, "%s", why);
        return;
    }
    int64_t b = (int64_t)p->backoff_ms << s->round;
    if (b > DISC_PROVIDER_BACKOFF_MAX_MS)
        b = DISC_PROVIDER_BACKOFF_MAX_MS;
    b = b * 3 / 4 + (int64_t)(s_rand(p) % (uint64_t)(b / 2 + 1)); /* +-25 % */
    if (cm_mono_ms() + (uint64_t)b >= s->deadline_ms) {
        s_finish(s, DISC_PROV_E_UNAVAILABLE, "%s", why);
        return;
    }
    s->st = S_ST_WAITING;
    struct timeval tv = cm_tv_ms(b);
    evtimer_add(s->timer, &tv);
}

static void s_on_http(void *arg, const struct disc_http_result *res)
{
    struct s_search *s = arg;
    disc_provider_t *p = s->p;
    s->http_id = 0;
    p->inflight--;
    char err[DISC_PROVIDER_WHY_MAX] = "";
    enum s_verdict v = s_judge(s, res, err, sizeof(err));
    switch (v) {
    case S_V_OK:
        p->cur = s->mirror;
        s_finish(s, DISC_PROV_OK, "%s", "");
        break;
    case S_V_REFUSED:
        s->had_error = true;
        s_note_error(p, s, s->mirror, err);
        s_finish(s, DISC_PROV_E_REFUSED, "mirror %zu (%s): %s", s->mirror, p->hosts[s->mirror],
                 err);
        break;
    case S_V_429: {
        s->had_error = true;
        p->st.rate_limited++;
        s_note_error(p, s, s->mirror, err);
        int64_t ra = res->retry_after_s >= 0 ? res->retry_after_s : DISC_PROVIDER_429_DEFAULT_S;
        if (ra > DISC_PROVIDER_429_MAX_S)
            ra = DISC_PROVIDER_429_MAX_S;
        uint64_t until = cm_mono_ms() + (uint64_t)ra * 1000;
        if (until > p->blocked_until_ms)
            p->blocked_until_ms = until;
        if (until > s->deadline_ms) {
            s_finish(s, DISC_PROV_E_RATE_LIMITED, "rate limited, retry after %" PRId64 " s", ra);
        } else {
            s->resume = true; /* the same mirror again once the block is over */
            s_enqueue(s, true);
        }
        break;
    }
    case S_V_MIRROR:
        s->had_error = true;
        s_note_error(p, s, s->mirror, err);
        s->tried++;
        if (s->tried >= p->nmirrors) {
            s_round_failed(s, err);
            break;
        }
        s->mirror = (s->mirror + 1) % p->nmirrors;
        p->st.failovers++;
        if (p->paused || s_send(s) < 0) {
            s->resume = true;
            s_enqueue(s, true);
            s_pump_in(p, S_RESEND_MS);
        }
        break;
    }
    s_pump(p);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct s_search *s = arg;
    disc_provider_t *p = s->p;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    switch (s->st) {
    case S_ST_QUEUED: /* its budget ran out in the queue */
        if (p->paused)
            s_finish(s, DISC_PROV_E_PAUSED, "paused: VPN down");
        else if (s->had_error)
            s_finish(s, DISC_PROV_E_TIMEOUT, "no answer within %d ms; last error: %s", p->budget_ms,
                     p->st.last_error);
        else
            s_finish(s, DISC_PROV_E_TIMEOUT, "no answer within %d ms (waiting for a token)",
                     p->budget_ms);
        break;
    case S_ST_WAITING: /* backoff over: a new round, with a token like anyone */
        s->round++;
        s->resume = false;
        s_enqueue(s, true);
        s_pump(p);
        break;
    case S_ST_DONE:
        s_deliver(s);
        break;
    case S_ST_SENDING:
        break;
    }
}

/* --- the provider --- */

static int s_base_ok(const char *u, char *err, size_t errlen)
{
    size_t n = strnlen(u, DISC_PROVIDER_BASE_MAX + 1);
    if (n > DISC_PROVIDER_BASE_MAX) {
        cm_errf(err, errlen, "a provider base URL is over %d bytes", DISC_PROVIDER_BASE_MAX);
        return -1;
    }
    if (strncasecmp(u, "http://", 7) != 0 && strncasecmp(u, "https://", 8) != 0) {
        cm_errf(err, errlen, "a provider base URL is not http:// or https://");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
            cm_errf(err, errlen, "a provider base URL has a space, a query or a fragment");
            return -1;
        }
    }
    return 0;
}

disc_provider_t *disc_provider_new(struct event_base *base, disc_http_t *http,
                                   const struct disc_provider_opts *opts, char *err, size_t errlen)
{
    if (!base || !http || !opts || !opts->mirrors || opts->nmirrors == 0) {
        cm_errf(err, errlen, "disc_provider_new: missing loop, client or mirrors");
        return NULL;
    }
    if (opts->kind != DISC_PROV_YTS && opts->kind != DISC_PROV_RARBG) {
        cm_errf(err, errlen, "disc_provider_new: unknown provider kind");
        return NULL;
    }
    if (opts->rate_bg < 0 || opts->rate_ondemand < 0 || !isfinite(opts->rate_bg) ||
        !isfinite(opts->rate_ondemand)) {
        cm_errf(err, errlen, "%s: a rate is negative", s_name(opts->kind));
        return NULL;
    }
    size_t n = opts->nmirrors;
    if (n > DISC_PROVIDER_MIRRORS_MAX) {
        cm_log_w(S_MOD, 0, "%s: %zu mirrors, only the first %d are used", s_name(opts->kind), n,
                 DISC_PROVIDER_MIRRORS_MAX);
        n = DISC_PROVIDER_MIRRORS_MAX;
    }
    for (size_t i = 0; i < n; i++)
        if (!opts->mirrors[i] || s_base_ok(opts->mirrors[i], err, errlen) != 0)
            return NULL;
    disc_provider_t *p = cm_calloc(1, sizeof(*p));
    p->tag = S_TAG;
    p->base = base;
    p->http = http;
    p->kind = opts->kind;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(opts->mirrors[i]);
        while (len > 0 && opts->mirrors[i][len - 1] == '/')
            len--;
        memcpy(p->mirrors[i], opts->mirrors[i], len);
        p->mirrors[i][len] = '\0';
        s_host_of(p->mirrors[i], p->hosts[i], sizeof(p->hosts[i]));
    }
    p->nmirrors = n;
    bool yts = p->kind == DISC_PROV_YTS;
    p->bk[S_Q_BG].rate = opts->rate_bg > 0 ? opts->rate_bg : yts ? 1.0 / 3.0 : 2.0;
    p->bk[S_Q_OD].rate = opts->rate_ondemand > 0 ? opts->rate_ondemand : yts ? 2.0 : 4.0;
    p->burst = opts->burst <= 0                        ? 1.0
               : opts->burst > DISC_PROVIDER_BURST_MAX ? DISC_PROVIDER_BURST_MAX
                                                       : (double)opts->burst;
    for (int q = 0; q < 2; q++) {
        p->bk[q].tokens = p->burst;
        p->bk[q].last_us = cm_mono_us();
    }
    p->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DISC_PROVIDER_TIMEOUT_DEFAULT_MS;
    p->budget_ms = opts->budget_ms > 0 ? opts->budget_ms : DISC_PROVIDER_BUDGET_DEFAULT_MS;
    p->retries = opts->retries < 0                           ? 0
                 : opts->retries > DISC_PROVIDER_RETRIES_MAX ? DISC_PROVIDER_RETRIES_MAX
                                                             : opts->retries;
    p->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : DISC_PROVIDER_BACKOFF_DEFAULT_MS;
    p->max_body = opts->max_body > 0 && opts->max_body < DISC_PARSE_BODY_MAX
                      ? opts->max_body
                      : (size_t)DISC_PARSE_BODY_MAX;
    p->pump_timer = evtimer_new(base, s_on_pump, p);
    if (getrandom(&p->rng, sizeof(p->rng), 0) != (ssize_t)sizeof(p->rng))
        p->rng = cm_mono_us() ^ ((uint64_t)getpid() << 32);
    p->rng |= 1;
    p->state = DISC_PROV_READY;
    snprintf(p->state_why, sizeof(p->state_why), "no request yet");
    return p;
}

void disc_provider_destroy(disc_provider_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    disc_provider_t *p = *self_p;
    *self_p = NULL;
    assert(p->tag == S_TAG);
    struct s_list *lists[] = {&p->queue[0], &p->queue[1], &p->active, &p->done};
    for (size_t i = 0; i < CM_ARRAY_LEN(lists); i++)
        while (lists[i]->head)
            s_search_free(lists[i]->head);
    if (p->pump_timer)
        event_free(p->pump_timer);
    p->tag = 0;
    cm_free(p);
}

static struct s_search *s_search_new(disc_provider_t *p, enum s_op op, bool ondemand,
                                     disc_provider_done_fn *cb, void *arg)
{
    struct s_search *s = cm_calloc(1, sizeof(*s));
    s->p = p;
    if (++p->next_id <= 0)
        p->next_id = 1;
    s->id = p->next_id;
    s->op = op;
    s->q = ondemand ? S_Q_OD : S_Q_BG;
    s->cb = cb;
    s->arg = arg;
    s->timer = evtimer_new(p->base, s_on_timer, s);
    p->st.operations++;
    return s;
}

/* Queue a new search (or report BUSY), then serve the queues. */
static int s_submit(struct s_search *s, bool front)
{
    disc_provider_t *p = s->p;
    if (p->queue[S_Q_OD].n + p->queue[S_Q_BG].n >= DISC_PROVIDER_QUEUE_MAX) {
        s_finish(s, DISC_PROV_E_BUSY, "busy: %d searches are waiting already",
                 DISC_PROVIDER_QUEUE_MAX);
        return s->id;
    }
    if (s->q == S_Q_OD)
        s->deadline_ms = cm_mono_ms() + (uint64_t)p->budget_ms;
    s_enqueue(s, front);
    s_pump(p);
    return s->id;
}

static bool s_imdb_ok(const char *s)
{
    if (!s || s[0] != 't' || s[1] != 't')
        return false;
    size_t n = 0;
    while (n < 9 && s[2 + n] >= '0' && s[2 + n] <= '9')
        n++;
    return (n == 7 || n == 8) && s[2 + n] == '\0';
}

int disc_provider_search(disc_provider_t *self, const char *imdb, bool ondemand,
                         disc_provider_done_fn *cb, void *arg)
{
    if (!self || !cb || !s_imdb_ok(imdb))
        return -1;
    struct s_search *s = s_search_new(self, S_OP_SEARCH, ondemand, cb, arg);
    snprintf(s->imdb, sizeof(s->imdb), "%s", imdb);
    return s_submit(s, false);
}

int disc_provider_latest(disc_provider_t *self, disc_provider_done_fn *cb, void *arg)
{
    if (!self || !cb)
        return -1;
    return s_submit(s_search_new(self, S_OP_LATEST, false, cb, arg), false);
}

int disc_provider_probe(disc_provider_t *self, disc_provider_done_fn *cb, void *arg)
{
    if (!self)
        return -1;
    if (self->probe_id)
        return 0;
    struct s_search *s = s_search_new(self, S_OP_PROBE, false, cb, arg);
    self->probe_id = s->id;
    return s_submit(s, true);
}

void disc_provider_cancel(disc_provider_t *self, int id)
{
    if (!self || id <= 0)
        return;
    struct s_list *lists[] = {&self->queue[0], &self->queue[1], &self->active, &self->done};
    for (size_t i = 0; i < CM_ARRAY_LEN(lists); i++) {
        for (struct s_search *s = lists[i]->head; s; s = s->next) {
            if (s->id == id) {
                s_search_free(s);
                s_pump(self); /* a request slot may have come free */
                return;
            }
        }
    }
}

void disc_provider_pause(disc_provider_t *self, bool paused)
{
    if (!self || self->paused == paused)
        return;
    self->paused = paused;
    cm_log_n(S_MOD, 0, "%s %s", s_name(self->kind), paused ? "paused" : "resumed");
    if (!paused)
        s_pump(self);
}

enum disc_prov_state disc_provider_state(const disc_provider_t *self, char *why, size_t whylen)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", self->state_why);
    return self->state;
}

void disc_provider_stats(const disc_provider_t *self, struct disc_provider_stats *out)
{
    *out = self->st;
    out->state = self->state;
    snprintf(out->why, sizeof(out->why), "%s", self->state_why);
    out->queued = self->queue[S_Q_OD].n + self->queue[S_Q_BG].n;
    out->inflight = self->inflight;
    out->mirror = self->cur;
    out->nmirrors = self->nmirrors;
    out->paused = self->paused;
    uint64_t now = cm_mono_ms();
    out->blocked_ms = self->blocked_until_ms > now ? (int64_t)(self->blocked_until_ms - now) : 0;
}

const char *disc_provider_name(const disc_provider_t *self)
{
    return s_name(self->kind);
}

const char *disc_provider_mirror(const disc_provider_t *self, size_t i)
{
    return i < self->nmirrors ? self->mirrors[i] : NULL;
}

const char *disc_prov_state_name(enum disc_prov_state state)
{
    switch (state) {
    case DISC_PROV_READY:
        return "ready";
    case DISC_PROV_DEGRADED:
        return "degraded";
    case DISC_PROV_ERROR:
        return "error";
    }
    return "unknown";
}

const char *disc_prov_status_name(int status)
{
    static const char *const names[] = {"ok",   "unavailable", "refused", "rate limited",
                                        "busy", "paused",      "timeout"};
    return status >= 0 && (size_t)status < CM_ARRAY_LEN(names) ? names[status] : "unknown";
}
