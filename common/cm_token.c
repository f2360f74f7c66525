/* SPDX-License-Identifier: MIT
 * cm_token: random identifiers, opaque tokens and digests (see cm_token.h). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "cm.h"
#include "cm_token.h"

void cm_rand_bytes(void *out, size_t n)
{
    if (n > 0 && RAND_bytes(out, (int)n) != 1) {
        cm_log_e("token", 0, "the CSPRNG failed; stopping");
        abort();
    }
}

void cm_hex_encode(const void *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

void cm_rand_hex(char *out, size_t n)
{
    unsigned char buf[64];
    while (n > 0) {
        size_t k = n < sizeof(buf) ? n : sizeof(buf);
        cm_rand_bytes(buf, k);
        cm_hex_encode(buf, k, out);
        out += 2 * k;
        n -= k;
    }
    *out = '\0';
}

size_t cm_b64url_encode(const void *in, size_t len, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
        out[o++] = abc[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

int cm_b64_digit(int c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

void cm_sha256_hex(const void *in, size_t len, char *out)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(in, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        abort(); /* only on OOM inside OpenSSL */
    cm_hex_encode(md, 32, out);
}

long cm_b64_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
    /* '=' padding is optional, but when present it must complete the last quantum. */
    size_t pad = 0;
    while (len > 0 && in[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if (pad && (len + pad) % 4 != 0)
        return -1;
    if (len % 4 == 1)
        return -1; /* 6 bits cannot make a byte */
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (n > size)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int d = cm_b64_digit((unsigned char)in[i], false);
        if (d < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Canonical: the bits left over after the last byte must be zero. */
    if (acc != 0)
        return -1;
    return (long)o;
}
