/* SPDX-License-Identifier: MIT
 * Tests of cm_config: every parse helper (junk, units, overflow, host:port, endpoints), then
 * cm_config_load with tables: defaults, environment overrides, required variables, one-line
 * errors naming the variable and the allowed values, secrets never shown, bounds, enums;
 * cm_config_free and cm_config_help. Variables are prefixed CMT_ to stay out of the way. */
#include "cm.h"
#include "../../tap.h"

enum {
    ERR_MAX = 512, /* error line buffer of the load tests */
    HELP_MAX = 16384,
};

/* --- parse helpers --- */

static void s_int_is(const char *s, int64_t want, const char *name)
{
    int64_t v = -12345;
    int rc = cm_config_parse_int(s, &v);
    ok(rc == 0 && v == want, name);
    if (rc != 0 || v != want)
        diag("'%s': rc %d, value %" PRId64 ", want %" PRId64, s, rc, v, want);
}

static void s_int_bad(const char *s, const char *name)
{
    int64_t v = -12345;
    is_int(cm_config_parse_int(s, &v), -1, name);
}

static void test_parse_int(void)
{
    s_int_is("0", 0, "int 0");
    s_int_is("42", 42, "int 42");
    s_int_is("-5", -5, "int -5");
    s_int_is("007", 7, "int with leading zeros is decimal");
    s_int_is("9223372036854775807", INT64_MAX, "int INT64_MAX");
    s_int_is("-9223372036854775808", INT64_MIN, "int INT64_MIN");
    s_int_bad("9223372036854775808", "int INT64_MAX+1 overflows");
    s_int_bad("-9223372036854775809", "int INT64_MIN-1 overflows");
    s_int_bad("99999999999999999999999", "int far overflow");
    s_int_bad("", "int empty rejected");
    s_int_bad(NULL, "int NULL rejected");
    s_int_bad("abc", "int letters rejected");
    s_int_bad("12abc", "int trailing junk rejected");
    s_int_bad("12 ", "int trailing space rejected");
    s_int_bad("1.5", "int decimal point rejected");
    s_int_bad("0x10", "int hex rejected");
    s_int_bad("1e3", "int exponent rejected");
    s_int_bad("-", "int lone minus rejected");
    /* Leading blanks are junk just like trailing ones (and parse_ms/parse_bytes reject them). */
    s_int_bad(" 12", "int leading space rejected");
    s_int_bad("\t12", "int leading tab rejected");
}

static void test_parse_bool(void)
{
    static const struct {
        const char *s;
        bool v;
    } good[] = {{"true", true}, {"false", false}, {"1", true},    {"0", false},   {"yes", true},
                {"no", false},  {"on", true},     {"off", false}, {"TRUE", true}, {"False", false},
                {"YES", true},  {"No", false},    {"oN", true},   {"OFF", false}};
    for (size_t i = 0; i < CM_ARRAY_LEN(good); i++) {
        bool v = !good[i].v;
        char name[64];
        snprintf(name, sizeof(name), "bool '%s' is %s", good[i].s, good[i].v ? "true" : "false");
        ok(cm_config_parse_bool(good[i].s, &v) == 0 && v == good[i].v, name);
    }
    static const char *bad[] = {"",      "2",     "y",     "n",       "t",  "f",
                                "truee", " true", "true ", "enabled", "-1", "yesno"};
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        bool v = false;
        char name[64];
        snprintf(name, sizeof(name), "bool '%s' rejected", bad[i]);
        is_int(cm_config_parse_bool(bad[i], &v), -1, name);
    }
}

static void s_ms_is(const char *s, int64_t want)
{
    int64_t v = -1;
    char name[96];
    snprintf(name, sizeof(name), "ms '%s' = %" PRId64, s, want);
    int rc = cm_config_parse_ms(s, &v);
    ok(rc == 0 && v == want, name);
    if (rc != 0 || v != want)
        diag("rc %d, value %" PRId64, rc, v);
}

static void s_ms_bad(const char *s)
{
    int64_t v = -1;
    char name[96];
    snprintf(name, sizeof(name), "ms '%s' rejected", s);
    is_int(cm_config_parse_ms(s, &v), -1, name);
}

static void test_parse_ms(void)
{
    s_ms_is("0", 0);
    s_ms_is("1500", 1500);
    s_ms_is("1500ms", 1500);
    s_ms_is("2s", 2000);
    s_ms_is("5m", 300000);
    s_ms_is("1h", 3600000);
    s_ms_is("1d", 86400000);
    s_ms_is("2S", 2000);
    s_ms_is("250MS", 250);
    s_ms_is("9223372036854775807", INT64_MAX);
    s_ms_is("9223372036854775807ms", INT64_MAX);
    s_ms_is("9223372036854775s", INT64_C(9223372036854775000));
    s_ms_is("106751991167d", INT64_C(9223372036828800000));
    s_ms_bad("");
    s_ms_bad("ms");
    s_ms_bad("s5");
    s_ms_bad("-1");
    s_ms_bad("-1s");
    s_ms_bad("1.5s");
    s_ms_bad("5x");
    s_ms_bad("5sec");
    s_ms_bad("5 minutes");
    s_ms_bad("1hh");
    s_ms_bad("1w");
    s_ms_bad("1us");
    s_ms_bad(" 5s");
    s_ms_bad("9223372036854775808");
    s_ms_bad("9223372036854776s");
    s_ms_bad("153722867280913m");
    s_ms_bad("2562047788016h");
    s_ms_bad("106751991168d");
    s_ms_bad("18446744073709551616ms");
    s_ms_bad("99999999999999999999999d");
}

static void s_bytes_is(const char *s, int64_t want)
{
    int64_t v = -1;
    char name[96];
    snprintf(name, sizeof(name), "bytes '%s' = %" PRId64, s, want);
    int rc = cm_config_parse_bytes(s, &v);
    ok(rc == 0 && v == want, name);
    if (rc != 0 || v != want)
        diag("rc %d, value %" PRId64, rc, v);
}

static void s_bytes_bad(const char *s)
{
    int64_t v = -1;
    char name[96];
    snprintf(name, sizeof(name), "bytes '%s' rejected", s);
    is_int(cm_config_parse_bytes(s, &v), -1, name);
}

static void test_parse_bytes(void)
{
    s_bytes_is("0", 0);
    s_bytes_is("1048576", 1048576);
    s_bytes_is("100B", 100);
    s_bytes_is("1k", 1024);
    s_bytes_is("512KB", 512 * 1024);
    s_bytes_is("2KiB", 2048);
    s_bytes_is("10MB", 10 * 1024 * 1024);
    s_bytes_is("3mib", 3 * 1024 * 1024);
    s_bytes_is("2GB", INT64_C(2) * 1024 * 1024 * 1024);
    s_bytes_is("1GiB", INT64_C(1073741824));
    s_bytes_is("1TB", INT64_C(1099511627776));
    s_bytes_is("8388607TB", INT64_C(9223370937343148032));
    s_bytes_is("9223372036854775807", INT64_MAX);
    s_bytes_bad("");
    s_bytes_bad("MB");
    s_bytes_bad("abc");
    s_bytes_bad("10XB");
    s_bytes_bad("10MBB");
    s_bytes_bad("1.5MB");
    s_bytes_bad("-1");
    s_bytes_bad("-1MB");
    s_bytes_bad("10 M B");
    s_bytes_bad("1PB");
    s_bytes_bad("0x10");
    s_bytes_bad("8388608TB");
    s_bytes_bad("9223372036854775808");
    s_bytes_bad("9007199254740992KB");
}

static void s_listen_is(const char *s, const char *host, int port)
{
    char h[64] = "unchanged";
    int p = -1;
    char name[96];
    snprintf(name, sizeof(name), "listen '%s' -> host '%s' port %d", s, host, port);
    int rc = cm_config_parse_listen(s, h, sizeof(h), &p);
    ok(rc == 0 && strcmp(h, host) == 0 && p == port, name);
    if (rc != 0 || strcmp(h, host) != 0 || p != port)
        diag("rc %d, host '%s', port %d", rc, h, p);
}

static void s_listen_bad(const char *s, const char *why)
{
    char h[64];
    int p = -1;
    char name[128];
    snprintf(name, sizeof(name), "listen '%s' rejected (%s)", s, why);
    is_int(cm_config_parse_listen(s, h, sizeof(h), &p), -1, name);
}

static void test_parse_listen(void)
{
    s_listen_is("0.0.0.0:8080", "0.0.0.0", 8080);
    s_listen_is("127.0.0.1:80", "127.0.0.1", 80);
    s_listen_is("localhost:443", "localhost", 443);
    s_listen_is("my-host_1.example.com:9000", "my-host_1.example.com", 9000);
    s_listen_is("[::1]:8080", "::1", 8080);
    s_listen_is("[::]:1", "::", 1);
    s_listen_is("[fe80::1:2]:65535", "fe80::1:2", 65535);
    s_listen_is(":8080", "", 8080);
    s_listen_is("127.0.0.1:0", "127.0.0.1", 0);
    s_listen_is(":0", "", 0);
    s_listen_bad("127.0.0.1:65536", "port 65536");
    s_listen_bad("127.0.0.1:99999", "port 99999");
    s_listen_bad("127.0.0.1:-1", "negative port");
    s_listen_bad("127.0.0.1:", "empty port");
    s_listen_bad("127.0.0.1", "no port");
    s_listen_bad("8080", "no colon");
    s_listen_bad("", "empty");
    s_listen_bad("host:80x", "junk after the port");
    s_listen_bad("host:http", "named port");
    s_listen_bad("::1:8080", "bare IPv6 without brackets");
    s_listen_bad("fe80::1:80", "bare IPv6 without brackets");
    s_listen_bad("[::1]", "brackets without a port");
    s_listen_bad("[::1]8080", "no colon after the bracket");
    s_listen_bad("[::1:8080", "unclosed bracket");
    s_listen_bad("bad host:80", "space in host");
    s_listen_bad("a/b:80", "slash in host");
    s_listen_bad("a@b:80", "at sign in host");
    s_listen_bad("*:80", "star in host");
    s_listen_bad("[a b]:80", "space inside brackets");
    s_listen_bad("a:b:80", "two colons without brackets");

    /* hostlen is honoured: host gets at most hostlen-1 bytes. */
    char small[5] = "XXXX";
    int p = -1;
    is_int(cm_config_parse_listen("abcd:80", small, sizeof(small), &p), 0,
           "host of hostlen-1 bytes fits");
    is_str(small, "abcd", "host copied");
    is_int(cm_config_parse_listen("abcde:80", small, sizeof(small), &p), -1,
           "host of hostlen bytes rejected");
}

static void s_ep(const char *s, int want, const char *why)
{
    char name[160];
    snprintf(name, sizeof(name), "endpoint '%s' %s (%s)", s, want == 0 ? "accepted" : "rejected",
             why);
    is_int(cm_config_check_endpoint(s), want, name);
}

static void test_endpoint(void)
{
    s_ep("tcp://*:5551", 0, "wildcard interface");
    s_ep("tcp://127.0.0.1:*", 0, "wildcard port");
    s_ep("tcp://127.0.0.1:5551", 0, "address and port");
    s_ep("tcp://localhost:5551", 0, "name and port");
    s_ep("tcp://auth-svc:65535", 0, "name with dash, port 65535");
    s_ep("tcp://[::1]:5551", 0, "bracketed IPv6");
    s_ep("ipc:///x", 0, "ipc absolute path");
    s_ep("ipc:///run/marquee/auth.sock", 0, "ipc long path");
    s_ep("inproc://x", 0, "inproc");
    s_ep("tcp://host:0", -1, "port 0");
    s_ep("tcp://127.0.0.1:0", -1, "port 0");
    s_ep("tcp://host:65536", -1, "port 65536");
    s_ep("tcp://host:-1", -1, "negative port");
    s_ep("tcp://host", -1, "no port");
    s_ep("tcp://host:", -1, "empty port");
    s_ep("tcp://:5551", -1, "empty host");
    s_ep("tcp://", -1, "nothing after tcp://");
    s_ep("tcp://host:55x", -1, "junk in port");
    s_ep("tcp://bad host:5551", -1, "space in host");
    s_ep("tcp://::1:5551", -1, "bare IPv6");
    s_ep("ipc://", -1, "empty ipc path");
    s_ep("inproc://", -1, "empty inproc name");
    s_ep("", -1, "empty");
    s_ep("junk", -1, "junk");
    s_ep("127.0.0.1:5551", -1, "no scheme");
    s_ep("http://host:80", -1, "http scheme");
    s_ep("udp://host:5551", -1, "udp scheme");
    s_ep("tcp:/host:5551", -1, "one slash");
    /* The wildcard port must not switch off the host check. */
    s_ep("tcp://bad host:*", -1, "space in host with wildcard port");
    s_ep("tcp://a/b:*", -1, "slash in host with wildcard port");
    s_ep("tcp://::1:*", -1, "bare IPv6 with wildcard port");
    /* "*" is a whole host, not a prefix. */
    s_ep("tcp://*foo:5551", -1, "star followed by a name");
    s_ep("tcp://**:5551", -1, "two stars");
}

/* --- cm_config_load --- */

static void s_unset_all(void)
{
    static const char *names[] = {"CMT_STR",    "CMT_SECRET", "CMT_INT",       "CMT_BOOL",
                                  "CMT_MS",     "CMT_BYTES",  "CMT_ENUM",      "CMT_ENDPOINT",
                                  "CMT_LISTEN", "CMT_REQ",    "CMT_REQ_SECRET"};
    for (size_t i = 0; i < CM_ARRAY_LEN(names); i++)
        unsetenv(names[i]);
}

/* One variable of every type, all with defaults. */
struct all {
    char *str, *secret, *endpoint, *listen;
    int64_t i, ms, bytes;
    bool b;
    int e;
};

static void s_all_table(struct all *a, struct cm_cfg_var *t)
{
    memset(a, 0, sizeof(*a));
    a->i = a->ms = a->bytes = -1;
    a->e = -1;
    struct cm_cfg_var vars[] = {
        {"CMT_STR", CM_CFG_STR, "hello", &a->str, 0, 0, NULL, "a string"},
        {"CMT_SECRET", CM_CFG_SECRET, "s3cr3t-default-pw", &a->secret, 0, 64, NULL, "a secret"},
        {"CMT_INT", CM_CFG_INT, "5", &a->i, 1, 10, NULL, "an integer"},
        {"CMT_BOOL", CM_CFG_BOOL, "yes", &a->b, 0, 0, NULL, "a flag"},
        {"CMT_MS", CM_CFG_MS, "2s", &a->ms, 100, 60000, NULL, "a duration"},
        {"CMT_BYTES", CM_CFG_BYTES, "512KB", &a->bytes, 1024, 1 << 30, NULL, "a size"},
        {"CMT_ENUM", CM_CFG_ENUM, "slow", &a->e, 0, 0, "fast|slow|medium", "a mode"},
        {"CMT_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5551", &a->endpoint, 0, 0, NULL,
         "an endpoint"},
        {"CMT_LISTEN", CM_CFG_LISTEN, "0.0.0.0:8080", &a->listen, 0, 0, NULL, "a listener"},
    };
    memcpy(t, vars, sizeof(vars));
}

enum { ALL_N = 9 };

static void test_load_defaults(void)
{
    struct all a;
    struct cm_cfg_var t[ALL_N];
    char err[ERR_MAX] = "";
    s_unset_all();
    s_all_table(&a, t);
    is_int(cm_config_load(t, ALL_N, err, sizeof(err)), 0, "defaults load");
    if (*err)
        diag("err: %s", err);
    is_str(a.str, "hello", "STR default");
    is_str(a.secret, "s3cr3t-default-pw", "SECRET default");
    is_int(a.i, 5, "INT default");
    ok(a.b == true, "BOOL default yes");
    is_int(a.ms, 2000, "MS default 2s");
    is_int(a.bytes, 512 * 1024, "BYTES default 512KB");
    is_int(a.e, 1, "ENUM default slow is index 1");
    is_str(a.endpoint, "tcp://127.0.0.1:5551", "ENDPOINT default");
    is_str(a.listen, "0.0.0.0:8080", "LISTEN default");
    cm_config_free(t, ALL_N);
    ok(!a.str && !a.secret && !a.endpoint && !a.listen, "free sets every string pointer to NULL");
    cm_config_free(t, ALL_N);
    ok(1, "free twice is safe");
}

static void test_load_env(void)
{
    struct all a;
    struct cm_cfg_var t[ALL_N];
    char err[ERR_MAX] = "";
    s_unset_all();
    setenv("CMT_STR", "from env", 1);
    setenv("CMT_SECRET", "env-secret-value", 1);
    setenv("CMT_INT", "10", 1);
    setenv("CMT_BOOL", "OFF", 1);
    setenv("CMT_MS", "1m", 1);
    setenv("CMT_BYTES", "1MB", 1);
    setenv("CMT_ENUM", "MEDIUM", 1);
    setenv("CMT_ENDPOINT", "ipc:///tmp/x.sock", 1);
    setenv("CMT_LISTEN", "[::1]:0", 1);
    s_all_table(&a, t);
    is_int(cm_config_load(t, ALL_N, err, sizeof(err)), 0, "environment loads");
    if (*err)
        diag("err: %s", err);
    is_str(a.str, "from env", "STR from env");
    is_str(a.secret, "env-secret-value", "SECRET from env");
    is_int(a.i, 10, "INT from env (at max)");
    ok(a.b == false, "BOOL from env OFF");
    is_int(a.ms, 60000, "MS from env 1m (at max)");
    is_int(a.bytes, 1024 * 1024, "BYTES from env 1MB");
    is_int(a.e, 2, "ENUM from env MEDIUM: case-insensitive, index 2");
    is_str(a.endpoint, "ipc:///tmp/x.sock", "ENDPOINT from env");
    is_str(a.listen, "[::1]:0", "LISTEN from env");
    cm_config_free(t, ALL_N);
    ok(!a.str && !a.secret && !a.endpoint && !a.listen, "free after env load NULLs pointers");

    /* An empty environment value is a value, not "unset". */
    setenv("CMT_STR", "", 1);
    s_all_table(&a, t);
    is_int(cm_config_load(t, ALL_N, err, sizeof(err)), 0, "empty STR loads (min 0)");
    is_str(a.str, "", "empty STR from env overrides the default");
    cm_config_free(t, ALL_N);
    s_unset_all();
}

static void test_required(void)
{
    char *req = NULL;
    int64_t n = 0;
    struct cm_cfg_var t[] = {
        {"CMT_INT", CM_CFG_INT, "3", &n, 0, 100, NULL, "a number"},
        {"CMT_REQ", CM_CFG_STR, NULL, &req, 0, 0, NULL, "the database URL"},
    };
    char err[ERR_MAX] = "";
    s_unset_all();
    is_int(cm_config_load(t, 2, err, sizeof(err)), -1, "required variable missing fails");
    ok(strstr(err, "CMT_REQ") != NULL, "error names the missing variable");
    ok(strchr(err, '\n') == NULL && *err, "error is one non-empty line");
    diag("err: %s", err);
    ok(req == NULL, "nothing stored for the missing variable");
    cm_config_free(t, 2);

    setenv("CMT_REQ", "postgres://x", 1);
    err[0] = '\0';
    is_int(cm_config_load(t, 2, err, sizeof(err)), 0, "required variable set loads");
    is_str(req, "postgres://x", "required value stored");
    cm_config_free(t, 2);
    ok(req == NULL, "free NULLs the required string");
    s_unset_all();
}

/* Load one variable with `value` in the environment; expect failure and check the error. */
static void s_bad(struct cm_cfg_var *v, const char *value, const char *const *must,
                  const char *name)
{
    char err[ERR_MAX] = "";
    setenv(v->name, value, 1);
    int rc = cm_config_load(v, 1, err, sizeof(err));
    char label[200];
    char shown[64]; /* a TAP name must stay on one line */
    cm_log_escape(shown, sizeof(shown), value, strlen(value));
    snprintf(label, sizeof(label), "%s: '%s' rejected", name, shown);
    is_int(rc, -1, label);
    snprintf(label, sizeof(label), "%s: error names %s", name, v->name);
    ok(strstr(err, v->name) != NULL, label);
    for (const char *const *m = must; m && *m; m++) {
        snprintf(label, sizeof(label), "%s: error mentions '%s'", name, *m);
        ok(strstr(err, *m) != NULL, label);
    }
    snprintf(label, sizeof(label), "%s: error is one line", name);
    ok(*err && strchr(err, '\n') == NULL, label);
    if (rc != -1 || !strstr(err, v->name))
        diag("err: %s", err);
    cm_config_free(v, 1);
    unsetenv(v->name);
}

/* Load one variable with `value`; expect success. */
static int s_good(struct cm_cfg_var *v, const char *value)
{
    char err[ERR_MAX] = "";
    setenv(v->name, value, 1);
    int rc = cm_config_load(v, 1, err, sizeof(err));
    if (rc != 0)
        diag("'%s': %s", value, err);
    unsetenv(v->name);
    return rc;
}

static void test_errors(void)
{
    s_unset_all();
    int64_t i = 0;
    struct cm_cfg_var vi = {"CMT_INT", CM_CFG_INT, "5", &i, 1, 10, NULL, "n"};
    static const char *const int_must[] = {"'abc'", "1", "10", NULL};
    s_bad(&vi, "abc", int_must, "INT junk");
    static const char *const int_lo[] = {"'0'", NULL};
    s_bad(&vi, "0", int_lo, "INT below min");
    static const char *const int_hi[] = {"'11'", NULL};
    s_bad(&vi, "11", int_hi, "INT above max");
    ok(s_good(&vi, "1") == 0 && i == 1, "INT at min accepted");
    ok(s_good(&vi, "10") == 0 && i == 10, "INT at max accepted");

    bool b = false;
    struct cm_cfg_var vb = {"CMT_BOOL", CM_CFG_BOOL, "no", &b, 0, 0, NULL, "flag"};
    static const char *const bool_must[] = {"'maybe'", "true", "false", NULL};
    s_bad(&vb, "maybe", bool_must, "BOOL junk");

    int64_t ms = 0;
    struct cm_cfg_var vm = {"CMT_MS", CM_CFG_MS, "1s", &ms, 100, 60000, NULL, "d"};
    static const char *const ms_must[] = {"'5x'", "100", "60000", NULL};
    s_bad(&vm, "5x", ms_must, "MS bad unit");
    s_bad(&vm, "99ms", NULL, "MS below min");
    s_bad(&vm, "61s", NULL, "MS above max");
    ok(s_good(&vm, "100") == 0 && ms == 100, "MS at min accepted");
    ok(s_good(&vm, "1m") == 0 && ms == 60000, "MS at max (1m) accepted");

    int64_t by = 0;
    struct cm_cfg_var vy = {"CMT_BYTES", CM_CFG_BYTES, "1KB", &by, 1024, 1048576, NULL, "s"};
    static const char *const by_must[] = {"'10XB'", "1024", "1048576", NULL};
    s_bad(&vy, "10XB", by_must, "BYTES junk");
    s_bad(&vy, "1023", NULL, "BYTES below min");
    s_bad(&vy, "2MB", NULL, "BYTES above max");
    ok(s_good(&vy, "1MB") == 0 && by == 1048576, "BYTES at max accepted");

    int e = -1;
    struct cm_cfg_var ve = {"CMT_ENUM", CM_CFG_ENUM, "fast", &e, 0, 0, "fast|slow|medium", "m"};
    static const char *const enum_must[] = {"'turbo'", "fast", "slow", "medium", NULL};
    s_bad(&ve, "turbo", enum_must, "ENUM unknown");
    s_bad(&ve, "fas", NULL, "ENUM prefix");
    s_bad(&ve, "fastx", NULL, "ENUM longer");
    s_bad(&ve, "", NULL, "ENUM empty");
    s_bad(&ve, "fast|slow", NULL, "ENUM two choices");
    ok(s_good(&ve, "Fast") == 0 && e == 0, "ENUM Fast -> 0");
    ok(s_good(&ve, "SLOW") == 0 && e == 1, "ENUM SLOW -> 1");
    ok(s_good(&ve, "medium") == 0 && e == 2, "ENUM medium -> 2 (last)");

    char *s = NULL;
    struct cm_cfg_var vs = {"CMT_STR", CM_CFG_STR, "abc", &s, 2, 4, NULL, "t"};
    static const char *const str_must[] = {"2", "4", NULL};
    s_bad(&vs, "a", str_must, "STR shorter than min");
    s_bad(&vs, "abcde", str_must, "STR longer than max");
    ok(s_good(&vs, "ab") == 0 && s && strcmp(s, "ab") == 0, "STR at min length accepted");
    cm_config_free(&vs, 1);
    ok(s_good(&vs, "abcd") == 0 && s && strcmp(s, "abcd") == 0, "STR at max length accepted");
    cm_config_free(&vs, 1);
    ok(s == NULL, "STR freed");

    /* max 0 means 4096 */
    struct cm_cfg_var vs0 = {"CMT_STR", CM_CFG_STR, "", &s, 0, 0, NULL, "t"};
    char *big = cm_malloc(4098);
    memset(big, 'a', 4097);
    big[4097] = '\0';
    s_bad(&vs0, big, NULL, "STR of 4097 bytes with max 0");
    big[4096] = '\0';
    ok(s_good(&vs0, big) == 0 && s && strlen(s) == 4096, "STR of 4096 bytes with max 0");
    cm_config_free(&vs0, 1);
    cm_free(big);

    char *ep = NULL;
    struct cm_cfg_var vp = {"CMT_ENDPOINT", CM_CFG_ENDPOINT, "tcp://*:1", &ep, 0, 0, NULL, "e"};
    static const char *const ep_must[] = {"'junk'", "tcp://", NULL};
    s_bad(&vp, "junk", ep_must, "ENDPOINT junk");
    s_bad(&vp, "tcp://host:0", NULL, "ENDPOINT port 0");

    char *li = NULL;
    struct cm_cfg_var vl = {"CMT_LISTEN", CM_CFG_LISTEN, ":80", &li, 0, 0, NULL, "l"};
    static const char *const li_must[] = {"'abc'", "host:port", NULL};
    s_bad(&vl, "abc", li_must, "LISTEN junk");
    s_bad(&vl, "::1:80", NULL, "LISTEN bare IPv6");

    /* A value with control bytes is escaped: the error stays one line. */
    static const char *const esc_must[] = {"\\x0a", NULL};
    s_bad(&vi, "1\nCMT_FAKE=1", esc_must, "INT with a newline");
}

static void test_secret(void)
{
    s_unset_all();
    static const char pw[] = "Hunter2-Very-Secret-Passw0rd";
    char *sec = NULL;
    char err[ERR_MAX] = "";

    /* Too long */
    struct cm_cfg_var v = {"CMT_SECRET", CM_CFG_SECRET, NULL, &sec, 8, 16, NULL, "the password"};
    setenv("CMT_SECRET", pw, 1);
    is_int(cm_config_load(&v, 1, err, sizeof(err)), -1, "SECRET over max rejected");
    ok(strstr(err, "CMT_SECRET") != NULL, "SECRET error names the variable");
    ok(strstr(err, pw) == NULL, "SECRET value absent from the error");
    ok(strstr(err, "Hunter2") == NULL, "no part of the SECRET in the error");
    ok(strstr(err, "8") && strstr(err, "16"), "SECRET error gives the allowed lengths");
    diag("err: %s", err);
    ok(sec == NULL, "nothing stored for a rejected secret");

    /* Too short */
    setenv("CMT_SECRET", "Zq9", 1);
    err[0] = '\0';
    is_int(cm_config_load(&v, 1, err, sizeof(err)), -1, "SECRET under min rejected");
    ok(strstr(err, "CMT_SECRET") != NULL, "short SECRET error names the variable");
    ok(strstr(err, "Zq9") == NULL, "short SECRET value absent from the error");

    /* Required and missing */
    unsetenv("CMT_SECRET");
    err[0] = '\0';
    is_int(cm_config_load(&v, 1, err, sizeof(err)), -1, "required SECRET missing fails");
    ok(strstr(err, "CMT_SECRET") != NULL, "missing SECRET error names the variable");

    /* A secret within bounds loads. */
    setenv("CMT_SECRET", "ok-length-pw", 1);
    err[0] = '\0';
    is_int(cm_config_load(&v, 1, err, sizeof(err)), 0, "valid SECRET loads");
    is_str(sec, "ok-length-pw", "SECRET stored");
    cm_config_free(&v, 1);
    ok(sec == NULL, "SECRET freed and NULLed");
    unsetenv("CMT_SECRET");
}

static void test_partial_failure(void)
{
    /* The first string loads, the second variable fails: free releases what was stored. */
    s_unset_all();
    char *a = NULL, *b = NULL;
    int64_t n = 0;
    struct cm_cfg_var t[] = {
        {"CMT_STR", CM_CFG_STR, "first", &a, 0, 0, NULL, "a"},
        {"CMT_INT", CM_CFG_INT, "x", &n, 0, 10, NULL, "n"},
        {"CMT_LISTEN", CM_CFG_LISTEN, ":1", &b, 0, 0, NULL, "l"},
    };
    char err[ERR_MAX] = "";
    is_int(cm_config_load(t, 3, err, sizeof(err)), -1, "a bad default fails the load");
    ok(strstr(err, "CMT_INT") != NULL, "error names the variable with the bad default");
    cm_config_free(t, 3);
    ok(a == NULL && b == NULL, "free after a partial load NULLs everything (ASan: no leak)");
}

static void test_small_err(void)
{
    /* A tiny error buffer is cut, never overflowed (exact-size heap buffer under ASan). */
    s_unset_all();
    int64_t n = 0;
    struct cm_cfg_var v = {"CMT_INT", CM_CFG_INT, "nope", &n, 0, 1, NULL, "n"};
    char *err = cm_malloc(8);
    is_int(cm_config_load(&v, 1, err, 8), -1, "load fails with an 8-byte error buffer");
    ok(memchr(err, '\0', 8) != NULL, "error cut and NUL-terminated");
    is_str(err, "CMT_INT", "error cut to 7 bytes");
    cm_free(err);
}

static void test_help(void)
{
    struct all a;
    struct cm_cfg_var t[ALL_N + 1];
    s_all_table(&a, t);
    char *req = NULL;
    t[ALL_N] = (struct cm_cfg_var){"CMT_REQ", CM_CFG_STR, NULL, &req, 0, 0, NULL, "required one"};
    FILE *f = tmpfile();
    cm_config_help(f, t, ALL_N + 1);
    rewind(f);
    char out[HELP_MAX];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    int missing = 0;
    for (size_t i = 0; i < ALL_N + 1; i++) {
        if (!strstr(out, t[i].name) || !strstr(out, t[i].help)) {
            missing++;
            diag("help lacks %s or its help text", t[i].name);
        }
    }
    is_int(missing, 0, "help lists every variable with its description");
    ok(strstr(out, "s3cr3t-default-pw") == NULL, "help hides the secret default");
    ok(strstr(out, "hello") != NULL, "help shows a normal default");
    ok(strstr(out, "512KB") != NULL, "help shows the BYTES default");
    ok(strstr(out, "fast|slow|medium") != NULL, "help shows the ENUM choices");
    ok(strstr(out, "required") != NULL, "help marks the required variable");
    ok(strstr(out, "1..10") != NULL, "help shows the INT bounds");
    ok(a.str == NULL && a.secret == NULL, "help does not load anything");
}

int main(void)
{
    test_parse_int();
    test_parse_bool();
    test_parse_ms();
    test_parse_bytes();
    test_parse_listen();
    test_endpoint();
    test_load_defaults();
    test_load_env();
    test_required();
    test_errors();
    test_secret();
    test_partial_failure();
    test_small_err();
    test_help();
    return done_testing();
}
