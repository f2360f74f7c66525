/* SPDX-License-Identifier: MIT
 * Tests of cm_jwt: round trips through cm_jwt_sign/cm_jwt_verify and the verifier, then the
 * forgery matrix of security-and-reliability.md 1.6 (J-01, J-02, J-03, J-04, J-06, J-10) on
 * tokens crafted byte by byte: s_craft() signs any raw header and payload JSON with OpenSSL's
 * HMAC(), so a token can be malformed yet correctly signed. Every group has a positive control
 * (a token that must pass), so rejecting everything cannot pass the tests. Ends with the
 * per-verify time (printed, not asserted). */
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "cm.h"
#include "cm_jwt.h"
#include "../../tap.h"

#define NOW 1700000000LL
#define TOK_MAX 16384

static const unsigned char s_secret[33] = "0123456789abcdefghijklmnopqrstuv"; /* 32 bytes */
static const unsigned char s_other[33] = "vutsrqponmlkjihgfedcba9876543210";
static const struct cm_jwt_key s_key = {s_secret, 32, "marquee", "marquee-api", 30};
static const char s_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char s_b64abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* --- helpers: base64url, crafting, payloads --- */

static size_t s_enc(const void *in, size_t len, char *out)
{
    const unsigned char *p = in;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = s_b64abc[v >> 18];
        out[o++] = s_b64abc[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = s_b64abc[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = s_b64abc[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* Lenient decoder (the test's, not the module's): ignores trailing bits. */
static size_t s_dec(const char *in, size_t n, unsigned char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *q = strchr(s_b64abc, in[i]);
        if (!q || !in[i])
            break;
        acc = acc << 6 | (uint32_t)(q - s_b64abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* "b64(hdr).b64(pl).b64(HMAC-md(secret, first two))" into out (TOK_MAX). md NULL: no signature
 * ("alg none" shape, an empty third segment). */
static char *s_craft_md(const char *hdr, const char *pl, const unsigned char *secret, size_t slen,
                        const EVP_MD *md, char *out)
{
    size_t n = s_enc(hdr, strlen(hdr), out);
    out[n++] = '.';
    n += s_enc(pl, strlen(pl), out + n);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    out[n] = '.';
    if (md) {
        HMAC(md, secret, (int)slen, (const unsigned char *)out, n, mac, &maclen);
        n++;
        s_enc(mac, maclen, out + n);
    } else {
        out[n + 1] = '\0';
    }
    return out;
}

static char *s_craft(const char *hdr, const char *pl, char *out)
{
    return s_craft_md(hdr, pl, s_secret, 32, EVP_sha256(), out);
}

/* The standard claims, with overrides: pairs of (name, raw JSON value or NULL to drop it).
 * A name starting with '+' is appended as a further member under the rest of the name (for
 * duplicates and unknown claims). */
static char *s_payload(char *out, size_t size, const char *const *kv)
{
    static const char *const std[][2] = {
        {"iss", "\"marquee\""},
        {"aud", "\"marquee-api\""},
        {"use", "\"access\""},
        {"sub", "\"42\""},
        {"ver", "3"},
        {"role", "\"user\""},
        {"sid", "\"0123456789abcdef0123456789abcdef\""},
        {"jti", "\"fedcba9876543210fedcba9876543210\""},
        {"email", "\"alice@example.com\""},
        {"name", "\"Alice\""},
        {"iat", "1699999990"},
        {"nbf", "1699999990"},
        {"exp", "1700000890"},
    };
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < CM_ARRAY_LEN(std); i++) {
        const char *v = std[i][1];
        for (size_t j = 0; kv && kv[j]; j += 2)
            if (strcmp(kv[j], std[i][0]) == 0)
                v = kv[j + 1];
        if (v)
            o += (size_t)snprintf(out + o, size - o, "%s\"%s\":%s", o > 1 ? "," : "", std[i][0], v);
    }
    for (size_t j = 0; kv && kv[j]; j += 2)
        if (kv[j][0] == '+')
            o += (size_t)snprintf(out + o, size - o, "%s\"%s\":%s", o > 1 ? "," : "", kv[j] + 1,
                                  kv[j + 1]);
    snprintf(out + o, size - o, "}");
    return out;
}

static int s_verify(const char *tok, struct cm_jwt_claims *c, char *err, size_t errlen)
{
    return cm_jwt_verify(&s_key, tok, strlen(tok), NOW, c, err, errlen);
}

/* Verify `tok` with the standard key at NOW; report the outcome against `want_ok`. The error
 * sentence must be non-empty on failure and must never contain the token's segments. */
static void s_expect(const char *tok, bool want_ok, const char *name)
{
    struct cm_jwt_claims c;
    char err[256] = "";
    int rc = s_verify(tok, &c, err, sizeof(err));
    if (getenv("JWT_TEST_ERR")) /* JWT_TEST_ERR=1: show why each case failed */
        diag("%s -> %s", name, rc ? err : "ok");
    if (!ok((rc == 0) == want_ok, name))
        diag("rc %d, err '%s'", rc, err);
    if (rc < 0) {
        const char *dot = strchr(tok, '.');
        bool leak = strlen(err) == 0;
        if (dot && dot - tok > 8) /* the header segment must not appear in the sentence */
            leak |= memmem(err, strlen(err), tok, (size_t)(dot - tok)) != NULL;
        if (leak)
            ok(0, "error sentence empty or echoes the token"), diag("err '%s'", err);
    }
}

/* Sign the standard payload with overrides and expect the outcome. */
static void s_expect_pl(const char *const *kv, bool want_ok, const char *name)
{
    char pl[4096], tok[TOK_MAX];
    s_expect(s_craft(s_hdr, s_payload(pl, sizeof(pl), kv), tok), want_ok, name);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Field by field: struct copies need not copy padding, so no memcmp of whole structs. */
static bool s_claims_eq(const struct cm_jwt_claims *a, const struct cm_jwt_claims *b)
{
    return a->user_id == b->user_id && a->ver == b->ver && strcmp(a->role, b->role) == 0 &&
           strcmp(a->sid, b->sid) == 0 && strcmp(a->jti, b->jti) == 0 &&
           strcmp(a->email, b->email) == 0 && strcmp(a->name, b->name) == 0 && a->iat == b->iat &&
           a->nbf == b->nbf && a->exp == b->exp;
}

static struct cm_jwt_claims s_claims(void)
{
    struct cm_jwt_claims c;
    memset(&c, 0, sizeof(c));
    c.user_id = 42;
    c.ver = 3;
    snprintf(c.role, sizeof(c.role), "user");
    snprintf(c.sid, sizeof(c.sid), "0123456789abcdef0123456789abcdef");
    snprintf(c.email, sizeof(c.email), "alice@example.com");
    snprintf(c.name, sizeof(c.name), "Alice");
    c.iat = NOW - 10;
    c.exp = NOW + 890;
    return c;
}

/* --- round trips --- */

static void test_round_trip(void)
{
    struct cm_jwt_claims c = s_claims(), v;
    char tok[CM_JWT_MAX + 1], err[256] = "";
    is_int(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)), 0, "sign");
    ok(strlen(c.jti) == 32, "sign generated a 32-hex jti");
    is_int(c.nbf, c.iat, "sign set nbf to iat");
    is_int(s_verify(tok, &v, err, sizeof(err)), 0, "verify the signed token");
    is_int(v.user_id, 42, "user_id");
    is_int(v.ver, 3, "ver");
    is_str(v.role, "user", "role");
    is_str(v.sid, c.sid, "sid");
    is_str(v.jti, c.jti, "jti");
    is_str(v.email, "alice@example.com", "email");
    is_str(v.name, "Alice", "name");
    ok(v.iat == c.iat && v.nbf == c.nbf && v.exp == c.exp, "times");

    /* the header libjwt writes passes our strict header check */
    char hdr[64];
    size_t hn = s_dec(tok, (size_t)(strchr(tok, '.') - tok), (unsigned char *)hdr);
    hdr[hn] = '\0';
    is_str(hdr, s_hdr, "libjwt writes {alg:HS256,typ:JWT}");

    struct cm_jwt_claims c2 = s_claims();
    snprintf(c2.jti, sizeof(c2.jti), "00000000000000000000000000000001");
    c2.user_id = INT64_MAX;
    c2.ver = INT64_MAX;
    snprintf(c2.role, sizeof(c2.role), "admin");
    c2.email[0] = c2.name[0] = '\0';
    c2.nbf = c2.iat + 5;
    c2.exp = c2.iat + CM_JWT_TTL_MAX;
    is_int(cm_jwt_sign(&s_key, &c2, tok, sizeof(tok), err, sizeof(err)), 0, "sign: edge values");
    is_str(c2.jti, "00000000000000000000000000000001", "a given jti is kept");
    is_int(s_verify(tok, &v, err, sizeof(err)), 0, "verify: edge values");
    ok(v.user_id == (uint64_t)INT64_MAX, "user_id 2^63-1 survives");
    ok(v.ver == (uint64_t)INT64_MAX, "ver 2^63-1 survives");
    is_str(v.role, "admin", "admin role");
    ok(v.email[0] == '\0' && v.name[0] == '\0', "absent email and name verify as empty");
    is_int(v.nbf, c2.nbf, "nbf kept");

    /* UTF-8 display name and a maximal email */
    struct cm_jwt_claims c3 = s_claims();
    snprintf(c3.name, sizeof(c3.name), "Zo\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac");
    memset(c3.email, 'e', CM_JWT_EMAIL_MAX);
    c3.email[CM_JWT_EMAIL_MAX] = '\0';
    is_int(cm_jwt_sign(&s_key, &c3, tok, sizeof(tok), err, sizeof(err)), 0, "sign: UTF-8");
    is_int(s_verify(tok, &v, err, sizeof(err)), 0, "verify: UTF-8");
    is_str(v.name, c3.name, "UTF-8 name round trip");
    is_int(strlen(v.email), CM_JWT_EMAIL_MAX, "254-byte email round trip");

    /* a token of another key does not verify */
    struct cm_jwt_key other = s_key;
    other.secret = s_other;
    c = s_claims();
    is_int(cm_jwt_sign(&other, &c, tok, sizeof(tok), err, sizeof(err)), 0, "sign with key 2");
    ok(s_verify(tok, &v, err, sizeof(err)) < 0, "key 2's token fails under key 1");
    ok(v.user_id == 0 && v.role[0] == '\0', "claims are zeroed on failure");
    other.iss = "someone-else";
    c = s_claims();
    is_int(cm_jwt_sign(&other, &c, tok, sizeof(tok), err, sizeof(err)), 0, "sign, other iss");
    ok(cm_jwt_verify(&other, tok, strlen(tok), NOW, &v, err, sizeof(err)) == 0,
       "verify under the same other key");
}

static void test_sign_refuses(void)
{
    char tok[CM_JWT_MAX + 1], err[256];
    struct cm_jwt_claims c;
    c = s_claims();
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) == 0, "control: sign ok");
    c = s_claims();
    c.user_id = 0;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: user_id 0");
    c = s_claims();
    c.user_id = (uint64_t)INT64_MAX + 1;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: user_id 2^63");
    c = s_claims();
    c.ver = (uint64_t)INT64_MAX + 1;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: ver 2^63");
    c = s_claims();
    snprintf(c.role, sizeof(c.role), "root");
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: role root");
    c = s_claims();
    memset(c.role, 'u', sizeof(c.role));
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: unterminated role");
    c = s_claims();
    c.sid[5] = 'A';
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: upper-case sid");
    c = s_claims();
    snprintf(c.jti, sizeof(c.jti), "abc");
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: short jti");
    c = s_claims();
    memset(c.email, 'e', sizeof(c.email));
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: 255-byte email");
    c = s_claims();
    snprintf(c.name, sizeof(c.name), "bad \xff utf8");
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: invalid UTF-8");
    c = s_claims();
    c.exp = c.iat + CM_JWT_TTL_MAX + 1;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: lifetime 901 s");
    c = s_claims();
    c.exp = c.iat - 1;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: exp < iat");
    c = s_claims();
    c.nbf = c.exp + 1;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: nbf > exp");
    c = s_claims();
    c.iat = 0;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0, "sign: iat 0");
    c = s_claims();
    ok(cm_jwt_sign(&s_key, &c, tok, 100, err, sizeof(err)) < 0 && tok[0] == '\0',
       "sign: output buffer too small");
    ok(strlen(err) > 0, "with a sentence");
}

/* --- keys (J-05 at the module level) --- */

static void test_keys(void)
{
    char tok[CM_JWT_MAX + 1], bad_tok[CM_JWT_MAX + 1], err[256];
    struct cm_jwt_claims c = s_claims(), v;
    ok(cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) == 0, "control: 32-byte key");
    ok(s_verify(tok, &v, err, sizeof(err)) == 0, "control: verify with a 32-byte key");

    static const size_t lens[] = {0, 1, 16, 31};
    for (size_t i = 0; i < CM_ARRAY_LEN(lens); i++) {
        struct cm_jwt_key k = s_key;
        k.secret_len = lens[i];
        char name[96];
        c = s_claims();
        snprintf(name, sizeof(name), "sign refuses a %zu-byte secret", lens[i]);
        ok(cm_jwt_sign(&k, &c, bad_tok, sizeof(bad_tok), err, sizeof(err)) < 0, name);
        snprintf(name, sizeof(name), "verify refuses a %zu-byte secret", lens[i]);
        ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, name);
        snprintf(name, sizeof(name), "verifier_new refuses a %zu-byte secret", lens[i]);
        ok(cm_jwt_verifier_new(&k, 8, err, sizeof(err)) == NULL, name);
    }
    /* a token forged with the empty key (libjwt 1.10 would compute HMAC("") happily) */
    char pl[4096], forged[TOK_MAX];
    s_craft_md(s_hdr, s_payload(pl, sizeof(pl), NULL), (const unsigned char *)"", 0, EVP_sha256(),
               forged);
    struct cm_jwt_key empty = s_key;
    empty.secret = (const unsigned char *)"";
    empty.secret_len = 0;
    ok(cm_jwt_verify(&empty, forged, strlen(forged), NOW, &v, err, sizeof(err)) < 0,
       "an HMAC(\"\") token fails under an empty key");
    ok(s_verify(forged, &v, err, sizeof(err)) < 0, "and under the real key");

    struct cm_jwt_key k = s_key;
    k.secret = NULL;
    ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "NULL secret");
    ok(cm_jwt_verify(NULL, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "NULL key");
    k = s_key;
    k.iss = "";
    ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "empty iss in key");
    k = s_key;
    k.aud = NULL;
    ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "NULL aud in key");
    k = s_key;
    k.leeway_s = CM_JWT_LEEWAY_MAX + 1;
    ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "leeway 61 s");
    k.leeway_s = -1;
    ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "leeway -1 s");
    k = s_key;
    k.secret_len = CM_JWT_KEY_MAX + 1;
    ok(cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) < 0, "secret over max");
    /* a long key (> 64 bytes: hashed first by RFC 2104) agrees with libjwt */
    unsigned char longkey[200];
    memset(longkey, 0x5a, sizeof(longkey));
    k = s_key;
    k.secret = longkey;
    k.secret_len = sizeof(longkey);
    c = s_claims();
    ok(cm_jwt_sign(&k, &c, tok, sizeof(tok), err, sizeof(err)) == 0 &&
           cm_jwt_verify(&k, tok, strlen(tok), NOW, &v, err, sizeof(err)) == 0,
       "a 200-byte key round trips (our HMAC agrees with libjwt's)");
}

/* --- algorithms (J-06, J-01) --- */

/* A token made by libjwt itself with `alg` and our secret, carrying the standard payload. */
static char *s_libjwt_token(jwt_alg_t alg, char *out)
{
    char pl[4096];
    jwt_t *jwt = NULL;
    out[0] = '\0';
    if (jwt_new(&jwt) != 0)
        return out;
    if (jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? NULL : s_secret,
                    alg == JWT_ALG_NONE ? 0 : 32) == 0 &&
        jwt_add_grants_json(jwt, s_payload(pl, sizeof(pl), NULL)) == 0) {
        char *s = jwt_encode_str(jwt);
        if (s)
            snprintf(out, TOK_MAX, "%s", s);
        cm_free(s); /* libjwt 1.10 allocates with malloc */
    }
    jwt_free(jwt);
    return out;
}

static void test_alg(void)
{
    char tok[TOK_MAX], pl[4096], hdr[128], name[128];
    for (int alg = JWT_ALG_NONE; alg < JWT_ALG_TERM; alg++) {
        snprintf(name, sizeof(name), "J-06: cm_jwt_alg_allowed(%s) is %s", jwt_alg_str(alg),
                 alg == JWT_ALG_HS256 ? "true" : "false");
        ok(cm_jwt_alg_allowed(alg) == (alg == JWT_ALG_HS256), name);
        /* the alg name in a header signed with HMAC-SHA256 and our secret (key confusion) */
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", jwt_alg_str(alg));
        s_craft(hdr, s_payload(pl, sizeof(pl), NULL), tok);
        snprintf(name, sizeof(name), "header alg %s with an HS256 MAC: %s", jwt_alg_str(alg),
                 alg == JWT_ALG_HS256 ? "accepted (control)" : "refused");
        s_expect(tok, alg == JWT_ALG_HS256, name);
    }
    ok(!cm_jwt_alg_allowed(JWT_ALG_TERM) && !cm_jwt_alg_allowed(-1) && !cm_jwt_alg_allowed(1000),
       "J-06: out-of-range values are refused");

    /* tokens made by libjwt: HS256 passes, HS384/HS512 with the same secret and none fail */
    s_expect(s_libjwt_token(JWT_ALG_HS256, tok), true, "libjwt HS256 token (control)");
    s_expect(s_libjwt_token(JWT_ALG_HS384, tok), false, "libjwt HS384 token, same secret");
    s_expect(s_libjwt_token(JWT_ALG_HS512, tok), false, "libjwt HS512 token, same secret");
    s_libjwt_token(JWT_ALG_NONE, tok);
    ok(tok[0] != '\0', "libjwt made an alg none token");
    s_expect(tok, false, "libjwt alg none token");
    s_payload(pl, sizeof(pl), NULL);
    s_expect(s_craft_md("{\"alg\":\"HS384\"}", pl, s_secret, 32, EVP_sha384(), tok), false,
             "HS384 by hand");
    s_expect(s_craft_md("{\"alg\":\"HS512\"}", pl, s_secret, 32, EVP_sha512(), tok), false,
             "HS512 by hand");

    /* alg spellings, each with a valid HS256 MAC and with no signature at all */
    static const char *const hdrs[] = {
        "{\"alg\":\"none\"}",
        "{\"alg\":\"None\"}",
        "{\"alg\":\"NONE\"}",
        "{\"alg\":\"nOnE\"}",
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"typ\":\"JWT\"}",
        "{}",
        "{\"alg\":\"\"}",
        "{\"alg\":null}",
        "{\"alg\":256}",
        "{\"alg\":[\"HS256\"]}",
        "{\"alg\":{\"HS256\":1}}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}",
        "{\"alg\":\" HS256\"}",
        "{\"alg\":\"HS2560\"}",
        "{\"alg\":\"HS25\"}",
        "{\"alg\":\"HS256\\u0000\"}",
        "{\"alg\":\"XS256\"}",
        "{\"alg\":\"dir\"}",
        "{\"alg\":\"PS256\"}",
        "{\"alg\":\"EdDSA\"}",
        "{\"alg\":\"HS256\",\"alg\":\"none\"}",
        "{\"alg\":\"none\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
    };
    s_expect(s_craft("{\"alg\":\"HS256\"}", pl, tok), true, "alg HS256 without typ (control)");
    for (size_t i = 0; i < CM_ARRAY_LEN(hdrs); i++) {
        snprintf(name, sizeof(name), "header %s, HS256 MAC: refused", hdrs[i]);
        s_expect(s_craft(hdrs[i], pl, tok), false, name);
        snprintf(name, sizeof(name), "header %s, no signature: refused", hdrs[i]);
        s_expect(s_craft_md(hdrs[i], pl, NULL, 0, NULL, tok), false, name);
    }
}

/* --- header members (J-04) --- */

static void test_header(void)
{
    char tok[TOK_MAX], pl[4096], name[160];
    s_payload(pl, sizeof(pl), NULL);
    s_expect(s_craft(s_hdr, pl, tok), true, "{alg,typ:JWT} (control)");
    s_expect(s_craft("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", pl, tok), true,
             "typ before alg (control)");
    s_expect(s_craft("{ \"alg\" : \"HS256\" }", pl, tok), true, "JSON whitespace (control)");
    s_expect(s_craft("{\"alg\":\"HS256\"}\n", pl, tok), true,
             "JSON trailing newline (control: whitespace is JSON)");
    static const char *const bad[] = {
        "{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
        "{\"alg\":\"HS256\",\"typ\":\"\"}",
        "{\"alg\":\"HS256\",\"typ\":null}",
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"kid\":\"1\"}",
        "{\"alg\":\"HS256\",\"kid\":\"../../etc/passwd\"}",
        "{\"alg\":\"HS256\",\"kid\":\"' OR 1=1--\"}",
        "{\"alg\":\"HS256\",\"jku\":\"https://evil.example/jwks.json\"}",
        "{\"alg\":\"HS256\",\"x5u\":\"https://evil.example/cert.pem\"}",
        "{\"alg\":\"HS256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}",
        "{\"alg\":\"HS256\",\"x5c\":[\"MIIB\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"HS256\",\"zip\":\"DEF\"}",
        "{\"alg\":\"HS256\",\"cty\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}",
        "{\"alg\":\"HS256\",\"b64\":false}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":null}",
        "[\"alg\",\"HS256\"]",
        "\"HS256\"",
        "{\"alg\":\"HS256\"",
        "{\"alg\":\"HS256\"}x",
        "{\"alg\":\"HS256\"}{}",
        "",
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        snprintf(name, sizeof(name), "header %s: refused", bad[i]);
        s_expect(s_craft(bad[i], pl, tok), false, name);
    }
    /* a 10 KB kid, and a kid with a NUL byte */
    char big[11000];
    int n = snprintf(big, sizeof(big), "{\"alg\":\"HS256\",\"kid\":\"");
    memset(big + n, 'k', 10000);
    snprintf(big + n + 10000, sizeof(big) - (size_t)n - 10000, "\"}");
    s_expect(s_craft(big, pl, tok), false, "10 KB kid: refused");
    s_expect(s_craft("{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}", pl, tok), false,
             "kid with an escaped NUL: refused");
    /* the header cap: 256 bytes decoded, even for allowed members */
    char pad[400];
    n = snprintf(pad, sizeof(pad), "{\"alg\":\"HS256\"");
    while (n < 300)
        pad[n++] = ' ';
    snprintf(pad + n, sizeof(pad) - (size_t)n, "}");
    s_expect(s_craft(pad, pl, tok), false, "a 300-byte header (whitespace): refused");
}

/* --- segments and encodings (J-01) --- */

static void test_segments(void)
{
    char tok[TOK_MAX], pl[4096], bad[TOK_MAX + 8], name[160];
    s_craft(s_hdr, s_payload(pl, sizeof(pl), NULL), tok);
    s_expect(tok, true, "well-formed token (control)");
    size_t len = strlen(tok);
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    size_t p1 = (size_t)(d1 - tok), p2 = (size_t)(d2 - tok);
    struct cm_jwt_claims v;
    char err[256];

    /* 2 and 4 segments, empty segments */
    snprintf(bad, sizeof(bad), "%.*s", (int)p2, tok);
    s_expect(bad, false, "2 segments (header.payload)");
    snprintf(bad, sizeof(bad), "%s.", tok);
    s_expect(bad, false, "trailing dot");
    snprintf(bad, sizeof(bad), "%s.%s", tok, d2 + 1);
    s_expect(bad, false, "4 segments");
    snprintf(bad, sizeof(bad), ".%s", tok);
    s_expect(bad, false, "leading dot");
    snprintf(bad, sizeof(bad), "%.*s.", (int)p2, tok);
    s_expect(bad, false, "empty signature");
    snprintf(bad, sizeof(bad), "%.*s..%s", (int)p1, tok, d2 + 1);
    s_expect(bad, false, "empty payload");
    snprintf(bad, sizeof(bad), "%s", d1);
    s_expect(bad, false, "empty header");
    s_expect("..", false, "two dots only");
    s_expect(".", false, "one dot");
    ok(cm_jwt_verify(&s_key, tok, 0, NOW, &v, err, sizeof(err)) < 0, "length 0");
    ok(cm_jwt_verify(&s_key, NULL, 10, NOW, &v, err, sizeof(err)) < 0, "NULL token");
    ok(cm_jwt_verify(&s_key, tok, len - 1, NOW, &v, err, sizeof(err)) < 0, "one byte short");
    ok(cm_jwt_verify(&s_key, tok, len, NOW, NULL, err, sizeof(err)) == 0,
       "out NULL is fine (control)");
    ok(cm_jwt_verify(&s_key, tok, len, NOW, &v, NULL, 0) == 0, "err NULL is fine (control)");
    ok(cm_jwt_verify(&s_key, tok, p1, NOW, &v, NULL, 0) < 0, "err NULL on a failure is fine");

    /* padding and foreign characters at the start, middle and end of each segment */
    static const char *const ins[] = {"=",  "==", "+",  "/",  " ",        "\t",  "\n",
                                      "\r", "%",  "\\", "\"", "\xc3\xa9", "\x00"};
    size_t at[] = {0, p1, p1 + 1, (p1 + p2) / 2, p2, p2 + 1, len - 1, len};
    int refused = 0, total = 0;
    for (size_t i = 0; i < CM_ARRAY_LEN(ins); i++) {
        size_t il = ins[i][0] ? strlen(ins[i]) : 1;
        for (size_t j = 0; j < CM_ARRAY_LEN(at); j++) {
            memcpy(bad, tok, at[j]);
            memcpy(bad + at[j], ins[i], il);
            memcpy(bad + at[j] + il, tok + at[j], len - at[j]);
            total++;
            refused += cm_jwt_verify(&s_key, bad, len + il, NOW, &v, err, sizeof(err)) < 0;
        }
    }
    snprintf(name, sizeof(name), "padding, whitespace, +, /, NUL inserted: %d/%d refused", refused,
             total);
    ok(refused == total, name);
    /* standard base64 instead of base64url: replace every - and _ of the control */
    memcpy(bad, tok, len + 1);
    int changed = 0;
    for (size_t i = 0; i < len; i++) {
        if (bad[i] == '-' || bad[i] == '_') {
            bad[i] = bad[i] == '-' ? '+' : '/';
            changed++;
        }
    }
    if (changed)
        s_expect(bad, false, "standard base64 alphabet");
    /* a padded signature (44 chars with '=') */
    snprintf(bad, sizeof(bad), "%s=", tok);
    s_expect(bad, false, "padded signature");

    /* the JSON serialization of the same JWS */
    char js[TOK_MAX];
    snprintf(js, sizeof(js), "{\"payload\":\"%.*s\",\"protected\":\"%.*s\",\"signature\":\"%s\"}",
             (int)(p2 - p1 - 1), d1 + 1, (int)p1, tok, d2 + 1);
    s_expect(js, false, "JSON serialization form");
    snprintf(js, sizeof(js),
             "{\"payload\":\"%.*s\",\"signatures\":[{\"protected\":\"%.*s\","
             "\"signature\":\"%s\"}]}",
             (int)(p2 - p1 - 1), d1 + 1, (int)p1, tok, d2 + 1);
    s_expect(js, false, "general JSON serialization form");
    /* a JWE-shaped token (five segments) */
    snprintf(bad, sizeof(bad), "%.*s.AAAA.AAAA.%s", (int)p2, tok, d2 + 1);
    s_expect(bad, false, "five segments (JWE shape)");

    /* impossible lengths (1 mod 4) and non-zero trailing bits in header and payload */
    snprintf(bad, sizeof(bad), "%.*sA%s", (int)p1, tok, d1);
    s_expect(bad, false, "header one character longer");
    /* "{\"alg\":\"HS256\"}" is 15 bytes: 20 chars, no trailing bits; 16 bytes leave 4 bits */
    char h[64], p[4096], sig[64];
    unsigned char mac[32];
    unsigned int ml;
    size_t hn = s_enc("{\"alg\":\"HS256\" }", 16, h);
    ok(hn % 4 == 2, "the 16-byte header ends in a 4-bit character");
    size_t pn = s_enc(pl, strlen(pl), p);
    for (int bit = 0; bit < 4; bit++) {
        char hh[64];
        memcpy(hh, h, hn + 1);
        if (bit > 0) /* set one of the 4 unused low bits of the last character */
            hh[hn - 1] = s_b64abc[(strchr(s_b64abc, hh[hn - 1]) - s_b64abc) | (1 << (bit - 1))];
        int n = snprintf(bad, sizeof(bad), "%s.%s", hh, p);
        HMAC(EVP_sha256(), s_secret, 32, (unsigned char *)bad, (size_t)n, mac, &ml);
        s_enc(mac, 32, sig);
        snprintf(bad + n, sizeof(bad) - (size_t)n, ".%s", sig);
        snprintf(name, sizeof(name), "header trailing bits %s, correctly signed: %s",
                 bit ? "set" : "zero", bit ? "refused" : "accepted (control)");
        s_expect(bad, bit == 0, name);
    }
    if (pn % 4) {
        char pp[4096];
        memcpy(pp, p, pn + 1);
        pp[pn - 1] = s_b64abc[(strchr(s_b64abc, pp[pn - 1]) - s_b64abc) | 1];
        int n = snprintf(bad, sizeof(bad), "%s.%s", h, pp);
        HMAC(EVP_sha256(), s_secret, 32, (unsigned char *)bad, (size_t)n, mac, &ml);
        s_enc(mac, 32, sig);
        snprintf(bad + n, sizeof(bad) - (size_t)n, ".%s", sig);
        s_expect(bad, false, "payload trailing bits set, correctly signed: refused");
    }
}

/* --- signatures (J-01, J-10) --- */

/* Rebuild `tok` with bit `bit` of decoded byte `pos` of segment `seg` (0..2) flipped. */
static void s_flip(const char *tok, int seg, size_t pos, int bit, char *out)
{
    const char *s[3];
    size_t n[3];
    s[0] = tok;
    s[1] = strchr(tok, '.') + 1;
    s[2] = strchr(s[1], '.') + 1;
    n[0] = (size_t)(s[1] - s[0] - 1);
    n[1] = (size_t)(s[2] - s[1] - 1);
    n[2] = strlen(s[2]);
    size_t o = 0;
    for (int i = 0; i < 3; i++) {
        if (i == seg) {
            unsigned char raw[4096];
            size_t rn = s_dec(s[i], n[i], raw);
            if (pos < rn)
                raw[pos] ^= (unsigned char)(1u << bit);
            o += s_enc(raw, rn, out + o);
        } else {
            memcpy(out + o, s[i], n[i]);
            o += n[i];
        }
        out[o++] = i < 2 ? '.' : '\0';
    }
}

static void test_signature(void)
{
    char tok[TOK_MAX], tok2[TOK_MAX], pl[4096], bad[TOK_MAX], name[160];
    struct cm_jwt_claims v;
    char err[256];
    s_craft(s_hdr, s_payload(pl, sizeof(pl), NULL), tok);
    s_expect(tok, true, "signed token (control)");
    size_t len = strlen(tok);
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    size_t p1 = (size_t)(d1 - tok), p2 = (size_t)(d2 - tok);

    /* signature of another key, and of an empty key */
    s_expect(s_craft_md(s_hdr, pl, s_other, 32, EVP_sha256(), bad), false,
             "signature from another key");
    s_expect(s_craft_md(s_hdr, pl, s_secret, 31, EVP_sha256(), bad), false,
             "signature from the key's first 31 bytes");

    /* every decoded bit of header and signature, and bits 0 and 7 of every payload byte */
    unsigned char raw[4096];
    size_t seglen[3] = {s_dec(tok, p1, raw), s_dec(d1 + 1, p2 - p1 - 1, raw),
                        s_dec(d2 + 1, len - p2 - 1, raw)};
    static const char *const segname[3] = {"header", "payload", "signature"};
    for (int seg = 0; seg < 3; seg++) {
        int total = 0, refused = 0;
        for (size_t pos = 0; pos < seglen[seg]; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                if (seg == 1 && bit != 0 && bit != 7)
                    continue;
                s_flip(tok, seg, pos, bit, bad);
                total++;
                refused += cm_jwt_verify(&s_key, bad, strlen(bad), NOW, &v, err, sizeof(err)) < 0;
            }
        }
        snprintf(name, sizeof(name), "one bit flipped in the %s: %d/%d refused", segname[seg],
                 refused, total);
        ok(total > 0 && refused == total, name);
    }
    s_flip(tok, 2, 1000, 0, bad); /* position past the end: nothing flipped */
    s_expect(bad, true, "re-encoded unchanged token (control of the flipper)");

    /* header and payload from two different valid tokens */
    s_craft("{\"alg\":\"HS256\"}", s_payload(pl, sizeof(pl), KV("role", "\"admin\"")), tok2);
    s_expect(tok2, true, "second token (control)");
    const char *e1 = strchr(tok2, '.'), *e2 = strchr(e1 + 1, '.');
    snprintf(bad, sizeof(bad), "%.*s%s", (int)p1, tok, e1); /* header of 1 + rest of 2 */
    s_expect(bad, false, "header of token 1 with payload and signature of token 2");
    snprintf(bad, sizeof(bad), "%.*s%s", (int)p2, tok, e2);
    s_expect(bad, false, "header and payload of token 1, signature of token 2");
    snprintf(bad, sizeof(bad), "%.*s%s", (int)(e1 - tok2), tok2, d1);
    s_expect(bad, false, "header of token 2, payload and signature of token 1");

    /* J-10: the signature re-encoded with changed trailing bits (43 chars carry 256 + 2 bits) */
    int total = 0, refused = 0;
    int last = (int)(strchr(s_b64abc, tok[len - 1]) - s_b64abc);
    for (int extra = 1; extra < 4; extra++) {
        memcpy(bad, tok, len + 1);
        bad[len - 1] = s_b64abc[last | extra];
        total++;
        refused += s_verify(bad, &v, err, sizeof(err)) < 0;
    }
    ok(total == 3 && refused == 3, "J-10: signature with non-zero trailing bits: 3/3 refused");
    /* the libjwt path alone (lenient base64) would have decoded these to the same MAC: the
     * strictness is ours */
    snprintf(bad, sizeof(bad), "%sA", tok);
    s_expect(bad, false, "signature with one more character");
    snprintf(bad, sizeof(bad), "%.*s", (int)len - 1, tok);
    s_expect(bad, false, "signature one character short");
    snprintf(bad, sizeof(bad), "%.*s.%s", (int)p2, tok,
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    s_expect(bad, false, "all-zero signature");
    /* a signature over the whole token text instead of header.payload */
    unsigned char mac[64];
    unsigned int ml;
    char sig[128];
    HMAC(EVP_sha256(), s_secret, 32, (unsigned char *)tok, p1, mac, &ml);
    s_enc(mac, 32, sig);
    snprintf(bad, sizeof(bad), "%.*s.%s", (int)p2, tok, sig);
    s_expect(bad, false, "signature over the header alone");
    /* a 64-byte (HS512-sized) signature made with SHA-256 twice */
    HMAC(EVP_sha512(), s_secret, 32, (unsigned char *)tok, p2, mac, &ml);
    s_enc(mac, 64, sig);
    snprintf(bad, sizeof(bad), "%.*s.%s", (int)p2, tok, sig);
    s_expect(bad, false, "64-byte signature under alg HS256");
}

/* --- time claims (J-02) --- */

static void test_times(void)
{
    s_expect_pl(NULL, true, "standard claims (control)");
    s_expect_pl(KV("exp", NULL), false, "exp missing");
    s_expect_pl(KV("exp", "\"1700000890\""), false, "exp as a string");
    s_expect_pl(KV("exp", "1700000890.0"), false, "exp as a float");
    s_expect_pl(KV("exp", "1.70000089e9"), false, "exp in exponent form");
    s_expect_pl(KV("exp", "-1"), false, "exp negative");
    s_expect_pl(KV("exp", "0"), false, "exp 0");
    s_expect_pl(KV("exp", "100000000000000000000000000"), false, "exp 10^26");
    s_expect_pl(KV("exp", "9223372036854775808"), false, "exp 2^63");
    s_expect_pl(KV("exp", "9223372036854775807"), false, "exp 2^63-1");
    s_expect_pl(KV("exp", "1099511627776"), false, "exp 2^40");
    s_expect_pl(KV("exp", "true"), false, "exp true");
    s_expect_pl(KV("exp", "null"), false, "exp null");
    s_expect_pl(KV("exp", "[1700000890]"), false, "exp array");
    s_expect_pl(KV("+exp", "1700000890"), false, "exp twice (duplicate member)");
    /* leeway 30 s in s_key */
    s_expect_pl(KV("exp", "1699999969", "iat", "1699999100", "nbf", "1699999100"), false,
                "expired 31 s ago, beyond the 30 s leeway");
    s_expect_pl(KV("exp", "1699999970", "iat", "1699999100", "nbf", "1699999100"), true,
                "expired 30 s ago, within the leeway (control)");
    s_expect_pl(KV("exp", "1700000000"), true, "exp == now (control)");
    s_expect_pl(KV("nbf", "1700000031"), false, "nbf 31 s in the future");
    s_expect_pl(KV("nbf", "1700000030"), true, "nbf 30 s in the future, within leeway (control)");
    s_expect_pl(KV("nbf", NULL), false, "nbf missing");
    s_expect_pl(KV("nbf", "\"1699999990\""), false, "nbf as a string");
    s_expect_pl(KV("nbf", "1699999990.5"), false, "nbf as a float");
    s_expect_pl(KV("iat", "1700000031", "nbf", "1700000000"), false,
                "iat 31 s ahead, beyond the leeway");
    s_expect_pl(KV("iat", "1700000030", "nbf", "1700000000"), true,
                "iat 30 s ahead, within the leeway (control)");
    s_expect_pl(KV("iat", NULL), false, "iat missing");
    s_expect_pl(KV("iat", "-5"), false, "iat negative");
    s_expect_pl(KV("iat", "1700000891"), false, "iat after exp");
    s_expect_pl(KV("iat", "1699999929", "nbf", "1699999929"), false,
                "lifetime 961 s (> 15 min + 60 s)");
    s_expect_pl(KV("iat", "1699999930", "nbf", "1699999930"), true,
                "lifetime 960 s (control: 15 min + 60 s of slack)");
    s_expect_pl(KV("iat", "1", "nbf", "1", "exp", "1099511627775"), false,
                "a token that never expires");
    /* verify at a clock outside the range of times */
    char pl[4096], tok[TOK_MAX], err[256];
    struct cm_jwt_claims v;
    s_craft(s_hdr, s_payload(pl, sizeof(pl), NULL), tok);
    ok(cm_jwt_verify(&s_key, tok, strlen(tok), -1, &v, err, sizeof(err)) < 0, "now -1");
    ok(cm_jwt_verify(&s_key, tok, strlen(tok), INT64_MAX, &v, err, sizeof(err)) < 0,
       "now INT64_MAX (no overflow)");
    struct cm_jwt_key k0 = s_key;
    k0.leeway_s = 0;
    ok(cm_jwt_verify(&k0, tok, strlen(tok), 1700000891, &v, err, sizeof(err)) < 0,
       "leeway 0: one second after exp");
    ok(cm_jwt_verify(&k0, tok, strlen(tok), 1700000890, &v, err, sizeof(err)) == 0,
       "leeway 0: at exp (control)");
}

/* --- identity claims (J-03) --- */

static void test_claims(void)
{
    s_expect_pl(NULL, true, "standard claims (control)");
    s_expect_pl(KV("+extra", "{\"a\":[1,2,{\"b\":null}]}", "+scope", "\"x\""), true,
                "unknown claims ignored (control)");
    s_expect_pl(KV("iss", "\"evil\""), false, "wrong iss");
    s_expect_pl(KV("iss", "\"Marquee\""), false, "iss differing in case");
    s_expect_pl(KV("iss", "\"marquee\\u0000\""), false, "iss with a NUL");
    s_expect_pl(KV("iss", NULL), false, "iss missing");
    s_expect_pl(KV("iss", "[\"marquee\"]"), false, "iss array");
    s_expect_pl(KV("aud", "\"marquee-refresh\""), false, "wrong aud");
    s_expect_pl(KV("aud", NULL), false, "aud missing");
    s_expect_pl(KV("aud", "[\"marquee-api\"]"), false, "aud array: refused (documented)");
    s_expect_pl(KV("aud", "\"\""), false, "aud empty");
    s_expect_pl(KV("use", "\"refresh\""), false, "use refresh (refresh token at the gateway)");
    s_expect_pl(KV("use", NULL), false, "use missing");
    s_expect_pl(KV("use", "\"ACCESS\""), false, "use ACCESS");
    s_expect_pl(KV("sub", "\"1\""), true, "sub 1 (control)");
    s_expect_pl(KV("sub", "\"9223372036854775807\""), true, "sub 2^63-1 (control)");
    static const char *const subs[] = {
        "\"0\"",
        "\"-1\"",
        "\"01\"",
        "\"abc\"",
        "\"18446744073709551616\"",
        "\"9223372036854775808\"",
        "\"18446744073709551615\"",
        "\"99999999999999999999\"",
        "\"+1\"",
        "\" 1\"",
        "\"1 \"",
        "\"1.0\"",
        "\"1e3\"",
        "\"\"",
        "42",
        "null",
        "[\"42\"]",
        "\"0x2a\"",
        "\"\\u0031\\u0000\"",
    };
    char name[96];
    for (size_t i = 0; i < CM_ARRAY_LEN(subs); i++) {
        snprintf(name, sizeof(name), "sub %s refused", subs[i]);
        s_expect_pl(KV("sub", subs[i]), false, name);
    }
    s_expect_pl(KV("sub", NULL), false, "sub missing");
    s_expect_pl(KV("ver", "0"), true, "ver 0 (control)");
    s_expect_pl(KV("ver", NULL), false, "ver missing");
    s_expect_pl(KV("ver", "-1"), false, "ver negative");
    s_expect_pl(KV("ver", "\"3\""), false, "ver as a string");
    s_expect_pl(KV("ver", "3.0"), false, "ver as a float");
    s_expect_pl(KV("ver", "null"), false, "ver null");
    s_expect_pl(KV("role", "\"admin\""), true, "role admin (control)");
    s_expect_pl(KV("role", "\"root\""), false, "role root");
    s_expect_pl(KV("role", "\"Admin\""), false, "role Admin");
    s_expect_pl(KV("role", "\"admin \""), false, "role 'admin '");
    s_expect_pl(KV("role", "\"\""), false, "role empty");
    s_expect_pl(KV("role", "[\"admin\"]"), false, "role array");
    s_expect_pl(KV("role", NULL), false, "role missing");
    s_expect_pl(KV("+role", "\"admin\""), false, "role twice (user then admin)");
    s_expect_pl(KV("sid", "\"0123456789ABCDEF0123456789abcdef\""), false, "sid upper-case");
    s_expect_pl(KV("sid", "\"0123456789abcdef0123456789abcde\""), false, "sid 31 digits");
    s_expect_pl(KV("sid", "\"0123456789abcdef0123456789abcdef0\""), false, "sid 33 digits");
    s_expect_pl(KV("sid", "\"0123456789abcdef0123456789abcdeg\""), false, "sid non-hex");
    s_expect_pl(KV("sid", NULL), false, "sid missing");
    s_expect_pl(KV("sid", "1"), false, "sid number");
    s_expect_pl(KV("jti", "\"FEDCBA9876543210fedcba9876543210\""), false, "jti upper-case");
    s_expect_pl(KV("jti", "\"fedcba98-7654-3210-fedc-ba9876543210\""), false, "jti UUID form");
    s_expect_pl(KV("jti", NULL), false, "jti missing");
    s_expect_pl(KV("email", NULL, "name", NULL), true, "email and name absent (control)");
    s_expect_pl(KV("email", "\"\"", "name", "\"\""), true, "email and name empty (control)");
    s_expect_pl(KV("email", "1"), false, "email number");
    s_expect_pl(KV("name", "null"), false, "name null");
    s_expect_pl(KV("name", "\"a\\u0000b\""), false, "name with an escaped NUL");
    s_expect_pl(KV("name", "\"\\udc00\""), false, "name with a lone surrogate");
    char big[400];
    big[0] = '"';
    memset(big + 1, 'n', 100);
    snprintf(big + 101, sizeof(big) - 101, "\"");
    s_expect_pl(KV("name", big), true, "name of 100 bytes (control)");
    snprintf(big + 101, sizeof(big) - 101, "n\"");
    s_expect_pl(KV("name", big), false, "name of 101 bytes");
    memset(big + 1, 'e', 254);
    snprintf(big + 255, sizeof(big) - 255, "\"");
    s_expect_pl(KV("email", big), true, "email of 254 bytes (control)");
    snprintf(big + 255, sizeof(big) - 255, "e\"");
    s_expect_pl(KV("email", big), false, "email of 255 bytes");

    /* payload shapes */
    char tok[TOK_MAX];
    s_expect(s_craft(s_hdr, "[]", tok), false, "payload array");
    s_expect(s_craft(s_hdr, "{}", tok), false, "payload empty object");
    s_expect(s_craft(s_hdr, "\"x\"", tok), false, "payload string");
    s_expect(s_craft(s_hdr, "{\"exp\":1", tok), false, "payload truncated JSON");
    char pl[4096];
    s_payload(pl, sizeof(pl), NULL);
    size_t n = strlen(pl);
    snprintf(pl + n, sizeof(pl) - n, " ");
    s_expect(s_craft(s_hdr, pl, tok), true, "payload with trailing whitespace (control)");
    pl[n] = '\0';
    snprintf(pl + n, sizeof(pl) - n, "{}");
    s_expect(s_craft(s_hdr, pl, tok), false, "payload with trailing data");
    char huge[4096];
    memset(huge, 'x', 2100);
    huge[0] = '"';
    huge[2099] = '"';
    huge[2100] = '\0';
    s_expect_pl(KV("+junk", huge), false, "payload over 2 KiB");
    char deep[2100];
    memset(deep, '[', 800);
    memset(deep + 800, ']', 800);
    deep[1600] = '\0';
    s_expect_pl(KV("+deep", deep), true, "800-deep array within 2 KiB (control: no crash)");
}

/* --- oversized input (J-07 at the module level) --- */

static void test_sizes(void)
{
    struct cm_jwt_claims v;
    char err[256], pl[4096], tok[TOK_MAX];
    s_expect(s_craft(s_hdr, s_payload(pl, sizeof(pl), NULL), tok), true, "control");
    size_t sizes[] = {CM_JWT_MAX + 1, 8 * 1024, 64 * 1024, 1024 * 1024};
    for (size_t i = 0; i < CM_ARRAY_LEN(sizes); i++) {
        char *big = cm_malloc(sizes[i]);
        memset(big, 'A', sizes[i]);
        memcpy(big, tok, strlen(tok)); /* a valid token followed by junk */
        big[100] = '.';
        uint64_t t0 = cm_mono_us();
        int refused = 0;
        for (int r = 0; r < 100; r++)
            refused += cm_jwt_verify(&s_key, big, sizes[i], NOW, &v, err, sizeof(err)) < 0;
        uint64_t us = cm_mono_us() - t0;
        char name[96];
        snprintf(name, sizeof(name), "a %zu-byte token is refused (100 times in %" PRIu64 " us)",
                 sizes[i], us);
        ok(refused == 100, name);
        ok(us < 100 * 1000, "... fast: under 1 ms each");
        cm_free(big);
    }
}

/* --- the verifier --- */

static void test_verifier(void)
{
    char err[256] = "", pl[4096], tok[TOK_MAX], bad[TOK_MAX];
    struct cm_jwt_claims v, w;
    cm_jwt_verifier_t *vf = cm_jwt_verifier_new(&s_key, 64, err, sizeof(err));
    ok(vf != NULL, "verifier_new");
    ok(cm_jwt_verifier_new(&s_key, CM_JWT_VERIFIER_SLOTS_MAX + 1, err, sizeof(err)) == NULL,
       "verifier_new refuses too many slots");
    s_craft(s_hdr, s_payload(pl, sizeof(pl), NULL), tok);
    uint64_t hits = 9, misses = 9;
    is_int(cm_jwt_verifier_check(vf, tok, strlen(tok), NOW, &v, err, sizeof(err)), 0,
           "first check (control)");
    is_int(cm_jwt_verifier_check(vf, tok, strlen(tok), NOW, &w, err, sizeof(err)), 0,
           "second check (memo)");
    cm_jwt_verifier_stats(vf, &hits, &misses);
    ok(hits == 1 && misses == 1, "one miss then one hit");
    ok(s_claims_eq(&v, &w), "the memo gives the same claims");
    ok(cm_jwt_verifier_check(vf, tok, strlen(tok), NOW + 921, &w, err, sizeof(err)) < 0,
       "a memo hit still expires");
    ok(w.user_id == 0, "claims zeroed on a memo-hit failure");
    ok(cm_jwt_verifier_check(vf, tok, strlen(tok), NOW - 41, &w, err, sizeof(err)) < 0,
       "a memo hit still checks nbf");
    /* tampered copies of a remembered token */
    for (int seg = 0; seg < 3; seg++) {
        s_flip(tok, seg, 3, 1, bad);
        ok(cm_jwt_verifier_check(vf, bad, strlen(bad), NOW, &w, err, sizeof(err)) < 0,
           "flipped bit after the token was remembered");
    }
    size_t len = strlen(tok);
    memcpy(bad, tok, len + 1);
    bad[len - 1] = s_b64abc[(strchr(s_b64abc, tok[len - 1]) - s_b64abc) | 1];
    ok(cm_jwt_verifier_check(vf, bad, len, NOW, &w, err, sizeof(err)) < 0,
       "J-10 re-encoding of a remembered token");
    ok(cm_jwt_verifier_check(vf, tok, len - 1, NOW, &w, err, sizeof(err)) < 0,
       "truncated remembered token");
    /* the same answers as cm_jwt_verify on a mix, twice (second round from the memo) */
    const char *const *cases[] = {
        NULL,
        KV("role", "\"admin\""),
        KV("role", "\"root\""),
        KV("exp", "1699999900", "iat", "1699999100", "nbf", "1699999100"),
        KV("aud", "\"x\""),
        KV("sub", "\"7\""),
    };
    int same = 0, total = 0;
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < CM_ARRAY_LEN(cases); i++) {
            s_craft(s_hdr, s_payload(pl, sizeof(pl), cases[i]), tok);
            int a = cm_jwt_verify(&s_key, tok, strlen(tok), NOW, &v, err, sizeof(err));
            int b = cm_jwt_verifier_check(vf, tok, strlen(tok), NOW, &w, err, sizeof(err));
            total++;
            same += a == b && s_claims_eq(&v, &w);
        }
    }
    ok(same == total, "verifier and cm_jwt_verify agree on every case, memo or not");
    cm_jwt_verifier_destroy(&vf);
    ok(vf == NULL, "destroy clears the pointer");
    cm_jwt_verifier_destroy(&vf);

    /* a verifier of another key rejects our tokens; no memo (0 slots) still verifies */
    struct cm_jwt_key k2 = s_key;
    k2.secret = s_other;
    cm_jwt_verifier_t *v2 = cm_jwt_verifier_new(&k2, 0, err, sizeof(err));
    s_craft(s_hdr, s_payload(pl, sizeof(pl), NULL), tok);
    ok(cm_jwt_verifier_check(v2, tok, strlen(tok), NOW, &w, err, sizeof(err)) < 0,
       "a verifier of another key refuses");
    cm_jwt_verifier_destroy(&v2);
    cm_jwt_verifier_t *v0 = cm_jwt_verifier_new(&s_key, 0, err, sizeof(err));
    ok(cm_jwt_verifier_check(v0, tok, strlen(tok), NOW, &w, err, sizeof(err)) == 0,
       "a verifier without memo verifies (control)");
    ok(cm_jwt_verifier_check(NULL, tok, strlen(tok), NOW, &w, err, sizeof(err)) < 0,
       "NULL verifier refuses");
    cm_jwt_verifier_destroy(&v0);
}

/* --- timing (printed, not asserted) --- */

static void test_timing(void)
{
    char tok[CM_JWT_MAX + 1], err[256];
    struct cm_jwt_claims c = s_claims(), v;
    if (cm_jwt_sign(&s_key, &c, tok, sizeof(tok), err, sizeof(err)) < 0)
        return;
    size_t len = strlen(tok);
    /* 100000 runs; a tenth under ASan, where every malloc in libjwt and jansson is slow */
#if defined(__SANITIZE_ADDRESS__)
    enum { N = 10000 };
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    enum { N = 10000 };
#else
    enum { N = 100000 };
#endif
#else
    enum { N = 100000 };
#endif
    int fails = 0;
    uint64_t t0 = cm_mono_us();
    for (int i = 0; i < N; i++)
        fails += cm_jwt_verify(&s_key, tok, len, NOW, &v, err, sizeof(err)) < 0;
    uint64_t full = cm_mono_us() - t0;
    ok(fails == 0, "every verify succeeds");
    diag("cm_jwt_verify: %.2f us per verify (%zu-byte token, %d runs)", (double)full / N, len, N);

    cm_jwt_verifier_t *vf = cm_jwt_verifier_new(&s_key, 1024, err, sizeof(err));
    fails = 0;
    t0 = cm_mono_us();
    for (int i = 0; i < N; i++)
        fails += cm_jwt_verifier_check(vf, tok, len, NOW, &v, err, sizeof(err)) < 0;
    uint64_t memo = cm_mono_us() - t0;
    ok(fails == 0, "every verifier check succeeds");
    diag("cm_jwt_verifier_check (memo hits): %.2f us per verify", (double)memo / N);
    cm_jwt_verifier_destroy(&vf);

    char forged[CM_JWT_MAX + 1];
    memcpy(forged, tok, len + 1);
    forged[len - 3] = forged[len - 3] == 'A' ? 'B' : 'A';
    t0 = cm_mono_us();
    for (int i = 0; i < N / 10; i++)
        fails += cm_jwt_verify(&s_key, forged, len, NOW, &v, err, sizeof(err)) == 0;
    diag("cm_jwt_verify of a forged signature: %.2f us per refusal",
         (double)(cm_mono_us() - t0) / (N / 10));
    t0 = cm_mono_us();
    for (int i = 0; i < N / 10; i++) {
        jwt_t *j = NULL;
        fails += jwt_decode(&j, tok, s_secret, 32) != 0;
        jwt_free(j);
    }
    diag("libjwt jwt_decode alone: %.2f us per call", (double)(cm_mono_us() - t0) / (N / 10));
    ok(fails == 0, "forgeries refused, jwt_decode accepts the token");
}

int main(void)
{
    test_round_trip();
    test_sign_refuses();
    test_keys();
    test_alg();
    test_header();
    test_segments();
    test_signature();
    test_times();
    test_claims();
    test_sizes();
    test_verifier();
    test_timing();
    return done_testing();
}
