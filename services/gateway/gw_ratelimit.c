/* SPDX-License-Identifier: MIT
 * gw_ratelimit: bounded token buckets. A fixed pool of entries, a fixed power-of-two table of
 * chain heads (one SipHash-128 fingerprint per key) and an LRU list through the pool; nothing
 * is allocated after gw_ratelimit_new. */
#include "gw_ratelimit.h"
#include <math.h>

#define GW_RATELIMIT_TAG 0x67776c31u /* "gwl1" */
#define NIL UINT32_MAX               /* no entry */

enum {
    EXPIRE_PER_CALL = 4, /* idle entries dropped at most per take, to bound each call's work */
    TABLE_MIN = 16,      /* smallest hash table */
};

/* Floating-point slack, in ms, when comparing bucket times: far below a millisecond, far
 * above the rounding of a double that counts milliseconds since 1970. */
static const double s_eps_ms = 0.01;

/* The longest span a bucket may describe (about 31 years): keeps a hand-made rule with a huge
 * burst or a tiny rate away from infinities. */
static const double s_span_max_ms = 1e12;

/* One key's bucket. In GCRA form a bucket is the moment it will be full again: with T the
 * time to earn one token and tau = burst * T, it holds min(burst, (now - full_ms + tau) / T)
 * tokens, so full_ms <= now means "full" and the entry can go. */
struct entry {
    uint64_t d0, d1; /* SipHash-128 of the key: the key's identity within its class */
    double full_ms;  /* when the bucket is full again */
    int cls;         /* the class */
    uint32_t chain;  /* next entry in the same table slot (or in the free list), or NIL */
    uint32_t older;  /* LRU neighbour towards the old end, or NIL */
    uint32_t newer;  /* LRU neighbour towards the new end, or NIL */
};

struct gw_ratelimit {
    uint32_t tag;                    /* GW_RATELIMIT_TAG while alive */
    uint8_t sipkey[16];              /* random SipHash key, drawn at creation */
    struct entry *pool;              /* max_entries entries */
    uint32_t *table;                 /* chain heads, mask + 1 of them */
    uint64_t mask;                   /* table size - 1 */
    uint32_t max_entries;            /* the cap */
    uint32_t used;                   /* pool entries ever handed out (the rest untouched) */
    uint32_t free_head;              /* entries given back, linked through `chain` */
    uint32_t oldest, newest;         /* LRU ends */
    struct gw_ratelimit_stats stats; /* counters; stats.entries is the live count */
};

/* --- SipHash-2-4 with 128-bit output (Aumasson and Bernstein's reference) --- */

static uint64_t s_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t s_rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static void s_sipround(uint64_t v[4], int n)
{
    for (int i = 0; i < n; i++) {
        v[0] += v[1];
        v[1] = s_rotl(v[1], 13) ^ v[0];
        v[0] = s_rotl(v[0], 32);
        v[2] += v[3];
        v[3] = s_rotl(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = s_rotl(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = s_rotl(v[1], 17) ^ v[2];
        v[2] = s_rotl(v[2], 32);
    }
}

/* out[0] is the first 8 output bytes read little-endian, out[1] the last 8. */
static void s_siphash128(const uint8_t key[16], const void *data, size_t len, uint64_t out[2])
{
    const uint8_t *p = data;
    uint64_t k0 = s_le64(key), k1 = s_le64(key + 8);
    uint64_t v[4] = {UINT64_C(0x736f6d6570736575) ^ k0, UINT64_C(0x646f72616e646f6d) ^ k1 ^ 0xee,
                     UINT64_C(0x6c7967656e657261) ^ k0, UINT64_C(0x7465646279746573) ^ k1};
    const uint8_t *end = p + (len & ~(size_t)7);
    for (; p != end; p += 8) {
        uint64_t m = s_le64(p);
        v[3] ^= m;
        s_sipround(v, 2);
        v[0] ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)p[i] << (8 * i);
    v[3] ^= b;
    s_sipround(v, 2);
    v[0] ^= b;
    v[2] ^= 0xee;
    s_sipround(v, 4);
    out[0] = v[0] ^ v[1] ^ v[2] ^ v[3];
    v[1] ^= 0xdd;
    s_sipround(v, 4);
    out[1] = v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* --- Rules --- */

/* A non-negative decimal integer of at most 9 digits at *p; advances *p. -1 if none. */
static long s_digits(const char **p)
{
    const char *s = *p;
    long v = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > 9)
            return -1;
        v = v * 10 + (*s++ - '0');
    }
    if (n == 0)
        return -1;
    *p = s;
    return v;
}

int gw_rate_parse(const char *s, struct gw_rate *out, char *err, size_t errlen)
{
    if (!s)
        s = "";
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strnlen(s, GW_RATE_TEXT_MAX + 1);
    if (n > GW_RATE_TEXT_MAX) {
        cm_errf(err, errlen, "rate limit rule is longer than %d characters", GW_RATE_TEXT_MAX);
        return -1;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char text[GW_RATE_TEXT_MAX + 1];
    memcpy(text, s, n);
    text[n] = '\0';

    if (strcmp(text, "0") == 0 || strcasecmp(text, "off") == 0) {
        out->burst = 0;
        out->per_s = 0;
        return 0;
    }
    const char *p = text;
    long burst = s_digits(&p);
    if (burst < 1 || burst > GW_RATE_BURST_MAX || *p != '/') {
        cm_errf(err, errlen,
                "rate limit rule \"%s\" is not N/PERIOD with N from 1 to %d (e.g. \"60/1m\"), "
                "0 or off",
                text, GW_RATE_BURST_MAX);
        return -1;
    }
    p++;
    long count = 1;
    if (*p >= '0' && *p <= '9')
        count = s_digits(&p);
    long unit = 0;
    switch (*p) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        break;
    }
    if (count < 1 || unit == 0 || p[1] != '\0') {
        cm_errf(err, errlen,
                "rate limit rule \"%s\" has a bad period: want a count and a unit s, m, h or d "
                "(e.g. \"30s\", \"1m\")",
                text);
        return -1;
    }
    if (count > GW_RATE_PERIOD_MAX_S / unit) {
        cm_errf(err, errlen, "rate limit rule \"%s\" has a period longer than one day", text);
        return -1;
    }
    out->burst = (double)burst;
    out->per_s = (double)burst / (double)(count * unit);
    return 0;
}

bool gw_rate_off(const struct gw_rate *rule)
{
    return !rule || !(rule->burst > 0) || !(rule->per_s > 0);
}

/* --- The table --- */

static uint64_t s_slot(const gw_ratelimit_t *self, int cls, uint64_t d0)
{
    /* d0 is uniform under the secret key; adding a per-class odd multiple keeps it so. */
    return (d0 + (uint64_t)(uint32_t)cls * UINT64_C(0x9e3779b97f4a7c15)) & self->mask;
}

static void s_lru_unlink(gw_ratelimit_t *self, uint32_t i)
{
    struct entry *e = &self->pool[i];
    if (e->older != NIL)
        self->pool[e->older].newer = e->newer;
    else
        self->oldest = e->newer;
    if (e->newer != NIL)
        self->pool[e->newer].older = e->older;
    else
        self->newest = e->older;
    e->older = e->newer = NIL;
}

static void s_lru_push_newest(gw_ratelimit_t *self, uint32_t i)
{
    struct entry *e = &self->pool[i];
    e->older = self->newest;
    e->newer = NIL;
    if (self->newest != NIL)
        self->pool[self->newest].newer = i;
    else
        self->oldest = i;
    self->newest = i;
}

/* Take entry `i` out of its table chain and the LRU list; the caller reuses or frees it. */
static void s_unlink(gw_ratelimit_t *self, uint32_t i)
{
    struct entry *e = &self->pool[i];
    uint32_t *link = &self->table[s_slot(self, e->cls, e->d0)];
    while (*link != i) {
        assert(*link != NIL); /* every held entry is in its chain */
        link = &self->pool[*link].chain;
    }
    *link = e->chain;
    e->chain = NIL;
    s_lru_unlink(self, i);
    self->stats.entries--;
}

/* Drop up to EXPIRE_PER_CALL entries from the old end whose buckets are full again. */
static void s_expire(gw_ratelimit_t *self, double now)
{
    for (int k = 0; k < EXPIRE_PER_CALL && self->oldest != NIL; k++) {
        uint32_t i = self->oldest;
        if (self->pool[i].full_ms > now)
            break;
        s_unlink(self, i);
        self->pool[i].chain = self->free_head;
        self->free_head = i;
        self->stats.expired++;
    }
}

/* A pool entry for a new key: a free one, an untouched one, or the least recently used one. */
static uint32_t s_alloc(gw_ratelimit_t *self, double now)
{
    uint32_t i;
    if (self->free_head != NIL) {
        i = self->free_head;
        self->free_head = self->pool[i].chain;
        return i;
    }
    if (self->used < self->max_entries)
        return self->used++;
    i = self->oldest;
    assert(i != NIL); /* a full pool has a non-empty LRU list */
    if (self->pool[i].full_ms > now)
        self->stats.evictions++;
    else
        self->stats.expired++;
    s_unlink(self, i);
    return i;
}

gw_ratelimit_t *gw_ratelimit_new(size_t max_entries)
{
    if (max_entries < 1)
        max_entries = 1;
    if (max_entries > GW_RATELIMIT_ENTRIES_MAX)
        max_entries = GW_RATELIMIT_ENTRIES_MAX;
    gw_ratelimit_t *self = cm_calloc(1, sizeof(*self));
    self->tag = GW_RATELIMIT_TAG;
    size_t slots = TABLE_MIN;
    while (slots < max_entries)
        slots *= 2;
    self->mask = slots - 1;
    self->max_entries = (uint32_t)max_entries;
    self->stats.max_entries = max_entries;
    /* calloc'd pool pages are only touched when handed out (see `used`). */
    self->pool = cm_calloc(max_entries, sizeof(*self->pool));
    self->table = cm_malloc(slots * sizeof(*self->table));
    memset(self->table, 0xff, slots * sizeof(*self->table)); /* every slot NIL */
    self->free_head = self->oldest = self->newest = NIL;

    /* An unpredictable key keeps clients from choosing keys that share a chain. */
    ssize_t got = -1;
    do {
        got = getrandom(self->sipkey, sizeof(self->sipkey), 0);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof(self->sipkey)) {
        cm_log_w("ratelimit", 0, "getrandom failed (%s): hash key from the clock", strerror(errno));
        uint64_t a = cm_mono_us() ^ ((uint64_t)getpid() << 40), b = cm_now_ms() ^ (uintptr_t)self;
        memcpy(self->sipkey, &a, 8);
        memcpy(self->sipkey + 8, &b, 8);
    }
    return self;
}

void gw_ratelimit_destroy(gw_ratelimit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_ratelimit_t *self = *self_p;
    assert(self->tag == GW_RATELIMIT_TAG);
    self->tag = 0xdeadbeef;
    cm_free(self->pool);
    cm_free(self->table);
    cm_free(self);
    *self_p = NULL;
}

int gw_ratelimit_take(gw_ratelimit_t *self, int cls, const char *key, const struct gw_rate *rule,
                      int64_t now_ms, int *retry_after_s)
{
    assert(self && self->tag == GW_RATELIMIT_TAG);
    if (gw_rate_off(rule))
        return 1;
    double now = (double)now_ms;
    s_expire(self, now);

    /* T: time to earn one token; tau: time to fill an empty bucket. */
    double burst = rule->burst < 1 ? 1 : rule->burst;
    double t = 1000.0 / rule->per_s;
    double tau = burst * t;
    if (!(tau <= s_span_max_ms)) {
        tau = s_span_max_ms;
        if (t > tau)
            t = tau;
    }

    if (!key)
        key = "";
    uint64_t d[2];
    s_siphash128(self->sipkey, key, strnlen(key, GW_RATELIMIT_KEY_MAX), d);
    uint64_t slot = s_slot(self, cls, d[0]);
    uint32_t i = self->table[slot];
    while (i != NIL) {
        const struct entry *e = &self->pool[i];
        if (e->d0 == d[0] && e->d1 == d[1] && e->cls == cls)
            break;
        i = e->chain;
    }
    struct entry *e;
    if (i != NIL) {
        e = &self->pool[i];
        s_lru_unlink(self, i);
    } else {
        i = s_alloc(self, now);
        e = &self->pool[i];
        e->d0 = d[0];
        e->d1 = d[1];
        e->cls = cls;
        e->full_ms = now;
        e->chain = self->table[slot];
        self->table[slot] = i;
        self->stats.entries++;
    }
    s_lru_push_newest(self, i);

    /* A full bucket is full; a bucket further out than tau (the clock went back, or the rule
     * became stricter) is empty, never in debt beyond one fill. */
    double full = e->full_ms < now ? now : e->full_ms;
    if (full > now + tau)
        full = now + tau;
    double wait = full + t - tau - now; /* ms until this take would fit */
    if (wait <= s_eps_ms) {
        e->full_ms = full + t;
        self->stats.allowed++;
        return 1;
    }
    e->full_ms = full;
    self->stats.limited++;
    if (retry_after_s) {
        double secs = ceil((wait - s_eps_ms) / 1000.0);
        *retry_after_s = secs < 1 ? 1 : secs > INT_MAX ? INT_MAX : (int)secs;
    }
    return 0;
}

size_t gw_ratelimit_size(const gw_ratelimit_t *self)
{
    assert(self && self->tag == GW_RATELIMIT_TAG);
    return self->stats.entries;
}

void gw_ratelimit_stats(const gw_ratelimit_t *self, struct gw_ratelimit_stats *out)
{
    assert(self && self->tag == GW_RATELIMIT_TAG);
    *out = self->stats;
}
