/* SPDX-License-Identifier: MIT
 * disc_vpn: the VPN gate. Provider requests, .torrent fetches and scrapes may leave this
 * machine only while the VPN is up. Every `interval_ms` (5 s) it checks what is configured:
 *  - interfaces ("wg0,tun0"): up when any of them exists with IFF_UP and IFF_RUNNING (ioctl
 *    SIOCGIFFLAGS, so it sees the daemon's own network namespace);
 *  - an HTTP endpoint answering a JSON object whose member `field` (a dotted path, e.g.
 *    "protected" or "vpn.connected") is true.
 * With both configured both must hold. Disabled (DISABLE_VPN_CHECK=true) or with nothing
 * configured the gate is always open. Until the first check has answered, a configured gate is
 * closed (fail closed). Changes are reported through the callback, on the loop. */
#ifndef DISC_VPN_H
#define DISC_VPN_H
#include "cm.h"
#include "disc_http.h"

enum {
    DISC_VPN_IFACES_MAX = 8,     /* interfaces in the list */
    DISC_VPN_BODY_MAX = 65536,   /* bytes of the endpoint's answer */
    DISC_VPN_REASON_MAX = 200,   /* bytes of the reason sentence */
    DISC_VPN_FIELD_DEPTH_MAX = 8 /* components of the dotted field */
};

typedef struct disc_vpn disc_vpn_t;

struct disc_vpn_opts {
    bool disabled;          /* DISABLE_VPN_CHECK */
    const char *interfaces; /* VPN_INTERFACES: comma-separated names, "" none */
    const char *url;        /* VPN_CHECK_URL: "" none */
    const char *field;      /* VPN_CHECK_FIELD: dotted path of the boolean, default "connected" */
    int interval_ms;        /* VPN_CHECK_INTERVAL */
    int timeout_ms;         /* the endpoint's deadline (at most interval_ms) */
};

/* Called when the gate opens (up) or closes. */
typedef void(disc_vpn_change_fn)(void *arg, bool up, const char *reason);

/* Start checking (the first check of the interfaces happens here, the endpoint's right after).
 * `http` is borrowed (NULL when no url). Caller owns the result. NULL with `err` when the
 * configuration is wrong (bad interface name, bad url). */
disc_vpn_t *disc_vpn_new(struct event_base *base, disc_http_t *http,
                         const struct disc_vpn_opts *opts, disc_vpn_change_fn *cb, void *arg,
                         char *err, size_t errlen);
void disc_vpn_destroy(disc_vpn_t **self_p);

/* Traffic may flow. */
bool disc_vpn_up(const disc_vpn_t *self);
/* "off" (disabled), "none" (nothing configured), "interface", "endpoint" or "both". */
const char *disc_vpn_check(const disc_vpn_t *self);
/* Why the gate is as it is: "wg0 is up", "no interface of wg0,tun0 is up", ... */
const char *disc_vpn_reason(const disc_vpn_t *self);
/* Wall-clock ms of the last completed check, 0 before. */
int64_t disc_vpn_checked_ms(const disc_vpn_t *self);

/* Is interface `name` up and running in this network namespace? (-1: no such interface) */
int disc_vpn_iface_up(const char *name);
/* Read a boolean at dotted `path` in JSON `body`: 1 true, 0 false, -1 absent or not a
 * boolean or not JSON. */
int disc_vpn_json_bool(const char *body, size_t len, const char *path);

#endif
