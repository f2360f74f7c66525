/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_tracker's UDP (BEP 15) packet parser. Input: 4 bytes of expected
 * transaction id (big-endian), one byte whose low bit selects IPv6 peer entries, then the
 * packet. Invariants: 0 only for a packet of >= 8 bytes carrying the expected id and a known
 * action with its minimum length; announce peers <= max, a whole number of entries, of the
 * selected family with non-zero ports, and the same prefix whatever the cap; error text
 * NUL-terminated, valid UTF-8 without control bytes. Any broken one aborts. */
#include "fuzz.h"
#include "bt_tracker.h"

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sockaddr_storage big[BT_TRK_PEERS_MAX], small[3];
    if (size < 5)
        return 0;
    uint32_t tid = s_get32(data);
    bool v6 = data[4] & 1;
    const uint8_t *p = data + 5;
    size_t n = size - 5;
    struct bt_udp_reply r, r2;
    int rc = bt_trk_parse_udp(p, n, tid, v6, &r, big, BT_TRK_PEERS_MAX);
    CHECK(rc == 0 || rc == -1);
    CHECK(memchr(r.error, '\0', sizeof(r.error)) != NULL);
    CHECK(r.npeers <= BT_TRK_PEERS_MAX);
    if (rc == 0) {
        CHECK(n >= 8 && r.transaction_id == tid && s_get32(p) == (uint32_t)r.action);
        switch (r.action) {
        case BT_UDP_CONNECT:
            CHECK(n >= 16 && r.npeers == 0);
            break;
        case BT_UDP_ANNOUNCE: {
            size_t esz = v6 ? 18 : 6;
            CHECK(n >= 20 && (n - 20) % esz == 0 && r.npeers <= (n - 20) / esz);
            for (size_t i = 0; i < r.npeers; i++) {
                CHECK(big[i].ss_family == (v6 ? AF_INET6 : AF_INET));
                if (v6)
                    CHECK(((struct sockaddr_in6 *)&big[i])->sin6_port != 0);
                else
                    CHECK(((struct sockaddr_in *)&big[i])->sin_port != 0);
            }
            break;
        }
        case BT_UDP_SCRAPE:
            CHECK(n >= 20 && r.npeers == 0);
            break;
        case BT_UDP_ERROR: {
            size_t len = strlen(r.error);
            CHECK(len <= n - 8 && cm_utf8_valid(r.error, len, false));
            for (size_t i = 0; i < len; i++)
                CHECK((unsigned char)r.error[i] >= 0x20 && (unsigned char)r.error[i] != 0x7f);
            break;
        }
        default:
            CHECK(!"unknown action accepted");
        }
    }
    /* A smaller cap and no array give the same verdict and a prefix of the peers. */
    static const size_t caps[] = {0, 1, 3};
    for (size_t c = 0; c < CM_ARRAY_LEN(caps); c++) {
        CHECK(bt_trk_parse_udp(p, n, tid, v6, &r2, small, caps[c]) == rc);
        CHECK(r2.npeers == CM_MIN(r.npeers, caps[c]));
        CHECK(memcmp(small, big, r2.npeers * sizeof(*small)) == 0);
    }
    CHECK(bt_trk_parse_udp(p, n, tid, v6, &r2, NULL, 9) == rc && r2.npeers == 0);
    /* A packet taken for one transaction id is refused for any other. */
    if (rc == 0)
        CHECK(bt_trk_parse_udp(p, n, tid ^ 1, v6, &r2, NULL, 0) == -1);
    return 0;
}
