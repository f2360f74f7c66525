/* SPDX-License-Identifier: MIT
 * disc_release: what a torrent's release name says (resolution, codecs, source, HDR,
 * languages, year, season/episode, group, title) and the score that ranks a movie's sources
 * and picks the one for `quality: auto`. Used by the providers (normalising a search result)
 * and by the catalog (ordering sources, answering a stream request by quality).
 *
 * Pure functions over memory: no allocation, no clock, no global state; any thread may call
 * them. The parser reads at most DISC_RELEASE_NAME_MAX bytes and never past the NUL.
 *
 * How a name is read (scene "Movie.Name.2019.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.5.1-GRP",
 * YTS "Movie Name (2019) [1080p] [WEBRip] [5.1] [YTS.MX]", p2p with spaces, anime
 * "[Group] Show - 01 (1080p) [CRC].mkv"):
 *   - a known file extension (.mkv, .mp4, ...) is dropped; a leading "[tag]" (the group) or
 *     "www.site.com - " is never classified; the rest is cut into tokens of ASCII letters and
 *     digits, without case.
 *     Tokens joined by one of " .-_+" may form one term: "H.264", "WEB-DL", "Blu ray",
 *     "DTS-HD.MA", "DD+5.1", "10-bit", "E-AC3".
 *   - terms are strong ("1080p", "BluRay", "x265", "S01E02", "HDTS", "REPACK", "TRUEFRENCH")
 *     or weak, being common words or titles too ("HD", "WEB", "CAM", "TS", "DV", "3D", "FRENCH",
 *     "ENG", "Extended", a bare "1080"). The year is the last 1900..2099 number before the first
 *     strong term, never one without title text before it ("2001 A Space Odyssey 1968 1080p"
 *     is 1968; "1917 2019" is 2019), else the first one after it. The title ends at the year or the
 * first strong term; weak terms count only after that point, so "The Italian Job 2003" has no
 * language and "Cam 2018 1080p WEBRip" is no CAM. Without a year or a strong term nothing but the
 *     title is read.
 *   - when terms disagree: the most specific resolution wins ("1080p ... UHD BluRay" is FHD,
 *     a bare number least); the first video codec wins; any CAM/TS/SCR term wins over a better
 *     source (the worst one: a CAM is a CAM whatever else the name claims), then REMUX, then
 *     the first strong source, the first weak one, and a streaming-service tag (AMZN, NF,
 *     DSNP, ATVP, HMAX, ...) last as WEB-DL. A DVD source without a resolution is SD.
 *   - language words after "sub"/"subs"/"VOSTFR"-like markers, or joined to one ("Eng-Subs"),
 *     name subtitles and are skipped.
 *   - the group is a trailing "-GROUP" (one alphanumeric word that is no term, after the title),
 *     else the leading "[tag]", else a trailing "[tag]" that holds no term ("[YTS.MX]").
 *
 * Known limits: a year-like title word with no other year ("Blade Runner 2049 1080p") is
 * taken for the year; a title that starts with a strong term keeps it only when a year follows
 * ("Screener 2020 1080p" does, "Proper 1080p" does not).
 *
 * The score is documented at disc_score(). */
#ifndef DISC_RELEASE_H
#define DISC_RELEASE_H
#include "cm.h"

enum {
    DISC_RELEASE_NAME_MAX = 512,     /* bytes of a name read; the rest is ignored */
    DISC_RELEASE_TITLE_MAX = 256,    /* bytes of the cleaned title, without the NUL */
    DISC_RELEASE_GROUP_MAX = 32,     /* bytes of the release group, without the NUL */
    DISC_RELEASE_SEASON_MAX = 99,    /* largest season read */
    DISC_RELEASE_EPISODE_MAX = 9999, /* largest episode read */
    DISC_SCORE_MAX = 10000,          /* disc_score() is 0..DISC_SCORE_MAX */
};

/* Resolution class. Stable names: disc_quality_name(). */
enum disc_quality {
    DISC_Q_UNKNOWN = 0, /* "" */
    DISC_Q_SD,          /* "SD": 576p, 480p, 360p, 240p, "SD", a DVD without a resolution */
    DISC_Q_HD,          /* "HD": 720p, weak "HD" */
    DISC_Q_FHD,         /* "FHD": 1080p, 1080i, weak "FHD" / "Full HD" */
    DISC_Q_2K,          /* "2K": 1440p, weak "2K" */
    DISC_Q_4K,          /* "4K": 2160p, "4K", "UHD", "Ultra HD" */
    DISC_Q_8K,          /* "8K": 4320p, "8K" */
    DISC_Q_COUNT
};

/* Video codec; the _10BIT variants come from a 10-bit term ("10bit", "10-bit", "Hi10P")
 * anywhere in the name together with the codec. Stable names: disc_codec_name(). */
enum disc_codec {
    DISC_CODEC_UNKNOWN = 0, /* "" */
    DISC_CODEC_X264,        /* "x264": x264, h264, H.264, AVC */
    DISC_CODEC_X264_10BIT,  /* "x264 10bit": with 10bit, or Hi10P */
    DISC_CODEC_X265,        /* "x265": x265, h265, H.265, HEVC */
    DISC_CODEC_X265_10BIT,  /* "x265 10bit" */
    DISC_CODEC_AV1,         /* "av1" */
    DISC_CODEC_AV1_10BIT,   /* "av1 10bit" */
    DISC_CODEC_VP9,         /* "vp9" */
    DISC_CODEC_VP8,         /* "vp8" */
    DISC_CODEC_XVID,        /* "xvid" */
    DISC_CODEC_MPEG4,       /* "mpeg4": DivX, MPEG-4 */
    DISC_CODEC_MPEG2,       /* "mpeg2": MPEG-2 */
    DISC_CODEC_VC1,         /* "vc1": VC-1 */
    DISC_CODEC_COUNT
};

/* Where the video comes from, worst to best for a viewer. Stable names: disc_source_name(). */
enum disc_source {
    DISC_SRC_UNKNOWN = 0, /* "" */
    DISC_SRC_CAM,         /* "cam": CAM, CAMRip, HDCAM, HQCAM */
    DISC_SRC_TS,          /* "ts": TS, HDTS, TELESYNC, PDVD, TC, HDTC, TELECINE */
    DISC_SRC_SCR,         /* "scr": SCR, SCREENER, DVDSCR, BDSCR */
    DISC_SRC_DVD,         /* "dvd": DVDRip, DVDR, DVD-R, DVD5/9, DVD */
    DISC_SRC_HDTV,        /* "hdtv": HDTV, PDTV, SDTV, TVRip, SATRip, DSR, HDRip */
    DISC_SRC_WEBRIP,      /* "webrip": WEBRip, WEB-Rip, WEB-DLRip */
    DISC_SRC_WEBDL,       /* "webdl": WEB-DL, WEBDL, WEB; service tags as a last hint */
    DISC_SRC_BLURAY,      /* "bluray": BluRay, Blu-ray, BDRip, BRRip, BD, BD25/50, UHD BD */
    DISC_SRC_REMUX,       /* "remux": REMUX, BDRemux (DISC_REL_REMUX is set too) */
    DISC_SRC_COUNT
};

/* Audio codecs seen (bits of disc_release.audio). The most specific one is set for a term:
 * "DTS-HD MA" sets DTS_HDMA only. Names: disc_audio_name(). */
enum {
    DISC_AUDIO_AAC = 1u << 0,      /* "aac" */
    DISC_AUDIO_AC3 = 1u << 1,      /* "ac3": AC3, DD, DD5.1, Dolby Digital */
    DISC_AUDIO_EAC3 = 1u << 2,     /* "eac3": EAC3, E-AC3, DDP, DD+, DDP5.1, DDPA */
    DISC_AUDIO_DTS = 1u << 3,      /* "dts" (DTS-ES too) */
    DISC_AUDIO_DTS_HD = 1u << 4,   /* "dts-hd" */
    DISC_AUDIO_DTS_HDMA = 1u << 5, /* "dts-hd ma": DTS-HD.MA, DTS-HDMA, DTS MA */
    DISC_AUDIO_DTS_X = 1u << 6,    /* "dts:x": DTS-X, DTSX */
    DISC_AUDIO_TRUEHD = 1u << 7,   /* "truehd" */
    DISC_AUDIO_ATMOS = 1u << 8,    /* "atmos": Atmos, DDPA */
    DISC_AUDIO_FLAC = 1u << 9,     /* "flac" */
    DISC_AUDIO_MP3 = 1u << 10,     /* "mp3" */
    DISC_AUDIO_OPUS = 1u << 11,    /* "opus" (weak: a title word too) */
    DISC_AUDIO_PCM = 1u << 12,     /* "pcm": PCM, LPCM */
    DISC_AUDIO_ALL = (1u << 13) - 1
};

/* HDR formats seen (bits of disc_release.hdr). Names: disc_hdr_name(). */
enum {
    DISC_HDR_HDR = 1u << 0,    /* "hdr": a plain "HDR" (format not said) */
    DISC_HDR_HDR10 = 1u << 1,  /* "hdr10": HDR10, HDR.10 */
    DISC_HDR_HDR10P = 1u << 2, /* "hdr10+": HDR10+, HDR10Plus */
    DISC_HDR_DV = 1u << 3,     /* "dv": Dolby Vision, DoVi, DV (weak) */
    DISC_HDR_HLG = 1u << 4,    /* "hlg" */
    DISC_HDR_SDR = 1u << 5,    /* "sdr": the name says SDR */
    DISC_HDR_ALL = (1u << 6) - 1
};

/* Other facts (bits of disc_release.flags). */
enum {
    DISC_REL_REPACK = 1u << 0,     /* REPACK, REPACK2, RERIP */
    DISC_REL_PROPER = 1u << 1,     /* PROPER */
    DISC_REL_3D = 1u << 2,         /* 3D (weak), HSBS, Half-SBS, SBS, HOU, Half-OU, BD3D */
    DISC_REL_EXTENDED = 1u << 3,   /* Extended (weak) */
    DISC_REL_REMASTERED = 1u << 4, /* Remastered (weak) */
    DISC_REL_REMUX = 1u << 5,      /* REMUX, BDRemux */
    DISC_REL_MULTI = 1u << 6,      /* MULTi, Multi4, MultiDub, Multilingual: several audios */
    DISC_REL_DUAL = 1u << 7,       /* Dual (weak), Dual-Audio: two audio tracks */
    DISC_REL_IMAX = 1u << 8,       /* IMAX (weak) */
    DISC_REL_10BIT = 1u << 9,      /* 10bit, 10-bit, Hi10P (with or without a codec) */
    DISC_REL_ALL = (1u << 10) - 1
};

/* Audio languages (bit 1u << DISC_LANG_x of disc_release.langs); ISO 639-1 codes from
 * disc_lang_code(). Read from 3-letter codes, English names and scene tags (ENG, English,
 * FRENCH, VFF, VFQ, TRUEFRENCH, SPA, ESP, Castellano, LATINO, GER, German, ITA, iTALiAN, KOR,
 * RUS, Hindi, PL, Lektor, ...), weak except the scene tags. Two-letter codes are read for
 * en, fr, de, es, ru, pl, nl, pt and cz only ("iT" is iTunes, "HI" hearing-impaired). */
enum disc_lang {
    DISC_LANG_EN = 0,
    DISC_LANG_FR,
    DISC_LANG_ES,
    DISC_LANG_DE,
    DISC_LANG_IT,
    DISC_LANG_PT,
    DISC_LANG_NL,
    DISC_LANG_SV,
    DISC_LANG_CS,
    DISC_LANG_SK,
    DISC_LANG_ZH,
    DISC_LANG_JA,
    DISC_LANG_KO,
    DISC_LANG_RU,
    DISC_LANG_HI,
    DISC_LANG_PL,
    DISC_LANG_TR,
    DISC_LANG_AR,
    DISC_LANG_DA,
    DISC_LANG_NO,
    DISC_LANG_FI,
    DISC_LANG_HU,
    DISC_LANG_EL,
    DISC_LANG_HE,
    DISC_LANG_UK,
    DISC_LANG_RO,
    DISC_LANG_TH,
    DISC_LANG_VI,
    DISC_LANG_TA,
    DISC_LANG_TE,
    DISC_LANG_COUNT /* <= 32: the set is a uint32_t */
};

/* What disc_release_parse() read. All zero / empty when the name says nothing. */
struct disc_release {
    char title[DISC_RELEASE_TITLE_MAX + 1]; /* valid UTF-8, no control bytes; '.' '_' -> ' ' */
    char group[DISC_RELEASE_GROUP_MAX + 1]; /* printable ASCII, or "" */
    enum disc_quality quality;              /* DISC_Q_UNKNOWN when not said */
    enum disc_codec codec;                  /* DISC_CODEC_UNKNOWN when not said */
    enum disc_source source;                /* DISC_SRC_UNKNOWN when not said */
    uint32_t audio;                         /* DISC_AUDIO_* bits */
    uint8_t channels;                       /* total channels: 2 (2.0), 6 (5.1), 8 (7.1); 0 */
    uint32_t hdr;                           /* DISC_HDR_* bits */
    uint32_t langs;                         /* 1u << DISC_LANG_* bits */
    uint32_t flags;                         /* DISC_REL_* bits */
    uint16_t year;                          /* 0, or 1900..2099 */
    uint16_t season;                        /* 0, or 1..DISC_RELEASE_SEASON_MAX */
    uint16_t episode; /* 0 (a season pack when season != 0), or 1..DISC_RELEASE_EPISODE_MAX */
};

/* Read the release name `name` (NUL-terminated; only its first DISC_RELEASE_NAME_MAX bytes)
 * into *out, which is cleared first. Returns 0, or -1 when `name` or `out` is NULL (*out is
 * then cleared if not NULL). Any bytes are fine: invalid UTF-8 never reaches the title. */
int disc_release_parse(const char *name, struct disc_release *out);

/* Stable names, "" for UNKNOWN or a value out of range (static strings). Quality: "SD", "HD",
 * "FHD", "2K", "4K", "8K" (the API's names). Codec: "x264", "x264 10bit", "x265",
 * "x265 10bit", "av1", "av1 10bit", "vp9", "vp8", "xvid", "mpeg4", "mpeg2", "vc1". Source:
 * "cam", "ts", "scr", "dvd", "hdtv", "webrip", "webdl", "bluray", "remux". */
const char *disc_quality_name(enum disc_quality q);
const char *disc_codec_name(enum disc_codec c);
const char *disc_source_name(enum disc_source s);

/* The quality named `s` ("SD", "HD", "FHD", "2K", "4K", "8K", any case), else
 * DISC_Q_UNKNOWN (for NULL, "", "auto" and anything else). */
enum disc_quality disc_quality_from_name(const char *s);

/* Name of one DISC_AUDIO_* bit ("aac", "ac3", "eac3", "dts", "dts-hd", "dts-hd ma", "dts:x",
 * "truehd", "atmos", "flac", "mp3", "opus", "pcm") or one DISC_HDR_* bit ("hdr", "hdr10",
 * "hdr10+", "dv", "hlg", "sdr"); "" when `bit` is not exactly one known bit. */
const char *disc_audio_name(uint32_t bit);
const char *disc_hdr_name(uint32_t bit);

/* ISO 639-1 code of a language ("en", "fr", ...), "" when out of range. */
const char *disc_lang_code(enum disc_lang lang);

/* What the score looks at for one source. Out-of-range enums count as UNKNOWN. */
struct disc_score_in {
    enum disc_quality quality; /* from the name or the provider */
    enum disc_codec codec;     /* from the name or the provider */
    enum disc_source source;   /* from the name or the provider */
    uint32_t hdr;              /* DISC_HDR_* bits */
    bool three_d;              /* DISC_REL_3D: side-by-side or over-under pictures */
    uint32_t seeders;          /* complete peers, last known */
    uint32_t leechers;         /* incomplete peers, last known */
    uint64_t size;             /* bytes of the torrent's content, 0 unknown */
    uint32_t runtime_min;      /* the movie's runtime in minutes, 0 unknown */
    int64_t uploaded;          /* unix seconds of the upload, <= 0 unknown */
    int64_t now;               /* unix seconds: the caller's clock, so the score stays pure */
};

/* Fill the name-derived fields of *in (quality, codec, source, hdr, three_d) from *r; the
 * other fields are left as they are. */
void disc_score_in_from_release(struct disc_score_in *in, const struct disc_release *r);

/* The source's rank for streaming to a browser's <video> from a swarm, 0..DISC_SCORE_MAX.
 * Higher is better; equal inputs give equal scores.
 *
 *   score = band + merit * width / 1000, merit = clamp(Q + S + C + A + P + G - H, 0, 1000)
 *
 * Bands keep the hard rules whatever the merit:
 *   seeders > 0,  fit ......... 5000 + merit * 5000 / 1000   (5000..10000)
 *   seeders > 0,  degraded .... 2000 + merit * 2999 / 1000   (2000..4999)
 *   seeders == 0, fit ......... 1000 + merit *  999 / 1000   (1000..1999)
 *   seeders == 0, degraded ....    0 + merit *  999 / 1000   (0..999)
 * "degraded" is a CAM, TS or SCR source, or 3D (a browser shows both pictures). So any source
 * with seeders beats every one without, and a CAM never beats a fit source with seeders.
 *
 * Merit (points; at most 975 are reachable):
 *   Q quality, <= 250: FHD 250, 4K 235, 2K 225, HD 190, 8K 150, unknown 120, SD 90. FHD tops
 *     `auto` on purpose: it plays everywhere and a swarm sustains its bitrate; 4K and 2K are
 *     close behind (seeders decide), 8K is past most devices and links.
 *   S source, <= 200: BluRay 200, WEB-DL 190, REMUX 170 (its size is judged by P), WEBRip 165,
 *     HDTV 120, unknown 110, DVD 90, SCR 60, TS 30, CAM 0.
 *   C codec, <= 150, what browsers decode: x264 150 (everywhere), av1 140, vp9 130,
 *     av1 10bit 125, x265 90 (Safari, and Chrome/Edge only with hardware support),
 *     x265 10bit 80, vp8 70, unknown 60, x264 10bit 40 (Hi10P: no hardware decoder),
 *     xvid and mpeg4 30, mpeg2 20, vc1 10. So for equal quality x264/AV1/VP9 beat x265.
 *   A availability, < 250, 0 without seeders; with L = log2(1 + seeders):
 *     200 * L / (L + 3) + 50 * seeders / (seeders + leechers)
 *     Always rising with diminishing returns (1 seeder 50, 7: 100, 63: 133, 1023: 154); a
 *     swarm starved by leechers loses up to 50. So 1080p with 20 seeders beats 720p with
 *     500, and 720p with 500 beats 1080p with 3.
 *   P size for the runtime, -250..100, 50 when the size is unknown. Bitrate b (Mbit/s) =
 *     size * 8 / (runtime * 60) / 10^6, runtime 100 min when unknown. Per quality
 *     lo / hi Mbit/s: SD 0.4/6, HD 0.8/12, FHD 1.2/25, 2K 2.5/35, 4K 4/60, 8K 10/120,
 *     unknown 0.3/25; lo is times 0.6 for x265, AV1 and VP9.
 *       b < lo/2 ........ -250 (implausible: fake or unwatchable; a 1080p of 120 min in
 *                          200 MB, a 4K in 700 MB)
 *       lo/2 <= b < lo .. 100 * (2b/lo - 1)
 *       b >= lo ......... 100 - 60 * min(1, max(0, b/hi - 1)) (bloated: slow to stream)
 *   G age, <= 25: 12 when unknown; 25 up to 180 days old, then down linearly to 0 at 5 years
 *     (a future date counts as new). Slight on purpose: seeders are scraped again, so an old
 *     torrent with a live swarm is as good as a new one.
 *   H HDR penalty: 100 for Dolby Vision without an HDR10/HDR10+/HDR term (a DV-only stream
 *     shows wrong colours in browsers), else 25 for any HDR (tone mapping on SDR screens),
 *     else 0.
 * Pure: no clock (`now` is an input), no state. */
int disc_score(const struct disc_score_in *in);

/* Index of the source to stream for `quality: auto`: the highest score among those with
 * seeders > 0, else the highest score; the first of equals. -1 when n is 0 or items NULL. */
int disc_pick_auto(const struct disc_score_in *items, size_t n);

/* Index of the highest-scored source whose quality is exactly `q` (the first of equals), -1
 * when there is none, or q is DISC_Q_UNKNOWN or out of range. */
int disc_pick_quality(const struct disc_score_in *items, size_t n, enum disc_quality q);

#endif
