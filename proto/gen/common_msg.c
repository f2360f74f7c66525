/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/common.toml
 * SPDX-License-Identifier: MIT
 * common: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it in
 * place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every field,
 * in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is deterministic.
 * Rules: proto/README.md. */
#include "cm.h"
#include "common_msg.h"

/* --- Helpers --- */

/* Read an unsigned integer that fits a uint8_t. */
static int s_get_u8(cm_mp_reader_t *r, uint8_t *v)
{
    uint64_t u;
    if (cm_mp_read_uint(r, &u) < 0 || u > UINT8_MAX)
        return -1;
    *v = (uint8_t)u;
    return 0;
}

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

/* --- PING --- */

int common_ping_encode(const struct common_ping *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int common_ping_decode(struct common_ping *m, const void *data, size_t size)
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

void common_ping_print(const struct common_ping *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("common.PING\n", out);
}

/* --- PONG --- */

int common_pong_encode(const struct common_pong *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int common_pong_decode(struct common_pong *m, const void *data, size_t size)
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

void common_pong_print(const struct common_pong *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("common.PONG\n", out);
}

/* --- ERROR --- */

int common_error_encode(const struct common_error *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->reason, 256 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* status */
    cm_mp_put_uint(&w, m->status);
    cm_mp_put_uint(&w, 2); /* reason */
    cm_mp_put_cstr(&w, m->reason);
    return cm_mp_writer_status(&w);
}

int common_error_decode(struct common_error *m, const void *data, size_t size)
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
        case 1: /* status */
            bit = 0x1;
            rc = s_get_u16(&r, &m->status);
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
    /* Required: status. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void common_error_print(const struct common_error *m, FILE *out)
{
    fputs("common.ERROR", out);
    fprintf(out, " status=%u", (unsigned)m->status);
    fputs(" reason=", out);
    s_print_str(out, m->reason, 256 + 1);
    fputc('\n', out);
}

/* --- CREDIT --- */

int common_credit_encode(const struct common_credit *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 1);
    cm_mp_put_uint(&w, 1); /* bytes */
    cm_mp_put_uint(&w, m->bytes);
    return cm_mp_writer_status(&w);
}

int common_credit_decode(struct common_credit *m, const void *data, size_t size)
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
        case 1: /* bytes */
            bit = 0x1;
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
    /* Required: bytes. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void common_credit_print(const struct common_credit *m, FILE *out)
{
    fputs("common.CREDIT", out);
    fprintf(out, " bytes=%" PRIu64, m->bytes);
    fputc('\n', out);
}

/* --- HEALTH --- */

int common_health_encode(const struct common_health *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int common_health_decode(struct common_health *m, const void *data, size_t size)
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

void common_health_print(const struct common_health *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("common.HEALTH\n", out);
}

/* --- HEALTH_OK --- */

int common_health_ok_encode(const struct common_health_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->service, 32 + 1))
        return -1;
    if (!s_str_valid(m->version, 32 + 1))
        return -1;
    if (!s_str_valid(m->detail, 256 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 8);
    cm_mp_put_uint(&w, 1); /* service */
    cm_mp_put_cstr(&w, m->service);
    cm_mp_put_uint(&w, 2); /* version */
    cm_mp_put_cstr(&w, m->version);
    cm_mp_put_uint(&w, 3); /* pid */
    cm_mp_put_uint(&w, m->pid);
    cm_mp_put_uint(&w, 4); /* uptime_ms */
    cm_mp_put_uint(&w, m->uptime_ms);
    cm_mp_put_uint(&w, 5); /* db */
    cm_mp_put_uint(&w, m->db);
    cm_mp_put_uint(&w, 6); /* db_us */
    cm_mp_put_uint(&w, m->db_us);
    cm_mp_put_uint(&w, 7); /* workers */
    cm_mp_put_uint(&w, m->workers);
    cm_mp_put_uint(&w, 8); /* detail */
    cm_mp_put_cstr(&w, m->detail);
    return cm_mp_writer_status(&w);
}

int common_health_ok_decode(struct common_health_ok *m, const void *data, size_t size)
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
        case 1: /* service */
            bit = 0x1;
            rc = s_get_str(&r, m->service, 32 + 1);
            break;
        case 2: /* version */
            bit = 0x2;
            rc = s_get_str(&r, m->version, 32 + 1);
            break;
        case 3: /* pid */
            bit = 0x4;
            rc = s_get_u32(&r, &m->pid);
            break;
        case 4: /* uptime_ms */
            bit = 0x8;
            rc = cm_mp_read_uint(&r, &m->uptime_ms);
            break;
        case 5: /* db */
            bit = 0x10;
            rc = s_get_u8(&r, &m->db);
            break;
        case 6: /* db_us */
            bit = 0x20;
            rc = s_get_u32(&r, &m->db_us);
            break;
        case 7: /* workers */
            bit = 0x40;
            rc = s_get_u32(&r, &m->workers);
            break;
        case 8: /* detail */
            bit = 0x80;
            rc = s_get_str(&r, m->detail, 256 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: service, version. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void common_health_ok_print(const struct common_health_ok *m, FILE *out)
{
    fputs("common.HEALTH_OK", out);
    fputs(" service=", out);
    s_print_str(out, m->service, 32 + 1);
    fputs(" version=", out);
    s_print_str(out, m->version, 32 + 1);
    fprintf(out, " pid=%" PRIu32, m->pid);
    fprintf(out, " uptime_ms=%" PRIu64, m->uptime_ms);
    fprintf(out, " db=%u", (unsigned)m->db);
    fprintf(out, " db_us=%" PRIu32, m->db_us);
    fprintf(out, " workers=%" PRIu32, m->workers);
    fputs(" detail=", out);
    s_print_str(out, m->detail, 256 + 1);
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = COMMON_MSG_PING, .kind = CM_MSG_REQUEST, .payload = 0, .name = "PING"},
    {.id = COMMON_MSG_PONG, .kind = CM_MSG_REPLY, .payload = 0, .name = "PONG"},
    {.id = COMMON_MSG_ERROR, .kind = CM_MSG_REPLY, .payload = 0, .name = "ERROR"},
    {.id = COMMON_MSG_CREDIT, .kind = CM_MSG_EVENT, .payload = 0, .name = "CREDIT"},
    {.id = COMMON_MSG_HEALTH, .kind = CM_MSG_REQUEST, .payload = 0, .name = "HEALTH"},
    {.id = COMMON_MSG_HEALTH_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "HEALTH_OK"},
};

const struct cm_proto common_proto = {
    .id = COMMON_PROTO,
    .version = COMMON_VERSION,
    .name = "common",
    .nmsgs = CM_ARRAY_LEN(s_msgs),
    .msgs = s_msgs,
};

const char *common_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&common_proto, id);
    return msg ? msg->name : "?";
}

int common_msg_decode(int id, void *m, const void *data, size_t size)
{
    switch (id) {
    case COMMON_MSG_PING:
        return common_ping_decode(m, data, size);
    case COMMON_MSG_PONG:
        return common_pong_decode(m, data, size);
    case COMMON_MSG_ERROR:
        return common_error_decode(m, data, size);
    case COMMON_MSG_CREDIT:
        return common_credit_decode(m, data, size);
    case COMMON_MSG_HEALTH:
        return common_health_decode(m, data, size);
    case COMMON_MSG_HEALTH_OK:
        return common_health_ok_decode(m, data, size);
    default:
        return -1;
    }
}

int common_msg_encode(int id, const void *m, cm_buf_t *out)
{
    switch (id) {
    case COMMON_MSG_PING:
        return common_ping_encode(m, out);
    case COMMON_MSG_PONG:
        return common_pong_encode(m, out);
    case COMMON_MSG_ERROR:
        return common_error_encode(m, out);
    case COMMON_MSG_CREDIT:
        return common_credit_encode(m, out);
    case COMMON_MSG_HEALTH:
        return common_health_encode(m, out);
    case COMMON_MSG_HEALTH_OK:
        return common_health_ok_encode(m, out);
    default:
        return -1;
    }
}

void common_msg_print(int id, const void *m, FILE *out)
{
    switch (id) {
    case COMMON_MSG_PING:
        common_ping_print(m, out);
        break;
    case COMMON_MSG_PONG:
        common_pong_print(m, out);
        break;
    case COMMON_MSG_ERROR:
        common_error_print(m, out);
        break;
    case COMMON_MSG_CREDIT:
        common_credit_print(m, out);
        break;
    case COMMON_MSG_HEALTH:
        common_health_print(m, out);
        break;
    case COMMON_MSG_HEALTH_OK:
        common_health_ok_print(m, out);
        break;
    default:
        fprintf(out, "common.? id=%d\n", id);
        break;
    }
}
