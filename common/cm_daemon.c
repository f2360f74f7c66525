/* SPDX-License-Identifier: MIT
 * cm_daemon: the shared start-up and shutdown of every daemon. */
#include "cm.h"
#include "cm_daemon.h"

static const struct cm_daemon *s_d; /* the daemon's description */
static int s_level = CM_LOG_INFO;   /* LOG_LEVEL */
static struct event *s_sig[2];      /* SIGINT, SIGTERM */
static uint64_t s_started;          /* mono ms at init */

static const struct cm_cfg_var s_common_vars[] = {
    {"LOG_LEVEL", CM_CFG_ENUM, "info", &s_level, 0, 0, "error|warn|notice|info|debug",
     "least severe level written to stderr"},
};

static void s_help(const struct cm_daemon *d)
{
    printf("Usage: %s [--help] [--version]%s\n\n%s\n\n", d->name, d->usage ? " [COMMAND ...]" : "",
           d->summary);
    if (d->usage)
        printf("%s\n", d->usage);
    cm_config_help(stdout, d->vars, d->nvars);
    cm_config_help(stdout, s_common_vars, CM_ARRAY_LEN(s_common_vars));
}

int cm_daemon_init(const struct cm_daemon *d, int argc, char **argv)
{
    s_d = d;
    s_started = cm_mono_ms();
    cm_log_init(d->name);
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_help(d);
            exit(0);
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s %s\n", d->name, CM_VERSION);
            exit(0);
        }
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "%s: unknown option '%s'; try --help\n", d->name, argv[i]);
            exit(2);
        }
        break;
    }
    char err[CM_ERR_LEN * 2];
    if (cm_config_load(s_common_vars, CM_ARRAY_LEN(s_common_vars), err, sizeof(err)) < 0 ||
        cm_config_load(d->vars, d->nvars, err, sizeof(err)) < 0) {
        cm_log_e("config", 0, "%s", err);
        cm_config_free(d->vars, d->nvars);
        exit(2);
    }
    cm_log_set_level(s_level);
    return i;
}

static bool s_stopping;              /* a stop signal arrived */
static void (*s_on_stop)(void *arg); /* cm_daemon_on_stop: the first signal drains */
static void *s_on_stop_arg;          /* ... its argument */
static bool s_draining;              /* ... and it was called */

static void s_on_signal(evutil_socket_t sig, short what, void *arg)
{
    CM_UNUSED(what);
    const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (s_on_stop && !s_draining) {
        cm_log_n("main", 0, "%s received", name); /* the hook says what happens */
        s_draining = true;
        s_on_stop(s_on_stop_arg);
        return;
    }
    cm_log_n("main", 0, "%s received: stopping%s", name, s_draining ? " now" : "");
    s_stopping = true;
    event_base_loopexit(arg, NULL);
}

void cm_daemon_on_stop(void (*fn)(void *arg), void *arg)
{
    s_on_stop = fn;
    s_on_stop_arg = arg;
    s_draining = false;
}

bool cm_daemon_stopping(void)
{
    return s_stopping;
}

void cm_daemon_signals(struct event_base *base)
{
    signal(SIGPIPE, SIG_IGN);
    s_sig[0] = evsignal_new(base, SIGINT, s_on_signal, base);
    s_sig[1] = evsignal_new(base, SIGTERM, s_on_signal, base);
    event_add(s_sig[0], NULL);
    event_add(s_sig[1], NULL);
}

void cm_daemon_ready(const char *fmt, ...)
{
    char msg[CM_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cm_log_n("main", 0, "ready %s version=%s pid=%d", msg, CM_VERSION, (int)getpid());
}

uint64_t cm_daemon_uptime_ms(void)
{
    return cm_mono_ms() - s_started;
}

void cm_daemon_fini(void)
{
    for (size_t i = 0; i < CM_ARRAY_LEN(s_sig); i++) {
        if (s_sig[i])
            event_free(s_sig[i]);
        s_sig[i] = NULL;
    }
    if (s_d)
        cm_config_free(s_d->vars, s_d->nvars);
}
