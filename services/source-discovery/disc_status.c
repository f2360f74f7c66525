/* SPDX-License-Identifier: MIT
 * disc_status: STATUS (GET /api/status): the VPN gate, each provider's state and counters,
 * and the backlog (movies due for a search, sources still without their .torrent). */
#include "disc.h"
#include "disc_provider.h"
#include "disc_search.h"
#include "disc_vpn.h"
#include "discovery_msg.h"

struct status_op {
    struct disc *d;
    cm_defer_t *defer;
};

static const char s_sql_backlog[] =
    "SELECT (SELECT count(*) FROM movies WHERE next_search_at <= now()), "
    "(SELECT count(*) FROM sources WHERE torrent_enc IS NULL)";

static void s_on_backlog(int status, const PGresult *res, void *arg)
{
    struct status_op *op = arg;
    struct disc *d = op->d;
    struct discovery_status_ok *m = cm_calloc(1, sizeof(*m));
    if (d->vpn) {
        snprintf(m->vpn_check, sizeof(m->vpn_check), "%s", disc_vpn_check(d->vpn));
        m->vpn_up = disc_vpn_up(d->vpn);
        snprintf(m->vpn_reason, sizeof(m->vpn_reason), "%s", disc_vpn_reason(d->vpn));
        m->vpn_checked_ms = disc_vpn_checked_ms(d->vpn);
    } else {
        snprintf(m->vpn_check, sizeof(m->vpn_check), "off");
        m->vpn_up = true;
    }
    for (size_t i = 0; i < d->nproviders && i < DISC_PROVIDERS_MAX; i++) {
        struct disc_provider_stats st;
        disc_provider_stats(d->providers[i], &st);
        snprintf(m->provider_names[i], sizeof(m->provider_names[i]), "%s",
                 disc_provider_name(d->providers[i]));
        snprintf(m->provider_states[i], sizeof(m->provider_states[i]), "%s",
                 disc_prov_state_name(st.state));
        snprintf(m->provider_reasons[i], sizeof(m->provider_reasons[i]), "%s",
                 st.paused ? "paused: the VPN is down" : st.why);
        m->provider_requests[i] = st.requests;
        m->provider_errors[i] = st.errors;
    }
    uint32_t n = (uint32_t)CM_MIN(d->nproviders, (size_t)DISC_PROVIDERS_MAX);
    m->provider_names_count = m->provider_states_count = m->provider_reasons_count = n;
    m->provider_requests_count = m->provider_errors_count = n;
    m->searches_running = disc_search_count(d);
    if (status == CM_OK && PQntuples(res) == 1) {
        m->movies_due = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        m->torrents_pending = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    }
    cm_buf_t *body = cm_buf_new(64 * 1024);
    if (discovery_status_ok_encode(m, body) == 0)
        cm_defer_reply(&op->defer, DISCOVERY_PROTO, DISCOVERY_MSG_STATUS_OK, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode STATUS_OK");
    cm_buf_destroy(&body);
    cm_free(m);
    cm_free(op);
}

static void s_on_status(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct status_op *op = cm_calloc(1, sizeof(*op));
    op->d = arg;
    op->defer = cm_rpc_defer(rpc, msg);
    /* a short deadline: the status must answer even when the database does not */
    cm_pg_query(op->d->pg, s_sql_backlog, 0, NULL, 2000, s_on_backlog, op);
}

void disc_status_register(struct disc *d)
{
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_STATUS, s_on_status, d);
}
