/* SPDX-License-Identifier: MIT
 * Tests of bt_stream's priorities, on a real engine and picker with no peers: the head and
 * tail of the main file wanted at open and nothing else; a read's critical pieces (deadlines:
 * the picker hands them out first) and its readahead; a seek moves both and gives the old
 * pieces back; two reads sharing pieces; CLOSE and forgetting reads keep only the preload; the
 * window clipped at the end of a read; the readahead doubling up to its cap; the cap on reads;
 * a paused torrent not left "complete"; the linger removing the torrent. Includes the .c to
 * reach its statics (h2o style). */
#include "../../../services/torrent-worker/bt_stream.c"
#include "../../tap.h"
#include <ftw.h>
#include <zmq.h>

enum { PLEN = 256 * 1024, MOVIE = 200 * 1024 * 1024 + 5, NOTES = 1000 };

static int s_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    CM_UNUSED(sb);
    CM_UNUSED(ftw);
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* A two-file metainfo (movie.mkv, notes.txt) with made-up piece hashes. */
static bt_metainfo_t *s_metainfo(void)
{
    uint64_t total = (uint64_t)MOVIE + NOTES;
    uint32_t npieces = (uint32_t)((total + PLEN - 1) / PLEN);
    cm_buf_t *b = cm_buf_new(1 << 20);
    int rc = cm_buf_appendf(b,
                            "d5:filesld6:lengthi%de4:pathl9:movie.mkveed6:lengthi%de4:pathl9:"
                            "notes.txteee4:name4:show12:piece lengthi%de6:pieces%" PRIu32 ":",
                            MOVIE, NOTES, PLEN, npieces * 20);
    for (uint32_t i = 0; i < npieces * 20 && rc == 0; i++)
        rc = cm_buf_append(b, "x", 1);
    if (rc == 0)
        rc = cm_buf_append(b, "e", 1);
    char err[CM_ERR_LEN] = "";
    bt_metainfo_t *mi =
        rc == 0 ? bt_metainfo_from_info(cm_buf_data(b), cm_buf_len(b), NULL, err, sizeof(err))
                : NULL;
    if (!mi)
        diag("metainfo: %s", err);
    cm_buf_destroy(&b);
    return mi;
}

static void s_read(bt_stream_t *s, uint64_t id, const char *hex, uint32_t file, uint64_t off,
                   uint64_t len)
{
    struct torrent_read r;
    memset(&r, 0, sizeof(r));
    r.stream_id = id;
    snprintf(r.info_hash, sizeof(r.info_hash), "%s", hex);
    r.file = file;
    r.offset = off;
    r.length = len;
    bt_stream_read(s, &r);
}

/* Pieces [first, last] all have priority `prio`. */
static bool s_all(bt_picker_t *pk, uint32_t first, uint32_t last, int prio)
{
    for (uint32_t i = first; i <= last; i++)
        if (bt_picker_priority(pk, i) != prio) {
            diag("piece %" PRIu32 ": priority %d, want %d", i, bt_picker_priority(pk, i), prio);
            return false;
        }
    return true;
}

/* The piece of the first block the picker hands a peer that has everything (then returned). */
static uint32_t s_first_pick(bt_picker_t *pk)
{
    struct bt_block blk;
    if (bt_picker_pick(pk, NULL, &blk, 1, cm_mono_ms(), NULL, NULL) != 1)
        return UINT32_MAX;
    bt_picker_abort(pk, blk.piece, blk.begin);
    return blk.piece;
}

/* Pieces of the whole torrent with a priority above SKIP. */
static uint32_t s_wanted(bt_picker_t *pk)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < bt_picker_npieces(pk); i++)
        n += bt_picker_priority(pk, i) > BT_PRIO_SKIP;
    return n;
}

int main(void)
{
    cm_log_set_level(CM_LOG_WARN);
    struct event_base *base = event_base_new();
    void *zctx = zmq_ctx_new();
    char err[CM_ERR_LEN];
    char dir[] = "/tmp/bt_stream_test.XXXXXX";
    ok(mkdtemp(dir) != NULL, "a temporary cache directory");
    struct bt_engine_opts eo = {.listen = NULL};
    bt_engine_t *e = bt_engine_new(base, &eo, err, sizeof(err));
    ok(e != NULL, "an engine with no listener");
    static const struct cm_proto *const protos[] = {&torrent_proto, NULL};
    struct cm_rpc_opts ro = {.name = "pool", .protos = protos};
    /* nothing listens there: READ_ENDs are refused, which the module only logs */
    cm_rpc_t *rpc = cm_rpc_client_new(base, zctx, &ro, "tcp://127.0.0.1:9", err, sizeof(err));
    ok(rpc != NULL, "an rpc client");
    struct bt_stream_opts so = {.engine = e, .cache_dir = dir, .reads_max = 2, .linger_ms = 60000};
    bt_stream_t *s = bt_stream_new(base, rpc, &so);

    /* --- open: only the head and tail of the main file are wanted --- */
    bt_metainfo_t *mi = s_metainfo();
    ok(mi != NULL, "the metainfo parses");
    struct s_torrent *tor = cm_calloc(1, sizeof(*tor));
    tor->self = s;
    memcpy(tor->hash, mi->info_hash, 20);
    bt_hash_hex(mi->info_hash, tor->hex);
    tor->next = s->torrents;
    s->torrents = tor;
    s->ntorrents++;
    tor->pending_mi = mi;
    is_int(s_torrent_add(s, tor), 0, "the torrent is added");
    ok(tor->ready && tor->t, "and ready at once (a .torrent source)");
    bt_picker_t *pk = bt_torrent_picker(tor->t);
    uint32_t np = bt_picker_npieces(pk);
    is_int(np, 801, "801 pieces");
    ok(s_all(pk, 0, 3, BT_PRIO_HIGH), "the first MiB of the movie is HIGH");
    ok(s_all(pk, 796, 800, BT_PRIO_HIGH), "its last MiB is HIGH");
    is_int(s_wanted(pk), 9, "nothing else is wanted");
    struct bt_torrent_stats ts;
    bt_torrent_stats(tor->t, &ts);
    ok(!ts.complete, "a paused torrent that wants pieces is not complete");

    /* --- a read at 50 MiB: 4 critical pieces, then 8 MiB of readahead --- */
    const char *hex = tor->hex;
    s_read(s, 1, hex, 0, 50u << 20, 100u << 20);
    is_int(bt_stream_reads(s), 1, "one read");
    ok(s_all(pk, 200, 203, BT_PRIO_CRITICAL), "pieces 200-203 are critical");
    ok(s_all(pk, 204, 235, BT_PRIO_READAHEAD), "pieces 204-235 are readahead (8 MiB)");
    ok(s_all(pk, 236, 240, BT_PRIO_SKIP) && s_all(pk, 190, 199, BT_PRIO_SKIP),
       "around it nothing is wanted");
    is_int(s_first_pick(pk), 200, "the picker starts at the read position (deadline)");

    /* --- a seek to 10 MiB: the old window goes back, the new one starts small --- */
    s_read(s, 1, hex, 0, 10u << 20, 1u << 20);
    ok(s_all(pk, 200, 235, BT_PRIO_SKIP), "the old window is no longer wanted");
    ok(s_all(pk, 40, 43, BT_PRIO_CRITICAL), "the new position is critical");
    is_int(s_wanted(pk), 9 + 4, "a 1 MiB read holds 4 pieces, no readahead past its end");
    is_int(s_first_pick(pk), 40, "and is picked first");

    /* --- a second read sharing pieces --- */
    s_read(s, 2, hex, 0, (10u << 20) + 2 * PLEN, 4u << 20);
    ok(s_all(pk, 40, 45, BT_PRIO_CRITICAL), "both reads' critical pieces");
    ok(s_all(pk, 46, 57, BT_PRIO_READAHEAD), "the second read's readahead");
    s_read(s, 3, hex, 0, 0, 1);
    is_int(bt_stream_reads(s), 2, "a third read is refused (reads_max 2)");
    bt_stream_close(s, 1);
    is_int(bt_stream_reads(s), 1, "CLOSE drops a read");
    ok(s_all(pk, 40, 41, BT_PRIO_SKIP), "pieces only the closed read wanted go back");
    ok(s_all(pk, 42, 45, BT_PRIO_CRITICAL), "the other read's stay critical");
    bt_stream_close(s, 2);
    bt_stream_close(s, 77); /* unknown: ignored */
    is_int(s_wanted(pk), 9, "with no read only the preload is wanted");

    /* --- the end of the file: the window stops at the read's last piece --- */
    s_read(s, 4, hex, 1, 0, NOTES);
    ok(s_all(pk, 800, 800, BT_PRIO_CRITICAL), "notes.txt lives in the last piece");
    is_int(s_wanted(pk), 9, "and nothing past it is wanted");
    bt_stream_forget_reads(s);
    is_int(bt_stream_reads(s), 0, "forgetting drops every read");
    ok(s_all(pk, 796, 800, BT_PRIO_HIGH), "the tail is HIGH again (preload)");

    /* --- bad reads --- */
    s_read(s, 5, hex, 2, 0, 1);
    s_read(s, 6, hex, 1, 10, NOTES);
    s_read(s, 7, "00112233445566778899aabbccddeeff00112233", 0, 0, 1);
    is_int(bt_stream_reads(s), 0, "a missing file, a range past the end, an unknown torrent");

    /* --- the readahead doubles while the reader reads on, up to its cap --- */
    struct s_read r;
    memset(&r, 0, sizeof(r));
    r.ra_bytes = BT_STREAM_RA_START_BYTES;
    r.ra_cap = 20u << 20;
    r.pos = r.ra_mark = 1000;
    r.pos += (8u << 20) - 1;
    s_grow(&r);
    is_int(r.ra_bytes, 8u << 20, "not before a window's worth was read");
    r.pos += 1;
    s_grow(&r);
    is_int(r.ra_bytes, 16u << 20, "then it doubles");
    r.pos += 16u << 20;
    s_grow(&r);
    is_int(r.ra_bytes, 20u << 20, "up to the cap (10 % of the file)");
    struct s_window w = s_window_for(
        &(struct s_read){.pos = 0, .end = 1u << 30, .ra_bytes = 64u << 20}, 16 * 1024 * 1024);
    ok(w.on && w.first == 0 && w.crit_last == 0 && w.last == 4,
       "16 MiB pieces: 1 critical, 4 of readahead");
    w = s_window_for(&(struct s_read){.pos = 5, .end = 6, .ra_bytes = 1}, 16384);
    ok(w.on && w.first == 0 && w.last == 0, "a one-byte read holds one piece");
    w = s_window_for(&(struct s_read){.pos = 6, .end = 6}, 16384);
    ok(!w.on, "a finished read holds none");

    /* --- linger: with no reader the torrent leaves the engine --- */
    uint8_t hash[20];
    memcpy(hash, tor->hash, 20);
    s->linger_ms = 0;
    s_on_tick(-1, 0, s);
    is_int(bt_stream_torrents(s), 0, "the torrent is dropped after its linger");
    ok(bt_engine_find(e, hash) == NULL, "and removed from the engine");

    bt_stream_destroy(&s);
    ok(s == NULL, "destroy nulls the pointer");
    bt_stream_destroy(&s);
    cm_rpc_destroy(&rpc);
    bt_engine_destroy(&e);
    zmq_ctx_term(zctx);
    event_base_free(base);
    nftw(dir, s_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
