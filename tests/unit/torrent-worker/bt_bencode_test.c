/* SPDX-License-Identifier: MIT
 * Tests of bt_bencode: decoding and every accessor, the caps of security checklist B-02
 * (nesting 100,000 deep, 10^7 tiny tokens, a 2^31 string length, integer edge cases, unsorted
 * and duplicate keys in both modes, truncation), error offsets, raw spans, the encoder
 * primitives and canonical re-encoding (including caps and duplicate refusal). */
#include "cm.h"
#include "bt_bencode.h"
#include "../../tap.h"

static char s_err[256];

/* Decode a C string with limits; on success the caller clears `be`. */
static int s_dec(bt_be_t *be, const char *s, const struct bt_be_limits *lim)
{
    return bt_be_decode(be, (const uint8_t *)s, strlen(s), lim, NULL, s_err, sizeof(s_err));
}

/* Decode must fail and leave `be` empty; the error must contain `want`. */
static void s_bad(const char *s, const struct bt_be_limits *lim, const char *want, const char *name)
{
    bt_be_t be;
    memset(&be, 0x5a, sizeof(be));
    int rc = s_dec(&be, s, lim);
    if (!ok(rc == -1 && be.toks == NULL && be.ntoks == 0, name))
        bt_be_clear(&be);
    if (want && !ok(strstr(s_err, want) != NULL, name))
        diag("error '%s' lacks '%s'", s_err, want);
}

static void s_good(const char *s, const struct bt_be_limits *lim, const char *name)
{
    bt_be_t be;
    int rc = s_dec(&be, s, lim);
    if (!ok(rc == 0, name))
        diag("error: %s", s_err);
    bt_be_clear(&be);
}

static bool s_streq(const uint8_t *p, size_t len, const char *want)
{
    return p && len == strlen(want) && memcmp(p, want, len) == 0;
}

static void test_basic(void)
{
    const char *s = "d0:0:3:bar4:spam3:fooi42e4:infod1:ai-7e1:bli1e2:xyee4:listli1ei-2ed1:aleeee";
    bt_be_t be;
    is_int(s_dec(&be, s, &(struct bt_be_limits){.strict = true}), 0, "decode a nested dict");
    is_int(be.len, strlen(s), "len is the whole input");
    is_int(bt_be_type(&be, 0), BT_BE_DICT, "root is a dict");
    is_int(bt_be_count(&be, 0), 5, "root has 5 pairs");

    size_t len;
    const uint8_t *p = bt_be_dict_str(&be, 0, "bar", &len);
    ok(s_streq(p, len, "spam"), "bar = spam");
    int64_t v = 0;
    is_int(bt_be_dict_int(&be, 0, "foo", &v), 0, "foo is an int");
    is_int(v, 42, "foo = 42");
    is_int(bt_be_dict_int(&be, 0, "bar", &v), -1, "bar is not an int");
    ok(bt_be_dict_str(&be, 0, "foo", &len) == NULL && len == 0, "foo is not a string");
    ok(bt_be_dict_get(&be, 0, "nope") == BT_BE_NIL, "missing key is NIL");
    ok(bt_be_dict_get(&be, 0, "") == bt_be_next(&be, 1), "the empty key is found");
    ok(bt_be_dict_get(&be, 0, "ba") == BT_BE_NIL, "a prefix of a key does not match");

    bt_be_node_t info = bt_be_dict_get(&be, 0, "info");
    is_int(bt_be_type(&be, info), BT_BE_DICT, "info is a dict");
    p = bt_be_raw(&be, info, &len);
    ok(s_streq(p, len, "d1:ai-7e1:bli1e2:xyee"), "raw span of info is its exact bytes");
    is_int(bt_be_dict_int(&be, info, "a", &v), 0, "info.a is an int");
    is_int(v, -7, "info.a = -7");
    bt_be_node_t bl = bt_be_dict_get(&be, info, "b");
    is_int(bt_be_count(&be, bl), 2, "info.b has 2 elements");
    p = bt_be_raw(&be, bl, &len);
    ok(s_streq(p, len, "li1e2:xye"), "raw span of info.b");
    p = bt_be_str(&be, bt_be_list_at(&be, bl, 1), &len);
    ok(s_streq(p, len, "xy"), "info.b[1] = xy");
    p = bt_be_raw(&be, bt_be_list_at(&be, bl, 1), &len);
    ok(s_streq(p, len, "2:xy"), "raw span of a string includes its length");

    bt_be_node_t list = bt_be_dict_get(&be, 0, "list");
    is_int(bt_be_count(&be, list), 3, "list has 3 elements");
    bt_be_node_t e0 = bt_be_first(&be, list), e1 = bt_be_next(&be, e0);
    bt_be_node_t e2 = bt_be_next(&be, e1);
    ok(e0 == bt_be_list_at(&be, list, 0) && e1 == bt_be_list_at(&be, list, 1) &&
           e2 == bt_be_list_at(&be, list, 2),
       "first/next agree with list_at");
    ok(bt_be_next(&be, e2) == BT_BE_NIL, "the last element has no next");
    ok(bt_be_list_at(&be, list, 3) == BT_BE_NIL, "list_at past the end is NIL");
    is_int(bt_be_type(&be, e2), BT_BE_DICT, "list[2] is a dict");
    bt_be_node_t empty = bt_be_dict_get(&be, e2, "a");
    is_int(bt_be_type(&be, empty), BT_BE_LIST, "list[2].a is a list");
    is_int(bt_be_count(&be, empty), 0, "and empty");
    ok(bt_be_first(&be, empty) == BT_BE_NIL, "first of an empty list is NIL");
    p = bt_be_dict_str(&be, 0, "", &len);
    ok(p != NULL && len == 0, "the empty key maps to the empty string");

    /* Walking the root dict: key, value, key, value. */
    int keys = 0;
    for (bt_be_node_t k = bt_be_first(&be, 0); k != BT_BE_NIL;
         k = bt_be_next(&be, bt_be_next(&be, k)))
        keys += bt_be_type(&be, k) == BT_BE_STR;
    is_int(keys, 5, "walking the dict finds 5 string keys");
    bt_be_clear(&be);
    ok(be.toks == NULL && be.ntoks == 0, "clear empties");
    bt_be_clear(&be);
    ok(1, "clear twice is safe");
}

static void test_accessors_nil(void)
{
    bt_be_t be;
    size_t len = 99;
    int64_t v = 5;
    is_int(s_dec(&be, "li3e4:spamd1:ki1eee", NULL), 0, "decode a list");
    bt_be_node_t bad[] = {BT_BE_NIL, 1000, be.ntoks};
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        bt_be_node_t n = bad[i];
        ok(bt_be_type(&be, n) == BT_BE_NONE, "type of NIL/out of range is NONE");
        ok(bt_be_int(&be, n, &v) == -1 && v == 5, "int of NIL fails, v untouched");
        ok(bt_be_str(&be, n, &len) == NULL && len == 0, "str of NIL is NULL");
        len = 99;
        ok(bt_be_raw(&be, n, &len) == NULL && len == 0, "raw of NIL is NULL");
        ok(bt_be_count(&be, n) == 0, "count of NIL is 0");
        ok(bt_be_first(&be, n) == BT_BE_NIL, "first of NIL is NIL");
        ok(bt_be_next(&be, n) == BT_BE_NIL, "next of NIL is NIL");
        ok(bt_be_list_at(&be, n, 0) == BT_BE_NIL, "list_at of NIL is NIL");
        ok(bt_be_dict_get(&be, n, "k") == BT_BE_NIL, "dict_get of NIL is NIL");
        ok(bt_be_dict_int(&be, n, "k", &v) == -1, "dict_int of NIL fails");
        ok(bt_be_dict_str(&be, n, "k", &len) == NULL, "dict_str of NIL is NULL");
    }
    /* Wrong types. */
    bt_be_node_t i3 = bt_be_list_at(&be, 0, 0), str = bt_be_list_at(&be, 0, 1);
    bt_be_node_t d = bt_be_list_at(&be, 0, 2);
    ok(bt_be_int(&be, str, &v) == -1, "int of a string fails");
    ok(bt_be_int(&be, d, &v) == -1, "int of a dict fails");
    ok(bt_be_str(&be, i3, &len) == NULL, "str of an int is NULL");
    ok(bt_be_str(&be, 0, &len) == NULL, "str of a list is NULL");
    ok(bt_be_count(&be, i3) == 0 && bt_be_count(&be, str) == 0, "count of scalars is 0");
    ok(bt_be_first(&be, i3) == BT_BE_NIL, "first of an int is NIL");
    ok(bt_be_first(&be, str) == BT_BE_NIL, "first of a string is NIL");
    ok(bt_be_list_at(&be, d, 0) == BT_BE_NIL, "list_at of a dict is NIL");
    ok(bt_be_list_at(&be, str, 0) == BT_BE_NIL, "list_at of a string is NIL");
    ok(bt_be_dict_get(&be, 0, "k") == BT_BE_NIL, "dict_get of a list is NIL");
    ok(bt_be_dict_get(&be, str, "k") == BT_BE_NIL, "dict_get of a string is NIL");
    ok(bt_be_dict_get(&be, d, NULL) == BT_BE_NIL, "dict_get with a NULL key is NIL");
    ok(bt_be_dict_get(&be, d, "k") != BT_BE_NIL, "dict_get of the dict finds k");
    ok(bt_be_raw(&be, i3, &len) != NULL && len == 3, "raw of an int is 'i3e'");
    bt_be_clear(&be);

    bt_be_t zero;
    memset(&zero, 0, sizeof(zero));
    ok(bt_be_type(&zero, 0) == BT_BE_NONE, "type on a zeroed bt_be_t is NONE");
    ok(bt_be_raw(&zero, 0, &len) == NULL, "raw on a zeroed bt_be_t is NULL");
    ok(bt_be_type(NULL, 0) == BT_BE_NONE, "type on NULL is NONE");
}

static void test_integers(void)
{
    bt_be_t be;
    int64_t v = 0;
    s_bad("i-0e", NULL, "negative zero", "i-0e refused");
    s_bad("ie", NULL, "without digits", "ie refused");
    s_bad("i-e", NULL, "without digits", "i-e refused");
    s_bad("i03e", NULL, "leading zero", "i03e refused");
    s_bad("i00e", NULL, "leading zero", "i00e refused");
    s_bad("i-03e", NULL, "leading zero", "i-03e refused");
    s_bad("i03e", &(struct bt_be_limits){.strict = true}, "leading zero", "i03e refused strict");
    s_bad("i+3e", NULL, "without digits", "i+3e refused");
    s_bad("i1.5e", NULL, "unexpected byte", "i1.5e refused");
    s_bad("i12", NULL, "unexpected end of input at offset 3", "i12 is truncated");
    s_bad("i", NULL, "unexpected end of input at offset 1", "lone i is truncated");
    s_bad("i9223372036854775808e", NULL, "int64", "INT64_MAX + 1 refused");
    s_bad("i-9223372036854775809e", NULL, "int64", "INT64_MIN - 1 refused");
    s_bad("i18446744073709551616e", NULL, "digits", "2^64 refused (20 digits)");
    s_bad("i99999999999999999999e", NULL, "digits", "20 nines refused");
    char big[420];
    big[0] = 'i';
    memset(big + 1, '7', 400);
    big[401] = 'e';
    big[402] = '\0';
    s_bad(big, NULL, "more than 19 digits at offset 0", "i + 400 digits + e refused");

    is_int(s_dec(&be, "i9223372036854775807e", NULL), 0, "INT64_MAX accepted");
    bt_be_int(&be, 0, &v);
    ok(v == INT64_MAX, "value is INT64_MAX");
    bt_be_clear(&be);
    is_int(s_dec(&be, "i-9223372036854775808e", NULL), 0, "INT64_MIN accepted");
    bt_be_int(&be, 0, &v);
    ok(v == INT64_MIN, "value is INT64_MIN");
    bt_be_clear(&be);
    is_int(s_dec(&be, "i0e", NULL), 0, "i0e accepted");
    bt_be_int(&be, 0, &v);
    is_int(v, 0, "value 0");
    bt_be_clear(&be);
    is_int(s_dec(&be, "i-10e", NULL), 0, "i-10e accepted");
    bt_be_int(&be, 0, &v);
    is_int(v, -10, "value -10");
    bt_be_clear(&be);
}

static void test_strings(void)
{
    bt_be_t be;
    size_t len;
    s_bad("03:abc", NULL, "leading zero", "03:abc refused");
    s_bad("00:", NULL, "leading zero", "00: refused");
    s_bad("4:abc", NULL, "unexpected end of input at offset 5", "string past the end refused");
    s_bad("2147483648:abc", NULL, "end of input", "a 2^31 length prefix refused");
    s_bad("4294967296:abc", NULL, "end of input", "a 2^32 length prefix refused");
    s_bad("99999999999:", NULL, "digits", "an 11-digit length refused");
    s_bad("3", NULL, "unexpected end of input at offset 1", "a lone length is truncated");
    s_bad("3x", NULL, "unexpected byte", "a length without ':' refused");
    s_bad("-3:abc", NULL, "unexpected byte 0x2d at offset 0", "a negative length refused");
    is_int(s_dec(&be, "0:", NULL), 0, "the empty string accepted");
    ok(bt_be_str(&be, 0, &len) != NULL && len == 0, "its length is 0");
    bt_be_clear(&be);
    static const uint8_t bin[] = {'3', ':', 0, 0xff, 'e'};
    is_int(bt_be_decode(&be, bin, sizeof(bin), NULL, NULL, s_err, sizeof(s_err)), 0,
           "binary string bytes accepted");
    const uint8_t *p = bt_be_str(&be, 0, &len);
    ok(p == bin + 2 && len == 3, "string bytes borrowed from the input");
    bt_be_clear(&be);
}

static void test_dicts(void)
{
    struct bt_be_limits strict = {.strict = true};
    bt_be_t be;
    int64_t v;
    s_bad("d1:bi1e1:ai2ee", &strict, "out of order at offset 7", "unsorted keys refused (strict)");
    is_int(s_dec(&be, "d1:bi1e1:ai2ee", NULL), 0, "unsorted keys accepted (non-strict)");
    ok(bt_be_dict_int(&be, 0, "a", &v) == 0 && v == 2, "lookup in an unsorted dict");
    bt_be_clear(&be);
    s_bad("d1:ai1e1:ai2ee", &strict, "duplicate dictionary key at offset 7",
          "adjacent duplicate refused (strict)");
    s_bad("d1:ai1e1:ai2ee", NULL, "duplicate dictionary key at offset 7",
          "adjacent duplicate refused (non-strict)");
    s_bad("d1:bi1e1:ai1e1:bi2ee", NULL, "duplicate dictionary key at offset 13",
          "distant duplicate in an unsorted dict refused (non-strict)");
    s_bad("d1:ci1e1:ai1e1:bi2e1:ai3ee", NULL, "duplicate", "unsorted duplicate a refused");
    s_bad("d2:abi1e1:ai1e2:abi2ee", NULL, "duplicate", "prefix keys then duplicate refused");
    s_good("d2:abi1e1:ai1ee", NULL, "prefix keys unsorted accepted");
    s_bad("d2:abi1e1:ai1ee", &strict, "out of order", "'ab' before 'a' refused (strict)");
    s_good("d1:ai1e2:abi1ee", &strict, "'a' before 'ab' accepted (strict)");
    s_bad("di1ei2ee", NULL, "key is not a string at offset 1", "int key refused");
    s_bad("dlei2ee", NULL, "key is not a string", "list key refused");
    s_bad("d1:ae", NULL, "key without a value at offset 4", "key without value refused");
    s_good("de", &strict, "empty dict accepted");
    /* A big unsorted dict: sorted once at its end (must be quick). */
    cm_buf_t *b = cm_buf_new(4 << 20);
    ok(bt_be_put_dict(b) == 0, "build a big dict");
    for (int i = 99999; i >= 0; i--) {
        char k[16];
        snprintf(k, sizeof(k), "%06d", i);
        if (bt_be_put_cstr(b, k) < 0 || bt_be_put_int(b, i) < 0)
            break;
    }
    ok(bt_be_put_end(b) == 0, "dict closed");
    uint64_t t0 = cm_mono_ms();
    is_int(bt_be_decode(&be, cm_buf_data(b), cm_buf_len(b), NULL, NULL, s_err, sizeof(s_err)), 0,
           "100,000 reversed keys accepted (non-strict)");
    ok(cm_mono_ms() - t0 < 2000, "and quickly");
    ok(bt_be_dict_int(&be, 0, "000007", &v) == 0 && v == 7, "lookup in the big dict");
    bt_be_clear(&be);
    cm_buf_destroy(&b);
}

static void test_truncated(void)
{
    s_bad("", NULL, "unexpected end of input at offset 0", "empty input refused");
    s_bad("l", NULL, "unexpected end of input at offset 1", "truncated after l");
    s_bad("d", NULL, "unexpected end of input at offset 1", "truncated after d");
    s_bad("d1:a", NULL, "unexpected end of input at offset 4", "truncated after a key");
    s_bad("li1e", NULL, "unexpected end of input at offset 4", "truncated list");
    s_bad("d3:foo3:bar", NULL, "unexpected end of input at offset 11", "truncated dict");
    s_bad("lld", NULL, "unexpected end of input at offset 3", "truncated nest");
    s_bad("e", NULL, "unexpected 'e' at offset 0", "lone e refused");
    s_bad("x", NULL, "unexpected byte 0x78 at offset 0", "garbage refused");
    s_bad("li1exe", NULL, "unexpected byte 0x78 at offset 4", "garbage in a list refused");
    s_bad("i1ei2e", NULL, "trailing data at offset 3", "trailing data refused");
    s_bad("lee", NULL, "trailing data at offset 2", "an extra e refused");

    bt_be_t be;
    size_t consumed = 0;
    const char *s = "d1:ai1ee\x01\x02\x03";
    is_int(bt_be_decode(&be, (const uint8_t *)s, strlen(s), NULL, &consumed, s_err, sizeof(s_err)),
           0, "trailing data allowed with `consumed`");
    is_int(consumed, 8, "consumed is the dict's length");
    is_int(be.len, 8, "be.len is the dict's length");
    bt_be_clear(&be);
}

static void test_caps(void)
{
    /* Nesting 100,000 deep. */
    size_t n = 100000;
    char *deep = cm_malloc(2 * n + 1);
    memset(deep, 'l', n);
    memset(deep + n, 'e', n);
    deep[2 * n] = '\0';
    s_bad(deep, NULL, "nesting deeper than 100 at offset 100", "100,000 nested lists refused");
    memset(deep, 'd', n);
    s_bad(deep, NULL, "key is not a string", "100,000 nested dicts refused");
    /* Exactly at the cap and one over. */
    char d100[256];
    memset(d100, 'l', 100);
    memset(d100 + 100, 'e', 100);
    d100[200] = '\0';
    s_good(d100, NULL, "depth 100 accepted");
    memmove(d100 + 1, d100, 201);
    d100[0] = 'l';
    d100[201] = 'e';
    d100[202] = '\0';
    s_bad(d100, NULL, "nesting deeper than 100", "depth 101 refused");
    s_bad("llleee", &(struct bt_be_limits){.depth_max = 2}, "nesting deeper than 2",
          "depth_max 2 refuses depth 3");
    cm_free(deep);

    /* 10^7 tiny tokens: the token cap stops it quickly. */
    size_t ntok = 10000000, blen = 3 * ntok + 2;
    char *many = cm_malloc(blen + 1);
    many[0] = 'l';
    for (size_t i = 0; i < ntok; i++)
        memcpy(many + 1 + 3 * i, "i0e", 3);
    many[blen - 1] = 'e';
    many[blen] = '\0';
    struct bt_be_limits big = {.len_max = blen};
    uint64_t t0 = cm_mono_ms();
    s_bad(many, &big, "more than 2000000 values", "10^7 tokens hit the token cap");
    uint64_t dt = cm_mono_ms() - t0;
    ok(dt < 3000, "token cap hit quickly");
    diag("10^7 tokens: refused in %" PRIu64 " ms", dt);
    s_bad(many, NULL, "over the cap", "30 MB refused by the default len_max");
    cm_free(many);

    struct bt_be_limits t3 = {.tokens_max = 3};
    s_bad("li0ei0ei0ee", &t3, "more than 3 values", "4 tokens refused with tokens_max 3");
    struct bt_be_limits t4 = {.tokens_max = 4};
    s_good("li0ei0ei0ee", &t4, "4 tokens accepted with tokens_max 4");
    struct bt_be_limits l5 = {.len_max = 5};
    s_bad("4:abcd", &l5, "over the cap of 5", "input over len_max refused");
    s_good("3:abc", &l5, "input at len_max accepted");
}

static void test_encode(void)
{
    cm_buf_t *b = cm_buf_new(64);
    ok(bt_be_put_int(b, INT64_MIN) == 0, "put INT64_MIN");
    ok(bt_be_put_int(b, 0) == 0, "put 0");
    ok(bt_be_put_str(b, "a\0b", 3) == 0, "put a binary string");
    ok(bt_be_put_cstr(b, "") == 0, "put the empty string");
    ok(bt_be_put_list(b) == 0 && bt_be_put_dict(b) == 0 && bt_be_put_end(b) == 0 &&
           bt_be_put_end(b) == 0,
       "put l d e e");
    const char want[] = "i-9223372036854775808ei0e3:a\0b0:ldee";
    ok(cm_buf_len(b) == sizeof(want) - 1 && memcmp(cm_buf_data(b), want, sizeof(want) - 1) == 0,
       "encoder output");
    cm_buf_destroy(&b);

    b = cm_buf_new(5);
    ok(bt_be_put_str(b, "abcd", 4) == -1, "a string over the cap refused");
    is_int(cm_buf_len(b), 0, "and nothing written");
    ok(bt_be_put_str(b, "abc", 3) == 0, "a string exactly at the cap");
    ok(bt_be_put_end(b) == -1, "one more byte refused");
    cm_buf_destroy(&b);

    /* Canonical re-encoding. */
    bt_be_t be;
    const char *canon = "d1:ad1:xi1e1:yli1ei2eee1:b0:2:bbl1:zee";
    is_int(s_dec(&be, canon, &(struct bt_be_limits){.strict = true}), 0, "decode canonical");
    b = cm_buf_new(1024);
    ok(bt_be_encode_canonical(&be, 0, b) == 0, "encode canonical");
    is_str((const char *)cm_buf_data(b), canon, "canonical round trip is byte-exact");
    cm_buf_reset(b);
    ok(bt_be_encode_canonical(&be, bt_be_dict_get(&be, 0, "a"), b) == 0, "encode a subtree");
    is_str((const char *)cm_buf_data(b), "d1:xi1e1:yli1ei2eee", "subtree bytes");
    cm_buf_reset(b);
    ok(bt_be_encode_canonical(&be, BT_BE_NIL, b) == -1, "encode NIL refused");
    bt_be_clear(&be);

    const char *unsorted = "d1:cd1:zi1e1:yi2ee1:ai1e1:bl1:q1:pee";
    is_int(s_dec(&be, unsorted, NULL), 0, "decode unsorted");
    cm_buf_reset(b);
    ok(bt_be_encode_canonical(&be, 0, b) == 0, "encode unsorted");
    is_str((const char *)cm_buf_data(b), "d1:ai1e1:bl1:q1:pe1:cd1:yi2e1:zi1eee",
           "keys sorted at every level, list order kept");
    bt_be_t be2;
    is_int(bt_be_decode(&be2, cm_buf_data(b), cm_buf_len(b), &(struct bt_be_limits){.strict = true},
                        NULL, s_err, sizeof(s_err)),
           0, "the re-encoding decodes strictly");
    bt_be_clear(&be2);
    cm_buf_t *small = cm_buf_new(10);
    ok(bt_be_encode_canonical(&be, 0, small) == -1, "encode over the cap refused");
    cm_buf_destroy(&small);
    bt_be_clear(&be);

    /* Deep but legal: encoder has no recursion either. */
    struct bt_be_limits deep = {.depth_max = 50000};
    size_t n = 50000;
    char *s = cm_malloc(2 * n + 1);
    memset(s, 'l', n);
    memset(s + n, 'e', n);
    s[2 * n] = '\0';
    is_int(s_dec(&be, s, &deep), 0, "50,000 nested lists accepted with depth_max 50,000");
    cm_buf_t *big = cm_buf_new(4 * n);
    ok(bt_be_encode_canonical(&be, 0, big) == 0, "and re-encoded without recursion");
    ok(cm_buf_len(big) == 2 * n && memcmp(cm_buf_data(big), s, 2 * n) == 0, "identical");
    cm_buf_destroy(&big);
    bt_be_clear(&be);
    cm_free(s);
    cm_buf_destroy(&b);
}

int main(void)
{
    test_basic();
    test_accessors_nil();
    test_integers();
    test_strings();
    test_dicts();
    test_truncated();
    test_caps();
    test_encode();
    return done_testing();
}
