/* SPDX-License-Identifier: MIT
 * bt_ext: BEP 10 extension messages: the extended handshake, ut_metadata (BEP 9), ut_pex
 * (BEP 11), and the compact peer lists shared with the trackers (BEP 23, BEP 7).
 *
 * Every parser decodes with bt_bencode under small caps (depth, tokens, bytes), so a hostile
 * payload costs at most a few hundred kilobytes of tokens. The parsers are lenient about what
 * does not matter (unknown keys, bytes after the dictionary of a handshake or a pex message,
 * an optional key of the wrong type, which then counts as absent) and strict about what the
 * engine relies on (the top-level dictionary, `m`, msg_type, piece, data placement, compact
 * list sizes). */
#include "cm.h"
#include "bt_ext.h"
#include "bt_bencode.h"
#include "bt_wire.h"

enum {
    EXT_DEPTH_MAX = 8,     /* nesting of any extension message */
    EXT_TOKENS_MAX = 4096, /* tokens of any extension message */
    MD_DICT_MAX = 4096,    /* bytes a ut_metadata dictionary may take before its data */
    MD_PIECE_MAX = 0x7fffffff,
    HS_REQQ_MAX = 100000,
};

/* Decode the dictionary at the start of p[0..len) under the extension caps. *consumed gets
 * its size. 0, or -1 when it is not a well-formed dictionary. */
static int s_decode_dict(bt_be_t *be, const uint8_t *p, size_t len, size_t len_max,
                         size_t *consumed)
{
    const struct bt_be_limits lim = {
        .depth_max = EXT_DEPTH_MAX,
        .tokens_max = EXT_TOKENS_MAX,
        .len_max = len_max,
        .strict = false,
    };
    if (!p || len == 0)
        return -1;
    if (bt_be_decode(be, p, len, &lim, consumed, NULL, 0) < 0)
        return -1;
    if (bt_be_type(be, 0) != BT_BE_DICT) {
        bt_be_clear(be);
        return -1;
    }
    return 0;
}

/* An extension id from the `m` dictionary: 1..255, else 0 (absent or disabled). */
static uint8_t s_ext_id(const bt_be_t *be, bt_be_node_t m, const char *key)
{
    int64_t v;
    if (bt_be_dict_int(be, m, key, &v) < 0 || v < 1 || v > 255)
        return 0;
    return (uint8_t)v;
}

int bt_ext_hs_parse(const uint8_t *p, size_t len, struct bt_ext_hs *out)
{
    memset(out, 0, sizeof(*out));
    out->metadata_size = -1;
    bt_be_t be = {0};
    size_t used = 0;
    if (s_decode_dict(&be, p, len, BT_EXT_HS_MAX, &used) < 0)
        return -1;
    int rc = -1;

    bt_be_node_t m = bt_be_dict_get(&be, 0, "m");
    if (m != BT_BE_NIL) {
        if (bt_be_type(&be, m) != BT_BE_DICT)
            goto out;
        out->ut_metadata = s_ext_id(&be, m, "ut_metadata");
        out->ut_pex = s_ext_id(&be, m, "ut_pex");
    }
    int64_t v;
    if (bt_be_dict_int(&be, 0, "metadata_size", &v) == 0)
        out->metadata_size = v; /* as sent: the caller caps it */
    if (bt_be_dict_int(&be, 0, "p", &v) == 0 && v >= 1 && v <= 65535)
        out->port = (uint16_t)v;
    if (bt_be_dict_int(&be, 0, "reqq", &v) == 0 && v >= 1 && v <= HS_REQQ_MAX)
        out->reqq = (uint32_t)v;
    if (bt_be_dict_int(&be, 0, "upload_only", &v) == 0)
        out->upload_only = v != 0;
    size_t slen = 0;
    const uint8_t *s = bt_be_dict_str(&be, 0, "v", &slen);
    if (s) {
        size_t n = CM_MIN(slen, sizeof(out->client) - 1);
        for (size_t i = 0; i < n; i++)
            out->client[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
        out->client[n] = '\0';
    }
    rc = 0;
out:
    bt_be_clear(&be);
    return rc;
}

int bt_ext_hs_build(cm_buf_t *out, int64_t metadata_size, uint16_t port, uint32_t reqq,
                    const char *client)
{
    /* Keys in sorted order: m, metadata_size, p, reqq, v. */
    if (bt_be_put_dict(out) < 0 || bt_be_put_cstr(out, "m") < 0 || bt_be_put_dict(out) < 0 ||
        bt_be_put_cstr(out, "ut_metadata") < 0 || bt_be_put_int(out, BT_EXT_UT_METADATA) < 0 ||
        bt_be_put_cstr(out, "ut_pex") < 0 || bt_be_put_int(out, BT_EXT_UT_PEX) < 0 ||
        bt_be_put_end(out) < 0)
        return -1;
    if (metadata_size > 0 &&
        (bt_be_put_cstr(out, "metadata_size") < 0 || bt_be_put_int(out, metadata_size) < 0))
        return -1;
    if (port > 0 && (bt_be_put_cstr(out, "p") < 0 || bt_be_put_int(out, port) < 0))
        return -1;
    if (reqq > 0 && (bt_be_put_cstr(out, "reqq") < 0 || bt_be_put_int(out, reqq) < 0))
        return -1;
    if (client && (bt_be_put_cstr(out, "v") < 0 || bt_be_put_cstr(out, client) < 0))
        return -1;
    return bt_be_put_end(out);
}

int bt_md_parse(const uint8_t *p, size_t len, struct bt_md_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->total_size = -1;
    bt_be_t be = {0};
    size_t used = 0;
    /* The dictionary is small and comes first: decode at most MD_DICT_MAX bytes of it, so the
     * cap does not depend on the data that follows. */
    if (s_decode_dict(&be, p, CM_MIN(len, (size_t)MD_DICT_MAX), MD_DICT_MAX, &used) < 0)
        return -1;
    int rc = -1;
    int64_t type, piece, total;
    if (bt_be_dict_int(&be, 0, "msg_type", &type) < 0 || type < BT_MD_REQUEST ||
        type > BT_MD_REJECT)
        goto out;
    if (bt_be_dict_int(&be, 0, "piece", &piece) < 0 || piece < 0 || piece > MD_PIECE_MAX)
        goto out;
    out->type = (int)type;
    out->piece = (uint32_t)piece;
    if (bt_be_dict_int(&be, 0, "total_size", &total) == 0)
        out->total_size = total;
    size_t dlen = len - used;
    if (type == BT_MD_DATA) {
        /* total_size is required and -1 means "absent"; a piece is never over 16 KiB. */
        if (out->total_size < 0 || dlen > BT_METADATA_PIECE)
            goto out;
        out->data = p + used;
        out->dlen = dlen;
    } else if (dlen != 0) {
        goto out;
    }
    rc = 0;
out:
    bt_be_clear(&be);
    return rc;
}

int bt_md_build(cm_buf_t *out, int type, uint32_t piece, int64_t total_size, const uint8_t *data,
                size_t dlen)
{
    if (type < BT_MD_REQUEST || type > BT_MD_REJECT || piece > MD_PIECE_MAX)
        return -1;
    if (type != BT_MD_DATA && dlen != 0)
        return -1;
    if (type == BT_MD_DATA && (total_size < 0 || dlen > BT_METADATA_PIECE || (dlen && !data)))
        return -1;
    /* Keys in sorted order: msg_type, piece, total_size. */
    if (bt_be_put_dict(out) < 0 || bt_be_put_cstr(out, "msg_type") < 0 ||
        bt_be_put_int(out, type) < 0 || bt_be_put_cstr(out, "piece") < 0 ||
        bt_be_put_int(out, piece) < 0)
        return -1;
    if (type == BT_MD_DATA &&
        (bt_be_put_cstr(out, "total_size") < 0 || bt_be_put_int(out, total_size) < 0))
        return -1;
    if (bt_be_put_end(out) < 0)
        return -1;
    if (dlen && cm_buf_append(out, data, dlen) < 0)
        return -1;
    return 0;
}

/* One compact list of a pex dictionary: absent is fine, another type is not. */
static int s_pex_list(const bt_be_t *be, const char *key, bool v6, struct sockaddr_storage *out,
                      size_t *n, size_t max)
{
    bt_be_node_t node = bt_be_dict_get(be, 0, key);
    if (node == BT_BE_NIL)
        return 0;
    size_t len = 0;
    const uint8_t *s = bt_be_str(be, node, &len);
    if (!s)
        return -1;
    return bt_compact_peers(s, len, v6, out, n, max);
}

int bt_pex_parse(const uint8_t *p, size_t len, struct sockaddr_storage *out, size_t max)
{
    bt_be_t be = {0};
    size_t used = 0;
    if (s_decode_dict(&be, p, len, BT_WIRE_MSG_MAX, &used) < 0)
        return -1;
    size_t n = 0;
    int rc = -1;
    /* added.f, added6.f, dropped and dropped6 are ignored: we do not trust a peer's claims
     * about other peers beyond their addresses, and a dropped peer simply fails to connect. */
    if (s_pex_list(&be, "added", false, out, &n, max) < 0 ||
        s_pex_list(&be, "added6", true, out, &n, max) < 0)
        goto out;
    rc = (int)n;
out:
    bt_be_clear(&be);
    return rc;
}

int bt_compact_peers(const uint8_t *p, size_t len, bool v6, struct sockaddr_storage *out, size_t *n,
                     size_t max)
{
    size_t esize = v6 ? 18 : 6;
    if (len % esize != 0)
        return -1;
    for (size_t off = 0; off < len && *n < max; off += esize) {
        const uint8_t *e = p + off;
        const uint8_t *port = e + esize - 2;
        if (port[0] == 0 && port[1] == 0)
            continue;
        struct sockaddr_storage *ss = &out[*n];
        memset(ss, 0, sizeof(*ss));
        if (v6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
            sin6->sin6_family = AF_INET6;
            memcpy(&sin6->sin6_port, port, 2);
            memcpy(&sin6->sin6_addr, e, 16);
        } else {
            struct sockaddr_in *sin = (struct sockaddr_in *)ss;
            sin->sin_family = AF_INET;
            memcpy(&sin->sin_port, port, 2);
            memcpy(&sin->sin_addr, e, 4);
        }
        (*n)++;
    }
    return 0;
}
