/* SPDX-License-Identifier: MIT
 * Tests of disc_release: a table of real-world-style release names (the provider fixtures',
 * YTS, scene, p2p, anime, TV, French/German/multi-language, CAM/TS, REMUX, HDR/DV, 3D,
 * REPACK/PROPER, years inside titles), each field checked; the caps (512 bytes read, the title
 * cut between characters, invalid UTF-8 and control bytes kept out); the names; and the score:
 * its bands and every ranking rule it documents, with the reason in each test's name. */
#include "cm.h"
#include "disc_release.h"
#include "../../tap.h"

struct rcase {
    const char *name;
    const char *title;
    unsigned year;
    enum disc_quality quality;
    enum disc_codec codec;
    enum disc_source source;
    uint32_t audio;
    unsigned channels;
    uint32_t hdr;
    const char *langs; /* ISO 639-1 codes, space-separated, in enum order */
    uint32_t flags;
    unsigned season;
    unsigned episode;
    const char *group;
};

static const struct rcase s_cases[] = {
    /* The names in ../shared/fixtures/providers (TheRARBG loses punctuation: "DDP5 1"). */
    {"Beyond the sudden hole 2018 1080p 10bit IMAX DS4K DSNP WEB Rip Or", "Beyond the sudden hole",
     2018, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBRIP, 0, 0, 0, "",
     DISC_REL_IMAX | DISC_REL_10BIT, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p 10bit UHD Blu ray DDP 7 1 HEVC NmCT",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY,
     DISC_AUDIO_EAC3, 8, 0, "", DISC_REL_10BIT, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p BluRay DD 7 1 x265 EDGE2020", "Beyond the sudden hole",
     2018, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_BLURAY, DISC_AUDIO_AC3, 8, 0, "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p BluRay DDP5 1 x265 10bit GalaxyRG265",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY,
     DISC_AUDIO_EAC3, 6, 0, "", DISC_REL_10BIT, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p BluRay Hindi English x264 DD 5 1 MSubs LOKiHD Telly",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_AC3,
     6, 0, "en hi", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p BluRay x265 HEVC Org Hindi AC3 5 1 English DTS AC3 5 1 "
     "MSub MeGUiL",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_BLURAY,
     DISC_AUDIO_AC3 | DISC_AUDIO_DTS, 6, 0, "en hi", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p Bluray x264 CeeTorrents", "Beyond the sudden hole", 2018,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p DSNP WEB DL DDPA 5 1 H 264 PiRaTeS TGx",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, 0, "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 1080p HDR Bluray AV1 Opus Multi4 dAV1nci",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_AV1, DISC_SRC_BLURAY, DISC_AUDIO_OPUS,
     0, DISC_HDR_HDR, "", DISC_REL_MULTI, 0, 0, ""},
    {"Beyond the sudden hole 2018 2160p Bluray x265 DDP Atmos KiNGDOM", "Beyond the sudden hole",
     2018, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_BLURAY, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 0, 0,
     "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 2160p x265 10bit HDR UHD BD Atmos Prof", "Beyond the sudden hole",
     2018, DISC_Q_4K, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY, DISC_AUDIO_ATMOS, 0, DISC_HDR_HDR, "",
     DISC_REL_10BIT, 0, 0, ""},
    {"Beyond the sudden hole 2018 3D bluray YTS", "Beyond the sudden hole", 2018, DISC_Q_UNKNOWN,
     DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_3D, 0, 0, ""},
    {"Beyond the sudden hole 2018 720p BluRay x264 MoviesFD7", "Beyond the sudden hole", 2018,
     DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 720p DSNP WEBRip 900MB x264 GalaxyRG", "Beyond the sudden hole",
     2018, DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_WEBRIP, 0, 0, 0, "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 BD3D 1080p BluRay REMUX AVC DTS HD MA 7 1 Asmo",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_REMUX,
     DISC_AUDIO_DTS_HDMA, 8, 0, "", DISC_REL_3D | DISC_REL_REMUX, 0, 0, ""},
    {"Beyond the sudden hole 2018 BluRay 1080p DTS AC3 x264 3Li", "Beyond the sudden hole", 2018,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_AC3 | DISC_AUDIO_DTS, 0, 0, "", 0, 0,
     0, ""},
    {"Beyond the sudden hole 2018 BluRay 1080p DTS HD MA 7 1 AC3 x264 MgB",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY,
     DISC_AUDIO_AC3 | DISC_AUDIO_DTS_HDMA, 8, 0, "", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 Bluray 2160p AV1 HDR10 EN FR DE ITA AC3 5 1 UH UserHEVC",
     "Beyond the sudden hole", 2018, DISC_Q_4K, DISC_CODEC_AV1, DISC_SRC_BLURAY, DISC_AUDIO_AC3, 6,
     DISC_HDR_HDR10, "en fr de it", 0, 0, 0, ""},
    {"Beyond the sudden hole 2018 Eng Fre Ger Ita Spa Jpn 2160p BluRay Remux HDR HEVC Atmos SGF",
     "Beyond the sudden hole", 2018, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX, DISC_AUDIO_ATMOS,
     0, DISC_HDR_HDR, "en fr es de it ja", DISC_REL_REMUX, 0, 0, ""},
    {"Beyond the sudden hole 2018 IMAX 1080p DSNP WEB DL x265 HEVC 10bit EAC3 5 1 Silence QxR",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3, 6, 0, "", DISC_REL_IMAX | DISC_REL_10BIT, 0, 0, ""},
    {"Beyond the sudden hole 2018 IMAX 4K HDR DV 2160p WEBDL Ita Eng x265 NAHOM",
     "Beyond the sudden hole", 2018, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, 0, 0,
     DISC_HDR_HDR | DISC_HDR_DV, "en it", DISC_REL_IMAX, 0, 0, ""},
    {"Beyond the sudden hole 2018 PROPER 2160p BluRay REMUX HEVC DTS HD MA TrueHD 7 1 Atmos FGT",
     "Beyond the sudden hole", 2018, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX,
     DISC_AUDIO_DTS_HDMA | DISC_AUDIO_TRUEHD | DISC_AUDIO_ATMOS, 8, 0, "",
     DISC_REL_PROPER | DISC_REL_REMUX, 0, 0, ""},
    {"Beyond the sudden hole x264 1080p ITALiAN MaDHeX MaDcReW _MaTTi _", "Beyond the sudden hole",
     0, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_UNKNOWN, 0, 0, 0, "it", 0, 0, 0, ""},
    {"Beyond.the.sudden.hole.2018.1080p.BluRay.x264.Atmos.TrueHD7.1-WiKi", "Beyond the sudden hole",
     2018, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_TRUEHD | DISC_AUDIO_ATMOS, 8, 0,
     "", 0, 0, 0, "WiKi"},
    {"Beyond.the.sudden.hole.2018.1080p.BluRay.x265.10bit.Atmos.TrueHD7.1-WiKi",
     "Beyond the sudden hole", 2018, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY,
     DISC_AUDIO_TRUEHD | DISC_AUDIO_ATMOS, 8, 0, "", DISC_REL_10BIT, 0, 0, "WiKi"},
    {"Chronicles of tan counseling 2002 UHD BluRay 2160p DV HEVC TrueHD Atmos 7 1 x2",
     "Chronicles of tan counseling", 2002, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_BLURAY,
     DISC_AUDIO_TRUEHD | DISC_AUDIO_ATMOS, 8, DISC_HDR_DV, "", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 1080p 10bit WEBRip 6CH x265 HEVC-PSA",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_WEBRIP, 0, 6,
     0, "", DISC_REL_10BIT, 0, 0, "PSA"},
    {"Chronicles of tan counseling 2025 1080p HDCAM x264 AC3 UKB", "Chronicles of tan counseling",
     2025, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_CAM, DISC_AUDIO_AC3, 0, 0, "", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 1080p HDTS HEVC x265 AAC 2 0 OneHack",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_TS, DISC_AUDIO_AAC,
     2, 0, "", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 1080p REPACK WEB DL HEVC x265 5 1 BONE",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_WEBDL, 0, 6, 0, "",
     DISC_REL_REPACK, 0, 0, ""},
    {"Chronicles of tan counseling 2025 1080p TS EN Multidub-RGB", "Chronicles of tan counseling",
     2025, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_TS, 0, 0, 0, "en", DISC_REL_MULTI, 0, 0, "RGB"},
    {"Chronicles of tan counseling 2025 1080p WEB DL HEVC x265 5 1 BONE",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_WEBDL, 0, 6, 0, "",
     0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 2160p HDR10Plus DV WEBRip 6CH x265 HEVC-PSA",
     "Chronicles of tan counseling", 2025, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBRIP, 0, 6,
     DISC_HDR_HDR10P | DISC_HDR_DV, "", 0, 0, 0, "PSA"},
    {"Chronicles of tan counseling 2025 2160p WEB DL DDP5 1 Atmos SDR H265 AOC",
     "Chronicles of tan counseling", 2025, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, DISC_HDR_SDR, "", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 2160p iT WEB DL EN TRSub DDP5 1 Atmos HDR",
     "Chronicles of tan counseling", 2025, DISC_Q_4K, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, DISC_HDR_HDR, "en", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 AC3 5 1 ITA ENG 1080p H265 sub ita eng MIRCr",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_UNKNOWN,
     DISC_AUDIO_AC3, 6, 0, "en it", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 Hybrid 2160p WEB DL DV HDR DDP5 1 Atmos H265",
     "Chronicles of tan counseling", 2025, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, DISC_HDR_HDR | DISC_HDR_DV, "", 0, 0, 0, ""},
    {"Chronicles of tan counseling 2025 TS EN Multidub-RGB", "Chronicles of tan counseling", 2025,
     DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_TS, 0, 0, 0, "en", DISC_REL_MULTI, 0, 0, "RGB"},
    {"Chronicles of tan counseling 2025 iNTERNAL 1080p WEBRip DD2 0 H 264-DRX",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBRIP,
     DISC_AUDIO_AC3, 2, 0, "", 0, 0, 0, "DRX"},
    {"Chronicles.of.tan.counseling.2025.1080p.CAM.READNFO.x265.AC3-AOC",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_CAM,
     DISC_AUDIO_AC3, 0, 0, "", 0, 0, 0, "AOC"},
    {"Chronicles.of.tan.counseling.2025.1080p.WEB-DL.LATINO.FRE.ITA.GER.POL.CHI.Atmos.H264.MP4-BTM",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     DISC_AUDIO_ATMOS, 0, 0, "fr es de it zh pl", 0, 0, 0, "BTM"},
    {"Chronicles.of.tan.counseling.2025.1080p.iT.WEB-DL.SDR.DDP7.1.H.264.Dual.YG⭐",
     "Chronicles of tan counseling", 2025, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3, 8, DISC_HDR_SDR, "", DISC_REL_DUAL, 0, 0, ""},
    {"Chronicles.of.tan.counseling.2025.2160p.WEB-DL.SDR.ENG.LATINO.DDP5.1.Atmos.H265.MP4-BTM",
     "Chronicles of tan counseling", 2025, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, DISC_HDR_SDR, "en es", 0, 0, 0, "BTM"},
    {"Chronicles.of.tan.counseling.2025.720p.AMZN.WEB-DL.DDP5.1.Atmos.H.264.Dual.YG⭐",
     "Chronicles of tan counseling", 2025, DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, 0, "", DISC_REL_DUAL, 0, 0, ""},
    {"Chronicles.of.tan.counseling.2025.720p.AMZN.WEB-DL.DDP5.1.Atmos.H.264.ENG.YG⭐",
     "Chronicles of tan counseling", 2025, DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, 0, "en", 0, 0, 0, ""},
    {"Creators", "Creators", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "",
     0, 0, 0, ""},
    {"DNA 2025 1080p DS4K 10bit JHS WEBRip The ill-fated causal DDP5 1 HEVC ESub", "DNA", 2025,
     DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_WEBRIP, DISC_AUDIO_EAC3, 6, 0, "", DISC_REL_10BIT,
     0, 0, ""},
    {"Mission Impossible The Final Reckoning 2025 1080p TS READNFO x264",
     "Mission Impossible The Final Reckoning", 2025, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_TS, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Mission Impossible The Final Reckoning 2025 V2 1080p TS READNFO x",
     "Mission Impossible The Final Reckoning", 2025, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_TS, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Stars", "Stars", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0,
     0, ""},
    {"The frail gurgle 2025 1080p HDCAM x264 AC3", "The frail gurgle", 2025, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_CAM, DISC_AUDIO_AC3, 0, 0, "", 0, 0, 0, ""},
    {"The mountainous descend", "The mountainous descend", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 0, ""},
    {"The puny programming", "The puny programming", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 0, ""},
    {"The secondary oversell 1996 1080p BluRay HEVC x265 AAC 5 1 Gypsy", "The secondary oversell",
     1996, DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_BLURAY, DISC_AUDIO_AAC, 6, 0, "", 0, 0, 0, ""},
    {"The secondary oversell 2025 1080p HDTS HEVC", "The secondary oversell", 2025, DISC_Q_FHD,
     DISC_CODEC_X265, DISC_SRC_TS, 0, 0, 0, "", 0, 0, 0, ""},
    {"thoughtful softdrink: The despise", "thoughtful softdrink: The despise", 0, DISC_Q_UNKNOWN,
     DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 0, ""},
    /* YTS, scene and p2p styles; years in titles; CAM/TS/SCR; REMUX; HDR; 3D; audio. */
    {"Movie Name (2019) [1080p] [WEBRip] [5.1] [YTS.MX]", "Movie Name", 2019, DISC_Q_FHD,
     DISC_CODEC_UNKNOWN, DISC_SRC_WEBRIP, 0, 6, 0, "", 0, 0, 0, "YTS.MX"},
    {"The Matrix (1999) [2160p] [4K] [BluRay] [5.1] [YTS.MX]", "The Matrix", 1999, DISC_Q_4K,
     DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 6, 0, "", 0, 0, 0, "YTS.MX"},
    {"Inception.2010.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.5.1-SWTYBLZ", "Inception", 2010,
     DISC_Q_4K, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 6, DISC_HDR_HDR, "",
     DISC_REL_10BIT, 0, 0, "SWTYBLZ"},
    {"2001 A Space Odyssey 1968 1080p BluRay x264", "2001 A Space Odyssey", 1968, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"2001.A.Space.Odyssey.1968.REMASTERED.1080p.BluRay.x264-AMIABLE", "2001 A Space Odyssey", 1968,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_REMASTERED, 0, 0,
     "AMIABLE"},
    {"1917 (2019) [720p] [BluRay] [YTS.MX]", "1917", 2019, DISC_Q_HD, DISC_CODEC_UNKNOWN,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "YTS.MX"},
    {"Blade Runner 2049 2017 2160p UHD BluRay REMUX HDR HEVC Atmos-EPSiLON", "Blade Runner 2049",
     2017, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX, DISC_AUDIO_ATMOS, 0, DISC_HDR_HDR, "",
     DISC_REL_REMUX, 0, 0, "EPSiLON"},
    {"The.Italian.Job.2003.1080p.BluRay.x264-HD4U", "The Italian Job", 2003, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "HD4U"},
    {"French.Kiss.1995.FRENCH.1080p.WEB-DL.x264-FGT", "French Kiss", 1995, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0, 0, "fr", 0, 0, 0, "FGT"},
    {"Cam.2018.1080p.NF.WEBRip.DDP5.1.x264-NTG", "Cam", 2018, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBRIP, DISC_AUDIO_EAC3, 6, 0, "", 0, 0, 0, "NTG"},
    {"Charlottes.Web.2006.720p.BluRay.x264-SiNNERS", "Charlottes Web", 2006, DISC_Q_HD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "SiNNERS"},
    {"Oppenheimer.2023.IMAX.2160p.UHD.BluRay.REMUX.DV.HDR10+.HEVC.TrueHD.Atmos.7.1-FraMeSToR",
     "Oppenheimer", 2023, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX,
     DISC_AUDIO_TRUEHD | DISC_AUDIO_ATMOS, 8, DISC_HDR_HDR10P | DISC_HDR_DV, "",
     DISC_REL_REMUX | DISC_REL_IMAX, 0, 0, "FraMeSToR"},
    {"Dune.Part.Two.2024.1080p.AMZN.WEB-DL.DDP5.1.Atmos.H.264-FLUX", "Dune Part Two", 2024,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, 0, "", 0,
     0, 0, "FLUX"},
    {"Barbie.2023.HDCAM.x264-SUNSCREEN", "Barbie", 2023, DISC_Q_UNKNOWN, DISC_CODEC_X264,
     DISC_SRC_CAM, 0, 0, 0, "", 0, 0, 0, "SUNSCREEN"},
    /* Groups, TV forms, odd layouts, non-Latin titles, site prefixes, more languages. */
    {"Barbie 2023 HDTS 720p x264 AAC - HushRips", "Barbie", 2023, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_TS, DISC_AUDIO_AAC, 0, 0, "", 0, 0, 0, "HushRips"},
    {"Avatar.The.Way.of.Water.2022.HDTC.1080p.x264-CMRG", "Avatar The Way of Water", 2022,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_TS, 0, 0, 0, "", 0, 0, 0, "CMRG"},
    {"Wonka.2023.DVDSCR.XviD-EVO", "Wonka", 2023, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_SCR, 0,
     0, 0, "", 0, 0, 0, "EVO"},
    {"Wonka 2023 SCREENER 720p x264", "Wonka", 2023, DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_SCR, 0, 0,
     0, "", 0, 0, 0, ""},
    {"The.Office.US.S05E14.720p.HDTV.x264-CTU", "The Office US", 0, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_HDTV, 0, 0, 0, "", 0, 5, 14, "CTU"},
    {"Breaking.Bad.S01.COMPLETE.1080p.BluRay.x264-ROVERS", "Breaking Bad", 0, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 1, 0, "ROVERS"},
    {"Game of Thrones S08E06 The Iron Throne 2160p HDR10 AMZN WEB-DL DDP5.1 HEVC",
     "Game of Thrones", 0, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6,
     DISC_HDR_HDR10, "", 0, 8, 6, ""},
    {"the.simpsons.34x05.720p.hdtv.x264-syncopy", "the simpsons", 0, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_HDTV, 0, 0, 0, "", 0, 34, 5, "syncopy"},
    {"[SubsPlease] Jujutsu Kaisen - 24 (1080p) [F1A2B3C4].mkv", "Jujutsu Kaisen", 0, DISC_Q_FHD,
     DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 24, "SubsPlease"},
    {"[Erai-raws] Spy x Family - 05v2 [720p][Multiple Subtitle].mkv", "Spy x Family", 0, DISC_Q_HD,
     DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 5, "Erai-raws"},
    {"[Judas] Attack on Titan (Season 4) [BD 1080p][HEVC x265 10bit][Dual-Audio][Eng-Subs]",
     "Attack on Titan", 0, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY, 0, 0, 0, "",
     DISC_REL_DUAL | DISC_REL_10BIT, 4, 0, "Judas"},
    {"Le.Fabuleux.Destin.d.Amelie.Poulain.2001.TRUEFRENCH.1080p.BluRay.x264-LOST",
     "Le Fabuleux Destin d Amelie Poulain", 2001, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0,
     0, 0, "fr", 0, 0, 0, "LOST"},
    {"Intouchables.2011.FRENCH.720p.BluRay.x264.AC3-ULSHD", "Intouchables", 2011, DISC_Q_HD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_AC3, 0, 0, "fr", 0, 0, 0, "ULSHD"},
    {"Der.Untergang.2004.GERMAN.DL.1080p.BluRay.x264-DETAiLS", "Der Untergang", 2004, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "de", 0, 0, 0, "DETAiLS"},
    {"La.Casa.de.Papel.S01E01.SPANiSH.1080p.NF.WEB-DL.DD5.1.x264-NTb", "La Casa de Papel", 0,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, DISC_AUDIO_AC3, 6, 0, "es", 0, 1, 1, "NTb"},
    {"Movie.2020.MULTi.VFF.2160p.UHD.BluRay.REMUX.HDR.HEVC.DTS-HD.MA.5.1-GROUP", "Movie", 2020,
     DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX, DISC_AUDIO_DTS_HDMA, 6, DISC_HDR_HDR, "fr",
     DISC_REL_REMUX | DISC_REL_MULTI, 0, 0, "GROUP"},
    {"Movie.2020.MULTi.1080p.BluRay.x264.AC3-GROUP", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_AC3, 0, 0, "", DISC_REL_MULTI, 0, 0, "GROUP"},
    {"Train.to.Busan.2016.KOREAN.1080p.BluRay.x264.DTS-FGT", "Train to Busan", 2016, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_DTS, 0, 0, "ko", 0, 0, 0, "FGT"},
    {"Movie.2019.iTALiAN.AC3.DVDRip.XviD-T4P3", "Movie", 2019, DISC_Q_SD, DISC_CODEC_XVID,
     DISC_SRC_DVD, DISC_AUDIO_AC3, 0, 0, "it", 0, 0, 0, "T4P3"},
    {"Avatar.2009.3D.HSBS.1080p.BluRay.x264-YIFY", "Avatar", 2009, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_3D, 0, 0, "YIFY"},
    {"Avatar 2009 1080p 3D Half-SBS BluRay DTS x264", "Avatar", 2009, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS, 0, 0, "", DISC_REL_3D, 0, 0, ""},
    {"Gravity.2013.3D.1080p.BluRay.Half-OU.DTS.x264-HDMaNiAcS", "Gravity", 2013, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_DTS, 0, 0, "", DISC_REL_3D, 0, 0, "HDMaNiAcS"},
    {"Step.Up.3D.2010.1080p.BluRay.x264-CiNEFiLE", "Step Up 3D", 2010, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "CiNEFiLE"},
    {"Movie.2019.REPACK.1080p.BluRay.x264-GROUP", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_REPACK, 0, 0, "GROUP"},
    {"Movie.2019.PROPER.720p.WEB.H264-GROUP", "Movie", 2019, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "", DISC_REL_PROPER, 0, 0, "GROUP"},
    {"Movie.2019.1080p.WEB.H264-GROUP", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     0, 0, 0, "", 0, 0, 0, "GROUP"},
    {"Movie 2019 1080p WEB-DL H.265 HEVC 10-bit AAC 5.1", "Movie", 2019, DISC_Q_FHD,
     DISC_CODEC_X265_10BIT, DISC_SRC_WEBDL, DISC_AUDIO_AAC, 6, 0, "", DISC_REL_10BIT, 0, 0, ""},
    {"Movie.2019.1080p.WEBRip.x265-RARBG", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X265,
     DISC_SRC_WEBRIP, 0, 0, 0, "", 0, 0, 0, "RARBG"},
    {"Movie.2019.720p.HDRip.x264.AC3-EVO", "Movie", 2019, DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_HDTV,
     DISC_AUDIO_AC3, 0, 0, "", 0, 0, 0, "EVO"},
    {"Movie.2019.DVDRip.x264-GROUP", "Movie", 2019, DISC_Q_SD, DISC_CODEC_X264, DISC_SRC_DVD, 0, 0,
     0, "", 0, 0, 0, "GROUP"},
    {"Movie (1994) DVD5 NTSC", "Movie", 1994, DISC_Q_SD, DISC_CODEC_UNKNOWN, DISC_SRC_DVD, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"The.Movie.1999.480p.DVDRip.XviD.AC3", "The Movie", 1999, DISC_Q_SD, DISC_CODEC_XVID,
     DISC_SRC_DVD, DISC_AUDIO_AC3, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2021.1080p.BluRay.DDP.7.1.x264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_EAC3, 8, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.WEB-DL.DD+5.1.H.264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.2160p.WEB-DL.DV.HDR.DDP5.1.Atmos.H.265-GROUP", "Movie", 2021, DISC_Q_4K,
     DISC_CODEC_X265, DISC_SRC_WEBDL, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6,
     DISC_HDR_HDR | DISC_HDR_DV, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.2160p.WEB-DL.DoVi.DDP5.1.H.265-GROUP", "Movie", 2021, DISC_Q_4K, DISC_CODEC_X265,
     DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, DISC_HDR_DV, "", 0, 0, 0, "GROUP"},
    {"Movie 2021 2160p Dolby Vision HDR10+ WEB-DL", "Movie", 2021, DISC_Q_4K, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, DISC_HDR_HDR10P | DISC_HDR_DV, "", 0, 0, 0, ""},
    {"Movie.2021.1080p.BluRay.FLAC.2.0.x264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_FLAC, 2, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.LPCM.2.0.AVC.REMUX-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_REMUX, DISC_AUDIO_PCM, 2, 0, "", DISC_REL_REMUX, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.Opus.5.1.AV1-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_AV1,
     DISC_SRC_BLURAY, DISC_AUDIO_OPUS, 6, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.WEB-DL.E-AC3.H264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 0, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.720p.WEB-DL.AAC2.0.H.264-GROUP", "Movie", 2021, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_AAC, 2, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.DTS-X.7.1.x264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS_X, 8, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.DTS-ES.6.1.x264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS, 7, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.Hi10P.FLAC-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264_10BIT,
     DISC_SRC_BLURAY, DISC_AUDIO_FLAC, 0, 0, "", DISC_REL_10BIT, 0, 0, "GROUP"},
    {"Movie.2021.4320p.8K.WEB.AV1-GROUP", "Movie", 2021, DISC_Q_8K, DISC_CODEC_AV1, DISC_SRC_WEBDL,
     0, 0, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1440p.WEB-DL.VP9-GROUP", "Movie", 2021, DISC_Q_2K, DISC_CODEC_VP9, DISC_SRC_WEBDL,
     0, 0, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080i.HDTV.MPEG2.AC3-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_MPEG2,
     DISC_SRC_HDTV, DISC_AUDIO_AC3, 0, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.VC-1.DTS-HD.MA-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_VC1,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 0, 0, "", 0, 0, 0, "GROUP"},
    {"Movie 2021 576p BluRay x264", "Movie", 2021, DISC_Q_SD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Movie.2021.HDTV.XviD-AFG", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_HDTV, 0,
     0, 0, "", 0, 0, 0, "AFG"},
    {"Movie.2021.Multi.2160p.WEB.H265-TFA", "Movie", 2021, DISC_Q_4K, DISC_CODEC_X265,
     DISC_SRC_WEBDL, 0, 0, 0, "", DISC_REL_MULTI, 0, 0, "TFA"},
    {"Movie.2021.DUAL.1080p.BluRay.x264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_DUAL, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.Hindi.Tamil.Telugu.English.x264", "Movie", 2021, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "en hi ta te", 0, 0, 0, ""},
    {"Movie.2021.1080p.WEBRip.x264.AAC-[YTS.MX]", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBRIP, DISC_AUDIO_AAC, 0, 0, "", 0, 0, 0, "YTS.MX"},
    {"Movie.2021.1080p.WEBRip.x264-RARBG[TGx]", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBRIP, 0, 0, 0, "", 0, 0, 0, "RARBG"},
    {"Movie.2021.EXTENDED.1080p.BluRay.x264-GROUP", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_EXTENDED, 0, 0, "GROUP"},
    {"Movie.2021.1080p.BluRay.x264.ENG.FRE.SUBS.ITA.GER-GROUP", "Movie", 2021, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "en", 0, 0, 0, "GROUP"},
    {"Movie 2021 1080p Ultra HD BluRay", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie 2021 Full HD 1080", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Movie 2021 HD 720", "Movie", 2021, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2021.1920x1080.WEB-DL", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL,
     0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2021.BDRip.720p", "Movie", 2021, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2021.BRRip.XviD", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_BLURAY, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2021.Blu-ray.1080p.AVC.DTS-HD.MA.5.1", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 6, 0, "", 0, 0, 0, ""},
    {"Movie.2021.TELESYNC.x264", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_TS, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2021.TELECINE.XviD", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_TS, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2021.CAMRip.x264", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_CAM, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2021.PDVD.x264", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_TS, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2021.1080p.CAM.x264", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_CAM, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2021.HDRip.XviD", "Movie", 2021, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_HDTV, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2021.WEB-DLRip.720p", "Movie", 2021, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBRIP, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Movie.2021.AMZN.1080p.H264", "Movie", 2021, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Show.Name.S01E01E02.1080p.WEB.h264-GROUP", "Show Name", 0, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "", 0, 1, 1, "GROUP"},
    {"Show Name S02 1080p BluRay x265", "Show Name", 0, DISC_Q_FHD, DISC_CODEC_X265,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 2, 0, ""},
    {"Show.Name.Season.2.1080p.BluRay.x264", "Show Name", 0, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 2, 0, ""},
    {"Show Name Season2 Complete 720p", "Show Name", 0, DISC_Q_HD, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 2, 0, ""},
    {"Show.S01.E05.720p.WEB", "Show", 0, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL, 0, 0, 0, "",
     0, 1, 5, ""},
    {"Movie.Title.2019.720p.BluRay.x264.SiNNERS", "Movie Title", 2019, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie Title 2019 HDR 4K", "Movie Title", 2019, DISC_Q_4K, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, DISC_HDR_HDR, "", 0, 0, 0, ""},
    {"Movie", "Movie", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0,
     0, ""},
    {"2019", "2019", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 0,
     ""},
    {"1080p", "", 0, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 0, ""},
    {"[Group]", "[Group]", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0,
     0, 0, ""},
    {"[Group] Title", "Title", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "",
     0, 0, 0, "Group"},
    {"  Movie    2019  1080p  ", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Mr. Robot S01E01 720p HDTV", "Mr Robot", 0, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_HDTV, 0,
     0, 0, "", 0, 1, 1, ""},
    {"S.W.A.T.2017.S04E01.1080p.AMZN.WEB-DL.DDP5.1.H.264-NTb", "S W A T", 2017, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, 0, "", 0, 4, 1, "NTb"},
    {"Amélie (2001) 1080p BluRay x264 French", "Amélie", 2001, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "fr", 0, 0, 0, ""},
    {"Крепкий орешек 1988 BDRip 1080p", "Крепкий орешек", 1988, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie_Name_2019_1080p_BluRay_x264", "Movie Name", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2019.1080p.BluRay.x264.mkv", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2019.1080p.BluRay.x264-GROUP.mkv", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "GROUP"},
    {"www.Torrenting.com - Movie.2019.1080p.BluRay.x264", "Movie", 2019, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"[ www.Torrenting.com ] - Movie.2019.1080p.BluRay.x264-GRP", "Movie", 2019, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "GRP"},
    {"Movie.2019.NORDiC.1080p.WEB-DL.H.264.DD5.1-TWA", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_AC3, 6, 0, "", 0, 0, 0, "TWA"},
    {"Movie.2019.SWEDiSH.1080p.WEB.h264-GROUP", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "sv", 0, 0, 0, "GROUP"},
    {"Movie.2019.DANiSH.1080p.BluRay.x264-GROUP", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "da", 0, 0, 0, "GROUP"},
    {"Movie.2019.POLiSH.1080p.BluRay.x264-GROUP", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "pl", 0, 0, 0, "GROUP"},
    {"Movie.2019.PL.DUB.1080p.WEB-DL", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "pl", 0, 0, 0, ""},
    {"Movie.2019.RUS.BDRip.x264", "Movie", 2019, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_BLURAY,
     0, 0, 0, "ru", 0, 0, 0, ""},
    {"Movie.2019.CZ.dabing.1080p", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN,
     0, 0, 0, "cs", 0, 0, 0, ""},
    {"Movie 2019 1080p Latino Castellano Ingles", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, 0, "es", 0, 0, 0, ""},
    {"Movie (2019) [2160p] [4K] [WEB] [5.1] [YTS.MX]", "Movie", 2019, DISC_Q_4K, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 6, 0, "", 0, 0, 0, "YTS.MX"},
    {"Movie (2019) [1080p] [BluRay] [5.1] [YTS] [YIFY]", "Movie", 2019, DISC_Q_FHD,
     DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 6, 0, "", 0, 0, 0, "YIFY"},
    {"Movie.2019.1080p.10bit.BluRay.6CH.x265.HEVC-PSA", "Movie", 2019, DISC_Q_FHD,
     DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY, 0, 6, 0, "", DISC_REL_10BIT, 0, 0, "PSA"},
    {"Movie.2019.720p.BluRay.800MB.x264-GalaxyRG", "Movie", 2019, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "GalaxyRG"},
    {"Movie.2019.1080p.WEB-DL.x264.AAC.5.1-[MkvCage]", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_AAC, 6, 0, "", 0, 0, 0, "MkvCage"},
    /* TV and anime, YTS mirrors, classics, every language, codec, source and tag. */
    {"The.Mandalorian.S02E08.2160p.DSNP.WEB-DL.DDP5.1.Atmos.DV.HEVC-FLUX", "The Mandalorian", 0,
     DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, DISC_HDR_DV,
     "", 0, 2, 8, "FLUX"},
    {"House.of.the.Dragon.S01E01.1080p.HMAX.WEB-DL.DDP5.1.Atmos.H.264-CMRG", "House of the Dragon",
     0, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6, 0, "",
     0, 1, 1, "CMRG"},
    {"Stranger Things S04 COMPLETE 1080p NF WEBRip x265 10bit HEVC DDP5.1 Atmos", "Stranger Things",
     0, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_WEBRIP, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6,
     0, "", DISC_REL_10BIT, 4, 0, ""},
    {"Friends.S01-S10.1080p.BluRay.x265-RARBG", "Friends", 0, DISC_Q_FHD, DISC_CODEC_X265,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 1, 0, "RARBG"},
    {"Seinfeld 3x12 The Red Dot 480p DVDRip XviD", "Seinfeld", 0, DISC_Q_SD, DISC_CODEC_XVID,
     DISC_SRC_DVD, 0, 0, 0, "", 0, 3, 12, ""},
    {"Dark.S03.GERMAN.1080p.NF.WEBRip.DD5.1.x264-TVS", "Dark", 0, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBRIP, DISC_AUDIO_AC3, 6, 0, "de", 0, 3, 0, "TVS"},
    {"Lupin.S01E01.FRENCH.720p.WEB.H264-FRATERNiTY", "Lupin", 0, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "fr", 0, 1, 1, "FRATERNiTY"},
    {"The.Bear.S02.E04.1080p.WEB.h264-ETHEL", "The Bear", 0, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "", 0, 2, 4, "ETHEL"},
    {"Money.Heist.S05E10.SPANISH.2160p.NF.WEB-DL.DDP5.1.HDR.HEVC-TEPES", "Money Heist", 0,
     DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, DISC_HDR_HDR, "es", 0, 5, 10,
     "TEPES"},
    {"Squid.Game.S01.KOREAN.1080p.NF.WEBRip.DDP5.1.x264-NTb", "Squid Game", 0, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_WEBRIP, DISC_AUDIO_EAC3, 6, 0, "ko", 0, 1, 0, "NTb"},
    {"[HorribleSubs] One Piece - 1000 [1080p].mkv", "One Piece", 0, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 1000, "HorribleSubs"},
    {"[Erai-raws] Chainsaw Man - 12 [1080p][HEVC][Multiple Subtitle]", "Chainsaw Man", 0,
     DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 12, "Erai-raws"},
    {"[Coalgirls] Clannad (1920x1080 Blu-Ray FLAC) [ABCDEF12]", "Clannad", 0, DISC_Q_FHD,
     DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, DISC_AUDIO_FLAC, 0, 0, "", 0, 0, 0, "Coalgirls"},
    {"Parasite (2019) [1080p] [BluRay] [5.1] [YTS.MX]", "Parasite", 2019, DISC_Q_FHD,
     DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 6, 0, "", 0, 0, 0, "YTS.MX"},
    {"Joker (2019) [2160p] [4K] [WEB] [5.1] [YTS.MX]", "Joker", 2019, DISC_Q_4K, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 6, 0, "", 0, 0, 0, "YTS.MX"},
    {"Your Name. (2016) [720p] [BluRay] [YTS.MX]", "Your Name", 2016, DISC_Q_HD, DISC_CODEC_UNKNOWN,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "YTS.MX"},
    {"Alien (1979) [1080p] [BluRay] [YTS.LT]", "Alien", 1979, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "YTS.LT"},
    {"The Godfather (1972) [720p] [BluRay] [YTS.AG]", "The Godfather", 1972, DISC_Q_HD,
     DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, "YTS.AG"},
    {"Pulp.Fiction.1994.REMASTERED.1080p.BluRay.x264.DTS-HD.MA.5.1-FGT", "Pulp Fiction", 1994,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 6, 0, "",
     DISC_REL_REMASTERED, 0, 0, "FGT"},
    {"The.Dark.Knight.2008.IMAX.2160p.UHD.BluRay.x265.10bit.HDR.TrueHD.5.1-SWTYBLZ",
     "The Dark Knight", 2008, DISC_Q_4K, DISC_CODEC_X265_10BIT, DISC_SRC_BLURAY, DISC_AUDIO_TRUEHD,
     6, DISC_HDR_HDR, "", DISC_REL_IMAX | DISC_REL_10BIT, 0, 0, "SWTYBLZ"},
    {"Interstellar.2014.2160p.UHD.BluRay.REMUX.HDR.HEVC.DTS-HD.MA.5.1-FGT", "Interstellar", 2014,
     DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX, DISC_AUDIO_DTS_HDMA, 6, DISC_HDR_HDR, "",
     DISC_REL_REMUX, 0, 0, "FGT"},
    {"Spider-Man.No.Way.Home.2021.1080p.HDCAM.x264.AAC-HDCAM", "Spider-Man No Way Home", 2021,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_CAM, DISC_AUDIO_AAC, 0, 0, "", 0, 0, 0, ""},
    {"Spider-Man Across the Spider-Verse 2023 1080p WEBRip x265 10bit AAC5.1-LAMA",
     "Spider-Man Across the Spider-Verse", 2023, DISC_Q_FHD, DISC_CODEC_X265_10BIT, DISC_SRC_WEBRIP,
     DISC_AUDIO_AAC, 6, 0, "", DISC_REL_10BIT, 0, 0, "LAMA"},
    {"Top.Gun.Maverick.2022.2160p.WEB-DL.DDP5.1.Atmos.DV.HDR10.H.265-CMRG", "Top Gun Maverick",
     2022, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, DISC_AUDIO_EAC3 | DISC_AUDIO_ATMOS, 6,
     DISC_HDR_HDR10 | DISC_HDR_DV, "", 0, 0, 0, "CMRG"},
    {"John.Wick.Chapter.4.2023.1080p.TS.x264-RiSE", "John Wick Chapter 4", 2023, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_TS, 0, 0, 0, "", 0, 0, 0, "RiSE"},
    {"The.Batman.2022.720p.HDTS.x264.AAC-SUNSCREEN", "The Batman", 2022, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_TS, DISC_AUDIO_AAC, 0, 0, "", 0, 0, 0, "SUNSCREEN"},
    {"Avengers.Endgame.2019.TC.x264-PRiME", "Avengers Endgame", 2019, DISC_Q_UNKNOWN,
     DISC_CODEC_X264, DISC_SRC_TS, 0, 0, 0, "", 0, 0, 0, "PRiME"},
    {"Halloween.1978.1080p.BluRay.VC-1.LPCM.1.0-DON", "Halloween", 1978, DISC_Q_FHD, DISC_CODEC_VC1,
     DISC_SRC_BLURAY, DISC_AUDIO_PCM, 1, 0, "", 0, 0, 0, "DON"},
    {"Casablanca.1942.1080p.BluRay.FLAC.1.0.x264-DON", "Casablanca", 1942, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_FLAC, 1, 0, "", 0, 0, 0, "DON"},
    {"Metropolis.1927.RESTORED.480p.DVDRip.XviD", "Metropolis", 1927, DISC_Q_SD, DISC_CODEC_XVID,
     DISC_SRC_DVD, 0, 0, 0, "", 0, 0, 0, ""},
    {"Lawrence.of.Arabia.1962.Extended.Cut.1080p.BluRay.DTS.x264", "Lawrence of Arabia", 1962,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_DTS, 0, 0, "", DISC_REL_EXTENDED, 0,
     0, ""},
    {"Apocalypse.Now.1979.Final.Cut.REMASTERED.2160p.UHD.BluRay.x265-TERMiNAL", "Apocalypse Now",
     1979, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_REMASTERED, 0, 0,
     "TERMiNAL"},
    {"Amelie.2001.VFQ.1080p.BluRay.x264.AC3-GROUP", "Amelie", 2001, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_AC3, 0, 0, "fr", 0, 0, 0, "GROUP"},
    {"Les.Miserables.2019.FRENCH.WEBRip.x264-GROUP", "Les Miserables", 2019, DISC_Q_UNKNOWN,
     DISC_CODEC_X264, DISC_SRC_WEBRIP, 0, 0, 0, "fr", 0, 0, 0, "GROUP"},
    {"Das.Boot.1981.Directors.Cut.GERMAN.DL.720p.BluRay.x264-GROUP", "Das Boot", 1981, DISC_Q_HD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "de", 0, 0, 0, "GROUP"},
    {"Roma.2018.SPANISH.1080p.NF.WEBRip.DDP5.1.x264-NTG", "Roma", 2018, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBRIP, DISC_AUDIO_EAC3, 6, 0, "es", 0, 0, 0, "NTG"},
    {"Cinema.Paradiso.1988.ITALIAN.1080p.BluRay.x264.DTS-GROUP", "Cinema Paradiso", 1988,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_DTS, 0, 0, "it", 0, 0, 0, "GROUP"},
    {"City.of.God.2002.PORTUGUESE.1080p.BluRay.x264-GROUP", "City of God", 2002, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "pt", 0, 0, 0, "GROUP"},
    {"Movie.2020.PT-BR.1080p.WEB-DL.DUAL.5.1", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 6, 0, "pt", DISC_REL_DUAL, 0, 0, ""},
    {"Movie.2020.DUBLADO.720p.BluRay.x264", "Movie", 2020, DISC_Q_HD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "pt", 0, 0, 0, ""},
    {"Spirited.Away.2001.JAPANESE.1080p.BluRay.x264.DTS-HD.MA.5.1-FGT", "Spirited Away", 2001,
     DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 6, 0, "ja", 0, 0, 0, "FGT"},
    {"Crouching.Tiger.Hidden.Dragon.2000.CHINESE.1080p.BluRay.x264-GROUP",
     "Crouching Tiger Hidden Dragon", 2000, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0,
     "zh", 0, 0, 0, "GROUP"},
    {"Leviathan.2014.RUSSIAN.1080p.BluRay.x264-GROUP", "Leviathan", 2014, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "ru", 0, 0, 0, "GROUP"},
    {"RRR.2022.Hindi.1080p.NF.WEB-DL.DDP5.1.x264-GROUP", "RRR", 2022, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, 0, "hi", 0, 0, 0, "GROUP"},
    {"The.Hunt.2012.DANISH.1080p.BluRay.x264-GROUP", "The Hunt", 2012, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "da", 0, 0, 0, "GROUP"},
    {"Headhunters.2011.NORWEGIAN.1080p.BluRay.x264-GROUP", "Headhunters", 2011, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "no", 0, 0, 0, "GROUP"},
    {"Winter.Sleep.2014.TURKISH.1080p.BluRay.x264-GROUP", "Winter Sleep", 2014, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "tr", 0, 0, 0, "GROUP"},
    {"The.Salesman.2016.ARABIC.1080p.WEB-DL.x264-GROUP", "The Salesman", 2016, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0, 0, "ar", 0, 0, 0, "GROUP"},
    {"Movie.2020.Ukrainian.1080p.WEB-DL.H264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "uk", 0, 0, 0, ""},
    {"Movie.2020.Thai.720p.WEB-DL.AAC", "Movie", 2020, DISC_Q_HD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, DISC_AUDIO_AAC, 0, 0, "th", 0, 0, 0, ""},
    {"Movie.2020.HUNGARIAN.1080p.BluRay.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "hu", 0, 0, 0, ""},
    {"Movie.2020.Greek.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL,
     0, 0, 0, "el", 0, 0, 0, ""},
    {"Movie.2020.Hebrew.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "he", 0, 0, 0, ""},
    {"Movie.2020.Romanian.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "ro", 0, 0, 0, ""},
    {"Movie.2020.Vietnamese.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "vi", 0, 0, 0, ""},
    {"Movie.2020.Finnish.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "fi", 0, 0, 0, ""},
    {"Movie.2020.Czech.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL,
     0, 0, 0, "cs", 0, 0, 0, ""},
    {"Movie.2020.Slovak.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "sk", 0, 0, 0, ""},
    {"Movie.2020.Dutch.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL,
     0, 0, 0, "nl", 0, 0, 0, ""},
    {"Movie.2020.Swedish.1080p.WEB-DL", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "sv", 0, 0, 0, ""},
    {"Movie.2020.1080p.WEB-DL.ENG.SPA.Multi.Subs", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "en es", DISC_REL_MULTI, 0, 0, ""},
    {"Movie 2020 1080p BluRay x264 Dual Audio Hindi English", "Movie", 2020, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "en hi", DISC_REL_DUAL, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.x264.DTS-HD.MA.7.1-GROUP", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 8, 0, "", 0, 0, 0, "GROUP"},
    {"Movie.2020.1080p.BluRay.DTSHD.MA.5.1.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS_HDMA, 6, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.DTS-HD.HRA.7.1.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_DTS_HD, 8, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.TrueHD.Atmos.7.1.AVC.REMUX-FraMeSToR", "Movie", 2020, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_REMUX, DISC_AUDIO_TRUEHD | DISC_AUDIO_ATMOS, 8, 0, "",
     DISC_REL_REMUX, 0, 0, "FraMeSToR"},
    {"Movie.2020.1080p.BluRay.DD2.0.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_AC3, 2, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.DDP2.0.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_EAC3, 2, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.AAC.LC.2.0.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_AAC, 2, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.MP3.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, DISC_AUDIO_MP3, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.480p.DVDRip.DivX.MP3", "Movie", 2020, DISC_Q_SD, DISC_CODEC_MPEG4, DISC_SRC_DVD,
     DISC_AUDIO_MP3, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.DVD9.MPEG-2.AC3.5.1", "Movie", 2020, DISC_Q_SD, DISC_CODEC_MPEG2, DISC_SRC_DVD,
     DISC_AUDIO_AC3, 6, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.WEBRip.VP9.Opus", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_VP9, DISC_SRC_WEBRIP,
     DISC_AUDIO_OPUS, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.720p.WEBRip.VP8.Vorbis", "Movie", 2020, DISC_Q_HD, DISC_CODEC_VP8, DISC_SRC_WEBRIP,
     0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.AV1.10bit.WEB-DL.Opus.5.1", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_AV1_10BIT,
     DISC_SRC_WEBDL, DISC_AUDIO_OPUS, 6, 0, "", DISC_REL_10BIT, 0, 0, ""},
    {"Movie.2020.2160p.WEB-DL.HLG.H.265", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     0, 0, DISC_HDR_HLG, "", 0, 0, 0, ""},
    {"Movie.2020.2160p.BluRay.HDR10Plus.x265", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265,
     DISC_SRC_BLURAY, 0, 0, DISC_HDR_HDR10P, "", 0, 0, 0, ""},
    {"Movie.2020.2160p.WEB-DL.HDR.DV.x265", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265,
     DISC_SRC_WEBDL, 0, 0, DISC_HDR_HDR | DISC_HDR_DV, "", 0, 0, 0, ""},
    {"Movie.2020.2160p.WEB-DL.DV.x265", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     0, 0, DISC_HDR_DV, "", 0, 0, 0, ""},
    {"Movie.2020.2160p.WEB-DL.SDR.x265", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     0, 0, DISC_HDR_SDR, "", 0, 0, 0, ""},
    {"Movie.2020.3840x2160.WEB-DL.HEVC", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL,
     0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.7680x4320.AV1", "Movie", 2020, DISC_Q_8K, DISC_CODEC_AV1, DISC_SRC_UNKNOWN, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.360p.WEBRip", "Movie", 2020, DISC_Q_SD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBRIP, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.WEB-DL.REPACK2.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, 0, 0, 0, "", DISC_REL_REPACK, 0, 0, ""},
    {"Movie.2020.RERIP.1080p.WEB.H264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     0, 0, 0, "", DISC_REL_REPACK, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.3D.SBS.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_3D, 0, 0, ""},
    {"Movie.2020.1080p.BluRay.3D.HOU.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", DISC_REL_3D, 0, 0, ""},
    {"Movie.2020.1080p.Bluray3D.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY,
     0, 0, 0, "", DISC_REL_3D, 0, 0, ""},
    {"Movie.2020.UNCUT.1080p.BluRay.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.BDRemux.1080p", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_REMUX, 0,
     0, 0, "", DISC_REL_REMUX, 0, 0, ""},
    {"Movie.2020.1080p.UHD.BluRay.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.BD25.1080p.AVC", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie 2020 Blu Ray 720p", "Movie", 2020, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_BLURAY, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.WEB.Rip.720p", "Movie", 2020, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBRIP, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.DVD-R.PAL", "Movie", 2020, DISC_Q_SD, DISC_CODEC_UNKNOWN, DISC_SRC_DVD, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.HD-TS.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_TS, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.HD.CAM.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_CAM, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.CAM-Rip.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_CAM, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.SCR.XviD", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_SCR, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.BDSCR.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_SCR, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.HDTC.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_TS, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.WEBSCR.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_SCR, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.PDTV.XviD", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_HDTV, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.TVRip.XviD", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_HDTV, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.SATRip.XviD", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_HDTV, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.DSR.XviD", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_XVID, DISC_SRC_HDTV, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.HQCAM.x264", "Movie", 2020, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_CAM, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.NF.1080p.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.DSNP.1080p.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.ATVP.2160p.x265", "Movie", 2020, DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, 0, 0,
     0, "", 0, 0, 0, ""},
    {"Movie.2020.iTunes.1080p.x264", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.WEB-DL.x264.AC3.6ch", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_AC3, 6, 0, "", 0, 0, 0, ""},
    {"Movie.2020.1080p.WEB-DL.x264.8CH", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     0, 8, 0, "", 0, 0, 0, ""},
    {"Movie 2020 Telesync 720p", "Movie", 2020, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_TS, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.2160p.4K.WEB.x265.10bit.HDR10.DDP5.1-GROUP", "Movie", 2020, DISC_Q_4K,
     DISC_CODEC_X265_10BIT, DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, DISC_HDR_HDR10, "", DISC_REL_10BIT,
     0, 0, "GROUP"},
    {"Movie.2020.8K.WEB.AV1", "Movie", 2020, DISC_Q_8K, DISC_CODEC_AV1, DISC_SRC_WEBDL, 0, 0, 0, "",
     0, 0, 0, ""},
    {"Movie.2020.2K.WEB", "Movie", 2020, DISC_Q_2K, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL, 0, 0, 0, "",
     0, 0, 0, ""},
    {"Movie.2020.FHD.WEB", "Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN, DISC_SRC_WEBDL, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"The 2K Movie 2020 1080p", "The 2K Movie", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_UNKNOWN, 0, 0, 0, "", 0, 0, 0, ""},
    {"NBA 2K 2020 720p", "NBA 2K", 2020, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie.2020.SD.DVDRip", "Movie", 2020, DISC_Q_SD, DISC_CODEC_UNKNOWN, DISC_SRC_DVD, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Movie 2020 HD", "Movie", 2020, DISC_Q_HD, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0, 0, 0, "",
     0, 0, 0, ""},
    {"The.Italian.Job.1969.iTALiAN.1080p.BluRay.x264", "The Italian Job", 1969, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "it", 0, 0, 0, ""},
    {"English.Vinglish.2012.1080p.BluRay.x264", "English Vinglish", 2012, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"The.French.Dispatch.2021.1080p.WEBRip.x264", "The French Dispatch", 2021, DISC_Q_FHD,
     DISC_CODEC_X264, DISC_SRC_WEBRIP, 0, 0, 0, "", 0, 0, 0, ""},
    {"Opus.2025.1080p.WEB-DL.DDP5.1.H.264", "Opus", 2025, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_WEBDL, DISC_AUDIO_EAC3, 6, 0, "", 0, 0, 0, ""},
    {"Cam.2018.720p.WEB-DL.x264", "Cam", 2018, DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0, 0,
     "", 0, 0, 0, ""},
    {"Screener.2020.1080p.BluRay.x264", "Screener", 2020, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Dual.2022.1080p.WEBRip.x264", "Dual", 2022, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBRIP, 0,
     0, 0, "", 0, 0, 0, ""},
    {"The.Web.2021.HDTV.x264", "The Web", 2021, DISC_Q_UNKNOWN, DISC_CODEC_X264, DISC_SRC_HDTV, 0,
     0, 0, "", 0, 0, 0, ""},
    {"Extended.Family.2020.1080p.WEB", "Extended Family", 2020, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2019.1080p.BluRay.x264.English.Subs.French", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2019.VOSTFR.1080p.WEB.x264", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL,
     0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2019.SUBFRENCH.1080p.BluRay.x264", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_X264,
     DISC_SRC_BLURAY, 0, 0, 0, "", 0, 0, 0, ""},
    {"Movie.2019.1080p.WEB-DL.RUS.UKR.ENG", "Movie", 2019, DISC_Q_FHD, DISC_CODEC_UNKNOWN,
     DISC_SRC_WEBDL, 0, 0, 0, "en ru uk", 0, 0, 0, ""},
    /* File names: the extension is dropped. */
    {"fake_file_0.mkv", "fake file 0", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0,
     0, 0, "", 0, 0, 0, ""},
    {"fake_file_3.nfo", "fake file 3", 0, DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 0,
     0, 0, "", 0, 0, 0, ""},
};

static uint32_t s_langs(const char *codes)
{
    uint32_t set = 0;
    for (int l = 0; l < DISC_LANG_COUNT; l++) {
        const char *code = disc_lang_code((enum disc_lang)l);
        for (const char *p = codes; (p = strstr(p, code)) != NULL; p += 2)
            if ((p == codes || p[-1] == ' ') && (p[2] == '\0' || p[2] == ' '))
                set |= 1u << l;
    }
    return set;
}

static void test_table(void)
{
    char what[DISC_RELEASE_NAME_MAX + 64];
    for (size_t i = 0; i < CM_ARRAY_LEN(s_cases); i++) {
        const struct rcase *c = &s_cases[i];
        struct disc_release r;
        memset(&r, 0xa5, sizeof(r));
        int rc = disc_release_parse(c->name, &r);
#define WHAT(field) (snprintf(what, sizeof(what), "%s: " field, c->name), what)
        is_int(rc, 0, WHAT("parsed"));
        is_str(r.title, c->title, WHAT("title"));
        is_int(r.year, c->year, WHAT("year"));
        is_str(disc_quality_name(r.quality), disc_quality_name(c->quality), WHAT("quality"));
        is_str(disc_codec_name(r.codec), disc_codec_name(c->codec), WHAT("video codec"));
        is_str(disc_source_name(r.source), disc_source_name(c->source), WHAT("source"));
        is_int(r.audio, c->audio, WHAT("audio codecs"));
        is_int(r.channels, c->channels, WHAT("channels"));
        is_int(r.hdr, c->hdr, WHAT("hdr"));
        is_int(r.langs, s_langs(c->langs), WHAT("languages"));
        is_int(r.flags, c->flags, WHAT("flags"));
        is_int(r.season, c->season, WHAT("season"));
        is_int(r.episode, c->episode, WHAT("episode"));
        is_str(r.group, c->group, WHAT("group"));
#undef WHAT
    }
    ok(CM_ARRAY_LEN(s_cases) >= 150, "at least 150 names in the table");
}

/* Named facts that the table shows only in passing. */
static void test_rules(void)
{
    struct disc_release r;
    disc_release_parse("2001 A Space Odyssey 1968 1080p BluRay x264", &r);
    is_int(r.year, 1968, "the last year before the quality, not the title's 2001");
    is_str(r.title, "2001 A Space Odyssey", "the title keeps its number");
    disc_release_parse("1917.2019.1080p.BluRay.x264-GROUP", &r);
    is_int(r.year, 2019, "a year as the first word is the title");
    is_str(r.title, "1917", "so the title is 1917");
    disc_release_parse("1917 1080p BluRay", &r);
    is_int(r.year, 0, "a lone year-like first word is no year");
    disc_release_parse("Cam.2018.1080p.NF.WEBRip.DDP5.1.x264-NTG", &r);
    is_int(r.source, DISC_SRC_WEBRIP, "Cam as a title word is no CAM");
    disc_release_parse("Movie.2018.1080p.HDCAM.WEBRip.x264", &r);
    is_int(r.source, DISC_SRC_CAM, "a CAM term wins over a better source named too");
    disc_release_parse("Movie.2018.TS.HDCAM.x264", &r);
    is_int(r.source, DISC_SRC_CAM, "the worst of CAM and TS wins");
    disc_release_parse("Screener.2020.1080p.BluRay.x264", &r);
    is_int(r.source, DISC_SRC_BLURAY, "a strong term as the title's only word is the title");
    is_str(r.title, "Screener", "and stays in the title");
    disc_release_parse("The.Italian.Job.2003.1080p.BluRay.x264", &r);
    is_int(r.langs, 0, "a language word inside the title is no language");
    disc_release_parse("Movie.2003.iTALiAN.1080p.BluRay.x264", &r);
    is_int(r.langs, 1u << DISC_LANG_IT, "iTALiAN after the year is Italian");
    disc_release_parse("Movie.2003.1080p.iT.WEB-DL.x264", &r);
    is_int(r.langs, 0, "iT is iTunes, not Italian");
    disc_release_parse("Movie.2003.1080p.UHD.BluRay.x264", &r);
    is_int(r.quality, DISC_Q_FHD, "1080p beats the UHD of the disc it came from");
    disc_release_parse("Movie 2003 HD 1080", &r);
    is_int(r.quality, DISC_Q_FHD, "a bare 1080 beats a bare HD");
    disc_release_parse("Movie 2003 HD", &r);
    is_int(r.quality, DISC_Q_HD, "a bare HD after the year is HD");
    disc_release_parse("HD Movie", &r);
    is_int(r.quality, DISC_Q_UNKNOWN, "HD without a year or a strong term is the title");
    disc_release_parse("Movie.2003.DVDRip.XviD", &r);
    is_int(r.quality, DISC_Q_SD, "a DVD without a resolution is SD");
    disc_release_parse("Movie.2003.1080p.BluRay.HEVC.10bit", &r);
    is_int(r.codec, DISC_CODEC_X265_10BIT, "10bit after the codec promotes it");
    disc_release_parse("Movie.2003.1080p.10bit.BluRay.x265", &r);
    is_int(r.codec, DISC_CODEC_X265_10BIT, "10bit before the codec promotes it");
    disc_release_parse("Movie.2003.1080p.BluRay.VP9.10bit", &r);
    is_int(r.codec, DISC_CODEC_VP9, "VP9 has no 10-bit variant");
    ok(r.flags & DISC_REL_10BIT, "but the flag says 10-bit");
    disc_release_parse("Movie.2003.1080p.BluRay.DTS-ES.x264", &r);
    is_int(r.langs, 0, "the ES of DTS-ES is no Spanish");
    disc_release_parse("Movie.2003.1080p.BluRay.x264-HD", &r);
    is_str(r.group, "", "a term after the dash is no group");
    disc_release_parse("Spider-Man", &r);
    is_str(r.group, "", "a dash in a bare title is no group");
    is_str(r.title, "Spider-Man", "and the title keeps it");
    disc_release_parse("Movie 2019 1080p BluRay x264 [YTS] [5.1]", &r);
    is_str(r.group, "", "a trailing [tag] holding a term is no group");
    disc_release_parse("Movie.2019.1080p.BluRay.x264-GRP[rarbg]", &r);
    is_str(r.group, "GRP", "the dash group beats the trailing tag");
    disc_release_parse("Show.S01E02E03.720p.HDTV.x264", &r);
    ok(r.season == 1 && r.episode == 2, "a multi-episode term gives its first episode");
    disc_release_parse("Show.S100E01.720p", &r);
    is_int(r.season, 0, "a 3-digit season is past the cap");
    disc_release_parse("Show.S01E12345.720p", &r);
    is_int(r.episode, 0, "a 5-digit episode is no episode");
    disc_release_parse("Movie.2019.1920x800.x264", &r);
    is_int(r.quality, DISC_Q_FHD, "a cinema crop's width says FHD");
    disc_release_parse("Movie.2019.2100.1080p", &r);
    is_int(r.year, 2019, "2100 is past the years read");
    disc_release_parse("Movie.1899.1080p", &r);
    is_int(r.year, 0, "1899 is before the years read");
    disc_release_parse("Movie (2019) 1080p WEB-DL HDR+ DV", &r);
    is_int(r.hdr, DISC_HDR_HDR10P | DISC_HDR_DV, "HDR+ is HDR10+");
    disc_release_parse("Movie (2019) DV", &r);
    is_int(r.hdr, DISC_HDR_DV, "a weak DV after the year counts");
    disc_release_parse("DV Movie", &r);
    is_int(r.hdr, 0, "DV in a bare title does not");
}

static void test_caps(void)
{
    struct disc_release r;
    is_int(disc_release_parse(NULL, &r), -1, "NULL name");
    is_str(r.title, "", "leaves a cleared result");
    is_int(disc_release_parse("x", NULL), -1, "NULL result");
    is_int(disc_release_parse("", &r), 0, "an empty name parses");
    ok(r.title[0] == '\0' && r.quality == DISC_Q_UNKNOWN && r.year == 0, "to nothing");

    /* Only the first DISC_RELEASE_NAME_MAX bytes are read: a term past them is unseen. */
    char big[DISC_RELEASE_NAME_MAX + 64];
    memset(big, 'a', sizeof(big));
    memcpy(big, "Movie.2019.", 11);
    memcpy(big + DISC_RELEASE_NAME_MAX, ".2160p.x265", 11);
    big[DISC_RELEASE_NAME_MAX + 11] = '\0';
    disc_release_parse(big, &r);
    is_int(r.quality, DISC_Q_UNKNOWN, "a term past 512 bytes is not read");
    is_int(r.year, 2019, "the year before it is");
    memcpy(big + DISC_RELEASE_NAME_MAX - 11, ".2160p.x265", 11);
    disc_release_parse(big, &r);
    is_int(r.quality, DISC_Q_4K, "a term ending at byte 512 is read");

    /* Exactly as long as its NUL: ASan catches a read past it. */
    static const char exact[] = "Movie.2019.1080p.BluRay.DTS-HD.MA.5.1";
    char *heap = cm_malloc(sizeof(exact));
    memcpy(heap, exact, sizeof(exact));
    disc_release_parse(heap, &r);
    is_int(r.channels, 6, "a name ending in a layout is read to its last byte");
    cm_free(heap);

    /* The title: capped between characters, valid UTF-8, no control bytes. */
    char lng[DISC_RELEASE_NAME_MAX + 1];
    size_t o = 0;
    while (o + 2 <= DISC_RELEASE_NAME_MAX - 16) {
        memcpy(lng + o, "\xc3\xa9", 2); /* é */
        o += 2;
    }
    memcpy(lng + o, " 2019 1080p", 12);
    disc_release_parse(lng, &r);
    size_t tl = strlen(r.title);
    ok(tl <= DISC_RELEASE_TITLE_MAX && tl >= DISC_RELEASE_TITLE_MAX - 1,
       "a long title is cut at the cap");
    ok(cm_utf8_valid(r.title, tl, false), "between characters");
    is_int(r.year, 2019, "and the rest is still read");
    disc_release_parse("Bad\xff\xfe Title\x01\x7f.2019.1080p", &r);
    is_str(r.title, "Bad Title", "invalid UTF-8 dropped, control bytes become spaces");
    disc_release_parse("  ..Movie__Name..  (2019)", &r);
    is_str(r.title, "Movie Name", "separators collapse and framing is trimmed");
    disc_release_parse("Amélie (2001) 1080p", &r);
    is_str(r.title, "Amélie", "UTF-8 in the title is kept");
    char grp[128];
    snprintf(grp, sizeof(grp), "Movie.2019.1080p.x264-%s", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456");
    disc_release_parse(grp, &r);
    is_str(r.group, "", "a group longer than the cap is dropped");
    snprintf(grp, sizeof(grp), "Movie.2019.1080p.x264-%s", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
    disc_release_parse(grp, &r);
    is_str(r.group, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "one at the cap is kept");
}

static void test_names(void)
{
    static const char *const q[] = {"", "SD", "HD", "FHD", "2K", "4K", "8K"};
    for (int i = 0; i < DISC_Q_COUNT; i++) {
        is_str(disc_quality_name((enum disc_quality)i), q[i], "quality name");
        is_int(disc_quality_from_name(q[i]), i, "and back");
    }
    is_str(disc_quality_name(DISC_Q_COUNT), "", "quality out of range");
    is_str(disc_quality_name((enum disc_quality) - 1), "", "negative quality");
    is_int(disc_quality_from_name("fhd"), DISC_Q_FHD, "any case");
    is_int(disc_quality_from_name("4k"), DISC_Q_4K, "any case (4k)");
    is_int(disc_quality_from_name("auto"), DISC_Q_UNKNOWN, "auto is no quality");
    is_int(disc_quality_from_name("1080p"), DISC_Q_UNKNOWN, "1080p is no quality name");
    is_int(disc_quality_from_name(NULL), DISC_Q_UNKNOWN, "NULL");

    static const char *const c[] = {"",      "x264",      "x264 10bit", "x265", "x265 10bit",
                                    "av1",   "av1 10bit", "vp9",        "vp8",  "xvid",
                                    "mpeg4", "mpeg2",     "vc1"};
    for (int i = 0; i < DISC_CODEC_COUNT; i++)
        is_str(disc_codec_name((enum disc_codec)i), c[i], "codec name");
    is_str(disc_codec_name(DISC_CODEC_COUNT), "", "codec out of range");

    static const char *const s[] = {"",     "cam",    "ts",    "scr",    "dvd",
                                    "hdtv", "webrip", "webdl", "bluray", "remux"};
    for (int i = 0; i < DISC_SRC_COUNT; i++)
        is_str(disc_source_name((enum disc_source)i), s[i], "source name");
    is_str(disc_source_name(DISC_SRC_COUNT), "", "source out of range");

    static const char *const a[] = {"aac",       "ac3",   "eac3",   "dts",   "dts-hd",
                                    "dts-hd ma", "dts:x", "truehd", "atmos", "flac",
                                    "mp3",       "opus",  "pcm"};
    for (size_t i = 0; i < CM_ARRAY_LEN(a); i++)
        is_str(disc_audio_name(1u << i), a[i], "audio name");
    is_str(disc_audio_name(DISC_AUDIO_AAC | DISC_AUDIO_AC3), "", "two bits have no name");
    is_str(disc_audio_name(0), "", "no bit has no name");
    is_str(disc_audio_name(1u << 20), "", "an unknown bit has no name");

    static const char *const h[] = {"hdr", "hdr10", "hdr10+", "dv", "hlg", "sdr"};
    for (size_t i = 0; i < CM_ARRAY_LEN(h); i++)
        is_str(disc_hdr_name(1u << i), h[i], "hdr name");
    is_str(disc_hdr_name(DISC_HDR_DV | DISC_HDR_HDR10), "", "two HDR bits have no name");

    is_str(disc_lang_code(DISC_LANG_EN), "en", "English is en");
    is_str(disc_lang_code(DISC_LANG_KO), "ko", "Korean is ko");
    is_str(disc_lang_code(DISC_LANG_TE), "te", "Telugu is te");
    is_str(disc_lang_code(DISC_LANG_COUNT), "", "language out of range");
    ok(DISC_LANG_COUNT <= 32, "the languages fit a uint32_t");
    for (int i = 0; i < DISC_LANG_COUNT; i++)
        ok(strlen(disc_lang_code((enum disc_lang)i)) == 2, "every code has two letters");
}

/* --- Score --- */

#define NOW 1700000000LL
#define DAY 86400LL
#define MB (1000ULL * 1000ULL)
#define GB (1000ULL * MB)

static struct disc_score_in s_src(enum disc_quality q, enum disc_codec c, enum disc_source s,
                                  uint32_t seeders, uint32_t leechers, uint64_t size)
{
    struct disc_score_in in = {
        .quality = q,
        .codec = c,
        .source = s,
        .seeders = seeders,
        .leechers = leechers,
        .size = size,
        .runtime_min = 120,
        .uploaded = NOW - 100 * DAY,
        .now = NOW,
    };
    return in;
}

static bool s_beats(struct disc_score_in a, struct disc_score_in b)
{
    int sa = disc_score(&a), sb = disc_score(&b);
    if (sa <= sb)
        diag("score %d, not above %d", sa, sb);
    return sa > sb;
}

static void test_score_bands(void)
{
    struct disc_score_in web1 = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 1, 50, 2 * GB);
    struct disc_score_in cam = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_CAM, 50000, 0, 2 * GB);
    ok(s_beats(web1, cam), "a WEB-DL with 1 seeder beats a CAM with 50000 (CAM never wins)");
    struct disc_score_in bd = s_src(DISC_Q_HD, DISC_CODEC_XVID, DISC_SRC_BLURAY, 1, 0, 0);
    struct disc_score_in ts = s_src(DISC_Q_4K, DISC_CODEC_X264, DISC_SRC_TS, 9000, 0, 8 * GB);
    ok(s_beats(bd, ts), "a poor BluRay with peers beats the best TS");
    struct disc_score_in scr = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_SCR, 900, 0, 2 * GB);
    struct disc_score_in hdtv = s_src(DISC_Q_SD, DISC_CODEC_MPEG2, DISC_SRC_HDTV, 2, 9, 0);
    ok(s_beats(hdtv, scr), "an SD HDTV with peers beats a screener");
    struct disc_score_in remux0 = s_src(DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_REMUX, 0, 0, 60 * GB);
    struct disc_score_in dvd1 = s_src(DISC_Q_SD, DISC_CODEC_XVID, DISC_SRC_DVD, 1, 0, 700 * MB);
    ok(s_beats(dvd1, remux0), "any source with a seeder beats one with none (SD vs 4K REMUX)");
    struct disc_score_in cam1 = cam;
    cam1.seeders = 1;
    struct disc_score_in bd0 = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 40, 2 * GB);
    ok(s_beats(cam1, bd0), "even a CAM with a seeder beats a BluRay with none");
    struct disc_score_in cam0 = cam;
    cam0.seeders = 0;
    ok(s_beats(bd0, cam0), "without seeders a BluRay still beats a CAM");
    struct disc_score_in three =
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 800, 0, 2 * GB);
    three.three_d = true;
    struct disc_score_in flat = s_src(DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_WEBRIP, 2, 0, GB);
    ok(s_beats(flat, three), "a 2D source with peers beats a 3D one (browsers show both eyes)");
    ok(s_beats(three, bd0), "a 3D source with peers beats a 2D one without");

    /* The bands' edges. */
    struct disc_score_in best =
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, UINT32_MAX, 0, 2 * GB);
    best.uploaded = NOW;
    ok(disc_score(&best) <= DISC_SCORE_MAX && disc_score(&best) > 9000,
       "the best source is near the top and within it");
    struct disc_score_in zero;
    memset(&zero, 0, sizeof(zero));
    ok(disc_score(&zero) >= 1000 && disc_score(&zero) < 2000,
       "an all-unknown source without seeders is in the unseeded band");
    struct disc_score_in bad = cam0;
    bad.size = 1;
    bad.uploaded = 1;
    ok(disc_score(&bad) >= 0 && disc_score(&bad) < 1000, "the worst CAM is in the lowest band");
    struct disc_score_in odd = best;
    odd.quality = (enum disc_quality)99;
    odd.codec = (enum disc_codec) - 5;
    odd.source = (enum disc_source)1000;
    ok(disc_score(&odd) >= 5000 && disc_score(&odd) <= DISC_SCORE_MAX,
       "out-of-range enums count as unknown");
    is_int(disc_score(NULL), 0, "NULL scores 0");
    is_int(disc_score(&web1), disc_score(&web1), "the same input gives the same score");
}

static void test_score_ranking(void)
{
    struct disc_score_in a, b;
    a = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 100, 10, 2 * GB);
    b = a;
    b.seeders = 10;
    ok(s_beats(a, b), "100 seeders beat 10");
    b.seeders = 1000;
    ok(s_beats(b, a), "1000 seeders beat 100");
    {
        struct disc_score_in s1 = a, s2 = a, s10 = a, s11 = a;
        s1.seeders = 1;
        s2.seeders = 2;
        s10.seeders = 1000;
        s11.seeders = 1001;
        s1.leechers = s2.leechers = s10.leechers = s11.leechers = 0;
        ok(disc_score(&s2) - disc_score(&s1) > disc_score(&s11) - disc_score(&s10),
           "seeders have diminishing returns (1 -> 2 gains more than 1000 -> 1001)");
    }
    a = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 50, 0, 2 * GB);
    b = a;
    b.leechers = 500;
    ok(s_beats(a, b), "the same seeders with fewer leechers win (ratio)");

    a = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 20, 5, 2 * GB);
    b = s_src(DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_BLURAY, 500, 5, GB);
    ok(s_beats(a, b), "1080p with 20 seeders beats 720p with 500");
    a.seeders = 3;
    ok(s_beats(b, a), "720p with 500 seeders beats 1080p with 3");

    a = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 60, 5, 2 * GB);
    b = a;
    b.codec = DISC_CODEC_X265;
    ok(s_beats(a, b), "x264 beats x265 at equal quality (browsers decode H.264 everywhere)");
    b.codec = DISC_CODEC_AV1;
    struct disc_score_in h = a;
    h.codec = DISC_CODEC_X265;
    ok(s_beats(b, h), "AV1 beats x265");
    b.codec = DISC_CODEC_VP9;
    ok(s_beats(b, h), "VP9 beats x265");
    b.codec = DISC_CODEC_X264_10BIT;
    ok(s_beats(h, b), "x265 beats Hi10P x264 (no hardware decoder)");
    b.codec = DISC_CODEC_XVID;
    ok(s_beats(h, b), "x265 beats XviD");
    b.codec = DISC_CODEC_UNKNOWN;
    ok(s_beats(a, b), "a known x264 beats an unknown codec");

    a = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 40, 5, 2 * GB);
    b = a;
    b.quality = DISC_Q_HD;
    b.size = GB;
    ok(s_beats(a, b), "FHD beats HD, other things equal");
    b.quality = DISC_Q_SD;
    b.size = 700 * MB;
    ok(s_beats(a, b), "FHD beats SD");
    b = s_src(DISC_Q_4K, DISC_CODEC_X264, DISC_SRC_BLURAY, 40, 5, 12 * GB);
    ok(s_beats(a, b), "FHD tops auto over an equal 4K (plays everywhere, swarm keeps up)");
    b.seeders = 400;
    ok(s_beats(b, a), "but a 4K with many more seeders wins");
    struct disc_score_in hd = s_src(DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_BLURAY, 40, 5, GB);
    b.seeders = 40;
    ok(s_beats(b, hd), "4K beats HD");
    struct disc_score_in k8 = s_src(DISC_Q_8K, DISC_CODEC_AV1, DISC_SRC_WEBDL, 40, 5, 40 * GB);
    struct disc_score_in k4 = s_src(DISC_Q_4K, DISC_CODEC_AV1, DISC_SRC_WEBDL, 40, 5, 15 * GB);
    ok(s_beats(k4, k8), "4K beats 8K for streaming");

    a = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 40, 5, 2 * GB);
    b = a;
    b.source = DISC_SRC_WEBRIP;
    ok(s_beats(a, b), "BluRay beats WEBRip");
    struct disc_score_in w = a;
    w.source = DISC_SRC_WEBDL;
    ok(s_beats(w, b), "WEB-DL beats WEBRip");
    struct disc_score_in tv = a;
    tv.source = DISC_SRC_HDTV;
    ok(s_beats(b, tv), "WEBRip beats HDTV");
    struct disc_score_in dvd = a;
    dvd.source = DISC_SRC_DVD;
    ok(s_beats(tv, dvd), "HDTV beats DVD");
}

static void test_score_size_age_hdr(void)
{
    struct disc_score_in fake =
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 1000, 0, 200 * MB);
    struct disc_score_in real = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 20, 5, 2 * GB);
    ok(s_beats(real, fake), "a 120-min 1080p in 200 MB loses to a plausible one with fewer peers");
    struct disc_score_in k4small =
        s_src(DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, 300, 0, 700 * MB);
    struct disc_score_in k4 = s_src(DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, 30, 0, 8 * GB);
    ok(s_beats(k4, k4small), "a 4K in 700 MB is implausible");
    struct disc_score_in h265s =
        s_src(DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_BLURAY, 30, 0, 900 * MB);
    struct disc_score_in h265b = h265s, h264s = h265s, h264b = h265s;
    h265b.size = 4 * GB;
    h264s.codec = h264b.codec = DISC_CODEC_X264;
    h264b.size = 4 * GB;
    is_int(disc_score(&h265s), disc_score(&h265b), "x265 1080p in 900 MB is plausible");
    ok(s_beats(h264b, h264s), "x264 1080p in 900 MB is not quite (x265 needs less)");
    struct disc_score_in unknown = real;
    unknown.size = 0;
    ok(s_beats(real, unknown), "a plausible size beats an unknown one");
    struct disc_score_in tiny = real;
    tiny.size = 100 * MB;
    ok(s_beats(unknown, tiny), "an unknown size beats an implausible one");
    struct disc_score_in bloat = real;
    bloat.size = 60 * GB;
    struct disc_score_in big = real;
    big.size = 12 * GB;
    ok(s_beats(big, bloat), "a very bloated size is penalised for streaming");
    ok(disc_score(&big) - disc_score(&bloat) <= 60 * 5, "but only slightly");
    struct disc_score_in short_film = real;
    short_film.size = 300 * MB;
    short_film.runtime_min = 15;
    struct disc_score_in long_film = short_film;
    long_film.runtime_min = 180;
    ok(s_beats(short_film, long_film), "the runtime decides what size is plausible");
    struct disc_score_in no_runtime = short_film;
    no_runtime.runtime_min = 0;
    ok(disc_score(&no_runtime) < disc_score(&short_film), "an unknown runtime assumes 100 min");

    struct disc_score_in fresh = real, old = real, unknown_age = real, future = real;
    fresh.uploaded = NOW - 30 * DAY;
    old.uploaded = NOW - 6 * 365 * DAY;
    unknown_age.uploaded = 0;
    future.uploaded = NOW + 30 * DAY;
    ok(s_beats(fresh, old), "an older upload ranks lower");
    ok(disc_score(&fresh) - disc_score(&old) <= 25 * 5, "but only slightly (at most 125)");
    ok(s_beats(fresh, unknown_age) && s_beats(unknown_age, old),
       "an unknown age sits between new and old");
    is_int(disc_score(&future), disc_score(&fresh), "a future date counts as new");
    struct disc_score_in more = old;
    more.seeders = 200;
    ok(s_beats(more, fresh), "age never outweighs ten times the seeders");

    struct disc_score_in sdr = s_src(DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_WEBDL, 40, 5, 15 * GB);
    struct disc_score_in hdr10 = sdr, dvonly = sdr, dvhdr = sdr;
    hdr10.hdr = DISC_HDR_HDR10;
    dvonly.hdr = DISC_HDR_DV;
    dvhdr.hdr = DISC_HDR_DV | DISC_HDR_HDR10;
    sdr.hdr = DISC_HDR_SDR;
    ok(s_beats(sdr, hdr10), "SDR beats HDR10 (browsers tone-map poorly)");
    ok(s_beats(hdr10, dvonly), "HDR10 beats Dolby Vision alone (wrong colours in browsers)");
    is_int(disc_score(&dvhdr), disc_score(&hdr10), "DV with an HDR10 fallback is just HDR");
}

static void test_pick(void)
{
    is_int(disc_pick_auto(NULL, 0), -1, "auto: nothing to pick");
    struct disc_score_in one = s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0, 0);
    is_int(disc_pick_auto(&one, 0), -1, "auto: n = 0");
    is_int(disc_pick_auto(&one, 1), 0, "auto: a single source without seeders is picked");

    /* A YTS-like movie: 720p, 1080p, 2160p x265, 1080p x265 WEB. */
    struct disc_score_in yts[] = {
        s_src(DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_BLURAY, 300, 20, 1100 * MB),
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 500, 40, 2200 * MB),
        s_src(DISC_Q_4K, DISC_CODEC_X265, DISC_SRC_BLURAY, 80, 10, 5500 * MB),
        s_src(DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_WEBRIP, 200, 10, 1600 * MB),
    };
    is_int(disc_pick_auto(yts, CM_ARRAY_LEN(yts)), 1, "auto picks the 1080p x264 BluRay");
    is_int(disc_pick_quality(yts, CM_ARRAY_LEN(yts), DISC_Q_4K), 2, "4K picks the 2160p");
    is_int(disc_pick_quality(yts, CM_ARRAY_LEN(yts), DISC_Q_FHD), 1,
           "FHD picks the better of two 1080p");
    is_int(disc_pick_quality(yts, CM_ARRAY_LEN(yts), DISC_Q_HD), 0, "HD picks the 720p");
    is_int(disc_pick_quality(yts, CM_ARRAY_LEN(yts), DISC_Q_8K), -1, "no 8K: -1");
    is_int(disc_pick_quality(yts, CM_ARRAY_LEN(yts), DISC_Q_UNKNOWN), -1, "unknown: -1");
    is_int(disc_pick_quality(yts, CM_ARRAY_LEN(yts), (enum disc_quality)42), -1,
           "out of range: -1");
    is_int(disc_pick_quality(NULL, 3, DISC_Q_FHD), -1, "NULL: -1");

    /* A fresh release: CAMs and TSs swarm, one WEB-DL trickles. */
    struct disc_score_in fresh[] = {
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_CAM, 9000, 3000, 1500 * MB),
        s_src(DISC_Q_FHD, DISC_CODEC_X265, DISC_SRC_TS, 4000, 800, 1200 * MB),
        s_src(DISC_Q_HD, DISC_CODEC_X264, DISC_SRC_WEBDL, 3, 40, 1100 * MB),
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_WEBDL, 0, 0, 2 * GB),
    };
    is_int(disc_pick_auto(fresh, CM_ARRAY_LEN(fresh)), 2,
           "auto picks the WEB-DL with 3 seeders over CAMs with thousands");
    is_int(disc_pick_quality(fresh, CM_ARRAY_LEN(fresh), DISC_Q_FHD), 0,
           "an exact FHD request takes a CAM that plays over a WEB-DL nobody seeds");

    /* Nobody seeds: the best by score still. */
    struct disc_score_in dead[] = {
        s_src(DISC_Q_SD, DISC_CODEC_XVID, DISC_SRC_DVD, 0, 3, 700 * MB),
        s_src(DISC_Q_FHD, DISC_CODEC_X264, DISC_SRC_BLURAY, 0, 1, 2 * GB),
    };
    is_int(disc_pick_auto(dead, CM_ARRAY_LEN(dead)), 1, "without seeders, the best score");

    /* Equal sources: the first. */
    struct disc_score_in same[] = {yts[1], yts[1], yts[1]};
    is_int(disc_pick_auto(same, CM_ARRAY_LEN(same)), 0, "auto: the first of equals");
    is_int(disc_pick_quality(same, CM_ARRAY_LEN(same), DISC_Q_FHD), 0,
           "quality: the first of equals");

    /* From a parse. */
    struct disc_release r;
    struct disc_score_in in =
        s_src(DISC_Q_UNKNOWN, DISC_CODEC_UNKNOWN, DISC_SRC_UNKNOWN, 10, 1, 2 * GB);
    disc_release_parse("Avatar.2009.3D.HSBS.1080p.BluRay.x264-GRP", &r);
    disc_score_in_from_release(&in, &r);
    ok(in.quality == DISC_Q_FHD && in.codec == DISC_CODEC_X264 && in.source == DISC_SRC_BLURAY &&
           in.three_d && in.seeders == 10,
       "disc_score_in_from_release copies the name's fields and keeps the rest");
}

int main(void)
{
    test_table();
    test_rules();
    test_caps();
    test_names();
    test_score_bands();
    test_score_ranking();
    test_score_size_age_hdr();
    test_pick();
    return done_testing();
}
