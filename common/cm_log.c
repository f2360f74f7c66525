/* SPDX-License-Identifier: MIT
 * cm_log: line-oriented logging to stderr with escaping. */
#include "cm.h"
#include <sys/time.h>

int cm_log_level_g = CM_LOG_INFO;
static const char *s_daemon = "?"; /* daemon name on every line */

static const char s_letters[] = "EWNID";
static const char *s_names[] = {"error", "warn", "notice", "info", "debug"};

void cm_log_init(const char *daemon)
{
    s_daemon = daemon ? daemon : "?";
}

void cm_log_set_level(int level)
{
    if (level < CM_LOG_ERROR)
        level = CM_LOG_ERROR;
    if (level > CM_LOG_DEBUG)
        level = CM_LOG_DEBUG;
    cm_log_level_g = level;
}

int cm_log_set_level_name(const char *name)
{
    for (int i = 0; i < (int)CM_ARRAY_LEN(s_names); i++) {
        if (strcmp(name, s_names[i]) == 0) {
            cm_log_level_g = i;
            return 0;
        }
    }
    return -1;
}

char *cm_log_escape(char *out, size_t size, const void *in, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = in;
    size_t o = 0;
    if (size == 0)
        return out;
    for (size_t i = 0; i < len;) {
        size_t n = cm_utf8_seq(p + i, len - i);
        if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
            n = 0;
        if (n == 0) {
            if (o + 4 >= size)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 15];
            i++;
        } else {
            if (o + n >= size)
                break;
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

void cm_log_write(int level, const char *module, uint64_t rid, const char *fmt, ...)
{
    char msg[CM_LOG_LINE_MAX];
    char line[CM_LOG_LINE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t mlen = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int h = snprintf(
        line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %c %s[%d] %s: ", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000),
        s_letters[level < 0   ? 0
                  : level > 4 ? 4
                              : level],
        s_daemon, (int)getpid(), module ? module : "-");
    if (h < 0)
        return;
    size_t off = CM_MIN((size_t)h, sizeof(line) - 2); /* an overlong prefix is cut, not lost */
    if (rid) {
        int r = snprintf(line + off, sizeof(line) - off, "rid=%016" PRIx64 " ", rid);
        /* snprintf returns what it wanted to write: never step past what it wrote. */
        if (r > 0)
            off += CM_MIN((size_t)r, sizeof(line) - off - 1);
    }
    cm_log_escape(line + off, sizeof(line) - off - 1, msg, mlen);
    off += strlen(line + off);
    line[off++] = '\n';
    /* One write() per line so lines of concurrent processes never interleave. */
    ssize_t w = write(STDERR_FILENO, line, off);
    CM_UNUSED(w);
}
