/* SPDX-License-Identifier: MIT
 * auth: users, password hashes, sessions and refresh tokens, stream keys, roles and the audit
 * log sink. This file only wires: configuration, migrations, the RPC server (cm_service). */
#include "cm.h"
#include "cm_service.h"
#include "auth_msg.h"

extern const struct cm_migration auth_migrations[];
extern const size_t auth_migrations_count;

static struct {
    char *bind;         /* AUTH_BIND */
    char *database_url; /* DATABASE_URL */
    int64_t db_wait_ms; /* DB_WAIT */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    {"AUTH_BIND", CM_CFG_ENDPOINT, "tcp://*:5551", &s_cfg.bind, 0, 0, NULL,
     "ZeroMQ endpoint the RPC server binds"},
    CM_DATABASE_VARS(&s_cfg.database_url, &s_cfg.db_wait_ms),
};

static const struct cm_daemon s_daemon = {
    .name = "auth",
    .summary = "Marquee auth daemon: users, sessions, tokens, stream keys and the audit log.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static const struct cm_proto *const s_protos[] = {&auth_proto, NULL};

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .daemon = &s_daemon,
        .bind = &s_cfg.bind,
        .protos = s_protos,
        .database_url = &s_cfg.database_url,
        .db_wait_ms = &s_cfg.db_wait_ms,
        .migrations = auth_migrations,
        .nmigrations = &auth_migrations_count,
    };
    return cm_service_main(&svc, argc, argv);
}
