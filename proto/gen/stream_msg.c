/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/stream.toml
 * SPDX-License-Identifier: MIT
 * stream: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it in
 * place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every field,
 * in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is deterministic.
 * Rules: proto/README.md. */
#include "cm.h"
#include "stream_msg.h"

/* --- Helpers --- */

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

/* --- SESSIONS --- */

int stream_sessions_encode(const struct stream_sessions *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* user_id */
    cm_mp_put_uint(&w, m->user_id);
    cm_mp_put_uint(&w, 2); /* all */
    cm_mp_put_bool(&w, m->all);
    return cm_mp_writer_status(&w);
}

int stream_sessions_decode(struct stream_sessions *m, const void *data, size_t size)
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
        case 1: /* user_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->user_id);
            break;
        case 2: /* all */
            bit = 0x2;
            rc = cm_mp_read_bool(&r, &m->all);
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

void stream_sessions_print(const struct stream_sessions *m, FILE *out)
{
    fputs("stream.SESSIONS", out);
    fprintf(out, " user_id=%" PRIu64, m->user_id);
    fprintf(out, " all=%s", m->all ? "true" : "false");
    fputc('\n', out);
}

/* --- SESSIONS_OK --- */

int stream_sessions_ok_encode(const struct stream_sessions_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (m->ids_count > 1000)
        return -1;
    if (m->user_ids_count > 1000)
        return -1;
    if (m->source_ids_count > 1000)
        return -1;
    if (m->bytes_count > 1000)
        return -1;
    if (m->started_ms_count > 1000)
        return -1;
    if (m->active_ms_count > 1000)
        return -1;
    if (m->workers_count > 1000)
        return -1;
    for (uint32_t i = 0; i < m->workers_count; i++) {
        if (!s_str_valid(m->workers[i], 64 + 1))
            return -1;
    }
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 7);
    cm_mp_put_uint(&w, 1); /* ids */
    cm_mp_put_array(&w, m->ids_count);
    for (uint32_t i = 0; i < m->ids_count; i++)
        cm_mp_put_uint(&w, m->ids[i]);
    cm_mp_put_uint(&w, 2); /* user_ids */
    cm_mp_put_array(&w, m->user_ids_count);
    for (uint32_t i = 0; i < m->user_ids_count; i++)
        cm_mp_put_uint(&w, m->user_ids[i]);
    cm_mp_put_uint(&w, 3); /* source_ids */
    cm_mp_put_array(&w, m->source_ids_count);
    for (uint32_t i = 0; i < m->source_ids_count; i++)
        cm_mp_put_uint(&w, m->source_ids[i]);
    cm_mp_put_uint(&w, 4); /* bytes */
    cm_mp_put_array(&w, m->bytes_count);
    for (uint32_t i = 0; i < m->bytes_count; i++)
        cm_mp_put_uint(&w, m->bytes[i]);
    cm_mp_put_uint(&w, 5); /* started_ms */
    cm_mp_put_array(&w, m->started_ms_count);
    for (uint32_t i = 0; i < m->started_ms_count; i++)
        cm_mp_put_int(&w, m->started_ms[i]);
    cm_mp_put_uint(&w, 6); /* active_ms */
    cm_mp_put_array(&w, m->active_ms_count);
    for (uint32_t i = 0; i < m->active_ms_count; i++)
        cm_mp_put_int(&w, m->active_ms[i]);
    cm_mp_put_uint(&w, 7); /* workers */
    cm_mp_put_array(&w, m->workers_count);
    for (uint32_t i = 0; i < m->workers_count; i++)
        cm_mp_put_cstr(&w, m->workers[i]);
    return cm_mp_writer_status(&w);
}

int stream_sessions_ok_decode(struct stream_sessions_ok *m, const void *data, size_t size)
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
        case 1: /* ids */
            bit = 0x1;
            rc = s_get_array(&r, 1000, &m->ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->ids[j]);
            break;
        case 2: /* user_ids */
            bit = 0x2;
            rc = s_get_array(&r, 1000, &m->user_ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->user_ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->user_ids[j]);
            break;
        case 3: /* source_ids */
            bit = 0x4;
            rc = s_get_array(&r, 1000, &m->source_ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->source_ids[j]);
            break;
        case 4: /* bytes */
            bit = 0x8;
            rc = s_get_array(&r, 1000, &m->bytes_count);
            for (uint32_t j = 0; rc == 0 && j < m->bytes_count; j++)
                rc = cm_mp_read_uint(&r, &m->bytes[j]);
            break;
        case 5: /* started_ms */
            bit = 0x10;
            rc = s_get_array(&r, 1000, &m->started_ms_count);
            for (uint32_t j = 0; rc == 0 && j < m->started_ms_count; j++)
                rc = cm_mp_read_int(&r, &m->started_ms[j]);
            break;
        case 6: /* active_ms */
            bit = 0x20;
            rc = s_get_array(&r, 1000, &m->active_ms_count);
            for (uint32_t j = 0; rc == 0 && j < m->active_ms_count; j++)
                rc = cm_mp_read_int(&r, &m->active_ms[j]);
            break;
        case 7: /* workers */
            bit = 0x40;
            rc = s_get_array(&r, 1000, &m->workers_count);
            for (uint32_t j = 0; rc == 0 && j < m->workers_count; j++)
                rc = s_get_str(&r, m->workers[j], 64 + 1);
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

void stream_sessions_ok_print(const struct stream_sessions_ok *m, FILE *out)
{
    fputs("stream.SESSIONS_OK", out);
    fputs(" ids=[", out);
    for (uint32_t i = 0; i < m->ids_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->ids[i]);
    fputc(']', out);
    fputs(" user_ids=[", out);
    for (uint32_t i = 0; i < m->user_ids_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->user_ids[i]);
    fputc(']', out);
    fputs(" source_ids=[", out);
    for (uint32_t i = 0; i < m->source_ids_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->source_ids[i]);
    fputc(']', out);
    fputs(" bytes=[", out);
    for (uint32_t i = 0; i < m->bytes_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->bytes[i]);
    fputc(']', out);
    fputs(" started_ms=[", out);
    for (uint32_t i = 0; i < m->started_ms_count && i < 1000; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->started_ms[i]);
    fputc(']', out);
    fputs(" active_ms=[", out);
    for (uint32_t i = 0; i < m->active_ms_count && i < 1000; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->active_ms[i]);
    fputc(']', out);
    fputs(" workers=[", out);
    for (uint32_t i = 0; i < m->workers_count && i < 1000; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->workers[i], 64 + 1);
    }
    fputc(']', out);
    fputc('\n', out);
}

/* --- SESSION_END --- */

int stream_session_end_encode(const struct stream_session_end *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* user_id */
    cm_mp_put_uint(&w, m->user_id);
    cm_mp_put_uint(&w, 3); /* all */
    cm_mp_put_bool(&w, m->all);
    return cm_mp_writer_status(&w);
}

int stream_session_end_decode(struct stream_session_end *m, const void *data, size_t size)
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
        case 1: /* id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->id);
            break;
        case 2: /* user_id */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->user_id);
            break;
        case 3: /* all */
            bit = 0x4;
            rc = cm_mp_read_bool(&r, &m->all);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: id. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void stream_session_end_print(const struct stream_session_end *m, FILE *out)
{
    fputs("stream.SESSION_END", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fprintf(out, " user_id=%" PRIu64, m->user_id);
    fprintf(out, " all=%s", m->all ? "true" : "false");
    fputc('\n', out);
}

/* --- SESSION_END_OK --- */

int stream_session_end_ok_encode(const struct stream_session_end_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int stream_session_end_ok_decode(struct stream_session_end_ok *m, const void *data, size_t size)
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

void stream_session_end_ok_print(const struct stream_session_end_ok *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("stream.SESSION_END_OK\n", out);
}

/* --- WORKERS --- */

int stream_workers_encode(const struct stream_workers *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int stream_workers_decode(struct stream_workers *m, const void *data, size_t size)
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

void stream_workers_print(const struct stream_workers *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("stream.WORKERS\n", out);
}

/* --- WORKERS_OK --- */

int stream_workers_ok_encode(const struct stream_workers_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (m->ids_count > 256)
        return -1;
    for (uint32_t i = 0; i < m->ids_count; i++) {
        if (!s_str_valid(m->ids[i], 64 + 1))
            return -1;
    }
    if (m->torrents_count > 256)
        return -1;
    if (m->peers_count > 256)
        return -1;
    if (m->down_bps_count > 256)
        return -1;
    if (m->up_bps_count > 256)
        return -1;
    if (m->free_cache_bytes_count > 256)
        return -1;
    if (m->streams_count > 256)
        return -1;
    if (m->draining_count > 256)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 8);
    cm_mp_put_uint(&w, 1); /* ids */
    cm_mp_put_array(&w, m->ids_count);
    for (uint32_t i = 0; i < m->ids_count; i++)
        cm_mp_put_cstr(&w, m->ids[i]);
    cm_mp_put_uint(&w, 2); /* torrents */
    cm_mp_put_array(&w, m->torrents_count);
    for (uint32_t i = 0; i < m->torrents_count; i++)
        cm_mp_put_uint(&w, m->torrents[i]);
    cm_mp_put_uint(&w, 3); /* peers */
    cm_mp_put_array(&w, m->peers_count);
    for (uint32_t i = 0; i < m->peers_count; i++)
        cm_mp_put_uint(&w, m->peers[i]);
    cm_mp_put_uint(&w, 4); /* down_bps */
    cm_mp_put_array(&w, m->down_bps_count);
    for (uint32_t i = 0; i < m->down_bps_count; i++)
        cm_mp_put_uint(&w, m->down_bps[i]);
    cm_mp_put_uint(&w, 5); /* up_bps */
    cm_mp_put_array(&w, m->up_bps_count);
    for (uint32_t i = 0; i < m->up_bps_count; i++)
        cm_mp_put_uint(&w, m->up_bps[i]);
    cm_mp_put_uint(&w, 6); /* free_cache_bytes */
    cm_mp_put_array(&w, m->free_cache_bytes_count);
    for (uint32_t i = 0; i < m->free_cache_bytes_count; i++)
        cm_mp_put_uint(&w, m->free_cache_bytes[i]);
    cm_mp_put_uint(&w, 7); /* streams */
    cm_mp_put_array(&w, m->streams_count);
    for (uint32_t i = 0; i < m->streams_count; i++)
        cm_mp_put_uint(&w, m->streams[i]);
    cm_mp_put_uint(&w, 8); /* draining */
    cm_mp_put_array(&w, m->draining_count);
    for (uint32_t i = 0; i < m->draining_count; i++)
        cm_mp_put_bool(&w, m->draining[i]);
    return cm_mp_writer_status(&w);
}

int stream_workers_ok_decode(struct stream_workers_ok *m, const void *data, size_t size)
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
        case 1: /* ids */
            bit = 0x1;
            rc = s_get_array(&r, 256, &m->ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->ids_count; j++)
                rc = s_get_str(&r, m->ids[j], 64 + 1);
            break;
        case 2: /* torrents */
            bit = 0x2;
            rc = s_get_array(&r, 256, &m->torrents_count);
            for (uint32_t j = 0; rc == 0 && j < m->torrents_count; j++)
                rc = s_get_u32(&r, &m->torrents[j]);
            break;
        case 3: /* peers */
            bit = 0x4;
            rc = s_get_array(&r, 256, &m->peers_count);
            for (uint32_t j = 0; rc == 0 && j < m->peers_count; j++)
                rc = s_get_u32(&r, &m->peers[j]);
            break;
        case 4: /* down_bps */
            bit = 0x8;
            rc = s_get_array(&r, 256, &m->down_bps_count);
            for (uint32_t j = 0; rc == 0 && j < m->down_bps_count; j++)
                rc = cm_mp_read_uint(&r, &m->down_bps[j]);
            break;
        case 5: /* up_bps */
            bit = 0x10;
            rc = s_get_array(&r, 256, &m->up_bps_count);
            for (uint32_t j = 0; rc == 0 && j < m->up_bps_count; j++)
                rc = cm_mp_read_uint(&r, &m->up_bps[j]);
            break;
        case 6: /* free_cache_bytes */
            bit = 0x20;
            rc = s_get_array(&r, 256, &m->free_cache_bytes_count);
            for (uint32_t j = 0; rc == 0 && j < m->free_cache_bytes_count; j++)
                rc = cm_mp_read_uint(&r, &m->free_cache_bytes[j]);
            break;
        case 7: /* streams */
            bit = 0x40;
            rc = s_get_array(&r, 256, &m->streams_count);
            for (uint32_t j = 0; rc == 0 && j < m->streams_count; j++)
                rc = s_get_u32(&r, &m->streams[j]);
            break;
        case 8: /* draining */
            bit = 0x80;
            rc = s_get_array(&r, 256, &m->draining_count);
            for (uint32_t j = 0; rc == 0 && j < m->draining_count; j++)
                rc = cm_mp_read_bool(&r, &m->draining[j]);
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

void stream_workers_ok_print(const struct stream_workers_ok *m, FILE *out)
{
    fputs("stream.WORKERS_OK", out);
    fputs(" ids=[", out);
    for (uint32_t i = 0; i < m->ids_count && i < 256; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->ids[i], 64 + 1);
    }
    fputc(']', out);
    fputs(" torrents=[", out);
    for (uint32_t i = 0; i < m->torrents_count && i < 256; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->torrents[i]);
    fputc(']', out);
    fputs(" peers=[", out);
    for (uint32_t i = 0; i < m->peers_count && i < 256; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->peers[i]);
    fputc(']', out);
    fputs(" down_bps=[", out);
    for (uint32_t i = 0; i < m->down_bps_count && i < 256; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->down_bps[i]);
    fputc(']', out);
    fputs(" up_bps=[", out);
    for (uint32_t i = 0; i < m->up_bps_count && i < 256; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->up_bps[i]);
    fputc(']', out);
    fputs(" free_cache_bytes=[", out);
    for (uint32_t i = 0; i < m->free_cache_bytes_count && i < 256; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->free_cache_bytes[i]);
    fputc(']', out);
    fputs(" streams=[", out);
    for (uint32_t i = 0; i < m->streams_count && i < 256; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->streams[i]);
    fputc(']', out);
    fputs(" draining=[", out);
    for (uint32_t i = 0; i < m->draining_count && i < 256; i++)
        fprintf(out, "%s%s", i ? "," : "", m->draining[i] ? "true" : "false");
    fputc(']', out);
    fputc('\n', out);
}

/* --- METADATA --- */

int stream_metadata_encode(const struct stream_metadata *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (!s_str_valid(m->magnet, 65536 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 2); /* magnet */
    cm_mp_put_cstr(&w, m->magnet);
    cm_mp_put_uint(&w, 3); /* timeout_ms */
    cm_mp_put_uint(&w, m->timeout_ms);
    return cm_mp_writer_status(&w);
}

int stream_metadata_decode(struct stream_metadata *m, const void *data, size_t size)
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
        case 2: /* magnet */
            bit = 0x2;
            rc = s_get_str(&r, m->magnet, 65536 + 1);
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

void stream_metadata_print(const struct stream_metadata *m, FILE *out)
{
    fputs("stream.METADATA", out);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fputs(" magnet=", out);
    s_print_str(out, m->magnet, 65536 + 1);
    fprintf(out, " timeout_ms=%" PRIu32, m->timeout_ms);
    fputc('\n', out);
}

/* --- METADATA_OK --- */

int stream_metadata_ok_encode(const struct stream_metadata_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    if (!s_str_valid(m->worker, 64 + 1))
        return -1;
    if (!s_str_valid(m->name, 1024 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
    cm_mp_put_uint(&w, 1); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 2); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    cm_mp_put_uint(&w, 3); /* worker */
    cm_mp_put_cstr(&w, m->worker);
    cm_mp_put_uint(&w, 4); /* name */
    cm_mp_put_cstr(&w, m->name);
    cm_mp_put_uint(&w, 5); /* files */
    cm_mp_put_uint(&w, m->files);
    cm_mp_put_uint(&w, 6); /* total_bytes */
    cm_mp_put_uint(&w, m->total_bytes);
    return cm_mp_writer_status(&w);
}

int stream_metadata_ok_decode(struct stream_metadata_ok *m, const void *data, size_t size)
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
        case 3: /* worker */
            bit = 0x4;
            rc = s_get_str(&r, m->worker, 64 + 1);
            break;
        case 4: /* name */
            bit = 0x8;
            rc = s_get_str(&r, m->name, 1024 + 1);
            break;
        case 5: /* files */
            bit = 0x10;
            rc = s_get_u32(&r, &m->files);
            break;
        case 6: /* total_bytes */
            bit = 0x20;
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
    /* Required: info_hash, torrent. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void stream_metadata_ok_print(const struct stream_metadata_ok *m, FILE *out)
{
    fputs("stream.METADATA_OK", out);
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fputs(" worker=", out);
    s_print_str(out, m->worker, 64 + 1);
    fputs(" name=", out);
    s_print_str(out, m->name, 1024 + 1);
    fprintf(out, " files=%" PRIu32, m->files);
    fprintf(out, " total_bytes=%" PRIu64, m->total_bytes);
    fputc('\n', out);
}

/* --- SCRAPE --- */

int stream_scrape_encode(const struct stream_scrape *m, cm_buf_t *out)
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

int stream_scrape_decode(struct stream_scrape *m, const void *data, size_t size)
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

void stream_scrape_print(const struct stream_scrape *m, FILE *out)
{
    fputs("stream.SCRAPE", out);
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

int stream_scrape_ok_encode(const struct stream_scrape_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->worker, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
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
    cm_mp_put_uint(&w, 6); /* worker */
    cm_mp_put_cstr(&w, m->worker);
    return cm_mp_writer_status(&w);
}

int stream_scrape_ok_decode(struct stream_scrape_ok *m, const void *data, size_t size)
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
        case 6: /* worker */
            bit = 0x20;
            rc = s_get_str(&r, m->worker, 64 + 1);
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

void stream_scrape_ok_print(const struct stream_scrape_ok *m, FILE *out)
{
    fputs("stream.SCRAPE_OK", out);
    fprintf(out, " seeders=%" PRIu32, m->seeders);
    fprintf(out, " leechers=%" PRIu32, m->leechers);
    fprintf(out, " completed=%" PRIu32, m->completed);
    fprintf(out, " answered=%" PRIu32, m->answered);
    fprintf(out, " asked=%" PRIu32, m->asked);
    fputs(" worker=", out);
    s_print_str(out, m->worker, 64 + 1);
    fputc('\n', out);
}

/* --- SWARM_GATE --- */

int stream_swarm_gate_encode(const struct stream_swarm_gate *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->reason, 256 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* paused */
    cm_mp_put_bool(&w, m->paused);
    cm_mp_put_uint(&w, 2); /* reason */
    cm_mp_put_cstr(&w, m->reason);
    return cm_mp_writer_status(&w);
}

int stream_swarm_gate_decode(struct stream_swarm_gate *m, const void *data, size_t size)
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
        case 1: /* paused */
            bit = 0x1;
            rc = cm_mp_read_bool(&r, &m->paused);
            break;
        case 2: /* reason */
            bit = 0x2;
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
    return 0;
}

void stream_swarm_gate_print(const struct stream_swarm_gate *m, FILE *out)
{
    fputs("stream.SWARM_GATE", out);
    fprintf(out, " paused=%s", m->paused ? "true" : "false");
    fputs(" reason=", out);
    s_print_str(out, m->reason, 256 + 1);
    fputc('\n', out);
}

/* --- SWARM_GATE_OK --- */

int stream_swarm_gate_ok_encode(const struct stream_swarm_gate_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 1);
    cm_mp_put_uint(&w, 1); /* workers */
    cm_mp_put_uint(&w, m->workers);
    return cm_mp_writer_status(&w);
}

int stream_swarm_gate_ok_decode(struct stream_swarm_gate_ok *m, const void *data, size_t size)
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
        case 1: /* workers */
            bit = 0x1;
            rc = s_get_u32(&r, &m->workers);
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

void stream_swarm_gate_ok_print(const struct stream_swarm_gate_ok *m, FILE *out)
{
    fputs("stream.SWARM_GATE_OK", out);
    fprintf(out, " workers=%" PRIu32, m->workers);
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = STREAM_MSG_SESSIONS, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SESSIONS"},
    {.id = STREAM_MSG_SESSIONS_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "SESSIONS_OK"},
    {.id = STREAM_MSG_SESSION_END, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SESSION_END"},
    {.id = STREAM_MSG_SESSION_END_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "SESSION_END_OK"},
    {.id = STREAM_MSG_WORKERS, .kind = CM_MSG_REQUEST, .payload = 0, .name = "WORKERS"},
    {.id = STREAM_MSG_WORKERS_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "WORKERS_OK"},
    {.id = STREAM_MSG_METADATA, .kind = CM_MSG_REQUEST, .payload = 0, .name = "METADATA"},
    {.id = STREAM_MSG_METADATA_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "METADATA_OK"},
    {.id = STREAM_MSG_SCRAPE, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SCRAPE"},
    {.id = STREAM_MSG_SCRAPE_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "SCRAPE_OK"},
    {.id = STREAM_MSG_SWARM_GATE, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SWARM_GATE"},
    {.id = STREAM_MSG_SWARM_GATE_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "SWARM_GATE_OK"},
};

const struct cm_proto stream_proto = {
    .id = STREAM_PROTO,
    .version = STREAM_VERSION,
    .name = "stream",
    .nmsgs = CM_ARRAY_LEN(s_msgs),
    .msgs = s_msgs,
};

const char *stream_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&stream_proto, id);
    return msg ? msg->name : "?";
}

int stream_msg_decode(int id, void *m, const void *data, size_t size)
{
    switch (id) {
    case STREAM_MSG_SESSIONS:
        return stream_sessions_decode(m, data, size);
    case STREAM_MSG_SESSIONS_OK:
        return stream_sessions_ok_decode(m, data, size);
    case STREAM_MSG_SESSION_END:
        return stream_session_end_decode(m, data, size);
    case STREAM_MSG_SESSION_END_OK:
        return stream_session_end_ok_decode(m, data, size);
    case STREAM_MSG_WORKERS:
        return stream_workers_decode(m, data, size);
    case STREAM_MSG_WORKERS_OK:
        return stream_workers_ok_decode(m, data, size);
    case STREAM_MSG_METADATA:
        return stream_metadata_decode(m, data, size);
    case STREAM_MSG_METADATA_OK:
        return stream_metadata_ok_decode(m, data, size);
    case STREAM_MSG_SCRAPE:
        return stream_scrape_decode(m, data, size);
    case STREAM_MSG_SCRAPE_OK:
        return stream_scrape_ok_decode(m, data, size);
    case STREAM_MSG_SWARM_GATE:
        return stream_swarm_gate_decode(m, data, size);
    case STREAM_MSG_SWARM_GATE_OK:
        return stream_swarm_gate_ok_decode(m, data, size);
    default:
        return -1;
    }
}

int stream_msg_encode(int id, const void *m, cm_buf_t *out)
{
    switch (id) {
    case STREAM_MSG_SESSIONS:
        return stream_sessions_encode(m, out);
    case STREAM_MSG_SESSIONS_OK:
        return stream_sessions_ok_encode(m, out);
    case STREAM_MSG_SESSION_END:
        return stream_session_end_encode(m, out);
    case STREAM_MSG_SESSION_END_OK:
        return stream_session_end_ok_encode(m, out);
    case STREAM_MSG_WORKERS:
        return stream_workers_encode(m, out);
    case STREAM_MSG_WORKERS_OK:
        return stream_workers_ok_encode(m, out);
    case STREAM_MSG_METADATA:
        return stream_metadata_encode(m, out);
    case STREAM_MSG_METADATA_OK:
        return stream_metadata_ok_encode(m, out);
    case STREAM_MSG_SCRAPE:
        return stream_scrape_encode(m, out);
    case STREAM_MSG_SCRAPE_OK:
        return stream_scrape_ok_encode(m, out);
    case STREAM_MSG_SWARM_GATE:
        return stream_swarm_gate_encode(m, out);
    case STREAM_MSG_SWARM_GATE_OK:
        return stream_swarm_gate_ok_encode(m, out);
    default:
        return -1;
    }
}

void stream_msg_print(int id, const void *m, FILE *out)
{
    switch (id) {
    case STREAM_MSG_SESSIONS:
        stream_sessions_print(m, out);
        break;
    case STREAM_MSG_SESSIONS_OK:
        stream_sessions_ok_print(m, out);
        break;
    case STREAM_MSG_SESSION_END:
        stream_session_end_print(m, out);
        break;
    case STREAM_MSG_SESSION_END_OK:
        stream_session_end_ok_print(m, out);
        break;
    case STREAM_MSG_WORKERS:
        stream_workers_print(m, out);
        break;
    case STREAM_MSG_WORKERS_OK:
        stream_workers_ok_print(m, out);
        break;
    case STREAM_MSG_METADATA:
        stream_metadata_print(m, out);
        break;
    case STREAM_MSG_METADATA_OK:
        stream_metadata_ok_print(m, out);
        break;
    case STREAM_MSG_SCRAPE:
        stream_scrape_print(m, out);
        break;
    case STREAM_MSG_SCRAPE_OK:
        stream_scrape_ok_print(m, out);
        break;
    case STREAM_MSG_SWARM_GATE:
        stream_swarm_gate_print(m, out);
        break;
    case STREAM_MSG_SWARM_GATE_OK:
        stream_swarm_gate_ok_print(m, out);
        break;
    default:
        fprintf(out, "stream.? id=%d\n", id);
        break;
    }
}
