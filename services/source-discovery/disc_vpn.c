/* SPDX-License-Identifier: MIT
 * disc_vpn: the VPN gate (see disc_vpn.h). */
#include <jansson.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "disc_vpn.h"

struct disc_vpn {
    struct event_base *base;
    disc_http_t *http; /* borrowed */
    struct disc_vpn_opts o;
    char ifaces[DISC_VPN_IFACES_MAX][IFNAMSIZ];
    size_t nifaces;
    char *url, *field;
    disc_vpn_change_fn *cb;
    void *arg;
    struct event *timer;
    int64_t http_id;    /* the endpoint check in flight, -1 none */
    int iface_ok;       /* -1 unknown, 0 down, 1 up */
    int endpoint_ok;    /* -1 unknown, 0 down, 1 up */
    bool up;            /* the gate as last reported */
    bool reported;      /* the first state was reported */
    int64_t checked_ms; /* wall clock */
    char iface_why[DISC_VPN_REASON_MAX / 2];
    char endpoint_why[DISC_VPN_REASON_MAX / 2];
    char reason[DISC_VPN_REASON_MAX + 8];
};

int disc_vpn_iface_up(const char *name)
{
    if (!name || !name[0] || strlen(name) >= IFNAMSIZ)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name, strlen(name));
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    close(fd);
    if (rc < 0)
        return -1;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING) ? 1 : 0;
}

int disc_vpn_json_bool(const char *body, size_t len, const char *path)
{
    if (!body || len == 0 || len > DISC_VPN_BODY_MAX || !path || !path[0] ||
        path[strlen(path) - 1] == '.' || strstr(path, ".."))
        return -1;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return -1;
    json_t *v = root;
    const char *p = path;
    for (int depth = 0; v && *p && depth < DISC_VPN_FIELD_DEPTH_MAX; depth++) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char key[128];
        if (n == 0 || n >= sizeof(key) || !json_is_object(v)) {
            v = NULL;
            break;
        }
        memcpy(key, p, n);
        key[n] = '\0';
        v = json_object_get(v, key);
        p += n + (dot ? 1 : 0);
    }
    int rc = v && !*p && json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : -1;
    json_decref(root);
    return rc;
}

/* Set the gate from what the checks know; report a change. */
static void s_settle(disc_vpn_t *self)
{
    bool need_if = self->nifaces > 0, need_ep = self->url != NULL;
    bool up = (!need_if || self->iface_ok == 1) && (!need_ep || self->endpoint_ok == 1);
    if (need_if && need_ep)
        snprintf(self->reason, sizeof(self->reason), "%s; %s", self->iface_why, self->endpoint_why);
    else
        snprintf(self->reason, sizeof(self->reason), "%s",
                 need_if ? self->iface_why : self->endpoint_why);
    self->checked_ms = (int64_t)cm_now_ms();
    if (self->reported && up == self->up)
        return;
    self->up = up;
    self->reported = true;
    if (up)
        cm_log_n("vpn", 0, "the VPN is up (%s): provider traffic flows", self->reason);
    else
        cm_log_w("vpn", 0,
                 "the VPN is down (%s): provider requests, .torrent fetches and "
                 "scrapes pause",
                 self->reason);
    if (self->cb)
        self->cb(self->arg, up, self->reason);
}

static void s_check_ifaces(disc_vpn_t *self)
{
    for (size_t i = 0; i < self->nifaces; i++) {
        if (disc_vpn_iface_up(self->ifaces[i]) == 1) {
            self->iface_ok = 1;
            snprintf(self->iface_why, sizeof(self->iface_why), "%s is up", self->ifaces[i]);
            return;
        }
    }
    self->iface_ok = 0;
    snprintf(self->iface_why, sizeof(self->iface_why), "no interface of %s is up",
             self->o.interfaces);
}

static void s_on_endpoint(void *arg, const struct disc_http_result *res)
{
    disc_vpn_t *self = arg;
    self->http_id = -1;
    int v = -1;
    if (res->status == 200)
        v = disc_vpn_json_bool(res->body, res->len, self->field);
    self->endpoint_ok = v == 1;
    if (v == 1)
        snprintf(self->endpoint_why, sizeof(self->endpoint_why), "the endpoint says %s is true",
                 self->field);
    else if (v == 0)
        snprintf(self->endpoint_why, sizeof(self->endpoint_why), "the endpoint says %s is false",
                 self->field);
    else if (res->status == 200)
        snprintf(self->endpoint_why, sizeof(self->endpoint_why),
                 "the endpoint's answer has no boolean %s", self->field);
    else if (res->status > 0)
        snprintf(self->endpoint_why, sizeof(self->endpoint_why), "the endpoint answered HTTP %ld",
                 res->status);
    else
        snprintf(self->endpoint_why, sizeof(self->endpoint_why), "the endpoint: %.60s",
                 res->error[0] ? res->error : "no answer");
    s_settle(self);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    disc_vpn_t *self = arg;
    if (self->nifaces) {
        s_check_ifaces(self);
        s_settle(self);
    }
    if (self->url && self->http_id < 0) {
        self->http_id = disc_http_get(self->http, self->url, self->o.timeout_ms, DISC_VPN_BODY_MAX,
                                      s_on_endpoint, self);
        if (self->http_id < 0) {
            self->endpoint_ok = 0;
            snprintf(self->endpoint_why, sizeof(self->endpoint_why),
                     "the endpoint could not be asked");
            s_settle(self);
        }
    }
}

disc_vpn_t *disc_vpn_new(struct event_base *base, disc_http_t *http,
                         const struct disc_vpn_opts *opts, disc_vpn_change_fn *cb, void *arg,
                         char *err, size_t errlen)
{
    disc_vpn_t *self = cm_calloc(1, sizeof(*self));
    self->base = base;
    self->http = http;
    self->o = *opts;
    self->cb = cb;
    self->arg = arg;
    self->http_id = -1;
    self->iface_ok = self->endpoint_ok = -1;
    if (self->o.interval_ms <= 0)
        self->o.interval_ms = 5000;
    if (self->o.timeout_ms <= 0 || self->o.timeout_ms > self->o.interval_ms)
        self->o.timeout_ms = self->o.interval_ms;
    const char *list = opts->interfaces ? opts->interfaces : "";
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && (*p == ' ')) {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            if (n >= IFNAMSIZ || self->nifaces >= DISC_VPN_IFACES_MAX) {
                snprintf(err, errlen,
                         "VPN_INTERFACES: at most %d names of at most %d characters each",
                         DISC_VPN_IFACES_MAX, IFNAMSIZ - 1);
                cm_free(self);
                return NULL;
            }
            memcpy(self->ifaces[self->nifaces], p, n);
            self->ifaces[self->nifaces++][n] = '\0';
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    if (opts->url && opts->url[0]) {
        if (strncmp(opts->url, "http://", 7) != 0 && strncmp(opts->url, "https://", 8) != 0) {
            snprintf(err, errlen, "VPN_CHECK_URL must be an http:// or https:// URL");
            cm_free(self);
            return NULL;
        }
        if (!http) {
            snprintf(err, errlen, "VPN_CHECK_URL needs the HTTP client");
            cm_free(self);
            return NULL;
        }
        self->url = cm_strdup(opts->url);
        self->field = cm_strdup(opts->field && opts->field[0] ? opts->field : "connected");
    }
    if (opts->disabled || (!self->nifaces && !self->url)) {
        self->nifaces = 0;
        cm_free(self->url);
        cm_free(self->field);
        self->url = self->field = NULL;
        self->up = self->reported = true;
        snprintf(self->reason, sizeof(self->reason), "%s",
                 opts->disabled ? "the check is disabled (DISABLE_VPN_CHECK)"
                                : "no check is configured (VPN_INTERFACES, VPN_CHECK_URL)");
        return self;
    }
    snprintf(self->iface_why, sizeof(self->iface_why), "interfaces not checked yet");
    snprintf(self->endpoint_why, sizeof(self->endpoint_why), "the endpoint has not answered yet");
    self->timer = event_new(base, -1, EV_PERSIST, s_on_timer, self);
    struct timeval tv = cm_tv_ms(self->o.interval_ms);
    event_add(self->timer, &tv);
    /* the first state is known when this returns (disc_vpn_up), without a callback */
    if (self->nifaces)
        s_check_ifaces(self);
    self->cb = NULL;
    s_settle(self);
    self->cb = cb;
    if (self->url)
        event_active(self->timer, EV_TIMEOUT, 0);
    return self;
}

void disc_vpn_destroy(disc_vpn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    disc_vpn_t *self = *self_p;
    *self_p = NULL;
    if (self->timer)
        event_free(self->timer);
    if (self->http_id >= 0)
        disc_http_cancel(self->http, self->http_id);
    cm_free(self->url);
    cm_free(self->field);
    cm_free(self);
}

bool disc_vpn_up(const disc_vpn_t *self)
{
    return self->up;
}

const char *disc_vpn_check(const disc_vpn_t *self)
{
    if (self->o.disabled)
        return "off";
    if (self->nifaces && self->url)
        return "both";
    return self->nifaces ? "interface" : self->url ? "endpoint" : "none";
}

const char *disc_vpn_reason(const disc_vpn_t *self)
{
    return self->reason;
}

int64_t disc_vpn_checked_ms(const disc_vpn_t *self)
{
    return self->checked_ms;
}
