/* SPDX-License-Identifier: MIT
 * bt_util: helpers shared by the engine modules. */
#include "bt_util.h"
#include <fcntl.h>
#include <sys/stat.h>

int bt_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char ch = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        buf[i] = ch;
    }
    return 0;
}

int bt_open_root(const char *root, char *err, size_t errlen)
{
    if (bt_mkdir_p(root) < 0) {
        cm_errf(err, errlen, "cannot create %s: %s", root, strerror(errno));
        return -1;
    }
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        cm_errf(err, errlen, "cannot open %s: %s", root, strerror(errno));
    return fd;
}
