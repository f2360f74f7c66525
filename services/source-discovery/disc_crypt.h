/* SPDX-License-Identifier: MIT
 * disc_crypt: the source store's secrets at rest (ARCHITECTURE.md, Data). Used by disc_api.c
 * for the info-hash, magnet and .torrent columns of `sources`.
 *
 * Two keys are derived with HKDF-SHA256 from SOURCE_SECURITY_KEY (the base64 of exactly 32
 * random bytes), each under its own info string, so neither says anything about the other:
 *   - the encryption key: AES-256-GCM. A sealed value is
 *       version (1 byte, DISC_CRYPT_VERSION) || nonce (12 random bytes) || ciphertext || tag (16)
 *     and its additional data is the version byte followed by the column name (for example
 *     "sources.magnet"), so a value copied into another column, or a version byte changed,
 *     fails to open. A fresh nonce per value: never deterministic encryption.
 *   - the blind-index key: HMAC-SHA256 over the lower-case hex info-hash, the only way the
 *     store looks a source up or checks uniqueness by info-hash.
 * The version byte leaves room for key rotation: a value of another version fails to open
 * today.
 *
 * Pure computation over memory; a disc_crypt_t is read-only after disc_crypt_new(), so it may
 * be shared by threads. Keys are wiped when it is destroyed. */
#ifndef DISC_CRYPT_H
#define DISC_CRYPT_H
#include "cm.h"

enum {
    DISC_CRYPT_KEY_LEN = 32,                          /* SOURCE_SECURITY_KEY, decoded */
    DISC_CRYPT_VERSION = 1,                           /* key-version byte of sealed values */
    DISC_CRYPT_NONCE_LEN = 12,                        /* AES-GCM nonce, random per value */
    DISC_CRYPT_TAG_LEN = 16,                          /* AES-GCM tag */
    DISC_CRYPT_OVERHEAD = 1 + 12 + 16,                /* version + nonce + tag */
    DISC_CRYPT_INDEX_LEN = 32,                        /* a blind index, bytes */
    DISC_CRYPT_PLAIN_MAX = 64 * 1024 * 1024,          /* the largest value sealed */
    DISC_CRYPT_AAD_MAX = 64,                          /* bytes of a column name */
    DISC_CRYPT_KEY_B64_MAX = 64,                      /* SOURCE_SECURITY_KEY text, bytes */
    DISC_CRYPT_SEALED_MAX = DISC_CRYPT_PLAIN_MAX + 29 /* the largest sealed value */
};

typedef struct disc_crypt disc_crypt_t; /* opaque: the two derived keys */

/* Derive the keys from `key_b64`: standard base64 (RFC 4648 §4, '=' padding optional, no
 * whitespace, canonical trailing bits) of exactly DISC_CRYPT_KEY_LEN bytes. Caller owns the
 * result (disc_crypt_destroy). NULL with a sentence in `err` that never quotes the key. */
disc_crypt_t *disc_crypt_new(const char *key_b64, char *err, size_t errlen);

/* Wipe the keys and free *self_p if not NULL; sets it to NULL. */
void disc_crypt_destroy(disc_crypt_t **self_p);

/* Bytes of the sealed form of `len` plaintext bytes. */
#define disc_crypt_sealed_len(len) ((size_t)(len) + DISC_CRYPT_OVERHEAD)

/* Seal `len` bytes of `plain` (NULL is fine when len is 0) for column `aad` (a NUL-terminated
 * name of at most DISC_CRYPT_AAD_MAX bytes) into `out`, which has room for
 * disc_crypt_sealed_len(len) bytes. Returns 0, or -1 when len passes DISC_CRYPT_PLAIN_MAX, the
 * name is too long, or OpenSSL fails (`out` then holds nothing of the plaintext). */
int disc_crypt_seal(const disc_crypt_t *self, const char *aad, const void *plain, size_t len,
                    uint8_t *out);

/* Open `len` bytes of `sealed` for column `aad` into `out`, which has room for
 * len - DISC_CRYPT_OVERHEAD bytes; the plaintext length goes to *outlen. Returns 0, or -1 when
 * the value is shorter than the overhead, has another version byte, was sealed for another
 * column, or any byte of it changed (the tag does not verify): `out` is then wiped and
 * *outlen is 0. */
int disc_crypt_open(const disc_crypt_t *self, const char *aad, const uint8_t *sealed, size_t len,
                    uint8_t *out, size_t *outlen);

/* The blind index of a 20-byte info-hash: HMAC-SHA256(index key, lower-case hex of the hash).
 * Deterministic for one key; unrelated to the hash without it. */
void disc_crypt_index(const disc_crypt_t *self, const uint8_t info_hash[20],
                      uint8_t out[DISC_CRYPT_INDEX_LEN]);

#endif
