/* SPDX-License-Identifier: MIT
 * libFuzzer target for the bt_limits blocklist: add the input as list text twice, once left
 * unfinished (lookups scan linearly) and once finished (sorted, merged, binary search). Both
 * must agree on every address derived from the input: the raw bytes read as IPv4 and IPv6
 * addresses, every line that is a plain address (which must match), and their neighbours.
 * An IPv4 address and its IPv4-mapped IPv6 form must match alike. The range count stays within
 * the cap and merging never adds ranges. Corpus: tests/fuzz/corpus/blocklist/. */
#include "fuzz.h"
#include "bt_limits.h"

enum { S_LINES_CHECKED = 64 };

static bool s_match4(const bt_blocklist_t *bl, uint32_t v)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(v);
    return bt_blocklist_match(bl, (const struct sockaddr *)&sin);
}

static bool s_match6(const bt_blocklist_t *bl, const uint8_t b[16])
{
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    memcpy(sin6.sin6_addr.s6_addr, b, 16);
    return bt_blocklist_match(bl, (const struct sockaddr *)&sin6);
}

/* Both lists agree on v, v - 1, v + 1, and on the mapped forms; returns the match. */
static bool s_check4(const bt_blocklist_t *lin, const bt_blocklist_t *fin, uint32_t v)
{
    for (int d = -1; d <= 1; d++) {
        uint32_t x = v + (uint32_t)d;
        bool m = s_match4(fin, x);
        CHECK(m == s_match4(lin, x));
        uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        mapped[12] = (uint8_t)(x >> 24);
        mapped[13] = (uint8_t)(x >> 16);
        mapped[14] = (uint8_t)(x >> 8);
        mapped[15] = (uint8_t)x;
        CHECK(s_match6(fin, mapped) == m);
        CHECK(s_match6(lin, mapped) == m);
    }
    return s_match4(fin, v);
}

static bool s_check6(const bt_blocklist_t *lin, const bt_blocklist_t *fin, const uint8_t b[16])
{
    uint8_t x[16];
    for (int d = -1; d <= 1; d++) {
        memcpy(x, b, 16);
        if (d == 1) { /* + 1 with carry */
            for (int i = 15; i >= 0 && ++x[i] == 0; i--)
                ;
        } else if (d == -1) {
            for (int i = 15; i >= 0 && x[i]-- == 0; i--)
                ;
        }
        CHECK(s_match6(fin, x) == s_match6(lin, x));
    }
    return s_match6(fin, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    bt_blocklist_t *lin = bt_blocklist_new();
    bt_blocklist_t *fin = bt_blocklist_new();
    size_t bad1 = 0, bad2 = 0;
    int rc1 = bt_blocklist_add_text(lin, text, size, &bad1);
    int rc2 = bt_blocklist_add_text(fin, text, size, &bad2);
    CHECK(rc1 == rc2 && bad1 == bad2);
    CHECK(rc1 == 0 || rc1 == -1);
    size_t before = bt_blocklist_count(fin);
    CHECK(before <= BT_BLOCKLIST_MAX);
    CHECK(bad1 <= size);
    bt_blocklist_finish(fin);
    CHECK(bt_blocklist_count(fin) <= before);
    CHECK(bt_blocklist_count(fin) == 0 || before > 0);

    /* Raw bytes as addresses. */
    uint8_t raw[16] = {0};
    memcpy(raw, data, size < 16 ? size : 16);
    s_check4(lin, fin,
             (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3]);
    s_check6(lin, fin, raw);
    if (size >= 32)
        s_check6(lin, fin, data + size - 16);

    /* Lines that are a plain address must match. */
    const char *end = text + size;
    int lines = 0;
    for (const char *s = text; s < end && lines < S_LINES_CHECKED; lines++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        size_t len = (size_t)(e - s);
        if (len && s[len - 1] == '\r')
            len--;
        char buf[64];
        if (len > 0 && len < sizeof(buf) && !memchr(s, '\0', len)) {
            memcpy(buf, s, len);
            buf[len] = '\0';
            uint8_t b[16];
            if (inet_pton(AF_INET, buf, b) == 1) {
                uint32_t v =
                    (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
                CHECK(s_check4(lin, fin, v) || rc1 < 0);
            } else if (inet_pton(AF_INET6, buf, b) == 1) {
                CHECK(s_check6(lin, fin, b) || rc1 < 0);
            }
        }
        s = nl ? nl + 1 : end;
    }
    bt_blocklist_destroy(&lin);
    bt_blocklist_destroy(&fin);
    return 0;
}
