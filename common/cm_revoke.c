/* SPDX-License-Identifier: MIT
 * cm_revoke: the revocation set and its poller (see cm_revoke.h).
 *
 * One open-addressing table with linear probing, keyed by a 64-bit keyed hash of the entry's
 * identity ("s" + sid, or "u" + user id). Deleted slots are tombstones; expired entries are
 * dropped while the table is rebuilt, which happens when tombstones and expired entries make
 * up a quarter of it. The table never grows past max_entries / 0.5 load. */
#include <openssl/crypto.h>
#include "cm_revoke.h"
#include "auth_msg.h"
#include "cm_token.h"

enum { SLOT_EMPTY, SLOT_USED };

struct slot {
    uint8_t state;
    uint8_t kind;    /* 's' session, 'u' user */
    char sid[33];    /* kind 's' */
    uint64_t user;   /* kind 'u' */
    uint64_t minver; /* kind 'u' */
    int64_t until_s; /* forgotten after this */
};

struct cm_revoke {
    struct event_base *base;
    cm_rpc_t *auth;
    struct event *timer;
    int poll_ms;
    bool polling;
    bool synced; /* the feed was read to its end once */
    uint64_t cursor;
    uint64_t polls;
    struct slot *slots;
    size_t cap; /* power of two, 2 x max_entries */
    size_t used;
    size_t max_entries;
    int keep_s;
    int64_t void_before_iat; /* fail-closed: tokens issued before this are void */
    uint64_t seed[2];
};

static uint64_t s_hash(const cm_revoke_t *self, char kind, const char *sid, uint64_t user)
{
    /* FNV-1a over a secret seed: cheap, and the seed keeps chains unpredictable */
    uint64_t h = 1469598103934665603ULL ^ self->seed[0];
    h = (h ^ (uint8_t)kind) * 1099511628211ULL;
    if (kind == 's') {
        for (const char *p = sid; *p; p++)
            h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    } else {
        for (int i = 0; i < 8; i++)
            h = (h ^ ((user >> (8 * i)) & 0xff)) * 1099511628211ULL;
    }
    h ^= self->seed[1];
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static struct slot *s_find(cm_revoke_t *self, char kind, const char *sid, uint64_t user,
                           bool insert)
{
    size_t mask = self->cap - 1;
    for (size_t i = s_hash(self, kind, sid, user) & mask, n = 0; n < self->cap;
         i = (i + 1) & mask, n++) {
        struct slot *s = &self->slots[i];
        if (s->state == SLOT_EMPTY)
            return insert ? s : NULL;
        if (s->kind == kind && (kind == 's' ? strcmp(s->sid, sid) == 0 : s->user == user))
            return s;
    }
    return NULL;
}

static void s_clear(cm_revoke_t *self)
{
    memset(self->slots, 0, self->cap * sizeof(*self->slots));
    self->used = 0;
}

/* Drop expired entries by rebuilding the table. */
static void s_sweep(cm_revoke_t *self, int64_t now_s)
{
    struct slot *old = self->slots;
    self->slots = cm_calloc(self->cap, sizeof(*self->slots));
    self->used = 0;
    for (size_t i = 0; i < self->cap; i++) {
        if (old[i].state != SLOT_USED || old[i].until_s < now_s)
            continue;
        struct slot *s = s_find(self, (char)old[i].kind, old[i].sid, old[i].user, true);
        *s = old[i];
        self->used++;
    }
    cm_free(old);
}

/* A slot for a new entry, or NULL after failing closed. */
static struct slot *s_room(cm_revoke_t *self, int64_t now_s)
{
    if (self->used >= self->max_entries)
        s_sweep(self, now_s);
    if (self->used >= self->max_entries) {
        cm_log_e("revoke", 0,
                 "%zu revocations are held, the cap: every access token issued "
                 "before now is refused (clients refresh)",
                 self->used);
        self->void_before_iat = now_s + 1;
        s_clear(self);
    }
    return NULL;
}

void cm_revoke_session(cm_revoke_t *self, const char *sid, int64_t now_s)
{
    if (strlen(sid) != 32)
        return;
    struct slot *s = s_find(self, 's', sid, 0, false);
    if (!s) {
        s_room(self, now_s);
        s = s_find(self, 's', sid, 0, true);
        s->state = SLOT_USED;
        s->kind = 's';
        snprintf(s->sid, sizeof(s->sid), "%s", sid);
        self->used++;
    }
    s->until_s = now_s + self->keep_s;
}

void cm_revoke_user(cm_revoke_t *self, uint64_t user_id, uint64_t min_version, int64_t now_s)
{
    struct slot *s = s_find(self, 'u', NULL, user_id, false);
    if (!s) {
        s_room(self, now_s);
        s = s_find(self, 'u', NULL, user_id, true);
        s->state = SLOT_USED;
        s->kind = 'u';
        s->user = user_id;
        self->used++;
    }
    if (min_version > s->minver)
        s->minver = min_version;
    s->until_s = now_s + self->keep_s;
}

bool cm_revoke_is_void(cm_revoke_t *self, const char *sid, uint64_t user_id, uint64_t ver,
                       int64_t iat, int64_t now_s)
{
    if (iat < self->void_before_iat)
        return true;
    if (self->used == 0)
        return false;
    const struct slot *s = s_find(self, 's', sid, 0, false);
    if (s && s->until_s >= now_s)
        return true;
    s = s_find(self, 'u', NULL, user_id, false);
    return s && s->until_s >= now_s && ver < s->minver;
}

size_t cm_revoke_count(const cm_revoke_t *self)
{
    return self->used;
}

bool cm_revoke_synced(const cm_revoke_t *self)
{
    return self->synced;
}

uint64_t cm_revoke_polls(const cm_revoke_t *self)
{
    return self->polls;
}

/* --- the poller --- */

static void s_poll(cm_revoke_t *self);

static void s_schedule(cm_revoke_t *self, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(self->timer, &tv);
}

static void s_on_feed(int status, const cm_msg_t *reply, void *arg)
{
    cm_revoke_t *self = arg;
    self->polling = false;
    if (status == CM_ERR_SHUTDOWN)
        return;
    struct auth_revocations_ok *r = cm_calloc(1, sizeof(*r));
    bool more = false;
    if (status == CM_OK && auth_revocations_ok_decode(r, reply->body.data, reply->body.len) == 0) {
        int64_t now_s = (int64_t)(cm_now_ms() / 1000);
        for (uint32_t i = 0; i < r->session_ids_count; i++)
            cm_revoke_session(self, r->session_ids[i], now_s);
        for (uint32_t i = 0; i < r->user_ids_count && i < r->min_version_count; i++)
            cm_revoke_user(self, r->user_ids[i], r->min_version[i], now_s);
        more = r->more && r->cursor > self->cursor;
        self->cursor = r->cursor;
        self->polls++;
        if (!more && !self->synced) {
            self->synced = true;
            cm_log_i("revoke", 0, "revocation feed read: %zu revocations held", self->used);
        }
    } else if (status != CM_OK) {
        cm_log_d("revoke", 0, "revocation feed: %s", cm_status_str(status));
    }
    cm_free(r);
    s_schedule(self, more ? 0 : self->poll_ms);
}

static void s_poll(cm_revoke_t *self)
{
    if (self->polling)
        return;
    struct auth_revocations q = {.after = self->cursor};
    cm_buf_t *body = cm_buf_new(64);
    if (auth_revocations_encode(&q, body) == 0) {
        self->polling = true;
        cm_rpc_call(self->auth, NULL, AUTH_PROTO, AUTH_MSG_REVOCATIONS, 0, body, NULL,
                    self->poll_ms < 2000 ? 2000 : self->poll_ms, s_on_feed, self);
    }
    cm_buf_destroy(&body);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    s_poll(arg);
}

cm_revoke_t *cm_revoke_new(struct event_base *base, cm_rpc_t *auth, int poll_ms, size_t max_entries,
                           int keep_s)
{
    cm_revoke_t *self = cm_calloc(1, sizeof(*self));
    self->base = base;
    self->auth = auth;
    self->poll_ms = poll_ms;
    self->max_entries = max_entries < 16 ? 16 : max_entries;
    self->keep_s = keep_s;
    self->cap = 32;
    while (self->cap < 2 * self->max_entries)
        self->cap *= 2;
    self->slots = cm_calloc(self->cap, sizeof(*self->slots));
    cm_rand_bytes(self->seed, sizeof(self->seed));
    self->void_before_iat = INT64_MIN;
    if (auth) {
        self->timer = evtimer_new(base, s_on_timer, self);
        s_schedule(self, 0);
    } else {
        self->synced = true;
    }
    return self;
}

void cm_revoke_destroy(cm_revoke_t **self_p)
{
    cm_revoke_t *self = *self_p;
    if (!self)
        return;
    if (self->timer)
        event_free(self->timer);
    cm_free(self->slots);
    cm_free(self);
    *self_p = NULL;
}
