/* SPDX-License-Identifier: MIT
 * bt_torrent: one torrent's swarm. Known addresses (trackers, PEX, the user) and the
 * connection scheduler; metadata download for a magnet (ut_metadata, checked against the
 * info-hash before use); blocks written to storage and every piece hashed before it counts;
 * blame and bans for pieces that fail; choking (reciprocation while downloading, least-served
 * first while seeding, one optimistic slot); resume data; the callbacks of the API.
 *
 * A piece that fails its hash check is blamed on the peers that sent its blocks: a sole
 * sender is banned at once (libtorrent does the same), several senders each collect a strike
 * and are banned at BT_HASHFAIL_BAN. Loopback peers all share 127.0.0.1, so for them the
 * address with its port is banned; elsewhere the address. */
#include "bt_internal.h"
#include <fcntl.h>

#define BT_TORRENT_TAG 0xb7700001u

static void s_dht_tick(bt_torrent_t *t, uint64_t now);

/* --- lookups --- */

static bool s_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

/* Same address, and for loopback the same port too. */
static bool s_same_peer(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (s_is_loopback(a))
        return bt_addr_equal(a, b);
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static struct bt_cand *s_cand_find(bt_torrent_t *t, const struct sockaddr *sa)
{
    for (uint32_t i = 0; i < t->ncands; i++)
        if (bt_addr_equal((struct sockaddr *)&t->cands[i].addr, sa))
            return &t->cands[i];
    return NULL;
}

bool bt_torrent_is_banned(const bt_torrent_t *t, const struct sockaddr *sa)
{
    for (uint32_t i = 0; i < t->ncands; i++)
        if (t->cands[i].banned && s_same_peer((const struct sockaddr *)&t->cands[i].addr, sa))
            return true;
    return false;
}

static struct bt_cand *s_cand_add(bt_torrent_t *t, const struct sockaddr *sa, socklen_t alen)
{
    struct bt_cand *c = s_cand_find(t, sa);
    if (c)
        return c;
    if (t->ncands >= BT_CANDIDATES_MAX) {
        /* forget one that keeps failing, else refuse */
        uint32_t worst = UINT32_MAX;
        for (uint32_t i = 0; i < t->ncands; i++)
            if (!t->cands[i].connected && !t->cands[i].banned &&
                (worst == UINT32_MAX || t->cands[i].fails > t->cands[worst].fails))
                worst = i;
        if (worst == UINT32_MAX || t->cands[worst].fails == 0)
            return NULL;
        t->cands[worst] = t->cands[--t->ncands];
    }
    if (t->ncands == t->cands_cap) {
        t->cands_cap = t->cands_cap ? t->cands_cap * 2 : 64;
        t->cands = cm_realloc(t->cands, t->cands_cap * sizeof(*t->cands));
    }
    c = &t->cands[t->ncands++];
    memset(c, 0, sizeof(*c));
    memcpy(&c->addr, sa, CM_MIN((size_t)alen, sizeof(c->addr)));
    c->alen = alen;
    return c;
}

static socklen_t s_salen(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void bt_torrent_add_cands(bt_torrent_t *t, const struct sockaddr_storage *a, size_t n)
{
    bool added = false;
    for (size_t i = 0; i < n; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&a[i];
        if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
            continue;
        if (bt_engine_blocked(t->e, sa))
            continue;
        uint32_t before = t->ncands;
        s_cand_add(t, sa, s_salen(sa));
        added |= t->ncands > before;
    }
    if (added)
        bt_torrent_connect_some(t);
}

void bt_torrent_add_peer(bt_torrent_t *t, const struct sockaddr *sa, socklen_t len)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, sa, CM_MIN((size_t)len, sizeof(ss)));
    bt_torrent_add_cands(t, &ss, 1);
}

/* --- connections --- */

static void s_connect(bt_torrent_t *t, struct bt_cand *c, uint64_t now)
{
    const struct sockaddr *sa = (const struct sockaddr *)&c->addr;
    c->next_try_ms = now + (uint64_t)BT_CONNECT_RETRY_MS * (c->fails + 1);
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, sa, c->alen) < 0 && errno != EINPROGRESS) {
        c->fails++;
        close(fd);
        return;
    }
    c->connected = true;
    struct bt_peer *p = bt_peer_new(t->e, t, fd, sa, c->alen, false, true);
    p->next = t->peers;
    t->peers = p;
    t->nconnecting++;
}

void bt_torrent_connect_some(bt_torrent_t *t)
{
    if (t->removing || t->e->paused)
        return;
    uint64_t now = cm_mono_ms();
    for (uint32_t i = 0; i < t->ncands; i++) {
        if (t->npeers + t->nconnecting >= t->e->opts.conn_max_torrent ||
            t->nconnecting >= BT_CONNECTING_MAX || !bt_engine_can_connect(t->e))
            return;
        struct bt_cand *c = &t->cands[i];
        if (c->connected || c->banned || c->self || c->next_try_ms > now)
            continue;
        if (c->fails >= BT_CONNECT_FAILS_MAX)
            continue;
        s_connect(t, c, now);
    }
}

/* The handshake is done: the peer counts as one of ours. An outgoing peer is already in the
 * list (as connecting); an incoming one joins it now. */
void bt_torrent_attach_peer(bt_torrent_t *t, struct bt_peer *p)
{
    if (p->incoming) {
        p->next = t->peers;
        t->peers = p;
        struct bt_cand *c = s_cand_add(t, (struct sockaddr *)&p->addr, p->alen);
        if (c)
            c->connected = true;
    } else {
        t->nconnecting--;
        struct bt_cand *c = s_cand_find(t, (struct sockaddr *)&p->addr);
        if (c)
            c->fails = 0;
    }
    t->npeers++;
    cm_log_i("peer", 0, "%s connected (%s) to %s", p->name, p->incoming ? "in" : "out", t->hex);
}

void bt_torrent_detach_peer(bt_torrent_t *t, struct bt_peer *p)
{
    struct bt_peer **pp = &t->peers;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    if (p->state == BT_PS_ACTIVE)
        t->npeers--;
    else if (!p->incoming)
        t->nconnecting--;
    struct bt_cand *c = s_cand_find(t, (struct sockaddr *)&p->addr);
    if (c) {
        c->connected = false;
        if (p->state != BT_PS_ACTIVE)
            c->fails++;
    }
    if (t->picker && p->counted) {
        if (p->counted_seed)
            bt_picker_peer_seed(t->picker, -1);
        else
            bt_picker_peer_bitfield(t->picker, p->bits, -1);
        p->counted = false;
    }
    /* metadata pieces it was asked for go back */
    if (t->md_have)
        for (uint32_t i = 0; i < t->md_npieces; i++)
            if (t->md_have[i] == 1 && t->md_from[i] == p->serial)
                t->md_have[i] = 0;
}

void bt_torrent_ban(bt_torrent_t *t, struct bt_peer *p, const char *why)
{
    struct bt_cand *c = s_cand_add(t, (struct sockaddr *)&p->addr, p->alen);
    if (c)
        c->banned = true;
    t->banned++;
    cm_log_w("peer", 0, "banned %s from %s: %s", p->name, t->hex, why);
    bt_peer_close(p, "banned");
}

/* --- notifications (never from inside an API call) --- */

static void s_on_notify(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_torrent_t *t = arg;
    bt_engine_t *e = t->e;
    int n = t->notify;
    t->notify = 0;
    if ((n & BT_NOTIFY_METADATA) && t->cbs.metadata) {
        t->cbs.metadata(t->cbs.arg, t);
        /* the callback may have removed the torrent */
        bt_torrent_t *still = e->torrents;
        while (still && still != t)
            still = still->next;
        if (!still)
            return;
    }
    if ((n & BT_NOTIFY_COMPLETE) && t->cbs.complete)
        t->cbs.complete(t->cbs.arg, t);
}

static void s_notify(bt_torrent_t *t, int what)
{
    t->notify |= what;
    event_active(t->ev_notify, EV_TIMEOUT, 0);
}

/* --- pieces --- */

static struct bt_partial_contrib *s_contrib(bt_torrent_t *t, uint32_t piece, bool create)
{
    for (uint32_t i = 0; i < t->ncontrib; i++)
        if (t->contrib[i].piece == piece)
            return &t->contrib[i];
    if (!create)
        return NULL;
    if (t->ncontrib == t->contrib_cap) {
        t->contrib_cap = t->contrib_cap ? t->contrib_cap * 2 : 32;
        t->contrib = cm_realloc(t->contrib, t->contrib_cap * sizeof(*t->contrib));
    }
    struct bt_partial_contrib *c = &t->contrib[t->ncontrib++];
    memset(c, 0, sizeof(*c));
    c->piece = piece;
    return c;
}

static void s_contrib_drop(bt_torrent_t *t, uint32_t piece)
{
    struct bt_partial_contrib *c = s_contrib(t, piece, false);
    if (c)
        *c = t->contrib[--t->ncontrib];
}

static struct bt_peer *s_peer_by_serial(bt_torrent_t *t, uint32_t serial)
{
    for (struct bt_peer *p = t->peers; p; p = p->next)
        if (p->serial == serial && p->state != BT_PS_CLOSED)
            return p;
    return NULL;
}

static void s_check_complete(bt_torrent_t *t)
{
    if (t->complete || !t->picker || !bt_picker_complete(t->picker))
        return;
    t->complete = true;
    if (t->st && bt_storage_resume_save(t->st, bt_picker_bitfield(t->picker)) == 0)
        t->resume_dirty = false;
    if (t->swarm && !t->completed_sent &&
        bt_picker_have_count(t->picker) == bt_picker_npieces(t->picker)) {
        t->completed_sent = true;
        bt_trk_swarm_completed(t->swarm);
    }
    bool seed = bt_picker_have_count(t->picker) == bt_picker_npieces(t->picker);
    for (struct bt_peer *p = t->peers, *next; p; p = next) {
        next = p->next;
        if (p->state != BT_PS_ACTIVE)
            continue;
        if (seed && p->seed)
            bt_peer_close(p, "both sides are seeds");
        else
            bt_peer_update_interest(p);
    }
    s_notify(t, BT_NOTIFY_COMPLETE);
}

static void s_piece_done(bt_torrent_t *t, uint32_t piece)
{
    int v = bt_storage_verify(t->st, piece);
    if (v == 1) {
        s_contrib_drop(t, piece);
        bt_picker_set_have(t->picker, piece);
        t->resume_dirty = true;
        for (struct bt_peer *p = t->peers; p; p = p->next)
            if (p->state == BT_PS_ACTIVE && !p->seed)
                bt_peer_send_have(p, piece);
        if (t->cbs.piece)
            t->cbs.piece(t->cbs.arg, t, piece);
        s_check_complete(t);
        return;
    }
    t->hash_failures++;
    bt_picker_hash_failed(t->picker, piece);
    struct bt_partial_contrib *c = s_contrib(t, piece, false);
    char from[160] = "";
    if (c) {
        size_t off = 0;
        for (uint8_t i = 0; i < c->n; i++) {
            struct bt_peer *p = s_peer_by_serial(t, c->ids[i]);
            if (p && off < sizeof(from))
                off += (size_t)snprintf(from + off, sizeof(from) - off, "%s%s", off ? " " : "",
                                        p->name);
        }
    }
    cm_log_w("torrent", 0, "%s: piece %" PRIu32 " failed its hash check%s%s%s", t->hex, piece,
             v < 0 ? " (read error)" : "", from[0] ? "; sent by " : "", from);
    if (!c || v < 0) {
        s_contrib_drop(t, piece);
        return;
    }
    uint32_t ids[BT_CONTRIB_MAX];
    uint8_t n = c->n;
    memcpy(ids, c->ids, sizeof(ids));
    s_contrib_drop(t, piece);
    for (uint8_t i = 0; i < n; i++) {
        struct bt_peer *p = s_peer_by_serial(t, ids[i]);
        if (!p)
            continue;
        p->hashfails++;
        if (n == 1)
            bt_torrent_ban(t, p, "sent a piece that failed its hash check");
        else if (p->hashfails >= BT_HASHFAIL_BAN)
            bt_torrent_ban(t, p, "took part in too many pieces that failed their hash check");
    }
}

void bt_torrent_block_in(bt_torrent_t *t, struct bt_peer *p, uint32_t piece, uint32_t begin,
                         const uint8_t *data, uint32_t len)
{
    int r = bt_picker_received(t->picker, piece, begin);
    if (r < 0)
        return; /* had already (endgame duplicate) */
    bt_engine_t *e = t->e;
    if (e->opts.cache && bt_cache_reserve(e->opts.cache, t->info_hash, len) < 0) {
        cm_log_w("torrent", 0, "%s: the disk cache is full of torrents in use; dropping a block",
                 t->hex);
        bt_picker_hash_failed(t->picker, piece);
        s_contrib_drop(t, piece);
        return;
    }
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    if (bt_storage_writev(t->st, piece, begin, &iov, 1) < 0) {
        cm_log_e("torrent", 0, "%s: cannot write piece %" PRIu32 ": %s", t->hex, piece,
                 strerror(errno));
        bt_picker_hash_failed(t->picker, piece);
        s_contrib_drop(t, piece);
        return;
    }
    if (t->first_block_ms == 0)
        t->first_block_ms = cm_mono_ms();
    if (p->downloaded == len) /* its first block */
        t->peers_used++;
    t->downloaded += len;
    t->down_win += len;
    e->downloaded += len;
    e->down_win += len;
    struct bt_partial_contrib *c = s_contrib(t, piece, true);
    bool known = false;
    for (uint8_t i = 0; i < c->n; i++)
        known |= c->ids[i] == p->serial;
    if (!known && c->n < BT_CONTRIB_MAX)
        c->ids[c->n++] = p->serial;
    /* endgame: the others asked for this block too; cancel theirs */
    uint32_t left = bt_picker_npieces(t->picker) - bt_picker_have_count(t->picker);
    if (left <= bt_picker_partial_count(t->picker) + 1)
        for (struct bt_peer *q = t->peers; q; q = q->next)
            if (q != p && q->state == BT_PS_ACTIVE && bt_peer_has_req(q, piece, begin))
                bt_peer_cancel_block(q, piece, begin);
    if (r == 1)
        s_piece_done(t, piece);
}

/* --- metadata (magnet) --- */

static void s_init_data(bt_torrent_t *t);

static void s_md_reset(bt_torrent_t *t)
{
    cm_free(t->md_buf);
    cm_free(t->md_have);
    cm_free(t->md_req_at);
    cm_free(t->md_from);
    t->md_buf = NULL;
    t->md_have = NULL;
    t->md_req_at = NULL;
    t->md_from = NULL;
    t->md_size = t->md_npieces = 0;
}

void bt_torrent_md_reject(bt_torrent_t *t, struct bt_peer *p, uint32_t piece)
{
    if (p->md_out > 0)
        p->md_out--;
    p->md_bad = true; /* it does not have it: ask the others */
    if (t->md_have && piece < t->md_npieces && t->md_have[piece] == 1 &&
        t->md_from[piece] == p->serial)
        t->md_have[piece] = 0;
    for (struct bt_peer *q = t->peers; q; q = q->next)
        bt_peer_md_request(q);
}

void bt_torrent_md_data(bt_torrent_t *t, struct bt_peer *p, const struct bt_md_msg *m)
{
    if (p->md_out > 0)
        p->md_out--;
    if (t->mi || !t->md_buf)
        return;
    if (m->piece >= t->md_npieces || m->total_size != (int64_t)t->md_size) {
        p->md_bad = true; /* not the metadata we are collecting: ask the others */
        cm_log_i("peer", 0, "%s: metadata piece %" PRIu32 " of total %" PRId64 " refused", p->name,
                 m->piece, m->total_size);
        return;
    }
    if (t->md_have[m->piece] == 2)
        return;
    size_t off = (size_t)m->piece * BT_METADATA_PIECE;
    size_t want = CM_MIN((size_t)BT_METADATA_PIECE, t->md_size - off);
    if (m->dlen != want) {
        p->md_bad = true;
        return;
    }
    memcpy(t->md_buf + off, m->data, want);
    t->md_have[m->piece] = 2;
    t->md_from[m->piece] = p->serial;
    bool all = true;
    for (uint32_t i = 0; i < t->md_npieces && all; i++)
        all = t->md_have[i] == 2;
    if (!all) {
        bt_peer_md_request(p);
        return;
    }
    char err[CM_ERR_LEN];
    bt_metainfo_t *mi =
        bt_metainfo_from_info(t->md_buf, t->md_size, t->info_hash, err, sizeof(err));
    if (!mi) {
        cm_log_w("torrent", 0, "%s: metadata from the swarm refused: %s", t->hex, err);
        for (uint32_t i = 0; i < t->md_npieces; i++) {
            struct bt_peer *q = s_peer_by_serial(t, t->md_from[i]);
            if (q)
                q->md_bad = true;
        }
        s_md_reset(t);
        return;
    }
    s_md_reset(t);
    cm_log_n("torrent", 0, "%s: metadata received: \"%s\", %" PRIu32 " files, %" PRIu64 " bytes",
             t->hex, mi->name, mi->nfiles, mi->total_len);
    t->mi = mi;
    if (!(t->flags & BT_TF_METADATA_ONLY))
        s_init_data(t);
    for (struct bt_peer *q = t->peers; q; q = q->next)
        bt_peer_metadata_ready(q);
    s_notify(t, BT_NOTIFY_METADATA);
}

/* --- storage and picker, once the metadata is known --- */

static void s_check_progress(void *arg, uint32_t done, uint32_t total)
{
    bt_torrent_t *t = arg;
    if (done % 256 == 0 || done == total)
        cm_log_d("torrent", 0, "%s: checked %" PRIu32 "/%" PRIu32, t->hex, done, total);
}

static void s_init_data(bt_torrent_t *t)
{
    char err[CM_ERR_LEN];
    t->st = bt_storage_open(t->root, t->mi, err, sizeof(err));
    if (!t->st) {
        cm_log_e("torrent", 0, "%s: %s", t->hex, err);
        return;
    }
    t->picker = bt_picker_new(t->mi->npieces, t->mi->piece_len, t->mi->total_len);
    if (!t->picker) { /* sizes the picker refuses: nothing can be downloaded */
        cm_log_e("torrent", 0, "%s: %" PRIu32 " pieces of %" PRIu32 " bytes: not supported", t->hex,
                 t->mi->npieces, t->mi->piece_len);
        bt_storage_destroy(&t->st);
        return;
    }
    uint32_t nbytes = (t->mi->npieces + 7) / 8;
    uint8_t *bits = cm_calloc(nbytes, 1);
    long have;
    if (t->flags & BT_TF_SEED_CHECK) {
        have = bt_storage_check_all(t->st, bits, s_check_progress, t);
    } else {
        have = bt_storage_resume_load(t->st, bits);
        if (have == 0 && bt_storage_disk_usage(t->st) > 0)
            have = bt_storage_check_all(t->st, bits, s_check_progress, t);
    }
    if (have > 0)
        for (uint32_t i = 0; i < t->mi->npieces; i++)
            if ((bits[i / 8] >> (7 - i % 8)) & 1)
                bt_picker_set_have(t->picker, i);
    cm_free(bits);
    if (have > 0)
        cm_log_n("torrent", 0, "%s: %ld of %" PRIu32 " pieces already on disk", t->hex, have,
                 t->mi->npieces);
    if (t->flags & BT_TF_PAUSED_DATA)
        bt_picker_set_priority(t->picker, 0, t->mi->npieces - 1, BT_PRIO_SKIP);
    s_check_complete(t);
}

/* --- choking --- */

static int s_cmp_down(const void *a, const void *b)
{
    const struct bt_peer *x = *(struct bt_peer *const *)a, *y = *(struct bt_peer *const *)b;
    return x->down_round < y->down_round ? 1 : x->down_round > y->down_round ? -1 : 0;
}

static int s_cmp_up(const void *a, const void *b)
{
    const struct bt_peer *x = *(struct bt_peer *const *)a, *y = *(struct bt_peer *const *)b;
    return x->up_round > y->up_round ? 1 : x->up_round < y->up_round ? -1 : 0;
}

/* Every BT_RECHOKE_TICKS: while downloading, the peers that gave us most in the last round
 * (tit for tat); while seeding, the peers we served least (round robin fairness). One slot is
 * optimistic, moved every BT_OPTIMISTIC_ROUNDS rounds to a random choked interested peer. */
static void s_rechoke(bt_torrent_t *t)
{
    struct bt_peer *cands[256];
    size_t n = 0;
    for (struct bt_peer *p = t->peers; p && n < CM_ARRAY_LEN(cands); p = p->next)
        if (p->state == BT_PS_ACTIVE && p->peer_interested && !p->seed)
            cands[n++] = p;
    qsort(cands, n, sizeof(cands[0]), t->complete ? s_cmp_up : s_cmp_down);
    uint32_t slots = t->e->opts.upload_slots;
    uint32_t regular = slots > 1 ? slots - 1 : slots;
    bool rotate = (t->rechoke_round++ % BT_OPTIMISTIC_ROUNDS) == 0;
    struct bt_peer *opt = NULL;
    for (struct bt_peer *p = t->peers; p; p = p->next)
        if (p->optimistic && !rotate && p->state == BT_PS_ACTIVE && p->peer_interested)
            opt = p;
    for (size_t i = 0; i < n; i++)
        cands[i]->optimistic = false;
    if (!opt && n > regular) {
        uint32_t r;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            r = (uint32_t)cm_mono_us();
        opt = cands[regular + r % (n - regular)];
    }
    if (opt)
        opt->optimistic = true;
    for (size_t i = 0; i < n; i++)
        bt_peer_set_choke(cands[i], !(i < regular || cands[i] == opt));
    for (struct bt_peer *p = t->peers; p; p = p->next) {
        if (p->state == BT_PS_ACTIVE && (!p->peer_interested || p->seed))
            bt_peer_set_choke(p, true);
        p->down_round = p->up_round = 0;
    }
}

/* --- tick --- */

void bt_torrent_tick(bt_torrent_t *t, uint64_t now)
{
    for (struct bt_peer *p = t->peers, *next; p; p = next) {
        next = p->next;
        bt_peer_tick(p, now);
    }
    t->down_bps = (t->down_bps + t->down_win * 1000 / BT_TICK_MS) / 2;
    t->up_bps = (t->up_bps + t->up_win * 1000 / BT_TICK_MS) / 2;
    t->down_win = t->up_win = 0;
    if (t->picker && (t->rechoke_round == 0 || now / BT_TICK_MS % BT_RECHOKE_TICKS == 0))
        s_rechoke(t);
    /* metadata requests nobody answered */
    if (t->md_have) {
        for (uint32_t i = 0; i < t->md_npieces; i++) {
            if (t->md_have[i] == 1 && now - t->md_req_at[i] > BT_MD_REQ_TIMEOUT_MS) {
                struct bt_peer *p = s_peer_by_serial(t, t->md_from[i]);
                if (p && p->md_out > 0)
                    p->md_out--;
                t->md_have[i] = 0;
            }
        }
    }
    if (t->st && t->resume_dirty && now - t->resume_saved_ms > BT_RESUME_SAVE_MS) {
        if (bt_storage_resume_save(t->st, bt_picker_bitfield(t->picker)) == 0)
            t->resume_dirty = false;
        t->resume_saved_ms = now;
    }
    if (t->npeers < 5 && t->swarm && !t->complete)
        bt_trk_swarm_more_peers(t->swarm);
    s_dht_tick(t, now);
    bt_torrent_connect_some(t);
}

/* --- the DHT --- */

static void s_on_dht_peers(void *arg, const struct sockaddr_storage *peers, size_t n)
{
    bt_torrent_t *t = arg;
    t->dht_peers += (uint32_t)n;
    cm_log_d("torrent", 0, "%s: %zu peers from the DHT", t->hex, n);
    bt_torrent_add_cands(t, peers, n);
}

static void s_on_dht_done(void *arg)
{
    bt_torrent_t *t = arg;
    t->dht_lookup = 0;
}

/* Look up (and announce to) the DHT now and then; never for a private torrent (BEP 27). */
static void s_dht_tick(bt_torrent_t *t, uint64_t now)
{
    bt_dht_t *dht = t->e->dht;
    if (!dht || t->e->paused || t->dht_lookup || now < t->dht_next_ms || (t->mi && t->mi->private_))
        return;
    t->dht_lookup =
        bt_dht_get_peers(dht, t->info_hash, t->e->port, s_on_dht_peers, s_on_dht_done, t);
    t->dht_next_ms = now + (t->npeers < BT_DHT_FEW_PEERS && !t->complete ? BT_DHT_RELOOK_FEW_MS
                                                                         : BT_DHT_RELOOK_MS);
}

/* --- tracker callbacks --- */

static void s_on_tracker_peers(void *arg, const struct sockaddr_storage *peers, size_t n)
{
    bt_torrent_t *t = arg;
    cm_log_d("torrent", 0, "%s: %zu peers from a tracker", t->hex, n);
    bt_torrent_add_cands(t, peers, n);
}

static void s_on_tracker_stats(void *arg, struct bt_trk_stats *out)
{
    bt_torrent_t *t = arg;
    out->uploaded = t->uploaded;
    out->downloaded = t->downloaded;
    out->left = t->picker ? bt_picker_left(t->picker) : (t->mi ? t->mi->total_len : 1);
}

/* --- life --- */

static bt_torrent_t *s_new(bt_engine_t *e, const uint8_t hash[20], const char *root, int flags,
                           const struct bt_torrent_cbs *cbs)
{
    bt_torrent_t *t = cm_calloc(1, sizeof(*t));
    t->tag = BT_TORRENT_TAG;
    t->e = e;
    memcpy(t->info_hash, hash, 20);
    bt_hash_hex(hash, t->hex);
    t->root = cm_strdup(root);
    t->flags = flags;
    if (cbs)
        t->cbs = *cbs;
    t->ev_notify = event_new(e->base, -1, 0, s_on_notify, t);
    return t;
}

static void s_start(bt_torrent_t *t, const struct bt_tracker_url *urls, size_t n)
{
    bt_engine_t *e = t->e;
    struct bt_trk_swarm_cbs cbs = {
        .peers = s_on_tracker_peers,
        .stats = s_on_tracker_stats,
        .arg = t,
    };
    t->swarm = bt_trk_swarm_new(bt_engine_trk(e), t->info_hash, urls, n, &cbs);
    if (t->swarm && e->nbest > 0)
        bt_trk_swarm_add(t->swarm, (const char *const *)e->best, e->nbest);
    if (t->mi && !(t->flags & BT_TF_METADATA_ONLY))
        s_init_data(t);
    if (t->swarm)
        bt_trk_swarm_start(t->swarm);
    t->dht_next_ms = 0; /* the first tick asks the DHT */
    t->next = e->torrents;
    e->torrents = t;
    e->ntorrents++;
    if (e->opts.cache)
        bt_cache_pin(e->opts.cache, t->info_hash);
}

bt_torrent_t *bt_engine_add_metainfo(bt_engine_t *e, bt_metainfo_t *mi, const char *root, int flags,
                                     const struct bt_torrent_cbs *cbs, char *err, size_t errlen)
{
    if (bt_engine_find(e, mi->info_hash)) {
        snprintf(err, errlen, "torrent %s is already loaded", mi->name);
        bt_metainfo_destroy(&mi);
        return NULL;
    }
    bt_torrent_t *t = s_new(e, mi->info_hash, root, flags, cbs);
    t->mi = mi;
    s_start(t, mi->trackers, mi->ntrackers);
    if (t->mi && !(flags & BT_TF_METADATA_ONLY) && !t->st) {
        snprintf(err, errlen, "cannot open the files of %s under %s", mi->name, root);
        bt_torrent_remove(&t);
        return NULL;
    }
    if (flags & BT_TF_METADATA_ONLY)
        s_notify(t, BT_NOTIFY_METADATA);
    return t;
}

bt_torrent_t *bt_engine_add_magnet(bt_engine_t *e, const struct bt_magnet *m, const char *root,
                                   int flags, const struct bt_torrent_cbs *cbs, char *err,
                                   size_t errlen)
{
    if (bt_engine_find(e, m->info_hash)) {
        snprintf(err, errlen, "that torrent is already loaded");
        return NULL;
    }
    bt_torrent_t *t = s_new(e, m->info_hash, root, flags, cbs);
    t->dn = m->dn ? cm_strdup(m->dn) : NULL;
    struct bt_tracker_url *urls = cm_calloc(m->ntr ? m->ntr : 1, sizeof(*urls));
    for (size_t i = 0; i < m->ntr; i++) {
        urls[i].url = m->tr[i];
        urls[i].tier = (int)i; /* a magnet's trackers: one tier each, all announced to */
    }
    s_start(t, urls, m->ntr);
    cm_free(urls);
    if (m->npeers > 0)
        bt_torrent_add_cands(t, m->peers, m->npeers);
    return t;
}

void bt_torrent_add_trackers(bt_torrent_t *t, const char *const *urls, size_t n)
{
    if (t->swarm && n > 0)
        bt_trk_swarm_add(t->swarm, urls, n);
    if (t->swarm)
        bt_trk_swarm_more_peers(t->swarm);
}

void bt_torrent_remove(bt_torrent_t **t_p)
{
    if (!t_p || !*t_p)
        return;
    bt_torrent_t *t = *t_p;
    *t_p = NULL;
    bt_engine_t *e = t->e;
    t->removing = true;
    while (t->peers)
        bt_peer_close(t->peers, "torrent removed");
    bt_torrent_t **pp = &e->torrents;
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = t->next;
        e->ntorrents--;
        if (e->opts.cache)
            bt_cache_unpin(e->opts.cache, t->info_hash);
    }
    if (t->st && t->picker && t->resume_dirty)
        (void)bt_storage_resume_save(t->st, bt_picker_bitfield(t->picker));
    bt_trk_swarm_destroy(&t->swarm);
    if (t->dht_lookup && e->dht)
        bt_dht_cancel(e->dht, t->dht_lookup);
    bt_storage_destroy(&t->st);
    bt_picker_destroy(&t->picker);
    bt_metainfo_destroy(&t->mi);
    s_md_reset(t);
    event_free(t->ev_notify);
    cm_free(t->cands);
    cm_free(t->contrib);
    cm_free(t->root);
    cm_free(t->dn);
    t->tag = 0xdeadbeef;
    cm_free(t);
}

/* --- accessors --- */

const bt_metainfo_t *bt_torrent_metainfo(const bt_torrent_t *t)
{
    return t->mi;
}

bt_picker_t *bt_torrent_picker(bt_torrent_t *t)
{
    return t->picker;
}

const uint8_t *bt_torrent_info_hash(const bt_torrent_t *t)
{
    return t->info_hash;
}

void bt_torrent_file_path(const bt_torrent_t *t, uint32_t i, char *out, size_t len)
{
    if (!t->st) {
        if (len)
            out[0] = '\0';
        return;
    }
    bt_storage_file_path(t->st, i, out, len);
}

int bt_torrent_read(bt_torrent_t *t, uint64_t offset, void *buf, size_t len)
{
    if (!t->st || !t->mi || offset + len > t->mi->total_len || len == 0)
        return -1;
    uint8_t *out = buf;
    while (len > 0) {
        uint32_t piece = (uint32_t)(offset / t->mi->piece_len);
        uint32_t begin = (uint32_t)(offset % t->mi->piece_len);
        size_t n = CM_MIN(len, (size_t)(bt_metainfo_piece_size(t->mi, piece) - begin));
        if (!bt_picker_have(t->picker, piece) || bt_storage_read(t->st, piece, begin, out, n) < 0)
            return -1;
        out += n;
        offset += n;
        len -= n;
    }
    return 0;
}

void bt_torrent_stats(const bt_torrent_t *t, struct bt_torrent_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->has_metadata = t->mi != NULL;
    out->complete = t->complete;
    if (t->picker) {
        out->pieces_have = bt_picker_have_count(t->picker);
        out->npieces = bt_picker_npieces(t->picker);
        out->total = t->mi->total_len;
        uint64_t left = bt_picker_left(t->picker);
        out->done = out->total > left ? out->total - left : 0;
    }
    out->down_bps = t->down_bps;
    out->up_bps = t->up_bps;
    out->downloaded = t->downloaded;
    out->uploaded = t->uploaded;
    for (const struct bt_peer *p = t->peers; p; p = p->next) {
        if (p->state == BT_PS_ACTIVE) {
            out->peers++;
            out->seeds += p->seed;
        } else {
            out->connecting++;
        }
    }
    out->known_peers = t->ncands;
    out->dht_peers = t->dht_peers;
    out->peers_used = t->peers_used;
    out->first_block_ms = t->first_block_ms;
    out->hash_failures = t->hash_failures;
    out->banned = t->banned;
    if (t->swarm) {
        struct bt_trk_swarm_info si;
        bt_trk_swarm_info(t->swarm, &si);
        out->trackers = si.trackers;
        out->trackers_answered = si.answered;
        out->tracker_peers = si.peers;
        snprintf(out->tracker_error, sizeof(out->tracker_error), "%s", si.last_error);
    }
}

/* --- wants steered from outside (streaming) --- */

void bt_torrent_settle(bt_torrent_t *t)
{
    if (t->complete && t->picker && bt_picker_have_count(t->picker) < bt_picker_npieces(t->picker))
        t->complete = false;
}

/* Cancel our requests for pieces nobody wants (SKIP and not had). */
static void s_cancel_unwanted(bt_torrent_t *t)
{
    bt_picker_t *pk = t->picker;
    uint32_t n = 0;
    for (struct bt_peer *p = t->peers; p; p = p->next) {
        if (p->state != BT_PS_ACTIVE)
            continue;
        for (uint32_t i = 0; i < p->nreqs;) {
            const struct bt_req *r = &p->reqs[i];
            if (bt_picker_priority(pk, r->piece) == BT_PRIO_SKIP && !bt_picker_have(pk, r->piece)) {
                bt_peer_cancel_block(p, r->piece, r->begin); /* the last one moves to i */
                n++;
                continue;
            }
            i++;
        }
    }
    if (n > 0)
        cm_log_d("torrent", 0, "%s: %" PRIu32 " requests of abandoned pieces cancelled", t->hex, n);
}

static int s_cmp_peer_rate(const void *a, const void *b)
{
    const struct bt_peer *x = *(struct bt_peer *const *)a, *y = *(struct bt_peer *const *)b;
    return x->down_bps < y->down_bps ? 1 : x->down_bps > y->down_bps ? -1 : 0;
}

void bt_torrent_wanted_changed(bt_torrent_t *t, bool cancel)
{
    bt_torrent_settle(t);
    if (!t->picker)
        return;
    if (cancel)
        s_cancel_unwanted(t);
    if (bt_picker_complete(t->picker))
        return;
    enum { PEERS_SORT_MAX = 256 };
    struct bt_peer *peers[PEERS_SORT_MAX];
    size_t n = 0;
    for (struct bt_peer *p = t->peers; p && n < PEERS_SORT_MAX; p = p->next)
        if (p->state == BT_PS_ACTIVE)
            peers[n++] = p;
    qsort(peers, n, sizeof(peers[0]), s_cmp_peer_rate);
    for (size_t i = 0; i < n; i++) {
        if (!peers[i]->am_interested)
            bt_peer_update_interest(peers[i]);
        bt_peer_fill_requests(peers[i]);
    }
}

void bt_torrent_set_paused(bt_torrent_t *t, bool paused)
{
    bt_engine_t *e = t->e;
    if (paused) {
        /* a connection closed by us is no failure of its address */
        uint8_t *fails = t->ncands ? cm_malloc(t->ncands) : NULL;
        for (uint32_t i = 0; i < t->ncands; i++)
            fails[i] = t->cands[i].fails;
        uint32_t n = t->ncands;
        while (t->peers)
            bt_peer_close(t->peers, "swarm traffic paused");
        for (uint32_t i = 0; i < n && i < t->ncands; i++)
            t->cands[i].fails = fails[i];
        cm_free(fails);
        if (t->dht_lookup && e->dht)
            bt_dht_cancel(e->dht, t->dht_lookup);
        t->dht_lookup = 0;
        return;
    }
    for (uint32_t i = 0; i < t->ncands; i++)
        t->cands[i].next_try_ms = 0;
    t->dht_next_ms = 0;
    s_dht_tick(t, cm_mono_ms());
    bt_torrent_connect_some(t);
}

bool bt_torrent_retry_peers(bt_torrent_t *t)
{
    if (t->npeers > 0 || !t->picker || bt_picker_complete(t->picker))
        return false;
    for (uint32_t i = 0; i < t->ncands; i++)
        if (!t->cands[i].connected && t->cands[i].fails < BT_CONNECT_FAILS_MAX)
            t->cands[i].next_try_ms = 0;
    bt_torrent_connect_some(t);
    if (t->swarm)
        bt_trk_swarm_more_peers(t->swarm);
    return true;
}
