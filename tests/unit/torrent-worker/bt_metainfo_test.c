/* SPDX-License-Identifier: MIT
 * Tests of bt_metainfo: torrents built here with the bencode encoder. A good single-file and
 * multi-file torrent (every field, offsets, last piece size, trackers and tiers), checklist
 * B-03 (pieces missing / wrong type / empty / duplicate / 119 bytes / too few / too many,
 * piece length 0, negative, over the cap, too many pieces, duplicate files, bad UTF-8, an
 * unordered info dict hashed over its raw bytes, "..", ".", "", "/etc", '\\', NUL, a
 * 4096-byte component, 10,001 files and the BT_FILES_MAX cap), the info-hash of a tiny
 * torrent against a known value and an independent EVP SHA-1, write -> re-parse,
 * add_trackers, from_info, padding files, and the hash text forms. */
#include "cm.h"
#include "bt_bencode.h"
#include "bt_metainfo.h"
#include <openssl/evp.h>
#include "../../tap.h"

static char s_err[256];

/* One file of a multi-file info dict; components separated by '|'. */
struct tf {
    int64_t len;
    const char *path;
    const char *attr; /* NULL: none */
};

static void s_put(int rc)
{
    if (rc != 0) {
        fprintf(stderr, "encoder cap hit in the test\n");
        abort();
    }
}

static void s_put_path(cm_buf_t *b, const char *path)
{
    s_put(bt_be_put_list(b));
    const char *p = path;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        s_put(bt_be_put_str(b, p, n));
        if (!bar)
            break;
        p = bar + 1;
    }
    s_put(bt_be_put_end(b));
}

/* A pieces string of n hashes: hash i is 20 bytes of value (i + 1). */
static void s_put_pieces(cm_buf_t *b, size_t n)
{
    uint8_t *p = cm_malloc(n * 20 + 1);
    for (size_t i = 0; i < n; i++)
        memset(p + 20 * i, (int)(i + 1), 20);
    s_put(bt_be_put_str(b, p, n * 20));
    cm_free(p);
}

static cm_buf_t *s_info_single(const char *name, int64_t len, int64_t plen, size_t nhash)
{
    cm_buf_t *b = cm_buf_new(64 << 20);
    s_put(bt_be_put_dict(b));
    s_put(bt_be_put_cstr(b, "length"));
    s_put(bt_be_put_int(b, len));
    s_put(bt_be_put_cstr(b, "name"));
    s_put(bt_be_put_cstr(b, name));
    s_put(bt_be_put_cstr(b, "piece length"));
    s_put(bt_be_put_int(b, plen));
    s_put(bt_be_put_cstr(b, "pieces"));
    s_put_pieces(b, nhash);
    s_put(bt_be_put_end(b));
    return b;
}

static cm_buf_t *s_info_multi(const char *name, const struct tf *f, size_t n, int64_t plen,
                              size_t nhash, bool priv)
{
    cm_buf_t *b = cm_buf_new(64 << 20);
    s_put(bt_be_put_dict(b));
    s_put(bt_be_put_cstr(b, "files"));
    s_put(bt_be_put_list(b));
    for (size_t i = 0; i < n; i++) {
        s_put(bt_be_put_dict(b));
        if (f[i].attr) {
            s_put(bt_be_put_cstr(b, "attr"));
            s_put(bt_be_put_cstr(b, f[i].attr));
        }
        s_put(bt_be_put_cstr(b, "length"));
        s_put(bt_be_put_int(b, f[i].len));
        s_put(bt_be_put_cstr(b, "path"));
        s_put_path(b, f[i].path);
        s_put(bt_be_put_end(b));
    }
    s_put(bt_be_put_end(b));
    s_put(bt_be_put_cstr(b, "name"));
    s_put(bt_be_put_cstr(b, name));
    s_put(bt_be_put_cstr(b, "piece length"));
    s_put(bt_be_put_int(b, plen));
    s_put(bt_be_put_cstr(b, "pieces"));
    s_put_pieces(b, nhash);
    if (priv) {
        s_put(bt_be_put_cstr(b, "private"));
        s_put(bt_be_put_int(b, 1));
    }
    s_put(bt_be_put_end(b));
    return b;
}

/* Wrap raw info bytes into a torrent: d [pre] 4:info <info> e. `pre` is raw bencode of the
 * keys sorting before "info" (may be ""). Consumes `info`. */
static cm_buf_t *s_wrap(cm_buf_t *info, const char *pre)
{
    cm_buf_t *b = cm_buf_new(64 << 20);
    s_put(cm_buf_append(b, "d", 1));
    s_put(cm_buf_append(b, pre, strlen(pre)));
    s_put(bt_be_put_cstr(b, "info"));
    s_put(cm_buf_append(b, cm_buf_data(info), cm_buf_len(info)));
    s_put(bt_be_put_end(b));
    cm_buf_destroy(&info);
    return b;
}

static bt_metainfo_t *s_parse_buf(const cm_buf_t *b)
{
    s_err[0] = '\0';
    return bt_metainfo_parse(cm_buf_data(b), cm_buf_len(b), s_err, sizeof(s_err));
}

/* Parse a torrent (consumed) that must fail with `want` in the error. */
static void s_bad(cm_buf_t *t, const char *want, const char *name)
{
    bt_metainfo_t *mi = s_parse_buf(t);
    ok(mi == NULL, name);
    if (want && !ok(strstr(s_err, want) != NULL, name))
        diag("error '%s' lacks '%s'", s_err, want);
    bt_metainfo_destroy(&mi);
    cm_buf_destroy(&t);
}

static void s_bad_str(const char *torrent, const char *want, const char *name)
{
    cm_buf_t *b = cm_buf_new(1 << 20);
    s_put(cm_buf_append(b, torrent, strlen(torrent)));
    s_bad(b, want, name);
}

static bt_metainfo_t *s_good(cm_buf_t *t, const char *name)
{
    bt_metainfo_t *mi = s_parse_buf(t);
    if (!ok(mi != NULL, name))
        diag("error: %s", s_err);
    cm_buf_destroy(&t);
    return mi;
}

static void s_sha1(const void *p, size_t len, uint8_t out[20])
{
    unsigned int n = 0;
    EVP_Digest(p, len, out, &n, EVP_sha1(), NULL);
}

/* The raw info bytes of a torrent, found independently of bt_metainfo: after "4:info", up to
 * the last byte (our torrents end with the info dict then 'e'). */
static void s_info_hash_of(const cm_buf_t *t, uint8_t out[20])
{
    const uint8_t *d = cm_buf_data(t);
    const uint8_t *p = memmem(d, cm_buf_len(t), "4:infod", 7);
    assert(p);
    p += 6;
    s_sha1(p, (size_t)(d + cm_buf_len(t) - 1 - p), out);
}

static void test_single(void)
{
    cm_buf_t *info = s_info_single("file.bin", 100000, 32768, 4);
    uint8_t want_hash[20];
    s_sha1(cm_buf_data(info), cm_buf_len(info), want_hash);
    size_t info_len = cm_buf_len(info);
    uint8_t *info_copy = cm_memdup(cm_buf_data(info), info_len);
    cm_buf_t *t = s_wrap(info, "8:announce20:udp://t.example:1337");
    bt_metainfo_t *mi = s_good(t, "single-file torrent parses");
    if (!mi)
        return;
    ok(memcmp(mi->info_hash, want_hash, 20) == 0, "info-hash is SHA-1 of the info bytes");
    is_str(mi->name, "file.bin", "name");
    ok(!mi->multi, "not multi-file");
    is_int(mi->total_len, 100000, "total length");
    is_int(mi->piece_len, 32768, "piece length");
    is_int(mi->npieces, 4, "4 pieces");
    ok(mi->hashes[0] == 1 && mi->hashes[19] == 1 && mi->hashes[20] == 2 && mi->hashes[79] == 4,
       "hashes copied in order");
    is_int(mi->nfiles, 1, "one file");
    is_str(mi->files[0].path, "file.bin", "the file's path is the name");
    is_int(mi->files[0].length, 100000, "file length");
    is_int(mi->files[0].offset, 0, "file offset 0");
    ok(!mi->files[0].pad, "not a pad file");
    is_int(mi->ntrackers, 1, "announce gives one tracker");
    is_str(mi->trackers[0].url, "udp://t.example:1337", "tracker url");
    is_int(mi->trackers[0].tier, 0, "tier 0");
    ok(!mi->private_, "not private");
    ok(mi->info_len == info_len && memcmp(mi->info_raw, info_copy, info_len) == 0,
       "info_raw is the raw info dictionary");
    is_int(bt_metainfo_piece_size(mi, 0), 32768, "piece 0 is full");
    is_int(bt_metainfo_piece_size(mi, 2), 32768, "piece 2 is full");
    is_int(bt_metainfo_piece_size(mi, 3), 100000 - 3 * 32768, "last piece is short");
    is_int(bt_metainfo_piece_size(mi, 4), 0, "piece 4 is out of range");
    is_int(bt_metainfo_piece_size(mi, UINT32_MAX), 0, "piece UINT32_MAX is out of range");
    is_int(bt_metainfo_piece_size(NULL, 0), 0, "piece size of NULL is 0");
    cm_free(info_copy);
    bt_metainfo_destroy(&mi);
    ok(mi == NULL, "destroy NULLs the pointer");
    bt_metainfo_destroy(&mi);

    /* Exact multiple of the piece length: the last piece is full. */
    mi = s_good(s_wrap(s_info_single("x", 65536, 16384, 4), ""), "exact multiple parses");
    if (mi)
        is_int(bt_metainfo_piece_size(mi, 3), 16384, "last piece of an exact multiple is full");
    is_int(mi ? mi->ntrackers : 99, 0, "no trackers");
    bt_metainfo_destroy(&mi);
}

static void test_multi(void)
{
    static const struct tf files[] = {
        {10, "a|b.txt", NULL},
        {0, "empty", NULL},
        {70000, "c|d|e.bin", NULL},
        {5, "z", NULL},
    };
    cm_buf_t *info = s_info_multi("My Album", files, 4, 16384, 5, true);
    const char *pre = "8:announce14:http://ignored13:announce-listll12:udp://a:1/an12:http://b/"
                      "annel7:ftp://x10:https://c/el12:udp://a:1/anel0:ee";
    cm_buf_t *t = s_wrap(info, pre);
    uint8_t want_hash[20];
    s_info_hash_of(t, want_hash);
    bt_metainfo_t *mi = s_good(t, "multi-file torrent parses");
    if (!mi)
        return;
    ok(memcmp(mi->info_hash, want_hash, 20) == 0, "info-hash of the multi-file torrent");
    ok(mi->multi, "multi-file");
    is_str(mi->name, "My Album", "name");
    is_int(mi->nfiles, 4, "4 files");
    is_str(mi->files[0].path, "a/b.txt", "file 0 path joined with /");
    is_str(mi->files[1].path, "empty", "file 1 path");
    is_str(mi->files[2].path, "c/d/e.bin", "file 2 path");
    is_str(mi->files[3].path, "z", "file 3 path");
    is_int(mi->files[0].offset, 0, "offset 0");
    is_int(mi->files[1].offset, 10, "offset of a zero-length file");
    is_int(mi->files[2].offset, 10, "offset after a zero-length file");
    is_int(mi->files[3].offset, 70010, "offset 70010");
    is_int(mi->files[1].length, 0, "zero-length file");
    is_int(mi->total_len, 70015, "total length");
    is_int(mi->npieces, 5, "5 pieces");
    is_int(bt_metainfo_piece_size(mi, 4), 70015 - 4 * 16384, "last piece size");
    ok(mi->private_, "private");
    is_int(mi->ntrackers, 3, "3 trackers kept (ftp and a duplicate dropped, announce ignored)");
    if (mi->ntrackers == 3) {
        is_str(mi->trackers[0].url, "udp://a:1/an", "tracker 0");
        is_int(mi->trackers[0].tier, 0, "tier 0");
        is_str(mi->trackers[1].url, "http://b/ann", "tracker 1");
        is_int(mi->trackers[1].tier, 0, "tier 0 again");
        is_str(mi->trackers[2].url, "https://c/", "tracker 2");
        is_int(mi->trackers[2].tier, 1, "tier 1");
    }

    /* write -> re-parse keeps the info-hash and the trackers. */
    cm_buf_t *out = cm_buf_new(1 << 20);
    is_int(bt_metainfo_write(mi, out), 0, "write");
    bt_metainfo_t *mi2 = bt_metainfo_parse(cm_buf_data(out), cm_buf_len(out), s_err, 256);
    ok(mi2 != NULL, "re-parse the written torrent");
    if (mi2) {
        ok(memcmp(mi2->info_hash, mi->info_hash, 20) == 0, "same info-hash after write");
        is_int(mi2->ntrackers, 3, "same trackers");
        is_int(mi2->trackers[2].tier, 1, "same tiers");
        bt_be_t be;
        ok(bt_be_decode(&be, cm_buf_data(out), cm_buf_len(out),
                        &(struct bt_be_limits){.strict = true}, NULL, s_err, 256) == 0,
           "written torrent is canonical at the top level");
        bt_be_clear(&be);
    }
    bt_metainfo_destroy(&mi2);
    cm_buf_t *tiny = cm_buf_new(50);
    is_int(bt_metainfo_write(mi, tiny), -1, "write over the cap fails");
    cm_buf_destroy(&tiny);

    /* add_trackers: a new tier; duplicates, bad schemes and NULLs skipped. */
    const char *add[] = {"http://b/ann", "udp://new:80", "magnet:?x",
                         NULL,           "UDP://Up:1",   "http://has space"};
    bt_metainfo_add_trackers(mi, add, CM_ARRAY_LEN(add));
    is_int(mi->ntrackers, 5, "two trackers added");
    if (mi->ntrackers == 5) {
        is_str(mi->trackers[3].url, "udp://new:80", "added url");
        is_int(mi->trackers[3].tier, 2, "in a new tier");
        is_str(mi->trackers[4].url, "UDP://Up:1", "scheme is case-insensitive");
    }
    cm_buf_reset(out);
    is_int(bt_metainfo_write(mi, out), 0, "write with the new tier");
    mi2 = bt_metainfo_parse(cm_buf_data(out), cm_buf_len(out), s_err, 256);
    ok(mi2 && mi2->ntrackers == 5 && mi2->trackers[4].tier == 2, "new tier survives a write");
    bt_metainfo_destroy(&mi2);
    cm_buf_destroy(&out);

    /* Tracker cap. */
    char **many = cm_calloc(300, sizeof(*many));
    for (int i = 0; i < 300; i++) {
        many[i] = cm_malloc(40);
        snprintf(many[i], 40, "udp://t%d.example:80", i);
    }
    bt_metainfo_add_trackers(mi, (const char *const *)many, 300);
    is_int(mi->ntrackers, BT_TRACKERS_MAX, "trackers capped at BT_TRACKERS_MAX");
    for (int i = 0; i < 300; i++)
        cm_free(many[i]);
    cm_free(many);
    char longurl[BT_TRACKER_URL_MAX + 16];
    memcpy(longurl, "http://", 7);
    memset(longurl + 7, 'a', sizeof(longurl) - 8);
    longurl[sizeof(longurl) - 1] = '\0';
    bt_metainfo_destroy(&mi);

    /* A long URL and an announce-only fallback. */
    char pre2[BT_TRACKER_URL_MAX + 128];
    snprintf(pre2, sizeof(pre2), "8:announce12:http://x/ann13:announce-listll%zu:%see",
             strlen(longurl), longurl);
    mi = s_good(s_wrap(s_info_single("x", 5, 16384, 1), pre2), "long tracker url torrent");
    ok(mi && mi->ntrackers == 1 && strcmp(mi->trackers[0].url, "http://x/ann") == 0,
       "an over-long url is dropped and announce is the fallback");
    bt_metainfo_destroy(&mi);
}

static void test_pieces(void)
{
    /* Text torrents: "d4:infod...ee". */
    s_bad_str("d4:infod6:lengthi5e4:name1:x12:piece lengthi16384eee", "pieces is missing",
              "missing pieces");
    s_bad_str("d4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:piecesi5eee",
              "pieces is not a string", "pieces of the wrong type");
    s_bad_str("d4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces0:ee", "pieces is empty",
              "empty pieces");
    s_bad_str("d4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaa6:"
              "pieces20:bbbbbbbbbbbbbbbbbbbbee",
              "duplicate", "duplicate pieces key");
    cm_buf_t *b = cm_buf_new(1 << 20);
    s_put(cm_buf_appendf(b, "d4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces119:"));
    for (int i = 0; i < 119; i++)
        s_put(cm_buf_append(b, "p", 1));
    s_put(cm_buf_appendf(b, "ee"));
    s_bad(b, "pieces is 119 bytes, not a multiple of 20", "pieces of 119 bytes");

    s_bad(s_wrap(s_info_single("x", 100000, 32768, 3), ""), "pieces holds 3 hashes", "too few");
    s_bad(s_wrap(s_info_single("x", 100000, 32768, 5), ""), "pieces holds 5 hashes", "too many");
    s_bad(s_wrap(s_info_single("x", 0, 32768, 1), ""), "total length is 0", "total length 0");
    s_bad(s_wrap(s_info_single("x", -1, 32768, 1), ""), "negative", "negative length");
    s_bad(s_wrap(s_info_single("x", 100, 0, 1), ""), "piece length 0 is not positive",
          "piece length 0");
    s_bad(s_wrap(s_info_single("x", 100, -16384, 1), ""), "piece length -16384 is not positive",
          "negative piece length");
    s_bad(s_wrap(s_info_single("x", 100, BT_PIECE_LEN_MAX + 1, 1), ""), "over the cap",
          "piece length over the cap");
    bt_metainfo_t *mi =
        s_good(s_wrap(s_info_single("x", BT_PIECE_LEN_MAX, BT_PIECE_LEN_MAX, 1), ""),
               "piece length at the cap");
    bt_metainfo_destroy(&mi);
    s_bad_str("d4:infod6:lengthi5e4:name1:x6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "piece length is missing", "missing piece length");
    s_bad_str("d4:infod6:lengthi5e4:name1:x12:piece length1:56:pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "piece length is not an integer", "piece length of the wrong type");
    s_bad_str("d4:infod4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "neither length nor files", "no length nor files");
    s_bad_str("d4:infod6:length1:54:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "length is not an integer", "length of the wrong type");

    /* More than BT_PIECES_MAX pieces: the pieces string alone (40 MB) is over the input cap,
     * and from_info's 16 MB cap: either way refused. */
    cm_buf_t *info =
        s_info_single("x", (int64_t)(BT_PIECES_MAX + 1) * 16384, 16384, (size_t)BT_PIECES_MAX + 1);
    mi = bt_metainfo_from_info(cm_buf_data(info), cm_buf_len(info), NULL, s_err, 256);
    ok(mi == NULL && strstr(s_err, "over the cap"), "more than BT_PIECES_MAX pieces refused");
    bt_metainfo_destroy(&mi);
    s_bad(s_wrap(info, ""), "over the cap", "a 40 MB torrent refused");
}

static void s_text_good(const char *torrent, const char *name);

static void test_paths(void)
{
    struct tf f[2] = {{1, "a|b", NULL}, {1, "a|b", NULL}};
    s_bad(s_wrap(s_info_multi("n", f, 2, 16384, 1, false), ""), "same path \"a/b\"",
          "duplicate file paths");
    f[0].path = "a";
    s_bad(s_wrap(s_info_multi("n", f, 2, 16384, 1, false), ""), "also a directory",
          "a file that is a directory of another");
    f[0].path = "a|b|c";
    s_bad(s_wrap(s_info_multi("n", f, 2, 16384, 1, false), ""), "also a directory",
          "a file under another file");
    /* "a.txt" sorts between "a" and "a/b" bytewise; the check must still see a and a/b. */
    struct tf g[3] = {{1, "a", NULL}, {1, "a.txt", NULL}, {1, "a|b", NULL}};
    s_bad(s_wrap(s_info_multi("n", g, 3, 16384, 1, false), ""), "also a directory",
          "directory conflict with a file sorting between");
    g[0].path = "ab";
    bt_metainfo_t *mi =
        s_good(s_wrap(s_info_multi("n", g, 3, 16384, 1, false), ""), "ab, a.txt, a/b are distinct");
    bt_metainfo_destroy(&mi);
    struct tf h[2] = {{1, "A", NULL}, {1, "a", NULL}};
    mi = s_good(s_wrap(s_info_multi("n", h, 2, 16384, 1, false), ""), "case differs: distinct");
    bt_metainfo_destroy(&mi);

    /* Padding files may repeat a path among themselves. */
    struct tf pad[4] = {
        {1, "a", NULL}, {16383, ".pad|16383", "p"}, {1, "b", NULL}, {16383, ".pad|16383", "p"}};
    mi = s_good(s_wrap(s_info_multi("n", pad, 4, 16384, 2, false), ""), "pad files may repeat");
    ok(mi && mi->files[1].pad && mi->files[3].pad && !mi->files[0].pad, "pad files flagged");
    bt_metainfo_destroy(&mi);
    pad[3].attr = NULL;
    s_bad(s_wrap(s_info_multi("n", pad, 4, 16384, 2, false), ""), "same path",
          "a pad file and a normal file may not share a path");

    static const struct {
        const char *path, *want, *name;
    } bad[] = {
        {"a|..|b", "component 1 is \".\" or \"..\"", "'..' component"},
        {"..", "component 0 is \".\" or \"..\"", "'..' alone"},
        {".", "\".\" or \"..\"", "'.' component"},
        {"a||b", "component 1 is empty", "empty component"},
        {"", "component 0 is empty", "empty path component"},
        {"/etc", "contains '/'", "absolute component"},
        {"a|/etc|passwd", "contains '/'", "slash in a component"},
        {"a\\..\\b", "contains '\\'", "backslash"},
        {"\xff\xfe", "not valid UTF-8", "bad UTF-8 path"},
        {"\xc0\xaf", "not valid UTF-8", "overlong UTF-8 path"},
        {"\xed\xa0\x80", "not valid UTF-8", "surrogate in a path"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        struct tf one = {5, bad[i].path, NULL};
        s_bad(s_wrap(s_info_multi("n", &one, 1, 16384, 1, false), ""), bad[i].want, bad[i].name);
    }
    struct tf okf = {5, "caf\xc3\xa9|\xe6\x97\xa5\xe6\x9c\xac.mkv", NULL};
    mi = s_good(s_wrap(s_info_multi("n", &okf, 1, 16384, 1, false), ""), "UTF-8 path accepted");
    ok(mi && strcmp(mi->files[0].path, "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.mkv") == 0,
       "UTF-8 path kept");
    bt_metainfo_destroy(&mi);

    /* A NUL inside a component (needs an explicit length). */
    cm_buf_t *b = cm_buf_new(4096);
    s_put(cm_buf_appendf(b, "d4:infod5:filesld6:lengthi5e4:pathl3:"));
    s_put(cm_buf_append(b, "a\0b", 3));
    s_put(cm_buf_appendf(b, "eee4:name1:n12:piece lengthi16384e6:pieces20:"
                            "aaaaaaaaaaaaaaaaaaaaee"));
    s_bad(b, "contains a NUL byte", "NUL in a path component");

    /* A 4096-byte component; 255 is the limit. */
    char *big = cm_malloc(4097);
    memset(big, 'x', 4096);
    big[4096] = '\0';
    struct tf bf = {5, big, NULL};
    s_bad(s_wrap(s_info_multi("n", &bf, 1, 16384, 1, false), ""), "over 255 bytes",
          "4096-byte component");
    big[255] = '\0';
    mi = s_good(s_wrap(s_info_multi("n", &bf, 1, 16384, 1, false), ""), "255-byte component");
    bt_metainfo_destroy(&mi);
    big[256] = '\0';
    big[255] = 'x';
    s_bad(s_wrap(s_info_single(big, 5, 16384, 1), ""), "name is over 255 bytes", "256-byte name");
    cm_free(big);

    /* The name follows the same rules. */
    s_bad(s_wrap(s_info_single("..", 5, 16384, 1), ""), "name is \".\" or \"..\"", "name ..");
    s_bad(s_wrap(s_info_single("", 5, 16384, 1), ""), "name is empty", "empty name");
    s_bad(s_wrap(s_info_single("/etc", 5, 16384, 1), ""), "name contains '/'", "name /etc");
    s_bad(s_wrap(s_info_single("a\\b", 5, 16384, 1), ""), "name contains '\\'", "name a\\b");
    s_bad(s_wrap(s_info_single("\xff", 5, 16384, 1), ""), "name is not valid UTF-8",
          "name bad UTF-8");
    s_bad_str("d4:infod6:lengthi5e12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "name is missing", "missing name");

    /* path.utf-8 and name.utf-8 win when valid, and are ignored when not. */
    s_text_good("d4:infod5:filesl"
                "d6:lengthi5e4:pathl3:rawe10:path.utf-8l4:nice2:..ee"
                "d6:lengthi5e4:pathl5:othere10:path.utf-8l3:dir4:goodee"
                "e4:name3:raw10:name.utf-85:niceN12:piece lengthi16384e6:pieces20:"
                "aaaaaaaaaaaaaaaaaaaaee",
                "utf-8 variants");
}

/* Parse a text torrent that must succeed and check the .utf-8 preferences. */
static void s_text_good(const char *torrent, const char *name)
{
    bt_metainfo_t *mi = bt_metainfo_parse((const uint8_t *)torrent, strlen(torrent), s_err, 256);
    if (!ok(mi != NULL, name)) {
        diag("error: %s", s_err);
        return;
    }
    is_str(mi->name, "niceN", "name.utf-8 preferred");
    is_str(mi->files[0].path, "raw", "an invalid path.utf-8 is ignored");
    is_str(mi->files[1].path, "dir/good", "a valid path.utf-8 is preferred");
    bt_metainfo_destroy(&mi);
}

static void test_lengths(void)
{
    struct tf f[2] = {{INT64_MAX, "a", NULL}, {1, "b", NULL}};
    s_bad(s_wrap(s_info_multi("n", f, 2, 16384, 1, false), ""), "overflows",
          "total length overflow");
    f[0].len = -5;
    s_bad(s_wrap(s_info_multi("n", f, 2, 16384, 1, false), ""), "file 0 has a negative length",
          "negative file length");
    struct tf z[2] = {{0, "a", NULL}, {0, "b", NULL}};
    s_bad(s_wrap(s_info_multi("n", z, 2, 16384, 1, false), ""), "total length is 0",
          "all files empty");
    s_bad(s_wrap(s_info_multi("n", z, 0, 16384, 1, false), ""), "files is an empty list",
          "empty files list");
    s_bad_str("d4:infod5:filesi1e4:name1:n12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "files is not a list", "files of the wrong type");
    s_bad_str("d4:infod5:filesli1ee4:name1:n12:piece lengthi16384e6:pieces20:"
              "aaaaaaaaaaaaaaaaaaaaee",
              "file 0 is not a dictionary", "file entry of the wrong type");
    s_bad_str("d4:infod5:filesld4:pathl1:aeee4:name1:n12:piece lengthi16384e6:pieces20:"
              "aaaaaaaaaaaaaaaaaaaaee",
              "file 0 has no integer length", "file without length");
    s_bad_str("d4:infod5:filesld6:lengthi5eee4:name1:n12:piece lengthi16384e6:pieces20:"
              "aaaaaaaaaaaaaaaaaaaaee",
              "file 0: path is missing", "file without path");
    s_bad_str("d4:infod5:filesld6:lengthi5e4:pathleee4:name1:n12:piece lengthi16384e6:pieces20:"
              "aaaaaaaaaaaaaaaaaaaaee",
              "file 0: path is an empty list", "file with an empty path");
    s_bad_str("d4:infod5:filesld6:lengthi5e4:pathli1eeee4:name1:n12:piece lengthi16384e6:"
              "pieces20:aaaaaaaaaaaaaaaaaaaaee",
              "not a string", "path component of the wrong type");
    s_bad_str("le", "a .torrent is a dictionary", "root is a list");
    s_bad_str("d8:announce3:abce", "info is missing", "no info");
    s_bad_str("d4:infoli1eee", "info is not a dictionary", "info is a list");
    s_bad_str("d4:infod", "not a valid .torrent: unexpected end of input at offset 8",
              "truncated torrent");
}

static void test_many_files(void)
{
    /* 10,001 files of 1 byte: one piece. */
    size_t n = 10001;
    struct tf *f = cm_calloc(BT_FILES_MAX + 1, sizeof(*f));
    char(*names)[16] = cm_calloc(BT_FILES_MAX + 1, sizeof(*names));
    for (size_t i = 0; i < BT_FILES_MAX + 1; i++) {
        snprintf(names[i], sizeof(names[i]), "d%zu|f%zu", i % 100, i);
        f[i] = (struct tf){1, names[i], NULL};
    }
    bt_metainfo_t *mi =
        s_good(s_wrap(s_info_multi("n", f, n, 16384, 1, false), ""), "10,001 files accepted");
    ok(mi && mi->nfiles == n && mi->files[n - 1].offset == n - 1, "10,001 files, offsets");
    bt_metainfo_destroy(&mi);
    uint64_t t0 = cm_mono_ms();
    mi = s_good(s_wrap(s_info_multi("n", f, BT_FILES_MAX, 16384, 7, false), ""),
                "BT_FILES_MAX files accepted");
    ok(mi && mi->nfiles == BT_FILES_MAX, "BT_FILES_MAX files");
    diag("%d files parsed in %" PRIu64 " ms", BT_FILES_MAX, cm_mono_ms() - t0);
    bt_metainfo_destroy(&mi);
    s_bad(s_wrap(s_info_multi("n", f, BT_FILES_MAX + 1, 16384, 7, false), ""),
          "100001 files is over the cap", "BT_FILES_MAX + 1 files refused");
    cm_free(names);
    cm_free(f);
}

static void test_hash(void)
{
    /* A tiny hand-made torrent with a known info-hash (computed once with Python's hashlib),
     * and independently here with EVP. */
    static const char info[] = "d6:lengthi5e4:name5:a.txt12:piece lengthi16384e6:pieces20:"
                               "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                               "\x10\x11\x12\x13"
                               "e";
    size_t ilen = sizeof(info) - 1;
    cm_buf_t *t = cm_buf_new(4096);
    s_put(cm_buf_appendf(t, "d4:info"));
    s_put(cm_buf_append(t, info, ilen));
    s_put(cm_buf_appendf(t, "e"));
    bt_metainfo_t *mi = s_good(t, "tiny torrent parses");
    char hex[41];
    uint8_t want[20];
    s_sha1(info, ilen, want);
    if (mi) {
        bt_hash_hex(mi->info_hash, hex);
        is_str(hex, "133e7ef28fffcb98605443cbd54a9d391219d9a3", "known info-hash");
        ok(memcmp(mi->info_hash, want, 20) == 0, "equals an independent EVP SHA-1");
    }
    bt_metainfo_destroy(&mi);

    /* from_info: the bare info dictionary, with and without the expected hash. */
    mi = bt_metainfo_from_info((const uint8_t *)info, ilen, want, s_err, 256);
    ok(mi != NULL, "from_info with the right hash");
    ok(mi && memcmp(mi->info_hash, want, 20) == 0 && mi->ntrackers == 0, "from_info fields");
    bt_metainfo_destroy(&mi);
    uint8_t wrong[20];
    memcpy(wrong, want, 20);
    wrong[19] ^= 1;
    mi = bt_metainfo_from_info((const uint8_t *)info, ilen, wrong, s_err, 256);
    ok(mi == NULL && strstr(s_err, "does not match"), "from_info with a wrong hash fails");
    mi = bt_metainfo_from_info((const uint8_t *)info, ilen, NULL, s_err, 256);
    ok(mi != NULL, "from_info without a hash");
    bt_metainfo_destroy(&mi);
    mi = bt_metainfo_from_info((const uint8_t *)"li1ee", 5, NULL, s_err, 256);
    ok(mi == NULL && strstr(s_err, "info is not a dictionary"), "from_info of a list fails");
    mi = bt_metainfo_from_info((const uint8_t *)info, ilen - 1, NULL, s_err, 256);
    ok(mi == NULL && strstr(s_err, "end of input"), "from_info of truncated bytes fails");

    /* Unordered info dict (B-04): accepted, hash over the raw bytes, not a re-encoding. */
    static const char uinfo[] = "d4:name5:a.txt6:lengthi5e6:pieces20:aaaaaaaaaaaaaaaaaaaa"
                                "12:piece lengthi16384ee";
    t = cm_buf_new(4096);
    s_put(cm_buf_appendf(t, "d4:info%se", uinfo));
    mi = s_good(t, "unordered info dict accepted");
    s_sha1(uinfo, sizeof(uinfo) - 1, want);
    ok(mi && memcmp(mi->info_hash, want, 20) == 0, "hash is SHA-1 of the unordered raw bytes");
    ok(mi && mi->info_len == sizeof(uinfo) - 1 && memcmp(mi->info_raw, uinfo, mi->info_len) == 0,
       "info_raw is the unordered raw bytes");
    if (mi) {
        cm_buf_t *out = cm_buf_new(4096);
        ok(bt_metainfo_write(mi, out) == 0, "write the unordered torrent");
        bt_metainfo_t *mi2 = bt_metainfo_parse(cm_buf_data(out), cm_buf_len(out), s_err, 256);
        ok(mi2 && memcmp(mi2->info_hash, want, 20) == 0, "write keeps the unordered bytes");
        bt_metainfo_destroy(&mi2);
        cm_buf_destroy(&out);
    }
    bt_metainfo_destroy(&mi);

    /* Text forms. */
    uint8_t h[20], h2[20];
    ok(bt_hash_parse("133e7ef28fffcb98605443cbd54a9d391219d9a3", 40, h) == 0, "hex parses");
    s_sha1(info, ilen, want);
    ok(memcmp(h, want, 20) == 0, "hex value");
    ok(bt_hash_parse("133E7EF28FFFCB98605443CBD54A9D391219D9A3", 40, h2) == 0 &&
           memcmp(h2, want, 20) == 0,
       "upper-case hex");
    ok(bt_hash_parse("CM7H54UP77FZQYCUIPF5KSU5HEJBTWND", 32, h2) == 0 && memcmp(h2, want, 20) == 0,
       "base32 of the same hash");
    ok(bt_hash_parse("cm7h54up77fzqycuipf5ksu5hejbtwnd", 32, h2) == 0 && memcmp(h2, want, 20) == 0,
       "lower-case base32");
    memset(h2, 0x77, 20);
    ok(bt_hash_parse("133e7ef28fffcb98605443cbd54a9d391219d9ag", 40, h2) == -1, "bad hex digit");
    ok(h2[0] == 0x77, "out untouched on failure");
    ok(bt_hash_parse("CM7H54UP77FZQYCUIPF5KSU5HEJBTWN1", 32, h2) == -1, "'1' is not base32");
    ok(bt_hash_parse("CM7H54UP77FZQYCUIPF5KSU5HEJBTWN=", 32, h2) == -1, "'=' is refused");
    ok(bt_hash_parse("133e7ef28fffcb98605443cbd54a9d391219d9a", 39, h2) == -1, "39 hex digits");
    ok(bt_hash_parse("133e7ef28fffcb98605443cbd54a9d391219d9a3a", 41, h2) == -1, "41 digits");
    ok(bt_hash_parse("", 0, h2) == -1, "empty");
    ok(bt_hash_parse(NULL, 40, h2) == -1, "NULL");
    static const uint8_t ff[20] = {0xff, 0x00, 0xab};
    bt_hash_hex(ff, hex);
    is_str(hex, "ff00ab0000000000000000000000000000000000", "hex is lower-case, 40 digits");
}

int main(void)
{
    test_single();
    test_multi();
    test_pieces();
    test_paths();
    test_lengths();
    test_many_files();
    test_hash();
    return done_testing();
}
