/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/discovery.toml
 * SPDX-License-Identifier: MIT
 * discovery: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it
 * in place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every
 * field, in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is
 * deterministic. Rules: proto/README.md. */
#include "cm.h"
#include "discovery_msg.h"

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

/* --- MOVIE_CREATE --- */

int discovery_movie_create_encode(const struct discovery_movie_create *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->imdb_id, 16 + 1))
        return -1;
    if (!s_str_valid(m->title, 512 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* imdb_id */
    cm_mp_put_cstr(&w, m->imdb_id);
    cm_mp_put_uint(&w, 2); /* title */
    cm_mp_put_cstr(&w, m->title);
    cm_mp_put_uint(&w, 3); /* year */
    cm_mp_put_uint(&w, m->year);
    cm_mp_put_uint(&w, 4); /* wait_ms */
    cm_mp_put_uint(&w, m->wait_ms);
    return cm_mp_writer_status(&w);
}

int discovery_movie_create_decode(struct discovery_movie_create *m, const void *data, size_t size)
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
        case 1: /* imdb_id */
            bit = 0x1;
            rc = s_get_str(&r, m->imdb_id, 16 + 1);
            break;
        case 2: /* title */
            bit = 0x2;
            rc = s_get_str(&r, m->title, 512 + 1);
            break;
        case 3: /* year */
            bit = 0x4;
            rc = s_get_u16(&r, &m->year);
            break;
        case 4: /* wait_ms */
            bit = 0x8;
            rc = s_get_u32(&r, &m->wait_ms);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: imdb_id. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void discovery_movie_create_print(const struct discovery_movie_create *m, FILE *out)
{
    fputs("discovery.MOVIE_CREATE", out);
    fputs(" imdb_id=", out);
    s_print_str(out, m->imdb_id, 16 + 1);
    fputs(" title=", out);
    s_print_str(out, m->title, 512 + 1);
    fprintf(out, " year=%u", (unsigned)m->year);
    fprintf(out, " wait_ms=%" PRIu32, m->wait_ms);
    fputc('\n', out);
}

/* --- MOVIE --- */

int discovery_movie_encode(const struct discovery_movie *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->imdb_id, 16 + 1))
        return -1;
    if (!s_str_valid(m->title, 512 + 1))
        return -1;
    if (m->source_ids_count > 200)
        return -1;
    if (m->source_providers_count > 200)
        return -1;
    for (uint32_t i = 0; i < m->source_providers_count; i++) {
        if (!s_str_valid(m->source_providers[i], 32 + 1))
            return -1;
    }
    if (m->source_qualities_count > 200)
        return -1;
    for (uint32_t i = 0; i < m->source_qualities_count; i++) {
        if (!s_str_valid(m->source_qualities[i], 8 + 1))
            return -1;
    }
    if (m->source_names_count > 200)
        return -1;
    for (uint32_t i = 0; i < m->source_names_count; i++) {
        if (!s_str_valid(m->source_names[i], 256 + 1))
            return -1;
    }
    if (m->source_sizes_count > 200)
        return -1;
    if (m->source_has_torrent_count > 200)
        return -1;
    if (!s_str_valid(m->genres, 256 + 1))
        return -1;
    if (!s_str_valid(m->poster_url, 512 + 1))
        return -1;
    if (!s_str_valid(m->trailer, 32 + 1))
        return -1;
    if (m->source_video_codecs_count > 200)
        return -1;
    for (uint32_t i = 0; i < m->source_video_codecs_count; i++) {
        if (!s_str_valid(m->source_video_codecs[i], 16 + 1))
            return -1;
    }
    if (m->source_types_count > 200)
        return -1;
    for (uint32_t i = 0; i < m->source_types_count; i++) {
        if (!s_str_valid(m->source_types[i], 16 + 1))
            return -1;
    }
    if (m->source_seeders_count > 200)
        return -1;
    if (m->source_leechers_count > 200)
        return -1;
    if (m->source_scores_count > 200)
        return -1;
    if (m->source_uploaded_ms_count > 200)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 23);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* imdb_id */
    cm_mp_put_cstr(&w, m->imdb_id);
    cm_mp_put_uint(&w, 3); /* title */
    cm_mp_put_cstr(&w, m->title);
    cm_mp_put_uint(&w, 4); /* year */
    cm_mp_put_uint(&w, m->year);
    cm_mp_put_uint(&w, 5); /* created_ms */
    cm_mp_put_int(&w, m->created_ms);
    cm_mp_put_uint(&w, 6); /* source_ids */
    cm_mp_put_array(&w, m->source_ids_count);
    for (uint32_t i = 0; i < m->source_ids_count; i++)
        cm_mp_put_uint(&w, m->source_ids[i]);
    cm_mp_put_uint(&w, 7); /* source_providers */
    cm_mp_put_array(&w, m->source_providers_count);
    for (uint32_t i = 0; i < m->source_providers_count; i++)
        cm_mp_put_cstr(&w, m->source_providers[i]);
    cm_mp_put_uint(&w, 8); /* source_qualities */
    cm_mp_put_array(&w, m->source_qualities_count);
    for (uint32_t i = 0; i < m->source_qualities_count; i++)
        cm_mp_put_cstr(&w, m->source_qualities[i]);
    cm_mp_put_uint(&w, 9); /* source_names */
    cm_mp_put_array(&w, m->source_names_count);
    for (uint32_t i = 0; i < m->source_names_count; i++)
        cm_mp_put_cstr(&w, m->source_names[i]);
    cm_mp_put_uint(&w, 10); /* source_sizes */
    cm_mp_put_array(&w, m->source_sizes_count);
    for (uint32_t i = 0; i < m->source_sizes_count; i++)
        cm_mp_put_uint(&w, m->source_sizes[i]);
    cm_mp_put_uint(&w, 11); /* source_has_torrent */
    cm_mp_put_array(&w, m->source_has_torrent_count);
    for (uint32_t i = 0; i < m->source_has_torrent_count; i++)
        cm_mp_put_bool(&w, m->source_has_torrent[i]);
    cm_mp_put_uint(&w, 12); /* runtime_min */
    cm_mp_put_uint(&w, m->runtime_min);
    cm_mp_put_uint(&w, 13); /* rating10 */
    cm_mp_put_uint(&w, m->rating10);
    cm_mp_put_uint(&w, 14); /* genres */
    cm_mp_put_cstr(&w, m->genres);
    cm_mp_put_uint(&w, 15); /* poster_url */
    cm_mp_put_cstr(&w, m->poster_url);
    cm_mp_put_uint(&w, 16); /* trailer */
    cm_mp_put_cstr(&w, m->trailer);
    cm_mp_put_uint(&w, 17); /* source_video_codecs */
    cm_mp_put_array(&w, m->source_video_codecs_count);
    for (uint32_t i = 0; i < m->source_video_codecs_count; i++)
        cm_mp_put_cstr(&w, m->source_video_codecs[i]);
    cm_mp_put_uint(&w, 18); /* source_types */
    cm_mp_put_array(&w, m->source_types_count);
    for (uint32_t i = 0; i < m->source_types_count; i++)
        cm_mp_put_cstr(&w, m->source_types[i]);
    cm_mp_put_uint(&w, 19); /* source_seeders */
    cm_mp_put_array(&w, m->source_seeders_count);
    for (uint32_t i = 0; i < m->source_seeders_count; i++)
        cm_mp_put_int(&w, m->source_seeders[i]);
    cm_mp_put_uint(&w, 20); /* source_leechers */
    cm_mp_put_array(&w, m->source_leechers_count);
    for (uint32_t i = 0; i < m->source_leechers_count; i++)
        cm_mp_put_int(&w, m->source_leechers[i]);
    cm_mp_put_uint(&w, 21); /* source_scores */
    cm_mp_put_array(&w, m->source_scores_count);
    for (uint32_t i = 0; i < m->source_scores_count; i++)
        cm_mp_put_uint(&w, m->source_scores[i]);
    cm_mp_put_uint(&w, 22); /* source_uploaded_ms */
    cm_mp_put_array(&w, m->source_uploaded_ms_count);
    for (uint32_t i = 0; i < m->source_uploaded_ms_count; i++)
        cm_mp_put_int(&w, m->source_uploaded_ms[i]);
    cm_mp_put_uint(&w, 23); /* searching */
    cm_mp_put_bool(&w, m->searching);
    return cm_mp_writer_status(&w);
}

int discovery_movie_decode(struct discovery_movie *m, const void *data, size_t size)
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
        case 2: /* imdb_id */
            bit = 0x2;
            rc = s_get_str(&r, m->imdb_id, 16 + 1);
            break;
        case 3: /* title */
            bit = 0x4;
            rc = s_get_str(&r, m->title, 512 + 1);
            break;
        case 4: /* year */
            bit = 0x8;
            rc = s_get_u16(&r, &m->year);
            break;
        case 5: /* created_ms */
            bit = 0x10;
            rc = cm_mp_read_int(&r, &m->created_ms);
            break;
        case 6: /* source_ids */
            bit = 0x20;
            rc = s_get_array(&r, 200, &m->source_ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->source_ids[j]);
            break;
        case 7: /* source_providers */
            bit = 0x40;
            rc = s_get_array(&r, 200, &m->source_providers_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_providers_count; j++)
                rc = s_get_str(&r, m->source_providers[j], 32 + 1);
            break;
        case 8: /* source_qualities */
            bit = 0x80;
            rc = s_get_array(&r, 200, &m->source_qualities_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_qualities_count; j++)
                rc = s_get_str(&r, m->source_qualities[j], 8 + 1);
            break;
        case 9: /* source_names */
            bit = 0x100;
            rc = s_get_array(&r, 200, &m->source_names_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_names_count; j++)
                rc = s_get_str(&r, m->source_names[j], 256 + 1);
            break;
        case 10: /* source_sizes */
            bit = 0x200;
            rc = s_get_array(&r, 200, &m->source_sizes_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_sizes_count; j++)
                rc = cm_mp_read_uint(&r, &m->source_sizes[j]);
            break;
        case 11: /* source_has_torrent */
            bit = 0x400;
            rc = s_get_array(&r, 200, &m->source_has_torrent_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_has_torrent_count; j++)
                rc = cm_mp_read_bool(&r, &m->source_has_torrent[j]);
            break;
        case 12: /* runtime_min */
            bit = 0x800;
            rc = s_get_u16(&r, &m->runtime_min);
            break;
        case 13: /* rating10 */
            bit = 0x1000;
            rc = s_get_u16(&r, &m->rating10);
            break;
        case 14: /* genres */
            bit = 0x2000;
            rc = s_get_str(&r, m->genres, 256 + 1);
            break;
        case 15: /* poster_url */
            bit = 0x4000;
            rc = s_get_str(&r, m->poster_url, 512 + 1);
            break;
        case 16: /* trailer */
            bit = 0x8000;
            rc = s_get_str(&r, m->trailer, 32 + 1);
            break;
        case 17: /* source_video_codecs */
            bit = 0x10000;
            rc = s_get_array(&r, 200, &m->source_video_codecs_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_video_codecs_count; j++)
                rc = s_get_str(&r, m->source_video_codecs[j], 16 + 1);
            break;
        case 18: /* source_types */
            bit = 0x20000;
            rc = s_get_array(&r, 200, &m->source_types_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_types_count; j++)
                rc = s_get_str(&r, m->source_types[j], 16 + 1);
            break;
        case 19: /* source_seeders */
            bit = 0x40000;
            rc = s_get_array(&r, 200, &m->source_seeders_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_seeders_count; j++)
                rc = cm_mp_read_int(&r, &m->source_seeders[j]);
            break;
        case 20: /* source_leechers */
            bit = 0x80000;
            rc = s_get_array(&r, 200, &m->source_leechers_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_leechers_count; j++)
                rc = cm_mp_read_int(&r, &m->source_leechers[j]);
            break;
        case 21: /* source_scores */
            bit = 0x100000;
            rc = s_get_array(&r, 200, &m->source_scores_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_scores_count; j++)
                rc = s_get_u32(&r, &m->source_scores[j]);
            break;
        case 22: /* source_uploaded_ms */
            bit = 0x200000;
            rc = s_get_array(&r, 200, &m->source_uploaded_ms_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_uploaded_ms_count; j++)
                rc = cm_mp_read_int(&r, &m->source_uploaded_ms[j]);
            break;
        case 23: /* searching */
            bit = 0x400000;
            rc = cm_mp_read_bool(&r, &m->searching);
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

void discovery_movie_print(const struct discovery_movie *m, FILE *out)
{
    fputs("discovery.MOVIE", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fputs(" imdb_id=", out);
    s_print_str(out, m->imdb_id, 16 + 1);
    fputs(" title=", out);
    s_print_str(out, m->title, 512 + 1);
    fprintf(out, " year=%u", (unsigned)m->year);
    fprintf(out, " created_ms=%" PRId64, m->created_ms);
    fputs(" source_ids=[", out);
    for (uint32_t i = 0; i < m->source_ids_count && i < 200; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->source_ids[i]);
    fputc(']', out);
    fputs(" source_providers=[", out);
    for (uint32_t i = 0; i < m->source_providers_count && i < 200; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->source_providers[i], 32 + 1);
    }
    fputc(']', out);
    fputs(" source_qualities=[", out);
    for (uint32_t i = 0; i < m->source_qualities_count && i < 200; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->source_qualities[i], 8 + 1);
    }
    fputc(']', out);
    fputs(" source_names=[", out);
    for (uint32_t i = 0; i < m->source_names_count && i < 200; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->source_names[i], 256 + 1);
    }
    fputc(']', out);
    fputs(" source_sizes=[", out);
    for (uint32_t i = 0; i < m->source_sizes_count && i < 200; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->source_sizes[i]);
    fputc(']', out);
    fputs(" source_has_torrent=[", out);
    for (uint32_t i = 0; i < m->source_has_torrent_count && i < 200; i++)
        fprintf(out, "%s%s", i ? "," : "", m->source_has_torrent[i] ? "true" : "false");
    fputc(']', out);
    fprintf(out, " runtime_min=%u", (unsigned)m->runtime_min);
    fprintf(out, " rating10=%u", (unsigned)m->rating10);
    fputs(" genres=", out);
    s_print_str(out, m->genres, 256 + 1);
    fputs(" poster_url=", out);
    s_print_str(out, m->poster_url, 512 + 1);
    fputs(" trailer=", out);
    s_print_str(out, m->trailer, 32 + 1);
    fputs(" source_video_codecs=[", out);
    for (uint32_t i = 0; i < m->source_video_codecs_count && i < 200; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->source_video_codecs[i], 16 + 1);
    }
    fputc(']', out);
    fputs(" source_types=[", out);
    for (uint32_t i = 0; i < m->source_types_count && i < 200; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->source_types[i], 16 + 1);
    }
    fputc(']', out);
    fputs(" source_seeders=[", out);
    for (uint32_t i = 0; i < m->source_seeders_count && i < 200; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->source_seeders[i]);
    fputc(']', out);
    fputs(" source_leechers=[", out);
    for (uint32_t i = 0; i < m->source_leechers_count && i < 200; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->source_leechers[i]);
    fputc(']', out);
    fputs(" source_scores=[", out);
    for (uint32_t i = 0; i < m->source_scores_count && i < 200; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->source_scores[i]);
    fputc(']', out);
    fputs(" source_uploaded_ms=[", out);
    for (uint32_t i = 0; i < m->source_uploaded_ms_count && i < 200; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->source_uploaded_ms[i]);
    fputc(']', out);
    fprintf(out, " searching=%s", m->searching ? "true" : "false");
    fputc('\n', out);
}

/* --- MOVIE_GET --- */

int discovery_movie_get_encode(const struct discovery_movie_get *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* include_sources */
    cm_mp_put_bool(&w, m->include_sources);
    return cm_mp_writer_status(&w);
}

int discovery_movie_get_decode(struct discovery_movie_get *m, const void *data, size_t size)
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
        case 2: /* include_sources */
            bit = 0x2;
            rc = cm_mp_read_bool(&r, &m->include_sources);
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

void discovery_movie_get_print(const struct discovery_movie_get *m, FILE *out)
{
    fputs("discovery.MOVIE_GET", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fprintf(out, " include_sources=%s", m->include_sources ? "true" : "false");
    fputc('\n', out);
}

/* --- SOURCE_ADD --- */

int discovery_source_add_encode(const struct discovery_source_add *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->magnet, 65536 + 1))
        return -1;
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* movie_id */
    cm_mp_put_uint(&w, m->movie_id);
    cm_mp_put_uint(&w, 2); /* magnet */
    cm_mp_put_cstr(&w, m->magnet);
    cm_mp_put_uint(&w, 3); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    return cm_mp_writer_status(&w);
}

int discovery_source_add_decode(struct discovery_source_add *m, const void *data, size_t size)
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
        case 1: /* movie_id */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->movie_id);
            break;
        case 2: /* magnet */
            bit = 0x2;
            rc = s_get_str(&r, m->magnet, 65536 + 1);
            break;
        case 3: /* torrent */
            bit = 0x4;
            rc = s_get_bin(&r, &m->torrent, 16777216);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: movie_id. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void discovery_source_add_print(const struct discovery_source_add *m, FILE *out)
{
    fputs("discovery.SOURCE_ADD", out);
    fprintf(out, " movie_id=%" PRIu64, m->movie_id);
    fputs(" magnet=", out);
    s_print_str(out, m->magnet, 65536 + 1);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fputc('\n', out);
}

/* --- SOURCE --- */

int discovery_source_encode(const struct discovery_source *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->provider, 32 + 1))
        return -1;
    if (!s_str_valid(m->name, 1024 + 1))
        return -1;
    if (!s_str_valid(m->quality, 8 + 1))
        return -1;
    if (m->file_paths_count > 1000)
        return -1;
    for (uint32_t i = 0; i < m->file_paths_count; i++) {
        if (!s_str_valid(m->file_paths[i], 512 + 1))
            return -1;
    }
    if (m->file_sizes_count > 1000)
        return -1;
    if (!s_str_valid(m->info_hash, 40 + 1))
        return -1;
    if (!s_str_valid(m->magnet, 65536 + 1))
        return -1;
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 13);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* movie_id */
    cm_mp_put_uint(&w, m->movie_id);
    cm_mp_put_uint(&w, 3); /* provider */
    cm_mp_put_cstr(&w, m->provider);
    cm_mp_put_uint(&w, 4); /* name */
    cm_mp_put_cstr(&w, m->name);
    cm_mp_put_uint(&w, 5); /* quality */
    cm_mp_put_cstr(&w, m->quality);
    cm_mp_put_uint(&w, 6); /* size */
    cm_mp_put_uint(&w, m->size);
    cm_mp_put_uint(&w, 7); /* file_paths */
    cm_mp_put_array(&w, m->file_paths_count);
    for (uint32_t i = 0; i < m->file_paths_count; i++)
        cm_mp_put_cstr(&w, m->file_paths[i]);
    cm_mp_put_uint(&w, 8); /* file_sizes */
    cm_mp_put_array(&w, m->file_sizes_count);
    for (uint32_t i = 0; i < m->file_sizes_count; i++)
        cm_mp_put_uint(&w, m->file_sizes[i]);
    cm_mp_put_uint(&w, 9); /* info_hash */
    cm_mp_put_cstr(&w, m->info_hash);
    cm_mp_put_uint(&w, 10); /* magnet */
    cm_mp_put_cstr(&w, m->magnet);
    cm_mp_put_uint(&w, 11); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    cm_mp_put_uint(&w, 12); /* has_torrent */
    cm_mp_put_bool(&w, m->has_torrent);
    cm_mp_put_uint(&w, 13); /* created_ms */
    cm_mp_put_int(&w, m->created_ms);
    return cm_mp_writer_status(&w);
}

int discovery_source_decode(struct discovery_source *m, const void *data, size_t size)
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
        case 2: /* movie_id */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->movie_id);
            break;
        case 3: /* provider */
            bit = 0x4;
            rc = s_get_str(&r, m->provider, 32 + 1);
            break;
        case 4: /* name */
            bit = 0x8;
            rc = s_get_str(&r, m->name, 1024 + 1);
            break;
        case 5: /* quality */
            bit = 0x10;
            rc = s_get_str(&r, m->quality, 8 + 1);
            break;
        case 6: /* size */
            bit = 0x20;
            rc = cm_mp_read_uint(&r, &m->size);
            break;
        case 7: /* file_paths */
            bit = 0x40;
            rc = s_get_array(&r, 1000, &m->file_paths_count);
            for (uint32_t j = 0; rc == 0 && j < m->file_paths_count; j++)
                rc = s_get_str(&r, m->file_paths[j], 512 + 1);
            break;
        case 8: /* file_sizes */
            bit = 0x80;
            rc = s_get_array(&r, 1000, &m->file_sizes_count);
            for (uint32_t j = 0; rc == 0 && j < m->file_sizes_count; j++)
                rc = cm_mp_read_uint(&r, &m->file_sizes[j]);
            break;
        case 9: /* info_hash */
            bit = 0x100;
            rc = s_get_str(&r, m->info_hash, 40 + 1);
            break;
        case 10: /* magnet */
            bit = 0x200;
            rc = s_get_str(&r, m->magnet, 65536 + 1);
            break;
        case 11: /* torrent */
            bit = 0x400;
            rc = s_get_bin(&r, &m->torrent, 16777216);
            break;
        case 12: /* has_torrent */
            bit = 0x800;
            rc = cm_mp_read_bool(&r, &m->has_torrent);
            break;
        case 13: /* created_ms */
            bit = 0x1000;
            rc = cm_mp_read_int(&r, &m->created_ms);
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

void discovery_source_print(const struct discovery_source *m, FILE *out)
{
    fputs("discovery.SOURCE", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fprintf(out, " movie_id=%" PRIu64, m->movie_id);
    fputs(" provider=", out);
    s_print_str(out, m->provider, 32 + 1);
    fputs(" name=", out);
    s_print_str(out, m->name, 1024 + 1);
    fputs(" quality=", out);
    s_print_str(out, m->quality, 8 + 1);
    fprintf(out, " size=%" PRIu64, m->size);
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
    fputs(" info_hash=", out);
    s_print_str(out, m->info_hash, 40 + 1);
    fputs(" magnet=", out);
    s_print_str(out, m->magnet, 65536 + 1);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fprintf(out, " has_torrent=%s", m->has_torrent ? "true" : "false");
    fprintf(out, " created_ms=%" PRId64, m->created_ms);
    fputc('\n', out);
}

/* --- SOURCE_GET --- */

int discovery_source_get_encode(const struct discovery_source_get *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* secrets */
    cm_mp_put_bool(&w, m->secrets);
    return cm_mp_writer_status(&w);
}

int discovery_source_get_decode(struct discovery_source_get *m, const void *data, size_t size)
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
        case 2: /* secrets */
            bit = 0x2;
            rc = cm_mp_read_bool(&r, &m->secrets);
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

void discovery_source_get_print(const struct discovery_source_get *m, FILE *out)
{
    fputs("discovery.SOURCE_GET", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fprintf(out, " secrets=%s", m->secrets ? "true" : "false");
    fputc('\n', out);
}

/* --- SOURCE_SET_TORRENT --- */

int discovery_source_set_torrent_encode(const struct discovery_source_set_torrent *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_bin_valid(&m->torrent, 16777216))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* torrent */
    cm_mp_put_bin(&w, m->torrent.data, m->torrent.len);
    return cm_mp_writer_status(&w);
}

int discovery_source_set_torrent_decode(struct discovery_source_set_torrent *m, const void *data,
                                        size_t size)
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
        case 2: /* torrent */
            bit = 0x2;
            rc = s_get_bin(&r, &m->torrent, 16777216);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: id, torrent. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void discovery_source_set_torrent_print(const struct discovery_source_set_torrent *m, FILE *out)
{
    fputs("discovery.SOURCE_SET_TORRENT", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fprintf(out, " torrent=<%zu bytes>", m->torrent.len);
    fputc('\n', out);
}

/* --- MOVIE_LIST --- */

int discovery_movie_list_encode(const struct discovery_movie_list *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->query, 200 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* query */
    cm_mp_put_cstr(&w, m->query);
    cm_mp_put_uint(&w, 2); /* page */
    cm_mp_put_uint(&w, m->page);
    cm_mp_put_uint(&w, 3); /* limit */
    cm_mp_put_uint(&w, m->limit);
    return cm_mp_writer_status(&w);
}

int discovery_movie_list_decode(struct discovery_movie_list *m, const void *data, size_t size)
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
        case 1: /* query */
            bit = 0x1;
            rc = s_get_str(&r, m->query, 200 + 1);
            break;
        case 2: /* page */
            bit = 0x2;
            rc = s_get_u32(&r, &m->page);
            break;
        case 3: /* limit */
            bit = 0x4;
            rc = s_get_u32(&r, &m->limit);
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

void discovery_movie_list_print(const struct discovery_movie_list *m, FILE *out)
{
    fputs("discovery.MOVIE_LIST", out);
    fputs(" query=", out);
    s_print_str(out, m->query, 200 + 1);
    fprintf(out, " page=%" PRIu32, m->page);
    fprintf(out, " limit=%" PRIu32, m->limit);
    fputc('\n', out);
}

/* --- MOVIE_LIST_OK --- */

int discovery_movie_list_ok_encode(const struct discovery_movie_list_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (m->ids_count > 100)
        return -1;
    if (m->imdb_ids_count > 100)
        return -1;
    for (uint32_t i = 0; i < m->imdb_ids_count; i++) {
        if (!s_str_valid(m->imdb_ids[i], 16 + 1))
            return -1;
    }
    if (m->titles_count > 100)
        return -1;
    for (uint32_t i = 0; i < m->titles_count; i++) {
        if (!s_str_valid(m->titles[i], 512 + 1))
            return -1;
    }
    if (m->years_count > 100)
        return -1;
    if (m->ratings10_count > 100)
        return -1;
    if (m->posters_count > 100)
        return -1;
    for (uint32_t i = 0; i < m->posters_count; i++) {
        if (!s_str_valid(m->posters[i], 512 + 1))
            return -1;
    }
    if (m->source_counts_count > 100)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 8);
    cm_mp_put_uint(&w, 1); /* total */
    cm_mp_put_uint(&w, m->total);
    cm_mp_put_uint(&w, 2); /* ids */
    cm_mp_put_array(&w, m->ids_count);
    for (uint32_t i = 0; i < m->ids_count; i++)
        cm_mp_put_uint(&w, m->ids[i]);
    cm_mp_put_uint(&w, 3); /* imdb_ids */
    cm_mp_put_array(&w, m->imdb_ids_count);
    for (uint32_t i = 0; i < m->imdb_ids_count; i++)
        cm_mp_put_cstr(&w, m->imdb_ids[i]);
    cm_mp_put_uint(&w, 4); /* titles */
    cm_mp_put_array(&w, m->titles_count);
    for (uint32_t i = 0; i < m->titles_count; i++)
        cm_mp_put_cstr(&w, m->titles[i]);
    cm_mp_put_uint(&w, 5); /* years */
    cm_mp_put_array(&w, m->years_count);
    for (uint32_t i = 0; i < m->years_count; i++)
        cm_mp_put_uint(&w, m->years[i]);
    cm_mp_put_uint(&w, 6); /* ratings10 */
    cm_mp_put_array(&w, m->ratings10_count);
    for (uint32_t i = 0; i < m->ratings10_count; i++)
        cm_mp_put_uint(&w, m->ratings10[i]);
    cm_mp_put_uint(&w, 7); /* posters */
    cm_mp_put_array(&w, m->posters_count);
    for (uint32_t i = 0; i < m->posters_count; i++)
        cm_mp_put_cstr(&w, m->posters[i]);
    cm_mp_put_uint(&w, 8); /* source_counts */
    cm_mp_put_array(&w, m->source_counts_count);
    for (uint32_t i = 0; i < m->source_counts_count; i++)
        cm_mp_put_uint(&w, m->source_counts[i]);
    return cm_mp_writer_status(&w);
}

int discovery_movie_list_ok_decode(struct discovery_movie_list_ok *m, const void *data, size_t size)
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
        case 1: /* total */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->total);
            break;
        case 2: /* ids */
            bit = 0x2;
            rc = s_get_array(&r, 100, &m->ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->ids[j]);
            break;
        case 3: /* imdb_ids */
            bit = 0x4;
            rc = s_get_array(&r, 100, &m->imdb_ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->imdb_ids_count; j++)
                rc = s_get_str(&r, m->imdb_ids[j], 16 + 1);
            break;
        case 4: /* titles */
            bit = 0x8;
            rc = s_get_array(&r, 100, &m->titles_count);
            for (uint32_t j = 0; rc == 0 && j < m->titles_count; j++)
                rc = s_get_str(&r, m->titles[j], 512 + 1);
            break;
        case 5: /* years */
            bit = 0x10;
            rc = s_get_array(&r, 100, &m->years_count);
            for (uint32_t j = 0; rc == 0 && j < m->years_count; j++)
                rc = s_get_u32(&r, &m->years[j]);
            break;
        case 6: /* ratings10 */
            bit = 0x20;
            rc = s_get_array(&r, 100, &m->ratings10_count);
            for (uint32_t j = 0; rc == 0 && j < m->ratings10_count; j++)
                rc = s_get_u32(&r, &m->ratings10[j]);
            break;
        case 7: /* posters */
            bit = 0x40;
            rc = s_get_array(&r, 100, &m->posters_count);
            for (uint32_t j = 0; rc == 0 && j < m->posters_count; j++)
                rc = s_get_str(&r, m->posters[j], 512 + 1);
            break;
        case 8: /* source_counts */
            bit = 0x80;
            rc = s_get_array(&r, 100, &m->source_counts_count);
            for (uint32_t j = 0; rc == 0 && j < m->source_counts_count; j++)
                rc = s_get_u32(&r, &m->source_counts[j]);
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

void discovery_movie_list_ok_print(const struct discovery_movie_list_ok *m, FILE *out)
{
    fputs("discovery.MOVIE_LIST_OK", out);
    fprintf(out, " total=%" PRIu64, m->total);
    fputs(" ids=[", out);
    for (uint32_t i = 0; i < m->ids_count && i < 100; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->ids[i]);
    fputc(']', out);
    fputs(" imdb_ids=[", out);
    for (uint32_t i = 0; i < m->imdb_ids_count && i < 100; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->imdb_ids[i], 16 + 1);
    }
    fputc(']', out);
    fputs(" titles=[", out);
    for (uint32_t i = 0; i < m->titles_count && i < 100; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->titles[i], 512 + 1);
    }
    fputc(']', out);
    fputs(" years=[", out);
    for (uint32_t i = 0; i < m->years_count && i < 100; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->years[i]);
    fputc(']', out);
    fputs(" ratings10=[", out);
    for (uint32_t i = 0; i < m->ratings10_count && i < 100; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->ratings10[i]);
    fputc(']', out);
    fputs(" posters=[", out);
    for (uint32_t i = 0; i < m->posters_count && i < 100; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->posters[i], 512 + 1);
    }
    fputc(']', out);
    fputs(" source_counts=[", out);
    for (uint32_t i = 0; i < m->source_counts_count && i < 100; i++)
        fprintf(out, "%s%" PRIu32, i ? "," : "", m->source_counts[i]);
    fputc(']', out);
    fputc('\n', out);
}

/* --- STATUS --- */

int discovery_status_encode(const struct discovery_status *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int discovery_status_decode(struct discovery_status *m, const void *data, size_t size)
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

void discovery_status_print(const struct discovery_status *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("discovery.STATUS\n", out);
}

/* --- STATUS_OK --- */

int discovery_status_ok_encode(const struct discovery_status_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->vpn_check, 16 + 1))
        return -1;
    if (!s_str_valid(m->vpn_reason, 256 + 1))
        return -1;
    if (m->provider_names_count > 8)
        return -1;
    for (uint32_t i = 0; i < m->provider_names_count; i++) {
        if (!s_str_valid(m->provider_names[i], 32 + 1))
            return -1;
    }
    if (m->provider_states_count > 8)
        return -1;
    for (uint32_t i = 0; i < m->provider_states_count; i++) {
        if (!s_str_valid(m->provider_states[i], 16 + 1))
            return -1;
    }
    if (m->provider_reasons_count > 8)
        return -1;
    for (uint32_t i = 0; i < m->provider_reasons_count; i++) {
        if (!s_str_valid(m->provider_reasons[i], 256 + 1))
            return -1;
    }
    if (m->provider_requests_count > 8)
        return -1;
    if (m->provider_errors_count > 8)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 12);
    cm_mp_put_uint(&w, 1); /* vpn_check */
    cm_mp_put_cstr(&w, m->vpn_check);
    cm_mp_put_uint(&w, 2); /* vpn_up */
    cm_mp_put_bool(&w, m->vpn_up);
    cm_mp_put_uint(&w, 3); /* vpn_reason */
    cm_mp_put_cstr(&w, m->vpn_reason);
    cm_mp_put_uint(&w, 4); /* vpn_checked_ms */
    cm_mp_put_int(&w, m->vpn_checked_ms);
    cm_mp_put_uint(&w, 5); /* provider_names */
    cm_mp_put_array(&w, m->provider_names_count);
    for (uint32_t i = 0; i < m->provider_names_count; i++)
        cm_mp_put_cstr(&w, m->provider_names[i]);
    cm_mp_put_uint(&w, 6); /* provider_states */
    cm_mp_put_array(&w, m->provider_states_count);
    for (uint32_t i = 0; i < m->provider_states_count; i++)
        cm_mp_put_cstr(&w, m->provider_states[i]);
    cm_mp_put_uint(&w, 7); /* provider_reasons */
    cm_mp_put_array(&w, m->provider_reasons_count);
    for (uint32_t i = 0; i < m->provider_reasons_count; i++)
        cm_mp_put_cstr(&w, m->provider_reasons[i]);
    cm_mp_put_uint(&w, 8); /* provider_requests */
    cm_mp_put_array(&w, m->provider_requests_count);
    for (uint32_t i = 0; i < m->provider_requests_count; i++)
        cm_mp_put_uint(&w, m->provider_requests[i]);
    cm_mp_put_uint(&w, 9); /* provider_errors */
    cm_mp_put_array(&w, m->provider_errors_count);
    for (uint32_t i = 0; i < m->provider_errors_count; i++)
        cm_mp_put_uint(&w, m->provider_errors[i]);
    cm_mp_put_uint(&w, 10); /* searches_running */
    cm_mp_put_uint(&w, m->searches_running);
    cm_mp_put_uint(&w, 11); /* movies_due */
    cm_mp_put_uint(&w, m->movies_due);
    cm_mp_put_uint(&w, 12); /* torrents_pending */
    cm_mp_put_uint(&w, m->torrents_pending);
    return cm_mp_writer_status(&w);
}

int discovery_status_ok_decode(struct discovery_status_ok *m, const void *data, size_t size)
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
        case 1: /* vpn_check */
            bit = 0x1;
            rc = s_get_str(&r, m->vpn_check, 16 + 1);
            break;
        case 2: /* vpn_up */
            bit = 0x2;
            rc = cm_mp_read_bool(&r, &m->vpn_up);
            break;
        case 3: /* vpn_reason */
            bit = 0x4;
            rc = s_get_str(&r, m->vpn_reason, 256 + 1);
            break;
        case 4: /* vpn_checked_ms */
            bit = 0x8;
            rc = cm_mp_read_int(&r, &m->vpn_checked_ms);
            break;
        case 5: /* provider_names */
            bit = 0x10;
            rc = s_get_array(&r, 8, &m->provider_names_count);
            for (uint32_t j = 0; rc == 0 && j < m->provider_names_count; j++)
                rc = s_get_str(&r, m->provider_names[j], 32 + 1);
            break;
        case 6: /* provider_states */
            bit = 0x20;
            rc = s_get_array(&r, 8, &m->provider_states_count);
            for (uint32_t j = 0; rc == 0 && j < m->provider_states_count; j++)
                rc = s_get_str(&r, m->provider_states[j], 16 + 1);
            break;
        case 7: /* provider_reasons */
            bit = 0x40;
            rc = s_get_array(&r, 8, &m->provider_reasons_count);
            for (uint32_t j = 0; rc == 0 && j < m->provider_reasons_count; j++)
                rc = s_get_str(&r, m->provider_reasons[j], 256 + 1);
            break;
        case 8: /* provider_requests */
            bit = 0x80;
            rc = s_get_array(&r, 8, &m->provider_requests_count);
            for (uint32_t j = 0; rc == 0 && j < m->provider_requests_count; j++)
                rc = cm_mp_read_uint(&r, &m->provider_requests[j]);
            break;
        case 9: /* provider_errors */
            bit = 0x100;
            rc = s_get_array(&r, 8, &m->provider_errors_count);
            for (uint32_t j = 0; rc == 0 && j < m->provider_errors_count; j++)
                rc = cm_mp_read_uint(&r, &m->provider_errors[j]);
            break;
        case 10: /* searches_running */
            bit = 0x200;
            rc = s_get_u32(&r, &m->searches_running);
            break;
        case 11: /* movies_due */
            bit = 0x400;
            rc = cm_mp_read_uint(&r, &m->movies_due);
            break;
        case 12: /* torrents_pending */
            bit = 0x800;
            rc = cm_mp_read_uint(&r, &m->torrents_pending);
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

void discovery_status_ok_print(const struct discovery_status_ok *m, FILE *out)
{
    fputs("discovery.STATUS_OK", out);
    fputs(" vpn_check=", out);
    s_print_str(out, m->vpn_check, 16 + 1);
    fprintf(out, " vpn_up=%s", m->vpn_up ? "true" : "false");
    fputs(" vpn_reason=", out);
    s_print_str(out, m->vpn_reason, 256 + 1);
    fprintf(out, " vpn_checked_ms=%" PRId64, m->vpn_checked_ms);
    fputs(" provider_names=[", out);
    for (uint32_t i = 0; i < m->provider_names_count && i < 8; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->provider_names[i], 32 + 1);
    }
    fputc(']', out);
    fputs(" provider_states=[", out);
    for (uint32_t i = 0; i < m->provider_states_count && i < 8; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->provider_states[i], 16 + 1);
    }
    fputc(']', out);
    fputs(" provider_reasons=[", out);
    for (uint32_t i = 0; i < m->provider_reasons_count && i < 8; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->provider_reasons[i], 256 + 1);
    }
    fputc(']', out);
    fputs(" provider_requests=[", out);
    for (uint32_t i = 0; i < m->provider_requests_count && i < 8; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->provider_requests[i]);
    fputc(']', out);
    fputs(" provider_errors=[", out);
    for (uint32_t i = 0; i < m->provider_errors_count && i < 8; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->provider_errors[i]);
    fputc(']', out);
    fprintf(out, " searches_running=%" PRIu32, m->searches_running);
    fprintf(out, " movies_due=%" PRIu64, m->movies_due);
    fprintf(out, " torrents_pending=%" PRIu64, m->torrents_pending);
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = DISCOVERY_MSG_MOVIE_CREATE,
     .kind = CM_MSG_REQUEST,
     .payload = 0,
     .name = "MOVIE_CREATE"},
    {.id = DISCOVERY_MSG_MOVIE, .kind = CM_MSG_REPLY, .payload = 0, .name = "MOVIE"},
    {.id = DISCOVERY_MSG_MOVIE_GET, .kind = CM_MSG_REQUEST, .payload = 0, .name = "MOVIE_GET"},
    {.id = DISCOVERY_MSG_SOURCE_ADD, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SOURCE_ADD"},
    {.id = DISCOVERY_MSG_SOURCE, .kind = CM_MSG_REPLY, .payload = 0, .name = "SOURCE"},
    {.id = DISCOVERY_MSG_SOURCE_GET, .kind = CM_MSG_REQUEST, .payload = 0, .name = "SOURCE_GET"},
    {.id = DISCOVERY_MSG_SOURCE_SET_TORRENT,
     .kind = CM_MSG_REQUEST,
     .payload = 0,
     .name = "SOURCE_SET_TORRENT"},
    {.id = DISCOVERY_MSG_MOVIE_LIST, .kind = CM_MSG_REQUEST, .payload = 0, .name = "MOVIE_LIST"},
    {.id = DISCOVERY_MSG_MOVIE_LIST_OK,
     .kind = CM_MSG_REPLY,
     .payload = 0,
     .name = "MOVIE_LIST_OK"},
    {.id = DISCOVERY_MSG_STATUS, .kind = CM_MSG_REQUEST, .payload = 0, .name = "STATUS"},
    {.id = DISCOVERY_MSG_STATUS_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "STATUS_OK"},
};

const struct cm_proto discovery_proto = {
    .id = DISCOVERY_PROTO,
    .version = DISCOVERY_VERSION,
    .name = "discovery",
    .nmsgs = CM_ARRAY_LEN(s_msgs),
    .msgs = s_msgs,
};

const char *discovery_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&discovery_proto, id);
    return msg ? msg->name : "?";
}

int discovery_msg_decode(int id, void *m, const void *data, size_t size)
{
    switch (id) {
    case DISCOVERY_MSG_MOVIE_CREATE:
        return discovery_movie_create_decode(m, data, size);
    case DISCOVERY_MSG_MOVIE:
        return discovery_movie_decode(m, data, size);
    case DISCOVERY_MSG_MOVIE_GET:
        return discovery_movie_get_decode(m, data, size);
    case DISCOVERY_MSG_SOURCE_ADD:
        return discovery_source_add_decode(m, data, size);
    case DISCOVERY_MSG_SOURCE:
        return discovery_source_decode(m, data, size);
    case DISCOVERY_MSG_SOURCE_GET:
        return discovery_source_get_decode(m, data, size);
    case DISCOVERY_MSG_SOURCE_SET_TORRENT:
        return discovery_source_set_torrent_decode(m, data, size);
    case DISCOVERY_MSG_MOVIE_LIST:
        return discovery_movie_list_decode(m, data, size);
    case DISCOVERY_MSG_MOVIE_LIST_OK:
        return discovery_movie_list_ok_decode(m, data, size);
    case DISCOVERY_MSG_STATUS:
        return discovery_status_decode(m, data, size);
    case DISCOVERY_MSG_STATUS_OK:
        return discovery_status_ok_decode(m, data, size);
    default:
        return -1;
    }
}

int discovery_msg_encode(int id, const void *m, cm_buf_t *out)
{
    switch (id) {
    case DISCOVERY_MSG_MOVIE_CREATE:
        return discovery_movie_create_encode(m, out);
    case DISCOVERY_MSG_MOVIE:
        return discovery_movie_encode(m, out);
    case DISCOVERY_MSG_MOVIE_GET:
        return discovery_movie_get_encode(m, out);
    case DISCOVERY_MSG_SOURCE_ADD:
        return discovery_source_add_encode(m, out);
    case DISCOVERY_MSG_SOURCE:
        return discovery_source_encode(m, out);
    case DISCOVERY_MSG_SOURCE_GET:
        return discovery_source_get_encode(m, out);
    case DISCOVERY_MSG_SOURCE_SET_TORRENT:
        return discovery_source_set_torrent_encode(m, out);
    case DISCOVERY_MSG_MOVIE_LIST:
        return discovery_movie_list_encode(m, out);
    case DISCOVERY_MSG_MOVIE_LIST_OK:
        return discovery_movie_list_ok_encode(m, out);
    case DISCOVERY_MSG_STATUS:
        return discovery_status_encode(m, out);
    case DISCOVERY_MSG_STATUS_OK:
        return discovery_status_ok_encode(m, out);
    default:
        return -1;
    }
}

void discovery_msg_print(int id, const void *m, FILE *out)
{
    switch (id) {
    case DISCOVERY_MSG_MOVIE_CREATE:
        discovery_movie_create_print(m, out);
        break;
    case DISCOVERY_MSG_MOVIE:
        discovery_movie_print(m, out);
        break;
    case DISCOVERY_MSG_MOVIE_GET:
        discovery_movie_get_print(m, out);
        break;
    case DISCOVERY_MSG_SOURCE_ADD:
        discovery_source_add_print(m, out);
        break;
    case DISCOVERY_MSG_SOURCE:
        discovery_source_print(m, out);
        break;
    case DISCOVERY_MSG_SOURCE_GET:
        discovery_source_get_print(m, out);
        break;
    case DISCOVERY_MSG_SOURCE_SET_TORRENT:
        discovery_source_set_torrent_print(m, out);
        break;
    case DISCOVERY_MSG_MOVIE_LIST:
        discovery_movie_list_print(m, out);
        break;
    case DISCOVERY_MSG_MOVIE_LIST_OK:
        discovery_movie_list_ok_print(m, out);
        break;
    case DISCOVERY_MSG_STATUS:
        discovery_status_print(m, out);
        break;
    case DISCOVERY_MSG_STATUS_OK:
        discovery_status_ok_print(m, out);
        break;
    default:
        fprintf(out, "discovery.? id=%d\n", id);
        break;
    }
}
