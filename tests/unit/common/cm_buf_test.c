/* SPDX-License-Identifier: MIT
 * Tests of cm_buf: the hard cap (within, at, over), appendf, the NUL after the contents, reset,
 * take (owned memory, buffer left empty and reusable), a cap of 0 and growth. */
#include "cm.h"
#include "../../tap.h"

/* The byte right after the contents must be a NUL (the header's promise). */
static int s_nul_after(const cm_buf_t *b)
{
    return cm_buf_data(b)[cm_buf_len(b)] == '\0';
}

static void test_empty(void)
{
    cm_buf_t *b = cm_buf_new(16);
    ok(b != NULL, "new gives a buffer");
    is_int(cm_buf_len(b), 0, "new buffer is empty");
    is_int(cm_buf_cap(b), 16, "cap is reported");
    ok(cm_buf_data(b) != NULL, "data() of an empty buffer is not NULL");
    is_str((const char *)cm_buf_data(b), "", "data() of an empty buffer is \"\"");
    cm_buf_destroy(&b);
    ok(b == NULL, "destroy sets the pointer to NULL");
    cm_buf_destroy(&b);
    ok(b == NULL, "destroy twice is safe");
    cm_buf_destroy(NULL);
    ok(1, "destroy(NULL) is safe");
}

static void test_cap(void)
{
    cm_buf_t *b = cm_buf_new(8);
    is_int(cm_buf_append(b, "abc", 3), 0, "append within the cap");
    is_int(cm_buf_len(b), 3, "len 3");
    is_str((const char *)cm_buf_data(b), "abc", "contents abc");
    ok(s_nul_after(b), "NUL after 3 bytes");

    is_int(cm_buf_append(b, "defgh", 5), 0, "append reaching exactly the cap");
    is_int(cm_buf_len(b), 8, "len equals the cap");
    is_str((const char *)cm_buf_data(b), "abcdefgh", "contents at the cap");
    ok(s_nul_after(b), "NUL after the contents at the cap");

    is_int(cm_buf_append(b, "x", 1), -1, "one byte over the cap refused");
    is_int(cm_buf_len(b), 8, "len unchanged after refusal");
    is_str((const char *)cm_buf_data(b), "abcdefgh", "contents unchanged after refusal");
    is_int(cm_buf_append(b, "", 0), 0, "an empty append at the cap succeeds");
    is_int(cm_buf_len(b), 8, "empty append keeps len");

    cm_buf_reset(b);
    is_int(cm_buf_len(b), 0, "reset empties");
    is_str((const char *)cm_buf_data(b), "", "reset gives \"\"");
    is_int(cm_buf_append(b, "123456789", 9), -1, "9 bytes into an empty cap-8 buffer refused");
    is_int(cm_buf_len(b), 0, "refused append left the buffer empty");
    is_str((const char *)cm_buf_data(b), "", "refused append left \"\"");
    is_int(cm_buf_append(b, "12345678", 8), 0, "reset keeps working: 8 bytes fit again");
    is_str((const char *)cm_buf_data(b), "12345678", "contents after reset and refill");
    is_int(cm_buf_cap(b), 8, "cap unchanged by reset");

    /* Binary data with embedded NULs is counted by length, not strlen. */
    cm_buf_reset(b);
    is_int(cm_buf_append(b, "a\0b", 3), 0, "binary append with a NUL inside");
    is_int(cm_buf_len(b), 3, "len counts the embedded NUL");
    ok(memcmp(cm_buf_data(b), "a\0b", 4) == 0, "bytes and trailing NUL kept");
    cm_buf_destroy(&b);
}

static void test_appendf(void)
{
    cm_buf_t *b = cm_buf_new(16);
    is_int(cm_buf_appendf(b, "%d-%s", 42, "ab"), 0, "appendf within the cap");
    is_str((const char *)cm_buf_data(b), "42-ab", "appendf formats");
    is_int(cm_buf_len(b), 5, "appendf does not count a NUL");
    ok(s_nul_after(b), "NUL after appendf contents");
    is_int(cm_buf_appendf(b, "%05u", 7u), 0, "second appendf appends");
    is_str((const char *)cm_buf_data(b), "42-ab00007", "appendf appends after existing text");
    is_int(cm_buf_appendf(b, "%s", "123456"), 0, "appendf reaching exactly the cap (16)");
    is_int(cm_buf_len(b), 16, "len is the cap");
    is_str((const char *)cm_buf_data(b), "42-ab00007123456", "contents at the cap");
    is_int(cm_buf_appendf(b, "%c", 'z'), -1, "appendf over the cap refused");
    is_int(cm_buf_len(b), 16, "len unchanged after refused appendf");
    is_str((const char *)cm_buf_data(b), "42-ab00007123456", "contents unchanged");
    is_int(cm_buf_appendf(b, "%s", ""), 0, "appendf of nothing at the cap succeeds");

    cm_buf_reset(b);
    is_int(cm_buf_appendf(b, "%s", "0123456789abcdefg"), -1, "17 chars refused into cap 16");
    is_int(cm_buf_len(b), 0, "refused appendf leaves the buffer empty");
    is_str((const char *)cm_buf_data(b), "", "refused appendf left \"\"");
    is_int(cm_buf_appendf(b, "%s", ""), 0, "appendf of \"\" into an empty buffer");
    is_str((const char *)cm_buf_data(b), "", "still \"\"");
    is_int(cm_buf_len(b), 0, "still empty");
    cm_buf_destroy(&b);
}

static void test_take(void)
{
    cm_buf_t *b = cm_buf_new(64);
    is_int(cm_buf_append(b, "hello", 5), 0, "append hello");
    size_t len = 99;
    unsigned char *m = cm_buf_take(b, &len);
    ok(m != NULL, "take returns memory");
    is_int(len, 5, "take reports the length");
    is_str((const char *)m, "hello", "taken memory holds the contents, NUL-terminated");
    is_int(cm_buf_len(b), 0, "buffer empty after take");
    is_str((const char *)cm_buf_data(b), "", "data() after take is \"\"");
    ok((const unsigned char *)cm_buf_data(b) != m, "buffer no longer points at the taken memory");

    is_int(cm_buf_append(b, "again", 5), 0, "buffer reusable after take");
    is_str((const char *)cm_buf_data(b), "again", "new contents after take");
    is_str((const char *)m, "hello", "taken memory unaffected by later appends");
    cm_free(m);

    m = cm_buf_take(b, NULL);
    is_str((const char *)m, "again", "take with NULL len_out");
    cm_free(m);

    /* Take of a never-used buffer still gives owned, NUL-terminated memory. */
    len = 99;
    m = cm_buf_take(b, &len);
    ok(m != NULL, "take of an empty buffer is not NULL");
    is_int(len, 0, "take of an empty buffer: length 0");
    ok(m && m[0] == '\0', "take of an empty buffer: NUL-terminated");
    cm_free(m);
    is_int(cm_buf_append(b, "x", 1), 0, "append after taking an empty buffer");
    is_str((const char *)cm_buf_data(b), "x", "contents x");
    cm_buf_destroy(&b);
}

static void test_cap_zero(void)
{
    cm_buf_t *b = cm_buf_new(0);
    is_int(cm_buf_cap(b), 0, "cap 0");
    is_int(cm_buf_append(b, "a", 1), -1, "cap 0 refuses one byte");
    is_int(cm_buf_appendf(b, "%d", 1), -1, "cap 0 refuses appendf");
    is_int(cm_buf_len(b), 0, "cap 0 stays empty");
    is_str((const char *)cm_buf_data(b), "", "cap 0 data is \"\"");
    is_int(cm_buf_append(b, "", 0), 0, "cap 0 accepts an empty append");
    is_int(cm_buf_appendf(b, "%s", ""), 0, "cap 0 accepts an empty appendf");
    is_str((const char *)cm_buf_data(b), "", "cap 0 still \"\"");
    size_t len = 99;
    unsigned char *m = cm_buf_take(b, &len);
    is_int(len, 0, "cap 0 take length 0");
    ok(m && m[0] == '\0', "cap 0 take gives \"\"");
    cm_free(m);
    cm_buf_destroy(&b);
}

static void test_growth(void)
{
    enum { N = 10000 };
    cm_buf_t *b = cm_buf_new(N);
    int fails = 0;
    for (int i = 0; i < N; i++) {
        char c = (char)('a' + i % 26);
        if (cm_buf_append(b, &c, 1) != 0)
            fails++;
    }
    is_int(fails, 0, "10000 one-byte appends all succeed");
    is_int(cm_buf_len(b), N, "len 10000");
    const unsigned char *d = cm_buf_data(b);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        if (d[i] != (unsigned char)('a' + i % 26))
            bad++;
    }
    is_int(bad, 0, "every byte kept across growth");
    ok(s_nul_after(b), "NUL after 10000 bytes");
    is_int(strlen((const char *)d), N, "strlen matches len");
    is_int(cm_buf_append(b, "z", 1), -1, "10001st byte refused");

    /* Growth through appendf, crossing several reallocation sizes. */
    cm_buf_t *f = cm_buf_new(1 << 16);
    int ffails = 0;
    for (int i = 0; i < 1000; i++) {
        if (cm_buf_appendf(f, "%03d,", i) != 0)
            ffails++;
    }
    is_int(ffails, 0, "1000 appendf calls succeed");
    is_int(cm_buf_len(f), 4000, "appendf growth: len 4000");
    ok(memcmp(cm_buf_data(f), "000,001,002,", 12) == 0, "appendf growth: head");
    ok(memcmp(cm_buf_data(f) + 3992, "998,999,", 8) == 0, "appendf growth: tail");
    ok(s_nul_after(f), "appendf growth: NUL after");
    cm_buf_destroy(&f);
    cm_buf_destroy(&b);
}

int main(void)
{
    test_empty();
    test_cap();
    test_appendf();
    test_take();
    test_cap_zero();
    test_growth();
    return done_testing();
}
