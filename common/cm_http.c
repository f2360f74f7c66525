/* SPDX-License-Identifier: MIT
 * cm_http: HTTP/1.1 server on libevent bufferevents. One connection is a small state machine
 * (enum s_state below) driven by four callbacks: read, write (output drained to the low
 * watermark), event (EOF, error, write timeout) and one timer that carries every deadline of
 * the connection. A request leaves the connection when it is handed to the handler: it owns a
 * copy of its bytes, so a disconnect only detaches it (req->conn = NULL) and never frees it. */
#include "cm.h"
#include "cm_http.h"
#include "cm_metrics.h"

/* Socket headers used by this file only (cm_prelude.h has the libevent ones). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>

enum {
    S_LINGER_MS = 2000,                     /* after our close: read and drop input this long */
    S_ADDED_HEADERS_MAX = 8192,             /* headers a handler adds to one response, bytes */
    S_OUTPUT_MAX = 64 * 1024 * 1024,        /* queued output refusing more streaming writes */
    S_ACCEPT_RETRY_MS = 100,                /* listener pause after EMFILE and friends */
    S_BACKLOG = 511,                        /* listen() backlog (nginx's default) */
    S_ERROR_MSG_MAX = 512,                  /* a JSON error sentence before escaping, bytes */
    S_ERROR_BODY_MAX = 8 * S_ERROR_MSG_MAX, /* the escaped JSON error body, bytes */
    S_NAME_MAX = 32,                        /* server name (log module), bytes with NUL */
};

#define S_HTTP_TAG 0x48545450u /* "HTTP" */
#define S_CONN_TAG 0x434f4e4eu /* "CONN" */
#define S_REQ_TAG 0x52455155u  /* "REQU" */
#define S_DEAD_TAG 0xdeadbeefu /* written by every destructor */

/* Where a connection is. The timer means something different in each state. */
enum s_state {
    S_READ_HEAD, /* reading a head; timer: header deadline, or idle deadline when idle */
    S_READ_BODY, /* head parsed, reading Content-Length bytes; timer: header deadline */
    S_HANDLER,   /* the request is with the handler; timer: off */
    S_STREAMING, /* the handler started a streaming reply; timer: drain kick only */
    S_FLUSH,     /* the reply is queued, waiting for the output to empty; timer: kick only */
    S_LINGER,    /* our side shut down; dropping input until EOF; timer: linger deadline */
};

struct s_conn;

struct cm_http {
    uint32_t tag;                    /* S_HTTP_TAG */
    struct event_base *base;         /* borrowed */
    struct evconnlistener *listener; /* owned; NULL until cm_http_listen() */
    struct event *accept_retry;      /* owned; re-enables the listener after EMFILE */
    cm_http_handler_fn *handler;     /* called once per complete request */
    void *arg;                       /* borrowed; handler argument */
    struct cm_http_opts opts;        /* resolved: no zero field; opts.name points at name */
    char name[S_NAME_MAX];           /* log module */
    int port;                        /* bound port, 0 before listen */
    int nconns;                      /* open connections (all states) */
    struct s_conn *conns;            /* every connection, newest first */
    struct s_conn *idle_head;        /* idle or lingering connections, oldest first */
    struct s_conn *idle_tail;        /* newest end of that list */
    uint64_t next_rid;               /* next request id; random start */
    struct cm_http_header *scratch;  /* header_count_max entries for checking heads in place */
    time_t date_sec;                 /* second of the cached Date value */
    char date[40];                   /* "Sun, 06 Nov 1994 08:49:37 GMT" */
};

struct s_conn {
    uint32_t tag;                /* S_CONN_TAG */
    cm_http_t *srv;              /* borrowed; outlives the connection */
    struct bufferevent *bev;     /* owned; closes the socket when freed */
    struct event *timer;         /* owned; the one deadline timer (see enum s_state) */
    enum s_state state;          /* where the connection is */
    struct s_conn *prev;         /* srv->conns links */
    struct s_conn *next;         /* srv->conns links */
    struct s_conn *iprev;        /* idle list links */
    struct s_conn *inext;        /* idle list links */
    bool idle;                   /* on the idle list */
    cm_http_req_t *req;          /* the request with the handler or streaming, or NULL */
    char peer[INET6_ADDRSTRLEN]; /* client address */
    int peer_port;               /* client port */
    unsigned nreq;               /* requests answered on this connection */
    bool started;                /* a byte of the current request has arrived */
    size_t scan_off;             /* head bytes already searched for a line feed */
    bool lf_seen;                /* the current head has a line feed */
    size_t head_len;             /* S_READ_BODY: head bytes */
    size_t need;                 /* S_READ_BODY: head plus body bytes */
    size_t nhdr;                 /* S_READ_BODY: header fields in the head */
    bool keep_alive;             /* S_FLUSH: read another request after the output empties */
    bool eof;                    /* the client closed its side */
    int64_t t0_ms;               /* first byte of the current request, monotonic ms */
};

struct cm_http_req {
    uint32_t tag;                   /* S_REQ_TAG */
    struct s_conn *conn;            /* NULL once the client has gone */
    uint64_t id;                    /* request id */
    char *raw;                      /* owned: head + body + NUL; views below point into it */
    struct cm_http_parsed parsed;   /* the parsed head, NUL-terminated views */
    struct cm_http_header *headers; /* owned: parsed.headers */
    const char *query;              /* NUL-terminated query, "" when none */
    const char *body;               /* raw + head length */
    size_t body_len;                /* bytes */
    int version;                    /* 10 or 11 */
    bool is_head;                   /* method HEAD: no body in the response */
    bool keep_alive;                /* the connection survives this response */
    bool streaming;                 /* cm_http_reply_start() was called */
    bool chunked;                   /* streaming with Transfer-Encoding: chunked */
    bool no_body;                   /* streaming bytes are counted and dropped (HEAD, 204, 304) */
    int64_t declared;               /* streaming Content-Length, or -1 */
    uint64_t sent;                  /* body bytes queued for the client */
    int status;                     /* response status */
    cm_buf_t *added;                /* owned: headers added by the handler, or NULL */
    cm_http_close_fn *close_cb;     /* told when the client goes; NULL: none */
    void *close_arg;                /* borrowed */
    cm_http_drain_fn *drain_cb;     /* told when the output drains; NULL: none */
    void *drain_arg;                /* borrowed */
    size_t drain_low;               /* drain watermark, bytes */
    char peer[INET6_ADDRSTRLEN];    /* client address (copied: outlives the connection) */
    int peer_port;                  /* client port */
    char name[S_NAME_MAX];          /* log module (copied: outlives the server) */
    int64_t t0_ms;                  /* first byte of the request, monotonic ms */
};

/* --- small helpers --- */

/* ASCII case-insensitive equality (strcasecmp follows the locale). */
static bool s_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
        if (x == '\0')
            return true;
    }
}

static uint64_t s_next_rid(cm_http_t *srv)
{
    uint64_t rid = srv->next_rid++;
    if (rid == 0) /* 0 means "no request" in the log */
        rid = srv->next_rid++;
    return rid;
}

/* The Date value, formatted once a second. Month and day names are spelled out here because
 * strftime's depend on the locale. */
static const char *s_date(cm_http_t *srv)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != srv->date_sec || srv->date[0] == '\0') {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(srv->date, sizeof(srv->date), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        srv->date_sec = now;
    }
    return srv->date;
}

static const char *s_reason(int status)
{
    static const struct {
        int status;         /* code */
        const char *reason; /* reason phrase (RFC 9110 §15) */
    } table[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {416, "Range Not Satisfiable"},
        {417, "Expectation Failed"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(table); i++) {
        if (table[i].status == status)
            return table[i].reason;
    }
    return status < 300   ? "OK"
           : status < 400 ? "Redirect"
           : status < 500 ? "Client Error"
                          : "Server Error";
}

/* Append the JSON string contents of `s` (`len` bytes) to out[*o..cap), escaped: quotes,
 * backslashes and control bytes as escapes, invalid UTF-8 as U+FFFD, so the body is valid JSON
 * whatever the caller formatted. Stops at a character boundary when full. */
static void s_json_escape(char *out, size_t cap, size_t *o, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        char esc[8];
        const void *src = esc;
        size_t n = 0, step = 1;
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            n = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            n = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        } else if (c < 0x80) {
            src = p + i;
            n = 1;
        } else {
            step = cm_utf8_seq(p + i, len - i);
            if (step == 0) {
                memcpy(esc, "\\ufffd", 6);
                n = 6;
                step = 1;
            } else {
                src = p + i;
                n = step;
            }
        }
        if (*o + n >= cap)
            return;
        memcpy(out + *o, src, n);
        *o += n;
        i += step;
    }
}

/* Write {"error":"<msg>","code":"<code>"} into `out` (NUL-terminated); returns its length. */
static size_t s_json_error(char *out, size_t cap, const char *msg, const char *code)
{
    size_t o = 0;
    size_t clen = strnlen(code, 64);
    /* Keep room for the code and the punctuation around it. */
    size_t room = cap > 6 * clen + 32 ? cap - 6 * clen - 32 : 0;
    memcpy(out, "{\"error\":\"", 10);
    o = 10;
    s_json_escape(out, room, &o, msg, strlen(msg));
    memcpy(out + o, "\",\"code\":\"", 10);
    o += 10;
    s_json_escape(out, cap - 3, &o, code, clen);
    memcpy(out + o, "\"}", 3);
    return o + 2;
}

/* A whole error response (head and JSON body, Connection: close) into `out`. */
static size_t s_format_error(cm_http_t *srv, char *out, size_t cap, int status, const char *code,
                             const char *msg, uint64_t rid)
{
    char body[1024];
    size_t blen = s_json_error(body, sizeof(body), msg, code);
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nX-Request-Id: %016" PRIx64 "\r\n"
                     "Connection: close\r\n\r\n",
                     status, s_reason(status), s_date(srv), blen, rid);
    if (n < 0 || (size_t)n + blen >= cap)
        return 0;
    memcpy(out + n, body, blen);
    return (size_t)n + blen;
}

/* --- connection lists and timer --- */

static void s_idle_enter(struct s_conn *c)
{
    if (c->idle)
        return;
    cm_http_t *srv = c->srv;
    c->idle = true;
    c->inext = NULL;
    c->iprev = srv->idle_tail;
    if (srv->idle_tail)
        srv->idle_tail->inext = c;
    else
        srv->idle_head = c;
    srv->idle_tail = c;
}

static void s_idle_leave(struct s_conn *c)
{
    if (!c->idle)
        return;
    cm_http_t *srv = c->srv;
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        srv->idle_head = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    else
        srv->idle_tail = c->iprev;
    c->iprev = c->inext = NULL;
    c->idle = false;
}

static void s_arm(struct s_conn *c, int ms)
{
    struct timeval tv = cm_tv_ms(ms);
    evtimer_add(c->timer, &tv);
}

static void s_read_limit(struct s_conn *c, size_t high)
{
    bufferevent_setwatermark(c->bev, EV_READ, 0, high);
}

static struct evbuffer *s_in(struct s_conn *c)
{
    return bufferevent_get_input(c->bev);
}

static struct evbuffer *s_out(struct s_conn *c)
{
    return bufferevent_get_output(c->bev);
}

/* Free the connection. A request still with the handler is detached first and its close
 * callback runs last, when nothing of the connection is left to touch. */
static void s_conn_free(struct s_conn *c)
{
    cm_http_t *srv = c->srv;
    cm_http_req_t *req = c->req;
    s_idle_leave(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    event_free(c->timer);
    bufferevent_free(c->bev);
    c->tag = S_DEAD_TAG;
    cm_free(c);
    if (req) {
        req->conn = NULL;
        cm_http_close_fn *fn = req->close_cb;
        req->close_cb = NULL;
        if (fn)
            fn(req, req->close_arg);
    }
}

/* --- requests --- */

static void s_req_free(cm_http_req_t *req)
{
    cm_buf_destroy(&req->added);
    cm_free(req->headers);
    cm_free(req->raw);
    req->tag = S_DEAD_TAG;
    cm_free(req);
}

/* Write the status line and headers of `req`'s response. `clen` < 0 sends no Content-Length. */
static void s_write_head(cm_http_req_t *req, int status, const char *ctype, int64_t clen,
                         bool chunked)
{
    struct s_conn *c = req->conn;
    struct evbuffer *out = s_out(c);
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, s_reason(status),
                        s_date(c->srv));
    if (ctype)
        evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
    if (chunked)
        evbuffer_add(out, "Transfer-Encoding: chunked\r\n", 28);
    else if (clen >= 0)
        evbuffer_add_printf(out, "Content-Length: %" PRId64 "\r\n", clen);
    evbuffer_add_printf(out, "X-Request-Id: %016" PRIx64 "\r\n", req->id);
    if (!req->keep_alive)
        evbuffer_add(out, "Connection: close\r\n", 19);
    else if (req->version == 10)
        evbuffer_add(out, "Connection: keep-alive\r\n", 24);
    if (req->added)
        evbuffer_add(out, cm_buf_data(req->added), cm_buf_len(req->added));
    evbuffer_add(out, "\r\n", 2);
}

/* The request is answered: log it, hand the connection back to its reader, free it. */
static void s_req_end(cm_http_req_t *req)
{
    struct s_conn *c = req->conn;
    static cm_metric_t *by_class[5]; /* looked up once: this runs for every request */
    static const char *const classes[] = {"code=\"1xx\"", "code=\"2xx\"", "code=\"3xx\"",
                                          "code=\"4xx\"", "code=\"5xx\""};
    int k = req->status / 100 - 1;
    k = k >= 0 && k < 5 ? k : 4;
    if (!by_class[k])
        by_class[k] = cm_metrics_counter("marquee_http_requests_total", classes[k],
                                         "HTTP requests answered, by status class.");
    cm_metric_inc(by_class[k]);
    cm_log_i(req->name, req->id, "%s %s %d %" PRIu64 "B %" PRId64 "ms peer=%s:%d%s",
             req->parsed.method, req->parsed.path, req->status, req->sent,
             (int64_t)cm_mono_ms() - req->t0_ms, req->peer, req->peer_port,
             c ? "" : " client-gone");
    if (c) {
        c->req = NULL;
        c->nreq++;
        c->keep_alive = req->keep_alive && !c->eof;
        c->state = S_FLUSH;
        bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
        /* The write callback moves on once the output is empty. When it is empty already (a
         * streamed body that was all taken), no write will come: kick from the loop instead,
         * never from here, so a pipelined request cannot recurse into the handler. */
        if (evbuffer_get_length(s_out(c)) == 0)
            s_arm(c, 0);
    }
    s_req_free(req);
}

/* --- reading requests --- */

/* Answer a broken request head with a JSON error and close after it is written. */
static void s_fail(struct s_conn *c, int status, const char *code, const char *msg)
{
    cm_http_t *srv = c->srv;
    uint64_t rid = s_next_rid(srv);
    char resp[2048];
    size_t n = s_format_error(srv, resp, sizeof(resp), status, code, msg, rid);
    evbuffer_add(s_out(c), resp, n);
    cm_log_i(srv->name, rid, "%d %s peer=%s:%d", status, code, c->peer, c->peer_port);
    evtimer_del(c->timer);
    c->keep_alive = false;
    c->state = S_FLUSH;
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

static void s_fail_parse(struct s_conn *c, int rc)
{
    switch (rc) {
    case CM_HTTP_PARSE_TOO_LARGE:
        s_fail(c, 431, "headers_too_large", "too many request header fields");
        break;
    case CM_HTTP_PARSE_VERSION:
        s_fail(c, 505, "version", "HTTP version not supported; use HTTP/1.1");
        break;
    case CM_HTTP_PARSE_LENGTH_REQUIRED:
        s_fail(c, 411, "length_required",
               "chunked request bodies are not accepted; send Content-Length");
        break;
    case CM_HTTP_PARSE_URI_TOO_LONG:
        s_fail(c, 414, "uri_too_long", "request line too long");
        break;
    default:
        s_fail(c, 400, "malformed", "malformed request");
        break;
    }
}

/* Hand the complete request (head_len + body in the input) to the handler. The request gets
 * its own copy of the bytes, parsed again in place, so that it can outlive the connection. */
static void s_dispatch(struct s_conn *c)
{
    cm_http_t *srv = c->srv;
    cm_http_req_t *req = cm_calloc(1, sizeof(*req));
    req->tag = S_REQ_TAG;
    req->raw = cm_malloc(c->need + 1);
    evbuffer_remove(s_in(c), req->raw, c->need);
    req->raw[c->need] = '\0';
    req->headers = cm_calloc(c->nhdr ? c->nhdr : 1, sizeof(*req->headers));
    req->parsed.headers = req->headers;
    int rc = cm_http_parse_request(req->raw, c->head_len, &req->parsed, c->nhdr);
    assert(rc == (int)c->head_len); /* same bytes, same pure parser */
    (void)rc;

    /* Terminate every view in place: each ends on a delimiter the parser has consumed (the
     * space after the method, '?', the space after the target, ':' and the line ending). */
    struct cm_http_parsed *p = &req->parsed;
    req->raw[p->method + p->method_len - req->raw] = '\0';
    req->raw[p->path + p->path_len - req->raw] = '\0';
    if (p->query) {
        req->raw[p->query + p->query_len - req->raw] = '\0';
        req->query = p->query;
    } else {
        req->query = "";
    }
    for (size_t h = 0; h < p->num_headers; h++) {
        req->raw[p->headers[h].name + p->headers[h].name_len - req->raw] = '\0';
        req->raw[p->headers[h].value + p->headers[h].value_len - req->raw] = '\0';
    }
    req->body = req->raw + c->head_len;
    req->body_len = c->need - c->head_len;
    req->version = 10 + p->minor_version;
    req->is_head = strcmp(p->method, "HEAD") == 0;
    const struct cm_http_header *conn_hdr = cm_http_header_find(p, "connection");
    if (p->minor_version == 1)
        req->keep_alive =
            !conn_hdr || !cm_http_list_has_token(conn_hdr->value, conn_hdr->value_len, "close");
    else
        req->keep_alive =
            conn_hdr && cm_http_list_has_token(conn_hdr->value, conn_hdr->value_len, "keep-alive");
    req->declared = -1;
    req->id = s_next_rid(srv);
    memcpy(req->peer, c->peer, sizeof(req->peer));
    req->peer_port = c->peer_port;
    memcpy(req->name, srv->name, sizeof(req->name));
    req->t0_ms = c->t0_ms;

    req->conn = c;
    c->req = req;
    c->state = S_HANDLER;
    c->started = false;
    c->scan_off = 0;
    c->lf_seen = false;
    evtimer_del(c->timer);
    /* Keep reading, but only up to one head's worth: enough to notice the client leaving
     * (EOF), never enough to buffer a pipelined body while the handler works. */
    s_read_limit(c, srv->opts.headers_max);
    srv->handler(req, srv->arg);
}

/* Read as much of the current request as the input holds; dispatch it when complete. */
static void s_process(struct s_conn *c)
{
    cm_http_t *srv = c->srv;
    struct evbuffer *in = s_in(c);
    size_t n = evbuffer_get_length(in);
    size_t hmax = srv->opts.headers_max;

    if (c->state == S_READ_HEAD) {
        /* Drop empty lines before a request line (RFC 9112 §2.2) here rather than let the
         * parser skip them: a client sending nothing but line feeds would otherwise make
         * every one of them re-run the parser over a growing buffer. */
        while (n > 0) {
            const unsigned char *b = evbuffer_pullup(in, (ev_ssize_t)CM_MIN(n, 2));
            size_t k = b[0] == '\n' ? 1 : (n >= 2 && b[0] == '\r' && b[1] == '\n') ? 2 : 0;
            if (k == 0)
                break;
            evbuffer_drain(in, k);
            n -= k;
            c->scan_off = 0;
            c->lf_seen = false;
        }
        if (n == 0)
            return;
        bool first = !c->started;
        if (first) {
            c->started = true;
            c->t0_ms = (int64_t)cm_mono_ms();
            if (c->idle) { /* a keep-alive connection woke up: its own header deadline */
                s_idle_leave(c);
                s_arm(c, srv->opts.header_timeout_ms);
            }
        }
        /* Run the parser only on news: the first bytes, a new line feed, or a limit. A client
         * trickling one byte at a time so costs one search per read, not one parse. */
        size_t m = CM_MIN(n, hmax);
        bool run = first || m >= hmax || (!c->lf_seen && m > CM_HTTP_REQUEST_LINE_MAX);
        if (m > c->scan_off) {
            struct evbuffer_ptr from, to, hit;
            evbuffer_ptr_set(in, &from, c->scan_off, EVBUFFER_PTR_SET);
            if (m < n) {
                evbuffer_ptr_set(in, &to, m, EVBUFFER_PTR_SET);
                hit = evbuffer_search_range(in, "\n", 1, &from, &to);
            } else {
                hit = evbuffer_search_range(in, "\n", 1, &from, NULL);
            }
            if (hit.pos >= 0) {
                c->lf_seen = true;
                run = true;
            }
        }
        c->scan_off = m;
        if (!run)
            return;
        const char *buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)m);
        struct cm_http_parsed parsed = {.headers = srv->scratch};
        int rc = cm_http_parse_request(buf, m, &parsed, srv->opts.header_count_max);
        if (rc < 0) {
            s_fail_parse(c, rc);
            return;
        }
        if (rc == 0) {
            if (m >= hmax)
                s_fail(c, 431, "headers_too_large", "request head too large");
            return;
        }
        uint64_t cl = parsed.content_length > 0 ? (uint64_t)parsed.content_length : 0;
        if (cl > srv->opts.body_max || cl > SIZE_MAX - (size_t)rc - 1) {
            s_fail(c, 413, "too_large", "request body too large");
            return;
        }
        c->head_len = (size_t)rc;
        c->need = (size_t)rc + (size_t)cl;
        c->nhdr = parsed.num_headers;
        c->state = S_READ_BODY;
        if (cl > 0 && n < c->need && parsed.minor_version == 1) {
            const struct cm_http_header *e = cm_http_header_find(&parsed, "expect");
            if (e && cm_http_list_has_token(e->value, e->value_len, "100-continue"))
                evbuffer_add(s_out(c), "HTTP/1.1 100 Continue\r\n\r\n", 25);
        }
        s_read_limit(c, CM_MAX(c->need, hmax));
    }
    if (c->state == S_READ_BODY && n >= c->need)
        s_dispatch(c);
}

/* Close our side after an answer, but keep reading (and dropping) for a while: closing with
 * unread input makes the kernel send RST, which can destroy the answer in the client's
 * buffer before it reads it (the "lingering close" of Apache and nginx). */
static void s_linger(struct s_conn *c)
{
    if (c->eof) {
        s_conn_free(c);
        return;
    }
    c->state = S_LINGER;
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    bufferevent_disable(c->bev, EV_WRITE);
    s_read_limit(c, 0);
    evbuffer_drain(s_in(c), evbuffer_get_length(s_in(c)));
    bufferevent_enable(c->bev, EV_READ);
    s_idle_enter(c); /* first to go when the cap is reached */
    s_arm(c, S_LINGER_MS);
}

/* The response is written: read the next request, or close. */
static void s_flushed(struct s_conn *c)
{
    cm_http_t *srv = c->srv;
    if (c->eof) {
        s_conn_free(c);
        return;
    }
    if (!c->keep_alive) {
        s_linger(c);
        return;
    }
    c->state = S_READ_HEAD;
    c->started = false;
    c->scan_off = 0;
    c->lf_seen = false;
    s_read_limit(c, srv->opts.headers_max);
    if (evbuffer_get_length(s_in(c)) == 0) {
        s_idle_enter(c);
        s_arm(c, srv->opts.idle_timeout_ms);
    } else {
        s_arm(c, srv->opts.header_timeout_ms); /* a pipelined request, already arriving */
        s_process(c);
    }
}

static void s_fire_drain(struct s_conn *c)
{
    cm_http_req_t *req = c->req;
    if (req && req->drain_cb && evbuffer_get_length(s_out(c)) <= req->drain_low)
        req->drain_cb(req, req->drain_arg);
}

/* --- connection callbacks --- */

static void s_on_read(struct bufferevent *bev, void *arg)
{
    struct s_conn *c = arg;
    assert(c->tag == S_CONN_TAG);
    switch (c->state) {
    case S_READ_HEAD:
    case S_READ_BODY:
        s_process(c);
        break;
    case S_LINGER:
        evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
        break;
    default:
        break; /* bounded by the read watermark; parsed after the reply */
    }
}

static void s_on_write(struct bufferevent *bev, void *arg)
{
    struct s_conn *c = arg;
    assert(c->tag == S_CONN_TAG);
    if (c->state == S_STREAMING)
        s_fire_drain(c);
    else if (c->state == S_FLUSH && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        s_flushed(c);
}

static void s_on_event(struct bufferevent *bev, short what, void *arg)
{
    struct s_conn *c = arg;
    assert(c->tag == S_CONN_TAG);
    if ((what & BEV_EVENT_EOF) && !(what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) {
        c->eof = true;
        /* A half-close after a queued answer: finish writing it, then go. A client that
         * leaves while its request is with the handler has gone (nginx's view too). */
        if (c->state == S_FLUSH && evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
            c->keep_alive = false;
            return;
        }
    } else if (what & BEV_EVENT_TIMEOUT) {
        cm_log_i(c->srv->name, 0, "write timeout peer=%s:%d", c->peer, c->peer_port);
    } else {
        cm_log_d(c->srv->name, 0, "connection error peer=%s:%d: %s", c->peer, c->peer_port,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    s_conn_free(c);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct s_conn *c = arg;
    cm_http_t *srv = c->srv;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    assert(c->tag == S_CONN_TAG);
    switch (c->state) {
    case S_READ_HEAD:
    case S_READ_BODY:
        if (c->state == S_READ_HEAD && !c->started && evbuffer_get_length(s_in(c)) == 0) {
            s_conn_free(c); /* idle, or never said a word: close without a word */
            return;
        }
        /* A partial request past its deadline: a slowloris, or a very slow client. One
         * best-effort write that never blocks and never waits, then close. */
        if (evbuffer_get_length(s_out(c)) == 0) {
            uint64_t rid = s_next_rid(srv);
            char resp[2048];
            size_t n = s_format_error(srv, resp, sizeof(resp), 408, "timeout",
                                      "request not received in time", rid);
            ssize_t w = send(bufferevent_getfd(c->bev), resp, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            CM_UNUSED(w);
            cm_log_i(srv->name, rid, "408 timeout peer=%s:%d", c->peer, c->peer_port);
        }
        s_conn_free(c);
        return;
    case S_STREAMING:
        s_fire_drain(c);
        return;
    case S_FLUSH:
        if (evbuffer_get_length(s_out(c)) == 0)
            s_flushed(c);
        return;
    case S_LINGER:
        s_conn_free(c);
        return;
    case S_HANDLER:
        return;
    }
}

/* --- accepting --- */

/* At the cap with nothing idle to evict: one best-effort 503 and close, never a buffer. */
static void s_refuse_busy(cm_http_t *srv, evutil_socket_t fd, const char *peer, int port)
{
    uint64_t rid = s_next_rid(srv);
    char resp[2048], sink[4096];
    size_t n = s_format_error(srv, resp, sizeof(resp), 503, "busy",
                              "too many connections, try again later", rid);
    ssize_t w = send(fd, resp, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    CM_UNUSED(w);
    /* Take what already arrived so the close sends FIN, not RST over our answer. */
    for (int i = 0; i < 4; i++) {
        if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
            break;
    }
    shutdown(fd, SHUT_WR);
    evutil_closesocket(fd);
    cm_log_w(srv->name, rid, "503 busy: %d connections open, peer=%s:%d", srv->nconns, peer, port);
}

static void s_peer_name(const struct sockaddr *sa, char *out, size_t outlen, int *port_out)
{
    *port_out = 0;
    snprintf(out, outlen, "?");
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)outlen);
        *port_out = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)outlen);
        *port_out = ntohs(in6->sin6_port);
    }
}

static void s_on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *arg)
{
    cm_http_t *srv = arg;
    char peer[INET6_ADDRSTRLEN];
    int port;
    CM_UNUSED(lis);
    CM_UNUSED(salen);
    assert(srv->tag == S_HTTP_TAG);
    s_peer_name(sa, peer, sizeof(peer), &port);

    if (srv->nconns >= srv->opts.connections_max) {
        if (!srv->idle_head) {
            s_refuse_busy(srv, fd, peer, port);
            return;
        }
        struct s_conn *old = srv->idle_head;
        cm_log_d(srv->name, 0, "at the cap: closing idle peer=%s:%d for peer=%s:%d", old->peer,
                 old->peer_port, peer, port);
        s_conn_free(old);
    }

    struct bufferevent *bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        cm_log_e(srv->name, 0, "bufferevent_socket_new failed, peer=%s:%d", peer, port);
        evutil_closesocket(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    struct s_conn *c = cm_calloc(1, sizeof(*c));
    c->tag = S_CONN_TAG;
    c->srv = srv;
    c->bev = bev;
    c->state = S_READ_HEAD;
    memcpy(c->peer, peer, sizeof(c->peer));
    c->peer_port = port;
    c->timer = evtimer_new(srv->base, s_on_timer, c);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;

    int wms = srv->opts.write_timeout_ms;
    struct timeval wtv = cm_tv_ms(wms);
    bufferevent_setcb(bev, s_on_read, s_on_write, s_on_event, c);
    bufferevent_set_timeouts(bev, NULL, &wtv); /* inactivity while output is pending */
    s_read_limit(c, srv->opts.headers_max);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    s_arm(c, srv->opts.header_timeout_ms); /* the first request, whole, from accept */
}

static void s_on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
    cm_http_t *srv = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    if (srv->listener)
        evconnlistener_enable(srv->listener);
}

/* accept() failed for a reason other than EAGAIN/EINTR/ECONNABORTED. Out of descriptors, the
 * listening socket stays readable and libevent would spin: pause it briefly instead. */
static void s_on_accept_error(struct evconnlistener *lis, void *arg)
{
    cm_http_t *srv = arg;
    int err = EVUTIL_SOCKET_ERROR();
    cm_log_w(srv->name, 0, "accept failed: %s", evutil_socket_error_to_string(err));
    evconnlistener_disable(lis);
    struct timeval tv = {0, S_ACCEPT_RETRY_MS * 1000};
    evtimer_add(srv->accept_retry, &tv);
}

/* --- the server --- */

cm_http_t *cm_http_new(struct event_base *base, const struct cm_http_opts *opts,
                       cm_http_handler_fn *handler, void *arg)
{
    assert(base && handler);
    cm_http_t *self = cm_calloc(1, sizeof(*self));
    self->tag = S_HTTP_TAG;
    self->base = base;
    self->handler = handler;
    self->arg = arg;
    if (opts)
        self->opts = *opts;
    struct cm_http_opts *o = &self->opts;
    if (!o->headers_max)
        o->headers_max = CM_HTTP_HEADERS_MAX;
    if (!o->header_count_max)
        o->header_count_max = CM_HTTP_HEADER_COUNT_MAX;
    if (!o->body_max)
        o->body_max = CM_HTTP_BODY_MAX;
    if (o->connections_max <= 0)
        o->connections_max = CM_HTTP_CONNECTIONS_MAX;
    if (o->header_timeout_ms <= 0)
        o->header_timeout_ms = CM_HTTP_HEADER_TIMEOUT_MS;
    if (o->idle_timeout_ms <= 0)
        o->idle_timeout_ms = CM_HTTP_IDLE_TIMEOUT_MS;
    if (o->write_timeout_ms <= 0)
        o->write_timeout_ms = CM_HTTP_WRITE_TIMEOUT_MS;
    snprintf(self->name, sizeof(self->name), "%s", o->name && *o->name ? o->name : "http");
    o->name = self->name;
    self->scratch = cm_calloc(o->header_count_max, sizeof(*self->scratch));
    self->accept_retry = evtimer_new(base, s_on_accept_retry, self);

    /* Request ids start at a random point so that ids of two runs (or two daemons) do not
     * collide in merged logs; they are correlation ids, not secrets. */
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32 ^
            (uint64_t)(uintptr_t)self;
    self->next_rid = r;

    /* libevent writes with writev(), which raises SIGPIPE on a reset connection. Ignore it
     * unless the daemon already installed a handler of its own. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    return self;
}

void cm_http_destroy(cm_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_http_t *self = *self_p;
    assert(self->tag == S_HTTP_TAG);
    if (self->listener)
        evconnlistener_free(self->listener);
    event_free(self->accept_retry);
    while (self->conns)
        s_conn_free(self->conns);
    cm_free(self->scratch);
    self->tag = S_DEAD_TAG;
    cm_free(self);
    *self_p = NULL;
}

int cm_http_listen(cm_http_t *self, const char *host, int port, char *err, size_t errlen)
{
    assert(self->tag == S_HTTP_TAG);
    const char *h = host && *host ? host : "0.0.0.0";
    struct addrinfo hints, *res = NULL;
    char ports[16];
    int fd = -1, saved = 0, rc = -1;

    if (self->listener) {
        snprintf(err, errlen, "cannot listen on %s:%d: already listening on port %d", h, port,
                 self->port);
        goto out;
    }
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "cannot listen on %s:%d: bad port", h, port);
        goto out;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(ports, sizeof(ports), "%d", port);
    int gai = getaddrinfo(h, ports, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", h, port, gai_strerror(gai));
        goto out;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, S_BACKLOG) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", h, port, strerror(saved));
        goto out;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char dummy[INET6_ADDRSTRLEN];
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: getsockname: %s", h, port, strerror(errno));
        goto out;
    }
    s_peer_name((struct sockaddr *)&ss, dummy, sizeof(dummy), &self->port);
    self->listener = evconnlistener_new(self->base, s_on_accept, self,
                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    if (!self->listener) {
        snprintf(err, errlen, "cannot listen on %s:%d: evconnlistener_new failed", h, port);
        self->port = 0;
        goto out;
    }
    fd = -1; /* owned by the listener now */
    evconnlistener_set_error_cb(self->listener, s_on_accept_error);
    cm_log_n(self->name, 0, "listening on %s:%d", h, self->port);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (res)
        freeaddrinfo(res);
    return rc;
}

int cm_http_port(const cm_http_t *self)
{
    assert(self->tag == S_HTTP_TAG);
    return self->port;
}

int cm_http_connections(const cm_http_t *self)
{
    assert(self->tag == S_HTTP_TAG);
    return self->nconns;
}

/* --- request accessors --- */

const char *cm_http_req_method(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->parsed.method;
}

const char *cm_http_req_path(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->parsed.path;
}

const char *cm_http_req_query(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->query;
}

const char *cm_http_req_header(const cm_http_req_t *req, const char *name)
{
    assert(req->tag == S_REQ_TAG);
    const struct cm_http_header *h = cm_http_header_find(&req->parsed, name);
    return h ? h->value : NULL;
}

size_t cm_http_req_header_join(const cm_http_req_t *req, const char *name, char *out, size_t size)
{
    assert(req->tag == S_REQ_TAG);
    size_t nlen = strlen(name), len = 0, lines = 0;
    bool full = size == 0;
    if (size > 0)
        out[0] = '\0';
    /* From the last line backwards, so that what does not fit is the leftmost part. */
    for (size_t i = req->parsed.num_headers; i-- > 0;) {
        const struct cm_http_header *h = &req->parsed.headers[i];
        if (h->name_len != nlen || strncasecmp(h->name, name, nlen) != 0)
            continue;
        size_t sep = lines++ ? 2 : 0;
        if (full || len + h->value_len + sep + 1 > size) {
            full = true; /* whole lines only, and none left of one that did not fit */
            continue;
        }
        memmove(out + h->value_len + sep, out, len + 1);
        memcpy(out, h->value, h->value_len);
        if (sep)
            memcpy(out + h->value_len, ", ", 2);
        len += h->value_len + sep;
    }
    return lines;
}

const void *cm_http_req_body(const cm_http_req_t *req, size_t *len_out)
{
    assert(req->tag == S_REQ_TAG);
    *len_out = req->body_len;
    return req->body;
}

const char *cm_http_req_peer(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->peer;
}

int cm_http_req_peer_port(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->peer_port;
}

int cm_http_req_version(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->version;
}

uint64_t cm_http_req_id(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->id;
}

void cm_http_req_set_close_cb(cm_http_req_t *req, cm_http_close_fn *fn, void *arg)
{
    assert(req->tag == S_REQ_TAG);
    req->close_cb = fn;
    req->close_arg = arg;
}

/* --- replies --- */

int cm_http_req_add_header(cm_http_req_t *req, const char *name, const char *value)
{
    static const char *const reserved[] = {"content-length", "transfer-encoding", "connection",
                                           "date", "x-request-id"};
    assert(req->tag == S_REQ_TAG);
    size_t nlen = strlen(name);
    if (req->streaming || !cm_http_is_token(name, nlen))
        return -1;
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
            return -1;
    }
    for (size_t i = 0; i < CM_ARRAY_LEN(reserved); i++) {
        if (s_ieq(name, reserved[i]))
            return -1;
    }
    if (!req->added)
        req->added = cm_buf_new(S_ADDED_HEADERS_MAX);
    return cm_buf_appendf(req->added, "%s: %s\r\n", name, value);
}

/* A Content-Type from the handler goes on the wire; refuse one that could split the head. */
static const char *s_safe_ctype(const cm_http_req_t *req, const char *ctype)
{
    if (!ctype)
        return NULL;
    for (const unsigned char *v = (const unsigned char *)ctype; *v; v++) {
        if ((*v < 0x20 && *v != '\t') || *v == 0x7f) {
            cm_log_e(req->name, req->id, "bad Content-Type from the handler; sending none");
            return NULL;
        }
    }
    return ctype;
}

void cm_http_reply(cm_http_req_t *req, int status, const char *content_type, const void *body,
                   size_t len)
{
    assert(req->tag == S_REQ_TAG);
    assert(!req->streaming);
    assert(status >= 200 && status <= 599);
    req->status = status;
    if (req->conn) {
        bool no_body = status == 204 || status == 304;
        s_write_head(req, status, s_safe_ctype(req, content_type), no_body ? -1 : (int64_t)len,
                     false);
        if (!no_body && !req->is_head && len > 0) {
            evbuffer_add(s_out(req->conn), body, len);
            req->sent = len;
        }
    }
    s_req_end(req);
}

void cm_http_reply_json_error(cm_http_req_t *req, int status, const char *code, const char *fmt,
                              ...)
{
    char msg[S_ERROR_MSG_MAX], body[S_ERROR_BODY_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    size_t blen = s_json_error(body, sizeof(body), msg, code ? code : "error");
    cm_http_reply(req, status, "application/json", body, blen);
}

int cm_http_reply_start(cm_http_req_t *req, int status, int64_t content_length)
{
    assert(req->tag == S_REQ_TAG);
    assert(!req->streaming);
    assert(status >= 200 && status <= 599);
    req->streaming = true;
    req->status = status;
    bool bodiless = status == 204 || status == 304;
    req->no_body = bodiless || req->is_head;
    req->declared = bodiless ? -1 : content_length;
    if (!bodiless && content_length < 0) {
        if (req->version == 11)
            req->chunked = true;
        else
            req->keep_alive = false; /* HTTP/1.0: the close ends the body */
    }
    if (!req->conn)
        return -1;
    s_write_head(req, status, NULL, req->declared, req->chunked);
    req->conn->state = S_STREAMING;
    return 0;
}

/* Common checks of the two write calls: 1 = go on and queue, 0 = done (dropped), -1 = refuse. */
static int s_write_check(cm_http_req_t *req, size_t len)
{
    assert(req->tag == S_REQ_TAG);
    assert(req->streaming);
    if (!req->conn)
        return -1;
    if (req->declared >= 0 && (uint64_t)len > (uint64_t)req->declared - req->sent)
        return -1;
    if (req->no_body) {
        req->sent += len;
        if (req->drain_cb) /* no output will drain: keep a drain-driven handler moving */
            s_arm(req->conn, 0);
        return 0;
    }
    if (evbuffer_get_length(s_out(req->conn)) > S_OUTPUT_MAX)
        return -1;
    return len > 0 ? 1 : 0;
}

int cm_http_reply_write(cm_http_req_t *req, const void *data, size_t len)
{
    int rc = s_write_check(req, len);
    if (rc <= 0)
        return rc;
    struct evbuffer *out = s_out(req->conn);
    if (req->chunked)
        evbuffer_add_printf(out, "%zx\r\n", len);
    evbuffer_add(out, data, len);
    if (req->chunked)
        evbuffer_add(out, "\r\n", 2);
    req->sent += len;
    return 0;
}

int cm_http_reply_write_buffer(cm_http_req_t *req, struct evbuffer *buf)
{
    size_t len = evbuffer_get_length(buf);
    int rc = s_write_check(req, len);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        evbuffer_drain(buf, len);
        return 0;
    }
    struct evbuffer *out = s_out(req->conn);
    if (req->chunked)
        evbuffer_add_printf(out, "%zx\r\n", len);
    evbuffer_add_buffer(out, buf);
    if (req->chunked)
        evbuffer_add(out, "\r\n", 2);
    req->sent += len;
    return 0;
}

int cm_http_reply_write_file(cm_http_req_t *req, int fd, uint64_t offset, size_t len)
{
    int rc = s_write_check(req, len);
    if (rc <= 0 || offset > (uint64_t)INT64_MAX) {
        close(fd);
        return rc <= 0 ? rc : -1;
    }
    struct evbuffer *out = s_out(req->conn);
    if (req->chunked)
        evbuffer_add_printf(out, "%zx\r\n", len);
    /* the segment owns fd from here: the last reference (ours or the buffer's) closes it */
    struct evbuffer_file_segment *seg =
        evbuffer_file_segment_new(fd, (ev_off_t)offset, (ev_off_t)len, EVBUF_FS_CLOSE_ON_FREE);
    if (!seg) {
        close(fd);
        return -1;
    }
    rc = evbuffer_add_file_segment(out, seg, 0, (ev_off_t)len);
    evbuffer_file_segment_free(seg);
    if (rc < 0) {
        req->keep_alive = false; /* a chunk size line may be out without its chunk */
        return -1;
    }
    if (req->chunked)
        evbuffer_add(out, "\r\n", 2);
    req->sent += len;
    return 0;
}

void cm_http_reply_end(cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    assert(req->streaming);
    if (req->conn && !req->no_body) {
        if (req->chunked)
            evbuffer_add(s_out(req->conn), "0\r\n\r\n", 5);
        if (req->declared >= 0 && req->sent < (uint64_t)req->declared) {
            cm_log_w(req->name, req->id, "short body: %" PRIu64 " of %" PRId64 " bytes; closing",
                     req->sent, req->declared);
            req->keep_alive = false;
        }
    }
    s_req_end(req);
}

size_t cm_http_req_output_pending(const cm_http_req_t *req)
{
    assert(req->tag == S_REQ_TAG);
    return req->conn ? evbuffer_get_length(bufferevent_get_output(req->conn->bev)) : 0;
}

void cm_http_req_set_drain_cb(cm_http_req_t *req, cm_http_drain_fn *fn, void *arg,
                              size_t low_watermark)
{
    assert(req->tag == S_REQ_TAG);
    req->drain_cb = fn;
    req->drain_arg = arg;
    req->drain_low = low_watermark;
    struct s_conn *c = req->conn;
    if (!c)
        return;
    bufferevent_setwatermark(c->bev, EV_WRITE, fn ? low_watermark : 0, 0);
    /* libevent calls the write callback only after a write; if the queue is already low, no
     * write may ever come, so kick once from the loop. */
    if (fn && c->state == S_STREAMING && evbuffer_get_length(s_out(c)) <= low_watermark)
        s_arm(c, 0);
}
