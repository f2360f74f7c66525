/* SPDX-License-Identifier: MIT
 * Tests of cm_log: the escaper (control bytes, DEL, invalid UTF-8, truncation that never
 * overflows), the line format on stderr (captured through a temporary file), one line per call,
 * the cut of long messages, lazy evaluation in the level macros, and level names. */
#include "cm.h"
#include "../../tap.h"

#include <regex.h>
#include <sys/wait.h>

enum {
    CAP_MAX = 16384, /* captured stderr, bytes */
};

/* --- stderr capture --- */

struct cap {
    int saved; /* the real stderr */
    FILE *f;   /* where fd 2 points while capturing */
};

static void s_cap_start(struct cap *c)
{
    fflush(stderr);
    c->f = tmpfile();
    c->saved = dup(STDERR_FILENO);
    if (!c->f || c->saved < 0 || dup2(fileno(c->f), STDERR_FILENO) < 0) {
        printf("Bail out! cannot redirect stderr\n");
        exit(1);
    }
}

/* Stop capturing; copy what was written into `out` (NUL-terminated) and return its length. */
static size_t s_cap_end(struct cap *c, char *out, size_t size)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    rewind(c->f);
    size_t n = fread(out, 1, size - 1, c->f);
    out[n] = '\0';
    fclose(c->f);
    return n;
}

static int s_count_char(const char *s, size_t len, char ch)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == ch;
    return n;
}

/* --- cm_log_escape --- */

/* Escape into a heap buffer of exactly `size` bytes, so ASan sees any overflow. */
static void s_esc_is(size_t size, const char *in, size_t len, const char *want, const char *name)
{
    char *out = cm_malloc(size);
    memset(out, 'Z', size);
    char *ret = cm_log_escape(out, size, in, len);
    ok(ret == out, "escape returns out");
    ok(memchr(out, '\0', size) != NULL, "escaped text is NUL-terminated within size");
    is_str(out, want, name);
    cm_free(out);
}

static void test_escape(void)
{
    s_esc_is(64, "hello world", 11, "hello world", "printable ASCII kept");
    s_esc_is(64, " ~!\"\\", 5, " ~!\"\\", "space, tilde, quote, backslash kept");
    s_esc_is(64, "a\x01z", 3, "a\\x01z", "0x01 escaped");
    s_esc_is(64, "\x1f", 1, "\\x1f", "0x1f escaped");
    s_esc_is(64, "\x7f", 1, "\\x7f", "DEL escaped");
    s_esc_is(64, "\t", 1, "\\x09", "tab escaped");
    s_esc_is(64, "a\nb", 3, "a\\x0ab", "newline becomes \\x0a");
    s_esc_is(64, "a\r\nb", 4, "a\\x0d\\x0ab", "CR LF escaped");
    s_esc_is(64, "a\0b", 3, "a\\x00b", "NUL inside the length escaped");
    s_esc_is(64, "\x1b[31m", 5, "\\x1b[31m", "ANSI escape neutralized");
    s_esc_is(64, "\xc0\xaf", 2, "\\xc0\\xaf", "overlong C0 AF escaped byte by byte");
    s_esc_is(64, "\xed\xa0\x80", 3, "\\xed\\xa0\\x80", "surrogate U+D800 escaped");
    s_esc_is(64, "ab\xe2\x82", 4, "ab\\xe2\\x82", "truncated 3-byte sequence at the end escaped");
    s_esc_is(64, "\342\202ab", 4, "\\xe2\\x82ab", "truncated E2 82 before ASCII escaped");
    s_esc_is(64, "\xff", 1, "\\xff", "0xff escaped");
    s_esc_is(64, "\x80", 1, "\\x80", "lone continuation escaped");
    s_esc_is(64, "\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80", "U+110000 escaped");
    s_esc_is(64, "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12,
             "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "valid 2-, 3- and 4-byte UTF-8 kept");
    s_esc_is(64, "\xc3\xa9\xff\xc3\xa9", 5, "\xc3\xa9\\xff\xc3\xa9", "valid around invalid");
    s_esc_is(64, "", 0, "", "empty input gives \"\"");
    s_esc_is(64, "abc", 1, "a", "only `len` bytes are read");

    /* Truncation at small sizes: never overflow (exact-size heap buffers), always NUL. */
    s_esc_is(1, "abc", 3, "", "size 1: empty string");
    s_esc_is(1, "\xff", 1, "", "size 1 with an escape: empty string");
    s_esc_is(2, "abc", 3, "a", "size 2: one byte");
    s_esc_is(2, "\xff", 1, "", "size 2: an escape does not fit");
    s_esc_is(4, "abcdef", 6, "abc", "size 4: three bytes");
    s_esc_is(4, "\xff", 1, "", "size 4: a 4-char escape does not fit with its NUL");
    s_esc_is(5, "\xff", 1, "\\xff", "size 5: exactly one escape");
    s_esc_is(5, "\xff\xff", 2, "\\xff", "size 5: the second escape is cut whole");
    s_esc_is(5, "a\xff", 2, "a", "size 5: an escape is never cut in half");
    s_esc_is(5, "ab\n", 3, "ab", "size 5: a newline escape is never cut in half");
    s_esc_is(3, "\xe2\x82\xac", 3, "", "size 3: a 3-byte character is not cut");
    s_esc_is(4, "\xe2\x82\xac", 3, "\xe2\x82\xac", "size 4: a 3-byte character fits");
    s_esc_is(4, "a\xe2\x82\xac", 4, "a", "size 4: no partial UTF-8 after ASCII");
    s_esc_is(2, "\xc3\xa9", 2, "", "size 2: a 2-byte character is not cut");

    /* size 0: nothing may be written. */
    char z[4] = {'Q', 'Q', 'Q', 'Q'};
    ok(cm_log_escape(z, 0, "abc", 3) == z, "size 0 returns out");
    ok(z[0] == 'Q', "size 0 writes nothing");
}

/* --- cm_log_write --- */

static void test_line_format(void)
{
    char out[CAP_MAX];
    struct cap c;
    cm_log_init("marquee");
    cm_log_set_level(CM_LOG_DEBUG);

    time_t before = time(NULL);
    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "http", 1234, "message %d", 7);
    size_t n = s_cap_end(&c, out, sizeof(out));
    time_t after = time(NULL);

    char pat[256];
    snprintf(pat, sizeof(pat),
             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z I "
             "marquee\\[%d\\] http: rid=00000000000004d2 message 7\n$",
             (int)getpid());
    regex_t re;
    ok(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0, "pattern compiles");
    ok(regexec(&re, out, 0, NULL, 0) == 0, "line matches TIME I name[pid] module: rid=... msg");
    regfree(&re);
    if (n)
        diag("line: %.*s", (int)n - 1, out);
    is_int(s_count_char(out, n, '\n'), 1, "exactly one newline");

    /* The timestamp is now, in UTC. */
    struct tm tm = {0};
    int ms = -1;
    int fields = sscanf(out, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
    is_int(fields, 7, "timestamp fields parse");
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    ok(t >= before - 1 && t <= after + 1, "timestamp is the current UTC time");
    ok(ms >= 0 && ms <= 999, "milliseconds in 0..999");

    /* rid omitted when 0. */
    s_cap_start(&c);
    cm_log_write(CM_LOG_WARN, "store", 0, "no rid here");
    n = s_cap_end(&c, out, sizeof(out));
    snprintf(pat, sizeof(pat),
             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z W "
             "marquee\\[%d\\] store: no rid here\n$",
             (int)getpid());
    ok(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0, "pattern compiles");
    ok(regexec(&re, out, 0, NULL, 0) == 0, "rid omitted when 0");
    regfree(&re);
    ok(strstr(out, "rid=") == NULL, "no rid= at all when 0");

    /* Full 64-bit rid, 16 hex digits. */
    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "m", UINT64_MAX, "x");
    n = s_cap_end(&c, out, sizeof(out));
    ok(strstr(out, " m: rid=ffffffffffffffff x\n") != NULL, "rid UINT64_MAX in 16 hex digits");

    /* The level letters. */
    static const struct {
        int level;
        const char *tag;
    } letters[] = {{CM_LOG_ERROR, "Z E marquee["},
                   {CM_LOG_WARN, "Z W marquee["},
                   {CM_LOG_NOTICE, "Z N marquee["},
                   {CM_LOG_INFO, "Z I marquee["},
                   {CM_LOG_DEBUG, "Z D marquee["}};
    for (size_t i = 0; i < CM_ARRAY_LEN(letters); i++) {
        s_cap_start(&c);
        cm_log_write(letters[i].level, "lv", 0, "x");
        s_cap_end(&c, out, sizeof(out));
        char name[64];
        snprintf(name, sizeof(name), "level %d has letter '%c'", letters[i].level,
                 letters[i].tag[2]);
        ok(strstr(out, letters[i].tag) != NULL, name);
    }
}

static void test_one_line(void)
{
    char out[CAP_MAX];
    struct cap c;
    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "http", 0, "a\nb\r\nc\n%s", "forged 2026-01-01T00:00:00.000Z E x");
    size_t n = s_cap_end(&c, out, sizeof(out));
    is_int(s_count_char(out, n, '\n'), 1, "a message with newlines is still one line");
    ok(n > 0 && out[n - 1] == '\n', "line ends with its newline");
    ok(strstr(out, "http: a\\x0ab\\x0d\\x0ac\\x0aforged") != NULL, "newlines escaped in place");
    is_int(s_count_char(out, n, '\r'), 0, "no raw CR");

    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "http", 0, "%s", "bad \xff utf8 \xc0\xaf ok \xc3\xa9");
    n = s_cap_end(&c, out, sizeof(out));
    ok(strstr(out, "http: bad \\xff utf8 \\xc0\\xaf ok \xc3\xa9\n") != NULL,
       "invalid UTF-8 escaped, valid kept, in the written line");

    /* Two calls, two lines. */
    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "a", 0, "first");
    cm_log_write(CM_LOG_INFO, "a", 0, "second");
    n = s_cap_end(&c, out, sizeof(out));
    is_int(s_count_char(out, n, '\n'), 2, "two calls write two lines");
}

static void test_long_message(void)
{
    char out[CAP_MAX];
    struct cap c;
    enum { LONG = CM_LOG_LINE_MAX * 3 };
    char *msg = cm_malloc(LONG + 1);
    memset(msg, 'x', LONG);
    msg[LONG] = '\0';

    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "cut", 77, "%s", msg);
    size_t n = s_cap_end(&c, out, sizeof(out));
    is_int(s_count_char(out, n, '\n'), 1, "long message: one newline");
    ok(n > 0 && out[n - 1] == '\n', "long message: ends with the newline");
    ok(n <= CM_LOG_LINE_MAX + 256, "long message: line is cut");
    const char *body = strstr(out, "cut: rid=000000000000004d ");
    ok(body != NULL, "long message: prefix intact");
    if (body) {
        body += strlen("cut: rid=000000000000004d ");
        size_t xs = strspn(body, "x");
        ok(xs >= CM_LOG_LINE_MAX / 2, "long message: most of the message kept");
        ok(xs < LONG, "long message: message shortened");
        is_int(body[xs], '\n', "long message: only x then the newline");
    }

    /* Each byte escapes to 4 characters: the cut must fall between escapes. */
    memset(msg, '\n', LONG);
    s_cap_start(&c);
    cm_log_write(CM_LOG_INFO, "cut", 0, "%s", msg);
    n = s_cap_end(&c, out, sizeof(out));
    is_int(s_count_char(out, n, '\n'), 1, "long escaped message: one newline");
    ok(n > 0 && out[n - 1] == '\n', "long escaped message: ends with the newline");
    ok(n <= CM_LOG_LINE_MAX + 256, "long escaped message: line is cut");
    body = strstr(out, "cut: ");
    if (body) {
        body += strlen("cut: ");
        size_t blen = strlen(body) - 1; /* without the newline */
        ok(blen > 0 && blen % 4 == 0, "long escaped message: only whole \\x0a escapes");
        int whole = 1;
        for (size_t i = 0; i + 4 <= blen; i += 4)
            whole &= memcmp(body + i, "\\x0a", 4) == 0;
        ok(whole, "long escaped message: every escape is \\x0a");
    } else {
        ok(0, "long escaped message: prefix found");
    }
    cm_free(msg);
}

/* A module name long enough that the header nearly fills the line buffer, with a rid: the
 * writer must still not write outside its buffer. Run in a child so that an ASan report does
 * not end this TAP stream. */
static void test_long_prefix(void)
{
    enum { LINE_BUF = CM_LOG_LINE_MAX + 256 }; /* cm_log_write's line buffer */
    fflush(stdout);
    fflush(stderr);
    FILE *f = tmpfile();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(f), STDERR_FILENO);
        char pidtxt[32];
        int pidlen = snprintf(pidtxt, sizeof(pidtxt), "%d", (int)getpid());
        /* "YYYY-MM-DDTHH:MM:SS.mmmZ I " + "t[" pid "] " + module + ": " */
        int fixed = 27 + 2 + pidlen + 2 + 2;
        int mlen = LINE_BUF - 10 - fixed; /* header ends 10 bytes before the end */
        char *module = cm_malloc((size_t)mlen + 1);
        memset(module, 'm', (size_t)mlen);
        module[mlen] = '\0';
        cm_log_init("t");
        cm_log_write(CM_LOG_INFO, module, 1234, "hello");
        cm_free(module);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    char out[CAP_MAX];
    rewind(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
       "long module name + rid: cm_log_write stays inside its buffer");
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        const char *e = strstr(out, "ERROR: AddressSanitizer");
        diag("child status %d; %.*s", st, e ? (int)strcspn(e, "\n") : 0, e ? e : "");
    }
}

/* --- levels --- */

static int s_calls;

static const char *s_mod(void)
{
    s_calls++;
    return "lazy";
}

static void test_lazy_macros(void)
{
    char out[CAP_MAX];
    struct cap c;
    cm_log_set_level(CM_LOG_WARN);
    is_int(cm_log_level_g, CM_LOG_WARN, "set_level(WARN)");

    int counter = 0, rids = 0;
    s_calls = 0;
    s_cap_start(&c);
    cm_log_n(s_mod(), (uint64_t)rids++, "n %d", counter++);
    cm_log_i(s_mod(), (uint64_t)rids++, "i %d", counter++);
    cm_log_d(s_mod(), (uint64_t)rids++, "d %d", counter++);
    size_t n = s_cap_end(&c, out, sizeof(out));
    is_int(counter, 0, "arguments not evaluated when the level is off");
    is_int(rids, 0, "rid expression not evaluated when the level is off");
    is_int(s_calls, 0, "module expression not evaluated when the level is off");
    is_int(n, 0, "nothing written when the level is off");

    s_cap_start(&c);
    cm_log_e(s_mod(), 0, "e %d", counter++);
    cm_log_w(s_mod(), 0, "w %d", counter++);
    n = s_cap_end(&c, out, sizeof(out));
    is_int(counter, 2, "arguments evaluated once each when the level is on");
    is_int(s_calls, 2, "module evaluated once each when on");
    is_int(s_count_char(out, n, '\n'), 2, "two lines written at ERROR and WARN");
    ok(strstr(out, "lazy: e 0\n") && strstr(out, "lazy: w 1\n"), "messages written");

    cm_log_set_level(-5);
    is_int(cm_log_level_g, CM_LOG_ERROR, "set_level below ERROR clamps to ERROR");
    cm_log_set_level(99);
    is_int(cm_log_level_g, CM_LOG_DEBUG, "set_level above DEBUG clamps to DEBUG");
}

static void test_level_names(void)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {{"error", CM_LOG_ERROR},
                 {"warn", CM_LOG_WARN},
                 {"notice", CM_LOG_NOTICE},
                 {"info", CM_LOG_INFO},
                 {"debug", CM_LOG_DEBUG}};
    for (size_t i = 0; i < CM_ARRAY_LEN(names); i++) {
        cm_log_set_level(i == 0 ? CM_LOG_DEBUG : CM_LOG_ERROR);
        char name[64];
        snprintf(name, sizeof(name), "level name '%s' accepted", names[i].name);
        is_int(cm_log_set_level_name(names[i].name), 0, name);
        snprintf(name, sizeof(name), "level name '%s' sets level %d", names[i].name,
                 names[i].level);
        is_int(cm_log_level_g, names[i].level, name);
    }
    static const char *bad[] = {"", "warning", "trace", "fatal", "inf", "info ", "3", "err"};
    cm_log_set_level(CM_LOG_NOTICE);
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        char name[64];
        snprintf(name, sizeof(name), "level name '%s' rejected", bad[i]);
        is_int(cm_log_set_level_name(bad[i]), -1, name);
    }
    is_int(cm_log_level_g, CM_LOG_NOTICE, "rejected names leave the level unchanged");
}

int main(void)
{
    /* D is off by default (before anything changes the level). */
    int evaluated = 0;
    cm_log_d("t", 0, "%d", evaluated++);
    is_int(evaluated, 0, "debug is off by default: arguments not evaluated");
    is_int(cm_log_level_g, CM_LOG_INFO, "default level is INFO");

    test_escape();
    test_line_format();
    test_one_line();
    test_long_message();
    test_long_prefix();
    test_lazy_macros();
    test_level_names();
    return done_testing();
}
