/* SPDX-License-Identifier: MIT
 * cm_proto: protocol lookup and the header frame codec. */
#include "cm.h"

const struct cm_proto_msg *cm_proto_find(const struct cm_proto *p, int msg)
{
    if (!p || msg < 0)
        return NULL;
    size_t lo = 0, hi = p->nmsgs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->msgs[mid].id == msg)
            return &p->msgs[mid];
        if (p->msgs[mid].id < msg)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int cm_hdr_encode(const struct cm_hdr *h, cm_buf_t *out)
{
    cm_mp_writer_t w;
    cm_mp_writer_init(&w, out);
    cm_mp_put_array(&w, 5);
    cm_mp_put_uint(&w, h->proto);
    cm_mp_put_uint(&w, h->version);
    cm_mp_put_uint(&w, h->msg);
    cm_mp_put_uint(&w, h->rid);
    cm_mp_put_uint(&w, h->deadline);
    return cm_mp_writer_status(&w);
}

int cm_hdr_decode(struct cm_hdr *h, const void *data, size_t size)
{
    memset(h, 0, sizeof(*h));
    if (size > CM_HDR_MAX * 4 || cm_mp_check(data, size, 2) < 0)
        return -1;
    cm_mp_reader_t r;
    cm_mp_reader_init(&r, data, size);
    uint32_t n;
    uint64_t v[5];
    if (cm_mp_read_array(&r, &n) < 0 || n < 5)
        return -1;
    for (int i = 0; i < 5; i++) {
        if (cm_mp_read_uint(&r, &v[i]) < 0)
            return -1;
    }
    if (v[0] > UINT16_MAX || v[1] > UINT16_MAX || v[2] > UINT16_MAX)
        return -1;
    h->proto = (uint16_t)v[0];
    h->version = (uint16_t)v[1];
    h->msg = (uint16_t)v[2];
    h->rid = v[3];
    h->deadline = v[4];
    return 0; /* elements past the fifth were validated by cm_mp_check and are ignored */
}
