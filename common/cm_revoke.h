/* SPDX-License-Identifier: MIT
 * cm_revoke: what a daemon that checks access tokens locally (the gateway, the stream-proxy)
 * knows of revoked ones, learnt by polling auth's
 * revocation feed (REVOCATIONS) every REVOCATION_POLL. Two kinds of entries: a revoked
 * session id (every token with that sid is void) and a user's minimum token version (tokens
 * whose "ver" is lower are void). An entry is kept for the longest life of an access token
 * after it was learnt, then forgotten: no token it could void is still valid by then.
 *
 * Memory is bounded: at most `max_entries`. When a flood of revocations fills the table the
 * daemon fails closed: every token issued before that moment is refused (clients refresh),
 * and the table is cleared. Single-threaded (the daemon's loop). */
#ifndef CM_REVOKE_H
#define CM_REVOKE_H
#include <stdbool.h>
#include <stdint.h>
#include "cm.h"
#include "cm_rpc.h"

typedef struct cm_revoke cm_revoke_t;

/* A set of `max_entries` entries, each kept `keep_s` seconds. If `auth` is not NULL, poll
 * it every `poll_ms` (the first poll at once). Caller owns the result. */
cm_revoke_t *cm_revoke_new(struct event_base *base, cm_rpc_t *auth, int poll_ms, size_t max_entries,
                           int keep_s);
void cm_revoke_destroy(cm_revoke_t **self_p);

/* Record revocations (used by the poller, and by tests). `now_s` is the wall clock. */
void cm_revoke_session(cm_revoke_t *self, const char *sid, int64_t now_s);
void cm_revoke_user(cm_revoke_t *self, uint64_t user_id, uint64_t min_version, int64_t now_s);

/* Is a token with these claims void? */
bool cm_revoke_is_void(cm_revoke_t *self, const char *sid, uint64_t user_id, uint64_t ver,
                       int64_t iat, int64_t now_s);

/* True once the feed has been read to its end at least once (always true without `auth`).
 * Until then the daemon cannot know which tokens died while it was down, and refuses to
 * take any token on trust. */
bool cm_revoke_synced(const cm_revoke_t *self);

/* Entries held, and polls that succeeded (for tests and metrics). */
size_t cm_revoke_count(const cm_revoke_t *self);
uint64_t cm_revoke_polls(const cm_revoke_t *self);

#endif
