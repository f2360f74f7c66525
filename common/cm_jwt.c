/* SPDX-License-Identifier: MIT
 * cm_jwt: HS256 access tokens with libjwt 1.10 and jansson (see cm_jwt.h for the contract).
 *
 * Verification runs in the order of the contract, cheapest and most hostile first:
 *   1. the key, the length, and a byte scan: three non-empty base64url segments;
 *   2. the header: strict base64url, jansson without duplicates, {"alg":"HS256"[,"typ":"JWT"]};
 *   3. the signature: 32 bytes in canonical base64url; our HMAC-SHA256 over "header.payload"
 *      compared with CRYPTO_memcmp (a forgery never reaches libjwt or the payload parser),
 *      then libjwt's jwt_decode() with the secret, then the alg pin on jwt_get_alg();
 *   4. the payload: strict base64url, jansson without duplicates, typed claims; then the times.
 * Segments are decoded into stack buffers sized by the caps; our only heap use per call is one
 * OpenSSL digest context. jansson and libjwt allocate their trees (that, and libjwt parsing
 * everything a second time, is most of the ~30 us of a full verify; the verifier's memo skips
 * both for a token it has already seen whole). */
#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include "cm.h"
#include "cm_jwt.h"
#include "cm_token.h"

_Static_assert(sizeof(long) >= 8, "jwt_add_grant_int takes a long: times need 64 bits");

#define B64_LEN(n) (((n)*4 + 2) / 3)              /* unpadded base64url length of n bytes */
#define SIG_LEN 32                                /* HMAC-SHA256 */
#define SIG_B64_LEN B64_LEN(SIG_LEN)              /* 43 */
#define HEADER_B64_MAX B64_LEN(CM_JWT_HEADER_MAX) /* longest header segment */
#define PAYLOAD_B64_MAX B64_LEN(CM_JWT_PAYLOAD_MAX)

/* --- base64url, strict --- */

/* Decode `n` base64url characters (already checked to be in the alphabet) into out[cap].
 * Canonical input only: a length of 1 mod 4 cannot come from any byte string, and the unused
 * low bits of the last character must be zero, or two spellings would decode to the same bytes
 * (the J-10 malleability). Returns the decoded length, or -1. */
static long s_b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    if (n % 4 == 1 || n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > cap)
        return -1;
    size_t o = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = (uint32_t)cm_b64_digit((unsigned char)in[i], true) << 18 |
                     (uint32_t)cm_b64_digit((unsigned char)in[i + 1], true) << 12 |
                     (uint32_t)cm_b64_digit((unsigned char)in[i + 2], true) << 6 |
                     (uint32_t)cm_b64_digit((unsigned char)in[i + 3], true);
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    if (n - i == 2) {
        uint32_t v = (uint32_t)cm_b64_digit((unsigned char)in[i], true) << 18 |
                     (uint32_t)cm_b64_digit((unsigned char)in[i + 1], true) << 12;
        if (v & 0xffff)
            return -1;
        out[o++] = (unsigned char)(v >> 16);
    } else if (n - i == 3) {
        uint32_t v = (uint32_t)cm_b64_digit((unsigned char)in[i], true) << 18 |
                     (uint32_t)cm_b64_digit((unsigned char)in[i + 1], true) << 12 |
                     (uint32_t)cm_b64_digit((unsigned char)in[i + 2], true) << 6;
        if (v & 0xff)
            return -1;
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
    }
    return (long)o;
}

/* --- HMAC-SHA256 --- */

/* OpenSSL 3's HMAC() fetches its algorithms on every call (about 3 us here); fetching SHA-256
 * once and doing RFC 2104 by hand costs a quarter of that. */
static pthread_once_t s_sha_once = PTHREAD_ONCE_INIT;
static EVP_MD *s_sha256;

static void s_sha_init(void)
{
    s_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* HMAC-SHA256 of msg under the key (at most 64 bytes used raw, longer keys are hashed first,
 * as RFC 2104 says). Returns 0, or -1 when OpenSSL fails. */
static int s_hmac(const unsigned char *key, size_t keylen, const void *msg, size_t n,
                  unsigned char mac[SIG_LEN])
{
    pthread_once(&s_sha_once, s_sha_init);
    if (!s_sha256)
        return -1;
    unsigned char k[64] = {0}, pad[64], inner[SIG_LEN];
    unsigned int len = 0;
    int rc = -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return -1;
    if (keylen > sizeof(k)) {
        if (EVP_Digest(key, keylen, k, &len, s_sha256, NULL) != 1)
            goto out;
    } else {
        memcpy(k, key, keylen);
    }
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = k[i] ^ 0x36;
    if (EVP_DigestInit_ex(c, s_sha256, NULL) != 1 || EVP_DigestUpdate(c, pad, 64) != 1 ||
        EVP_DigestUpdate(c, msg, n) != 1 || EVP_DigestFinal_ex(c, inner, &len) != 1)
        goto out;
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = k[i] ^ 0x5c;
    if (EVP_DigestInit_ex(c, s_sha256, NULL) != 1 || EVP_DigestUpdate(c, pad, 64) != 1 ||
        EVP_DigestUpdate(c, inner, SIG_LEN) != 1 || EVP_DigestFinal_ex(c, mac, &len) != 1)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    EVP_MD_CTX_free(c);
    return rc;
}

/* --- small checks --- */

bool cm_jwt_alg_allowed(int alg)
{
    return alg == JWT_ALG_HS256;
}

static int s_key_check(const struct cm_jwt_key *key, char *err, size_t errlen)
{
    if (!key || !key->secret || key->secret_len < CM_JWT_KEY_MIN) {
        cm_errf(err, errlen, "the token key is shorter than %d bytes", CM_JWT_KEY_MIN);
        return -1;
    }
    if (key->secret_len > CM_JWT_KEY_MAX) {
        cm_errf(err, errlen, "the token key is longer than %d bytes", CM_JWT_KEY_MAX);
        return -1;
    }
    if (!key->iss || !key->aud || !key->iss[0] || !key->aud[0] ||
        strnlen(key->iss, CM_JWT_STR_MAX + 1) > CM_JWT_STR_MAX ||
        strnlen(key->aud, CM_JWT_STR_MAX + 1) > CM_JWT_STR_MAX) {
        cm_errf(err, errlen, "the token issuer or audience is empty or too long");
        return -1;
    }
    if (key->leeway_s < 0 || key->leeway_s > CM_JWT_LEEWAY_MAX) {
        cm_errf(err, errlen, "the token leeway is outside 0..%d s", CM_JWT_LEEWAY_MAX);
        return -1;
    }
    return 0;
}

/* True when s[0..n) is exactly CM_JWT_ID_LEN lower-case hex digits. */
static bool s_is_id(const char *s, size_t n)
{
    if (n != CM_JWT_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool s_is_role(const char *s, size_t n)
{
    return (n == 4 && memcmp(s, "user", 4) == 0) || (n == 5 && memcmp(s, "admin", 5) == 0);
}

/* The user id in a "sub" string: 1..19 digits, no sign, no leading zero, 1..2^63-1. */
static bool s_parse_sub(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19 || s[0] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits < 2^64: no wrap */
    }
    if (v > (uint64_t)INT64_MAX)
        return false;
    *out = v;
    return true;
}

static bool s_time_ok(int64_t t)
{
    return t > 0 && t < CM_JWT_TIME_MAX;
}

/* --- verification steps --- */

/* Where the three segments of a token are. */
struct s_parts {
    const char *h, *p, *s; /* header, payload, signature */
    size_t hn, pn, sn;     /* their lengths */
};

/* Step 1: the length, and exactly three non-empty segments of base64url characters. */
static int s_split(const char *tok, size_t len, struct s_parts *pt, char *err, size_t errlen)
{
    if (!tok || len == 0 || len > CM_JWT_MAX) {
        cm_errf(err, errlen, "the token is empty or longer than %d bytes", CM_JWT_MAX);
        return -1;
    }
    size_t dot[2], ndots = 0;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] == '.') {
            if (ndots == 2)
                goto bad;
            dot[ndots++] = i;
        } else if (cm_b64_digit((unsigned char)tok[i], true) < 0) {
            goto bad;
        }
    }
    if (ndots != 2 || dot[0] == 0 || dot[1] == dot[0] + 1 || dot[1] == len - 1)
        goto bad;
    pt->h = tok;
    pt->hn = dot[0];
    pt->p = tok + dot[0] + 1;
    pt->pn = dot[1] - dot[0] - 1;
    pt->s = tok + dot[1] + 1;
    pt->sn = len - dot[1] - 1;
    return 0;
bad:
    cm_errf(err, errlen, "the token is not three base64url segments");
    return -1;
}

/* Decode a segment strictly and parse it as a JSON object without duplicate members. */
static json_t *s_segment_json(const char *seg, size_t n, unsigned char *buf, size_t cap)
{
    long dn = s_b64_decode(seg, n, buf, cap);
    if (dn <= 0)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, (size_t)dn, JSON_REJECT_DUPLICATES, &jerr);
    if (root && !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Step 2: the header is {"alg":"HS256"} with at most "typ":"JWT" beside it. */
static int s_check_header(const struct s_parts *pt, char *err, size_t errlen)
{
    unsigned char buf[CM_JWT_HEADER_MAX];
    if (pt->hn > HEADER_B64_MAX) {
        cm_errf(err, errlen, "the token header is too large");
        return -1;
    }
    json_t *h = s_segment_json(pt->h, pt->hn, buf, sizeof(buf));
    if (!h) {
        cm_errf(err, errlen, "the token header is not a JSON object");
        return -1;
    }
    int rc = -1;
    json_t *alg = json_object_get(h, "alg"), *typ = json_object_get(h, "typ");
    if (!json_is_string(alg) || json_string_length(alg) != 5 ||
        memcmp(json_string_value(alg), "HS256", 5) != 0) {
        cm_errf(err, errlen, "the token algorithm is not HS256");
        goto out;
    }
    if (typ && (!json_is_string(typ) || json_string_length(typ) != 3 ||
                memcmp(json_string_value(typ), "JWT", 3) != 0)) {
        cm_errf(err, errlen, "the token type is not JWT");
        goto out;
    }
    if (json_object_size(h) != (typ ? 2u : 1u)) {
        cm_errf(err, errlen, "the token header has a member other than alg and typ");
        goto out;
    }
    rc = 0;
out:
    json_decref(h);
    return rc;
}

/* Step 3a: a canonical 32-byte signature equal to our HMAC of "header.payload". `mac` gets
 * the HMAC (the verifier's memo key). */
static int s_check_mac(const struct cm_jwt_key *key, const struct s_parts *pt,
                       unsigned char mac[SIG_LEN], char *err, size_t errlen)
{
    unsigned char sig[SIG_LEN];
    char again[SIG_B64_LEN + 1];
    if (pt->sn != SIG_B64_LEN || s_b64_decode(pt->s, pt->sn, sig, sizeof(sig)) != SIG_LEN) {
        cm_errf(err, errlen, "the token signature is not 32 bytes of canonical base64url");
        return -1;
    }
    /* The strict decoder already refuses non-zero trailing bits; re-encoding proves that the
     * text is the one spelling of these bytes, whatever the decoder does. */
    cm_b64url_encode(sig, SIG_LEN, again);
    if (memcmp(again, pt->s, SIG_B64_LEN) != 0) {
        cm_errf(err, errlen, "the token signature is not 32 bytes of canonical base64url");
        return -1;
    }
    if (s_hmac(key->secret, key->secret_len, pt->h, pt->hn + 1 + pt->pn, mac) < 0) {
        cm_errf(err, errlen, "the token signature could not be computed");
        return -1;
    }
    if (CRYPTO_memcmp(mac, sig, SIG_LEN) != 0) {
        cm_errf(err, errlen, "the token signature does not verify");
        return -1;
    }
    return 0;
}

/* Step 3b: libjwt's own check, with the algorithm pinned after decoding (issue #205). */
static int s_check_libjwt(const struct cm_jwt_key *key, const char *tok, size_t len, char *err,
                          size_t errlen)
{
    char z[CM_JWT_MAX + 1]; /* jwt_decode wants a C string */
    memcpy(z, tok, len);
    z[len] = '\0';
    jwt_t *jwt = NULL;
    int rc = jwt_decode(&jwt, z, key->secret, (int)key->secret_len);
    if (rc != 0 || !jwt) {
        cm_errf(err, errlen, "the token was refused by libjwt");
        rc = -1;
    } else if (!cm_jwt_alg_allowed((int)jwt_get_alg(jwt))) {
        cm_errf(err, errlen, "the token algorithm is not HS256");
        rc = -1;
    }
    if (jwt)
        jwt_free(jwt);
    return rc;
}

/* An integer time claim: present, an integer (not a real, not a string), within range. */
static int s_claim_time(json_t *pl, const char *name, int64_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(pl, name);
    if (!json_is_integer(v) || !s_time_ok(json_integer_value(v))) {
        cm_errf(err, errlen, "the token claim %s is missing or not a valid time", name);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

/* A string claim, borrowed from the tree: NULL (and *n 0) when absent. -1 when present but not
 * a string. */
static int s_claim_str(json_t *pl, const char *name, const char **s, size_t *n)
{
    json_t *v = json_object_get(pl, name);
    *s = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return -1;
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 0;
}

/* True when the claim `name` is a string equal to the C string `want`. */
static bool s_claim_is(json_t *pl, const char *name, const char *want)
{
    const char *s;
    size_t n;
    return s_claim_str(pl, name, &s, &n) == 0 && s && n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Step 4 without the clock: the payload's claims, typed and checked, into `out`. */
static int s_check_claims(const struct cm_jwt_key *key, const struct s_parts *pt,
                          struct cm_jwt_claims *out, char *err, size_t errlen)
{
    unsigned char buf[CM_JWT_PAYLOAD_MAX];
    if (pt->pn > PAYLOAD_B64_MAX) {
        cm_errf(err, errlen, "the token payload is too large");
        return -1;
    }
    json_t *pl = s_segment_json(pt->p, pt->pn, buf, sizeof(buf));
    if (!pl) {
        cm_errf(err, errlen, "the token payload is not a JSON object");
        return -1;
    }
    int rc = -1;
    const char *s;
    size_t n;
    if (s_claim_time(pl, "exp", &out->exp, err, errlen) < 0 ||
        s_claim_time(pl, "nbf", &out->nbf, err, errlen) < 0 ||
        s_claim_time(pl, "iat", &out->iat, err, errlen) < 0)
        goto out;
    if (out->iat > out->exp || out->exp - out->iat > CM_JWT_TTL_MAX + CM_JWT_LEEWAY_MAX) {
        cm_errf(err, errlen, "the token lifetime is negative or longer than %d s",
                CM_JWT_TTL_MAX + CM_JWT_LEEWAY_MAX);
        goto out;
    }
    if (!s_claim_is(pl, "iss", key->iss)) {
        cm_errf(err, errlen, "the token issuer is missing or wrong");
        goto out;
    }
    /* aud: the string we mint. An array (allowed by RFC 7519) is refused: we never mint one,
     * and a token meant for several audiences is not an access token of ours. */
    if (!s_claim_is(pl, "aud", key->aud)) {
        cm_errf(err, errlen, "the token audience is missing or wrong");
        goto out;
    }
    if (!s_claim_is(pl, "use", "access")) {
        cm_errf(err, errlen, "the token is not an access token");
        goto out;
    }
    json_t *ver = json_object_get(pl, "ver");
    if (!json_is_integer(ver) || json_integer_value(ver) < 0) {
        cm_errf(err, errlen, "the token version is missing or not a non-negative integer");
        goto out;
    }
    out->ver = (uint64_t)json_integer_value(ver);
    if (s_claim_str(pl, "sub", &s, &n) < 0 || !s || !s_parse_sub(s, n, &out->user_id)) {
        cm_errf(err, errlen, "the token subject is missing or not a user id");
        goto out;
    }
    if (s_claim_str(pl, "role", &s, &n) < 0 || !s || !s_is_role(s, n)) {
        cm_errf(err, errlen, "the token role is missing or unknown");
        goto out;
    }
    memcpy(out->role, s, n + 1);
    if (s_claim_str(pl, "sid", &s, &n) < 0 || !s || !s_is_id(s, n)) {
        cm_errf(err, errlen, "the token session id is missing or malformed");
        goto out;
    }
    memcpy(out->sid, s, n + 1);
    if (s_claim_str(pl, "jti", &s, &n) < 0 || !s || !s_is_id(s, n)) {
        cm_errf(err, errlen, "the token id is missing or malformed");
        goto out;
    }
    memcpy(out->jti, s, n + 1);
    /* jansson has already refused invalid UTF-8 and, without JSON_ALLOW_NUL, any \u0000. */
    if (s_claim_str(pl, "email", &s, &n) < 0 || n > CM_JWT_EMAIL_MAX) {
        cm_errf(err, errlen, "the token email is not a string of at most %d bytes",
                CM_JWT_EMAIL_MAX);
        goto out;
    }
    if (s)
        memcpy(out->email, s, n + 1);
    if (s_claim_str(pl, "name", &s, &n) < 0 || n > CM_JWT_NAME_MAX) {
        cm_errf(err, errlen, "the token name is not a string of at most %d bytes", CM_JWT_NAME_MAX);
        goto out;
    }
    if (s)
        memcpy(out->name, s, n + 1);
    rc = 0;
out:
    json_decref(pl);
    return rc;
}

/* Step 4, the clock: exp, nbf and iat against `now`, each with the leeway. */
static int s_check_times(const struct cm_jwt_key *key, const struct cm_jwt_claims *c, int64_t now,
                         char *err, size_t errlen)
{
    if (now > c->exp + key->leeway_s) {
        cm_errf(err, errlen, "the token has expired");
        return -1;
    }
    if (now + key->leeway_s < c->nbf) {
        cm_errf(err, errlen, "the token is not valid yet");
        return -1;
    }
    if (c->iat > now + key->leeway_s) {
        cm_errf(err, errlen, "the token was issued in the future");
        return -1;
    }
    return 0;
}

/* The whole check, steps 1 to 4 (the verifier calls the steps itself). */
static int s_verify(const struct cm_jwt_key *key, const char *token, size_t len, int64_t now,
                    struct cm_jwt_claims *out, char *err, size_t errlen)
{
    struct s_parts pt;
    unsigned char mac[SIG_LEN];
    if (s_key_check(key, err, errlen) < 0 || s_split(token, len, &pt, err, errlen) < 0 ||
        s_check_header(&pt, err, errlen) < 0 || s_check_mac(key, &pt, mac, err, errlen) < 0 ||
        s_check_libjwt(key, token, len, err, errlen) < 0 ||
        s_check_claims(key, &pt, out, err, errlen) < 0 ||
        s_check_times(key, out, now, err, errlen) < 0)
        return -1;
    return 0;
}

static bool s_now_ok(int64_t now, char *err, size_t errlen)
{
    if (now < 0 || now >= CM_JWT_TIME_MAX) {
        cm_errf(err, errlen, "the clock is outside the range of token times");
        return false;
    }
    return true;
}

int cm_jwt_verify(const struct cm_jwt_key *key, const char *token, size_t len, int64_t now,
                  struct cm_jwt_claims *out, char *err, size_t errlen)
{
    struct cm_jwt_claims c;
    memset(&c, 0, sizeof(c));
    int rc = s_now_ok(now, err, errlen) ? s_verify(key, token, len, now, &c, err, errlen) : -1;
    if (out)
        *out = c;
    if (rc < 0 && out)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* --- signing --- */

/* The claims checks of cm_jwt_verify, applied before minting; fills jti and nbf. */
static int s_sign_claims(struct cm_jwt_claims *c, char *err, size_t errlen)
{
    if (c->user_id == 0 || c->user_id > (uint64_t)INT64_MAX) {
        cm_errf(err, errlen, "the user id is outside 1..2^63-1");
        return -1;
    }
    if (c->ver > (uint64_t)INT64_MAX) {
        cm_errf(err, errlen, "the token version is over 2^63-1");
        return -1;
    }
    size_t rn = strnlen(c->role, sizeof(c->role));
    if (rn == sizeof(c->role) || !s_is_role(c->role, rn)) {
        cm_errf(err, errlen, "the role is neither user nor admin");
        return -1;
    }
    if (!s_is_id(c->sid, strnlen(c->sid, sizeof(c->sid)))) {
        cm_errf(err, errlen, "the session id is not %d lower-case hex digits", CM_JWT_ID_LEN);
        return -1;
    }
    if (c->jti[0] == '\0') {
        unsigned char r[CM_JWT_ID_LEN / 2];
        if (RAND_bytes(r, (int)sizeof(r)) != 1) {
            cm_errf(err, errlen, "the CSPRNG failed");
            return -1;
        }
        for (size_t i = 0; i < sizeof(r); i++) {
            c->jti[2 * i] = "0123456789abcdef"[r[i] >> 4];
            c->jti[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
        }
        c->jti[CM_JWT_ID_LEN] = '\0';
    } else if (!s_is_id(c->jti, strnlen(c->jti, sizeof(c->jti)))) {
        cm_errf(err, errlen, "the token id is not %d lower-case hex digits", CM_JWT_ID_LEN);
        return -1;
    }
    size_t en = strnlen(c->email, sizeof(c->email)), nn = strnlen(c->name, sizeof(c->name));
    if (en == sizeof(c->email) || !cm_utf8_valid(c->email, en, false)) {
        cm_errf(err, errlen, "the email is not UTF-8 of at most %d bytes", CM_JWT_EMAIL_MAX);
        return -1;
    }
    if (nn == sizeof(c->name) || !cm_utf8_valid(c->name, nn, false)) {
        cm_errf(err, errlen, "the name is not UTF-8 of at most %d bytes", CM_JWT_NAME_MAX);
        return -1;
    }
    if (c->nbf == 0)
        c->nbf = c->iat;
    if (!s_time_ok(c->iat) || !s_time_ok(c->nbf) || !s_time_ok(c->exp) || c->nbf < c->iat ||
        c->exp < c->nbf || c->exp - c->iat > CM_JWT_TTL_MAX) {
        cm_errf(err, errlen, "the token times are not 0 < iat <= nbf <= exp <= iat + %d",
                CM_JWT_TTL_MAX);
        return -1;
    }
    return 0;
}

int cm_jwt_sign(const struct cm_jwt_key *key, struct cm_jwt_claims *claims, char *out,
                size_t outlen, char *err, size_t errlen)
{
    if (out && outlen)
        out[0] = '\0';
    if (s_key_check(key, err, errlen) < 0)
        return -1;
    if (!claims || s_sign_claims(claims, err, errlen) < 0)
        return -1;
    char sub[24];
    snprintf(sub, sizeof(sub), "%" PRIu64, claims->user_id);
    jwt_t *jwt = NULL;
    char *tok = NULL;
    int rc = -1;
    if (jwt_new(&jwt) != 0) {
        cm_errf(err, errlen, "libjwt could not create a token");
        return -1;
    }
    if (jwt_set_alg(jwt, JWT_ALG_HS256, key->secret, (int)key->secret_len) != 0 ||
        jwt_add_grant(jwt, "iss", key->iss) != 0 || jwt_add_grant(jwt, "aud", key->aud) != 0 ||
        jwt_add_grant(jwt, "use", "access") != 0 || jwt_add_grant(jwt, "sub", sub) != 0 ||
        jwt_add_grant(jwt, "role", claims->role) != 0 ||
        jwt_add_grant(jwt, "sid", claims->sid) != 0 ||
        jwt_add_grant(jwt, "jti", claims->jti) != 0 ||
        (claims->email[0] && jwt_add_grant(jwt, "email", claims->email) != 0) ||
        jwt_add_grant(jwt, "name", claims->name) != 0 ||
        jwt_add_grant_int(jwt, "ver", (long)claims->ver) != 0 ||
        jwt_add_grant_int(jwt, "iat", (long)claims->iat) != 0 ||
        jwt_add_grant_int(jwt, "nbf", (long)claims->nbf) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)claims->exp) != 0) {
        cm_errf(err, errlen, "libjwt refused a claim");
        goto out;
    }
    tok = jwt_encode_str(jwt);
    if (!tok) {
        cm_errf(err, errlen, "libjwt could not encode the token");
        goto out;
    }
    size_t n = strlen(tok);
    if (n > CM_JWT_MAX || !out || n + 1 > outlen) {
        cm_errf(err, errlen, "the token is longer than %d bytes or than the output buffer",
                CM_JWT_MAX);
        goto out;
    }
    memcpy(out, tok, n + 1);
    rc = 0;
out:
    /* libjwt 1.10 takes strings from the C library's allocator and has no function of its own
     * to release them; cm_free is the C library's release. */
    cm_free(tok);
    jwt_free(jwt);
    return rc;
}

/* --- verifier --- */

struct s_slot {
    unsigned char mac[SIG_LEN];  /* HMAC of the remembered token */
    bool used;                   /* the slot holds a token */
    struct cm_jwt_claims claims; /* its claims, as the full check found them */
};

struct cm_jwt_verifier {
    struct cm_jwt_key key; /* points into the owned copies below */
    unsigned char *secret; /* owned copy, scrubbed on destroy */
    char *iss, *aud;       /* owned copies */
    struct s_slot *slots;  /* owned; nslots entries, direct-mapped by MAC */
    size_t nslots;         /* 0: no memo */
    uint64_t hits, misses; /* memo statistics */
};

cm_jwt_verifier_t *cm_jwt_verifier_new(const struct cm_jwt_key *key, size_t slots, char *err,
                                       size_t errlen)
{
    if (s_key_check(key, err, errlen) < 0)
        return NULL;
    if (slots > CM_JWT_VERIFIER_SLOTS_MAX) {
        cm_errf(err, errlen, "a token verifier has at most %d slots", CM_JWT_VERIFIER_SLOTS_MAX);
        return NULL;
    }
    cm_jwt_verifier_t *self = cm_calloc(1, sizeof(*self));
    self->secret = cm_memdup(key->secret, key->secret_len);
    self->iss = cm_strdup(key->iss);
    self->aud = cm_strdup(key->aud);
    self->key.secret = self->secret;
    self->key.secret_len = key->secret_len;
    self->key.iss = self->iss;
    self->key.aud = self->aud;
    self->key.leeway_s = key->leeway_s;
    self->nslots = slots;
    self->slots = slots ? cm_calloc(slots, sizeof(*self->slots)) : NULL;
    return self;
}

void cm_jwt_verifier_destroy(cm_jwt_verifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_jwt_verifier_t *self = *self_p;
    OPENSSL_cleanse(self->secret, self->key.secret_len);
    cm_free(self->secret);
    cm_free(self->iss);
    cm_free(self->aud);
    if (self->slots)
        OPENSSL_cleanse(self->slots, self->nslots * sizeof(*self->slots));
    cm_free(self->slots);
    cm_free(self);
    *self_p = NULL;
}

int cm_jwt_verifier_check(cm_jwt_verifier_t *self, const char *token, size_t len, int64_t now,
                          struct cm_jwt_claims *out, char *err, size_t errlen)
{
    struct cm_jwt_claims c;
    struct s_parts pt;
    struct s_slot *slot = NULL;
    unsigned char mac[SIG_LEN];
    int rc = -1;
    memset(&c, 0, sizeof(c));
    if (!self) {
        cm_errf(err, errlen, "no token verifier");
        goto out;
    }
    /* Structure and MAC on every call: a hit needs a token whose HMAC we just recomputed. */
    if (!s_now_ok(now, err, errlen) || s_split(token, len, &pt, err, errlen) < 0 ||
        s_check_mac(&self->key, &pt, mac, err, errlen) < 0)
        goto out;
    if (self->nslots) {
        uint64_t h;
        memcpy(&h, mac, sizeof(h)); /* the MAC is uniform: its first bytes index well */
        slot = &self->slots[h % self->nslots];
    }
    if (slot && slot->used && CRYPTO_memcmp(slot->mac, mac, SIG_LEN) == 0) {
        self->hits++;
        c = slot->claims;
    } else {
        self->misses++;
        if (s_check_header(&pt, err, errlen) < 0 ||
            s_check_libjwt(&self->key, token, len, err, errlen) < 0 ||
            s_check_claims(&self->key, &pt, &c, err, errlen) < 0)
            goto out;
        if (slot) {
            memcpy(slot->mac, mac, SIG_LEN);
            slot->claims = c;
            slot->used = true;
        }
    }
    rc = s_check_times(&self->key, &c, now, err, errlen);
out:
    if (out) {
        *out = c;
        if (rc < 0)
            memset(out, 0, sizeof(*out));
    }
    return rc;
}

void cm_jwt_verifier_stats(const cm_jwt_verifier_t *self, uint64_t *hits, uint64_t *misses)
{
    if (hits)
        *hits = self ? self->hits : 0;
    if (misses)
        *misses = self ? self->misses : 0;
}
