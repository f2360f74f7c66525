/* SPDX-License-Identifier: MIT
 * bt_wire: the BitTorrent peer wire protocol (BEP 3, BEP 6 fast-extension ids, BEP 10), as pure
 * functions over bytes: framing, parsing with every length checked, and builders. The peer
 * connection (bt_peer.c) owns sockets and state; this module never allocates.
 *
 * Framing rules (the parser refuses, with a distinct code, before the whole message is in):
 * a length prefix over BT_WIRE_MSG_MAX; a fixed-size message (choke..not_interested, have,
 * request, cancel, port, have_all, have_none, suggest, reject, allowed_fast) with a wrong length;
 * a piece message whose block is empty or longer than BT_WIRE_BLOCK_MAX; a bitfield whose size
 * is not ceil(npieces/8) or whose spare bits are set (when npieces is known, i.e. > 0); an
 * index >= npieces in have/request/cancel/piece/suggest/reject/allowed_fast (when known); a
 * request or cancel or reject whose length is 0 or > BT_WIRE_BLOCK_MAX. Unknown ids are
 * returned as BT_MSG_UNKNOWN for the caller to skip. */
#ifndef BT_WIRE_H
#define BT_WIRE_H
#include "cm.h"

enum {
    BT_WIRE_MSG_MAX = 1024 * 1024, /* largest accepted message incl. id (libtorrent: 1 MiB) */
    BT_WIRE_BLOCK_MAX = 16384,     /* largest request/piece block */
    BT_HANDSHAKE_LEN = 68,
};

enum bt_msg_id {
    BT_MSG_KEEPALIVE = -1, /* zero-length message */
    BT_MSG_CHOKE = 0,
    BT_MSG_UNCHOKE = 1,
    BT_MSG_INTERESTED = 2,
    BT_MSG_NOT_INTERESTED = 3,
    BT_MSG_HAVE = 4,
    BT_MSG_BITFIELD = 5,
    BT_MSG_REQUEST = 6,
    BT_MSG_PIECE = 7,
    BT_MSG_CANCEL = 8,
    BT_MSG_PORT = 9,
    BT_MSG_SUGGEST = 13,      /* BEP 6 */
    BT_MSG_HAVE_ALL = 14,     /* BEP 6 */
    BT_MSG_HAVE_NONE = 15,    /* BEP 6 */
    BT_MSG_REJECT = 16,       /* BEP 6 */
    BT_MSG_ALLOWED_FAST = 17, /* BEP 6 */
    BT_MSG_EXTENDED = 20,     /* BEP 10 */
    BT_MSG_UNKNOWN = 1000,    /* any other id: skip `len` bytes */
};

/* Parse results < 0. */
enum bt_wire_err {
    BT_WIRE_ETOOLONG = -1,  /* length prefix over BT_WIRE_MSG_MAX */
    BT_WIRE_ELENGTH = -2,   /* wrong length for the message id */
    BT_WIRE_EINDEX = -3,    /* piece index out of range */
    BT_WIRE_EBITFIELD = -4, /* bitfield size or spare bits */
    BT_WIRE_EBLOCK = -5,    /* block length 0 or over BT_WIRE_BLOCK_MAX */
};

struct bt_msg {
    int id;                 /* enum bt_msg_id */
    uint32_t len;           /* whole message length after the 4-byte prefix */
    uint32_t index;         /* have, request, piece, cancel, suggest, reject, allowed_fast */
    uint32_t begin;         /* request, piece, cancel, reject */
    uint32_t length;        /* request, cancel, reject: block length; piece: data length */
    uint16_t port;          /* port */
    uint8_t ext_id;         /* extended: the extended message id (0 = handshake) */
    const uint8_t *payload; /* borrowed: bitfield bits, piece data, extended payload (after
                               ext_id), unknown body */
    size_t plen;
};

/* Parse one message from buf[0..len). npieces 0 means "not known yet" (a magnet before its
 * metadata): index and bitfield-size checks are skipped then. Returns the bytes the message
 * takes (> 0) and fills `out`; 0 when more bytes are needed (`*need` gets the total size of
 * the message when the prefix is in, else 4); or a negative bt_wire_err. */
int bt_wire_parse(const uint8_t *buf, size_t len, uint32_t npieces, struct bt_msg *out,
                  size_t *need);

/* Handshake: "\x13BitTorrent protocol" + 8 reserved bytes + info-hash + peer id. */
struct bt_handshake {
    uint8_t reserved[8];
    uint8_t info_hash[20];
    uint8_t peer_id[20];
};
/* Reserved bits we set and test. */
#define BT_HS_EXTENDED(r) (((r)[5] & 0x10) != 0) /* BEP 10 */
#define BT_HS_FAST(r) (((r)[7] & 0x04) != 0)     /* BEP 6 */
/* Build our 68-byte handshake with the extension-protocol bit (and BEP 6 when `fast`). */
void bt_wire_handshake(uint8_t out[BT_HANDSHAKE_LEN], const uint8_t info_hash[20],
                       const uint8_t peer_id[20], bool fast);
/* Parse 68 bytes: 0, or -1 when the protocol string is wrong. */
int bt_wire_handshake_parse(const uint8_t in[BT_HANDSHAKE_LEN], struct bt_handshake *out);

/* Builders: each writes a whole message (prefix included) into `out` and returns its length.
 * `out` must hold the documented size. */
size_t bt_wire_simple(uint8_t out[5], int id); /* choke..not_interested, have_all/none */
size_t bt_wire_keepalive(uint8_t out[4]);
size_t bt_wire_have(uint8_t out[9], uint32_t index);
size_t bt_wire_request(uint8_t out[17], int id, uint32_t index, uint32_t begin,
                       uint32_t length); /* id: REQUEST, CANCEL or REJECT */
/* Piece header only (13 bytes); the caller sends `length` data bytes after it. */
size_t bt_wire_piece_header(uint8_t out[13], uint32_t index, uint32_t begin, uint32_t length);
/* Bitfield header only (5 bytes) for `nbytes` of bits that follow. */
size_t bt_wire_bitfield_header(uint8_t out[5], uint32_t nbytes);
/* Extended header (6 bytes) for `plen` payload bytes that follow. */
size_t bt_wire_extended_header(uint8_t out[6], uint8_t ext_id, uint32_t plen);

#endif
