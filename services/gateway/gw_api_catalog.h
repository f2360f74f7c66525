/* SPDX-License-Identifier: MIT
 * gw_api_catalog: the catalog routes of the public API (API.md, Movies and sources),
 * translated to source-discovery's RPCs (proto/discovery.toml). The gateway checks shapes and
 * sizes; source-discovery owns every decision about the catalog. A source's info-hash, magnet
 * and .torrent never come back through here: the gateway never asks for them
 * (SOURCE_GET secrets = false) and never writes them into a reply.
 *
 * Each handler has the gateway's route signature: `who` is the authenticated caller (the
 * route table applies the role guard before), `arg` the {id} segment of the path (NULL for
 * routes without one). Each ends, later, in exactly one reply. */
#ifndef GW_API_CATALOG_H
#define GW_API_CATALOG_H
#include "gw.h"

/* POST /api/movies {imdbId, title?, year?} (admin) -> 201 movie; 400, 409 when it exists. */
void gw_api_movie_create(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

/* GET /api/movies/{id}[?includeSources=true] -> 200 {id, imdbId, title, year, createdAt,
 * sources?: [{id, provider, quality, name, size, hasTorrentFile}]}; 404. */
/* GET /api/movies?query=&page=&limit= (user): {results, page, total}. */
void gw_api_movie_list(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
/* GET /api/status (public): the VPN gate, the providers, the discovery backlog. */
void gw_api_status(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_movie_get(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

/* POST /api/movies/{id}/sources {magnet} | {torrent: standard base64} (admin) -> 201 source;
 * 400 (neither or both, not valid), 404 (no such movie), 409 (same info-hash), 413 (over the
 * RPC frame). `arg` is the movie id. */
void gw_api_source_add(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

/* GET /api/sources/{id} -> 200 {id, movieId, provider, name, quality, size, hasTorrentFile,
 * createdAt, files: [{index, path, size}]}; 404. */
void gw_api_source_get(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

#endif
