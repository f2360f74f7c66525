/* SPDX-License-Identifier: MIT
 * cm: the umbrella header of common/ (libcm.a). Every file of the suite includes it first.
 * It brings the core modules, which need only libc, libevent and msgpack-c. The modules that
 * pull in a heavier library's headers are included by name where they are used, so that
 * libpq, libzmq and jansson stay out of files that do not touch them:
 *   cm_zsock.h, cm_rpc.h (libzmq), cm_pg.h, cm_health.h, cm_service.h (libpq),
 *   cm_json.h (jansson), cm_migrate.h, cm_daemon.h. */
#ifndef CM_H
#define CM_H

#include "cm_prelude.h"
#include "cm_limits.h"
#include "cm_status.h"
#include "cm_mem.h"
#include "cm_time.h"
#include "cm_buf.h"
#include "cm_utf8.h"
#include "cm_log.h"
#include "cm_config.h"
#include "cm_mp.h"
#include "cm_proto.h"
#include "cm_http_parse.h"
#include "cm_http.h"

#endif
