/* SPDX-License-Identifier: MIT
 * fuzz_proto: every generated body decoder, in the style of h2o's fuzz/driver_url.cc. The first
 * byte picks a (protocol, message) pair among all of them, the rest is the body. A body that
 * decodes must encode again, that encoding must decode, and encoding the result must give the
 * same bytes: decode and encode agree on every limit, and nothing decoded is lost. The whole input
 * also goes to cm_hdr_decode(). The test schema (proto/test.toml) is compiled in so that list,
 * map and bin code is fuzzed too, not only the types the protocols use today.
 * Corpus: tests/fuzz/corpus/proto/ (seeded from tests/proto/golden/, see proto/README.md). */
#include "fuzz.h"
#include "common_msg.h"
#include "auth_msg.h"
#include "discovery_msg.h"
#include "stream_msg.h"
#include "torrent_msg.h"
#include "../proto/gen/test_msg.c"

/* A protocol's codecs, chosen by message number. */
struct codec {
    const struct cm_proto *proto;
    int (*decode)(int id, void *m, const void *data, size_t size);
    int (*encode)(int id, const void *m, cm_buf_t *out);
    void (*print)(int id, const void *m, FILE *out);
};

/* Order matters only to the corpus: a seed's first byte indexes the messages of this list. */
static const struct codec s_codecs[] = {
    {&common_proto, common_msg_decode, common_msg_encode, common_msg_print},
    {&auth_proto, auth_msg_decode, auth_msg_encode, auth_msg_print},
    {&discovery_proto, discovery_msg_decode, discovery_msg_encode, discovery_msg_print},
    {&stream_proto, stream_msg_decode, stream_msg_encode, stream_msg_print},
    {&torrent_proto, torrent_msg_decode, torrent_msg_encode, torrent_msg_print},
    {&test_proto, test_msg_decode, test_msg_encode, test_msg_print},
};

/* Room for any decoded message; static because some are large. */
union any_msg {
    union common_msg common;
    union auth_msg auth;
    union discovery_msg discovery;
    union stream_msg stream;
    union torrent_msg torrent;
    union test_msg test;
};

static union any_msg s_first;  /* decoded from the input */
static union any_msg s_second; /* decoded from its encoding */

static bool s_same(const cm_buf_t *a, const cm_buf_t *b)
{
    return cm_buf_len(a) == cm_buf_len(b) &&
           memcmp(cm_buf_data(a), cm_buf_data(b), cm_buf_len(a)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cm_buf_t *enc1, *enc2; /* reused across runs; still reachable at exit */
    static FILE *null;
    struct cm_hdr hdr;

    if (!enc1) {
        enc1 = cm_buf_new(CM_POOL_MSG_MAX);
        enc2 = cm_buf_new(CM_POOL_MSG_MAX);
        null = fopen("/dev/null", "w");
    }
    (void)cm_hdr_decode(&hdr, data, size);
    if (size < 1)
        return 0;

    /* Pick the message. */
    size_t total = 0;
    for (size_t i = 0; i < CM_ARRAY_LEN(s_codecs); i++)
        total += s_codecs[i].proto->nmsgs;
    size_t k = data[0] % total;
    const struct codec *c = s_codecs;
    while (k >= c->proto->nmsgs) {
        k -= c->proto->nmsgs;
        c++;
    }
    int id = c->proto->msgs[k].id;

    if (c->decode(id, &s_first, data + 1, size - 1) != 0)
        return 0;
    /* Whatever decodes is within every limit, so it must encode, and the cycle must be stable. */
    cm_buf_reset(enc1);
    cm_buf_reset(enc2);
    if (c->encode(id, &s_first, enc1) != 0)
        abort();
    if (c->decode(id, &s_second, cm_buf_data(enc1), cm_buf_len(enc1)) != 0)
        abort();
    if (c->encode(id, &s_second, enc2) != 0 || !s_same(enc1, enc2))
        abort();
    if (null)
        c->print(id, &s_first, null);
    return 0;
}
