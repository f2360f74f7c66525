/* SPDX-License-Identifier: MIT
 * tap.h: TAP output for unit tests, run by `prove`. Header-only, in the spirit of Redis's
 * testhelp.h and picotest:
 *   ok(cond, "name"); is_int(got, want, "name"); is_str(got, want, "name");
 *   diag("fmt", ...); return done_testing();
 * Each test binary prints "1..N" at the end (done_testing), so a crash before it fails. */
#ifndef TAP_H
#define TAP_H
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n_;    /* assertions run */
static int tap_fail_; /* assertions failed */

__attribute__((unused)) static void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

__attribute__((unused)) static int tap_ok_(int cond, const char *file, int line, const char *name)
{
    tap_n_++;
    if (!cond)
        tap_fail_++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_n_, name);
    if (!cond)
        printf("#   failed at %s:%d\n", file, line);
    fflush(stdout);
    return cond;
}

#define ok(cond, name) tap_ok_(!!(cond), __FILE__, __LINE__, (name))

#define is_int(got, want, name)                                                                    \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (!ok(g_ == w_, (name)))                                                                 \
            diag("got %lld, want %lld", g_, w_);                                                   \
    } while (0)

#define is_str(got, want, name)                                                                    \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, (name)))                                          \
            diag("got '%s', want '%s'", g_ ? g_ : "(null)", w_ ? w_ : "(null)");                   \
    } while (0)

__attribute__((unused)) static int done_testing(void)
{
    printf("1..%d\n", tap_n_);
    if (tap_n_ == 0) {
        printf("# no test ran: that is a failure\n");
        return 1;
    }
    return tap_fail_ ? 1 : 0;
}

#endif
