/* SPDX-License-Identifier: MIT
 * Tests of bt_cache, in a mkdtemp directory: three fake torrent directories with files of
 * known sizes and set mtimes, scanned (sizes agree with our own stat; entries that are not
 * 40 lower-case hex directories, a hex-named symlink and a hex-named file are ignored); a
 * reserve over the cap evicts the least recently used unpinned torrent first, never a pinned
 * one, never the reserving one; -1 (nothing evicted, nothing counted) when everything else is
 * pinned; a future directory mtime counts as now; a symlink inside an evicted torrent pointing
 * outside is deleted as a link, its target intact; a re-scan after eviction agrees; pin/unpin move
 * a torrent to the back of the line across a restart (directory mtime); bt_cache_dir. */
#include "cm.h"
#include "bt_cache.h"
#include "../../tap.h"
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

static char s_base[64];
static char s_root[128];
static char s_out[128];
static uint64_t s_bytes[3]; /* what each fake torrent's files take, by our own stat */

static const uint8_t H1[20] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                               0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
static const uint8_t H2[20] = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                               0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
static const uint8_t H3[20] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                               0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33};
static const uint8_t H4[20] = {0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
                               0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
static const uint8_t H5[20] = {0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0x00, 0xff,
                               0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0x00, 0xff};

#define HEX1 "1111111111111111111111111111111111111111"
#define HEX2 "2222222222222222222222222222222222222222"
#define HEX3 "3333333333333333333333333333333333333333"
#define HEX5 "abcdef012345678900ffabcdef012345678900ff"
#define HEX6 "6666666666666666666666666666666666666666"
#define HEX7 "7777777777777777777777777777777777777777"
#define UPPER "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD"

static int s_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    CM_UNUSED(sb);
    CM_UNUSED(ftw);
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void s_rm_rf(const char *path)
{
    nftw(path, s_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void s_path(char *out, size_t len, const char *a, const char *b)
{
    snprintf(out, len, "%s/%s", a, b);
}

/* Write `size` bytes; return their st_blocks x 512. */
static uint64_t s_file(const char *dir, const char *rel, size_t size)
{
    char p[PATH_MAX];
    static unsigned char junk[65536];
    memset(junk, 'x', sizeof(junk));
    s_path(p, sizeof(p), dir, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    for (size_t put = 0; put < size;) {
        size_t n = CM_MIN(size - put, sizeof(junk));
        ssize_t w = write(fd, junk, n);
        if (w <= 0)
            break;
        put += (size_t)w;
    }
    fsync(fd);
    struct stat sb;
    fstat(fd, &sb);
    close(fd);
    return (uint64_t)sb.st_blocks * 512;
}

static bool s_exists(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    struct stat sb;
    s_path(p, sizeof(p), dir, rel);
    return lstat(p, &sb) == 0;
}

static void s_set_mtime(const char *dir, const char *rel, time_t sec)
{
    char p[PATH_MAX];
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    s_path(p, sizeof(p), dir, rel);
    utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
}

static time_t s_mtime(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    struct stat sb;
    s_path(p, sizeof(p), dir, rel);
    return lstat(p, &sb) == 0 ? sb.st_mtim.tv_sec : 0;
}

static void s_sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int s_count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* A fresh cache directory:
 *   HEX1/a (10000), HEX1/sub/b (5000)          mtime 1000000000 (the oldest)
 *   HEX2/c (20000), HEX2/escape -> outside/, HEX2/escape_file -> outside/precious
 *                                               mtime 1100000000
 *   HEX3/d (30000)                              mtime 1200000000
 *   notahash/big (70000), UPPER/e (7000), HEX6 a file, HEX7 -> outside/ (all ignored)
 * outside/precious (50000) is never to be touched. */
static void s_setup(void)
{
    char p[PATH_MAX];
    s_rm_rf(s_root);
    mkdir(s_root, 0755);
    mkdir(s_out, 0755);
    s_file(s_out, "precious", 50000);

    s_path(p, sizeof(p), s_root, HEX1);
    mkdir(p, 0755);
    s_path(p, sizeof(p), s_root, HEX1 "/sub");
    mkdir(p, 0755);
    s_bytes[0] = s_file(s_root, HEX1 "/a", 10000) + s_file(s_root, HEX1 "/sub/b", 5000);

    s_path(p, sizeof(p), s_root, HEX2);
    mkdir(p, 0755);
    s_bytes[1] = s_file(s_root, HEX2 "/c", 20000);
    s_path(p, sizeof(p), s_root, HEX2 "/escape");
    if (symlink(s_out, p) != 0)
        diag("symlink failed");
    char target[PATH_MAX];
    s_path(target, sizeof(target), s_out, "precious");
    s_path(p, sizeof(p), s_root, HEX2 "/escape_file");
    if (symlink(target, p) != 0)
        diag("symlink failed");

    s_path(p, sizeof(p), s_root, HEX3);
    mkdir(p, 0755);
    s_bytes[2] = s_file(s_root, HEX3 "/d", 30000);

    s_path(p, sizeof(p), s_root, "notahash");
    mkdir(p, 0755);
    s_file(s_root, "notahash/big", 70000);
    s_path(p, sizeof(p), s_root, UPPER);
    mkdir(p, 0755);
    s_file(s_root, UPPER "/e", 7000);
    s_file(s_root, HEX6, 6000);
    s_path(p, sizeof(p), s_root, HEX7);
    if (symlink(s_out, p) != 0)
        diag("symlink failed");

    s_set_mtime(s_root, HEX1, 1000000000);
    s_set_mtime(s_root, HEX2, 1100000000);
    s_set_mtime(s_root, HEX3, 1200000000);
}

/* Everything that is not ours is still there, and outside is intact. */
static void s_foreign_intact(const char *when)
{
    char name[160];
    bool all = s_exists(s_root, "notahash/big") && s_exists(s_root, UPPER "/e") &&
               s_exists(s_root, HEX6) && s_exists(s_root, HEX7);
    snprintf(name, sizeof(name), "%s: foreign entries untouched", when);
    ok(all, name);
    char p[PATH_MAX];
    struct stat sb;
    s_path(p, sizeof(p), s_out, "precious");
    snprintf(name, sizeof(name), "%s: the symlinks' target intact", when);
    ok(stat(p, &sb) == 0 && sb.st_size == 50000 && s_count_dir(s_out) == 1, name);
}

static void test_scan(void)
{
    char err[256] = "";
    s_setup();
    bt_cache_t *c = bt_cache_new(s_root, 0, err, sizeof(err));
    ok(c != NULL, "new");
    if (!c) {
        diag("%s", err);
        return;
    }
    diag("sizes: %" PRIu64 " %" PRIu64 " %" PRIu64, s_bytes[0], s_bytes[1], s_bytes[2]);
    ok(s_bytes[0] >= 15000 && s_bytes[1] >= 20000 && s_bytes[2] >= 30000, "files took space");
    is_int(bt_cache_used(c), s_bytes[0] + s_bytes[1] + s_bytes[2],
           "used = the three torrents' files (nothing else, no symlink followed)");
    ok(bt_cache_free(c) == UINT64_MAX, "no cap: free is UINT64_MAX");
    is_int(bt_cache_reserve(c, H4, 1u << 30), 0, "no cap: any reserve fits");
    is_int(bt_cache_evictions(c), 0, "no cap: nothing evicted");
    is_int(bt_cache_used(c), s_bytes[0] + s_bytes[1] + s_bytes[2] + (1u << 30),
           "the reserve is counted");
    s_foreign_intact("scan");
    bt_cache_destroy(&c);
    ok(c == NULL, "destroy clears the pointer");
}

static void test_lru(void)
{
    char err[256] = "";
    s_setup();
    uint64_t all = s_bytes[0] + s_bytes[1] + s_bytes[2];
    uint64_t cap = all + 10000;
    bt_cache_t *c = bt_cache_new(s_root, cap, err, sizeof(err));
    ok(c != NULL, "lru: new with a cap");
    if (!c)
        return;
    is_int(bt_cache_free(c), 10000, "free = cap - used");
    is_int(bt_cache_reserve(c, H4, 5000), 0, "a reserve under the cap");
    is_int(bt_cache_evictions(c), 0, "evicts nothing");
    bt_cache_pin(c, H3);
    is_int(bt_cache_reserve(c, H4, 10000), 0, "a reserve over the cap succeeds");
    is_int(bt_cache_evictions(c), 1, "after one eviction");
    ok(!s_exists(s_root, HEX1), "the oldest (HEX1) went");
    ok(s_exists(s_root, HEX2) && s_exists(s_root, HEX3), "HEX2 and pinned HEX3 stay");
    is_int(bt_cache_used(c), s_bytes[1] + s_bytes[2] + 15000, "used counts what is left");

    uint64_t used = bt_cache_used(c);
    is_int(bt_cache_reserve(c, H4, s_bytes[1] + s_bytes[2] + 20000), -1,
           "more than evicting every unpinned torrent could free: -1");
    is_int(bt_cache_evictions(c), 1, "and nothing was evicted for it");
    ok(s_exists(s_root, HEX2), "HEX2 still there");
    is_int(bt_cache_used(c), used, "and nothing counted");

    bt_cache_pin(c, H2);
    is_int(bt_cache_reserve(c, H4, bt_cache_free(c) + 1), -1, "everything else pinned: -1");
    is_int(bt_cache_evictions(c), 0 + 1, "no eviction");
    ok(s_exists(s_root, HEX2) && s_exists(s_root, HEX3), "pinned torrents stay");
    is_int(bt_cache_reserve(c, H4, bt_cache_free(c)), 0, "exactly what is free fits");
    is_int(bt_cache_free(c), 0, "nothing left");
    is_int(bt_cache_reserve(c, H4, 0), 0, "a zero reserve at the cap fits");
    is_int(bt_cache_reserve(c, H4, (uint64_t)cap + 1), -1, "more than the cap never fits");
    bt_cache_unpin(c, H2);
    bt_cache_unpin(c, H2); /* one too many: harmless */
    bt_cache_unpin(c, H3);
    s_foreign_intact("lru");
    bt_cache_destroy(&c);
}

/* The oldest is pinned: the next oldest goes, with its symlinks (as links). */
static void test_pinned_and_links(void)
{
    char err[256] = "";
    s_setup();
    uint64_t all = s_bytes[0] + s_bytes[1] + s_bytes[2];
    bt_cache_t *c = bt_cache_new(s_root, all, err, sizeof(err));
    ok(c != NULL, "pinned: new");
    if (!c)
        return;
    /* H1 pinned first, so it stays the least recently used; H2 and H3 used after it. */
    bt_cache_pin(c, H1);
    s_sleep_ms(20);
    bt_cache_pin(c, H2);
    bt_cache_unpin(c, H2);
    s_sleep_ms(20);
    bt_cache_pin(c, H3);
    is_int(bt_cache_reserve(c, H4, 1), 0, "reserve one byte over the cap");
    is_int(bt_cache_evictions(c), 1, "one eviction");
    ok(s_exists(s_root, HEX1), "the least recently used, pinned, stays");
    ok(!s_exists(s_root, HEX2), "HEX2 (with symlinks to outside) went");
    ok(s_exists(s_root, HEX3), "HEX3 stays");
    s_foreign_intact("pinned");
    bt_cache_destroy(&c);

    /* Re-scan: the disk agrees (the reserve was never written, so it is not counted). */
    c = bt_cache_new(s_root, all, err, sizeof(err));
    ok(c != NULL, "re-scan");
    if (!c)
        return;
    is_int(bt_cache_used(c), s_bytes[0] + s_bytes[2], "re-scan: used = HEX1 + HEX3");
    is_int(bt_cache_evictions(c), 0, "re-scan: evictions start at 0");
    bt_cache_destroy(&c);
}

/* The reserving torrent is the least recently used: the next one goes instead. */
static void test_reserver_kept(void)
{
    char err[256] = "";
    s_setup();
    uint64_t all = s_bytes[0] + s_bytes[1] + s_bytes[2];
    bt_cache_t *c = bt_cache_new(s_root, all, err, sizeof(err));
    ok(c != NULL, "reserver: new");
    if (!c)
        return;
    is_int(bt_cache_reserve(c, H1, 1), 0, "the oldest reserves over the cap");
    ok(s_exists(s_root, HEX1), "it is not evicted");
    ok(!s_exists(s_root, HEX2), "the next oldest is");
    ok(s_exists(s_root, HEX3), "the newest stays");
    is_int(bt_cache_used(c), s_bytes[0] + s_bytes[2] + 1, "used");
    bt_cache_destroy(&c);

    /* Only the reserver itself could make room: -1. */
    s_setup();
    c = bt_cache_new(s_root, all, err, sizeof(err));
    bt_cache_pin(c, H2);
    bt_cache_pin(c, H3);
    is_int(bt_cache_reserve(c, H1, 1), -1, "the reserver never evicts itself: -1");
    ok(s_exists(s_root, HEX1), "and it is still there");
    is_int(bt_cache_evictions(c), 0, "no eviction");
    bt_cache_destroy(&c);
}

/* pin/unpin touch the directory, so the order survives a restart. */
static void test_touch_restart(void)
{
    char err[256] = "";
    s_setup();
    uint64_t all = s_bytes[0] + s_bytes[1] + s_bytes[2];
    bt_cache_t *c = bt_cache_new(s_root, all, err, sizeof(err));
    ok(c != NULL, "touch: new");
    if (!c)
        return;
    bt_cache_pin(c, H1);
    bt_cache_unpin(c, H1);
    ok(s_mtime(s_root, HEX1) > 1200000000, "pin/unpin set the directory's mtime to now");
    bt_cache_destroy(&c);
    c = bt_cache_new(s_root, all, err, sizeof(err));
    is_int(bt_cache_reserve(c, H4, 1), 0, "after a restart, a reserve over the cap");
    ok(s_exists(s_root, HEX1), "the recently used HEX1 stays");
    ok(!s_exists(s_root, HEX2), "HEX2, now the oldest, went");
    bt_cache_destroy(&c);
}

/* A directory mtime in the future (a clock set back) counts as "now" at the scan, not as
 * "used later than everything": it does not become unevictable. */
static void test_future_mtime(void)
{
    char err[256] = "";
    s_setup();
    s_set_mtime(s_root, HEX2, 4000000000);
    uint64_t all = s_bytes[0] + s_bytes[1] + s_bytes[2];
    bt_cache_t *c = bt_cache_new(s_root, all, err, sizeof(err));
    ok(c != NULL, "future: new");
    if (!c)
        return;
    s_sleep_ms(20);
    bt_cache_pin(c, H3);
    bt_cache_unpin(c, H3);
    bt_cache_pin(c, H1);
    is_int(bt_cache_reserve(c, H4, 1), 0, "future: reserve over the cap");
    ok(!s_exists(s_root, HEX2), "the future-dated HEX2 went");
    ok(s_exists(s_root, HEX3), "HEX3, used after the scan, stays");
    bt_cache_destroy(&c);
}

static void test_dir(void)
{
    char err[256] = "", out[PATH_MAX], want[PATH_MAX], p[PATH_MAX];
    s_setup();
    char nested[192];
    snprintf(nested, sizeof(nested), "%s/a/b/cache", s_base);
    bt_cache_t *c = bt_cache_new(nested, 0, err, sizeof(err));
    ok(c != NULL, "new creates a nested root");
    if (!c)
        return;
    is_int(bt_cache_used(c), 0, "an empty cache");
    is_int(bt_cache_dir(c, H5, out, sizeof(out)), 0, "dir");
    snprintf(want, sizeof(want), "%s/" HEX5, nested);
    is_str(out, want, "dir is root/<lower-case hex>");
    struct stat sb;
    ok(lstat(out, &sb) == 0 && S_ISDIR(sb.st_mode), "and it exists");
    is_int(bt_cache_dir(c, H5, out, sizeof(out)), 0, "dir again");
    is_int(bt_cache_dir(c, H5, out, 10), -1, "dir into a small buffer fails");
    /* A symlink squatting on the name is not ours to use. */
    s_path(p, sizeof(p), nested, "4444444444444444444444444444444444444444");
    if (symlink(s_out, p) != 0)
        diag("symlink failed");
    is_int(bt_cache_dir(c, H4, out, sizeof(out)), -1, "dir refuses a symlink");
    bt_cache_destroy(&c);
    bt_cache_destroy(&c);
    ok(1, "destroy twice is safe");
    ok(bt_cache_new(NULL, 0, err, sizeof(err)) == NULL, "new(NULL) fails");
}

int main(void)
{
    cm_log_set_level(CM_LOG_ERROR);
    snprintf(s_base, sizeof(s_base), "/tmp/bt_cache_test.XXXXXX");
    if (!mkdtemp(s_base)) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    snprintf(s_root, sizeof(s_root), "%s/cache", s_base);
    snprintf(s_out, sizeof(s_out), "%s/outside", s_base);
    test_scan();
    test_lru();
    test_pinned_and_links();
    test_reserver_kept();
    test_touch_restart();
    test_future_mtime();
    test_dir();
    s_rm_rf(s_base);
    return done_testing();
}
