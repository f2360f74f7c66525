/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/auth.toml
 * SPDX-License-Identifier: MIT
 * Tests of the auth protocol: no messages yet, so its descriptor, names and dispatch only. */
#include "cm.h"
#include "auth_msg.h"
#include "../tap.h"

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union auth_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(auth_proto.id, AUTH_PROTO, "auth: protocol number");
    is_int(auth_proto.version, AUTH_VERSION, "auth: version");
    is_str(auth_proto.name, "auth", "auth: name");
    is_int(auth_proto.nmsgs, 0, "auth: 0 messages");
    is_str(auth_msg_name(1), "?", "auth: unknown id has no name");
    is_str(auth_msg_name(-1), "?", "auth: negative id has no name");
    is_int(auth_msg_decode(1, &u, "\x80", 1), -1, "auth: unknown id: no decode");
    is_int(auth_msg_encode(1, &u, enc), -1, "auth: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    s_test_protocol();
    return done_testing();
}
