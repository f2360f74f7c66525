/* SPDX-License-Identifier: MIT
 * cm_migrate: the migrations runner. A service owns its tables; its SQL lives in
 * services/<svc>/sql/NNN_name.sql, and the build embeds those files into the binary
 * (scripts/embed-sql.py -> <svc>_migrations[]), so a daemon needs no files at run time.
 * Each migration runs in its own transaction and is recorded in schema_migrations
 * (service, version, name, checksum, applied_at), under a PostgreSQL advisory lock so that
 * several replicas can start at once. */
#ifndef CM_MIGRATE_H
#define CM_MIGRATE_H
#include <stddef.h>

struct cm_migration {
    int version;      /* NNN of the file name; strictly increasing */
    const char *name; /* the rest of the file name, without .sql */
    const char *sql;  /* the file's text (constant, from the build) */
};

/* Apply the pending migrations of `service` (borrowed array of `n`, sorted by version) to the
 * database at `conninfo`. Blocking: call it before the event loop starts. Waits up to
 * `wait_ms` for the database to accept connections (logging while it waits). Refuses to run
 * when an applied migration's checksum differs from the embedded file's.
 * Returns the number applied (>= 0), or -1 with one line in `err`. */
int cm_migrate_run(const char *conninfo, const char *service, const struct cm_migration *m,
                   size_t n, int wait_ms, char *err, size_t errlen);

#endif
