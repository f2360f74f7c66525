/* SPDX-License-Identifier: MIT
 * Tests of gw_ratelimit: SipHash-128 reference vectors; rule parsing (good forms, units,
 * blanks, off, bad forms with untouched output, caps); bucket arithmetic on a fake clock
 * (burst then limited, exact retry-after values, refill, refused takes cost nothing, a rate
 * that is not a whole number of ms per token); classes and keys kept apart; unlimited rules
 * store nothing; LRU eviction order; 1,000,000 distinct keys held at the cap; lazy expiry of
 * idle entries (not counted as evictions); long keys; a clock that goes back; hand-made rules
 * with infinities. Includes the .c to reach the SipHash helper. */
#include "cm.h"
#include "../../../services/gateway/gw_ratelimit.c"
#include "../../tap.h"

static char s_err[256];

static void test_siphash(void)
{
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* openssl mac -macopt hexkey:000102030405060708090a0b0c0d0e0f SIPHASH (16-byte output) */
    static const struct {
        size_t len;
        uint64_t d0, d1;
    } v[] = {
        {0, UINT64_C(0xe6a825ba047f81a3), UINT64_C(0x930255c71472f66d)},
        {15, UINT64_C(0x11a8b03399e99354), UINT64_C(0xd9c3cf970fec087e)},
        {63, UINT64_C(0x4a83502f77d15051), UINT64_C(0x7cbd3f979a063e50)},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(v); i++) {
        uint64_t d[2];
        s_siphash128(key, msg, v[i].len, d);
        char name[64];
        snprintf(name, sizeof(name), "siphash-2-4-128 vector, %zu bytes", v[i].len);
        ok(d[0] == v[i].d0 && d[1] == v[i].d1, name);
    }
}

static void s_good(const char *text, double burst, double per_s)
{
    struct gw_rate r = {-1, -1};
    char name[128];
    snprintf(name, sizeof(name), "rule \"%s\" parses", text);
    if (!ok(gw_rate_parse(text, &r, s_err, sizeof(s_err)) == 0, name)) {
        diag("error: %s", s_err);
        return;
    }
    snprintf(name, sizeof(name), "rule \"%s\" = burst %g, %g tokens/s", text, burst, per_s);
    ok(r.burst == burst && fabs(r.per_s - per_s) < 1e-12, name);
}

static void s_bad(const char *text, const char *want)
{
    struct gw_rate r = {42, 43};
    s_err[0] = '\0';
    char name[160];
    snprintf(name, sizeof(name), "rule \"%.60s\" refused, output untouched", text);
    ok(gw_rate_parse(text, &r, s_err, sizeof(s_err)) == -1 && r.burst == 42 && r.per_s == 43, name);
    snprintf(name, sizeof(name), "rule \"%.60s\": error says \"%s\"", text, want);
    if (!ok(strstr(s_err, want) != NULL, name))
        diag("error: '%s'", s_err);
}

static void test_parse(void)
{
    s_good("10/1s", 10, 10);
    s_good("60/1m", 60, 1);
    s_good("5/30s", 5, 5.0 / 30);
    s_good("7/7m", 7, 1.0 / 60);
    s_good("100/1h", 100, 100.0 / 3600);
    s_good("3/s", 3, 3);
    s_good("1/1d", 1, 1.0 / 86400);
    s_good("1/24h", 1, 1.0 / 86400);
    s_good("1000000/1s", 1000000, 1000000);
    s_good("  20/1m\t", 20, 20.0 / 60);

    struct gw_rate r = {1, 1};
    ok(gw_rate_parse("0", &r, s_err, sizeof(s_err)) == 0 && gw_rate_off(&r), "\"0\" is off");
    r = (struct gw_rate){1, 1};
    ok(gw_rate_parse("off", &r, s_err, sizeof(s_err)) == 0 && gw_rate_off(&r), "\"off\" is off");
    r = (struct gw_rate){1, 1};
    ok(gw_rate_parse(" OFF ", &r, s_err, sizeof(s_err)) == 0 && gw_rate_off(&r),
       "\" OFF \" is off");
    ok(!gw_rate_off(&(struct gw_rate){1, 1}), "1/1s is not off");
    ok(gw_rate_off(NULL), "NULL rule is off");
    ok(gw_rate_off(&(struct gw_rate){5, 0}), "a rule that never refills counts as off");
    ok(gw_rate_off(&(struct gw_rate){NAN, 1}), "NaN burst is off");

    s_bad("", "not N/PERIOD");
    s_bad(NULL, "not N/PERIOD");
    s_bad("abc", "\"abc\" is not N/PERIOD");
    s_bad("10", "not N/PERIOD");
    s_bad("0/1m", "not N/PERIOD");
    s_bad("-1/1s", "not N/PERIOD");
    s_bad("+1/1s", "not N/PERIOD");
    s_bad("1000001/1s", "not N/PERIOD");
    s_bad("99999999999/1s", "not N/PERIOD");
    s_bad("10 /1m", "not N/PERIOD");
    s_bad("10/", "bad period");
    s_bad("10/1x", "bad period");
    s_bad("10/0s", "bad period");
    s_bad("10/1.5m", "bad period");
    s_bad("10/1m extra", "bad period");
    s_bad("10/1 m", "bad period");
    s_bad("10/1ms", "bad period");
    s_bad("10/-1s", "bad period");
    s_bad("1/25h", "longer than one day");
    s_bad("1/2d", "longer than one day");
    s_bad("1/999999999d", "longer than one day");
    char longer[200];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    s_bad(longer, "longer than 64");
}

/* Take under `rule` and check the verdict and, when limited, the retry-after. */
static void s_take(gw_ratelimit_t *rl, int cls, const char *key, const struct gw_rate *rule,
                   int64_t now, int want_ok, int want_retry, const char *name)
{
    int retry = -7;
    int rc = gw_ratelimit_take(rl, cls, key, rule, now, &retry);
    if (want_ok) {
        if (!ok(rc == 1, name))
            diag("at %" PRId64 " ms: limited, retry %d", now, retry);
        return;
    }
    if (!ok(rc == 0 && retry == want_retry, name))
        diag("at %" PRId64 " ms: rc %d retry %d, want limited with retry %d", now, rc, retry,
             want_retry);
}

static void test_bucket(void)
{
    gw_ratelimit_t *rl = gw_ratelimit_new(64);
    struct gw_rate r;
    gw_rate_parse("5/1m", &r, s_err, sizeof(s_err)); /* one token every 12 s */
    const int64_t t0 = 1700000000000; /* the epoch-sized clock keeps the arithmetic honest */
    int allowed = 0;
    for (int i = 0; i < 5; i++)
        allowed += gw_ratelimit_take(rl, 0, "k", &r, t0, NULL);
    is_int(allowed, 5, "5/1m: a burst of 5 passes at once");
    s_take(rl, 0, "k", &r, t0, 0, 12, "5/1m: the 6th is limited, retry after 12 s");
    s_take(rl, 0, "k", &r, t0 + 1000, 0, 11, "1 s later: retry after 11 s");
    s_take(rl, 0, "k", &r, t0 + 11000, 0, 1, "11 s later: retry after 1 s");
    s_take(rl, 0, "k", &r, t0 + 11999, 0, 1, "1 ms before the token: retry after 1 s");
    s_take(rl, 0, "k", &r, t0 + 12000, 1, 0, "12 s later: one token, refused takes cost none");
    s_take(rl, 0, "k", &r, t0 + 12000, 0, 12, "and then limited again for 12 s");
    s_take(rl, 0, "k", &r, t0 + 30000, 1, 0, "30 s: one more (the 24 s token)");
    s_take(rl, 0, "k", &r, t0 + 30000, 0, 6, "and the next at 36 s: retry after 6 s");
    /* Idle for a full period: the bucket is full again, and not fuller. */
    allowed = 0;
    for (int i = 0; i < 6; i++)
        allowed += gw_ratelimit_take(rl, 0, "k", &r, t0 + 120000, NULL);
    is_int(allowed, 5, "after a long idle the bucket holds exactly the burst");

    gw_rate_parse("1/1s", &r, s_err, sizeof(s_err));
    s_take(rl, 0, "one", &r, 0, 1, 0, "1/1s at 0: passes");
    s_take(rl, 0, "one", &r, 0, 0, 1, "1/1s at 0: limited, retry 1");
    s_take(rl, 0, "one", &r, 500, 0, 1, "1/1s at 0.5 s: retry 1 (rounded up)");
    s_take(rl, 0, "one", &r, 999, 0, 1, "1/1s at 0.999 s: retry 1");
    s_take(rl, 0, "one", &r, 1000, 1, 0, "1/1s at 1 s: passes");

    gw_rate_parse("3/7m", &r, s_err, sizeof(s_err)); /* one token every 140 s */
    for (int i = 0; i < 3; i++)
        gw_ratelimit_take(rl, 0, "seven", &r, 0, NULL);
    s_take(rl, 0, "seven", &r, 0, 0, 140, "3/7m: retry after 140 s");
    s_take(rl, 0, "seven", &r, 100000, 0, 40, "3/7m 100 s later: retry after 40 s");
    s_take(rl, 0, "seven", &r, 139001, 0, 1, "3/7m 139.001 s later: retry after 1 s");
    s_take(rl, 0, "seven", &r, 140000, 1, 0, "3/7m 140 s later: passes");

    gw_rate_parse("7/1m", &r, s_err, sizeof(s_err)); /* 8571.43 ms per token */
    for (int i = 0; i < 7; i++)
        gw_ratelimit_take(rl, 0, "frac", &r, 0, NULL);
    s_take(rl, 0, "frac", &r, 0, 0, 9, "7/1m: retry after ceil(8.57) = 9 s");
    s_take(rl, 0, "frac", &r, 8571, 0, 1, "7/1m at 8.571 s: still limited, retry 1");
    s_take(rl, 0, "frac", &r, 8572, 1, 0, "7/1m at 8.572 s: passes");

    gw_rate_parse("100/1h", &r, s_err, sizeof(s_err));
    for (int i = 0; i < 100; i++)
        gw_ratelimit_take(rl, 0, "hour", &r, 0, NULL);
    s_take(rl, 0, "hour", &r, 0, 0, 36, "100/1h: retry after 36 s");

    gw_rate_parse("1/1m", &r, s_err, sizeof(s_err));
    gw_ratelimit_take(rl, 0, "nullretry", &r, 0, NULL);
    ok(gw_ratelimit_take(rl, 0, "nullretry", &r, 0, NULL) == 0, "retry_after_s may be NULL");

    struct gw_ratelimit_stats st;
    gw_ratelimit_stats(rl, &st);
    ok(st.limited > 0 && st.allowed > 0 && st.evictions == 0, "stats count the verdicts");
    is_int(st.max_entries, 64, "stats report the cap");
    gw_ratelimit_destroy(&rl);
    ok(rl == NULL, "destroy nulls the pointer");
    gw_ratelimit_destroy(&rl);
    ok(1, "destroy twice is safe");
}

static void test_separation(void)
{
    gw_ratelimit_t *rl = gw_ratelimit_new(64);
    struct gw_rate r = {2, 1};
    gw_ratelimit_take(rl, 1, "1.2.3.4", &r, 0, NULL);
    gw_ratelimit_take(rl, 1, "1.2.3.4", &r, 0, NULL);
    s_take(rl, 1, "1.2.3.4", &r, 0, 0, 1, "class 1 key exhausted");
    s_take(rl, 2, "1.2.3.4", &r, 0, 1, 0, "same key in class 2 has its own bucket");
    s_take(rl, -1, "1.2.3.4", &r, 0, 1, 0, "and in class -1");
    s_take(rl, 1, "1.2.3.40", &r, 0, 1, 0, "a key extending another is another key");
    s_take(rl, 1, "1.2.3.", &r, 0, 1, 0, "a prefix of a key is another key");
    s_take(rl, 1, "1.2.3.4", &r, 0, 0, 1, "the exhausted key is still limited");

    gw_ratelimit_take(rl, 3, "", &r, 0, NULL);
    gw_ratelimit_take(rl, 3, "", &r, 0, NULL);
    s_take(rl, 3, NULL, &r, 0, 0, 1, "a NULL key is the empty key");
    is_int(gw_ratelimit_size(rl), 6, "one entry per (class, key)");

    struct gw_rate off = {0, 0};
    int all = 0;
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof(key), "off-%d", i);
        all += gw_ratelimit_take(rl, 1, key, &off, 0, NULL);
    }
    is_int(all, 1000, "an off rule allows everything");
    is_int(gw_ratelimit_size(rl), 6, "and stores nothing");
    gw_ratelimit_destroy(&rl);
}

static void test_lru(void)
{
    gw_ratelimit_t *rl = gw_ratelimit_new(3);
    struct gw_rate r = {1, 1.0 / 60}; /* 1/1m */
    gw_ratelimit_take(rl, 0, "a", &r, 0, NULL);
    gw_ratelimit_take(rl, 0, "b", &r, 1, NULL);
    gw_ratelimit_take(rl, 0, "c", &r, 2, NULL);
    s_take(rl, 0, "a", &r, 3, 0, 60, "a is limited (and now most recently used)");
    s_take(rl, 0, "d", &r, 4, 1, 0, "a 4th key in a 3-entry table passes");
    is_int(gw_ratelimit_size(rl), 3, "the table stays at 3");
    struct gw_ratelimit_stats st;
    gw_ratelimit_stats(rl, &st);
    is_int(st.evictions, 1, "one live entry was evicted");
    s_take(rl, 0, "a", &r, 5, 0, 60, "a survived: it was used recently");
    s_take(rl, 0, "c", &r, 6, 0, 60, "c survived");
    s_take(rl, 0, "b", &r, 7, 1, 0, "b, the least recently used, was evicted: fresh again");
    gw_ratelimit_destroy(&rl);

    rl = gw_ratelimit_new(0);
    gw_ratelimit_take(rl, 0, "x", &r, 0, NULL);
    gw_ratelimit_take(rl, 0, "y", &r, 0, NULL);
    is_int(gw_ratelimit_size(rl), 1, "max_entries 0 acts as 1");
    gw_ratelimit_destroy(&rl);
}

static void test_million(void)
{
    enum { CAP = 1000, KEYS = 1000000 };
    gw_ratelimit_t *rl = gw_ratelimit_new(CAP);
    struct gw_rate r = {10, 10.0 / 60};
    int allowed = 0;
    size_t most = 0;
    for (int i = 0; i < KEYS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "203.0.%d.%d", i / 256, i % 256);
        allowed += gw_ratelimit_take(rl, i % 3, key, &r, i / 1000, NULL);
        size_t n = gw_ratelimit_size(rl);
        most = n > most ? n : most;
    }
    is_int(allowed, KEYS, "1,000,000 distinct keys: each first take passes");
    is_int(most, CAP, "the table never held more than max_entries");
    is_int(gw_ratelimit_size(rl), CAP, "and ends full at max_entries");
    struct gw_ratelimit_stats st;
    gw_ratelimit_stats(rl, &st);
    is_int(st.evictions, KEYS - CAP, "every key past the cap evicted one");
    is_int(st.entries, CAP, "stats agree on the size");
    gw_ratelimit_destroy(&rl);
}

static void test_expiry(void)
{
    gw_ratelimit_t *rl = gw_ratelimit_new(10);
    struct gw_rate r = {2, 0.2}; /* 2/10s: full 5 s after one take */
    gw_ratelimit_take(rl, 0, "x", &r, 0, NULL);
    is_int(gw_ratelimit_size(rl), 1, "one entry");
    gw_ratelimit_take(rl, 0, "y", &r, 4999, NULL);
    is_int(gw_ratelimit_size(rl), 2, "x still held 4.999 s later (not yet full)");
    gw_ratelimit_take(rl, 0, "z", &r, 5000, NULL);
    is_int(gw_ratelimit_size(rl), 2, "x dropped once its bucket is full again");
    struct gw_ratelimit_stats st;
    gw_ratelimit_stats(rl, &st);
    is_int(st.expired, 1, "counted as expired");

    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        gw_ratelimit_take(rl, 1, key, &r, 10000, NULL);
    }
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof(key), "n%d", i);
        gw_ratelimit_take(rl, 1, key, &r, 1000000, NULL);
    }
    gw_ratelimit_stats(rl, &st);
    is_int(st.evictions, 0, "replacing idle entries is not an eviction");
    is_int(gw_ratelimit_size(rl), 10, "the table holds the 10 new keys");
    s_take(rl, 1, "n0", &r, 1000000, 1, 0, "a new key has its second token");
    s_take(rl, 1, "n0", &r, 1000000, 0, 5, "and then is limited");

    /* A key whose entry expired behaves as a fresh one. */
    gw_ratelimit_take(rl, 2, "e", &r, 2000000, NULL);
    gw_ratelimit_take(rl, 2, "e", &r, 2000000, NULL);
    s_take(rl, 2, "e", &r, 2000000, 0, 5, "e exhausted");
    s_take(rl, 2, "e", &r, 2010000, 1, 0, "10 s later e passes");
    s_take(rl, 2, "e", &r, 2010000, 1, 0, "twice: the full burst");
    gw_ratelimit_destroy(&rl);
}

static void test_long_keys(void)
{
    gw_ratelimit_t *rl = gw_ratelimit_new(16);
    struct gw_rate r = {1, 1};
    char a[GW_RATELIMIT_KEY_MAX + 2], b[GW_RATELIMIT_KEY_MAX + 2];
    memset(a, 'a', sizeof(a));
    memset(b, 'a', sizeof(b));
    a[GW_RATELIMIT_KEY_MAX] = 'X';
    b[GW_RATELIMIT_KEY_MAX] = 'Y';
    a[GW_RATELIMIT_KEY_MAX + 1] = b[GW_RATELIMIT_KEY_MAX + 1] = '\0';
    s_take(rl, 0, a, &r, 0, 1, 0, "a 301-byte key passes");
    s_take(rl, 0, b, &r, 0, 0, 1, "a key differing past byte 300 shares its bucket");
    b[GW_RATELIMIT_KEY_MAX - 1] = 'Y';
    s_take(rl, 0, b, &r, 0, 1, 0, "a key differing at byte 300 does not");

    size_t n = 1 << 20;
    char *huge = cm_malloc(n + 1);
    memset(huge, 'h', n);
    huge[n] = '\0';
    s_take(rl, 0, huge, &r, 0, 1, 0, "a 1 MiB key passes");
    s_take(rl, 0, huge, &r, 0, 0, 1, "and is limited the second time");
    cm_free(huge);
    gw_ratelimit_destroy(&rl);
}

static void test_odd_clock_and_rules(void)
{
    gw_ratelimit_t *rl = gw_ratelimit_new(16);
    struct gw_rate r = {1, 1.0 / 60};
    gw_ratelimit_take(rl, 0, "t", &r, 100000, NULL);
    int retry = 0;
    ok(gw_ratelimit_take(rl, 0, "t", &r, 0, &retry) == 0 && retry <= 60,
       "a clock gone back 100 s: limited, but never longer than one fill");
    s_take(rl, 0, "t", &r, 60000, 1, 0, "one fill after the jump: passes");

    struct gw_rate inf_burst = {INFINITY, 1};
    ok(gw_ratelimit_take(rl, 0, "ib", &inf_burst, 0, &retry) == 1, "infinite burst: passes");
    struct gw_rate tiny = {1, 1e-300};
    gw_ratelimit_take(rl, 0, "tiny", &tiny, 0, NULL);
    retry = 0;
    ok(gw_ratelimit_take(rl, 0, "tiny", &tiny, 0, &retry) == 0 && retry > 1,
       "an absurdly slow rate: limited with a finite retry-after");
    struct gw_rate fast = {1, INFINITY};
    ok(gw_ratelimit_take(rl, 0, "fast", &fast, 0, NULL) == 1 &&
           gw_ratelimit_take(rl, 0, "fast", &fast, 0, NULL) == 1,
       "an infinite rate always passes");
    struct gw_rate half = {0.5, 1};
    ok(gw_ratelimit_take(rl, 0, "half", &half, 0, NULL) == 1 &&
           gw_ratelimit_take(rl, 0, "half", &half, 0, NULL) == 0,
       "a burst below 1 acts as 1");
    gw_ratelimit_destroy(&rl);
}

int main(void)
{
    test_siphash();
    test_parse();
    test_bucket();
    test_separation();
    test_lru();
    test_million();
    test_expiry();
    test_long_keys();
    test_odd_clock_and_rules();
    return done_testing();
}
