/* SPDX-License-Identifier: MIT
 * Tests of cm_metrics: series by name and labels, counters that only grow, gauges set and read
 * at render time, HELP and TYPE once per name with every series of the name under it, the
 * process series, bad names and the cap giving the sink, and a render into a full buffer. */
#include "cm.h"
#include "cm_metrics.h"
#include "../../tap.h"

static double s_seven(void *arg)
{
    CM_UNUSED(arg);
    return 7;
}

static char *s_render(void)
{
    cm_buf_t *b = cm_buf_new(1 << 20);
    int rc = cm_metrics_render(b);
    char *s = cm_strndup((const char *)cm_buf_data(b), cm_buf_len(b));
    cm_buf_destroy(&b);
    return rc == 0 ? s : (cm_free(s), NULL);
}

int main(void)
{
    cm_metric_t *a = cm_metrics_counter("mq_requests_total", "code=\"2xx\"", "Requests answered.");
    cm_metric_t *b = cm_metrics_counter("mq_requests_total", "code=\"5xx\"", "ignored");
    ok(a != b, "two label sets, two series");
    ok(cm_metrics_counter("mq_requests_total", "code=\"2xx\"", NULL) == a, "asked again: same");
    cm_metric_add(a, 3);
    cm_metric_inc(a);
    cm_metric_add(a, -10);
    ok(cm_metric_value(a) == 4, "a counter only grows");
    cm_metric_t *g = cm_metrics_gauge("mq_streams", NULL, "Streams open.");
    cm_metric_set(g, 5);
    cm_metric_set(g, 2);
    ok(cm_metric_value(g) == 2, "a gauge is set");
    cm_metric_set(a, 100);
    ok(cm_metric_value(a) == 4, "a counter is not set");
    cm_metrics_gauge_fn("mq_seven", "", "Seven.", s_seven, NULL);
    char *out = s_render();
    ok(out != NULL, "renders");
    if (out) {
        ok(strstr(out, "# HELP mq_requests_total Requests answered.\n"
                       "# TYPE mq_requests_total counter\n"
                       "mq_requests_total{code=\"2xx\"} 4\n"
                       "mq_requests_total{code=\"5xx\"} 0\n") != NULL,
           "HELP and TYPE once, both series under them");
        ok(strstr(out, "# TYPE mq_streams gauge\nmq_streams 2\n") != NULL, "a gauge");
        ok(strstr(out, "mq_seven 7\n") != NULL, "a gauge read at render time");
        ok(strstr(out, "process_resident_memory_bytes ") != NULL, "RSS");
        ok(strstr(out, "process_open_fds ") != NULL, "fds");
        ok(strstr(out, "process_cpu_seconds_total ") != NULL, "CPU");
        ok(strstr(out, "process_start_time_seconds ") != NULL, "start time");
        cm_free(out);
    }
    cm_metric_t *bad = cm_metrics_counter("9bad-name", NULL, "x");
    cm_metric_inc(bad);
    ok(cm_metric_value(bad) == 0, "a bad name gives the sink, which counts nothing");
    ok(cm_metrics_counter("ok_name", "x=\"y\"", "x") != bad, "a good name is a series");
    for (int i = 0; i < CM_METRICS_MAX + 10; i++) {
        char n[32];
        snprintf(n, sizeof(n), "mq_many_%d", i);
        cm_metric_inc(cm_metrics_counter(n, NULL, "many"));
    }
    out = s_render();
    ok(out && !strstr(out, "mq_many_300"), "past the cap nothing more is rendered");
    cm_free(out);
    cm_buf_t *small = cm_buf_new(64);
    is_int(cm_metrics_render(small), -1, "a full buffer: -1");
    cm_buf_destroy(&small);
    cm_metrics_reset();
    out = s_render();
    ok(out && !strstr(out, "mq_requests_total"), "reset forgets the series");
    cm_free(out);
    return done_testing();
}
