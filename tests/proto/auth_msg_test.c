/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/auth.toml
 * SPDX-License-Identifier: MIT
 * Tests of the auth codecs: each message is built from its schema test values, encoded, decoded,
 * compared field by field, re-encoded and compared byte for byte (zproto's self-test), compared
 * with its golden encoding in tests/proto/golden/auth/ and printed. Each str, bin, list and map
 * field is also tried at its max and past it. Run from the repository root. */
#include "cm.h"
#include "auth_msg.h"
#include "../tap.h"

/* --- Helpers --- */

enum {
    TEST_BUF_CAP = CM_POOL_MSG_MAX, /* room for any encoding */
    TEST_PRINT_MAX = 64 * 1024,     /* room for any printed line */
};

/* The TAP name "MSG: what", in a static buffer: valid until the next call. */
static const char *s_name(const char *msg, const char *what)
{
    static char name[256];
    snprintf(name, sizeof(name), "%s: %s", msg, what);
    return name;
}

/* Print the bytes of `buf` as a TAP diagnostic, in hex. */
static void s_diag_hex(const char *what, const cm_buf_t *buf)
{
    char hex[2 * 64 + 4] = "";
    size_t len = cm_buf_len(buf);
    for (size_t i = 0; i < len && i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", cm_buf_data(buf)[i]);
    if (len > 64)
        memcpy(hex + 2 * 64, "...", 4);
    diag("%s (%zu bytes): %s", what, len, hex);
}

/* True when two arrays of the same type hold the same bytes. */
#define SAME_ARRAY(x, y) (memcmp((x), (y), sizeof(x)) == 0)

/* True when `a` and `b` hold the same bytes. */
static bool s_same(const cm_buf_t *a, const cm_buf_t *b)
{
    return cm_buf_len(a) == cm_buf_len(b) &&
           memcmp(cm_buf_data(a), cm_buf_data(b), cm_buf_len(a)) == 0;
}

/* Read a whole file into `buf`; -1 when it cannot be read. */
static int s_read_file(const char *path, cm_buf_t *buf)
{
    unsigned char chunk[4096];
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        if (cm_buf_append(buf, chunk, n) < 0) {
            rc = -1;
            break;
        }
    }
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc;
}

/* Compare an encoding with tests/proto/golden/auth/<msg>.mp, written by `make proto-golden` from
 * the schema with the generator's own msgpack encoder. */
static void s_golden(const cm_buf_t *enc, const char *msg)
{
    char path[256];
    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);

    snprintf(path, sizeof(path), "tests/proto/golden/auth/%s.mp", msg);
    if (s_read_file(path, want) < 0) {
        ok(0, s_name(msg, "golden file readable"));
        diag("cannot read %s: run `make proto-golden` from the repository root", path);
    } else if (!ok(s_same(enc, want), s_name(msg, "encoding matches its golden file"))) {
        s_diag_hex("got ", enc);
        s_diag_hex("want", want);
        diag("if the change is intended, run `make proto-golden` and review the diff");
    }
    cm_buf_destroy(&want);
}

/* Encode `a`, decode that into `b`, encode `b` and compare the two encodings. Leaves the first
 * encoding in `enc` (the views of `b` point into it). */
static void s_round_trip(int id, const void *a, void *b, cm_buf_t *enc)
{
    const char *msg = auth_msg_name(id);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);

    cm_buf_reset(enc);
    is_int(auth_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));
    int rc = auth_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));
    is_int(rc, 0, s_name(msg, "decodes"));
    is_int(auth_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));
    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));
    cm_buf_destroy(&again);
}

/* The same without TAP output: true when every step passed. */
static bool s_cycle(int id, const void *a, void *b)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);
    bool pass = auth_msg_encode(id, a, enc) == 0 &&
                auth_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&
                auth_msg_encode(id, b, again) == 0 && s_same(enc, again);
    cm_buf_destroy(&again);
    cm_buf_destroy(&enc);
    return pass;
}

/* True when encoding `a` is refused. */
static bool s_refused(int id, const void *a)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    bool refused = auth_msg_encode(id, a, enc) == -1;
    cm_buf_destroy(&enc);
    return refused;
}

/* print writes exactly one line, starting with the protocol and message names. */
static void s_print(int id, const void *m)
{
    static char text[TEST_PRINT_MAX];
    const char *msg = auth_msg_name(id);
    char want[64];

    memset(text, 0, sizeof(text));
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!ok(f != NULL, s_name(msg, "fmemopen")))
        return;
    auth_msg_print(id, m, f);
    fclose(f);
    snprintf(want, sizeof(want), "auth.%s", msg);
    size_t len = strlen(text);
    bool line = len > 0 && strchr(text, '\n') == text + len - 1;
    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));
    diag("%.*s", (int)strcspn(text, "\n"), text);
}

/* --- LOGIN --- */

/* The schema's test values. */
static void s_fill_login(struct auth_login *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->email, "alice@example.org", 17);
    memcpy(m->password, "correct horse battery", 21);
    memcpy(m->ip, "203.0.113.7", 11);
    memcpy(m->user_agent, "Mozilla/5.0", 11);
}

static void s_test_login(cm_buf_t *enc)
{
    struct auth_login a, b;

    s_fill_login(&a);
    s_round_trip(AUTH_MSG_LOGIN, &a, &b, enc);
    is_str(b.email, a.email, s_name("LOGIN", "email"));
    is_str(b.password, a.password, s_name("LOGIN", "password"));
    is_str(b.ip, a.ip, s_name("LOGIN", "ip"));
    is_str(b.user_agent, a.user_agent, s_name("LOGIN", "user_agent"));
    s_golden(enc, "LOGIN");
    s_print(AUTH_MSG_LOGIN, &b);

    s_fill_login(&a);
    memset(a.email, 'x', 254);
    ok(s_cycle(AUTH_MSG_LOGIN, &a, &b), s_name("LOGIN", "email at its max"));
    a.email[254] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "email past its max refused"));
    memcpy(a.email, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "email not UTF-8 refused"));

    s_fill_login(&a);
    memset(a.password, 'x', 1024);
    ok(s_cycle(AUTH_MSG_LOGIN, &a, &b), s_name("LOGIN", "password at its max"));
    a.password[1024] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "password past its max refused"));
    memcpy(a.password, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "password not UTF-8 refused"));

    s_fill_login(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_LOGIN, &a, &b), s_name("LOGIN", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "ip not UTF-8 refused"));

    s_fill_login(&a);
    memset(a.user_agent, 'x', 256);
    ok(s_cycle(AUTH_MSG_LOGIN, &a, &b), s_name("LOGIN", "user_agent at its max"));
    a.user_agent[256] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "user_agent past its max refused"));
    memcpy(a.user_agent, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGIN, &a), s_name("LOGIN", "user_agent not UTF-8 refused"));
}

/* --- TOKENS --- */

/* The schema's test values. */
static void s_fill_tokens(struct auth_tokens *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->access_token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig", 44);
    memcpy(m->refresh_token, "q0Z3mJvKx1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwx", 43);
    m->expires_in = 900;
    m->refresh_expires_in = 604800;
    memcpy(m->session_id, "9f86d081884c7d659a2feaa0c55ad015", 32);
    m->user_id = UINT64_C(42);
    memcpy(m->email, "alice@example.org", 17);
    memcpy(m->role, "user", 4);
    memcpy(m->display_name, "Alice", 5);
}

static void s_test_tokens(cm_buf_t *enc)
{
    struct auth_tokens a, b;

    s_fill_tokens(&a);
    s_round_trip(AUTH_MSG_TOKENS, &a, &b, enc);
    is_str(b.access_token, a.access_token, s_name("TOKENS", "access_token"));
    is_str(b.refresh_token, a.refresh_token, s_name("TOKENS", "refresh_token"));
    ok(b.expires_in == a.expires_in, s_name("TOKENS", "expires_in"));
    ok(b.refresh_expires_in == a.refresh_expires_in, s_name("TOKENS", "refresh_expires_in"));
    is_str(b.session_id, a.session_id, s_name("TOKENS", "session_id"));
    ok(b.user_id == a.user_id, s_name("TOKENS", "user_id"));
    is_str(b.email, a.email, s_name("TOKENS", "email"));
    is_str(b.role, a.role, s_name("TOKENS", "role"));
    is_str(b.display_name, a.display_name, s_name("TOKENS", "display_name"));
    s_golden(enc, "TOKENS");
    s_print(AUTH_MSG_TOKENS, &b);

    s_fill_tokens(&a);
    memset(a.access_token, 'x', 4096);
    ok(s_cycle(AUTH_MSG_TOKENS, &a, &b), s_name("TOKENS", "access_token at its max"));
    a.access_token[4096] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "access_token past its max refused"));
    memcpy(a.access_token, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "access_token not UTF-8 refused"));

    s_fill_tokens(&a);
    memset(a.refresh_token, 'x', 64);
    ok(s_cycle(AUTH_MSG_TOKENS, &a, &b), s_name("TOKENS", "refresh_token at its max"));
    a.refresh_token[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "refresh_token past its max refused"));
    memcpy(a.refresh_token, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "refresh_token not UTF-8 refused"));

    s_fill_tokens(&a);
    memset(a.session_id, 'x', 32);
    ok(s_cycle(AUTH_MSG_TOKENS, &a, &b), s_name("TOKENS", "session_id at its max"));
    a.session_id[32] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "session_id past its max refused"));
    memcpy(a.session_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "session_id not UTF-8 refused"));

    s_fill_tokens(&a);
    memset(a.email, 'x', 254);
    ok(s_cycle(AUTH_MSG_TOKENS, &a, &b), s_name("TOKENS", "email at its max"));
    a.email[254] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "email past its max refused"));
    memcpy(a.email, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "email not UTF-8 refused"));

    s_fill_tokens(&a);
    memset(a.role, 'x', 16);
    ok(s_cycle(AUTH_MSG_TOKENS, &a, &b), s_name("TOKENS", "role at its max"));
    a.role[16] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "role past its max refused"));
    memcpy(a.role, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "role not UTF-8 refused"));

    s_fill_tokens(&a);
    memset(a.display_name, 'x', 100);
    ok(s_cycle(AUTH_MSG_TOKENS, &a, &b), s_name("TOKENS", "display_name at its max"));
    a.display_name[100] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "display_name past its max refused"));
    memcpy(a.display_name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_TOKENS, &a), s_name("TOKENS", "display_name not UTF-8 refused"));
}

/* --- REFRESH --- */

/* The schema's test values. */
static void s_fill_refresh(struct auth_refresh *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->refresh_token, "q0Z3mJvKx1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwx", 43);
    memcpy(m->ip, "203.0.113.7", 11);
    memcpy(m->user_agent, "Mozilla/5.0", 11);
}

static void s_test_refresh(cm_buf_t *enc)
{
    struct auth_refresh a, b;

    s_fill_refresh(&a);
    s_round_trip(AUTH_MSG_REFRESH, &a, &b, enc);
    is_str(b.refresh_token, a.refresh_token, s_name("REFRESH", "refresh_token"));
    is_str(b.ip, a.ip, s_name("REFRESH", "ip"));
    is_str(b.user_agent, a.user_agent, s_name("REFRESH", "user_agent"));
    s_golden(enc, "REFRESH");
    s_print(AUTH_MSG_REFRESH, &b);

    s_fill_refresh(&a);
    memset(a.refresh_token, 'x', 128);
    ok(s_cycle(AUTH_MSG_REFRESH, &a, &b), s_name("REFRESH", "refresh_token at its max"));
    a.refresh_token[128] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_REFRESH, &a), s_name("REFRESH", "refresh_token past its max refused"));
    memcpy(a.refresh_token, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_REFRESH, &a), s_name("REFRESH", "refresh_token not UTF-8 refused"));

    s_fill_refresh(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_REFRESH, &a, &b), s_name("REFRESH", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_REFRESH, &a), s_name("REFRESH", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_REFRESH, &a), s_name("REFRESH", "ip not UTF-8 refused"));

    s_fill_refresh(&a);
    memset(a.user_agent, 'x', 256);
    ok(s_cycle(AUTH_MSG_REFRESH, &a, &b), s_name("REFRESH", "user_agent at its max"));
    a.user_agent[256] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_REFRESH, &a), s_name("REFRESH", "user_agent past its max refused"));
    memcpy(a.user_agent, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_REFRESH, &a), s_name("REFRESH", "user_agent not UTF-8 refused"));
}

/* --- LOGOUT --- */

/* The schema's test values. */
static void s_fill_logout(struct auth_logout *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->refresh_token, "q0Z3mJvKx1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwx", 43);
    memcpy(m->session_id, "9f86d081884c7d659a2feaa0c55ad015", 32);
    m->user_id = UINT64_C(42);
    memcpy(m->ip, "203.0.113.7", 11);
}

static void s_test_logout(cm_buf_t *enc)
{
    struct auth_logout a, b;

    s_fill_logout(&a);
    s_round_trip(AUTH_MSG_LOGOUT, &a, &b, enc);
    is_str(b.refresh_token, a.refresh_token, s_name("LOGOUT", "refresh_token"));
    is_str(b.session_id, a.session_id, s_name("LOGOUT", "session_id"));
    ok(b.user_id == a.user_id, s_name("LOGOUT", "user_id"));
    is_str(b.ip, a.ip, s_name("LOGOUT", "ip"));
    s_golden(enc, "LOGOUT");
    s_print(AUTH_MSG_LOGOUT, &b);

    s_fill_logout(&a);
    memset(a.refresh_token, 'x', 128);
    ok(s_cycle(AUTH_MSG_LOGOUT, &a, &b), s_name("LOGOUT", "refresh_token at its max"));
    a.refresh_token[128] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGOUT, &a), s_name("LOGOUT", "refresh_token past its max refused"));
    memcpy(a.refresh_token, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGOUT, &a), s_name("LOGOUT", "refresh_token not UTF-8 refused"));

    s_fill_logout(&a);
    memset(a.session_id, 'x', 32);
    ok(s_cycle(AUTH_MSG_LOGOUT, &a, &b), s_name("LOGOUT", "session_id at its max"));
    a.session_id[32] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGOUT, &a), s_name("LOGOUT", "session_id past its max refused"));
    memcpy(a.session_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGOUT, &a), s_name("LOGOUT", "session_id not UTF-8 refused"));

    s_fill_logout(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_LOGOUT, &a, &b), s_name("LOGOUT", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_LOGOUT, &a), s_name("LOGOUT", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_LOGOUT, &a), s_name("LOGOUT", "ip not UTF-8 refused"));
}

/* --- LOGOUT_OK --- */

/* The schema's test values. */
static void s_fill_logout_ok(struct auth_logout_ok *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_logout_ok(cm_buf_t *enc)
{
    struct auth_logout_ok a, b;

    s_fill_logout_ok(&a);
    s_round_trip(AUTH_MSG_LOGOUT_OK, &a, &b, enc);
    s_golden(enc, "LOGOUT_OK");
    s_print(AUTH_MSG_LOGOUT_OK, &b);
}

/* --- USER_CREATE --- */

/* The schema's test values. */
static void s_fill_user_create(struct auth_user_create *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->email, "bob@example.org", 15);
    memcpy(m->password, "a long enough password", 22);
    memcpy(m->role, "user", 4);
    memcpy(m->display_name, "Bob", 3);
    m->actor_id = UINT64_C(1);
    memcpy(m->ip, "203.0.113.7", 11);
}

static void s_test_user_create(cm_buf_t *enc)
{
    struct auth_user_create a, b;

    s_fill_user_create(&a);
    s_round_trip(AUTH_MSG_USER_CREATE, &a, &b, enc);
    is_str(b.email, a.email, s_name("USER_CREATE", "email"));
    is_str(b.password, a.password, s_name("USER_CREATE", "password"));
    is_str(b.role, a.role, s_name("USER_CREATE", "role"));
    is_str(b.display_name, a.display_name, s_name("USER_CREATE", "display_name"));
    ok(b.actor_id == a.actor_id, s_name("USER_CREATE", "actor_id"));
    is_str(b.ip, a.ip, s_name("USER_CREATE", "ip"));
    s_golden(enc, "USER_CREATE");
    s_print(AUTH_MSG_USER_CREATE, &b);

    s_fill_user_create(&a);
    memset(a.email, 'x', 254);
    ok(s_cycle(AUTH_MSG_USER_CREATE, &a, &b), s_name("USER_CREATE", "email at its max"));
    a.email[254] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "email past its max refused"));
    memcpy(a.email, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "email not UTF-8 refused"));

    s_fill_user_create(&a);
    memset(a.password, 'x', 1024);
    ok(s_cycle(AUTH_MSG_USER_CREATE, &a, &b), s_name("USER_CREATE", "password at its max"));
    a.password[1024] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "password past its max refused"));
    memcpy(a.password, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "password not UTF-8 refused"));

    s_fill_user_create(&a);
    memset(a.role, 'x', 16);
    ok(s_cycle(AUTH_MSG_USER_CREATE, &a, &b), s_name("USER_CREATE", "role at its max"));
    a.role[16] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "role past its max refused"));
    memcpy(a.role, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "role not UTF-8 refused"));

    s_fill_user_create(&a);
    memset(a.display_name, 'x', 100);
    ok(s_cycle(AUTH_MSG_USER_CREATE, &a, &b), s_name("USER_CREATE", "display_name at its max"));
    a.display_name[100] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a),
       s_name("USER_CREATE", "display_name past its max refused"));
    memcpy(a.display_name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a),
       s_name("USER_CREATE", "display_name not UTF-8 refused"));

    s_fill_user_create(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_USER_CREATE, &a, &b), s_name("USER_CREATE", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_CREATE, &a), s_name("USER_CREATE", "ip not UTF-8 refused"));
}

/* --- USER --- */

/* The schema's test values. */
static void s_fill_user(struct auth_user *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(42);
    memcpy(m->email, "bob@example.org", 15);
    memcpy(m->role, "user", 4);
    memcpy(m->display_name, "Bob", 3);
    m->created_ms = INT64_C(1764000000000);
    m->updated_ms = INT64_C(1764000000000);
}

static void s_test_user(cm_buf_t *enc)
{
    struct auth_user a, b;

    s_fill_user(&a);
    s_round_trip(AUTH_MSG_USER, &a, &b, enc);
    ok(b.id == a.id, s_name("USER", "id"));
    is_str(b.email, a.email, s_name("USER", "email"));
    is_str(b.role, a.role, s_name("USER", "role"));
    is_str(b.display_name, a.display_name, s_name("USER", "display_name"));
    ok(b.created_ms == a.created_ms, s_name("USER", "created_ms"));
    ok(b.updated_ms == a.updated_ms, s_name("USER", "updated_ms"));
    s_golden(enc, "USER");
    s_print(AUTH_MSG_USER, &b);

    s_fill_user(&a);
    memset(a.email, 'x', 254);
    ok(s_cycle(AUTH_MSG_USER, &a, &b), s_name("USER", "email at its max"));
    a.email[254] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER, &a), s_name("USER", "email past its max refused"));
    memcpy(a.email, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER, &a), s_name("USER", "email not UTF-8 refused"));

    s_fill_user(&a);
    memset(a.role, 'x', 16);
    ok(s_cycle(AUTH_MSG_USER, &a, &b), s_name("USER", "role at its max"));
    a.role[16] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER, &a), s_name("USER", "role past its max refused"));
    memcpy(a.role, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER, &a), s_name("USER", "role not UTF-8 refused"));

    s_fill_user(&a);
    memset(a.display_name, 'x', 100);
    ok(s_cycle(AUTH_MSG_USER, &a, &b), s_name("USER", "display_name at its max"));
    a.display_name[100] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER, &a), s_name("USER", "display_name past its max refused"));
    memcpy(a.display_name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER, &a), s_name("USER", "display_name not UTF-8 refused"));
}

/* --- USER_LIST --- */

/* The schema's test values. */
static void s_fill_user_list(struct auth_user_list *m)
{
    memset(m, 0, sizeof(*m));
    m->offset = 0;
    m->limit = 50;
}

static void s_test_user_list(cm_buf_t *enc)
{
    struct auth_user_list a, b;

    s_fill_user_list(&a);
    s_round_trip(AUTH_MSG_USER_LIST, &a, &b, enc);
    ok(b.offset == a.offset, s_name("USER_LIST", "offset"));
    ok(b.limit == a.limit, s_name("USER_LIST", "limit"));
    s_golden(enc, "USER_LIST");
    s_print(AUTH_MSG_USER_LIST, &b);
}

/* --- USER_LIST_OK --- */

/* The schema's test values. */
static void s_fill_user_list_ok(struct auth_user_list_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->ids[0] = UINT64_C(42);
    m->ids_count = 1;
    memcpy(m->emails[0], "bob@example.org", 15);
    m->emails_count = 1;
    memcpy(m->roles[0], "user", 4);
    m->roles_count = 1;
    memcpy(m->display_names[0], "Bob", 3);
    m->display_names_count = 1;
    m->created_ms[0] = INT64_C(1764000000000);
    m->created_ms_count = 1;
    m->total = UINT64_C(1);
}

static void s_test_user_list_ok(cm_buf_t *enc)
{
    struct auth_user_list_ok a, b;

    s_fill_user_list_ok(&a);
    s_round_trip(AUTH_MSG_USER_LIST_OK, &a, &b, enc);
    is_int(b.ids_count, a.ids_count, s_name("USER_LIST_OK", "ids_count"));
    ok(SAME_ARRAY(b.ids, a.ids), s_name("USER_LIST_OK", "ids"));
    is_int(b.emails_count, a.emails_count, s_name("USER_LIST_OK", "emails_count"));
    ok(SAME_ARRAY(b.emails, a.emails), s_name("USER_LIST_OK", "emails"));
    is_int(b.roles_count, a.roles_count, s_name("USER_LIST_OK", "roles_count"));
    ok(SAME_ARRAY(b.roles, a.roles), s_name("USER_LIST_OK", "roles"));
    is_int(b.display_names_count, a.display_names_count,
           s_name("USER_LIST_OK", "display_names_count"));
    ok(SAME_ARRAY(b.display_names, a.display_names), s_name("USER_LIST_OK", "display_names"));
    is_int(b.created_ms_count, a.created_ms_count, s_name("USER_LIST_OK", "created_ms_count"));
    ok(SAME_ARRAY(b.created_ms, a.created_ms), s_name("USER_LIST_OK", "created_ms"));
    ok(b.total == a.total, s_name("USER_LIST_OK", "total"));
    s_golden(enc, "USER_LIST_OK");
    s_print(AUTH_MSG_USER_LIST_OK, &b);

    s_fill_user_list_ok(&a);
    a.ids_count = 100;
    ok(s_cycle(AUTH_MSG_USER_LIST_OK, &a, &b), s_name("USER_LIST_OK", "ids at its max"));
    a.ids_count = 101;
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a), s_name("USER_LIST_OK", "ids past its max refused"));

    s_fill_user_list_ok(&a);
    for (uint32_t i = 0; i < 100; i++)
        memset(a.emails[i], 'x', 254);
    a.emails_count = 100;
    ok(s_cycle(AUTH_MSG_USER_LIST_OK, &a, &b), s_name("USER_LIST_OK", "emails at its max"));
    a.emails_count = 101;
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a), s_name("USER_LIST_OK", "emails past its max refused"));
    a.emails_count = 1;
    a.emails[0][254] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a),
       s_name("USER_LIST_OK", "emails item past its max refused"));

    s_fill_user_list_ok(&a);
    for (uint32_t i = 0; i < 100; i++)
        memset(a.roles[i], 'x', 16);
    a.roles_count = 100;
    ok(s_cycle(AUTH_MSG_USER_LIST_OK, &a, &b), s_name("USER_LIST_OK", "roles at its max"));
    a.roles_count = 101;
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a), s_name("USER_LIST_OK", "roles past its max refused"));
    a.roles_count = 1;
    a.roles[0][16] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a),
       s_name("USER_LIST_OK", "roles item past its max refused"));

    s_fill_user_list_ok(&a);
    for (uint32_t i = 0; i < 100; i++)
        memset(a.display_names[i], 'x', 100);
    a.display_names_count = 100;
    ok(s_cycle(AUTH_MSG_USER_LIST_OK, &a, &b), s_name("USER_LIST_OK", "display_names at its max"));
    a.display_names_count = 101;
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a),
       s_name("USER_LIST_OK", "display_names past its max refused"));
    a.display_names_count = 1;
    a.display_names[0][100] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a),
       s_name("USER_LIST_OK", "display_names item past its max refused"));

    s_fill_user_list_ok(&a);
    a.created_ms_count = 100;
    ok(s_cycle(AUTH_MSG_USER_LIST_OK, &a, &b), s_name("USER_LIST_OK", "created_ms at its max"));
    a.created_ms_count = 101;
    ok(s_refused(AUTH_MSG_USER_LIST_OK, &a),
       s_name("USER_LIST_OK", "created_ms past its max refused"));
}

/* --- USER_UPDATE --- */

/* The schema's test values. */
static void s_fill_user_update(struct auth_user_update *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(42);
    memcpy(m->role, "admin", 5);
    memcpy(m->password, "another long password", 21);
    memcpy(m->display_name, "Robert", 6);
    m->set_display_name = true;
    m->actor_id = UINT64_C(1);
    memcpy(m->ip, "203.0.113.7", 11);
}

static void s_test_user_update(cm_buf_t *enc)
{
    struct auth_user_update a, b;

    s_fill_user_update(&a);
    s_round_trip(AUTH_MSG_USER_UPDATE, &a, &b, enc);
    ok(b.id == a.id, s_name("USER_UPDATE", "id"));
    is_str(b.role, a.role, s_name("USER_UPDATE", "role"));
    is_str(b.password, a.password, s_name("USER_UPDATE", "password"));
    is_str(b.display_name, a.display_name, s_name("USER_UPDATE", "display_name"));
    ok(b.set_display_name == a.set_display_name, s_name("USER_UPDATE", "set_display_name"));
    ok(b.actor_id == a.actor_id, s_name("USER_UPDATE", "actor_id"));
    is_str(b.ip, a.ip, s_name("USER_UPDATE", "ip"));
    s_golden(enc, "USER_UPDATE");
    s_print(AUTH_MSG_USER_UPDATE, &b);

    s_fill_user_update(&a);
    memset(a.role, 'x', 16);
    ok(s_cycle(AUTH_MSG_USER_UPDATE, &a, &b), s_name("USER_UPDATE", "role at its max"));
    a.role[16] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a), s_name("USER_UPDATE", "role past its max refused"));
    memcpy(a.role, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a), s_name("USER_UPDATE", "role not UTF-8 refused"));

    s_fill_user_update(&a);
    memset(a.password, 'x', 1024);
    ok(s_cycle(AUTH_MSG_USER_UPDATE, &a, &b), s_name("USER_UPDATE", "password at its max"));
    a.password[1024] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a), s_name("USER_UPDATE", "password past its max refused"));
    memcpy(a.password, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a), s_name("USER_UPDATE", "password not UTF-8 refused"));

    s_fill_user_update(&a);
    memset(a.display_name, 'x', 100);
    ok(s_cycle(AUTH_MSG_USER_UPDATE, &a, &b), s_name("USER_UPDATE", "display_name at its max"));
    a.display_name[100] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a),
       s_name("USER_UPDATE", "display_name past its max refused"));
    memcpy(a.display_name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a),
       s_name("USER_UPDATE", "display_name not UTF-8 refused"));

    s_fill_user_update(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_USER_UPDATE, &a, &b), s_name("USER_UPDATE", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a), s_name("USER_UPDATE", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_UPDATE, &a), s_name("USER_UPDATE", "ip not UTF-8 refused"));
}

/* --- USER_DELETE --- */

/* The schema's test values. */
static void s_fill_user_delete(struct auth_user_delete *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(42);
    m->actor_id = UINT64_C(1);
    memcpy(m->ip, "203.0.113.7", 11);
}

static void s_test_user_delete(cm_buf_t *enc)
{
    struct auth_user_delete a, b;

    s_fill_user_delete(&a);
    s_round_trip(AUTH_MSG_USER_DELETE, &a, &b, enc);
    ok(b.id == a.id, s_name("USER_DELETE", "id"));
    ok(b.actor_id == a.actor_id, s_name("USER_DELETE", "actor_id"));
    is_str(b.ip, a.ip, s_name("USER_DELETE", "ip"));
    s_golden(enc, "USER_DELETE");
    s_print(AUTH_MSG_USER_DELETE, &b);

    s_fill_user_delete(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_USER_DELETE, &a, &b), s_name("USER_DELETE", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_USER_DELETE, &a), s_name("USER_DELETE", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_USER_DELETE, &a), s_name("USER_DELETE", "ip not UTF-8 refused"));
}

/* --- USER_DELETE_OK --- */

/* The schema's test values. */
static void s_fill_user_delete_ok(struct auth_user_delete_ok *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_user_delete_ok(cm_buf_t *enc)
{
    struct auth_user_delete_ok a, b;

    s_fill_user_delete_ok(&a);
    s_round_trip(AUTH_MSG_USER_DELETE_OK, &a, &b, enc);
    s_golden(enc, "USER_DELETE_OK");
    s_print(AUTH_MSG_USER_DELETE_OK, &b);
}

/* --- REVOCATIONS --- */

/* The schema's test values. */
static void s_fill_revocations(struct auth_revocations *m)
{
    memset(m, 0, sizeof(*m));
    m->after = UINT64_C(0);
}

static void s_test_revocations(cm_buf_t *enc)
{
    struct auth_revocations a, b;

    s_fill_revocations(&a);
    s_round_trip(AUTH_MSG_REVOCATIONS, &a, &b, enc);
    ok(b.after == a.after, s_name("REVOCATIONS", "after"));
    s_golden(enc, "REVOCATIONS");
    s_print(AUTH_MSG_REVOCATIONS, &b);
}

/* --- REVOCATIONS_OK --- */

/* The schema's test values. */
static void s_fill_revocations_ok(struct auth_revocations_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->cursor = UINT64_C(17);
    memcpy(m->session_ids[0], "9f86d081884c7d659a2feaa0c55ad015", 32);
    m->session_ids_count = 1;
    m->user_ids[0] = UINT64_C(42);
    m->user_ids_count = 1;
    m->min_version[0] = UINT64_C(3);
    m->min_version_count = 1;
    m->more = false;
}

static void s_test_revocations_ok(cm_buf_t *enc)
{
    struct auth_revocations_ok a, b;

    s_fill_revocations_ok(&a);
    s_round_trip(AUTH_MSG_REVOCATIONS_OK, &a, &b, enc);
    ok(b.cursor == a.cursor, s_name("REVOCATIONS_OK", "cursor"));
    is_int(b.session_ids_count, a.session_ids_count, s_name("REVOCATIONS_OK", "session_ids_count"));
    ok(SAME_ARRAY(b.session_ids, a.session_ids), s_name("REVOCATIONS_OK", "session_ids"));
    is_int(b.user_ids_count, a.user_ids_count, s_name("REVOCATIONS_OK", "user_ids_count"));
    ok(SAME_ARRAY(b.user_ids, a.user_ids), s_name("REVOCATIONS_OK", "user_ids"));
    is_int(b.min_version_count, a.min_version_count, s_name("REVOCATIONS_OK", "min_version_count"));
    ok(SAME_ARRAY(b.min_version, a.min_version), s_name("REVOCATIONS_OK", "min_version"));
    ok(b.more == a.more, s_name("REVOCATIONS_OK", "more"));
    s_golden(enc, "REVOCATIONS_OK");
    s_print(AUTH_MSG_REVOCATIONS_OK, &b);

    s_fill_revocations_ok(&a);
    for (uint32_t i = 0; i < 1000; i++)
        memset(a.session_ids[i], 'x', 32);
    a.session_ids_count = 1000;
    ok(s_cycle(AUTH_MSG_REVOCATIONS_OK, &a, &b),
       s_name("REVOCATIONS_OK", "session_ids at its max"));
    a.session_ids_count = 1001;
    ok(s_refused(AUTH_MSG_REVOCATIONS_OK, &a),
       s_name("REVOCATIONS_OK", "session_ids past its max refused"));
    a.session_ids_count = 1;
    a.session_ids[0][32] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_REVOCATIONS_OK, &a),
       s_name("REVOCATIONS_OK", "session_ids item past its max refused"));

    s_fill_revocations_ok(&a);
    a.user_ids_count = 1000;
    ok(s_cycle(AUTH_MSG_REVOCATIONS_OK, &a, &b), s_name("REVOCATIONS_OK", "user_ids at its max"));
    a.user_ids_count = 1001;
    ok(s_refused(AUTH_MSG_REVOCATIONS_OK, &a),
       s_name("REVOCATIONS_OK", "user_ids past its max refused"));

    s_fill_revocations_ok(&a);
    a.min_version_count = 1000;
    ok(s_cycle(AUTH_MSG_REVOCATIONS_OK, &a, &b),
       s_name("REVOCATIONS_OK", "min_version at its max"));
    a.min_version_count = 1001;
    ok(s_refused(AUTH_MSG_REVOCATIONS_OK, &a),
       s_name("REVOCATIONS_OK", "min_version past its max refused"));
}

/* --- AUDIT --- */

/* The schema's test values. */
static void s_fill_audit(struct auth_audit *m)
{
    memset(m, 0, sizeof(*m));
    m->ts_ms = UINT64_C(1764000000000);
    memcpy(m->event, "login_failed", 12);
    m->severity = 1;
    memcpy(m->service, "gateway", 7);
    m->actor_id = UINT64_C(42);
    memcpy(m->target, "POST /api/users", 15);
    memcpy(m->ip, "203.0.113.7", 11);
    m->rid = UINT64_C(81985529216486895);
    memcpy(m->detail, "bad password", 12);
}

static void s_test_audit(cm_buf_t *enc)
{
    struct auth_audit a, b;

    s_fill_audit(&a);
    s_round_trip(AUTH_MSG_AUDIT, &a, &b, enc);
    ok(b.ts_ms == a.ts_ms, s_name("AUDIT", "ts_ms"));
    is_str(b.event, a.event, s_name("AUDIT", "event"));
    ok(b.severity == a.severity, s_name("AUDIT", "severity"));
    is_str(b.service, a.service, s_name("AUDIT", "service"));
    ok(b.actor_id == a.actor_id, s_name("AUDIT", "actor_id"));
    is_str(b.target, a.target, s_name("AUDIT", "target"));
    is_str(b.ip, a.ip, s_name("AUDIT", "ip"));
    ok(b.rid == a.rid, s_name("AUDIT", "rid"));
    is_str(b.detail, a.detail, s_name("AUDIT", "detail"));
    s_golden(enc, "AUDIT");
    s_print(AUTH_MSG_AUDIT, &b);

    s_fill_audit(&a);
    memset(a.event, 'x', 48);
    ok(s_cycle(AUTH_MSG_AUDIT, &a, &b), s_name("AUDIT", "event at its max"));
    a.event[48] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "event past its max refused"));
    memcpy(a.event, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "event not UTF-8 refused"));

    s_fill_audit(&a);
    memset(a.service, 'x', 32);
    ok(s_cycle(AUTH_MSG_AUDIT, &a, &b), s_name("AUDIT", "service at its max"));
    a.service[32] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "service past its max refused"));
    memcpy(a.service, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "service not UTF-8 refused"));

    s_fill_audit(&a);
    memset(a.target, 'x', 256);
    ok(s_cycle(AUTH_MSG_AUDIT, &a, &b), s_name("AUDIT", "target at its max"));
    a.target[256] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "target past its max refused"));
    memcpy(a.target, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "target not UTF-8 refused"));

    s_fill_audit(&a);
    memset(a.ip, 'x', 64);
    ok(s_cycle(AUTH_MSG_AUDIT, &a, &b), s_name("AUDIT", "ip at its max"));
    a.ip[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "ip past its max refused"));
    memcpy(a.ip, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "ip not UTF-8 refused"));

    s_fill_audit(&a);
    memset(a.detail, 'x', 512);
    ok(s_cycle(AUTH_MSG_AUDIT, &a, &b), s_name("AUDIT", "detail at its max"));
    a.detail[512] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "detail past its max refused"));
    memcpy(a.detail, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_AUDIT, &a), s_name("AUDIT", "detail not UTF-8 refused"));
}

/* --- STREAM_KEY_MINT --- */

/* The schema's test values. */
static void s_fill_stream_key_mint(struct auth_stream_key_mint *m)
{
    memset(m, 0, sizeof(*m));
    m->user_id = UINT64_C(42);
    memcpy(m->session_id, "9f86d081884c7d659a2feaa0c55ad015", 32);
    m->source_id = UINT64_C(3);
    m->ttl_s = 21600;
}

static void s_test_stream_key_mint(cm_buf_t *enc)
{
    struct auth_stream_key_mint a, b;

    s_fill_stream_key_mint(&a);
    s_round_trip(AUTH_MSG_STREAM_KEY_MINT, &a, &b, enc);
    ok(b.user_id == a.user_id, s_name("STREAM_KEY_MINT", "user_id"));
    is_str(b.session_id, a.session_id, s_name("STREAM_KEY_MINT", "session_id"));
    ok(b.source_id == a.source_id, s_name("STREAM_KEY_MINT", "source_id"));
    ok(b.ttl_s == a.ttl_s, s_name("STREAM_KEY_MINT", "ttl_s"));
    s_golden(enc, "STREAM_KEY_MINT");
    s_print(AUTH_MSG_STREAM_KEY_MINT, &b);

    s_fill_stream_key_mint(&a);
    memset(a.session_id, 'x', 32);
    ok(s_cycle(AUTH_MSG_STREAM_KEY_MINT, &a, &b),
       s_name("STREAM_KEY_MINT", "session_id at its max"));
    a.session_id[32] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_STREAM_KEY_MINT, &a),
       s_name("STREAM_KEY_MINT", "session_id past its max refused"));
    memcpy(a.session_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_STREAM_KEY_MINT, &a),
       s_name("STREAM_KEY_MINT", "session_id not UTF-8 refused"));
}

/* --- STREAM_KEY --- */

/* The schema's test values. */
static void s_fill_stream_key(struct auth_stream_key *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->key, "q0Z3mJvKx1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwx", 43);
    m->expires_ms = INT64_C(1764021600000);
}

static void s_test_stream_key(cm_buf_t *enc)
{
    struct auth_stream_key a, b;

    s_fill_stream_key(&a);
    s_round_trip(AUTH_MSG_STREAM_KEY, &a, &b, enc);
    is_str(b.key, a.key, s_name("STREAM_KEY", "key"));
    ok(b.expires_ms == a.expires_ms, s_name("STREAM_KEY", "expires_ms"));
    s_golden(enc, "STREAM_KEY");
    s_print(AUTH_MSG_STREAM_KEY, &b);

    s_fill_stream_key(&a);
    memset(a.key, 'x', 64);
    ok(s_cycle(AUTH_MSG_STREAM_KEY, &a, &b), s_name("STREAM_KEY", "key at its max"));
    a.key[64] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_STREAM_KEY, &a), s_name("STREAM_KEY", "key past its max refused"));
    memcpy(a.key, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_STREAM_KEY, &a), s_name("STREAM_KEY", "key not UTF-8 refused"));
}

/* --- STREAM_KEY_CHECK --- */

/* The schema's test values. */
static void s_fill_stream_key_check(struct auth_stream_key_check *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->key, "q0Z3mJvKx1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwx", 43);
}

static void s_test_stream_key_check(cm_buf_t *enc)
{
    struct auth_stream_key_check a, b;

    s_fill_stream_key_check(&a);
    s_round_trip(AUTH_MSG_STREAM_KEY_CHECK, &a, &b, enc);
    is_str(b.key, a.key, s_name("STREAM_KEY_CHECK", "key"));
    s_golden(enc, "STREAM_KEY_CHECK");
    s_print(AUTH_MSG_STREAM_KEY_CHECK, &b);

    s_fill_stream_key_check(&a);
    memset(a.key, 'x', 128);
    ok(s_cycle(AUTH_MSG_STREAM_KEY_CHECK, &a, &b), s_name("STREAM_KEY_CHECK", "key at its max"));
    a.key[128] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_STREAM_KEY_CHECK, &a),
       s_name("STREAM_KEY_CHECK", "key past its max refused"));
    memcpy(a.key, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_STREAM_KEY_CHECK, &a),
       s_name("STREAM_KEY_CHECK", "key not UTF-8 refused"));
}

/* --- STREAM_KEY_OK --- */

/* The schema's test values. */
static void s_fill_stream_key_ok(struct auth_stream_key_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->user_id = UINT64_C(42);
    m->source_id = UINT64_C(3);
    memcpy(m->session_id, "9f86d081884c7d659a2feaa0c55ad015", 32);
    m->expires_ms = INT64_C(1764021600000);
}

static void s_test_stream_key_ok(cm_buf_t *enc)
{
    struct auth_stream_key_ok a, b;

    s_fill_stream_key_ok(&a);
    s_round_trip(AUTH_MSG_STREAM_KEY_OK, &a, &b, enc);
    ok(b.user_id == a.user_id, s_name("STREAM_KEY_OK", "user_id"));
    ok(b.source_id == a.source_id, s_name("STREAM_KEY_OK", "source_id"));
    is_str(b.session_id, a.session_id, s_name("STREAM_KEY_OK", "session_id"));
    ok(b.expires_ms == a.expires_ms, s_name("STREAM_KEY_OK", "expires_ms"));
    s_golden(enc, "STREAM_KEY_OK");
    s_print(AUTH_MSG_STREAM_KEY_OK, &b);

    s_fill_stream_key_ok(&a);
    memset(a.session_id, 'x', 32);
    ok(s_cycle(AUTH_MSG_STREAM_KEY_OK, &a, &b), s_name("STREAM_KEY_OK", "session_id at its max"));
    a.session_id[32] = 'x'; /* no NUL left */
    ok(s_refused(AUTH_MSG_STREAM_KEY_OK, &a),
       s_name("STREAM_KEY_OK", "session_id past its max refused"));
    memcpy(a.session_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(AUTH_MSG_STREAM_KEY_OK, &a),
       s_name("STREAM_KEY_OK", "session_id not UTF-8 refused"));
}

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union auth_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(auth_proto.id, AUTH_PROTO, "auth: protocol number");
    is_int(auth_proto.version, AUTH_VERSION, "auth: version");
    is_str(auth_proto.name, "auth", "auth: name");
    is_int(auth_proto.nmsgs, 19, "auth: 19 messages");
    const struct cm_proto_msg *d = cm_proto_find(&auth_proto, AUTH_MSG_LOGIN);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "LOGIN: descriptor");
    is_str(auth_msg_name(AUTH_MSG_LOGIN), "LOGIN", "LOGIN: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_TOKENS);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "TOKENS: descriptor");
    is_str(auth_msg_name(AUTH_MSG_TOKENS), "TOKENS", "TOKENS: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_REFRESH);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "REFRESH: descriptor");
    is_str(auth_msg_name(AUTH_MSG_REFRESH), "REFRESH", "REFRESH: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_LOGOUT);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "LOGOUT: descriptor");
    is_str(auth_msg_name(AUTH_MSG_LOGOUT), "LOGOUT", "LOGOUT: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_LOGOUT_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "LOGOUT_OK: descriptor");
    is_str(auth_msg_name(AUTH_MSG_LOGOUT_OK), "LOGOUT_OK", "LOGOUT_OK: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER_CREATE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "USER_CREATE: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER_CREATE), "USER_CREATE", "USER_CREATE: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "USER: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER), "USER", "USER: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER_LIST);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "USER_LIST: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER_LIST), "USER_LIST", "USER_LIST: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER_LIST_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "USER_LIST_OK: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER_LIST_OK), "USER_LIST_OK", "USER_LIST_OK: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER_UPDATE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "USER_UPDATE: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER_UPDATE), "USER_UPDATE", "USER_UPDATE: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER_DELETE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "USER_DELETE: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER_DELETE), "USER_DELETE", "USER_DELETE: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_USER_DELETE_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "USER_DELETE_OK: descriptor");
    is_str(auth_msg_name(AUTH_MSG_USER_DELETE_OK), "USER_DELETE_OK", "USER_DELETE_OK: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_REVOCATIONS);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "REVOCATIONS: descriptor");
    is_str(auth_msg_name(AUTH_MSG_REVOCATIONS), "REVOCATIONS", "REVOCATIONS: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_REVOCATIONS_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "REVOCATIONS_OK: descriptor");
    is_str(auth_msg_name(AUTH_MSG_REVOCATIONS_OK), "REVOCATIONS_OK", "REVOCATIONS_OK: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_AUDIT);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "AUDIT: descriptor");
    is_str(auth_msg_name(AUTH_MSG_AUDIT), "AUDIT", "AUDIT: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_STREAM_KEY_MINT);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "STREAM_KEY_MINT: descriptor");
    is_str(auth_msg_name(AUTH_MSG_STREAM_KEY_MINT), "STREAM_KEY_MINT", "STREAM_KEY_MINT: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_STREAM_KEY);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "STREAM_KEY: descriptor");
    is_str(auth_msg_name(AUTH_MSG_STREAM_KEY), "STREAM_KEY", "STREAM_KEY: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_STREAM_KEY_CHECK);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "STREAM_KEY_CHECK: descriptor");
    is_str(auth_msg_name(AUTH_MSG_STREAM_KEY_CHECK), "STREAM_KEY_CHECK", "STREAM_KEY_CHECK: name");
    d = cm_proto_find(&auth_proto, AUTH_MSG_STREAM_KEY_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "STREAM_KEY_OK: descriptor");
    is_str(auth_msg_name(AUTH_MSG_STREAM_KEY_OK), "STREAM_KEY_OK", "STREAM_KEY_OK: name");
    is_str(auth_msg_name(20), "?", "auth: unknown id has no name");
    is_str(auth_msg_name(-1), "?", "auth: negative id has no name");
    is_int(auth_msg_decode(20, &u, "\x80", 1), -1, "auth: unknown id: no decode");
    is_int(auth_msg_encode(20, &u, enc), -1, "auth: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);

    s_test_protocol();
    s_test_login(enc);
    s_test_tokens(enc);
    s_test_refresh(enc);
    s_test_logout(enc);
    s_test_logout_ok(enc);
    s_test_user_create(enc);
    s_test_user(enc);
    s_test_user_list(enc);
    s_test_user_list_ok(enc);
    s_test_user_update(enc);
    s_test_user_delete(enc);
    s_test_user_delete_ok(enc);
    s_test_revocations(enc);
    s_test_revocations_ok(enc);
    s_test_audit(enc);
    s_test_stream_key_mint(enc);
    s_test_stream_key(enc);
    s_test_stream_key_check(enc);
    s_test_stream_key_ok(enc);
    cm_buf_destroy(&enc);
    return done_testing();
}
