/* SPDX-License-Identifier: MIT
 * auth_pw: argon2id password hashing on a bounded thread pool, answers on the libevent loop.
 * See auth_pw.h for the contract.
 *
 * Threads: the loop thread submits jobs and runs callbacks; the workers only run libargon2.
 * They share two FIFOs under one mutex: `work` (waiting for a thread) and `done` (computed,
 * waiting for the loop). A worker that makes `done` non-empty writes one byte to a pipe whose
 * read end is an event on the loop, so no libevent call is ever made off the loop thread and
 * libevent needs no locking (evthread is not enabled in this suite). */
#include "cm.h"
#include "auth_pw.h"
#include "cm_token.h"
#include <argon2.h>
#include <fcntl.h>
#include <pthread.h>

#define AUTH_PW_TAG 0xa7b0f001u
#define AUTH_PW_DEAD 0xdeadbeefu

enum {
    PW_VERSION = ARGON2_VERSION_13, /* the only version we make: v=19 */
    PW_DUMMY_LEN = 32,              /* random password behind the dummy hash, bytes */
    PW_COMMON_LEN_MAX = 32,         /* longest entry of the common-password list, bytes */
    PW_ERR_RANDOM = 1,              /* s_argon2_hash: getrandom failed (libargon2's are <= 0) */
};

enum job_kind {
    JOB_HASH,
    JOB_VERIFY,
};

/* One request. Owned by the pool from submit to the end of its callback. */
struct job {
    struct job *next;                      /* work, done or batch FIFO */
    enum job_kind kind;                    /* what to compute */
    bool dummy;                            /* verify: check the dummy hash, answer mismatch */
    bool needs_rehash;                     /* verify: stored string below the current policy */
    bool ran;                              /* libargon2 ran (the counters) */
    unsigned char *pw;                     /* copy of the password, wiped; NULL: none */
    size_t len;                            /* its length */
    char encoded[AUTH_PW_ENCODED_MAX + 1]; /* verify: the stored string; hash: the result */
    int status;                            /* outcome, set by the worker */
    int arc;                               /* libargon2's return code (logged on the loop) */
    int err;                               /* errno of a failed getrandom() */
    auth_pw_hash_fn *hash_cb;              /* JOB_HASH completion */
    auth_pw_verify_fn *verify_cb;          /* JOB_VERIFY completion */
    void *arg;                             /* their argument */
};

/* A FIFO of jobs. */
struct fifo {
    struct job *head; /* oldest */
    struct job *tail; /* newest */
};

struct auth_pw {
    uint32_t tag;                           /* AUTH_PW_TAG while alive */
    struct event_base *base;                /* the loop */
    uint32_t m_kib;                         /* memory per hash, KiB */
    uint32_t t;                             /* passes */
    int nthreads;                           /* workers started */
    int cap;                                /* jobs in flight at most: threads + queue_max */
    int inflight;                           /* submitted, callback not run (loop thread) */
    char dummy[AUTH_PW_ENCODED_MAX + 1];    /* hash of a random password, current params */
    pthread_t threads[AUTH_PW_THREADS_MAX]; /* the workers */
    int wake_rd;                            /* pipe read end, watched by ev_wake */
    int wake_wr;                            /* pipe write end, written by workers */
    struct event *ev_wake;                  /* completions are waiting */
    /* shared with the workers, under mu */
    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;  /* work arrived, or stopping */
    struct fifo work;   /* waiting for a worker */
    struct fifo done;   /* computed, waiting for the loop */
    int queued;         /* jobs in work */
    int running;        /* jobs being computed */
    bool stopping;      /* workers must exit */
    bool wake_pending;  /* a byte is (about to be) in the pipe for `done` */
    /* loop thread only */
    struct fifo batch; /* taken from done, being delivered */
    uint64_t hashes;   /* counters, see struct auth_pw_stats */
    uint64_t verifies; /* " */
    uint64_t busy;     /* " */
    bool closing;      /* inside or after auth_pw_destroy */
    bool in_deliver;   /* inside s_on_wake's delivery loop */
    bool dead;         /* destroyed during delivery: s_on_wake frees */
};

/* The most common passwords of 8+ bytes (shorter ones fail the length rule anyway), lower
 * case. A short list by design (V6.2.4 asks for the top 3,000: a larger list can replace
 * this one without changing the API). */
static const char *const s_common[] = {
    "password",   "password1", "password12", "password123", "passw0rd",   "p@ssw0rd",
    "12345678",   "123456789", "1234567890", "12345678910", "87654321",   "987654321",
    "11111111",   "00000000",  "88888888",   "11223344",    "12341234",   "12344321",
    "123123123",  "abc12345",  "abcd1234",   "qwerty12",    "qwerty123",  "qwertyui",
    "qwertyuiop", "qwer1234",  "1234qwer",   "1q2w3e4r",    "1q2w3e4r5t", "q1w2e3r4",
    "q1w2e3r4t5", "1qaz2wsx",  "zaq12wsx",   "asdfghjk",    "asdfghjkl",  "zxcvbnm1",
    "aaaaaaaa",   "iloveyou",  "iloveyou1",  "sunshine",    "princess",   "football",
    "baseball",   "superman",  "starwars",   "whatever",    "computer",   "internet",
    "trustno1",   "welcome1",  "letmein1",   "changeme",    "admin123",   "administrator",
    "jennifer",   "michelle",  "mustang1",   "master123",   "marquee1",   "marquee123",
};

/* --- FIFOs --- */

static void s_push(struct fifo *q, struct job *job)
{
    job->next = NULL;
    if (q->tail)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
}

static struct job *s_pop(struct fifo *q)
{
    struct job *job = q->head;
    if (job) {
        q->head = job->next;
        if (!q->head)
            q->tail = NULL;
        job->next = NULL;
    }
    return job;
}

/* Move all of `from` to the end of `to`. */
static void s_splice(struct fifo *to, struct fifo *from)
{
    if (!from->head)
        return;
    if (to->tail)
        to->tail->next = from->head;
    else
        to->head = from->head;
    to->tail = from->tail;
    from->head = from->tail = NULL;
}

/* --- jobs --- */

/* Wipe and free the password copy; safe on any thread (cm_free is free). */
static void s_job_wipe(struct job *job)
{
    if (job->pw) {
        explicit_bzero(job->pw, job->len);
        cm_free(job->pw);
        job->pw = NULL;
    }
    job->len = 0;
}

static void s_job_free(struct job *job)
{
    s_job_wipe(job);
    explicit_bzero(job, sizeof(*job));
    cm_free(job);
}

static int s_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Hash `len` bytes of `pw` with the current parameters and a fresh salt into `out`.
 * Returns ARGON2_OK, another libargon2 code, or PW_ERR_RANDOM when getrandom failed (errno
 * kept). */
static int s_argon2_hash(const auth_pw_t *self, const void *pw, size_t len, char *out,
                         size_t outlen)
{
    uint8_t salt[AUTH_PW_SALT_LEN];
    if (s_random(salt, sizeof(salt)) != 0)
        return PW_ERR_RANDOM;
    return argon2_hash(self->t, self->m_kib, 1, pw, len, salt, sizeof(salt), NULL, AUTH_PW_TAG_LEN,
                       out, outlen, Argon2_id, PW_VERSION);
}

/* Worker side: compute `job`, wipe its password. No libevent, no logging here. */
static void s_run(const auth_pw_t *self, struct job *job)
{
    const char *pw = job->pw ? (const char *)job->pw : "";
    if (job->kind == JOB_HASH) {
        job->status = CM_ERR_INVALID;
        if (job->pw && job->len > 0) {
            job->arc = s_argon2_hash(self, pw, job->len, job->encoded, sizeof(job->encoded));
            job->err = errno;
            job->ran = job->arc != PW_ERR_RANDOM;
            job->status = job->arc == ARGON2_OK ? CM_OK : CM_ERR_INTERNAL;
        }
    } else {
        /* The dummy path does the same work as a real check: one argon2id with the current
         * parameters, whose answer is thrown away. */
        const char *enc = job->dummy ? self->dummy : job->encoded;
        job->arc = argon2id_verify(enc, pw, job->len);
        job->ran = true;
        job->status = (!job->dummy && job->arc == ARGON2_OK) ? CM_OK : CM_ERR_UNAUTHORIZED;
    }
    s_job_wipe(job);
}

static void *s_worker(void *arg)
{
    auth_pw_t *self = arg;
    pthread_mutex_lock(&self->mu);
    for (;;) {
        while (!self->stopping && !self->work.head)
            pthread_cond_wait(&self->cv, &self->mu);
        if (self->stopping)
            break; /* jobs still queued are answered by auth_pw_destroy */
        struct job *job = s_pop(&self->work);
        self->queued--;
        self->running++;
        pthread_mutex_unlock(&self->mu);

        s_run(self, job);

        pthread_mutex_lock(&self->mu);
        self->running--;
        s_push(&self->done, job);
        bool wake = !self->wake_pending;
        self->wake_pending = true;
        pthread_mutex_unlock(&self->mu);
        if (wake) {
            /* At most one byte per non-empty `done`, so the pipe never fills; should a write
             * fail anyway (EAGAIN), bytes are already waiting and the loop wakes regardless. */
            char b = 1;
            ssize_t n = write(self->wake_wr, &b, 1);
            CM_UNUSED(n);
        }
        pthread_mutex_lock(&self->mu);
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

/* --- delivery (loop thread) --- */

/* Answer `job` with `status` (its own outcome, or CM_ERR_SHUTDOWN), then free it. The
 * callback may destroy the pool: `self` is not touched after it. */
static void s_deliver(auth_pw_t *self, struct job *job, int status)
{
    if (job->ran) {
        if (job->kind == JOB_HASH)
            self->hashes++;
        else
            self->verifies++;
    }
    if (job->arc == PW_ERR_RANDOM)
        cm_log_e("pw", 0, "hash: getrandom: %s", strerror(job->err));
    else if (job->arc != ARGON2_OK && job->arc != ARGON2_VERIFY_MISMATCH)
        cm_log_w("pw", 0, "%s%s: %s", job->kind == JOB_HASH ? "hash" : "verify",
                 job->dummy ? " (dummy)" : "", argon2_error_message(job->arc));
    self->inflight--;

    if (job->kind == JOB_HASH)
        job->hash_cb(status, status == CM_OK ? job->encoded : NULL, job->arg);
    else
        job->verify_cb(status, status == CM_OK && job->needs_rehash, job->arg);
    s_job_free(job);
}

static void s_free(auth_pw_t *self)
{
    if (self->ev_wake)
        event_free(self->ev_wake);
    if (self->wake_rd >= 0)
        close(self->wake_rd);
    if (self->wake_wr >= 0)
        close(self->wake_wr);
    pthread_cond_destroy(&self->cv);
    pthread_mutex_destroy(&self->mu);
    self->tag = AUTH_PW_DEAD;
    cm_free(self);
}

static void s_on_wake(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(what);
    auth_pw_t *self = arg;
    assert(self->tag == AUTH_PW_TAG);
    char buf[64];
    /* Drain first, then take `done`: a byte written after this point finds the flag cleared
     * below or its job already taken; either way no completion waits for a byte. */
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    pthread_mutex_lock(&self->mu);
    s_splice(&self->batch, &self->done);
    self->wake_pending = false;
    pthread_mutex_unlock(&self->mu);

    self->in_deliver = true;
    struct job *job;
    while (!self->dead && (job = s_pop(&self->batch)) != NULL)
        s_deliver(self, job, job->status);
    self->in_deliver = false;
    if (self->dead)
        s_free(self);
}

/* --- parsing --- */

/* `p` past the literal `lit`, or NULL (also when `p` is NULL). */
static const char *s_lit(const char *p, const char *lit)
{
    size_t n = strlen(lit);
    return p && strncmp(p, lit, n) == 0 ? p + n : NULL;
}

/* A decimal uint32 without sign or leading zero. `p` past it, or NULL. */
static const char *s_u32(const char *p, uint32_t *out)
{
    if (!p || *p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return NULL;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return NULL;
    }
    *out = (uint32_t)v;
    return p;
}

/* Unpadded standard base64 up to '$' or the end, whose unused low bits are zero (as
 * libargon2 wants). `p` past it with the decoded length in *len_out, or NULL. */
static const char *s_b64(const char *p, size_t *len_out)
{
    if (!p)
        return NULL;
    size_t n = 0;
    while (cm_b64_digit((unsigned char)p[n], false) >= 0)
        n++;
    if (n == 0 || n % 4 == 1)
        return NULL;
    int last = n % 4 ? cm_b64_digit((unsigned char)p[n - 1], false) : 0;
    if ((n % 4 == 2 && (last & 0x0f)) || (n % 4 == 3 && (last & 0x03)))
        return NULL;
    *len_out = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    return p + n;
}

/* True when `pp` is below the current parameters of `self`. */
static bool s_below(const auth_pw_t *self, const struct auth_pw_params *pp)
{
    return pp->variant != AUTH_PW_ARGON2ID || pp->version != PW_VERSION || pp->p != 1 ||
           pp->m_kib < self->m_kib || pp->t < self->t || pp->salt_len < AUTH_PW_SALT_LEN ||
           pp->tag_len < AUTH_PW_TAG_LEN;
}

/* --- public --- */

/* Tell the threads to stop and wait for them; jobs still queued stay queued. */
static void s_stop_threads(auth_pw_t *self)
{
    pthread_mutex_lock(&self->mu);
    self->stopping = true;
    pthread_cond_broadcast(&self->cv);
    pthread_mutex_unlock(&self->mu);
    for (int i = 0; i < self->nthreads; i++)
        pthread_join(self->threads[i], NULL);
}

auth_pw_t *auth_pw_new(struct event_base *base, const struct auth_pw_opts *o, char *err,
                       size_t errlen)
{
    struct auth_pw_opts d = {0};
    if (!o)
        o = &d;
    uint32_t m = o->m_kib ? o->m_kib : AUTH_PW_M_DEFAULT;
    uint32_t t = o->t ? o->t : AUTH_PW_T_DEFAULT;
    int threads = o->threads ? o->threads : AUTH_PW_THREADS_DEFAULT;
    int queue_max = o->queue_max ? o->queue_max : AUTH_PW_QUEUE_DEFAULT;
    if (!base) {
        cm_errf(err, errlen, "password hasher: no event loop");
        return NULL;
    }
    if (t > AUTH_PW_T_MAX || m > AUTH_PW_M_MAX) {
        cm_errf(err, errlen,
                "password hasher: m=%" PRIu32 " KiB t=%" PRIu32 " over the caps (m <= %d, t <= %d)",
                m, t, AUTH_PW_M_MAX, AUTH_PW_T_MAX);
        return NULL;
    }
    if (!((t >= 2 && m >= AUTH_PW_M_MIN_T2) || (t == 1 && m >= AUTH_PW_M_MIN_T1))) {
        cm_errf(err, errlen,
                "password hasher: m=%" PRIu32 " KiB t=%" PRIu32
                " is weaker than argon2id needs (t >= 2 with m >= %d KiB, or t = 1 with m >= %d)",
                m, t, AUTH_PW_M_MIN_T2, AUTH_PW_M_MIN_T1);
        return NULL;
    }
    if (threads < 1 || threads > AUTH_PW_THREADS_MAX || queue_max < 1 ||
        queue_max > AUTH_PW_QUEUE_MAX) {
        cm_errf(err, errlen, "password hasher: threads=%d queue_max=%d out of range (1..%d, 1..%d)",
                threads, queue_max, AUTH_PW_THREADS_MAX, AUTH_PW_QUEUE_MAX);
        return NULL;
    }
    if (argon2_encodedlen(t, m, 1, AUTH_PW_SALT_LEN, AUTH_PW_TAG_LEN, Argon2_id) >
        AUTH_PW_ENCODED_MAX) {
        cm_errf(err, errlen, "password hasher: encoded hash longer than %d", AUTH_PW_ENCODED_MAX);
        return NULL;
    }

    auth_pw_t *self = cm_calloc(1, sizeof(*self));
    self->tag = AUTH_PW_TAG;
    self->base = base;
    self->m_kib = m;
    self->t = t;
    self->cap = threads + queue_max;
    self->wake_rd = self->wake_wr = -1;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);

    /* The dummy hash for unknown users: same parameters, a password nobody knows. */
    uint8_t secret[PW_DUMMY_LEN];
    int rc = s_random(secret, sizeof(secret));
    int arc = rc == 0
                  ? s_argon2_hash(self, secret, sizeof(secret), self->dummy, sizeof(self->dummy))
                  : PW_ERR_RANDOM;
    explicit_bzero(secret, sizeof(secret));
    if (arc != ARGON2_OK) {
        cm_errf(err, errlen, "password hasher: dummy hash: %s",
                arc == PW_ERR_RANDOM ? strerror(errno) : argon2_error_message(arc));
        goto fail;
    }

    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        cm_errf(err, errlen, "password hasher: pipe: %s", strerror(errno));
        goto fail;
    }
    self->wake_rd = fds[0];
    self->wake_wr = fds[1];
    self->ev_wake = event_new(base, self->wake_rd, EV_READ | EV_PERSIST, s_on_wake, self);
    if (!self->ev_wake || event_add(self->ev_wake, NULL) != 0) {
        cm_errf(err, errlen, "password hasher: cannot watch the wake-up pipe");
        goto fail;
    }

    /* Workers take no signals: they belong to the loop thread (cm_daemon). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < threads; i++) {
        int e = pthread_create(&self->threads[i], NULL, s_worker, self);
        if (e != 0) {
            cm_errf(err, errlen, "password hasher: thread %d: %s", i, strerror(e));
            break;
        }
        pthread_setname_np(self->threads[i], "auth-pw");
        self->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (self->nthreads == threads)
        return self;

fail:
    s_stop_threads(self);
    s_free(self);
    return NULL;
}

void auth_pw_destroy(auth_pw_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    auth_pw_t *self = *self_p;
    *self_p = NULL;
    assert(self->tag == AUTH_PW_TAG);
    if (self->closing)
        return; /* again, from one of the callbacks below */
    self->closing = true;

    s_stop_threads(self);

    /* Only this thread is left: answer everything not yet answered, oldest first. */
    struct fifo all = {0};
    s_splice(&all, &self->batch);
    s_splice(&all, &self->done);
    s_splice(&all, &self->work);
    self->queued = self->running = 0;
    struct job *job;
    while ((job = s_pop(&all)) != NULL)
        s_deliver(self, job, CM_ERR_SHUTDOWN);

    if (self->in_deliver)
        self->dead = true; /* s_on_wake frees once the current callback returns */
    else
        s_free(self);
}

/* Common part of the submits: admission, allocation. NULL when full or stopping. */
static struct job *s_job_new(auth_pw_t *self, enum job_kind kind, const char *pw, size_t len,
                             void *arg)
{
    assert(self && self->tag == AUTH_PW_TAG);
    if (self->closing)
        return NULL;
    if (self->inflight >= self->cap) {
        self->busy++;
        return NULL;
    }
    struct job *job = cm_calloc(1, sizeof(*job));
    job->kind = kind;
    job->arg = arg;
    job->arc = ARGON2_OK;
    /* Over-long input is not copied: hash refuses it, verify checks the dummy instead. */
    if (len <= AUTH_PW_LEN_MAX && (pw || len == 0)) {
        job->pw = cm_malloc(len + 1);
        if (len)
            memcpy(job->pw, pw, len);
        job->len = len;
    }
    return job;
}

static void s_job_submit(auth_pw_t *self, struct job *job)
{
    self->inflight++;
    pthread_mutex_lock(&self->mu);
    s_push(&self->work, job);
    self->queued++;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
}

int auth_pw_hash(auth_pw_t *self, const char *pw, size_t len, auth_pw_hash_fn *cb, void *arg)
{
    assert(cb);
    struct job *job = s_job_new(self, JOB_HASH, pw, len, arg);
    if (!job)
        return -1;
    job->hash_cb = cb;
    s_job_submit(self, job);
    return 0;
}

int auth_pw_verify(auth_pw_t *self, const char *encoded, const char *pw, size_t len,
                   auth_pw_verify_fn *cb, void *arg)
{
    assert(cb);
    struct job *job = s_job_new(self, JOB_VERIFY, pw, len, arg);
    if (!job)
        return -1;
    job->verify_cb = cb;
    struct auth_pw_params pp;
    if (!encoded) {
        job->dummy = true; /* unknown user */
    } else if (auth_pw_parse(encoded, &pp) != 0 || pp.variant != AUTH_PW_ARGON2ID ||
               pp.m_kib > AUTH_PW_M_MAX || pp.t > AUTH_PW_T_MAX || pp.p > AUTH_PW_P_MAX) {
        /* A stored string we will not run: never a match, and never more memory than the
         * pool's cap. The string itself stays out of the log. */
        cm_log_w("pw", 0,
                 "stored password hash refused (malformed, not argon2id or over the "
                 "caps); answering mismatch");
        job->dummy = true;
    } else {
        memcpy(job->encoded, encoded, strlen(encoded) + 1); /* parse capped the length */
        job->needs_rehash = s_below(self, &pp);
    }
    if (!job->pw)
        job->dummy = true; /* over AUTH_PW_LEN_MAX: cannot be a password we accepted */
    s_job_submit(self, job);
    return 0;
}

bool auth_pw_needs_rehash(const auth_pw_t *self, const char *encoded)
{
    assert(self && self->tag == AUTH_PW_TAG);
    struct auth_pw_params pp;
    return auth_pw_parse(encoded, &pp) != 0 || s_below(self, &pp);
}

int auth_pw_parse(const char *encoded, struct auth_pw_params *out)
{
    if (!encoded || !out || strnlen(encoded, AUTH_PW_ENCODED_MAX + 1) > AUTH_PW_ENCODED_MAX)
        return -1;
    const char *p;
    memset(out, 0, sizeof(*out));
    if ((p = s_lit(encoded, "$argon2id$")) != NULL)
        out->variant = AUTH_PW_ARGON2ID;
    else if ((p = s_lit(encoded, "$argon2i$")) != NULL)
        out->variant = AUTH_PW_ARGON2I;
    else if ((p = s_lit(encoded, "$argon2d$")) != NULL)
        out->variant = AUTH_PW_ARGON2D;
    else
        return -1;
    out->version = ARGON2_VERSION_10;
    if (s_lit(p, "v=")) {
        p = s_lit(s_u32(p + 2, &out->version), "$");
        if (!p || (out->version != ARGON2_VERSION_10 && out->version != ARGON2_VERSION_13))
            return -1;
    }
    p = s_u32(s_lit(p, "m="), &out->m_kib);
    p = p ? s_u32(s_lit(p, ",t="), &out->t) : NULL;
    p = p ? s_u32(s_lit(p, ",p="), &out->p) : NULL;
    p = p ? s_b64(s_lit(p, "$"), &out->salt_len) : NULL;
    p = p ? s_b64(s_lit(p, "$"), &out->tag_len) : NULL;
    if (!p || *p != '\0' || out->m_kib == 0 || out->t == 0 || out->p == 0 ||
        out->salt_len > AUTH_PW_FIELD_MAX || out->tag_len > AUTH_PW_FIELD_MAX)
        return -1;
    return 0;
}

int auth_pw_policy(const char *pw, size_t len, char *err, size_t errlen)
{
    if (!pw || len < AUTH_PW_LEN_MIN) {
        cm_errf(err, errlen, "The password is too short: use at least %d characters.",
                AUTH_PW_LEN_MIN);
        return -1;
    }
    if (len > AUTH_PW_LEN_MAX) {
        cm_errf(err, errlen, "The password is too long: use at most %d bytes.", AUTH_PW_LEN_MAX);
        return -1;
    }
    if (memchr(pw, '\0', len)) {
        cm_errf(err, errlen, "The password must not contain a NUL character.");
        return -1;
    }
    if (!cm_utf8_valid(pw, len, false)) {
        cm_errf(err, errlen, "The password must be valid UTF-8 text.");
        return -1;
    }
    if (len <= PW_COMMON_LEN_MAX) {
        char low[PW_COMMON_LEN_MAX];
        for (size_t i = 0; i < len; i++)
            low[i] = (pw[i] >= 'A' && pw[i] <= 'Z') ? (char)(pw[i] - 'A' + 'a') : pw[i];
        bool common = false;
        for (size_t i = 0; i < CM_ARRAY_LEN(s_common); i++)
            common |= strlen(s_common[i]) == len && memcmp(s_common[i], low, len) == 0;
        explicit_bzero(low, sizeof(low));
        if (common) {
            cm_errf(err, errlen,
                    "The password is one of the most common passwords: choose another one.");
            return -1;
        }
    }
    return 0;
}

void auth_pw_stats(const auth_pw_t *self, struct auth_pw_stats *out)
{
    assert(self && self->tag == AUTH_PW_TAG && out);
    out->hashes = self->hashes;
    out->verifies = self->verifies;
    out->busy = self->busy;
    pthread_mutex_t *mu = (pthread_mutex_t *)&self->mu; /* counters, not state: const API */
    pthread_mutex_lock(mu);
    out->queued = self->queued;
    out->running = self->running;
    pthread_mutex_unlock(mu);
}
