/* SPDX-License-Identifier: MIT
 * bt_util: the few helpers several engine modules share. */
#ifndef BT_UTIL_H
#define BT_UTIL_H
#include "cm.h"

/* mkdir -p with mode 0755; 0, or -1 with errno (ENAMETOOLONG past PATH_MAX). */
int bt_mkdir_p(const char *path);
/* mkdir -p `root`, then open it as a directory (O_CLOEXEC): the descriptor, or -1 with a
 * sentence in `err`. */
int bt_open_root(const char *root, char *err, size_t errlen);

#endif
