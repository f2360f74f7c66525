/* SPDX-License-Identifier: MIT
 * gw_revoke: what the gateway knows of revoked access tokens, learnt by polling auth's
 * revocation feed (REVOCATIONS) every REVOCATION_POLL. Two kinds of entries: a revoked
 * session id (every token with that sid is void) and a user's minimum token version (tokens
 * whose "ver" is lower are void). An entry is kept for the longest life of an access token
 * after it was learnt, then forgotten: no token it could void is still valid by then.
 *
 * Memory is bounded: at most `max_entries`. When a flood of revocations fills the table the
 * gateway fails closed: every token issued before that moment is refused (clients refresh),
 * and the table is cleared. Single-threaded (the gateway's loop). */
#ifndef GW_REVOKE_H
#define GW_REVOKE_H
#include <stdbool.h>
#include <stdint.h>
#include "cm.h"
#include "cm_rpc.h"

typedef struct gw_revoke gw_revoke_t;

/* A set of `max_entries` entries, each kept `keep_s` seconds. If `auth` is not NULL, poll
 * it every `poll_ms` (the first poll at once). Caller owns the result. */
gw_revoke_t *gw_revoke_new(struct event_base *base, cm_rpc_t *auth, int poll_ms, size_t max_entries,
                           int keep_s);
void gw_revoke_destroy(gw_revoke_t **self_p);

/* Record revocations (used by the poller, and by tests). `now_s` is the wall clock. */
void gw_revoke_session(gw_revoke_t *self, const char *sid, int64_t now_s);
void gw_revoke_user(gw_revoke_t *self, uint64_t user_id, uint64_t min_version, int64_t now_s);

/* Is a token with these claims void? */
bool gw_revoke_is_void(gw_revoke_t *self, const char *sid, uint64_t user_id, uint64_t ver,
                       int64_t iat, int64_t now_s);

/* True once the feed has been read to its end at least once (always true without `auth`).
 * Until then the gateway cannot know which tokens died while it was down, and refuses to
 * take any token on trust. */
bool gw_revoke_synced(const gw_revoke_t *self);

/* Entries held, and polls that succeeded (for tests and metrics). */
size_t gw_revoke_count(const gw_revoke_t *self);
uint64_t gw_revoke_polls(const gw_revoke_t *self);

#endif
