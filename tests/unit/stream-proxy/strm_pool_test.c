/* SPDX-License-Identifier: MIT
 * Tests of strm_open_beneath, the proxy's only way into a worker's cache directory
 * (CHUNK_LOCAL): files and nested files open and read right; absolute paths, "..", symbolic
 * links (to a file inside, to one outside, to a directory, as the last component or on the
 * way), an empty path and a directory that does not exist are refused. */
#include <fcntl.h>
#include <sys/stat.h>
#include "cm.h"
#include "strm_pool.h"
#include "../../tap.h"

static char s_root[256];

static void s_write(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s_root, rel);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void s_mkdir(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s_root, rel);
    mkdir(path, 0700);
}

static void s_link(const char *target, const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s_root, rel);
    if (symlink(target, path) < 0)
        diag("symlink %s: %s", path, strerror(errno));
}

/* Open `rel` beneath the cache dir; its contents, or "(refused)". */
static const char *s_open(int dfd, const char *rel, char *buf, size_t len)
{
    int fd = strm_open_beneath(dfd, rel);
    if (fd < 0)
        return "(refused)";
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

int main(void)
{
    snprintf(s_root, sizeof(s_root), "/tmp/strm_pool_test.XXXXXX");
    if (!mkdtemp(s_root)) {
        diag("mkdtemp: %s", strerror(errno));
        return 1;
    }
    s_mkdir("cache");
    s_mkdir("cache/0123abcd");
    s_mkdir("cache/0123abcd/Movie (2020)");
    s_write("cache/0123abcd/Movie (2020)/movie.mp4", "movie bytes");
    s_write("cache/top.bin", "top");
    s_write("secret.txt", "outside");
    s_link("top.bin", "cache/inside-link");
    s_link("../secret.txt", "cache/outside-link");
    s_link(s_root, "cache/abs-dir-link");
    s_link("0123abcd", "cache/dir-link");

    char dir[300], buf[64];
    snprintf(dir, sizeof(dir), "%s/cache", s_root);
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ok(dfd >= 0, "the cache directory opens O_PATH");

    is_str(s_open(dfd, "top.bin", buf, sizeof(buf)), "top", "a file at the top");
    is_str(s_open(dfd, "0123abcd/Movie (2020)/movie.mp4", buf, sizeof(buf)), "movie bytes",
           "a nested file with spaces and parentheses");
    is_str(s_open(dfd, "0123abcd/./Movie (2020)/movie.mp4", buf, sizeof(buf)), "movie bytes",
           "a '.' component is harmless");

    static const char *const refused[] = {
        "",
        "/etc/passwd",
        "../secret.txt",
        "0123abcd/../../secret.txt",
        "0123abcd/../top.bin", /* inside, but '..' is not needed by any worker */
        "..",
        "outside-link",
        "inside-link",
        "abs-dir-link/secret.txt",
        "dir-link/Movie (2020)/movie.mp4",
        "no-such-file",
        "0123abcd/Movie (2020)/movie.mp4/x",
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(refused); i++) {
        char name[160];
        snprintf(name, sizeof(name), "refused: \"%s\"", refused[i]);
        int fd = strm_open_beneath(dfd, refused[i]);
        /* openat2 lets "0123abcd/../top.bin" through (it stays beneath); the fallback does not:
         * either way it can only reach a file inside */
        if (fd >= 0 && strcmp(refused[i], "0123abcd/../top.bin") == 0) {
            ok(read(fd, buf, sizeof(buf)) == 3 && memcmp(buf, "top", 3) == 0, name);
        } else {
            ok(fd < 0, name);
        }
        if (fd >= 0)
            close(fd);
    }
    ok(strm_open_beneath(-1, "top.bin") < 0, "no directory: refused");
    close(dfd);

    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_root);
    if (system(cmd) != 0)
        diag("could not remove %s", s_root);
    return done_testing();
}
