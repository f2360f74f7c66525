/* SPDX-License-Identifier: MIT
 * cm_prelude: every system and third-party #include of common/ in one place, plus the
 * feature macros. Every file of common/ includes "cm.h", which includes this first. */
#ifndef CM_PRELUDE_H
#define CM_PRELUDE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, SOCK_CLOEXEC, memmem */
#endif

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

#define CM_UNUSED(x) (void)(x)
#define CM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CM_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define CM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CM_WARN_UNUSED __attribute__((warn_unused_result))
#define CM_NORETURN __attribute__((noreturn))
#else
#define CM_PRINTF(f, a)
#define CM_WARN_UNUSED
#define CM_NORETURN
#endif

#endif
