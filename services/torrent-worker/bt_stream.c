/* SPDX-License-Identifier: MIT
 * bt_stream: OPEN, READ, STREAM_CREDIT and CLOSE on the pool connection; CHUNK and READ_END
 * back (see bt_stream.h for the contract).
 *
 * Pieces and priorities. A torrent is added with BT_TF_PAUSED_DATA: every piece is SKIP. What
 * a piece is worth is then a pure function of who needs it (s_desired): the head and tail of
 * the main file (HIGH, from OPEN on), each read's critical pieces (CRITICAL plus a deadline:
 * the picker hands out their blocks first, earliest deadline first) and each read's readahead
 * window (READAHEAD); nothing else is wanted. When a read's window moves, only the pieces that
 * enter, leave or change class are recomputed (s_apply_window), so a read that slides one
 * piece costs a few pieces of work, not its whole window. Pieces nobody wants any more have
 * their requests cancelled.
 *
 * Late blocks. The picker already duplicates them: once a piece's deadline has passed, its
 * blocks in flight are handed out again to other peers (at most BT_PICKER_DUP_MAX requests per
 * block, never twice to one peer). That only happens when a peer with a free request slot
 * asks the picker, so while a read's first critical piece is late the tick asks every peer
 * again (s_engine_kick), fastest first.
 *
 * Sending. Bytes go out only from pieces the picker holds as verified (bt_torrent_read refuses
 * any other), read from the disk cache into one scratch chunk and copied into the socket at
 * once: a read holds no buffer of its own. The piece callback runs inside the engine's block
 * handling, so it only marks the torrent and wakes s_on_pump on the next loop turn.
 *
 * Engine glue: after priorities change, bt_torrent_wanted_changed() makes peers re-evaluate
 * their interest and ask for blocks now, and cancels requests for pieces nobody wants;
 * bt_torrent_settle() keeps a streaming torrent "complete" only when it has every piece. */
#include "bt_stream.h"
#include <sys/stat.h>

#define BT_STREAM_TAG 0xb7500001u

enum {
    S_TICK_MS = 250,                /* housekeeping: timeouts, linger, retries, rates */
    S_RATE_FLOOR = 1024 * 1024,     /* bytes/s assumed for deadline spacing at least */
    S_STEP_MIN_MS = 50,             /* spacing of successive critical deadlines ... */
    S_STEP_MAX_MS = 2000,           /* ... within these bounds */
    S_RECONNECT_EVERY_MS = 5000,    /* wanted again with no peer: retry known addresses */
    S_TORRENT_BYTES_MAX = 16 << 20, /* .torrent bytes in OPEN_OK */
    S_FILES_LISTED = 1000,          /* OPEN_OK file list (proto cap) */
};

/* Pieces [first, last] are the read's window; [first, crit_last] are critical, the rest is
 * readahead. */
struct s_window {
    bool on;            /* false: no window */
    uint32_t first;     /* piece under the read position */
    uint32_t crit_last; /* last critical piece */
    uint32_t last;      /* last piece of the readahead */
};

struct s_read {
    uint64_t id;           /* the proxy's stream id */
    struct s_torrent *tor; /* its torrent */
    uint32_t file;         /* file index */
    uint64_t file_off;     /* torrent offset of the file's first byte */
    uint64_t pos;          /* torrent offset of the next byte to send */
    uint64_t end;          /* torrent offset after the last byte wanted */
    uint64_t credit;       /* bytes we may still send */
    uint64_t ra_bytes;     /* readahead window now */
    uint64_t ra_cap;       /* ... at most */
    uint64_t ra_mark;      /* pos when the window last grew or was reset */
    struct s_window win;   /* pieces it holds wanted */
    uint64_t dl_base;      /* deadline of win.first, mono ms */
    uint32_t dl_step;      /* ms between the deadlines of successive critical pieces */
    uint64_t rate;         /* bytes/s sent, smoothed over ticks */
    uint64_t sent_win;     /* bytes sent since the last tick */
    uint64_t sent;         /* bytes sent in all */
    uint64_t active_ms;    /* last READ, credit or byte sent */
    uint64_t start_ms;     /* the READ that started it (or the last seek) */
    char *local_path;      /* CHUNK_LOCAL: the file's path under cache_dir (owned); NULL: CHUNK */
    struct s_read *next;   /* in tor->reads */
};

struct s_waiter {
    cm_defer_t *defer;    /* the OPEN */
    uint64_t deadline_ms; /* mono ms */
    uint32_t timeout_ms;  /* as asked (for the sentence) */
    bool want_torrent;    /* it came without .torrent bytes: send ours */
};

struct s_torrent {
    bt_stream_t *self;          /* the module */
    uint8_t hash[20];           /* info-hash */
    char hex[41];               /* ... in lower-case hex */
    bt_torrent_t *t;            /* in the engine; NULL until added */
    bt_metainfo_t *pending_mi;  /* source to add (owned until added) */
    struct bt_magnet pending_m; /* ... or this magnet (owned) */
    bool has_pending_m;         /* pending_m holds a magnet */
    char **tr;             /* a copy of the magnet's trackers, for the .torrent we write (owned) */
    size_t ntr;            /* entries in tr */
    bool ready;            /* metadata known, storage open: OPEN_OK given */
    struct s_window head;  /* preload of the main file's head (HIGH) */
    struct s_window tail;  /* ... and tail */
    bool need_kick;        /* priorities rose: peers should ask now */
    bool need_cancel;      /* pieces became unwanted: cancel their requests */
    bool dirty;            /* pieces verified since the last pump */
    uint64_t reconnect_ms; /* last time known addresses were retried */
    uint64_t idle_since;   /* mono ms since which no read and no OPEN uses it; 0 = in use */
    struct s_waiter waiters[BT_STREAM_WAITERS_MAX]; /* OPENs waiting for the metadata */
    uint32_t nwaiters;                              /* entries in waiters */
    struct s_read *reads;                           /* its reads */
    uint32_t nreads;                                /* entries in reads */
    struct s_torrent *next;                         /* in self->torrents */
};

struct bt_stream {
    uint32_t tag;               /* BT_STREAM_TAG while alive */
    struct event_base *base;    /* the loop */
    cm_rpc_t *rpc;              /* borrowed: the pool DEALER */
    bt_engine_t *engine;        /* borrowed */
    bt_cache_t *cache;          /* borrowed, may be NULL */
    const char *cache_dir;      /* borrowed: files go under it without a bt_cache */
    uint32_t reads_max;         /* reads at once */
    int linger_ms;              /* STREAM_LINGER */
    struct s_torrent *torrents; /* opened for streaming */
    uint32_t ntorrents;         /* entries in torrents */
    uint32_t nreads;            /* reads in all torrents */
    struct event *ev_tick;      /* every S_TICK_MS */
    struct event *ev_pump;      /* after pieces verified */
    bool blocked;               /* the socket refused a message (HWM): wait for the next tick */
    bool draining;              /* no new torrent (bt_stream_set_draining) */
    uint8_t *scratch;           /* one chunk, read from disk and sent at once */
    cm_buf_t *buf;              /* bodies of CHUNK and READ_END */
};

/* --- engine glue --- */

/* Priorities rose: peers ask for blocks now (bt_torrent_wanted_changed); with no peer at all,
 * the known addresses are tried again, at most every S_RECONNECT_EVERY_MS. */
static void s_engine_kick(struct s_torrent *tor, bool cancel)
{
    bt_torrent_wanted_changed(tor->t, cancel);
    uint64_t now = cm_mono_ms();
    if (now - tor->reconnect_ms >= S_RECONNECT_EVERY_MS && bt_torrent_retry_peers(tor->t))
        tor->reconnect_ms = now;
}

/* --- small helpers --- */

static inline bool s_in(const struct s_window *w, uint32_t i)
{
    return w->on && i >= w->first && i <= w->last;
}

static uint64_t s_min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static struct s_torrent *s_find_torrent(bt_stream_t *self, const uint8_t hash[20])
{
    for (struct s_torrent *tor = self->torrents; tor; tor = tor->next)
        if (memcmp(tor->hash, hash, 20) == 0)
            return tor;
    return NULL;
}

static struct s_read *s_find_read(bt_stream_t *self, uint64_t id)
{
    for (struct s_torrent *tor = self->torrents; tor; tor = tor->next)
        for (struct s_read *r = tor->reads; r; r = r->next)
            if (r->id == id)
                return r;
    return NULL;
}

/* READ_END for `id`. 0, or -1 when the socket refused it (queue full, or no proxy). */
static int s_send_end(bt_stream_t *self, uint64_t id, int status, const char *fmt, ...)
    CM_PRINTF(4, 5);
static int s_send_end(bt_stream_t *self, uint64_t id, int status, const char *fmt, ...)
{
    struct torrent_read_end e;
    memset(&e, 0, sizeof(e));
    e.stream_id = id;
    e.status = (uint16_t)status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.reason, sizeof(e.reason), fmt, ap);
    va_end(ap);
    cm_buf_reset(self->buf);
    if (torrent_read_end_encode(&e, self->buf) < 0 ||
        cm_rpc_send(self->rpc, NULL, TORRENT_PROTO, TORRENT_MSG_READ_END, 0, self->buf, NULL) < 0) {
        cm_log_d("stream", 0, "read %" PRIu64 ": READ_END could not be sent", id);
        return -1;
    }
    if (status != 0)
        cm_log_i("stream", 0, "read %" PRIu64 " ends: %s: %s", id, cm_status_str(status), e.reason);
    return 0;
}

/* --- priorities --- */

/* What piece i of `tor` is worth now, and its deadline (0: none). */
static int s_desired(const struct s_torrent *tor, uint32_t i, uint64_t *deadline_out)
{
    int prio = BT_PRIO_SKIP;
    uint64_t dl = 0;
    if (s_in(&tor->head, i) || s_in(&tor->tail, i))
        prio = BT_PRIO_HIGH;
    for (const struct s_read *r = tor->reads; r; r = r->next) {
        if (!s_in(&r->win, i))
            continue;
        if (i <= r->win.crit_last) {
            uint64_t d = r->dl_base + (uint64_t)(i - r->win.first) * r->dl_step;
            dl = dl == 0 ? d : s_min64(dl, d);
            prio = BT_PRIO_CRITICAL;
        } else if (prio < BT_PRIO_READAHEAD) {
            prio = BT_PRIO_READAHEAD;
        }
    }
    *deadline_out = dl;
    return prio;
}

/* Bring pieces [first, last] to what they are worth. */
static void s_reprio(struct s_torrent *tor, uint32_t first, uint32_t last)
{
    bt_picker_t *pk = tor->t ? bt_torrent_picker(tor->t) : NULL;
    if (!pk || first > last)
        return;
    last = CM_MIN(last, bt_picker_npieces(pk) - 1);
    for (uint32_t i = first; i <= last; i++) {
        uint64_t dl;
        int want = s_desired(tor, i, &dl);
        int was = bt_picker_priority(pk, i);
        if (want != was) {
            bt_picker_set_priority(pk, i, i, want);
            if (!bt_picker_have(pk, i)) {
                if (want > was)
                    tor->need_kick = true;
                else if (want == BT_PRIO_SKIP)
                    tor->need_cancel = true;
            }
        }
        if (bt_picker_set_deadline(pk, i, dl) < 0)
            cm_log_d("stream", 0, "%s: piece %" PRIu32 ": no room for a deadline", tor->hex, i);
        else if (dl)
            tor->need_kick = true;
    }
}

/* Pieces of window `x` that are not in window `y`. */
static void s_reprio_minus(struct s_torrent *tor, const struct s_window *x,
                           const struct s_window *y)
{
    if (!x->on)
        return;
    if (!y->on || y->last < x->first || y->first > x->last) {
        s_reprio(tor, x->first, x->last);
        return;
    }
    if (x->first < y->first)
        s_reprio(tor, x->first, y->first - 1);
    if (x->last > y->last)
        s_reprio(tor, y->last + 1, x->last);
}

/* Peers ask now for what rose; requests of what fell are cancelled. */
static void s_flush(struct s_torrent *tor)
{
    if (!tor->t || !bt_torrent_picker(tor->t))
        return;
    if (tor->need_kick || tor->need_cancel)
        s_engine_kick(tor, tor->need_cancel);
    tor->need_kick = tor->need_cancel = false;
}

/* Milliseconds between the deadlines of successive critical pieces: the time the reader takes
 * to read one piece at its measured rate (at least S_RATE_FLOOR). */
static uint32_t s_step_ms(const struct s_read *r, uint32_t piece_len)
{
    uint64_t rate = CM_MAX(r->rate, (uint64_t)S_RATE_FLOOR);
    uint64_t ms = (uint64_t)piece_len * 1000 / rate;
    return (uint32_t)CM_MAX((uint64_t)S_STEP_MIN_MS, CM_MIN(ms, (uint64_t)S_STEP_MAX_MS));
}

/* Move read r's window to `nw`. The deadlines start again from now when the first piece
 * changes (the reader moved on, or sought). */
static void s_apply_window(struct s_read *r, const struct s_window *nw)
{
    struct s_torrent *tor = r->tor;
    struct s_window old = r->win;
    if (old.on == nw->on && (!nw->on || (old.first == nw->first && old.crit_last == nw->crit_last &&
                                         old.last == nw->last)))
        return;
    r->win = *nw;
    if (nw->on && (!old.on || old.first != nw->first)) {
        const bt_metainfo_t *mi = bt_torrent_metainfo(tor->t);
        r->dl_base = cm_mono_ms() + BT_STREAM_FIRST_DEADLINE_MS;
        r->dl_step = s_step_ms(r, mi->piece_len);
    }
    s_reprio_minus(tor, &old, nw);
    s_reprio_minus(tor, nw, &old);
    if (old.on)
        s_reprio(tor, old.first, old.crit_last);
    if (nw->on)
        s_reprio(tor, nw->first, nw->crit_last);
}

/* The window read r should hold now: critical pieces at its position, then the readahead,
 * never past the last piece it wants. */
static struct s_window s_window_for(const struct s_read *r, uint32_t piece_len)
{
    struct s_window w = {0};
    if (r->pos >= r->end)
        return w;
    uint64_t cur = r->pos / piece_len;
    uint64_t lastp = (r->end - 1) / piece_len;
    uint64_t ncrit = ((uint64_t)BT_STREAM_CRIT_BYTES + piece_len - 1) / piece_len;
    ncrit = CM_MAX((uint64_t)1, CM_MIN(ncrit, (uint64_t)BT_STREAM_CRIT_PIECES_MAX));
    uint64_t nra = (r->ra_bytes + piece_len - 1) / piece_len;
    nra = CM_MAX(nra, (uint64_t)BT_STREAM_RA_MIN_PIECES);
    uint64_t crit_last = CM_MIN(cur + ncrit - 1, lastp);
    w.on = true;
    w.first = (uint32_t)cur;
    w.crit_last = (uint32_t)crit_last;
    w.last = (uint32_t)CM_MIN(crit_last + nra, lastp);
    return w;
}

/* --- reads --- */

static void s_read_free(bt_stream_t *self, struct s_read *r)
{
    struct s_torrent *tor = r->tor;
    struct s_window off = {0};
    if (tor->ready)
        s_apply_window(r, &off);
    struct s_read **pp = &tor->reads;
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp)
        *pp = r->next;
    tor->nreads--;
    self->nreads--;
    if (tor->nreads == 0 && tor->nwaiters == 0)
        tor->idle_since = cm_mono_ms();
    cm_free(r->local_path);
    cm_free(r);
}

/* End read r with a failure and free it. */
static void s_read_fail(bt_stream_t *self, struct s_read *r, int status, const char *reason)
{
    s_send_end(self, r->id, status, "%s", reason);
    s_read_free(self, r);
}

/* Bytes from torrent offset `pos` on, at most `want`, that lie in verified pieces. */
static uint64_t s_verified(bt_picker_t *pk, uint32_t piece_len, uint64_t pos, uint64_t want)
{
    uint64_t x = pos, limit = pos + want;
    while (x < limit) {
        uint32_t piece = (uint32_t)(x / piece_len);
        if (!bt_picker_have(pk, piece))
            break;
        x = CM_MIN(limit, ((uint64_t)piece + 1) * piece_len);
    }
    return x - pos;
}

/* The reader reads on: the readahead doubles (up to its cap) each time it has been read
 * through since it last changed. A seek starts it again (bt_stream_read). */
static void s_grow(struct s_read *r)
{
    if (r->pos - r->ra_mark >= r->ra_bytes && r->ra_bytes < r->ra_cap) {
        r->ra_bytes = CM_MIN(r->ra_bytes * 2, r->ra_cap);
        r->ra_mark = r->pos;
    }
}

/* CHUNK_LOCAL for the next n bytes of read r: they are verified, and stay what they are in
 * the cache file while it exists. */
static int s_send_local(bt_stream_t *self, struct s_read *r, uint64_t n)
{
    struct torrent_chunk_local c = {
        .stream_id = r->id, .offset = r->pos - r->file_off, .length = n};
    snprintf(c.path, sizeof(c.path), "%s", r->local_path);
    cm_buf_reset(self->buf);
    if (torrent_chunk_local_encode(&c, self->buf) < 0)
        return -1;
    return cm_rpc_send(self->rpc, NULL, TORRENT_PROTO, TORRENT_MSG_CHUNK_LOCAL, 0, self->buf, NULL);
}

/* The path of the read's file relative to cache_dir, for CHUNK_LOCAL; NULL when the file does
 * not lie under it (CHUNK then). */
static char *s_local_path(bt_stream_t *self, struct s_torrent *tor, uint32_t file)
{
    char path[6000];
    bt_torrent_file_path(tor->t, file, path, sizeof(path));
    size_t n = strlen(self->cache_dir);
    while (n > 1 && self->cache_dir[n - 1] == '/')
        n--;
    if (strlen(path) >= sizeof(path) - 1 || strncmp(path, self->cache_dir, n) != 0 ||
        path[n] != '/' || !path[n + 1] ||
        strlen(path + n + 1) > sizeof(((struct torrent_chunk_local *)0)->path) - 1)
        return NULL;
    return cm_strdup(path + n + 1);
}

/* Send what read r may send, end it when done, move its window. Returns -1 when r is gone. */
static int s_read_run(bt_stream_t *self, struct s_read *r)
{
    struct s_torrent *tor = r->tor;
    bt_picker_t *pk = bt_torrent_picker(tor->t);
    uint32_t plen = bt_torrent_metainfo(tor->t)->piece_len;
    while (r->pos < r->end && r->credit > 0 && !self->blocked) {
        uint64_t max = r->local_path ? BT_STREAM_LOCAL_MAX : BT_STREAM_CHUNK_MAX;
        uint64_t want = s_min64(s_min64(max, r->end - r->pos), r->credit);
        uint64_t n = s_verified(pk, plen, r->pos, want);
        if (n == 0)
            break;
        if (r->local_path) {
            if (s_send_local(self, r, n) < 0) {
                self->blocked = true;
                break;
            }
        } else if (bt_torrent_read(tor->t, r->pos, self->scratch, (size_t)n) < 0) {
            char why[128];
            snprintf(why, sizeof(why),
                     "cannot read %" PRIu64 " bytes at %" PRIu64 " from the cache", n,
                     r->pos - r->file_off);
            s_read_fail(self, r, CM_ERR_INTERNAL, why);
            return -1;
        } else {
            struct torrent_chunk c = {.stream_id = r->id, .offset = r->pos - r->file_off};
            cm_iov_t payload = {.data = self->scratch, .len = (size_t)n};
            cm_buf_reset(self->buf);
            if (torrent_chunk_encode(&c, self->buf) < 0 ||
                cm_rpc_send(self->rpc, NULL, TORRENT_PROTO, TORRENT_MSG_CHUNK, 0, self->buf,
                            &payload) < 0) {
                self->blocked = true; /* the queue to the proxy is full: retry at the next tick */
                break;
            }
        }
        r->pos += n;
        r->credit -= n;
        r->sent += n;
        r->sent_win += n;
        r->active_ms = cm_mono_ms();
    }
    if (r->pos >= r->end) {
        /* every byte went out; the READ_END must too: with the queue full the read stays
         * until a tick finds room, rather than leaving the proxy waiting for ever */
        if (self->blocked || s_send_end(self, r->id, 0, "%s", "") < 0) {
            self->blocked = true;
            return 0;
        }
        cm_log_i("stream", 0,
                 "read %" PRIu64 " of %s file %" PRIu32 " done: %" PRIu64 " bytes in %" PRIu64
                 " ms",
                 r->id, tor->hex, r->file, r->sent, cm_mono_ms() - r->start_ms);
        s_read_free(self, r);
        return -1;
    }
    s_grow(r);
    struct s_window w = s_window_for(r, plen);
    s_apply_window(r, &w);
    return 0;
}

static void s_run_reads(bt_stream_t *self, struct s_torrent *tor)
{
    for (struct s_read *r = tor->reads, *next; r; r = next) {
        next = r->next;
        s_read_run(self, r);
    }
}

/* --- torrents --- */

static void s_torrent_free(bt_stream_t *self, struct s_torrent *tor)
{
    struct s_torrent **pp = &self->torrents;
    while (*pp && *pp != tor)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = tor->next;
        self->ntorrents--;
    }
    while (tor->reads) {
        struct s_read *r = tor->reads;
        tor->reads = r->next;
        self->nreads--;
        cm_free(r->local_path);
        cm_free(r);
    }
    for (uint32_t i = 0; i < tor->nwaiters; i++)
        cm_defer_drop(&tor->waiters[i].defer);
    if (tor->t)
        bt_torrent_remove(&tor->t);
    bt_metainfo_destroy(&tor->pending_mi);
    if (tor->has_pending_m)
        bt_magnet_clear(&tor->pending_m);
    for (size_t i = 0; i < tor->ntr; i++)
        cm_free(tor->tr[i]);
    cm_free(tor->tr);
    cm_free(tor);
}

/* The torrent cannot serve: every OPEN waiting gets an ERROR, every read a READ_END, and it
 * leaves the engine. Safe from the metadata callback (the engine expects removal there). */
static void s_torrent_fail(bt_stream_t *self, struct s_torrent *tor, int status, const char *why)
{
    cm_log_w("stream", 0, "%s: %s", tor->hex, why);
    for (uint32_t i = 0; i < tor->nwaiters; i++)
        cm_defer_error(&tor->waiters[i].defer, status, "%s", why);
    tor->nwaiters = 0;
    while (tor->reads) {
        struct s_read *r = tor->reads;
        s_send_end(self, r->id, status, "%s", why);
        tor->reads = r->next;
        tor->nreads--;
        self->nreads--;
        cm_free(r->local_path);
        cm_free(r);
    }
    s_torrent_free(self, tor);
}

/* OPEN_OK of `tor` into `out`; with the .torrent bytes when `with_torrent`. 0 or -1. */
static int s_open_ok_encode(const struct s_torrent *tor, bool with_torrent, cm_buf_t *out)
{
    const bt_metainfo_t *mi = bt_torrent_metainfo(tor->t);
    struct torrent_open_ok *r = cm_calloc(1, sizeof(*r)); /* ~0.5 MB: never on the stack */
    memcpy(r->info_hash, tor->hex, sizeof(tor->hex));
    snprintf(r->name, sizeof(r->name), "%s", mi->name);
    r->piece_length = mi->piece_len;
    r->total_bytes = mi->total_len;
    r->files_total = mi->nfiles;
    r->file_paths_count = r->file_sizes_count = CM_MIN(mi->nfiles, (uint32_t)S_FILES_LISTED);
    for (uint32_t i = 0; i < r->file_paths_count; i++) {
        if (mi->multi)
            snprintf(r->file_paths[i], sizeof(r->file_paths[i]), "%s/%s", mi->name,
                     mi->files[i].path);
        else
            snprintf(r->file_paths[i], sizeof(r->file_paths[i]), "%s", mi->files[i].path);
        r->file_sizes[i] = mi->files[i].length;
    }
    cm_buf_t *tb = NULL;
    bt_metainfo_t *copy = NULL;
    if (with_torrent) {
        char err[CM_ERR_LEN];
        copy = bt_metainfo_from_info(mi->info_raw, mi->info_len, NULL, err, sizeof(err));
        if (copy) {
            for (uint32_t i = 0; i < mi->ntrackers; i++)
                bt_metainfo_add_trackers(copy, (const char *const *)&mi->trackers[i].url, 1);
            bt_metainfo_add_trackers(copy, (const char *const *)tor->tr, tor->ntr);
            tb = cm_buf_new(S_TORRENT_BYTES_MAX);
            if (bt_metainfo_write(copy, tb) == 0) {
                r->torrent.data = cm_buf_data(tb);
                r->torrent.len = cm_buf_len(tb);
            }
        }
    }
    cm_buf_reset(out);
    int rc = torrent_open_ok_encode(r, out);
    if (rc < 0 && r->torrent.len > 0) { /* the list and the .torrent do not fit one frame */
        cm_log_w("stream", 0, "%s: OPEN_OK without the .torrent (too large)", tor->hex);
        r->torrent.data = NULL;
        r->torrent.len = 0;
        cm_buf_reset(out);
        rc = torrent_open_ok_encode(r, out);
    }
    cm_buf_destroy(&tb);
    bt_metainfo_destroy(&copy);
    cm_free(r);
    return rc;
}

/* Answer every OPEN waiting on a ready torrent. */
static void s_answer_waiters(struct s_torrent *tor)
{
    cm_buf_t *body[2] = {NULL, NULL}; /* without, with the .torrent */
    int rc[2] = {0, 0};
    for (uint32_t i = 0; i < tor->nwaiters; i++) {
        int k = tor->waiters[i].want_torrent ? 1 : 0;
        if (!body[k]) {
            body[k] = cm_buf_new(CM_POOL_MSG_MAX);
            rc[k] = s_open_ok_encode(tor, k == 1, body[k]);
        }
        if (rc[k] == 0)
            cm_defer_reply(&tor->waiters[i].defer, TORRENT_PROTO, TORRENT_MSG_OPEN_OK, body[k],
                           NULL);
        else
            cm_defer_error(&tor->waiters[i].defer, CM_ERR_TOO_LARGE,
                           "the file list does not fit a reply");
    }
    tor->nwaiters = 0;
    cm_buf_destroy(&body[0]);
    cm_buf_destroy(&body[1]);
    if (tor->nreads == 0)
        tor->idle_since = cm_mono_ms(); /* the linger starts again: a READ should follow */
}

static bool s_is_video(const char *path)
{
    static const char *const exts[] = {".mp4",  ".m4v", ".mkv", ".webm", ".mov",  ".avi", ".ts",
                                       ".m2ts", ".wmv", ".flv", ".mpg",  ".mpeg", ".ogv", ".3gp"};
    const char *dot = strrchr(path, '.');
    if (!dot)
        return false;
    for (size_t i = 0; i < CM_ARRAY_LEN(exts); i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return true;
    return false;
}

/* The head and tail of the largest video file (else of the largest file): container indexes
 * (MP4 moov, MKV cues) live there, and a player asks for them first. */
static void s_preload(struct s_torrent *tor)
{
    const bt_metainfo_t *mi = bt_torrent_metainfo(tor->t);
    int best = -1;
    bool best_video = false;
    for (uint32_t i = 0; i < mi->nfiles; i++) {
        const struct bt_file *f = &mi->files[i];
        if (f->pad || f->length == 0)
            continue;
        bool video = s_is_video(f->path);
        if (best < 0 || (video && !best_video) ||
            (video == best_video && f->length > mi->files[best].length)) {
            best = (int)i;
            best_video = video;
        }
    }
    if (best < 0)
        return;
    const struct bt_file *f = &mi->files[best];
    uint64_t n = s_min64(f->length, BT_STREAM_PRELOAD_BYTES);
    tor->head.on = tor->tail.on = true;
    tor->head.first = (uint32_t)(f->offset / mi->piece_len);
    tor->head.last = tor->head.crit_last = (uint32_t)((f->offset + n - 1) / mi->piece_len);
    tor->tail.first = (uint32_t)((f->offset + f->length - n) / mi->piece_len);
    tor->tail.last = tor->tail.crit_last = (uint32_t)((f->offset + f->length - 1) / mi->piece_len);
    s_reprio(tor, tor->head.first, tor->head.last);
    s_reprio(tor, tor->tail.first, tor->tail.last);
    cm_log_i("stream", 0,
             "%s: preloading pieces %" PRIu32 "-%" PRIu32 " and %" PRIu32 "-%" PRIu32 " of %s",
             tor->hex, tor->head.first, tor->head.last, tor->tail.first, tor->tail.last, f->path);
}

/* The metadata is known (and the storage open, or not). */
static void s_torrent_ready(bt_stream_t *self, struct s_torrent *tor)
{
    if (!bt_torrent_picker(tor->t)) {
        s_torrent_fail(self, tor, CM_ERR_INTERNAL, "cannot store the torrent's files in the cache");
        return;
    }
    tor->ready = true;
    s_preload(tor);
    s_flush(tor);
    s_answer_waiters(tor);
}

static void s_on_metadata(void *arg, bt_torrent_t *t)
{
    CM_UNUSED(t);
    struct s_torrent *tor = arg;
    s_torrent_ready(tor->self, tor);
}

/* Inside the engine's block handling: only note it (see the file comment). */
static void s_on_piece(void *arg, bt_torrent_t *t, uint32_t piece)
{
    CM_UNUSED(t);
    CM_UNUSED(piece);
    struct s_torrent *tor = arg;
    tor->dirty = true;
    event_active(tor->self->ev_pump, EV_TIMEOUT, 0);
}

/* Where the torrent's files go: its directory of the disk cache. */
static int s_root(bt_stream_t *self, const struct s_torrent *tor, char *out, size_t len)
{
    if (self->cache)
        return bt_cache_dir(self->cache, tor->hash, out, len);
    int n = snprintf(out, len, "%s/%s", self->cache_dir, tor->hex);
    if (n < 0 || (size_t)n >= len)
        return -1;
    return mkdir(out, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Add the torrent to the engine from its pending source. Another user of the engine (a
 * METADATA fetch) may hold the info-hash: then wait (the tick tries again), taking a copy of
 * its metadata if it has some. Returns -1 when `tor` failed and is gone. */
static int s_torrent_add(bt_stream_t *self, struct s_torrent *tor)
{
    char err[CM_ERR_LEN];
    bt_torrent_t *other = bt_engine_find(self->engine, tor->hash);
    if (other) {
        const bt_metainfo_t *omi = bt_torrent_metainfo(other);
        if (!tor->pending_mi && omi) {
            tor->pending_mi =
                bt_metainfo_from_info(omi->info_raw, omi->info_len, tor->hash, err, sizeof(err));
            if (tor->pending_mi)
                bt_metainfo_add_trackers(tor->pending_mi, (const char *const *)tor->tr, tor->ntr);
        }
        return 0;
    }
    char root[1200];
    if (s_root(self, tor, root, sizeof(root)) < 0) {
        s_torrent_fail(self, tor, CM_ERR_INTERNAL, "cannot create its directory in the cache");
        return -1;
    }
    struct bt_torrent_cbs cbs = {.metadata = s_on_metadata, .piece = s_on_piece, .arg = tor};
    if (tor->pending_mi) {
        bt_metainfo_t *mi = tor->pending_mi;
        tor->pending_mi = NULL;
        tor->t = bt_engine_add_metainfo(self->engine, mi, root, BT_TF_PAUSED_DATA, &cbs, err,
                                        sizeof(err));
        if (tor->t && tor->has_pending_m)
            for (size_t i = 0; i < tor->pending_m.npeers; i++)
                bt_torrent_add_peer(tor->t, (const struct sockaddr *)&tor->pending_m.peers[i],
                                    sizeof(tor->pending_m.peers[i]));
    } else {
        tor->t = bt_engine_add_magnet(self->engine, &tor->pending_m, root, BT_TF_PAUSED_DATA, &cbs,
                                      err, sizeof(err));
    }
    if (tor->has_pending_m) {
        bt_magnet_clear(&tor->pending_m);
        tor->has_pending_m = false;
    }
    if (!tor->t) {
        s_torrent_fail(self, tor, CM_ERR_INTERNAL, err);
        return -1;
    }
    cm_log_n("stream", 0, "%s: loaded for streaming", tor->hex);
    if (bt_torrent_metainfo(tor->t)) /* from a .torrent: no metadata callback comes */
        s_torrent_ready(self, tor);
    return 0;
}

/* --- the loop: pump and tick --- */

static void s_on_pump(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_stream_t *self = arg;
    for (struct s_torrent *tor = self->torrents; tor; tor = tor->next) {
        if (!tor->dirty || !tor->ready)
            continue;
        tor->dirty = false;
        bt_torrent_settle(tor->t);
        s_run_reads(self, tor);
        s_flush(tor);
    }
}

/* OPENs whose metadata wait is over. */
static void s_expire_waiters(struct s_torrent *tor, uint64_t now)
{
    for (uint32_t i = 0; i < tor->nwaiters;) {
        struct s_waiter *w = &tor->waiters[i];
        if (now < w->deadline_ms) {
            i++;
            continue;
        }
        struct bt_torrent_stats st;
        memset(&st, 0, sizeof(st));
        if (tor->t)
            bt_torrent_stats(tor->t, &st);
        cm_defer_error(&w->defer, CM_ERR_TIMEOUT,
                       "no metadata after %" PRIu32 " s: %" PRIu32 " peers from %" PRIu32
                       " trackers",
                       w->timeout_ms / 1000, st.known_peers, st.trackers);
        *w = tor->waiters[--tor->nwaiters];
        if (tor->nwaiters == 0 && tor->nreads == 0)
            tor->idle_since = now;
    }
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_stream_t *self = arg;
    uint64_t now = cm_mono_ms();
    self->blocked = false;
    for (struct s_torrent *tor = self->torrents, *next; tor; tor = next) {
        next = tor->next;
        if (!tor->t && s_torrent_add(self, tor) < 0)
            continue;
        s_expire_waiters(tor, now);
        if (tor->ready) {
            bt_torrent_settle(tor->t);
            bt_picker_t *pk = bt_torrent_picker(tor->t);
            for (struct s_read *r = tor->reads, *rn; r; r = rn) {
                rn = r->next;
                r->rate = (r->rate + r->sent_win * 1000 / S_TICK_MS) / 2;
                r->sent_win = 0;
                if (now - r->active_ms > BT_STREAM_IDLE_MS) {
                    s_read_fail(self, r, CM_ERR_TIMEOUT, "idle for 10 minutes");
                    continue;
                }
                /* late: other peers may duplicate its blocks (bt_picker.h) if they are asked */
                if (r->win.on && !bt_picker_have(pk, r->win.first) && now > r->dl_base)
                    tor->need_kick = true;
                s_read_run(self, r);
            }
            s_flush(tor);
        }
        if (tor->nreads > 0 || tor->nwaiters > 0) {
            tor->idle_since = 0;
        } else if (tor->idle_since == 0) {
            tor->idle_since = now;
        } else if (now - tor->idle_since >= (uint64_t)self->linger_ms) {
            cm_log_n("stream", 0, "%s: no reader for %d ms: removed (its pieces stay cached)",
                     tor->hex, self->linger_ms);
            s_torrent_free(self, tor);
        }
    }
}

/* --- API --- */

bt_stream_t *bt_stream_new(struct event_base *base, cm_rpc_t *rpc,
                           const struct bt_stream_opts *opts)
{
    bt_stream_t *self = cm_calloc(1, sizeof(*self));
    self->tag = BT_STREAM_TAG;
    self->base = base;
    self->rpc = rpc;
    self->engine = opts->engine;
    self->cache = opts->cache;
    self->cache_dir = opts->cache_dir;
    self->reads_max = opts->reads_max ? opts->reads_max : BT_STREAM_READS_MAX;
    self->reads_max = CM_MIN(self->reads_max, (uint32_t)BT_STREAM_READS_HARD_MAX);
    self->linger_ms = opts->linger_ms >= 0 ? opts->linger_ms : BT_STREAM_LINGER_DEFAULT_MS;
    self->scratch = cm_malloc(BT_STREAM_CHUNK_MAX);
    self->buf = cm_buf_new(1024);
    self->ev_pump = event_new(base, -1, 0, s_on_pump, self);
    self->ev_tick = event_new(base, -1, EV_PERSIST, s_on_tick, self);
    struct timeval tv = cm_tv_ms(S_TICK_MS);
    event_add(self->ev_tick, &tv);
    return self;
}

void bt_stream_destroy(bt_stream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_stream_t *self = *self_p;
    assert(self->tag == BT_STREAM_TAG);
    *self_p = NULL;
    while (self->torrents) {
        struct s_torrent *tor = self->torrents;
        for (struct s_read *r = tor->reads; r; r = r->next)
            s_send_end(self, r->id, CM_ERR_SHUTDOWN, "the worker is stopping");
        for (uint32_t i = 0; i < tor->nwaiters; i++)
            cm_defer_error(&tor->waiters[i].defer, CM_ERR_SHUTDOWN, "the worker is stopping");
        tor->nwaiters = 0;
        s_torrent_free(self, tor);
    }
    event_free(self->ev_tick);
    event_free(self->ev_pump);
    cm_buf_destroy(&self->buf);
    cm_free(self->scratch);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

void bt_stream_open(bt_stream_t *self, const struct torrent_open *req, cm_defer_t *defer)
{
    char err[CM_ERR_LEN];
    uint8_t hash[20];
    if (bt_hash_parse(req->info_hash, strlen(req->info_hash), hash) < 0) {
        cm_defer_error(&defer, CM_ERR_INVALID, "info_hash is not 40 hex digits");
        return;
    }
    bt_metainfo_t *mi = NULL;
    struct bt_magnet m;
    memset(&m, 0, sizeof(m));
    bool has_m = false;
    char hex[41];
    bt_hash_hex(hash, hex);
    if (req->torrent.len > 0) {
        mi = bt_metainfo_parse(req->torrent.data, req->torrent.len, err, sizeof(err));
        if (!mi) {
            cm_defer_error(&defer, CM_ERR_INVALID, "bad .torrent: %s", err);
            return;
        }
    } else if (req->magnet[0]) {
        if (bt_magnet_parse(req->magnet, &m, err, sizeof(err)) < 0) {
            cm_defer_error(&defer, CM_ERR_INVALID, "bad magnet: %s", err);
            return;
        }
        has_m = true;
    }
    if ((mi && memcmp(mi->info_hash, hash, 20) != 0) ||
        (has_m && memcmp(m.info_hash, hash, 20) != 0)) {
        cm_defer_error(&defer, CM_ERR_INVALID, "the %s is not torrent %s",
                       mi ? ".torrent" : "magnet", hex);
        goto out;
    }
    struct s_torrent *tor = s_find_torrent(self, hash);
    if (!tor && self->draining) {
        cm_log_i("stream", 0, "OPEN of %s refused: draining", hex);
        cm_defer_error(&defer, CM_ERR_UNAVAILABLE, "draining");
        goto out;
    }
    if (!tor) {
        if (!mi && !has_m) {
            cm_defer_error(&defer, CM_ERR_NOT_FOUND,
                           "torrent %s is not loaded here: OPEN needs its .torrent or magnet", hex);
            goto out;
        }
        if (self->ntorrents >= BT_STREAM_TORRENTS_MAX) {
            cm_defer_error(&defer, CM_ERR_BUSY, "%" PRIu32 " torrents open already",
                           self->ntorrents);
            goto out;
        }
        tor = cm_calloc(1, sizeof(*tor));
        tor->self = self;
        memcpy(tor->hash, hash, 20);
        memcpy(tor->hex, hex, sizeof(hex));
        tor->next = self->torrents;
        self->torrents = tor;
        self->ntorrents++;
    } else if (!tor->ready && mi && (!tor->t || !bt_torrent_metainfo(tor->t))) {
        /* still waiting for a magnet's metadata, and here is the .torrent: start from it */
        if (tor->t)
            bt_torrent_remove(&tor->t);
        bt_metainfo_destroy(&tor->pending_mi);
    } else {
        bt_metainfo_destroy(&mi); /* loaded already: the source is not needed */
        if (has_m) {
            bt_magnet_clear(&m);
            has_m = false;
        }
    }
    if (tor->nwaiters >= BT_STREAM_WAITERS_MAX) {
        cm_defer_error(&defer, CM_ERR_BUSY, "too many OPENs waiting for torrent %s", hex);
        goto out;
    }
    uint32_t timeout = req->timeout_ms ? req->timeout_ms : BT_STREAM_OPEN_TIMEOUT_MS;
    tor->waiters[tor->nwaiters++] = (struct s_waiter){
        .defer = defer,
        .deadline_ms = cm_mono_ms() + timeout,
        .timeout_ms = timeout,
        .want_torrent = req->torrent.len == 0,
    };
    defer = NULL;
    tor->idle_since = 0;
    if (tor->ready) {
        s_answer_waiters(tor);
        goto out;
    }
    if (tor->t)
        goto out; /* the metadata is on its way */
    if (mi) {
        tor->pending_mi = mi;
        mi = NULL;
    }
    if (has_m && !tor->has_pending_m) {
        /* a copy of its trackers stays ours, for the .torrent we write */
        for (size_t i = 0; i < tor->ntr; i++)
            cm_free(tor->tr[i]);
        cm_free(tor->tr);
        tor->tr = cm_calloc(m.ntr ? m.ntr : 1, sizeof(*tor->tr));
        for (size_t i = 0; i < m.ntr; i++)
            tor->tr[i] = cm_strdup(m.tr[i]);
        tor->ntr = m.ntr;
        tor->pending_m = m; /* the engine copies what it needs when it is added */
        tor->has_pending_m = true;
        memset(&m, 0, sizeof(m));
        has_m = false;
    }
    if (!tor->pending_mi && !tor->has_pending_m) {
        s_torrent_fail(self, tor, CM_ERR_NOT_FOUND, "no .torrent and no magnet to load it from");
        goto out;
    }
    s_torrent_add(self, tor);
out:
    if (defer)
        cm_defer_drop(&defer);
    bt_metainfo_destroy(&mi);
    if (has_m)
        bt_magnet_clear(&m);
}

void bt_stream_read(bt_stream_t *self, const struct torrent_read *req)
{
    uint8_t hash[20];
    struct s_torrent *tor = NULL;
    if (bt_hash_parse(req->info_hash, strlen(req->info_hash), hash) == 0)
        tor = s_find_torrent(self, hash);
    struct s_read *r = s_find_read(self, req->stream_id);
    if (!tor || !tor->ready) {
        if (r)
            s_read_free(self, r);
        s_send_end(self, req->stream_id, CM_ERR_NOT_FOUND,
                   "torrent %s is not open on this worker (OPEN it first)", req->info_hash);
        return;
    }
    const bt_metainfo_t *mi = bt_torrent_metainfo(tor->t);
    if (req->file >= mi->nfiles || req->offset > mi->files[req->file].length ||
        req->length > mi->files[req->file].length - req->offset) {
        if (r)
            s_read_free(self, r);
        if (req->file >= mi->nfiles)
            s_send_end(self, req->stream_id, CM_ERR_INVALID,
                       "file %" PRIu32 " does not exist (%" PRIu32 " files)", req->file,
                       mi->nfiles);
        else
            s_send_end(self, req->stream_id, CM_ERR_INVALID,
                       "bytes %" PRIu64 "+%" PRIu64 " are past the end of file %" PRIu32
                       " (%" PRIu64 " bytes)",
                       req->offset, req->length, req->file, mi->files[req->file].length);
        return;
    }
    const struct bt_file *f = &mi->files[req->file];
    uint64_t pos = f->offset + req->offset;
    bool seek = true;
    if (r && r->tor != tor) { /* the same stream id on another torrent: a new read */
        s_read_free(self, r);
        r = NULL;
    }
    if (r) {
        seek = !(r->file == req->file && r->pos == pos);
    } else {
        if (self->nreads >= self->reads_max) {
            s_send_end(self, req->stream_id, CM_ERR_BUSY,
                       "%" PRIu32 " reads at once already on this worker", self->nreads);
            return;
        }
        r = cm_calloc(1, sizeof(*r));
        r->id = req->stream_id;
        r->tor = tor;
        r->next = tor->reads;
        tor->reads = r;
        tor->nreads++;
        self->nreads++;
        tor->idle_since = 0;
    }
    uint64_t now = cm_mono_ms();
    r->file = req->file;
    r->file_off = f->offset;
    r->pos = pos;
    r->end = pos + req->length;
    r->credit = req->credit;
    r->active_ms = now;
    cm_free(r->local_path);
    r->local_path = req->local ? s_local_path(self, tor, req->file) : NULL;
    r->ra_cap = CM_MIN((uint64_t)BT_STREAM_RA_MAX_BYTES,
                       CM_MAX((uint64_t)BT_STREAM_RA_START_BYTES, f->length / 10));
    if (seek) {
        r->ra_bytes = BT_STREAM_RA_START_BYTES;
        r->ra_mark = pos;
        r->start_ms = now;
        r->sent = 0;
    }
    cm_log_i("stream", 0,
             "read %" PRIu64 " of %s file %" PRIu32 " at %" PRIu64 " +%" PRIu64 " credit %" PRIu64
             "%s%s",
             r->id, tor->hex, r->file, req->offset, req->length, req->credit,
             seek ? "" : " (continues)", r->local_path ? " (local: CHUNK_LOCAL)" : "");
    s_read_run(self, r);
    s_flush(tor);
}

void bt_stream_credit(bt_stream_t *self, uint64_t stream_id, uint64_t bytes)
{
    struct s_read *r = s_find_read(self, stream_id);
    if (!r)
        return;
    struct s_torrent *tor = r->tor;
    r->credit = r->credit > UINT64_MAX - bytes ? UINT64_MAX : r->credit + bytes;
    r->active_ms = cm_mono_ms();
    s_read_run(self, r);
    s_flush(tor);
}

void bt_stream_close(bt_stream_t *self, uint64_t stream_id)
{
    struct s_read *r = s_find_read(self, stream_id);
    if (!r)
        return;
    struct s_torrent *tor = r->tor;
    cm_log_i("stream", 0, "read %" PRIu64 " closed after %" PRIu64 " bytes", r->id, r->sent);
    s_read_free(self, r);
    s_flush(tor);
}

void bt_stream_forget_reads(bt_stream_t *self)
{
    for (struct s_torrent *tor = self->torrents; tor; tor = tor->next) {
        if (tor->reads)
            cm_log_w("stream", 0, "%s: %" PRIu32 " reads dropped (the proxy changed)", tor->hex,
                     tor->nreads);
        while (tor->reads)
            s_read_free(self, tor->reads);
        s_flush(tor);
    }
}

void bt_stream_set_draining(bt_stream_t *self)
{
    self->draining = true;
}

uint32_t bt_stream_reads(const bt_stream_t *self)
{
    return self->nreads;
}

uint32_t bt_stream_torrents(const bt_stream_t *self)
{
    return self->ntorrents;
}
