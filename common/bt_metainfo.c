/* SPDX-License-Identifier: MIT
 * bt_metainfo: .torrent parsing and validation, writing, and info-hash text forms.
 *
 * The bytes are decoded non-strictly (real torrents sometimes carry unsorted keys), but the
 * info-hash is always SHA-1 over the raw span of the info value as it was sent (checklist
 * B-04), and a copy of those bytes is kept so bt_metainfo_write can splice them back
 * unchanged. Every check of the header comment fails with its own sentence naming the field
 * (and the file index for per-file failures).
 *
 * Beyond the header: a joined file path is at most MI_PATH_MAX bytes and MI_PATH_DEPTH_MAX
 * components (so root/name/path fits a file system path), `name.utf-8` / `path.utf-8` win
 * when present and valid, and BEP 47 padding files (attr "p") may repeat a path among
 * themselves (libtorrent names them ".pad/<size>"); they are flagged in bt_file.pad. */
#include "cm.h"
#include "bt_metainfo.h"
#include "bt_bencode.h"
#include <openssl/evp.h>

enum {
    MI_COMPONENT_MAX = 255, /* bytes of one path component (NAME_MAX) */
    MI_PATH_MAX = 3072,     /* bytes of a joined relative path */
    MI_PATH_DEPTH_MAX = 64, /* components of one path */
    MI_TRACKERS_INIT = 8,   /* first tracker array allocation */
};

/* Why a path component (or name) is refused, or NULL when it is fine. */
static const char *s_component_bad(const uint8_t *p, size_t len)
{
    if (len == 0)
        return "is empty";
    if (len > MI_COMPONENT_MAX)
        return "is over 255 bytes";
    if (memchr(p, '\0', len))
        return "contains a NUL byte";
    if (memchr(p, '/', len))
        return "contains '/'";
    if (memchr(p, '\\', len))
        return "contains '\\'";
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return "is \".\" or \"..\"";
    if (!cm_utf8_valid(p, len, false))
        return "is not valid UTF-8";
    return NULL;
}

/* Join the path list `pl` with '/' into a new string (*out, caller owns). NULL on success,
 * else the reason, with *comp the failing component index (or -1). */
static const char *s_join_path(const bt_be_t *be, bt_be_node_t pl, char **out, long *comp)
{
    *out = NULL;
    *comp = -1;
    if (bt_be_type(be, pl) != BT_BE_LIST)
        return "is missing or not a list";
    uint32_t n = bt_be_count(be, pl);
    if (n == 0)
        return "is an empty list";
    if (n > MI_PATH_DEPTH_MAX)
        return "has more than 64 components";
    size_t total = 0;
    long i = 0;
    for (bt_be_node_t c = bt_be_first(be, pl); c != BT_BE_NIL; c = bt_be_next(be, c), i++) {
        size_t len;
        const uint8_t *p = bt_be_str(be, c, &len);
        *comp = i;
        if (!p)
            return "has a component that is not a string";
        const char *why = s_component_bad(p, len);
        if (why)
            return why;
        total += len + 1;
    }
    *comp = -1;
    if (total - 1 > MI_PATH_MAX)
        return "is over 3072 bytes";
    char *s = cm_malloc(total);
    size_t at = 0;
    for (bt_be_node_t c = bt_be_first(be, pl); c != BT_BE_NIL; c = bt_be_next(be, c)) {
        size_t len;
        const uint8_t *p = bt_be_str(be, c, &len);
        if (at)
            s[at++] = '/';
        memcpy(s + at, p, len);
        at += len;
    }
    s[at] = '\0';
    *out = s;
    return NULL;
}

/* --- duplicate paths --- */

struct mi_path {
    const char *p;
    bool pad;
};

/* Path order with '/' below every other byte: a directory's entries sort right after it. */
static int s_path_cmp(const void *x, const void *y)
{
    const unsigned char *a = (const unsigned char *)((const struct mi_path *)x)->p;
    const unsigned char *b = (const unsigned char *)((const struct mi_path *)y)->p;
    for (;; a++, b++) {
        unsigned ca = *a == '/' ? 1 : *a ? *a + 1u : 0;
        unsigned cb = *b == '/' ? 1 : *b ? *b + 1u : 0;
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
    }
}

/* 0, or -1 with err when two files share a path or one's path is a directory of another's. */
static int s_check_dups(const bt_metainfo_t *mi, char *err, size_t errlen)
{
    if (mi->nfiles < 2)
        return 0;
    struct mi_path *v = cm_malloc((size_t)mi->nfiles * sizeof(*v));
    for (uint32_t i = 0; i < mi->nfiles; i++)
        v[i] = (struct mi_path){mi->files[i].path, mi->files[i].pad};
    qsort(v, mi->nfiles, sizeof(*v), s_path_cmp);
    int rc = 0;
    for (uint32_t i = 1; i < mi->nfiles && rc == 0; i++) {
        const char *a = v[i - 1].p, *b = v[i].p;
        size_t alen = strlen(a);
        if (strcmp(a, b) == 0 && !(v[i - 1].pad && v[i].pad)) {
            cm_errf(err, errlen, "two files have the same path \"%.200s\"", a);
            rc = -1;
        } else if (strncmp(a, b, alen) == 0 && b[alen] == '/') {
            cm_errf(err, errlen, "file \"%.200s\" is also a directory of \"%.200s\"", a, b);
            rc = -1;
        }
    }
    cm_free(v);
    return rc;
}

/* --- the info dictionary --- */

static int s_sha1(const uint8_t *p, size_t len, uint8_t out[20])
{
    unsigned int mdlen = 0;
    if (EVP_Digest(p, len, out, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
        return -1;
    return 0;
}

/* The preferred string under `key` ".utf-8" when valid, else `key`: bytes or NULL. */
static const uint8_t *s_name(const bt_be_t *be, bt_be_node_t info, size_t *len)
{
    const uint8_t *p = bt_be_dict_str(be, info, "name.utf-8", len);
    if (p && !s_component_bad(p, *len))
        return p;
    return bt_be_dict_str(be, info, "name", len);
}

/* One file of a multi-file torrent into f. 0, or -1 with err. */
static int s_file(const bt_be_t *be, bt_be_node_t fd, uint32_t i, struct bt_file *f, char *err,
                  size_t errlen)
{
    if (bt_be_type(be, fd) != BT_BE_DICT) {
        cm_errf(err, errlen, "file %" PRIu32 " is not a dictionary", i);
        return -1;
    }
    int64_t flen;
    if (bt_be_dict_int(be, fd, "length", &flen) < 0) {
        cm_errf(err, errlen, "file %" PRIu32 " has no integer length", i);
        return -1;
    }
    if (flen < 0) {
        cm_errf(err, errlen, "file %" PRIu32 " has a negative length", i);
        return -1;
    }
    f->length = (uint64_t)flen;
    size_t alen;
    const uint8_t *attr = bt_be_dict_str(be, fd, "attr", &alen);
    f->pad = attr && memchr(attr, 'p', alen) != NULL;

    long comp;
    const char *why = "is missing or not a list";
    bt_be_node_t pu = bt_be_dict_get(be, fd, "path.utf-8");
    if (pu != BT_BE_NIL)
        why = s_join_path(be, pu, &f->path, &comp);
    if (!f->path)
        why = s_join_path(be, bt_be_dict_get(be, fd, "path"), &f->path, &comp);
    if (!f->path) {
        if (comp >= 0)
            cm_errf(err, errlen, "file %" PRIu32 ": path component %ld %s", i, comp, why);
        else
            cm_errf(err, errlen, "file %" PRIu32 ": path %s", i, why);
        return -1;
    }
    return 0;
}

/* Fill mi from the info dict node. 0, or -1 with err. */
static int s_info(bt_metainfo_t *mi, const bt_be_t *be, bt_be_node_t info, char *err, size_t errlen)
{
    if (bt_be_type(be, info) != BT_BE_DICT) {
        cm_errf(err, errlen, "info is %s", info == BT_BE_NIL ? "missing" : "not a dictionary");
        return -1;
    }
    size_t rawlen;
    const uint8_t *raw = bt_be_raw(be, info, &rawlen);
    if (rawlen > BT_METADATA_MAX) {
        cm_errf(err, errlen, "info dictionary of %zu bytes is over the cap of %d", rawlen,
                BT_METADATA_MAX);
        return -1;
    }

    /* piece length */
    int64_t pl;
    bt_be_node_t pln = bt_be_dict_get(be, info, "piece length");
    if (pln == BT_BE_NIL) {
        cm_errf(err, errlen, "piece length is missing");
        return -1;
    }
    if (bt_be_int(be, pln, &pl) < 0) {
        cm_errf(err, errlen, "piece length is not an integer");
        return -1;
    }
    if (pl <= 0) {
        cm_errf(err, errlen, "piece length %" PRId64 " is not positive", pl);
        return -1;
    }
    if (pl > BT_PIECE_LEN_MAX) {
        cm_errf(err, errlen, "piece length %" PRId64 " is over the cap of %d", pl,
                BT_PIECE_LEN_MAX);
        return -1;
    }
    mi->piece_len = (uint32_t)pl;

    /* pieces */
    bt_be_node_t pn = bt_be_dict_get(be, info, "pieces");
    size_t plen;
    const uint8_t *pieces = bt_be_str(be, pn, &plen);
    if (pn == BT_BE_NIL) {
        cm_errf(err, errlen, "pieces is missing");
        return -1;
    }
    if (!pieces) {
        cm_errf(err, errlen, "pieces is not a string");
        return -1;
    }
    if (plen == 0) {
        cm_errf(err, errlen, "pieces is empty");
        return -1;
    }
    if (plen % 20 != 0) {
        cm_errf(err, errlen, "pieces is %zu bytes, not a multiple of 20", plen);
        return -1;
    }
    if (plen / 20 > BT_PIECES_MAX) {
        cm_errf(err, errlen, "%zu pieces is over the cap of %d", plen / 20, BT_PIECES_MAX);
        return -1;
    }
    mi->npieces = (uint32_t)(plen / 20);

    /* name */
    size_t nlen;
    const uint8_t *name = s_name(be, info, &nlen);
    if (!name) {
        cm_errf(err, errlen, "name is missing or not a string");
        return -1;
    }
    const char *why = s_component_bad(name, nlen);
    if (why) {
        cm_errf(err, errlen, "name %s", why);
        return -1;
    }
    mi->name = cm_strndup((const char *)name, nlen);

    /* files, or length */
    bt_be_node_t files = bt_be_dict_get(be, info, "files");
    uint64_t total = 0;
    if (files != BT_BE_NIL) {
        if (bt_be_type(be, files) != BT_BE_LIST) {
            cm_errf(err, errlen, "files is not a list");
            return -1;
        }
        uint32_t n = bt_be_count(be, files);
        if (n == 0) {
            cm_errf(err, errlen, "files is an empty list");
            return -1;
        }
        if (n > BT_FILES_MAX) {
            cm_errf(err, errlen, "%" PRIu32 " files is over the cap of %d", n, BT_FILES_MAX);
            return -1;
        }
        mi->multi = true;
        mi->files = cm_calloc(n, sizeof(*mi->files));
        uint32_t i = 0;
        for (bt_be_node_t fd = bt_be_first(be, files); fd != BT_BE_NIL && i < n;
             fd = bt_be_next(be, fd), i++) {
            struct bt_file *f = &mi->files[i];
            mi->nfiles = i + 1; /* so destroy frees this file's path */
            if (s_file(be, fd, i, f, err, errlen) < 0)
                return -1;
            if (f->length > (uint64_t)INT64_MAX - total) {
                cm_errf(err, errlen, "the total length overflows at file %" PRIu32, i);
                return -1;
            }
            f->offset = total;
            total += f->length;
        }
    } else {
        int64_t len;
        bt_be_node_t ln = bt_be_dict_get(be, info, "length");
        if (ln == BT_BE_NIL) {
            cm_errf(err, errlen, "info has neither length nor files");
            return -1;
        }
        if (bt_be_int(be, ln, &len) < 0) {
            cm_errf(err, errlen, "length is not an integer");
            return -1;
        }
        if (len < 0) {
            cm_errf(err, errlen, "length %" PRId64 " is negative", len);
            return -1;
        }
        mi->files = cm_calloc(1, sizeof(*mi->files));
        mi->nfiles = 1;
        mi->files[0].path = cm_strdup(mi->name);
        mi->files[0].length = (uint64_t)len;
        total = (uint64_t)len;
    }
    if (total == 0) {
        cm_errf(err, errlen, "the total length is 0");
        return -1;
    }
    mi->total_len = total;
    uint64_t need = total / mi->piece_len + (total % mi->piece_len != 0);
    if (need != mi->npieces) {
        cm_errf(err, errlen,
                "pieces holds %" PRIu32 " hashes but %" PRIu64 " bytes in pieces of %" PRIu32
                " need %" PRIu64,
                mi->npieces, total, mi->piece_len, need);
        return -1;
    }
    if (s_check_dups(mi, err, errlen) < 0)
        return -1;

    int64_t priv = 0;
    mi->private_ = bt_be_dict_int(be, info, "private", &priv) == 0 && priv == 1;
    mi->hashes = cm_memdup(pieces, plen);
    mi->info_raw = cm_memdup(raw, rawlen);
    mi->info_len = rawlen;
    if (s_sha1(raw, rawlen, mi->info_hash) < 0) {
        cm_errf(err, errlen, "SHA-1 failed");
        return -1;
    }
    return 0;
}

/* --- trackers --- */

static bool s_url_ok(const uint8_t *p, size_t len)
{
    if (len == 0 || len > BT_TRACKER_URL_MAX)
        return false;
    static const char *const schemes[] = {"http://", "https://", "udp://"};
    bool scheme = false;
    for (size_t i = 0; i < CM_ARRAY_LEN(schemes); i++) {
        size_t sl = strlen(schemes[i]);
        if (len > sl && strncasecmp((const char *)p, schemes[i], sl) == 0)
            scheme = true;
    }
    if (!scheme)
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] <= 0x20 || p[i] == 0x7f)
            return false;
    return true;
}

/* Add one URL in `tier`. true when added; false when refused, duplicate or over the cap. */
static bool s_add_url(bt_metainfo_t *mi, const uint8_t *p, size_t len, int tier)
{
    if (!p || !s_url_ok(p, len) || mi->ntrackers >= BT_TRACKERS_MAX)
        return false;
    for (uint32_t i = 0; i < mi->ntrackers; i++)
        if (strlen(mi->trackers[i].url) == len && memcmp(mi->trackers[i].url, p, len) == 0)
            return false;
    uint32_t n = mi->ntrackers;
    if (n == 0 || (n >= MI_TRACKERS_INIT && (n & (n - 1)) == 0)) {
        size_t cap = n == 0 ? MI_TRACKERS_INIT : (size_t)n * 2;
        mi->trackers = cm_realloc(mi->trackers, cap * sizeof(*mi->trackers));
    }
    mi->trackers[n].url = cm_strndup((const char *)p, len);
    mi->trackers[n].tier = tier;
    mi->ntrackers = n + 1;
    return true;
}

static void s_trackers(bt_metainfo_t *mi, const bt_be_t *be)
{
    bt_be_node_t al = bt_be_dict_get(be, 0, "announce-list");
    int tier = 0;
    for (bt_be_node_t t = bt_be_first(be, al); t != BT_BE_NIL; t = bt_be_next(be, t)) {
        bool added = false;
        for (bt_be_node_t u = bt_be_first(be, t); u != BT_BE_NIL; u = bt_be_next(be, u)) {
            size_t len;
            const uint8_t *p = bt_be_str(be, u, &len);
            if (s_add_url(mi, p, len, tier))
                added = true;
        }
        if (added)
            tier++;
    }
    if (mi->ntrackers == 0) {
        size_t len;
        const uint8_t *p = bt_be_dict_str(be, 0, "announce", &len);
        s_add_url(mi, p, len, 0);
    }
}

/* --- API --- */

bt_metainfo_t *bt_metainfo_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    bt_be_t be;
    char berr[160];
    if (bt_be_decode(&be, buf, len, NULL, NULL, berr, sizeof(berr)) < 0) {
        cm_errf(err, errlen, "not a valid .torrent: %s", berr);
        return NULL;
    }
    bt_metainfo_t *mi = NULL;
    if (bt_be_type(&be, 0) != BT_BE_DICT) {
        cm_errf(err, errlen, "a .torrent is a dictionary");
        goto out;
    }
    mi = cm_calloc(1, sizeof(*mi));
    if (s_info(mi, &be, bt_be_dict_get(&be, 0, "info"), err, errlen) < 0) {
        bt_metainfo_destroy(&mi);
        goto out;
    }
    s_trackers(mi, &be);
out:
    bt_be_clear(&be);
    return mi;
}

bt_metainfo_t *bt_metainfo_from_info(const uint8_t *info, size_t len, const uint8_t *expect_hash,
                                     char *err, size_t errlen)
{
    bt_be_t be;
    char berr[160];
    struct bt_be_limits lim = {.len_max = BT_METADATA_MAX};
    if (expect_hash) {
        uint8_t h[20];
        if (s_sha1(info, len, h) < 0 || memcmp(h, expect_hash, 20) != 0) {
            cm_errf(err, errlen, "the info dictionary does not match the info-hash");
            return NULL;
        }
    }
    if (bt_be_decode(&be, info, len, &lim, NULL, berr, sizeof(berr)) < 0) {
        cm_errf(err, errlen, "not a valid info dictionary: %s", berr);
        return NULL;
    }
    bt_metainfo_t *mi = cm_calloc(1, sizeof(*mi));
    if (s_info(mi, &be, 0, err, errlen) < 0)
        bt_metainfo_destroy(&mi);
    bt_be_clear(&be);
    return mi;
}

void bt_metainfo_add_trackers(bt_metainfo_t *mi, const char *const *urls, size_t n)
{
    if (!mi || !urls)
        return;
    int tier = mi->ntrackers ? mi->trackers[mi->ntrackers - 1].tier + 1 : 0;
    for (size_t i = 0; i < n; i++)
        if (urls[i])
            s_add_url(mi, (const uint8_t *)urls[i], strlen(urls[i]), tier);
}

int bt_metainfo_write(const bt_metainfo_t *mi, cm_buf_t *out)
{
    if (!mi || !mi->info_raw)
        return -1;
    if (bt_be_put_dict(out) < 0)
        return -1;
    if (mi->ntrackers > 0) {
        if (bt_be_put_cstr(out, "announce") < 0 || bt_be_put_cstr(out, mi->trackers[0].url) < 0)
            return -1;
        if (bt_be_put_cstr(out, "announce-list") < 0 || bt_be_put_list(out) < 0)
            return -1;
        for (uint32_t i = 0; i < mi->ntrackers; i++) {
            if (i == 0 || mi->trackers[i].tier != mi->trackers[i - 1].tier) {
                if ((i > 0 && bt_be_put_end(out) < 0) || bt_be_put_list(out) < 0)
                    return -1;
            }
            if (bt_be_put_cstr(out, mi->trackers[i].url) < 0)
                return -1;
        }
        if (bt_be_put_end(out) < 0 || bt_be_put_end(out) < 0)
            return -1;
    }
    if (bt_be_put_cstr(out, "info") < 0 || cm_buf_append(out, mi->info_raw, mi->info_len) < 0)
        return -1;
    return bt_be_put_end(out);
}

uint32_t bt_metainfo_piece_size(const bt_metainfo_t *mi, uint32_t i)
{
    if (!mi || i >= mi->npieces)
        return 0;
    if (i + 1 < mi->npieces)
        return mi->piece_len;
    return (uint32_t)(mi->total_len - (uint64_t)(mi->npieces - 1) * mi->piece_len);
}

void bt_metainfo_destroy(bt_metainfo_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_metainfo_t *mi = *self_p;
    cm_free(mi->name);
    cm_free(mi->hashes);
    for (uint32_t i = 0; i < mi->nfiles; i++)
        cm_free(mi->files[i].path);
    cm_free(mi->files);
    for (uint32_t i = 0; i < mi->ntrackers; i++)
        cm_free(mi->trackers[i].url);
    cm_free(mi->trackers);
    cm_free(mi->info_raw);
    cm_free(mi);
    *self_p = NULL;
}

/* --- info-hash text forms --- */

static int s_b32val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int bt_hash_parse(const char *s, size_t len, uint8_t out[20])
{
    uint8_t h[20];
    if (!s)
        return -1;
    if (len == 40) {
        for (size_t i = 0; i < 20; i++) {
            int hi = cm_hexval(s[2 * i]), lo = cm_hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            h[i] = (uint8_t)(hi << 4 | lo);
        }
    } else if (len == 32) {
        uint32_t acc = 0;
        int bits = 0;
        size_t o = 0;
        for (size_t i = 0; i < 32; i++) {
            int v = s_b32val(s[i]);
            if (v < 0)
                return -1;
            acc = (acc << 5) | (uint32_t)v;
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                h[o++] = (uint8_t)(acc >> bits);
                acc &= (1u << bits) - 1;
            }
        }
    } else {
        return -1;
    }
    memcpy(out, h, 20);
    return 0;
}

void bt_hash_hex(const uint8_t h[20], char out[41])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 20; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[40] = '\0';
}
