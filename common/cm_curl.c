/* SPDX-License-Identifier: MIT
 * cm_curl: libcurl multi on libevent (see cm_curl.h). */
#include "cm_curl.h"

/* A socket curl asked us to watch. */
struct csock {
    struct csock *prev, *next;
    struct event *ev;
};

struct cm_curl {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    struct csock *socks;
    cm_curl_progress_fn *progress;
    void *arg;
};

static void s_on_socket(evutil_socket_t fd, short what, void *arg)
{
    cm_curl_t *c = arg;
    int running = 0;
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(c->multi, fd, action, &running);
    c->progress(c->arg);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    cm_curl_t *c = arg;
    int running = 0;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    c->progress(c->arg);
}

static int s_timer_fn(CURLM *multi, long timeout_ms, void *arg)
{
    cm_curl_t *c = arg;
    CM_UNUSED(multi);
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
    } else {
        struct timeval tv = cm_tv_ms(timeout_ms);
        evtimer_add(c->timer, &tv);
    }
    return 0;
}

static int s_socket_fn(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    cm_curl_t *c = arg;
    struct csock *cs = sockp;
    CM_UNUSED(easy);
    if (what == CURL_POLL_REMOVE) {
        if (cs) {
            if (cs->prev)
                cs->prev->next = cs->next;
            else
                c->socks = cs->next;
            if (cs->next)
                cs->next->prev = cs->prev;
            event_free(cs->ev);
            cm_free(cs);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    short kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
                         ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
    if (!cs) {
        cs = cm_calloc(1, sizeof(*cs));
        cs->ev = event_new(c->base, fd, kind, s_on_socket, c);
        cs->next = c->socks;
        if (c->socks)
            c->socks->prev = cs;
        c->socks = cs;
        curl_multi_assign(c->multi, fd, cs);
    } else {
        event_del(cs->ev);
        event_assign(cs->ev, c->base, fd, kind, s_on_socket, c);
    }
    event_add(cs->ev, NULL);
    return 0;
}

cm_curl_t *cm_curl_new(struct event_base *base, cm_curl_progress_fn *progress, void *arg)
{
    if (!base || !progress || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    cm_curl_t *c = cm_calloc(1, sizeof(*c));
    c->base = base;
    c->progress = progress;
    c->arg = arg;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, s_on_timer, c);
    if (!c->multi || !c->timer) {
        cm_curl_destroy(&c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, s_socket_fn);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, s_timer_fn);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

CURLM *cm_curl_multi(const cm_curl_t *self)
{
    return self->multi;
}

void cm_curl_destroy(cm_curl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_curl_t *c = *self_p;
    *self_p = NULL;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    while (c->socks) {
        struct csock *cs = c->socks;
        c->socks = cs->next;
        event_free(cs->ev);
        cm_free(cs);
    }
    if (c->timer)
        event_free(c->timer);
    cm_free(c);
    curl_global_cleanup();
}
