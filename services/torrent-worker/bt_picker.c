/* SPDX-License-Identifier: MIT
 * bt_picker: which blocks to request next (see bt_picker.h for the order of preference).
 *
 * Layout, chosen so that a pick costs little even at 200 MiB/s:
 *  - `have` is our bitfield in BEP 3 byte order, padded with zero bytes to whole 64-bit words;
 *  - `excl` is one bit per piece in 64-bit words (bit 63 - j of word w is piece 64w + j): set
 *    when the piece is had, in progress, SKIP, or past the end. Its complement ANDed with the
 *    peer's bitfield gives the "fresh" pieces a peer can give us, 64 at a time;
 *  - `sum` keeps, per word of `excl`, an optimistic bound on its fresh pieces (highest priority,
 *    lowest availability), and `grp` the same per group of 64 words (4096 pieces), so that a
 *    scan skips the groups and words that cannot beat what it already holds. Events that can
 *    only loosen a bound (a piece leaving the fresh set, an availability rising) mark it dirty;
 *    it is recomputed (from the 64 pieces, or the 64 word bounds) when a scan needs it tight;
 *  - `prio` holds the priority in bits 0-2 and S_PRIO_DEADLINE when the piece has a deadline;
 *  - `avail` counts peers having the piece (saturating); peers that have every piece are only
 *    counted in `seeds`, which does not change the rarest-first order;
 *  - pieces in progress live in a dense table (`parts`) with one state byte per block, found by
 *    piece through a small open-addressing hash, so memory stays bounded by the number of
 *    pieces in progress, not by the torrent (2,097,152 pieces cost about 6.6 MiB in all);
 *  - deadlines are a sorted array (at most BT_PICKER_DEADLINES_MAX).
 * A pick walks the deadlines, then merges the pieces in progress (by priority) with the best
 * fresh pieces found by one scan of the bitfields (top K by priority then rarity, starting at a
 * random word so that peers spread), then, when nothing unrequested is left for the peer,
 * hands out duplicates (endgame). */
#include "cm.h"
#include "bt_picker.h"

#define BT_PICKER_TAG 0xb7e10001u

enum {
    S_BLOCK = 16384,        /* block size of the wire protocol */
    S_PIECES_MAX = 1 << 24, /* most pieces a picker accepts */
    S_BLOCKS_MAX = 1 << 16, /* most blocks in one piece (1 GiB pieces) */
    S_RECEIVED = 0xff,      /* block state: received (else the requests in flight) */
    S_TAKEN = 0x40,         /* block state flag during a pick: handed out by this pick */
    S_PRIO_MASK = 0x07,     /* priority bits of prio[] */
    S_PRIO_DEADLINE = 0x80, /* prio[] flag: the piece has a deadline */
    S_HASH_MIN = 64,        /* first size of the partial hash (a power of two) */
    S_FREEBUFS_MAX = 64,    /* block-state buffers kept for reuse */
    S_CANDS_MAX = 32,       /* fresh pieces collected by one scan */
    S_GROUP_SHIFT = 12,     /* piece index >> 12: its group of 64 words */
    S_NONE = 0xffffffff,    /* empty hash key / no slot */
};

/* A piece in progress. */
struct s_part {
    uint32_t piece;   /* piece index */
    uint32_t nblocks; /* blocks in this piece */
    uint32_t unreq;   /* blocks with no request in flight and not received */
    uint32_t recvd;   /* blocks received */
    uint32_t hint;    /* no unrequested block below this index */
    uint8_t *blocks;  /* nblocks states: 0..BT_PICKER_DUP_MAX in flight, or S_RECEIVED */
};

struct s_deadline {
    uint64_t ms;    /* monotonic ms */
    uint32_t piece; /* piece index */
};

/* Bound on the fresh pieces of one word: no fresh piece there has a higher priority than
 * `prio` or a lower availability than `avail`. */
struct s_sum {
    uint16_t avail; /* lowest availability (or less) */
    uint8_t prio;   /* highest priority (or more); 0: no fresh piece */
    uint8_t dirty;  /* the bound may be loose */
};

/* A fresh piece found by a scan. */
struct s_cand {
    uint32_t piece;
    uint8_t prio;
    uint16_t avail;
};

struct bt_picker {
    uint32_t tag;                      /* BT_PICKER_TAG while alive */
    uint32_t npieces;                  /* pieces in the torrent */
    uint32_t piece_len;                /* bytes of every piece but the last */
    uint32_t last_len;                 /* bytes of the last piece */
    uint32_t bpp;                      /* blocks of a full piece */
    uint64_t total_len;                /* bytes of the torrent */
    size_t nwords;                     /* 64-bit words of the bitfields */
    size_t bf_bytes;                   /* bytes of a BEP 3 bitfield: ceil(npieces / 8) */
    uint8_t *have;                     /* our bitfield, nwords * 8 bytes, spare bits zero */
    uint64_t *excl;                    /* pieces not fresh: had, in progress, SKIP, past the end */
    struct s_sum *sum;                 /* per word of excl: bound on its fresh pieces */
    struct s_sum *grp;                 /* per 64 words: bound on their bounds */
    uint16_t *avail;                   /* peers with the piece, not counting seeds (saturating) */
    uint8_t *prio;                     /* priority (bits 0-2) and S_PRIO_DEADLINE */
    uint32_t seeds;                    /* peers with every piece */
    uint32_t have_count;               /* pieces had */
    uint64_t left;                     /* bytes of wanted pieces not had */
    uint32_t fresh_cnt[8];             /* wanted pieces neither had nor in progress, per priority */
    struct s_deadline *dl;             /* deadlines sorted by time, BT_PICKER_DEADLINES_MAX */
    uint32_t ndl;                      /* deadlines held */
    struct s_part *parts;              /* pieces in progress, dense */
    uint32_t nparts;                   /* entries used in parts */
    uint32_t cap_parts;                /* entries allocated in parts, elig and elig2 */
    uint32_t *hkey;                    /* hash: piece, or S_NONE */
    uint32_t *hval;                    /* hash: index in parts */
    uint32_t hcap;                     /* hash size, a power of two */
    uint8_t *freebufs[S_FREEBUFS_MAX]; /* block-state buffers (bpp bytes) for reuse */
    uint32_t nfree;                    /* buffers in freebufs */
    uint32_t *elig;                    /* scratch: partials a peer can serve */
    uint32_t *elig2;                   /* scratch: the same sorted by priority */
    uint64_t rng;                      /* xorshift state */
};

/* --- small helpers --- */

static uint64_t s_rand(bt_picker_t *p)
{
    uint64_t x = p->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline bool s_bit(const uint8_t *bits, uint32_t i)
{
    return (bits[i >> 3] >> (7 - (i & 7))) & 1;
}

static inline int s_prio(const bt_picker_t *p, uint32_t i)
{
    return p->prio[i] & S_PRIO_MASK;
}

/* The bounds of piece i's word and group may have become loose. */
static inline void s_bound_dirty(bt_picker_t *p, size_t i)
{
    p->sum[i >> 6].dirty = 1;
    p->grp[i >> S_GROUP_SHIFT].dirty = 1;
}

static inline void s_widen(struct s_sum *sm, int prio, uint16_t avail)
{
    if (sm->prio < prio)
        sm->prio = (uint8_t)prio;
    if (sm->avail > avail)
        sm->avail = avail;
}

/* Piece i is no longer fresh. */
static inline void s_fresh_leave(bt_picker_t *p, uint32_t i)
{
    p->excl[i >> 6] |= 1ull << (63 - (i & 63));
    s_bound_dirty(p, i);
}

/* Piece i becomes fresh, or a fresh piece's priority rises: widen the bounds. */
static inline void s_fresh_widen(bt_picker_t *p, uint32_t i)
{
    p->excl[i >> 6] &= ~(1ull << (63 - (i & 63)));
    s_widen(&p->sum[i >> 6], s_prio(p, i), p->avail[i]);
    s_widen(&p->grp[i >> S_GROUP_SHIFT], s_prio(p, i), p->avail[i]);
}

/* Recompute the bound of word w from its fresh pieces. */
static void s_sum_fix(bt_picker_t *p, size_t w)
{
    struct s_sum *sm = &p->sum[w];
    uint64_t word = ~p->excl[w];
    sm->prio = 0;
    sm->avail = UINT16_MAX;
    sm->dirty = 0;
    while (word) {
        int j = __builtin_clzll(word);
        word &= ~(1ull << (63 - j));
        size_t i = w * 64 + (size_t)j;
        int pr = p->prio[i] & S_PRIO_MASK;
        if (pr > sm->prio)
            sm->prio = (uint8_t)pr;
        if (p->avail[i] < sm->avail)
            sm->avail = p->avail[i];
    }
    p->grp[w >> 6].dirty = 1; /* it may be tighter now */
}

/* Recompute the bound of group g from its words' bounds. */
static void s_grp_fix(bt_picker_t *p, size_t g)
{
    struct s_sum *gs = &p->grp[g];
    size_t end = CM_MIN((g + 1) * 64, p->nwords);
    gs->prio = 0;
    gs->avail = UINT16_MAX;
    gs->dirty = 0;
    for (size_t w = g * 64; w < end; w++)
        s_widen(gs, p->sum[w].prio, p->sum[w].avail);
}

/* Availability of piece i changes by +1 or -1 (saturating). */
static inline void s_avail_add(bt_picker_t *p, size_t i, int delta)
{
    struct s_sum *sm = &p->sum[i >> 6];
    struct s_sum *gs = &p->grp[i >> S_GROUP_SHIFT];
    if (delta > 0 && p->avail[i] < UINT16_MAX) {
        uint16_t old = p->avail[i]++;
        if (old == sm->avail)
            sm->dirty = 1;
        if (old == gs->avail)
            gs->dirty = 1;
    } else if (delta < 0 && p->avail[i] > 0) {
        p->avail[i]--;
        s_widen(sm, 0, p->avail[i]);
        s_widen(gs, 0, p->avail[i]);
    }
}

static inline bool s_peer_has(const uint8_t *peer, uint32_t i)
{
    return !peer || s_bit(peer, i);
}

/* Word w of a peer's bitfield (bf_bytes long), bit 63 - j = piece 64w + j. */
static inline uint64_t s_peer_word(const bt_picker_t *p, const uint8_t *peer, size_t w)
{
    if (!peer)
        return ~0ull;
    size_t off = w * 8;
    uint8_t b[8] = {0};
    memcpy(b, peer + off, p->bf_bytes - off < 8 ? p->bf_bytes - off : 8);
    uint64_t v;
    memcpy(&v, b, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

static uint32_t s_piece_size(const bt_picker_t *p, uint32_t piece)
{
    return piece + 1 == p->npieces ? p->last_len : p->piece_len;
}

static uint32_t s_nblocks(const bt_picker_t *p, uint32_t piece)
{
    return (s_piece_size(p, piece) + S_BLOCK - 1) / S_BLOCK;
}

static struct bt_block s_block(const bt_picker_t *p, uint32_t piece, uint32_t b)
{
    uint32_t size = s_piece_size(p, piece);
    uint32_t begin = b * (uint32_t)S_BLOCK;
    struct bt_block blk = {piece, begin, CM_MIN((uint32_t)S_BLOCK, size - begin)};
    return blk;
}

/* --- the partial hash: piece -> index in parts (linear probing, backward-shift delete) --- */

static inline uint32_t s_home(const bt_picker_t *p, uint32_t piece)
{
    return (piece * 0x9e3779b1u) & (p->hcap - 1);
}

static uint32_t s_hfind(const bt_picker_t *p, uint32_t piece)
{
    if (p->nparts == 0)
        return S_NONE;
    uint32_t mask = p->hcap - 1;
    for (uint32_t i = s_home(p, piece);; i = (i + 1) & mask) {
        if (p->hkey[i] == piece)
            return i;
        if (p->hkey[i] == S_NONE)
            return S_NONE;
    }
}

static void s_hput(bt_picker_t *p, uint32_t piece, uint32_t slot)
{
    uint32_t mask = p->hcap - 1;
    uint32_t i = s_home(p, piece);
    while (p->hkey[i] != S_NONE)
        i = (i + 1) & mask;
    p->hkey[i] = piece;
    p->hval[i] = slot;
}

static void s_hdel_at(bt_picker_t *p, uint32_t i)
{
    uint32_t mask = p->hcap - 1;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (p->hkey[j] == S_NONE)
            break;
        uint32_t k = s_home(p, p->hkey[j]);
        /* Entry j may move to the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        p->hkey[i] = p->hkey[j];
        p->hval[i] = p->hval[j];
        i = j;
    }
    p->hkey[i] = S_NONE;
}

static void s_hgrow(bt_picker_t *p, uint32_t cap)
{
    uint32_t *okey = p->hkey, *oval = p->hval;
    uint32_t ocap = p->hcap;
    p->hcap = cap;
    p->hkey = cm_malloc(sizeof(*p->hkey) * cap);
    p->hval = cm_malloc(sizeof(*p->hval) * cap);
    memset(p->hkey, 0xff, sizeof(*p->hkey) * cap);
    for (uint32_t i = 0; i < ocap; i++)
        if (okey[i] != S_NONE)
            s_hput(p, okey[i], oval[i]);
    cm_free(okey);
    cm_free(oval);
}

static struct s_part *s_part_get(const bt_picker_t *p, uint32_t piece)
{
    uint32_t h = s_hfind(p, piece);
    return h == S_NONE ? NULL : &p->parts[p->hval[h]];
}

/* Start block state for `piece` (not had, not in progress). */
static struct s_part *s_part_new(bt_picker_t *p, uint32_t piece)
{
    if (p->nparts == p->cap_parts) {
        uint32_t cap = p->cap_parts ? p->cap_parts * 2 : 16;
        p->parts = cm_realloc(p->parts, sizeof(*p->parts) * cap);
        p->elig = cm_realloc(p->elig, sizeof(*p->elig) * cap);
        p->elig2 = cm_realloc(p->elig2, sizeof(*p->elig2) * cap);
        p->cap_parts = cap;
    }
    if ((p->nparts + 1) * 2 > p->hcap)
        s_hgrow(p, p->hcap * 2);
    struct s_part *part = &p->parts[p->nparts];
    part->piece = piece;
    part->nblocks = s_nblocks(p, piece);
    part->unreq = part->nblocks;
    part->recvd = 0;
    part->hint = 0;
    part->blocks = p->nfree ? p->freebufs[--p->nfree] : cm_malloc(p->bpp);
    memset(part->blocks, 0, part->nblocks);
    s_hput(p, piece, p->nparts);
    p->nparts++;
    int pr = s_prio(p, piece);
    if (pr > 0)
        p->fresh_cnt[pr]--;
    s_fresh_leave(p, piece);
    return part;
}

/* Drop the block state of `piece` (the caller then marks it had). */
static void s_part_free(bt_picker_t *p, uint32_t piece)
{
    uint32_t h = s_hfind(p, piece);
    if (h == S_NONE)
        return;
    uint32_t slot = p->hval[h];
    s_hdel_at(p, h);
    struct s_part *part = &p->parts[slot];
    if (p->nfree < S_FREEBUFS_MAX)
        p->freebufs[p->nfree++] = part->blocks;
    else
        cm_free(part->blocks);
    uint32_t last = p->nparts - 1;
    if (slot != last) {
        p->parts[slot] = p->parts[last];
        uint32_t hm = s_hfind(p, p->parts[slot].piece);
        assert(hm != S_NONE);
        p->hval[hm] = slot;
    }
    p->nparts--;
}

/* Hand out unrequested blocks of `part` in order (flagged S_TAKEN until the end of the pick). */
static size_t s_take_unreq(bt_picker_t *p, struct s_part *part, struct bt_block *out, size_t room)
{
    size_t k = 0;
    uint32_t b = part->hint;
    while (k < room && part->unreq > 0 && b < part->nblocks) {
        if (part->blocks[b] == 0) {
            part->blocks[b] = 1 | S_TAKEN;
            part->unreq--;
            out[k++] = s_block(p, part->piece, b);
        }
        b++;
    }
    part->hint = b;
    return k;
}

/* Hand out blocks of `part` in flight `level` times (any level below the cap when 0). A block
 * handed out is flagged S_TAKEN until the end of the pick, so one pick never gives it twice. */
static size_t s_take_dups(bt_picker_t *p, struct s_part *part, struct bt_block *out, size_t room,
                          int level, bt_picker_dup_ok_fn dup_ok, void *arg)
{
    size_t k = 0;
    if (part->recvd + part->unreq >= part->nblocks)
        return 0; /* nothing in flight */
    for (uint32_t b = 0; b < part->nblocks && k < room; b++) {
        uint8_t st = part->blocks[b];
        if (st == 0 || st >= BT_PICKER_DUP_MAX || (level && st != level))
            continue;
        if (dup_ok && !dup_ok(arg, part->piece, b * (uint32_t)S_BLOCK))
            continue;
        part->blocks[b] = (uint8_t)((st + 1) | S_TAKEN);
        out[k++] = s_block(p, part->piece, b);
    }
    return k;
}

static void s_deadline_remove(bt_picker_t *p, uint32_t piece)
{
    for (uint32_t i = 0; i < p->ndl; i++) {
        if (p->dl[i].piece == piece) {
            memmove(&p->dl[i], &p->dl[i + 1], sizeof(*p->dl) * (p->ndl - i - 1));
            p->ndl--;
            break;
        }
    }
    p->prio[piece] &= (uint8_t)~S_PRIO_DEADLINE;
}

/* --- construction --- */

bt_picker_t *bt_picker_new(uint32_t npieces, uint32_t piece_len, uint64_t total_len)
{
    if (npieces == 0 || npieces > S_PIECES_MAX || piece_len == 0 ||
        piece_len > (uint32_t)S_BLOCKS_MAX * S_BLOCK)
        return NULL;
    uint64_t before_last = (uint64_t)(npieces - 1) * piece_len;
    if (total_len <= before_last || total_len - before_last > piece_len)
        return NULL;

    bt_picker_t *p = cm_calloc(1, sizeof(*p));
    p->tag = BT_PICKER_TAG;
    p->npieces = npieces;
    p->piece_len = piece_len;
    p->last_len = (uint32_t)(total_len - before_last);
    p->bpp = (piece_len + S_BLOCK - 1) / S_BLOCK;
    p->total_len = total_len;
    p->nwords = ((size_t)npieces + 63) / 64;
    p->bf_bytes = ((size_t)npieces + 7) / 8;
    p->have = cm_calloc(p->nwords, 8);
    p->excl = cm_calloc(p->nwords, sizeof(*p->excl));
    p->sum = cm_calloc(p->nwords, sizeof(*p->sum));
    for (size_t w = 0; w < p->nwords; w++)
        p->sum[w].prio = BT_PRIO_NORMAL; /* every piece fresh, NORMAL, availability 0 */
    size_t ngroups = (p->nwords + 63) / 64;
    p->grp = cm_calloc(ngroups, sizeof(*p->grp));
    for (size_t g = 0; g < ngroups; g++)
        p->grp[g].prio = BT_PRIO_NORMAL;
    p->avail = cm_calloc(npieces, sizeof(*p->avail));
    p->prio = cm_malloc(npieces);
    memset(p->prio, BT_PRIO_NORMAL, npieces);
    if (npieces & 63) /* bits past the end are never fresh */
        p->excl[p->nwords - 1] = ~0ull >> (npieces & 63);
    p->left = total_len;
    p->fresh_cnt[BT_PRIO_NORMAL] = npieces;
    p->dl = cm_malloc(sizeof(*p->dl) * BT_PICKER_DEADLINES_MAX);
    p->hcap = S_HASH_MIN;
    p->hkey = cm_malloc(sizeof(*p->hkey) * p->hcap);
    p->hval = cm_malloc(sizeof(*p->hval) * p->hcap);
    memset(p->hkey, 0xff, sizeof(*p->hkey) * p->hcap);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
        seed = cm_mono_us() ^ (uint64_t)(uintptr_t)p;
    p->rng = seed | 1;
    return p;
}

void bt_picker_destroy(bt_picker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_picker_t *p = *self_p;
    assert(p->tag == BT_PICKER_TAG);
    p->tag = 0xdeadbeef;
    for (uint32_t i = 0; i < p->nparts; i++)
        cm_free(p->parts[i].blocks);
    for (uint32_t i = 0; i < p->nfree; i++)
        cm_free(p->freebufs[i]);
    cm_free(p->parts);
    cm_free(p->elig);
    cm_free(p->elig2);
    cm_free(p->hkey);
    cm_free(p->hval);
    cm_free(p->dl);
    cm_free(p->prio);
    cm_free(p->avail);
    cm_free(p->excl);
    cm_free(p->sum);
    cm_free(p->grp);
    cm_free(p->have);
    cm_free(p);
    *self_p = NULL;
}

uint32_t bt_picker_npieces(const bt_picker_t *p)
{
    return p->npieces;
}

uint32_t bt_picker_piece_size(const bt_picker_t *p, uint32_t piece)
{
    return piece < p->npieces ? s_piece_size(p, piece) : 0;
}

uint32_t bt_picker_nblocks(const bt_picker_t *p, uint32_t piece)
{
    return piece < p->npieces ? s_nblocks(p, piece) : 0;
}

/* --- our pieces --- */

void bt_picker_set_have(bt_picker_t *p, uint32_t piece)
{
    if (piece >= p->npieces || s_bit(p->have, piece))
        return;
    int pr = s_prio(p, piece);
    if (s_hfind(p, piece) != S_NONE)
        s_part_free(p, piece);
    else if (pr > 0)
        p->fresh_cnt[pr]--;
    if (pr > 0)
        p->left -= s_piece_size(p, piece);
    p->have[piece >> 3] |= (uint8_t)(0x80 >> (piece & 7));
    p->have_count++;
    s_fresh_leave(p, piece);
    if (p->prio[piece] & S_PRIO_DEADLINE)
        s_deadline_remove(p, piece);
}

bool bt_picker_have(const bt_picker_t *p, uint32_t piece)
{
    return piece < p->npieces && s_bit(p->have, piece);
}

uint32_t bt_picker_have_count(const bt_picker_t *p)
{
    return p->have_count;
}

const uint8_t *bt_picker_bitfield(const bt_picker_t *p)
{
    return p->have;
}

bool bt_picker_complete(const bt_picker_t *p)
{
    return p->left == 0;
}

uint64_t bt_picker_left(const bt_picker_t *p)
{
    return p->left;
}

/* --- availability --- */

void bt_picker_peer_have(bt_picker_t *p, uint32_t piece)
{
    if (piece < p->npieces)
        s_avail_add(p, piece, +1);
}

void bt_picker_peer_bitfield(bt_picker_t *p, const uint8_t *bits, int delta)
{
    if (!bits || delta == 0)
        return;
    for (size_t w = 0; w < p->nwords; w++) {
        uint64_t word = s_peer_word(p, bits, w);
        while (word) {
            int j = __builtin_clzll(word);
            word &= ~(1ull << (63 - j));
            size_t i = w * 64 + (size_t)j;
            if (i >= p->npieces)
                break;
            s_avail_add(p, i, delta);
        }
    }
}

void bt_picker_peer_seed(bt_picker_t *p, int delta)
{
    if (delta > 0)
        p->seeds++;
    else if (delta < 0 && p->seeds > 0)
        p->seeds--;
}

uint32_t bt_picker_availability(const bt_picker_t *p, uint32_t piece)
{
    return piece < p->npieces ? p->avail[piece] + p->seeds : 0;
}

/* --- priorities and deadlines --- */

void bt_picker_set_priority(bt_picker_t *p, uint32_t first, uint32_t last, int prio)
{
    if (first >= p->npieces || first > last)
        return;
    if (last >= p->npieces)
        last = p->npieces - 1;
    int np = prio < BT_PRIO_SKIP ? BT_PRIO_SKIP : prio > BT_PRIO_CRITICAL ? BT_PRIO_CRITICAL : prio;
    for (uint32_t i = first;; i++) {
        int op = s_prio(p, i);
        if (op != np) {
            p->prio[i] = (uint8_t)((p->prio[i] & ~S_PRIO_MASK) | np);
            if (!s_bit(p->have, i)) {
                if (op == 0)
                    p->left += s_piece_size(p, i);
                else if (np == 0)
                    p->left -= s_piece_size(p, i);
                if (s_hfind(p, i) == S_NONE) { /* fresh, or SKIP becoming fresh */
                    if (op > 0)
                        p->fresh_cnt[op]--;
                    if (np > 0)
                        p->fresh_cnt[np]++;
                    if (np == 0)
                        s_fresh_leave(p, i);
                    else if (np > op)
                        s_fresh_widen(p, i);
                    else
                        s_bound_dirty(p, i); /* lower priority: the bounds may be loose */
                }
            }
        }
        if (i == last)
            break;
    }
}

int bt_picker_priority(const bt_picker_t *p, uint32_t piece)
{
    return piece < p->npieces ? s_prio(p, piece) : BT_PRIO_SKIP;
}

int bt_picker_set_deadline(bt_picker_t *p, uint32_t piece, uint64_t deadline_ms)
{
    if (piece >= p->npieces)
        return -1;
    if (p->prio[piece] & S_PRIO_DEADLINE)
        s_deadline_remove(p, piece);
    if (deadline_ms == 0 || s_bit(p->have, piece))
        return 0; /* cleared, or nothing left to hurry */
    if (p->ndl >= BT_PICKER_DEADLINES_MAX)
        return -1;
    uint32_t at = p->ndl; /* after every deadline <= this one: equal ones keep their order */
    while (at > 0 && p->dl[at - 1].ms > deadline_ms)
        at--;
    memmove(&p->dl[at + 1], &p->dl[at], sizeof(*p->dl) * (p->ndl - at));
    p->dl[at].ms = deadline_ms;
    p->dl[at].piece = piece;
    p->ndl++;
    p->prio[piece] |= S_PRIO_DEADLINE;
    return 0;
}

void bt_picker_clear_deadlines(bt_picker_t *p)
{
    for (uint32_t i = 0; i < p->ndl; i++)
        p->prio[p->dl[i].piece] &= (uint8_t)~S_PRIO_DEADLINE;
    p->ndl = 0;
}

/* --- picking --- */

/* Is (prio, avail) strictly better than candidate c? */
static inline bool s_better(int prio, uint16_t avail, const struct s_cand *c)
{
    return prio > c->prio || (prio == c->prio && avail < c->avail);
}

/* Highest priority that still has fresh pieces (0: none). */
static int s_top_fresh(const bt_picker_t *p)
{
    for (int pr = BT_PRIO_CRITICAL; pr > 0; pr--)
        if (p->fresh_cnt[pr])
            return pr;
    return 0;
}

/* One pass over the bitfields: the best `k` fresh pieces the peer has, best first (priority,
 * then rarity; ties keep the scan order, which starts at a random word). */
static size_t s_scan(bt_picker_t *p, const uint8_t *peer, struct s_cand *c, size_t k)
{
    int top = s_top_fresh(p);
    size_t n = 0;
    size_t nw = p->nwords;
    size_t start = (size_t)(s_rand(p) % nw);
    for (size_t s = 0; s < nw; s++) {
        size_t w = start + s < nw ? start + s : start + s - nw;
        if (n == k) { /* full: skip a group whose bound cannot beat the worst one kept */
            const struct s_sum *gs = &p->grp[w >> 6];
            bool skip = !s_better(gs->prio, gs->avail, &c[k - 1]);
            if (!skip && gs->dirty) {
                s_grp_fix(p, w >> 6);
                skip = !s_better(gs->prio, gs->avail, &c[k - 1]);
            }
            if (skip) {
                s += CM_MIN((w | 63) + 1, nw) - w - 1; /* to the group's last word */
                continue;
            }
        }
        uint64_t word = s_peer_word(p, peer, w) & ~p->excl[w];
        if (!word)
            continue;
        if (n == k) { /* the same for the word */
            const struct s_sum *sm = &p->sum[w];
            if (!s_better(sm->prio, sm->avail, &c[k - 1]))
                continue;
            if (sm->dirty) {
                s_sum_fix(p, w);
                if (!s_better(sm->prio, sm->avail, &c[k - 1]))
                    continue;
            }
        }
        while (word) {
            int j = __builtin_clzll(word);
            word &= ~(1ull << (63 - j));
            uint32_t i = (uint32_t)(w * 64 + (size_t)j);
            int pr = s_prio(p, i);
            uint16_t av = p->avail[i];
            if (n == k && !s_better(pr, av, &c[k - 1]))
                continue;
            size_t at = n < k ? n : k - 1;
            while (at > 0 && s_better(pr, av, &c[at - 1])) {
                c[at] = c[at - 1];
                at--;
            }
            c[at].piece = i;
            c[at].prio = (uint8_t)pr;
            c[at].avail = av;
            if (n < k)
                n++;
            if (n == k && c[k - 1].prio == top && c[k - 1].avail == 0)
                return n; /* nothing can beat the worst one kept */
        }
    }
    return n;
}

/* Pieces in progress the peer can serve (wanted, not had), sorted by priority, highest first;
 * ties keep the table order. Returns the count; the list is in p->elig2. */
static uint32_t s_eligible(bt_picker_t *p, const uint8_t *peer)
{
    uint32_t count[8] = {0};
    uint32_t n = 0;
    for (uint32_t s = 0; s < p->nparts; s++) {
        const struct s_part *part = &p->parts[s];
        int pr = s_prio(p, part->piece);
        if (pr == 0 || part->recvd == part->nblocks || !s_peer_has(peer, part->piece))
            continue;
        p->elig[n++] = s;
        count[pr]++;
    }
    uint32_t pos[8];
    uint32_t acc = 0;
    for (int pr = BT_PRIO_CRITICAL; pr >= 0; pr--) {
        pos[pr] = acc;
        acc += count[pr];
    }
    for (uint32_t e = 0; e < n; e++) {
        uint32_t s = p->elig[e];
        p->elig2[pos[s_prio(p, p->parts[s].piece)]++] = s;
    }
    return n;
}

size_t bt_picker_pick(bt_picker_t *p, const uint8_t *peer_bits, struct bt_block *out, size_t max,
                      uint64_t now_ms, bt_picker_dup_ok_fn dup_ok, void *arg)
{
    size_t n = 0;
    if (!p || !out || max == 0)
        return 0;

    /* 1. Deadlines, earliest first; duplicates allowed once a deadline has passed. */
    for (uint32_t d = 0; d < p->ndl && n < max; d++) {
        uint32_t piece = p->dl[d].piece;
        if (s_prio(p, piece) == 0 || !s_peer_has(peer_bits, piece))
            continue;
        struct s_part *part = s_part_get(p, piece);
        if (!part)
            part = s_part_new(p, piece);
        n += s_take_unreq(p, part, out + n, max - n);
        if (n < max && p->dl[d].ms <= now_ms)
            n += s_take_dups(p, part, out + n, max - n, 0, dup_ok, arg);
    }

    /* 2. Pieces in progress merged with the best fresh pieces: higher priority first, and at
     * equal priority the piece in progress. */
    uint32_t ne = n < max ? s_eligible(p, peer_bits) : 0;
    uint32_t ei = 0;
    struct s_cand cand[S_CANDS_MAX];
    size_t nc = 0, ci = 0;
    bool scan_more = true; /* a scan may still find fresh pieces */
    while (n < max) {
        while (ei < ne && p->parts[p->elig2[ei]].unreq == 0)
            ei++;
        int pe = ei < ne ? s_prio(p, p->parts[p->elig2[ei]].piece) : 0;
        if (ci == nc && scan_more && s_top_fresh(p) > pe) {
            size_t want = (max - n + p->bpp - 1) / p->bpp + 1;
            size_t k = CM_MIN(want, (size_t)S_CANDS_MAX);
            nc = s_scan(p, peer_bits, cand, k);
            ci = 0;
            scan_more = nc == k;
        }
        int pf = ci < nc ? cand[ci].prio : 0;
        if (pe == 0 && pf == 0)
            break;
        if (pe >= pf) {
            n += s_take_unreq(p, &p->parts[p->elig2[ei]], out + n, max - n);
            ei++;
        } else {
            struct s_part *part = s_part_new(p, cand[ci++].piece);
            n += s_take_unreq(p, part, out + n, max - n);
        }
    }

    /* 3. Endgame: nothing unrequested left for this peer; duplicate blocks in flight, the
     * least requested first. Pieces started in step 2 are this peer's own and not in elig2. */
    for (int level = 1; level < BT_PICKER_DUP_MAX && n < max; level++)
        for (uint32_t e = 0; e < ne && n < max; e++)
            n += s_take_dups(p, &p->parts[p->elig2[e]], out + n, max - n, level, dup_ok, arg);

    /* Drop the S_TAKEN flags (blocks come in runs of one piece: one lookup per run). */
    struct s_part *part = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!part || part->piece != out[i].piece)
            part = s_part_get(p, out[i].piece);
        part->blocks[out[i].begin / S_BLOCK] &= (uint8_t)~S_TAKEN;
    }
    return n;
}

/* The block index of (piece, begin), or S_NONE when it is not a block of the piece. */
static uint32_t s_block_index(const bt_picker_t *p, uint32_t piece, uint32_t begin)
{
    if (piece >= p->npieces || begin % S_BLOCK || begin >= s_piece_size(p, piece))
        return S_NONE;
    return begin / S_BLOCK;
}

void bt_picker_abort(bt_picker_t *p, uint32_t piece, uint32_t begin)
{
    uint32_t b = s_block_index(p, piece, begin);
    if (b == S_NONE)
        return;
    struct s_part *part = s_part_get(p, piece);
    if (!part || part->blocks[b] == 0 || part->blocks[b] == S_RECEIVED)
        return;
    if (--part->blocks[b] == 0) {
        part->unreq++;
        if (b < part->hint)
            part->hint = b;
    }
}

int bt_picker_received(bt_picker_t *p, uint32_t piece, uint32_t begin)
{
    uint32_t b = s_block_index(p, piece, begin);
    if (b == S_NONE || s_bit(p->have, piece))
        return -1;
    struct s_part *part = s_part_get(p, piece);
    if (!part)
        part = s_part_new(p, piece); /* not requested through us: still a block we lack */
    if (part->blocks[b] == S_RECEIVED)
        return -1;
    if (part->blocks[b] == 0)
        part->unreq--;
    part->blocks[b] = S_RECEIVED;
    part->recvd++;
    return part->recvd == part->nblocks ? 1 : 0;
}

void bt_picker_hash_failed(bt_picker_t *p, uint32_t piece)
{
    if (piece >= p->npieces)
        return;
    struct s_part *part = s_part_get(p, piece);
    if (!part)
        return;
    memset(part->blocks, 0, part->nblocks);
    part->unreq = part->nblocks;
    part->recvd = 0;
    part->hint = 0;
}

uint32_t bt_picker_partial_count(const bt_picker_t *p)
{
    return p->nparts;
}
