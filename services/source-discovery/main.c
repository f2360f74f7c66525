/* SPDX-License-Identifier: MIT
 * source-discovery: the movie catalog, providers, source search and scoring, the encrypted
 * source store, .torrent retrieval and seeder stats through the pool, the VPN gate. This file
 * only wires: configuration, migrations, the RPC server (cm_service). */
#include "cm.h"
#include "cm_service.h"
#include "discovery_msg.h"

extern const struct cm_migration source_discovery_migrations[];
extern const size_t source_discovery_migrations_count;

static struct {
    char *bind;         /* DISCOVERY_BIND */
    char *database_url; /* DATABASE_URL */
    int64_t db_wait_ms; /* DB_WAIT */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    {"DISCOVERY_BIND", CM_CFG_ENDPOINT, "tcp://*:5552", &s_cfg.bind, 0, 0, NULL,
     "ZeroMQ endpoint the RPC server binds"},
    CM_DATABASE_VARS(&s_cfg.database_url, &s_cfg.db_wait_ms),
};

static const struct cm_daemon s_daemon = {
    .name = "source-discovery",
    .summary = "Marquee source-discovery daemon: catalog, providers, encrypted sources.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static const struct cm_proto *const s_protos[] = {&discovery_proto, NULL};

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .daemon = &s_daemon,
        .bind = &s_cfg.bind,
        .protos = s_protos,
        .database_url = &s_cfg.database_url,
        .db_wait_ms = &s_cfg.db_wait_ms,
        .migrations = source_discovery_migrations,
        .nmigrations = &source_discovery_migrations_count,
        .health = {.service = "discovery"},
    };
    return cm_service_main(&svc, argc, argv);
}
