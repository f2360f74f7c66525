/* SPDX-License-Identifier: MIT
 * Tests of cm_utf8: sequence lengths at every encoding boundary, overlongs, surrogates, values
 * past U+10FFFF, lone continuation bytes, truncation at the end, and the NUL flag. */
#include "cm.h"
#include "../../tap.h"

/* cm_utf8_seq on a string literal of `len` bytes. */
static size_t s_seq(const char *s, size_t len)
{
    return cm_utf8_seq((const unsigned char *)s, len);
}

static void test_seq_valid(void)
{
    is_int(s_seq("A", 1), 1, "ASCII A: 1");
    is_int(s_seq("\x00", 1), 1, "NUL is a 1-byte sequence");
    is_int(s_seq("\x7f", 1), 1, "U+007F: 1 byte");
    is_int(s_seq("\xc2\x80", 2), 2, "U+0080: 2 bytes");
    is_int(s_seq("\xc3\xa9", 2), 2, "U+00E9 e-acute: 2 bytes");
    is_int(s_seq("\xdf\xbf", 2), 2, "U+07FF: 2 bytes");
    is_int(s_seq("\xe0\xa0\x80", 3), 3, "U+0800: 3 bytes");
    is_int(s_seq("\xe2\x82\xac", 3), 3, "U+20AC euro: 3 bytes");
    is_int(s_seq("\xed\x9f\xbf", 3), 3, "U+D7FF (just below surrogates): 3 bytes");
    is_int(s_seq("\xee\x80\x80", 3), 3, "U+E000 (just above surrogates): 3 bytes");
    is_int(s_seq("\xef\xbf\xbf", 3), 3, "U+FFFF: 3 bytes");
    is_int(s_seq("\xf0\x90\x80\x80", 4), 4, "U+10000: 4 bytes");
    is_int(s_seq("\xf0\x9f\x98\x80", 4), 4, "U+1F600 emoji: 4 bytes");
    is_int(s_seq("\xf4\x8f\xbf\xbf", 4), 4, "U+10FFFF: 4 bytes");
    /* Only the first sequence counts; `left` may be longer. */
    is_int(s_seq("\xc3\xa9xyz", 5), 2, "2-byte sequence followed by more bytes");
    is_int(s_seq("a\xff", 2), 1, "ASCII followed by junk: 1");
}

static void test_seq_invalid(void)
{
    /* Past U+10FFFF */
    is_int(s_seq("\xf4\x90\x80\x80", 4), 0, "U+110000 rejected");
    is_int(s_seq("\xf5\x80\x80\x80", 4), 0, "lead byte F5 rejected");
    is_int(s_seq("\xf7\xbf\xbf\xbf", 4), 0, "lead byte F7 (U+1FFFFF) rejected");
    is_int(s_seq("\xf8\x88\x80\x80\x80", 5), 0, "5-byte form rejected");
    is_int(s_seq("\xfc\x84\x80\x80\x80\x80", 6), 0, "6-byte form rejected");
    is_int(s_seq("\xfe", 1), 0, "FE rejected");
    is_int(s_seq("\xff", 1), 0, "FF rejected");
    /* Overlongs */
    is_int(s_seq("\xc0\x80", 2), 0, "overlong NUL C0 80 rejected");
    is_int(s_seq("\xc0\xaf", 2), 0, "overlong '/' C0 AF rejected");
    is_int(s_seq("\xc1\xbf", 2), 0, "overlong U+007F C1 BF rejected");
    is_int(s_seq("\xe0\x80\x80", 3), 0, "overlong 3-byte NUL rejected");
    is_int(s_seq("\xe0\x9f\xbf", 3), 0, "overlong U+07FF in 3 bytes rejected");
    is_int(s_seq("\xf0\x80\x80\x80", 4), 0, "overlong 4-byte NUL rejected");
    is_int(s_seq("\xf0\x8f\xbf\xbf", 4), 0, "overlong U+FFFF in 4 bytes rejected");
    /* Surrogates D800-DFFF */
    is_int(s_seq("\xed\xa0\x80", 3), 0, "U+D800 rejected");
    is_int(s_seq("\xed\xad\xbf", 3), 0, "U+DB7F rejected");
    is_int(s_seq("\xed\xb0\x80", 3), 0, "U+DC00 rejected");
    is_int(s_seq("\xed\xbf\xbf", 3), 0, "U+DFFF rejected");
    /* Continuation bytes alone */
    is_int(s_seq("\x80", 1), 0, "lone 80 rejected");
    is_int(s_seq("\xbf", 1), 0, "lone BF rejected");
    is_int(s_seq("\x80\x80", 2), 0, "80 80 rejected");
    /* Bad continuation */
    is_int(s_seq("\xc3\x28", 2), 0, "C3 followed by ASCII rejected");
    is_int(s_seq("\xc3\xc3", 2), 0, "C3 followed by a lead byte rejected");
    is_int(s_seq("\xe2\x82\x28", 3), 0, "3-byte with a bad third byte rejected");
    is_int(s_seq("\xf0\x9f\x98\x28", 4), 0, "4-byte with a bad fourth byte rejected");
    /* Truncated at the end: `left` shorter than the sequence */
    is_int(s_seq("\xc3\xa9", 1), 0, "2-byte truncated to 1 rejected");
    is_int(s_seq("\xe2\x82\xac", 2), 0, "3-byte truncated to 2 rejected");
    is_int(s_seq("\xe2\x82\xac", 1), 0, "3-byte truncated to 1 rejected");
    is_int(s_seq("\xf0\x9f\x98\x80", 3), 0, "4-byte truncated to 3 rejected");
    is_int(s_seq("\xf0\x9f\x98\x80", 1), 0, "4-byte truncated to 1 rejected");
}

static void test_valid(void)
{
    ok(cm_utf8_valid("", 0, false), "empty is valid");
    ok(cm_utf8_valid("hello", 5, false), "ASCII valid");
    static const char mixed[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
    ok(cm_utf8_valid(mixed, sizeof(mixed) - 1, false), "mixed valid");
    static const char bounds[] =
        "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
    is_int(sizeof(bounds) - 1, 19, "boundary string is 19 bytes");
    ok(cm_utf8_valid(bounds, sizeof(bounds) - 1, false), "every boundary code point valid");
    ok(!cm_utf8_valid("ab\xf4\x90\x80\x80", 6, false), "U+110000 inside rejected");
    ok(!cm_utf8_valid("ab\xc0\xaf", 4, false), "overlong inside rejected");
    ok(!cm_utf8_valid("ab\xed\xa0\x80", 5, false), "surrogate inside rejected");
    ok(!cm_utf8_valid("\xed\xa0\xbd\xed\xb8\x80", 6, false), "CESU-8 surrogate pair rejected");
    ok(!cm_utf8_valid("ab\x80", 3, false), "lone continuation at the end rejected");
    ok(!cm_utf8_valid("\200ab", 3, false), "lone continuation (octal 200) at the start rejected");
    ok(!cm_utf8_valid("ab\xc3", 3, false), "truncated 2-byte at the end rejected");
    ok(!cm_utf8_valid("ab\xe2\x82", 4, false), "truncated 3-byte at the end rejected");
    ok(!cm_utf8_valid("ab\xf0\x9f\x98", 5, false), "truncated 4-byte at the end rejected");
    /* The length bounds the check: a valid prefix of an invalid buffer is valid. */
    ok(cm_utf8_valid("ab\xff", 2, false), "only `len` bytes are checked");
    ok(!cm_utf8_valid("\xe2\x82\xac", 2, false), "a valid sequence cut by len is rejected");

    /* NUL */
    ok(!cm_utf8_valid("a\0b", 3, false), "NUL rejected without allow_nul");
    ok(cm_utf8_valid("a\0b", 3, true), "NUL accepted with allow_nul");
    ok(!cm_utf8_valid("\0", 1, false), "a lone NUL rejected without allow_nul");
    ok(cm_utf8_valid("\0", 1, true), "a lone NUL accepted with allow_nul");
    ok(!cm_utf8_valid("ab\0", 3, false), "trailing NUL rejected without allow_nul");
    ok(!cm_utf8_valid("a\0\xff", 3, true), "allow_nul does not excuse invalid bytes");
    ok(!cm_utf8_valid("\xc0\x80", 2, true), "overlong NUL rejected even with allow_nul");
}

static void test_copy(void)
{
    char out[8];
    is_str(cm_utf8_copy(out, sizeof(out), "plain"), "plain", "ASCII copied");
    is_str(cm_utf8_copy(out, sizeof(out), "abcdefghij"), "abcdefg", "cut at the size");
    /* "aaaaaaé" is 8 bytes: with room for 7 and a NUL, the é goes whole, not half. */
    is_str(cm_utf8_copy(out, sizeof(out), "aaaaaa\xc3\xa9"), "aaaaaa", "never cut inside é");
    ok(cm_utf8_valid(out, strlen(out), false), "the cut copy is valid UTF-8");
    is_str(cm_utf8_copy(out, sizeof(out),
                        "a\xff"
                        "b\xc0\xaf"
                        "c"),
           "a?b??c", "invalid bytes -> ?");
    is_str(cm_utf8_copy(out, 1, "abc"), "", "size 1 gives the empty string");
}

int main(void)
{
    test_copy();
    test_seq_valid();
    test_seq_invalid();
    test_valid();
    return done_testing();
}
