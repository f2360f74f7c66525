/* SPDX-License-Identifier: MIT
 * Tests of disc_vpn's pure parts and of the gate without an endpoint: an interface's state
 * (lo is up and running, a missing one is not an interface, bad names), the dotted boolean
 * in a JSON answer (nested, false, absent, not a boolean, not JSON, over the cap), and the
 * gate's first state for each configuration (disabled, nothing, lo, a missing interface). */
#include "cm.h"
#include "disc_vpn.h"
#include "../../tap.h"

static int s_changes;

static void s_on_change(void *arg, bool up, const char *reason)
{
    CM_UNUSED(arg);
    CM_UNUSED(up);
    CM_UNUSED(reason);
    s_changes++;
}

static void test_iface(void)
{
    is_int(disc_vpn_iface_up("lo"), 1, "lo is up and running");
    is_int(disc_vpn_iface_up("mqnosuch0"), -1, "a missing interface is no interface");
    is_int(disc_vpn_iface_up(""), -1, "an empty name");
    is_int(disc_vpn_iface_up(NULL), -1, "NULL");
    is_int(disc_vpn_iface_up("a-name-longer-than-ifnamsiz"), -1, "a name past IFNAMSIZ");
}

static void test_json(void)
{
    static const struct {
        const char *body, *path;
        int want;
        const char *name;
    } cases[] = {
        {"{\"connected\":true}", "connected", 1, "top-level true"},
        {"{\"connected\":false}", "connected", 0, "top-level false"},
        {"{\"vpn\":{\"connected\":true}}", "vpn.connected", 1, "nested true"},
        {"{\"vpn\":{\"connected\":false}}", "vpn.connected", 0, "nested false"},
        {"{\"vpn\":{\"connected\":1}}", "vpn.connected", -1, "a number is not a boolean"},
        {"{\"vpn\":{\"connected\":\"true\"}}", "vpn.connected", -1, "a string is not a boolean"},
        {"{\"vpn\":true}", "vpn.connected", -1, "a boolean where an object is expected"},
        {"{\"other\":true}", "connected", -1, "absent"},
        {"[true]", "connected", -1, "not an object"},
        {"<html>down</html>", "connected", -1, "not JSON"},
        {"{\"connected\":true,\"connected\":false}", "connected", -1, "duplicate keys"},
        {"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":true}}}}}}}}}",
         "a.b.c.d.e.f.g.h.i", -1, "a path deeper than the cap"},
        {"{\"connected\":true}", "", -1, "an empty path"},
        {"{\"connected\":true}", "connected.", -1, "a trailing dot"},
        {"{\"protected\":true,\"ip\":\"10.0.0.1\"}", "protected", 1, "NordVPN-like"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(cases); i++)
        is_int(disc_vpn_json_bool(cases[i].body, strlen(cases[i].body), cases[i].path),
               cases[i].want, cases[i].name);
    char *big = cm_malloc(DISC_VPN_BODY_MAX + 2);
    memset(big, ' ', DISC_VPN_BODY_MAX + 1);
    memcpy(big, "{\"connected\":true}", 18);
    is_int(disc_vpn_json_bool(big, DISC_VPN_BODY_MAX + 1, "connected"), -1, "over the cap");
    cm_free(big);
    is_int(disc_vpn_json_bool(NULL, 0, "connected"), -1, "no body");
}

static void test_gate(void)
{
    struct event_base *base = event_base_new();
    char err[256];
    struct {
        struct disc_vpn_opts o;
        bool up;
        const char *check;
        const char *name;
    } cases[] = {
        {{.disabled = true, .interfaces = "mqnosuch0"}, true, "off", "disabled: open"},
        {{.interfaces = ""}, true, "none", "nothing configured: open"},
        {{.interfaces = "mqnosuch0, lo"}, true, "interface", "lo in the list: open"},
        {{.interfaces = "mqnosuch0,mqnosuch1"}, false, "interface", "no such interface: closed"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(cases); i++) {
        s_changes = 0;
        disc_vpn_t *v = disc_vpn_new(base, NULL, &cases[i].o, s_on_change, NULL, err, sizeof(err));
        ok(v != NULL, cases[i].name);
        if (!v)
            continue;
        ok(disc_vpn_up(v) == cases[i].up, cases[i].name);
        is_str(disc_vpn_check(v), cases[i].check, cases[i].name);
        ok(disc_vpn_reason(v)[0] != '\0', "a reason is given");
        is_int(s_changes, 0, "the first state comes without a callback");
        disc_vpn_destroy(&v);
        ok(v == NULL, "destroyed");
    }
    struct disc_vpn_opts bad = {.interfaces = "a,b,c,d,e,f,g,h,i"};
    ok(disc_vpn_new(base, NULL, &bad, NULL, NULL, err, sizeof(err)) == NULL && err[0],
       "more than 8 interfaces refused");
    struct disc_vpn_opts bad2 = {.url = "ftp://x/"};
    ok(disc_vpn_new(base, NULL, &bad2, NULL, NULL, err, sizeof(err)) == NULL && err[0],
       "a URL that is not http(s) refused");
    struct disc_vpn_opts bad3 = {.url = "http://127.0.0.1:1/"};
    ok(disc_vpn_new(base, NULL, &bad3, NULL, NULL, err, sizeof(err)) == NULL && err[0],
       "a URL without the HTTP client refused");
    event_base_free(base);
}

int main(void)
{
    test_iface();
    test_json();
    test_gate();
    return done_testing();
}
