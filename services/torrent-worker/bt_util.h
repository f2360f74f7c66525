/* SPDX-License-Identifier: MIT
 * bt_util: the few helpers several engine modules share. */
#ifndef BT_UTIL_H
#define BT_UTIL_H
#include "cm.h"

/* Format a sentence into err[errlen]; nothing when err is NULL or errlen 0. */
void bt_errf(char *err, size_t errlen, const char *fmt, ...) CM_PRINTF(3, 4);
/* The value of a hex digit (any case), or -1. */
int bt_hexval(char c);
/* mkdir -p with mode 0755; 0, or -1 with errno (ENAMETOOLONG past PATH_MAX). */
int bt_mkdir_p(const char *path);
/* mkdir -p `root`, then open it as a directory (O_CLOEXEC): the descriptor, or -1 with a
 * sentence in `err`. */
int bt_open_root(const char *root, char *err, size_t errlen);

#endif
