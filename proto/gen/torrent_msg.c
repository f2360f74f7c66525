/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/torrent.toml
 * SPDX-License-Identifier: MIT
 * torrent: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it in
 * place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every field,
 * in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is deterministic.
 * Rules: proto/README.md. */
#include "cm.h"
#include "torrent_msg.h"

/* --- Helpers --- */

/* Read an unsigned integer that fits a uint16_t. */
static int s_get_u16(cm_mp_reader_t *r, uint16_t *v)
{
    uint64_t u;
    if (cm_mp_read_uint(r, &u) < 0 || u > UINT16_MAX)
        return -1;
    *v = (uint16_t)u;
    return 0;
}

/* Read an unsigned integer that fits a uint32_t. */
static int s_get_u32(cm_mp_reader_t *r, uint32_t *v)
{
    uint64_t u;
    if (cm_mp_read_uint(r, &u) < 0 || u > UINT32_MAX)
        return -1;
    *v = (uint32_t)u;
    return 0;
}

/* Copy a str shorter than `cap` into `dst`, NUL-terminated; -1 when it is not a str, is too
 * long, is not UTF-8 or holds a NUL. */
static int s_get_str(cm_mp_reader_t *r, char *dst, size_t cap)
{
    const char *s;
    uint32_t len;
    if (cm_mp_read_str(r, &s, &len) < 0 || len >= cap || !cm_utf8_valid(s, len, false))
        return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* Borrow a bin of at most `max` bytes: `v` points into the frame. */
static int s_get_bin(cm_mp_reader_t *r, cm_iov_t *v, size_t max)
{
    const void *data;
    uint32_t len;
    if (cm_mp_read_bin(r, &data, &len) < 0 || len > max)
        return -1;
    v->data = len ? data : NULL;
    v->len = len;
    return 0;
}

/* Read the header of an array of at most `max` items. */
static int s_get_array(cm_mp_reader_t *r, uint32_t max, uint32_t *n)
{
    uint32_t count;
    if (cm_mp_read_array(r, &count) < 0 || count > max)
        return -1;
    *n = count;
    return 0;
}

/* What s_get_str() accepts: NUL-terminated within `cap` bytes, UTF-8, no NUL inside. Encoders
 * refuse anything else. */
static bool s_str_valid(const char *s, size_t cap)
{
    size_t len = strnlen(s, cap);
    return len < cap && cm_utf8_valid(s, len, false);
}

/* Print a str in double quotes, escaped by cm_log_escape() (control bytes and invalid UTF-8 as
 * \xNN) plus '"' and '\\', so a peer's string cannot forge a line. Runs are cut on character
 * boundaries so a sequence is never escaped in halves. */
static void s_print_str(FILE *out, const char *s, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strnlen(s, cap);
    char esc[4 * (32 + 4) + 1];

    fputc('"', out);
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        while (i + n < len && n < 32 && p[i + n] != '"' && p[i + n] != '\\') {
            size_t k = cm_utf8_seq(p + i + n, len - i - n);
            n += k ? k : 1;
        }
        if (n == 0) {
            fputc('\\', out);
            fputc(p[i], out);
            i++;
        } else {
            fputs(cm_log_escape(esc, sizeof(esc), p + i, n), out);
            i += n;
        }
    }
    fputc('"', out);
}

/* What s_get_bin() accepts: at most `max` bytes, and somewhere to read them from. */
static bool s_bin_valid(const cm_iov_t *v, size_t max)
{
    return v->len <= max && (v->data || v->len == 0);
}

/* --- READY --- */

int torrent_ready_encode(const struct torrent_ready *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->worker_id, 64 + 1))
        return -1;
    if (!s_str_valid(m->version, 32 + 1))
        return -1;
    if (!s_str_valid(m->cache_dir, 1024 + 1))
        return -1;
    if (!s_str_valid(m->local_token, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
    cm_mp_put_uint(&w, 1); /* worker_id */
    cm_mp_put_cstr(&w, m->worker_id);
    cm_mp_put_uint(&w, 2); /* version */
    cm_mp_put_cstr(&w, m->version);
    cm_mp_put_uint(&w, 3); /* capacity */
    cm_mp_put_uint(&w, m->capacity);
    cm_mp_put_uint(&w, 4); /* free_cache_bytes */
    cm_mp_put_uint(&w, m->free_cache_bytes);
    cm_mp_put_uint(&w, 5); /* cache_dir */
    cm_mp_put_cstr(&w, m->cache_dir);
    cm_mp_put_uint(&w, 6); /* local_token */
    cm_mp_put_cstr(&w, m->local_token);
    return cm_mp_writer_status(&w);
}

int torrent_ready_decode(struct torrent_ready *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* worker_id */
            bit = 0x1;
            rc = s_get_str(&r, m->worker_id, 64 + 1);
            break;
        case 2: /* version */
            bit = 0x2;
            rc = s_get_str(&r, m->version, 32 + 1);
            break;
        case 3: /* capacity */
            bit = 0x4;
            rc = s_get_u32(&r, &m->capacity);
            break;
        case 4: /* free_cache_bytes */
            bit = 0x8;
            rc = cm_mp_read_uint(&r, &m->free_cache_bytes);
            break;
        case 5: /* cache_dir */
            bit = 0x10;
            rc = s_get_str(&r, m->cache_dir, 1024 + 1);
            break;
        case 6: /* local_token */
            bit = 0x20;
            rc = s_get_str(&r, m->local_token, 64 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: worker_id, version. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void torrent_ready_print(const struct torrent_ready *m, FILE *out)
{
    fputs("torrent.READY", out);
    fputs(" worker_id=", out);
    s_print_str(out, m->worker_id, 64 + 1);
    fputs(" version=", out);
    s_print_str(out, m->version, 32 + 1);
    fprintf(out, " capacity=%" PRIu32, m->capacity);
    fprintf(out, " free_cache_bytes=%" PRIu64, m->free_cache_bytes);
    fputs(" cache_dir=", out);
    s_print_str(out, m->cache_dir, 1024 + 1);
    fputs(" local_token=", out);
    s_print_str(out, m->local_token, 64 + 1);
    fputc('\n', out);
}

/* --- HEARTBEAT --- */

int torrent_heartbeat_encode(const struct torrent_heartbeat *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 7);
    cm_mp_put_uint(&w, 1); /* torrents */
    cm_mp_put_uint(&w, m->torrents);
    cm_mp_put_uint(&w, 2); /* peers */
    cm_mp_put_uint(&w, m->peers);
    cm_mp_put_uint(&w, 3); /* down_bps */
    cm_mp_put_uint(&w, m->down_bps);
    cm_mp_put_uint(&w, 4); /* up_bps */
    cm_mp_put_uint(&w, m->up_bps);
    cm_mp_put_uint(&w, 5); /* free_cache_bytes */
    cm_mp_put_uint(&w, m->free_cache_bytes);
    cm_mp_put_uint(&w, 6); /* draining */
    cm_mp_put_bool(&w, m->draining);
    cm_mp_put_uint(&w, 7); /* swarm_paused */
    cm_mp_put_bool(&w, m->swarm_paused);
    return cm_mp_writer_status(&w);
}

int torrent_heartbeat_decode(struct torrent_heartbeat *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* torrents */
            bit = 0x1;
            rc = s_get_u32(&r, &m->torrents);
            break;
        case 2: /* peers */
            bit = 0x2;
            rc = s_get_u32(&r, &m->peers);
            break;
        case 3: /* down_bps */
            bit = 0x4;
            rc = cm_mp_read_uint(&r, &m->down_bps);
            break;
        case 4: /* up_bps */
            bit = 0x8;
            rc = cm_mp_read_uint(&r, &m->up_bps);
            break;
        case 5: /* free_cache_bytes */
            bit = 0x10;
            rc = cm_mp_read_uint(&r, &m->free_cache_bytes);
            break;
        case 6: /* draining */
            bit = 0x20;
            rc = cm_mp_read_bool(&r, &m->draining);
            break;
        case 7: /* swarm_paused */
            bit = 0x40;
            rc = cm_mp_read_bool(&r, &m->swarm_paused);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    return 0;
}

void torrent_heartbeat_print(const struct torrent_heartbeat *m, FILE *out)
{
    fputs("torrent.HEARTBEAT", out);
    fprintf(out, " torrents=%" PRIu32, m->torrents);
    fprintf(out, " peers=%" PRIu32, m->peers);
    fprintf(out, " down_bps=%" PRIu64, m->down_bps);
    fprintf(out, " up_bps=%" PRIu64, m->up_bps);
    fprintf(out, " free_cache_bytes=%" PRIu64, m->free_cache_bytes);
    fprintf(out, " draining=%s", m->draining ? "true" : "false");
    fprintf(out, " swarm_paused=%s", m->swarm_paused ? "true" : "false");
    fputc('\n', out);
}

/* --- METADATA --- */

int torrent_metadata_encode(const struct torrent_metadata *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->magnet, 65536 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* magnet */
    cm_mp_put_cstr(&w, m->magnet);
    cm_mp_put_uint(&w, 2); /* timeout_ms */
    cm_mp_put_uint(&w, m->timeout_ms);
    return cm_mp_writer_status(&w);
}

int torrent_metadata_decode(struct torrent_metadata *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* magnet */
            bit = 0x1;
            rc = s_get_str(&r, m->magnet, 65536 + 1);
            break;
        case 2: /* timeout_ms */
            bit = 0x2;
            rc = s_get_u32(&r, &m->timeout_ms);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: magnet. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_metadata_print(const struct torrent_metadata *m, FILE *out)
{
    fputs("torrent.METADATA", out);
    fputs(" magnet=", out);
    s_print_str(out, m->magnet, 65536 + 1);
    fprintf(out, " timeout_ms=%" PRIu32, m->timeout_ms);
    fputc('\n', out);
}

/* --- METADATA_OK --- */

int torrent_metadata_ok_encode(const struct torrent_metadata_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (!s_str_valid(m->name, 1024 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 5);
    cm_mp_put_uint(&w, 1); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    cm_mp_put_uint(&w, 2); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 3); /* name */
    cm_mp_put_cstr(&w, m->name);
    cm_mp_put_uint(&w, 4); /* files */
    cm_mp_put_uint(&w, m->files);
    cm_mp_put_uint(&w, 5); /* total_bytes */
    cm_mp_put_uint(&w, m->total_bytes);
    return cm_mp_writer_status(&w);
}

int torrent_metadata_ok_decode(struct torrent_metadata_ok *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* torrent */
            bit = 0x1;
            rc = s_get_bin(&r, &m->torrent, 16777216);
            break;
        case 2: /* info_hash */
            bit = 0x2;
            rc = s_get_str(&r, m->info_hash, 40 + 1);
            break;
        case 3: /* name */
            bit = 0x4;
            rc = s_get_str(&r, m->name, 1024 + 1);
            break;
        case 4: /* files */
            bit = 0x8;
            rc = s_get_u32(&r, &m->files);
            break;
        case 5: /* total_bytes */
            bit = 0x10;
            rc = cm_mp_read_uint(&r, &m->total_bytes);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: torrent, info_hash. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void torrent_metadata_ok_print(const struct torrent_metadata_ok *m, FILE *out)
{
    fputs("torrent.METADATA_OK", out);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fputs(" name=", out);
    s_print_str(out, m->name, 1024 + 1);
    fprintf(out, " files=%" PRIu32, m->files);
    fprintf(out, " total_bytes=%" PRIu64, m->total_bytes);
    fputc('\n', out);
}

/* --- SCRAPE --- */

int torrent_scrape_encode(const struct torrent_scrape *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (m->trackers_count > 32)
        return -1;
    for (uint32_t i = 0; i < m->trackers_count; i++) {
        if (!s_str_valid(m->trackers[i], 1024 + 1))
            return -1;
    }
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 2); /* trackers */
    cm_mp_put_array(&w, m->trackers_count);
    for (uint32_t i = 0; i < m->trackers_count; i++)
        cm_mp_put_cstr(&w, m->trackers[i]);
    cm_mp_put_uint(&w, 3); /* timeout_ms */
    cm_mp_put_uint(&w, m->timeout_ms);
    return cm_mp_writer_status(&w);
}

int torrent_scrape_decode(struct torrent_scrape *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* info_hash */
            bit = 0x1;
            rc = s_get_str(&r, m->info_hash, 40 + 1);
            break;
        case 2: /* trackers */
            bit = 0x2;
            rc = s_get_array(&r, 32, &m->trackers_count);
            for (uint32_t j = 0; rc == 0 && j < m->trackers_count; j++)
                rc = s_get_str(&r, m->trackers[j], 1024 + 1);
            break;
        case 3: /* timeout_ms */
            bit = 0x4;
            rc = s_get_u32(&r, &m->timeout_ms);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: info_hash. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_scrape_print(const struct torrent_scrape *m, FILE *out)
{
    fputs("torrent.SCRAPE", out);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fputs(" trackers=[", out);
    for (uint32_t i = 0; i < m->trackers_count && i < 32; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->trackers[i], 1024 + 1);
    }
    fputc(']', out);
    fprintf(out, " timeout_ms=%" PRIu32, m->timeout_ms);
    fputc('\n', out);
}

/* --- SCRAPE_OK --- */

int torrent_scrape_ok_encode(const struct torrent_scrape_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 5);
    cm_mp_put_uint(&w, 1); /* seeders */
    cm_mp_put_uint(&w, m->seeders);
    cm_mp_put_uint(&w, 2); /* leechers */
    cm_mp_put_uint(&w, m->leechers);
    cm_mp_put_uint(&w, 3); /* completed */
    cm_mp_put_uint(&w, m->completed);
    cm_mp_put_uint(&w, 4); /* answered */
    cm_mp_put_uint(&w, m->answered);
    cm_mp_put_uint(&w, 5); /* asked */
    cm_mp_put_uint(&w, m->asked);
    return cm_mp_writer_status(&w);
}

int torrent_scrape_ok_decode(struct torrent_scrape_ok *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* seeders */
            bit = 0x1;
            rc = s_get_u32(&r, &m->seeders);
            break;
        case 2: /* leechers */
            bit = 0x2;
            rc = s_get_u32(&r, &m->leechers);
            break;
        case 3: /* completed */
            bit = 0x4;
            rc = s_get_u32(&r, &m->completed);
            break;
        case 4: /* answered */
            bit = 0x8;
            rc = s_get_u32(&r, &m->answered);
            break;
        case 5: /* asked */
            bit = 0x10;
            rc = s_get_u32(&r, &m->asked);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    return 0;
}

void torrent_scrape_ok_print(const struct torrent_scrape_ok *m, FILE *out)
{
    fputs("torrent.SCRAPE_OK", out);
    fprintf(out, " seeders=%" PRIu32, m->seeders);
    fprintf(out, " leechers=%" PRIu32, m->leechers);
    fprintf(out, " completed=%" PRIu32, m->completed);
    fprintf(out, " answered=%" PRIu32, m->answered);
    fprintf(out, " asked=%" PRIu32, m->asked);
    fputc('\n', out);
}

/* --- STATUS --- */

int torrent_status_encode(const struct torrent_status *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int torrent_status_decode(struct torrent_status *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    /* No fields yet: skip whatever a newer sender added. */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag;
        if (cm_mp_read_uint(&r, &tag) < 0 || cm_mp_skip(&r, CM_MP_DEPTH_MAX) < 0)
            return -1;
    }
    return 0;
}

void torrent_status_print(const struct torrent_status *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("torrent.STATUS\n", out);
}

/* --- STATUS_OK --- */

int torrent_status_ok_encode(const struct torrent_status_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->worker_id, 64 + 1))
        return -1;
    if (!s_str_valid(m->version, 32 + 1))
        return -1;
    if (!s_str_valid(m->listen, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 12);
    cm_mp_put_uint(&w, 1); /* worker_id */
    cm_mp_put_cstr(&w, m->worker_id);
    cm_mp_put_uint(&w, 2); /* version */
    cm_mp_put_cstr(&w, m->version);
    cm_mp_put_uint(&w, 3); /* torrents */
    cm_mp_put_uint(&w, m->torrents);
    cm_mp_put_uint(&w, 4); /* peers */
    cm_mp_put_uint(&w, m->peers);
    cm_mp_put_uint(&w, 5); /* down_bps */
    cm_mp_put_uint(&w, m->down_bps);
    cm_mp_put_uint(&w, 6); /* up_bps */
    cm_mp_put_uint(&w, m->up_bps);
    cm_mp_put_uint(&w, 7); /* downloaded */
    cm_mp_put_uint(&w, m->downloaded);
    cm_mp_put_uint(&w, 8); /* uploaded */
    cm_mp_put_uint(&w, m->uploaded);
    cm_mp_put_uint(&w, 9); /* cache_used */
    cm_mp_put_uint(&w, m->cache_used);
    cm_mp_put_uint(&w, 10); /* cache_free */
    cm_mp_put_uint(&w, m->cache_free);
    cm_mp_put_uint(&w, 11); /* listen */
    cm_mp_put_cstr(&w, m->listen);
    cm_mp_put_uint(&w, 12); /* draining */
    cm_mp_put_bool(&w, m->draining);
    return cm_mp_writer_status(&w);
}

int torrent_status_ok_decode(struct torrent_status_ok *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* worker_id */
            bit = 0x1;
            rc = s_get_str(&r, m->worker_id, 64 + 1);
            break;
        case 2: /* version */
            bit = 0x2;
            rc = s_get_str(&r, m->version, 32 + 1);
            break;
        case 3: /* torrents */
            bit = 0x4;
            rc = s_get_u32(&r, &m->torrents);
            break;
        case 4: /* peers */
            bit = 0x8;
            rc = s_get_u32(&r, &m->peers);
            break;
        case 5: /* down_bps */
            bit = 0x10;
            rc = cm_mp_read_uint(&r, &m->down_bps);
            break;
        case 6: /* up_bps */
            bit = 0x20;
            rc = cm_mp_read_uint(&r, &m->up_bps);
            break;
        case 7: /* downloaded */
            bit = 0x40;
            rc = cm_mp_read_uint(&r, &m->downloaded);
            break;
        case 8: /* uploaded */
            bit = 0x80;
            rc = cm_mp_read_uint(&r, &m->uploaded);
            break;
        case 9: /* cache_used */
            bit = 0x100;
            rc = cm_mp_read_uint(&r, &m->cache_used);
            break;
        case 10: /* cache_free */
            bit = 0x200;
            rc = cm_mp_read_uint(&r, &m->cache_free);
            break;
        case 11: /* listen */
            bit = 0x400;
            rc = s_get_str(&r, m->listen, 64 + 1);
            break;
        case 12: /* draining */
            bit = 0x800;
            rc = cm_mp_read_bool(&r, &m->draining);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: worker_id. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_status_ok_print(const struct torrent_status_ok *m, FILE *out)
{
    fputs("torrent.STATUS_OK", out);
    fputs(" worker_id=", out);
    s_print_str(out, m->worker_id, 64 + 1);
    fputs(" version=", out);
    s_print_str(out, m->version, 32 + 1);
    fprintf(out, " torrents=%" PRIu32, m->torrents);
    fprintf(out, " peers=%" PRIu32, m->peers);
    fprintf(out, " down_bps=%" PRIu64, m->down_bps);
    fprintf(out, " up_bps=%" PRIu64, m->up_bps);
    fprintf(out, " downloaded=%" PRIu64, m->downloaded);
    fprintf(out, " uploaded=%" PRIu64, m->uploaded);
    fprintf(out, " cache_used=%" PRIu64, m->cache_used);
    fprintf(out, " cache_free=%" PRIu64, m->cache_free);
    fputs(" listen=", out);
    s_print_str(out, m->listen, 64 + 1);
    fprintf(out, " draining=%s", m->draining ? "true" : "false");
    fputc('\n', out);
}

/* --- OPEN --- */

int torrent_open_encode(const struct torrent_open *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    if (!s_str_valid(m->magnet, 65536 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 2); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    cm_mp_put_uint(&w, 3); /* magnet */
    cm_mp_put_cstr(&w, m->magnet);
    cm_mp_put_uint(&w, 4); /* timeout_ms */
    cm_mp_put_uint(&w, m->timeout_ms);
    return cm_mp_writer_status(&w);
}

int torrent_open_decode(struct torrent_open *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* info_hash */
            bit = 0x1;
            rc = s_get_str(&r, m->info_hash, 40 + 1);
            break;
        case 2: /* torrent */
            bit = 0x2;
            rc = s_get_bin(&r, &m->torrent, 16777216);
            break;
        case 3: /* magnet */
            bit = 0x4;
            rc = s_get_str(&r, m->magnet, 65536 + 1);
            break;
        case 4: /* timeout_ms */
            bit = 0x8;
            rc = s_get_u32(&r, &m->timeout_ms);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: info_hash. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_open_print(const struct torrent_open *m, FILE *out)
{
    fputs("torrent.OPEN", out);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fputs(" magnet=", out);
    s_print_str(out, m->magnet, 65536 + 1);
    fprintf(out, " timeout_ms=%" PRIu32, m->timeout_ms);
    fputc('\n', out);
}

/* --- OPEN_OK --- */

int torrent_open_ok_encode(const struct torrent_open_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (!s_str_valid(m->name, 1024 + 1))
        return -1;
    if (m->file_paths_count > 1000)
        return -1;
    for (uint32_t i = 0; i < m->file_paths_count; i++) {
        if (!s_str_valid(m->file_paths[i], 512 + 1))
            return -1;
    }
    if (m->file_sizes_count > 1000)
        return -1;
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 8);
    cm_mp_put_uint(&w, 1); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 2); /* name */
    cm_mp_put_cstr(&w, m->name);
    cm_mp_put_uint(&w, 3); /* piece_length */
    cm_mp_put_uint(&w, m->piece_length);
    cm_mp_put_uint(&w, 4); /* total_bytes */
    cm_mp_put_uint(&w, m->total_bytes);
    cm_mp_put_uint(&w, 5); /* file_paths */
    cm_mp_put_array(&w, m->file_paths_count);
    for (uint32_t i = 0; i < m->file_paths_count; i++)
        cm_mp_put_cstr(&w, m->file_paths[i]);
    cm_mp_put_uint(&w, 6); /* file_sizes */
    cm_mp_put_array(&w, m->file_sizes_count);
    for (uint32_t i = 0; i < m->file_sizes_count; i++)
        cm_mp_put_uint(&w, m->file_sizes[i]);
    cm_mp_put_uint(&w, 7); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    cm_mp_put_uint(&w, 8); /* files_total */
    cm_mp_put_uint(&w, m->files_total);
    return cm_mp_writer_status(&w);
}

int torrent_open_ok_decode(struct torrent_open_ok *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* info_hash */
            bit = 0x1;
            rc = s_get_str(&r, m->info_hash, 40 + 1);
            break;
        case 2: /* name */
            bit = 0x2;
            rc = s_get_str(&r, m->name, 1024 + 1);
            break;
        case 3: /* piece_length */
            bit = 0x4;
            rc = s_get_u32(&r, &m->piece_length);
            break;
        case 4: /* total_bytes */
            bit = 0x8;
            rc = cm_mp_read_uint(&r, &m->total_bytes);
            break;
        case 5: /* file_paths */
            bit = 0x10;
            rc = s_get_array(&r, 1000, &m->file_paths_count);
            for (uint32_t j = 0; rc == 0 && j < m->file_paths_count; j++)
                rc = s_get_str(&r, m->file_paths[j], 512 + 1);
            break;
        case 6: /* file_sizes */
            bit = 0x20;
            rc = s_get_array(&r, 1000, &m->file_sizes_count);
            for (uint32_t j = 0; rc == 0 && j < m->file_sizes_count; j++)
                rc = cm_mp_read_uint(&r, &m->file_sizes[j]);
            break;
        case 7: /* torrent */
            bit = 0x40;
            rc = s_get_bin(&r, &m->torrent, 16777216);
            break;
        case 8: /* files_total */
            bit = 0x80;
            rc = s_get_u32(&r, &m->files_total);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: info_hash. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_open_ok_print(const struct torrent_open_ok *m, FILE *out)
{
    fputs("torrent.OPEN_OK", out);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fputs(" name=", out);
    s_print_str(out, m->name, 1024 + 1);
    fprintf(out, " piece_length=%" PRIu32, m->piece_length);
    fprintf(out, " total_bytes=%" PRIu64, m->total_bytes);
    fputs(" file_paths=[", out);
    for (uint32_t i = 0; i < m->file_paths_count && i < 1000; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->file_paths[i], 512 + 1);
    }
    fputc(']', out);
    fputs(" file_sizes=[", out);
    for (uint32_t i = 0; i < m->file_sizes_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->file_sizes[i]);
    fputc(']', out);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fprintf(out, " files_total=%" PRIu32, m->files_total);
    fputc('\n', out);
}

/* --- READ --- */

int torrent_read_encode(const struct torrent_read *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 7);
    cm_mp_put_uint(&w, 1); /* stream_id */
    cm_mp_put_uint(&w, m->stream_id);
    cm_mp_put_uint(&w, 2); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 3); /* file */
    cm_mp_put_uint(&w, m->file);
    cm_mp_put_uint(&w, 4); /* offset */
    cm_mp_put_uint(&w, m->offset);
    cm_mp_put_uint(&w, 5); /* length */
    cm_mp_put_uint(&w, m->length);
    cm_mp_put_uint(&w, 6); /* credit */
    cm_mp_put_uint(&w, m->credit);
    cm_mp_put_uint(&w, 7); /* local */
    cm_mp_put_bool(&w, m->local);
    return cm_mp_writer_status(&w);
}

int torrent_read_decode(struct torrent_read *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* stream_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->stream_id);
            break;
        case 2: /* info_hash */
            bit = 0x2;
            rc = s_get_str(&r, m->info_hash, 40 + 1);
            break;
        case 3: /* file */
            bit = 0x4;
            rc = s_get_u32(&r, &m->file);
            break;
        case 4: /* offset */
            bit = 0x8;
            rc = cm_mp_read_uint(&r, &m->offset);
            break;
        case 5: /* length */
            bit = 0x10;
            rc = cm_mp_read_uint(&r, &m->length);
            break;
        case 6: /* credit */
            bit = 0x20;
            rc = cm_mp_read_uint(&r, &m->credit);
            break;
        case 7: /* local */
            bit = 0x40;
            rc = cm_mp_read_bool(&r, &m->local);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: stream_id, info_hash, length. */
    if ((seen & 0x13) != 0x13)
        return -1;
    return 0;
}

void torrent_read_print(const struct torrent_read *m, FILE *out)
{
    fputs("torrent.READ", out);
    fprintf(out, " stream_id=%" PRIu64, m->stream_id);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fprintf(out, " file=%" PRIu32, m->file);
    fprintf(out, " offset=%" PRIu64, m->offset);
    fprintf(out, " length=%" PRIu64, m->length);
    fprintf(out, " credit=%" PRIu64, m->credit);
    fprintf(out, " local=%s", m->local ? "true" : "false");
    fputc('\n', out);
}

/* --- CHUNK --- */

int torrent_chunk_encode(const struct torrent_chunk *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* stream_id */
    cm_mp_put_uint(&w, m->stream_id);
    cm_mp_put_uint(&w, 2); /* offset */
    cm_mp_put_uint(&w, m->offset);
    return cm_mp_writer_status(&w);
}

int torrent_chunk_decode(struct torrent_chunk *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* stream_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->stream_id);
            break;
        case 2: /* offset */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->offset);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: stream_id, offset. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void torrent_chunk_print(const struct torrent_chunk *m, FILE *out)
{
    fputs("torrent.CHUNK", out);
    fprintf(out, " stream_id=%" PRIu64, m->stream_id);
    fprintf(out, " offset=%" PRIu64, m->offset);
    fputc('\n', out);
}

/* --- READ_END --- */

int torrent_read_end_encode(const struct torrent_read_end *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->reason, 256 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* stream_id */
    cm_mp_put_uint(&w, m->stream_id);
    cm_mp_put_uint(&w, 2); /* status */
    cm_mp_put_uint(&w, m->status);
    cm_mp_put_uint(&w, 3); /* reason */
    cm_mp_put_cstr(&w, m->reason);
    return cm_mp_writer_status(&w);
}

int torrent_read_end_decode(struct torrent_read_end *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* stream_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->stream_id);
            break;
        case 2: /* status */
            bit = 0x2;
            rc = s_get_u16(&r, &m->status);
            break;
        case 3: /* reason */
            bit = 0x4;
            rc = s_get_str(&r, m->reason, 256 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: stream_id. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_read_end_print(const struct torrent_read_end *m, FILE *out)
{
    fputs("torrent.READ_END", out);
    fprintf(out, " stream_id=%" PRIu64, m->stream_id);
    fprintf(out, " status=%u", (unsigned)m->status);
    fputs(" reason=", out);
    s_print_str(out, m->reason, 256 + 1);
    fputc('\n', out);
}

/* --- STREAM_CREDIT --- */

int torrent_stream_credit_encode(const struct torrent_stream_credit *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* stream_id */
    cm_mp_put_uint(&w, m->stream_id);
    cm_mp_put_uint(&w, 2); /* bytes */
    cm_mp_put_uint(&w, m->bytes);
    return cm_mp_writer_status(&w);
}

int torrent_stream_credit_decode(struct torrent_stream_credit *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* stream_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->stream_id);
            break;
        case 2: /* bytes */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->bytes);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: stream_id, bytes. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void torrent_stream_credit_print(const struct torrent_stream_credit *m, FILE *out)
{
    fputs("torrent.STREAM_CREDIT", out);
    fprintf(out, " stream_id=%" PRIu64, m->stream_id);
    fprintf(out, " bytes=%" PRIu64, m->bytes);
    fputc('\n', out);
}

/* --- CLOSE --- */

int torrent_close_encode(const struct torrent_close *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 1);
    cm_mp_put_uint(&w, 1); /* stream_id */
    cm_mp_put_uint(&w, m->stream_id);
    return cm_mp_writer_status(&w);
}

int torrent_close_decode(struct torrent_close *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* stream_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->stream_id);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: stream_id. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void torrent_close_print(const struct torrent_close *m, FILE *out)
{
    fputs("torrent.CLOSE", out);
    fprintf(out, " stream_id=%" PRIu64, m->stream_id);
    fputc('\n', out);
}

/* --- CHUNK_LOCAL --- */

int torrent_chunk_local_encode(const struct torrent_chunk_local *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->path, 4096 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* stream_id */
    cm_mp_put_uint(&w, m->stream_id);
    cm_mp_put_uint(&w, 2); /* offset */
    cm_mp_put_uint(&w, m->offset);
    cm_mp_put_uint(&w, 3); /* length */
    cm_mp_put_uint(&w, m->length);
    cm_mp_put_uint(&w, 4); /* path */
    cm_mp_put_cstr(&w, m->path);
    return cm_mp_writer_status(&w);
}

int torrent_chunk_local_decode(struct torrent_chunk_local *m, const void *data, size_t size)
{
    cm_mp_reader_t r;
    uint32_t n;
    uint64_t seen = 0; /* bit i: the i-th field was read */

    memset(m, 0, sizeof(*m));
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)
        return -1;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_read_map(&r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t tag, bit = 0;
        int rc;
        if (cm_mp_read_uint(&r, &tag) < 0)
            return -1;
        switch (tag) {
        case 1: /* stream_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->stream_id);
            break;
        case 2: /* offset */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->offset);
            break;
        case 3: /* length */
            bit = 0x4;
            rc = cm_mp_read_uint(&r, &m->length);
            break;
        case 4: /* path */
            bit = 0x8;
            rc = s_get_str(&r, m->path, 4096 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: stream_id, offset, length, path. */
    if ((seen & 0xf) != 0xf)
        return -1;
    return 0;
}

void torrent_chunk_local_print(const struct torrent_chunk_local *m, FILE *out)
{
    fputs("torrent.CHUNK_LOCAL", out);
    fprintf(out, " stream_id=%" PRIu64, m->stream_id);
    fprintf(out, " offset=%" PRIu64, m->offset);
    fprintf(out, " length=%" PRIu64, m->length);
    fputs(" path=", out);
    s_print_str(out, m->path, 4096 + 1);
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = TORRENT_MSG_READY, .kind = CM_MSG_EVENT, .payload = 0, .name = "READY"},
    {.id = TORRENT_MSG_HEARTBEAT, .kind = CM_MSG_EVENT, .payload = 0, .name = "HEARTBEAT"},
    {.id = TORRENT_MSG_METADATA, .kind = CM_MSG_REQUEST, .payload = 0, .name = "METADATA"},
    {.id = TORRENT_MSG_METADATA_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "METADATA_OK"},
    {.id = TORRENT_MSG_SCRAPE, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SCRAPE"},
    {.id = TORRENT_MSG_SCRAPE_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "SCRAPE_OK"},
    {.id = TORRENT_MSG_STATUS, .kind = CM_MSG_REQUEST, .payload = 0, .name = "STATUS"},
    {.id = TORRENT_MSG_STATUS_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "STATUS_OK"},
    {.id = TORRENT_MSG_OPEN, .kind = CM_MSG_REQUEST, .payload = 0, .name = "OPEN"},
    {.id = TORRENT_MSG_OPEN_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "OPEN_OK"},
    {.id = TORRENT_MSG_READ, .kind = CM_MSG_EVENT, .payload = 0, .name = "READ"},
    {.id = TORRENT_MSG_CHUNK, .kind = CM_MSG_EVENT, .payload = 1, .name = "CHUNK"},
    {.id = TORRENT_MSG_READ_END, .kind = CM_MSG_EVENT, .payload = 0, .name = "READ_END"},
    {.id = TORRENT_MSG_STREAM_CREDIT, .kind = CM_MSG_EVENT, .payload = 0, .name = "STREAM_CREDIT"},
    {.id = TORRENT_MSG_CLOSE, .kind = CM_MSG_EVENT, .payload = 0, .name = "CLOSE"},
    {.id = TORRENT_MSG_CHUNK_LOCAL, .kind = CM_MSG_EVENT, .payload = 0, .name = "CHUNK_LOCAL"},
};

const struct cm_proto torrent_proto = {
    .id = TORRENT_PROTO,
    .version = TORRENT_VERSION,
    .name = "torrent",
    .nmsgs = CM_ARRAY_LEN(s_msgs),
    .msgs = s_msgs,
};

const char *torrent_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&torrent_proto, id);
    return msg ? msg->name : "?";
}

int torrent_msg_decode(int id, void *m, const void *data, size_t size)
{
    switch (id) {
    case TORRENT_MSG_READY:
        return torrent_ready_decode(m, data, size);
    case TORRENT_MSG_HEARTBEAT:
        return torrent_heartbeat_decode(m, data, size);
    case TORRENT_MSG_METADATA:
        return torrent_metadata_decode(m, data, size);
    case TORRENT_MSG_METADATA_OK:
        return torrent_metadata_ok_decode(m, data, size);
    case TORRENT_MSG_SCRAPE:
        return torrent_scrape_decode(m, data, size);
    case TORRENT_MSG_SCRAPE_OK:
        return torrent_scrape_ok_decode(m, data, size);
    case TORRENT_MSG_STATUS:
        return torrent_status_decode(m, data, size);
    case TORRENT_MSG_STATUS_OK:
        return torrent_status_ok_decode(m, data, size);
    case TORRENT_MSG_OPEN:
        return torrent_open_decode(m, data, size);
    case TORRENT_MSG_OPEN_OK:
        return torrent_open_ok_decode(m, data, size);
    case TORRENT_MSG_READ:
        return torrent_read_decode(m, data, size);
    case TORRENT_MSG_CHUNK:
        return torrent_chunk_decode(m, data, size);
    case TORRENT_MSG_READ_END:
        return torrent_read_end_decode(m, data, size);
    case TORRENT_MSG_STREAM_CREDIT:
        return torrent_stream_credit_decode(m, data, size);
    case TORRENT_MSG_CLOSE:
        return torrent_close_decode(m, data, size);
    case TORRENT_MSG_CHUNK_LOCAL:
        return torrent_chunk_local_decode(m, data, size);
    default:
        return -1;
    }
}

int torrent_msg_encode(int id, const void *m, cm_buf_t *out)
{
    switch (id) {
    case TORRENT_MSG_READY:
        return torrent_ready_encode(m, out);
    case TORRENT_MSG_HEARTBEAT:
        return torrent_heartbeat_encode(m, out);
    case TORRENT_MSG_METADATA:
        return torrent_metadata_encode(m, out);
    case TORRENT_MSG_METADATA_OK:
        return torrent_metadata_ok_encode(m, out);
    case TORRENT_MSG_SCRAPE:
        return torrent_scrape_encode(m, out);
    case TORRENT_MSG_SCRAPE_OK:
        return torrent_scrape_ok_encode(m, out);
    case TORRENT_MSG_STATUS:
        return torrent_status_encode(m, out);
    case TORRENT_MSG_STATUS_OK:
        return torrent_status_ok_encode(m, out);
    case TORRENT_MSG_OPEN:
        return torrent_open_encode(m, out);
    case TORRENT_MSG_OPEN_OK:
        return torrent_open_ok_encode(m, out);
    case TORRENT_MSG_READ:
        return torrent_read_encode(m, out);
    case TORRENT_MSG_CHUNK:
        return torrent_chunk_encode(m, out);
    case TORRENT_MSG_READ_END:
        return torrent_read_end_encode(m, out);
    case TORRENT_MSG_STREAM_CREDIT:
        return torrent_stream_credit_encode(m, out);
    case TORRENT_MSG_CLOSE:
        return torrent_close_encode(m, out);
    case TORRENT_MSG_CHUNK_LOCAL:
        return torrent_chunk_local_encode(m, out);
    default:
        return -1;
    }
}

void torrent_msg_print(int id, const void *m, FILE *out)
{
    switch (id) {
    case TORRENT_MSG_READY:
        torrent_ready_print(m, out);
        break;
    case TORRENT_MSG_HEARTBEAT:
        torrent_heartbeat_print(m, out);
        break;
    case TORRENT_MSG_METADATA:
        torrent_metadata_print(m, out);
        break;
    case TORRENT_MSG_METADATA_OK:
        torrent_metadata_ok_print(m, out);
        break;
    case TORRENT_MSG_SCRAPE:
        torrent_scrape_print(m, out);
        break;
    case TORRENT_MSG_SCRAPE_OK:
        torrent_scrape_ok_print(m, out);
        break;
    case TORRENT_MSG_STATUS:
        torrent_status_print(m, out);
        break;
    case TORRENT_MSG_STATUS_OK:
        torrent_status_ok_print(m, out);
        break;
    case TORRENT_MSG_OPEN:
        torrent_open_print(m, out);
        break;
    case TORRENT_MSG_OPEN_OK:
        torrent_open_ok_print(m, out);
        break;
    case TORRENT_MSG_READ:
        torrent_read_print(m, out);
        break;
    case TORRENT_MSG_CHUNK:
        torrent_chunk_print(m, out);
        break;
    case TORRENT_MSG_READ_END:
        torrent_read_end_print(m, out);
        break;
    case TORRENT_MSG_STREAM_CREDIT:
        torrent_stream_credit_print(m, out);
        break;
    case TORRENT_MSG_CLOSE:
        torrent_close_print(m, out);
        break;
    case TORRENT_MSG_CHUNK_LOCAL:
        torrent_chunk_local_print(m, out);
        break;
    default:
        fprintf(out, "torrent.? id=%d\n", id);
        break;
    }
}
