/* SPDX-License-Identifier: MIT
 * disc_http: asynchronous HTTP GET on libcurl multi and libevent. See disc_http.h.
 *
 * The multi handle runs on the loop through common/cm_curl.c; after curl made progress
 * s_curl_check collects the finished transfers. Those are first all marked (`done`) and only
 * then reported one by one, so that a callback may cancel another finished transfer, or start
 * a new one, without touching curl's message queue while we read it. */
#include "cm.h"
#include "disc_http.h"
#include "cm_curl.h"

#include <curl/curl.h>

#define S_MOD "http"
#define S_TAG 0x64687470u /* "dhtp" */

enum {
    S_HEADER_VALUE_MAX = 128, /* bytes of a Retry-After value looked at */
};

/* One transfer. */
struct s_xfer {
    struct s_xfer *prev, *next; /* on the client's list */
    disc_http_t *h;
    int id;
    CURL *easy;
    cm_buf_t *body;        /* capped at max_body */
    size_t max_body;       /* bytes */
    int timeout_ms;        /* as given to curl */
    bool too_big;          /* the write callback refused a chunk */
    bool done;             /* finished, waiting to be reported */
    CURLcode rc;           /* how it finished (when done) */
    int64_t retry_after_s; /* parsed from the last answer's headers, -1 none */
    uint64_t start_us;     /* monotonic */
    disc_http_done_fn *cb;
    void *arg;
    char curl_err[CURL_ERROR_SIZE]; /* curl's own detail */
};

struct disc_http {
    uint32_t tag; /* S_TAG */
    struct event_base *base;
    cm_curl_t *curl;            /* the multi handle on the loop */
    CURLM *multi;               /* ... its handle */
    struct curl_slist *headers; /* Accept: application/json */
    struct s_xfer *xfers;       /* transfers started and not yet reported or cancelled */
    size_t nxfers;
    int next_id; /* last id given */
    char ua[DISC_HTTP_UA_MAX + 1];
};

/* --- transfers --- */

static void s_xfer_unlink(struct s_xfer *x)
{
    disc_http_t *h = x->h;
    if (x->prev)
        x->prev->next = x->next;
    else
        h->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    h->nxfers--;
}

/* Take the transfer out of curl and free it (it must be unlinked already). */
static void s_xfer_free(struct s_xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(x->h->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    cm_buf_destroy(&x->body);
    cm_free(x);
}

static size_t s_on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct s_xfer *x = arg;
    size_t n = size * nmemb;
    if (cm_buf_append(x->body, ptr, n) != 0) {
        x->too_big = true;
        return 0; /* CURLE_WRITE_ERROR ends the transfer */
    }
    return n;
}

/* Retry-After: a delay in seconds or an HTTP-date (RFC 9110 10.2.3). */
static int64_t s_retry_after(const char *v, size_t len)
{
    char tmp[S_HEADER_VALUE_MAX];
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len &&
           (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    int64_t s;
    if (tmp[0] >= '0' && tmp[0] <= '9') {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(tmp, &end, 10);
        if (*end != '\0')
            return -1;
        s = (errno == ERANGE || n > DISC_HTTP_RETRY_AFTER_MAX_S) ? DISC_HTTP_RETRY_AFTER_MAX_S
                                                                 : (int64_t)n;
    } else {
        time_t t = curl_getdate(tmp, NULL);
        if (t == (time_t)-1)
            return -1;
        int64_t d = (int64_t)t - (int64_t)time(NULL);
        s = d < 0 ? 0 : d > DISC_HTTP_RETRY_AFTER_MAX_S ? DISC_HTTP_RETRY_AFTER_MAX_S : d;
    }
    return s;
}

static size_t s_on_header(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct s_xfer *x = arg;
    size_t n = size * nmemb;
    static const char ra[] = "retry-after:";
    if (n >= 5 && strncasecmp(buf, "HTTP/", 5) == 0)
        x->retry_after_s = -1; /* a new answer (after a 1xx): forget the last one's */
    else if (n > sizeof(ra) - 1 && strncasecmp(buf, ra, sizeof(ra) - 1) == 0)
        x->retry_after_s = s_retry_after(buf + sizeof(ra) - 1, n - (sizeof(ra) - 1));
    return n;
}

/* Report a finished transfer (unlinked by the caller) and free it. */
static void s_xfer_report(struct s_xfer *x)
{
    struct disc_http_result res = {.curl_code = (int)x->rc, .retry_after_s = x->retry_after_s};
    char ctype[DISC_HTTP_CTYPE_MAX + 1] = "";
    char location[DISC_HTTP_LOCATION_MAX + 1] = "";
    const char *s = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
    if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
        cm_utf8_copy(ctype, sizeof(ctype), s);
    s = NULL;
    if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s)
        cm_utf8_copy(location, sizeof(location), s);
    res.content_type = ctype;
    res.location = location;
    res.body = (const char *)cm_buf_data(x->body);
    res.len = cm_buf_len(x->body);
    res.total_ms = (double)(cm_mono_us() - x->start_us) / 1000.0;
    if (x->rc != CURLE_OK) {
        if (x->too_big || x->rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(res.error, sizeof(res.error), "response over %zu bytes", x->max_body);
        else if (x->rc == CURLE_OPERATION_TIMEDOUT)
            snprintf(res.error, sizeof(res.error), "timed out after %d ms", x->timeout_ms);
        else
            cm_utf8_copy(res.error, sizeof(res.error),
                         x->curl_err[0] ? x->curl_err : curl_easy_strerror(x->rc));
    }
    /* Out of curl before the callback, so that its connection can serve the next request. */
    curl_multi_remove_handle(x->h->multi, x->easy);
    x->cb(x->arg, &res);
    s_xfer_free(x);
}

/* --- libcurl on libevent --- */

static void s_curl_check(disc_http_t *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        struct s_xfer *x = (struct s_xfer *)(void *)priv;
        if (x) {
            x->done = true;
            x->rc = msg->data.result;
        }
    }
    /* Report one at a time from the head: a callback may change the list. */
    for (;;) {
        struct s_xfer *x = h->xfers;
        while (x && !x->done)
            x = x->next;
        if (!x)
            break;
        s_xfer_unlink(x);
        s_xfer_report(x);
    }
}

static void s_on_progress(void *arg)
{
    s_curl_check(arg);
}

/* --- the client --- */

disc_http_t *disc_http_new(struct event_base *base, const char *user_agent)
{
    if (!base)
        return NULL;
    disc_http_t *h = cm_calloc(1, sizeof(*h));
    h->tag = S_TAG;
    h->base = base;
    cm_utf8_copy(h->ua, sizeof(h->ua), user_agent ? user_agent : "Marquee/0.1");
    h->curl = cm_curl_new(base, s_on_progress, h);
    h->headers = curl_slist_append(NULL, "Accept: application/json");
    if (!h->curl || !h->headers) {
        cm_log_e(S_MOD, 0, "libcurl cannot be initialised");
        goto fail;
    }
    h->multi = cm_curl_multi(h->curl);
    return h;
fail:
    disc_http_destroy(&h);
    return NULL;
}

void disc_http_destroy(disc_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    disc_http_t *h = *self_p;
    *self_p = NULL;
    assert(h->tag == S_TAG);
    while (h->xfers) {
        struct s_xfer *x = h->xfers;
        s_xfer_unlink(x);
        s_xfer_free(x);
    }
    cm_curl_destroy(&h->curl);
    if (h->headers)
        curl_slist_free_all(h->headers);
    h->tag = 0;
    cm_free(h);
}

/* An http or https URL of printable ASCII within the cap. */
static bool s_url_ok(const char *url)
{
    size_t n = strnlen(url, DISC_HTTP_URL_MAX + 1);
    if (n == 0 || n > DISC_HTTP_URL_MAX)
        return false;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return false;
    return true;
}

int disc_http_get(disc_http_t *self, const char *url, int timeout_ms, size_t max_body,
                  disc_http_done_fn *cb, void *arg)
{
    if (!self || !url || !cb || !s_url_ok(url))
        return -1;
    if (self->nxfers >= DISC_HTTP_INFLIGHT_MAX)
        return -1;
    if (timeout_ms <= 0)
        timeout_ms = DISC_HTTP_TIMEOUT_DEFAULT_MS;
    if (timeout_ms > DISC_HTTP_TIMEOUT_MAX_MS)
        timeout_ms = DISC_HTTP_TIMEOUT_MAX_MS;
    if (max_body == 0)
        max_body = DISC_HTTP_BODY_DEFAULT;
    if (max_body > DISC_HTTP_BODY_MAX)
        max_body = DISC_HTTP_BODY_MAX;
    CURL *e = curl_easy_init();
    if (!e)
        return -1;
    struct s_xfer *x = cm_calloc(1, sizeof(*x));
    x->h = self;
    x->easy = e;
    x->body = cm_buf_new(max_body);
    x->max_body = max_body;
    x->timeout_ms = timeout_ms;
    x->retry_after_s = -1;
    x->start_us = cm_mono_us();
    x->cb = cb;
    x->arg = arg;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* A redirect is an answer (TheRARBG says "unknown id" with 302 Location: /). */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, self->ua);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, self->headers);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
    CURLMcode mc = curl_multi_add_handle(self->multi, e);
    if (mc != CURLM_OK) {
        cm_log_w(S_MOD, 0, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
        curl_easy_cleanup(e);
        cm_buf_destroy(&x->body);
        cm_free(x);
        return -1;
    }
    if (++self->next_id <= 0)
        self->next_id = 1;
    x->id = self->next_id;
    x->next = self->xfers;
    if (self->xfers)
        self->xfers->prev = x;
    self->xfers = x;
    self->nxfers++;
    return x->id;
}

void disc_http_cancel(disc_http_t *self, int id)
{
    if (!self || id <= 0)
        return;
    for (struct s_xfer *x = self->xfers; x; x = x->next) {
        if (x->id == id) {
            s_xfer_unlink(x);
            s_xfer_free(x);
            return;
        }
    }
}

size_t disc_http_inflight(const disc_http_t *self)
{
    return self ? self->nxfers : 0;
}
