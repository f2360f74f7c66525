/* SPDX-License-Identifier: MIT
 * bt_bencode: a bencode decoder with caps and a canonical encoder (BEP 3).
 *
 * The decoder is iterative (no recursion: a deeply nested input cannot smash the stack) and
 * writes a flat token array, libtorrent's bdecode_node model: each token records its type, its
 * raw byte span in the input and the index of its next sibling, so lookups never allocate and
 * the raw bytes of any value (the info dictionary, for the info-hash) are available as they
 * were sent. Caps: nesting depth, token count, input length, string length. Strict mode also
 * rejects what is not canonical: unsorted or duplicate dictionary keys, `i-0e`, leading
 * zeros in integers and string lengths. Integers are int64; anything outside is an error.
 *
 * Tokens borrow the input: a bt_be_t is valid while the input bytes are. */
#ifndef BT_BENCODE_H
#define BT_BENCODE_H
#include "cm.h"

enum {
    BT_BE_DEPTH_MAX = 100,            /* default nesting cap (libtorrent: 100) */
    BT_BE_TOKENS_MAX = 2000000,       /* default token cap (libtorrent: 2,000,000) */
    BT_BE_LEN_MAX = 10 * 1024 * 1024, /* default input cap: a .torrent is at most 10 MB */
};

typedef enum bt_be_type {
    BT_BE_NONE = 0,
    BT_BE_INT,
    BT_BE_STR,
    BT_BE_LIST,
    BT_BE_DICT
} bt_be_type_t;

/* A node is an index into the token array; BT_BE_NIL is "absent". Node 0 is the root. */
typedef uint32_t bt_be_node_t;
#define BT_BE_NIL UINT32_MAX

struct bt_be_tok {
    uint8_t type;   /* bt_be_type_t */
    uint32_t start; /* offset of the first byte of the value in the input ('i','l','d', digit) */
    uint32_t end;   /* offset one past its last byte */
    uint32_t next; /* next sibling (in a list; in a dict: key -> value -> next key), or BT_BE_NIL */
    uint32_t count; /* LIST: elements; DICT: key/value pairs; STR: string length */
    uint32_t sdata; /* STR: offset of the string bytes (after "len:") */
    int64_t ival;   /* INT: the value */
};

typedef struct bt_be {
    const uint8_t *buf;     /* borrowed input */
    size_t len;             /* bytes of the decoded value (may be less than the input: see
                               bt_be_decode's `consumed`) */
    struct bt_be_tok *toks; /* owned */
    uint32_t ntoks;
    uint32_t cap;
} bt_be_t;

struct bt_be_limits {
    uint32_t depth_max;  /* 0: BT_BE_DEPTH_MAX */
    uint32_t tokens_max; /* 0: BT_BE_TOKENS_MAX */
    size_t len_max;      /* 0: BT_BE_LEN_MAX; inputs longer are refused before parsing */
    bool strict;         /* reject non-canonical input */
};

/* Decode one value from buf[0..len). With `consumed` NULL, bytes after the value are an error;
 * otherwise *consumed gets the value's length (ut_metadata data follows its dict). `lim` may
 * be NULL for the defaults. On success returns 0 and `out` owns a token array (bt_be_clear).
 * On failure returns -1, `out` holds nothing, and `err` has a sentence with the offset. */
int bt_be_decode(bt_be_t *out, const uint8_t *buf, size_t len, const struct bt_be_limits *lim,
                 size_t *consumed, char *err, size_t errlen) CM_WARN_UNUSED;

/* Release the token array. Safe on a zeroed or cleared bt_be_t. */
void bt_be_clear(bt_be_t *be);

/* Accessors. All accept BT_BE_NIL and out-of-range nodes and then answer "absent". */
bt_be_type_t bt_be_type(const bt_be_t *be, bt_be_node_t n);
/* 0 and *v, or -1 when n is not an integer. */
int bt_be_int(const bt_be_t *be, bt_be_node_t n, int64_t *v);
/* The string's bytes (borrowed from the input, NOT NUL-terminated) and length; NULL when n is
 * not a string. */
const uint8_t *bt_be_str(const bt_be_t *be, bt_be_node_t n, size_t *len);
/* The raw encoded bytes of any value (borrowed). */
const uint8_t *bt_be_raw(const bt_be_t *be, bt_be_node_t n, size_t *len);
/* Elements of a list, pairs of a dict; 0 otherwise. */
uint32_t bt_be_count(const bt_be_t *be, bt_be_node_t n);
/* First child (list element, or first dict key) and next sibling. For a dict, children
 * alternate key, value, key, value. */
bt_be_node_t bt_be_first(const bt_be_t *be, bt_be_node_t n);
bt_be_node_t bt_be_next(const bt_be_t *be, bt_be_node_t n);
/* i-th element of a list (linear). */
bt_be_node_t bt_be_list_at(const bt_be_t *be, bt_be_node_t list, uint32_t i);
/* Value under a key (C string) in a dict (linear), or BT_BE_NIL. */
bt_be_node_t bt_be_dict_get(const bt_be_t *be, bt_be_node_t dict, const char *key);
/* Typed helpers over bt_be_dict_get: -1 when missing or of another type. */
int bt_be_dict_int(const bt_be_t *be, bt_be_node_t dict, const char *key, int64_t *v);
const uint8_t *bt_be_dict_str(const bt_be_t *be, bt_be_node_t dict, const char *key, size_t *len);

/* --- encoder: appends to a capped cm_buf; each returns 0 or -1 when the cap is hit. The
 * caller writes dictionary keys in sorted order (canonical form). */
int bt_be_put_int(cm_buf_t *b, int64_t v) CM_WARN_UNUSED;
int bt_be_put_str(cm_buf_t *b, const void *s, size_t len) CM_WARN_UNUSED;
int bt_be_put_cstr(cm_buf_t *b, const char *s) CM_WARN_UNUSED;
int bt_be_put_list(cm_buf_t *b) CM_WARN_UNUSED; /* 'l' */
int bt_be_put_dict(cm_buf_t *b) CM_WARN_UNUSED; /* 'd' */
int bt_be_put_end(cm_buf_t *b) CM_WARN_UNUSED;  /* 'e' */
/* Re-encode node n canonically (dict keys sorted, duplicates refused): -1 on a cap or a
 * duplicate key. */
int bt_be_encode_canonical(const bt_be_t *be, bt_be_node_t n, cm_buf_t *b) CM_WARN_UNUSED;

#endif
