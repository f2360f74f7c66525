/* SPDX-License-Identifier: MIT
 * gw_health: fan-out of HEALTH to the daemons, fan-in into one JSON answer. */
#include "gw_health.h"
#include "common_msg.h"
#include "cm_json.h"

enum { UPSTREAMS = 3 };

static const char *const s_names[UPSTREAMS] = {"auth", "discovery", "stream"};

/* What one daemon answered. */
struct result {
    int status;                 /* CM_OK or why it is down */
    double ms;                  /* round trip */
    struct common_health_ok ok; /* its answer when status is CM_OK */
};

/* One health check in progress. */
struct check {
    int pending;                  /* answers still expected */
    uint64_t started_us;          /* when the calls went out */
    struct result res[UPSTREAMS]; /* one per daemon */
    gw_health_done_fn *done;      /* completion */
    void *arg;                    /* its argument */
};

/* The argument of one HEALTH call. */
struct slot {
    struct check *check; /* the check it belongs to */
    int index;           /* which daemon */
};

static double s_round3(double v)
{
    return (double)(int64_t)(v * 1000.0 + 0.5) / 1000.0;
}

static void s_finish(struct check *c)
{
    json_t *services = json_object();
    bool ok = true;
    uint32_t workers = 0;
    for (int i = 0; i < UPSTREAMS; i++) {
        const struct result *r = &c->res[i];
        json_t *o = json_object();
        bool up = r->status == CM_OK;
        json_object_set_new(o, "up", json_boolean(up));
        if (up) {
            json_object_set_new(o, "ms", json_real(s_round3(r->ms)));
            json_object_set_new(o, "version", json_string(r->ok.version));
            if (r->ok.db) {
                json_object_set_new(o, "db", json_string(r->ok.db == 1 ? "up" : "down"));
                if (r->ok.db == 1)
                    json_object_set_new(o, "dbMs", json_real(s_round3(r->ok.db_us / 1000.0)));
                else
                    ok = false;
            }
            if (r->ok.detail[0])
                json_object_set_new(o, "detail", json_string(r->ok.detail));
            if (i == 2)
                workers = r->ok.workers;
        } else {
            json_object_set_new(o, "error", json_string(cm_status_code(r->status)));
            ok = false;
        }
        json_object_set_new(services, s_names[i], o);
    }
    json_t *w = json_object();
    json_object_set_new(w, "up", json_integer(workers));
    json_object_set_new(services, "workers", w);
    if (workers == 0)
        ok = false; /* nothing can stream */

    json_t *root = json_object();
    json_object_set_new(root, "status", json_string(ok ? "ok" : "degraded"));
    json_object_set_new(root, "services", services);
    c->done(ok ? 200 : 503, cm_json_take_dump(root, NULL), c->arg);
    cm_free(c);
}

static void s_on_reply(int status, const cm_msg_t *reply, void *arg)
{
    struct slot *s = arg;
    struct check *c = s->check;
    struct result *r = &c->res[s->index];
    r->ms = (double)(cm_mono_us() - c->started_us) / 1000.0;
    r->status = status;
    if (status == CM_OK &&
        (reply->hdr.proto != COMMON_PROTO || reply->hdr.msg != COMMON_MSG_HEALTH_OK ||
         common_health_ok_decode(&r->ok, reply->body.data, reply->body.len) < 0))
        r->status = CM_ERR_MALFORMED;
    cm_free(s);
    if (--c->pending == 0)
        s_finish(c);
}

void gw_health_check(const struct gw_upstreams *u, uint64_t rid, gw_health_done_fn *done, void *arg)
{
    cm_rpc_t *rpcs[UPSTREAMS] = {u->auth, u->discovery, u->stream};
    struct check *c = cm_calloc(1, sizeof(*c));
    c->pending = UPSTREAMS;
    c->done = done;
    c->arg = arg;
    c->started_us = cm_mono_us();
    for (int i = 0; i < UPSTREAMS; i++) {
        struct slot *s = cm_calloc(1, sizeof(*s));
        s->check = c;
        s->index = i;
        cm_rpc_call(rpcs[i], NULL, COMMON_PROTO, COMMON_MSG_HEALTH, rid, NULL, NULL,
                    u->health_timeout_ms, s_on_reply, s);
    }
}
