/* SPDX-License-Identifier: MIT
 * cm_utf8: strict UTF-8 validation. */
#include "cm.h"

size_t cm_utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool cm_utf8_valid(const void *s, size_t len, bool allow_nul)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < len;) {
        if (p[i] == 0 && !allow_nul)
            return false;
        size_t n = cm_utf8_seq(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *cm_utf8_copy(char *dst, size_t size, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t left = strlen(src), o = 0;
    while (left) {
        size_t n = cm_utf8_seq(p, left);
        if (n == 0) {
            if (o + 1 >= size)
                break;
            dst[o++] = '?';
            p++;
            left--;
            continue;
        }
        if (o + n >= size)
            break;
        memcpy(dst + o, p, n);
        o += n;
        p += n;
        left -= n;
    }
    dst[o] = '\0';
    return dst;
}

int cm_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
