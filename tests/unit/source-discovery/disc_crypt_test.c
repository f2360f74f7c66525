/* SPDX-License-Identifier: MIT
 * Tests of disc_crypt: the key's base64 rules, seal -> open round trips (empty, short, long),
 * a change to any byte (version, nonce, ciphertext, tag) or the length refused, another
 * column's additional data refused, another key refused, fresh nonces, golden values computed
 * independently (Python hmac/hashlib HKDF and the `cryptography` AES-GCM), the blind index
 * deterministic and unrelated to the hash. And disc_api's pure helpers: IMDb ids and the
 * quality guessed from a torrent's name. */
#include "cm.h"
#include "cm_token.h"
#include "disc.h"
#include "disc_crypt.h"
#include "../../tap.h"

/* bytes 0..31 */
#define KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
/* the blind index of hash 01..14 under KEY (Python: HKDF-SHA256 then HMAC-SHA256) */
#define INDEX_GOLDEN "dc723ef9c0bad33d0f70e8819bf9bd689b734edfe7a91cf205111f58e6c05f8a"
/* "hello, sealed world" sealed for sources.magnet with nonce a0..ab (Python cryptography) */
#define SEALED_GOLDEN                                                                              \
    "01a0a1a2a3a4a5a6a7a8a9aaab15b8f92411062754a4bdad3e32f4ffb2e9ff8f8c12f1403d980bf962dc39480c8d" \
    "86a5"

static void s_unhex(const char *h, uint8_t *out)
{
    for (size_t i = 0; h[2 * i]; i++)
        out[i] = (uint8_t)(cm_hexval(h[2 * i]) << 4 | cm_hexval(h[2 * i + 1]));
}

static void test_key_rules(void)
{
    char err[CM_ERR_LEN];
    disc_crypt_t *c = disc_crypt_new(KEY, err, sizeof(err));
    ok(c != NULL, "a padded base64 key of 32 bytes is accepted");
    disc_crypt_destroy(&c);
    ok(c == NULL, "destroy nulls the pointer");
    disc_crypt_destroy(&c);
    ok(true, "destroy twice is fine");
    c = disc_crypt_new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", err, sizeof(err));
    ok(c != NULL, "the same key without padding is accepted");
    disc_crypt_destroy(&c);

    static const char *const bad[] = {
        "",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=",         /* 29 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==", /* 34 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",    /* too much padding */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=",     /* non-canonical last bits */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd-h8=",     /* base64url alphabet */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX GBkaGxwdHh8=",    /* a space */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",   /* a newline */
        "not base64 at all, not even close to it, no!",
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        err[0] = '\0';
        c = disc_crypt_new(bad[i], err, sizeof(err));
        ok(c == NULL, "a malformed key is refused");
        if (!ok(strstr(err, "SOURCE_SECURITY_KEY") != NULL, "the error names the variable"))
            diag("error: %s", err);
        ok(!bad[i][0] || strstr(err, bad[i]) == NULL, "the error does not quote the key");
        disc_crypt_destroy(&c);
    }
    c = disc_crypt_new(NULL, err, sizeof(err));
    ok(c == NULL, "NULL is refused");

    uint8_t out[8];
    is_int(cm_b64_decode("YWJj", 4, out, sizeof(out)), 3, "abc decodes");
    ok(memcmp(out, "abc", 3) == 0, "to abc");
    is_int(cm_b64_decode("YWI=", 4, out, sizeof(out)), 2, "ab with padding");
    is_int(cm_b64_decode("YWI", 3, out, sizeof(out)), 2, "ab without padding");
    is_int(cm_b64_decode("YQ==", 4, out, sizeof(out)), 1, "a with padding");
    is_int(cm_b64_decode("YQ=", 3, out, sizeof(out)), -1, "half padding is refused");
    is_int(cm_b64_decode("Y", 1, out, sizeof(out)), -1, "one character is refused");
    is_int(cm_b64_decode("YWJjZGVmZ2hp", 12, out, sizeof(out)), -1,
           "more than the room is refused");
    is_int(cm_b64_decode("", 0, out, sizeof(out)), 0, "empty is empty");
}

static void test_round_trip(disc_crypt_t *c)
{
    static const size_t lens[] = {0, 1, 20, 15, 16, 17, 1000, 100000};
    for (size_t k = 0; k < CM_ARRAY_LEN(lens); k++) {
        size_t len = lens[k], got = 99;
        uint8_t *plain = cm_malloc(len + 1), *sealed = cm_malloc(disc_crypt_sealed_len(len));
        uint8_t *back = cm_malloc(len + 1);
        for (size_t i = 0; i < len; i++)
            plain[i] = (uint8_t)(i * 7 + k);
        ok(disc_crypt_seal(c, "sources.torrent", plain, len, sealed) == 0, "seal");
        is_int(sealed[0], DISC_CRYPT_VERSION, "the version byte leads");
        ok(len < 16 || memmem(sealed, disc_crypt_sealed_len(len), plain, 16) == NULL,
           "the plaintext does not show in the sealed value");
        int rc =
            disc_crypt_open(c, "sources.torrent", sealed, disc_crypt_sealed_len(len), back, &got);
        ok(rc == 0 && got == len && memcmp(plain, back, len) == 0, "open gives it back");
        cm_free(plain);
        cm_free(sealed);
        cm_free(back);
    }
    size_t got = 9;
    uint8_t sealed[DISC_CRYPT_OVERHEAD], back[4];
    ok(disc_crypt_seal(c, "sources.magnet", NULL, 0, sealed) == 0 &&
           disc_crypt_open(c, "sources.magnet", sealed, sizeof(sealed), back, &got) == 0 &&
           got == 0,
       "NULL with length 0 seals and opens empty");
}

static void test_tamper(disc_crypt_t *c)
{
    const char msg[] = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567";
    size_t len = strlen(msg), n = disc_crypt_sealed_len(len), got;
    uint8_t sealed[256], copy[256], back[256];
    ok(disc_crypt_seal(c, "sources.magnet", msg, len, sealed) == 0, "seal a magnet");

    int refused = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            memcpy(copy, sealed, n);
            copy[i] ^= (uint8_t)(1u << bit);
            memset(back, 0x5a, sizeof(back));
            got = 77;
            if (disc_crypt_open(c, "sources.magnet", copy, n, back, &got) < 0 && got == 0 &&
                memchr(back, 'm', len) == NULL)
                refused++;
        }
    }
    is_int(refused, (int)n * 2, "a flipped bit anywhere (version, nonce, text, tag) is refused");

    got = 77;
    ok(disc_crypt_open(c, "sources.magnet", sealed, n - 1, back, &got) < 0 && got == 0,
       "a value cut short is refused");
    ok(disc_crypt_open(c, "sources.magnet", sealed, DISC_CRYPT_OVERHEAD - 1, back, &got) < 0,
       "a value shorter than the overhead is refused");
    memcpy(copy, sealed, n);
    copy[n] = 0;
    ok(disc_crypt_open(c, "sources.magnet", copy, n + 1, back, &got) < 0,
       "a value with a byte added is refused");
    ok(disc_crypt_open(c, "sources.torrent", sealed, n, back, &got) < 0,
       "another column's additional data is refused");
    ok(disc_crypt_open(c, "sources.magnetx", sealed, n, back, &got) < 0,
       "a longer column name is refused");
    ok(disc_crypt_open(c, "", sealed, n, back, &got) < 0, "an empty column name is refused");
    ok(disc_crypt_open(c, "sources.magnet", sealed, n, back, &got) == 0 && got == len &&
           memcmp(back, msg, len) == 0,
       "the untouched value still opens");

    char err[CM_ERR_LEN];
    disc_crypt_t *other =
        disc_crypt_new("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", err, sizeof(err));
    ok(disc_crypt_open(other, "sources.magnet", sealed, n, back, &got) < 0,
       "another key is refused");
    disc_crypt_destroy(&other);

    char longname[DISC_CRYPT_AAD_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ok(disc_crypt_seal(c, longname, msg, len, copy) < 0, "a column name over the cap is refused");
}

static void test_nonces(disc_crypt_t *c)
{
    uint8_t a[64], b[64];
    const char v[] = "the same plaintext";
    size_t len = strlen(v);
    ok(disc_crypt_seal(c, "sources.magnet", v, len, a) == 0 &&
           disc_crypt_seal(c, "sources.magnet", v, len, b) == 0,
       "seal twice");
    ok(memcmp(a + 1, b + 1, DISC_CRYPT_NONCE_LEN) != 0, "the nonces differ");
    ok(memcmp(a, b, disc_crypt_sealed_len(len)) != 0, "so do the sealed values");
}

static void test_golden(disc_crypt_t *c)
{
    uint8_t sealed[48], back[48];
    size_t got = 0;
    s_unhex(SEALED_GOLDEN, sealed);
    ok(disc_crypt_open(c, "sources.magnet", sealed, sizeof(sealed), back, &got) == 0 &&
           got == strlen("hello, sealed world") && memcmp(back, "hello, sealed world", got) == 0,
       "a value sealed by an independent AES-GCM with the HKDF key opens");

    uint8_t hash[20], index[DISC_CRYPT_INDEX_LEN], again[DISC_CRYPT_INDEX_LEN];
    char hex[2 * DISC_CRYPT_INDEX_LEN + 1];
    for (int i = 0; i < 20; i++)
        hash[i] = (uint8_t)(i + 1);
    disc_crypt_index(c, hash, index);
    cm_hex_encode(index, sizeof(index), hex);
    is_str(hex, INDEX_GOLDEN, "the blind index matches an independent HKDF + HMAC");
    disc_crypt_index(c, hash, again);
    ok(memcmp(index, again, sizeof(index)) == 0, "the index is deterministic");
    ok(memmem(index, sizeof(index), hash, 8) == NULL, "it does not hold the hash");
    ok(strstr(hex, "0102030405060708") == NULL, "nor its hex");

    char err[CM_ERR_LEN];
    disc_crypt_t *same = disc_crypt_new(KEY, err, sizeof(err));
    disc_crypt_index(same, hash, again);
    ok(memcmp(index, again, sizeof(index)) == 0, "the same key gives the same index");
    disc_crypt_destroy(&same);
    disc_crypt_t *other =
        disc_crypt_new("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", err, sizeof(err));
    disc_crypt_index(other, hash, again);
    ok(memcmp(index, again, sizeof(index)) != 0, "another key gives another index");
    disc_crypt_destroy(&other);
    hash[19] ^= 1;
    disc_crypt_index(c, hash, again);
    ok(memcmp(index, again, sizeof(index)) != 0, "another hash gives another index");
}

static void test_helpers(void)
{
    ok(disc_imdb_valid("tt1254207"), "tt + 7 digits");
    ok(disc_imdb_valid("tt12542070"), "tt + 8 digits");
    ok(!disc_imdb_valid("tt125420"), "tt + 6 digits");
    ok(!disc_imdb_valid("tt125420701"), "tt + 9 digits");
    ok(!disc_imdb_valid("TT1254207"), "upper case tt");
    ok(!disc_imdb_valid("tt12542O7"), "a letter among the digits");
    ok(!disc_imdb_valid("tt1254207 "), "a trailing space");
    ok(!disc_imdb_valid(""), "empty");
    ok(!disc_imdb_valid(NULL), "NULL");

    is_str(disc_quality_guess("Big.Buck.Bunny.2008.2160p.UHD.x265"), "4K", "2160p");
    is_str(disc_quality_guess("Big Buck Bunny (2008) [4K]"), "4K", "4K");
    is_str(disc_quality_guess("Big.Buck.Bunny.1080p.BluRay.x264"), "FHD", "1080p");
    is_str(disc_quality_guess("big_buck_bunny_720P"), "HD", "720p in upper case");
    is_str(disc_quality_guess("Big.Buck.Bunny.480p"), "SD", "480p");
    is_str(disc_quality_guess("Big.Buck.Bunny.DVDRip"), "SD", "DVDRip");
    is_str(disc_quality_guess("Big Buck Bunny"), "", "nothing said");
    is_str(disc_quality_guess("x1080p"), "", "a token inside a word does not count");
    is_str(disc_quality_guess("Movie.4Kids.720p"), "HD", "4Kids is not 4K");
    is_str(disc_quality_guess(""), "", "empty");
    is_str(disc_quality_guess(NULL), "", "NULL");
}

int main(void)
{
    char err[CM_ERR_LEN];
    test_key_rules();
    disc_crypt_t *c = disc_crypt_new(KEY, err, sizeof(err));
    if (!ok(c != NULL, "the test key"))
        return done_testing();
    test_round_trip(c);
    test_tamper(c);
    test_nonces(c);
    test_golden(c);
    disc_crypt_destroy(&c);
    test_helpers();
    return done_testing();
}
