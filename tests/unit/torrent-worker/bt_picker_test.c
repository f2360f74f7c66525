/* SPDX-License-Identifier: MIT
 * Tests of bt_picker: block sizes (a short last block, an exact multiple, pieces that are not a
 * multiple of 16 KiB), rarest first from fake peers' bitfields, priority over rarity,
 * deadlines over priority (earliest first, duplicates once passed), pieces in progress before
 * new ones, never a piece the peer lacks, we have or SKIP, received/abort/hash_failed
 * bookkeeping, endgame duplicates capped at BT_PICKER_DUP_MAX and filtered by dup_ok, the
 * complete/left figures, the deadline cap, a 2,097,152-piece picker, and a simulated download
 * from 3 fake peers. A micro-benchmark prints the time per pick (not asserted). */
#include "cm.h"
#include "bt_picker.h"
#include "../../tap.h"

enum { K16 = 16384 };

static uint64_t s_rng = 0x9e3779b97f4a7c15ull;

static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

static void s_setbit(uint8_t *bits, uint32_t i)
{
    bits[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
}

static bool s_getbit(const uint8_t *bits, uint32_t i)
{
    return (bits[i >> 3] >> (7 - (i & 7))) & 1;
}

/* A bitfield of n pieces with the listed pieces set (terminated by -1). Caller frees. */
static uint8_t *s_bits(uint32_t n, const int *list)
{
    uint8_t *b = cm_calloc((n + 7) / 8, 1);
    for (; list && *list >= 0; list++)
        s_setbit(b, (uint32_t)*list);
    return b;
}

static double s_now_s(void)
{
    return (double)cm_mono_us() / 1e6;
}

/* dup_ok that refuses every block of one piece. */
static bool s_dup_not_piece(void *arg, uint32_t piece, uint32_t begin)
{
    CM_UNUSED(begin);
    return piece != *(uint32_t *)arg;
}

static bool s_dup_never(void *arg, uint32_t piece, uint32_t begin)
{
    CM_UNUSED(arg);
    CM_UNUSED(piece);
    CM_UNUSED(begin);
    return false;
}

static void test_sizes(void)
{
    ok(bt_picker_new(0, K16, 0) == NULL, "0 pieces refused");
    ok(bt_picker_new(4, 0, 10) == NULL, "piece length 0 refused");
    ok(bt_picker_new(4, K16, 3 * K16) == NULL, "total too short for 4 pieces refused");
    ok(bt_picker_new(4, K16, 4 * K16 + 1) == NULL, "total too long for 4 pieces refused");

    /* 10 pieces of 64 KiB, the last 1000 bytes short. */
    uint64_t total = 10ull * 65536 - 1000;
    bt_picker_t *p = bt_picker_new(10, 65536, total);
    ok(p != NULL, "new");
    is_int(bt_picker_npieces(p), 10, "npieces");
    is_int(bt_picker_piece_size(p, 0), 65536, "a full piece");
    is_int(bt_picker_piece_size(p, 9), 65536 - 1000, "the last piece is short");
    is_int(bt_picker_piece_size(p, 10), 0, "a piece past the end has size 0");
    is_int(bt_picker_nblocks(p, 0), 4, "4 blocks in a full piece");
    is_int(bt_picker_nblocks(p, 9), 4, "4 blocks in the short last piece");
    is_int(bt_picker_left(p), total, "left is the total at start");
    ok(!bt_picker_complete(p), "not complete");

    struct bt_block out[64];
    size_t n = bt_picker_pick(p, NULL, out, 64, 0, NULL, NULL);
    is_int(n, 40, "40 blocks handed out");
    uint64_t sum = 0;
    int short_blocks = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        sum += out[i].length;
        if (out[i].begin % K16 || out[i].begin + out[i].length > 65536)
            bad++;
        if (out[i].length != K16) {
            short_blocks++;
            if (!(out[i].piece == 9 && out[i].begin == 3 * K16 && out[i].length == K16 - 1000))
                bad++;
        }
    }
    is_int(sum, total, "the blocks cover the torrent exactly");
    is_int(short_blocks, 1, "one short block");
    is_int(bad, 0, "the short block is the last block of the last piece");
    bt_picker_destroy(&p);
    ok(p == NULL, "destroy sets NULL");
    bt_picker_destroy(&p);

    /* An exact multiple: every block full. */
    p = bt_picker_new(3, 32768, 3 * 32768);
    n = bt_picker_pick(p, NULL, out, 64, 0, NULL, NULL);
    is_int(n, 6, "6 blocks in an exact multiple");
    bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += out[i].length != K16;
    is_int(bad, 0, "every block full in an exact multiple");
    bt_picker_destroy(&p);

    /* A piece length that is not a multiple of 16 KiB (40000): 16384, 16384, 7232. */
    p = bt_picker_new(2, 40000, 80000);
    is_int(bt_picker_nblocks(p, 1), 3, "3 blocks in a 40000-byte piece");
    n = bt_picker_pick(p, NULL, out, 64, 0, NULL, NULL);
    is_int(n, 6, "6 blocks");
    sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += out[i].length;
    is_int(sum, 80000, "the blocks cover 80000 bytes");
    bt_picker_destroy(&p);

    /* One piece, shorter than a block. */
    p = bt_picker_new(1, 65536, 100);
    n = bt_picker_pick(p, NULL, out, 64, 0, NULL, NULL);
    ok(n == 1 && out[0].length == 100 && out[0].begin == 0, "a 100-byte torrent is one block");
    is_int(bt_picker_received(p, 0, 0), 1, "its block completes it");
    bt_picker_destroy(&p);
}

static void test_rarest(void)
{
    /* 8 one-block pieces; availability from 3 fake peers: piece 5 is held by 1 peer, pieces
     * 2 and 6 by 2, the rest by 3. A fourth peer has everything. */
    bt_picker_t *p = bt_picker_new(8, K16, 8 * K16);
    int a[] = {0, 1, 2, 3, 4, 5, 6, 7, -1};
    int b[] = {0, 1, 2, 3, 4, 6, 7, -1};
    int c[] = {0, 1, 3, 4, 7, -1};
    uint8_t *ba = s_bits(8, a), *bb = s_bits(8, b), *bc = s_bits(8, c);
    bt_picker_peer_bitfield(p, ba, +1);
    bt_picker_peer_bitfield(p, bb, +1);
    bt_picker_peer_bitfield(p, bc, +1);
    is_int(bt_picker_availability(p, 5), 1, "availability of piece 5 is 1");
    is_int(bt_picker_availability(p, 2), 2, "availability of piece 2 is 2");
    is_int(bt_picker_availability(p, 0), 3, "availability of piece 0 is 3");
    bt_picker_peer_seed(p, +1);
    is_int(bt_picker_availability(p, 5), 2, "a seed counts for every piece");
    bt_picker_peer_have(p, 6);
    is_int(bt_picker_availability(p, 6), 4, "a HAVE counts");

    struct bt_block out[4];
    size_t n = bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    ok(n == 1 && out[0].piece == 5, "the rarest piece is picked first");
    n = bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    ok(n == 1 && out[0].piece == 2, "then the next rarest");
    n = bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    ok(n == 1 && out[0].piece != 6 && out[0].piece != 5 && out[0].piece != 2,
       "then one of the most common (piece 6 now has 3 + a HAVE)");
    /* Peer c lacks 5, 2 and 6: it gets something it has. */
    n = bt_picker_pick(p, bc, out, 4, 0, NULL, NULL);
    int lacks = 0;
    for (size_t i = 0; i < n; i++)
        lacks += !s_getbit(bc, out[i].piece);
    ok(n > 0 && lacks == 0, "a peer is only asked for pieces it has");

    bt_picker_peer_bitfield(p, ba, -1);
    bt_picker_peer_seed(p, -1);
    is_int(bt_picker_availability(p, 5), 0, "removing a peer and the seed lowers availability");
    bt_picker_peer_seed(p, -1);
    is_int(bt_picker_availability(p, 5), 0, "seeds never go below 0");
    bt_picker_destroy(&p);

    /* Ties broken pseudo-randomly: many pickers with equal availability do not all start at
     * the same piece. */
    int first[64] = {0};
    int distinct = 0;
    for (int t = 0; t < 64; t++) {
        bt_picker_t *q = bt_picker_new(4096, K16, 4096ull * K16);
        if (bt_picker_pick(q, NULL, out, 1, 0, NULL, NULL) == 1) {
            first[t] = (int)out[0].piece;
            bool seen = false;
            for (int u = 0; u < t; u++)
                seen = seen || first[u] == first[t];
            distinct += !seen;
        }
        bt_picker_destroy(&q);
    }
    ok(distinct >= 16, "equal pieces: the first pick differs between pickers");
    cm_free(ba);
    cm_free(bb);
    cm_free(bc);
}

static void test_priority(void)
{
    bt_picker_t *p = bt_picker_new(8, K16, 8 * K16);
    int common[] = {0, 1, 3, 4, 5, 6, 7, -1}; /* piece 2 is rare */
    uint8_t *bits = s_bits(8, common);
    for (int i = 0; i < 5; i++)
        bt_picker_peer_bitfield(p, bits, +1);
    bt_picker_peer_have(p, 2);
    bt_picker_set_priority(p, 6, 6, BT_PRIO_HIGH);
    bt_picker_set_priority(p, 4, 4, BT_PRIO_READAHEAD);
    is_int(bt_picker_priority(p, 6), BT_PRIO_HIGH, "priority reads back");
    is_int(bt_picker_priority(p, 99), BT_PRIO_SKIP, "a piece past the end reads as SKIP");
    struct bt_block out[4];
    bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    is_int(out[0].piece, 6, "the HIGH piece beats the rare one");
    bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    is_int(out[0].piece, 4, "then the READAHEAD piece");
    bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    is_int(out[0].piece, 2, "then the rarest NORMAL piece");
    bt_picker_set_priority(p, 0, 100, 99);
    is_int(bt_picker_priority(p, 7), BT_PRIO_CRITICAL, "priorities are clamped to CRITICAL");
    bt_picker_set_priority(p, 0, 7, -5);
    is_int(bt_picker_priority(p, 7), BT_PRIO_SKIP, "negative priorities clamp to SKIP");
    is_int(bt_picker_pick(p, NULL, out, 4, 0, NULL, NULL), 0, "nothing when all is SKIP");
    cm_free(bits);
    bt_picker_destroy(&p);
}

static void test_deadline(void)
{
    bt_picker_t *p = bt_picker_new(16, 32768, 16 * 32768);
    bt_picker_set_priority(p, 1, 1, BT_PRIO_CRITICAL);
    is_int(bt_picker_set_deadline(p, 7, 2000), 0, "deadline on piece 7");
    is_int(bt_picker_set_deadline(p, 3, 1000), 0, "earlier deadline on piece 3");
    is_int(bt_picker_set_deadline(p, 99, 1000), -1, "deadline past the end refused");
    struct bt_block out[8];
    size_t n = bt_picker_pick(p, NULL, out, 5, 500, NULL, NULL);
    is_int(n, 5, "5 blocks");
    ok(out[0].piece == 3 && out[1].piece == 3, "the earliest deadline first");
    ok(out[2].piece == 7 && out[3].piece == 7, "the later deadline next");
    ok(out[4].piece == 1, "then the CRITICAL piece");

    /* Before the deadline, a second peer gets no duplicate of piece 3. */
    n = bt_picker_pick(p, NULL, out, 1, 500, NULL, NULL);
    ok(n == 1 && out[0].piece == 1, "no duplicate before the deadline passes");
    /* After it, duplicates of piece 3 come first (but not for a peer refusing them). */
    uint32_t refuse = 3;
    n = bt_picker_pick(p, NULL, out, 1, 1500, s_dup_not_piece, &refuse);
    ok(n == 1 && out[0].piece != 3, "dup_ok refuses the late piece's duplicates");
    n = bt_picker_pick(p, NULL, out, 2, 1500, NULL, NULL);
    ok(n == 2 && out[0].piece == 3 && out[1].piece == 3 && out[0].begin != out[1].begin,
       "a passed deadline gives duplicates of its blocks");

    /* Moving a deadline re-sorts; clearing drops it. */
    is_int(bt_picker_set_deadline(p, 10, 3000), 0, "deadline on piece 10");
    is_int(bt_picker_set_deadline(p, 12, 2500), 0, "deadline on piece 12");
    is_int(bt_picker_set_deadline(p, 10, 100), 0, "piece 10 moved earlier");
    n = bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    ok(n == 1 && out[0].piece == 10, "the moved deadline comes first");
    is_int(bt_picker_set_deadline(p, 12, 0), 0, "clearing a deadline");
    bt_picker_set_priority(p, 13, 13, BT_PRIO_CRITICAL);
    n = bt_picker_pick(p, NULL, out, 2, 0, NULL, NULL);
    ok(n == 2 && out[0].piece == 10 && out[1].piece == 13,
       "a cleared deadline no longer counts (CRITICAL wins over piece 12)");
    bt_picker_clear_deadlines(p);
    is_int(bt_picker_set_deadline(p, 14, 10), 0, "deadlines work after clear_deadlines");
    bt_picker_set_priority(p, 14, 14, BT_PRIO_SKIP);
    n = bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    ok(n == 1 && out[0].piece != 14, "a SKIP piece is not picked even with a deadline");
    bt_picker_set_have(p, 3);
    is_int(bt_picker_set_deadline(p, 3, 10), 0, "a deadline on a had piece is accepted");
    n = bt_picker_pick(p, NULL, out, 8, 5000, NULL, NULL);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += out[i].piece == 3 || out[i].piece == 14;
    is_int(bad, 0, "a had piece with a deadline is never picked");
    bt_picker_destroy(&p);
}

static void test_deadline_cap(void)
{
    bt_picker_t *p = bt_picker_new(10000, K16, 10000ull * K16);
    int fails = 0;
    for (uint32_t i = 0; i < BT_PICKER_DEADLINES_MAX; i++)
        fails += bt_picker_set_deadline(p, i, 1000 + i) != 0;
    is_int(fails, 0, "BT_PICKER_DEADLINES_MAX deadlines accepted");
    is_int(bt_picker_set_deadline(p, 5000, 10), -1, "one more is refused");
    is_int(bt_picker_set_deadline(p, 17, 5), 0, "moving an existing one at the cap works");
    struct bt_block out[2];
    size_t n = bt_picker_pick(p, NULL, out, 2, 0, NULL, NULL);
    ok(n == 2 && out[0].piece == 17 && out[1].piece == 0, "earliest first at the cap");
    bt_picker_set_have(p, 100);
    is_int(bt_picker_set_deadline(p, 5000, 10), 0, "a piece becoming had frees a slot");
    is_int(bt_picker_set_deadline(p, 5001, 10), -1, "and only one");
    is_int(bt_picker_set_deadline(p, 200, 0), 0, "clearing frees a slot");
    is_int(bt_picker_set_deadline(p, 5001, 10), 0, "which can be used");
    bt_picker_clear_deadlines(p);
    is_int(bt_picker_set_deadline(p, 6000, 10), 0, "clear_deadlines empties the set");
    bt_picker_destroy(&p);
}

static void test_partial_first(void)
{
    /* 4 blocks a piece. */
    bt_picker_t *p = bt_picker_new(32, 65536, 32ull * 65536);
    struct bt_block out[8];
    size_t n = bt_picker_pick(p, NULL, out, 2, 0, NULL, NULL);
    is_int(n, 2, "two blocks");
    ok(out[0].piece == out[1].piece && out[0].begin == 0 && out[1].begin == K16,
       "blocks of one piece, in order");
    uint32_t started = out[0].piece;
    is_int(bt_picker_partial_count(p), 1, "one piece in progress");
    /* Make every other piece rarer than the started one: it must still be finished first. */
    int all[33];
    for (int i = 0; i < 32; i++)
        all[i] = i;
    all[32] = -1;
    uint8_t *bits = s_bits(32, all);
    bt_picker_peer_bitfield(p, bits, +1);
    bt_picker_peer_have(p, started);
    bt_picker_peer_have(p, started);
    n = bt_picker_pick(p, NULL, out, 6, 0, NULL, NULL);
    is_int(n, 6, "six blocks");
    ok(out[0].piece == started && out[1].piece == started && out[0].begin == 2 * K16 &&
           out[1].begin == 3 * K16,
       "the piece in progress is finished before new ones");
    ok(out[2].piece == out[5].piece && out[2].piece != started && out[2].begin == 0,
       "then a whole new piece, in order");
    is_int(bt_picker_partial_count(p), 2, "two pieces in progress");

    /* A partial of lower priority waits behind a new HIGH piece. */
    bt_picker_t *q = bt_picker_new(8, 65536, 8ull * 65536);
    n = bt_picker_pick(q, NULL, out, 1, 0, NULL, NULL);
    uint32_t low = out[0].piece;
    uint32_t hi = (low + 3) % 8;
    bt_picker_set_priority(q, hi, hi, BT_PRIO_HIGH);
    n = bt_picker_pick(q, NULL, out, 5, 0, NULL, NULL);
    ok(n == 5 && out[0].piece == hi && out[3].piece == hi, "a new HIGH piece comes first");
    ok(out[4].piece == low && out[4].begin == K16, "then the NORMAL piece in progress");
    bt_picker_destroy(&q);
    cm_free(bits);
    bt_picker_destroy(&p);
}

static void test_never(void)
{
    int bad_lack = 0, bad_have = 0, bad_skip = 0, total = 0;
    for (int round = 0; round < 20; round++) {
        uint32_t np = 50 + s_rand() % 300;
        bt_picker_t *p = bt_picker_new(np, 65536, (uint64_t)np * 65536 - s_rand() % 60000);
        uint8_t *peer = cm_calloc((np + 7) / 8, 1);
        for (uint32_t i = 0; i < np; i++) {
            if (s_rand() % 3)
                s_setbit(peer, i);
            if (s_rand() % 5 == 0)
                bt_picker_set_have(p, i);
            if (s_rand() % 7 == 0)
                bt_picker_set_priority(p, i, i, BT_PRIO_SKIP);
            else if (s_rand() % 7 == 0)
                bt_picker_set_priority(p, i, i, BT_PRIO_HIGH);
            if (s_rand() % 11 == 0)
                bt_picker_set_deadline(p, i, s_rand() % 100);
        }
        bt_picker_peer_bitfield(p, peer, +1);
        struct bt_block out[37];
        for (int k = 0; k < 200; k++) {
            size_t n = bt_picker_pick(p, peer, out, 1 + s_rand() % 37, 50, NULL, NULL);
            for (size_t i = 0; i < n; i++) {
                total++;
                bad_lack += !s_getbit(peer, out[i].piece);
                bad_have += bt_picker_have(p, out[i].piece);
                bad_skip += bt_picker_priority(p, out[i].piece) == BT_PRIO_SKIP;
            }
        }
        cm_free(peer);
        bt_picker_destroy(&p);
    }
    ok(total > 1000, "many blocks picked");
    is_int(bad_lack, 0, "never a piece the peer lacks");
    is_int(bad_have, 0, "never a piece we have");
    is_int(bad_skip, 0, "never a SKIP piece");
}

static void test_bookkeeping(void)
{
    bt_picker_t *p = bt_picker_new(12, 65536, 12ull * 65536 - 5);
    struct bt_block out[8];
    size_t n = bt_picker_pick(p, NULL, out, 4, 0, NULL, NULL);
    uint32_t pc = out[0].piece;
    ok(n == 4 && out[3].piece == pc, "a whole piece requested");
    is_int(bt_picker_received(p, pc, 0), 0, "first block accepted");
    is_int(bt_picker_received(p, pc, 0), -1, "the same block again is a duplicate");
    is_int(bt_picker_received(p, pc, 100), -1, "a begin not on a block boundary is refused");
    is_int(bt_picker_received(p, pc, 65536), -1, "a begin past the piece is refused");
    is_int(bt_picker_received(p, 12, 0), -1, "a piece past the end is refused");
    bt_picker_abort(p, pc, K16);
    bt_picker_abort(p, pc, K16); /* already 0 in flight: ignored */
    bt_picker_abort(p, pc, 0);   /* received: ignored */
    bt_picker_abort(p, 99, 0);   /* unknown: ignored */
    n = bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL);
    ok(n == 1 && out[0].piece == pc && out[0].begin == K16, "an aborted block is handed out again");
    is_int(bt_picker_received(p, pc, K16), 0, "second block");
    is_int(bt_picker_received(p, pc, 2 * K16), 0, "third block");
    is_int(bt_picker_received(p, pc, 3 * K16), 1, "the last block completes the piece");
    is_int(bt_picker_received(p, pc, 3 * K16), -1, "and again is a duplicate");
    n = bt_picker_pick(p, NULL, out, 8, 0, NULL, NULL);
    int again = 0;
    for (size_t i = 0; i < n; i++)
        again += out[i].piece == pc;
    is_int(again, 0, "a complete piece waiting for its hash is not handed out");

    bt_picker_hash_failed(p, pc);
    bt_picker_t *q = p;
    size_t got = 0;
    int of_pc = 0;
    /* Every other block is in flight; the next picks must give back pc's 4 blocks. */
    for (int k = 0; k < 20 && of_pc < 4; k++) {
        n = bt_picker_pick(q, NULL, out, 8, 0, NULL, NULL);
        got += n;
        for (size_t i = 0; i < n; i++)
            of_pc += out[i].piece == pc;
    }
    is_int(of_pc, 4, "after a hash failure all blocks are handed out again");
    is_int(bt_picker_received(p, pc, 0), 0, "after a hash failure the blocks are accepted again");

    uint32_t parts = bt_picker_partial_count(p);
    bt_picker_set_have(p, pc);
    is_int(bt_picker_partial_count(p), parts - 1, "set_have drops the block state");
    is_int(bt_picker_have_count(p), 1, "have_count 1");
    ok(bt_picker_have(p, pc), "have(pc)");
    is_int(bt_picker_received(p, pc, 0), -1, "a block of a had piece is refused");
    const uint8_t *bf = bt_picker_bitfield(p);
    ok(s_getbit(bf, pc), "our bitfield has the piece, BEP 3 order");
    bt_picker_set_have(p, 0);
    bt_picker_set_have(p, 11);
    bt_picker_set_have(p, 11);
    ok(bf[0] & 0x80, "piece 0 is the high bit of byte 0");
    ok((bf[1] & 0x10) && (bf[1] & 0x0f) == 0, "piece 11 set, spare bits zero");
    is_int(bt_picker_have_count(p), pc == 0 || pc == 11 ? 2 : 3, "set_have twice counts once");

    /* received() for a block never requested through the picker is accepted. */
    uint32_t other = 5;
    while (bt_picker_have(p, other))
        other++;
    bt_picker_hash_failed(p, other); /* pieces not in progress: ignored */
    int rc = bt_picker_received(p, other, 0);
    ok(rc == 0, "an unrequested block of a piece we lack is accepted");
    CM_UNUSED(got);
    bt_picker_destroy(&p);
}

static void test_endgame(void)
{
    bt_picker_t *p = bt_picker_new(1, 65536, 65536);
    struct bt_block a[8], b[8], c[8], d[8];
    uint32_t zero = 0;
    size_t na = bt_picker_pick(p, NULL, a, 8, 0, s_dup_not_piece, &zero);
    is_int(na, 4, "peer A gets the 4 blocks");
    /* A refuses duplicates of its own blocks. */
    is_int(bt_picker_pick(p, NULL, d, 8, 0, s_dup_not_piece, &zero), 0,
           "no duplicate for a peer whose dup_ok refuses");
    is_int(bt_picker_pick(p, NULL, d, 8, 0, s_dup_never, NULL), 0, "dup_ok false: nothing");
    size_t nb = bt_picker_pick(p, NULL, b, 8, 0, NULL, NULL);
    is_int(nb, 4, "endgame: peer B gets duplicates of the 4 blocks");
    size_t nc = bt_picker_pick(p, NULL, c, 8, 0, NULL, NULL);
    is_int(nc, 4, "peer C too (3 in flight each)");
    is_int(bt_picker_pick(p, NULL, d, 8, 0, NULL, NULL), 0,
           "BT_PICKER_DUP_MAX reached: nothing more");
    bt_picker_abort(p, 0, 2 * K16);
    size_t nd = bt_picker_pick(p, NULL, d, 8, 0, NULL, NULL);
    ok(nd == 1 && d[0].begin == 2 * K16, "an abort frees one duplicate slot");
    is_int(bt_picker_received(p, 0, 0), 0, "first copy accepted");
    is_int(bt_picker_received(p, 0, 0), -1, "endgame duplicate detected");
    is_int(bt_picker_received(p, 0, K16), 0, "block 1");
    is_int(bt_picker_received(p, 0, 2 * K16), 0, "block 2");
    is_int(bt_picker_received(p, 0, 3 * K16), 1, "block 3 completes");
    is_int(bt_picker_received(p, 0, 3 * K16), -1, "late duplicate");
    bt_picker_set_have(p, 0);
    ok(bt_picker_complete(p), "complete");
    is_int(bt_picker_left(p), 0, "left 0");
    is_int(bt_picker_partial_count(p), 0, "no piece in progress");
    bt_picker_destroy(&p);

    /* Endgame prefers the least requested block. */
    p = bt_picker_new(1, 32768, 32768);
    bt_picker_pick(p, NULL, a, 2, 0, NULL, NULL);
    bt_picker_pick(p, NULL, a, 1, 0, NULL, NULL); /* a duplicate of block 0: 2 in flight */
    ok(a[0].begin == 0, "first duplicate is block 0");
    bt_picker_pick(p, NULL, a, 1, 0, NULL, NULL);
    ok(a[0].begin == K16, "the next goes to the less requested block 1");
    bt_picker_destroy(&p);
}

static void test_left(void)
{
    bt_picker_t *p = bt_picker_new(10, 65536, 10ull * 65536 - 100);
    uint64_t total = 10ull * 65536 - 100;
    bt_picker_set_priority(p, 8, 9, BT_PRIO_SKIP);
    is_int(bt_picker_left(p), total - (65536 + 65436), "SKIP pieces are not left");
    bt_picker_set_priority(p, 9, 9, BT_PRIO_HIGH);
    is_int(bt_picker_left(p), total - 65536, "wanted again");
    bt_picker_set_priority(p, 9, 9, BT_PRIO_NORMAL);
    is_int(bt_picker_left(p), total - 65536, "a change between wanted priorities keeps left");
    bt_picker_set_have(p, 8); /* a SKIP piece verified anyway */
    is_int(bt_picker_left(p), total - 65536, "a had SKIP piece does not change left");
    bt_picker_set_priority(p, 8, 8, BT_PRIO_NORMAL);
    is_int(bt_picker_left(p), total - 65536, "a had piece becoming wanted does not add");
    for (uint32_t i = 0; i < 9; i++)
        bt_picker_set_have(p, i);
    ok(!bt_picker_complete(p), "piece 9 missing: not complete");
    is_int(bt_picker_left(p), 65436, "left is the short last piece");
    bt_picker_set_priority(p, 9, 9, BT_PRIO_SKIP);
    ok(bt_picker_complete(p), "complete once the missing piece is SKIP");
    is_int(bt_picker_left(p), 0, "left 0");
    struct bt_block out[4];
    is_int(bt_picker_pick(p, NULL, out, 4, 0, NULL, NULL), 0, "nothing to pick when complete");
    bt_picker_destroy(&p);
}

/* The scan skips words by a bound kept up to date lazily: check that every new piece picked
 * is a best one (highest priority, then lowest availability) against a brute-force search,
 * while availability, priorities and our pieces change at random. */
static void test_scan_exact(void)
{
    uint32_t np = 10001; /* three groups of 4096 pieces, the last one short */
    bt_picker_t *p = bt_picker_new(np, K16, (uint64_t)np * K16);
    uint8_t *started = cm_calloc(np, 1);
    uint8_t *peer = cm_calloc((np + 7) / 8, 1);
    uint8_t *tmp = cm_calloc((np + 7) / 8, 1);
    for (uint32_t i = 0; i < np; i++)
        if (s_rand() % 2)
            s_setbit(peer, i);
    /* Every piece starts at availability 2, so that falling availability moves the minima. */
    memset(tmp, 0xff, (np + 7) / 8);
    bt_picker_peer_bitfield(p, tmp, +1); /* spare bits set: ignored */
    bt_picker_peer_bitfield(p, tmp, +1);
    int wrong = 0, picks = 0;
    for (int round = 0; round < 3000; round++) {
        switch (s_rand() % 7) {
        case 0:
            bt_picker_peer_have(p, s_rand() % np);
            break;
        case 1: {
            memset(tmp, 0, (np + 7) / 8);
            for (int k = 0; k < 600; k++)
                s_setbit(tmp, s_rand() % np);
            bt_picker_peer_bitfield(p, tmp, s_rand() % 2 ? +1 : -1);
            break;
        }
        case 2: {
            uint32_t a = s_rand() % np;
            bt_picker_set_priority(p, a, a + s_rand() % 300, (int)(s_rand() % 8));
            break;
        }
        case 3:
            bt_picker_set_have(p, s_rand() % np);
            break;
        case 4: { /* one piece becomes the rarest */
            memset(tmp, 0, (np + 7) / 8);
            s_setbit(tmp, s_rand() % np);
            bt_picker_peer_bitfield(p, tmp, -1);
            break;
        }
        default:
            break;
        }
        const uint8_t *bits = round % 2 ? peer : NULL;
        struct bt_block out[1];
        if (bt_picker_pick(p, bits, out, 1, 0, NULL, NULL) != 1)
            continue;
        picks++;
        int best_prio = 0;
        uint32_t best_avail = UINT32_MAX;
        for (uint32_t i = 0; i < np; i++) {
            int pr = bt_picker_priority(p, i);
            if (started[i] || bt_picker_have(p, i) || pr == 0 || (bits && !s_getbit(bits, i)))
                continue;
            uint32_t av = bt_picker_availability(p, i);
            if (pr > best_prio || (pr == best_prio && av < best_avail)) {
                best_prio = pr;
                best_avail = av;
            }
        }
        uint32_t got = out[0].piece;
        if (started[got] || bt_picker_priority(p, got) != best_prio ||
            bt_picker_availability(p, got) != best_avail)
            wrong++;
        started[got] = 1;
    }
    ok(picks > 2000, "many picks");
    is_int(wrong, 0, "every new piece is a best one (priority, then rarity)");
    cm_free(started);
    cm_free(peer);
    cm_free(tmp);
    bt_picker_destroy(&p);
}

/* A piece that becomes the unique rarest, anywhere in 3 groups of 4096 pieces, is the next
 * pick, wherever the scan starts. */
static void test_scan_unique(void)
{
    uint32_t np = 3 * 4096;
    bt_picker_t *p = bt_picker_new(np, K16, (uint64_t)np * K16);
    uint8_t *bits = cm_calloc(np / 8, 1);
    memset(bits, 0xff, np / 8);
    bt_picker_peer_bitfield(p, bits, +1);
    bt_picker_peer_bitfield(p, bits, +1);
    struct bt_block out[1];
    bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL); /* settles the bounds */
    uint32_t settled = out[0].piece; /* its one block is requested: it cannot come again */
    int wrong = 0;
    for (int t = 0; t < 40; t++) {
        uint32_t x = s_rand() % np;
        if (x == settled || bt_picker_have(p, x) || bt_picker_availability(p, x) != 2) {
            bt_picker_set_have(p, x);
            continue;
        }
        memset(bits, 0, np / 8);
        s_setbit(bits, x);
        bt_picker_peer_bitfield(p, bits, -1);
        bt_picker_peer_bitfield(p, bits, -1);
        if (bt_picker_pick(p, NULL, out, 1, 0, NULL, NULL) != 1 || out[0].piece != x)
            wrong++;
        bt_picker_set_have(p, x);
    }
    is_int(wrong, 0, "the unique rarest piece is always picked next");
    cm_free(bits);
    bt_picker_destroy(&p);
}

static void test_huge(void)
{
    double t0 = s_now_s();
    uint32_t np = 2097152;
    bt_picker_t *p = bt_picker_new(np, K16, (uint64_t)np * K16);
    ok(p != NULL, "a 2,097,152-piece picker");
    uint8_t *bits = cm_calloc(np / 8, 1);
    for (uint32_t i = 0; i < np; i += 3)
        s_setbit(bits, i);
    bt_picker_peer_bitfield(p, bits, +1);
    bt_picker_set_priority(p, 0, np / 2, BT_PRIO_SKIP);
    struct bt_block out[64];
    size_t n = bt_picker_pick(p, bits, out, 64, 0, NULL, NULL);
    is_int(n, 64, "64 blocks from 64 new pieces");
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += out[i].piece <= np / 2 || out[i].piece % 3 != 0;
    is_int(bad, 0, "wanted pieces the peer has");
    bt_picker_set_have(p, np - 1);
    ok(bt_picker_have(p, np - 1), "the last piece set");
    is_int(bt_picker_left(p), (uint64_t)(np - np / 2 - 2) * K16, "left after SKIP and a have");
    bt_picker_destroy(&p);
    cm_free(bits);
    double dt = s_now_s() - t0;
    diag("2,097,152 pieces: create, bitfield, priorities, pick, destroy in %.1f ms", dt * 1e3);
    ok(dt < 2.0, "quickly");
}

/* --- simulated download --- */

enum { SIM_PEERS = 3, SIM_QUEUE = 24 };

struct sim_peer {
    uint8_t *bits;
    struct bt_block q[SIM_QUEUE]; /* requests in flight */
    size_t nq;
};

static bool s_sim_dup_ok(void *arg, uint32_t piece, uint32_t begin)
{
    const struct sim_peer *sp = arg;
    for (size_t i = 0; i < sp->nq; i++)
        if (sp->q[i].piece == piece && sp->q[i].begin == begin)
            return false;
    return true;
}

static void test_sim(void)
{
    uint32_t np = 300;
    uint32_t plen = 65536;
    uint64_t total = (uint64_t)np * plen - 12345;
    bt_picker_t *p = bt_picker_new(np, plen, total);
    struct sim_peer peers[SIM_PEERS];
    memset(peers, 0, sizeof(peers));
    for (int k = 0; k < SIM_PEERS; k++)
        peers[k].bits = cm_calloc((np + 7) / 8, 1);
    for (uint32_t i = 0; i < np; i++) {
        uint32_t mask = 0;
        while (!mask)
            mask = s_rand() & 7;
        for (int k = 0; k < SIM_PEERS; k++)
            if (mask & (1u << k))
                s_setbit(peers[k].bits, i);
        if (s_rand() % 10 == 0)
            bt_picker_set_priority(p, i, i, BT_PRIO_SKIP);
        else if (s_rand() % 10 == 0)
            bt_picker_set_priority(p, i, i, BT_PRIO_HIGH);
    }
    for (int k = 0; k < SIM_PEERS; k++)
        bt_picker_peer_bitfield(p, peers[k].bits, +1);

    uint8_t *recv = cm_calloc((size_t)np * 4, 1); /* accepted copies per block */
    uint8_t *done = cm_calloc(np, 1);             /* completions per piece */
    int dups = 0, bad_pick = 0, rounds = 0, hash_fails = 0;
    uint64_t now = 0;
    while (!bt_picker_complete(p) && rounds < 20000) {
        rounds++;
        now += 10;
        if (rounds % 50 == 0) /* a streaming reader: deadlines, some soon to pass */
            bt_picker_set_deadline(p, s_rand() % np, now + s_rand() % 200);
        for (int k = 0; k < SIM_PEERS; k++) {
            struct sim_peer *sp = &peers[k];
            size_t n = bt_picker_pick(p, sp->bits, sp->q + sp->nq, SIM_QUEUE - sp->nq, now,
                                      s_sim_dup_ok, sp);
            for (size_t i = 0; i < n; i++) {
                const struct bt_block *b = &sp->q[sp->nq + i];
                if (!s_getbit(sp->bits, b->piece) || bt_picker_have(p, b->piece) ||
                    bt_picker_priority(p, b->piece) == BT_PRIO_SKIP)
                    bad_pick++;
                for (size_t j = 0; j < sp->nq + i; j++)
                    if (sp->q[j].piece == b->piece && sp->q[j].begin == b->begin)
                        bad_pick++; /* dup_ok must prevent this */
            }
            sp->nq += n;
            /* Answer some requests in random order; a few get rejected. */
            size_t answer = sp->nq ? 1 + s_rand() % sp->nq : 0;
            for (size_t a = 0; a < answer && sp->nq; a++) {
                size_t at = s_rand() % sp->nq;
                struct bt_block b = sp->q[at];
                sp->q[at] = sp->q[--sp->nq];
                if (s_rand() % 20 == 0) {
                    bt_picker_abort(p, b.piece, b.begin);
                    continue;
                }
                int rc = bt_picker_received(p, b.piece, b.begin);
                if (rc < 0) {
                    dups++;
                    continue;
                }
                recv[b.piece * 4 + b.begin / K16]++;
                if (rc == 1) {
                    if (hash_fails < 3 && s_rand() % 40 == 0) {
                        /* A bad piece: forget its blocks and fetch it again. */
                        hash_fails++;
                        memset(recv + b.piece * 4, 0, 4);
                        bt_picker_hash_failed(p, b.piece);
                        /* The caller cancels what is still in flight for it. */
                        for (int o = 0; o < SIM_PEERS; o++)
                            for (size_t j = 0; j < peers[o].nq;)
                                if (peers[o].q[j].piece == b.piece)
                                    peers[o].q[j] = peers[o].q[--peers[o].nq];
                                else
                                    j++;
                        continue;
                    }
                    done[b.piece]++;
                    bt_picker_set_have(p, b.piece);
                }
            }
        }
    }
    int blocks_once = 0, blocks_bad = 0, pieces_once = 0, pieces_bad = 0, wanted = 0;
    for (uint32_t i = 0; i < np; i++) {
        bool want = bt_picker_priority(p, i) != BT_PRIO_SKIP;
        wanted += want;
        for (uint32_t b = 0; b < bt_picker_nblocks(p, i); b++) {
            if (want && recv[i * 4 + b] == 1)
                blocks_once++;
            else if (recv[i * 4 + b] != 0 || want)
                blocks_bad++;
        }
        if (want && done[i] == 1)
            pieces_once++;
        else if (done[i] != 0 || want)
            pieces_bad++;
    }
    ok(bt_picker_complete(p), "the simulated download completes");
    diag("sim: %d rounds, %d endgame duplicates, %d hash failures", rounds, dups, hash_fails);
    is_int(bad_pick, 0, "every pick was a wanted piece the peer has, not requested twice by it");
    is_int(blocks_bad, 0, "every wanted block received exactly once, no SKIP block");
    ok(blocks_once > 0, "blocks were received");
    is_int(pieces_once, wanted, "every wanted piece completed once");
    is_int(pieces_bad, 0, "no piece completed twice");
    is_int(bt_picker_have_count(p), wanted, "have_count is the wanted pieces");
    is_int(bt_picker_left(p), 0, "left 0");
    is_int(bt_picker_partial_count(p), 0, "no piece left in progress");
    for (int k = 0; k < SIM_PEERS; k++)
        cm_free(peers[k].bits);
    cm_free(recv);
    cm_free(done);
    bt_picker_destroy(&p);
}

/* Time per pick of `max` blocks in a download by one seed; not asserted. */
static void s_bench(uint32_t np, uint32_t plen, size_t max, int picks)
{
    bt_picker_t *p = bt_picker_new(np, plen, (uint64_t)np * plen);
    uint8_t *bits = cm_calloc((np + 7) / 8, 1);
    for (int k = 0; k < 8; k++) {
        memset(bits, 0, (np + 7) / 8);
        for (uint32_t i = 0; i < np; i++)
            if (s_rand() % 3)
                s_setbit(bits, i);
        bt_picker_peer_bitfield(p, bits, +1);
    }
    struct bt_block out[64];
    double t0 = s_now_s();
    int done = 0;
    uint64_t blocks = 0;
    for (; done < picks && !bt_picker_complete(p); done++) {
        size_t n = bt_picker_pick(p, NULL, out, max, 0, NULL, NULL);
        blocks += n;
        for (size_t i = 0; i < n; i++)
            if (bt_picker_received(p, out[i].piece, out[i].begin) == 1)
                bt_picker_set_have(p, out[i].piece);
    }
    double dt = s_now_s() - t0;
    diag("bench: %u pieces of %u KiB, %d picks of %zu blocks (%" PRIu64
         " blocks, receive included): %.2f us per pick",
         np, plen / 1024, done, max, blocks, dt * 1e6 / (done ? done : 1));
    cm_free(bits);
    bt_picker_destroy(&p);
}

int main(void)
{
    s_rng ^= (uint64_t)cm_mono_us();
    test_sizes();
    test_rarest();
    test_priority();
    test_deadline();
    test_deadline_cap();
    test_partial_first();
    test_never();
    test_bookkeeping();
    test_endgame();
    test_left();
    test_scan_exact();
    test_scan_unique();
    test_huge();
    test_sim();
    s_bench(512, 1 << 20, 16, 2048);
    s_bench(65536, 1 << 18, 16, 5000);
    return done_testing();
}
