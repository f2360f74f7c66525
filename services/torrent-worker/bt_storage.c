/* SPDX-License-Identifier: MIT
 * bt_storage: a torrent's files on disk (see bt_storage.h).
 *
 * Every path is walked one component at a time from a descriptor of `root` opened once:
 * openat(O_DIRECTORY | O_NOFOLLOW) for each directory (mkdirat first when writing), then
 * openat(O_NOFOLLOW) for the leaf. A symlink at any component therefore fails the open with
 * ELOOP instead of being followed, and a component that is "", "." or ".." or holds a '/' is
 * refused even though bt_metainfo already refuses those: nothing can land outside `root`.
 *
 * The byte stream maps onto the files by their offsets (checked contiguous at open); the file
 * holding a byte is found by binary search, and a range crossing files is cut into one span per
 * file. Open descriptors live in a small LRU table; a file is opened read-write on its first
 * write, and read-only for a read when it exists (a read never creates anything). A
 * zero-length file holds no byte of the stream, so it is never created. A path deeper than
 * S_DEPTH_MAX components is refused at open (so bt_cache's bounded walk sees every file).
 *
 * Resume file, little-endian:
 *   "MQBTRSUM" | u32 version | info-hash[20] | u32 npieces | u32 nfiles
 *   nfiles x { u8 present | u64 size | i64 mtime sec | u32 mtime nsec }
 *   bitfield[ceil(npieces / 8)] | SHA-1 of everything before it [20]
 * Written to ".<hex>.resume.tmp", fsynced, renamed over ".<hex>.resume"; the files open for
 * writing are fdatasync'ed first. Writing data moves a file's mtime, so the caller saves after
 * the writes the bitfield covers; load compares each file with its record and drops the pieces
 * of any file that changed or is missing. */
#include "cm.h"
#include "bt_util.h"
#include "bt_metainfo.h"
#include "bt_storage.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#define BT_STORAGE_TAG 0xb7000501u

enum {
    S_DEPTH_MAX = 60,     /* path components of one file, the torrent's name included */
    S_NAME_MAX = 255,     /* bytes of one component */
    S_CHUNK = 64 * 1024,  /* bytes read at a time while hashing */
    S_IOV_BATCH = 64,     /* iovecs handed to one pwritev */
    S_RESUME_VERSION = 1, /* of the resume format */
    S_RESUME_HEAD = 8 + 4 + 20 + 4 + 4,
    S_RESUME_FILE = 1 + 8 + 8 + 4,
};

static const char s_resume_magic[8] = {'M', 'Q', 'B', 'T', 'R', 'S', 'U', 'M'};

/* One cached descriptor. */
struct s_fd {
    int fd;        /* -1 when the slot is free */
    uint32_t file; /* index in mi->files */
    bool rw;       /* opened read-write */
    uint64_t used; /* st->tick at the last use (LRU) */
};

/* One path component: a slice of the metainfo's strings (not NUL-terminated). */
struct s_comp {
    const char *p;
    size_t n;
};

struct bt_storage {
    uint32_t tag;            /* BT_STORAGE_TAG while alive */
    const bt_metainfo_t *mi; /* borrowed */
    char *root;              /* owned; the root as given */
    int rootfd;              /* O_DIRECTORY descriptor of root */
    char hex[41];            /* info-hash, lower-case hex */
    struct s_fd fds[BT_STORAGE_FDS_MAX];
    uint64_t tick;        /* LRU clock of the descriptor table */
    unsigned char *chunk; /* owned; S_CHUNK bytes for hashing */
    EVP_MD_CTX *md;       /* owned */
};

static void s_close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

/* --- layout --- */

static uint32_t s_piece_size(const bt_metainfo_t *mi, uint32_t i)
{
    if (i >= mi->npieces)
        return 0;
    if (i + 1 < mi->npieces)
        return mi->piece_len;
    return (uint32_t)(mi->total_len - (uint64_t)mi->piece_len * i);
}

/* The file holding byte `off` (< total_len) of the stream: the last file starting at or
 * before it. The layout is contiguous (checked at open), so a zero-length file starts where
 * its successor starts and is never the last such file unless it ends the torrent, past every
 * byte. */
static uint32_t s_file_at(const bt_metainfo_t *mi, uint64_t off)
{
    uint32_t lo = 0, hi = mi->nfiles;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (mi->files[mid].offset <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The part of [off, off + len) that lies in one file: the file, the offset in it and the
 * length (> 0). -1 with EIO if the layout broke its invariant (cannot happen after open). */
static int s_span(const bt_metainfo_t *mi, uint64_t off, uint64_t len, uint32_t *f, uint64_t *fo,
                  uint64_t *n)
{
    uint32_t i = s_file_at(mi, off);
    const struct bt_file *file = &mi->files[i];
    if (off < file->offset || off - file->offset >= file->length) {
        errno = EIO;
        return -1;
    }
    *f = i;
    *fo = off - file->offset;
    *n = CM_MIN(len, file->length - *fo);
    return 0;
}

/* Check (piece, begin, len) and give its stream offset. 0, or -1 with EINVAL. */
static int s_range(const bt_storage_t *st, uint32_t piece, uint32_t begin, uint64_t len,
                   uint64_t *off)
{
    uint32_t ps = s_piece_size(st->mi, piece);
    if (piece >= st->mi->npieces || begin > ps || len > ps - begin) {
        errno = EINVAL;
        return -1;
    }
    *off = (uint64_t)piece * st->mi->piece_len + begin;
    return 0;
}

/* --- paths --- */

static bool s_comp_ok(const char *p, size_t n)
{
    if (n == 0 || n > S_NAME_MAX)
        return false;
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    return memchr(p, '/', n) == NULL && memchr(p, '\0', n) == NULL;
}

/* Cut file i's path into components (multi-file: the name first). The count, or -1 with
 * EINVAL for a path we refuse. */
static int s_split(const bt_metainfo_t *mi, uint32_t i, struct s_comp c[S_DEPTH_MAX])
{
    const char *path = i < mi->nfiles ? mi->files[i].path : NULL;
    int n = 0;
    if (!path)
        goto bad;
    if (!mi->multi) {
        c[0].p = path;
        c[0].n = strlen(path);
        if (!s_comp_ok(c[0].p, c[0].n))
            goto bad;
        return 1;
    }
    if (!mi->name)
        goto bad;
    c[n].p = mi->name;
    c[n].n = strlen(mi->name);
    if (!s_comp_ok(c[n].p, c[n].n))
        goto bad;
    n++;
    for (const char *p = path;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (n == S_DEPTH_MAX || !s_comp_ok(p, len))
            goto bad;
        c[n].p = p;
        c[n].n = len;
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    return n;
bad:
    errno = EINVAL;
    return -1;
}

static void s_comp_str(const struct s_comp *c, char out[S_NAME_MAX + 1])
{
    memcpy(out, c->p, c->n);
    out[c->n] = '\0';
}

static void s_close_dir(const bt_storage_t *st, int fd)
{
    if (fd >= 0 && fd != st->rootfd)
        s_close_keep_errno(fd);
}

/* Open the directory made of the first `depth` components, creating the missing ones when
 * `create`. Returns a descriptor (st->rootfd itself for depth 0: release with s_close_dir),
 * or -1 with errno (ELOOP or ENOTDIR when a symlink or a file sits in the way). */
static int s_walk(const bt_storage_t *st, const struct s_comp *c, int depth, bool create)
{
    int dfd = st->rootfd;
    char name[S_NAME_MAX + 1];
    for (int k = 0; k < depth; k++) {
        s_comp_str(&c[k], name);
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(dfd, name, 0755) == 0 || errno == EEXIST)
                fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        s_close_dir(st, dfd);
        if (fd < 0)
            return -1;
        dfd = fd;
    }
    return dfd;
}

/* Open file i: read-write and created when `rw`, else read-only. A leaf that is a symlink
 * fails (ELOOP); one that is not a regular file fails with EINVAL. */
static int s_open_file(const bt_storage_t *st, uint32_t i, bool rw)
{
    struct s_comp c[S_DEPTH_MAX];
    char leaf[S_NAME_MAX + 1];
    int n = s_split(st->mi, i, c);
    if (n < 0)
        return -1;
    int dfd = s_walk(st, c, n - 1, rw);
    if (dfd < 0)
        return -1;
    s_comp_str(&c[n - 1], leaf);
    /* O_NONBLOCK: opening a FIFO someone put there must not hang us; no effect on files. */
    int flags = (rw ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    int fd = openat(dfd, leaf, flags, 0644);
    s_close_dir(st, dfd);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* lstat file i through the safe walk. 0 with *sb for a regular file, 1 when it is missing
 * (or something else sits at its path), -1 on another error. */
static int s_stat_file(const bt_storage_t *st, uint32_t i, struct stat *sb)
{
    struct s_comp c[S_DEPTH_MAX];
    char leaf[S_NAME_MAX + 1];
    int n = s_split(st->mi, i, c);
    if (n < 0)
        return -1;
    int dfd = s_walk(st, c, n - 1, false);
    if (dfd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 1 : -1;
    s_comp_str(&c[n - 1], leaf);
    int rc = fstatat(dfd, leaf, sb, AT_SYMLINK_NOFOLLOW);
    s_close_dir(st, dfd);
    if (rc < 0)
        return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
    return S_ISREG(sb->st_mode) ? 0 : 1;
}

/* --- descriptor cache --- */

static void s_fd_close_all(bt_storage_t *st)
{
    for (int k = 0; k < BT_STORAGE_FDS_MAX; k++) {
        if (st->fds[k].fd >= 0)
            close(st->fds[k].fd);
        st->fds[k].fd = -1;
    }
}

/* A descriptor for file i, read-write when `rw`. -1 with errno. */
static int s_fd_get(bt_storage_t *st, uint32_t i, bool rw)
{
    struct s_fd *slot = NULL;
    st->tick++;
    for (int k = 0; k < BT_STORAGE_FDS_MAX; k++) {
        struct s_fd *s = &st->fds[k];
        if (s->fd >= 0 && s->file == i) {
            if (s->rw || !rw) {
                s->used = st->tick;
                return s->fd;
            }
            close(s->fd); /* read-only, and now we write: reopen */
            s->fd = -1;
            slot = s;
            break;
        }
    }
    int fd = s_open_file(st, i, rw);
    if (fd < 0)
        return -1;
    for (int k = 0; !slot && k < BT_STORAGE_FDS_MAX; k++) {
        if (st->fds[k].fd < 0)
            slot = &st->fds[k];
    }
    if (!slot) {
        slot = &st->fds[0];
        for (int k = 1; k < BT_STORAGE_FDS_MAX; k++) {
            if (st->fds[k].used < slot->used)
                slot = &st->fds[k];
        }
        close(slot->fd);
    }
    slot->fd = fd;
    slot->file = i;
    slot->rw = rw;
    slot->used = st->tick;
    return fd;
}

/* --- open / destroy --- */

/* The model must be consistent before we compute offsets from it. A sentence in err. */
static int s_check_model(const bt_metainfo_t *mi, char *err, size_t errlen)
{
    if (mi->nfiles == 0 || !mi->files) {
        cm_errf(err, errlen, "the torrent has no files");
        return -1;
    }
    if (mi->piece_len == 0) {
        cm_errf(err, errlen, "piece length is 0");
        return -1;
    }
    if (mi->total_len > (uint64_t)INT64_MAX) {
        cm_errf(err, errlen, "total length %" PRIu64 " is too large", mi->total_len);
        return -1;
    }
    uint64_t off = 0;
    struct s_comp c[S_DEPTH_MAX];
    for (uint32_t i = 0; i < mi->nfiles; i++) {
        if (mi->files[i].offset != off || mi->files[i].length > mi->total_len - off) {
            cm_errf(err, errlen, "file %" PRIu32 " does not follow the previous one", i);
            return -1;
        }
        off += mi->files[i].length;
        if (s_split(mi, i, c) < 0) {
            cm_errf(err, errlen, "file %" PRIu32 " has a path we refuse", i);
            return -1;
        }
    }
    if (off != mi->total_len) {
        cm_errf(err, errlen, "files add up to %" PRIu64 " bytes, not %" PRIu64, off, mi->total_len);
        return -1;
    }
    uint64_t want = (mi->total_len + mi->piece_len - 1) / mi->piece_len;
    if (mi->npieces != want || (mi->npieces && !mi->hashes)) {
        cm_errf(err, errlen, "%" PRIu32 " pieces, not %" PRIu64, mi->npieces, want);
        return -1;
    }
    return 0;
}

bt_storage_t *bt_storage_open(const char *root, const bt_metainfo_t *mi, char *err, size_t errlen)
{
    if (!root || !mi) {
        cm_errf(err, errlen, "no root or no metainfo");
        return NULL;
    }
    if (s_check_model(mi, err, errlen) < 0)
        return NULL;
    int rootfd = bt_open_root(root, err, errlen);
    if (rootfd < 0)
        return NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) {
        close(rootfd);
        cm_errf(err, errlen, "EVP_MD_CTX_new failed");
        return NULL;
    }
    bt_storage_t *st = cm_calloc(1, sizeof(*st));
    st->tag = BT_STORAGE_TAG;
    st->mi = mi;
    st->root = cm_strdup(root);
    st->rootfd = rootfd;
    st->md = md;
    st->chunk = cm_malloc(S_CHUNK);
    bt_hash_hex(mi->info_hash, st->hex);
    for (int k = 0; k < BT_STORAGE_FDS_MAX; k++)
        st->fds[k].fd = -1;
    return st;
}

void bt_storage_destroy(bt_storage_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_storage_t *st = *self_p;
    assert(st->tag == BT_STORAGE_TAG);
    st->tag = 0xdeadbeef;
    s_fd_close_all(st);
    close(st->rootfd);
    EVP_MD_CTX_free(st->md);
    cm_free(st->chunk);
    cm_free(st->root);
    cm_free(st);
    *self_p = NULL;
}

/* --- I/O --- */

/* Write `n` bytes taken from iov at the cursor (*ci, *co) to fd at `off`, advancing the
 * cursor. The iovec array is cut into batches of S_IOV_BATCH views; no byte is copied. */
static int s_pwritev_span(int fd, uint64_t off, const struct iovec *iov, int iovcnt, size_t *ci,
                          size_t *co, uint64_t n)
{
    while (n > 0) {
        struct iovec v[S_IOV_BATCH];
        int k = 0;
        uint64_t want = 0;
        size_t i = *ci, o = *co;
        while (k < S_IOV_BATCH && want < n && i < (size_t)iovcnt) {
            size_t avail = iov[i].iov_len - o;
            if (avail == 0) {
                i++;
                o = 0;
                continue;
            }
            size_t take = avail < n - want ? avail : (size_t)(n - want);
            v[k].iov_base = (char *)iov[i].iov_base + o;
            v[k].iov_len = take;
            k++;
            want += take;
            o += take;
            if (o == iov[i].iov_len) {
                i++;
                o = 0;
            }
        }
        if (k == 0) {
            errno = EINVAL; /* cannot happen: the lengths were summed by the caller */
            return -1;
        }
        ssize_t w = pwritev(fd, v, k, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        size_t adv = (size_t)w;
        while (adv > 0) {
            size_t avail = iov[*ci].iov_len - *co;
            if (adv < avail) {
                *co += adv;
                adv = 0;
            } else {
                adv -= avail;
                (*ci)++;
                *co = 0;
            }
        }
        off += (uint64_t)w;
        n -= (uint64_t)w;
    }
    return 0;
}

int bt_storage_writev(bt_storage_t *st, uint32_t piece, uint32_t begin, const struct iovec *iov,
                      int iovcnt)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    if (iovcnt < 0 || (iovcnt > 0 && !iov)) {
        errno = EINVAL;
        return -1;
    }
    uint64_t len = 0, off;
    uint32_t ps = s_piece_size(st->mi, piece);
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > ps || len + iov[i].iov_len > ps) {
            errno = EINVAL;
            return -1;
        }
        len += iov[i].iov_len;
    }
    if (s_range(st, piece, begin, len, &off) < 0)
        return -1;
    const bt_metainfo_t *mi = st->mi;
    size_t ci = 0, co = 0;
    while (len > 0) {
        uint32_t f;
        uint64_t fo, n;
        if (s_span(mi, off, len, &f, &fo, &n) < 0)
            return -1;
        int fd = s_fd_get(st, f, true);
        if (fd < 0)
            return -1;
        if (s_pwritev_span(fd, fo, iov, iovcnt, &ci, &co, n) < 0)
            return -1;
        off += n;
        len -= n;
    }
    return 0;
}

int bt_storage_read(bt_storage_t *st, uint32_t piece, uint32_t begin, void *buf, size_t len)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    uint64_t off;
    if ((len > 0 && !buf) || s_range(st, piece, begin, len, &off) < 0) {
        errno = EINVAL;
        return -1;
    }
    const bt_metainfo_t *mi = st->mi;
    unsigned char *p = buf;
    while (len > 0) {
        uint32_t f;
        uint64_t fo, n;
        if (s_span(mi, off, len, &f, &fo, &n) < 0)
            return -1;
        int fd = s_fd_get(st, f, false);
        if (fd < 0) {
            /* Not there as our file (missing, a symlink or something else in the way). */
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EINVAL)
                errno = ENODATA;
            return -1;
        }
        while (n > 0) {
            ssize_t r = pread(fd, p, n, (off_t)fo);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return -1;
            if (r == 0) {
                errno = ENODATA;
                return -1;
            }
            p += r;
            fo += (uint64_t)r;
            off += (uint64_t)r;
            n -= (uint64_t)r;
            len -= (size_t)r;
        }
    }
    return 0;
}

int bt_storage_verify(bt_storage_t *st, uint32_t piece)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    if (piece >= st->mi->npieces) {
        errno = EINVAL;
        return -1;
    }
    uint32_t ps = s_piece_size(st->mi, piece);
    if (EVP_DigestInit_ex(st->md, EVP_sha1(), NULL) != 1) {
        errno = EIO;
        return -1;
    }
    for (uint32_t done = 0; done < ps;) {
        uint32_t n = CM_MIN(ps - done, (uint32_t)S_CHUNK);
        if (bt_storage_read(st, piece, done, st->chunk, n) < 0)
            return errno == ENODATA ? 0 : -1;
        if (EVP_DigestUpdate(st->md, st->chunk, n) != 1) {
            errno = EIO;
            return -1;
        }
        done += n;
    }
    unsigned char got[EVP_MAX_MD_SIZE];
    unsigned int glen = 0;
    if (EVP_DigestFinal_ex(st->md, got, &glen) != 1 || glen != 20) {
        errno = EIO;
        return -1;
    }
    return memcmp(got, st->mi->hashes + (size_t)20 * piece, 20) == 0 ? 1 : 0;
}

/* --- resume --- */

static void s_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void s_put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t s_get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int s_sha1(bt_storage_t *st, const void *data, size_t len, unsigned char out[20])
{
    unsigned int olen = 0;
    if (EVP_DigestInit_ex(st->md, EVP_sha1(), NULL) != 1 ||
        EVP_DigestUpdate(st->md, data, len) != 1 || EVP_DigestFinal_ex(st->md, out, &olen) != 1 ||
        olen != 20)
        return -1;
    return 0;
}

static size_t s_resume_size(const bt_metainfo_t *mi)
{
    return S_RESUME_HEAD + (size_t)S_RESUME_FILE * mi->nfiles + ((size_t)mi->npieces + 7) / 8 + 20;
}

/* One file's record: present, size, mtime. */
static void s_file_record(bt_storage_t *st, uint32_t i, unsigned char rec[S_RESUME_FILE])
{
    struct stat sb;
    memset(rec, 0, S_RESUME_FILE);
    if (s_stat_file(st, i, &sb) != 0)
        return;
    rec[0] = 1;
    s_put64(rec + 1, (uint64_t)sb.st_size);
    s_put64(rec + 9, (uint64_t)(int64_t)sb.st_mtim.tv_sec);
    s_put32(rec + 17, (uint32_t)sb.st_mtim.tv_nsec);
}

static void s_clear_file_pieces(const bt_metainfo_t *mi, uint32_t i, uint8_t *bits)
{
    const struct bt_file *f = &mi->files[i];
    if (f->length == 0)
        return;
    uint64_t first = f->offset / mi->piece_len;
    uint64_t last = (f->offset + f->length - 1) / mi->piece_len;
    for (uint64_t p = first; p <= last && p < mi->npieces; p++)
        bits[p / 8] &= (uint8_t) ~(0x80u >> (p % 8));
}

static uint32_t s_count_bits(const uint8_t *bits, uint32_t npieces)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < npieces; p++)
        n += (bits[p / 8] >> (7 - p % 8)) & 1;
    return n;
}

static void s_resume_name(const bt_storage_t *st, char *out, size_t len, bool tmp)
{
    snprintf(out, len, ".%s.resume%s", st->hex, tmp ? ".tmp" : "");
}

uint32_t bt_storage_resume_load(bt_storage_t *st, uint8_t *bits)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    const bt_metainfo_t *mi = st->mi;
    size_t nbytes = ((size_t)mi->npieces + 7) / 8;
    size_t want = s_resume_size(mi);
    unsigned char *buf = NULL;
    uint32_t count = 0;
    char name[64];
    memset(bits, 0, nbytes);
    s_resume_name(st, name, sizeof(name), false);
    int fd = openat(st->rootfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT)
            cm_log_w("storage", 0, "%s/%s: %s", st->root, name, strerror(errno));
        return 0;
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != want) {
        cm_log_w("storage", 0, "%s/%s: not a resume file of this torrent; ignored", st->root, name);
        goto out;
    }
    buf = cm_malloc(want);
    for (size_t got = 0; got < want;) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            cm_log_w("storage", 0, "%s/%s: short read; ignored", st->root, name);
            goto out;
        }
        got += (size_t)r;
    }
    unsigned char sum[20];
    if (memcmp(buf, s_resume_magic, 8) != 0 || s_get32(buf + 8) != S_RESUME_VERSION ||
        memcmp(buf + 12, mi->info_hash, 20) != 0 || s_get32(buf + 32) != mi->npieces ||
        s_get32(buf + 36) != mi->nfiles || s_sha1(st, buf, want - 20, sum) < 0 ||
        memcmp(sum, buf + want - 20, 20) != 0) {
        cm_log_w("storage", 0, "%s/%s: bad header or checksum; ignored", st->root, name);
        goto out;
    }
    const unsigned char *bf = buf + S_RESUME_HEAD + (size_t)S_RESUME_FILE * mi->nfiles;
    memcpy(bits, bf, nbytes);
    if (mi->npieces % 8)
        bits[nbytes - 1] &= (uint8_t)(0xffu << (8 - mi->npieces % 8));
    uint32_t changed = 0;
    for (uint32_t i = 0; i < mi->nfiles; i++) {
        unsigned char now[S_RESUME_FILE];
        const unsigned char *was = buf + S_RESUME_HEAD + (size_t)S_RESUME_FILE * i;
        if (mi->files[i].length == 0)
            continue;
        s_file_record(st, i, now);
        if (now[0] == 0 || memcmp(now, was, S_RESUME_FILE) != 0) {
            s_clear_file_pieces(mi, i, bits);
            changed++;
        }
    }
    count = s_count_bits(bits, mi->npieces);
    cm_log_d("storage", 0, "%s: resume has %" PRIu32 " pieces (%" PRIu32 " files changed)", st->hex,
             count, changed);
out:
    close(fd);
    cm_free(buf);
    return count;
}

int bt_storage_resume_save(bt_storage_t *st, const uint8_t *bits)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    const bt_metainfo_t *mi = st->mi;
    size_t nbytes = ((size_t)mi->npieces + 7) / 8;
    size_t len = s_resume_size(mi);
    char tmp[64], name[64];
    int rc = -1, fd = -1;
    s_resume_name(st, tmp, sizeof(tmp), true);
    s_resume_name(st, name, sizeof(name), false);

    /* The data the bitfield vouches for reaches the disk before the claim does. */
    for (int k = 0; k < BT_STORAGE_FDS_MAX; k++) {
        if (st->fds[k].fd >= 0 && st->fds[k].rw)
            fdatasync(st->fds[k].fd);
    }
    unsigned char *buf = cm_calloc(1, len);
    memcpy(buf, s_resume_magic, 8);
    s_put32(buf + 8, S_RESUME_VERSION);
    memcpy(buf + 12, mi->info_hash, 20);
    s_put32(buf + 32, mi->npieces);
    s_put32(buf + 36, mi->nfiles);
    for (uint32_t i = 0; i < mi->nfiles; i++)
        s_file_record(st, i, buf + S_RESUME_HEAD + (size_t)S_RESUME_FILE * i);
    unsigned char *bf = buf + S_RESUME_HEAD + (size_t)S_RESUME_FILE * mi->nfiles;
    memcpy(bf, bits, nbytes);
    if (mi->npieces % 8)
        bf[nbytes - 1] &= (uint8_t)(0xffu << (8 - mi->npieces % 8));
    if (s_sha1(st, buf, len - 20, buf + len - 20) < 0) {
        errno = EIO;
        goto out;
    }
    fd = openat(st->rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    for (size_t put = 0; put < len;) {
        ssize_t w = write(fd, buf + put, len - put);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            goto out;
        }
        put += (size_t)w;
    }
    if (fsync(fd) < 0)
        goto out;
    if (close(fd) < 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (renameat(st->rootfd, tmp, st->rootfd, name) < 0)
        goto out;
    fsync(st->rootfd); /* the rename itself; failure here leaves a valid old or new file */
    rc = 0;
out:
    if (rc < 0) {
        int saved = errno;
        cm_log_w("storage", 0, "%s/%s: cannot save: %s", st->root, name, strerror(saved));
        if (fd >= 0)
            close(fd);
        unlinkat(st->rootfd, tmp, 0);
        errno = saved;
    }
    cm_free(buf);
    return rc;
}

/* --- whole-torrent operations --- */

long bt_storage_check_all(bt_storage_t *st, uint8_t *bits,
                          void (*progress)(void *arg, uint32_t done, uint32_t total), void *arg)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    const bt_metainfo_t *mi = st->mi;
    memset(bits, 0, ((size_t)mi->npieces + 7) / 8);
    /* What is on disk now: no descriptor kept on a file since deleted or replaced. */
    s_fd_close_all(st);
    /* Each file's size once (-1: missing), rather than a stat per piece and file. */
    int64_t *size = cm_calloc(mi->nfiles, sizeof(*size));
    long good = 0;
    for (uint32_t i = 0; i < mi->nfiles; i++) {
        struct stat sb;
        int r = s_stat_file(st, i, &sb);
        if (r < 0) {
            good = -1;
            goto out;
        }
        size[i] = r == 0 ? (int64_t)sb.st_size : -1;
    }
    for (uint32_t p = 0; p < mi->npieces; p++) {
        uint64_t off = (uint64_t)p * mi->piece_len, len = s_piece_size(mi, p);
        bool present = true;
        while (len > 0 && present) {
            uint32_t f;
            uint64_t fo, n;
            if (s_span(mi, off, len, &f, &fo, &n) < 0) {
                good = -1;
                goto out;
            }
            present = size[f] >= 0 && (uint64_t)size[f] >= fo + n;
            off += n;
            len -= n;
        }
        if (present) {
            int r = bt_storage_verify(st, p);
            if (r < 0) {
                cm_log_w("storage", 0, "%s: piece %" PRIu32 ": %s", st->hex, p, strerror(errno));
                good = -1;
                goto out;
            }
            if (r == 1) {
                bits[p / 8] |= (uint8_t)(0x80u >> (p % 8));
                good++;
            }
        }
        if (progress)
            progress(arg, p + 1, mi->npieces);
    }
out:
    cm_free(size);
    return good;
}

uint64_t bt_storage_disk_usage(bt_storage_t *st)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < st->mi->nfiles; i++) {
        struct stat sb;
        if (s_stat_file(st, i, &sb) == 0)
            sum += (uint64_t)sb.st_blocks * 512;
    }
    return sum;
}

int bt_storage_remove(bt_storage_t *st)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    const bt_metainfo_t *mi = st->mi;
    struct s_comp c[S_DEPTH_MAX];
    char leaf[S_NAME_MAX + 1];
    int rc = 0;
    s_fd_close_all(st);
    for (uint32_t i = 0; i < mi->nfiles; i++) {
        int n = s_split(mi, i, c);
        if (n < 0)
            continue;
        int dfd = s_walk(st, c, n - 1, false);
        if (dfd < 0) {
            if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
                rc = -1;
            continue;
        }
        s_comp_str(&c[n - 1], leaf);
        if (unlinkat(dfd, leaf, 0) < 0 && errno != ENOENT) {
            cm_log_w("storage", 0, "%s: cannot delete file %" PRIu32 ": %s", st->hex, i,
                     strerror(errno));
            rc = -1;
        }
        s_close_dir(st, dfd);
    }
    for (int tmp = 0; tmp < 2; tmp++) {
        char name[64];
        s_resume_name(st, name, sizeof(name), tmp == 1);
        if (unlinkat(st->rootfd, name, 0) < 0 && errno != ENOENT)
            rc = -1;
    }
    /* Directories, deepest first: for each file (last first), its parent chain upwards until
     * one is not empty (something else lives there, or a later file's directory will go when
     * that file's turn comes). A directory already gone (ENOENT) lets us climb on. */
    for (uint32_t i = mi->nfiles; i-- > 0;) {
        int n = s_split(mi, i, c);
        for (int depth = n - 1; depth >= 1; depth--) {
            int dfd = s_walk(st, c, depth - 1, false);
            if (dfd < 0)
                break;
            s_comp_str(&c[depth - 1], leaf);
            int r = unlinkat(dfd, leaf, AT_REMOVEDIR);
            int e = errno;
            s_close_dir(st, dfd);
            if (r < 0 && e != ENOENT)
                break;
        }
    }
    return rc;
}

void bt_storage_file_path(const bt_storage_t *st, uint32_t i, char *out, size_t len)
{
    assert(st && st->tag == BT_STORAGE_TAG);
    if (!out || len == 0)
        return;
    const bt_metainfo_t *mi = st->mi;
    if (i >= mi->nfiles) {
        out[0] = '\0';
        return;
    }
    if (mi->multi)
        snprintf(out, len, "%s/%s/%s", st->root, mi->name, mi->files[i].path);
    else
        snprintf(out, len, "%s/%s", st->root, mi->files[i].path);
}
