/* SPDX-License-Identifier: MIT
 * libFuzzer target for disc_parse, the provider answer parsers. The first input byte chooses
 * the parser (low two bits: YTS list_movies, TheRARBG imdb-detail, TheRARBG get-posts, the YTS
 * health probe; bit 2 asks the detail for tt1234567 instead of taking the id from the answer),
 * the rest is the body. On success every movie and torrent must keep the header's promises:
 * counts within the caps, runs contiguous, hashes 40 lower-case hex and unique, every string
 * NUL-terminated valid UTF-8 without control characters, counts and sizes within bounds, URLs
 * and trackers of the allowed schemes. On failure the result is empty and `err` says why.
 * A second parse of the same body into a reused result must give the same answer.
 * Corpus: tests/fuzz/corpus/provider_json/. */
#include "fuzz.h"
#include "disc_parse.h"

static bool s_text_ok(const char *s, size_t size)
{
    size_t n = strnlen(s, size);
    if (n == size || !cm_utf8_valid(s, n, false))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static bool s_scheme(const char *s, bool udp)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0 ||
           (udp && strncasecmp(s, "udp://", 6) == 0);
}

static void s_check_torrent(const struct disc_torrent *t)
{
    CHECK(strnlen(t->hash, sizeof(t->hash)) == 40);
    for (size_t i = 0; i < 40; i++)
        CHECK((t->hash[i] >= '0' && t->hash[i] <= '9') || (t->hash[i] >= 'a' && t->hash[i] <= 'f'));
    CHECK(s_text_ok(t->name, sizeof(t->name)) && t->name[0] != '\0');
    CHECK(s_text_ok(t->quality, sizeof(t->quality)));
    CHECK(s_text_ok(t->type, sizeof(t->type)));
    CHECK(s_text_ok(t->codec, sizeof(t->codec)));
    CHECK(s_text_ok(t->audio_channels, sizeof(t->audio_channels)));
    CHECK(s_text_ok(t->url, sizeof(t->url)));
    CHECK(t->url[0] == '\0' || s_scheme(t->url, false));
    CHECK(t->bit_depth >= 0 && t->bit_depth <= 16);
    CHECK(t->size >= 0 && t->size <= DISC_PARSE_SIZE_MAX);
    CHECK(t->seeders >= -1 && t->seeders <= DISC_PARSE_SEEDERS_MAX);
    CHECK(t->leechers >= -1 && t->leechers <= DISC_PARSE_SEEDERS_MAX);
    CHECK(t->uploaded >= 0);
    CHECK(t->season >= 0 && t->episode >= 0);
    CHECK(t->ntrackers <= DISC_PARSE_TRACKERS_MAX);
    for (size_t i = 0; i < t->ntrackers; i++) {
        CHECK(s_text_ok(t->trackers[i], sizeof(t->trackers[i])));
        CHECK(s_scheme(t->trackers[i], true));
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(t->trackers[i], t->trackers[j]) != 0);
    }
}

static void s_check_meta(const struct disc_movie_meta *m)
{
    size_t n = strnlen(m->imdb, sizeof(m->imdb));
    CHECK((n == 9 || n == 10) && m->imdb[0] == 't' && m->imdb[1] == 't');
    for (size_t i = 2; i < n; i++)
        CHECK(m->imdb[i] >= '0' && m->imdb[i] <= '9');
    CHECK(s_text_ok(m->title, sizeof(m->title)));
    CHECK(s_text_ok(m->trailer, sizeof(m->trailer)));
    CHECK(s_text_ok(m->language, sizeof(m->language)));
    CHECK(s_text_ok(m->genres, sizeof(m->genres)));
    CHECK(s_text_ok(m->poster, sizeof(m->poster)));
    CHECK(m->poster[0] == '\0' || s_scheme(m->poster, false));
    CHECK(m->year == 0 || (m->year >= 1870 && m->year <= 2100));
    CHECK(m->runtime_min >= 0 && m->runtime_min <= 1440);
    CHECK(m->rating >= 0 && m->rating <= 10);
    CHECK(m->tmdb_id >= 0);
}

static void s_check(const struct disc_parsed *p)
{
    CHECK(p->nmovies <= DISC_PARSE_MOVIES_MAX);
    CHECK(p->ntorrents <= DISC_PARSE_ALL_TORRENTS_MAX && p->ntorrents <= p->torrents_cap);
    size_t next = 0;
    for (size_t m = 0; m < p->nmovies; m++) {
        s_check_meta(&p->movies[m].meta);
        CHECK(p->movies[m].first == next);
        CHECK(p->movies[m].ntorrents <= DISC_PARSE_TORRENTS_MAX);
        next += p->movies[m].ntorrents;
        for (size_t k = 0; k < m; k++)
            CHECK(strcmp(p->movies[m].meta.imdb, p->movies[k].meta.imdb) != 0);
    }
    CHECK(next == p->ntorrents);
    for (size_t i = 0; i < p->ntorrents; i++) {
        s_check_torrent(&p->torrents[i]);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(p->torrents[i].hash, p->torrents[j].hash) != 0);
    }
}

static int s_parse(int which, const char *imdb, const char *body, size_t len, struct disc_parsed *p,
                   char *err, size_t errlen)
{
    if (which == 0)
        return disc_parse_yts(body, len, p, err, errlen);
    if (which == 1)
        return disc_parse_rarbg_detail(body, len, imdb, p, err, errlen);
    return disc_parse_rarbg_posts(body, len, p, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct disc_parsed *p, *q;
    if (!p) {
        cm_log_set_level(CM_LOG_ERROR); /* a warning per skipped item would drown the output */
        p = disc_parsed_new();
        q = disc_parsed_new();
    }
    if (size < 1)
        return 0;
    int which = data[0] & 3;
    const char *imdb = (data[0] & 4) ? "tt1234567" : NULL;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    if (which == 3) {
        (void)disc_parse_yts_ok(body, len);
        return 0;
    }
    char err[CM_ERR_LEN] = "";
    int rc = s_parse(which, imdb, body, len, p, err, sizeof(err));
    if (rc < 0) {
        CHECK(rc == -1 && err[0] != '\0');
        CHECK(p->nmovies == 0 && p->ntorrents == 0);
        CHECK(cm_utf8_valid(err, strlen(err), false));
        return 0;
    }
    CHECK(rc == 0);
    s_check(p);
    if (which == 1) {
        CHECK(p->nmovies <= 1);
        if (imdb && p->nmovies == 1)
            CHECK(strcmp(p->movies[0].meta.imdb, imdb) == 0);
    }
    /* the same body again, into a result that held something else: the same answer */
    char err2[CM_ERR_LEN] = "";
    CHECK(s_parse(which, imdb, body, len, q, err2, sizeof(err2)) == 0);
    CHECK(q->nmovies == p->nmovies && q->ntorrents == p->ntorrents);
    CHECK(q->skipped == p->skipped && q->ignored == p->ignored && q->truncated == p->truncated);
    for (size_t i = 0; i < p->ntorrents; i++)
        CHECK(memcmp(&p->torrents[i], &q->torrents[i], sizeof(p->torrents[i])) == 0);
    return 0;
}
