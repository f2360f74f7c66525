/* SPDX-License-Identifier: MIT
 * libFuzzer target for disc_release: parse a NUL-terminated copy of arbitrary bytes and check
 * the result against its contract (enums in range, bit sets within their masks, year 0 or
 * 1900..2099, season/episode within their caps, title and group NUL-terminated within their
 * caps, the title valid UTF-8 without control bytes, the group printable ASCII); parsing again
 * gives the same result. Then score the parse with counts, size, runtime and dates taken from
 * the input's bytes: the score stays within 0..DISC_SCORE_MAX, its bands hold (a source with
 * seeders above the same one without), and the pickers return an index in range. */
#include "fuzz.h"
#include "disc_release.h"

static void s_check(const struct disc_release *r)
{
    CHECK((unsigned)r->quality < DISC_Q_COUNT);
    CHECK((unsigned)r->codec < DISC_CODEC_COUNT);
    CHECK((unsigned)r->source < DISC_SRC_COUNT);
    CHECK((r->audio & ~(uint32_t)DISC_AUDIO_ALL) == 0);
    CHECK((r->hdr & ~(uint32_t)DISC_HDR_ALL) == 0);
    CHECK((r->flags & ~(uint32_t)DISC_REL_ALL) == 0);
    CHECK(DISC_LANG_COUNT == 32 || (r->langs >> DISC_LANG_COUNT) == 0);
    CHECK(r->channels <= 9);
    CHECK(r->year == 0 || (r->year >= 1900 && r->year <= 2099));
    CHECK(r->season <= DISC_RELEASE_SEASON_MAX);
    CHECK(r->episode <= DISC_RELEASE_EPISODE_MAX);
    size_t tl = strnlen(r->title, sizeof(r->title));
    CHECK(tl <= DISC_RELEASE_TITLE_MAX);
    CHECK(cm_utf8_valid(r->title, tl, false));
    for (size_t i = 0; i < tl; i++)
        CHECK((unsigned char)r->title[i] >= 0x20 && r->title[i] != 0x7f);
    CHECK(tl == 0 || (r->title[0] != ' ' && r->title[tl - 1] != ' '));
    size_t gl = strnlen(r->group, sizeof(r->group));
    CHECK(gl <= DISC_RELEASE_GROUP_MAX);
    for (size_t i = 0; i < gl; i++)
        CHECK((unsigned char)r->group[i] >= 0x20 && (unsigned char)r->group[i] < 0x7f);
    CHECK(disc_quality_name(r->quality) != NULL && disc_codec_name(r->codec) != NULL &&
          disc_source_name(r->source) != NULL);
    CHECK((r->quality == DISC_Q_UNKNOWN) == (disc_quality_name(r->quality)[0] == '\0'));
    CHECK(r->quality == DISC_Q_UNKNOWN ||
          disc_quality_from_name(disc_quality_name(r->quality)) == r->quality);
}

static uint64_t s_take(const uint8_t *data, size_t size, size_t *pos, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | (*pos < size ? data[(*pos)++] : 0);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 * DISC_RELEASE_NAME_MAX)
        return 0;
    char *s = cm_malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct disc_release r, r2;
    CHECK(disc_release_parse(s, &r) == 0);
    s_check(&r);
    CHECK(disc_release_parse(s, &r2) == 0);
    CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
    /* Only the first DISC_RELEASE_NAME_MAX bytes count. */
    if (strlen(s) > DISC_RELEASE_NAME_MAX) {
        s[DISC_RELEASE_NAME_MAX] = '\0';
        CHECK(disc_release_parse(s, &r2) == 0);
        CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
    }

    /* Numbers for the score from the input's tail (zeros when it is short). */
    size_t pos = size > 40 ? size - 40 : 0;
    struct disc_score_in in[3];
    memset(in, 0, sizeof(in));
    disc_score_in_from_release(&in[0], &r);
    in[0].seeders = (uint32_t)s_take(data, size, &pos, 4);
    in[0].leechers = (uint32_t)s_take(data, size, &pos, 4);
    in[0].size = s_take(data, size, &pos, 8);
    in[0].runtime_min = (uint32_t)s_take(data, size, &pos, 4);
    in[0].uploaded = (int64_t)s_take(data, size, &pos, 8);
    in[0].now = (int64_t)s_take(data, size, &pos, 8);
    in[0].hdr = r.hdr | (uint32_t)s_take(data, size, &pos, 1);
    in[1] = in[0];
    in[1].seeders = 0;
    in[2] = in[0];
    in[2].quality = (enum disc_quality)(int)s_take(data, size, &pos, 1);
    in[2].codec = (enum disc_codec)(int)s_take(data, size, &pos, 1);
    in[2].source = (enum disc_source)(int)s_take(data, size, &pos, 1);
    for (size_t i = 0; i < 3; i++) {
        int sc = disc_score(&in[i]);
        CHECK(sc >= 0 && sc <= DISC_SCORE_MAX);
        CHECK(sc == disc_score(&in[i]));
    }
    if (in[0].seeders > 0)
        CHECK(disc_score(&in[0]) > disc_score(&in[1]) && disc_score(&in[0]) >= 2000 &&
              disc_score(&in[1]) < 2000);
    int a = disc_pick_auto(in, 3);
    CHECK(a >= 0 && a < 3);
    CHECK(in[0].seeders == 0 || in[a].seeders > 0);
    int q = disc_pick_quality(in, 3, r.quality);
    CHECK(q >= -1 && q < 3);
    CHECK(r.quality == DISC_Q_UNKNOWN ? q == -1 : (q >= 0 && in[q].quality == r.quality));
    cm_free(s);
    return 0;
}
