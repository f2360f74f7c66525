/* SPDX-License-Identifier: MIT
 * Tests of disc_http and disc_provider against tests/tools/fixture_server.py serving the
 * recorded answers under tests/fixtures/providers (or $MARQUEE_FIXTURES): searches on
 * both providers compared with the parser's own reading of the same files, unknown ids, the
 * listings, HTML pages, 5xx, malformed JSON, a dead mirror, 429 with Retry-After, timeouts,
 * every mirror failing and the health state going to ERROR and back to READY, the body cap,
 * the token buckets, the pause switch, the queue cap, cancel and destroy without callbacks,
 * and the HTTP layer's own results (302, Retry-After forms, resets, the in-flight cap).
 * Callbacks must never run inside the call that started them. Skipped without python3. */
#include "cm.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cm_json.h"
#include "disc_http.h"
#include "disc_provider.h"
#include "../../tap.h"

#define FIXTURES_DEFAULT "tests/fixtures/providers"
#define SERVER_SCRIPT "tests/tools/fixture_server.py"

enum {
    PATH_LEN = 1024,
    START_WAIT_MS = 10000, /* for the server's PORT line */
    CTL_WAIT_MS = 3000,    /* for a control request */
    CTL_REPLY_MAX = 16384,
    WAIT_MS = 8000, /* for a callback that must come */
};

struct server {
    pid_t pid;
    int port;
    int stdin_fd; /* our end of its stdin: closing it stops the server too */
};

static struct event_base *base;
static const char *fixtures;
static struct server yA, yB, rC;
static int dead_port;
static bool in_call; /* true while a test is inside a call of the API */

/* --- the fixture server --- */

static bool s_have_python(void)
{
    const char *path = getenv("PATH");
    if (!path || !path[0])
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char p[PATH_LEN];
        snprintf(p, sizeof(p), "%.*s/python3", (int)n, path);
        if (n && access(p, X_OK) == 0)
            return true;
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

static int s_server_start(struct server *sv, const char *provider)
{
    int in[2], out[2];
    sv->pid = -1;
    sv->stdin_fd = -1;
    if (pipe2(in, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execlp("python3", "python3", SERVER_SCRIPT, fixtures, provider, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return -1;
    }
    sv->pid = pid;
    sv->stdin_fd = in[1];
    char line[64];
    size_t n = 0;
    uint64_t end = cm_mono_ms() + START_WAIT_MS;
    while (n < sizeof(line) - 1 && cm_mono_ms() < end) {
        struct pollfd pf = {.fd = out[0], .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(out[0], line + n, 1);
        if (r <= 0)
            break;
        if (line[n++] == '\n')
            break;
    }
    line[n] = '\0';
    close(out[0]);
    if (strncmp(line, "PORT ", 5) != 0)
        return -1;
    sv->port = (int)strtol(line + 5, NULL, 10);
    return sv->port > 0 ? 0 : -1;
}

static void s_server_stop(struct server *sv)
{
    if (sv->stdin_fd >= 0)
        close(sv->stdin_fd);
    sv->stdin_fd = -1;
    if (sv->pid <= 0)
        return;
    kill(sv->pid, SIGTERM);
    int st;
    uint64_t end = cm_mono_ms() + 3000;
    while (waitpid(sv->pid, &st, WNOHANG) == 0) {
        if (cm_mono_ms() > end) {
            kill(sv->pid, SIGKILL);
            waitpid(sv->pid, &st, 0);
            break;
        }
        usleep(10000);
    }
    sv->pid = -1;
}

/* A blocking GET of a control path; the reply body goes to `out`. Returns 0 or -1. */
static int s_ctl(const struct server *sv, const char *path, char *out, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = cm_tv_ms(CTL_WAIT_MS);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)sv->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char req[512], buf[CTL_REPLY_MAX];
    int n =
        snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    size_t got = 0;
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || write(fd, req, (size_t)n) != n)
        goto out;
    for (;;) {
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == sizeof(buf) - 1)
            break;
    }
    buf[got] = '\0';
    const char *body = strstr(buf, "\r\n\r\n");
    if (body && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0) {
        if (out)
            snprintf(out, size, "%s", body + 4);
        rc = 0;
    }
out:
    close(fd);
    return rc;
}

static void s_mode(const struct server *sv, const char *query)
{
    char path[256];
    snprintf(path, sizeof(path), "/__mode?%s", query);
    if (s_ctl(sv, path, NULL, 0) != 0)
        diag("control %s failed", path);
}

/* Requests the server has answered (or faulted) since its start or /__reset. */
static long s_requests(const struct server *sv)
{
    char body[CTL_REPLY_MAX];
    if (s_ctl(sv, "/__stats", body, sizeof(body)) != 0)
        return -1;
    const char *p = strstr(body, "\"requests\": ");
    return p ? strtol(p + 12, NULL, 10) : -1;
}

/* A loopback port nobody listens on (bound, then closed). */
static int s_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* --- the loop --- */

static void s_run_ms(int ms)
{
    struct timeval tv = cm_tv_ms(ms);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static bool s_wait(const int *counter, int target, int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    while (*counter < target && cm_mono_ms() < end)
        s_run_ms(10);
    return *counter >= target;
}

/* --- callbacks --- */

struct rec {
    int calls;
    int status;
    bool sync; /* called from inside the API call */
    bool had_result;
    size_t nmovies, ntorrents;
    char imdb[12];
    char why[DISC_PROVIDER_WHY_MAX];
    uint64_t at_ms;
    bool keep; /* take the result */
    struct disc_parsed *kept;
};

static void s_on_done(void *arg, int status, struct disc_parsed **result_p, const char *why)
{
    struct rec *r = arg;
    r->calls++;
    r->status = status;
    r->sync |= in_call;
    r->at_ms = cm_mono_ms();
    r->had_result = result_p && *result_p;
    if (r->had_result) {
        r->nmovies = (*result_p)->nmovies;
        r->ntorrents = (*result_p)->ntorrents;
        snprintf(r->imdb, sizeof(r->imdb), "%s",
                 (*result_p)->nmovies ? (*result_p)->movies[0].meta.imdb : "");
        if (r->keep) {
            r->kept = *result_p;
            *result_p = NULL;
        }
    }
    snprintf(r->why, sizeof(r->why), "%s", why ? why : "(null)");
}

static int s_search(disc_provider_t *p, const char *imdb, bool od, struct rec *r)
{
    in_call = true;
    int id = disc_provider_search(p, imdb, od, s_on_done, r);
    in_call = false;
    return id;
}

static int s_probe(disc_provider_t *p, struct rec *r)
{
    in_call = true;
    int id = disc_provider_probe(p, s_on_done, r);
    in_call = false;
    return id;
}

/* Search and wait for the answer. */
static void s_search_wait(disc_provider_t *p, const char *imdb, bool od, struct rec *r)
{
    int want = r->calls + 1;
    int id = s_search(p, imdb, od, r);
    if (id <= 0 || !s_wait(&r->calls, want, WAIT_MS))
        diag("search %s: id %d, no callback", imdb, id);
}

static void s_probe_wait(disc_provider_t *p, struct rec *r)
{
    int want = r->calls + 1;
    if (s_probe(p, r) <= 0 || !s_wait(&r->calls, want, WAIT_MS))
        diag("probe: no callback");
}

static disc_http_t *http;

static char urls[4][64];

static const char *s_url(int port, int i)
{
    snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d/", port);
    return urls[i];
}

/* A provider for tests: fast buckets unless the test says otherwise. */
static disc_provider_t *s_prov(enum disc_provider_kind kind, int port0, int port1,
                               struct disc_provider_opts *o)
{
    const char *m[2] = {s_url(port0, 0), port1 ? s_url(port1, 1) : NULL};
    struct disc_provider_opts d = {.rate_bg = 100,
                                   .rate_ondemand = 100,
                                   .burst = 8,
                                   .timeout_ms = 3000,
                                   .budget_ms = 6000,
                                   .retries = 0,
                                   .backoff_ms = 50};
    if (!o)
        o = &d;
    o->kind = kind;
    o->mirrors = m;
    o->nmirrors = port1 ? 2 : 1;
    char err[256] = "";
    disc_provider_t *p = disc_provider_new(base, http, o, err, sizeof(err));
    if (!p)
        diag("disc_provider_new: %s", err);
    return p;
}

static struct disc_provider_opts s_opts(void)
{
    struct disc_provider_opts d = {.rate_bg = 100,
                                   .rate_ondemand = 100,
                                   .burst = 8,
                                   .timeout_ms = 3000,
                                   .budget_ms = 6000,
                                   .retries = 0,
                                   .backoff_ms = 50};
    return d;
}

/* The parser's own reading of a fixture file: 0 and counts, or -1. */
static int s_fixture_parse(const char *rel, bool yts, const char *imdb, size_t *nmovies,
                           size_t *ntorrents)
{
    char path[PATH_LEN];
    snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    json_t *data = root ? json_object_get(root, "data") : NULL;
    if (!data) {
        json_decref(root);
        return -1;
    }
    size_t len = 0;
    char *body = cm_json_take_dump(json_incref(data), &len);
    json_decref(root);
    struct disc_parsed *r = disc_parsed_new();
    char err[256];
    int rc = yts ? disc_parse_yts(body, len, r, err, sizeof(err))
                 : disc_parse_rarbg_detail(body, len, imdb, r, err, sizeof(err));
    *nmovies = r->nmovies;
    *ntorrents = r->ntorrents;
    disc_parsed_destroy(&r);
    cm_free(body);
    return rc;
}

/* --- disc_http --- */

struct hrec {
    int calls;
    bool sync;
    int curl_code;
    long status;
    char ctype[128];
    char location[128];
    char error[256];
    size_t len;
    int64_t retry_after_s;
};

static void s_on_http(void *arg, const struct disc_http_result *res)
{
    struct hrec *h = arg;
    h->calls++;
    h->sync |= in_call;
    h->curl_code = res->curl_code;
    h->status = res->status;
    h->len = res->len;
    h->retry_after_s = res->retry_after_s;
    snprintf(h->ctype, sizeof(h->ctype), "%s", res->content_type);
    snprintf(h->location, sizeof(h->location), "%s", res->location);
    snprintf(h->error, sizeof(h->error), "%s", res->error);
}

static void s_get_wait(disc_http_t *h, const struct server *sv, const char *path, size_t max_body,
                       struct hrec *r)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", sv->port, path);
    int want = r->calls + 1;
    in_call = true;
    int id = disc_http_get(h, url, 3000, max_body, s_on_http, r);
    in_call = false;
    if (id <= 0 || !s_wait(&r->calls, want, WAIT_MS))
        diag("GET %s: id %d, no callback", path, id);
}

static void test_http(void)
{
    disc_http_t *h = disc_http_new(base, "Marquee-test/1");
    ok(h != NULL, "http: a client");
    struct hrec r = {0};
    s_get_wait(h, &yA, "/api/v2/list_movies.json?limit=1", 0, &r);
    ok(r.calls == 1 && r.curl_code == 0 && r.status == 200 && r.len > 100 && !r.sync,
       "http: 200 with a body, from the loop");
    is_str(r.ctype, "application/json; charset=utf-8", "http: the recorded Content-Type");
    ok(r.retry_after_s == -1 && r.location[0] == '\0', "http: no Retry-After, no Location");

    s_get_wait(h, &rC, "/imdb-detail/tt0000001/?format=json", 0, &r);
    ok(r.curl_code == 0 && r.status == 302, "http: a 302 is an answer (not followed)");
    ok(strlen(r.location) > 0 && r.location[strlen(r.location) - 1] == '/',
       "http: its Location is given");

    s_mode(&yA, "set=429&count=1&retry_after=2");
    s_get_wait(h, &yA, "/api/v2/list_movies.json?limit=1", 0, &r);
    ok(r.status == 429 && r.retry_after_s == 2, "http: Retry-After in seconds");
    s_mode(&yA, "set=429&count=1&retry_after=date%2B5");
    s_get_wait(h, &yA, "/api/v2/list_movies.json?limit=1", 0, &r);
    ok(r.status == 429 && r.retry_after_s >= 3 && r.retry_after_s <= 6,
       "http: Retry-After as an HTTP-date");
    if (r.status != 429 || r.retry_after_s < 3 || r.retry_after_s > 6)
        diag("retry_after_s %" PRId64, r.retry_after_s);

    s_mode(&yA, "set=reset&count=2"); /* curl retries once on a reused connection */
    s_get_wait(h, &yA, "/api/v2/list_movies.json?limit=1", 0, &r);
    ok(r.curl_code != 0 && r.status == 0 && r.error[0], "http: a reset connection is an error");
    diag("reset: %s", r.error);

    s_get_wait(h, &rC, "/imdb-detail/tt4154756/?format=json", 1000, &r);
    ok(r.curl_code != 0, "http: a body over the cap ends the transfer");
    is_str(r.error, "response over 1000 bytes", "http: ... with that error");

    s_mode(&yA, "set=slow&count=1&delay=2");
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v2/list_movies.json?limit=1", yA.port);
    int want = r.calls + 1;
    in_call = true;
    int id = disc_http_get(h, url, 200, 0, s_on_http, &r);
    in_call = false;
    ok(id > 0 && s_wait(&r.calls, want, WAIT_MS) && r.curl_code != 0,
       "http: a slow answer times out");
    is_str(r.error, "timed out after 200 ms", "http: ... with that error");

    in_call = true;
    ok(disc_http_get(h, "ftp://127.0.0.1/x", 100, 0, s_on_http, &r) == -1, "http: ftp is refused");
    ok(disc_http_get(h, "", 100, 0, s_on_http, &r) == -1, "http: an empty URL is refused");
    ok(disc_http_get(h, "http://a b/", 100, 0, s_on_http, &r) == -1,
       "http: a URL with a space is refused");
    in_call = false;

    /* The in-flight cap, then cancel and destroy without callbacks. */
    s_mode(&yA, "set=slow&delay=2&count=70");
    int calls = r.calls, ids[DISC_HTTP_INFLIGHT_MAX];
    bool all = true;
    for (int i = 0; i < DISC_HTTP_INFLIGHT_MAX; i++) {
        ids[i] = disc_http_get(h, url, 5000, 0, s_on_http, &r);
        all &= ids[i] > 0;
    }
    ok(all && disc_http_inflight(h) == DISC_HTTP_INFLIGHT_MAX, "http: 64 transfers in flight");
    ok(disc_http_get(h, url, 5000, 0, s_on_http, &r) == -1, "http: the 65th is refused");
    disc_http_cancel(h, ids[0]);
    disc_http_cancel(h, ids[0]);
    disc_http_cancel(h, 999999);
    ok(disc_http_inflight(h) == DISC_HTTP_INFLIGHT_MAX - 1, "http: cancel frees a slot");
    s_run_ms(200);
    disc_http_destroy(&h);
    ok(h == NULL, "http: destroy nulls the pointer");
    disc_http_destroy(&h);
    s_run_ms(100);
    is_int(r.calls, calls, "http: cancelled and destroyed transfers call nothing");
    ok(!r.sync, "http: no callback inside disc_http_get");
    s_ctl(&yA, "/__reset", NULL, 0);
}

/* --- disc_provider --- */

static void test_yts_search(void)
{
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yA.port, 0, NULL);
    size_t fm = 0, ft = 0;
    int frc = s_fixture_parse("yts/data/api/v2/list_movies.json-limit-20-page-1-query_term-"
                              "tt0111161.json",
                              true, NULL, &fm, &ft);
    ok(frc == 0 && fm == 1 && ft > 0, "yts: the parser reads the fixture");
    struct rec r = {.keep = true};
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.calls == 1 && r.status == DISC_PROV_OK && !r.sync, "yts: search answered, from the loop");
    ok(r.nmovies == 1 && r.ntorrents == ft, "yts: movies and torrents as the parser counts");
    is_str(r.imdb, "tt0111161", "yts: the movie carries the id asked for");
    ok(r.kept && r.kept->nmovies == 1 && r.kept->movies[0].first == 0,
       "yts: the callback may keep the result");
    disc_parsed_destroy(&r.kept);
    r.keep = false;

    s_search_wait(p, "tt0000001", false, &r);
    ok(r.status == DISC_PROV_OK && r.had_result && r.nmovies == 0,
       "yts: an unknown id is 0 movies");
    s_search_wait(p, "tt4154756", true, &r);
    ok(r.status == DISC_PROV_OK && r.nmovies == 0, "yts: a recorded empty answer, on demand");

    in_call = true;
    ok(disc_provider_search(p, "tt123", false, s_on_done, &r) == -1, "yts: a bad id is refused");
    ok(disc_provider_search(p, "tt0111161", false, NULL, &r) == -1, "yts: no callback, refused");
    in_call = false;

    struct rec l = {0};
    in_call = true;
    int id = disc_provider_latest(p, s_on_done, &l);
    in_call = false;
    ok(id > 0 && s_wait(&l.calls, 1, WAIT_MS) && l.status == DISC_PROV_OK && l.nmovies == 20,
       "yts: the latest listing (the server's fallback) has 20 movies");

    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(st.state == DISC_PROV_READY && st.requests == 4 && st.succeeded == 4 && st.errors == 0,
       "yts: ready, 4 requests, no error");
    ok(!r.sync && !l.sync, "yts: no callback inside a call");
    disc_provider_destroy(&p);
    ok(p == NULL, "yts: destroy nulls the pointer");
}

static void test_rarbg_search(void)
{
    disc_provider_t *p = s_prov(DISC_PROV_RARBG, rC.port, 0, NULL);
    size_t fm = 0, ft = 0;
    int frc = s_fixture_parse("therarbg/data/imdb-detail/tt4154756/-format-json.json", false,
                              "tt4154756", &fm, &ft);
    ok(frc == 0 && fm == 1 && ft > 0, "rarbg: the parser reads the fixture");
    struct rec r = {0};
    s_search_wait(p, "tt4154756", false, &r);
    ok(r.status == DISC_PROV_OK && r.nmovies == 1 && r.ntorrents == ft,
       "rarbg: search answered, counts as the parser's");
    is_str(r.imdb, "tt4154756", "rarbg: the movie's id");
    s_search_wait(p, "tt0000001", true, &r);
    ok(r.status == DISC_PROV_OK && r.had_result && r.nmovies == 0,
       "rarbg: 302 Location / is an unknown id, 0 movies");
    struct rec l = {0};
    ok(disc_provider_latest(p, s_on_done, &l) > 0 && s_wait(&l.calls, 1, WAIT_MS) &&
           l.status == DISC_PROV_OK && l.nmovies >= 1,
       "rarbg: the latest posts");
    struct rec pr = {0};
    s_probe_wait(p, &pr);
    ok(pr.status == DISC_PROV_OK && !pr.had_result, "rarbg: probe ok, no result");
    ok(disc_provider_state(p, NULL, 0) == DISC_PROV_READY, "rarbg: ready");
    ok(!r.sync && !l.sync && !pr.sync, "rarbg: no callback inside a call");
    disc_provider_destroy(&p);
}

static void test_html_failover(void)
{
    s_mode(&yA, "set=html");
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yA.port, yB.port, NULL);
    struct rec r = {0};
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.status == DISC_PROV_OK && r.nmovies == 1, "html: an HTML page, the next mirror answers");
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(st.failovers == 1 && st.mirror == 1 && st.errors == 1, "html: one failover, mirror 1");
    ok(strstr(st.last_error, "HTML") != NULL, "html: the last error says HTML");
    ok(st.state == DISC_PROV_DEGRADED, "html: degraded");
    diag("state: %s", st.why);
    long a0 = s_requests(&yA);
    s_search_wait(p, "tt0068646", false, &r);
    ok(r.status == DISC_PROV_OK && s_requests(&yA) == a0,
       "html: the next search starts at the mirror that worked");
    ok(disc_provider_state(p, NULL, 0) == DISC_PROV_READY, "html: ready again");
    struct rec pr = {0};
    s_probe_wait(p, &pr);
    disc_provider_stats(p, &st);
    ok(pr.status == DISC_PROV_OK && s_requests(&yA) == a0 + 1 && st.mirror == 1,
       "html: a probe tries the first mirror first");
    s_mode(&yA, "set=ok");
    s_probe_wait(p, &pr);
    disc_provider_stats(p, &st);
    ok(pr.status == DISC_PROV_OK && st.mirror == 0 && st.state == DISC_PROV_READY,
       "html: once the first mirror works, the probe moves back to it");
    disc_provider_destroy(&p);

    /* A 500 error page with one mirror and no retry. */
    s_mode(&yA, "set=html500&count=1");
    p = s_prov(DISC_PROV_YTS, yA.port, 0, NULL);
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.status == DISC_PROV_E_UNAVAILABLE && strstr(r.why, "HTTP 500"),
       "html500: unavailable, HTTP 500");
    diag("why: %s", r.why);
    disc_provider_destroy(&p);
    s_ctl(&yA, "/__reset", NULL, 0);
}

static void test_malformed_and_dead(void)
{
    s_mode(&yA, "set=malformed");
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yA.port, 0, NULL);
    struct rec r = {0};
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.status == DISC_PROV_E_UNAVAILABLE && !r.had_result && strstr(r.why, "malformed"),
       "malformed: truncated JSON is an error");
    diag("why: %s", r.why);
    disc_provider_destroy(&p);
    p = s_prov(DISC_PROV_YTS, yA.port, yB.port, NULL);
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.status == DISC_PROV_OK && r.nmovies == 1, "malformed: the next mirror answers");
    disc_provider_destroy(&p);
    s_mode(&yA, "set=ok");

    p = s_prov(DISC_PROV_RARBG, dead_port, rC.port, NULL);
    s_search_wait(p, "tt9603208", false, &r);
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(r.status == DISC_PROV_OK && r.nmovies == 1 && st.failovers == 1 && st.mirror == 1,
       "dead: a refused connection, the next mirror answers");
    diag("last error: %s", st.last_error);
    disc_provider_destroy(&p);

    /* A 404 is not retried. */
    s_mode(&yA, "set=404");
    p = s_prov(DISC_PROV_YTS, yA.port, yB.port, NULL);
    long b0 = s_requests(&yB);
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.status == DISC_PROV_E_REFUSED && s_requests(&yB) == b0,
       "404: refused, no other mirror asked");
    disc_provider_destroy(&p);
    s_ctl(&yA, "/__reset", NULL, 0);
}

static void test_429(void)
{
    s_mode(&yA, "set=429&count=1&retry_after=1");
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yA.port, 0, NULL);
    struct rec r = {0};
    uint64_t t0 = cm_mono_ms();
    s_search_wait(p, "tt0111161", true, &r);
    uint64_t dt = r.at_ms - t0;
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(r.status == DISC_PROV_OK && r.nmovies == 1 && st.rate_limited == 1,
       "429: answered after the wait");
    ok(dt >= 900 && dt < 4000, "429: Retry-After 1 s honoured");
    diag("429 then answer in %" PRIu64 " ms", dt);
    ok(st.state == DISC_PROV_DEGRADED, "429: degraded after it");
    disc_provider_destroy(&p);

    s_mode(&yA, "set=429&count=1&retry_after=30");
    p = s_prov(DISC_PROV_YTS, yA.port, 0, NULL);
    t0 = cm_mono_ms();
    s_search_wait(p, "tt0111161", false, &r);
    dt = r.at_ms - t0;
    disc_provider_stats(p, &st);
    ok(r.status == DISC_PROV_E_RATE_LIMITED && strstr(r.why, "retry after 30 s"),
       "429: past the budget, it fails at once");
    ok(dt < 1500 && st.blocked_ms > 20000, "429: fast, and the provider stays blocked");
    diag("why: %s (%" PRIu64 " ms)", r.why, dt);
    /* While blocked, nothing is sent: an on-demand search runs out of budget in the queue. */
    struct disc_provider_opts o = s_opts();
    disc_provider_destroy(&p);
    s_ctl(&yA, "/__reset", NULL, 0);
    s_mode(&yA, "set=429&count=1&retry_after=30");
    o.budget_ms = 500;
    p = s_prov(DISC_PROV_YTS, yA.port, 0, &o);
    s_search_wait(p, "tt0111161", false, &r);
    ok(r.status == DISC_PROV_E_RATE_LIMITED, "429: blocked (budget 500 ms)");
    s_search_wait(p, "tt0111161", true, &r);
    ok(r.status == DISC_PROV_E_TIMEOUT && s_requests(&yA) == 1,
       "429: the next on-demand search times out in the queue, nothing sent");
    diag("why: %s", r.why);
    disc_provider_destroy(&p);
    s_ctl(&yA, "/__reset", NULL, 0);
}

static void test_timeout(void)
{
    s_mode(&yA, "set=slow&count=1&delay=2");
    struct disc_provider_opts o = s_opts();
    o.timeout_ms = 300;
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yA.port, yB.port, &o);
    struct rec r = {0};
    uint64_t t0 = cm_mono_ms();
    s_search_wait(p, "tt0111161", false, &r);
    uint64_t dt = r.at_ms - t0;
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(r.status == DISC_PROV_OK && st.mirror == 1 && strstr(st.last_error, "timed out"),
       "timeout: the slow mirror times out, the next answers");
    ok(dt >= 250 && dt < 1500, "timeout: within the request timeout");
    diag("answered in %" PRIu64 " ms; last error %s", dt, st.last_error);
    disc_provider_destroy(&p);
    s_ctl(&yA, "/__reset", NULL, 0);
}

static void test_all_fail(void)
{
    s_mode(&yA, "set=html500");
    struct disc_provider_opts o = s_opts();
    o.retries = 1;
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yA.port, dead_port, &o);
    struct rec r = {0};
    s_search_wait(p, "tt0111161", false, &r);
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(r.status == DISC_PROV_E_UNAVAILABLE && strstr(r.why, "all 2 mirrors failed"),
       "all fail: unavailable");
    diag("why: %s", r.why);
    ok(st.requests == 4 && st.errors == 4 && s_requests(&yA) == 2,
       "all fail: 2 rounds over 2 mirrors");
    ok(st.state == DISC_PROV_DEGRADED, "all fail: one failure is degraded");
    struct rec pr = {0};
    s_probe_wait(p, &pr);
    ok(disc_provider_state(p, NULL, 0) == DISC_PROV_DEGRADED, "all fail: two, still degraded");
    s_probe_wait(p, &pr);
    char why[DISC_PROVIDER_WHY_MAX];
    ok(pr.status == DISC_PROV_E_UNAVAILABLE &&
           disc_provider_state(p, why, sizeof(why)) == DISC_PROV_ERROR,
       "all fail: three in a row is error");
    diag("state: %s", why);
    s_mode(&yA, "set=ok");
    s_probe_wait(p, &pr);
    disc_provider_stats(p, &st);
    ok(pr.status == DISC_PROV_OK && st.state == DISC_PROV_READY && st.mirror == 0,
       "all fail: recovery is ready");
    ok(st.operations == 4 && st.succeeded == 1 && st.failed == 3, "all fail: counters");
    disc_provider_destroy(&p);
    s_ctl(&yA, "/__reset", NULL, 0);
}

static void test_body_cap(void)
{
    struct disc_provider_opts o = s_opts();
    o.max_body = 1000;
    disc_provider_t *p = s_prov(DISC_PROV_RARBG, rC.port, 0, &o);
    struct rec r = {0};
    s_search_wait(p, "tt4154756", false, &r);
    ok(r.status == DISC_PROV_E_UNAVAILABLE && strstr(r.why, "over 1000 bytes"),
       "cap: an answer over the cap is an error");
    diag("why: %s", r.why);
    disc_provider_destroy(&p);
}

static void test_rate(void)
{
    struct disc_provider_opts o = s_opts();
    o.rate_bg = 2;
    o.rate_ondemand = 2;
    o.burst = 1;
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yB.port, 0, &o);
    struct rec a = {0}, b = {0}, c = {0};
    uint64_t t0 = cm_mono_ms();
    s_search(p, "tt0111161", false, &a);
    s_search(p, "tt0068646", false, &b);
    s_search(p, "tt0109830", true, &c);
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(st.queued == 1, "rate: the second background search waits for a token");
    ok(s_wait(&b.calls, 1, WAIT_MS) && a.calls == 1 && c.calls == 1, "rate: all three answer");
    uint64_t da = a.at_ms - t0, db = b.at_ms - t0, dc = c.at_ms - t0;
    diag("rate 2/s: %" PRIu64 " ms, %" PRIu64 " ms; on demand %" PRIu64 " ms", da, db, dc);
    ok(da < 400 && db >= 400 && db < 2000, "rate: the second comes ~500 ms later");
    ok(dc < 400, "rate: on demand has its own bucket");
    ok(a.status == 0 && b.status == 0 && c.status == 0 && !a.sync && !b.sync && !c.sync,
       "rate: answers ok, from the loop");
    disc_provider_destroy(&p);
}

static void test_pause(void)
{
    struct disc_provider_opts o = s_opts();
    o.budget_ms = 400;
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yB.port, 0, &o);
    long b0 = s_requests(&yB);
    disc_provider_pause(p, true);
    struct rec bg = {0}, od = {0};
    s_search(p, "tt0111161", false, &bg);
    uint64_t t0 = cm_mono_ms();
    s_search(p, "tt0068646", true, &od);
    ok(s_wait(&od.calls, 1, WAIT_MS) && od.status == DISC_PROV_E_PAUSED,
       "pause: an on-demand search fails when its budget runs out");
    is_str(od.why, "paused: VPN down", "pause: ... saying why");
    uint64_t dt = od.at_ms - t0;
    ok(dt >= 350 && dt < 2000, "pause: after its budget");
    s_run_ms(200);
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    ok(bg.calls == 0 && st.queued == 1 && st.paused && s_requests(&yB) == b0,
       "pause: the background search waits, nothing sent");
    ok(st.state == DISC_PROV_READY, "pause: the state does not change");
    disc_provider_pause(p, false);
    ok(s_wait(&bg.calls, 1, WAIT_MS) && bg.status == DISC_PROV_OK && bg.nmovies == 1,
       "pause: resumed, the background search answers");
    ok(s_requests(&yB) == b0 + 1, "pause: one request");
    disc_provider_destroy(&p);
}

static void test_queue_and_cancel(void)
{
    disc_provider_t *p = s_prov(DISC_PROV_YTS, yB.port, 0, NULL);
    disc_provider_pause(p, true);
    static struct rec rs[DISC_PROVIDER_QUEUE_MAX + 1];
    memset(rs, 0, sizeof(rs));
    int ids[DISC_PROVIDER_QUEUE_MAX + 1];
    bool all = true;
    for (int i = 0; i <= DISC_PROVIDER_QUEUE_MAX; i++) {
        ids[i] = s_search(p, "tt0111161", false, &rs[i]);
        all &= ids[i] > 0;
    }
    ok(all, "queue: every search gets an id");
    ok(rs[DISC_PROVIDER_QUEUE_MAX].calls == 0, "queue: busy is not reported inside the call");
    s_run_ms(50);
    ok(rs[DISC_PROVIDER_QUEUE_MAX].calls == 1 &&
           rs[DISC_PROVIDER_QUEUE_MAX].status == DISC_PROV_E_BUSY,
       "queue: the 257th is busy");
    diag("why: %s", rs[DISC_PROVIDER_QUEUE_MAX].why);
    int others = 0;
    for (int i = 0; i < DISC_PROVIDER_QUEUE_MAX; i++)
        others += rs[i].calls;
    is_int(others, 0, "queue: the 256 wait");
    disc_provider_cancel(p, ids[0]);
    struct disc_provider_stats st;
    disc_provider_stats(p, &st);
    is_int(st.queued, DISC_PROVIDER_QUEUE_MAX - 1, "queue: cancel takes one out");
    disc_provider_destroy(&p);
    s_run_ms(50);
    others = 0;
    for (int i = 0; i < DISC_PROVIDER_QUEUE_MAX; i++)
        others += rs[i].calls;
    is_int(others, 0, "queue: destroy calls nothing");

    /* Cancel and destroy while a request is in flight. */
    s_mode(&yA, "set=slow&delay=1");
    p = s_prov(DISC_PROV_YTS, yA.port, 0, NULL);
    struct rec a = {0}, b = {0};
    int id = s_search(p, "tt0111161", false, &a);
    s_search(p, "tt0068646", false, &b);
    s_run_ms(100);
    disc_provider_stats(p, &st);
    ok(st.inflight == 2, "cancel: two requests in flight");
    disc_provider_cancel(p, id);
    disc_provider_stats(p, &st);
    ok(st.inflight == 1 && disc_http_inflight(http) == 1, "cancel: its request is cancelled");
    s_run_ms(100);
    disc_provider_destroy(&p);
    ok(disc_http_inflight(http) == 0, "destroy: requests cancelled");
    s_run_ms(1200);
    ok(a.calls == 0 && b.calls == 0, "cancel, destroy: no callback");
    s_ctl(&yA, "/__reset", NULL, 0);
}

static void test_bad_opts(void)
{
    char err[256];
    const char *bad[] = {"ftp://x"};
    struct disc_provider_opts o = s_opts();
    o.mirrors = bad;
    o.nmirrors = 1;
    ok(disc_provider_new(base, http, &o, err, sizeof(err)) == NULL, "opts: ftp is refused");
    const char *q[] = {"http://x/?a=b"};
    o.mirrors = q;
    ok(disc_provider_new(base, http, &o, err, sizeof(err)) == NULL, "opts: a query is refused");
    o.nmirrors = 0;
    ok(disc_provider_new(base, http, &o, err, sizeof(err)) == NULL, "opts: no mirror");
    const char *good[] = {"https://yts.mx///"};
    o.mirrors = good;
    o.nmirrors = 1;
    disc_provider_t *p = disc_provider_new(base, http, &o, err, sizeof(err));
    ok(p && strcmp(disc_provider_mirror(p, 0), "https://yts.mx") == 0 &&
           disc_provider_mirror(p, 1) == NULL,
       "opts: trailing slashes dropped");
    is_str(disc_provider_name(p), "YTS", "opts: the name");
    disc_provider_destroy(&p);
    disc_provider_destroy(&p);
    is_str(disc_prov_state_name(DISC_PROV_ERROR), "error", "names: state");
    is_str(disc_prov_status_name(DISC_PROV_E_RATE_LIMITED), "rate limited", "names: status");
    is_str(disc_prov_status_name(99), "unknown", "names: unknown status");
}

int main(void)
{
    cm_log_init("disc_provider_test");
    cm_log_set_level(CM_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    if (!s_have_python()) {
        printf("1..0 # SKIP python3 is not installed\n");
        return 0;
    }
    const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < CM_ARRAY_LEN(proxies); i++)
        unsetenv(proxies[i]);
    fixtures = getenv("MARQUEE_FIXTURES");
    if (!fixtures || !fixtures[0])
        fixtures = FIXTURES_DEFAULT;
    base = event_base_new();
    bool up = s_server_start(&yA, "yts") == 0 && s_server_start(&yB, "yts") == 0 &&
              s_server_start(&rC, "therarbg") == 0;
    dead_port = s_dead_port();
    if (ok(up && dead_port > 0, "three fixture servers start")) {
        http = disc_http_new(base, NULL);
        test_http();
        test_bad_opts();
        test_yts_search();
        test_rarbg_search();
        test_html_failover();
        test_malformed_and_dead();
        test_429();
        test_timeout();
        test_all_fail();
        test_body_cap();
        test_rate();
        test_pause();
        test_queue_and_cancel();
        disc_http_destroy(&http);
    }
    s_server_stop(&yA);
    s_server_stop(&yB);
    s_server_stop(&rC);
    event_base_free(base);
    return done_testing();
}
