/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_tracker's HTTP side: the announce reply parser (under several peer
 * caps and with no peer array), the scrape reply parser (for a fixed info-hash and for the
 * input's first 20 bytes), and the best-trackers list parser over the same bytes. Invariants:
 * return codes, npeers <= max and the same prefix of peers whatever the cap, valid families and
 * non-zero ports, NUL-terminated and valid UTF-8 strings without control bytes, figures zeroed
 * on failure, list URLs bounded, distinct and of an allowed scheme. Any broken one aborts. */
#include "fuzz.h"
#include "bt_tracker.h"

static const uint8_t s_hash[20] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
                                   0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67};

static void s_text_ok(const char *s, size_t size)
{
    CHECK(memchr(s, '\0', size) != NULL);
    size_t n = strlen(s);
    CHECK(cm_utf8_valid(s, n, false));
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f);
}

static void s_peers_ok(const struct sockaddr_storage *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i].ss_family == AF_INET)
            CHECK(((const struct sockaddr_in *)&p[i])->sin_port != 0);
        else if (p[i].ss_family == AF_INET6)
            CHECK(((const struct sockaddr_in6 *)&p[i])->sin6_port != 0);
        else
            CHECK(!"peer family");
    }
}

static void s_announce(const uint8_t *data, size_t size)
{
    static struct sockaddr_storage big[BT_TRK_PEERS_MAX], small[7];
    struct bt_announce_reply r, r2;
    char err[96];
    memset(err, 'Z', sizeof(err));
    int rc = bt_trk_parse_http_announce(data, size, &r, big, BT_TRK_PEERS_MAX, err, sizeof(err));
    CHECK(rc == 0 || rc == -1);
    s_text_ok(err, sizeof(err));
    s_text_ok(r.failure, sizeof(r.failure));
    s_text_ok(r.warning, sizeof(r.warning));
    CHECK(r.npeers <= BT_TRK_PEERS_MAX);
    CHECK(r.interval >= -1 && r.min_interval >= -1 && r.complete >= -1 && r.incomplete >= -1);
    if (rc == -1) {
        CHECK(err[0] != '\0');
        CHECK(r.npeers == 0);
    } else {
        CHECK(err[0] == '\0');
        if (r.failure[0])
            CHECK(r.npeers == 0);
    }
    s_peers_ok(big, r.npeers);

    static const size_t caps[] = {0, 1, 7};
    for (size_t c = 0; c < CM_ARRAY_LEN(caps); c++) {
        int rc2 = bt_trk_parse_http_announce(data, size, &r2, small, caps[c], err, sizeof(err));
        CHECK(rc2 == rc);
        CHECK(r2.npeers == CM_MIN(r.npeers, caps[c]));
        CHECK(memcmp(small, big, r2.npeers * sizeof(*small)) == 0);
    }
    CHECK(bt_trk_parse_http_announce(data, size, &r2, NULL, 5, NULL, 0) == rc);
    CHECK(r2.npeers == 0);
}

static void s_scrape(const uint8_t *data, size_t size, const uint8_t hash[20])
{
    uint32_t s = 1, l = 1, c = 1;
    char err[64];
    memset(err, 'Z', sizeof(err));
    int rc = bt_trk_parse_http_scrape(data, size, hash, &s, &l, &c, err, sizeof(err));
    CHECK(rc == 0 || rc == -1);
    s_text_ok(err, sizeof(err));
    if (rc == -1)
        CHECK(err[0] != '\0' && s == 0 && l == 0 && c == 0);
}

static void s_list(const uint8_t *data, size_t size)
{
    char **urls = NULL;
    size_t n = 0;
    size_t added = bt_trk_list_parse((const char *)data, size, &urls, &n);
    CHECK(added == n && n <= BT_TRK_LIST_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(urls[i]);
        CHECK(len > 0 && len <= BT_TRACKER_URL_MAX);
        CHECK(strncasecmp(urls[i], "http://", 7) == 0 || strncasecmp(urls[i], "https://", 8) == 0 ||
              strncasecmp(urls[i], "udp://", 6) == 0);
        for (size_t j = 0; j < len; j++)
            CHECK((unsigned char)urls[i][j] > 0x20 && (unsigned char)urls[i][j] < 0x7f);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(urls[i], urls[j]) != 0);
    }
    /* Parsing the same text again adds nothing. */
    size_t again = bt_trk_list_parse((const char *)data, size, &urls, &n);
    CHECK(added == BT_TRK_LIST_MAX || again == 0);
    for (size_t i = 0; i < n; i++)
        cm_free(urls[i]);
    cm_free(urls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_announce(data, size);
    s_scrape(data, size, s_hash);
    if (size >= 20)
        s_scrape(data + 20, size - 20, data);
    if (size <= 65536)
        s_list(data, size);
    return 0;
}
