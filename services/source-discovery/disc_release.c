/* SPDX-License-Identifier: MIT
 * disc_release: the release-name parser and the source score (the contract and the formula
 * are in disc_release.h). The parser works in three passes over a capped copy of the name:
 * tokens, then terms (each rule may join a few adjacent tokens and records matches without
 * deciding anything), then the decisions that need the whole picture: where the title ends,
 * which year, which weak terms count, which source wins, the group. Everything lives in one
 * stack context of fixed arrays: no allocation. */
#include "cm.h"
#include "disc_release.h"

#include <math.h>
#include <strings.h>

enum {
    TOK_MAX = DISC_RELEASE_NAME_MAX / 2, /* a 512-byte name holds at most 256 tokens */
    TOK_WORD_MAX = 15,                   /* longer tokens match no term */
    MATCH_MAX = 2 * TOK_MAX,             /* a token yields at most two matches */
    CHANNELS_MAX = 9,                    /* 7.2 is the most a name claims */
};

/* --- Tokens --- */

struct tok {
    uint16_t off;             /* first byte in the name */
    uint16_t len;             /* bytes */
    uint16_t gap;             /* bytes since the previous token's end (or the start) */
    char pre;                 /* the byte just before, '\0' at the start */
    char post;                /* the byte just after, '\0' at the end */
    bool digits;              /* only digits */
    bool skip;                /* inside the leading tag: never classified */
    bool used;                /* consumed by a term */
    char w[TOK_WORD_MAX + 1]; /* lower case; "" when longer than TOK_WORD_MAX */
};

enum mkind {
    M_QUALITY,  /* val: enum disc_quality, val2: rank (higher is more specific) */
    M_CODEC,    /* val: enum disc_codec */
    M_10BIT,    /* a 10-bit term */
    M_AUDIO,    /* val: DISC_AUDIO_* bit, val2: channels or 0 */
    M_CHANNELS, /* val: channels */
    M_SOURCE,   /* val: enum disc_source */
    M_HINT,     /* a streaming service's tag: WEB-DL if nothing else */
    M_HDR,      /* val: DISC_HDR_* bit */
    M_LANG,     /* val: enum disc_lang */
    M_FLAG,     /* val: DISC_REL_* bits */
    M_TV,       /* val: season (0 for an anime episode), val2: episode (0 for a pack) */
    M_NONE,     /* consumed, no meaning (8bit, DTS's "ES", a subtitle language) */
};

struct match {
    uint16_t idx; /* the term's first token */
    uint8_t kind; /* enum mkind */
    bool strong;  /* counts even before the title's end, and ends the title */
    int32_t val;  /* see enum mkind */
    int32_t val2; /* see enum mkind */
};

struct ctx {
    char s[DISC_RELEASE_NAME_MAX + 1]; /* the capped copy */
    size_t end;                        /* bytes looked at: extension and blanks dropped */
    struct tok t[TOK_MAX];
    size_t nt;
    struct match m[MATCH_MAX];
    size_t nm;
    bool subs;       /* the last terms were a subtitle marker and languages */
    size_t skip_end; /* a leading [tag] or "www.site.com - " ends here: the title starts */
    bool lead;       /* a leading [tag] was found */
    size_t lead_a;   /* its content: [lead_a, lead_b) */
    size_t lead_b;   /* the ']' */
    bool tail;       /* a trailing [tag] was found */
    size_t tail_a;   /* its '[' */
};

static bool s_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char s_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The end of the name without a known file extension and trailing blanks. */
static size_t s_strip_ext(const char *s, size_t n)
{
    static const char *const ext[] = {"mkv", "mp4", "avi",  "m4v", "wmv", "mov",     "webm",
                                      "iso", "mpg", "m2ts", "flv", "ogm", "torrent", "nfo",
                                      "txt", "jpg", "jpeg", "png", "srt"};
    for (size_t i = 0; i < CM_ARRAY_LEN(ext); i++) {
        size_t k = strlen(ext[i]);
        if (n > k + 1 && s[n - k - 1] == '.' && strncasecmp(s + n - k, ext[i], k) == 0) {
            n -= k + 1;
            break;
        }
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '.'))
        n--;
    return n;
}

/* A leading "[tag]" or "www.site.com - ", and a trailing "[tag]". */
static void s_brackets(struct ctx *c)
{
    size_t i = 0;
    while (i < c->end && c->s[i] == ' ')
        i++;
    if (i < c->end && c->s[i] == '[') {
        const char *close = memchr(c->s + i + 1, ']', c->end - i - 1);
        /* A name that is one bracket is a title, not a tag. */
        if (close && (size_t)(close - c->s) + 1 < c->end) {
            c->lead = true;
            c->lead_a = i + 1;
            c->lead_b = (size_t)(close - c->s);
            c->skip_end = c->lead_b + 1;
        }
    } else if (c->end - i > 4 && strncasecmp(c->s + i, "www.", 4) == 0) {
        /* A tracker's advertisement: "www.Torrenting.com - Movie.2019...". */
        const char *sep = memmem(c->s + i, c->end - i, " - ", 3);
        if (sep && sep - (c->s + i) <= 64)
            c->skip_end = (size_t)(sep - c->s) + 3;
    }
    if (c->end > 0 && c->s[c->end - 1] == ']') {
        size_t j = c->end - 1;
        while (j > 0 && c->s[j - 1] != '[' && c->s[j - 1] != ']')
            j--;
        bool before = false; /* a name that is one bracket has no trailing tag */
        for (size_t k = c->skip_end; j > 0 && k < j - 1 && !before; k++)
            before = s_alnum((unsigned char)c->s[k]);
        if (j > 0 && c->s[j - 1] == '[' && before) {
            c->tail = true;
            c->tail_a = j - 1;
        }
    }
}

static void s_tokenize(struct ctx *c)
{
    size_t prev_end = 0;
    for (size_t i = 0; i < c->end && c->nt < TOK_MAX;) {
        if (!s_alnum((unsigned char)c->s[i])) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < c->end && s_alnum((unsigned char)c->s[i]))
            i++;
        struct tok *t = &c->t[c->nt++];
        memset(t, 0, sizeof(*t));
        t->off = (uint16_t)a;
        t->len = (uint16_t)(i - a);
        t->gap = (uint16_t)(a - prev_end);
        t->pre = a > 0 ? c->s[a - 1] : '\0';
        t->post = i < c->end ? c->s[i] : '\0';
        t->digits = true;
        for (size_t k = a; k < i; k++)
            t->digits = t->digits && s_digit(c->s[k]);
        if (t->len <= TOK_WORD_MAX)
            for (size_t k = 0; k < t->len; k++)
                t->w[k] = s_lower(c->s[a + k]);
        t->skip = a < c->skip_end;
        prev_end = i;
    }
}

/* --- Term helpers --- */

static bool s_is(const struct tok *t, const char *w)
{
    return t->w[0] != '\0' && strcmp(t->w, w) == 0;
}

/* Token j continues the term before it: one joining byte (" .-_+") and not in the tag. */
static bool s_adj(const struct ctx *c, size_t j)
{
    if (j >= c->nt || c->t[j].skip || c->t[j].used || c->t[j].gap != 1 || c->t[j].pre == '\0')
        return false;
    return strchr(" .-_+", c->t[j].pre) != NULL;
}

static bool s_adj_is(const struct ctx *c, size_t j, const char *w)
{
    return s_adj(c, j) && s_is(&c->t[j], w);
}

/* The value of an all-digit token of at most 6 digits, else -1. */
static long s_num(const struct tok *t)
{
    if (!t->digits || t->len > 6 || t->w[0] == '\0')
        return -1;
    return strtol(t->w, NULL, 10);
}

/* The single digit of a one-digit token, else -1. */
static int s_digit1(const struct tok *t)
{
    return (t->digits && t->len == 1) ? t->w[0] - '0' : -1;
}

/* `prefix` then nothing (-1), or then 1..2 digits (their value); -2 when it does not match. */
static int s_suffix(const struct tok *t, const char *prefix)
{
    size_t k = strlen(prefix);
    if (t->w[0] == '\0' || strncmp(t->w, prefix, k) != 0)
        return -2;
    const char *r = t->w + k;
    if (*r == '\0')
        return -1;
    size_t n = strlen(r);
    if (n > 2 || !s_digit(r[0]) || (n == 2 && !s_digit(r[1])))
        return -2;
    return (int)strtol(r, NULL, 10);
}

/* Read "<digits><c><digits>" from the whole word: returns true with both numbers. */
static bool s_num_x_num(const char *w, char sep, size_t amin, size_t amax, size_t bmin, size_t bmax,
                        long *a, long *b)
{
    size_t i = 0;
    while (s_digit(w[i]))
        i++;
    if (i < amin || i > amax || w[i] != sep)
        return false;
    size_t j = i + 1, k = j;
    while (s_digit(w[k]))
        k++;
    if (k - j < bmin || k - j > bmax || w[k] != '\0')
        return false;
    *a = strtol(w, NULL, 10);
    *b = strtol(w + j, NULL, 10);
    return true;
}

static void s_add(struct ctx *c, size_t idx, enum mkind kind, bool strong, int32_t val,
                  int32_t val2)
{
    if (c->nm >= MATCH_MAX)
        return;
    c->m[c->nm++] = (struct match){(uint16_t)idx, (uint8_t)kind, strong, val, val2};
}

/* A channel layout "a.b" (5.1, 7.1, 2.0, 1.0, 6.1) at tokens j and j+1: 2 and the total
 * channels in *ch, else 0. */
static size_t s_layout(const struct ctx *c, size_t j, int *ch)
{
    if (j >= c->nt || !s_adj(c, j + 1) || (c->t[j + 1].pre != '.' && c->t[j + 1].pre != ' '))
        return 0;
    int a = s_digit1(&c->t[j]), b = s_digit1(&c->t[j + 1]);
    if ((a == 1 || a == 2 || a == 5 || a == 6 || a == 7) && (b == 0 || b == 1)) {
        *ch = a + b;
        return 2;
    }
    return 0;
}

/* The same layout joined to the term before it ("DTS-HD.MA.5.1"). */
static size_t s_chanpair(const struct ctx *c, size_t j, int *ch)
{
    return s_adj(c, j) ? s_layout(c, j, ch) : 0;
}

/* An audio term of k tokens from i, with `suffix` the digits glued to its last token
 * ("DDP5", "AAC2", "TrueHD7"; -1 none), and the channel layout that may follow. */
static size_t s_audio(struct ctx *c, size_t i, size_t k, uint32_t bit, int suffix, bool strong)
{
    int ch = 0;
    size_t used = k;
    if (suffix >= 10) { /* "DDP51" */
        int a = suffix / 10, b = suffix % 10;
        if ((a == 1 || a == 2 || a == 5 || a == 6 || a == 7) && b <= 1)
            ch = a + b;
    } else if (suffix >= 0) {
        int b = s_adj(c, i + k) ? s_digit1(&c->t[i + k]) : -1;
        bool ok = suffix == 1 || suffix == 2 || suffix == 5 || suffix == 6 || suffix == 7;
        /* "DDP5.1", or "DDP5 1" when the punctuation was lost on the way. */
        if (ok && (b == 0 || b == 1) && (c->t[i + k].pre == '.' || c->t[i + k].pre == ' ')) {
            ch = suffix + b;
            used++;
        } else if (suffix == 1 || suffix == 2) {
            ch = suffix;
        } else if (suffix == 5 || suffix == 6 || suffix == 7) {
            ch = suffix + 1;
        }
    } else {
        used += s_chanpair(c, i + k, &ch);
    }
    s_add(c, i, M_AUDIO, strong || ch > 0, (int32_t)bit, ch);
    return used;
}

/* --- Term tables --- */

struct word {
    const char *w;
    uint8_t kind; /* enum mkind */
    bool strong;  /* see struct match */
    int32_t val;  /* see enum mkind */
};

/* One-token terms without lookahead. */
static const struct word s_words[] = {
    /* quality */
    {"4k", M_QUALITY, true, DISC_Q_4K},
    {"8k", M_QUALITY, true, DISC_Q_8K},
    {"uhd", M_QUALITY, true, DISC_Q_4K},
    {"2k", M_QUALITY, false, DISC_Q_2K},
    {"fhd", M_QUALITY, false, DISC_Q_FHD},
    {"hd", M_QUALITY, false, DISC_Q_HD},
    {"sd", M_QUALITY, false, DISC_Q_SD},
    /* video codec */
    {"x264", M_CODEC, true, DISC_CODEC_X264},
    {"h264", M_CODEC, true, DISC_CODEC_X264},
    {"avc", M_CODEC, true, DISC_CODEC_X264},
    {"x265", M_CODEC, true, DISC_CODEC_X265},
    {"h265", M_CODEC, true, DISC_CODEC_X265},
    {"hevc", M_CODEC, true, DISC_CODEC_X265},
    {"av1", M_CODEC, true, DISC_CODEC_AV1},
    {"vp9", M_CODEC, true, DISC_CODEC_VP9},
    {"vp8", M_CODEC, true, DISC_CODEC_VP8},
    {"xvid", M_CODEC, true, DISC_CODEC_XVID},
    {"divx", M_CODEC, true, DISC_CODEC_MPEG4},
    {"mpeg4", M_CODEC, true, DISC_CODEC_MPEG4},
    {"mpeg2", M_CODEC, true, DISC_CODEC_MPEG2},
    {"vc1", M_CODEC, true, DISC_CODEC_VC1},
    {"10bit", M_10BIT, true, 0},
    {"10bits", M_10BIT, true, 0},
    {"8bit", M_NONE, false, 0},
    /* source */
    {"camrip", M_SOURCE, true, DISC_SRC_CAM},
    {"hdcam", M_SOURCE, true, DISC_SRC_CAM},
    {"hqcam", M_SOURCE, true, DISC_SRC_CAM},
    {"cam", M_SOURCE, false, DISC_SRC_CAM},
    {"hdts", M_SOURCE, true, DISC_SRC_TS},
    {"telesync", M_SOURCE, true, DISC_SRC_TS},
    {"tsrip", M_SOURCE, true, DISC_SRC_TS},
    {"pdvd", M_SOURCE, true, DISC_SRC_TS},
    {"predvd", M_SOURCE, true, DISC_SRC_TS},
    {"hdtc", M_SOURCE, true, DISC_SRC_TS},
    {"telecine", M_SOURCE, true, DISC_SRC_TS},
    {"ts", M_SOURCE, false, DISC_SRC_TS},
    {"tc", M_SOURCE, false, DISC_SRC_TS},
    {"screener", M_SOURCE, true, DISC_SRC_SCR},
    {"dvdscr", M_SOURCE, true, DISC_SRC_SCR},
    {"dvdscreener", M_SOURCE, true, DISC_SRC_SCR},
    {"bdscr", M_SOURCE, true, DISC_SRC_SCR},
    {"webscr", M_SOURCE, true, DISC_SRC_SCR},
    {"scr", M_SOURCE, false, DISC_SRC_SCR},
    {"dvdrip", M_SOURCE, true, DISC_SRC_DVD},
    {"dvdr", M_SOURCE, true, DISC_SRC_DVD},
    {"dvd5", M_SOURCE, true, DISC_SRC_DVD},
    {"dvd9", M_SOURCE, true, DISC_SRC_DVD},
    {"dvd", M_SOURCE, false, DISC_SRC_DVD},
    {"hdtv", M_SOURCE, true, DISC_SRC_HDTV},
    {"pdtv", M_SOURCE, true, DISC_SRC_HDTV},
    {"sdtv", M_SOURCE, true, DISC_SRC_HDTV},
    {"hdtvrip", M_SOURCE, true, DISC_SRC_HDTV},
    {"tvrip", M_SOURCE, true, DISC_SRC_HDTV},
    {"satrip", M_SOURCE, true, DISC_SRC_HDTV},
    {"dsr", M_SOURCE, true, DISC_SRC_HDTV},
    {"dsrip", M_SOURCE, true, DISC_SRC_HDTV},
    {"hdrip", M_SOURCE, true, DISC_SRC_HDTV},
    {"webrip", M_SOURCE, true, DISC_SRC_WEBRIP},
    {"webdlrip", M_SOURCE, true, DISC_SRC_WEBRIP},
    {"webdl", M_SOURCE, true, DISC_SRC_WEBDL},
    {"webhd", M_SOURCE, true, DISC_SRC_WEBDL},
    {"web", M_SOURCE, false, DISC_SRC_WEBDL},
    {"bluray", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bdrip", M_SOURCE, true, DISC_SRC_BLURAY},
    {"brrip", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bd25", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bd50", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bd66", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bd100", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bdmv", M_SOURCE, true, DISC_SRC_BLURAY},
    {"bd", M_SOURCE, false, DISC_SRC_BLURAY},
    {"remux", M_SOURCE, true, DISC_SRC_REMUX},
    {"bdremux", M_SOURCE, true, DISC_SRC_REMUX},
    {"amzn", M_HINT, false, 0},
    {"nf", M_HINT, false, 0},
    {"dsnp", M_HINT, false, 0},
    {"dsny", M_HINT, false, 0},
    {"atvp", M_HINT, false, 0},
    {"hmax", M_HINT, false, 0},
    {"hulu", M_HINT, false, 0},
    {"pcok", M_HINT, false, 0},
    {"pmtp", M_HINT, false, 0},
    {"itunes", M_HINT, false, 0},
    {"crav", M_HINT, false, 0},
    /* HDR */
    {"hdr10plus", M_HDR, true, DISC_HDR_HDR10P},
    {"dovi", M_HDR, true, DISC_HDR_DV},
    {"dv", M_HDR, false, DISC_HDR_DV},
    {"hlg", M_HDR, true, DISC_HDR_HLG},
    {"sdr", M_HDR, true, DISC_HDR_SDR},
    /* flags */
    {"rerip", M_FLAG, true, DISC_REL_REPACK},
    {"proper", M_FLAG, true, DISC_REL_PROPER},
    {"extended", M_FLAG, false, DISC_REL_EXTENDED},
    {"remastered", M_FLAG, false, DISC_REL_REMASTERED},
    {"remaster", M_FLAG, false, DISC_REL_REMASTERED},
    {"imax", M_FLAG, false, DISC_REL_IMAX},
    {"3d", M_FLAG, false, DISC_REL_3D},
    {"hsbs", M_FLAG, true, DISC_REL_3D},
    {"halfsbs", M_FLAG, true, DISC_REL_3D},
    {"sbs", M_FLAG, true, DISC_REL_3D},
    {"hou", M_FLAG, true, DISC_REL_3D},
    {"halfou", M_FLAG, true, DISC_REL_3D},
    {"htab", M_FLAG, true, DISC_REL_3D},
    {"multilang", M_FLAG, true, DISC_REL_MULTI},
    {"multilanguage", M_FLAG, true, DISC_REL_MULTI},
    {"multilingual", M_FLAG, true, DISC_REL_MULTI},
    {"multidub", M_FLAG, true, DISC_REL_MULTI},
    {"multiaudio", M_FLAG, true, DISC_REL_MULTI},
    {"dual", M_FLAG, false, DISC_REL_DUAL},
    {"dualaudio", M_FLAG, true, DISC_REL_DUAL},
};

/* Audio languages (M_LANG). */
static const struct word s_langs[] = {
    {"eng", M_LANG, false, DISC_LANG_EN},        {"english", M_LANG, false, DISC_LANG_EN},
    {"en", M_LANG, false, DISC_LANG_EN},         {"fre", M_LANG, false, DISC_LANG_FR},
    {"fra", M_LANG, false, DISC_LANG_FR},        {"french", M_LANG, false, DISC_LANG_FR},
    {"fr", M_LANG, false, DISC_LANG_FR},         {"vf", M_LANG, false, DISC_LANG_FR},
    {"vff", M_LANG, true, DISC_LANG_FR},         {"vfq", M_LANG, true, DISC_LANG_FR},
    {"vfi", M_LANG, true, DISC_LANG_FR},         {"vf2", M_LANG, true, DISC_LANG_FR},
    {"truefrench", M_LANG, true, DISC_LANG_FR},  {"spa", M_LANG, false, DISC_LANG_ES},
    {"esp", M_LANG, false, DISC_LANG_ES},        {"spanish", M_LANG, false, DISC_LANG_ES},
    {"es", M_LANG, false, DISC_LANG_ES},         {"castellano", M_LANG, true, DISC_LANG_ES},
    {"castilian", M_LANG, false, DISC_LANG_ES},  {"latino", M_LANG, true, DISC_LANG_ES},
    {"ger", M_LANG, false, DISC_LANG_DE},        {"deu", M_LANG, false, DISC_LANG_DE},
    {"german", M_LANG, false, DISC_LANG_DE},     {"deutsch", M_LANG, false, DISC_LANG_DE},
    {"de", M_LANG, false, DISC_LANG_DE},         {"ita", M_LANG, false, DISC_LANG_IT},
    {"italian", M_LANG, false, DISC_LANG_IT},    {"por", M_LANG, false, DISC_LANG_PT},
    {"portuguese", M_LANG, false, DISC_LANG_PT}, {"pt", M_LANG, false, DISC_LANG_PT},
    {"ptbr", M_LANG, false, DISC_LANG_PT},       {"brazilian", M_LANG, false, DISC_LANG_PT},
    {"dublado", M_LANG, true, DISC_LANG_PT},     {"nld", M_LANG, false, DISC_LANG_NL},
    {"dut", M_LANG, false, DISC_LANG_NL},        {"dutch", M_LANG, false, DISC_LANG_NL},
    {"flemish", M_LANG, false, DISC_LANG_NL},    {"nl", M_LANG, false, DISC_LANG_NL},
    {"swe", M_LANG, false, DISC_LANG_SV},        {"swedish", M_LANG, false, DISC_LANG_SV},
    {"cze", M_LANG, false, DISC_LANG_CS},        {"ces", M_LANG, false, DISC_LANG_CS},
    {"czech", M_LANG, false, DISC_LANG_CS},      {"cz", M_LANG, false, DISC_LANG_CS},
    {"slo", M_LANG, false, DISC_LANG_SK},        {"slk", M_LANG, false, DISC_LANG_SK},
    {"slovak", M_LANG, false, DISC_LANG_SK},     {"chi", M_LANG, false, DISC_LANG_ZH},
    {"zho", M_LANG, false, DISC_LANG_ZH},        {"chinese", M_LANG, false, DISC_LANG_ZH},
    {"mandarin", M_LANG, false, DISC_LANG_ZH},   {"cantonese", M_LANG, false, DISC_LANG_ZH},
    {"chs", M_LANG, false, DISC_LANG_ZH},        {"cht", M_LANG, false, DISC_LANG_ZH},
    {"jpn", M_LANG, false, DISC_LANG_JA},        {"jap", M_LANG, false, DISC_LANG_JA},
    {"japanese", M_LANG, false, DISC_LANG_JA},   {"kor", M_LANG, false, DISC_LANG_KO},
    {"korean", M_LANG, false, DISC_LANG_KO},     {"rus", M_LANG, false, DISC_LANG_RU},
    {"russian", M_LANG, false, DISC_LANG_RU},    {"ru", M_LANG, false, DISC_LANG_RU},
    {"hin", M_LANG, false, DISC_LANG_HI},        {"hindi", M_LANG, false, DISC_LANG_HI},
    {"pol", M_LANG, false, DISC_LANG_PL},        {"polish", M_LANG, false, DISC_LANG_PL},
    {"pl", M_LANG, false, DISC_LANG_PL},         {"lektor", M_LANG, false, DISC_LANG_PL},
    {"tur", M_LANG, false, DISC_LANG_TR},        {"turkish", M_LANG, false, DISC_LANG_TR},
    {"ara", M_LANG, false, DISC_LANG_AR},        {"arabic", M_LANG, false, DISC_LANG_AR},
    {"dan", M_LANG, false, DISC_LANG_DA},        {"danish", M_LANG, false, DISC_LANG_DA},
    {"nor", M_LANG, false, DISC_LANG_NO},        {"norwegian", M_LANG, false, DISC_LANG_NO},
    {"fin", M_LANG, false, DISC_LANG_FI},        {"finnish", M_LANG, false, DISC_LANG_FI},
    {"hun", M_LANG, false, DISC_LANG_HU},        {"hungarian", M_LANG, false, DISC_LANG_HU},
    {"gre", M_LANG, false, DISC_LANG_EL},        {"ell", M_LANG, false, DISC_LANG_EL},
    {"greek", M_LANG, false, DISC_LANG_EL},      {"heb", M_LANG, false, DISC_LANG_HE},
    {"hebrew", M_LANG, false, DISC_LANG_HE},     {"ukr", M_LANG, false, DISC_LANG_UK},
    {"ukrainian", M_LANG, false, DISC_LANG_UK},  {"rum", M_LANG, false, DISC_LANG_RO},
    {"ron", M_LANG, false, DISC_LANG_RO},        {"romanian", M_LANG, false, DISC_LANG_RO},
    {"tha", M_LANG, false, DISC_LANG_TH},        {"thai", M_LANG, false, DISC_LANG_TH},
    {"vie", M_LANG, false, DISC_LANG_VI},        {"vietnamese", M_LANG, false, DISC_LANG_VI},
    {"tam", M_LANG, false, DISC_LANG_TA},        {"tamil", M_LANG, false, DISC_LANG_TA},
    {"tel", M_LANG, false, DISC_LANG_TE},        {"telugu", M_LANG, false, DISC_LANG_TE},
};

/* Markers after which language words name subtitles, not audio. */
static const char *const s_sub_markers[] = {
    "sub",      "subs", "subbed", "subtitle",  "subtitles", "softsub", "softsubs", "hardsub",
    "hardsubs", "vost", "vostfr", "subfrench", "msub",      "msubs",   "esub",     "esubs",
};

static const struct word *s_find(const struct word *tab, size_t n, const struct tok *t)
{
    if (t->w[0] == '\0')
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].w, t->w) == 0)
            return &tab[i];
    return NULL;
}

/* --- Terms: each returns the tokens it consumed from i, 0 when it does not apply --- */

static size_t s_term_tv(struct ctx *c, size_t i)
{
    const struct tok *t = &c->t[i];
    const char *w = t->w;
    long a, b;
    if (w[0] == 's' && s_digit(w[1])) { /* S01E02, S01E02E03, S01 */
        size_t k = 1;
        while (s_digit(w[k]) && k < 4)
            k++;
        if (k > 3)
            return 0;
        a = strtol(w + 1, NULL, 10);
        if (w[k] == '\0') {
            if (a < 1 || a > DISC_RELEASE_SEASON_MAX)
                return 0;
            if (s_adj(c, i + 1) && c->t[i + 1].w[0] == 'e') { /* S01.E02 */
                const char *e = c->t[i + 1].w + 1;
                size_t n = strspn(e, "0123456789");
                if (n >= 1 && n <= 4 && e[n] == '\0') {
                    b = strtol(e, NULL, 10);
                    s_add(c, i, M_TV, true, (int32_t)a, (int32_t)b);
                    return 2;
                }
            }
            s_add(c, i, M_TV, true, (int32_t)a, 0);
            return 1;
        }
        if (w[k] != 'e' || !s_digit(w[k + 1]))
            return 0;
        const char *e = w + k + 1;
        size_t n = strspn(e, "0123456789");
        if (n > 4)
            return 0;
        /* Further "eNN" parts of a multi-episode term are allowed and ignored. */
        for (const char *p = e + n; *p; p++)
            if (*p != 'e' && !s_digit(*p))
                return 0;
        b = strtol(e, NULL, 10);
        if (a < 1 || a > DISC_RELEASE_SEASON_MAX)
            return 0;
        s_add(c, i, M_TV, true, (int32_t)a, (int32_t)b);
        return 1;
    }
    if (s_num_x_num(w, 'x', 1, 2, 2, 3, &a, &b) && a >= 1) { /* 1x02 */
        s_add(c, i, M_TV, true, (int32_t)a, (int32_t)b);
        return 1;
    }
    if (s_is(t, "season") && s_adj(c, i + 1) && c->t[i + 1].digits && c->t[i + 1].len <= 2) {
        a = s_num(&c->t[i + 1]);
        if (a >= 1) {
            s_add(c, i, M_TV, true, (int32_t)a, 0);
            return 2;
        }
    }
    if (strncmp(w, "season", 6) == 0 && s_digit(w[6]) && strlen(w) <= 8 &&
        strspn(w + 6, "0123456789") == strlen(w + 6)) {
        a = strtol(w + 6, NULL, 10);
        if (a >= 1) {
            s_add(c, i, M_TV, true, (int32_t)a, 0);
            return 1;
        }
    }
    /* Anime: "[Group] Show - 01 (1080p)" or "- 01v2". */
    if (c->lead && t->off >= 3 && memcmp(c->s + t->off - 3, " - ", 3) == 0 && t->len <= 6) {
        size_t n = strspn(w, "0123456789");
        bool ver = w[n] == 'v' && s_digit(w[n + 1]) && w[n + 2] == '\0';
        if (n >= 1 && n <= 4 && (w[n] == '\0' || ver) &&
            (t->post == '\0' || t->post == ' ' || t->post == '(' || t->post == '[')) {
            a = strtol(w, NULL, 10);
            if (a >= 1) {
                s_add(c, i, M_TV, true, 0, (int32_t)a);
                return 1;
            }
        }
    }
    return 0;
}

static enum disc_quality s_lines_quality(long width, long height)
{
    if (width >= 7000 || height >= 4000)
        return DISC_Q_8K;
    if (width >= 3400 || height >= 2000)
        return DISC_Q_4K;
    if (width >= 2400 || height >= 1400)
        return DISC_Q_2K;
    if (width >= 1800 || height >= 1000)
        return DISC_Q_FHD;
    if (width >= 1200 || height >= 700)
        return DISC_Q_HD;
    return DISC_Q_SD;
}

static size_t s_term_quality(struct ctx *c, size_t i)
{
    const struct tok *t = &c->t[i];
    const char *w = t->w;
    size_t n = strspn(w, "0123456789");
    long a, b;
    /* Ranks: 4 "1080p" and "1920x1080", 3 "4K"/"UHD", 2 "2K"/"FHD", 1 a bare number,
     * 0 "HD"/"SD". */
    if (n >= 3 && n <= 4 && (w[n] == 'p' || w[n] == 'i') && w[n + 1] == '\0') {
        a = strtol(w, NULL, 10);
        if (a >= 200) {
            s_add(c, i, M_QUALITY, true, s_lines_quality(0, a), 4);
            return 1;
        }
        return 0;
    }
    if (s_num_x_num(w, 'x', 3, 4, 3, 4, &a, &b) && a >= 320 && b >= 200) {
        s_add(c, i, M_QUALITY, true, s_lines_quality(a, b), 4);
        return 1;
    }
    if (t->digits) {
        static const long bare[] = {4320, 2160, 1440, 1080, 720, 576, 480};
        a = s_num(t);
        for (size_t k = 0; k < CM_ARRAY_LEN(bare); k++)
            if (a == bare[k]) {
                s_add(c, i, M_QUALITY, false, s_lines_quality(0, a), 1);
                return 1;
            }
        return 0;
    }
    if ((s_is(t, "ultra") || s_is(t, "full")) && s_adj_is(c, i + 1, "hd")) {
        bool ultra = s_is(t, "ultra");
        s_add(c, i, M_QUALITY, ultra, ultra ? DISC_Q_4K : DISC_Q_FHD, ultra ? 3 : 2);
        return 2;
    }
    /* "HD-TS", "HD CAM", "HD.TV", "HD-Rip" are sources. */
    if (s_is(t, "hd") && (s_adj_is(c, i + 1, "ts") || s_adj_is(c, i + 1, "cam") ||
                          s_adj_is(c, i + 1, "tv") || s_adj_is(c, i + 1, "rip")))
        return 0;
    const struct word *k = s_find(s_words, CM_ARRAY_LEN(s_words), t);
    if (k && k->kind == M_QUALITY) {
        int rank = k->strong ? 3 : (k->val == DISC_Q_HD || k->val == DISC_Q_SD) ? 0 : 2;
        s_add(c, i, M_QUALITY, k->strong, k->val, rank);
        return 1;
    }
    return 0;
}

static size_t s_term_codec(struct ctx *c, size_t i)
{
    const struct tok *t = &c->t[i];
    if ((s_is(t, "x") || s_is(t, "h")) && s_adj(c, i + 1)) { /* H.264, x 265 */
        if (s_is(&c->t[i + 1], "264")) {
            s_add(c, i, M_CODEC, true, DISC_CODEC_X264, 0);
            return 2;
        }
        if (s_is(&c->t[i + 1], "265")) {
            s_add(c, i, M_CODEC, true, DISC_CODEC_X265, 0);
            return 2;
        }
    }
    if (s_is(t, "mpeg") && s_adj(c, i + 1)) {
        if (s_is(&c->t[i + 1], "4")) {
            s_add(c, i, M_CODEC, true, DISC_CODEC_MPEG4, 0);
            return 2;
        }
        if (s_is(&c->t[i + 1], "2")) {
            s_add(c, i, M_CODEC, true, DISC_CODEC_MPEG2, 0);
            return 2;
        }
    }
    if (s_is(t, "vc") && s_adj_is(c, i + 1, "1")) {
        s_add(c, i, M_CODEC, true, DISC_CODEC_VC1, 0);
        return 2;
    }
    if (s_is(t, "hi10p") || s_is(t, "hi10")) { /* H.264 High 10 */
        s_add(c, i, M_CODEC, true, DISC_CODEC_X264, 0);
        s_add(c, i, M_10BIT, true, 0, 0);
        return 1;
    }
    if ((s_is(t, "10") || s_is(t, "8")) &&
        (s_adj_is(c, i + 1, "bit") || s_adj_is(c, i + 1, "bits"))) {
        s_add(c, i, s_is(t, "10") ? M_10BIT : M_NONE, true, 0, 0);
        return 2;
    }
    return 0;
}

static size_t s_term_audio(struct ctx *c, size_t i)
{
    const struct tok *t = &c->t[i];
    int sfx;
    if (s_is(t, "dts")) {
        if (s_adj_is(c, i + 1, "hd")) {
            if (s_adj_is(c, i + 2, "ma"))
                return s_audio(c, i, 3, DISC_AUDIO_DTS_HDMA, -1, true);
            return s_audio(c, i, 2, DISC_AUDIO_DTS_HD, -1, true);
        }
        if (s_adj_is(c, i + 1, "hdma") || s_adj_is(c, i + 1, "ma"))
            return s_audio(c, i, 2, DISC_AUDIO_DTS_HDMA, -1, true);
        /* "DTS:X" joins with a colon. */
        if (i + 1 < c->nt && c->t[i + 1].gap == 1 && s_is(&c->t[i + 1], "x") && !c->t[i + 1].used)
            return s_audio(c, i, 2, DISC_AUDIO_DTS_X, -1, true);
        if (s_adj_is(c, i + 1, "es")) /* DTS-ES, not Spanish */
            return s_audio(c, i, 2, DISC_AUDIO_DTS, -1, true);
        return s_audio(c, i, 1, DISC_AUDIO_DTS, -1, true);
    }
    if (s_is(t, "dtshd"))
        return s_audio(c, i, s_adj_is(c, i + 1, "ma") ? 2 : 1,
                       s_adj_is(c, i + 1, "ma") ? DISC_AUDIO_DTS_HDMA : DISC_AUDIO_DTS_HD, -1,
                       true);
    if (s_is(t, "dtshdma") || s_is(t, "dtsma"))
        return s_audio(c, i, 1, DISC_AUDIO_DTS_HDMA, -1, true);
    if (s_is(t, "dtsx"))
        return s_audio(c, i, 1, DISC_AUDIO_DTS_X, -1, true);
    if ((sfx = s_suffix(t, "dts")) >= 0)
        return s_audio(c, i, 1, DISC_AUDIO_DTS, sfx, true);
    if (s_is(t, "true") && s_adj_is(c, i + 1, "hd"))
        return s_audio(c, i, 2, DISC_AUDIO_TRUEHD, -1, true);
    if ((sfx = s_suffix(t, "truehd")) != -2)
        return s_audio(c, i, 1, DISC_AUDIO_TRUEHD, sfx, true);
    if (s_is(t, "atmos"))
        return s_audio(c, i, 1, DISC_AUDIO_ATMOS, -1, true);
    if ((sfx = s_suffix(t, "ddpa")) != -2) { /* DD+ with Atmos */
        s_add(c, i, M_AUDIO, true, DISC_AUDIO_ATMOS, 0);
        return s_audio(c, i, 1, DISC_AUDIO_EAC3, sfx, true);
    }
    if ((sfx = s_suffix(t, "ddp")) != -2)
        return s_audio(c, i, 1, DISC_AUDIO_EAC3, sfx, true);
    if ((sfx = s_suffix(t, "dd")) != -2) {
        if (t->post == '+') /* DD+ */
            return s_audio(c, i, 1, DISC_AUDIO_EAC3, sfx, true);
        /* A bare "DD" is weak unless digits or a layout make it audio. */
        return s_audio(c, i, 1, DISC_AUDIO_AC3, sfx, sfx >= 0);
    }
    if (s_is(t, "eac3") || s_is(t, "ec3"))
        return s_audio(c, i, 1, DISC_AUDIO_EAC3, -1, true);
    if (s_is(t, "e") && s_adj_is(c, i + 1, "ac3"))
        return s_audio(c, i, 2, DISC_AUDIO_EAC3, -1, true);
    if (s_is(t, "ac3"))
        return s_audio(c, i, 1, DISC_AUDIO_AC3, -1, true);
    if (s_is(t, "dolby") && s_adj_is(c, i + 1, "digital")) {
        if (s_adj_is(c, i + 2, "plus"))
            return s_audio(c, i, 3, DISC_AUDIO_EAC3, -1, true);
        return s_audio(c, i, 2, DISC_AUDIO_AC3, -1, true);
    }
    if (s_is(t, "dolby") && s_adj_is(c, i + 1, "atmos"))
        return s_audio(c, i, 2, DISC_AUDIO_ATMOS, -1, true);
    if ((sfx = s_suffix(t, "aac")) != -2) {
        size_t k = s_audio(c, i, 1, DISC_AUDIO_AAC, sfx, true);
        if (s_adj_is(c, i + k, "lc")) { /* AAC-LC: the profile */
            c->t[i + k].used = true;
            k++;
        }
        return k;
    }
    if ((sfx = s_suffix(t, "flac")) != -2)
        return s_audio(c, i, 1, DISC_AUDIO_FLAC, sfx, true);
    if (s_is(t, "mp3"))
        return s_audio(c, i, 1, DISC_AUDIO_MP3, -1, true);
    if ((sfx = s_suffix(t, "opus")) != -2)
        return s_audio(c, i, 1, DISC_AUDIO_OPUS, sfx, false);
    if ((sfx = s_suffix(t, "lpcm")) != -2 || (sfx = s_suffix(t, "pcm")) != -2)
        return s_audio(c, i, 1, DISC_AUDIO_PCM, sfx, true);
    {
        size_t n = strspn(t->w, "0123456789");
        if (n == 1 && strcmp(t->w + 1, "ch") == 0) { /* 6CH */
            int ch = t->w[0] - '0';
            if (ch >= 1 && ch <= 8) {
                s_add(c, i, M_CHANNELS, true, ch, 0);
                return 1;
            }
        }
    }
    /* A layout on its own: "[5.1]" ("AAC 2 0" was taken above). Weak: "Movie 2 1" is a title. */
    int ch = 0;
    if (s_layout(c, i, &ch)) {
        s_add(c, i, M_CHANNELS, false, ch, 0);
        return 2;
    }
    return 0;
}

/* Sources, HDR, flags, and the one-token codec/10-bit/hint words of s_words[]. */
static size_t s_term_source(struct ctx *c, size_t i)
{
    const struct tok *t = &c->t[i];
    static const struct {
        const char *a, *b;
        enum disc_source src;
    } pairs[] = {
        {"web", "dl", DISC_SRC_WEBDL},     {"web", "rip", DISC_SRC_WEBRIP},
        {"web", "dlrip", DISC_SRC_WEBRIP}, {"blu", "ray", DISC_SRC_BLURAY},
        {"bd", "rip", DISC_SRC_BLURAY},    {"br", "rip", DISC_SRC_BLURAY},
        {"bd", "remux", DISC_SRC_REMUX},   {"dvd", "rip", DISC_SRC_DVD},
        {"dvd", "r", DISC_SRC_DVD},        {"dvd", "scr", DISC_SRC_SCR},
        {"cam", "rip", DISC_SRC_CAM},      {"ts", "rip", DISC_SRC_TS},
        {"hd", "ts", DISC_SRC_TS},         {"hd", "cam", DISC_SRC_CAM},
        {"hd", "tv", DISC_SRC_HDTV},       {"hd", "rip", DISC_SRC_HDTV},
        {"tv", "rip", DISC_SRC_HDTV},      {"web", "hd", DISC_SRC_WEBDL},
    };
    for (size_t k = 0; k < CM_ARRAY_LEN(pairs); k++)
        if (s_is(t, pairs[k].a) && s_adj_is(c, i + 1, pairs[k].b)) {
            s_add(c, i, M_SOURCE, true, pairs[k].src, 0);
            if (pairs[k].src == DISC_SRC_REMUX)
                s_add(c, i, M_FLAG, true, DISC_REL_REMUX, 0);
            return 2;
        }
    if (s_is(t, "bluray3d") || s_is(t, "bd3d")) {
        s_add(c, i, M_SOURCE, true, DISC_SRC_BLURAY, 0);
        s_add(c, i, M_FLAG, true, DISC_REL_3D, 0);
        return 1;
    }
    if (s_is(t, "half") && (s_adj_is(c, i + 1, "sbs") || s_adj_is(c, i + 1, "ou"))) {
        s_add(c, i, M_FLAG, true, DISC_REL_3D, 0);
        return 2;
    }
    if (s_is(t, "dual") && s_adj_is(c, i + 1, "audio")) {
        s_add(c, i, M_FLAG, true, DISC_REL_DUAL, 0);
        return 2;
    }
    if (s_is(t, "dolby") && s_adj_is(c, i + 1, "vision")) {
        s_add(c, i, M_HDR, true, DISC_HDR_DV, 0);
        return 2;
    }
    {
        int r = s_suffix(t, "repack");
        if (r != -2 && r <= 9) {
            s_add(c, i, M_FLAG, true, DISC_REL_REPACK, 0);
            return 1;
        }
        r = s_suffix(t, "multi");
        if (r != -2 && r <= 99) { /* MULTi, Multi4 */
            s_add(c, i, M_FLAG, true, DISC_REL_MULTI, 0);
            return 1;
        }
    }
    /* HDR: "HDR10+" and "HDR+" carry the plus after the token. */
    if (s_is(t, "hdr10") || s_is(t, "hdr")) {
        bool ten = s_is(t, "hdr10");
        size_t k = 1;
        if (!ten && s_adj_is(c, i + 1, "10")) {
            ten = true;
            k = 2;
        }
        char post = c->t[i + k - 1].post;
        uint32_t bit = post == '+' ? DISC_HDR_HDR10P : ten ? DISC_HDR_HDR10 : DISC_HDR_HDR;
        if (s_adj_is(c, i + k, "plus")) {
            bit = DISC_HDR_HDR10P;
            k++;
        }
        s_add(c, i, M_HDR, true, (int32_t)bit, 0);
        return k;
    }
    const struct word *w = s_find(s_words, CM_ARRAY_LEN(s_words), t);
    if (w && w->kind != M_QUALITY) {
        s_add(c, i, (enum mkind)w->kind, w->strong, w->val, 0);
        if (w->kind == M_SOURCE && w->val == DISC_SRC_REMUX)
            s_add(c, i, M_FLAG, true, DISC_REL_REMUX, 0);
        return 1;
    }
    return 0;
}

static size_t s_term_lang(struct ctx *c, size_t i)
{
    const struct tok *t = &c->t[i];
    for (size_t k = 0; k < CM_ARRAY_LEN(s_sub_markers); k++)
        if (s_is(t, s_sub_markers[k])) {
            s_add(c, i, M_NONE, false, 0, 0);
            c->subs = true;
            return 1;
        }
    const struct word *w = s_find(s_langs, CM_ARRAY_LEN(s_langs), t);
    if (!w)
        return 0;
    if (c->subs) {
        s_add(c, i, M_NONE, false, 0, 0);
        return 1;
    }
    for (size_t k = 0; k < CM_ARRAY_LEN(s_sub_markers); k++)
        if (s_adj_is(c, i + 1, s_sub_markers[k])) { /* "Eng-Subs" */
            s_add(c, i, M_NONE, false, 0, 0);
            c->subs = true;
            return 2;
        }
    size_t n = 1;
    if (w->val == DISC_LANG_PT && s_is(t, "pt") && s_adj_is(c, i + 1, "br")) /* PT-BR */
        n = 2;
    s_add(c, i, M_LANG, w->strong, w->val, 0);
    return n;
}

static void s_classify(struct ctx *c)
{
    size_t (*const rules[])(struct ctx *, size_t) = {
        s_term_tv, s_term_quality, s_term_codec, s_term_audio, s_term_source, s_term_lang,
    };
    for (size_t i = 0; i < c->nt;) {
        if (c->t[i].skip || c->t[i].w[0] == '\0') {
            c->subs = false;
            i++;
            continue;
        }
        size_t used = 0;
        bool subs_before = c->subs;
        size_t nm_before = c->nm;
        for (size_t r = 0; r < CM_ARRAY_LEN(rules) && used == 0; r++)
            used = rules[r](c, i);
        if (used == 0) {
            c->subs = false;
            i++;
            continue;
        }
        /* Only a run of languages keeps a subtitle marker alive. */
        bool lang_or_marker =
            c->nm > nm_before && (c->m[c->nm - 1].kind == M_LANG ||
                                  (c->m[c->nm - 1].kind == M_NONE && (c->subs || subs_before)));
        if (!lang_or_marker)
            c->subs = false;
        for (size_t k = i; k < i + used && k < c->nt; k++)
            c->t[k].used = true;
        i += used;
    }
}

/* --- Decisions --- */

/* Copy bytes [a, b) of the name as a title: '.', '_', blanks and control bytes become one
 * space, invalid UTF-8 is dropped, the cut at `cap` falls between characters, and framing
 * punctuation left at either end ("Movie (" of "Movie (2019)") is trimmed. */
static void s_title(char *dst, size_t cap, const char *s, size_t a, size_t b)
{
    size_t o = 0;
    bool space = false;
    for (size_t i = a; i < b;) {
        unsigned char ch = (unsigned char)s[i];
        size_t k = 1;
        if (ch >= 0x80) {
            k = cm_utf8_seq((const unsigned char *)s + i, b - i);
            if (k == 0) {
                i++;
                continue;
            }
        } else if (ch == '.' || ch == '_' || ch <= 0x20 || ch == 0x7f) {
            space = o > 0;
            i++;
            continue;
        }
        if (o + (space ? 1 : 0) + k > cap)
            break;
        if (space)
            dst[o++] = ' ';
        space = false;
        memcpy(dst + o, s + i, k);
        o += k;
        i += k;
    }
    dst[o] = '\0';
    while (o > 0 && strchr(" -([{:,;/|+~", dst[o - 1]))
        dst[--o] = '\0';
    size_t lead = 0;
    while (lead < o && strchr(" -)]}:,;/|+~", dst[lead]))
        lead++;
    if (lead > 0)
        memmove(dst, dst + lead, o - lead + 1);
}

static bool s_group_char(char ch)
{
    return s_alnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-' || ch == ' ' ||
           ch == '&' || ch == '@';
}

/* Copy [a, b) as a group when it is 1..DISC_RELEASE_GROUP_MAX printable characters with a
 * letter; blanks at either end are dropped. */
static bool s_group(char *dst, const char *s, size_t a, size_t b)
{
    while (a < b && s[a] == ' ')
        a++;
    while (b > a && s[b - 1] == ' ')
        b--;
    if (b == a || b - a > DISC_RELEASE_GROUP_MAX)
        return false;
    bool letter = false;
    for (size_t i = a; i < b; i++) {
        if (!s_group_char(s[i]))
            return false;
        letter = letter || (s_alnum((unsigned char)s[i]) && !s_digit(s[i]));
    }
    if (!letter)
        return false;
    memcpy(dst, s + a, b - a);
    dst[b - a] = '\0';
    return true;
}

/* Token k may be the year: 1900..2099, no term, not the group, with title text before it
 * ("1917 2019" and "Крепкий орешек 1988" have one, "1917 1080p" has none). */
static bool s_year_at(const struct ctx *c, size_t k, size_t dash)
{
    const struct tok *t = &c->t[k];
    long v = s_num(t);
    if (t->len != 4 || v < 1900 || v > 2099 || t->used || t->skip || k == dash)
        return false;
    for (size_t b = c->skip_end; b < t->off; b++)
        if (strchr(" ._-([{", c->s[b]) == NULL)
            return true;
    return false;
}

static bool s_low_source(int src)
{
    return src == DISC_SRC_CAM || src == DISC_SRC_TS || src == DISC_SRC_SCR;
}

int disc_release_parse(const char *name, struct disc_release *out)
{
    if (!out)
        return -1;
    memset(out, 0, sizeof(*out));
    if (!name)
        return -1;

    struct ctx c;
    memset(&c, 0, sizeof(c));
    size_t len = strnlen(name, DISC_RELEASE_NAME_MAX);
    memcpy(c.s, name, len);
    c.s[len] = '\0';
    c.end = s_strip_ext(c.s, len);
    s_brackets(&c);
    s_tokenize(&c);
    s_classify(&c);

    /* The first title token, and the first strong term. */
    size_t t0 = 0;
    while (t0 < c.nt && c.t[t0].skip)
        t0++;
    size_t strong = c.nt;
    for (size_t k = 0; k < c.nm; k++)
        if (c.m[k].strong && c.m[k].idx < strong)
            strong = c.m[k].idx;

    /* The dash group's candidate: the last word before a trailing [tag], after a '-'. */
    size_t content_end = c.tail ? c.tail_a : c.end;
    while (content_end > 0 && (c.s[content_end - 1] == ' ' || c.s[content_end - 1] == '.'))
        content_end--;
    size_t dash = c.nt;
    for (size_t k = c.nt; k-- > t0;) {
        if (c.t[k].off + c.t[k].len > content_end)
            continue;
        bool dashed = (c.t[k].pre == '-' && c.t[k].gap == 1) ||
                      (c.t[k].gap == 3 && memcmp(c.s + c.t[k].off - 3, " - ", 3) == 0);
        if (c.t[k].off + c.t[k].len == content_end && dashed && !c.t[k].digits && !c.t[k].used &&
            !c.t[k].skip && c.t[k].len <= DISC_RELEASE_GROUP_MAX)
            dash = k;
        break;
    }

    /* A strong term as the first word is the title when a year follows it before the next
     * strong term: "Screener.2020.1080p.BluRay" is no screener. */
    bool drop_t0 = false;
    if (strong == t0 && t0 < c.nt) {
        size_t next = c.nt;
        for (size_t k = 0; k < c.nm; k++)
            if (c.m[k].strong && c.m[k].idx > t0 && c.m[k].idx < next)
                next = c.m[k].idx;
        for (size_t k = t0 + 1; k < next && !drop_t0; k++)
            drop_t0 = s_year_at(&c, k, dash);
        if (drop_t0)
            strong = next;
    }

    /* The year: the last candidate before the first strong term, else the first one after
     * it. */
    size_t year = c.nt;
    for (size_t k = t0; k < c.nt; k++) {
        if (!s_year_at(&c, k, dash))
            continue;
        if (k < strong)
            year = k;
        else if (year == c.nt) {
            year = k;
            break;
        } else {
            break;
        }
    }
    size_t title_end = strong;
    if (year < title_end)
        title_end = year;
    if (year < c.nt)
        out->year = (uint16_t)s_num(&c.t[year]);

    /* Apply the terms; weak ones only past the title's end. */
    int qrank = -1, low = DISC_SRC_UNKNOWN, first_strong = DISC_SRC_UNKNOWN,
        first_weak = DISC_SRC_UNKNOWN;
    bool tv = false, remux = false, hint = false, tenbit = false;
    for (size_t k = 0; k < c.nm; k++) {
        const struct match *m = &c.m[k];
        if ((!m->strong && m->idx < title_end) || (drop_t0 && m->idx == t0))
            continue;
        switch ((enum mkind)m->kind) {
        case M_QUALITY:
            if (m->val2 > qrank) {
                qrank = m->val2;
                out->quality = (enum disc_quality)m->val;
            }
            break;
        case M_CODEC:
            if (out->codec == DISC_CODEC_UNKNOWN)
                out->codec = (enum disc_codec)m->val;
            break;
        case M_10BIT:
            tenbit = true;
            break;
        case M_AUDIO:
            out->audio |= (uint32_t)m->val;
            if (m->val2 > out->channels && m->val2 <= CHANNELS_MAX)
                out->channels = (uint8_t)m->val2;
            break;
        case M_CHANNELS:
            if (m->val > out->channels && m->val <= CHANNELS_MAX)
                out->channels = (uint8_t)m->val;
            break;
        case M_SOURCE:
            if (s_low_source(m->val)) {
                if (low == DISC_SRC_UNKNOWN || m->val < low)
                    low = m->val;
            } else if (m->val == DISC_SRC_REMUX) {
                remux = true;
            } else if (m->strong && first_strong == DISC_SRC_UNKNOWN) {
                first_strong = m->val;
            } else if (!m->strong && first_weak == DISC_SRC_UNKNOWN) {
                first_weak = m->val;
            }
            break;
        case M_HINT:
            hint = true;
            break;
        case M_HDR:
            out->hdr |= (uint32_t)m->val;
            break;
        case M_LANG:
            out->langs |= 1u << m->val;
            break;
        case M_FLAG:
            out->flags |= (uint32_t)m->val;
            break;
        case M_TV:
            if (!tv) {
                tv = true;
                out->season = (uint16_t)m->val;
                out->episode = (uint16_t)CM_MIN(m->val2, DISC_RELEASE_EPISODE_MAX);
            }
            break;
        case M_NONE:
            break;
        }
    }
    if (low != DISC_SRC_UNKNOWN)
        out->source = (enum disc_source)low;
    else if (remux)
        out->source = DISC_SRC_REMUX;
    else if (first_strong != DISC_SRC_UNKNOWN)
        out->source = (enum disc_source)first_strong;
    else if (first_weak != DISC_SRC_UNKNOWN)
        out->source = (enum disc_source)first_weak;
    else if (hint)
        out->source = DISC_SRC_WEBDL;
    if (out->source == DISC_SRC_DVD && out->quality == DISC_Q_UNKNOWN)
        out->quality = DISC_Q_SD;
    if (tenbit) {
        out->flags |= DISC_REL_10BIT;
        if (out->codec == DISC_CODEC_X264)
            out->codec = DISC_CODEC_X264_10BIT;
        else if (out->codec == DISC_CODEC_X265)
            out->codec = DISC_CODEC_X265_10BIT;
        else if (out->codec == DISC_CODEC_AV1)
            out->codec = DISC_CODEC_AV1_10BIT;
    }

    /* The group: "-GROUP" past the title, else the leading [tag], else a trailing [tag]
     * that holds no term. */
    bool group = false;
    if (dash < c.nt && title_end < c.nt && dash > title_end)
        group = s_group(out->group, c.s, c.t[dash].off, c.t[dash].off + c.t[dash].len);
    if (!group && c.lead)
        group = s_group(out->group, c.s, c.lead_a, c.lead_b);
    if (!group && c.tail && title_end < c.nt) {
        bool plain = true, past = true;
        for (size_t k = 0; k < c.nt; k++)
            if (c.t[k].off > c.tail_a) {
                plain = plain && !c.t[k].used;
                past = past && k > title_end;
            }
        if (plain && past)
            group = s_group(out->group, c.s, c.tail_a + 1, c.end - 1);
    }

    /* The title: from after the leading [tag] to the title's end. */
    size_t ta = c.skip_end, tb;
    if (title_end < c.nt)
        tb = c.t[title_end].off;
    else
        tb = c.tail ? c.tail_a : c.end;
    if (tb > ta)
        s_title(out->title, DISC_RELEASE_TITLE_MAX, c.s, ta, tb);
    return 0;
}

/* --- Names --- */

const char *disc_quality_name(enum disc_quality q)
{
    static const char *const names[DISC_Q_COUNT] = {"", "SD", "HD", "FHD", "2K", "4K", "8K"};
    return ((unsigned)q < DISC_Q_COUNT) ? names[q] : "";
}

const char *disc_codec_name(enum disc_codec c)
{
    static const char *const names[DISC_CODEC_COUNT] = {
        "",    "x264", "x264 10bit", "x265",  "x265 10bit", "av1", "av1 10bit",
        "vp9", "vp8",  "xvid",       "mpeg4", "mpeg2",      "vc1",
    };
    return ((unsigned)c < DISC_CODEC_COUNT) ? names[c] : "";
}

const char *disc_source_name(enum disc_source s)
{
    static const char *const names[DISC_SRC_COUNT] = {
        "", "cam", "ts", "scr", "dvd", "hdtv", "webrip", "webdl", "bluray", "remux",
    };
    return ((unsigned)s < DISC_SRC_COUNT) ? names[s] : "";
}

enum disc_quality disc_quality_from_name(const char *s)
{
    if (!s || !*s)
        return DISC_Q_UNKNOWN;
    for (int q = DISC_Q_SD; q < DISC_Q_COUNT; q++)
        if (strcasecmp(s, disc_quality_name((enum disc_quality)q)) == 0)
            return (enum disc_quality)q;
    return DISC_Q_UNKNOWN;
}

/* The index of the single bit set in `bit`, or -1. */
static int s_bit_index(uint32_t bit)
{
    if (bit == 0 || (bit & (bit - 1)) != 0)
        return -1;
    int i = 0;
    while (!(bit & 1u)) {
        bit >>= 1;
        i++;
    }
    return i;
}

const char *disc_audio_name(uint32_t bit)
{
    static const char *const names[] = {
        "aac",    "ac3",   "eac3", "dts", "dts-hd", "dts-hd ma", "dts:x",
        "truehd", "atmos", "flac", "mp3", "opus",   "pcm",
    };
    int i = s_bit_index(bit & DISC_AUDIO_ALL);
    return (i >= 0 && bit == (1u << i) && (size_t)i < CM_ARRAY_LEN(names)) ? names[i] : "";
}

const char *disc_hdr_name(uint32_t bit)
{
    static const char *const names[] = {"hdr", "hdr10", "hdr10+", "dv", "hlg", "sdr"};
    int i = s_bit_index(bit & DISC_HDR_ALL);
    return (i >= 0 && bit == (1u << i) && (size_t)i < CM_ARRAY_LEN(names)) ? names[i] : "";
}

const char *disc_lang_code(enum disc_lang lang)
{
    static const char *const codes[DISC_LANG_COUNT] = {
        "en", "fr", "es", "de", "it", "pt", "nl", "sv", "cs", "sk", "zh", "ja", "ko", "ru", "hi",
        "pl", "tr", "ar", "da", "no", "fi", "hu", "el", "he", "uk", "ro", "th", "vi", "ta", "te",
    };
    return ((unsigned)lang < DISC_LANG_COUNT) ? codes[lang] : "";
}

/* --- Score (the formula is in disc_release.h) --- */

void disc_score_in_from_release(struct disc_score_in *in, const struct disc_release *r)
{
    in->quality = r->quality;
    in->codec = r->codec;
    in->source = r->source;
    in->hdr = r->hdr;
    in->three_d = (r->flags & DISC_REL_3D) != 0;
}

static double s_size_points(enum disc_quality q, enum disc_codec codec, uint64_t size,
                            uint32_t runtime_min)
{
    /* Mbit/s: the least a watchable encode needs, and the most that streams comfortably. */
    static const double lo[DISC_Q_COUNT] = {0.3, 0.4, 0.8, 1.2, 2.5, 4, 10};
    static const double hi[DISC_Q_COUNT] = {25, 6, 12, 25, 35, 60, 120};
    if (size == 0)
        return 50;
    double minutes = runtime_min ? (double)runtime_min : 100.0;
    double mbps = (double)size * 8.0 / (minutes * 60.0) / 1e6;
    bool efficient = codec == DISC_CODEC_X265 || codec == DISC_CODEC_X265_10BIT ||
                     codec == DISC_CODEC_AV1 || codec == DISC_CODEC_AV1_10BIT ||
                     codec == DISC_CODEC_VP9;
    double l = lo[q] * (efficient ? 0.6 : 1.0), h = hi[q];
    if (mbps < l / 2)
        return -250;
    if (mbps < l)
        return 100.0 * (2.0 * mbps / l - 1.0);
    double over = mbps / h - 1.0;
    if (over < 0)
        over = 0;
    if (over > 1)
        over = 1;
    return 100.0 - 60.0 * over;
}

int disc_score(const struct disc_score_in *in)
{
    static const int qpts[DISC_Q_COUNT] = {120, 90, 190, 250, 225, 235, 150};
    static const int spts[DISC_SRC_COUNT] = {110, 0, 30, 60, 90, 120, 165, 190, 200, 170};
    static const int cpts[DISC_CODEC_COUNT] = {60,  150, 40, 90, 80, 140, 125,
                                               130, 70,  30, 30, 20, 10};
    if (!in)
        return 0;
    enum disc_quality q = (unsigned)in->quality < DISC_Q_COUNT ? in->quality : DISC_Q_UNKNOWN;
    enum disc_source src = (unsigned)in->source < DISC_SRC_COUNT ? in->source : DISC_SRC_UNKNOWN;
    enum disc_codec codec = (unsigned)in->codec < DISC_CODEC_COUNT ? in->codec : DISC_CODEC_UNKNOWN;

    double merit = qpts[q] + spts[src] + cpts[codec];
    if (in->seeders > 0) {
        double s = in->seeders, l = in->leechers;
        double lg = log2(1.0 + s);
        merit += 200.0 * lg / (lg + 3.0) + 50.0 * s / (s + l);
    }
    merit += s_size_points(q, codec, in->size, in->runtime_min);
    if (in->uploaded > 0) {
        double days = ((double)in->now - (double)in->uploaded) / 86400.0;
        if (days <= 180)
            merit += 25;
        else if (days < 1825)
            merit += 25.0 * (1825.0 - days) / (1825.0 - 180.0);
    } else {
        merit += 12;
    }
    uint32_t hdr = in->hdr & DISC_HDR_ALL;
    if ((hdr & DISC_HDR_DV) && !(hdr & (DISC_HDR_HDR | DISC_HDR_HDR10 | DISC_HDR_HDR10P)))
        merit -= 100;
    else if (hdr & (DISC_HDR_HDR | DISC_HDR_HDR10 | DISC_HDR_HDR10P | DISC_HDR_DV | DISC_HDR_HLG))
        merit -= 25;

    int m = merit < 0 ? 0 : merit > 1000 ? 1000 : (int)lround(merit);
    bool degraded = s_low_source(src) || in->three_d;
    int base, width;
    if (in->seeders > 0) {
        base = degraded ? 2000 : 5000;
        width = degraded ? 2999 : 5000;
    } else {
        base = degraded ? 0 : 1000;
        width = 999;
    }
    return base + m * width / 1000;
}

int disc_pick_auto(const struct disc_score_in *items, size_t n)
{
    if (!items || n == 0)
        return -1;
    int best = -1, best_score = -1;
    bool best_seeded = false;
    for (size_t i = 0; i < n && i < INT_MAX; i++) {
        int sc = disc_score(&items[i]);
        bool seeded = items[i].seeders > 0;
        if (best < 0 || (seeded && !best_seeded) || (seeded == best_seeded && sc > best_score)) {
            best = (int)i;
            best_score = sc;
            best_seeded = seeded;
        }
    }
    return best;
}

int disc_pick_quality(const struct disc_score_in *items, size_t n, enum disc_quality q)
{
    if (!items || q <= DISC_Q_UNKNOWN || q >= DISC_Q_COUNT)
        return -1;
    int best = -1, best_score = -1;
    for (size_t i = 0; i < n && i < INT_MAX; i++) {
        if (items[i].quality != q)
            continue;
        int sc = disc_score(&items[i]);
        if (sc > best_score) {
            best = (int)i;
            best_score = sc;
        }
    }
    return best;
}
