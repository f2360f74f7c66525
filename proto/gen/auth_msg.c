/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/auth.toml
 * SPDX-License-Identifier: MIT
 * auth: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it in
 * place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every field,
 * in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is deterministic.
 * Rules: proto/README.md. */
#include "cm.h"
#include "auth_msg.h"

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

/* --- LOGIN --- */

int auth_login_encode(const struct auth_login *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->email, 254 + 1))
        return -1;
    if (!s_str_valid(m->password, 1024 + 1))
        return -1;
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    if (!s_str_valid(m->user_agent, 256 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* email */
    cm_mp_put_cstr(&w, m->email);
    cm_mp_put_uint(&w, 2); /* password */
    cm_mp_put_cstr(&w, m->password);
    cm_mp_put_uint(&w, 3); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    cm_mp_put_uint(&w, 4); /* user_agent */
    cm_mp_put_cstr(&w, m->user_agent);
    return cm_mp_writer_status(&w);
}

int auth_login_decode(struct auth_login *m, const void *data, size_t size)
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
        case 1: /* email */
            bit = 0x1;
            rc = s_get_str(&r, m->email, 254 + 1);
            break;
        case 2: /* password */
            bit = 0x2;
            rc = s_get_str(&r, m->password, 1024 + 1);
            break;
        case 3: /* ip */
            bit = 0x4;
            rc = s_get_str(&r, m->ip, 64 + 1);
            break;
        case 4: /* user_agent */
            bit = 0x8;
            rc = s_get_str(&r, m->user_agent, 256 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: email, password. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void auth_login_print(const struct auth_login *m, FILE *out)
{
    fputs("auth.LOGIN", out);
    fputs(" email=", out);
    s_print_str(out, m->email, 254 + 1);
    fputs(" password=", out);
    s_print_str(out, m->password, 1024 + 1);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fputs(" user_agent=", out);
    s_print_str(out, m->user_agent, 256 + 1);
    fputc('\n', out);
}

/* --- TOKENS --- */

int auth_tokens_encode(const struct auth_tokens *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->access_token, 4096 + 1))
        return -1;
    if (!s_str_valid(m->refresh_token, 64 + 1))
        return -1;
    if (!s_str_valid(m->session_id, 32 + 1))
        return -1;
    if (!s_str_valid(m->email, 254 + 1))
        return -1;
    if (!s_str_valid(m->role, 16 + 1))
        return -1;
    if (!s_str_valid(m->display_name, 100 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 9);
    cm_mp_put_uint(&w, 1); /* access_token */
    cm_mp_put_cstr(&w, m->access_token);
    cm_mp_put_uint(&w, 2); /* refresh_token */
    cm_mp_put_cstr(&w, m->refresh_token);
    cm_mp_put_uint(&w, 3); /* expires_in */
    cm_mp_put_uint(&w, m->expires_in);
    cm_mp_put_uint(&w, 4); /* refresh_expires_in */
    cm_mp_put_uint(&w, m->refresh_expires_in);
    cm_mp_put_uint(&w, 5); /* session_id */
    cm_mp_put_cstr(&w, m->session_id);
    cm_mp_put_uint(&w, 6); /* user_id */
    cm_mp_put_uint(&w, m->user_id);
    cm_mp_put_uint(&w, 7); /* email */
    cm_mp_put_cstr(&w, m->email);
    cm_mp_put_uint(&w, 8); /* role */
    cm_mp_put_cstr(&w, m->role);
    cm_mp_put_uint(&w, 9); /* display_name */
    cm_mp_put_cstr(&w, m->display_name);
    return cm_mp_writer_status(&w);
}

int auth_tokens_decode(struct auth_tokens *m, const void *data, size_t size)
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
        case 1: /* access_token */
            bit = 0x1;
            rc = s_get_str(&r, m->access_token, 4096 + 1);
            break;
        case 2: /* refresh_token */
            bit = 0x2;
            rc = s_get_str(&r, m->refresh_token, 64 + 1);
            break;
        case 3: /* expires_in */
            bit = 0x4;
            rc = s_get_u32(&r, &m->expires_in);
            break;
        case 4: /* refresh_expires_in */
            bit = 0x8;
            rc = s_get_u32(&r, &m->refresh_expires_in);
            break;
        case 5: /* session_id */
            bit = 0x10;
            rc = s_get_str(&r, m->session_id, 32 + 1);
            break;
        case 6: /* user_id */
            bit = 0x20;
            rc = cm_mp_read_uint(&r, &m->user_id);
            break;
        case 7: /* email */
            bit = 0x40;
            rc = s_get_str(&r, m->email, 254 + 1);
            break;
        case 8: /* role */
            bit = 0x80;
            rc = s_get_str(&r, m->role, 16 + 1);
            break;
        case 9: /* display_name */
            bit = 0x100;
            rc = s_get_str(&r, m->display_name, 100 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: access_token, refresh_token. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void auth_tokens_print(const struct auth_tokens *m, FILE *out)
{
    fputs("auth.TOKENS", out);
    fputs(" access_token=", out);
    s_print_str(out, m->access_token, 4096 + 1);
    fputs(" refresh_token=", out);
    s_print_str(out, m->refresh_token, 64 + 1);
    fprintf(out, " expires_in=%" PRIu32, m->expires_in);
    fprintf(out, " refresh_expires_in=%" PRIu32, m->refresh_expires_in);
    fputs(" session_id=", out);
    s_print_str(out, m->session_id, 32 + 1);
    fprintf(out, " user_id=%" PRIu64, m->user_id);
    fputs(" email=", out);
    s_print_str(out, m->email, 254 + 1);
    fputs(" role=", out);
    s_print_str(out, m->role, 16 + 1);
    fputs(" display_name=", out);
    s_print_str(out, m->display_name, 100 + 1);
    fputc('\n', out);
}

/* --- REFRESH --- */

int auth_refresh_encode(const struct auth_refresh *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->refresh_token, 128 + 1))
        return -1;
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    if (!s_str_valid(m->user_agent, 256 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* refresh_token */
    cm_mp_put_cstr(&w, m->refresh_token);
    cm_mp_put_uint(&w, 2); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    cm_mp_put_uint(&w, 3); /* user_agent */
    cm_mp_put_cstr(&w, m->user_agent);
    return cm_mp_writer_status(&w);
}

int auth_refresh_decode(struct auth_refresh *m, const void *data, size_t size)
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
        case 1: /* refresh_token */
            bit = 0x1;
            rc = s_get_str(&r, m->refresh_token, 128 + 1);
            break;
        case 2: /* ip */
            bit = 0x2;
            rc = s_get_str(&r, m->ip, 64 + 1);
            break;
        case 3: /* user_agent */
            bit = 0x4;
            rc = s_get_str(&r, m->user_agent, 256 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: refresh_token. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void auth_refresh_print(const struct auth_refresh *m, FILE *out)
{
    fputs("auth.REFRESH", out);
    fputs(" refresh_token=", out);
    s_print_str(out, m->refresh_token, 128 + 1);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fputs(" user_agent=", out);
    s_print_str(out, m->user_agent, 256 + 1);
    fputc('\n', out);
}

/* --- LOGOUT --- */

int auth_logout_encode(const struct auth_logout *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->refresh_token, 128 + 1))
        return -1;
    if (!s_str_valid(m->session_id, 32 + 1))
        return -1;
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* refresh_token */
    cm_mp_put_cstr(&w, m->refresh_token);
    cm_mp_put_uint(&w, 2); /* session_id */
    cm_mp_put_cstr(&w, m->session_id);
    cm_mp_put_uint(&w, 3); /* user_id */
    cm_mp_put_uint(&w, m->user_id);
    cm_mp_put_uint(&w, 4); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    return cm_mp_writer_status(&w);
}

int auth_logout_decode(struct auth_logout *m, const void *data, size_t size)
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
        case 1: /* refresh_token */
            bit = 0x1;
            rc = s_get_str(&r, m->refresh_token, 128 + 1);
            break;
        case 2: /* session_id */
            bit = 0x2;
            rc = s_get_str(&r, m->session_id, 32 + 1);
            break;
        case 3: /* user_id */
            bit = 0x4;
            rc = cm_mp_read_uint(&r, &m->user_id);
            break;
        case 4: /* ip */
            bit = 0x8;
            rc = s_get_str(&r, m->ip, 64 + 1);
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

void auth_logout_print(const struct auth_logout *m, FILE *out)
{
    fputs("auth.LOGOUT", out);
    fputs(" refresh_token=", out);
    s_print_str(out, m->refresh_token, 128 + 1);
    fputs(" session_id=", out);
    s_print_str(out, m->session_id, 32 + 1);
    fprintf(out, " user_id=%" PRIu64, m->user_id);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fputc('\n', out);
}

/* --- LOGOUT_OK --- */

int auth_logout_ok_encode(const struct auth_logout_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int auth_logout_ok_decode(struct auth_logout_ok *m, const void *data, size_t size)
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

void auth_logout_ok_print(const struct auth_logout_ok *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("auth.LOGOUT_OK\n", out);
}

/* --- USER_CREATE --- */

int auth_user_create_encode(const struct auth_user_create *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->email, 254 + 1))
        return -1;
    if (!s_str_valid(m->password, 1024 + 1))
        return -1;
    if (!s_str_valid(m->role, 16 + 1))
        return -1;
    if (!s_str_valid(m->display_name, 100 + 1))
        return -1;
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
    cm_mp_put_uint(&w, 1); /* email */
    cm_mp_put_cstr(&w, m->email);
    cm_mp_put_uint(&w, 2); /* password */
    cm_mp_put_cstr(&w, m->password);
    cm_mp_put_uint(&w, 3); /* role */
    cm_mp_put_cstr(&w, m->role);
    cm_mp_put_uint(&w, 4); /* display_name */
    cm_mp_put_cstr(&w, m->display_name);
    cm_mp_put_uint(&w, 5); /* actor_id */
    cm_mp_put_uint(&w, m->actor_id);
    cm_mp_put_uint(&w, 6); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    return cm_mp_writer_status(&w);
}

int auth_user_create_decode(struct auth_user_create *m, const void *data, size_t size)
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
        case 1: /* email */
            bit = 0x1;
            rc = s_get_str(&r, m->email, 254 + 1);
            break;
        case 2: /* password */
            bit = 0x2;
            rc = s_get_str(&r, m->password, 1024 + 1);
            break;
        case 3: /* role */
            bit = 0x4;
            rc = s_get_str(&r, m->role, 16 + 1);
            break;
        case 4: /* display_name */
            bit = 0x8;
            rc = s_get_str(&r, m->display_name, 100 + 1);
            break;
        case 5: /* actor_id */
            bit = 0x10;
            rc = cm_mp_read_uint(&r, &m->actor_id);
            break;
        case 6: /* ip */
            bit = 0x20;
            rc = s_get_str(&r, m->ip, 64 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: email, password. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void auth_user_create_print(const struct auth_user_create *m, FILE *out)
{
    fputs("auth.USER_CREATE", out);
    fputs(" email=", out);
    s_print_str(out, m->email, 254 + 1);
    fputs(" password=", out);
    s_print_str(out, m->password, 1024 + 1);
    fputs(" role=", out);
    s_print_str(out, m->role, 16 + 1);
    fputs(" display_name=", out);
    s_print_str(out, m->display_name, 100 + 1);
    fprintf(out, " actor_id=%" PRIu64, m->actor_id);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fputc('\n', out);
}

/* --- USER --- */

int auth_user_encode(const struct auth_user *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->email, 254 + 1))
        return -1;
    if (!s_str_valid(m->role, 16 + 1))
        return -1;
    if (!s_str_valid(m->display_name, 100 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* email */
    cm_mp_put_cstr(&w, m->email);
    cm_mp_put_uint(&w, 3); /* role */
    cm_mp_put_cstr(&w, m->role);
    cm_mp_put_uint(&w, 4); /* display_name */
    cm_mp_put_cstr(&w, m->display_name);
    cm_mp_put_uint(&w, 5); /* created_ms */
    cm_mp_put_int(&w, m->created_ms);
    cm_mp_put_uint(&w, 6); /* updated_ms */
    cm_mp_put_int(&w, m->updated_ms);
    return cm_mp_writer_status(&w);
}

int auth_user_decode(struct auth_user *m, const void *data, size_t size)
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
        case 2: /* email */
            bit = 0x2;
            rc = s_get_str(&r, m->email, 254 + 1);
            break;
        case 3: /* role */
            bit = 0x4;
            rc = s_get_str(&r, m->role, 16 + 1);
            break;
        case 4: /* display_name */
            bit = 0x8;
            rc = s_get_str(&r, m->display_name, 100 + 1);
            break;
        case 5: /* created_ms */
            bit = 0x10;
            rc = cm_mp_read_int(&r, &m->created_ms);
            break;
        case 6: /* updated_ms */
            bit = 0x20;
            rc = cm_mp_read_int(&r, &m->updated_ms);
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

void auth_user_print(const struct auth_user *m, FILE *out)
{
    fputs("auth.USER", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fputs(" email=", out);
    s_print_str(out, m->email, 254 + 1);
    fputs(" role=", out);
    s_print_str(out, m->role, 16 + 1);
    fputs(" display_name=", out);
    s_print_str(out, m->display_name, 100 + 1);
    fprintf(out, " created_ms=%" PRId64, m->created_ms);
    fprintf(out, " updated_ms=%" PRId64, m->updated_ms);
    fputc('\n', out);
}

/* --- USER_LIST --- */

int auth_user_list_encode(const struct auth_user_list *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* offset */
    cm_mp_put_uint(&w, m->offset);
    cm_mp_put_uint(&w, 2); /* limit */
    cm_mp_put_uint(&w, m->limit);
    return cm_mp_writer_status(&w);
}

int auth_user_list_decode(struct auth_user_list *m, const void *data, size_t size)
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
        case 1: /* offset */
            bit = 0x1;
            rc = s_get_u32(&r, &m->offset);
            break;
        case 2: /* limit */
            bit = 0x2;
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

void auth_user_list_print(const struct auth_user_list *m, FILE *out)
{
    fputs("auth.USER_LIST", out);
    fprintf(out, " offset=%" PRIu32, m->offset);
    fprintf(out, " limit=%" PRIu32, m->limit);
    fputc('\n', out);
}

/* --- USER_LIST_OK --- */

int auth_user_list_ok_encode(const struct auth_user_list_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (m->ids_count > 100)
        return -1;
    if (m->emails_count > 100)
        return -1;
    for (uint32_t i = 0; i < m->emails_count; i++) {
        if (!s_str_valid(m->emails[i], 254 + 1))
            return -1;
    }
    if (m->roles_count > 100)
        return -1;
    for (uint32_t i = 0; i < m->roles_count; i++) {
        if (!s_str_valid(m->roles[i], 16 + 1))
            return -1;
    }
    if (m->display_names_count > 100)
        return -1;
    for (uint32_t i = 0; i < m->display_names_count; i++) {
        if (!s_str_valid(m->display_names[i], 100 + 1))
            return -1;
    }
    if (m->created_ms_count > 100)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 6);
    cm_mp_put_uint(&w, 1); /* ids */
    cm_mp_put_array(&w, m->ids_count);
    for (uint32_t i = 0; i < m->ids_count; i++)
        cm_mp_put_uint(&w, m->ids[i]);
    cm_mp_put_uint(&w, 2); /* emails */
    cm_mp_put_array(&w, m->emails_count);
    for (uint32_t i = 0; i < m->emails_count; i++)
        cm_mp_put_cstr(&w, m->emails[i]);
    cm_mp_put_uint(&w, 3); /* roles */
    cm_mp_put_array(&w, m->roles_count);
    for (uint32_t i = 0; i < m->roles_count; i++)
        cm_mp_put_cstr(&w, m->roles[i]);
    cm_mp_put_uint(&w, 4); /* display_names */
    cm_mp_put_array(&w, m->display_names_count);
    for (uint32_t i = 0; i < m->display_names_count; i++)
        cm_mp_put_cstr(&w, m->display_names[i]);
    cm_mp_put_uint(&w, 5); /* created_ms */
    cm_mp_put_array(&w, m->created_ms_count);
    for (uint32_t i = 0; i < m->created_ms_count; i++)
        cm_mp_put_int(&w, m->created_ms[i]);
    cm_mp_put_uint(&w, 6); /* total */
    cm_mp_put_uint(&w, m->total);
    return cm_mp_writer_status(&w);
}

int auth_user_list_ok_decode(struct auth_user_list_ok *m, const void *data, size_t size)
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
            rc = s_get_array(&r, 100, &m->ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->ids[j]);
            break;
        case 2: /* emails */
            bit = 0x2;
            rc = s_get_array(&r, 100, &m->emails_count);
            for (uint32_t j = 0; rc == 0 && j < m->emails_count; j++)
                rc = s_get_str(&r, m->emails[j], 254 + 1);
            break;
        case 3: /* roles */
            bit = 0x4;
            rc = s_get_array(&r, 100, &m->roles_count);
            for (uint32_t j = 0; rc == 0 && j < m->roles_count; j++)
                rc = s_get_str(&r, m->roles[j], 16 + 1);
            break;
        case 4: /* display_names */
            bit = 0x8;
            rc = s_get_array(&r, 100, &m->display_names_count);
            for (uint32_t j = 0; rc == 0 && j < m->display_names_count; j++)
                rc = s_get_str(&r, m->display_names[j], 100 + 1);
            break;
        case 5: /* created_ms */
            bit = 0x10;
            rc = s_get_array(&r, 100, &m->created_ms_count);
            for (uint32_t j = 0; rc == 0 && j < m->created_ms_count; j++)
                rc = cm_mp_read_int(&r, &m->created_ms[j]);
            break;
        case 6: /* total */
            bit = 0x20;
            rc = cm_mp_read_uint(&r, &m->total);
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

void auth_user_list_ok_print(const struct auth_user_list_ok *m, FILE *out)
{
    fputs("auth.USER_LIST_OK", out);
    fputs(" ids=[", out);
    for (uint32_t i = 0; i < m->ids_count && i < 100; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->ids[i]);
    fputc(']', out);
    fputs(" emails=[", out);
    for (uint32_t i = 0; i < m->emails_count && i < 100; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->emails[i], 254 + 1);
    }
    fputc(']', out);
    fputs(" roles=[", out);
    for (uint32_t i = 0; i < m->roles_count && i < 100; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->roles[i], 16 + 1);
    }
    fputc(']', out);
    fputs(" display_names=[", out);
    for (uint32_t i = 0; i < m->display_names_count && i < 100; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->display_names[i], 100 + 1);
    }
    fputc(']', out);
    fputs(" created_ms=[", out);
    for (uint32_t i = 0; i < m->created_ms_count && i < 100; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", m->created_ms[i]);
    fputc(']', out);
    fprintf(out, " total=%" PRIu64, m->total);
    fputc('\n', out);
}

/* --- USER_UPDATE --- */

int auth_user_update_encode(const struct auth_user_update *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->role, 16 + 1))
        return -1;
    if (!s_str_valid(m->password, 1024 + 1))
        return -1;
    if (!s_str_valid(m->display_name, 100 + 1))
        return -1;
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 7);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* role */
    cm_mp_put_cstr(&w, m->role);
    cm_mp_put_uint(&w, 3); /* password */
    cm_mp_put_cstr(&w, m->password);
    cm_mp_put_uint(&w, 4); /* display_name */
    cm_mp_put_cstr(&w, m->display_name);
    cm_mp_put_uint(&w, 5); /* set_display_name */
    cm_mp_put_bool(&w, m->set_display_name);
    cm_mp_put_uint(&w, 6); /* actor_id */
    cm_mp_put_uint(&w, m->actor_id);
    cm_mp_put_uint(&w, 7); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    return cm_mp_writer_status(&w);
}

int auth_user_update_decode(struct auth_user_update *m, const void *data, size_t size)
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
        case 2: /* role */
            bit = 0x2;
            rc = s_get_str(&r, m->role, 16 + 1);
            break;
        case 3: /* password */
            bit = 0x4;
            rc = s_get_str(&r, m->password, 1024 + 1);
            break;
        case 4: /* display_name */
            bit = 0x8;
            rc = s_get_str(&r, m->display_name, 100 + 1);
            break;
        case 5: /* set_display_name */
            bit = 0x10;
            rc = cm_mp_read_bool(&r, &m->set_display_name);
            break;
        case 6: /* actor_id */
            bit = 0x20;
            rc = cm_mp_read_uint(&r, &m->actor_id);
            break;
        case 7: /* ip */
            bit = 0x40;
            rc = s_get_str(&r, m->ip, 64 + 1);
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

void auth_user_update_print(const struct auth_user_update *m, FILE *out)
{
    fputs("auth.USER_UPDATE", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fputs(" role=", out);
    s_print_str(out, m->role, 16 + 1);
    fputs(" password=", out);
    s_print_str(out, m->password, 1024 + 1);
    fputs(" display_name=", out);
    s_print_str(out, m->display_name, 100 + 1);
    fprintf(out, " set_display_name=%s", m->set_display_name ? "true" : "false");
    fprintf(out, " actor_id=%" PRIu64, m->actor_id);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fputc('\n', out);
}

/* --- USER_DELETE --- */

int auth_user_delete_encode(const struct auth_user_delete *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 3);
    cm_mp_put_uint(&w, 1); /* id */
    cm_mp_put_uint(&w, m->id);
    cm_mp_put_uint(&w, 2); /* actor_id */
    cm_mp_put_uint(&w, m->actor_id);
    cm_mp_put_uint(&w, 3); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    return cm_mp_writer_status(&w);
}

int auth_user_delete_decode(struct auth_user_delete *m, const void *data, size_t size)
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
        case 2: /* actor_id */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->actor_id);
            break;
        case 3: /* ip */
            bit = 0x4;
            rc = s_get_str(&r, m->ip, 64 + 1);
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

void auth_user_delete_print(const struct auth_user_delete *m, FILE *out)
{
    fputs("auth.USER_DELETE", out);
    fprintf(out, " id=%" PRIu64, m->id);
    fprintf(out, " actor_id=%" PRIu64, m->actor_id);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fputc('\n', out);
}

/* --- USER_DELETE_OK --- */

int auth_user_delete_ok_encode(const struct auth_user_delete_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    CM_UNUSED(m);
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 0);
    return cm_mp_writer_status(&w);
}

int auth_user_delete_ok_decode(struct auth_user_delete_ok *m, const void *data, size_t size)
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

void auth_user_delete_ok_print(const struct auth_user_delete_ok *m, FILE *out)
{
    CM_UNUSED(m);
    fputs("auth.USER_DELETE_OK\n", out);
}

/* --- REVOCATIONS --- */

int auth_revocations_encode(const struct auth_revocations *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 1);
    cm_mp_put_uint(&w, 1); /* after */
    cm_mp_put_uint(&w, m->after);
    return cm_mp_writer_status(&w);
}

int auth_revocations_decode(struct auth_revocations *m, const void *data, size_t size)
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
        case 1: /* after */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->after);
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

void auth_revocations_print(const struct auth_revocations *m, FILE *out)
{
    fputs("auth.REVOCATIONS", out);
    fprintf(out, " after=%" PRIu64, m->after);
    fputc('\n', out);
}

/* --- REVOCATIONS_OK --- */

int auth_revocations_ok_encode(const struct auth_revocations_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (m->session_ids_count > 1000)
        return -1;
    for (uint32_t i = 0; i < m->session_ids_count; i++) {
        if (!s_str_valid(m->session_ids[i], 32 + 1))
            return -1;
    }
    if (m->user_ids_count > 1000)
        return -1;
    if (m->min_version_count > 1000)
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 5);
    cm_mp_put_uint(&w, 1); /* cursor */
    cm_mp_put_uint(&w, m->cursor);
    cm_mp_put_uint(&w, 2); /* session_ids */
    cm_mp_put_array(&w, m->session_ids_count);
    for (uint32_t i = 0; i < m->session_ids_count; i++)
        cm_mp_put_cstr(&w, m->session_ids[i]);
    cm_mp_put_uint(&w, 3); /* user_ids */
    cm_mp_put_array(&w, m->user_ids_count);
    for (uint32_t i = 0; i < m->user_ids_count; i++)
        cm_mp_put_uint(&w, m->user_ids[i]);
    cm_mp_put_uint(&w, 4); /* min_version */
    cm_mp_put_array(&w, m->min_version_count);
    for (uint32_t i = 0; i < m->min_version_count; i++)
        cm_mp_put_uint(&w, m->min_version[i]);
    cm_mp_put_uint(&w, 5); /* more */
    cm_mp_put_bool(&w, m->more);
    return cm_mp_writer_status(&w);
}

int auth_revocations_ok_decode(struct auth_revocations_ok *m, const void *data, size_t size)
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
        case 1: /* cursor */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->cursor);
            break;
        case 2: /* session_ids */
            bit = 0x2;
            rc = s_get_array(&r, 1000, &m->session_ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->session_ids_count; j++)
                rc = s_get_str(&r, m->session_ids[j], 32 + 1);
            break;
        case 3: /* user_ids */
            bit = 0x4;
            rc = s_get_array(&r, 1000, &m->user_ids_count);
            for (uint32_t j = 0; rc == 0 && j < m->user_ids_count; j++)
                rc = cm_mp_read_uint(&r, &m->user_ids[j]);
            break;
        case 4: /* min_version */
            bit = 0x8;
            rc = s_get_array(&r, 1000, &m->min_version_count);
            for (uint32_t j = 0; rc == 0 && j < m->min_version_count; j++)
                rc = cm_mp_read_uint(&r, &m->min_version[j]);
            break;
        case 5: /* more */
            bit = 0x10;
            rc = cm_mp_read_bool(&r, &m->more);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: cursor. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void auth_revocations_ok_print(const struct auth_revocations_ok *m, FILE *out)
{
    fputs("auth.REVOCATIONS_OK", out);
    fprintf(out, " cursor=%" PRIu64, m->cursor);
    fputs(" session_ids=[", out);
    for (uint32_t i = 0; i < m->session_ids_count && i < 1000; i++) {
        fputs(i ? "," : "", out);
        s_print_str(out, m->session_ids[i], 32 + 1);
    }
    fputc(']', out);
    fputs(" user_ids=[", out);
    for (uint32_t i = 0; i < m->user_ids_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->user_ids[i]);
    fputc(']', out);
    fputs(" min_version=[", out);
    for (uint32_t i = 0; i < m->min_version_count && i < 1000; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", m->min_version[i]);
    fputc(']', out);
    fprintf(out, " more=%s", m->more ? "true" : "false");
    fputc('\n', out);
}

/* --- AUDIT --- */

int auth_audit_encode(const struct auth_audit *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->event, 48 + 1))
        return -1;
    if (!s_str_valid(m->service, 32 + 1))
        return -1;
    if (!s_str_valid(m->target, 256 + 1))
        return -1;
    if (!s_str_valid(m->ip, 64 + 1))
        return -1;
    if (!s_str_valid(m->detail, 512 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 9);
    cm_mp_put_uint(&w, 1); /* ts_ms */
    cm_mp_put_uint(&w, m->ts_ms);
    cm_mp_put_uint(&w, 2); /* event */
    cm_mp_put_cstr(&w, m->event);
    cm_mp_put_uint(&w, 3); /* severity */
    cm_mp_put_uint(&w, m->severity);
    cm_mp_put_uint(&w, 4); /* service */
    cm_mp_put_cstr(&w, m->service);
    cm_mp_put_uint(&w, 5); /* actor_id */
    cm_mp_put_uint(&w, m->actor_id);
    cm_mp_put_uint(&w, 6); /* target */
    cm_mp_put_cstr(&w, m->target);
    cm_mp_put_uint(&w, 7); /* ip */
    cm_mp_put_cstr(&w, m->ip);
    cm_mp_put_uint(&w, 8); /* rid */
    cm_mp_put_uint(&w, m->rid);
    cm_mp_put_uint(&w, 9); /* detail */
    cm_mp_put_cstr(&w, m->detail);
    return cm_mp_writer_status(&w);
}

int auth_audit_decode(struct auth_audit *m, const void *data, size_t size)
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
        case 1: /* ts_ms */
            bit = 0x1;
            rc = cm_mp_read_uint(&r, &m->ts_ms);
            break;
        case 2: /* event */
            bit = 0x2;
            rc = s_get_str(&r, m->event, 48 + 1);
            break;
        case 3: /* severity */
            bit = 0x4;
            rc = s_get_u8(&r, &m->severity);
            break;
        case 4: /* service */
            bit = 0x8;
            rc = s_get_str(&r, m->service, 32 + 1);
            break;
        case 5: /* actor_id */
            bit = 0x10;
            rc = cm_mp_read_uint(&r, &m->actor_id);
            break;
        case 6: /* target */
            bit = 0x20;
            rc = s_get_str(&r, m->target, 256 + 1);
            break;
        case 7: /* ip */
            bit = 0x40;
            rc = s_get_str(&r, m->ip, 64 + 1);
            break;
        case 8: /* rid */
            bit = 0x80;
            rc = cm_mp_read_uint(&r, &m->rid);
            break;
        case 9: /* detail */
            bit = 0x100;
            rc = s_get_str(&r, m->detail, 512 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: event. */
    if ((seen & 0x2) != 0x2)
        return -1;
    return 0;
}

void auth_audit_print(const struct auth_audit *m, FILE *out)
{
    fputs("auth.AUDIT", out);
    fprintf(out, " ts_ms=%" PRIu64, m->ts_ms);
    fputs(" event=", out);
    s_print_str(out, m->event, 48 + 1);
    fprintf(out, " severity=%u", (unsigned)m->severity);
    fputs(" service=", out);
    s_print_str(out, m->service, 32 + 1);
    fprintf(out, " actor_id=%" PRIu64, m->actor_id);
    fputs(" target=", out);
    s_print_str(out, m->target, 256 + 1);
    fputs(" ip=", out);
    s_print_str(out, m->ip, 64 + 1);
    fprintf(out, " rid=%" PRIu64, m->rid);
    fputs(" detail=", out);
    s_print_str(out, m->detail, 512 + 1);
    fputc('\n', out);
}

/* --- STREAM_KEY_MINT --- */

int auth_stream_key_mint_encode(const struct auth_stream_key_mint *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->session_id, 32 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* user_id */
    cm_mp_put_uint(&w, m->user_id);
    cm_mp_put_uint(&w, 2); /* session_id */
    cm_mp_put_cstr(&w, m->session_id);
    cm_mp_put_uint(&w, 3); /* source_id */
    cm_mp_put_uint(&w, m->source_id);
    cm_mp_put_uint(&w, 4); /* ttl_s */
    cm_mp_put_uint(&w, m->ttl_s);
    return cm_mp_writer_status(&w);
}

int auth_stream_key_mint_decode(struct auth_stream_key_mint *m, const void *data, size_t size)
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
        case 2: /* session_id */
            bit = 0x2;
            rc = s_get_str(&r, m->session_id, 32 + 1);
            break;
        case 3: /* source_id */
            bit = 0x4;
            rc = cm_mp_read_uint(&r, &m->source_id);
            break;
        case 4: /* ttl_s */
            bit = 0x8;
            rc = s_get_u32(&r, &m->ttl_s);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: user_id, session_id, source_id. */
    if ((seen & 0x7) != 0x7)
        return -1;
    return 0;
}

void auth_stream_key_mint_print(const struct auth_stream_key_mint *m, FILE *out)
{
    fputs("auth.STREAM_KEY_MINT", out);
    fprintf(out, " user_id=%" PRIu64, m->user_id);
    fputs(" session_id=", out);
    s_print_str(out, m->session_id, 32 + 1);
    fprintf(out, " source_id=%" PRIu64, m->source_id);
    fprintf(out, " ttl_s=%" PRIu32, m->ttl_s);
    fputc('\n', out);
}

/* --- STREAM_KEY --- */

int auth_stream_key_encode(const struct auth_stream_key *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->key, 64 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1); /* key */
    cm_mp_put_cstr(&w, m->key);
    cm_mp_put_uint(&w, 2); /* expires_ms */
    cm_mp_put_int(&w, m->expires_ms);
    return cm_mp_writer_status(&w);
}

int auth_stream_key_decode(struct auth_stream_key *m, const void *data, size_t size)
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
        case 1: /* key */
            bit = 0x1;
            rc = s_get_str(&r, m->key, 64 + 1);
            break;
        case 2: /* expires_ms */
            bit = 0x2;
            rc = cm_mp_read_int(&r, &m->expires_ms);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: key. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void auth_stream_key_print(const struct auth_stream_key *m, FILE *out)
{
    fputs("auth.STREAM_KEY", out);
    fputs(" key=", out);
    s_print_str(out, m->key, 64 + 1);
    fprintf(out, " expires_ms=%" PRId64, m->expires_ms);
    fputc('\n', out);
}

/* --- STREAM_KEY_CHECK --- */

int auth_stream_key_check_encode(const struct auth_stream_key_check *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->key, 128 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 1);
    cm_mp_put_uint(&w, 1); /* key */
    cm_mp_put_cstr(&w, m->key);
    return cm_mp_writer_status(&w);
}

int auth_stream_key_check_decode(struct auth_stream_key_check *m, const void *data, size_t size)
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
        case 1: /* key */
            bit = 0x1;
            rc = s_get_str(&r, m->key, 128 + 1);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: key. */
    if ((seen & 0x1) != 0x1)
        return -1;
    return 0;
}

void auth_stream_key_check_print(const struct auth_stream_key_check *m, FILE *out)
{
    fputs("auth.STREAM_KEY_CHECK", out);
    fputs(" key=", out);
    s_print_str(out, m->key, 128 + 1);
    fputc('\n', out);
}

/* --- STREAM_KEY_OK --- */

int auth_stream_key_ok_encode(const struct auth_stream_key_ok *m, cm_buf_t *out)
{
    cm_mp_writer_t w;

    /* Refuse a field that breaks the schema before writing anything. */
    if (!s_str_valid(m->session_id, 32 + 1))
        return -1;
    cm_mp_writer_init(&w, out);
    cm_mp_put_map(&w, 4);
    cm_mp_put_uint(&w, 1); /* user_id */
    cm_mp_put_uint(&w, m->user_id);
    cm_mp_put_uint(&w, 2); /* source_id */
    cm_mp_put_uint(&w, m->source_id);
    cm_mp_put_uint(&w, 3); /* session_id */
    cm_mp_put_cstr(&w, m->session_id);
    cm_mp_put_uint(&w, 4); /* expires_ms */
    cm_mp_put_int(&w, m->expires_ms);
    return cm_mp_writer_status(&w);
}

int auth_stream_key_ok_decode(struct auth_stream_key_ok *m, const void *data, size_t size)
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
        case 2: /* source_id */
            bit = 0x2;
            rc = cm_mp_read_uint(&r, &m->source_id);
            break;
        case 3: /* session_id */
            bit = 0x4;
            rc = s_get_str(&r, m->session_id, 32 + 1);
            break;
        case 4: /* expires_ms */
            bit = 0x8;
            rc = cm_mp_read_int(&r, &m->expires_ms);
            break;
        default: /* a field of a newer sender: skip it */
            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);
            break;
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    /* Required: user_id, source_id. */
    if ((seen & 0x3) != 0x3)
        return -1;
    return 0;
}

void auth_stream_key_ok_print(const struct auth_stream_key_ok *m, FILE *out)
{
    fputs("auth.STREAM_KEY_OK", out);
    fprintf(out, " user_id=%" PRIu64, m->user_id);
    fprintf(out, " source_id=%" PRIu64, m->source_id);
    fputs(" session_id=", out);
    s_print_str(out, m->session_id, 32 + 1);
    fprintf(out, " expires_ms=%" PRId64, m->expires_ms);
    fputc('\n', out);
}

/* --- Protocol --- */

static const struct cm_proto_msg s_msgs[] = {
    {.id = AUTH_MSG_LOGIN, .kind = CM_MSG_REQUEST, .payload = 0, .name = "LOGIN"},
    {.id = AUTH_MSG_TOKENS, .kind = CM_MSG_REPLY, .payload = 0, .name = "TOKENS"},
    {.id = AUTH_MSG_REFRESH, .kind = CM_MSG_REQUEST, .payload = 0, .name = "REFRESH"},
    {.id = AUTH_MSG_LOGOUT, .kind = CM_MSG_REQUEST, .payload = 0, .name = "LOGOUT"},
    {.id = AUTH_MSG_LOGOUT_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "LOGOUT_OK"},
    {.id = AUTH_MSG_USER_CREATE, .kind = CM_MSG_REQUEST, .payload = 0, .name = "USER_CREATE"},
    {.id = AUTH_MSG_USER, .kind = CM_MSG_REPLY, .payload = 0, .name = "USER"},
    {.id = AUTH_MSG_USER_LIST, .kind = CM_MSG_REQUEST, .payload = 0, .name = "USER_LIST"},
    {.id = AUTH_MSG_USER_LIST_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "USER_LIST_OK"},
    {.id = AUTH_MSG_USER_UPDATE, .kind = CM_MSG_REQUEST, .payload = 0, .name = "USER_UPDATE"},
    {.id = AUTH_MSG_USER_DELETE, .kind = CM_MSG_REQUEST, .payload = 0, .name = "USER_DELETE"},
    {.id = AUTH_MSG_USER_DELETE_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "USER_DELETE_OK"},
    {.id = AUTH_MSG_REVOCATIONS, .kind = CM_MSG_REQUEST, .payload = 0, .name = "REVOCATIONS"},
    {.id = AUTH_MSG_REVOCATIONS_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "REVOCATIONS_OK"},
    {.id = AUTH_MSG_AUDIT, .kind = CM_MSG_EVENT, .payload = 0, .name = "AUDIT"},
    {.id = AUTH_MSG_STREAM_KEY_MINT,
     .kind = CM_MSG_REQUEST,
     .payload = 0,
     .name = "STREAM_KEY_MINT"},
    {.id = AUTH_MSG_STREAM_KEY, .kind = CM_MSG_REPLY, .payload = 0, .name = "STREAM_KEY"},
    {.id = AUTH_MSG_STREAM_KEY_CHECK,
     .kind = CM_MSG_REQUEST,
     .payload = 0,
     .name = "STREAM_KEY_CHECK"},
    {.id = AUTH_MSG_STREAM_KEY_OK, .kind = CM_MSG_REPLY, .payload = 0, .name = "STREAM_KEY_OK"},
};

const struct cm_proto auth_proto = {
    .id = AUTH_PROTO,
    .version = AUTH_VERSION,
    .name = "auth",
    .nmsgs = CM_ARRAY_LEN(s_msgs),
    .msgs = s_msgs,
};

const char *auth_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&auth_proto, id);
    return msg ? msg->name : "?";
}

int auth_msg_decode(int id, void *m, const void *data, size_t size)
{
    switch (id) {
    case AUTH_MSG_LOGIN:
        return auth_login_decode(m, data, size);
    case AUTH_MSG_TOKENS:
        return auth_tokens_decode(m, data, size);
    case AUTH_MSG_REFRESH:
        return auth_refresh_decode(m, data, size);
    case AUTH_MSG_LOGOUT:
        return auth_logout_decode(m, data, size);
    case AUTH_MSG_LOGOUT_OK:
        return auth_logout_ok_decode(m, data, size);
    case AUTH_MSG_USER_CREATE:
        return auth_user_create_decode(m, data, size);
    case AUTH_MSG_USER:
        return auth_user_decode(m, data, size);
    case AUTH_MSG_USER_LIST:
        return auth_user_list_decode(m, data, size);
    case AUTH_MSG_USER_LIST_OK:
        return auth_user_list_ok_decode(m, data, size);
    case AUTH_MSG_USER_UPDATE:
        return auth_user_update_decode(m, data, size);
    case AUTH_MSG_USER_DELETE:
        return auth_user_delete_decode(m, data, size);
    case AUTH_MSG_USER_DELETE_OK:
        return auth_user_delete_ok_decode(m, data, size);
    case AUTH_MSG_REVOCATIONS:
        return auth_revocations_decode(m, data, size);
    case AUTH_MSG_REVOCATIONS_OK:
        return auth_revocations_ok_decode(m, data, size);
    case AUTH_MSG_AUDIT:
        return auth_audit_decode(m, data, size);
    case AUTH_MSG_STREAM_KEY_MINT:
        return auth_stream_key_mint_decode(m, data, size);
    case AUTH_MSG_STREAM_KEY:
        return auth_stream_key_decode(m, data, size);
    case AUTH_MSG_STREAM_KEY_CHECK:
        return auth_stream_key_check_decode(m, data, size);
    case AUTH_MSG_STREAM_KEY_OK:
        return auth_stream_key_ok_decode(m, data, size);
    default:
        return -1;
    }
}

int auth_msg_encode(int id, const void *m, cm_buf_t *out)
{
    switch (id) {
    case AUTH_MSG_LOGIN:
        return auth_login_encode(m, out);
    case AUTH_MSG_TOKENS:
        return auth_tokens_encode(m, out);
    case AUTH_MSG_REFRESH:
        return auth_refresh_encode(m, out);
    case AUTH_MSG_LOGOUT:
        return auth_logout_encode(m, out);
    case AUTH_MSG_LOGOUT_OK:
        return auth_logout_ok_encode(m, out);
    case AUTH_MSG_USER_CREATE:
        return auth_user_create_encode(m, out);
    case AUTH_MSG_USER:
        return auth_user_encode(m, out);
    case AUTH_MSG_USER_LIST:
        return auth_user_list_encode(m, out);
    case AUTH_MSG_USER_LIST_OK:
        return auth_user_list_ok_encode(m, out);
    case AUTH_MSG_USER_UPDATE:
        return auth_user_update_encode(m, out);
    case AUTH_MSG_USER_DELETE:
        return auth_user_delete_encode(m, out);
    case AUTH_MSG_USER_DELETE_OK:
        return auth_user_delete_ok_encode(m, out);
    case AUTH_MSG_REVOCATIONS:
        return auth_revocations_encode(m, out);
    case AUTH_MSG_REVOCATIONS_OK:
        return auth_revocations_ok_encode(m, out);
    case AUTH_MSG_AUDIT:
        return auth_audit_encode(m, out);
    case AUTH_MSG_STREAM_KEY_MINT:
        return auth_stream_key_mint_encode(m, out);
    case AUTH_MSG_STREAM_KEY:
        return auth_stream_key_encode(m, out);
    case AUTH_MSG_STREAM_KEY_CHECK:
        return auth_stream_key_check_encode(m, out);
    case AUTH_MSG_STREAM_KEY_OK:
        return auth_stream_key_ok_encode(m, out);
    default:
        return -1;
    }
}

void auth_msg_print(int id, const void *m, FILE *out)
{
    switch (id) {
    case AUTH_MSG_LOGIN:
        auth_login_print(m, out);
        break;
    case AUTH_MSG_TOKENS:
        auth_tokens_print(m, out);
        break;
    case AUTH_MSG_REFRESH:
        auth_refresh_print(m, out);
        break;
    case AUTH_MSG_LOGOUT:
        auth_logout_print(m, out);
        break;
    case AUTH_MSG_LOGOUT_OK:
        auth_logout_ok_print(m, out);
        break;
    case AUTH_MSG_USER_CREATE:
        auth_user_create_print(m, out);
        break;
    case AUTH_MSG_USER:
        auth_user_print(m, out);
        break;
    case AUTH_MSG_USER_LIST:
        auth_user_list_print(m, out);
        break;
    case AUTH_MSG_USER_LIST_OK:
        auth_user_list_ok_print(m, out);
        break;
    case AUTH_MSG_USER_UPDATE:
        auth_user_update_print(m, out);
        break;
    case AUTH_MSG_USER_DELETE:
        auth_user_delete_print(m, out);
        break;
    case AUTH_MSG_USER_DELETE_OK:
        auth_user_delete_ok_print(m, out);
        break;
    case AUTH_MSG_REVOCATIONS:
        auth_revocations_print(m, out);
        break;
    case AUTH_MSG_REVOCATIONS_OK:
        auth_revocations_ok_print(m, out);
        break;
    case AUTH_MSG_AUDIT:
        auth_audit_print(m, out);
        break;
    case AUTH_MSG_STREAM_KEY_MINT:
        auth_stream_key_mint_print(m, out);
        break;
    case AUTH_MSG_STREAM_KEY:
        auth_stream_key_print(m, out);
        break;
    case AUTH_MSG_STREAM_KEY_CHECK:
        auth_stream_key_check_print(m, out);
        break;
    case AUTH_MSG_STREAM_KEY_OK:
        auth_stream_key_ok_print(m, out);
        break;
    default:
        fprintf(out, "auth.? id=%d\n", id);
        break;
    }
}
