/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/stream.toml
 * SPDX-License-Identifier: MIT
 * Tests of the stream protocol: no messages yet, so its descriptor, names and dispatch only. */
#include "cm.h"
#include "stream_msg.h"
#include "../tap.h"

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union stream_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(stream_proto.id, STREAM_PROTO, "stream: protocol number");
    is_int(stream_proto.version, STREAM_VERSION, "stream: version");
    is_str(stream_proto.name, "stream", "stream: name");
    is_int(stream_proto.nmsgs, 0, "stream: 0 messages");
    is_str(stream_msg_name(1), "?", "stream: unknown id has no name");
    is_str(stream_msg_name(-1), "?", "stream: negative id has no name");
    is_int(stream_msg_decode(1, &u, "\x80", 1), -1, "stream: unknown id: no decode");
    is_int(stream_msg_encode(1, &u, enc), -1, "stream: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    s_test_protocol();
    return done_testing();
}
