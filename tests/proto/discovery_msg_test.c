/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/discovery.toml
 * SPDX-License-Identifier: MIT
 * Tests of the discovery protocol: no messages yet, so its descriptor, names and dispatch only. */
#include "cm.h"
#include "discovery_msg.h"
#include "../tap.h"

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union discovery_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(discovery_proto.id, DISCOVERY_PROTO, "discovery: protocol number");
    is_int(discovery_proto.version, DISCOVERY_VERSION, "discovery: version");
    is_str(discovery_proto.name, "discovery", "discovery: name");
    is_int(discovery_proto.nmsgs, 0, "discovery: 0 messages");
    is_str(discovery_msg_name(1), "?", "discovery: unknown id has no name");
    is_str(discovery_msg_name(-1), "?", "discovery: negative id has no name");
    is_int(discovery_msg_decode(1, &u, "\x80", 1), -1, "discovery: unknown id: no decode");
    is_int(discovery_msg_encode(1, &u, enc), -1, "discovery: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    s_test_protocol();
    return done_testing();
}
