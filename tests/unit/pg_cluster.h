/* SPDX-License-Identifier: MIT
 * pg_cluster.h: a throwaway PostgreSQL for the unit tests of code that talks to a database
 * (scripts/pgcluster.py start --fast in a fresh /tmp directory). A watchdog process stops the
 * cluster and removes the directory when the test calls t_cluster_stop() or dies. Header-only
 * static functions, included by each test that needs them (h2o style). */
#ifndef TESTS_PG_CLUSTER_H
#define TESTS_PG_CLUSTER_H
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>

/* --- a throwaway cluster, stopped and removed by a watchdog even if this process dies --- */

struct t_cluster {
    char dir[64];   /* mkdtemp directory under /tmp */
    char url[512];  /* connection URL printed by pgcluster.py */
    int guard_fd;   /* write end of the watchdog's pipe; closing it stops the cluster */
    pid_t watchdog; /* sh process waiting for EOF on the pipe */
};

static char t_script[PATH_MAX]; /* absolute path of scripts/pgcluster.py */

__attribute__((unused)) static const char *t_python(void)
{
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Find scripts/pgcluster.py from the working directory, else from the binary upwards. */
__attribute__((unused)) static int t_find_script(void)
{
    char dir[PATH_MAX];
    if (realpath("scripts/pgcluster.py", t_script))
        return 0;
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
    if (n <= 0)
        return -1;
    dir[n] = '\0';
    char *slash;
    while ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof(cand), "%s/scripts/pgcluster.py", dir);
        if (access(cand, R_OK) == 0 && realpath(cand, t_script))
            return 0;
    }
    return -1;
}

/* Run `pgcluster.py <cmd> DIR` and wait for it. Returns its exit status. */
__attribute__((unused)) static int t_cluster_ctl(const struct t_cluster *c, const char *cmd)
{
    char line[PATH_MAX * 2];
    snprintf(line, sizeof(line), "'%s' '%s' %s '%s' >/dev/null", t_python(), t_script, cmd, c->dir);
    int st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

__attribute__((unused)) static int t_cluster_start(struct t_cluster *c)
{
    memset(c, 0, sizeof(*c));
    c->guard_fd = -1;
    if (t_find_script() < 0) {
        diag("scripts/pgcluster.py not found (run from the repository root)");
        return -1;
    }
    snprintf(c->dir, sizeof(c->dir), "/tmp/marquee_pg_test.XXXXXX");
    if (!mkdtemp(c->dir))
        return -1;
    /* The watchdog: its own session (no terminal signals), it blocks on the pipe until every
     * write end is closed, i.e. until t_cluster_stop() or the death of this process, then
     * stops the cluster and removes the directory. */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    c->watchdog = fork();
    if (c->watchdog == 0) {
        setsid();
        dup2(fds[0], STDIN_FILENO);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", "cat >/dev/null; \"$1\" \"$2\" stop \"$3\"; rm -rf \"$3\"",
              "sh", t_python(), t_script, c->dir, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    c->guard_fd = fds[1];
    if (c->watchdog < 0)
        return -1;

    char line[PATH_MAX * 2];
    snprintf(line, sizeof(line), "'%s' '%s' start --fast '%s'", t_python(), t_script, c->dir);
    FILE *p = popen(line, "r");
    if (!p)
        return -1;
    if (!fgets(c->url, sizeof(c->url), p))
        c->url[0] = '\0';
    int st = pclose(p);
    c->url[strcspn(c->url, "\n")] = '\0';
    if (st != 0 || strncmp(c->url, "postgresql://", 13) != 0) {
        diag("pgcluster.py start failed (status %d)", st);
        return -1;
    }
    return 0;
}

__attribute__((unused)) static void t_cluster_stop(struct t_cluster *c)
{
    if (c->guard_fd >= 0)
        close(c->guard_fd);
    c->guard_fd = -1;
    if (c->watchdog <= 0)
        return;
    for (int i = 0; i < 600; i++) { /* 60 s */
        if (waitpid(c->watchdog, NULL, WNOHANG) == c->watchdog)
            return;
        usleep(100 * 1000);
    }
    diag("the cluster watchdog did not finish within 60 s");
}

#endif
