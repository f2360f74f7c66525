/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/test.toml
 * SPDX-License-Identifier: MIT
 * test (protocol 99, version 3): Every type of the generator, for its tests only.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct test_<msg> and three functions:
 *   int test_<msg>_encode(const struct test_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int test_<msg>_decode(struct test_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void test_<msg>_print(const struct test_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef TEST_MSG_H
#define TEST_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define TEST_PROTO 99
#define TEST_VERSION 3

/* Message numbers: never reused. */
#define TEST_MSG_EMPTY 1
#define TEST_MSG_SCALARS 2
#define TEST_MSG_BLOBS 3
#define TEST_MSG_LISTS 4
#define TEST_MSG_WIDE 5

/* EMPTY (1, request): No fields. */
struct test_empty {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int test_empty_encode(const struct test_empty *m, cm_buf_t *out);
int test_empty_decode(struct test_empty *m, const void *data, size_t size);
void test_empty_print(const struct test_empty *m, FILE *out);

/* SCALARS (2, reply): Every scalar type, at its extreme values. */
struct test_scalars {
    uint8_t a_u8;      /* tag 1, required */
    uint16_t a_u16;    /* tag 2 */
    uint32_t a_u32;    /* tag 3 */
    uint64_t a_u64;    /* tag 4 */
    int64_t a_i64;     /* tag 5 */
    int64_t small_i64; /* tag 6 */
    int64_t pos_i64;   /* tag 7 */
    bool yes;          /* tag 8 */
    bool no;           /* tag 9 */
};

int test_scalars_encode(const struct test_scalars *m, cm_buf_t *out);
int test_scalars_decode(struct test_scalars *m, const void *data, size_t size);
void test_scalars_print(const struct test_scalars *m, FILE *out);

/* BLOBS (3, event, with a payload frame): Strings and bytes, including a 300-byte string (str16)
 * and non-ASCII text. */
struct test_blobs {
    char name[40 + 1];       /* tag 1, required */
    char long_text[300 + 1]; /* tag 3 */
    char empty[8 + 1];       /* tag 4 */
    cm_iov_t blob;           /* tag 5, required, borrowed from the frame */
    cm_iov_t nothing;        /* tag 6, borrowed from the frame */
    char medium[100 + 1];    /* tag 7 */
    cm_iov_t big_blob;       /* tag 8, borrowed from the frame */
};

int test_blobs_encode(const struct test_blobs *m, cm_buf_t *out);
int test_blobs_decode(struct test_blobs *m, const void *data, size_t size);
void test_blobs_print(const struct test_blobs *m, FILE *out);

/* LISTS (4, event): Lists of every item type, and a map. */
struct test_lists {
    uint8_t bytes[4];      /* tag 1 */
    uint32_t bytes_count;  /* items in bytes, at most 4 */
    uint16_t ports[8];     /* tag 2 */
    uint32_t ports_count;  /* items in ports, at most 8 */
    uint32_t ids[4];       /* tag 3 */
    uint32_t ids_count;    /* items in ids, at most 4 */
    uint64_t sizes[4];     /* tag 4 */
    uint32_t sizes_count;  /* items in sizes, at most 4 */
    int64_t deltas[4];     /* tag 5 */
    uint32_t deltas_count; /* items in deltas, at most 4 */
    bool flags[4];         /* tag 6 */
    uint32_t flags_count;  /* items in flags, at most 4 */
    char names[3][16 + 1]; /* tag 7, required */
    uint32_t names_count;  /* items in names, at most 3 */
    cm_iov_t chunks[3];    /* tag 8, borrowed from the frame */
    uint32_t chunks_count; /* items in chunks, at most 3 */
    /* tag 9 */
    struct {
        char key[12 + 1];
        char value[12 + 1];
    } labels[4];
    uint32_t labels_count; /* pairs in labels, at most 4; keys are unique */
    uint32_t none[2];      /* tag 10 */
    uint32_t none_count;   /* items in none, at most 2 */
    uint8_t many[40];      /* tag 11 */
    uint32_t many_count;   /* items in many, at most 40 */
};

int test_lists_encode(const struct test_lists *m, cm_buf_t *out);
int test_lists_decode(struct test_lists *m, const void *data, size_t size);
void test_lists_print(const struct test_lists *m, FILE *out);

/* WIDE (5, event): Seventeen fields, so the body is a map16. */
struct test_wide {
    uint8_t f1;  /* tag 1 */
    uint8_t f2;  /* tag 2 */
    uint8_t f3;  /* tag 3 */
    uint8_t f4;  /* tag 4 */
    uint8_t f5;  /* tag 5 */
    uint8_t f6;  /* tag 6 */
    uint8_t f7;  /* tag 7 */
    uint8_t f8;  /* tag 8 */
    uint8_t f9;  /* tag 9 */
    uint8_t f10; /* tag 10 */
    uint8_t f11; /* tag 11 */
    uint8_t f12; /* tag 12 */
    uint8_t f13; /* tag 13 */
    uint8_t f14; /* tag 14 */
    uint8_t f15; /* tag 15 */
    uint8_t f16; /* tag 16 */
    uint8_t f17; /* tag 17 */
};

int test_wide_encode(const struct test_wide *m, cm_buf_t *out);
int test_wide_decode(struct test_wide *m, const void *data, size_t size);
void test_wide_print(const struct test_wide *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union test_msg {
    struct test_empty empty;
    struct test_scalars scalars;
    struct test_blobs blobs;
    struct test_lists lists;
    struct test_wide wide;
};

/* The name of message `id` (e.g. "EMPTY"), or "?" when the protocol has none. Static. */
const char *test_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union test_msg will do). Decode and encode return -1 for an unknown id; print prints "test.?
 * id=N". */
int test_msg_decode(int id, void *m, const void *data, size_t size);
int test_msg_encode(int id, const void *m, cm_buf_t *out);
void test_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto test_proto;

#endif
