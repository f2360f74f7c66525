/* SPDX-License-Identifier: MIT
 * bt_peer: one peer connection. Non-blocking socket with its own input buffer (messages are
 * parsed in place and blocks go from that buffer straight to pwrite), an evbuffer for output,
 * the BEP 3 state machine, BEP 6 have_all/have_none/reject, BEP 10 extensions (ut_metadata,
 * ut_pex) and request pipelining sized to the peer's rate.
 *
 * A connection is closed at the first protocol violation (bt_wire refuses the message before it
 * is buffered whole). Closing never frees at once: the peer goes to the engine's zombie list and
 * is freed on the next loop turn, so every handler may close its own or another peer and the
 * callers only check `state`. */
#include "bt_internal.h"
#include <fcntl.h>

static void s_on_read(evutil_socket_t fd, short what, void *arg);
static void s_on_write(evutil_socket_t fd, short what, void *arg);

static bool s_closed(const struct bt_peer *p)
{
    return p->state == BT_PS_CLOSED;
}

static void s_arm_write(struct bt_peer *p)
{
    if (!s_closed(p) && evbuffer_get_length(p->out) > 0)
        event_add(p->ev_write, NULL);
}

static void s_send(struct bt_peer *p, const void *data, size_t len)
{
    if (s_closed(p))
        return;
    evbuffer_add(p->out, data, len);
    p->last_send_ms = cm_mono_ms();
    s_arm_write(p);
}

struct bt_peer *bt_peer_new(bt_engine_t *e, bt_torrent_t *t, int fd, const struct sockaddr *sa,
                            socklen_t alen, bool incoming, bool connecting)
{
    struct bt_peer *p = cm_calloc(1, sizeof(*p));
    p->serial = ++e->serial;
    p->e = e;
    p->t = t;
    p->fd = fd;
    p->incoming = incoming;
    memcpy(&p->addr, sa, CM_MIN((size_t)alen, sizeof(p->addr)));
    p->alen = alen;
    bt_addr_name(sa, p->name, sizeof(p->name));
    p->in_cap = BT_PEER_INBUF;
    p->in = cm_malloc(p->in_cap);
    p->out = evbuffer_new();
    p->am_choking = true;
    p->peer_choking = true;
    p->pipeline = BT_REQ_OUT_START;
    p->connected_ms = p->last_recv_ms = p->last_send_ms = cm_mono_ms();
    p->state = connecting ? BT_PS_CONNECTING : BT_PS_HANDSHAKE;
    p->ev_read = event_new(e->base, fd, EV_READ | EV_PERSIST, s_on_read, p);
    p->ev_write = event_new(e->base, fd, EV_WRITE | EV_PERSIST, s_on_write, p);
    e->npeers++;
    if (connecting)
        event_add(p->ev_write, NULL); /* writable = connected (or failed) */
    else
        event_add(p->ev_read, NULL);
    return p;
}

/* --- requests we sent --- */

bool bt_peer_has_req(const struct bt_peer *p, uint32_t piece, uint32_t begin)
{
    for (uint32_t i = 0; i < p->nreqs; i++)
        if (p->reqs[i].piece == piece && p->reqs[i].begin == begin)
            return true;
    return false;
}

static void s_req_remove_at(struct bt_peer *p, uint32_t i)
{
    p->reqs[i] = p->reqs[--p->nreqs];
}

/* Every request to this peer goes back to the picker. */
static void s_abort_all(struct bt_peer *p)
{
    if (p->t && p->t->picker)
        for (uint32_t i = 0; i < p->nreqs; i++)
            bt_picker_abort(p->t->picker, p->reqs[i].piece, p->reqs[i].begin);
    p->cancels += p->nreqs; /* what was on the wire may still arrive */
    p->nreqs = 0;
}

void bt_peer_cancel_block(struct bt_peer *p, uint32_t piece, uint32_t begin)
{
    for (uint32_t i = 0; i < p->nreqs; i++) {
        struct bt_req *r = &p->reqs[i];
        if (r->piece != piece || r->begin != begin)
            continue;
        uint8_t msg[17];
        size_t n = bt_wire_request(msg, BT_MSG_CANCEL, r->piece, r->begin, r->length);
        s_send(p, msg, n);
        bt_picker_abort(p->t->picker, r->piece, r->begin);
        s_req_remove_at(p, i);
        p->cancels++;
        return;
    }
}

/* --- close --- */

void bt_peer_close(struct bt_peer *p, const char *why)
{
    if (s_closed(p))
        return;
    bt_engine_t *e = p->e;
    if (p->state == BT_PS_ACTIVE)
        cm_log_i("peer", 0, "%s closed: %s (down %" PRIu64 " up %" PRIu64 ")", p->name, why,
                 p->downloaded, p->uploaded);
    else
        cm_log_d("peer", 0, "%s closed before the handshake: %s", p->name, why);
    s_abort_all(p);
    if (p->t)
        bt_torrent_detach_peer(p->t, p);
    else
        bt_engine_pending_unlink(e, p);
    p->state = BT_PS_CLOSED;
    event_free(p->ev_read);
    event_free(p->ev_write);
    p->ev_read = p->ev_write = NULL;
    close(p->fd);
    p->fd = -1;
    e->npeers--;
    p->next = e->zombies;
    e->zombies = p;
    event_active(e->ev_reap, EV_TIMEOUT, 0);
}

/* --- output --- */

void bt_peer_set_choke(struct bt_peer *p, bool choke)
{
    if (p->am_choking == choke || p->state != BT_PS_ACTIVE)
        return;
    p->am_choking = choke;
    uint8_t msg[5];
    s_send(p, msg, bt_wire_simple(msg, choke ? BT_MSG_CHOKE : BT_MSG_UNCHOKE));
    if (choke) {
        if (p->fast) { /* BEP 6: every pending request gets a reject */
            for (uint32_t i = 0; i < p->inq_len; i++) {
                struct bt_req *r = &p->inq[(p->inq_head + i) % BT_REQ_IN_MAX];
                uint8_t rj[17];
                s_send(p, rj, bt_wire_request(rj, BT_MSG_REJECT, r->piece, r->begin, r->length));
            }
        }
        p->inq_len = 0;
    }
}

void bt_peer_send_have(struct bt_peer *p, uint32_t piece)
{
    if (p->state != BT_PS_ACTIVE)
        return;
    uint8_t msg[9];
    s_send(p, msg, bt_wire_have(msg, piece));
}

static bool s_peer_has(const struct bt_peer *p, uint32_t piece)
{
    if (p->seed)
        return true;
    if (!p->bits || piece / 8 >= p->bits_len)
        return false;
    return (p->bits[piece / 8] >> (7 - piece % 8)) & 1;
}

static void s_set_interested(struct bt_peer *p, bool want)
{
    if (p->am_interested == want || p->state != BT_PS_ACTIVE)
        return;
    p->am_interested = want;
    uint8_t msg[5];
    s_send(p, msg, bt_wire_simple(msg, want ? BT_MSG_INTERESTED : BT_MSG_NOT_INTERESTED));
}

/* Do we want any piece this peer has? */
void bt_peer_update_interest(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    if (!t || !t->picker || p->state != BT_PS_ACTIVE)
        return;
    bt_picker_t *pk = t->picker;
    if (t->complete || bt_picker_complete(pk)) {
        s_set_interested(p, false);
        return;
    }
    uint32_t n = bt_picker_npieces(pk);
    if (p->seed) {
        s_set_interested(p, true);
        return;
    }
    const uint8_t *ours = bt_picker_bitfield(pk);
    bool want = false;
    for (uint32_t byte = 0; byte < p->bits_len && byte * 8 < n && !want; byte++) {
        uint8_t cand = p->bits[byte] & (uint8_t)~ours[byte];
        for (int b = 0; cand && b < 8; b++) {
            if (!((cand >> (7 - b)) & 1))
                continue;
            uint32_t i = byte * 8 + (uint32_t)b;
            if (i < n && bt_picker_priority(pk, i) > BT_PRIO_SKIP) {
                want = true;
                break;
            }
        }
    }
    s_set_interested(p, want);
}

static bool s_dup_ok(void *arg, uint32_t piece, uint32_t begin)
{
    return !bt_peer_has_req(arg, piece, begin);
}

void bt_peer_fill_requests(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    if (!t || !t->picker || p->state != BT_PS_ACTIVE || p->peer_choking || !p->am_interested)
        return;
    uint32_t target = p->snubbed ? 1 : p->pipeline;
    if (p->ehs.reqq > 0)
        target = CM_MIN(target, p->ehs.reqq);
    if (p->nreqs >= target)
        return;
    uint32_t want = target - p->nreqs;
    if (p->reqs_cap < target) {
        p->reqs = cm_realloc(p->reqs, target * sizeof(*p->reqs));
        p->reqs_cap = target;
    }
    struct bt_block blocks[64];
    uint64_t now = cm_mono_ms();
    while (want > 0) {
        size_t n = bt_picker_pick(t->picker, p->seed ? NULL : p->bits, blocks,
                                  CM_MIN(want, CM_ARRAY_LEN(blocks)), now, s_dup_ok, p);
        if (n == 0)
            break;
        uint8_t msgs[64 * 17];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            struct bt_req *r = &p->reqs[p->nreqs++];
            r->piece = blocks[i].piece;
            r->begin = blocks[i].begin;
            r->length = blocks[i].length;
            r->sent_ms = now;
            len += bt_wire_request(msgs + len, BT_MSG_REQUEST, r->piece, r->begin, r->length);
        }
        s_send(p, msgs, len);
        want -= (uint32_t)n;
    }
    if (p->nreqs == 0)
        bt_peer_update_interest(p);
}

/* Serve queued requests while the output is short and the upload bucket allows. */
void bt_peer_serve(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    bt_engine_t *e = p->e;
    if (!t || !t->st || p->state != BT_PS_ACTIVE)
        return;
    while (p->inq_len > 0 && !p->am_choking && evbuffer_get_length(p->out) < BT_PEER_OUT_HIGH) {
        struct bt_req *r = &p->inq[p->inq_head];
        if (e->opts.up_rate > 0) {
            size_t got = bt_bucket_take(&e->up, r->length, cm_mono_us());
            if (got < r->length) {
                bt_bucket_refund(&e->up, got);
                bt_engine_want_refill(e);
                break;
            }
        }
        struct evbuffer_iovec v;
        if (evbuffer_reserve_space(p->out, 13 + r->length, &v, 1) < 1)
            break;
        uint8_t *dst = v.iov_base;
        bt_wire_piece_header(dst, r->piece, r->begin, r->length);
        if (bt_storage_read(t->st, r->piece, r->begin, dst + 13, r->length) < 0) {
            cm_log_w("peer", 0, "%s: cannot read piece %" PRIu32 " of %s: %s", p->name, r->piece,
                     t->hex, strerror(errno));
            v.iov_len = 0;
            evbuffer_commit_space(p->out, &v, 1);
            bt_peer_close(p, "storage read failed");
            return;
        }
        v.iov_len = 13 + r->length;
        evbuffer_commit_space(p->out, &v, 1);
        p->uploaded += r->length;
        p->up_win += r->length;
        p->up_round += r->length;
        t->uploaded += r->length;
        t->up_win += r->length;
        e->uploaded += r->length;
        e->up_win += r->length;
        p->inq_head = (p->inq_head + 1) % BT_REQ_IN_MAX;
        p->inq_len--;
        p->last_send_ms = cm_mono_ms();
    }
    s_arm_write(p);
}

static void s_send_ext_handshake(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    cm_buf_t *b = cm_buf_new(512);
    uint8_t hdr[6];
    int64_t md = t->mi ? (int64_t)t->mi->info_len : 0;
    if (bt_ext_hs_build(b, md, p->e->port, BT_REQ_IN_MAX, "Marquee 0.1") == 0) {
        s_send(p, hdr, bt_wire_extended_header(hdr, 0, (uint32_t)cm_buf_len(b)));
        s_send(p, cm_buf_data(b), cm_buf_len(b));
    }
    cm_buf_destroy(&b);
}

/* After both handshakes: extended handshake, then what we have. */
static void s_send_intro(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    if (p->ext)
        s_send_ext_handshake(p);
    if (!t->picker) {
        if (p->fast) {
            uint8_t m[5];
            s_send(p, m, bt_wire_simple(m, BT_MSG_HAVE_NONE));
        }
        return;
    }
    uint32_t have = bt_picker_have_count(t->picker);
    uint32_t n = bt_picker_npieces(t->picker);
    uint8_t m[5];
    if (p->fast && have == n) {
        s_send(p, m, bt_wire_simple(m, BT_MSG_HAVE_ALL));
    } else if (p->fast && have == 0) {
        s_send(p, m, bt_wire_simple(m, BT_MSG_HAVE_NONE));
    } else if (have > 0) {
        uint32_t nbytes = (n + 7) / 8;
        s_send(p, m, bt_wire_bitfield_header(m, nbytes));
        s_send(p, bt_picker_bitfield(t->picker), nbytes);
    }
}

void bt_peer_md_request(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    if (!t || t->mi || !t->md_buf || p->state != BT_PS_ACTIVE || !p->ehs.ut_metadata || p->md_bad ||
        p->ehs.metadata_size != (int64_t)t->md_size)
        return;
    uint64_t now = cm_mono_ms();
    for (uint32_t i = 0; i < t->md_npieces && p->md_out < BT_MD_REQ_OUT; i++) {
        if (t->md_have[i] != 0)
            continue;
        cm_buf_t *b = cm_buf_new(128);
        uint8_t hdr[6];
        if (bt_md_build(b, BT_MD_REQUEST, i, -1, NULL, 0) == 0) {
            s_send(p, hdr,
                   bt_wire_extended_header(hdr, p->ehs.ut_metadata, (uint32_t)cm_buf_len(b)));
            s_send(p, cm_buf_data(b), cm_buf_len(b));
            t->md_have[i] = 1;
            t->md_req_at[i] = now;
            t->md_from[i] = p->serial;
            p->md_out++;
        }
        cm_buf_destroy(&b);
    }
}

/* --- the torrent learnt its metadata: turn what we kept into a checked bitfield --- */

static void s_count_pieces(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    if (!t->picker || p->counted)
        return;
    uint32_t n = bt_picker_npieces(t->picker);
    uint32_t nbytes = (n + 7) / 8;
    if (p->seed) {
        bt_picker_peer_seed(t->picker, +1);
        p->counted = p->counted_seed = true;
        p->have_count = n;
        return;
    }
    if (p->bits_len != nbytes) {
        uint8_t *nb = cm_calloc(nbytes ? nbytes : 1, 1);
        if (p->bits)
            memcpy(nb, p->bits, CM_MIN(p->bits_len, nbytes));
        cm_free(p->bits);
        p->bits = nb;
        p->bits_len = nbytes;
    }
    if (n % 8)
        p->bits[nbytes - 1] &= (uint8_t)(0xff << (8 - n % 8));
    p->have_count = 0;
    for (uint32_t i = 0; i < nbytes; i++)
        p->have_count += (uint32_t)__builtin_popcount(p->bits[i]);
    if (p->have_count == n && n > 0) {
        p->seed = true;
        bt_picker_peer_seed(t->picker, +1);
        p->counted = p->counted_seed = true;
        return;
    }
    bt_picker_peer_bitfield(t->picker, p->bits, +1);
    p->counted = true;
}

void bt_peer_metadata_ready(struct bt_peer *p)
{
    if (p->state != BT_PS_ACTIVE)
        return;
    s_count_pieces(p);
    bt_peer_update_interest(p);
    bt_peer_fill_requests(p);
}

/* --- message handlers --- */

static void s_on_have(struct bt_peer *p, uint32_t i)
{
    bt_torrent_t *t = p->t;
    if (p->seed)
        return;
    if (!t->picker) { /* before metadata: remember it (bounded by BT_PIECES_MAX) */
        if (i >= BT_PIECES_MAX)
            return;
        if (i / 8 >= p->bits_len) {
            uint32_t nl = CM_MAX(i / 8 + 1, p->bits_len * 2);
            nl = CM_MIN(nl, (uint32_t)(BT_PIECES_MAX / 8));
            p->bits = cm_realloc(p->bits, nl);
            memset(p->bits + p->bits_len, 0, nl - p->bits_len);
            p->bits_len = nl;
        }
        p->bits[i / 8] |= (uint8_t)(0x80 >> (i % 8));
        return;
    }
    if (!p->counted) /* no bitfield came first: it starts with nothing */
        s_count_pieces(p);
    if (s_peer_has(p, i))
        return;
    p->bits[i / 8] |= (uint8_t)(0x80 >> (i % 8));
    p->have_count++;
    bt_picker_peer_have(t->picker, i);
    uint32_t n = bt_picker_npieces(t->picker);
    if (p->have_count == n) { /* it became a seed: count it as one */
        bt_picker_peer_bitfield(t->picker, p->bits, -1);
        bt_picker_peer_seed(t->picker, +1);
        p->seed = p->counted_seed = true;
        if (t->complete) {
            bt_peer_close(p, "both sides are seeds");
            return;
        }
    }
    if (!p->am_interested && !bt_picker_have(t->picker, i) &&
        bt_picker_priority(t->picker, i) > BT_PRIO_SKIP)
        s_set_interested(p, true);
    bt_peer_fill_requests(p);
}

static int s_on_bitfield(struct bt_peer *p, const struct bt_msg *m)
{
    bt_torrent_t *t = p->t;
    /* BEP 3 wants it first, but some clients send one late (after haves, or again): the
     * latest one wins, as in libtorrent. */
    if (p->counted && t->picker) {
        if (p->counted_seed)
            bt_picker_peer_seed(t->picker, -1);
        else
            bt_picker_peer_bitfield(t->picker, p->bits, -1);
        p->counted = p->counted_seed = false;
    }
    p->seed = false;
    cm_free(p->bits);
    p->bits = cm_memdup(m->payload, m->plen);
    p->bits_len = (uint32_t)m->plen;
    if (t->picker) {
        s_count_pieces(p);
        if (p->seed && t->complete) {
            bt_peer_close(p, "both sides are seeds");
            return 0;
        }
        bt_peer_update_interest(p);
        bt_peer_fill_requests(p);
    }
    return 0;
}

static void s_on_have_all(struct bt_peer *p)
{
    bt_torrent_t *t = p->t;
    if (p->counted || p->seed)
        return;
    p->seed = true;
    if (t->picker) {
        s_count_pieces(p);
        if (t->complete) {
            bt_peer_close(p, "both sides are seeds");
            return;
        }
        bt_peer_update_interest(p);
    }
}

static int s_on_request(struct bt_peer *p, const struct bt_msg *m)
{
    bt_torrent_t *t = p->t;
    if (!t->picker)
        return -1; /* we announced nothing: a request is a violation */
    uint32_t psize = bt_picker_piece_size(t->picker, m->index);
    if ((uint64_t)m->begin + m->length > psize)
        return -1;
    if (p->am_choking || !bt_picker_have(t->picker, m->index)) {
        if (p->fast) {
            uint8_t rj[17];
            s_send(p, rj, bt_wire_request(rj, BT_MSG_REJECT, m->index, m->begin, m->length));
        }
        return 0;
    }
    if (p->inq_len >= BT_REQ_IN_MAX)
        return 0; /* over the cap: dropped (libtorrent's max_allowed_in_request_queue) */
    if (!p->inq)
        p->inq = cm_malloc(BT_REQ_IN_MAX * sizeof(*p->inq));
    struct bt_req *r = &p->inq[(p->inq_head + p->inq_len) % BT_REQ_IN_MAX];
    r->piece = m->index;
    r->begin = m->begin;
    r->length = m->length;
    r->sent_ms = cm_mono_ms();
    p->inq_len++;
    bt_peer_serve(p);
    return 0;
}

static void s_on_cancel(struct bt_peer *p, const struct bt_msg *m)
{
    for (uint32_t i = 0; i < p->inq_len; i++) {
        struct bt_req *r = &p->inq[(p->inq_head + i) % BT_REQ_IN_MAX];
        if (r->piece == m->index && r->begin == m->begin && r->length == m->length) {
            /* close the gap by moving the later entries one slot down */
            for (uint32_t j = i; j + 1 < p->inq_len; j++)
                p->inq[(p->inq_head + j) % BT_REQ_IN_MAX] =
                    p->inq[(p->inq_head + j + 1) % BT_REQ_IN_MAX];
            p->inq_len--;
            return;
        }
    }
}

static int s_on_piece(struct bt_peer *p, const struct bt_msg *m)
{
    bt_torrent_t *t = p->t;
    if (!t->picker)
        return -1;
    uint32_t i = 0;
    for (; i < p->nreqs; i++)
        if (p->reqs[i].piece == m->index && p->reqs[i].begin == m->begin &&
            p->reqs[i].length == m->length)
            break;
    uint64_t now = cm_mono_ms();
    p->downloaded += m->length;
    p->down_win += m->length;
    p->down_round += m->length;
    if (i == p->nreqs) {
        /* a block we cancelled or dropped (endgame, choke, snub) crossing on the wire is
         * expected and counted; any other is unsolicited, and BEP 3 closes on it */
        if (p->cancels == 0)
            return -1;
        p->cancels--;
        return 0;
    }
    s_req_remove_at(p, i);
    p->last_block_ms = now;
    if (p->snubbed) {
        p->snubbed = false;
        cm_log_d("peer", 0, "%s no longer snubbed", p->name);
    }
    bt_torrent_block_in(t, p, m->index, m->begin, m->payload, m->length);
    if (s_closed(p))
        return 0;
    bt_peer_fill_requests(p);
    return 0;
}

static int s_on_reject(struct bt_peer *p, const struct bt_msg *m)
{
    for (uint32_t i = 0; i < p->nreqs; i++) {
        if (p->reqs[i].piece == m->index && p->reqs[i].begin == m->begin) {
            bt_picker_abort(p->t->picker, m->index, m->begin);
            s_req_remove_at(p, i);
            return 0;
        }
    }
    return 0;
}

static int s_on_extended(struct bt_peer *p, const struct bt_msg *m)
{
    bt_torrent_t *t = p->t;
    if (!p->ext)
        return -1;
    if (m->ext_id == 0) {
        struct bt_ext_hs hs;
        if (bt_ext_hs_parse(m->payload, m->plen, &hs) < 0)
            return -1;
        p->ehs = hs;
        if (!t->mi && hs.ut_metadata && hs.metadata_size > 0 &&
            hs.metadata_size <= BT_METADATA_MAX && !t->md_buf) {
            t->md_size = (uint32_t)hs.metadata_size;
            t->md_npieces = (t->md_size + BT_METADATA_PIECE - 1) / BT_METADATA_PIECE;
            t->md_buf = cm_malloc(t->md_size);
            t->md_have = cm_calloc(t->md_npieces, 1);
            t->md_req_at = cm_calloc(t->md_npieces, sizeof(uint64_t));
            t->md_from = cm_calloc(t->md_npieces, sizeof(uint32_t));
        } else if (hs.metadata_size > BT_METADATA_MAX) {
            cm_log_i("peer", 0, "%s announces metadata of %" PRId64 " bytes: over the cap", p->name,
                     hs.metadata_size);
        }
        bt_peer_md_request(p);
        return 0;
    }
    if (m->ext_id == BT_EXT_UT_METADATA) {
        struct bt_md_msg md;
        if (bt_md_parse(m->payload, m->plen, &md) < 0)
            return -1;
        if (md.type == BT_MD_REQUEST) {
            if (!p->ehs.ut_metadata)
                return 0;
            cm_buf_t *b = cm_buf_new(BT_METADATA_PIECE + 256);
            uint8_t hdr[6];
            int rc;
            if (t->mi && (uint64_t)md.piece * BT_METADATA_PIECE < t->mi->info_len) {
                size_t off = (size_t)md.piece * BT_METADATA_PIECE;
                size_t len = CM_MIN((size_t)BT_METADATA_PIECE, t->mi->info_len - off);
                rc = bt_md_build(b, BT_MD_DATA, md.piece, (int64_t)t->mi->info_len,
                                 t->mi->info_raw + off, len);
            } else {
                rc = bt_md_build(b, BT_MD_REJECT, md.piece, -1, NULL, 0);
            }
            if (rc == 0) {
                s_send(p, hdr,
                       bt_wire_extended_header(hdr, p->ehs.ut_metadata, (uint32_t)cm_buf_len(b)));
                s_send(p, cm_buf_data(b), cm_buf_len(b));
            }
            cm_buf_destroy(&b);
        } else if (md.type == BT_MD_DATA) {
            bt_torrent_md_data(t, p, &md);
        } else {
            bt_torrent_md_reject(t, p, md.piece);
        }
        return 0;
    }
    if (m->ext_id == BT_EXT_UT_PEX) {
        struct sockaddr_storage a[BT_PEX_MAX];
        int n = bt_pex_parse(m->payload, m->plen, a, CM_ARRAY_LEN(a));
        if (n > 0)
            bt_torrent_add_cands(t, a, (size_t)n);
        return 0;
    }
    return 0; /* an id we never announced: ignore */
}

/* One parsed message; -1 closes the connection. */
static int s_handle(struct bt_peer *p, const struct bt_msg *m)
{
    switch (m->id) {
    case BT_MSG_KEEPALIVE:
        return 0;
    case BT_MSG_CHOKE:
        if (!p->peer_choking) {
            p->peer_choking = true;
            if (!p->fast)
                s_abort_all(p);
        }
        return 0;
    case BT_MSG_UNCHOKE:
        p->peer_choking = false;
        bt_peer_fill_requests(p);
        return 0;
    case BT_MSG_INTERESTED:
        p->peer_interested = true;
        /* a free upload slot goes at once: no need to wait for the next rechoke */
        if (p->am_choking && p->t->picker) {
            uint32_t unchoked = 0;
            for (struct bt_peer *q = p->t->peers; q; q = q->next)
                unchoked += !q->am_choking;
            uint32_t slots = p->e->opts.upload_slots;
            if (unchoked < slots)
                bt_peer_set_choke(p, false);
        }
        return 0;
    case BT_MSG_NOT_INTERESTED:
        p->peer_interested = false;
        return 0;
    case BT_MSG_HAVE:
        s_on_have(p, m->index);
        return 0;
    case BT_MSG_BITFIELD:
        return s_on_bitfield(p, m);
    case BT_MSG_REQUEST:
        return s_on_request(p, m);
    case BT_MSG_PIECE:
        return s_on_piece(p, m);
    case BT_MSG_CANCEL:
        s_on_cancel(p, m);
        return 0;
    case BT_MSG_HAVE_ALL:
        if (!p->fast)
            return -1;
        s_on_have_all(p);
        return 0;
    case BT_MSG_HAVE_NONE:
        return p->fast ? 0 : -1;
    case BT_MSG_REJECT:
        return p->fast ? s_on_reject(p, m) : -1;
    case BT_MSG_EXTENDED:
        return s_on_extended(p, m);
    default: /* port, suggest, allowed_fast, unknown */
        return 0;
    }
}

/* The peer's handshake is in. */
static int s_on_handshake(struct bt_peer *p, const uint8_t *in)
{
    bt_engine_t *e = p->e;
    struct bt_handshake hs;
    if (bt_wire_handshake_parse(in, &hs) < 0) {
        bt_peer_close(p, "not a BitTorrent handshake");
        return -1;
    }
    if (memcmp(hs.peer_id, e->peer_id, 20) == 0) {
        if (p->t) {
            for (uint32_t i = 0; i < p->t->ncands; i++)
                if (bt_addr_equal((struct sockaddr *)&p->t->cands[i].addr,
                                  (struct sockaddr *)&p->addr))
                    p->t->cands[i].self = true;
        }
        bt_peer_close(p, "connected to ourselves");
        return -1;
    }
    if (p->incoming) {
        bt_torrent_t *t = bt_engine_find(e, hs.info_hash);
        if (!t || t->removing) {
            bt_peer_close(p, "unknown info-hash");
            return -1;
        }
        if (bt_torrent_is_banned(t, (struct sockaddr *)&p->addr)) {
            bt_peer_close(p, "banned");
            return -1;
        }
        if (t->npeers >= e->opts.conn_max_torrent) {
            bt_peer_close(p, "torrent connection cap");
            return -1;
        }
        bt_engine_pending_unlink(e, p);
        p->t = t;
        uint8_t ours[BT_HANDSHAKE_LEN];
        bt_wire_handshake(ours, t->info_hash, e->peer_id, true);
        s_send(p, ours, sizeof(ours));
    } else if (memcmp(hs.info_hash, p->t->info_hash, 20) != 0) {
        bt_peer_close(p, "wrong info-hash in the handshake");
        return -1;
    }
    for (struct bt_peer *q = p->t->peers; q; q = q->next) {
        if (q != p && memcmp(q->peer_id, hs.peer_id, 20) == 0) {
            bt_peer_close(p, "already connected to that peer id");
            return -1;
        }
    }
    memcpy(p->peer_id, hs.peer_id, 20);
    memcpy(p->reserved, hs.reserved, 8);
    p->ext = BT_HS_EXTENDED(hs.reserved);
    p->fast = BT_HS_FAST(hs.reserved);
    p->got_handshake = true;
    p->state = BT_PS_ACTIVE;
    p->last_recv_ms = cm_mono_ms();
    bt_torrent_attach_peer(p->t, p);
    s_send_intro(p);
    return 0;
}

/* Parse everything buffered; returns -1 once the peer is closed. */
static int s_process(struct bt_peer *p)
{
    size_t off = 0;
    while (!s_closed(p)) {
        if (!p->got_handshake) {
            if (p->in_len - off < BT_HANDSHAKE_LEN)
                break;
            if (s_on_handshake(p, p->in + off) < 0)
                return -1;
            off += BT_HANDSHAKE_LEN;
            continue;
        }
        struct bt_msg m;
        size_t need = 0;
        uint32_t npieces = p->t->picker ? bt_picker_npieces(p->t->picker) : 0;
        int r = bt_wire_parse(p->in + off, p->in_len - off, npieces, &m, &need);
        if (r == 0) {
            if (need > p->in_cap) { /* a big message (bitfield, metadata): grow for it */
                p->in_cap = need;
                if (off > 0) {
                    memmove(p->in, p->in + off, p->in_len - off);
                    p->in_len -= off;
                    off = 0;
                }
                p->in = cm_realloc(p->in, p->in_cap);
            }
            break;
        }
        if (r < 0) {
            char why[64];
            snprintf(why, sizeof(why), "protocol violation (wire error %d)", r);
            bt_peer_close(p, why);
            return -1;
        }
        if (s_handle(p, &m) < 0) {
            char why[64];
            snprintf(why, sizeof(why), "protocol violation (message %d)", m.id);
            bt_peer_close(p, why);
            return -1;
        }
        off += (size_t)r;
    }
    if (s_closed(p))
        return -1;
    if (off > 0) {
        memmove(p->in, p->in + off, p->in_len - off);
        p->in_len -= off;
    }
    /* shrink a buffer grown for one big message once it is gone */
    if (p->in_cap > BT_PEER_INBUF && p->in_len <= BT_PEER_INBUF) {
        p->in_cap = BT_PEER_INBUF;
        p->in = cm_realloc(p->in, p->in_cap);
    }
    return 0;
}

void bt_peer_resume_read(struct bt_peer *p)
{
    if (s_closed(p) || !p->read_paused)
        return;
    p->read_paused = false;
    event_add(p->ev_read, NULL);
    event_active(p->ev_read, EV_READ, 0);
}

static void s_on_read(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(what);
    struct bt_peer *p = arg;
    for (int round = 0; round < 8 && !s_closed(p); round++) {
        size_t room = p->in_cap - p->in_len;
        if (room == 0)
            break;
        size_t allowed = room;
        bool limited = p->got_handshake && p->e->opts.down_rate > 0;
        if (limited) {
            allowed = bt_engine_down_take(p->e, room);
            if (allowed == 0) {
                p->read_paused = true;
                event_del(p->ev_read);
                bt_engine_want_refill(p->e);
                return;
            }
        }
        ssize_t n = read(fd, p->in + p->in_len, allowed);
        if (limited && (n < 0 || (size_t)n < allowed))
            bt_bucket_refund(&p->e->down, allowed - (n > 0 ? (size_t)n : 0));
        if (n == 0) {
            bt_peer_close(p, "closed by the peer");
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            bt_peer_close(p, strerror(errno));
            return;
        }
        p->in_len += (size_t)n;
        p->last_recv_ms = cm_mono_ms();
        if (s_process(p) < 0)
            return;
        if ((size_t)n < allowed)
            return; /* the socket is drained */
    }
}

static void s_on_connected(struct bt_peer *p)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err != 0) {
        bt_peer_close(p, strerror(err));
        return;
    }
    p->state = BT_PS_HANDSHAKE;
    uint8_t hs[BT_HANDSHAKE_LEN];
    bt_wire_handshake(hs, p->t->info_hash, p->e->peer_id, true);
    event_del(p->ev_write);
    event_add(p->ev_read, NULL);
    s_send(p, hs, sizeof(hs));
}

static void s_on_write(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(what);
    struct bt_peer *p = arg;
    if (p->state == BT_PS_CONNECTING) {
        s_on_connected(p);
        return;
    }
    int n = evbuffer_write(p->out, fd);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        bt_peer_close(p, strerror(errno));
        return;
    }
    if (evbuffer_get_length(p->out) == 0)
        event_del(p->ev_write);
    if (p->inq_len > 0)
        bt_peer_serve(p);
}

void bt_peer_tick(struct bt_peer *p, uint64_t now)
{
    if (p->state == BT_PS_CONNECTING || p->state == BT_PS_HANDSHAKE) {
        if (now - p->connected_ms > BT_HANDSHAKE_TIMEOUT_MS)
            bt_peer_close(p, "handshake timeout");
        return;
    }
    if (p->state != BT_PS_ACTIVE)
        return;
    if (now - p->last_recv_ms > BT_PEER_IDLE_MS) {
        bt_peer_close(p, "idle for 120 s");
        return;
    }
    /* rates: a smoothed per-second figure */
    p->down_bps = (p->down_bps + p->down_win * 1000 / BT_TICK_MS) / 2;
    p->up_bps = (p->up_bps + p->up_win * 1000 / BT_TICK_MS) / 2;
    p->down_win = p->up_win = 0;
    /* pipeline: BT_REQ_QUEUE_S seconds of its rate, within bounds */
    uint64_t want = p->down_bps * BT_REQ_QUEUE_S / BT_BLOCK_LEN;
    p->pipeline = (uint32_t)CM_MAX((uint64_t)CM_MAX(BT_REQ_OUT_MIN, p->pipeline / 2),
                                   CM_MIN(want, (uint64_t)BT_REQ_OUT_MAX));
    if (p->pipeline < BT_REQ_OUT_START && p->down_bps == 0)
        p->pipeline = BT_REQ_OUT_START;
    /* snubbed: requests out and no block for a while. Its requests go to other peers. */
    if (p->nreqs > 0 && !p->snubbed) {
        uint64_t oldest = now;
        for (uint32_t i = 0; i < p->nreqs; i++)
            oldest = CM_MIN(oldest, p->reqs[i].sent_ms);
        if (now - CM_MAX(p->last_block_ms, oldest) > BT_SNUB_MS) {
            p->snubbed = true;
            cm_log_i("peer", 0, "%s snubbed us: %" PRIu32 " requests unanswered", p->name,
                     p->nreqs);
            s_abort_all(p);
            /* the blocks it held go to the others now */
            for (struct bt_peer *q = p->t->peers; q; q = q->next)
                if (q != p)
                    bt_peer_fill_requests(q);
        }
    }
    if (now - p->last_send_ms > BT_KEEPALIVE_MS) {
        uint8_t ka[4];
        s_send(p, ka, bt_wire_keepalive(ka));
    }
    if (!p->t->mi)
        bt_peer_md_request(p);
    else
        bt_peer_fill_requests(p);
}

/* Free a zombie (bt_engine's reaper). */
void bt_peer_free(struct bt_peer *p)
{
    evbuffer_free(p->out);
    cm_free(p->in);
    cm_free(p->bits);
    cm_free(p->reqs);
    cm_free(p->inq);
    cm_free(p);
}
