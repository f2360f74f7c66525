/* SPDX-License-Identifier: MIT
 * bt_wire: peer wire framing (BEP 3, BEP 6 ids, BEP 10 header), pure functions over bytes.
 *
 * The parser decides as early as it can: the length prefix alone is enough to refuse an
 * oversized message, the prefix plus the id byte to refuse a fixed-size message of the wrong
 * length (so a peer cannot make us buffer 1 MiB for a `have`), and a piece's index is checked
 * as soon as its 4 bytes are in. Only then does it ask for the rest of the message. */
#include "cm.h"
#include "bt_wire.h"

static const char s_proto[] = "\x13"
                              "BitTorrent protocol";

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The length (after the prefix, id included) a fixed-size message must have, or 0 when the
 * id has a variable size. */
static uint32_t s_fixed_len(int id)
{
    switch (id) {
    case BT_MSG_CHOKE:
    case BT_MSG_UNCHOKE:
    case BT_MSG_INTERESTED:
    case BT_MSG_NOT_INTERESTED:
    case BT_MSG_HAVE_ALL:
    case BT_MSG_HAVE_NONE:
        return 1;
    case BT_MSG_HAVE:
    case BT_MSG_SUGGEST:
    case BT_MSG_ALLOWED_FAST:
        return 5;
    case BT_MSG_REQUEST:
    case BT_MSG_CANCEL:
    case BT_MSG_REJECT:
        return 13;
    case BT_MSG_PORT:
        return 3;
    default:
        return 0;
    }
}

/* Checks that need only the prefix and the id byte (and, for a piece, its index when it is
 * in): 0 or a bt_wire_err. */
static int s_check_early(const uint8_t *buf, size_t len, uint32_t mlen, int id, uint32_t npieces)
{
    uint32_t fixed = s_fixed_len(id);
    if (fixed)
        return mlen == fixed ? 0 : BT_WIRE_ELENGTH;
    switch (id) {
    case BT_MSG_BITFIELD:
        if (npieces > 0 && mlen != 1 + (npieces / 8 + (npieces % 8 != 0)))
            return BT_WIRE_EBITFIELD;
        return 0;
    case BT_MSG_PIECE:
        if (mlen < 9)
            return BT_WIRE_ELENGTH;
        if (mlen == 9 || mlen - 9 > BT_WIRE_BLOCK_MAX)
            return BT_WIRE_EBLOCK;
        if (npieces > 0 && len >= 9 && s_get32(buf + 5) >= npieces)
            return BT_WIRE_EINDEX;
        return 0;
    case BT_MSG_EXTENDED:
        return mlen >= 2 ? 0 : BT_WIRE_ELENGTH;
    default:
        return 0; /* unknown: any length >= 1 */
    }
}

int bt_wire_parse(const uint8_t *buf, size_t len, uint32_t npieces, struct bt_msg *out,
                  size_t *need)
{
    if (len < 4) {
        if (need)
            *need = 4;
        return 0;
    }
    uint32_t mlen = s_get32(buf);
    if (mlen > BT_WIRE_MSG_MAX)
        return BT_WIRE_ETOOLONG;
    memset(out, 0, sizeof(*out));
    if (mlen == 0) {
        out->id = BT_MSG_KEEPALIVE;
        return 4;
    }
    size_t total = 4 + (size_t)mlen;
    if (len < 5) {
        if (need)
            *need = total;
        return 0;
    }
    int id = buf[4];
    int rc = s_check_early(buf, len, mlen, id, npieces);
    if (rc < 0)
        return rc;
    if (len < total) {
        if (need)
            *need = total;
        return 0;
    }

    const uint8_t *body = buf + 5; /* after the id */
    out->len = mlen;
    switch (id) {
    case BT_MSG_CHOKE:
    case BT_MSG_UNCHOKE:
    case BT_MSG_INTERESTED:
    case BT_MSG_NOT_INTERESTED:
    case BT_MSG_HAVE_ALL:
    case BT_MSG_HAVE_NONE:
        break;
    case BT_MSG_HAVE:
    case BT_MSG_SUGGEST:
    case BT_MSG_ALLOWED_FAST:
        out->index = s_get32(body);
        if (npieces > 0 && out->index >= npieces)
            return BT_WIRE_EINDEX;
        break;
    case BT_MSG_REQUEST:
    case BT_MSG_CANCEL:
    case BT_MSG_REJECT:
        out->index = s_get32(body);
        out->begin = s_get32(body + 4);
        out->length = s_get32(body + 8);
        if (npieces > 0 && out->index >= npieces)
            return BT_WIRE_EINDEX;
        if (out->length == 0 || out->length > BT_WIRE_BLOCK_MAX)
            return BT_WIRE_EBLOCK;
        break;
    case BT_MSG_PORT:
        out->port = (uint16_t)(body[0] << 8 | body[1]);
        break;
    case BT_MSG_BITFIELD:
        out->payload = body;
        out->plen = mlen - 1;
        /* Spare bits at the end of the last byte must be zero (the size was checked early). */
        if (npieces % 8 != 0 && (body[out->plen - 1] & (0xffu >> (npieces % 8))) != 0)
            return BT_WIRE_EBITFIELD;
        break;
    case BT_MSG_PIECE:
        out->index = s_get32(body);
        out->begin = s_get32(body + 4);
        out->length = mlen - 9;
        out->payload = body + 8;
        out->plen = mlen - 9;
        break;
    case BT_MSG_EXTENDED:
        out->ext_id = body[0];
        out->payload = body + 1;
        out->plen = mlen - 2;
        break;
    default:
        id = BT_MSG_UNKNOWN;
        out->payload = body;
        out->plen = mlen - 1;
        break;
    }
    out->id = id;
    return (int)total;
}

void bt_wire_handshake(uint8_t out[BT_HANDSHAKE_LEN], const uint8_t info_hash[20],
                       const uint8_t peer_id[20], bool fast)
{
    memcpy(out, s_proto, 20);
    memset(out + 20, 0, 8);
    out[20 + 5] |= 0x10; /* BEP 10 extension protocol */
    if (fast)
        out[20 + 7] |= 0x04; /* BEP 6 fast extension */
    memcpy(out + 28, info_hash, 20);
    memcpy(out + 48, peer_id, 20);
}

int bt_wire_handshake_parse(const uint8_t in[BT_HANDSHAKE_LEN], struct bt_handshake *out)
{
    if (memcmp(in, s_proto, 20) != 0)
        return -1;
    memcpy(out->reserved, in + 20, 8);
    memcpy(out->info_hash, in + 28, 20);
    memcpy(out->peer_id, in + 48, 20);
    return 0;
}

size_t bt_wire_simple(uint8_t out[5], int id)
{
    s_put32(out, 1);
    out[4] = (uint8_t)id;
    return 5;
}

size_t bt_wire_keepalive(uint8_t out[4])
{
    s_put32(out, 0);
    return 4;
}

size_t bt_wire_have(uint8_t out[9], uint32_t index)
{
    s_put32(out, 5);
    out[4] = BT_MSG_HAVE;
    s_put32(out + 5, index);
    return 9;
}

size_t bt_wire_request(uint8_t out[17], int id, uint32_t index, uint32_t begin, uint32_t length)
{
    s_put32(out, 13);
    out[4] = (uint8_t)id;
    s_put32(out + 5, index);
    s_put32(out + 9, begin);
    s_put32(out + 13, length);
    return 17;
}

size_t bt_wire_piece_header(uint8_t out[13], uint32_t index, uint32_t begin, uint32_t length)
{
    s_put32(out, 9 + length);
    out[4] = BT_MSG_PIECE;
    s_put32(out + 5, index);
    s_put32(out + 9, begin);
    return 13;
}

size_t bt_wire_bitfield_header(uint8_t out[5], uint32_t nbytes)
{
    s_put32(out, 1 + nbytes);
    out[4] = BT_MSG_BITFIELD;
    return 5;
}

size_t bt_wire_extended_header(uint8_t out[6], uint8_t ext_id, uint32_t plen)
{
    s_put32(out, 2 + plen);
    out[4] = BT_MSG_EXTENDED;
    out[5] = ext_id;
    return 6;
}
