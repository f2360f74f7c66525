/* SPDX-License-Identifier: MIT
 * cm_redact: secret-shaped text out of log and audit lines.
 *
 * One pass, reading at `r` and writing at `w <= r` in the same buffer. The text is cut into
 * words, a word being a maximal run of base64url characters; everything between words is
 * copied byte for byte. A word is checked, in order, as the start of a JWT, as a key naming a
 * secret (its value is replaced, the key kept), and as a long run; otherwise it is copied.
 * Every replacement is at most as long as what it replaces, so `w` never passes `r`. */
#include "cm.h"
#include "cm_redact.h"

enum {
    S_RUN_MIN = 41, /* a word this long or longer is taken for a token or a key */
    S_PAD_MAX = 2,  /* '=' padding absorbed after a long run */
};

static const char s_mark_text[] = CM_REDACTED;

/* A base64url (and so hex) character: the stuff tokens are made of. */
static bool s_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* The end of the word starting at s[i] (i itself when s[i] is not a word character). */
static size_t s_word_end(const char *s, size_t i)
{
    while (s_word_char((unsigned char)s[i]))
        i++;
    return i;
}

static unsigned char s_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True when the `len` bytes at `p` end with the lower-case `suffix`, in any case. */
static bool s_ends_with(const char *p, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    if (n > len)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s_lower((unsigned char)p[len - n + i]) != (unsigned char)suffix[i])
            return false;
    }
    return true;
}

/* Write the marker standing for `len` secret bytes at `w`; returns the bytes written (never
 * more than `len`: the marker must fit where the secret was). */
static size_t s_mark(char *w, size_t len)
{
    size_t n = sizeof(s_mark_text) - 1;
    if (len >= n) {
        memcpy(w, s_mark_text, n);
        return n;
    }
    if (len == 0)
        return 0;
    *w = '*';
    return 1;
}

/* A JWT starting at the word s[i..]: returns its end, or 0 when there is none. */
static size_t s_jwt_end(const char *s, size_t i)
{
    if (strncmp(s + i, "eyJ", 3) != 0)
        return 0;
    size_t a = s_word_end(s, i); /* header segment */
    if (s[a] != '.')
        return 0;
    size_t b = s_word_end(s, a + 1); /* payload segment, never empty */
    if (b == a + 1 || s[b] != '.')
        return 0;
    return s_word_end(s, b + 1); /* signature; empty for alg "none" */
}

/* Does the word s[i..e) name a secret? */
static bool s_secret_word(const char *s, size_t i, size_t e)
{
    static const char *const suffixes[] = {"password", "passwd", "secret", "token",
                                           "_key",     "-key",   "apikey"};
    size_t len = e - i;
    for (size_t k = 0; k < CM_ARRAY_LEN(suffixes); k++) {
        if (s_ends_with(s + i, len, suffixes[k]))
            return true;
    }
    return len == 3 && s_ends_with(s + i, len, "key");
}

static bool s_value_stop(unsigned char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '&' || c == ',' ||
           c == ';' || c == '"' || c == '\'' || c == '}' || c == ']' || c == ')' || c == '>';
}

/* If the word s[i..e) is a key naming a secret followed by its value, set [*v0, *v1) to the
 * value's bytes (without its quotes) and return true. */
static bool s_secret_value(const char *s, size_t i, size_t e, size_t *v0, size_t *v1)
{
    size_t p = e;
    bool bearer = e - i == 6 && s_ends_with(s + i, 6, "bearer");
    if (bearer) {
        /* "Bearer <token>": the separator is blank space. */
        if (s[p] != ' ')
            return false;
        while (s[p] == ' ')
            p++;
    } else {
        if (!s_secret_word(s, i, e))
            return false;
        /* A quoted key: "password": or 'token'= */
        if (i > 0 && (s[i - 1] == '"' || s[i - 1] == '\'') && s[p] == s[i - 1])
            p++;
        while (s[p] == ' ' || s[p] == '\t')
            p++;
        if (s[p] != '=' && s[p] != ':')
            return false;
        p++;
        while (s[p] == ' ' || s[p] == '\t')
            p++;
    }
    /* Already done (a second pass, or a line redacted by the sender): keep the key, replace
     * nothing, so that redacting twice changes nothing. */
    if (strncmp(s + p, s_mark_text, sizeof(s_mark_text) - 1) == 0) {
        *v0 = *v1 = p;
        return true;
    }
    if (!bearer && (s[p] == '"' || s[p] == '\'')) {
        char q = s[p++];
        *v0 = p;
        while (s[p] && s[p] != q) {
            if (s[p] == '\\' && s[p + 1])
                p++; /* an escaped quote does not end the value */
            p++;
        }
        *v1 = p;
        return true;
    }
    *v0 = p;
    while (!s_value_stop((unsigned char)s[p]))
        p++;
    *v1 = p;
    return true;
}

void cm_redact(char *s)
{
    if (!s)
        return;
    size_t r = 0, w = 0;
    while (s[r]) {
        size_t e = s_word_end(s, r);
        if (e == r) {
            s[w++] = s[r++]; /* between words: any byte, UTF-8 included */
            continue;
        }
        size_t v0, v1;
        size_t jwt = s_jwt_end(s, r);
        if (jwt) {
            w += s_mark(s + w, jwt - r);
            r = jwt;
        } else if (s_secret_value(s, r, e, &v0, &v1)) {
            /* Keep the key and its separator, replace the value. */
            memmove(s + w, s + r, v0 - r);
            w += v0 - r;
            w += s_mark(s + w, v1 - v0);
            r = v1;
        } else if (e - r >= S_RUN_MIN) {
            for (int k = 0; k < S_PAD_MAX && s[e] == '='; k++)
                e++;
            w += s_mark(s + w, e - r);
            r = e;
        } else {
            memmove(s + w, s + r, e - r);
            w += e - r;
            r = e;
        }
    }
    s[w] = '\0';
}
