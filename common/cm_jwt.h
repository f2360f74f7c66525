/* SPDX-License-Identifier: MIT
 * cm_jwt: our access tokens. HS256 JWTs (compact form only) minted by the auth daemon and
 * verified by the gateway on every request, with Debian's libjwt 1.10 and jansson.
 *
 * The contract, in the terms of RFC 8725 and ASVS V9 (security-and-reliability.md, 1.3 and
 * J-01..J-06, J-10):
 *   - One algorithm, HS256, on an allowlist of one. libjwt 1.10 takes the algorithm from the
 *     header and accepts "none" and an empty HMAC key; here the key is refused below
 *     CM_JWT_KEY_MIN bytes, the header must say exactly "HS256", and jwt_get_alg() is checked
 *     again after jwt_decode() (cm_jwt_alg_allowed).
 *   - Strict bytes: exactly three non-empty base64url segments, no padding, no whitespace,
 *     canonical encodings only (zero trailing bits), so one token has one spelling and a
 *     re-encoded token never verifies (J-10). The signature is checked (our HMAC compared with
 *     CRYPTO_memcmp, then libjwt's) before any claim is read.
 *   - Strict header: an object with "alg" and at most "typ":"JWT"; kid, jku, x5u, jwk, x5c,
 *     crit, zip or any other member is refused. No key lookup ever depends on the token.
 *   - Strict claims: JSON without duplicate members; exp, nbf and iat are required integers;
 *     a lifetime (exp - iat) over CM_JWT_TTL_MAX + CM_JWT_LEEWAY_MAX is refused; iss and aud
 *     must equal the key's (aud as a string: an array is refused); "use" must be "access";
 *     "ver" (the user's token version, for revoking every token of a user) is required.
 *     Unknown claims are ignored.
 * Error sentences are short, safe to log, and never contain the token or a claim value.
 * Every function is thread-safe except a verifier, which belongs to one thread (or loop). */
#ifndef CM_JWT_H
#define CM_JWT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CM_JWT_MAX 4096                 /* longest token accepted or produced, bytes */
#define CM_JWT_KEY_MIN 32               /* HS256 secret, bytes, at least (256 bits, RFC 7518 3.2) */
#define CM_JWT_KEY_MAX 1024             /* HS256 secret, bytes, at most */
#define CM_JWT_LEEWAY_MAX 60            /* clock skew accepted on exp/nbf/iat, seconds, at most */
#define CM_JWT_TTL_MAX 900              /* access tokens live 15 minutes at most (exp - iat) */
#define CM_JWT_HEADER_MAX 256           /* decoded header, bytes */
#define CM_JWT_PAYLOAD_MAX 2048         /* decoded payload, bytes */
#define CM_JWT_STR_MAX 128              /* key->iss and key->aud, bytes */
#define CM_JWT_EMAIL_MAX 254            /* "email", bytes */
#define CM_JWT_NAME_MAX 100             /* "name", bytes */
#define CM_JWT_ID_LEN 32                /* "sid" and "jti": lower-case hex digits */
#define CM_JWT_TIME_MAX (1LL << 40)     /* exp, nbf and iat are below this (year 36812) */
#define CM_JWT_VERIFIER_SLOTS_MAX 65536 /* cache slots of a verifier, at most */

/* The signing and verification context. Every pointer is borrowed: it must stay valid for the
 * duration of each call (a verifier copies what it needs). A key with a secret shorter than
 * CM_JWT_KEY_MIN, an empty iss or aud, or a leeway outside 0..CM_JWT_LEEWAY_MAX makes every
 * call fail, so a daemon started with a missing secret can neither mint nor accept tokens. */
struct cm_jwt_key {
    const unsigned char *secret; /* HMAC key bytes (from a CSPRNG, never a password) */
    size_t secret_len;           /* CM_JWT_KEY_MIN..CM_JWT_KEY_MAX */
    const char *iss;             /* issuer written and required, e.g. "marquee" */
    const char *aud;             /* audience written and required, e.g. "marquee-api" */
    int leeway_s;                /* clock skew accepted on exp/nbf/iat, 0..CM_JWT_LEEWAY_MAX */
};

/* The claims of an access token: plain data, no heap. Strings are NUL-terminated. */
struct cm_jwt_claims {
    uint64_t user_id;                 /* "sub": decimal string, 1..2^63-1 */
    uint64_t ver;                     /* "ver": the user's token version, 0..2^63-1 */
    char role[17];                    /* "role": "user" or "admin" */
    char sid[CM_JWT_ID_LEN + 1];      /* "sid": session id, 32 lower-case hex */
    char jti[CM_JWT_ID_LEN + 1];      /* "jti": token id, 32 lower-case hex (denylist key) */
    char email[CM_JWT_EMAIL_MAX + 1]; /* "email": UTF-8, may be empty (then not written) */
    char name[CM_JWT_NAME_MAX + 1];   /* "name": display name, UTF-8, may be empty */
    int64_t iat;                      /* issued at, seconds since the epoch */
    int64_t nbf;                      /* not before (sign: 0 means iat) */
    int64_t exp;                      /* expires at; exp - iat <= CM_JWT_TTL_MAX when signing */
};

/* Mint a token for `claims` into out[outlen] (NUL-terminated; outlen >= CM_JWT_MAX + 1 always
 * suffices). Adds "iss" and "aud" from the key and "use":"access". Refuses claims that
 * cm_jwt_verify() would refuse: user_id 0 or over 2^63-1, ver over 2^63-1, a role other than
 * user/admin, a malformed sid, email or name, times not 0 < iat <= nbf <= exp < CM_JWT_TIME_MAX, or
 * a lifetime over CM_JWT_TTL_MAX. Fills claims->jti with 16 CSPRNG bytes in hex when it is empty,
 * and claims->nbf with iat when it is 0. Returns 0, or -1 with a sentence in err. */
int cm_jwt_sign(const struct cm_jwt_key *key, struct cm_jwt_claims *claims, char *out,
                size_t outlen, char *err, size_t errlen);

/* Verify the `len` bytes of `token` (no NUL needed) at wall-clock time `now` (seconds since the
 * epoch) and fill `out`. Every call runs the whole check, libjwt's jwt_decode() included.
 * Returns 0, or -1 with a short sentence in err (out is then zeroed). */
int cm_jwt_verify(const struct cm_jwt_key *key, const char *token, size_t len, int64_t now,
                  struct cm_jwt_claims *out, char *err, size_t errlen);

/* True only for the one algorithm we accept, JWT_ALG_HS256 (a libjwt jwt_alg_t value). */
bool cm_jwt_alg_allowed(int alg);

/* --- verifier: cm_jwt_verify with a memo, for the gateway's hot path --- */

/* A verifier keeps the key (copied) and a fixed table of tokens that passed the full check,
 * keyed by their HMAC. A token is first checked for structure and its HMAC is recomputed and
 * compared on every call; only when that MAC equals a remembered one (so the token is byte for
 * byte one that passed header, libjwt and claim checks before) are those checks skipped. The
 * time checks (exp, nbf, iat against `now`) run on every call. Not thread-safe: one per thread
 * or event loop. */
typedef struct cm_jwt_verifier cm_jwt_verifier_t;

/* Create a verifier for `key` with `slots` memo entries (0..CM_JWT_VERIFIER_SLOTS_MAX; 0
 * disables the memo). The key's secret and strings are copied. Returns NULL with a sentence in
 * err when the key is unusable. Caller owns the result; free it with cm_jwt_verifier_destroy. */
cm_jwt_verifier_t *cm_jwt_verifier_new(const struct cm_jwt_key *key, size_t slots, char *err,
                                       size_t errlen);

/* Destroy `*self_p` (the secret is scrubbed) and set it to NULL; NULL is fine. */
void cm_jwt_verifier_destroy(cm_jwt_verifier_t **self_p);

/* cm_jwt_verify() with the verifier's key and memo: same result for every input. */
int cm_jwt_verifier_check(cm_jwt_verifier_t *self, const char *token, size_t len, int64_t now,
                          struct cm_jwt_claims *out, char *err, size_t errlen);

/* Memo statistics since creation (hits skipped the full check). Either pointer may be NULL. */
void cm_jwt_verifier_stats(const cm_jwt_verifier_t *self, uint64_t *hits, uint64_t *misses);

#endif
