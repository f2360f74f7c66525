/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_ext: the first byte selects the parser (mod 5: extended handshake,
 * ut_metadata, ut_pex, compact IPv4 peers, compact IPv6 peers), the rest is the payload. The
 * results are checked against the header's rules (ranges, printable client, data inside the
 * input and only on data messages, counts within max, address families set), and what parses
 * is rebuilt with the builders and parsed again to the same values. */
#include "fuzz.h"
#include "bt_ext.h"

static void s_hs(const uint8_t *p, size_t len)
{
    struct bt_ext_hs h;
    if (bt_ext_hs_parse(p, len, &h) < 0)
        return;
    CHECK(h.reqq <= 100000);
    size_t n = strnlen(h.client, sizeof(h.client));
    CHECK(n < sizeof(h.client));
    for (size_t i = 0; i < n; i++)
        CHECK(h.client[i] >= 0x20 && h.client[i] < 0x7f);

    /* Our builder with the peer's values parses back to them (ids are ours). */
    cm_buf_t *b = cm_buf_new(1024);
    if (bt_ext_hs_build(b, h.metadata_size, h.port, h.reqq, h.client) == 0) {
        struct bt_ext_hs h2;
        CHECK(bt_ext_hs_parse(cm_buf_data(b), cm_buf_len(b), &h2) == 0);
        CHECK(h2.ut_metadata == BT_EXT_UT_METADATA && h2.ut_pex == BT_EXT_UT_PEX);
        CHECK(h2.metadata_size == (h.metadata_size > 0 ? h.metadata_size : -1));
        CHECK(h2.port == h.port && h2.reqq == h.reqq && strcmp(h2.client, h.client) == 0);
    }
    cm_buf_destroy(&b);
}

static void s_md(const uint8_t *p, size_t len)
{
    struct bt_md_msg m;
    if (bt_md_parse(p, len, &m) < 0)
        return;
    CHECK(m.type >= BT_MD_REQUEST && m.type <= BT_MD_REJECT);
    CHECK(m.piece <= 0x7fffffffu);
    if (m.type == BT_MD_DATA) {
        CHECK(m.total_size >= 0);
        CHECK(m.data && m.data >= p && m.data + m.dlen == p + len);
        CHECK(m.dlen <= BT_METADATA_PIECE);
    } else {
        CHECK(m.data == NULL && m.dlen == 0);
    }

    cm_buf_t *b = cm_buf_new(64 * 1024);
    CHECK(bt_md_build(b, m.type, m.piece, m.total_size, m.data, m.dlen) == 0);
    struct bt_md_msg m2;
    CHECK(bt_md_parse(cm_buf_data(b), cm_buf_len(b), &m2) == 0);
    CHECK(m2.type == m.type && m2.piece == m.piece && m2.dlen == m.dlen);
    CHECK(m.type != BT_MD_DATA || m2.total_size == m.total_size);
    CHECK(m.dlen == 0 || memcmp(m2.data, m.data, m.dlen) == 0);
    cm_buf_destroy(&b);
}

static void s_check_addrs(const struct sockaddr_storage *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].ss_family == AF_INET)
            CHECK(((const struct sockaddr_in *)&a[i])->sin_port != 0);
        else if (a[i].ss_family == AF_INET6)
            CHECK(((const struct sockaddr_in6 *)&a[i])->sin6_port != 0);
        else
            CHECK(!"family not set");
    }
}

static void s_pex(const uint8_t *p, size_t len)
{
    static const size_t maxes[] = {0, 1, BT_PEX_MAX};
    for (size_t k = 0; k < CM_ARRAY_LEN(maxes); k++) {
        struct sockaddr_storage *a = cm_calloc(maxes[k] + 1, sizeof(*a));
        int n = bt_pex_parse(p, len, a, maxes[k]);
        CHECK(n >= -1 && (n < 0 || (size_t)n <= maxes[k]));
        if (n > 0)
            s_check_addrs(a, (size_t)n);
        CHECK(a[maxes[k]].ss_family == 0); /* nothing written past max */
        cm_free(a);
    }
}

static void s_compact(const uint8_t *p, size_t len, bool v6)
{
    enum { MAX = 64 };
    struct sockaddr_storage a[MAX + 1];
    memset(a, 0, sizeof(a));
    size_t n = 3, esize = v6 ? 18 : 6;
    memset(a, 0x55, 3 * sizeof(a[0])); /* entries before *n stay untouched */
    int rc = bt_compact_peers(p, len, v6, a, &n, MAX);
    CHECK(rc == 0 || rc == -1);
    CHECK(rc == 0 || (len % esize != 0 && n == 3));
    CHECK(n >= 3 && n <= MAX && n - 3 <= len / esize);
    CHECK(a[MAX].ss_family == 0);
    for (size_t i = 0; i < 3; i++)
        CHECK(((const uint8_t *)&a[i])[0] == 0x55);
    s_check_addrs(a + 3, n - 3);
    for (size_t i = 3; i < n; i++)
        CHECK(a[i].ss_family == (v6 ? AF_INET6 : AF_INET));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    switch (data[0] % 5) {
    case 0:
        s_hs(p, len);
        break;
    case 1:
        s_md(p, len);
        break;
    case 2:
        s_pex(p, len);
        break;
    case 3:
        s_compact(p, len, false);
        break;
    default:
        s_compact(p, len, true);
        break;
    }
    return 0;
}
