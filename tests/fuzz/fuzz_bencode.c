/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_bencode: decode arbitrary bytes in strict and non-strict mode under
 * small caps (and once with trailing bytes allowed). On success, check every token (span
 * inside the input, string bytes inside the span, sibling links forward, child counts), run
 * every accessor on every node, re-encode canonically (same length as the input, since the
 * decoder only accepts canonical integers and lengths; byte-identical for strict input),
 * re-decode the encoding strictly and re-encode it again to the same bytes. */
#include "fuzz.h"
#include "bt_bencode.h"

/* Every accessor on node n, with sanity checks against the token. */
static void s_node(const bt_be_t *be, bt_be_node_t n)
{
    const struct bt_be_tok *t = &be->toks[n];
    bt_be_type_t type = bt_be_type(be, n);
    CHECK(type == (bt_be_type_t)t->type && type != BT_BE_NONE);
    CHECK(t->start < t->end && t->end <= be->len);
    CHECK(t->next == BT_BE_NIL || (t->next > n && t->next < be->ntoks));

    size_t len;
    const uint8_t *raw = bt_be_raw(be, n, &len);
    CHECK(raw == be->buf + t->start && len == t->end - t->start);
    int64_t v;
    CHECK((bt_be_int(be, n, &v) == 0) == (type == BT_BE_INT));
    const uint8_t *s = bt_be_str(be, n, &len);
    CHECK((s != NULL) == (type == BT_BE_STR));
    if (s) {
        CHECK(s >= raw && s + len == be->buf + t->end);
        CHECK(t->sdata > t->start);
    }
    if (type == BT_BE_INT)
        CHECK(raw[0] == 'i' && raw[t->end - t->start - 1] == 'e');
    uint32_t count = bt_be_count(be, n);
    bt_be_node_t first = bt_be_first(be, n);
    if (type != BT_BE_LIST && type != BT_BE_DICT) {
        CHECK(count == 0 && first == BT_BE_NIL);
        CHECK(bt_be_list_at(be, n, 0) == BT_BE_NIL && bt_be_dict_get(be, n, "a") == BT_BE_NIL);
        return;
    }
    CHECK(raw[0] == (type == BT_BE_LIST ? 'l' : 'd') && raw[t->end - t->start - 1] == 'e');
    /* Children: count elements (list) or 2 x count (dict), all inside the parent's span. */
    uint32_t kids = 0;
    bt_be_node_t last = BT_BE_NIL;
    for (bt_be_node_t c = first; c != BT_BE_NIL; c = bt_be_next(be, c)) {
        CHECK(c > n && c < be->ntoks);
        CHECK(be->toks[c].start > t->start && be->toks[c].end < t->end);
        if (type == BT_BE_DICT && kids % 2 == 0) {
            CHECK(bt_be_type(be, c) == BT_BE_STR);
            /* The key must find its own value (keys are unique). */
            char key[64];
            size_t klen;
            const uint8_t *k = bt_be_str(be, c, &klen);
            if (klen < sizeof(key) && !memchr(k, 0, klen)) {
                memcpy(key, k, klen);
                key[klen] = '\0';
                CHECK(bt_be_dict_get(be, n, key) == bt_be_next(be, c));
                bt_be_dict_int(be, n, key, &v);
                bt_be_dict_str(be, n, key, &len);
            }
        }
        if (type == BT_BE_LIST)
            CHECK(bt_be_list_at(be, n, kids) == c);
        last = c;
        kids++;
        CHECK(kids <= be->ntoks);
    }
    CHECK(kids == (type == BT_BE_LIST ? count : 2 * count));
    CHECK(count == 0 ? first == BT_BE_NIL : first == n + 1);
    CHECK(last == BT_BE_NIL || be->toks[last].end == t->end - 1);
    if (type == BT_BE_LIST)
        CHECK(bt_be_list_at(be, n, count) == BT_BE_NIL);
}

static void s_check(const uint8_t *data, size_t size, bool strict, bool trailing)
{
    struct bt_be_limits lim = {
        .depth_max = 32, .tokens_max = 4096, .len_max = 64 * 1024, .strict = strict};
    bt_be_t be;
    char err[128];
    size_t consumed = 0;
    if (bt_be_decode(&be, data, size, &lim, trailing ? &consumed : NULL, err, sizeof(err)) < 0) {
        CHECK(be.toks == NULL && be.ntoks == 0);
        CHECK(strlen(err) > 0 && strlen(err) < sizeof(err));
        return;
    }
    CHECK(be.ntoks >= 1 && be.ntoks <= lim.tokens_max);
    CHECK(trailing ? be.len == consumed && consumed <= size : be.len == size);
    CHECK(be.toks[0].start == 0 && be.toks[0].end == be.len);
    CHECK(be.toks[0].next == BT_BE_NIL);
    for (uint32_t i = 0; i < be.ntoks; i++)
        s_node(&be, i);
    CHECK(bt_be_type(&be, be.ntoks) == BT_BE_NONE && bt_be_type(&be, BT_BE_NIL) == BT_BE_NONE);

    cm_buf_t *enc = cm_buf_new(be.len + 1);
    CHECK(bt_be_encode_canonical(&be, 0, enc) == 0);
    CHECK(cm_buf_len(enc) == be.len);
    if (strict)
        CHECK(memcmp(cm_buf_data(enc), data, be.len) == 0);
    bt_be_t be2;
    struct bt_be_limits lim2 = lim;
    lim2.strict = true;
    CHECK(bt_be_decode(&be2, cm_buf_data(enc), cm_buf_len(enc), &lim2, NULL, err, sizeof(err)) ==
          0);
    CHECK(be2.ntoks == be.ntoks);
    cm_buf_t *enc2 = cm_buf_new(be.len + 1);
    CHECK(bt_be_encode_canonical(&be2, 0, enc2) == 0);
    CHECK(cm_buf_len(enc2) == cm_buf_len(enc) &&
          memcmp(cm_buf_data(enc2), cm_buf_data(enc), cm_buf_len(enc)) == 0);
    /* A cap one byte short must fail cleanly. */
    cm_buf_t *small = cm_buf_new(be.len - 1);
    CHECK(bt_be_encode_canonical(&be, 0, small) == -1);
    cm_buf_destroy(&small);
    cm_buf_destroy(&enc2);
    cm_buf_destroy(&enc);
    bt_be_clear(&be2);
    bt_be_clear(&be);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_check(data, size, false, false);
    s_check(data, size, true, false);
    s_check(data, size, false, true);
    return 0;
}
