/* SPDX-License-Identifier: MIT
 * cm_config: environment configuration with validation. */
#include "cm.h"

enum {
    CFG_STR_MAX_DEFAULT = 4096, /* longest STR value when the table gives no max */
};

int cm_config_parse_int(const char *s, int64_t *out)
{
    /* strtoll would skip leading blanks; the other parsers refuse them, so do we. */
    if (!s || !(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

int cm_config_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"true", "1", "yes", "on"};
    static const char *no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < CM_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* A non-negative integer followed by one of `units`; returns value * multiplier. */
static int s_parse_unit(const char *s, const char *const *units, const int64_t *mult, size_t n,
                        int64_t *out)
{
    if (!s || !(*s >= '0' && *s <= '9'))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(end, units[i]) == 0) {
            if (v > (unsigned long long)(INT64_MAX / mult[i]))
                return -1;
            *out = (int64_t)v * mult[i];
            return 0;
        }
    }
    return -1;
}

int cm_config_parse_ms(const char *s, int64_t *out)
{
    static const char *const units[] = {"", "ms", "s", "m", "h", "d"};
    static const int64_t mult[] = {1, 1, 1000, 60000, 3600000, 86400000};
    return s_parse_unit(s, units, mult, CM_ARRAY_LEN(units), out);
}

int cm_config_parse_bytes(const char *s, int64_t *out)
{
    static const char *const units[] = {"",    "b", "k",  "kb",  "kib", "m",  "mb",
                                        "mib", "g", "gb", "gib", "t",   "tb", "tib"};
    static const int64_t K = 1024;
    static const int64_t mult[] = {1,
                                   1,
                                   K,
                                   K,
                                   K,
                                   K * K,
                                   K * K,
                                   K * K,
                                   K * K * K,
                                   K * K * K,
                                   K * K * K,
                                   K * K * K * K,
                                   K * K * K * K,
                                   K * K * K * K};
    return s_parse_unit(s, units, mult, CM_ARRAY_LEN(units), out);
}

int cm_config_parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - s);
        if (memchr(s, ':', hlen))
            return -1; /* a bare IPv6 address needs brackets */
    }
    if (hlen >= hostlen)
        return -1;
    for (size_t i = 0; i < hlen; i++) {
        char c = h[i];
        if (!(c == '.' || c == '-' || c == ':' || c == '_' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return -1;
    }
    int64_t p;
    if (cm_config_parse_int(colon + 1, &p) < 0 || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

int cm_config_check_endpoint(const char *s)
{
    if (strncmp(s, "ipc://", 6) == 0)
        return s[6] != '\0' ? 0 : -1;
    if (strncmp(s, "inproc://", 9) == 0)
        return s[9] != '\0' ? 0 : -1;
    if (strncmp(s, "tcp://", 6) != 0)
        return -1;
    /* tcp://HOST:PORT where HOST may be "*" (every interface) and PORT may be "*" (a free
     * port, in tests). Both wildcards are whole fields; the host is checked either way. */
    char tmp[300];
    if (strlen(s + 6) >= sizeof(tmp) - 2)
        return -1;
    snprintf(tmp, sizeof(tmp), "%s", s + 6);
    char *colon = strrchr(tmp, ':');
    if (!colon)
        return -1;
    bool any_port = strcmp(colon + 1, "*") == 0;
    if (any_port)
        snprintf(colon + 1, sizeof(tmp) - (size_t)(colon + 1 - tmp), "1");
    if (strncmp(tmp, "*:", 2) == 0)
        tmp[0] = 'x'; /* the whole-field wildcard host passes the host check */
    char host[256];
    int port;
    if (cm_config_parse_listen(tmp, host, sizeof(host), &port) < 0 || host[0] == '\0' || port == 0)
        return -1;
    return 0;
}

static int s_fail(const struct cm_cfg_var *v, const char *val, char *err, size_t errlen,
                  const char *fmt, ...) CM_PRINTF(5, 6);

static int s_fail(const struct cm_cfg_var *v, const char *val, char *err, size_t errlen,
                  const char *fmt, ...)
{
    char why[256];
    char shown[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (v->type == CM_CFG_SECRET)
        snprintf(err, errlen, "%s is not valid (value hidden): %s", v->name, why);
    else
        snprintf(err, errlen, "%s='%s' is not valid: %s", v->name,
                 cm_log_escape(shown, sizeof(shown), val, strlen(val)), why);
    return -1;
}

static int s_load_one(const struct cm_cfg_var *v, char *err, size_t errlen)
{
    const char *val = getenv(v->name);
    if (!val)
        val = v->def;
    if (!val) {
        snprintf(err, errlen, "%s is required but not set: %s", v->name, v->help);
        return -1;
    }
    int64_t i64;
    bool b;
    switch (v->type) {
    case CM_CFG_STR:
    case CM_CFG_SECRET: {
        size_t max = v->max > 0 ? (size_t)v->max : CFG_STR_MAX_DEFAULT;
        size_t len = strlen(val);
        if (len < (size_t)v->min || len > max)
            return s_fail(v, val, err, errlen, "expected %" PRId64 " to %zu bytes", v->min, max);
        *(char **)v->out = cm_strdup(val);
        return 0;
    }
    case CM_CFG_INT:
        if (cm_config_parse_int(val, &i64) < 0 || i64 < v->min || i64 > v->max)
            return s_fail(v, val, err, errlen, "expected an integer from %" PRId64 " to %" PRId64,
                          v->min, v->max);
        *(int64_t *)v->out = i64;
        return 0;
    case CM_CFG_BOOL:
        if (cm_config_parse_bool(val, &b) < 0)
            return s_fail(v, val, err, errlen, "expected true or false");
        *(bool *)v->out = b;
        return 0;
    case CM_CFG_MS:
        if (cm_config_parse_ms(val, &i64) < 0 || i64 < v->min || i64 > v->max)
            return s_fail(v, val, err, errlen,
                          "expected a duration from %" PRId64 "ms to %" PRId64
                          "ms, e.g. 1500ms, 2s, 5m",
                          v->min, v->max);
        *(int64_t *)v->out = i64;
        return 0;
    case CM_CFG_BYTES:
        if (cm_config_parse_bytes(val, &i64) < 0 || i64 < v->min || i64 > v->max)
            return s_fail(v, val, err, errlen,
                          "expected a size from %" PRId64 " to %" PRId64 " bytes, e.g. 512KB, 10MB",
                          v->min, v->max);
        *(int64_t *)v->out = i64;
        return 0;
    case CM_CFG_ENUM: {
        const char *c = v->choices;
        size_t len = strlen(val);
        for (int idx = 0; c && *c; idx++) {
            size_t clen = strcspn(c, "|");
            if (clen == len && strncasecmp(c, val, len) == 0) {
                *(int *)v->out = idx;
                return 0;
            }
            c += clen + (c[clen] == '|');
        }
        return s_fail(v, val, err, errlen, "expected one of %s", v->choices);
    }
    case CM_CFG_ENDPOINT:
        if (strlen(val) > 255 || cm_config_check_endpoint(val) < 0)
            return s_fail(v, val, err, errlen,
                          "expected a ZeroMQ endpoint such as tcp://127.0.0.1:5551, tcp://*:5551 "
                          "or ipc:///path");
        *(char **)v->out = cm_strdup(val);
        return 0;
    case CM_CFG_LISTEN: {
        char host[256];
        int port;
        if (cm_config_parse_listen(val, host, sizeof(host), &port) < 0)
            return s_fail(v, val, err, errlen, "expected host:port, e.g. 0.0.0.0:8080");
        *(char **)v->out = cm_strdup(val);
        return 0;
    }
    }
    snprintf(err, errlen, "%s: unknown variable type %d", v->name, v->type);
    return -1;
}

int cm_config_load(const struct cm_cfg_var *vars, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (s_load_one(&vars[i], err, errlen) < 0)
            return -1;
    }
    return 0;
}

void cm_config_free(const struct cm_cfg_var *vars, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (vars[i].type) {
        case CM_CFG_STR:
        case CM_CFG_SECRET:
        case CM_CFG_ENDPOINT:
        case CM_CFG_LISTEN: {
            char **p = vars[i].out;
            if (*p && vars[i].type == CM_CFG_SECRET)
                explicit_bzero(*p, strlen(*p));
            cm_free(*p);
            *p = NULL;
            break;
        }
        default:
            break;
        }
    }
}

void cm_config_help(FILE *out, const struct cm_cfg_var *vars, size_t n)
{
    fprintf(out, "Environment variables:\n");
    for (size_t i = 0; i < n; i++) {
        const struct cm_cfg_var *v = &vars[i];
        char allowed[128] = "";
        switch (v->type) {
        case CM_CFG_INT:
            snprintf(allowed, sizeof(allowed), "integer %" PRId64 "..%" PRId64, v->min, v->max);
            break;
        case CM_CFG_BOOL:
            snprintf(allowed, sizeof(allowed), "true|false");
            break;
        case CM_CFG_MS:
            snprintf(allowed, sizeof(allowed), "duration (ms, s, m, h)");
            break;
        case CM_CFG_BYTES:
            snprintf(allowed, sizeof(allowed), "size (B, KB, MB, GB)");
            break;
        case CM_CFG_ENUM:
            snprintf(allowed, sizeof(allowed), "%s", v->choices);
            break;
        case CM_CFG_ENDPOINT:
            snprintf(allowed, sizeof(allowed), "ZeroMQ endpoint");
            break;
        case CM_CFG_LISTEN:
            snprintf(allowed, sizeof(allowed), "host:port");
            break;
        case CM_CFG_SECRET:
            snprintf(allowed, sizeof(allowed), "secret");
            break;
        default:
            snprintf(allowed, sizeof(allowed), "text");
            break;
        }
        fprintf(out, "  %-28s %s\n  %-28s   default: %s; %s\n", v->name, v->help, "",
                v->def ? (v->type == CM_CFG_SECRET && *v->def ? "(hidden)"
                                                              : (*v->def ? v->def : "(empty)"))
                       : "(required)",
                allowed);
    }
}
