/* SPDX-License-Identifier: MIT
 * cm_metrics: the process's counters and gauges, rendered in the Prometheus text exposition
 * format (version 0.0.4) for GET /metrics. One registry per process, used from the loop's
 * thread only. A series is a name plus an optional label set written as Prometheus writes it
 * (`code="2xx"`); asking again for the same name and labels returns the same series. The
 * registry is capped (CM_METRICS_MAX series): past the cap a series is a shared sink that
 * counts nothing and is not rendered, so a caller never has to check. */
#ifndef CM_METRICS_H
#define CM_METRICS_H
#include "cm.h"
#include "cm_buf.h"

enum {
    CM_METRICS_MAX = 256,       /* series in the registry */
    CM_METRICS_NAME_MAX = 96,   /* bytes of a name */
    CM_METRICS_LABELS_MAX = 160 /* bytes of a label set */
};

typedef struct cm_metric cm_metric_t;

/* A gauge read when rendered. */
typedef double(cm_metrics_read_fn)(void *arg);

/* The series `name`{`labels`} (labels NULL or "" for none), created on first use with `help`
 * (the first one given for a name is kept). `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*, else
 * the sink is returned (and a warning logged once). */
cm_metric_t *cm_metrics_counter(const char *name, const char *labels, const char *help);
cm_metric_t *cm_metrics_gauge(const char *name, const char *labels, const char *help);
/* A gauge whose value `fn(arg)` gives at each render. */
void cm_metrics_gauge_fn(const char *name, const char *labels, const char *help,
                         cm_metrics_read_fn *fn, void *arg);

/* Counters only grow: a negative `v` is ignored. */
void cm_metric_add(cm_metric_t *m, double v);
void cm_metric_inc(cm_metric_t *m);
void cm_metric_set(cm_metric_t *m, double v);
double cm_metric_value(const cm_metric_t *m);

/* Append every series to `out`, grouped by name with its HELP and TYPE lines, plus the
 * process's own: process_start_time_seconds, process_resident_memory_bytes,
 * process_open_fds, process_cpu_seconds_total. 0, or -1 when `out` is full. */
int cm_metrics_render(cm_buf_t *out);

/* Forget every series (tests). */
void cm_metrics_reset(void);

#endif
