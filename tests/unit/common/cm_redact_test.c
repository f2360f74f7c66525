/* SPDX-License-Identifier: MIT
 * Tests of cm_redact: JWTs, long base64url/hex runs, key=value and JSON secrets, Bearer
 * tokens, the things that must pass untouched, and the invariants (never longer, valid UTF-8
 * stays valid, idempotent) over generated inputs. */
#include "cm.h"
#include "cm_redact.h"
#include "../../tap.h"

enum {
    T_RANDOM_ROUNDS = 20000, /* generated strings of the invariants test */
    T_RANDOM_LEN = 96,       /* their maximal length */
};

/* cm_redact on a copy of `in`, compared with `want`. */
static void t_is(const char *in, const char *want, const char *name)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", in);
    cm_redact(buf);
    is_str(buf, want, name);
}

static void test_jwt(void)
{
    t_is("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ", "[redacted]",
         "a JWT alone");
    t_is("got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.abc-_DEF, rejected", "got [redacted], rejected",
         "a JWT inside a sentence");
    t_is("alg none: eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. end", "alg none: [redacted] end",
         "a JWT with an empty signature");
    t_is("eyJhbGciOiJIUzI1NiJ9 alone", "eyJhbGciOiJIUzI1NiJ9 alone",
         "a lone short base64 header is not a JWT");
    t_is("eyJ.x", "eyJ.x", "two segments are not a JWT");
    t_is("eyJ..x", "eyJ..x", "an empty payload segment is not a JWT");
}

static void test_runs(void)
{
    t_is("refresh 3q2-7_Zk0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1w done", "refresh [redacted] done",
         "a 43-character base64url token");
    t_is("hash 0123456789abcdef0123456789abcdef012345678!", "hash [redacted]!", "41 hex digits");
    t_is("sid 0123456789abcdef0123456789abcdef!", "sid 0123456789abcdef0123456789abcdef!",
         "a session id (32 hex) passes");
    t_is("ih 0123456789abcdef0123456789abcdef01234567!",
         "ih 0123456789abcdef0123456789abcdef01234567!", "an info-hash (40 hex) passes");
    t_is("k=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw==;", "k=[redacted];",
         "base64 with padding");
    t_is("/api/x/0123456789abcdef0123456789abcdef0123456789abcdef/files", "/api/x/[redacted]/files",
         "a long id in a path");
    t_is("a/b+c/d", "a/b+c/d", "short words pass");
}

static void test_key_values(void)
{
    t_is("login password=hunter2 user=alice", "login password=* user=alice",
         "password=, short value becomes *");
    t_is("password=correct-horse-battery", "password=[redacted]", "password=, long value");
    t_is("POST /api/login?user=bob&password=s3cr3t&x=1", "POST /api/login?user=bob&password=*&x=1",
         "password in a query string");
    t_is("{\"user\":\"bob\",\"password\":\"p4ss w0rd \\\" quoted\",\"x\":1}",
         "{\"user\":\"bob\",\"password\":\"[redacted]\",\"x\":1}",
         "JSON password with a space and an escaped quote");
    t_is("{\"password\" : \"abc\"}", "{\"password\" : \"*\"}", "JSON with blanks");
    t_is("{'password': 'abcdefghijkl'}", "{'password': '[redacted]'}", "single quotes");
    t_is("GET /x?token=abcdefghijkl&y=2", "GET /x?token=[redacted]&y=2", "token=");
    t_is("refresh_token=abc; access_token: xyz", "refresh_token=*; access_token: *",
         "words ending in token");
    t_is("PASSWORD=Hunter2Hunter2", "PASSWORD=[redacted]", "any case");
    t_is("client_secret=abc stream_key=def x-api-key: ghi key=jkl apikey=mno",
         "client_secret=* stream_key=* x-api-key: * key=* apikey=*", "secrets and keys");
    t_is("monkey=banana tokens=5 passwords=2", "monkey=banana tokens=5 passwords=2",
         "words that only look alike pass");
    t_is("password=&x=1", "password=&x=1", "an empty value stays empty");
    t_is("password= x", "password= *", "blanks after the separator are skipped");
    t_is("password=\"unterminated", "password=\"[redacted]", "an unterminated quoted value");
    t_is("bad password for alice", "bad password for alice", "the word alone passes");
    t_is("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer [redacted]",
         "Bearer token");
    t_is("bearer x", "bearer *", "bearer in lower case");
    t_is("a_really_long_configuration_item_password=hunter2",
         "a_really_long_configuration_item_password=*", "a long key keeps its name, value goes");
    t_is("password=[redacted] token=* x", "password=[redacted] token=* x",
         "already redacted text is unchanged");
}

static void test_passes(void)
{
    t_is("", "", "empty string");
    t_is("user alice logged in from 203.0.113.7", "user alice logged in from 203.0.113.7",
         "an ordinary sentence");
    t_is("caf\xc3\xa9 \xe2\x82\xac password=\xc3\xa9t\xc3\xa9 ok",
         "caf\xc3\xa9 \xe2\x82\xac password=* ok", "UTF-8 around and inside a value");
    cm_redact(NULL);
    ok(1, "NULL is a no-op");
}

/* A random string over an alphabet rich in the characters the rules look at. */
static void t_random(char *out, size_t max, unsigned *seed)
{
    static const char *const parts[] = {"password",
                                        "token",
                                        "=",
                                        ":",
                                        "\"",
                                        "'",
                                        " ",
                                        "eyJ",
                                        ".",
                                        "abc",
                                        "0123456789abcdef",
                                        "\\",
                                        "&",
                                        "Bearer ",
                                        "_key",
                                        "\xc3\xa9",
                                        "\xe2\x82\xac",
                                        "==",
                                        "XYZ",
                                        "-",
                                        "key",
                                        "{",
                                        "}",
                                        ",",
                                        "secret",
                                        "\xff",
                                        "\x80",
                                        "Q"};
    size_t len = 0;
    size_t want = (size_t)(rand_r(seed) % (int)max);
    while (len < want) {
        const char *p = parts[(size_t)rand_r(seed) % CM_ARRAY_LEN(parts)];
        size_t n = strlen(p);
        if (len + n >= max)
            break;
        memcpy(out + len, p, n);
        len += n;
    }
    out[len] = '\0';
}

static void test_invariants(void)
{
    unsigned seed = 12345;
    int longer = 0, broke_utf8 = 0, not_idem = 0;
    for (int i = 0; i < T_RANDOM_ROUNDS; i++) {
        char in[T_RANDOM_LEN + 1], once[T_RANDOM_LEN + 1], twice[T_RANDOM_LEN + 1];
        t_random(in, sizeof(in), &seed);
        memcpy(once, in, sizeof(in));
        cm_redact(once);
        if (strlen(once) > strlen(in))
            longer++;
        bool valid_in = cm_utf8_valid(in, strlen(in), false);
        if (valid_in && !cm_utf8_valid(once, strlen(once), false))
            broke_utf8++;
        memcpy(twice, once, sizeof(once));
        cm_redact(twice);
        if (strcmp(twice, once) != 0) {
            if (not_idem++ < 5)
                diag("not idempotent: '%s' -> '%s' -> '%s'", in, once, twice);
        }
    }
    is_int(longer, 0, "never longer than the input");
    is_int(broke_utf8, 0, "valid UTF-8 stays valid");
    is_int(not_idem, 0, "a second pass changes nothing");
}

int main(void)
{
    test_jwt();
    test_runs();
    test_key_values();
    test_passes();
    test_invariants();
    return done_testing();
}
