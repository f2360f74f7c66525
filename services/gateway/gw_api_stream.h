/* SPDX-License-Identifier: MIT
 * gw_api_stream: the streaming routes of the public API (API.md "Streaming", "Operations").
 *   POST   /api/stream/token          (user)   a stream URL for a source, or a movie's best source
 *   GET    /api/stream/sessions       (user)   the caller's open streams; an admin's: everyone's
 *   DELETE /api/stream/sessions/{id}  (user)   end one of them (an admin: anyone's)
 *   GET    /api/workers               (admin)  the torrent-worker pool
 *   GET|HEAD /api/stream/...          (public) 307 to the stream-proxy (STREAM_PUBLIC_URL)
 * The handlers have the gateway's handler signature (gw_routes.c) and, like every handler,
 * end in exactly one reply, perhaps later (from an RPC completion). `gw`, `req` and `who` are
 * borrowed from the dispatcher; `who` is copied when the answer comes later. `arg` is the
 * {id} segment of a parameterised route, or NULL. */
#ifndef GW_API_STREAM_H
#define GW_API_STREAM_H
#include "gw.h"

/* POST /api/stream/token {sourceId} | {movieId, quality}: a movie's source is picked from
 * discovery's MOVIE (quality SD HD FHD 2K 4K 8K: the first source of it, else 404; auto or
 * absent: the first with metadata, else the first); auth mints a key bound to the caller's
 * session (STREAM_KEY_MINT). 200 {url, expiresAt, sourceId}. */
void gw_api_stream_token(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

/* GET|HEAD /api/stream/{key...}: 307 with Location STREAM_PUBLIC_URL + the same path and query
 * (no credentials needed here: the stream-proxy checks them). 400 when the path and query pass
 * 2 KiB or hold control bytes. /api/stream/token and /api/stream/sessions[/...] are not
 * redirected (405 with Allow), nor is a bare /api/stream/ (404). */
void gw_api_stream_redirect(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                            const char *arg);

/* GET /api/stream/sessions: stream-proxy SESSIONS -> 200 {results:[{id, userId, sourceId,
 * bytesServed, startedAt, lastActivityAt, worker}]}. */
void gw_api_stream_sessions(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                            const char *arg);

/* DELETE /api/stream/sessions/{id}: stream-proxy SESSION_END -> 204, or 404 (unknown id, or
 * another user's stream for a non-admin). */
void gw_api_stream_session_end(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                               const char *arg);

/* GET /api/workers (admin): stream-proxy WORKERS -> 200 {workers:[{id, torrents, peers,
 * downBps, upBps, freeCacheBytes, streams, draining}]}. */
void gw_api_workers(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

#endif
