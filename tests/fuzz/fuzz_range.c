/* SPDX-License-Identifier: MIT
 * libFuzzer target for strm_range. Input: 8 bytes of resource size (little-endian; when the top
 * bit is clear the size is taken modulo 4096, so small files are common) then the Range value.
 * Checks every plan: kind and count agree, 0 <= n <= STRM_RANGES_MAX, every range lies in
 * [0, size) with first <= last, MULTI ranges ascend without overlapping or touching, the bytes
 * served never exceed the size, size 0 never gives 206; parsing is deterministic; a plan
 * written back as "bytes=a-b,..." parses to the same plan; the multipart length equals the
 * real strings; Content-Range fits its cap. The same bytes also go through If-Range (a weak
 * tag must never pass) and the Content-Type lookup. */
#include "fuzz.h"
#include "strm_range.h"

static void s_same(const struct strm_range_plan *a, const struct strm_range_plan *b)
{
    CHECK(a->kind == b->kind && a->n == b->n);
    for (size_t i = 0; i < a->n; i++)
        CHECK(a->r[i].first == b->r[i].first && a->r[i].last == b->r[i].last);
}

static void s_check_plan(const struct strm_range_plan *p, int kind, uint64_t size)
{
    CHECK(kind == p->kind);
    CHECK(p->n <= STRM_RANGES_MAX);
    switch (p->kind) {
    case STRM_RANGE_NONE:
    case STRM_RANGE_UNSATISFIABLE:
        CHECK(p->n == 0);
        break;
    case STRM_RANGE_ONE:
        CHECK(p->n == 1);
        break;
    case STRM_RANGE_MULTI:
        CHECK(p->n >= 2);
        break;
    default:
        CHECK(!"unknown kind");
    }
    CHECK(size > 0 || p->n == 0);
    uint64_t sum = 0;
    for (size_t i = 0; i < p->n; i++) {
        CHECK(p->r[i].first <= p->r[i].last && p->r[i].last < size);
        if (i > 0)
            CHECK(p->r[i - 1].last + 1 < p->r[i].first); /* sorted, apart */
        CHECK(sum <= size - strm_range_length(&p->r[i]));
        sum += strm_range_length(&p->r[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > CM_HTTP_HEADERS_MAX + 8)
        return 0;
    uint64_t total = 0;
    for (int i = 7; i >= 0; i--)
        total = total << 8 | data[i];
    if (!(total >> 63))
        total %= 4096;
    char *h = cm_malloc(size - 8 + 1);
    memcpy(h, data + 8, size - 8);
    h[size - 8] = '\0';

    struct strm_range_plan p, q;
    int kind = strm_range_parse(h, total, &p);
    s_check_plan(&p, kind, total);
    strm_range_parse(h, total, &q);
    s_same(&p, &q);

    if (p.n > 0) {
        /* Round trip: the canonical header of a plan gives the plan back. */
        char canon[STRM_RANGES_MAX * 44 + 8];
        size_t off = (size_t)snprintf(canon, sizeof(canon), "bytes=");
        for (size_t i = 0; i < p.n; i++)
            off += (size_t)snprintf(canon + off, sizeof(canon) - off, "%s%" PRIu64 "-%" PRIu64,
                                    i ? "," : "", p.r[i].first, p.r[i].last);
        CHECK(off < sizeof(canon));
        strm_range_parse(canon, total, &q);
        s_same(&p, &q);

        /* Framing: computed length = real strings; Content-Range under its cap. */
        const char *b = "0123456789abcdef0123456789abcdef", *ct = "video/mp4";
        char head[STRM_MULTIPART_HEAD_MAX];
        uint64_t real = strm_multipart_tail(head, sizeof(head), b);
        for (size_t i = 0; i < p.n; i++) {
            size_t n = strm_multipart_part_head(head, sizeof(head), b, ct, &p.r[i], total);
            CHECK(n < sizeof(head));
            real += n + strm_range_length(&p.r[i]);
            char cr[STRM_CONTENT_RANGE_MAX];
            CHECK(strm_range_content_range(cr, sizeof(cr), &p.r[i], total) < sizeof(cr));
        }
        if (total < UINT64_MAX / 2)
            CHECK(strm_multipart_length(&p, b, ct, total) == real);
    }

    /* If-Range on the same bytes: never crashes; a weak tag never passes. */
    bool ir = strm_range_if_range(h, h, (int64_t)(total & INT64_MAX));
    const char *t = h;
    while (*t == ' ' || *t == '\t')
        t++;
    if (t[0] == 'W' && t[1] == '/')
        CHECK(!ir);
    CHECK(strm_range_if_range(h, "\"x\"", 0) ==
          (strcmp(t, "\"x\"") == 0 ||
           (strncmp(t, "\"x\"", 3) == 0 && strspn(t + 3, " \t") == strlen(t + 3))));
    const char *ctype = strm_content_type(h);
    CHECK(ctype != NULL && strchr(ctype, '/') != NULL);
    if (strm_is_video(h))
        CHECK(strncmp(ctype, "video/", 6) == 0);
    cm_free(h);
    return 0;
}
