/* SPDX-License-Identifier: MIT
 * auth_pw: password hashing for the auth daemon (argon2id through libargon2), off the loop.
 *
 * Storage format: encoded PHC strings, "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>", with a
 * 16-byte salt from getrandom() and a 32-byte tag. The parameters are ASVS 5.0 V11.4.2 /
 * OWASP: argon2id with p = 1 and either t >= 2, m >= 19456 KiB or t = 1, m >= 47104 KiB;
 * auth_pw_new() refuses anything weaker.
 *
 * Work runs on a small pool of threads fed by a bounded queue. At most threads + queue_max
 * jobs are in flight (submitted, callback not yet run); past that a submit fails at once and
 * the caller answers CM_ERR_BUSY (503 + Retry-After). So argon2 memory never exceeds
 * threads x m KiB, however many logins arrive at once (checklist P-05).
 *
 * Callbacks run on the loop thread (a pipe watched by an event carries completions back),
 * exactly once each, never inside the submit call: with the result, or with CM_ERR_SHUTDOWN
 * from auth_pw_destroy(). Every function here is for the loop thread only.
 *
 * Passwords are hashed byte for byte as given: no truncation, no normalisation. The copies the
 * jobs hold are wiped before they are freed; passwords and stored strings are never logged. */
#ifndef AUTH_PW_H
#define AUTH_PW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
typedef struct auth_pw auth_pw_t; /* opaque */

enum {
    AUTH_PW_LEN_MIN = 8,         /* policy: shortest password, bytes (ASVS V6.2.1) */
    AUTH_PW_LEN_MAX = 1024,      /* policy and verify: longest password, bytes (V6.2.9) */
    AUTH_PW_M_DEFAULT = 19456,   /* memory, KiB (19 MiB) */
    AUTH_PW_T_DEFAULT = 2,       /* passes */
    AUTH_PW_M_MIN_T2 = 19456,    /* weakest memory accepted with t >= 2, KiB */
    AUTH_PW_M_MIN_T1 = 47104,    /* weakest memory accepted with t = 1, KiB (46 MiB) */
    AUTH_PW_M_MAX = 262144,      /* strongest memory accepted, KiB (256 MiB), also for verify */
    AUTH_PW_T_MAX = 16,          /* most passes accepted, also for verify */
    AUTH_PW_P_MAX = 8,           /* most lanes a stored string may name (we make p = 1) */
    AUTH_PW_SALT_LEN = 16,       /* salt we make, bytes */
    AUTH_PW_TAG_LEN = 32,        /* tag we make, bytes */
    AUTH_PW_FIELD_MAX = 64,      /* longest salt or tag a stored string may carry, bytes */
    AUTH_PW_ENCODED_MAX = 256,   /* longest PHC string accepted, bytes, without the NUL */
    AUTH_PW_THREADS_DEFAULT = 2, /* hashing threads */
    AUTH_PW_THREADS_MAX = 16,    /* most hashing threads */
    AUTH_PW_QUEUE_DEFAULT = 32,  /* jobs waiting beyond the running ones */
    AUTH_PW_QUEUE_MAX = 1024,    /* largest queue_max accepted */
};

/* Argon2 variants, numbered as libargon2's argon2_type. */
enum auth_pw_variant {
    AUTH_PW_ARGON2D = 0,
    AUTH_PW_ARGON2I = 1,
    AUTH_PW_ARGON2ID = 2,
};

/* What a PHC string says. Plain data. */
struct auth_pw_params {
    int variant;      /* enum auth_pw_variant */
    uint32_t version; /* 0x13 (v=19), or 0x10 when the string has no "v=" */
    uint32_t m_kib;   /* memory, KiB */
    uint32_t t;       /* passes */
    uint32_t p;       /* lanes */
    size_t salt_len;  /* decoded salt, bytes */
    size_t tag_len;   /* decoded tag, bytes */
};

/* Configuration; a zero field takes its default. */
struct auth_pw_opts {
    uint32_t m_kib; /* memory per hash, KiB; 0 = AUTH_PW_M_DEFAULT */
    uint32_t t;     /* passes; 0 = AUTH_PW_T_DEFAULT */
    int threads;    /* hashing threads, 1..AUTH_PW_THREADS_MAX; 0 = default */
    int queue_max;  /* jobs waiting beyond the running ones, 1..AUTH_PW_QUEUE_MAX; 0 = default */
};

/* Counters. */
struct auth_pw_stats {
    uint64_t hashes;   /* argon2 hashes made (auth_pw_hash jobs that ran) */
    uint64_t verifies; /* argon2 verifications run, the dummy ones for unknown users included */
    uint64_t busy;     /* submissions refused because the queue was full */
    int queued;        /* jobs waiting for a thread */
    int running;       /* jobs being computed */
};

/* Completion of auth_pw_hash(). status CM_OK: `encoded` is the PHC string (borrowed: valid
 * during the call only). CM_ERR_INVALID: the password was empty or over AUTH_PW_LEN_MAX.
 * CM_ERR_INTERNAL: libargon2 or getrandom failed (logged). CM_ERR_SHUTDOWN: destroyed first.
 * `encoded` is NULL unless status is CM_OK. */
typedef void(auth_pw_hash_fn)(int status, const char *encoded, void *arg);

/* Completion of auth_pw_verify(). status CM_OK: the password matches, and `needs_rehash` says
 * the stored string is below the current parameters (hash the password again and store that).
 * CM_ERR_UNAUTHORIZED: no match (also for an unknown user, an over-long password and a stored
 * string that is malformed, not argon2id or over our caps). CM_ERR_SHUTDOWN: destroyed first.
 * `needs_rehash` is false unless status is CM_OK. */
typedef void(auth_pw_verify_fn)(int status, bool needs_rehash, void *arg);

/* Start the pool on `base` with options `o` (NULL: all defaults). Refuses (NULL with a
 * sentence in `err`) parameters weaker than V11.4.2, over the caps above, or a pool it cannot
 * start. Makes the dummy hash for unknown users now, on the calling thread (one hash, ~60 ms).
 * Caller owns the result; free it with auth_pw_destroy() before freeing `base`. */
auth_pw_t *auth_pw_new(struct event_base *base, const struct auth_pw_opts *o, char *err,
                       size_t errlen);

/* Stop the pool: jobs already computing finish (the call blocks for at most one hash), then
 * the callback of every job not yet answered runs once, from inside this call, with
 * CM_ERR_SHUTDOWN (submits made from those callbacks fail). Joins the threads, frees, sets
 * *self_p to NULL. NULL-safe. May be called from inside one of its own callbacks. */
void auth_pw_destroy(auth_pw_t **self_p);

/* Hash the `len` bytes of `pw` (copied; any bytes, the caller runs auth_pw_policy() first)
 * with the current parameters and a fresh salt. Returns 0 when queued: `cb` will run once,
 * later, on the loop. Returns -1 when the pool is full or stopping: `cb` will not run, and
 * the caller answers CM_ERR_BUSY. */
int auth_pw_hash(auth_pw_t *self, const char *pw, size_t len, auth_pw_hash_fn *cb, void *arg);

/* Check the `len` bytes of `pw` (copied) against the stored PHC string `encoded` (copied; NULL
 * for an unknown user). Byte-exact: a password with a NUL in it, a prefix or an extension of
 * the right one does not match. Constant-time compare (libargon2). An unknown user, a stored
 * string we refuse and a password over AUTH_PW_LEN_MAX are checked against a dummy hash with
 * the current parameters, so they cost what a wrong password costs (ASVS V6.3.8), and answer
 * CM_ERR_UNAUTHORIZED. A refused stored string logs one warning, without the string.
 * Returns 0 when queued, or -1 when full or stopping, as auth_pw_hash(). */
int auth_pw_verify(auth_pw_t *self, const char *encoded, const char *pw, size_t len,
                   auth_pw_verify_fn *cb, void *arg);

/* True when `encoded` should be replaced after a successful login: it does not parse, is not
 * argon2id v=19, has p != 1, or m, t, salt or tag length below the current ones. */
bool auth_pw_needs_rehash(const auth_pw_t *self, const char *encoded);

/* Parse a PHC string "$argon2{d,i,id}[$v=N]$m=M,t=T,p=P$<salt>$<tag>" (unpadded standard
 * base64, no stray bits; decimals without sign or leading zero, within uint32). Checks the
 * syntax and the caps (AUTH_PW_ENCODED_MAX, salt and tag 1..AUTH_PW_FIELD_MAX bytes), not the
 * policy. Returns 0 with `out` filled, or -1 when malformed (`out` then unspecified). */
int auth_pw_parse(const char *encoded, struct auth_pw_params *out);

/* The password rules for a new password (ASVS V6.2): AUTH_PW_LEN_MIN..AUTH_PW_LEN_MAX bytes,
 * valid UTF-8 without NUL, not one of an embedded list of the most common passwords (compared
 * with ASCII letters lower-cased). No composition rules. Returns 0, or -1 with a sentence for
 * the user in `err` (it never quotes the password). Pure; any thread. */
int auth_pw_policy(const char *pw, size_t len, char *err, size_t errlen);

/* Fill `out` with the counters. */
void auth_pw_stats(const auth_pw_t *self, struct auth_pw_stats *out);

#endif
