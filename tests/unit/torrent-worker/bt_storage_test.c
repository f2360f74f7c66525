/* SPDX-License-Identifier: MIT
 * Tests of bt_storage, in a mkdtemp directory, with metainfo built by hand (hashes computed
 * here with OpenSSL): a multi-file torrent with a zero-length file, a piece spanning three
 * files and a short last piece, written block by block in random order with 2-3 iovecs each
 * (and once with 100 iovecs), verified; one byte corrupted on disk fails its piece only; reads
 * across file boundaries; out-of-range requests; resume save/load round trip, a touched file
 * clearing its pieces, a damaged resume file ignored; check_all over a partial set of files;
 * disk usage; remove() leaving root as it was; a single-file torrent; the descriptor cap;
 * symlinks at a directory component and at the leaf (checklist B-08: nothing written outside,
 * the target untouched); models that open() must refuse. */
#include "cm.h"
#include "bt_storage.h"
#include "../../tap.h"
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <openssl/evp.h>

/* A hand-built torrent: the model plus the bytes it describes. */
struct tor {
    bt_metainfo_t mi;
    uint8_t *data; /* total_len bytes */
};

static uint64_t s_rng = 0x9e3779b97f4a7c15u;

static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

static void s_sha1(const void *p, size_t n, uint8_t out[20])
{
    unsigned int len = 0;
    EVP_Digest(p, n, out, &len, EVP_sha1(), NULL);
}

static void s_tor_init(struct tor *t, const char *name, bool multi, const char *const *paths,
                       const uint64_t *lens, uint32_t n, uint32_t piece_len)
{
    memset(t, 0, sizeof(*t));
    bt_metainfo_t *mi = &t->mi;
    mi->name = cm_strdup(name);
    mi->multi = multi;
    mi->piece_len = piece_len;
    mi->nfiles = n;
    mi->files = cm_calloc(n, sizeof(*mi->files));
    for (uint32_t i = 0; i < n; i++) {
        mi->files[i].path = cm_strdup(paths[i]);
        mi->files[i].length = lens[i];
        mi->files[i].offset = mi->total_len;
        mi->total_len += lens[i];
    }
    mi->npieces = (uint32_t)((mi->total_len + piece_len - 1) / piece_len);
    t->data = cm_malloc(mi->total_len + 1);
    for (uint64_t i = 0; i < mi->total_len; i++)
        t->data[i] = (uint8_t)s_rand();
    mi->hashes = cm_malloc((size_t)20 * mi->npieces + 1);
    for (uint32_t p = 0; p < mi->npieces; p++) {
        uint64_t off = (uint64_t)p * piece_len;
        uint64_t len = CM_MIN((uint64_t)piece_len, mi->total_len - off);
        s_sha1(t->data + off, len, mi->hashes + 20 * p);
    }
    s_sha1(name, strlen(name), mi->info_hash);
}

static void s_tor_free(struct tor *t)
{
    for (uint32_t i = 0; i < t->mi.nfiles; i++)
        cm_free(t->mi.files[i].path);
    cm_free(t->mi.files);
    cm_free(t->mi.hashes);
    cm_free(t->mi.name);
    cm_free(t->data);
}

static uint32_t s_psize(const bt_metainfo_t *mi, uint32_t p)
{
    uint64_t off = (uint64_t)p * mi->piece_len;
    return (uint32_t)CM_MIN((uint64_t)mi->piece_len, mi->total_len - off);
}

/* Write [begin, begin+len) of piece p cut into 2 or 3 iovecs at random points. */
static int s_write_block(bt_storage_t *st, const struct tor *t, uint32_t p, uint32_t begin,
                         uint32_t len)
{
    const uint8_t *src = t->data + (uint64_t)p * t->mi.piece_len + begin;
    struct iovec iov[3];
    int cnt = 2 + (int)(s_rand() % 2);
    uint32_t a = 1 + s_rand() % (len - 2), b = a + 1 + s_rand() % (len - a - 1);
    if (cnt == 2) {
        iov[0] = (struct iovec){(void *)src, a};
        iov[1] = (struct iovec){(void *)(src + a), len - a};
    } else {
        iov[0] = (struct iovec){(void *)src, a};
        iov[1] = (struct iovec){(void *)(src + a), b - a};
        iov[2] = (struct iovec){(void *)(src + b), len - b};
    }
    return bt_storage_writev(st, p, begin, iov, cnt);
}

/* Every 16 KiB block of the torrent in random order. Number of failed writes. */
static int s_write_all(bt_storage_t *st, const struct tor *t)
{
    enum { MAXB = 256 };
    uint32_t bp[MAXB], bb[MAXB], bl[MAXB], n = 0;
    for (uint32_t p = 0; p < t->mi.npieces; p++) {
        uint32_t ps = s_psize(&t->mi, p);
        for (uint32_t b = 0; b < ps && n < MAXB; b += 16384) {
            bp[n] = p;
            bb[n] = b;
            bl[n] = CM_MIN(16384u, ps - b);
            n++;
        }
    }
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = s_rand() % i, x;
        x = bp[i - 1], bp[i - 1] = bp[j], bp[j] = x;
        x = bb[i - 1], bb[i - 1] = bb[j], bb[j] = x;
        x = bl[i - 1], bl[i - 1] = bl[j], bl[j] = x;
    }
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s_write_block(st, t, bp[i], bb[i], bl[i]) != 0) {
            diag("write %u/%u/%u: %s", bp[i], bb[i], bl[i], strerror(errno));
            bad++;
        }
    }
    return bad;
}

static int s_verify_all(bt_storage_t *st, const struct tor *t)
{
    int good = 0;
    for (uint32_t p = 0; p < t->mi.npieces; p++)
        good += bt_storage_verify(st, p) == 1;
    return good;
}

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

/* Entries in a directory, "." and ".." aside (-1 when it cannot be read). */
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

static long long s_size(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    struct stat sb;
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    return lstat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

static long long s_blocks(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    struct stat sb;
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    return lstat(p, &sb) == 0 ? (long long)sb.st_blocks * 512 : 0;
}

static void s_touch(const char *dir, const char *rel, time_t sec)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    utimensat(AT_FDCWD, p, ts, 0);
}

static void s_flip(const char *dir, const char *rel, off_t off)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    int fd = open(p, O_RDWR);
    unsigned char c = 0;
    if (fd >= 0 && pread(fd, &c, 1, off) == 1) {
        c ^= 0x5a;
        if (pwrite(fd, &c, 1, off) != 1)
            diag("pwrite %s failed", p);
    }
    if (fd >= 0)
        close(fd);
}

static int s_count_fds(void)
{
    return s_count_dir("/proc/self/fd");
}

struct prog {
    uint32_t calls, last_done, total;
};

static void s_progress(void *arg, uint32_t done, uint32_t total)
{
    struct prog *p = arg;
    p->calls++;
    p->last_done = done;
    p->total = total;
}

static char s_base[64];

/* The main torrent: files a.bin 40000, empty 0, sub/b.bin 5000, sub/deep/c.bin 30000,
 * z.bin 12345; pieces of 32768: piece 1 spans a, b and c; piece 2 is 21809 bytes. */
static void test_multi(void)
{
    static const char *const paths[] = {"a.bin", "empty", "sub/b.bin", "sub/deep/c.bin", "z.bin"};
    static const uint64_t lens[] = {40000, 0, 5000, 30000, 12345};
    struct tor t;
    char root[128], err[256] = "", tordir[160];
    s_tor_init(&t, "tor", true, paths, lens, 5, 32768);
    is_int(t.mi.npieces, 3, "3 pieces");
    snprintf(root, sizeof(root), "%s/root", s_base);
    snprintf(tordir, sizeof(tordir), "%s/tor", root);
    mkdir(root, 0755);
    char keep[192];
    snprintf(keep, sizeof(keep), "%s/keep.txt", root);
    FILE *f = fopen(keep, "w");
    if (f) {
        fputs("not the torrent's\n", f);
        fclose(f);
    }

    bt_storage_t *st = bt_storage_open(root, &t.mi, err, sizeof(err));
    ok(st != NULL, "open");
    if (!st) {
        diag("%s", err);
        s_tor_free(&t);
        return;
    }
    char path[PATH_MAX];
    bt_storage_file_path(st, 3, path, sizeof(path));
    char want_path[PATH_MAX];
    snprintf(want_path, sizeof(want_path), "%s/tor/sub/deep/c.bin", root);
    is_str(path, want_path, "file_path of a nested file");

    /* Reads before anything exists: ENODATA, and nothing is created. */
    uint8_t buf[40000];
    errno = 0;
    is_int(bt_storage_read(st, 0, 0, buf, 100), -1, "read before any write fails");
    is_int(errno, ENODATA, "with ENODATA");
    is_int(s_count_dir(root), 1, "a read creates nothing");
    is_int(bt_storage_verify(st, 1), 0, "verify of absent data gives 0");

    is_int(s_write_all(st, &t), 0, "every block written in random order");
    is_int(s_verify_all(st, &t), 3, "every piece verifies");
    is_int(s_size(tordir, "a.bin"), 40000, "a.bin has its length");
    is_int(s_size(tordir, "sub/b.bin"), 5000, "sub/b.bin has its length");
    is_int(s_size(tordir, "sub/deep/c.bin"), 30000, "sub/deep/c.bin has its length");
    is_int(s_size(tordir, "z.bin"), 12345, "z.bin has its length");

    /* Reads across boundaries. */
    static const struct {
        uint32_t p, b, n;
        const char *what;
    } rd[] = {
        {1, 0, 32768, "a whole piece over three files"}, {1, 7000, 5000, "across a.bin / b.bin"},
        {1, 12000, 1000, "across b.bin / c.bin"},        {2, 9000, 1000, "across c.bin / z.bin"},
        {2, 0, 21809, "the short last piece"},           {0, 32767, 1, "the last byte of piece 0"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(rd); i++) {
        memset(buf, 0, sizeof(buf));
        int rc = bt_storage_read(st, rd[i].p, rd[i].b, buf, rd[i].n);
        const uint8_t *src = t.data + (uint64_t)rd[i].p * 32768 + rd[i].b;
        ok(rc == 0 && memcmp(buf, src, rd[i].n) == 0, rd[i].what);
    }
    errno = 0;
    is_int(bt_storage_read(st, 2, 21000, buf, 1000), -1, "a read past the last piece fails");
    is_int(errno, EINVAL, "with EINVAL");
    is_int(bt_storage_read(st, 3, 0, buf, 1), -1, "piece index out of range");
    is_int(bt_storage_read(st, 1, 0, buf, 0), 0, "an empty read succeeds");
    struct iovec big = {t.data, 32769};
    is_int(bt_storage_writev(st, 0, 0, &big, 1), -1, "a write longer than the piece fails");
    struct iovec one = {t.data, 1};
    is_int(bt_storage_writev(st, 2, 21809, &one, 1), -1, "a write past the end fails");
    is_int(bt_storage_writev(st, 1, 0, NULL, -1), -1, "a negative iovec count fails");
    is_int(bt_storage_verify(st, 3), -1, "verify of a piece out of range is an error");

    /* Piece 1 again, in 100 iovecs (more than one pwritev batch, cut at file boundaries). */
    struct iovec many[100];
    const uint8_t *p1 = t.data + 32768;
    uint32_t at = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t n = i == 99 ? 32768 - at : 327;
        many[i] = (struct iovec){(void *)(p1 + at), n};
        at += n;
    }
    is_int(bt_storage_writev(st, 1, 0, many, 100), 0, "piece 1 rewritten from 100 iovecs");
    is_int(bt_storage_verify(st, 1), 1, "and it still verifies");

    /* One corrupt byte on disk fails its piece only. */
    s_flip(tordir, "sub/b.bin", 100);
    is_int(bt_storage_verify(st, 1), 0, "a flipped byte in b.bin fails piece 1");
    is_int(bt_storage_verify(st, 0), 1, "piece 0 still good");
    is_int(bt_storage_verify(st, 2), 1, "piece 2 still good");
    s_flip(tordir, "sub/b.bin", 100);
    is_int(bt_storage_verify(st, 1), 1, "flipped back: piece 1 good again");

    /* Resume round trip. */
    uint8_t bits[1] = {0xe0}, got[1] = {0};
    char resume[256];
    char hex[41];
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", t.mi.info_hash[i]);
    snprintf(resume, sizeof(resume), ".%s.resume", hex);
    is_int(bt_storage_resume_save(st, bits), 0, "resume saved");
    ok(s_size(root, resume) > 0, "resume file at root/.<hex>.resume");
    char tmpname[300];
    snprintf(tmpname, sizeof(tmpname), "%s.tmp", resume);
    is_int(s_size(root, tmpname), -1, "no temporary file left");
    is_int(bt_storage_resume_load(st, got), 3, "resume load gives 3 pieces");
    is_int(got[0], 0xe0, "the same bits");
    bt_storage_destroy(&st);
    ok(st == NULL, "destroy clears the pointer");
    st = bt_storage_open(root, &t.mi, err, sizeof(err));
    got[0] = 0x1f;
    is_int(bt_storage_resume_load(st, got), 3, "a new storage loads 3 pieces");
    is_int(got[0], 0xe0, "the same bits after reopening");

    uint8_t all[1] = {0xff};
    is_int(bt_storage_resume_save(st, all), 0, "resume saved with trailing bits set");
    is_int(bt_storage_resume_load(st, got), 3, "trailing bits ignored");
    is_int(got[0], 0xe0, "trailing bits cleared");

    s_touch(tordir, "z.bin", 1000000000);
    is_int(bt_storage_resume_load(st, got), 2, "z.bin touched: its piece dropped");
    is_int(got[0], 0xc0, "pieces 0 and 1 left");
    is_int(bt_storage_resume_save(st, bits), 0, "saved again with z.bin's new mtime");
    is_int(bt_storage_resume_load(st, got), 3, "all 3 back");
    s_touch(tordir, "sub/deep/c.bin", 1000000000);
    is_int(bt_storage_resume_load(st, got), 1, "c.bin touched: pieces 1 and 2 dropped");
    is_int(got[0], 0x80, "piece 0 left");
    is_int(bt_storage_resume_save(st, bits), 0, "saved again");

    /* A damaged resume file is ignored. */
    s_flip(root, resume, 40);
    got[0] = 0xff;
    is_int(bt_storage_resume_load(st, got), 0, "a damaged resume file gives 0");
    is_int(got[0], 0, "and zeroed bits");
    is_int(bt_storage_resume_save(st, bits), 0, "saved again");
    char rp[PATH_MAX];
    snprintf(rp, sizeof(rp), "%s/%s", root, resume);
    if (truncate(rp, 50) != 0)
        diag("truncate failed");
    is_int(bt_storage_resume_load(st, got), 0, "a truncated resume file gives 0");
    unlink(rp);
    is_int(bt_storage_resume_load(st, got), 0, "no resume file gives 0");

    /* check_all. */
    struct prog pr = {0, 0, 0};
    is_int(bt_storage_check_all(st, got, s_progress, &pr), 3, "check_all finds 3 good");
    is_int(got[0], 0xe0, "all bits set");
    is_int(pr.calls, 3, "progress called once per piece");
    ok(pr.last_done == 3 && pr.total == 3, "progress ends at 3/3");

    char zp[PATH_MAX];
    snprintf(zp, sizeof(zp), "%s/z.bin", tordir);
    unlink(zp);
    is_int(bt_storage_check_all(st, got, NULL, NULL), 2, "z.bin gone: 2 good");
    is_int(got[0], 0xc0, "pieces 0 and 1");
    errno = 0;
    is_int(bt_storage_read(st, 2, 0, buf, 21809), -1, "reading piece 2 fails");
    is_int(errno, ENODATA, "with ENODATA");
    is_int(s_size(tordir, "z.bin"), -1, "the read did not create z.bin");
    char cp[PATH_MAX];
    snprintf(cp, sizeof(cp), "%s/sub/deep/c.bin", tordir);
    if (truncate(cp, 20000) != 0)
        diag("truncate failed");
    is_int(bt_storage_check_all(st, got, NULL, NULL), 1, "c.bin short: only piece 0");
    is_int(got[0], 0x80, "piece 0 only");
    is_int(bt_storage_verify(st, 1), 0, "verify of a short piece gives 0");

    long long du = s_blocks(tordir, "a.bin") + s_blocks(tordir, "sub/b.bin") +
                   s_blocks(tordir, "sub/deep/c.bin");
    is_int(bt_storage_disk_usage(st), du, "disk usage is the files' blocks");
    ok(du > 0, "and not zero");

    is_int(bt_storage_resume_save(st, got), 0, "resume saved before remove");
    is_int(bt_storage_remove(st), 0, "remove");
    is_int(s_count_dir(root), 1, "root holds only what was there before");
    ok(s_size(root, "keep.txt") > 0, "keep.txt survives");
    is_int(bt_storage_disk_usage(st), 0, "no disk usage after remove");

    /* Writing again after remove recreates the directories. */
    is_int(s_write_all(st, &t), 0, "written again after remove");
    is_int(s_verify_all(st, &t), 3, "and verified");
    is_int(bt_storage_remove(st), 0, "removed again");
    is_int(s_count_dir(root), 1, "root clean again");
    bt_storage_destroy(&st);
    bt_storage_destroy(&st);
    ok(1, "destroy twice is safe");
    s_tor_free(&t);
}

static void test_single(void)
{
    static const char *const paths[] = {"single.bin"};
    static const uint64_t lens[] = {50000};
    struct tor t;
    char root[128], err[256] = "", path[PATH_MAX], want[PATH_MAX];
    s_tor_init(&t, "single.bin", false, paths, lens, 1, 16384);
    snprintf(root, sizeof(root), "%s/single/deeper", s_base);
    bt_storage_t *st = bt_storage_open(root, &t.mi, err, sizeof(err));
    ok(st != NULL, "single-file: open creates root (mkdir -p)");
    if (!st) {
        s_tor_free(&t);
        return;
    }
    is_int(s_write_all(st, &t), 0, "single-file: written");
    is_int(s_verify_all(st, &t), 4, "single-file: 4 pieces verify");
    is_int(s_size(root, "single.bin"), 50000, "single-file: root/<name>");
    bt_storage_file_path(st, 0, path, sizeof(path));
    snprintf(want, sizeof(want), "%s/single.bin", root);
    is_str(path, want, "single-file: file_path");
    bt_storage_file_path(st, 1, path, sizeof(path));
    is_str(path, "", "file_path out of range is empty");
    is_int(bt_storage_remove(st), 0, "single-file: remove");
    is_int(s_count_dir(root), 0, "single-file: root empty");
    bt_storage_destroy(&st);
    s_tor_free(&t);
}

/* 40 files: more than BT_STORAGE_FDS_MAX open at once would be a leak of the cap. */
static void test_fd_cap(void)
{
    enum { N = 40 };
    char names[N][32];
    const char *paths[N];
    uint64_t lens[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "d%d/f%02d", i % 3, i);
        paths[i] = names[i];
        lens[i] = 1000;
    }
    struct tor t;
    char root[128], err[256] = "";
    s_tor_init(&t, "many", true, paths, lens, N, 4096);
    snprintf(root, sizeof(root), "%s/many", s_base);
    int before = s_count_fds();
    bt_storage_t *st = bt_storage_open(root, &t.mi, err, sizeof(err));
    ok(st != NULL, "40 files: open");
    if (!st) {
        s_tor_free(&t);
        return;
    }
    is_int(s_write_all(st, &t), 0, "40 files: written");
    int during = s_count_fds();
    ok(during - before <= BT_STORAGE_FDS_MAX + 1, "at most 32 files (+ root) open");
    diag("descriptors: %d before, %d with the storage", before, during);
    is_int(s_verify_all(st, &t), 10, "40 files: 10 pieces verify (files reopened)");
    ok(s_count_fds() - before <= BT_STORAGE_FDS_MAX + 1, "still within the cap");
    is_int(bt_storage_remove(st), 0, "40 files: remove");
    is_int(s_count_dir(root), 0, "40 files: root empty");
    bt_storage_destroy(&st);
    is_int(s_count_fds(), before, "destroy closes every descriptor");
    s_tor_free(&t);
}

/* B-08: a symlink where a directory or the file should be is never followed. */
static void test_symlinks(void)
{
    static const char *const paths[] = {"dir/x.bin"};
    static const uint64_t lens[] = {100};
    struct tor t;
    char root[128], out[128], err[256] = "", p[PATH_MAX], q[PATH_MAX];
    s_tor_init(&t, "evil", true, paths, lens, 1, 16384);
    snprintf(root, sizeof(root), "%s/symroot", s_base);
    snprintf(out, sizeof(out), "%s/outside", s_base);
    mkdir(root, 0755);
    mkdir(out, 0755);
    bt_storage_t *st = bt_storage_open(root, &t.mi, err, sizeof(err));
    ok(st != NULL, "symlinks: open");
    if (!st) {
        s_tor_free(&t);
        return;
    }
    struct iovec iov = {t.data, 100};

    /* root/evil -> outside */
    snprintf(p, sizeof(p), "%s/evil", root);
    if (symlink(out, p) != 0)
        diag("symlink failed");
    is_int(bt_storage_writev(st, 0, 0, &iov, 1), -1, "symlink at the name: write fails");
    is_int(s_count_dir(out), 0, "nothing appeared outside");
    uint8_t buf[100];
    errno = 0;
    is_int(bt_storage_read(st, 0, 0, buf, 100), -1, "symlink at the name: read fails");
    is_int(errno, ENODATA, "with ENODATA");
    unlink(p);

    /* root/evil/dir -> outside */
    mkdir(p, 0755);
    snprintf(q, sizeof(q), "%s/evil/dir", root);
    if (symlink(out, q) != 0)
        diag("symlink failed");
    is_int(bt_storage_writev(st, 0, 0, &iov, 1), -1, "symlink at a directory: write fails");
    is_int(s_count_dir(out), 0, "nothing appeared outside");
    unlink(q);

    /* root/evil/dir/x.bin -> outside/target */
    mkdir(q, 0755);
    char target[PATH_MAX], leaf[PATH_MAX];
    snprintf(target, sizeof(target), "%s/target", out);
    snprintf(leaf, sizeof(leaf), "%s/evil/dir/x.bin", root);
    FILE *f = fopen(target, "w");
    if (f) {
        fputs("precious", f);
        fclose(f);
    }
    if (symlink(target, leaf) != 0)
        diag("symlink failed");
    is_int(bt_storage_writev(st, 0, 0, &iov, 1), -1, "symlink at the file: write fails");
    is_int(s_size(out, "target"), 8, "the target is untouched");
    is_int(bt_storage_verify(st, 0), 0, "symlink at the file: verify gives 0");
    uint8_t bits[1];
    is_int(bt_storage_check_all(st, bits, NULL, NULL), 0, "check_all finds nothing");
    is_int(bt_storage_disk_usage(st), 0, "a symlink counts for nothing");
    is_int(bt_storage_remove(st), 0, "remove");
    is_int(s_count_dir(root), 0, "the link itself and the directories are gone");
    is_int(s_size(out, "target"), 8, "the target survives remove");
    is_int(s_count_dir(out), 1, "outside holds only the target");

    /* Where the directories are real again, it works. */
    is_int(bt_storage_writev(st, 0, 0, &iov, 1), 0, "a clean root: write works");
    is_int(bt_storage_verify(st, 0), 1, "and verifies");
    bt_storage_destroy(&st);
    s_tor_free(&t);
}

static void s_expect_refused(struct tor *t, const char *why)
{
    char root[128], err[256] = "";
    snprintf(root, sizeof(root), "%s/refused", s_base);
    bt_storage_t *st = bt_storage_open(root, &t->mi, err, sizeof(err));
    ok(st == NULL && err[0] != '\0', why);
    if (st == NULL)
        diag("%s", err);
    bt_storage_destroy(&st);
}

static void test_refused(void)
{
    static const uint64_t lens[] = {100, 200};
    struct tor t;
    const char *dotdot[] = {"ok", "a/../b"};
    s_tor_init(&t, "r", true, dotdot, lens, 2, 16384);
    s_expect_refused(&t, "a '..' component is refused");
    s_tor_free(&t);

    const char *abs[] = {"/etc/x", "b"};
    s_tor_init(&t, "r", true, abs, lens, 2, 16384);
    s_expect_refused(&t, "an absolute path (empty component) is refused");
    s_tor_free(&t);

    const char *dot[] = {"a", "./b"};
    s_tor_init(&t, "r", true, dot, lens, 2, 16384);
    s_expect_refused(&t, "a '.' component is refused");
    s_tor_free(&t);

    const char *fine[] = {"a", "b"};
    s_tor_init(&t, "..", true, fine, lens, 2, 16384);
    s_expect_refused(&t, "a name of '..' is refused");
    s_tor_free(&t);

    const char *slash[] = {"x/y"};
    s_tor_init(&t, "x/y", false, slash, lens, 1, 16384);
    s_expect_refused(&t, "a single-file name with '/' is refused");
    s_tor_free(&t);

    s_tor_init(&t, "r", true, fine, lens, 2, 16384);
    t.mi.files[1].offset = 99;
    s_expect_refused(&t, "overlapping offsets are refused");
    t.mi.files[1].offset = 100;
    t.mi.npieces = 2;
    s_expect_refused(&t, "a wrong piece count is refused");
    t.mi.npieces = 1;
    t.mi.piece_len = 0;
    s_expect_refused(&t, "a zero piece length is refused");
    t.mi.piece_len = 16384;
    t.mi.total_len = 301;
    s_expect_refused(&t, "files not adding up to the total are refused");
    s_tor_free(&t);
    is_int(s_count_dir(s_base), 5, "no refused torrent created a file");
}

int main(void)
{
    cm_log_set_level(CM_LOG_ERROR);
    snprintf(s_base, sizeof(s_base), "/tmp/bt_storage_test.XXXXXX");
    if (!mkdtemp(s_base)) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    test_multi();
    test_single();
    test_fd_cap();
    test_symlinks();
    test_refused();
    s_rm_rf(s_base);
    return done_testing();
}
