/* SPDX-License-Identifier: MIT
 * cm_curl: a libcurl multi handle driven by a libevent loop. curl tells which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); they become events
 * of `base`, which call curl_multi_socket_action and then the owner's `progress` callback, where
 * the owner reads the finished transfers (curl_multi_info_read). Used by the worker's HTTP
 * trackers and by source-discovery's HTTP client. curl_global_init/cleanup are counted here. */
#ifndef CM_CURL_H
#define CM_CURL_H
#include <curl/curl.h>
#include "cm.h"

typedef struct cm_curl cm_curl_t;

/* curl made progress (a socket or the timer fired): read what finished. */
typedef void(cm_curl_progress_fn)(void *arg);

/* A multi handle on `base` (borrowed; must outlive the result). NULL when libcurl cannot be
 * initialised. Caller owns the result. */
cm_curl_t *cm_curl_new(struct event_base *base, cm_curl_progress_fn *progress, void *arg);

/* The multi handle, for curl_multi_add_handle and friends. */
CURLM *cm_curl_multi(const cm_curl_t *self);

/* curl_multi_cleanup (remove your easy handles first), then every socket event and the timer.
 * No callback runs. Sets *self_p to NULL; NULL-safe. */
void cm_curl_destroy(cm_curl_t **self_p);

#endif
