/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_magnet: parse a NUL-terminated copy of arbitrary bytes. On success
 * check the result against the caps (dn valid UTF-8 within BT_DN_MAX, trackers http/https/udp
 * within their caps, peers IPv4/IPv6 with a non-zero port), then build a magnet from it and
 * parse that again: hash, dn, xl, trackers and their count must come back equal. */
#include "fuzz.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"

static void s_check(const struct bt_magnet *m)
{
    if (m->dn)
        CHECK(strlen(m->dn) <= BT_DN_MAX && cm_utf8_valid(m->dn, strlen(m->dn), false));
    CHECK(m->ntr <= BT_TRACKERS_MAX && (m->ntr == 0) == (m->tr == NULL));
    for (size_t i = 0; i < m->ntr; i++) {
        size_t n = strlen(m->tr[i]);
        CHECK(n > 0 && n <= BT_TRACKER_URL_MAX);
        CHECK(strncasecmp(m->tr[i], "http://", 7) == 0 ||
              strncasecmp(m->tr[i], "https://", 8) == 0 || strncasecmp(m->tr[i], "udp://", 6) == 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(m->tr[i], m->tr[j]) != 0);
    }
    CHECK(m->npeers <= BT_MAGNET_PEERS_MAX);
    for (size_t i = 0; i < m->npeers; i++) {
        const struct sockaddr_storage *ss = &m->peers[i];
        if (ss->ss_family == AF_INET)
            CHECK(((const struct sockaddr_in *)ss)->sin_port != 0);
        else
            CHECK(ss->ss_family == AF_INET6 && ((const struct sockaddr_in6 *)ss)->sin6_port != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > BT_MAGNET_MAX + 16)
        return 0;
    char *s = cm_malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct bt_magnet m;
    char err[256];
    if (bt_magnet_parse(s, &m, err, sizeof(err)) < 0) {
        CHECK(m.dn == NULL && m.tr == NULL && m.peers == NULL && strlen(err) > 0);
        cm_free(s);
        return 0;
    }
    s_check(&m);
    cm_buf_t *b = cm_buf_new(4 * 1024 * 1024);
    CHECK(bt_magnet_build(m.info_hash, m.dn, m.xl, (const char *const *)m.tr, m.ntr, b) == 0);
    if (cm_buf_len(b) <= BT_MAGNET_MAX) { /* percent-encoding may grow it past the cap */
        struct bt_magnet m2;
        if (bt_magnet_parse((const char *)cm_buf_data(b), &m2, err, sizeof(err)) < 0) {
            fprintf(stderr, "re-parse failed: %s\n", err);
            abort();
        }
        CHECK(memcmp(m2.info_hash, m.info_hash, 20) == 0);
        CHECK((m.dn == NULL) == (m2.dn == NULL) && (!m.dn || strcmp(m.dn, m2.dn) == 0));
        CHECK(m2.xl == m.xl && m2.ntr == m.ntr);
        for (size_t i = 0; i < m.ntr; i++)
            CHECK(strcmp(m.tr[i], m2.tr[i]) == 0);
        bt_magnet_clear(&m2);
    }
    cm_buf_destroy(&b);
    bt_magnet_clear(&m);
    cm_free(s);
    return 0;
}
