/* SPDX-License-Identifier: MIT
 * libFuzzer target for gw_client: the input is "PROXIES\nPEER\nXFF" (missing parts: peer
 * 127.0.0.1, no header). Parse the proxy list (NULL must come with an error sentence), then
 * ask for the client address. The answer must be a numeric address in its normal form (a
 * fixed point of the normalisation, shorter than GW_ADDR_LEN) or, when the peer is not an
 * address, the peer itself; an untrusted peer must be the answer whatever the header says;
 * and the answer must not depend on a header the peer is not trusted to send. */
#include "fuzz.h"
#include "gw_client.h"

static bool s_is_addr(const char *s)
{
    uint8_t buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > GW_PROXIES_TEXT_MAX + GW_XFF_LEN_MAX + 256)
        return 0;
    char *s = cm_malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    const char *proxies = s, *peer = "127.0.0.1", *xff = NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        peer = nl + 1;
        nl = strchr(nl + 1, '\n');
        if (nl) {
            *nl = '\0';
            xff = nl + 1;
        }
    }

    char err[256] = "";
    gw_proxies_t *p = gw_proxies_parse(proxies, err, sizeof(err));
    if (!p) {
        CHECK(strlen(err) > 0);
        cm_free(s);
        return 0;
    }
    CHECK(gw_proxies_count(p) <= GW_PROXIES_MAX);

    char out[GW_ADDR_LEN], again[GW_ADDR_LEN], bare[GW_ADDR_LEN];
    gw_client_addr(p, peer, xff, out, sizeof(out));
    gw_client_addr(NULL, peer, NULL, bare, sizeof(bare)); /* the peer, normalised */
    if (s_is_addr(peer)) {
        CHECK(s_is_addr(out) && strlen(out) < GW_ADDR_LEN);
        gw_client_addr(NULL, out, NULL, again, sizeof(again));
        CHECK(strcmp(again, out) == 0);
        if (!gw_proxies_contains(p, peer))
            CHECK(strcmp(out, bare) == 0);
        else if (strcmp(out, bare) != 0)
            CHECK(xff != NULL);
    } else {
        CHECK(strncmp(out, peer, sizeof(out) - 1) == 0);
        CHECK(!gw_proxies_contains(p, peer));
    }
    gw_proxies_destroy(&p);
    cm_free(s);
    return 0;
}
