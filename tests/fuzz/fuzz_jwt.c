/* SPDX-License-Identifier: MIT
 * libFuzzer target for cm_jwt: arbitrary bytes as a token for cm_jwt_verify with a fixed
 * 32-byte key at a fixed clock. An input starting with '!' (never a base64url character) is
 * "header.payload" to be signed here first: the fuzzer cannot guess an HMAC, so this mode is
 * what takes it past the signature check into libjwt and the claim parser.
 * Checks: a refusal zeroes the claims and says why; an accepted token has sane claims (role
 * user/admin, 32 lower-hex sid and jti, sub in 1..2^63-1, bounded UTF-8 email and name, times
 * consistent with the clock); a verifier (with its memo, asked twice) gives the same answer;
 * and claims that cm_jwt_sign accepts come back equal through sign and verify. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fuzz.h"
#include "cm_jwt.h"

#define NOW 1700000000LL

static const unsigned char s_secret[33] = "fuzz-fixed-key-0123456789abcdef!"; /* 32 bytes */
static const struct cm_jwt_key s_key = {s_secret, 32, "marquee", "marquee-api", 30};
static cm_jwt_verifier_t *s_verifier;

static bool s_is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return false;
    for (size_t i = 0; i < 32; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Field by field: struct copies need not copy padding, so no memcmp of whole structs. */
static bool s_claims_eq(const struct cm_jwt_claims *a, const struct cm_jwt_claims *b)
{
    return a->user_id == b->user_id && a->ver == b->ver && strcmp(a->role, b->role) == 0 &&
           strcmp(a->sid, b->sid) == 0 && strcmp(a->jti, b->jti) == 0 &&
           strcmp(a->email, b->email) == 0 && strcmp(a->name, b->name) == 0 && a->iat == b->iat &&
           a->nbf == b->nbf && a->exp == b->exp;
}

static void s_check_claims(const struct cm_jwt_claims *c)
{
    CHECK(strcmp(c->role, "user") == 0 || strcmp(c->role, "admin") == 0);
    CHECK(s_is_hex32(c->sid) && s_is_hex32(c->jti));
    CHECK(c->user_id >= 1 && c->user_id <= (uint64_t)INT64_MAX);
    size_t en = strnlen(c->email, sizeof(c->email)), nn = strnlen(c->name, sizeof(c->name));
    CHECK(en <= CM_JWT_EMAIL_MAX && cm_utf8_valid(c->email, en, false));
    CHECK(nn <= CM_JWT_NAME_MAX && cm_utf8_valid(c->name, nn, false));
    CHECK(c->iat > 0 && c->iat <= c->exp && c->exp - c->iat <= CM_JWT_TTL_MAX + 60);
    CHECK(c->exp < CM_JWT_TIME_MAX && c->nbf > 0 && c->nbf < CM_JWT_TIME_MAX);
    CHECK(NOW <= c->exp + s_key.leeway_s && NOW + s_key.leeway_s >= c->nbf);
    CHECK(c->iat <= NOW + s_key.leeway_s);
}

/* "!header.payload" -> "header.payload.<HMAC>" into out (CM_JWT_MAX + 64 bytes); 0 or -1. */
static int s_resign(const uint8_t *data, size_t size, char *out, size_t *outlen)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (size < 1 || size - 1 > CM_JWT_MAX)
        return -1;
    size_t n = size - 1;
    memcpy(out, data + 1, n);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (!HMAC(EVP_sha256(), s_secret, 32, (const unsigned char *)out, n, mac, &ml) || ml != 32)
        return -1;
    out[n++] = '.';
    for (size_t i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)mac[i] << 16 | (i + 1 < 32 ? (uint32_t)mac[i + 1] << 8 : 0) |
                     (i + 2 < 32 ? mac[i + 2] : 0);
        out[n++] = abc[v >> 18];
        out[n++] = abc[(v >> 12) & 63];
        if (i + 1 < 32)
            out[n++] = abc[(v >> 6) & 63];
        if (i + 2 < 32)
            out[n++] = abc[v & 63];
    }
    *outlen = n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char tok[CM_JWT_MAX + 64];
    const char *in = (const char *)data;
    size_t len = size;
    if (size > 0 && data[0] == '!') {
        if (s_resign(data, size, tok, &len) < 0)
            return 0;
        in = tok;
    }
    if (!s_verifier) {
        char e[128];
        s_verifier = cm_jwt_verifier_new(&s_key, 64, e, sizeof(e));
        CHECK(s_verifier != NULL);
    }

    struct cm_jwt_claims c, c2, zero;
    char err[256] = "";
    memset(&zero, 0, sizeof(zero));
    int rc = cm_jwt_verify(&s_key, in, len, NOW, &c, err, sizeof(err));
    if (rc < 0) {
        CHECK(err[0] != '\0' && s_claims_eq(&c, &zero));
    } else {
        CHECK(rc == 0);
        s_check_claims(&c);
    }
    for (int round = 0; round < 2; round++) { /* the second round may come from the memo */
        char err2[256] = "";
        int rc2 = cm_jwt_verifier_check(s_verifier, in, len, NOW, &c2, err2, sizeof(err2));
        CHECK(rc2 == rc && s_claims_eq(&c, &c2));
    }
    if (rc < 0)
        return 0;

    /* Claims that sign accepts round-trip through a fresh token. */
    struct cm_jwt_claims s = c;
    char out[CM_JWT_MAX + 1];
    if (cm_jwt_sign(&s_key, &s, out, sizeof(out), err, sizeof(err)) == 0) {
        struct cm_jwt_claims back;
        if (cm_jwt_verify(&s_key, out, strlen(out), NOW, &back, err, sizeof(err)) != 0) {
            fprintf(stderr, "re-signed token refused: %s\n", err);
            abort();
        }
        CHECK(s_claims_eq(&back, &s));
    } else {
        /* sign is stricter only on the times: lifetime over 900 s, or nbf before iat */
        CHECK(c.exp - c.iat > CM_JWT_TTL_MAX || c.nbf < c.iat || c.nbf > c.exp);
    }
    return 0;
}
