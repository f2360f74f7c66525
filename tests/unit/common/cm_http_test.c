/* SPDX-License-Identifier: MIT
 * Tests of cm_http: a real server on 127.0.0.1 (ephemeral port) whose event loop runs in the
 * main thread, talked to through blocking sockets from a client thread. Only the client thread
 * makes TAP assertions while the loop runs; handler-side observations travel in atomics.
 * Every wait is bounded: sockets time out after 3 s and each fixture has its own deadline. */
#include "cm.h"
#include "cm_http.h"
#include "../../tap.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

enum {
    HELD_MAX = 16,                   /* requests a handler may hold at once */
    STREAM_TOTAL = 16 * 1024 * 1024, /* /stream body: larger than every kernel buffer */
    STREAM_CHUNK = 64 * 1024,        /* one write of the /stream handler */
    STREAM_HIGH = 256 * 1024,        /* the handler stops writing above this much queued */
    STREAM_LOW = 64 * 1024,          /* drain watermark */
    CLI_BUF = 64 * 1024,             /* client read buffer */
    SOCK_TIMEOUT_MS = 3000,          /* every blocking socket call */
};

/* --- the fixture: a loop, a server, and what its handler saw --- */

struct fx {
    struct event_base *base;
    cm_http_t *srv;
    int port;
    struct event *tick;            /* 5 ms: done, release and deadline checks */
    int64_t deadline_ms;           /* the fixture's own time bound */
    atomic_int done;               /* the client thread has finished */
    atomic_int release;            /* client asks: answer every held request */
    atomic_int timed_out;          /* the deadline passed */
    atomic_int nconns;             /* cm_http_connections(), copied by the tick */
    cm_http_req_t *held[HELD_MAX]; /* loop thread only */
    int nheld;                     /* loop thread only */
    atomic_int held_count;         /* requests held so far */
    atomic_int close_count;        /* close callbacks seen */
    atomic_int add_header_ok;      /* bit mask of cm_http_req_add_header() checks passed */
    struct event *later;           /* /later: the timer that answers */
    cm_http_req_t *later_req;      /* /later: the request it answers */
    cm_http_req_t *stream_req;     /* /stream: the request being streamed, or NULL */
    uint64_t stream_off;           /* /stream: bytes written */
    atomic_llong produced;         /* /stream: bytes written, for the client */
    atomic_llong max_pending;      /* /stream: the largest output_pending() seen */
    atomic_int drain_count;        /* /stream: drain callbacks */
    atomic_int stream_done;        /* /stream: the reply ended (whole or closed) */
};

static int64_t s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static bool s_wait_for(atomic_int *v, int want, int ms)
{
    int64_t end = s_now() + ms;
    while (atomic_load(v) < want) {
        if (s_now() > end)
            return false;
        s_sleep_ms(2);
    }
    return true;
}

static unsigned char s_pattern(uint64_t i)
{
    return (unsigned char)(i % 251);
}

/* --- handlers (loop thread) --- */

static void s_on_close(cm_http_req_t *req, void *arg)
{
    struct fx *f = arg;
    CM_UNUSED(req);
    atomic_fetch_add(&f->close_count, 1);
}

static void s_on_later(evutil_socket_t fd, short what, void *arg)
{
    struct fx *f = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_http_reply(f->later_req, 200, "text/plain", "later", 5);
    f->later_req = NULL;
}

static void s_stream_pump(struct fx *f)
{
    static unsigned char chunk[STREAM_CHUNK];
    cm_http_req_t *req = f->stream_req;
    bool use_buffer = false;
    while (f->stream_off < STREAM_TOTAL && cm_http_req_output_pending(req) < STREAM_HIGH) {
        size_t n = CM_MIN(STREAM_CHUNK, STREAM_TOTAL - f->stream_off);
        for (size_t i = 0; i < n; i++)
            chunk[i] = s_pattern(f->stream_off + i);
        int rc;
        if (use_buffer) { /* every other chunk through the zero-copy variant */
            struct evbuffer *b = evbuffer_new();
            evbuffer_add(b, chunk, n);
            rc = cm_http_reply_write_buffer(req, b);
            evbuffer_free(b);
        } else {
            rc = cm_http_reply_write(req, chunk, n);
        }
        use_buffer = !use_buffer;
        if (rc != 0)
            return; /* client gone: the close callback ends the reply */
        f->stream_off += n;
        atomic_store(&f->produced, (long long)f->stream_off);
        long long pending = (long long)cm_http_req_output_pending(req);
        if (pending > atomic_load(&f->max_pending))
            atomic_store(&f->max_pending, pending);
    }
    if (f->stream_off == STREAM_TOTAL) {
        cm_http_reply_end(req);
        f->stream_req = NULL;
        atomic_store(&f->stream_done, 1);
    }
}

static void s_on_drain(cm_http_req_t *req, void *arg)
{
    struct fx *f = arg;
    CM_UNUSED(req);
    atomic_fetch_add(&f->drain_count, 1);
    s_stream_pump(f);
}

static void s_on_stream_close(cm_http_req_t *req, void *arg)
{
    struct fx *f = arg;
    atomic_fetch_add(&f->close_count, 1);
    cm_http_reply_end(req); /* the request is still ours: end it, which frees it */
    f->stream_req = NULL;
    atomic_store(&f->stream_done, 1);
}

static void s_handler(cm_http_req_t *req, void *arg)
{
    struct fx *f = arg;
    const char *path = cm_http_req_path(req);

    if (strcmp(path, "/hello") == 0) {
        int mask = 0;
        mask |= cm_http_req_add_header(req, "X-Test", "yes") == 0 ? 1 : 0;
        mask |= cm_http_req_add_header(req, "X-Bad", "a\r\nInjected: 1") == -1 ? 2 : 0;
        mask |= cm_http_req_add_header(req, "Bad Name", "v") == -1 ? 4 : 0;
        mask |= cm_http_req_add_header(req, "content-LENGTH", "5") == -1 ? 8 : 0;
        mask |= cm_http_req_add_header(req, "X-Lf", "a\nb") == -1 ? 16 : 0;
        atomic_store(&f->add_header_ok, mask);
        cm_http_reply(req, 200, "text/plain", "hello\n", 6);
    } else if (strcmp(path, "/info") == 0) {
        const char *foo = cm_http_req_header(req, "x-FOO");
        size_t blen;
        cm_http_req_body(req, &blen);
        char body[1024];
        int n = snprintf(body, sizeof(body),
                         "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"%s\",\"foo\":\"%s\","
                         "\"peer\":\"%s\",\"port\":%d,\"version\":%d,\"id\":\"%016" PRIx64
                         "\",\"body\":%zu}",
                         cm_http_req_method(req), path, cm_http_req_query(req), foo ? foo : "-",
                         cm_http_req_peer(req), cm_http_req_peer_port(req),
                         cm_http_req_version(req), cm_http_req_id(req), blen);
        cm_http_reply(req, 200, "application/json", body, (size_t)n);
    } else if (strcmp(path, "/join") == 0) {
        char all[64], small[12], body[200];
        size_t n1 = cm_http_req_header_join(req, "x-fwd", all, sizeof(all));
        size_t n2 = cm_http_req_header_join(req, "x-fwd", small, sizeof(small));
        size_t n3 = cm_http_req_header_join(req, "x-none", body, sizeof(body));
        int n = snprintf(body, sizeof(body), "%zu|%s|%zu|%s|%zu", n1, all, n2, small, n3);
        cm_http_reply(req, 200, "text/plain", body, (size_t)n);
    } else if (strcmp(path, "/echo") == 0) {
        size_t len;
        const void *body = cm_http_req_body(req, &len);
        cm_http_reply(req, 200, "application/octet-stream", body, len);
    } else if (strcmp(path, "/later") == 0) {
        f->later_req = req;
        struct timeval tv = {0, 50 * 1000};
        evtimer_add(f->later, &tv);
    } else if (strcmp(path, "/hold") == 0) {
        cm_http_req_set_close_cb(req, s_on_close, f);
        f->held[f->nheld++] = req;
        atomic_fetch_add(&f->held_count, 1);
    } else if (strcmp(path, "/error") == 0) {
        cm_http_reply_json_error(req, 422, "bad_thing",
                                 "quote \" backslash \\ nl \n ctl \x01 bad \xff end %d", 42);
    } else if (strcmp(path, "/chunked") == 0) {
        cm_http_req_add_header(req, "Content-Type", "text/plain");
        cm_http_reply_start(req, 200, -1);
        cm_http_reply_write(req, "abc", 3);
        struct evbuffer *b = evbuffer_new();
        evbuffer_add(b, "defg", 4);
        cm_http_reply_write_buffer(req, b);
        evbuffer_free(b);
        cm_http_reply_write(req, "", 0); /* an empty write must not end the chunked body */
        cm_http_reply_end(req);
    } else if (strcmp(path, "/short") == 0) {
        cm_http_reply_start(req, 200, 10);
        int over = cm_http_reply_write(req, "0123456789X", 11);
        cm_http_reply_write(req, "01234", 5);
        cm_http_reply_end(req); /* 5 of 10 bytes: the server must close */
        atomic_store(&f->add_header_ok, over == -1 ? 1 : 0);
    } else if (strcmp(path, "/stream") == 0) {
        f->stream_req = req;
        f->stream_off = 0;
        cm_http_req_set_close_cb(req, s_on_stream_close, f);
        cm_http_req_add_header(req, "Content-Type", "application/octet-stream");
        cm_http_reply_start(req, 200, STREAM_TOTAL);
        cm_http_req_set_drain_cb(req, s_on_drain, f, STREAM_LOW);
        s_stream_pump(f);
    } else {
        cm_http_reply_json_error(req, 404, "not_found", "no route for %s", path);
    }
}

static void s_release_all(struct fx *f)
{
    for (int i = 0; i < f->nheld; i++)
        cm_http_reply(f->held[i], 200, "text/plain", "released", 8);
    f->nheld = 0;
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct fx *f = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    atomic_store(&f->nconns, cm_http_connections(f->srv));
    if (atomic_exchange(&f->release, 0))
        s_release_all(f);
    if (atomic_load(&f->done)) {
        event_base_loopexit(f->base, NULL);
    } else if (s_now() > f->deadline_ms) {
        atomic_store(&f->timed_out, 1);
        event_base_loopexit(f->base, NULL);
    }
}

static struct fx *s_fx_new(const struct cm_http_opts *opts)
{
    struct fx *f = cm_calloc(1, sizeof(*f));
    char err[CM_ERR_LEN];
    f->base = event_base_new();
    f->srv = cm_http_new(f->base, opts, s_handler, f);
    if (cm_http_listen(f->srv, "127.0.0.1", 0, err, sizeof(err)) != 0)
        diag("listen: %s", err);
    f->port = cm_http_port(f->srv);
    f->tick = event_new(f->base, -1, EV_PERSIST, s_on_tick, f);
    struct timeval tv = {0, 5000};
    event_add(f->tick, &tv);
    f->later = evtimer_new(f->base, s_on_later, f);
    return f;
}

/* Destroy the server first, with whatever is still held: that orphans the held requests
 * (their close callbacks fire), and answering them afterwards only frees them. */
static void s_fx_free(struct fx *f)
{
    cm_http_destroy(&f->srv);
    cm_http_destroy(&f->srv); /* twice: NULL-safe */
    s_release_all(f);
    if (f->later_req)
        cm_http_reply(f->later_req, 200, NULL, "", 0);
    if (f->stream_req)
        cm_http_reply_end(f->stream_req);
    event_free(f->later);
    event_free(f->tick);
    event_base_free(f->base);
    cm_free(f);
}

/* Run `client` in a thread against the loop; bounded by max_ms. */
static void s_run(struct fx *f, void *(*client)(void *), int max_ms, const char *name)
{
    pthread_t th;
    f->deadline_ms = s_now() + max_ms;
    pthread_create(&th, NULL, client, f);
    event_base_dispatch(f->base);
    pthread_join(th, NULL);
    char msg[128];
    snprintf(msg, sizeof(msg), "%s: finished within %d ms", name, max_ms);
    ok(!atomic_load(&f->timed_out), msg);
}

/* --- the client side (client thread) --- */

typedef struct {
    int fd;            /* blocking socket */
    char buf[CLI_BUF]; /* bytes read, not yet consumed */
    size_t len;        /* bytes in buf */
} cli_t;

struct resp {
    int status;       /* status code, or -1 when no response came */
    char head[16384]; /* status line and headers, NUL-terminated */
    char *body;       /* cm_malloc'd, NUL-terminated, or NULL */
    size_t body_len;  /* bytes */
};

static cli_t *cli_new(int port, int rcvbuf)
{
    cli_t *c = cm_calloc(1, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {SOCK_TIMEOUT_MS / 1000, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        diag("connect: %s", strerror(errno));
    return c;
}

static void cli_free(cli_t **c_p)
{
    if (*c_p) {
        close((*c_p)->fd);
        cm_free(*c_p);
        *c_p = NULL;
    }
}

static bool cli_send(cli_t *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool cli_sends(cli_t *c, const char *s)
{
    return cli_send(c, s, strlen(s));
}

/* Read more into the buffer: > 0 bytes, 0 at EOF, -1 on error or timeout. */
static ssize_t cli_fill(cli_t *c)
{
    if (c->len == sizeof(c->buf))
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (n > 0)
        c->len += (size_t)n;
    return n < 0 ? -1 : n;
}

static void cli_consume(cli_t *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* True when the server closes the connection (EOF or reset) within the socket timeout. */
static bool cli_eof(cli_t *c)
{
    for (;;) {
        ssize_t n = cli_fill(c);
        if (n == 0)
            return true;
        if (n < 0)
            return errno == ECONNRESET;
        c->len = 0; /* unexpected bytes: drop and keep waiting */
    }
}

static void resp_clear(struct resp *r)
{
    cm_free(r->body);
    memset(r, 0, sizeof(*r));
    r->status = -1;
}

/* The value of header `name` in r->head, copied into out; false when absent. */
static bool resp_header(const struct resp *r, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *line = strstr(r->head, "\r\n");
    while (line && line[2] != '\r' && line[2] != '\0') {
        line += 2;
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        if ((size_t)(end - line) > nlen && line[nlen] == ':' &&
            strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(out, outlen, "%.*s", (int)(end - v), v);
            return true;
        }
        line = end;
    }
    return false;
}

/* Read exactly n body bytes into r->body. */
static bool cli_read_body(cli_t *c, struct resp *r, size_t n)
{
    r->body = cm_malloc(n + 1);
    size_t got = CM_MIN(n, c->len);
    memcpy(r->body, c->buf, got);
    cli_consume(c, got);
    while (got < n) {
        ssize_t k = recv(c->fd, r->body + got, n - got, 0);
        if (k <= 0)
            return false;
        got += (size_t)k;
    }
    r->body[n] = '\0';
    r->body_len = n;
    return true;
}

/* Read one line ending in CRLF from the buffer into out (without CRLF). */
static bool cli_line(cli_t *c, char *out, size_t outlen)
{
    for (;;) {
        char *e = memmem(c->buf, c->len, "\r\n", 2);
        if (e) {
            size_t n = (size_t)(e - c->buf);
            snprintf(out, outlen, "%.*s", (int)n, c->buf);
            cli_consume(c, n + 2);
            return true;
        }
        if (cli_fill(c) <= 0)
            return false;
    }
}

/* Read one response. `head_only`: the request was HEAD (no body follows). Returns the status,
 * or -1 when the connection ended or timed out first. Interim 100 responses are returned on
 * their own. */
static int cli_response(cli_t *c, struct resp *r, bool head_only)
{
    char v[64];
    resp_clear(r);
    char *e;
    while (!(e = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        if (cli_fill(c) <= 0)
            return -1;
    }
    size_t hlen = (size_t)(e - c->buf) + 4;
    snprintf(r->head, sizeof(r->head), "%.*s", (int)hlen, c->buf);
    cli_consume(c, hlen);
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
        return r->status = -1;
    if (r->status == 100 || r->status == 204 || r->status == 304 || head_only)
        return r->status;
    if (resp_header(r, "Content-Length", v, sizeof(v))) {
        if (!cli_read_body(c, r, strtoull(v, NULL, 10)))
            return r->status = -1;
    } else if (resp_header(r, "Transfer-Encoding", v, sizeof(v))) {
        char line[64];
        size_t cap = 1024, len = 0;
        r->body = cm_malloc(cap);
        for (;;) {
            if (!cli_line(c, line, sizeof(line)))
                return r->status = -1;
            size_t n = strtoul(line, NULL, 16);
            if (n == 0)
                break;
            while (c->len < n + 2) {
                if (cli_fill(c) <= 0)
                    return r->status = -1;
            }
            if (len + n + 1 > cap)
                r->body = cm_realloc(r->body, cap = 2 * (len + n + 1));
            memcpy(r->body + len, c->buf, n);
            len += n;
            cli_consume(c, n + 2);
        }
        if (!cli_line(c, line, sizeof(line)) || line[0] != '\0')
            return r->status = -1;
        r->body[len] = '\0';
        r->body_len = len;
    } else { /* until close */
        while (cli_fill(c) > 0)
            ;
        r->body = cm_memdup(c->buf, c->len + 1);
        r->body[c->len] = '\0';
        r->body_len = c->len;
        c->len = 0;
    }
    return r->status;
}

/* One request on a new connection; the response in r. */
static int s_once(int port, const char *request, struct resp *r)
{
    cli_t *c = cli_new(port, 0);
    cli_sends(c, request);
    int status = cli_response(c, r, strncmp(request, "HEAD ", 5) == 0);
    cli_free(&c);
    return status;
}

static bool s_rid_ok(const struct resp *r)
{
    char v[64];
    if (!resp_header(r, "X-Request-Id", v, sizeof(v)) || strlen(v) != 16)
        return false;
    for (const char *p = v; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    }
    return true;
}

static uint64_t s_rid(const struct resp *r)
{
    char v[64];
    return resp_header(r, "X-Request-Id", v, sizeof(v)) ? strtoull(v, NULL, 16) : 0;
}

/* A JSON error body: exactly {"error": <string>, "code": <code>}, as application/json. */
static bool s_json_error_ok(const struct resp *r, const char *code)
{
    char ct[64];
    json_error_t jerr;
    if (!r->body || !resp_header(r, "Content-Type", ct, sizeof(ct)) ||
        strcmp(ct, "application/json") != 0)
        return false;
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    bool good = j && json_is_object(j) && json_object_size(j) == 2 &&
                json_is_string(json_object_get(j, "error")) &&
                json_is_string(json_object_get(j, "code")) &&
                strcmp(json_string_value(json_object_get(j, "code")), code) == 0;
    if (!good)
        diag("bad JSON error body: %.*s", (int)r->body_len, r->body ? r->body : "");
    json_decref(j);
    return good;
}

static bool s_has(const struct resp *r, const char *name, const char *want)
{
    char v[256];
    return resp_header(r, name, v, sizeof(v)) && strcmp(v, want) == 0;
}

/* --- the tests --- */

static void *client_basic(void *arg)
{
    struct fx *f = arg;
    struct resp r = {0};
    char v[128];
    cli_t *c = cli_new(f->port, 0);

    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "get: 200");
    ok(s_rid_ok(&r), "get: X-Request-Id is 16 lower-case hex digits");
    uint64_t rid1 = s_rid(&r);
    ok(s_has(&r, "Content-Length", "6"), "get: Content-Length 6");
    ok(r.body_len == 6 && memcmp(r.body, "hello\n", 6) == 0, "get: body");
    ok(resp_header(&r, "Date", v, sizeof(v)) && strlen(v) == 29 && strstr(v, " GMT"),
       "get: Date in IMF-fixdate");
    ok(s_has(&r, "Content-Type", "text/plain"), "get: Content-Type");
    ok(s_has(&r, "X-Test", "yes"), "get: added header sent");
    ok(!resp_header(&r, "X-Bad", v, sizeof(v)) && !strstr(r.head, "Injected"),
       "get: header with CRLF refused");
    is_int(atomic_load(&f->add_header_ok), 31, "get: add_header checks (CRLF, LF, name, reserved)");
    ok(!resp_header(&r, "Connection", v, sizeof(v)), "get: HTTP/1.1 keep-alive needs no header");

    cli_sends(c, "HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, true), 200, "head: 200 on the same connection");
    ok(s_has(&r, "Content-Length", "6"), "head: Content-Length of the GET body");
    ok(s_rid(&r) == rid1 + 1, "head: request ids increase by one");

    /* If HEAD had sent a body, its bytes would come before this response's status line. */
    cli_sends(c, "GET /info?a=1&b=%20 HTTP/1.1\r\nHost: a\r\nx-foo: bar \r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "head: no body sent (next response parses)");
    json_error_t jerr;
    json_t *j = json_loadb(r.body, r.body_len, 0, &jerr);
    ok(j != NULL, "info: JSON");
    is_str(json_string_value(json_object_get(j, "method")), "GET", "info: method");
    is_str(json_string_value(json_object_get(j, "path")), "/info", "info: path");
    is_str(json_string_value(json_object_get(j, "query")), "a=1&b=%20", "info: raw query");
    is_str(json_string_value(json_object_get(j, "foo")), "bar", "info: header, trimmed, any case");
    is_str(json_string_value(json_object_get(j, "peer")), "127.0.0.1", "info: peer");
    ok(json_integer_value(json_object_get(j, "port")) > 0, "info: peer port");
    is_int(json_integer_value(json_object_get(j, "version")), 11, "info: version 11");
    uint64_t id = strtoull(json_string_value(json_object_get(j, "id")), NULL, 16);
    ok(id == s_rid(&r), "info: cm_http_req_id() is the X-Request-Id");
    json_decref(j);

    /* Several lines of one header join in order; what does not fit goes from the left. */
    cli_sends(c, "GET /join HTTP/1.1\r\nHost: a\r\nX-Fwd: 1.1.1.1\r\nx-fwd: 2.2.2.2, "
                 "3.3.3.3\r\nX-FWD: 4.4.4.4\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "join: 200");
    is_int((int)r.body_len, (int)strlen("3|1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4|3|4.4.4.4|0"),
           "join: length");
    ok(r.body_len > 0 &&
           memcmp(r.body, "3|1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4|3|4.4.4.4|0", r.body_len) == 0,
       "join: all lines in order; a small buffer keeps the last whole line; absent is 0");

    cli_sends(c, "GET /info HTTP/1.1\r\nHost: a\r\n\r\n");
    cli_response(c, &r, false);
    j = json_loadb(r.body, r.body_len, 0, &jerr);
    is_str(json_string_value(json_object_get(j, "query")), "", "info: no query is \"\"");
    json_decref(j);

    cli_sends(c, "GET /nowhere HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    is_int(cli_response(c, &r, false), 404, "close: 404 from the handler");
    ok(s_json_error_ok(&r, "not_found"), "close: handler JSON error");
    ok(s_has(&r, "Connection", "close"), "close: Connection: close echoed");
    ok(cli_eof(c), "close: server closes after Connection: close");
    cli_free(&c);

    /* HTTP/1.0: closes unless asked to keep alive. */
    is_int(s_once(f->port, "GET /hello HTTP/1.0\r\n\r\n", &r), 200, "1.0: 200");
    ok(s_has(&r, "Connection", "close"), "1.0: Connection: close");
    c = cli_new(f->port, 0);
    cli_sends(c, "GET /hello HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "1.0 keep-alive: 200");
    ok(s_has(&r, "Connection", "keep-alive"), "1.0 keep-alive: Connection: keep-alive");
    cli_sends(c, "GET /hello HTTP/1.0\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "1.0 keep-alive: second request on it");
    cli_free(&c);

    /* The handler answers from a timer, later. */
    is_int(s_once(f->port, "GET /later HTTP/1.1\r\nHost: a\r\n\r\n", &r), 200, "later: 200");
    ok(r.body_len == 5 && memcmp(r.body, "later", 5) == 0, "later: body from the timer");

    /* JSON escaping of a handler's error sentence. */
    is_int(s_once(f->port, "GET /error HTTP/1.1\r\nHost: a\r\n\r\n", &r), 422, "json: 422");
    ok(s_json_error_ok(&r, "bad_thing"), "json: valid JSON with the code");
    j = json_loadb(r.body, r.body_len, 0, &jerr);
    is_str(json_string_value(json_object_get(j, "error")),
           "quote \" backslash \\ nl \n ctl \x01 bad \xef\xbf\xbd end 42",
           "json: quotes, backslashes, controls escaped; bad UTF-8 is U+FFFD");
    json_decref(j);
    resp_clear(&r);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_pipeline(void *arg)
{
    struct fx *f = arg;
    struct resp r = {0};
    json_error_t jerr;
    cli_t *c = cli_new(f->port, 0);
    cli_sends(c, "GET /info?n=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                 "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
                 "\r\n" /* a stray CRLF between requests is allowed */
                 "GET /later HTTP/1.1\r\nHost: a\r\n\r\n"
                 "GET /info?n=4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "pipeline: first answered");
    json_t *j = json_loadb(r.body, r.body_len, 0, &jerr);
    is_str(json_string_value(json_object_get(j, "query")), "n=1", "pipeline: first in order");
    json_decref(j);
    uint64_t rid = s_rid(&r);
    is_int(cli_response(c, &r, false), 200, "pipeline: second answered");
    ok(r.body_len == 3 && memcmp(r.body, "xyz", 3) == 0, "pipeline: POST body echoed");
    ok(s_rid(&r) == rid + 1, "pipeline: second in order");
    is_int(cli_response(c, &r, false), 200, "pipeline: third (answered later) answered");
    ok(r.body_len == 5 && memcmp(r.body, "later", 5) == 0, "pipeline: third in order");
    is_int(cli_response(c, &r, false), 200, "pipeline: fourth answered");
    j = json_loadb(r.body, r.body_len, 0, &jerr);
    is_str(json_string_value(json_object_get(j, "query")), "n=4", "pipeline: fourth in order");
    json_decref(j);
    ok(cli_eof(c), "pipeline: closed after the Connection: close request");
    cli_free(&c);

    /* A POST whose body comes in pieces. */
    c = cli_new(f->port, 0);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234");
    s_sleep_ms(50);
    cli_sends(c, "56789");
    is_int(cli_response(c, &r, false), 200, "body in pieces: 200");
    ok(r.body_len == 10 && memcmp(r.body, "0123456789", 10) == 0, "body in pieces: whole");
    cli_free(&c);

    /* 100-continue: the 100 comes first, then the answer. */
    c = cli_new(f->port, 0);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                 "Expect: 100-continue\r\n\r\n");
    is_int(cli_response(c, &r, false), 100, "100-continue: 100 Continue before the body");
    cli_sends(c, "hello");
    is_int(cli_response(c, &r, false), 200, "100-continue: then 200");
    ok(r.body_len == 5 && memcmp(r.body, "hello", 5) == 0, "100-continue: body echoed");
    cli_free(&c);

    /* Streaming replies: chunked, and close-delimited for HTTP/1.0. */
    c = cli_new(f->port, 0);
    cli_sends(c, "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n");
    size_t want = strlen("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
    char *e;
    while (!(e = memmem(c->buf, c->len, "\r\n\r\n", 4)) || c->len < (size_t)(e - c->buf) + want) {
        if (cli_fill(c) <= 0)
            break;
    }
    e = memmem(c->buf, c->len, "\r\n\r\n", 4);
    ok(e && memmem(c->buf, c->len, "Transfer-Encoding: chunked\r\n", 28), "chunked: header");
    ok(e && c->len == (size_t)(e - c->buf) + 4 + want &&
           memcmp(e + 4, "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", want) == 0,
       "chunked: exact framing, empty write skipped");
    c->len = 0;
    cli_sends(c, "HEAD /chunked HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, true), 200, "chunked HEAD: 200");
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "chunked HEAD: no body bytes followed");
    cli_free(&c);
    is_int(s_once(f->port, "GET /chunked HTTP/1.0\r\n\r\n", &r), 200, "1.0 stream: 200");
    ok(r.body_len == 7 && memcmp(r.body, "abcdefg", 7) == 0, "1.0 stream: body until close");
    ok(s_has(&r, "Connection", "close"), "1.0 stream: Connection: close");

    /* A streamed reply shorter than its Content-Length ends the connection. */
    c = cli_new(f->port, 0);
    cli_sends(c, "GET /short HTTP/1.1\r\nHost: a\r\n\r\n");
    while (!memmem(c->buf, c->len, "01234", 5)) {
        if (cli_fill(c) <= 0)
            break;
    }
    ok(memmem(c->buf, c->len, "Content-Length: 10\r\n", 20) != NULL, "short: declared 10");
    ok(cli_eof(c), "short: connection closed after 5 of 10 bytes");
    is_int(atomic_load(&f->add_header_ok), 1, "short: a write past the length is refused");
    cli_free(&c);
    resp_clear(&r);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_errors(void *arg)
{
    struct fx *f = arg;
    struct resp r = {0};
    char *big = cm_malloc(20 * 1024);

    /* 431: 17 KiB of headers. */
    cli_t *c = cli_new(f->port, 0);
    int n = snprintf(big, 20 * 1024, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 17; i++)
        n += snprintf(big + n, (size_t)(20 * 1024 - n), "X-Pad-%02d: %01000d\r\n", i, 0);
    n += snprintf(big + n, (size_t)(20 * 1024 - n), "\r\n");
    cli_send(c, big, (size_t)n);
    is_int(cli_response(c, &r, false), 431, "431: 17 KiB of headers");
    ok(s_json_error_ok(&r, "headers_too_large"), "431: JSON body");
    ok(s_has(&r, "Connection", "close") && s_rid_ok(&r), "431: Connection: close, request id");
    ok(cli_eof(c), "431: connection closed");
    cli_free(&c);

    /* 431: 65 header fields (the default cap is 64). */
    n = snprintf(big, 20 * 1024, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 64; i++)
        n += snprintf(big + n, (size_t)(20 * 1024 - n), "X-%d: 1\r\n", i);
    n += snprintf(big + n, (size_t)(20 * 1024 - n), "\r\n");
    is_int(s_once(f->port, big, &r), 431, "431: 65 header fields");
    ok(s_json_error_ok(&r, "headers_too_large"), "431 (count): JSON body");

    /* 413 at once, without reading (or waiting for) the body. */
    int64_t t0 = s_now();
    is_int(
        s_once(f->port, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\nabc", &r),
        413, "413: Content-Length over body_max");
    ok(s_now() - t0 < 1000, "413: answered without waiting for the body");
    ok(s_json_error_ok(&r, "too_large"), "413: JSON body");
    is_int(s_once(f->port,
                  "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n"
                  "Expect: 100-continue\r\n\r\n",
                  &r),
           413, "413: with Expect: 100-continue, no 100 first");

    is_int(s_once(f->port, "GARBAGE\r\n\r\n", &r), 400, "400: garbage");
    ok(s_json_error_ok(&r, "malformed"), "400: JSON body");
    t0 = s_now();
    is_int(s_once(f->port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", &r), 400,
           "400: a TLS ClientHello, refused at its first byte");
    ok(s_now() - t0 < 1000, "400: without waiting for a line end");
    is_int(s_once(f->port, "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 400, "400: bad method");
    is_int(s_once(f->port, "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &r), 400,
           "400: obs-fold");
    is_int(s_once(f->port,
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                  &r),
           400, "400: differing Content-Length");
    is_int(s_once(f->port,
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  &r),
           400, "400: Content-Length with Transfer-Encoding");
    ok(s_json_error_ok(&r, "malformed"), "400 (smuggling): JSON body");

    is_int(s_once(f->port, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r), 505, "505: HTTP/2.0");
    ok(s_json_error_ok(&r, "version"), "505: JSON body");
    is_int(s_once(f->port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &r), 505, "505: HTTP/2 preface");

    is_int(s_once(f->port,
                  "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n0\r\n\r\n",
                  &r),
           411, "411: chunked request body");
    ok(s_json_error_ok(&r, "length_required"), "411: JSON body");

    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', 9000);
    snprintf(big + 9005, 100, " HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(s_once(f->port, big, &r), 414, "414: 9 KB request line");
    ok(s_json_error_ok(&r, "uri_too_long"), "414: JSON body");

    cm_free(big);
    resp_clear(&r);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_cap(void *arg)
{
    struct fx *f = arg;
    struct resp r = {0};
    cli_t *busy[4] = {0};

    /* A: one request, then idle keep-alive. */
    cli_t *a = cli_new(f->port, 0);
    cli_sends(a, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(a, &r, false), 200, "cap: idle connection served");
    /* B, C, D: requests the handler holds. */
    for (int i = 0; i < 3; i++) {
        busy[i] = cli_new(f->port, 0);
        cli_sends(busy[i], "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n");
    }
    ok(s_wait_for(&f->held_count, 3, 2000), "cap: three requests held");
    /* E: the fifth connection evicts the idle A. */
    busy[3] = cli_new(f->port, 0);
    cli_sends(busy[3], "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(busy[3], &r, false), 200, "cap: new connection admitted at the cap");
    ok(cli_eof(a), "cap: the idle keep-alive connection was closed for it");
    cli_sends(busy[3], "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n");
    ok(s_wait_for(&f->held_count, 4, 2000), "cap: four requests held");
    /* F: nothing idle to evict: 503. */
    cli_t *x = cli_new(f->port, 0);
    is_int(cli_response(x, &r, false), 503, "cap: 503 while four are busy");
    ok(s_json_error_ok(&r, "busy"), "cap: 503 JSON code busy");
    ok(s_rid_ok(&r) && s_has(&r, "Connection", "close"), "cap: 503 has request id and close");
    ok(cli_eof(x), "cap: refused connection closed");
    cli_free(&x);
    /* Release: the held requests are all answered. */
    atomic_store(&f->release, 1);
    int answered = 0;
    for (int i = 0; i < 4; i++) {
        if (cli_response(busy[i], &r, false) == 200 && r.body_len == 8)
            answered++;
        cli_free(&busy[i]);
    }
    is_int(answered, 4, "cap: held requests answered after release");
    cli_free(&a);
    resp_clear(&r);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_deadlines(void *arg)
{
    struct fx *f = arg;
    struct resp r = {0};
    const char *rest = "Host: example.org\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";

    /* Slowloris: one byte every 100 ms never completes within the 300 ms deadline. */
    cli_t *c = cli_new(f->port, 0);
    int64_t t0 = s_now();
    cli_sends(c, "GET /hello HTTP/1.1\r\n");
    for (const char *p = rest; *p; p++) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) != 0 || !cli_send(c, p, 1))
            break;
    }
    int status = cli_response(c, &r, false);
    int64_t took = s_now() - t0;
    is_int(status, 408, "slowloris: 408");
    ok(took < 2000, "slowloris: cut off well before 2 s");
    ok(took >= 250, "slowloris: not before the deadline");
    diag("slowloris cut after %lld ms", (long long)took);
    ok(s_json_error_ok(&r, "timeout"), "slowloris: 408 JSON body");
    ok(cli_eof(c), "slowloris: closed");
    cli_free(&c);

    /* A later request gets its deadline from its own first byte, not from the connection. */
    c = cli_new(f->port, 0);
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "second request: first served");
    s_sleep_ms(450); /* past the header deadline, inside the idle one */
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "second request: served after an idle pause");
    t0 = s_now();
    cli_sends(c, "GET /hello HTTP/1.1\r\n");
    status = cli_response(c, &r, false);
    took = s_now() - t0;
    is_int(status, 408, "second request: a partial one is answered 408");
    ok(took >= 250 && took < 2000, "second request: deadline counted from its first byte");
    cli_free(&c);

    /* An idle keep-alive connection is closed after idle_timeout_ms, silently. */
    c = cli_new(f->port, 0);
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "idle: served");
    t0 = s_now();
    ok(cli_eof(c) && c->len == 0, "idle: closed without a response");
    took = s_now() - t0;
    ok(took >= 900 && took < 2500, "idle: after about idle_timeout_ms");
    cli_free(&c);

    /* A connection that never says a word is closed at the header deadline, silently. */
    c = cli_new(f->port, 0);
    ok(cli_eof(c) && c->len == 0, "silent: closed without a response");
    cli_free(&c);
    resp_clear(&r);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_disconnect(void *arg)
{
    struct fx *f = arg;
    cli_t *c = cli_new(f->port, 0);
    cli_sends(c, "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n");
    ok(s_wait_for(&f->held_count, 1, 2000), "disconnect: request held");
    cli_free(&c);
    ok(s_wait_for(&f->close_count, 1, 2000), "disconnect: close callback fired");
    atomic_store(&f->release, 1); /* now the handler answers the orphaned request */
    int64_t end = s_now() + 2000;
    while (atomic_load(&f->release) || atomic_load(&f->nconns) != 0) {
        if (s_now() > end)
            break;
        s_sleep_ms(5);
    }
    is_int(atomic_load(&f->nconns), 0, "disconnect: connection gone, late reply harmless");

    /* The server destroyed while a handler holds a request: see s_fx_free(). */
    c = cli_new(f->port, 0);
    cli_sends(c, "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n");
    ok(s_wait_for(&f->held_count, 2, 2000), "destroy: request held at destroy");
    atomic_store(&f->done, 1);
    s_sleep_ms(100); /* keep the socket open until the loop has stopped */
    cli_free(&c);
    return NULL;
}

static void *client_stream(void *arg)
{
    struct fx *f = arg;
    cli_t *c = cli_new(f->port, 4096); /* a small window: the kernel cannot absorb it all */
    cli_sends(c, "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");

    s_sleep_ms(600); /* not reading: the server fills the kernel buffers, then stops */
    long long p0 = atomic_load(&f->produced);
    int d0 = atomic_load(&f->drain_count);
    s_sleep_ms(300);
    long long p1 = atomic_load(&f->produced);
    int d1 = atomic_load(&f->drain_count);
    diag("stalled after %lld of %d bytes, max pending %lld, drains %d", p0, STREAM_TOTAL,
         (long long)atomic_load(&f->max_pending), d0);
    ok(p0 > 0 && p0 < STREAM_TOTAL, "stream: producer stopped while the client does not read");
    ok(p1 == p0, "stream: nothing produced while stalled");
    is_int(d1, d0, "stream: no drain callback while the client does not read");
    ok(atomic_load(&f->max_pending) <= STREAM_HIGH + STREAM_CHUNK,
       "stream: output_pending stays bounded by what the handler queued");

    struct resp r = {0};
    is_int(cli_response(c, &r, false), 200, "stream: 200 once the client reads");
    ok(r.body_len == STREAM_TOTAL, "stream: whole body");
    size_t bad = 0;
    for (size_t i = 0; i < r.body_len; i++) {
        if ((unsigned char)r.body[i] != s_pattern(i)) {
            bad++;
            break;
        }
    }
    is_int(bad, 0, "stream: every byte in order (write and write_buffer mixed)");
    ok(atomic_load(&f->drain_count) > d1, "stream: drain callbacks after the client reads");
    ok(s_wait_for(&f->stream_done, 1, 2000), "stream: reply ended");
    is_int(atomic_load(&f->close_count), 0, "stream: no close callback on success");
    resp_clear(&r);

    /* The same connection stays usable after a streamed reply. */
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    is_int(cli_response(c, &r, false), 200, "stream: keep-alive after a streamed reply");
    resp_clear(&r);
    cli_free(&c);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_write_timeout(void *arg)
{
    struct fx *f = arg;
    cli_t *c = cli_new(f->port, 4096);
    cli_sends(c, "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
    int64_t t0 = s_now();
    ok(s_wait_for(&f->close_count, 1, 3000), "write timeout: close callback fired");
    int64_t took = s_now() - t0;
    ok(took >= 250 && took < 3000, "write timeout: after about write_timeout_ms of no progress");
    ok(s_wait_for(&f->stream_done, 1, 1000), "write timeout: the reply was ended");
    cli_free(&c);
    atomic_store(&f->done, 1);
    return NULL;
}

static void *client_log(void *arg)
{
    struct fx *f = arg;
    struct resp r = {0};
    s_once(f->port,
           "GET /hello?token=QSECRET HTTP/1.1\r\nHost: a\r\n"
           "Authorization: Bearer HSECRET\r\nCookie: s=CSECRET\r\n\r\n",
           &r);
    resp_clear(&r);
    atomic_store(&f->done, 1);
    return NULL;
}

/* --- main --- */

static void test_listen_errors(void)
{
    char err[CM_ERR_LEN];
    struct event_base *base = event_base_new();
    cm_http_t *a = cm_http_new(base, NULL, s_handler, NULL);
    cm_http_t *b = cm_http_new(base, NULL, s_handler, NULL);
    is_int(cm_http_port(a), 0, "listen: port 0 before listen");
    is_int(cm_http_listen(a, "127.0.0.1", 0, err, sizeof(err)), 0, "listen: ephemeral port");
    int port = cm_http_port(a);
    ok(port > 0, "listen: bound port known");
    is_int(cm_http_listen(b, "127.0.0.1", port, err, sizeof(err)), -1, "listen: port in use");
    char want[128];
    snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%d: Address already in use", port);
    is_str(err, want, "listen: the error says where and why");
    /* TEST-NET-1: numeric (no DNS in a unit test) and not ours. */
    is_int(cm_http_listen(b, "192.0.2.1", 0, err, sizeof(err)), -1, "listen: foreign address");
    is_str(err, "cannot listen on 192.0.2.1:0: Cannot assign requested address",
           "listen: foreign address error");
    is_int(cm_http_listen(a, "127.0.0.1", 0, err, sizeof(err)), -1, "listen: only once");
    cm_http_destroy(&a);
    cm_http_destroy(&b);
    ok(a == NULL && b == NULL, "destroy: pointers set to NULL");
    cm_http_destroy(NULL);
    event_base_free(base);
}

int main(void)
{
    cm_log_init("cm_http_test");
    cm_log_set_level(CM_LOG_WARN); /* one info line per request would drown the TAP output */
    struct fx *f;

    test_listen_errors();

    f = s_fx_new(NULL);
    s_run(f, client_basic, 8000, "basic");
    s_fx_free(f);

    f = s_fx_new(NULL);
    s_run(f, client_pipeline, 8000, "pipeline");
    s_fx_free(f);

    f = s_fx_new(NULL);
    s_run(f, client_errors, 15000, "errors");
    s_fx_free(f);

    f = s_fx_new(&(struct cm_http_opts){.connections_max = 4, .name = "cap-http"});
    s_run(f, client_cap, 8000, "cap");
    s_fx_free(f);

    f = s_fx_new(&(struct cm_http_opts){.header_timeout_ms = 300, .idle_timeout_ms = 1000});
    s_run(f, client_deadlines, 10000, "deadlines");
    s_fx_free(f);

    f = s_fx_new(NULL);
    s_run(f, client_disconnect, 8000, "disconnect");
    is_int(atomic_load(&f->close_count), 1, "destroy: not yet closed before destroy");
    cm_http_destroy(&f->srv);
    is_int(atomic_load(&f->close_count), 2, "destroy: held request orphaned (close callback)");
    s_fx_free(f); /* answers the orphan: freed, nothing leaks */

    f = s_fx_new(NULL);
    s_run(f, client_stream, 15000, "stream");
    s_fx_free(f);

    f = s_fx_new(&(struct cm_http_opts){.write_timeout_ms = 300});
    s_run(f, client_write_timeout, 8000, "write timeout");
    s_fx_free(f);

    /* The request log line: method, path, status, bytes, peer; no query, no header value. */
    char path[] = "/tmp/cm_http_test_log_XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    cm_log_set_level(CM_LOG_INFO);
    f = s_fx_new(NULL);
    s_run(f, client_log, 5000, "log");
    s_fx_free(f);
    cm_log_set_level(CM_LOG_WARN);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char logbuf[8192] = {0};
    ssize_t n = pread(fd, logbuf, sizeof(logbuf) - 1, 0);
    close(fd);
    unlink(path);
    ok(n > 0 && strstr(logbuf, "GET /hello 200 6B ") && strstr(logbuf, "peer=127.0.0.1:"),
       "log: one line with method, path, status, bytes, peer");
    ok(!strstr(logbuf, "SECRET"), "log: no query, Authorization or Cookie value");
    return done_testing();
}
