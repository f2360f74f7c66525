/* SPDX-License-Identifier: MIT
 * bt_cache: the worker's disk cache (see bt_cache.h).
 *
 * The table holds one entry per torrent directory, sorted by info-hash (binary search: a
 * reserve comes with every block written). An entry's bytes are what the scan measured plus
 * what was reserved since; `used` is their sum. Its last use is wall-clock milliseconds, the
 * unit of directory mtimes, which is how the order survives a restart: pin and unpin touch the
 * directory with utimensat.
 *
 * Only entries named by 40 lower-case hex digits that are real directories are ours: anything
 * else in the root is ignored, never measured, never deleted. Measuring and deleting walk with
 * openat(O_DIRECTORY | O_NOFOLLOW) and fstatat(AT_SYMLINK_NOFOLLOW), at most S_DEPTH_MAX
 * levels deep: a symlink is counted as nothing and deleted as a link, its target untouched.
 * Bytes are those of regular files (st_blocks x 512), like bt_storage_disk_usage(). */
#include "cm.h"
#include "bt_util.h"
#include "bt_metainfo.h"
#include "bt_cache.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define BT_CACHE_TAG 0xb7000601u

enum {
    S_DEPTH_MAX = 64,   /* directory levels below a torrent's directory that we walk */
    S_RMDIR_PASSES = 3, /* readdir passes over one directory while deleting it */
};

struct s_entry {
    uint8_t hash[20];
    uint64_t bytes;    /* measured at scan + reserved since */
    uint64_t last_use; /* wall-clock ms */
    uint32_t pins;     /* loaded torrents using it: never evicted while > 0 */
    uint32_t skip;     /* c->round in which deleting it failed: not picked again then */
};

struct bt_cache {
    uint32_t tag;  /* BT_CACHE_TAG while alive */
    char *root;    /* owned */
    int rootfd;    /* O_DIRECTORY descriptor of root */
    uint64_t cap;  /* bytes; 0 = unlimited */
    uint64_t used; /* sum of the entries' bytes */
    uint32_t evictions;
    uint32_t round;    /* reserve calls that evicted, for s_entry.skip */
    struct s_entry *e; /* owned; sorted by hash */
    size_t n, alloc;
};

/* Exactly 40 lower-case hex digits. */
static bool s_unhex(const char *s, uint8_t out[20])
{
    for (int i = 0; i < 40; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    if (s[40] != '\0')
        return false;
    for (int i = 0; i < 20; i++) {
        int hi = s[2 * i] <= '9' ? s[2 * i] - '0' : s[2 * i] - 'a' + 10;
        int lo = s[2 * i + 1] <= '9' ? s[2 * i + 1] - '0' : s[2 * i + 1] - 'a' + 10;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static uint64_t s_ms(const struct timespec *ts)
{
    if (ts->tv_sec < 0)
        return 0;
    return (uint64_t)ts->tv_sec * 1000 + (uint64_t)ts->tv_nsec / 1000000;
}

static int s_open_dir_at(int dfd, const char *name)
{
    return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* --- walking --- */

/* Bytes of the regular files under the directory `fd` (taken over and closed). */
static uint64_t s_du(int fd, int depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    uint64_t sum = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(sb.st_mode)) {
            sum += (uint64_t)sb.st_blocks * 512;
        } else if (S_ISDIR(sb.st_mode) && depth + 1 < S_DEPTH_MAX) {
            int sub = s_open_dir_at(dirfd(d), de->d_name);
            if (sub >= 0)
                sum += s_du(sub, depth + 1);
        }
    }
    closedir(d);
    return sum;
}

/* Delete `name` under `parent` and everything below it, never following a symlink (a link is
 * unlinked as itself). 0 when it is gone, -1 with errno when something stayed. */
static int s_rmtree(int parent, const char *name, int depth)
{
    int fd = s_open_dir_at(parent, name);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno != ELOOP && errno != ENOTDIR)
            return -1;
        /* Not a directory (a symlink or a file): the entry itself goes. */
        return unlinkat(parent, name, 0) == 0 || errno == ENOENT ? 0 : -1;
    }
    if (depth >= S_DEPTH_MAX) {
        close(fd);
        errno = ELOOP;
        return -1;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = -1;
    for (int pass = 0; pass < S_RMDIR_PASSES; pass++) {
        struct dirent *de;
        rewinddir(d);
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            struct stat sb;
            if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            if (S_ISDIR(sb.st_mode))
                s_rmtree(dirfd(d), de->d_name, depth + 1);
            else
                unlinkat(dirfd(d), de->d_name, 0);
        }
        /* Deleting while reading may hide entries from readdir: another pass then. */
        if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
            rc = 0;
            break;
        }
        if (errno != ENOTEMPTY && errno != EEXIST)
            break;
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return rc;
}

/* --- the table --- */

static int s_cmp_entry(const void *a, const void *b)
{
    return memcmp(((const struct s_entry *)a)->hash, ((const struct s_entry *)b)->hash, 20);
}

/* Index of `hash`, or where it would go (*found false). */
static size_t s_find(const bt_cache_t *c, const uint8_t hash[20], bool *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = memcmp(c->e[mid].hash, hash, 20);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* The entry of `hash`, added (0 bytes, used now) when missing; NULL when the table is full.
 * The pointer is valid until the next insertion or removal. */
static struct s_entry *s_get(bt_cache_t *c, const uint8_t hash[20])
{
    bool found;
    size_t i = s_find(c, hash, &found);
    if (found)
        return &c->e[i];
    if (c->n >= BT_CACHE_TORRENTS_MAX) {
        cm_log_w("cache", 0, "%s: %d torrents already; not tracked", c->root,
                 (int)BT_CACHE_TORRENTS_MAX);
        return NULL;
    }
    if (c->n == c->alloc) {
        c->alloc = c->alloc ? c->alloc * 2 : 16;
        c->e = cm_realloc(c->e, c->alloc * sizeof(*c->e));
    }
    memmove(&c->e[i + 1], &c->e[i], (c->n - i) * sizeof(*c->e));
    c->n++;
    struct s_entry *e = &c->e[i];
    memset(e, 0, sizeof(*e));
    memcpy(e->hash, hash, 20);
    e->last_use = cm_now_ms();
    return e;
}

static void s_remove(bt_cache_t *c, size_t i)
{
    memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof(*c->e));
    c->n--;
}

static int s_scan(bt_cache_t *c)
{
    int fd = openat(c->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    struct dirent *de;
    bool warned = false;
    uint64_t now = cm_now_ms();
    while ((de = readdir(d)) != NULL) {
        uint8_t hash[20];
        struct stat sb;
        if (strlen(de->d_name) != 40 || !s_unhex(de->d_name, hash))
            continue;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (c->n >= BT_CACHE_TORRENTS_MAX) {
            if (!warned)
                cm_log_w("cache", 0, "%s: more than %d torrents; the rest are not tracked", c->root,
                         (int)BT_CACHE_TORRENTS_MAX);
            warned = true;
            continue;
        }
        int sub = s_open_dir_at(dirfd(d), de->d_name);
        if (sub < 0)
            continue;
        if (c->n == c->alloc) {
            c->alloc = c->alloc ? c->alloc * 2 : 16;
            c->e = cm_realloc(c->e, c->alloc * sizeof(*c->e));
        }
        struct s_entry *e = &c->e[c->n++];
        memset(e, 0, sizeof(*e));
        memcpy(e->hash, hash, 20);
        e->bytes = s_du(sub, 0);
        e->last_use = CM_MIN(s_ms(&sb.st_mtim), now); /* a future mtime counts as now */
        c->used += e->bytes;
    }
    closedir(d);
    if (c->n > 1)
        qsort(c->e, c->n, sizeof(*c->e), s_cmp_entry);
    return 0;
}

bt_cache_t *bt_cache_new(const char *root, uint64_t cap, char *err, size_t errlen)
{
    if (!root) {
        cm_errf(err, errlen, "no cache directory");
        return NULL;
    }
    int rootfd = bt_open_root(root, err, errlen);
    if (rootfd < 0)
        return NULL;
    bt_cache_t *c = cm_calloc(1, sizeof(*c));
    c->tag = BT_CACHE_TAG;
    c->root = cm_strdup(root);
    c->rootfd = rootfd;
    c->cap = cap;
    if (s_scan(c) < 0) {
        cm_errf(err, errlen, "cannot read %s: %s", root, strerror(errno));
        bt_cache_destroy(&c);
        return NULL;
    }
    cm_log_i("cache", 0, "%s: %zu torrents, %" PRIu64 " MiB (cap %" PRIu64 " MiB)", root, c->n,
             c->used >> 20, cap >> 20);
    return c;
}

void bt_cache_destroy(bt_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_cache_t *c = *self_p;
    assert(c->tag == BT_CACHE_TAG);
    c->tag = 0xdeadbeef;
    close(c->rootfd);
    cm_free(c->e);
    cm_free(c->root);
    cm_free(c);
    *self_p = NULL;
}

int bt_cache_dir(bt_cache_t *c, const uint8_t hash[20], char *out, size_t len)
{
    assert(c && c->tag == BT_CACHE_TAG);
    char hex[41];
    struct stat sb;
    bt_hash_hex(hash, hex);
    if (mkdirat(c->rootfd, hex, 0755) < 0 && errno != EEXIST)
        return -1;
    if (fstatat(c->rootfd, hex, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR; /* a symlink or a file took the name: not ours to use */
        return -1;
    }
    s_get(c, hash);
    int n = snprintf(out, len, "%s/%s", c->root, hex);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Mark used now, in the table and on the directory's mtime. */
static struct s_entry *s_touch(bt_cache_t *c, const uint8_t hash[20])
{
    struct s_entry *e = s_get(c, hash);
    if (!e)
        return NULL;
    char hex[41];
    bt_hash_hex(hash, hex);
    e->last_use = cm_now_ms();
    utimensat(c->rootfd, hex, NULL, AT_SYMLINK_NOFOLLOW); /* no directory yet: nothing to do */
    return e;
}

void bt_cache_pin(bt_cache_t *c, const uint8_t hash[20])
{
    assert(c && c->tag == BT_CACHE_TAG);
    struct s_entry *e = s_touch(c, hash);
    if (e)
        e->pins++;
}

void bt_cache_unpin(bt_cache_t *c, const uint8_t hash[20])
{
    assert(c && c->tag == BT_CACHE_TAG);
    struct s_entry *e = s_touch(c, hash);
    if (e && e->pins > 0)
        e->pins--;
}

/* Delete entry i's directory. On success the entry goes and counts as an eviction; when
 * something stayed, the entry keeps what is left and is skipped for the rest of this round. */
static void s_evict(bt_cache_t *c, size_t i, uint64_t now)
{
    struct s_entry *e = &c->e[i];
    char hex[41];
    bt_hash_hex(e->hash, hex);
    uint64_t idle = now > e->last_use ? (now - e->last_use) / 1000 : 0;
    if (s_rmtree(c->rootfd, hex, 0) == 0) {
        cm_log_n("cache", 0, "evicted %s: %.1f MiB, unused for %" PRIu64 " s", hex,
                 (double)e->bytes / (1024.0 * 1024.0), idle);
        c->used -= e->bytes;
        c->evictions++;
        s_remove(c, i);
        return;
    }
    cm_log_w("cache", 0, "cannot evict %s: %s", hex, strerror(errno));
    int fd = s_open_dir_at(c->rootfd, hex);
    uint64_t left = fd >= 0 ? s_du(fd, 0) : 0;
    c->used = c->used - e->bytes + left;
    e->bytes = left;
    e->skip = c->round;
}

int bt_cache_reserve(bt_cache_t *c, const uint8_t hash[20], uint64_t bytes)
{
    assert(c && c->tag == BT_CACHE_TAG);
    struct s_entry *me = s_get(c, hash);
    if (!me)
        return -1;
    uint64_t now = cm_now_ms();
    if (c->cap == 0 || (bytes <= c->cap && c->used <= c->cap - bytes)) {
        me->last_use = now;
        me->bytes += bytes;
        c->used += bytes;
        return 0;
    }
    if (bytes > c->cap)
        return -1;
    /* Would it fit with every other unpinned torrent gone? If not, evict nothing. */
    uint64_t freeable = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->e[i].pins == 0 && memcmp(c->e[i].hash, hash, 20) != 0)
            freeable += c->e[i].bytes;
    }
    if (c->used - freeable > c->cap - bytes)
        return -1;
    c->round++;
    while (c->used > c->cap - bytes) {
        size_t victim = SIZE_MAX;
        for (size_t i = 0; i < c->n; i++) {
            const struct s_entry *e = &c->e[i];
            if (e->pins > 0 || e->bytes == 0 || e->skip == c->round ||
                memcmp(e->hash, hash, 20) == 0)
                continue;
            if (victim == SIZE_MAX || e->last_use < c->e[victim].last_use)
                victim = i;
        }
        if (victim == SIZE_MAX)
            return -1; /* deletions failed; whatever was evicted stays evicted */
        s_evict(c, victim, now);
    }
    bool found;
    size_t i = s_find(c, hash, &found);
    if (!found)
        return -1; /* cannot happen: the reserving torrent is never a victim */
    c->e[i].bytes += bytes;
    c->e[i].last_use = now;
    c->used += bytes;
    return 0;
}

uint64_t bt_cache_used(const bt_cache_t *c)
{
    assert(c && c->tag == BT_CACHE_TAG);
    return c->used;
}

uint64_t bt_cache_free(const bt_cache_t *c)
{
    assert(c && c->tag == BT_CACHE_TAG);
    if (c->cap == 0)
        return UINT64_MAX;
    return c->used < c->cap ? c->cap - c->used : 0;
}

uint32_t bt_cache_evictions(const bt_cache_t *c)
{
    assert(c && c->tag == BT_CACHE_TAG);
    return c->evictions;
}
