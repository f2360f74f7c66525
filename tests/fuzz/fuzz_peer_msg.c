/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_wire_parse: the first 4 bytes (big-endian, mod 100001) choose
 * npieces, the rest is a stream of peer messages parsed back to back, as bt_peer does,
 * advancing by the return value until 0 or an error. Each result is checked against the
 * header's rules; every strict prefix of a parsed message must ask for more, and a 0 must
 * name a size larger than what was given. The handshake parser gets the first 68 bytes. */
#include "fuzz.h"
#include "bt_wire.h"

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void s_check_msg(const uint8_t *p, size_t n, int rc, uint32_t npieces,
                        const struct bt_msg *m)
{
    CHECK((size_t)rc <= n);
    if (m->id == BT_MSG_KEEPALIVE) {
        CHECK(rc == 4 && s_get32(p) == 0);
        return;
    }
    CHECK(m->len == s_get32(p) && (size_t)rc == 4 + (size_t)m->len);
    CHECK(m->len <= BT_WIRE_MSG_MAX);
    CHECK(m->id == BT_MSG_UNKNOWN || m->id == p[4]);
    if (m->payload) {
        CHECK(m->payload >= p + 5 && m->payload + m->plen <= p + rc);
        CHECK(m->payload + m->plen == p + rc); /* the payload always runs to the end */
    } else {
        CHECK(m->plen == 0);
    }
    bool indexed = false;
    switch (m->id) {
    case BT_MSG_CHOKE:
    case BT_MSG_UNCHOKE:
    case BT_MSG_INTERESTED:
    case BT_MSG_NOT_INTERESTED:
    case BT_MSG_HAVE_ALL:
    case BT_MSG_HAVE_NONE:
        CHECK(m->len == 1);
        break;
    case BT_MSG_HAVE:
    case BT_MSG_SUGGEST:
    case BT_MSG_ALLOWED_FAST:
        CHECK(m->len == 5);
        indexed = true;
        break;
    case BT_MSG_REQUEST:
    case BT_MSG_CANCEL:
    case BT_MSG_REJECT:
        CHECK(m->len == 13);
        CHECK(m->length >= 1 && m->length <= BT_WIRE_BLOCK_MAX);
        indexed = true;
        break;
    case BT_MSG_PORT:
        CHECK(m->len == 3);
        break;
    case BT_MSG_BITFIELD:
        CHECK(m->payload && m->plen == m->len - 1);
        if (npieces > 0) {
            CHECK(m->plen == (npieces + 7) / 8);
            if (npieces % 8)
                CHECK((m->payload[m->plen - 1] & (0xffu >> (npieces % 8))) == 0);
        }
        break;
    case BT_MSG_PIECE:
        CHECK(m->payload && m->plen == m->len - 9 && m->length == m->plen);
        CHECK(m->length >= 1 && m->length <= BT_WIRE_BLOCK_MAX);
        indexed = true;
        break;
    case BT_MSG_EXTENDED:
        CHECK(m->payload && m->plen == m->len - 2 && m->ext_id == p[5]);
        break;
    case BT_MSG_UNKNOWN:
        CHECK(m->payload && m->plen == m->len - 1);
        break;
    default:
        CHECK(!"unexpected id");
    }
    if (indexed && npieces > 0)
        CHECK(m->index < npieces);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= BT_HANDSHAKE_LEN) {
        struct bt_handshake h;
        int rc = bt_wire_handshake_parse(data, &h);
        CHECK(rc == 0 || rc == -1);
        if (rc == 0) {
            CHECK(data[0] == 19 && memcmp(h.info_hash, data + 28, 20) == 0);
            uint8_t again[BT_HANDSHAKE_LEN];
            bt_wire_handshake(again, h.info_hash, h.peer_id, BT_HS_FAST(h.reserved));
            CHECK(memcmp(again, data, 20) == 0 && memcmp(again + 28, data + 28, 40) == 0);
        }
    }
    if (size < 4)
        return 0;
    uint32_t npieces = s_get32(data) % 100001;
    const uint8_t *p = data + 4;
    size_t left = size - 4;
    for (;;) {
        struct bt_msg m;
        size_t need = 0;
        int rc = bt_wire_parse(p, left, npieces, &m, &need);
        CHECK(rc >= BT_WIRE_EBLOCK);
        if (rc < 0)
            break;
        if (rc == 0) {
            CHECK(need > left && need >= 4 && need <= 4 + (size_t)BT_WIRE_MSG_MAX);
            break;
        }
        s_check_msg(p, left, rc, npieces, &m);
        /* A strict prefix never yields a message. */
        struct bt_msg m2;
        size_t need2 = 0;
        int rc2 = bt_wire_parse(p, (size_t)rc - 1, npieces, &m2, &need2);
        CHECK(rc2 == 0 && (need2 == 4 || need2 == (size_t)rc));
        p += rc;
        left -= (size_t)rc;
    }
    return 0;
}
