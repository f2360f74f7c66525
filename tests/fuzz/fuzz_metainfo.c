/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_metainfo: parse arbitrary bytes as a .torrent and, separately, as a
 * bare info dictionary. On success check the model: 20 x npieces bytes of hashes, piece count
 * = ceil(total / piece length), file lengths summing to total_len with cumulative offsets,
 * every path and the name passing the component rules, no duplicate non-pad paths, trackers
 * valid and tiers non-decreasing, info-hash = SHA-1 of info_raw, and write -> re-parse giving
 * the same info-hash and the same trackers. */
#include "fuzz.h"
#include "bt_metainfo.h"
#include <openssl/evp.h>

static bool s_component_ok(const char *p, size_t len)
{
    if (len == 0 || len > 255 || memchr(p, '\\', len) || memchr(p, '/', len))
        return false;
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    return cm_utf8_valid(p, len, false);
}

static bool s_path_ok(const char *path)
{
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!s_component_ok(p, n))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

static void s_invariants(const bt_metainfo_t *mi)
{
    CHECK(mi->name && s_component_ok(mi->name, strlen(mi->name)));
    CHECK(mi->piece_len > 0 && mi->piece_len <= BT_PIECE_LEN_MAX);
    CHECK(mi->npieces > 0 && mi->npieces <= BT_PIECES_MAX && mi->hashes);
    CHECK(mi->total_len > 0 && mi->total_len <= (uint64_t)INT64_MAX);
    uint64_t need = (mi->total_len + mi->piece_len - 1) / mi->piece_len;
    CHECK(need == mi->npieces);
    /* Touch every hash byte (ASan checks the 20 x npieces allocation). */
    unsigned acc = 0;
    for (size_t i = 0; i < (size_t)mi->npieces * 20; i++)
        acc += mi->hashes[i];
    (void)acc;
    uint64_t sum = 0, pieces_bytes = 0;
    for (uint32_t i = 0; i < mi->npieces; i++) {
        uint32_t ps = bt_metainfo_piece_size(mi, i);
        CHECK(ps > 0 && ps <= mi->piece_len);
        pieces_bytes += ps;
    }
    CHECK(pieces_bytes == mi->total_len);
    CHECK(bt_metainfo_piece_size(mi, mi->npieces) == 0);
    CHECK(mi->nfiles >= 1 && mi->nfiles <= BT_FILES_MAX);
    CHECK(mi->multi || (mi->nfiles == 1 && strcmp(mi->files[0].path, mi->name) == 0));
    for (uint32_t i = 0; i < mi->nfiles; i++) {
        CHECK(mi->files[i].offset == sum);
        CHECK(s_path_ok(mi->files[i].path));
        sum += mi->files[i].length;
    }
    CHECK(sum == mi->total_len);
    /* No duplicates (quadratic, so only for small torrents). */
    if (mi->nfiles <= 64)
        for (uint32_t i = 0; i < mi->nfiles; i++)
            for (uint32_t j = i + 1; j < mi->nfiles; j++)
                CHECK((mi->files[i].pad && mi->files[j].pad) ||
                      strcmp(mi->files[i].path, mi->files[j].path) != 0);
    CHECK(mi->ntrackers <= BT_TRACKERS_MAX);
    for (uint32_t i = 0; i < mi->ntrackers; i++) {
        size_t n = strlen(mi->trackers[i].url);
        CHECK(n > 0 && n <= BT_TRACKER_URL_MAX);
        CHECK(i == 0 || mi->trackers[i].tier >= mi->trackers[i - 1].tier);
        CHECK(mi->trackers[i].tier >= 0);
    }
    uint8_t h[20];
    unsigned int hl = 0;
    CHECK(EVP_Digest(mi->info_raw, mi->info_len, h, &hl, EVP_sha1(), NULL) == 1);
    CHECK(memcmp(h, mi->info_hash, 20) == 0);
}

static void s_roundtrip(const bt_metainfo_t *mi)
{
    cm_buf_t *out = cm_buf_new(32 * 1024 * 1024);
    CHECK(bt_metainfo_write(mi, out) == 0);
    char err[256];
    bt_metainfo_t *mi2 = bt_metainfo_parse(cm_buf_data(out), cm_buf_len(out), err, sizeof(err));
    if (!mi2) {
        fprintf(stderr, "re-parse failed: %s\n", err);
        abort();
    }
    CHECK(memcmp(mi2->info_hash, mi->info_hash, 20) == 0);
    CHECK(mi2->ntrackers == mi->ntrackers);
    for (uint32_t i = 0; i < mi->ntrackers; i++)
        CHECK(strcmp(mi2->trackers[i].url, mi->trackers[i].url) == 0);
    CHECK(mi2->nfiles == mi->nfiles && mi2->total_len == mi->total_len);
    bt_metainfo_destroy(&mi2);
    /* The bare info dictionary gives the same model, and checks its hash. */
    bt_metainfo_t *mi3 =
        bt_metainfo_from_info(mi->info_raw, mi->info_len, mi->info_hash, err, sizeof(err));
    CHECK(mi3 && mi3->nfiles == mi->nfiles && mi3->npieces == mi->npieces);
    bt_metainfo_destroy(&mi3);
    cm_buf_destroy(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    bt_metainfo_t *mi = bt_metainfo_parse(data, size, err, sizeof(err));
    if (mi) {
        s_invariants(mi);
        s_roundtrip(mi);
        static const char *const more[] = {"udp://x.example:1", "http://y.example/a", "ftp://no"};
        uint32_t before = mi->ntrackers;
        bt_metainfo_add_trackers(mi, more, 3);
        CHECK(mi->ntrackers >= before && mi->ntrackers <= before + 2);
        s_invariants(mi);
        s_roundtrip(mi);
        bt_metainfo_destroy(&mi);
    } else {
        CHECK(strlen(err) > 0);
    }
    mi = bt_metainfo_from_info(data, size, NULL, err, sizeof(err));
    if (mi) {
        CHECK(mi->ntrackers == 0 && mi->info_len == size && memcmp(mi->info_raw, data, size) == 0);
        s_invariants(mi);
        bt_metainfo_destroy(&mi);
    }
    return 0;
}
