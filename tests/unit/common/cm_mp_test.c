/* SPDX-License-Identifier: MIT
 * Tests of cm_mp: the pre-decode check (bombs, truncation, depth), the reader and the writer. */
#include "cm.h"
#include "../../tap.h"

static int s_check_hex(const char *hex, int depth)
{
    unsigned char buf[256];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        buf[i] = (unsigned char)v;
    }
    return cm_mp_check(buf, n, depth);
}

static void test_bombs(void)
{
    /* Z-06: counts and lengths that promise more than the frame holds. */
    is_int(s_check_hex("dd10000000", 16), -1, "array32 of 2^28 items in 5 bytes rejected");
    is_int(s_check_hex("ddffffffff", 16), -1, "array32 of 2^32-1 items rejected");
    is_int(s_check_hex("dfffffffff", 16), -1, "map32 of 2^32-1 pairs rejected");
    is_int(s_check_hex("c6ffffffff", 16), -1, "bin32 of 4 GiB rejected");
    is_int(s_check_hex("dbffffffff", 16), -1, "str32 of 4 GiB rejected");
    is_int(s_check_hex("d40102", 16), -1, "fixext rejected");
    is_int(s_check_hex("c1", 16), -1, "never-used byte 0xc1 rejected");
    is_int(s_check_hex("9301020304", 16), -1, "trailing byte rejected");
    is_int(s_check_hex("930102", 16), -1, "truncated array rejected");
    is_int(s_check_hex("", 16), -1, "empty frame rejected");
    is_int(s_check_hex("93010203", 16), 0, "fixarray [1,2,3] accepted");
    is_int(s_check_hex("82010203a3616263", 16), 0, "map {1:2,3:'abc'} accepted");
    is_int(s_check_hex("cf0000000000000001", 16), 0, "uint64 accepted");
}

static void test_depth(void)
{
    unsigned char deep[1100];
    for (int i = 0; i < 1000; i++)
        deep[i] = 0x91; /* fixarray of one element, nested */
    deep[1000] = 0x01;
    is_int(cm_mp_check(deep, 1001, 16), -1, "nesting depth 1000 rejected");
    is_int(cm_mp_check(deep + 1000 - 16, 17, 16), 0, "nesting depth 16 accepted at limit 16");
    is_int(cm_mp_check(deep + 1000 - 17, 18, 16), -1, "nesting depth 17 rejected at limit 16");
}

static void test_roundtrip(void)
{
    cm_buf_t *buf = cm_buf_new(4096);
    cm_mp_writer_t w;
    cm_mp_writer_init(&w, buf);
    cm_mp_put_map(&w, 6);
    cm_mp_put_uint(&w, 1);
    cm_mp_put_uint(&w, UINT64_MAX);
    cm_mp_put_uint(&w, 2);
    cm_mp_put_int(&w, -5);
    cm_mp_put_uint(&w, 3);
    cm_mp_put_cstr(&w, "héllo");
    cm_mp_put_uint(&w, 4);
    cm_mp_put_bin(&w, "\0\1\2", 3);
    cm_mp_put_uint(&w, 5);
    cm_mp_put_bool(&w, true);
    cm_mp_put_uint(&w, 6);
    cm_mp_put_array(&w, 2);
    cm_mp_put_nil(&w);
    cm_mp_put_double(&w, 1.5);
    is_int(cm_mp_writer_status(&w), 0, "writer fits");
    is_int(cm_mp_check(cm_buf_data(buf), cm_buf_len(buf), 16), 0, "written frame passes check");

    cm_mp_reader_t r;
    cm_mp_reader_init(&r, cm_buf_data(buf), cm_buf_len(buf));
    uint32_t n = 0, len = 0;
    uint64_t u = 0, k = 0;
    int64_t i = 0;
    const char *s = NULL;
    const void *p = NULL;
    bool b = false;
    double d = 0;
    ok(cm_mp_read_map(&r, &n) == 0 && n == 6, "map of 6");
    ok(cm_mp_read_uint(&r, &k) == 0 && k == 1 && cm_mp_read_uint(&r, &u) == 0 && u == UINT64_MAX,
       "uint64 max");
    ok(cm_mp_read_uint(&r, &k) == 0 && cm_mp_read_uint(&r, &u) < 0, "negative is not a uint");
    ok(cm_mp_read_int(&r, &i) == 0 && i == -5, "int -5");
    ok(cm_mp_read_uint(&r, &k) == 0 && cm_mp_read_str(&r, &s, &len) == 0 && len == 6 &&
           memcmp(s, "héllo", 6) == 0,
       "utf-8 str");
    ok(cm_mp_read_uint(&r, &k) == 0 && cm_mp_read_bin(&r, &p, &len) == 0 && len == 3 &&
           memcmp(p, "\0\1\2", 3) == 0,
       "bin");
    ok(cm_mp_read_uint(&r, &k) == 0 && cm_mp_read_bool(&r, &b) == 0 && b, "bool");
    ok(cm_mp_read_uint(&r, &k) == 0 && cm_mp_read_array(&r, &n) == 0 && n == 2, "array");
    ok(cm_mp_read_nil(&r) == 0 && cm_mp_read_double(&r, &d) == 0 && d == 1.5, "nil, double");
    is_int(cm_mp_left(&r), 0, "all consumed");

    /* skip walks whole containers */
    cm_mp_reader_init(&r, cm_buf_data(buf), cm_buf_len(buf));
    ok(cm_mp_skip(&r, 16) == 0 && cm_mp_left(&r) == 0, "skip the whole map");

    /* writer cap */
    cm_buf_t *small = cm_buf_new(4);
    cm_mp_writer_init(&w, small);
    cm_mp_put_cstr(&w, "too long for four bytes");
    is_int(cm_mp_writer_status(&w), -1, "writer reports the cap");
    cm_buf_destroy(&small);
    cm_buf_destroy(&buf);
}

static void test_truncation(void)
{
    cm_buf_t *buf = cm_buf_new(4096);
    cm_mp_writer_t w;
    cm_mp_writer_init(&w, buf);
    cm_mp_put_map(&w, 2);
    cm_mp_put_uint(&w, 1);
    cm_mp_put_cstr(&w, "a string of some length");
    cm_mp_put_uint(&w, 70000);
    cm_mp_put_array(&w, 3);
    cm_mp_put_uint(&w, 1);
    cm_mp_put_uint(&w, 300);
    cm_mp_put_uint(&w, 1ull << 40);
    int bad = 0;
    for (size_t cut = 0; cut < cm_buf_len(buf); cut++) {
        if (cm_mp_check(cm_buf_data(buf), cut, 16) == 0)
            bad++;
    }
    is_int(bad, 0, "every truncation of a valid frame is rejected");
    cm_buf_destroy(&buf);
}

int main(void)
{
    test_bombs();
    test_depth();
    test_roundtrip();
    test_truncation();
    return done_testing();
}
