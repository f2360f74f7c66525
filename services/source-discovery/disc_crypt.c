/* SPDX-License-Identifier: MIT
 * disc_crypt: HKDF-derived keys, AES-256-GCM sealed values and the HMAC blind index of the
 * source store. The contract is in disc_crypt.h. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include "cm.h"
#include "cm_token.h"
#include "disc_crypt.h"

#define DISC_CRYPT_TAG 0xd15c0c1fu

/* HKDF inputs. Changing any of them changes every key: existing rows would no longer open
 * and every blind index would change. A new scheme needs a new version byte instead. */
static const char s_salt[] = "marquee/source-discovery/v1";
static const char s_info_enc[] = "sources: AES-256-GCM column encryption";
static const char s_info_index[] = "sources: HMAC-SHA256 info-hash blind index";

struct disc_crypt {
    uint32_t tag;                      /* DISC_CRYPT_TAG while alive */
    uint8_t enc[DISC_CRYPT_KEY_LEN];   /* AES-256-GCM key */
    uint8_t index[DISC_CRYPT_KEY_LEN]; /* HMAC-SHA256 key of the blind index */
};

/* HKDF-SHA256(ikm, salt, info) -> out[DISC_CRYPT_KEY_LEN]. 0 or -1. */
static int s_hkdf(const uint8_t *ikm, const char *info, uint8_t *out)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t outlen = DISC_CRYPT_KEY_LEN;
    int ok =
        ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
        EVP_PKEY_CTX_set1_hkdf_salt(ctx, (const unsigned char *)s_salt, (int)strlen(s_salt)) == 1 &&
        EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, DISC_CRYPT_KEY_LEN) == 1 &&
        EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info, (int)strlen(info)) == 1 &&
        EVP_PKEY_derive(ctx, out, &outlen) == 1 && outlen == DISC_CRYPT_KEY_LEN;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}

disc_crypt_t *disc_crypt_new(const char *key_b64, char *err, size_t errlen)
{
    uint8_t ikm[DISC_CRYPT_KEY_LEN + 3];
    size_t len = key_b64 ? strlen(key_b64) : 0;
    long n = len <= DISC_CRYPT_KEY_B64_MAX ? cm_b64_decode(key_b64, len, ikm, sizeof(ikm)) : -1;
    if (n != DISC_CRYPT_KEY_LEN) {
        OPENSSL_cleanse(ikm, sizeof(ikm));
        cm_errf(err, errlen,
                "SOURCE_SECURITY_KEY is not valid (value hidden): expected the base64 of exactly "
                "%d bytes, e.g. from `head -c 32 /dev/urandom | base64`",
                DISC_CRYPT_KEY_LEN);
        return NULL;
    }
    disc_crypt_t *self = cm_calloc(1, sizeof(*self));
    self->tag = DISC_CRYPT_TAG;
    int rc = s_hkdf(ikm, s_info_enc, self->enc);
    if (rc == 0)
        rc = s_hkdf(ikm, s_info_index, self->index);
    OPENSSL_cleanse(ikm, sizeof(ikm));
    if (rc < 0) {
        disc_crypt_destroy(&self);
        cm_errf(err, errlen, "cannot derive the source keys: HKDF-SHA256 failed in OpenSSL");
        return NULL;
    }
    return self;
}

void disc_crypt_destroy(disc_crypt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    disc_crypt_t *self = *self_p;
    OPENSSL_cleanse(self, sizeof(*self));
    cm_free(self);
    *self_p = NULL;
}

/* The additional data: the version byte, then the column name. 0 and its length, or -1. */
static int s_aad(uint8_t version, const char *column, uint8_t *out, int *outlen)
{
    size_t n = column ? strlen(column) : 0;
    if (n > DISC_CRYPT_AAD_MAX)
        return -1;
    out[0] = version;
    memcpy(out + 1, column ? column : "", n);
    *outlen = (int)(n + 1);
    return 0;
}

int disc_crypt_seal(const disc_crypt_t *self, const char *aad, const void *plain, size_t len,
                    uint8_t *out)
{
    uint8_t ad[DISC_CRYPT_AAD_MAX + 1];
    int adlen = 0, outl = 0, fin = 0;
    if (len > DISC_CRYPT_PLAIN_MAX || s_aad(DISC_CRYPT_VERSION, aad, ad, &adlen) < 0)
        return -1;
    uint8_t *nonce = out + 1, *ct = out + 1 + DISC_CRYPT_NONCE_LEN, *tag = ct + len;
    out[0] = DISC_CRYPT_VERSION;
    if (RAND_bytes(nonce, DISC_CRYPT_NONCE_LEN) != 1)
        return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, DISC_CRYPT_NONCE_LEN, NULL) == 1 &&
             EVP_EncryptInit_ex(ctx, NULL, NULL, self->enc, nonce) == 1 &&
             EVP_EncryptUpdate(ctx, NULL, &outl, ad, adlen) == 1;
    if (ok && len > 0)
        ok = EVP_EncryptUpdate(ctx, ct, &outl, plain, (int)len) == 1 && (size_t)outl == len;
    ok = ok && EVP_EncryptFinal_ex(ctx, ct + len, &fin) == 1 && fin == 0 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, DISC_CRYPT_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(out, disc_crypt_sealed_len(len));
        return -1;
    }
    return 0;
}

int disc_crypt_open(const disc_crypt_t *self, const char *aad, const uint8_t *sealed, size_t len,
                    uint8_t *out, size_t *outlen)
{
    uint8_t ad[DISC_CRYPT_AAD_MAX + 1];
    int adlen = 0, outl = 0, fin = 0;
    *outlen = 0;
    if (len < DISC_CRYPT_OVERHEAD || len > DISC_CRYPT_SEALED_MAX ||
        sealed[0] != DISC_CRYPT_VERSION || s_aad(sealed[0], aad, ad, &adlen) < 0)
        return -1;
    size_t n = len - DISC_CRYPT_OVERHEAD;
    const uint8_t *nonce = sealed + 1, *ct = sealed + 1 + DISC_CRYPT_NONCE_LEN, *tag = ct + n;
    uint8_t tagcopy[DISC_CRYPT_TAG_LEN];
    memcpy(tagcopy, tag, sizeof(tagcopy)); /* OpenSSL's ctrl takes a non-const pointer */
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, DISC_CRYPT_NONCE_LEN, NULL) == 1 &&
             EVP_DecryptInit_ex(ctx, NULL, NULL, self->enc, nonce) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &outl, ad, adlen) == 1;
    if (ok && n > 0)
        ok = EVP_DecryptUpdate(ctx, out, &outl, ct, (int)n) == 1 && (size_t)outl == n;
    /* The tag is checked here: until Final succeeds, `out` holds unauthenticated bytes. */
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DISC_CRYPT_TAG_LEN, tagcopy) == 1 &&
         EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1 && fin == 0;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(out, n);
        return -1;
    }
    *outlen = n;
    return 0;
}

void disc_crypt_index(const disc_crypt_t *self, const uint8_t info_hash[20],
                      uint8_t out[DISC_CRYPT_INDEX_LEN])
{
    char hex[41];
    cm_hex_encode(info_hash, 20, hex);
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), self->index, DISC_CRYPT_KEY_LEN, (const unsigned char *)hex, 40, out,
              &mdlen) ||
        mdlen != DISC_CRYPT_INDEX_LEN)
        abort(); /* only on OOM inside OpenSSL */
}
