/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/test.toml
 * SPDX-License-Identifier: MIT
 * test: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it in
 * place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every field,
 * in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is deterministic.
 * Rules: proto/README.md. */
#include "cm.h"
#include "test_msg.h"

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

/* Read one pair of a map<str,str>: a key and a value, each shorter than `cap`. */
static int s_get_pair(cm_mp_reader_t *r, char *key, char *value, size_t cap)
{
    if (s_get_str(r, key, cap) < 0 || s_get_str(r, value, cap) < 0)
        return -1;
    return 0;
}

/* -1 when two of the `n` pairs at `pairs`, `stride` bytes apart and each starting with its
 * NUL-terminated key, have the same key; else 0. Quadratic: a map's max is small. */
static int s_check_keys(const void *pairs, size_t stride, uint32_t n)
{
    const char *p = pairs;
    for (uint32_t i = 1; i < n; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(p + i * stride, p + j * stride) == 0)
                return -1;
        }
    }
    return 0;
}

/* Read the header of a map of at most `max` pairs. */
static int s_get_map(cm_mp_reader_t *r, uint32_t max, uint32_t *n)
{
    uint32_t count;
    if (cm_mp_read_map(r, &count) < 0 || count > max)
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

/* --- EMPTY --- */

int test_empty_encode(const struct test_empty *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int test_empty_decode(struct test_empty *m, const void *data, size_t size)
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

void test_empty_print(const struct test_empty *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("test.EMPTY\n", out);
}

/* --- SCALARS --- */

int test_scalars_encode(const struct test_scalars *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 9);
    cm_mp_put_uint(&w, 1); /* a_u8 */
    cm_mp_put_uint(&w, m->a_u8);
    cm_mp_put_uint(&w, 2); /* a_u16 */
    cm_mp_put_uint(&w, m->a_u16);
    cm_mp_put_uint(&w, 3); /* a_u32 */
    cm_mp_put_uint(&w, m->a_u32);
    cm_mp_put_uint(&w, 4); /* a_u64 */
    cm_mp_put_uint(&w, m->a_u64);
    cm_mp_put_uint(&w, 5); /* a_i64 */
    cm_mp_put_int(&w, m->a_i64);
    cm_mp_put_uint(&w, 6); /* small_i64 */
    cm_mp_put_int(&w, m->small_i64);
    cm_mp_put_uint(&w, 7); /* pos_i64 */
    cm_mp_put_int(&w, m->pos_i64);
    cm_mp_put_uint(&w, 8); /* yes */
    cm_mp_put_bool(&w, m->yes);
    cm_mp_put_uint(&w, 9); /* no */
    cm_mp_put_bool(&w, m->no);
    return cm_mp_writer_status(&w);
}

int test_scalars_decode(struct test_scalars *m, const void *data, size_t size)
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
        case 1: /* a_u8 */
            bit = 0x1;
            rc = s_get_u8(&r, &m->a_u8);
            break;
        case 2: /* a_u16 */
            bit = 0x2;
            rc = s_get_u16(&r, &m->a_u16);
            break;
        case 3: /* a_u32 */
            bit = 0x4;
            rc = s_get_u32(&r, &m->a_u32);
            break;
        case 4: /* a_u64 */
            bit = 0x8;
            rc = cm_mp_read_uint(&r, &m->a_u64);
            break;
        case 5: /* a_i64 */
            bit = 0x10;
            rc = cm_mp_read_int(&r, &m->a_i64);
            break;
        case 6: /* small_i64 */
            bit = 0x20;
            rc = cm_mp_read_int(&r, &m->small_i64);
            break;
        case 7: /* pos_i64 */
            bit = 0x40;
            rc = cm_mp_read_int(&r, &m->pos_i64);
            break;
        case 8: /* yes */
            bit = 0x80;
            rc = cm_mp_read_bool(&r, &m->yes);
            break;
        case 9: /* no */
            bit = 0x100;
            rc = cm_mp_read_bool(&r, &m->no);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: a_u8. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void test_scalars_print(const struct test_scalars *m, FILE *out)
{
    fputs("test.SCALARS", out);
    fprintf(out, " a_u8=%u", (unsigned)m->a_u8);
    fprintf(out, " a_u16=%u", (unsigned)m->a_u16);
    fprintf(out, " a_u32=%" PRIu32, m->a_u32);
    fprintf(out, " a_u64=%" PRIu64, m->a_u64);
    fprintf(out, " a_i64=%" PRId64, m->a_i64);
    fprintf(out, " small_i64=%" PRId64, m->small_i64);
    fprintf(out, " pos_i64=%" PRId64, m->pos_i64);
    fprintf(out, " yes=%s", m->yes ? "true" : "false");
    fprintf(out, " no=%s", m->no ? "true" : "false");
    fputc('\n', out);
}

/* --- BLOBS --- */

int test_blobs_encode(const struct test_blobs *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->name, 40 + 1))
        return -1;
    if (!s_str_valid(m->long_text, 300 + 1))
        return -1;
    if (!s_str_valid(m->empty, 8 + 1))
        return -1;
    if (!s_bin_valid(&m->blob, 64))
        return -1;
    if (!s_bin_valid(&m->nothing, 4))
        return -1;
    if (!s_str_valid(m->medium, 100 + 1))
        return -1;
    if (!s_bin_valid(&m->big_blob, 1000))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 7);
    cm_mp_put_uint(&w, 1); /* name */
    cm_mp_put_cstr(&w, m->name);
    cm_mp_put_uint(&w, 3); /* long_text */
    cm_mp_put_cstr(&w, m->long_text);
    cm_mp_put_uint(&w, 4); /* empty */
    cm_mp_put_cstr(&w, m->empty);
    cm_mp_put_uint(&w, 5); /* blob */
    cm_mp_put_bin(&w, m->blob.data, m->blob.len);
    cm_mp_put_uint(&w, 6); /* nothing */
    cm_mp_put_bin(&w, m->nothing.data, m->nothing.len);
    cm_mp_put_uint(&w, 7); /* medium */
    cm_mp_put_cstr(&w, m->medium);
    cm_mp_put_uint(&w, 8); /* big_blob */
    cm_mp_put_bin(&w, m->big_blob.data, m->big_blob.len);
    return cm_mp_writer_status(&w);
}

int test_blobs_decode(struct test_blobs *m, const void *data, size_t size)
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
        case 1: /* name */
            bit = 0x1;
            rc = s_get_str(&r, m->name, 40 + 1);
            break;
        case 3: /* long_text */
            bit = 0x2;
            rc = s_get_str(&r, m->long_text, 300 + 1);
            break;
        case 4: /* empty */
            bit = 0x4;
            rc = s_get_str(&r, m->empty, 8 + 1);
            break;
        case 5: /* blob */
            bit = 0x8;
            rc = s_get_bin(&r, &m->blob, 64);
            break;
        case 6: /* nothing */
            bit = 0x10;
            rc = s_get_bin(&r, &m->nothing, 4);
            break;
        case 7: /* medium */
            bit = 0x20;
            rc = s_get_str(&r, m->medium, 100 + 1);
            break;
        case 8: /* big_blob */
            bit = 0x40;
            rc = s_get_bin(&r, &m->big_blob, 1000);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: name, blob. */
    if ((seen & 0x9) != 0x9)
        return -1;
    return 0;
}

void test_blobs_print(const struct test_blobs *m, FILE *out)
{
    fputs("test.BLOBS", out);
    fputs(" name=", out);
    s_print_str(out, m->name, 40 + 1);
    fputs(" long_text=", out);
    s_print_str(out, m->long_text, 300 + 1);
    fputs(" empty=", out);
    s_print_str(out, m->empty, 8 + 1);
    fprintf(out, " blob=<%zu bytes>", m->blob.len);
    fprintf(out, " nothing=<%zu bytes>", m->nothing.len);
    fputs(" medium=", out);
    s_print_str(out, m->medium, 100 + 1);
    fprintf(out, " big_blob=<%zu bytes>", m->big_blob.len);
    fputc('\n', out);
}

/* --- LISTS --- */

int test_lists_encode(const struct test_lists *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (m->bytes_count > 4)
        return -1;
    if (m->ports_count > 8)
        return -1;
    if (m->ids_count > 4)
        return -1;
    if (m->sizes_count > 4)
        return -1;
    if (m->deltas_count > 4)
        return -1;
    if (m->flags_count > 4)
        return -1;
    if (m->names_count > 3)
        return -1;
    for (uint32_t i = 0; i < m->names_count; i++) {
        if (!s_str_valid(m->names[i], 16 + 1))
            return -1;
    }
    if (m->chunks_count > 3)
        return -1;
    for (uint32_t i = 0; i < m->chunks_count; i++) {
        if (!s_bin_valid(&m->chunks[i], 8))
            return -1;
    }
    if (m->labels_count > 4)
        return -1;
    for (uint32_t i = 0; i < m->labels_count; i++) {
        if (!s_str_valid(m->labels[i].key, 12 + 1))
            return -1;
        if (!s_str_valid(m->labels[i].value, 12 + 1))
            return -1;
    }
    if (s_check_keys(m->labels, sizeof(m->labels[0]), m->labels_count) < 0)
        return -1;
    if (m->none_count > 2)
        return -1;
    if (m->many_count > 40)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 11);
    cm_mp_put_uint(&w, 1); /* bytes */
    cm_mp_put_array(&w, m->bytes_count);
    for (uint32_t i = 0; i < m->bytes_count; i++)
        cm_mp_put_uint(&w, m->bytes[i]);
    cm_mp_put_uint(&w, 2); /* ports */
    cm_mp_put_array(&w, m->ports_count);
    for (uint32_t i = 0; i < m->ports_count; i++)
        cm_mp_put_uint(&w, m->ports[i]);
    cm_mp_put_uint(&w, 3); /* ids */
    cm_mp_put_array(&w, m->ids_count);
    for (uint32_t i = 0; i < m->ids_count; i++)
        cm_mp_put_uint(&w, m->ids[i]);
    cm_mp_put_uint(&w, 4); /* sizes */
    cm_mp_put_array(&w, m->sizes_count);
    for (uint32_t i = 0; i < m->sizes_count; i++)
        cm_mp_put_uint(&w, m->sizes[i]);
    cm_mp_put_uint(&w, 5); /* deltas */
    cm_mp_put_array(&w, m->deltas_count);
    for (uint32_t i = 0; i < m->deltas_count; i++)
        cm_mp_put_int(&w, m->deltas[i]);
    cm_mp_put_uint(&w, 6); /* flags */
    cm_mp_put_array(&w, m->flags_count);
    for (uint32_t i = 0; i < m->flags_count; i++)
        cm_mp_put_bool(&w, m->flags[i]);
    cm_mp_put_uint(&w, 7); /* names */
    cm_mp_put_array(&w, m->names_count);
    for (uint32_t i = 0; i < m->names_count; i++)
        cm_mp_put_cstr(&w, m->names[i]);
    cm_mp_put_uint(&w, 8); /* chunks */
    cm_mp_put_array(&w, m->chunks_count);
    for (uint32_t i = 0; i < m->chunks_count; i++)
        cm_mp_put_bin(&w, m->chunks[i].data, m->chunks[i].len);
    cm_mp_put_uint(&w, 9); /* labels */
    cm_mp_put_map(&w, m->labels_count);
    for (uint32_t i = 0; i < m->labels_count; i++) {
        cm_mp_put_cstr(&w, m->labels[i].key);
        cm_mp_put_cstr(&w, m->labels[i].value);
    }
    cm_mp_put_uint(&w, 10); /* none */
    cm_mp_put_array(&w, m->none_count);
    for (uint32_t i = 0; i < m->none_count; i++)
        cm_mp_put_uint(&w, m->none[i]);
    cm_mp_put_uint(&w, 11); /* many */
    cm_mp_put_array(&w, m->many_count);
    for (uint32_t i = 0; i < m->many_count; i++)
        cm_mp_put_uint(&w, m->many[i]);
    return cm_mp_writer_status(&w);
}

int test_lists_decode(struct test_lists *m, const void *data, size_t size)
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
            rc = s_get_array(&r, 4, &m->bytes_count);
            for (uint32_t j = 0; rc == 0 && j < m->bytes_count; j++)
                rc = s_get_u8(&r, &m->bytes[j]);
            break;
        case 2: /* ports */
            bit = 0x2;
            rc = s_get_array(&r, 8, &m->ports_count);
            for (uint32_t j = 0; rc == 0 && j < m->ports_count; j++)
                rc = s_get_u16(&r, &m->ports[j]);
            break;
        case 3: /* ids */
            bit = 0x4;
            rc = s_get_array(&r, 4, &m->ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->ids_count; j++)
                rc = s_get_u32(&r, &m->ids[j]);
            break;
        case 4: /* sizes */
            bit = 0x8;
            rc = s_get_array(&r, 4, &m->sizes_count);
            for (uint32_t j = 0; rc == 0 && j < m->sizes_count; j++)
                rc = cm_mp_read_uint(&r, &m->sizes[j]);
            break;
        case 5: /* deltas */
            bit = 0x10;
            rc = s_get_array(&r, 4, &m->deltas_count);
            for (uint32_t j = 0; rc == 0 && j < m->deltas_count; j++)
                rc = cm_mp_read_int(&r, &m->deltas[j]);
            break;
        case 6: /* flags */
            bit = 0x20;
            rc = s_get_array(&r, 4, &m->flags_count);
            for (uint32_t j = 0; rc == 0 && j < m->flags_count; j++)
                rc = cm_mp_read_bool(&r, &m->flags[j]);
            break;
        case 7: /* names */
            bit = 0x40;
            rc = s_get_array(&r, 3, &m->names_count);
            for (uint32_t j = 0; rc == 0 && j < m->names_count; j++)
                rc = s_get_str(&r, m->names[j], 16 + 1);
            break;
        case 8: /* chunks */
            bit = 0x80;
            rc = s_get_array(&r, 3, &m->chunks_count);
            for (uint32_t j = 0; rc == 0 && j < m->chunks_count; j++)
                rc = s_get_bin(&r, &m->chunks[j], 8);
            break;
        case 9: /* labels */
            bit = 0x100;
            rc = s_get_map(&r, 4, &m->labels_count);
            for (uint32_t j = 0; rc == 0 && j < m->labels_count; j++)
                rc = s_get_pair(&r, m->labels[j].key, m->labels[j].value, 12 + 1);
            if (rc == 0) /* a key given twice is malformed */
                rc = s_check_keys(m->labels, sizeof(m->labels[0]), m->labels_count);
            break;
        case 10: /* none */
            bit = 0x200;
            rc = s_get_array(&r, 2, &m->none_count);
            for (uint32_t j = 0; rc == 0 && j < m->none_count; j++)
                rc = s_get_u32(&r, &m->none[j]);
            break;
        case 11: /* many */
            bit = 0x400;
            rc = s_get_array(&r, 40, &m->many_count);
            for (uint32_t j = 0; rc == 0 && j < m->many_count; j++)
                rc = s_get_u8(&r, &m->many[j]);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: names. */
    if ((seen & 0x40) != 0x40)
        return -1;
    return 0;
}

void test_lists_print(const struct test_lists *m, FILE *out)
{
    fputs("test.LISTS", out);
    fputs(" bytes=[", out);
    for (uint32_t i = 0; i < m->bytes_count && i < 4; i++)
        fprintf(out, "%s%u", i ? "," : "", (unsigned)m->bytes[i]);
    fputc(']', out);
    fputs(" ports=[", out);
    for (uint32_t i = 0; i < m->ports_count && i < 8; i++)
        fprintf(out, "%s%u", i ? "," : "", (unsigned)m->ports[i]);
    fputc(']', out);
    fputs(" ids=[", out);
    for (uint32_t i = 0; i < m->ids_count && i < 4; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->ids[i]);
    fputc(']', out);
    fputs(" sizes=[", out);
    for (uint32_t i = 0; i < m->sizes_count && i < 4; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->sizes[i]);
    fputc(']', out);
    fputs(" deltas=[", out);
    for (uint32_t i = 0; i < m->deltas_count && i < 4; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->deltas[i]);
    fputc(']', out);
    fputs(" flags=[", out);
    for (uint32_t i = 0; i < m->flags_count && i < 4; i++)
        fprintf(out, "%s%s", i ? "," : "", m->flags[i] ? "true" : "false");
    fputc(']', out);
    fputs(" names=[", out);
    for (uint32_t i = 0; i < m->names_count && i < 3; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->names[i], 16 + 1);
    }
    fputc(']', out);
    fputs(" chunks=[", out);
    for (uint32_t i = 0; i < m->chunks_count && i < 3; i++)
        fprintf(out, "%s<%zu bytes>", i ? "," : "", m->chunks[i].len);
    fputc(']', out);
    fputs(" labels={", out);
    for (uint32_t i = 0; i < m->labels_count && i < 4; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->labels[i].key, 12 + 1);
        fputc(':', out);
        s_print_str(out, m->labels[i].value, 12 + 1);
    }
    fputc('}', out);
    fputs(" none=[", out);
    for (uint32_t i = 0; i < m->none_count && i < 2; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->none[i]);
    fputc(']', out);
    fputs(" many=[", out);
    for (uint32_t i = 0; i < m->many_count && i < 40; i++)
        fprintf(out, "%s%u", i ? "," : "", (unsigned)m->many[i]);
    fputc(']', out);
    fputc('\n', out);
}

/* --- WIDE --- */

int test_wide_encode(const struct test_wide *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 17);
    cm_mp_put_uint(&w, 1); /* f1 */
    cm_mp_put_uint(&w, m->f1);
    cm_mp_put_uint(&w, 2); /* f2 */
    cm_mp_put_uint(&w, m->f2);
    cm_mp_put_uint(&w, 3); /* f3 */
    cm_mp_put_uint(&w, m->f3);
    cm_mp_put_uint(&w, 4); /* f4 */
    cm_mp_put_uint(&w, m->f4);
    cm_mp_put_uint(&w, 5); /* f5 */
    cm_mp_put_uint(&w, m->f5);
    cm_mp_put_uint(&w, 6); /* f6 */
    cm_mp_put_uint(&w, m->f6);
    cm_mp_put_uint(&w, 7); /* f7 */
    cm_mp_put_uint(&w, m->f7);
    cm_mp_put_uint(&w, 8); /* f8 */
    cm_mp_put_uint(&w, m->f8);
    cm_mp_put_uint(&w, 9); /* f9 */
    cm_mp_put_uint(&w, m->f9);
    cm_mp_put_uint(&w, 10); /* f10 */
    cm_mp_put_uint(&w, m->f10);
    cm_mp_put_uint(&w, 11); /* f11 */
    cm_mp_put_uint(&w, m->f11);
    cm_mp_put_uint(&w, 12); /* f12 */
    cm_mp_put_uint(&w, m->f12);
    cm_mp_put_uint(&w, 13); /* f13 */
    cm_mp_put_uint(&w, m->f13);
    cm_mp_put_uint(&w, 14); /* f14 */
    cm_mp_put_uint(&w, m->f14);
    cm_mp_put_uint(&w, 15); /* f15 */
    cm_mp_put_uint(&w, m->f15);
    cm_mp_put_uint(&w, 16); /* f16 */
    cm_mp_put_uint(&w, m->f16);
    cm_mp_put_uint(&w, 17); /* f17 */
    cm_mp_put_uint(&w, m->f17);
    return cm_mp_writer_status(&w);
}

int test_wide_decode(struct test_wide *m, const void *data, size_t size)
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
        case 1: /* f1 */
            bit = 0x1;
            rc = s_get_u8(&r, &m->f1);
            break;
        case 2: /* f2 */
            bit = 0x2;
            rc = s_get_u8(&r, &m->f2);
            break;
        case 3: /* f3 */
            bit = 0x4;
            rc = s_get_u8(&r, &m->f3);
            break;
        case 4: /* f4 */
            bit = 0x8;
            rc = s_get_u8(&r, &m->f4);
            break;
        case 5: /* f5 */
            bit = 0x10;
            rc = s_get_u8(&r, &m->f5);
            break;
        case 6: /* f6 */
            bit = 0x20;
            rc = s_get_u8(&r, &m->f6);
            break;
        case 7: /* f7 */
            bit = 0x40;
            rc = s_get_u8(&r, &m->f7);
            break;
        case 8: /* f8 */
            bit = 0x80;
            rc = s_get_u8(&r, &m->f8);
            break;
        case 9: /* f9 */
            bit = 0x100;
            rc = s_get_u8(&r, &m->f9);
            break;
        case 10: /* f10 */
            bit = 0x200;
            rc = s_get_u8(&r, &m->f10);
            break;
        case 11: /* f11 */
            bit = 0x400;
            rc = s_get_u8(&r, &m->f11);
            break;
        case 12: /* f12 */
            bit = 0x800;
            rc = s_get_u8(&r, &m->f12);
            break;
        case 13: /* f13 */
            bit = 0x1000;
            rc = s_get_u8(&r, &m->f13);
            break;
        case 14: /* f14 */
            bit = 0x2000;
            rc = s_get_u8(&r, &m->f14);
            break;
        case 15: /* f15 */
            bit = 0x4000;
            rc = s_get_u8(&r, &m->f15);
            break;
        case 16: /* f16 */
            bit = 0x8000;
            rc = s_get_u8(&r, &m->f16);
            break;
        case 17: /* f17 */
            bit = 0x10000;
            rc = s_get_u8(&r, &m->f17);
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

void test_wide_print(const struct test_wide *m, FILE *out)
{
    fputs("test.WIDE", out);
    fprintf(out, " f1=%u", (unsigned)m->f1);
    fprintf(out, " f2=%u", (unsigned)m->f2);
    fprintf(out, " f3=%u", (unsigned)m->f3);
    fprintf(out, " f4=%u", (unsigned)m->f4);
    fprintf(out, " f5=%u", (unsigned)m->f5);
    fprintf(out, " f6=%u", (unsigned)m->f6);
    fprintf(out, " f7=%u", (unsigned)m->f7);
    fprintf(out, " f8=%u", (unsigned)m->f8);
    fprintf(out, " f9=%u", (unsigned)m->f9);
    fprintf(out, " f10=%u", (unsigned)m->f10);
    fprintf(out, " f11=%u", (unsigned)m->f11);
    fprintf(out, " f12=%u", (unsigned)m->f12);
    fprintf(out, " f13=%u", (unsigned)m->f13);
    fprintf(out, " f14=%u", (unsigned)m->f14);
    fprintf(out, " f15=%u", (unsigned)m->f15);
    fprintf(out, " f16=%u", (unsigned)m->f16);
    fprintf(out, " f17=%u", (unsigned)m->f17);
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = TEST_MSG_EMPTY, .kind = CM_MSG_REQUEST, .payload = 0, .name = "EMPTY"},
    {.id = TEST_MSG_SCALARS, .kind = CM_MSG_REPLY, .payload = 0, .name = "SCALARS"},
    {.id = TEST_MSG_BLOBS, .kind = CM_MSG_EVENT, .payload = 1, .name = "BLOBS"},
    {.id = TEST_MSG_LISTS, .kind = CM_MSG_EVENT, .payload = 0, .name = "LISTS"},
    {.id = TEST_MSG_WIDE, .kind = CM_MSG_EVENT, .payload = 0, .name = "WIDE"},
};

const struct cm_proto test_proto = {
    .id = TEST_PROTO,
    .version = TEST_VERSION,
    .name = "test",
    .nmsgs = CM_ARRAY_LEN(s_msgs),
    .msgs = s_msgs,
};

const char *test_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&test_proto, id);
    return msg ? msg->name : "?";
}

int test_msg_decode(int id, void *m, const void *data, size_t size)
{
    switch (id) {
    case TEST_MSG_EMPTY:
        return test_empty_decode(m, data, size);
    case TEST_MSG_SCALARS:
        return test_scalars_decode(m, data, size);
    case TEST_MSG_BLOBS:
        return test_blobs_decode(m, data, size);
    case TEST_MSG_LISTS:
        return test_lists_decode(m, data, size);
    case TEST_MSG_WIDE:
        return test_wide_decode(m, data, size);
    default:
        return -1;
    }
}

int test_msg_encode(int id, const void *m, cm_buf_t *out)
{
    switch (id) {
    case TEST_MSG_EMPTY:
        return test_empty_encode(m, out);
    case TEST_MSG_SCALARS:
        return test_scalars_encode(m, out);
    case TEST_MSG_BLOBS:
        return test_blobs_encode(m, out);
    case TEST_MSG_LISTS:
        return test_lists_encode(m, out);
    case TEST_MSG_WIDE:
        return test_wide_encode(m, out);
    default:
        return -1;
    }
}

void test_msg_print(int id, const void *m, FILE *out)
{
    switch (id) {
    case TEST_MSG_EMPTY:
        test_empty_print(m, out);
        break;
    case TEST_MSG_SCALARS:
        test_scalars_print(m, out);
        break;
    case TEST_MSG_BLOBS:
        test_blobs_print(m, out);
        break;
    case TEST_MSG_LISTS:
        test_lists_print(m, out);
        break;
    case TEST_MSG_WIDE:
        test_wide_print(m, out);
        break;
    default:
        fprintf(out, "test.? id=%d\n", id);
        break;
    }
}
