/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/discovery.toml
 * SPDX-License-Identifier: MIT
 * discovery: body codecs. A decoder validates the frame with cm_mp_check() first, then reads it
 * in place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. Encoders write every
 * field, in tag order, through cm_mp_writer_t (msgpack-c's packer), so an encoding is
 * deterministic. Rules: proto/README.md. */
#include "cm.h"
#include "discovery_msg.h"

/* --- Protocol --- */

const struct cm_proto discovery_proto = {
    .id = DISCOVERY_PROTO,
    .version = DISCOVERY_VERSION,
    .name = "discovery",
    .nmsgs = 0,
    .msgs = NULL,
};

const char *discovery_msg_name(int id)
{
    const struct cm_proto_msg *msg = cm_proto_find(&discovery_proto, id);
    return msg ? msg->name : "?";
}

int discovery_msg_decode(int id, void *m, const void *data, size_t size)
{
    CM_UNUSED(id);
    CM_UNUSED(m);
    CM_UNUSED(data);
    CM_UNUSED(size);
    return -1; /* no messages yet */
}

int discovery_msg_encode(int id, const void *m, cm_buf_t *out)
{
    CM_UNUSED(id);
    CM_UNUSED(m);
    CM_UNUSED(out);
    return -1; /* no messages yet */
}

void discovery_msg_print(int id, const void *m, FILE *out)
{
    CM_UNUSED(m);
    fprintf(out, "discovery.? id=%d\n", id);
}
