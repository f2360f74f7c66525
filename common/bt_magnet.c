/* SPDX-License-Identifier: MIT
 * bt_magnet: magnet URI parsing and building (BEP 9).
 *
 * Parsing walks the query once, '&' by '&'. Values are percent-decoded; '+' stays '+' (real
 * magnets disagree on it and libtorrent keeps it). Keys match exactly, plus the numbered
 * forms "xt.1", "tr.1" that some sites emit. `xt`: the first "urn:btih:" (any case) wins; a
 * "urn:btmh:" (v2) alone is refused with its own sentence. Trackers over the count cap and
 * URLs of other schemes are dropped; peers that are host names, or with a bad port, are
 * skipped (never resolved). A bad escape anywhere, a dn or tr over its byte cap, or a bad xl
 * is an error. Building percent-encodes everything outside RFC 3986's unreserved set. */
#include "cm.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"

/* Percent-decode p[0..len) into a new NUL-terminated string (*out, caller owns; *outlen its
 * length, which may include NUL bytes from %00). -1 on a bad escape, with *bad its index. */
static int s_decode(const char *p, size_t len, char **out, size_t *outlen, size_t *bad)
{
    char *s = cm_malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '%') {
            s[o++] = p[i];
            continue;
        }
        int hi = i + 2 < len ? cm_hexval(p[i + 1]) : -1;
        int lo = i + 2 < len ? cm_hexval(p[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            cm_free(s);
            *bad = i;
            return -1;
        }
        s[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    s[o] = '\0';
    *out = s;
    *outlen = o;
    return 0;
}

/* A tracker URL we keep: http, https or udp, no control bytes or spaces. */
static bool s_url_ok(const char *u, size_t len)
{
    static const char *const schemes[] = {"http://", "https://", "udp://"};
    bool scheme = false;
    for (size_t i = 0; i < CM_ARRAY_LEN(schemes); i++) {
        size_t sl = strlen(schemes[i]);
        if (len > sl && strncasecmp(u, schemes[i], sl) == 0)
            scheme = true;
    }
    if (!scheme)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
            return false;
    return true;
}

/* "1.2.3.4:port" or "[v6]:port" into ss. 0, or -1 for anything else (host names too). */
static int s_peer(const char *v, struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *colon;
    size_t hlen;
    bool v6 = v[0] == '[';
    if (v6) {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':')
            return -1;
        hlen = (size_t)(close - v - 1);
        if (hlen >= sizeof(host))
            return -1;
        memcpy(host, v + 1, hlen);
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - v);
        if (hlen >= sizeof(host))
            return -1;
        memcpy(host, v, hlen);
    }
    host[hlen] = '\0';
    const char *ps = colon + 1;
    size_t pl = strlen(ps);
    if (pl == 0 || pl > 5 || strspn(ps, "0123456789") != pl)
        return -1;
    long port = strtol(ps, NULL, 10);
    if (port < 1 || port > 65535)
        return -1;
    memset(ss, 0, sizeof(*ss));
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return -1;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return -1;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
    }
    return 0;
}

/* Key `k` (klen bytes) is `name` or `name`.<digits>. */
static bool s_key_is(const char *k, size_t klen, const char *name)
{
    size_t n = strlen(name);
    if (klen < n || memcmp(k, name, n) != 0)
        return false;
    if (klen == n)
        return true;
    if (k[n] != '.' || klen == n + 1)
        return false;
    for (size_t i = n + 1; i < klen; i++)
        if (k[i] < '0' || k[i] > '9')
            return false;
    return true;
}

/* Handle one decoded parameter. 0, or -1 with err. */
static int s_param(struct bt_magnet *m, const char *k, size_t klen, const char *v, size_t vlen,
                   bool *have_hash, bool *have_btmh, char *err, size_t errlen)
{
    if (s_key_is(k, klen, "xt")) {
        if (vlen >= 9 && strncasecmp(v, "urn:btih:", 9) == 0) {
            if (*have_hash)
                return 0;
            if (bt_hash_parse(v + 9, vlen - 9, m->info_hash) < 0) {
                cm_errf(err, errlen,
                        "the btih hash is %zu characters, not 40 hex or 32 base32 digits",
                        vlen - 9);
                return -1;
            }
            *have_hash = true;
        } else if (vlen >= 9 && strncasecmp(v, "urn:btmh:", 9) == 0) {
            *have_btmh = true;
        }
        return 0;
    }
    if (klen == 2 && memcmp(k, "dn", 2) == 0) {
        if (m->dn)
            return 0;
        if (vlen > BT_DN_MAX) {
            cm_errf(err, errlen, "dn is %zu bytes, over the cap of %d", vlen, BT_DN_MAX);
            return -1;
        }
        if (!cm_utf8_valid(v, vlen, false)) {
            cm_errf(err, errlen, "dn is not valid UTF-8");
            return -1;
        }
        m->dn = cm_strndup(v, vlen);
        return 0;
    }
    if (klen == 2 && memcmp(k, "xl", 2) == 0) {
        if (vlen == 0 || vlen > 19 || strspn(v, "0123456789") != vlen) {
            cm_errf(err, errlen, "xl is not a length");
            return -1;
        }
        m->xl = strtoull(v, NULL, 10);
        return 0;
    }
    if (s_key_is(k, klen, "tr")) {
        if (vlen > BT_TRACKER_URL_MAX) {
            cm_errf(err, errlen, "a tr URL is %zu bytes, over the cap of %d", vlen,
                    BT_TRACKER_URL_MAX);
            return -1;
        }
        if (m->ntr >= BT_TRACKERS_MAX || !s_url_ok(v, vlen))
            return 0;
        for (size_t i = 0; i < m->ntr; i++)
            if (strcmp(m->tr[i], v) == 0)
                return 0;
        if (m->ntr == 0 || (m->ntr >= 8 && (m->ntr & (m->ntr - 1)) == 0))
            m->tr = cm_realloc(m->tr, (m->ntr ? m->ntr * 2 : 8) * sizeof(*m->tr));
        m->tr[m->ntr++] = cm_strndup(v, vlen);
        return 0;
    }
    if (klen == 4 && memcmp(k, "x.pe", 4) == 0) {
        struct sockaddr_storage ss;
        if (m->npeers >= BT_MAGNET_PEERS_MAX || strlen(v) != vlen || s_peer(v, &ss) < 0)
            return 0;
        if (!m->peers)
            m->peers = cm_calloc(BT_MAGNET_PEERS_MAX, sizeof(*m->peers));
        m->peers[m->npeers++] = ss;
        return 0;
    }
    return 0; /* unknown keys are ignored */
}

int bt_magnet_parse(const char *uri, struct bt_magnet *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!uri) {
        cm_errf(err, errlen, "no magnet URI");
        return -1;
    }
    size_t len = strnlen(uri, (size_t)BT_MAGNET_MAX + 1);
    if (len > BT_MAGNET_MAX) {
        cm_errf(err, errlen, "the magnet URI is over the cap of %d bytes", BT_MAGNET_MAX);
        return -1;
    }
    if (len < 8 || strncasecmp(uri, "magnet:?", 8) != 0) {
        cm_errf(err, errlen, "not a magnet URI (no \"magnet:?\")");
        return -1;
    }
    bool have_hash = false, have_btmh = false;
    size_t pos = 8;
    while (pos < len) {
        const char *p = uri + pos;
        size_t plen = strcspn(p, "&");
        const char *eq = memchr(p, '=', plen);
        if (eq) {
            size_t klen = (size_t)(eq - p);
            char *v = NULL;
            size_t vlen, bad;
            if (s_decode(eq + 1, plen - klen - 1, &v, &vlen, &bad) < 0) {
                cm_errf(err, errlen, "bad percent escape at offset %zu", pos + klen + 1 + bad);
                goto fail;
            }
            int rc = s_param(out, p, klen, v, vlen, &have_hash, &have_btmh, err, errlen);
            cm_free(v);
            if (rc < 0)
                goto fail;
        }
        pos += plen + 1;
    }
    if (!have_hash) {
        if (have_btmh)
            cm_errf(err, errlen, "no btih: the magnet has only a v2 (btmh) hash");
        else
            cm_errf(err, errlen, "no btih: the magnet has no xt=urn:btih:");
        goto fail;
    }
    return 0;
fail:
    bt_magnet_clear(out);
    return -1;
}

void bt_magnet_clear(struct bt_magnet *m)
{
    if (!m)
        return;
    cm_free(m->dn);
    for (size_t i = 0; i < m->ntr; i++)
        cm_free(m->tr[i]);
    cm_free(m->tr);
    cm_free(m->peers);
    memset(m, 0, sizeof(*m));
}

/* Append `s` percent-encoded (RFC 3986 unreserved kept). */
static int s_put_enc(cm_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        bool unres = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (unres) {
            if (cm_buf_append(out, p, 1) < 0)
                return -1;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (cm_buf_append(out, e, 3) < 0)
                return -1;
        }
    }
    return 0;
}

int bt_magnet_build(const uint8_t hash[20], const char *dn, uint64_t xl, const char *const *tr,
                    size_t ntr, cm_buf_t *out)
{
    char hex[41];
    bt_hash_hex(hash, hex);
    if (cm_buf_appendf(out, "magnet:?xt=urn:btih:%s", hex) < 0)
        return -1;
    if (dn && (cm_buf_append(out, "&dn=", 4) < 0 || s_put_enc(out, dn) < 0))
        return -1;
    if (xl && cm_buf_appendf(out, "&xl=%" PRIu64, xl) < 0)
        return -1;
    for (size_t i = 0; i < ntr; i++)
        if (tr && tr[i] && (cm_buf_append(out, "&tr=", 4) < 0 || s_put_enc(out, tr[i]) < 0))
            return -1;
    return 0;
}
