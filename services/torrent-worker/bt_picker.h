/* SPDX-License-Identifier: MIT
 * bt_picker: which blocks to request next, and the block-level state of pieces in progress.
 *
 * Order of preference for a peer (only pieces the peer has and we want):
 *  1. pieces with a deadline, earliest first (the streaming read position);
 *  2. higher priority before lower (readahead, container head/tail, preload);
 *  3. pieces already in progress before new ones (finish what is started, keeps memory and
 *     partial pieces few);
 *  4. rarest first among equals (availability counted from bitfields/haves), ties broken
 *     pseudo-randomly so that peers spread.
 * Blocks handed out by bt_picker_pick count as requested. When a peer has nothing unrequested
 * left to give (endgame), or for pieces whose deadline has passed, blocks already requested
 * from other peers (not yet received) are handed out again, at most BT_PICKER_DUP_MAX times
 * each, skipping blocks the `dup_ok` callback refuses (those this peer already asked for).
 *
 * Memory: per piece 2 bytes of availability + 1 of priority + 1 bit of "have"; block state only
 * for pieces in progress. */
#ifndef BT_PICKER_H
#define BT_PICKER_H
#include "cm.h"

enum {
    BT_PRIO_SKIP = 0,   /* never download */
    BT_PRIO_NORMAL = 1, /* default */
    BT_PRIO_READAHEAD = 4,
    BT_PRIO_HIGH = 6,      /* container head/tail at open */
    BT_PRIO_CRITICAL = 7,  /* under the read position */
    BT_PICKER_DUP_MAX = 3, /* requests in flight for one block, endgame included */
};

typedef struct bt_picker bt_picker_t;

struct bt_block {
    uint32_t piece;
    uint32_t begin;  /* byte offset in the piece, a multiple of 16 KiB */
    uint32_t length; /* 16 KiB, or less for the last block of the last piece */
};

/* Caller owns the result (bt_picker_destroy). All pieces start wanted at BT_PRIO_NORMAL. */
bt_picker_t *bt_picker_new(uint32_t npieces, uint32_t piece_len, uint64_t total_len);
void bt_picker_destroy(bt_picker_t **self_p);

uint32_t bt_picker_npieces(const bt_picker_t *p);
uint32_t bt_picker_piece_size(const bt_picker_t *p, uint32_t piece);
uint32_t bt_picker_nblocks(const bt_picker_t *p, uint32_t piece);

/* --- our pieces --- */
/* The piece verified: drop its block state, count it. */
void bt_picker_set_have(bt_picker_t *p, uint32_t piece);
bool bt_picker_have(const bt_picker_t *p, uint32_t piece);
uint32_t bt_picker_have_count(const bt_picker_t *p);
/* Our bitfield, BEP 3 order (high bit of byte 0 = piece 0), ceil(npieces/8) bytes, spare bits
 * zero. Borrowed; valid until the picker is destroyed. */
const uint8_t *bt_picker_bitfield(const bt_picker_t *p);
/* Every wanted piece (priority > SKIP) is had. */
bool bt_picker_complete(const bt_picker_t *p);
/* Bytes of wanted pieces not yet verified. */
uint64_t bt_picker_left(const bt_picker_t *p);

/* --- availability (one call per peer event) --- */
void bt_picker_peer_have(bt_picker_t *p, uint32_t piece);
void bt_picker_peer_bitfield(bt_picker_t *p, const uint8_t *bits,
                             int delta);             /* +1 add, -1 remove */
void bt_picker_peer_seed(bt_picker_t *p, int delta); /* a peer with every piece (have_all) */
uint32_t bt_picker_availability(const bt_picker_t *p, uint32_t piece);

/* --- priorities and deadlines --- */
void bt_picker_set_priority(bt_picker_t *p, uint32_t first, uint32_t last,
                            int prio); /* inclusive */
int bt_picker_priority(const bt_picker_t *p, uint32_t piece);
/* A deadline in monotonic ms (0 clears). At most BT_PICKER_DEADLINES_MAX pieces hold one;
 * more are refused (returns -1). */
enum { BT_PICKER_DEADLINES_MAX = 4096 };
int bt_picker_set_deadline(bt_picker_t *p, uint32_t piece, uint64_t deadline_ms);
void bt_picker_clear_deadlines(bt_picker_t *p);

/* --- picking and block bookkeeping --- */
/* Refuse a duplicate block for this peer (it has it in flight already): return false. */
typedef bool (*bt_picker_dup_ok_fn)(void *arg, uint32_t piece, uint32_t begin);

/* Up to `max` blocks for a peer with bitfield `peer_bits` (NULL: the peer has every piece),
 * written to `out`; returns the count. `now_ms` is monotonic time for deadlines. */
size_t bt_picker_pick(bt_picker_t *p, const uint8_t *peer_bits, struct bt_block *out, size_t max,
                      uint64_t now_ms, bt_picker_dup_ok_fn dup_ok, void *arg);
/* A request we made is gone without data (choked, rejected, timed out, peer lost, cancelled):
 * one fewer in flight for that block. Unknown blocks are ignored. */
void bt_picker_abort(bt_picker_t *p, uint32_t piece, uint32_t begin);
/* A block arrived. Returns 1 when it completes the piece (all blocks received: hash it now),
 * 0 when accepted, -1 when we do not want it (had, or already received: a duplicate, e.g. in
 * endgame, which the caller drops). */
int bt_picker_received(bt_picker_t *p, uint32_t piece, uint32_t begin);
/* The piece failed its hash: every block becomes unrequested again. */
void bt_picker_hash_failed(bt_picker_t *p, uint32_t piece);
/* Pieces in progress (block state held). */
uint32_t bt_picker_partial_count(const bt_picker_t *p);

#endif
