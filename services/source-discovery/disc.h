/* SPDX-License-Identifier: MIT
 * disc: the source-discovery daemon's state, shared by its modules. It owns the movies and
 * sources tables; no other daemon touches them. */
#ifndef DISC_H
#define DISC_H
#include "cm.h"
#include "cm_pg.h"
#include "cm_rpc.h"
#include "disc_crypt.h"

enum {
    DISC_SOURCES_MAX = 200, /* sources listed with a movie (MOVIE.source_ids max) */
    DISC_FILES_MAX = 1000,  /* files kept and listed per source (SOURCE.file_paths max) */
};

struct disc {
    struct event_base *base;
    cm_pg_t *pg;         /* borrowed from cm_service */
    cm_rpc_t *rpc;       /* borrowed from cm_service */
    disc_crypt_t *crypt; /* owned by main.c: the source store's keys */
};

/* Register the catalog handlers of disc_api.c: MOVIE_CREATE, MOVIE_GET, SOURCE_ADD,
 * SOURCE_GET, SOURCE_SET_TORRENT (proto/discovery.toml). `d` is borrowed and must outlive the
 * RPC server. */
void disc_api_register(struct disc *d);

/* True when `s` is an IMDb title id: "tt" and 7 or 8 digits. */
bool disc_imdb_valid(const char *s);

/* The quality a torrent's name announces: "4K" (2160p, 4K, UHD), "8K" (4320p, 8K), "2K"
 * (1440p), "FHD" (1080p), "HD" (720p), "SD" (576p, 480p, 360p, DVDRip), else "". Tokens are
 * matched without case, between non-alphanumeric characters. Static string; `name` may be
 * NULL. */
const char *disc_quality_guess(const char *name);

#endif
