/* SPDX-License-Identifier: MIT
 * libFuzzer target for cm_http_parse: parse arbitrary bytes as a request head under several
 * header caps; on success, check the invariants of the result and run every helper (header
 * lookup, Content-Length, token lists, query_get, path_decode) over the parsed views. The
 * decoders also get the raw input directly. Any broken invariant aborts. */
#include "fuzz.h"
#include "cm_http_parse.h"

static bool s_inside(const uint8_t *data, size_t size, const char *p, size_t len)
{
    return (const uint8_t *)p >= data && (const uint8_t *)p + len <= data + size;
}

/* Run the decoders over one NUL-terminated copy of a view. */
static void s_decoders(const char *view, size_t len)
{
    char *s = cm_malloc(len + 1);
    char out[64];
    memcpy(s, view, len);
    s[len] = '\0';
    size_t slen = strlen(s); /* a view may hold NUL bytes: the query API stops there */

    static const char *const keys[] = {"a", "", "key with space", "x"};
    for (size_t k = 0; k < CM_ARRAY_LEN(keys); k++) {
        int n = cm_http_query_get(s, keys[k], out, sizeof(out));
        CHECK(n >= -2 && n < (int)sizeof(out));
        if (n >= 0) {
            CHECK(strlen(out) == (size_t)n); /* %00 is refused, so no NUL inside */
            CHECK(cm_http_query_get(s, keys[k], NULL, 0) == n);
        }
    }
    /* The first key of the query, whatever it is, must be found when it decodes. */
    size_t klen = strcspn(s, "=&");
    char key[64];
    if (klen < sizeof(key) && klen > 0) {
        memcpy(key, s, klen);
        key[klen] = '\0';
        cm_http_query_get(s, key, out, sizeof(out));
    }

    int n = cm_http_path_decode(s, slen, out, sizeof(out));
    CHECK(n >= -1 && n < (int)sizeof(out));
    if (n >= 0)
        CHECK(strlen(out) == (size_t)n);
    bool list = cm_http_list_has_token(s, slen, "close");
    if (list)
        CHECK(strcasestr(s, "close") != NULL);
    uint64_t cl;
    if (cm_http_parse_content_length(s, slen, &cl) == 0)
        CHECK(slen > 0 && strspn(s, "0123456789") == slen);
    cm_free(s);
}

static void s_check(const uint8_t *data, size_t size, size_t max_headers)
{
    struct cm_http_header headers[64];
    struct cm_http_parsed p = {.headers = headers};
    int rc = cm_http_parse_request((const char *)data, size, &p, max_headers);
    CHECK(rc >= -5 && (rc <= 0 || (size_t)rc <= size));
    if (rc <= 0)
        return;

    CHECK(p.num_headers <= max_headers);
    CHECK(p.method_len >= 1 && p.method_len <= CM_HTTP_METHOD_MAX);
    CHECK(s_inside(data, size, p.method, p.method_len));
    CHECK(p.path_len >= 1 && p.path[0] == '/' && s_inside(data, size, p.path, p.path_len));
    CHECK(!p.query || s_inside(data, size, p.query, p.query_len));
    CHECK(p.minor_version == 0 || p.minor_version == 1);
    CHECK(p.content_length >= -1);

    for (size_t h = 0; h < p.num_headers; h++) {
        const struct cm_http_header *hd = &p.headers[h];
        CHECK(s_inside(data, size, hd->name, hd->name_len));
        CHECK(s_inside(data, size, hd->value, hd->value_len));
        CHECK(cm_http_is_token(hd->name, hd->name_len));
        CHECK(hd->value_len == 0 || (hd->value[0] != ' ' && hd->value[hd->value_len - 1] != ' '));
        for (size_t i = 0; i < hd->value_len; i++)
            CHECK(hd->value[i] != '\r' && hd->value[i] != '\n' && hd->value[i] != '\0');
        /* Lookup by the field's own name finds it or an earlier field of the same name. */
        char name[128];
        if (hd->name_len < sizeof(name)) {
            memcpy(name, hd->name, hd->name_len);
            name[hd->name_len] = '\0';
            const struct cm_http_header *found = cm_http_header_find(&p, name);
            CHECK(found && found <= hd && found->name_len == hd->name_len);
        }
        uint64_t cl;
        if (cm_http_parse_content_length(hd->value, hd->value_len, &cl) == 0)
            CHECK(hd->value_len > 0);
        cm_http_list_has_token(hd->value, hd->value_len, "keep-alive");
    }
    const struct cm_http_header *host = cm_http_header_find(&p, "HOST");
    CHECK(p.minor_version == 0 || host != NULL);
    CHECK(cm_http_header_find(&p, "transfer-encoding") == NULL); /* 411 or 400, never success */

    s_decoders(p.path, p.path_len);
    if (p.query)
        s_decoders(p.query, p.query_len);

    /* Every strict prefix of a complete head is incomplete (the server relies on it). */
    struct cm_http_parsed q = {.headers = headers};
    CHECK(cm_http_parse_request((const char *)data, (size_t)rc - 1, &q, max_headers) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {0, 1, 4, 64};
    for (size_t i = 0; i < CM_ARRAY_LEN(caps); i++)
        s_check(data, size, caps[i]);
    s_decoders((const char *)data, CM_MIN(size, 4096));
    return 0;
}
