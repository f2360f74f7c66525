/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/torrent.toml
 * SPDX-License-Identifier: MIT
 * torrent: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it in
 * place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every field,
 * in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is deterministic.
 * Rules: proto/README.md. */
#include "cm.h"
#include "torrent_msg.h"

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

/* --- READY --- */

int torrent_ready_encode(const struct torrent_ready *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->worker_id, 64 + 1))
        return -1;
    if (!s_str_valid(m->version, 32 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* worker_id */
    cm_mp_put_cstr(&w, m->worker_id);
    cm_mp_put_uint(&w, 2); /* version */
    cm_mp_put_cstr(&w, m->version);
    cm_mp_put_uint(&w, 3); /* capacity */
    cm_mp_put_uint(&w, m->capacity);
    cm_mp_put_uint(&w, 4); /* free_cache_bytes */
    cm_mp_put_uint(&w, m->free_cache_bytes);
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
    fputc('\n', out);
}

/* --- HEARTBEAT --- */

int torrent_heartbeat_encode(const struct torrent_heartbeat *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
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
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = TORRENT_MSG_READY, .kind = CM_MSG_EVENT, .payload = 0, .name = "READY"},
    {.id = TORRENT_MSG_HEARTBEAT, .kind = CM_MSG_EVENT, .payload = 0, .name = "HEARTBEAT"},
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
    default:
        fprintf(out, "torrent.? id=%d\n", id);
        break;
    }
}
