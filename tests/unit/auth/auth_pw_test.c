/* SPDX-License-Identifier: MIT
 * Tests of auth_pw with a real event_base and the real parameters (argon2id, 19 MiB, t=2):
 * hash then verify, wrong, prefix, extended and NUL-carrying passwords, 8/64/1024-byte and
 * non-ASCII passwords (P-06), the unknown-user dummy path, refused stored strings, rehash
 * decisions (P-01/P-02), PHC parsing, weak configurations refused at new(), the full queue
 * (P-05), destroy with jobs pending and from inside a callback, and the password policy. */
#include "cm.h"
#include "auth_pw.h"
#include <argon2.h>
#include "../../tap.h"

static struct event_base *s_base;

/* --- loop driving --- */

static void s_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    CM_UNUSED(arg);
}

/* Run the loop until *count reaches `want` or timeout_ms passes. Returns true if reached. */
static bool s_run_until(const int *count, int want, int timeout_ms)
{
    struct event *tick = event_new(s_base, -1, EV_PERSIST, s_tick, NULL);
    struct timeval tv = {0, 5000};
    event_add(tick, &tv);
    uint64_t end = cm_mono_ms() + (uint64_t)timeout_ms;
    while (*count < want && cm_mono_ms() < end)
        event_base_loop(s_base, EVLOOP_ONCE);
    event_free(tick);
    return *count >= want;
}

/* --- outcomes --- */

struct out {
    int calls;                             /* times the callback ran (must be 1) */
    int status;                            /* its status */
    bool rehash;                           /* verify: needs_rehash */
    char encoded[AUTH_PW_ENCODED_MAX + 1]; /* hash: the PHC string */
    int *done;                             /* counter bumped on each call */
    uint64_t at;                           /* mono ms of the call */
    auth_pw_t *resubmit;                   /* when set: try a submit from inside the callback */
    int resubmit_rc;                       /* its return */
    auth_pw_t **destroy;                   /* when set: destroy this pool from the callback */
};

static int s_done; /* callbacks run, all tests */

static void s_noop_hash(int status, const char *encoded, void *arg)
{
    CM_UNUSED(status);
    CM_UNUSED(encoded);
    CM_UNUSED(arg);
}

static void s_on_hash(int status, const char *encoded, void *arg)
{
    struct out *o = arg;
    o->calls++;
    o->status = status;
    o->at = cm_mono_ms();
    if (encoded)
        snprintf(o->encoded, sizeof(o->encoded), "%s", encoded);
    s_done++;
}

static void s_on_verify(int status, bool needs_rehash, void *arg)
{
    struct out *o = arg;
    o->calls++;
    o->status = status;
    o->rehash = needs_rehash;
    o->at = cm_mono_ms();
    if (o->resubmit)
        o->resubmit_rc = auth_pw_hash(o->resubmit, "abcdefgh", 8, s_noop_hash, NULL);
    if (o->destroy)
        auth_pw_destroy(o->destroy);
    s_done++;
}

/* Submit and wait for one hash of `len` bytes. */
static int s_hash(auth_pw_t *pw, const char *p, size_t len, struct out *o)
{
    memset(o, 0, sizeof(*o));
    int before = s_done;
    if (auth_pw_hash(pw, p, len, s_on_hash, o) != 0)
        return -1;
    s_run_until(&s_done, before + 1, 10000);
    return o->calls == 1 ? o->status : -1;
}

static int s_verify(auth_pw_t *pw, const char *enc, const char *p, size_t len, struct out *o)
{
    memset(o, 0, sizeof(*o));
    int before = s_done;
    if (auth_pw_verify(pw, enc, p, len, s_on_verify, o) != 0)
        return -1;
    s_run_until(&s_done, before + 1, 10000);
    return o->calls == 1 ? o->status : -1;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* --- hash and verify --- */

static void test_hash_verify(auth_pw_t *pw)
{
    const char *good = "correct horse battery staple";
    struct out h;
    memset(&h, 0, sizeof(h));
    uint64_t t0 = cm_mono_ms();
    is_int(auth_pw_hash(pw, good, strlen(good), s_on_hash, &h), 0, "hash: queued");
    is_int(h.calls, 0, "hash: callback not run inside the submit");
    int before = s_done;
    ok(s_run_until(&s_done, before + 1, 10000), "hash: callback ran");
    is_int(h.calls, 1, "hash: once");
    is_int(h.status, CM_OK, "hash: CM_OK");
    diag("one hash (m=19456 KiB, t=2, p=1), submit to callback: %" PRIu64 " ms", h.at - t0);
    ok(strncmp(h.encoded, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "hash: PHC prefix");
    struct auth_pw_params pp;
    is_int(auth_pw_parse(h.encoded, &pp), 0, "hash: our string parses");
    is_int(pp.variant, AUTH_PW_ARGON2ID, "hash: argon2id");
    is_int(pp.version, 0x13, "hash: v=19");
    ok(pp.m_kib == 19456 && pp.t == 2 && pp.p == 1, "hash: m, t, p");
    is_int(pp.salt_len, 16, "hash: 16-byte salt");
    is_int(pp.tag_len, 32, "hash: 32-byte tag");
    ok(!auth_pw_needs_rehash(pw, h.encoded), "hash: current string needs no rehash");

    struct out h2;
    is_int(s_hash(pw, good, strlen(good), &h2), CM_OK, "hash again");
    ok(strcmp(h.encoded, h2.encoded) != 0, "same password, fresh salt, different string");

    /* Four checks in flight at once. */
    struct out v[4];
    memset(v, 0, sizeof(v));
    char plus_nul[64];
    size_t glen = strlen(good);
    memcpy(plus_nul, good, glen + 1); /* the password followed by a NUL byte */
    before = s_done;
    is_int(auth_pw_verify(pw, h.encoded, good, glen, s_on_verify, &v[0]), 0, "verify queued");
    is_int(auth_pw_verify(pw, h.encoded, "correct horse battery stapl3", glen, s_on_verify, &v[1]),
           0, "verify wrong queued");
    is_int(auth_pw_verify(pw, h.encoded, good, glen - 1, s_on_verify, &v[2]), 0, "prefix queued");
    is_int(auth_pw_verify(pw, h.encoded, plus_nul, glen + 1, s_on_verify, &v[3]), 0,
           "password + NUL queued");
    ok(v[0].calls + v[1].calls + v[2].calls + v[3].calls == 0, "no callback inside a submit");
    ok(s_run_until(&s_done, before + 4, 10000), "four verifications answered");
    is_int(v[0].status, CM_OK, "right password matches");
    ok(!v[0].rehash, "current hash: needs_rehash false");
    is_int(v[1].status, CM_ERR_UNAUTHORIZED, "wrong password: UNAUTHORIZED");
    is_int(v[2].status, CM_ERR_UNAUTHORIZED, "prefix (no truncation match): UNAUTHORIZED");
    is_int(v[3].status, CM_ERR_UNAUTHORIZED, "password + NUL byte: UNAUTHORIZED");
    ok(v[0].calls == 1 && v[1].calls == 1 && v[2].calls == 1 && v[3].calls == 1,
       "each callback once");
}

/* P-06: 8, 64, 1024 bytes and non-ASCII, byte-exact. */
static void test_lengths(auth_pw_t *pw)
{
    static char p8[9], p64[65], p1024[1025];
    for (int i = 0; i < 1024; i++)
        p1024[i] = (char)('!' + (i * 7) % 94);
    memcpy(p8, p1024 + 100, 8);
    memcpy(p64, p1024 + 200, 64);
    const char *utf = "p\xc3\xa4ssw\xc3\xb6rd \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91";
    const char *pws[4] = {p8, p64, p1024, utf};
    size_t lens[4] = {8, 64, 1024, strlen(utf)};
    const char *names[4] = {"8 bytes", "64 bytes", "1024 bytes", "non-ASCII UTF-8"};
    for (int i = 0; i < 4; i++)
        is_int(auth_pw_policy(pws[i], lens[i], NULL, 0), 0, names[i]);

    struct out h[4], v[4];
    memset(h, 0, sizeof(h));
    memset(v, 0, sizeof(v));
    int before = s_done;
    for (int i = 0; i < 4; i++)
        auth_pw_hash(pw, pws[i], lens[i], s_on_hash, &h[i]);
    ok(s_run_until(&s_done, before + 4, 10000), "P-06: four hashes");
    before = s_done;
    for (int i = 0; i < 4; i++)
        auth_pw_verify(pw, h[i].encoded, pws[i], lens[i], s_on_verify, &v[i]);
    ok(s_run_until(&s_done, before + 4, 10000), "P-06: four verifications");
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof(name), "P-06: %s hashed and verified", names[i]);
        ok(h[i].status == CM_OK && v[i].status == CM_OK && v[i].calls == 1, name);
    }

    /* No truncation: the 1024-byte password minus its last byte, or with it changed, fails. */
    struct out o;
    is_int(s_verify(pw, h[2].encoded, p1024, 1023, &o), CM_ERR_UNAUTHORIZED,
           "1024-byte password: first 1023 bytes do not match");
    p1024[1023] ^= 1;
    is_int(s_verify(pw, h[2].encoded, p1024, 1024, &o), CM_ERR_UNAUTHORIZED,
           "1024-byte password: last byte changed does not match");
    p1024[1023] ^= 1;
    /* The non-ASCII one as another normalisation would give it (NFD "a" + U+0308): no match. */
    const char *nfd = "pa\xcc\x88ssw\xc3\xb6rd \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91";
    is_int(s_verify(pw, h[3].encoded, nfd, strlen(nfd), &o), CM_ERR_UNAUTHORIZED,
           "non-ASCII: other byte sequence (no normalisation) does not match");
}

/* Byte-exact with NUL: a hash of "abc\0defgh" is not a hash of "abc". */
static void test_nul(auth_pw_t *pw)
{
    const char with_nul[] = "abc\0defgh"; /* 9 bytes */
    struct out h, o;
    is_int(s_hash(pw, with_nul, 9, &h), CM_OK, "hash of 9 bytes holding a NUL");
    is_int(s_verify(pw, h.encoded, with_nul, 9, &o), CM_OK, "same 9 bytes match");
    is_int(s_verify(pw, h.encoded, "abc", 3, &o), CM_ERR_UNAUTHORIZED,
           "bytes before the NUL do not match");
    is_int(auth_pw_policy(with_nul, 9, NULL, 0), -1, "policy refuses a NUL");
}

/* The unknown-user path and stored strings we refuse: answered UNAUTHORIZED after real work. */
static void test_unknown_and_refused(auth_pw_t *pw)
{
    struct auth_pw_stats st0, st1;
    struct out o;
    auth_pw_stats(pw, &st0);
    is_int(s_verify(pw, NULL, "whatever-password", 17, &o), CM_ERR_UNAUTHORIZED,
           "unknown user: UNAUTHORIZED");
    ok(!o.rehash, "unknown user: needs_rehash false");
    auth_pw_stats(pw, &st1);
    is_int(st1.verifies - st0.verifies, 1, "unknown user: the hasher ran (one verify counted)");

    const char *refused[] = {
        "$argon2id$garbage",
        "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=19456,t=100,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    const char *names[] = {"malformed", "argon2i", "m over the cap (4 GiB)", "t over the cap"};
    for (size_t i = 0; i < CM_ARRAY_LEN(refused); i++) {
        char name[96];
        auth_pw_stats(pw, &st0);
        snprintf(name, sizeof(name), "stored %s: UNAUTHORIZED", names[i]);
        is_int(s_verify(pw, refused[i], "whatever-password", 17, &o), CM_ERR_UNAUTHORIZED, name);
        auth_pw_stats(pw, &st1);
        snprintf(name, sizeof(name), "stored %s: dummy verify counted", names[i]);
        is_int(st1.verifies - st0.verifies, 1, name);
    }

    /* Over AUTH_PW_LEN_MAX: not copied, dummy check, mismatch. */
    static char big[4096];
    memset(big, 'x', sizeof(big));
    struct out h;
    is_int(s_hash(pw, big, 1024, &h), CM_OK, "hash of 1024 x");
    is_int(s_verify(pw, h.encoded, big, 1025, &o), CM_ERR_UNAUTHORIZED,
           "verify of 1025 bytes: UNAUTHORIZED");
    is_int(s_hash(pw, big, sizeof(big), &o), CM_ERR_INVALID, "hash of 4096 bytes: INVALID");
    is_int(s_hash(pw, "", 0, &o), CM_ERR_INVALID, "hash of 0 bytes: INVALID");

    /* A real older hash (argon2id m=4096, t=1) still verifies, and asks for a rehash (P-02). */
    char old[AUTH_PW_ENCODED_MAX + 1];
    uint8_t salt[16];
    memcpy(salt, "0123456789abcdef", 16);
    is_int(argon2id_hash_encoded(1, 4096, 1, "old-password", 12, salt, 16, 32, old, sizeof(old)),
           ARGON2_OK, "libargon2 made an m=4096,t=1 string");
    is_int(s_verify(pw, old, "old-password", 12, &o), CM_OK, "older hash: match");
    ok(o.rehash, "older hash: needs_rehash true");
    is_int(s_verify(pw, old, "old-passwore", 12, &o), CM_ERR_UNAUTHORIZED,
           "older hash, wrong password: UNAUTHORIZED");
    ok(!o.rehash, "mismatch: needs_rehash false");

    /* Timing of the unknown-user path next to a wrong password (P-03 is the real test). */
    uint64_t tu[5], tw[5];
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = cm_mono_ms();
        s_verify(pw, NULL, "wrong-password", 14, &o);
        tu[i] = cm_mono_ms() - t0;
        t0 = cm_mono_ms();
        s_verify(pw, h.encoded, "wrong-password", 14, &o);
        tw[i] = cm_mono_ms() - t0;
    }
    qsort(tu, 5, sizeof(tu[0]), s_cmp_u64);
    qsort(tw, 5, sizeof(tw[0]), s_cmp_u64);
    diag("median verify: unknown user %" PRIu64 " ms, known user wrong password %" PRIu64 " ms",
         tu[2], tw[2]);
}

/* --- rehash decisions and parsing (no hashing) --- */

#define SALT16 "c29tZXNhbHRzb21lc2FsdA"                     /* 16 bytes */
#define TAG32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 32 bytes */

static void test_needs_rehash(auth_pw_t *pw)
{
    struct {
        const char *s;
        bool want;
        const char *name;
    } c[] = {
        {"$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32, false, "current: no"},
        {"$argon2id$v=19$m=65536,t=3,p=1$" SALT16 "$" TAG32, false, "stronger: no"},
        {"$argon2id$v=19$m=4096,t=1,p=1$" SALT16 "$" TAG32, true, "m=4096,t=1: yes"},
        {"$argon2id$v=19$m=19456,t=1,p=1$" SALT16 "$" TAG32, true, "t=1,m=19456: yes"},
        {"$argon2id$v=19$m=12288,t=3,p=1$" SALT16 "$" TAG32, true, "m below: yes"},
        {"$argon2i$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32, true, "argon2i: yes"},
        {"$argon2d$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32, true, "argon2d: yes"},
        {"$argon2id$m=19456,t=2,p=1$" SALT16 "$" TAG32, true, "version 1.0 (no v=): yes"},
        {"$argon2id$v=19$m=19456,t=2,p=2$" SALT16 "$" TAG32, true, "p=2: yes"},
        {"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" TAG32, true, "8-byte salt: yes"},
        {"$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$AAAAAAAAAAAAAAAAAAAAAA", true,
         "16-byte tag: yes"},
        {"not a hash", true, "garbage: yes"},
        {"", true, "empty: yes"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(c); i++) {
        char name[96];
        snprintf(name, sizeof(name), "needs_rehash %s", c[i].name);
        ok(auth_pw_needs_rehash(pw, c[i].s) == c[i].want, name);
    }
    ok(auth_pw_needs_rehash(pw, NULL), "needs_rehash NULL: yes");
}

static void test_parse(void)
{
    struct auth_pw_params pp;
    is_int(auth_pw_parse("$argon2i$m=4096,t=3,p=4$" SALT16 "$AAAAAAAAAAAAAAAAAAAAAA", &pp), 0,
           "parse argon2i without v=");
    ok(pp.variant == AUTH_PW_ARGON2I && pp.version == 0x10 && pp.m_kib == 4096 && pp.t == 3 &&
           pp.p == 4 && pp.salt_len == 16 && pp.tag_len == 16,
       "parse: fields");
    is_int(auth_pw_parse("$argon2d$v=16$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAA", &pp), 0,
           "parse argon2d v=16, 8-byte salt, 4-byte tag");
    ok(pp.variant == AUTH_PW_ARGON2D && pp.salt_len == 8 && pp.tag_len == 4, "parse: lengths");
    is_int(auth_pw_parse("$argon2id$v=19$m=4294967295,t=1,p=1$" SALT16 "$" TAG32, &pp), 0,
           "parse: m = UINT32_MAX");

    char longest[400];
    memset(longest, 'A', sizeof(longest));
    snprintf(longest, 40, "$argon2id$v=19$m=19456,t=2,p=1$");
    longest[31] = 'A';
    memcpy(longest + 300, "$AAAA", 6);
    const char *bad[] = {
        "",
        "$",
        "$argon2id",
        "$argon2id$",
        "$argon2x$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32,
        "argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16,
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$",
        "$argon2id$v=19$m=19456,t=2,p=1$$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32 "$",
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32 " ",
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "=$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32 "=",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2Fsd*$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdAA$A",     /* 4n+1 chars */
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdB$" TAG32, /* stray bits */
        "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
        "$argon2id$v=19$m=019456,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=4294967296,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=-1,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=+19456,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=0,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=19456,t=0,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=0$" SALT16 "$" TAG32,
        "$argon2id$v=19$t=2,m=19456,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=19456,t=2$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=1,x=1$" SALT16 "$" TAG32,
        "$argon2id$v=20$m=19456,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=$m=19456,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19,m=19456,t=2,p=1$" SALT16 "$" TAG32,
        "$argon2id$v=19$m=19456,t=2,p=1$" TAG32 TAG32 "AA$" TAG32, /* 66-byte salt */
        "$ARGON2ID$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32,
        longest,
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        char name[64];
        snprintf(name, sizeof(name), "parse refuses malformed #%zu", i);
        is_int(auth_pw_parse(bad[i], &pp), -1, name);
    }
    is_int(auth_pw_parse(NULL, &pp), -1, "parse refuses NULL");
}

/* --- configuration --- */

static void test_new_refuses(void)
{
    struct {
        struct auth_pw_opts o;
        const char *name;
    } c[] = {
        {{4096, 2, 0, 0}, "m=4096,t=2 refused"},
        {{19455, 2, 0, 0}, "m=19455,t=2 refused"},
        {{19456, 1, 0, 0}, "m=19456,t=1 refused"},
        {{47103, 1, 0, 0}, "m=47103,t=1 refused"},
        {{12288, 3, 0, 0}, "m=12288,t=3 refused (our floor is 19 MiB)"},
        {{19456, 17, 0, 0}, "t=17 refused (cap)"},
        {{262145, 2, 0, 0}, "m over 256 MiB refused (cap)"},
        {{0, 0, 17, 0}, "threads=17 refused"},
        {{0, 0, -1, 0}, "threads=-1 refused"},
        {{0, 0, 0, -1}, "queue_max=-1 refused"},
        {{0, 0, 0, 1025}, "queue_max=1025 refused"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(c); i++) {
        char err[CM_ERR_LEN] = "";
        auth_pw_t *pw = auth_pw_new(s_base, &c[i].o, err, sizeof(err));
        ok(pw == NULL && err[0] != '\0', c[i].name);
        auth_pw_destroy(&pw);
    }
    char err[CM_ERR_LEN] = "";
    ok(auth_pw_new(NULL, NULL, err, sizeof(err)) == NULL, "no event base refused");

    struct auth_pw_opts t1 = {47104, 1, 1, 1};
    auth_pw_t *pw = auth_pw_new(s_base, &t1, err, sizeof(err));
    ok(pw != NULL, "m=47104,t=1 accepted");
    if (pw) {
        ok(auth_pw_needs_rehash(pw, "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32),
           "t=1 policy: an m=19456 string needs a rehash");
        ok(!auth_pw_needs_rehash(pw, "$argon2id$v=19$m=47104,t=1,p=1$" SALT16 "$" TAG32),
           "t=1 policy: its own parameters do not");
    }
    auth_pw_destroy(&pw);
    ok(pw == NULL, "destroy nulls the pointer");
    auth_pw_destroy(&pw);
    ok(true, "destroy twice is harmless");
}

/* P-05: threads=1, queue_max=2: three in flight, the other seven refused at once. */
static void test_busy(void)
{
    struct auth_pw_opts o = {0, 0, 1, 2};
    char err[CM_ERR_LEN];
    auth_pw_t *pw = auth_pw_new(s_base, &o, err, sizeof(err));
    ok(pw != NULL, "pool threads=1 queue_max=2");
    if (!pw)
        return;
    struct out h[10];
    memset(h, 0, sizeof(h));
    int accepted = 0, refused = 0, before = s_done;
    for (int i = 0; i < 10; i++) {
        int rc = auth_pw_hash(pw, "abcdefgh1", 9, s_on_hash, &h[i]);
        if (rc == 0)
            accepted++;
        else if (rc == -1)
            refused++;
    }
    is_int(accepted, 3, "busy: 3 of 10 accepted (1 running + 2 queued)");
    is_int(refused, 7, "busy: 7 refused with -1");
    struct auth_pw_stats st;
    auth_pw_stats(pw, &st);
    is_int(st.busy, 7, "busy: counted");
    ok(st.queued + st.running <= 3 && st.queued >= 1, "busy: queued + running bounded");
    int calls = 0;
    for (int i = 0; i < 10; i++)
        calls += h[i].calls;
    is_int(calls, 0, "busy: no callback inside the submits");
    ok(s_run_until(&s_done, before + 3, 10000), "busy: the 3 accepted complete");
    calls = 0;
    int oks = 0;
    for (int i = 0; i < 10; i++) {
        calls += h[i].calls;
        oks += h[i].calls == 1 && h[i].status == CM_OK;
    }
    is_int(calls, 3, "busy: exactly 3 callbacks");
    is_int(oks, 3, "busy: all CM_OK");
    is_int(auth_pw_hash(pw, "abcdefgh1", 9, s_on_hash, &h[0]), 0, "busy: room again after");
    before = s_done;
    s_run_until(&s_done, before + 1, 10000);
    auth_pw_stats(pw, &st);
    is_int(st.hashes, 4, "busy: 4 hashes made");
    ok(st.queued == 0 && st.running == 0, "busy: idle");
    auth_pw_destroy(&pw);
}

/* Destroy with jobs queued and running: every callback once, CM_ERR_SHUTDOWN, none later. */
static void test_destroy_pending(void)
{
    struct auth_pw_opts o = {0, 0, 1, 4};
    char err[CM_ERR_LEN];
    auth_pw_t *pw = auth_pw_new(s_base, &o, err, sizeof(err));
    ok(pw != NULL, "pool threads=1 queue_max=4");
    if (!pw)
        return;
    struct out v[5];
    memset(v, 0, sizeof(v));
    for (int i = 0; i < 5; i++) {
        v[i].resubmit = pw;
        v[i].resubmit_rc = 99;
        is_int(auth_pw_verify(pw, NULL, "abcdefgh", 8, s_on_verify, &v[i]), 0, "pending queued");
    }
    usleep(10000); /* let the worker start the first one */
    auth_pw_destroy(&pw);
    ok(pw == NULL, "destroy nulls the pointer");
    int once = 0, shut = 0, refused = 0;
    for (int i = 0; i < 5; i++) {
        once += v[i].calls == 1;
        shut += v[i].status == CM_ERR_SHUTDOWN;
        refused += v[i].resubmit_rc == -1;
    }
    is_int(once, 5, "destroy: each pending callback ran once");
    is_int(shut, 5, "destroy: all with CM_ERR_SHUTDOWN");
    is_int(refused, 5, "destroy: submits from those callbacks refused");
    int before = s_done;
    s_run_until(&s_done, before + 1, 200);
    is_int(s_done, before, "destroy: nothing runs afterwards");
}

/* Destroy from inside a completion callback. */
static void test_destroy_in_callback(void)
{
    struct auth_pw_opts o = {0, 0, 2, 4};
    char err[CM_ERR_LEN];
    auth_pw_t *pw = auth_pw_new(s_base, &o, err, sizeof(err));
    ok(pw != NULL, "pool threads=2 queue_max=4");
    if (!pw)
        return;
    struct out v[4];
    memset(v, 0, sizeof(v));
    for (int i = 0; i < 4; i++) {
        v[i].destroy = &pw; /* the first callback destroys; the pointer is NULL afterwards */
        auth_pw_verify(pw, NULL, "abcdefgh", 8, s_on_verify, &v[i]);
    }
    int before = s_done;
    s_run_until(&s_done, before + 4, 10000);
    ok(pw == NULL, "destroyed from a callback");
    int once = 0, shut = 0, unauth = 0;
    for (int i = 0; i < 4; i++) {
        once += v[i].calls == 1;
        shut += v[i].status == CM_ERR_SHUTDOWN;
        unauth += v[i].status == CM_ERR_UNAUTHORIZED;
    }
    is_int(once, 4, "destroy in callback: every callback once");
    ok(unauth >= 1 && unauth + shut == 4, "destroy in callback: first answered, rest SHUTDOWN");
    before = s_done;
    s_run_until(&s_done, before + 1, 200);
    is_int(s_done, before, "destroy in callback: nothing runs afterwards");
}

/* --- policy --- */

static void test_policy(void)
{
    char err[CM_ERR_LEN];
    static char big[1100];
    memset(big, 'k', sizeof(big));
    struct {
        const char *pw;
        size_t len;
        int want;
        const char *name;
    } c[] = {
        {"kq8Zt!x2", 8, 0, "8 bytes ok"},
        {"kq8Zt!x", 7, -1, "7 bytes refused"},
        {"", 0, -1, "empty refused"},
        {big, 1024, 0, "1024 bytes ok"},
        {big, 1025, -1, "1025 bytes refused"},
        {"correct horse battery staple", 28, 0, "passphrase ok (no composition rules)"},
        {"p\xc3\xa4ssw\xc3\xb6rd", 10, 0, "non-ASCII ok"},
        {"abcdefg\xff", 8, -1, "invalid UTF-8 refused"},
        {"abcdef\xc0\xaf", 8, -1, "overlong UTF-8 refused"},
        {"abcde\xed\xa0\x80", 8, -1, "surrogate refused"},
        {"abcd\0efgh", 9, -1, "NUL refused"},
        {"password", 8, -1, "'password' refused"},
        {"Password", 8, -1, "'Password' refused (case-folded)"},
        {"PASSWORD1", 9, -1, "'PASSWORD1' refused"},
        {"12345678", 8, -1, "'12345678' refused"},
        {"qwertyui", 8, -1, "'qwertyui' refused"},
        {"iloveyou", 8, -1, "'iloveyou' refused"},
        {"password1!", 10, 0, "'password1!' is not on the list"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(c); i++) {
        err[0] = '\0';
        int rc = auth_pw_policy(c[i].pw, c[i].len, err, sizeof(err));
        if (!ok(rc == c[i].want && (rc == 0 || err[0] != '\0'), c[i].name))
            diag("rc %d err '%s'", rc, err);
    }
    auth_pw_policy("kq8Zt!x", 7, err, sizeof(err));
    ok(err[0] != '\0' && strstr(err, "kq8Zt!x") == NULL, "policy sentence does not quote it");
    is_int(auth_pw_policy(NULL, 8, err, sizeof(err)), -1, "NULL refused");
}

int main(void)
{
    cm_log_init("auth_pw_test");
    cm_log_set_level(CM_LOG_ERROR); /* the refused-string warnings are expected */
    s_base = event_base_new();

    char err[CM_ERR_LEN] = "";
    uint64_t t0 = cm_mono_ms();
    auth_pw_t *pw = auth_pw_new(s_base, NULL, err, sizeof(err));
    if (!ok(pw != NULL, "new with defaults"))
        diag("%s", err);
    if (pw) {
        diag("new (one dummy hash, on the caller): %" PRIu64 " ms", cm_mono_ms() - t0);
        struct auth_pw_stats st;
        auth_pw_stats(pw, &st);
        ok(st.hashes == 0 && st.verifies == 0 && st.busy == 0 && st.queued == 0 && st.running == 0,
           "fresh stats are zero");
        test_hash_verify(pw);
        test_lengths(pw);
        test_nul(pw);
        test_unknown_and_refused(pw);
        test_needs_rehash(pw);
        auth_pw_destroy(&pw);
    }
    test_parse();
    test_new_refuses();
    test_busy();
    test_destroy_pending();
    test_destroy_in_callback();
    test_policy();

    event_base_free(s_base);
    return done_testing();
}
