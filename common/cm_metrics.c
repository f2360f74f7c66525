/* SPDX-License-Identifier: MIT
 * cm_metrics: counters and gauges in the Prometheus text format (see cm_metrics.h). */
#include <dirent.h>
#include <sys/resource.h>
#include "cm_metrics.h"
#include "cm_time.h"

enum kind { K_COUNTER, K_GAUGE, K_GAUGE_FN };

struct cm_metric {
    char name[CM_METRICS_NAME_MAX + 1];
    char labels[CM_METRICS_LABELS_MAX + 1];
    const char *help; /* static text */
    enum kind kind;
    double value;
    cm_metrics_read_fn *fn;
    void *arg;
};

static struct cm_metric s_series[CM_METRICS_MAX];
static size_t s_n;
static struct cm_metric s_sink; /* past the cap, or a bad name */
static bool s_warned;
static double s_start_s; /* process start, wall clock */

static bool s_name_ok(const char *n)
{
    if (!n || !n[0] || strlen(n) > CM_METRICS_NAME_MAX)
        return false;
    for (const char *p = n; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':';
        if (!alpha && !(p != n && *p >= '0' && *p <= '9'))
            return false;
    }
    return true;
}

static struct cm_metric *s_get(const char *name, const char *labels, const char *help,
                               enum kind kind)
{
    if (!labels)
        labels = "";
    if (!s_start_s)
        s_start_s = (double)cm_now_ms() / 1000.0;
    if (!s_name_ok(name) || strlen(labels) > CM_METRICS_LABELS_MAX) {
        if (!s_warned)
            cm_log_w("metrics", 0, "metric \"%.60s\" refused (bad name or labels)",
                     name ? name : "");
        s_warned = true;
        return &s_sink;
    }
    for (size_t i = 0; i < s_n; i++)
        if (strcmp(s_series[i].name, name) == 0 && strcmp(s_series[i].labels, labels) == 0)
            return &s_series[i];
    if (s_n >= CM_METRICS_MAX) {
        if (!s_warned)
            cm_log_w("metrics", 0, "more than %d series: %s not exported", CM_METRICS_MAX, name);
        s_warned = true;
        return &s_sink;
    }
    struct cm_metric *m = &s_series[s_n++];
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->labels, sizeof(m->labels), "%s", labels);
    m->help = help ? help : "";
    m->kind = kind;
    return m;
}

cm_metric_t *cm_metrics_counter(const char *name, const char *labels, const char *help)
{
    return s_get(name, labels, help, K_COUNTER);
}

cm_metric_t *cm_metrics_gauge(const char *name, const char *labels, const char *help)
{
    return s_get(name, labels, help, K_GAUGE);
}

void cm_metrics_gauge_fn(const char *name, const char *labels, const char *help,
                         cm_metrics_read_fn *fn, void *arg)
{
    struct cm_metric *m = s_get(name, labels, help, K_GAUGE_FN);
    if (m != &s_sink) {
        m->kind = K_GAUGE_FN;
        m->fn = fn;
        m->arg = arg;
    }
}

void cm_metric_add(cm_metric_t *m, double v)
{
    if (m && m != &s_sink && (m->kind != K_COUNTER || v > 0))
        m->value += v;
}

void cm_metric_inc(cm_metric_t *m)
{
    cm_metric_add(m, 1);
}

void cm_metric_set(cm_metric_t *m, double v)
{
    if (m && m != &s_sink && m->kind == K_GAUGE)
        m->value = v;
}

double cm_metric_value(const cm_metric_t *m)
{
    if (!m || m == &s_sink)
        return 0;
    return m->kind == K_GAUGE_FN && m->fn ? m->fn(m->arg) : m->value;
}

void cm_metrics_reset(void)
{
    memset(s_series, 0, sizeof(s_series));
    s_n = 0;
    s_warned = false;
}

static int s_line(cm_buf_t *out, const char *name, const char *labels, double v)
{
    char line[CM_METRICS_NAME_MAX + CM_METRICS_LABELS_MAX + 64];
    int n = labels && labels[0] ? snprintf(line, sizeof(line), "%s{%s} %.17g\n", name, labels, v)
                                : snprintf(line, sizeof(line), "%s %.17g\n", name, v);
    return n > 0 && (size_t)n < sizeof(line) ? cm_buf_append(out, line, (size_t)n) : -1;
}

static int s_head(cm_buf_t *out, const char *name, const char *help, const char *type)
{
    char line[CM_METRICS_NAME_MAX + 512];
    int n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    return n > 0 && (size_t)n < sizeof(line) ? cm_buf_append(out, line, (size_t)n) : -1;
}

static double s_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (double)rss * (double)sysconf(_SC_PAGESIZE);
}

static double s_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    double n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own */
}

int cm_metrics_render(cm_buf_t *out)
{
    int rc = 0;
    for (size_t i = 0; i < s_n && rc == 0; i++) {
        const struct cm_metric *m = &s_series[i];
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(s_series[j].name, m->name) != 0;
        if (!first)
            continue; /* rendered with the first series of its name */
        rc = s_head(out, m->name, m->help, m->kind == K_COUNTER ? "counter" : "gauge");
        for (size_t j = i; j < s_n && rc == 0; j++)
            if (strcmp(s_series[j].name, m->name) == 0)
                rc = s_line(out, s_series[j].name, s_series[j].labels,
                            cm_metric_value(&s_series[j]));
    }
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
              ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
    if (!s_start_s)
        s_start_s = (double)cm_now_ms() / 1000.0;
    if (rc == 0)
        rc = s_head(out, "process_start_time_seconds", "Start time of the process.", "gauge");
    if (rc == 0)
        rc = s_line(out, "process_start_time_seconds", NULL, s_start_s);
    if (rc == 0)
        rc = s_head(out, "process_resident_memory_bytes", "Resident memory size.", "gauge");
    if (rc == 0)
        rc = s_line(out, "process_resident_memory_bytes", NULL, s_rss_bytes());
    if (rc == 0)
        rc = s_head(out, "process_open_fds", "Open file descriptors.", "gauge");
    if (rc == 0)
        rc = s_line(out, "process_open_fds", NULL, s_open_fds());
    if (rc == 0)
        rc = s_head(out, "process_cpu_seconds_total", "User and system CPU time.", "counter");
    if (rc == 0)
        rc = s_line(out, "process_cpu_seconds_total", NULL, cpu);
    return rc;
}
