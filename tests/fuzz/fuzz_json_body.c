/* SPDX-License-Identifier: MIT
 * fuzz_json_body: the gateway's JSON request bodies (gw_json.c). The input is a body; it is
 * parsed as the login, user and refresh routes parse theirs, and every string field the
 * handlers read must come back within its cap, NUL-free, or be refused with a sentence.
 * Corpus: tests/fuzz/corpus/json_body/. */
#include "fuzz.h"
#include "gw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[CM_ERR_LEN] = "";
    json_t *o = gw_json_parse(data, size, size % 2 == 0, err, sizeof(err));
    if (!o) {
        CHECK(err[0] != '\0');
        return 0;
    }
    CHECK(json_is_object(o));
    static const struct {
        const char *key;
        size_t max;
    } fields[] = {{"email", 254},
                  {"password", 1024},
                  {"role", 16},
                  {"displayName", 100},
                  {"refreshToken", 128}};
    for (size_t i = 0; i < CM_ARRAY_LEN(fields); i++) {
        const char *s = NULL;
        err[0] = '\0';
        int r = gw_json_str(o, fields[i].key, fields[i].max, &s, err, sizeof(err));
        if (r == 1) {
            CHECK(s != NULL);
            CHECK(strlen(s) <= fields[i].max);
            CHECK(cm_utf8_valid(s, strlen(s), false));
        } else if (r == 0) {
            CHECK(s == NULL);
        } else {
            CHECK(r == -1 && err[0] != '\0');
        }
    }
    json_decref(o);
    return 0;
}
