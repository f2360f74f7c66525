/* SPDX-License-Identifier: MIT
 * fuzz_cookie: the gateway's Cookie header parser (gw_cookie_find), which reads the session
 * cookies of browsers. A value found is NUL-terminated within the buffer, holds no ';', and
 * appears in the header right after "<name>=".
 * Corpus: tests/fuzz/corpus/cookie/. */
#include "fuzz.h"
#include "gw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *h = cm_malloc(size + 1);
    memcpy(h, data, size);
    h[size] = '\0';
    static const char *const names[] = {"mq_access", "mq_refresh", "a"};
    static const size_t sizes[] = {1, 8, 4097};
    for (size_t i = 0; i < CM_ARRAY_LEN(names); i++) {
        for (size_t j = 0; j < CM_ARRAY_LEN(sizes); j++) {
            char out[4097];
            if (!gw_cookie_find(h, names[i], out, sizes[j]))
                continue;
            size_t n = strlen(out);
            CHECK(n < sizes[j]);
            CHECK(!strchr(out, ';'));
            char needle[16];
            snprintf(needle, sizeof(needle), "%s=", names[i]);
            CHECK(strstr(h, needle) != NULL);
        }
    }
    cm_free(h);
    return 0;
}
