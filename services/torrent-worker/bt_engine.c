/* SPDX-License-Identifier: MIT
 * bt_engine: the session. Listener (incoming peers wait in `pending` until their handshake
 * names a torrent), the global connection cap, the download and upload token buckets (a peer
 * whose read finds no tokens stops reading; one timer wakes every paused peer when tokens are
 * back), the blocklist, the tracker client, a 1 s housekeeping tick, and the reaper that frees
 * closed peers on the next loop turn. */
#include "bt_internal.h"

#define BT_ENGINE_TAG 0xb7e00001u

void bt_addr_name(const struct sockaddr *sa, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(out, len, "%s:%u", host, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(out, len, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        snprintf(out, len, "?");
    }
}

bool bt_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a,
                                 *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a,
                                  *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
    return false;
}

bool bt_engine_can_connect(const bt_engine_t *e)
{
    return e->npeers < e->opts.conn_max;
}

bool bt_engine_blocked(const bt_engine_t *e, const struct sockaddr *sa)
{
    return e->opts.blocklist && bt_blocklist_match(e->opts.blocklist, sa);
}

bt_trk_t *bt_engine_trk(bt_engine_t *e)
{
    return e->trk;
}

size_t bt_engine_down_take(bt_engine_t *e, size_t want)
{
    if (e->opts.down_rate == 0)
        return want;
    return bt_bucket_take(&e->down, want, cm_mono_us());
}

static void s_on_refill(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_engine_t *e = arg;
    e->refill_armed = false;
    for (bt_torrent_t *t = e->torrents; t; t = t->next) {
        for (struct bt_peer *p = t->peers, *next; p; p = next) {
            next = p->next;
            if (p->read_paused)
                bt_peer_resume_read(p);
            if (p->state == BT_PS_ACTIVE && p->inq_len > 0)
                bt_peer_serve(p);
        }
    }
}

void bt_engine_want_refill(bt_engine_t *e)
{
    if (e->refill_armed)
        return;
    uint64_t now = cm_mono_us();
    uint64_t wait = UINT64_MAX;
    /* wake when a useful amount is back: a block's worth, or a tenth of a second of rate */
    if (e->opts.down_rate > 0)
        wait = CM_MIN(
            wait, bt_bucket_wait_us(
                      &e->down, CM_MIN((uint64_t)BT_BLOCK_LEN, e->opts.down_rate / 10 + 1), now));
    if (e->opts.up_rate > 0)
        wait = CM_MIN(wait, bt_bucket_wait_us(&e->up, BT_BLOCK_LEN, now));
    if (wait == UINT64_MAX)
        wait = 0;
    wait = CM_MAX(wait, (uint64_t)1000); /* at most 1000 wake-ups a second */
    struct timeval tv = {.tv_sec = (time_t)(wait / 1000000),
                         .tv_usec = (suseconds_t)(wait % 1000000)};
    evtimer_add(e->ev_refill, &tv);
    e->refill_armed = true;
}

void bt_engine_pending_unlink(bt_engine_t *e, struct bt_peer *p)
{
    struct bt_peer **pp = &e->pending;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = p->next;
        e->npending--;
    }
    p->next = NULL;
}

static void s_on_reap(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_engine_t *e = arg;
    while (e->zombies) {
        struct bt_peer *p = e->zombies;
        e->zombies = p->next;
        bt_peer_free(p);
    }
}

static void s_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *arg)
{
    CM_UNUSED(l);
    bt_engine_t *e = arg;
    if (e->paused) { /* the VPN gate is closed: not one byte to anyone */
        evutil_closesocket(fd);
        return;
    }
    if (e->npeers >= e->opts.conn_max || e->npending >= BT_INCOMING_PENDING_MAX ||
        bt_engine_blocked(e, sa) || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
        char name[64];
        bt_addr_name(sa, name, sizeof(name));
        cm_log_d("engine", 0, "refused incoming %s", name);
        evutil_closesocket(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct bt_peer *p = bt_peer_new(e, NULL, fd, sa, (socklen_t)salen, true, false);
    p->next = e->pending;
    e->pending = p;
    e->npending++;
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_engine_t *e = arg;
    uint64_t now = cm_mono_ms();
    for (struct bt_peer *p = e->pending, *next; p; p = next) {
        next = p->next;
        bt_peer_tick(p, now);
    }
    for (bt_torrent_t *t = e->torrents; t; t = t->next)
        bt_torrent_tick(t, now);
    e->down_bps = (e->down_bps + e->down_win * 1000 / BT_TICK_MS) / 2;
    e->up_bps = (e->up_bps + e->up_win * 1000 / BT_TICK_MS) / 2;
    e->down_win = e->up_win = 0;
}

/* "host:port" (host: an IPv4 or [IPv6] literal, empty = any; port 0 = ephemeral) into a
 * sockaddr. 0 or -1. */
static int s_parse_listen(const char *s, struct sockaddr_storage *ss, int *len)
{
    char host[128];
    int port;
    memset(ss, 0, sizeof(*ss));
    if (cm_config_parse_listen(s, host, sizeof(host), &port) < 0 || port < 0 || port > 65535)
        return -1;
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (host[0] == '\0' || inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *len = (int)sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = (int)sizeof(*s6);
        return 0;
    }
    return -1;
}

bt_engine_t *bt_engine_new(struct event_base *base, const struct bt_engine_opts *opts, char *err,
                           size_t errlen)
{
    bt_engine_t *e = cm_calloc(1, sizeof(*e));
    e->tag = BT_ENGINE_TAG;
    e->base = base;
    e->opts = *opts;
    e->opts.listen = NULL;
    e->opts.best_trackers = NULL;
    e->opts.tracker_blacklist = NULL;
    e->opts.dht_bootstrap = NULL;
    e->opts.dht_state = NULL;
    if (e->opts.conn_max == 0)
        e->opts.conn_max = 500;
    if (e->opts.conn_max_torrent == 0)
        e->opts.conn_max_torrent = 100;
    if (e->opts.upload_slots == 0)
        e->opts.upload_slots = 8;
    memcpy(e->peer_id, BT_PEER_ID_PREFIX, 8);
    if (getrandom(e->peer_id + 8, 12, 0) != 12) {
        snprintf(err, errlen, "no randomness for a peer id: %s", strerror(errno));
        cm_free(e);
        return NULL;
    }
    /* the random part printable, as most clients expect */
    static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 8; i < 20; i++)
        e->peer_id[i] = (uint8_t)alnum[e->peer_id[i] % (sizeof(alnum) - 1)];
    for (size_t i = 0; i < opts->nbest_trackers; i++) {
        e->best = cm_realloc(e->best, (e->nbest + 1) * sizeof(*e->best));
        e->best[e->nbest++] = cm_strdup(opts->best_trackers[i]);
    }
    /* bursts: a tenth of a second of rate, at least two blocks, so a limit holds closely */
    bt_bucket_init(&e->down, opts->down_rate, CM_MAX(opts->down_rate / 10, 2u * BT_BLOCK_LEN));
    bt_bucket_init(&e->up, opts->up_rate, CM_MAX(opts->up_rate / 10, 2u * BT_BLOCK_LEN));
    e->ev_tick = event_new(base, -1, EV_PERSIST, s_on_tick, e);
    e->ev_refill = evtimer_new(base, s_on_refill, e);
    e->ev_reap = event_new(base, -1, 0, s_on_reap, e);
    struct timeval tv = cm_tv_ms(BT_TICK_MS);
    event_add(e->ev_tick, &tv);

    if (opts->listen && opts->listen[0]) {
        struct sockaddr_storage ss;
        int len;
        if (s_parse_listen(opts->listen, &ss, &len) < 0) {
            snprintf(err, errlen, "bad listen address '%s': want host:port", opts->listen);
            bt_engine_destroy(&e);
            return NULL;
        }
        e->listener = evconnlistener_new_bind(
            base, s_on_accept, e, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
            128, (struct sockaddr *)&ss, len);
        if (!e->listener) {
            snprintf(err, errlen, "cannot listen for peers on %s: %s", opts->listen,
                     strerror(errno));
            bt_engine_destroy(&e);
            return NULL;
        }
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        getsockname(evconnlistener_get_fd(e->listener), (struct sockaddr *)&bound, &blen);
        bt_addr_name((struct sockaddr *)&bound, e->listen_addr, sizeof(e->listen_addr));
        e->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                              : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    }
    struct bt_trk_opts to = {
        .port = e->port,
        .peer_id = e->peer_id,
        .allow_private = opts->allow_private_trackers,
    };
    e->trk = bt_trk_new(base, &to, err, errlen);
    if (!e->trk) {
        bt_engine_destroy(&e);
        return NULL;
    }
    if (opts->dht && e->listener) {
        /* the DHT's UDP socket shares the peer port, as every client does */
        char bind[96];
        snprintf(bind, sizeof(bind), "%s", e->listen_addr);
        struct bt_dht_opts dopts = {
            .bind = bind,
            .bootstrap = opts->dht_bootstrap,
            .nbootstrap = opts->ndht_bootstrap,
            .state_file = opts->dht_state,
            .ip_rate_max = opts->dht_ip_rate,
        };
        char derr[CM_ERR_LEN];
        e->dht = bt_dht_new(base, &dopts, derr, sizeof(derr));
        if (!e->dht)
            cm_log_w("engine", 0, "DHT off: %s", derr);
        else
            cm_log_n("engine", 0, "DHT node on udp %s, %zu bootstrap nodes", bt_dht_bound(e->dht),
                     opts->ndht_bootstrap);
    }
    if (opts->tracker_blacklist)
        bt_trk_set_blacklist(e->trk, opts->tracker_blacklist, strlen(opts->tracker_blacklist));
    return e;
}

static void s_on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    CM_UNUSED(arg);
}

void bt_engine_drain(bt_engine_t *e, int max_ms)
{
    while (e->torrents) {
        bt_torrent_t *t = e->torrents;
        bt_torrent_remove(&t);
    }
    while (e->pending)
        bt_peer_close(e->pending, "engine stopped");
    uint64_t deadline = cm_mono_ms() + (uint64_t)CM_MAX(max_ms, 0);
    struct event *tick = event_new(e->base, -1, EV_PERSIST, s_on_drain_tick, NULL);
    struct timeval tv = cm_tv_ms(20);
    event_add(tick, &tv);
    while (bt_trk_pending(e->trk) > 0 && cm_mono_ms() < deadline)
        event_base_loop(e->base, EVLOOP_ONCE);
    event_free(tick);
}

void bt_engine_destroy(bt_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_engine_t *e = *self_p;
    *self_p = NULL;
    while (e->torrents) {
        bt_torrent_t *t = e->torrents;
        bt_torrent_remove(&t);
    }
    while (e->pending)
        bt_peer_close(e->pending, "engine stopped");
    s_on_reap(-1, 0, e);
    if (e->listener)
        evconnlistener_free(e->listener);
    bt_dht_destroy(&e->dht);
    bt_trk_destroy(&e->trk);
    if (e->ev_tick)
        event_free(e->ev_tick);
    if (e->ev_refill)
        event_free(e->ev_refill);
    if (e->ev_reap)
        event_free(e->ev_reap);
    for (size_t i = 0; i < e->nbest; i++)
        cm_free(e->best[i]);
    cm_free(e->best);
    e->tag = 0xdeadbeef;
    cm_free(e);
}

void bt_engine_set_paused(bt_engine_t *e, bool paused)
{
    if (e->paused == paused)
        return;
    uint32_t peers = e->npeers;
    e->paused = paused;
    if (paused) {
        while (e->pending)
            bt_peer_close(e->pending, "swarm traffic paused");
        for (bt_torrent_t *t = e->torrents; t; t = t->next)
            bt_torrent_set_paused(t, true);
        bt_trk_set_paused(e->trk, true);
        bt_dht_set_paused(e->dht, true);
        cm_log_w("engine", 0,
                 "swarm traffic paused (VPN gate): %" PRIu32 " peer connections closed, "
                 "trackers and DHT silent, %" PRIu32 " torrents kept",
                 peers, e->ntorrents);
        return;
    }
    bt_trk_set_paused(e->trk, false); /* every tracker announces now */
    bt_dht_set_paused(e->dht, false);
    for (bt_torrent_t *t = e->torrents; t; t = t->next)
        bt_torrent_set_paused(t, false);
    cm_log_n("engine", 0,
             "swarm traffic resumed: trackers announce, known peers are tried again "
             "(%" PRIu32 " torrents)",
             e->ntorrents);
}

bool bt_engine_paused(const bt_engine_t *e)
{
    return e->paused;
}

const char *bt_engine_listen_addr(const bt_engine_t *e)
{
    return e->listen_addr;
}

bt_torrent_t *bt_engine_find(bt_engine_t *e, const uint8_t info_hash[20])
{
    for (bt_torrent_t *t = e->torrents; t; t = t->next)
        if (memcmp(t->info_hash, info_hash, 20) == 0)
            return t;
    return NULL;
}

void bt_engine_stats(const bt_engine_t *e, struct bt_engine_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->torrents = e->ntorrents;
    out->peers = e->npeers;
    out->down_bps = e->down_bps;
    out->up_bps = e->up_bps;
    out->downloaded = e->downloaded;
    out->uploaded = e->uploaded;
}
