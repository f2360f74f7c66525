/* SPDX-License-Identifier: MIT
 * source-discovery: the movie catalog, providers, source search and scoring, the encrypted
 * source store, .torrent retrieval and seeder stats through the pool, the VPN gate. This file
 * only wires: configuration, migrations, the RPC server (cm_service), the source keys and the
 * catalog handlers (disc_api.c). */
#include "cm.h"
#include "cm_service.h"
#include "disc.h"
#include "discovery_msg.h"

extern const struct cm_migration source_discovery_migrations[];
extern const size_t source_discovery_migrations_count;

static struct {
    char *bind;         /* DISCOVERY_BIND */
    char *database_url; /* DATABASE_URL */
    int64_t db_wait_ms; /* DB_WAIT */
    char *source_key;   /* SOURCE_SECURITY_KEY */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    {"DISCOVERY_BIND", CM_CFG_ENDPOINT, "tcp://*:5552", &s_cfg.bind, 0, 0, NULL,
     "ZeroMQ endpoint the RPC server binds"},
    CM_DATABASE_VARS(&s_cfg.database_url, &s_cfg.db_wait_ms),
    {"SOURCE_SECURITY_KEY", CM_CFG_SECRET, NULL, &s_cfg.source_key, 43, DISC_CRYPT_KEY_B64_MAX,
     NULL,
     "base64 of exactly 32 random bytes: the keys that encrypt the sources' info-hashes, "
     "magnets and .torrent files (losing it loses them)"},
};

static const struct cm_daemon s_daemon = {
    .name = "source-discovery",
    .summary = "Marquee source-discovery daemon: catalog, providers, encrypted sources.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static const struct cm_proto *const s_protos[] = {&discovery_proto, NULL};

static struct disc s_disc;

static int s_setup(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(argv);
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "source-discovery takes no command; try --help");
        return -1;
    }
    char err[CM_ERR_LEN];
    s_disc.base = ctx->base;
    s_disc.pg = ctx->pg;
    s_disc.rpc = ctx->rpc;
    if (!(s_disc.crypt = disc_crypt_new(s_cfg.source_key, err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    disc_api_register(&s_disc);
    return 0;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(ctx);
    CM_UNUSED(arg);
    disc_crypt_destroy(&s_disc.crypt);
}

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .daemon = &s_daemon,
        .bind = &s_cfg.bind,
        .protos = s_protos,
        .max_msg = CM_POOL_MSG_MAX, /* SOURCE_ADD and SOURCE_SET_TORRENT carry .torrent files */
        .database_url = &s_cfg.database_url,
        .db_wait_ms = &s_cfg.db_wait_ms,
        .migrations = source_discovery_migrations,
        .nmigrations = &source_discovery_migrations_count,
        .health = {.service = "discovery"},
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
