/* SPDX-License-Identifier: MIT
 * Tests of disc_parse: every recorded provider answer under tests/fixtures/providers (or
 * $MARQUEE_FIXTURES) parsed by its parser, with counts and field values computed independently
 * with Python from the same files; then hostile answers: HTML pages, empty bodies, wrong
 * shapes, YTS errors, bad and duplicate hashes, base32 hashes, numbers as strings, negative
 * and huge numbers, deep nesting, bodies over the cap, 1000 torrents, invalid UTF-8 and control
 * characters, bad URLs and trackers, categories, grouping of listings, reuse of a result. */
#include "cm.h"
#include <dirent.h>
#include <sys/stat.h>
#include "cm_json.h"
#include "disc_parse.h"
#include "../../tap.h"

#define FIXTURES_DEFAULT "tests/fixtures/providers"
#define H40 "0123456789abcdef0123456789abcdef01234567"
#define H40_UPPER "0123456789ABCDEF0123456789ABCDEF01234567"
#define H40_B "89abcdef0123456789abcdef0123456789abcdef"
#define H40_C "fedcba9876543210fedcba9876543210fedcba98"

/* Append a C string to a test buffer (the caps are far above what the tests build). */
#define ADD(b, s) (void)!cm_buf_append((b), (s), strlen(s))

enum { PATH_MAX_LEN = 1024, FIXTURE_FILES_MAX = 256 };

static char err[CM_ERR_LEN];

/* --- invariants that hold for every result --- */

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

static bool s_hash_ok(const char *h)
{
    if (strnlen(h, 41) != 40)
        return false;
    for (size_t i = 0; i < 40; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

static bool s_scheme(const char *s, const char *const *schemes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0)
            return true;
    return false;
}

static bool s_torrent_ok(const struct disc_torrent *t)
{
    static const char *const web[] = {"http://", "https://"};
    static const char *const ann[] = {"udp://", "http://", "https://"};
    if (!s_hash_ok(t->hash) || !s_text_ok(t->name, sizeof(t->name)) || t->name[0] == '\0')
        return false;
    if (!s_text_ok(t->quality, sizeof(t->quality)) || !s_text_ok(t->type, sizeof(t->type)) ||
        !s_text_ok(t->codec, sizeof(t->codec)) ||
        !s_text_ok(t->audio_channels, sizeof(t->audio_channels)) ||
        !s_text_ok(t->url, sizeof(t->url)))
        return false;
    if (t->url[0] && !s_scheme(t->url, web, 2))
        return false;
    if (t->size < 0 || t->size > DISC_PARSE_SIZE_MAX || t->uploaded < 0)
        return false;
    if (t->seeders < -1 || t->seeders > DISC_PARSE_SEEDERS_MAX || t->leechers < -1 ||
        t->leechers > DISC_PARSE_SEEDERS_MAX)
        return false;
    if (t->ntrackers > DISC_PARSE_TRACKERS_MAX)
        return false;
    for (size_t i = 0; i < t->ntrackers; i++)
        if (!s_text_ok(t->trackers[i], sizeof(t->trackers[i])) || !s_scheme(t->trackers[i], ann, 3))
            return false;
    return t->bit_depth >= 0 && t->season >= 0 && t->episode >= 0;
}

static bool s_meta_ok(const struct disc_movie_meta *m)
{
    size_t n = strnlen(m->imdb, sizeof(m->imdb));
    if (n < 9 || n > 10 || strncmp(m->imdb, "tt", 2) != 0)
        return false;
    return s_text_ok(m->title, sizeof(m->title)) && s_text_ok(m->trailer, sizeof(m->trailer)) &&
           s_text_ok(m->language, sizeof(m->language)) && s_text_ok(m->genres, sizeof(m->genres)) &&
           s_text_ok(m->poster, sizeof(m->poster)) && m->rating >= 0 && m->rating <= 10 &&
           m->runtime_min >= 0 && m->tmdb_id >= 0 &&
           (m->year == 0 || (m->year >= 1870 && m->year <= 2100));
}

/* Every movie and torrent valid, runs contiguous and within the caps, hashes unique. */
static bool s_result_ok(const struct disc_parsed *p)
{
    size_t next = 0;
    if (p->nmovies > DISC_PARSE_MOVIES_MAX || p->ntorrents > DISC_PARSE_ALL_TORRENTS_MAX)
        return false;
    for (size_t m = 0; m < p->nmovies; m++) {
        const struct disc_movie *mv = &p->movies[m];
        if (!s_meta_ok(&mv->meta) || mv->first != next || mv->ntorrents > DISC_PARSE_TORRENTS_MAX)
            return false;
        next += mv->ntorrents;
    }
    if (next != p->ntorrents)
        return false;
    for (size_t i = 0; i < p->ntorrents; i++) {
        if (!s_torrent_ok(&p->torrents[i]))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->torrents[i].hash, p->torrents[j].hash) == 0)
                return false;
    }
    return true;
}

static bool s_empty(const struct disc_parsed *p)
{
    return p->nmovies == 0 && p->ntorrents == 0 && p->skipped == 0 && p->truncated == 0;
}

/* --- fixtures --- */

struct fixture {
    char path[PATH_MAX_LEN]; /* full path */
    char *body;              /* the `data` member re-serialised; owned */
    size_t len;
};

static struct fixture fx[FIXTURE_FILES_MAX];
static size_t nfx;

static void s_walk(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL && nfx < FIXTURE_FILES_MAX) {
        char p[PATH_MAX_LEN];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            s_walk(p);
            continue;
        }
        size_t n = strlen(p);
        if (n < 5 || strcmp(p + n - 5, ".json") != 0)
            continue;
        json_error_t je;
        json_t *root = json_load_file(p, 0, &je);
        json_t *data = root ? json_object_get(root, "data") : NULL;
        if (!data) {
            diag("cannot read %s: %s", p, je.text);
            json_decref(root);
            continue;
        }
        struct fixture *f = &fx[nfx++];
        snprintf(f->path, sizeof(f->path), "%s", p);
        f->body = cm_json_take_dump(json_incref(data), &f->len);
        json_decref(root);
    }
    closedir(d);
}

/* The fixture whose path ends with `suffix`, or NULL. */
static const struct fixture *s_fx(const char *suffix)
{
    size_t k = strlen(suffix);
    for (size_t i = 0; i < nfx; i++) {
        size_t n = strlen(fx[i].path);
        if (n >= k && strcmp(fx[i].path + n - k, suffix) == 0)
            return &fx[i];
    }
    return NULL;
}

/* The IMDb id in an imdb-detail path (".../imdb-detail/tt123/..."), into `out`. */
static bool s_detail_id(const char *path, char out[16])
{
    const char *p = strstr(path, "/imdb-detail/");
    if (!p)
        return false;
    p += strlen("/imdb-detail/");
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= 16)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static void test_all_fixtures(struct disc_parsed *p)
{
    size_t nyts = 0, ndetail = 0, nposts = 0;
    for (size_t i = 0; i < nfx; i++) {
        const struct fixture *f = &fx[i];
        const char *base = strrchr(f->path, '/');
        char name[200], id[16];
        int rc = -2;
        snprintf(name, sizeof(name), "fixture %s parses", base ? base + 1 : f->path);
        if (strstr(f->path, "/yts/")) {
            rc = disc_parse_yts(f->body, f->len, p, err, sizeof(err));
            ok(disc_parse_yts_ok(f->body, f->len), "fixture: the YTS health probe says ok");
            nyts++;
        } else if (s_detail_id(f->path, id)) {
            rc = disc_parse_rarbg_detail(f->body, f->len, id, p, err, sizeof(err));
            ndetail++;
        } else if (strstr(f->path, "/get-posts/")) {
            rc = disc_parse_rarbg_posts(f->body, f->len, p, err, sizeof(err));
            nposts++;
        }
        if (!ok(rc == 0, name))
            diag("%s: rc %d err %s", f->path, rc, err);
        ok(s_result_ok(p), "fixture: the result keeps every invariant");
    }
    ok(nyts >= 30, "fixtures: the YTS answers were all found");
    ok(ndetail >= 3, "fixtures: the TheRARBG details were all found");
    ok(nposts >= 1, "fixtures: the TheRARBG listing was found");
}

/* Counts per YTS fixture (Python: movies, unique hashes, duplicates, data.movie_count). */
static void test_yts_counts(struct disc_parsed *p)
{
    static const struct {
        const char *suffix;
        size_t movies, torrents, skipped;
        int64_t count;
    } want[] = {
        {"list_movies.json-limit-1.json", 1, 1, 1, 50},
        {"tt0060196.json", 1, 3, 0, 1},
        {"tt0068646.json", 1, 3, 0, 1},
        {"tt0137523.json", 1, 2, 0, 1},
        {"tt11655566.json", 0, 0, 0, 0},
        {"tt1825683.json", 1, 4, 0, 1},
        {"tt29623480.json", 1, 5, 1, 1},
        {"tt3566834.json", 1, 6, 0, 1},
        {"tt4154756.json", 0, 0, 0, 0},
        {"tt6334354.json", 1, 5, 0, 1},
        {"tt7068946.json", 1, 3, 1, 1},
        {"tt9150192.json", 1, 6, 0, 1},
        {"tt9362722.json", 1, 3, 3, 1},
        {"tt9619824.json", 1, 4, 0, 1},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(want); i++) {
        char sfx[128];
        snprintf(sfx, sizeof(sfx), "%s%s", i == 0 ? "" : "query_term-", want[i].suffix);
        const struct fixture *f = s_fx(sfx);
        if (!ok(f != NULL, want[i].suffix)) {
            diag("fixture %s missing", sfx);
            continue;
        }
        is_int(disc_parse_yts(f->body, f->len, p, err, sizeof(err)), 0, "YTS fixture parses");
        is_int(p->nmovies, want[i].movies, "YTS fixture: movies");
        is_int(p->ntorrents, want[i].torrents, "YTS fixture: torrents (duplicates dropped)");
        is_int(p->skipped, want[i].skipped, "YTS fixture: skipped duplicates");
        is_int(p->provider_count, want[i].count, "YTS fixture: movie_count");
    }
}

static void test_yts_fields(struct disc_parsed *p)
{
    const struct fixture *f = s_fx("query_term-tt9150192.json");
    if (!ok(f != NULL, "the tt9150192 YTS fixture exists"))
        return;
    is_int(disc_parse_yts(f->body, f->len, p, err, sizeof(err)), 0, "tt9150192 parses");
    const struct disc_movie_meta *m = &p->movies[0].meta;
    is_str(m->imdb, "tt26560586", "YTS meta: imdb_code");
    is_str(m->title, "Thundering Baboon", "YTS meta: title");
    is_int(m->year, 2025, "YTS meta: year");
    is_int(m->runtime_min, 116, "YTS meta: runtime in minutes");
    is_str(m->trailer, "pzGarzN6C0D", "YTS meta: trailer");
    ok(m->rating > 5.69 && m->rating < 5.71, "YTS meta: rating 5.7");
    is_str(m->language, "en", "YTS meta: language");
    is_str(m->genres, "Action, Thriller", "YTS meta: genres joined");
    is_str(m->poster, "https://tepid-character.info/dev", "YTS meta: poster (large cover)");
    is_int(m->tmdb_id, 0, "YTS meta: no tmdb id");
    is_int(p->movies[0].first, 0, "YTS: the movie's run starts at 0");
    is_int(p->movies[0].ntorrents, 6, "YTS: the movie owns 6 torrents");
    const struct disc_torrent *t = &p->torrents[0];
    is_str(t->hash, "c0ddefe3201a0a48244a60be4b1ef54644ae2410", "YTS torrent: hash lower-cased");
    is_str(t->name, "Thundering Baboon (2025) 720p bluray x264 8bit 2.0",
           "YTS torrent: name built for the release-name parser");
    is_str(t->quality, "720p", "YTS torrent: quality");
    is_str(t->type, "bluray", "YTS torrent: type");
    is_str(t->codec, "x264", "YTS torrent: codec");
    is_int(t->bit_depth, 8, "YTS torrent: bit depth from the string \"8\"");
    is_str(t->audio_channels, "2.0", "YTS torrent: audio channels");
    is_int(t->size, 1116691497, "YTS torrent: size_bytes");
    is_int(t->seeders, 100, "YTS torrent: seeds");
    is_int(t->leechers, 22, "YTS torrent: peers");
    is_int(t->uploaded, 1748898532, "YTS torrent: date_uploaded_unix");
    is_str(t->url, "https://yts.mx/torrent/download/C0DDEFE3201A0A48244A60BE4B1EF54644AE2410",
           "YTS torrent: url");
    is_int(t->ntrackers, 0, "YTS torrent: no trackers");
    t = &p->torrents[4];
    is_str(t->hash, "2a23c985cb7731b7ca9d2c12d9f6e9d9a7cfc330", "YTS torrent 5: hash");
    is_str(t->name, "Thundering Baboon (2025) 1080p web x265 10bit 5.1", "YTS torrent 5: name");
    is_int(t->bit_depth, 10, "YTS torrent 5: 10 bit");
    is_int(t->size, 2083059139, "YTS torrent 5: size");
    is_int(t->leechers, 11, "YTS torrent 5: peers");
    t = &p->torrents[5];
    is_str(t->quality, "2160p", "YTS torrent 6: quality");
    is_int(t->size, 5572720067, "YTS torrent 6: size over 4 GiB");
    is_int(t->uploaded, 1744933675, "YTS torrent 6: uploaded");

    f = s_fx("query_term-tt9362722.json");
    if (ok(f != NULL, "the tt9362722 YTS fixture exists")) {
        is_int(disc_parse_yts(f->body, f->len, p, err, sizeof(err)), 0, "tt9362722 parses");
        is_str(p->torrents[0].hash, "2a23c985cb7731b7ca9d2c12d9f6e9d9a7cfc330",
               "duplicates: the first of a hash is kept");
        is_str(p->torrents[0].type, "bluray", "duplicates: the first is the bluray one");
        is_str(p->torrents[2].hash, "a84e83132db0f5b8674f6c1b4eeb75a0444cdf9b",
               "duplicates: the third unique hash");
        is_str(p->torrents[2].url,
               "http://yts-mock/torrent/download/A84E83132DB0F5B8674F6C1B4EEB75A0444CDF9B",
               "duplicates: http url accepted");
        is_str(p->movies[0].meta.genres, "Action, Adventure, Animation, Family, Fantasy, Sci-Fi",
               "genres: six joined");
    }
    f = s_fx("list_movies.json-limit-1.json");
    if (ok(f != NULL, "the limit-1 YTS fixture exists")) {
        is_int(disc_parse_yts(f->body, f->len, p, err, sizeof(err)), 0, "limit-1 parses");
        is_str(p->movies[0].meta.trailer, "", "an empty trailer code stays empty");
        is_int(p->torrents[0].seeders, 0, "seeds 0 is 0, not unknown");
        is_str(p->torrents[0].quality, "720p", "the first of two equal hashes is kept");
    }
}

static void test_rarbg_fixtures(struct disc_parsed *p)
{
    static const struct {
        const char *id;
        size_t posts;
        const char *title;
        int year, runtime;
        const char *trailer;
        double rating;
        int64_t tmdb;
        const char *genres, *poster, *hash, *name;
        int64_t size;
        int32_t seeders, leechers;
        int64_t uploaded;
        size_t ntrackers;
        const char *tracker0;
    } want[] = {
        {"tt9603208", 4, "The puny programming", 2025, 169, "fake_video_tt9603208_0", 7.4, 575265,
         "Action, Adventure, Thriller", "https://fake-cdn.example.com/fake-47766.jpg",
         "9abcdef0123456789abcdef0123456789abcdef0",
         "The secondary oversell 1996 1080p BluRay HEVC x265 AAC 5 1 Gypsy", 4617089843, 38, 16,
         1748618422, 7, "udp://open.stealth.si:80/announce"},
        {"tt11655566", 23, "The mountainous descend", 2025, 108, "fake_video_tt11655566_0", 6.8,
         552524, "Action, Adventure, Comedy", "https://fake-cdn.example.com/fake-40701.jpg",
         "0123456789abcdef0123456789abcdef01234567",
         "Chronicles of tan counseling 2025 AC3 5 1 ITA ENG 1080p H265 sub ita eng MIRCr",
         2254857830, 2, 35, 1753390853, 6, "udp://open.stealth.si:80/announce"},
        {"tt4154756", 25, "thoughtful softdrink: The despise", 2018, 149, "fake_video_tt4154756_0",
         8.4, 299536, "Action, Adventure, Sci-Fi", "https://fake-cdn.example.com/fake-3256.jpg",
         "3456789abcdef0123456789abcdef0123456789a",
         "Beyond.the.sudden.hole.2018.1080p.BluRay.x264.Atmos.TrueHD7.1-WiKi", 23557414741, 25, 42,
         1750146604, 0, NULL},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(want); i++) {
        char sfx[128];
        snprintf(sfx, sizeof(sfx), "/imdb-detail/%s/-format-json.json", want[i].id);
        const struct fixture *f = s_fx(sfx);
        if (!ok(f != NULL, "a TheRARBG detail fixture exists"))
            continue;
        int rc = disc_parse_rarbg_detail(f->body, f->len, want[i].id, p, err, sizeof(err));
        is_int(rc, 0, "TheRARBG detail parses");
        is_int(p->nmovies, 1, "TheRARBG detail: one movie");
        /* The recordings replaced every hash of an answer by one fake value. */
        is_int(p->ntorrents, 1, "TheRARBG detail: one unique hash");
        is_int(p->skipped, want[i].posts - 1, "TheRARBG detail: the other posts are duplicates");
        is_int(p->ignored, 0, "TheRARBG detail: nothing ignored (all Movies)");
        const struct disc_movie_meta *m = &p->movies[0].meta;
        is_str(m->imdb, want[i].id, "TheRARBG meta: imdb");
        is_str(m->title, want[i].title, "TheRARBG meta: title");
        is_int(m->year, want[i].year, "TheRARBG meta: year from release_detailed");
        is_int(m->runtime_min, want[i].runtime, "TheRARBG meta: runtime seconds -> minutes");
        is_str(m->trailer, want[i].trailer, "TheRARBG meta: trailer from video_list");
        ok(m->rating > want[i].rating - 0.01 && m->rating < want[i].rating + 0.01,
           "TheRARBG meta: rating from a string");
        is_int(m->tmdb_id, want[i].tmdb, "TheRARBG meta: tmdb id");
        is_str(m->genres, want[i].genres, "TheRARBG meta: genres");
        is_str(m->poster, want[i].poster, "TheRARBG meta: poster");
        is_str(m->language, "en", "TheRARBG meta: language from spoken_languages");
        const struct disc_torrent *t = &p->torrents[0];
        is_str(t->hash, want[i].hash, "TheRARBG torrent: hash");
        is_str(t->name, want[i].name, "TheRARBG torrent: name");
        is_int(t->size, want[i].size, "TheRARBG torrent: size");
        is_int(t->seeders, want[i].seeders, "TheRARBG torrent: seeders");
        is_int(t->leechers, want[i].leechers, "TheRARBG torrent: leechers");
        is_int(t->uploaded, want[i].uploaded, "TheRARBG torrent: added, else timestamp");
        is_int(t->ntrackers, want[i].ntrackers, "TheRARBG torrent: trackers without error");
        if (want[i].tracker0)
            is_str(t->trackers[0], want[i].tracker0, "TheRARBG torrent: first tracker");
        is_str(t->url, "", "TheRARBG torrent: no .torrent URL");
        is_str(t->quality, "", "TheRARBG torrent: no provider quality");
        is_int(t->season, 0, "TheRARBG torrent: season 0");
        /* asked without an id: taken from the answer */
        rc = disc_parse_rarbg_detail(f->body, f->len, NULL, p, err, sizeof(err));
        is_int(rc, 0, "TheRARBG detail parses without an id");
        is_str(p->movies[0].meta.imdb, want[i].id, "the id comes from imdb.imdb_id");
        /* asked for another id */
        rc = disc_parse_rarbg_detail(f->body, f->len, "tt0000001", p, err, sizeof(err));
        is_int(rc, -1, "an answer about another id is refused");
        ok(strstr(err, want[i].id) != NULL, "the error names the id answered");
        ok(s_empty(p), "the result is empty after a refusal");
    }

    const struct fixture *f = s_fx("/get-posts/category:Movies:time:1H/-format-json.json");
    if (!ok(f != NULL, "the TheRARBG listing fixture exists"))
        return;
    is_int(disc_parse_rarbg_posts(f->body, f->len, p, err, sizeof(err)), 0, "the listing parses");
    is_int(p->nmovies, 2, "listing: two movies");
    is_int(p->ntorrents, 2, "listing: two torrents");
    is_int(p->provider_count, 2, "listing: total");
    is_str(p->movies[0].meta.imdb, "tt5950044", "listing: first movie id");
    is_str(p->movies[1].meta.imdb, "tt29471661", "listing: second movie id");
    is_str(p->movies[0].meta.title, "", "listing: no title");
    const struct disc_torrent *t = &p->torrents[0];
    is_str(t->hash, "89abcdef0123456789abcdef0123456789abcdef", "listing: hash");
    is_str(t->name, "The frail gurgle 2025 1080p HDCAM x264 AC3", "listing: name");
    is_int(t->size, 4402341478, "listing: size");
    is_int(t->seeders, 4, "listing: seeders (se)");
    is_int(t->leechers, 11, "listing: leechers (le)");
    is_int(t->uploaded, 1753110022, "listing: added (a)");
    t = &p->torrents[1];
    is_str(t->hash, "c1f4f4fff5f6f4f6f2f2f4f6b2f2f4f6b2f2f4f6", "listing: second hash");
    is_int(t->leechers, 3, "listing: second leechers");
    is_int(p->movies[1].first, 1, "listing: second run starts at 1");
}

/* --- hostile answers --- */

static int s_yts(struct disc_parsed *p, const char *body)
{
    err[0] = '\0';
    return disc_parse_yts(body, strlen(body), p, err, sizeof(err));
}

static int s_detail(struct disc_parsed *p, const char *body, const char *id)
{
    err[0] = '\0';
    return disc_parse_rarbg_detail(body, strlen(body), id, p, err, sizeof(err));
}

static int s_posts(struct disc_parsed *p, const char *body)
{
    err[0] = '\0';
    return disc_parse_rarbg_posts(body, strlen(body), p, err, sizeof(err));
}

/* A YTS answer with one movie whose torrents array is `torrents` (JSON text). */
static int s_yts1(struct disc_parsed *p, const char *torrents)
{
    char body[65536];
    snprintf(body, sizeof(body),
             "{\"status\":\"ok\",\"data\":{\"movie_count\":1,\"movies\":[{\"imdb_code\":"
             "\"tt1234567\",\"title\":\"Film\",\"year\":2020,\"torrents\":%s}]}}",
             torrents);
    return s_yts(p, body);
}

static void test_not_answers(struct disc_parsed *p)
{
    static const char html[] = "<!DOCTYPE html><html><head><title>503 Service Unavailable"
                               "</title></head><body>cloudflare</body></html>";
    is_int(s_yts(p, html), -1, "YTS: an HTML page is refused");
    ok(strstr(err, "HTML") != NULL, "the error says HTML");
    is_int(s_detail(p, html, "tt1234567"), -1, "detail: an HTML page is refused");
    is_int(s_posts(p, html), -1, "posts: an HTML page is refused");
    ok(!disc_parse_yts_ok(html, strlen(html)), "probe: an HTML page is not ok");
    is_int(s_yts(p, "  \r\n <html>"), -1, "HTML after blanks is refused");
    is_int(s_yts(p, ""), -1, "an empty body is refused");
    ok(strstr(err, "empty") != NULL, "the error says empty");
    is_int(s_yts(p, " \n\t "), -1, "a blank body is refused");
    is_int(disc_parse_yts(NULL, 0, p, err, sizeof(err)), -1, "a NULL body is refused");
    ok(!disc_parse_yts_ok("", 0), "probe: empty is not ok");
    static const char *const shapes[] = {"[]", "\"ok\"", "42", "null", "true", "[{}]"};
    for (size_t i = 0; i < CM_ARRAY_LEN(shapes); i++) {
        is_int(s_yts(p, shapes[i]), -1, "YTS: a non-object top level is refused");
        ok(strstr(err, "object") != NULL, "the error says object");
        is_int(s_detail(p, shapes[i], "tt1234567"), -1, "detail: a non-object is refused");
        is_int(s_posts(p, shapes[i]), -1, "posts: a non-object is refused");
        ok(!disc_parse_yts_ok(shapes[i], strlen(shapes[i])), "probe: a non-object is not ok");
    }
    static const char *const broken[] = {
        "{",         "{\"status\":", "{\"status\":\"ok\"", "{\"a\":1}garbage", "{'status':'ok'}",
        "{\"a\":01}"};
    for (size_t i = 0; i < CM_ARRAY_LEN(broken); i++) {
        is_int(s_yts(p, broken[i]), -1, "broken JSON is refused");
        ok(strstr(err, "not valid JSON") != NULL, "the error says not valid JSON");
    }
    is_int(s_yts(p, "{\"status\":\"ok\",\"status\":\"ok\",\"data\":{}}"), -1,
           "duplicate keys are refused");
    static const char nul[] = "{\"status\":\"ok\",\"data\":{}}\0trailing";
    is_int(disc_parse_yts(nul, sizeof(nul) - 1, p, err, sizeof(err)), -1,
           "a NUL byte in the body is refused");
    is_int(disc_parse_yts("{\"status\":\"ok\",\"data\":{}}", 25, p, NULL, 0), 0,
           "err may be NULL on success");
    is_int(disc_parse_yts("<html>", 6, p, NULL, 0), -1, "err may be NULL on failure");
}

static void test_yts_status(struct disc_parsed *p)
{
    is_int(s_yts(p, "{\"status\":\"error\",\"status_message\":\"x\"}"), -1,
           "YTS status error is refused");
    ok(strstr(err, "\"error\"") != NULL, "the error names the status");
    ok(strstr(err, ": x") != NULL, "the error carries the status_message");
    is_int(s_yts(p, "{\"status\":\"error\",\"status_message\":\"Movie not found\\u0007\\n\"}"), -1,
           "YTS error with control characters");
    ok(strstr(err, "Movie not found") != NULL && strchr(err, '\a') == NULL &&
           strchr(err, '\n') == NULL,
       "the status_message is cleaned of control characters");
    char big[2048];
    size_t o = (size_t)snprintf(big, sizeof(big), "{\"status\":\"error\",\"status_message\":\"");
    for (int i = 0; i < 500; i++)
        big[o++] = 'm';
    snprintf(big + o, sizeof(big) - o, "\"}");
    is_int(s_yts(p, big), -1, "a long status_message");
    ok(strlen(err) < 200, "the status_message is capped in err");
    is_int(s_yts(p, "{\"data\":{}}"), -1, "no status is refused");
    ok(strstr(err, "no status_message") != NULL, "the error says so");
    is_int(s_yts(p, "{\"status\":1,\"data\":{}}"), -1, "a numeric status is refused");
    is_int(s_yts(p, "{\"status\":\"OK\",\"data\":{}}"), -1, "status is compared exactly");
    is_int(s_yts(p, "{\"status\":\"ok\"}"), -1, "no data object is refused");
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":[]}"), -1, "data as an array is refused");
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"movies\":{}}}"), -1,
           "movies as an object is refused");
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"movie_count\":0}}"), 0,
           "movie_count 0 and no movies: success");
    is_int(p->nmovies, 0, "... with no movies");
    is_int(p->provider_count, 0, "... and movie_count 0");
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"movies\":null}}"), 0, "movies null: success");
    is_int(p->provider_count, -1, "no movie_count: -1");
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"movies\":[]}}"), 0, "movies []: success");
    ok(disc_parse_yts_ok("{\"status\":\"ok\"}", 15), "probe: status ok");
    ok(!disc_parse_yts_ok("{\"status\":\"error\"}", 18), "probe: status error");
    ok(!disc_parse_yts_ok("{\"status\":[\"ok\"]}", 17), "probe: status not a string");
}

static void test_hashes(struct disc_parsed *p)
{
    is_int(s_yts1(p, "[{\"hash\":\"" H40_UPPER "\"}]"), 0, "an upper-case hash");
    is_str(p->torrents[0].hash, H40, "... is lower-cased");
    is_str(p->torrents[0].name, "Film (2020)", "a name from title and year only");
    is_int(p->torrents[0].seeders, -1, "missing seeds: unknown");
    is_int(p->torrents[0].size, 0, "missing size: unknown");
    is_int(s_yts1(p, "[{\"hash\":\"AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH\"}]"), 0, "a base32 hash");
    is_int(p->ntorrents, 1, "... is kept");
    is_str(p->torrents[0].hash, H40, "... and converted to hex");
    is_int(s_yts1(p, "[{\"hash\":\"aerukz4jvpg66ajdivtytk6n54asgrlh\"}]"), 0, "lower base32");
    is_str(p->torrents[0].hash, H40, "... converted too");
    static const char *const bad[] = {
        "[{\"hash\":\"0123456789abcdef0123456789abcdef0123456\"}]",   /* 39 */
        "[{\"hash\":\"0123456789abcdef0123456789abcdef012345678\"}]", /* 41 */
        "[{\"hash\":\"0123456789abcdef0123456789abcdef0123456g\"}]",  /* not hex */
        "[{\"hash\":\"AERUKZ4JVPG66AJDIVTYTK6N54ASGRL1\"}]",          /* 1 is not base32 */
        "[{\"hash\":\"0000000000000000000000000000000000000000\"}]",  /* zeros */
        "[{\"hash\":\" 123456789abcdef0123456789abcdef01234567\"}]",  /* space */
        "[{\"hash\":123}]",
        "[{\"hash\":null}]",
        "[{\"hash\":[\"" H40 "\"]}]",
        "[{\"seeds\":5}]",
        "[{}]",
        "[\"" H40 "\"]",
        "[42]",
        "[null]",
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        is_int(s_yts1(p, bad[i]), 0, "a bad torrent does not fail the answer");
        is_int(p->ntorrents, 0, "... it is not kept");
        is_int(p->skipped, 1, "... it is counted as skipped");
        is_int(p->nmovies, 1, "... and the movie stays");
    }
    is_int(s_yts1(p, "[{\"hash\":\"" H40 "\"},{\"hash\":\"" H40_UPPER "\"},{\"hash\":\"" H40_B
                     "\"},{\"hash\":\"AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH\"}]"),
           0, "duplicate hashes in any form");
    is_int(p->ntorrents, 2, "... only the first of each is kept");
    is_int(p->skipped, 2, "... the others are skipped");
    is_str(p->torrents[1].hash, H40_B, "... the other hash is kept");
    is_int(s_yts1(p, "[{\"hash\":\"zz\"},{\"hash\":\"" H40 "\",\"seeds\":3}]"), 0,
           "a bad torrent before a good one");
    is_int(p->ntorrents, 1, "... the good one is kept");
    is_int(p->torrents[0].seeders, 3, "... with its fields");
}

static void test_numbers(struct disc_parsed *p)
{
    static const struct {
        const char *seeds;
        int32_t want;
        const char *what;
    } seeds[] = {
        {"5", 5, "seeds: an integer"},
        {"-7", 0, "seeds: negative is clamped to 0"},
        {"\"42\"", 42, "seeds: a numeric string"},
        {"\" 43 \"", 43, "seeds: a numeric string with spaces"},
        {"12.9", 12, "seeds: a real is truncated"},
        {"1e30", DISC_PARSE_SEEDERS_MAX, "seeds: huge is clamped"},
        {"99999999999999999999999", DISC_PARSE_SEEDERS_MAX, "seeds: a 23-digit integer"},
        {"10000001", DISC_PARSE_SEEDERS_MAX, "seeds: just over the cap"},
        {"\"abc\"", -1, "seeds: a word is unknown"},
        {"\"0x10\"", -1, "seeds: hex text is unknown"},
        {"\"inf\"", -1, "seeds: inf text is unknown"},
        {"\"nan\"", -1, "seeds: nan text is unknown"},
        {"\"1e999\"", -1, "seeds: an overflowing string is unknown"},
        {"\"\"", -1, "seeds: an empty string is unknown"},
        {"true", -1, "seeds: a boolean is unknown"},
        {"null", -1, "seeds: null is unknown"},
        {"[5]", -1, "seeds: an array is unknown"},
        {"{\"n\":5}", -1, "seeds: an object is unknown"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(seeds); i++) {
        char t[512];
        snprintf(t, sizeof(t), "[{\"hash\":\"%s\",\"seeds\":%s,\"peers\":%s}]", H40, seeds[i].seeds,
                 seeds[i].seeds);
        is_int(s_yts1(p, t), 0, "an answer with odd counts parses");
        is_int(p->torrents[0].seeders, seeds[i].want, seeds[i].what);
        is_int(p->torrents[0].leechers, seeds[i].want, "... and peers the same");
    }
    static const struct {
        const char *fields;
        int64_t want;
        const char *what;
    } sizes[] = {
        {"\"size_bytes\":1234", 1234, "size: an integer"},
        {"\"size_bytes\":\"1234\"", 1234, "size: a numeric string"},
        {"\"size_bytes\":-5", 0, "size: negative is unknown"},
        {"\"size_bytes\":2000000000000", 0, "size: over 1 TiB is unknown"},
        {"\"size_bytes\":1099511627776", 1099511627776, "size: exactly 1 TiB is kept"},
        {"\"size_bytes\":104857600000000", 0, "size: a 100 TB claim is unknown"},
        {"\"size_bytes\":\"huge\"", 0, "size: a word is unknown"},
        {"\"size_bytes\":-1,\"size\":\"1.5 GB\"", 1610612736, "size: the human size as fallback"},
        {"\"size\":\"1.03 GB\"", 1105954078, "size: YTS's rounded GB"},
        {"\"size\":\"700 MB\"", 734003200, "size: MB"},
        {"\"size\":\"2 TB\"", 0, "size: 2 TB human is unknown"},
        {"\"size\":\"12 parsecs\"", 0, "size: an unknown unit"},
        {"\"size\":\"-1 GB\"", 0, "size: a negative human size"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(sizes); i++) {
        char t[512];
        snprintf(t, sizeof(t), "[{\"hash\":\"%s\",%s}]", H40, sizes[i].fields);
        is_int(s_yts1(p, t), 0, "an answer with an odd size parses");
        is_int(p->torrents[0].size, sizes[i].want, sizes[i].what);
    }
    static const struct {
        const char *fields;
        int64_t want;
        const char *what;
    } times[] = {
        {"\"date_uploaded_unix\":1748945676", 1748945676, "time: unix"},
        {"\"date_uploaded_unix\":\"1748945676\"", 1748945676, "time: unix as a string"},
        {"\"date_uploaded_unix\":-1", 0, "time: negative is unknown"},
        {"\"date_uploaded_unix\":99999999999", 0, "time: after 2100 is unknown"},
        {"\"date_uploaded\":\"2025-06-03 12:14:36\"", 1748952876, "time: the date as fallback"},
        {"\"date_uploaded\":\"2024-02-29T23:00:00+05:30\"", 1709227800, "time: ISO with offset"},
        {"\"date_uploaded\":\"2025-13-03 12:14:36\"", 0, "time: month 13 is unknown"},
        {"\"date_uploaded\":\"2025-06-03\"", 0, "time: a date alone is unknown"},
        {"\"date_uploaded\":\"2025-06-03 12:14:36 junk\"", 0, "time: trailing junk"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(times); i++) {
        char t[512];
        snprintf(t, sizeof(t), "[{\"hash\":\"%s\",%s}]", H40, times[i].fields);
        is_int(s_yts1(p, t), 0, "an answer with an odd time parses");
        is_int(p->torrents[0].uploaded, times[i].want, times[i].what);
    }
    is_int(s_yts1(p, "[{\"hash\":\"" H40 "\",\"bit_depth\":\"10\",\"quality\":\"1080p\","
                     "\"type\":\"web\",\"video_codec\":\"x265\",\"audio_channels\":\"5.1\","
                     "\"is_repack\":\"0\"}]"),
           0, "fields as strings");
    is_int(p->torrents[0].bit_depth, 10, "bit_depth from a string");
    is_str(p->torrents[0].name, "Film (2020) 1080p web x265 10bit 5.1", "the built name");
    is_int(s_yts1(p, "[{\"hash\":\"" H40 "\",\"bit_depth\":99,\"quality\":\"1080p <script>\","
                     "\"type\":\"a-very-long-type-string-indeed\",\"video_codec\":7}]"),
           0, "odd tokens");
    is_int(p->torrents[0].bit_depth, 0, "an absurd bit depth is unknown");
    is_str(p->torrents[0].quality, "", "a quality with spaces is dropped");
    is_str(p->torrents[0].type, "", "a type over 15 characters is dropped");
    is_str(p->torrents[0].codec, "", "a numeric codec is dropped");
    is_str(p->torrents[0].name, "Film (2020)", "... and not in the name");
}

static void test_nesting_and_caps(struct disc_parsed *p)
{
    size_t n = 10000;
    char *deep = cm_malloc(2 * n + 64);
    size_t o = (size_t)snprintf(deep, 64, "{\"status\":\"ok\",\"data\":");
    for (size_t i = 0; i < n; i++)
        deep[o++] = '[';
    for (size_t i = 0; i < n; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = '\0';
    is_int(s_yts(p, deep), -1, "10,000 nested arrays are refused");
    ok(strstr(err, "deeper") != NULL, "the error says too deep");
    is_int(s_posts(p, deep), -1, "... by every parser");
    ok(!disc_parse_yts_ok(deep, o), "... and the probe");
    cm_free(deep);
    /* exactly at the cap: 31 levels under the top object */
    char at[256];
    o = (size_t)snprintf(at, sizeof(at), "{\"status\":\"ok\",\"data\":{\"x\":");
    for (int i = 0; i < DISC_PARSE_DEPTH_MAX - 2; i++)
        at[o++] = '[';
    for (int i = 0; i < DISC_PARSE_DEPTH_MAX - 2; i++)
        at[o++] = ']';
    snprintf(at + o, sizeof(at) - o, "}}");
    is_int(s_yts(p, at), 0, "nesting at the cap is accepted");
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"t\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                    "[[[[[[\\\"[[[[[[\"}}"),
           0, "brackets inside strings do not count");

    char *big = cm_malloc((size_t)DISC_PARSE_BODY_MAX + 2);
    memset(big, ' ', (size_t)DISC_PARSE_BODY_MAX + 1);
    memcpy(big, "{\"status\":\"ok\",\"data\":{}}", 25);
    is_int(disc_parse_yts(big, (size_t)DISC_PARSE_BODY_MAX + 1, p, err, sizeof(err)), -1,
           "a body one byte over the cap is refused");
    ok(strstr(err, "cap") != NULL, "the error says cap");
    ok(!disc_parse_yts_ok(big, (size_t)DISC_PARSE_BODY_MAX + 1), "... the probe too");
    is_int(disc_parse_yts(big, (size_t)DISC_PARSE_BODY_MAX, p, err, sizeof(err)), 0,
           "a body exactly at the cap is parsed");
    cm_free(big);

    /* 1000 torrents in one movie */
    cm_buf_t *b = cm_buf_new(1 << 20);
    char item[128];
    const char *head = "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":\"tt7654321\","
                       "\"title\":\"Many\",\"torrents\":[";
    ok(cm_buf_append(b, head, strlen(head)) == 0, "building 1000 torrents");
    for (int i = 0; i < 1000; i++) {
        int k = snprintf(item, sizeof(item), "%s{\"hash\":\"%040x\",\"seeds\":%d}", i ? "," : "",
                         i + 1, i);
        (void)!cm_buf_append(b, item, (size_t)k);
    }
    ADD(b, "]}]}}");
    int rc = disc_parse_yts((const char *)cm_buf_data(b), cm_buf_len(b), p, err, sizeof(err));
    is_int(rc, 0, "1000 torrents parse");
    is_int(p->ntorrents, DISC_PARSE_TORRENTS_MAX, "... capped per movie");
    is_int(p->movies[0].ntorrents, DISC_PARSE_TORRENTS_MAX, "... the movie owns the cap");
    is_int(p->truncated, 1000 - DISC_PARSE_TORRENTS_MAX, "... the rest counted as truncated");
    is_int(p->skipped, 0, "... nothing skipped");
    is_str(p->torrents[63].hash, "0000000000000000000000000000000000000040", "... in order");
    ok(s_result_ok(p), "... and valid");

    /* 60 movies of 30 torrents: the movie cap, the answer cap and the items cap */
    cm_buf_reset(b);
    ADD(b, "{\"status\":\"ok\",\"data\":{\"movies\":[");
    for (int m = 0; m < 60; m++) {
        int k = snprintf(item, sizeof(item), "%s{\"imdb_code\":\"tt%07d\",\"torrents\":[",
                         m ? "," : "", m + 1);
        (void)!cm_buf_append(b, item, (size_t)k);
        for (int t = 0; t < 30; t++) {
            k = snprintf(item, sizeof(item), "%s{\"hash\":\"%040x\"}", t ? "," : "",
                         m * 100 + t + 1);
            (void)!cm_buf_append(b, item, (size_t)k);
        }
        ADD(b, "]}");
    }
    ADD(b, "]}}");
    rc = disc_parse_yts((const char *)cm_buf_data(b), cm_buf_len(b), p, err, sizeof(err));
    is_int(rc, 0, "60 movies of 30 torrents parse");
    is_int(p->nmovies, DISC_PARSE_MOVIES_MAX, "... capped at DISC_PARSE_MOVIES_MAX movies");
    is_int(p->ntorrents,
           DISC_PARSE_ALL_TORRENTS_MAX <= 50 * 30 ? DISC_PARSE_ALL_TORRENTS_MAX : 1500,
           "... and at DISC_PARSE_ALL_TORRENTS_MAX torrents");
    ok(p->truncated > 0, "... the rest counted as truncated");
    ok(s_result_ok(p), "... and valid");
    cm_buf_destroy(&b);

    /* reuse: a small answer after a big one leaves nothing behind */
    is_int(s_yts1(p, "[{\"hash\":\"" H40 "\"}]"), 0, "the result is reusable");
    is_int(p->nmovies, 1, "... one movie");
    is_int(p->ntorrents, 1, "... one torrent");
    is_int(p->truncated, 0, "... counters reset");
    is_int(p->movies[0].first, 0, "... runs reset");
}

static void test_text(struct disc_parsed *p)
{
    /* Raw invalid UTF-8 (Latin-1 é, a lone continuation byte, a truncated sequence). */
    static const char latin[] = "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":"
                                "\"tt1234567\",\"title\":\"Caf\xe9 \x80 Noir \xe2\x82\","
                                "\"torrents\":[{\"hash\":\"" H40 "\"}]}]}}";
    is_int(s_yts(p, latin), 0, "invalid UTF-8 in a title does not fail the answer");
    is_str(p->movies[0].meta.title, "Caf? ? Noir ??", "... each bad byte becomes '?'");
    ok(cm_utf8_valid(p->torrents[0].name, strlen(p->torrents[0].name), false),
       "... the name is valid UTF-8");
    static const char ctrl[] = "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":"
                               "\"tt1234567\",\"title\":\"\\u0001Bad\\u001b[31m\\tTitle\\n\\u007f"
                               "\\u0085 Caf\\u00e9  \",\"torrents\":[{\"hash\":\"" H40 "\"}]}]}}";
    is_int(s_yts(p, ctrl), 0, "control characters in a title");
    is_str(p->movies[0].meta.title, "Bad[31m Title Caf\xc3\xa9",
           "... are removed, tabs spaced, spaces squeezed");
    ok(s_result_ok(p), "... and the result is valid");
    /* A title of 400 two-byte characters: cut on a character boundary. */
    cm_buf_t *b = cm_buf_new(1 << 16);
    const char *h = "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":\"tt1234567\","
                    "\"title\":\"";
    (void)!cm_buf_append(b, h, strlen(h));
    for (int i = 0; i < 400; i++)
        ADD(b, "\xc3\xa9");
    const char *tail = "\",\"year\":1999,\"torrents\":[{\"hash\":\"" H40 "\",\"quality\":"
                       "\"720p\"}]}]}}";
    (void)!cm_buf_append(b, tail, strlen(tail));
    int rc = disc_parse_yts((const char *)cm_buf_data(b), cm_buf_len(b), p, err, sizeof(err));
    is_int(rc, 0, "a long multi-byte title");
    size_t tl = strlen(p->movies[0].meta.title);
    ok(tl <= DISC_PARSE_TITLE_MAX && tl % 2 == 0, "... the title is cut between characters");
    ok(cm_utf8_valid(p->movies[0].meta.title, tl, false), "... and is valid UTF-8");
    size_t nl = strlen(p->torrents[0].name);
    ok(nl <= DISC_PARSE_NAME_MAX, "... the name fits its cap");
    ok(cm_utf8_valid(p->torrents[0].name, nl, false), "... and is valid UTF-8");
    ok(strstr(p->torrents[0].name, "(1999) 720p") != NULL, "... and keeps year and quality");
    cm_buf_destroy(&b);
    /* URLs */
    static const struct {
        const char *url, *want, *what;
    } urls[] = {
        {"https://x.example/t.torrent", "https://x.example/t.torrent", "url: https kept"},
        {"HTTP://x.example/t", "HTTP://x.example/t", "url: scheme in any case"},
        {"javascript:alert(1)", "", "url: javascript dropped"},
        {"ftp://x.example/t", "", "url: ftp dropped"},
        {"magnet:?xt=urn:btih:" H40, "", "url: a magnet is not a .torrent URL"},
        {"https://x.example/a b", "", "url: a space drops it"},
        {"https://", "", "url: no host"},
        {"https:///path", "", "url: empty host"},
        {"https://x.example/\\u00e9", "", "url: non-ASCII dropped"},
        {"https://x.example/\\u0000", "", "url: NUL dropped"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(urls); i++) {
        char t[512];
        snprintf(t, sizeof(t), "[{\"hash\":\"%s\",\"url\":\"%s\"}]", H40, urls[i].url);
        int r = s_yts1(p, t);
        if (strstr(urls[i].url, "u0000")) {
            is_int(r, -1, "url: a \\u0000 escape fails the JSON (jansson refuses NUL)");
            continue;
        }
        is_int(r, 0, "an answer with an odd url parses");
        is_str(p->torrents[0].url, urls[i].want, urls[i].what);
    }
    char longurl[1200];
    size_t o =
        (size_t)snprintf(longurl, sizeof(longurl), "[{\"hash\":\"%s\",\"url\":\"https://x/", H40);
    for (int i = 0; i < 600; i++)
        longurl[o++] = 'a';
    snprintf(longurl + o, sizeof(longurl) - o, "\"}]");
    is_int(s_yts1(p, longurl), 0, "a URL over the cap");
    is_str(p->torrents[0].url, "", "... is dropped, not cut");
}

static void test_meta(struct disc_parsed *p)
{
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":\"tt12345678\","
                    "\"title\":\"\",\"title_english\":\"English\",\"year\":\"1999\",\"runtime\":"
                    "99999,\"rating\":11,\"yt_trailer_code\":\"bad code!\",\"language\":\"EN\","
                    "\"genres\":[\"A\",7,\"\",\"B\"],\"large_cover_image\":\"data:x\","
                    "\"medium_cover_image\":\"https://i.example/m.jpg\"}]}}"),
           0, "odd movie fields");
    const struct disc_movie_meta *m = &p->movies[0].meta;
    is_str(m->imdb, "tt12345678", "meta: an 8-digit id");
    is_str(m->title, "English", "meta: title_english when title is empty");
    is_int(m->year, 1999, "meta: year as a string");
    is_int(m->runtime_min, 0, "meta: an absurd runtime is unknown");
    ok(m->rating == 0, "meta: a rating over 10 is unknown");
    is_str(m->trailer, "", "meta: a trailer with spaces is dropped");
    is_str(m->language, "en", "meta: language lower-cased");
    is_str(m->genres, "A, B", "meta: only string genres");
    is_str(m->poster, "https://i.example/m.jpg", "meta: the medium cover as fallback");
    is_int(p->movies[0].ntorrents, 0, "meta: a movie without torrents is kept");
    cm_buf_t *b = cm_buf_new(1 << 16);
    ADD(b, "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":\"tt1234567\","
           "\"genres\":[");
    for (int i = 0; i < 40; i++)
        ADD(b, i ? ",\"Adventure\"" : "\"Adventure\"");
    ADD(b, "]}]}}");
    int rc = disc_parse_yts((const char *)cm_buf_data(b), cm_buf_len(b), p, err, sizeof(err));
    is_int(rc, 0, "40 genres");
    size_t gl = strlen(p->movies[0].meta.genres);
    ok(gl <= DISC_PARSE_GENRES_MAX && gl > 100, "... as many as fit");
    ok(gl >= 9 && strcmp(p->movies[0].meta.genres + gl - 9, "Adventure") == 0,
       "... whole genres only");
    cm_buf_destroy(&b);
    static const char *const badid[] = {"\"tt123456\"",  "\"tt123456789\"", "\"nm1234567\"",
                                        "\"tt12345a7\"", "1234567",         "null",
                                        "\"TT1234567\""};
    for (size_t i = 0; i < CM_ARRAY_LEN(badid); i++) {
        char body[512];
        snprintf(body, sizeof(body),
                 "{\"status\":\"ok\",\"data\":{\"movies\":[{\"imdb_code\":%s,\"torrents\":"
                 "[{\"hash\":\"%s\"}]},{\"imdb_code\":\"tt7777777\"}]}}",
                 badid[i], H40);
        is_int(s_yts(p, body), 0, "a movie with a bad imdb_code does not fail the answer");
        is_int(p->nmovies, 1, "... it is skipped");
        is_int(p->ntorrents, 0, "... with its torrents");
        is_int(p->skipped, 1, "... counted once");
        is_str(p->movies[0].meta.imdb, "tt7777777", "... the next movie is kept");
    }
    is_int(s_yts(p, "{\"status\":\"ok\",\"data\":{\"movies\":[7,{\"imdb_code\":\"tt1234567\","
                    "\"torrents\":\"none\"},{\"imdb_code\":\"tt1234567\"}]}}"),
           0, "a number movie, a string torrents, a duplicate movie");
    is_int(p->nmovies, 1, "... one movie kept");
    is_int(p->skipped, 3, "... three things skipped");
}

static const char *s_post(char *buf, size_t size, const char *hash, const char *extra)
{
    snprintf(buf, size,
             "{\"info_hash\":\"%s\",\"name\":\"Some.Film.2020.1080p.WEB-DL\",\"category_str\":"
             "\"Movies\",\"seeders\":\"12\",\"leechers\":3,\"size\":1000,\"added\":0,"
             "\"timestamp\":\"2025-05-30T15:20:22.821488Z\"%s%s}",
             hash, extra[0] ? "," : "", extra);
    return buf;
}

static void test_rarbg_detail_hostile(struct disc_parsed *p)
{
    char body[16384], a[8192], b[2048], c[2048];
    is_int(s_detail(p, "{}", "tt1234567"), 0, "detail: neither imdb nor trb_posts: success");
    is_int(p->nmovies, 0, "... with no movies");
    is_int(s_detail(p, "{\"imdb\":null,\"trb_posts\":null}", "tt1234567"), 0,
           "detail: both null: success");
    is_int(p->nmovies, 0, "... with no movies");
    is_int(s_detail(p, "{\"trb_posts\":{}}", "tt1234567"), -1, "detail: posts as an object");
    ok(strstr(err, "trb_posts") != NULL, "... the error names trb_posts");
    is_int(s_detail(p, "{\"imdb\":[],\"trb_posts\":[]}", "tt1234567"), -1,
           "detail: imdb as an array");
    is_int(s_detail(p, "{\"trb_posts\":[]}", "tt123"), -1, "detail: a bad id asked for");
    is_int(s_detail(p, "{\"trb_posts\":[]}", NULL), -1, "detail: no id anywhere");
    is_int(s_detail(p, "{\"trb_posts\":[]}", "tt1234567"), 0, "detail: posts without imdb");
    is_int(p->nmovies, 1, "... one movie, the id asked for");
    is_str(p->movies[0].meta.imdb, "tt1234567", "... its id");
    is_int(s_detail(p, "{\"imdb\":{\"imdb_id\":\"tt1234567\",\"runtime\":8940},\"trb_posts\":[]}",
                    "tt1234567"),
           0, "detail: runtime as a number");
    is_int(p->movies[0].meta.runtime_min, 149, "... seconds to minutes");
    is_int(s_detail(p,
                    "{\"imdb\":{\"runtime\":\"90 min\",\"rating\":\"x\",\"tmdb_id\":-4,"
                    "\"release_detailed\":{\"date\":\"1999-05-01T00:00:00Z\"},"
                    "\"video_list\":[{\"site\":\"Vimeo\",\"key\":\"v1\"},{\"site\":\"YouTube\","
                    "\"key\":\"y 1\"},{\"site\":\"youtube\",\"key\":\"y2\"}],"
                    "\"spoken_languages\":[{\"id\":\"english language\"}],\"image\":7,"
                    "\"thumbnail\":\"http://t.example/t.jpg\"}}",
                    "tt1234567"),
           0, "detail: odd imdb fields");
    const struct disc_movie_meta *m = &p->movies[0].meta;
    is_int(m->runtime_min, 0, "... \"90 min\" is unknown");
    ok(m->rating == 0, "... a word rating is unknown");
    is_int(m->tmdb_id, 0, "... a negative tmdb id is unknown");
    is_int(m->year, 1999, "... the year from release_detailed.date");
    is_str(m->trailer, "y2", "... the first valid YouTube key");
    is_str(m->language, "", "... a long language id is dropped");
    is_str(m->poster, "http://t.example/t.jpg", "... the thumbnail as fallback");
    is_int(p->ntorrents, 0, "... no posts, no torrents");

    /* trackers: errors, bad schemes, duplicates, more than the cap */
    cm_buf_t *tb = cm_buf_new(1 << 16);
    ADD(tb, "\"trackers\":[");
    ADD(tb, "{\"tracker\":\"udp://a.example:1/announce\",\"scrape_error\":\"x\"},");
    ADD(tb, "{\"tracker\":\"wss://b.example/announce\"},");
    ADD(tb, "{\"tracker\":\"udp://c.example:1/announce\"},");
    ADD(tb, "{\"tracker\":\"udp://c.example:1/announce\"},");
    ADD(tb, "{\"tracker\":7},\"str\",");
    for (int i = 0; i < 30; i++) {
        char one[128];
        int k = snprintf(one, sizeof(one),
                         "{\"tracker\":\"http://t%d.example/announce\",\"scrape_error\":null},", i);
        (void)!cm_buf_append(tb, one, (size_t)k);
    }
    ADD(tb, "null],\"season\":\"2\",\"episode\":99999");
    (void)!cm_buf_append(tb, "", 1); /* a C string */
    snprintf(body, sizeof(body), "{\"trb_posts\":[%s]}",
             s_post(a, sizeof(a), H40, (const char *)cm_buf_data(tb)));
    cm_buf_destroy(&tb);
    is_int(s_detail(p, body, "tt1234567"), 0, "detail: a post with odd trackers");
    const struct disc_torrent *t = &p->torrents[0];
    is_int(t->ntrackers, DISC_PARSE_TRACKERS_MAX, "... capped at DISC_PARSE_TRACKERS_MAX");
    is_str(t->trackers[0], "udp://c.example:1/announce", "... errors and wss dropped");
    is_str(t->trackers[1], "http://t0.example/announce", "... duplicates dropped");
    is_int(t->seeders, 12, "... seeders from a string");
    is_int(t->uploaded, 1748618422, "... the ISO timestamp when added is 0");
    is_int(t->season, 2, "... season from a string");
    is_int(t->episode, 0, "... an absurd episode is none");
    ok(s_result_ok(p), "... and the result is valid");

    /* categories, other movies, sizes from files */
    snprintf(body, sizeof(body), "{\"trb_posts\":[%s,%s,%s]}",
             s_post(a, sizeof(a), H40, "\"category_str\":\"TV\""),
             s_post(b, sizeof(b), H40_B, "\"imdb\":\"tt7654321\""),
             s_post(c, sizeof(c), H40_C, "\"category_str\":null,\"imdb\":\"tt1234567\""));
    /* s_post puts category_str first; the duplicate key makes JSON invalid: use other posts */
    is_int(s_detail(p, body, "tt1234567"), -1, "a duplicate key in a post fails the answer");
    snprintf(body, sizeof(body),
             "{\"trb_posts\":[{\"info_hash\":\"%s\",\"name\":\"TV show\",\"category_str\":\"TV\"},"
             "{\"info_hash\":\"%s\",\"name\":\"Other\",\"imdb\":\"tt7654321\"},"
             "{\"info_hash\":\"%s\",\"name\":\"Mine\",\"imdb\":\"tt1234567\",\"files\":"
             "[{\"size\":[100]},{\"size\":[200]},{\"size\":\"300\"}]},"
             "{\"info_hash\":\"%s\",\"name\":\"No files size\",\"files\":[{\"size\":[1,2]}]},"
             "{\"info_hash\":\"%s\",\"name\":\"\"},"
             "{\"info_hash\":\"%s\",\"category_str\":\"movies\",\"name\":\"Lower\",\"size\":-9}]}",
             H40, H40_B, H40_C, "1111111111111111111111111111111111111111",
             "2222222222222222222222222222222222222222",
             "3333333333333333333333333333333333333333");
    is_int(s_detail(p, body, "tt1234567"), 0, "detail: categories, other movies, files");
    is_int(p->ignored, 2, "... the TV post and the other movie's post are ignored");
    is_int(p->skipped, 1, "... the nameless post is skipped");
    is_int(p->ntorrents, 3, "... three kept");
    is_str(p->torrents[0].name, "Mine", "... the post of this movie");
    is_int(p->torrents[0].size, 600, "... size summed from files (arrays and strings)");
    is_int(p->torrents[1].size, 0, "... a two-element size array is unknown");
    is_str(p->torrents[2].name, "Lower", "... category compared without case");
    is_int(p->torrents[2].size, 0, "... a negative size is unknown");
    is_int(p->torrents[2].seeders, -1, "... missing seeders are unknown");
}

static void test_rarbg_posts_hostile(struct disc_parsed *p)
{
    char body[4096];
    is_int(s_posts(p, "{}"), -1, "posts: no results is refused");
    ok(strstr(err, "results") != NULL, "... the error names results");
    is_int(s_posts(p, "{\"results\":{}}"), -1, "posts: results as an object");
    is_int(s_posts(p, "{\"results\":[]}"), 0, "posts: empty results");
    is_int(p->nmovies, 0, "... no movies");
    snprintf(body, sizeof(body),
             "{\"count\":7,\"results\":["
             "{\"i\":\"tt0000001\",\"h\":\"%s\",\"n\":\"A1\",\"se\":1,\"c\":\"Movies\"},"
             "{\"i\":\"tt0000002\",\"h\":\"%s\",\"n\":\"B1\",\"se\":2},"
             "{\"i\":\"tt0000001\",\"h\":\"%s\",\"n\":\"A2\",\"se\":3,\"a\":\"1753110022\"},"
             "{\"h\":\"1111111111111111111111111111111111111111\",\"n\":\"no id\"},"
             "{\"i\":\"tt0000003\",\"h\":\"2222222222222222222222222222222222222222\","
             "\"n\":\"tv\",\"c\":\"TV\"},"
             "{\"i\":\"tt0000004\",\"h\":\"bad\",\"n\":\"bad hash\"},"
             "{\"i\":\"tt0000002\",\"h\":\"%s\",\"n\":\"dup\"},"
             "5]}",
             H40, H40_B, H40_C, H40_UPPER);
    is_int(s_posts(p, body), 0, "posts: grouping by imdb id");
    is_int(p->provider_count, 7, "... count when no total");
    is_int(p->nmovies, 2, "... two movies (a bad hash adds none)");
    is_int(p->ntorrents, 3, "... three torrents");
    is_int(p->ignored, 2, "... no id and another category ignored");
    is_int(p->skipped, 3, "... bad hash, duplicate and a number skipped");
    is_str(p->movies[0].meta.imdb, "tt0000001", "... first movie");
    is_int(p->movies[0].first, 0, "... its run starts at 0");
    is_int(p->movies[0].ntorrents, 2, "... and holds two");
    is_str(p->torrents[0].name, "A1", "... A1 first");
    is_str(p->torrents[1].name, "A2", "... then A2 (regrouped)");
    is_int(p->torrents[1].uploaded, 1753110022, "... added from a string");
    is_str(p->movies[1].meta.imdb, "tt0000002", "... second movie");
    is_int(p->movies[1].first, 2, "... its run starts at 2");
    is_str(p->torrents[2].name, "B1", "... B1");
    is_int(p->torrents[2].seeders, 2, "... with its seeders");
    ok(s_result_ok(p), "... and the result is valid");

    cm_buf_t *b = cm_buf_new(1 << 20);
    ADD(b, "{\"results\":[");
    for (int i = 0; i < 60; i++) {
        char one[160];
        int k = snprintf(one, sizeof(one), "%s{\"i\":\"tt%07d\",\"h\":\"%040x\",\"n\":\"m%d\"}",
                         i ? "," : "", i + 1, i + 1, i);
        (void)!cm_buf_append(b, one, (size_t)k);
    }
    ADD(b, "]}");
    int rc =
        disc_parse_rarbg_posts((const char *)cm_buf_data(b), cm_buf_len(b), p, err, sizeof(err));
    is_int(rc, 0, "posts: 60 movies");
    is_int(p->nmovies, DISC_PARSE_MOVIES_MAX, "... capped");
    is_int(p->truncated, 10, "... ten truncated");
    ok(s_result_ok(p), "... valid");
    cm_buf_reset(b);
    ADD(b, "{\"results\":[");
    for (int i = 0; i < 5000; i++) {
        char one[160];
        int k = snprintf(one, sizeof(one), "%s{\"i\":\"tt%07d\",\"h\":\"%040x\",\"n\":\"m%d\"}",
                         i ? "," : "", i % 40 + 1, i + 1, i);
        (void)!cm_buf_append(b, one, (size_t)k);
    }
    ADD(b, "]}");
    rc = disc_parse_rarbg_posts((const char *)cm_buf_data(b), cm_buf_len(b), p, err, sizeof(err));
    is_int(rc, 0, "posts: 5000 results");
    is_int(p->nmovies, 40, "... 40 movies");
    is_int(p->ntorrents,
           40 * DISC_PARSE_TORRENTS_MAX < DISC_PARSE_ALL_TORRENTS_MAX ? 40 * DISC_PARSE_TORRENTS_MAX
                                                                      : DISC_PARSE_ALL_TORRENTS_MAX,
           "... torrents at the answer cap");
    is_int(p->truncated, 5000 - p->ntorrents, "... every other item truncated");
    ok(s_result_ok(p), "... valid and regrouped");
    cm_buf_destroy(&b);
}

int main(void)
{
    cm_log_init("disc_parse_test");
    struct disc_parsed *p = disc_parsed_new();
    ok(p != NULL && p->nmovies == 0 && p->provider_count == -1, "a new result is empty");
    const char *dir = getenv("MARQUEE_FIXTURES");
    if (!dir || !dir[0])
        dir = FIXTURES_DEFAULT;
    s_walk(dir);
    if (nfx == 0) {
        ok(0, "the provider fixtures are in the repository (tests/fixtures/providers)");
    } else {
        test_all_fixtures(p);
        test_yts_counts(p);
        test_yts_fields(p);
        test_rarbg_fixtures(p);
    }
    /* The hostile cases log a warning per skipped item (a few per answer): keep them quiet. */
    cm_log_set_level(CM_LOG_ERROR);
    test_not_answers(p);
    test_yts_status(p);
    test_hashes(p);
    test_numbers(p);
    test_nesting_and_caps(p);
    test_text(p);
    test_meta(p);
    test_rarbg_detail_hostile(p);
    test_rarbg_posts_hostile(p);
    for (size_t i = 0; i < nfx; i++)
        cm_free(fx[i].body);
    disc_parsed_destroy(&p);
    ok(p == NULL, "destroy nulls the pointer");
    disc_parsed_destroy(&p);
    ok(true, "destroy twice is fine");
    return done_testing();
}
