/* SPDX-License-Identifier: MIT
 * strm_range: everything about answering a GET or HEAD for a byte resource of known size,
 * except the I/O: the Range header (RFC 9110 §14), If-Range (§13.1.5), Content-Range values,
 * multipart/byteranges framing and its exact length (§14.6), Content-Type by file extension and
 * a strong ETag. Pure functions: no I/O, no allocation, work linear in the header and bounded.
 * Used by the stream-proxy's /api/stream handler; any thread may call them.
 *
 * Range policy (security-and-reliability.md §2.3), applied by strm_range_parse():
 *  1. Syntax. Accepted, with SP/HTAB as OWS:
 *         OWS unit "=" OWS [spec] *( OWS "," OWS [spec] ) OWS
 *         spec = first OWS "-" OWS [last]  /  "-" OWS suffix
 *     `unit` is "bytes", case-insensitively, immediately followed by "=". Numbers are 1*DIGIT,
 *     leading zeros allowed, at most UINT64_MAX. Empty list elements are skipped (§5.6.1).
 *  2. NONE (ignore Range, serve 200 whole, as §14.2 allows): a NULL or blank header, another
 *     unit ("items=", "bytes =", "bytesx="), any syntax error anywhere in the set ("bytes=1",
 *     "bytes=-", "bytes=0x1-2", "bytes=0-1 2-3", a second "bytes="), a number that overflows
 *     uint64 ("bytes=18446744073709551616-"), a spec with last < first ("bytes=5-3"), a set
 *     with no spec ("bytes=", "bytes= , ,"), or more than STRM_RANGE_SPECS_MAX specs.
 *     nginx and Go answer 416 to syntax errors; we serve the whole resource instead, which a
 *     client that sent garbage can always use.
 *  3. Satisfiable specs: `first-last` and `first-` with first < size; `-suffix` with suffix > 0
 *     and size > 0. Others are dropped. None left -> UNSATISFIABLE (416, "bytes * /size"
 *     without the space). Size 0: every spec is unsatisfiable, so "bytes=0-" and "bytes=-5" are
 *     416 (RFC 9110 §14.1.1; Go and nginx answer 200 for an empty file instead).
 *  4. Clamping: last >= size -> size-1; suffix >= size -> the whole resource [0, size-1].
 *  5. Coalescing (§15.3.7.2, §17.15; the Apache Killer defence, CVE-2011-3192): the
 *     satisfiable ranges are ALWAYS sorted by first byte and merged where they overlap or touch
 *     (next.first <= cur.last + 1), so the parts never overlap, come in ascending order (not
 *     request order: a deliberate deviation from §15.3.7.2's SHOULD) and never add up to more
 *     than `size`. One range left -> ONE (206, single part); 2..STRM_RANGES_MAX -> MULTI (206,
 *     multipart/byteranges); more -> NONE (200 whole). So "bytes=0-,1-,2-,3-,4-" is ONE 206
 *     of the whole resource where Go and nginx send 200, and "bytes=0-9,10-19" is ONE 0-19.
 * The caller applies a plan only to GET and HEAD (Range on other methods is ignored, §14.2),
 * and only when strm_range_if_range() says so. */
#ifndef STRM_RANGE_H
#define STRM_RANGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    STRM_RANGES_MAX = 16,         /* disjoint ranges after coalescing; more -> NONE (200) */
    STRM_RANGE_SPECS_MAX = 64,    /* non-empty range-specs in one header; more -> NONE */
    STRM_CONTENT_RANGE_MAX = 72,  /* a Content-Range value with its NUL always fits in this */
    STRM_BOUNDARY_SIZE = 33,      /* 32 hex digits + NUL */
    STRM_ETAG_SIZE = 24,          /* '"' + 16 hex digits + '"' + NUL, with room to spare */
    STRM_MULTIPART_HEAD_MAX = 256 /* a part head fits when the content type is <= 100 bytes */
};

struct strm_range {
    uint64_t first; /* first byte, inclusive */
    uint64_t last;  /* last byte, inclusive; first <= last < size */
};

enum strm_range_kind {
    STRM_RANGE_NONE = 0,         /* no or ignored Range: 200 whole; n = 0 */
    STRM_RANGE_ONE = 1,          /* 206 single part; n = 1 */
    STRM_RANGE_MULTI = 2,        /* 206 multipart/byteranges; 2 <= n <= STRM_RANGES_MAX */
    STRM_RANGE_UNSATISFIABLE = 3 /* 416 with Content-Range "bytes * /size"; n = 0 */
};

struct strm_range_plan {
    int kind;                             /* enum strm_range_kind */
    size_t n;                             /* ranges in r[] */
    struct strm_range r[STRM_RANGES_MAX]; /* ascending, disjoint, non-adjacent */
};

/* --- Range and If-Range --- */

/* Parse a Range field value for a resource of `size` bytes under the policy above. `header`
 * is NUL-terminated or NULL (absent); borrowed. Fills *out completely and returns out->kind. */
int strm_range_parse(const char *header, uint64_t size, struct strm_range_plan *out);

/* The HTTP status for a plan's kind: 200, 206 or 416. */
int strm_range_status(int kind);

/* Bytes in one range. */
static inline uint64_t strm_range_length(const struct strm_range *r)
{
    return r->last - r->first + 1;
}

/* If-Range (RFC 9110 §13.1.5): true when the Range header should be honoured. True when
 * `if_range` is NULL (absent); when it is an entity-tag equal byte for byte to `etag` (the
 * quoted form we send, e.g. "\"0123456789abcdef\"") and both are strong (a W/ tag never
 * matches); or when it is an HTTP-date (IMF-fixdate, or the obsolete rfc850 and asctime forms;
 * case-sensitive) equal to `last_modified` to the second. False otherwise: an empty or
 * malformed value, a NULL `etag` for a tag, `last_modified` <= 0 (we have none) for a date.
 * An rfc850 two-digit year yy means 20yy when yy < 70, else 19yy. Arguments borrowed. */
bool strm_range_if_range(const char *if_range, const char *etag, int64_t last_modified);

/* --- Content-Range values, written like snprintf: NUL-terminated, cut to `size`; the return
 * is the length of the whole value (>= size means it was cut). STRM_CONTENT_RANGE_MAX always
 * suffices. --- */

/* "bytes first-last/total" for a 206 part. */
size_t strm_range_content_range(char *out, size_t size, const struct strm_range *r, uint64_t total);
/* "bytes * /total" (no space) for a 416. */
size_t strm_range_unsatisfied(char *out, size_t size, uint64_t total);

/* --- multipart/byteranges (RFC 9110 §14.6). The body is, for each range i of the plan,
 * part_head(i) followed by the range's bytes, then tail(); the response's Content-Type is
 * "multipart/byteranges; boundary=" + boundary. --- */

/* A fresh random boundary: 32 lower-case hex digits (128 bits from the CSPRNG, so the bytes of
 * a torrent cannot contain it by design) and a NUL. */
void strm_multipart_boundary(char out[STRM_BOUNDARY_SIZE]);

/* "\r\n--B\r\nContent-Type: T\r\nContent-Range: bytes a-b/total\r\n\r\n" into `out`, like
 * snprintf (returns the whole length; >= size means cut). `content_type` must be a header-safe
 * value such as strm_content_type()'s. Arguments borrowed. */
size_t strm_multipart_part_head(char *out, size_t size, const char *boundary,
                                const char *content_type, const struct strm_range *r,
                                uint64_t total);

/* The closing delimiter "\r\n--B--\r\n", like snprintf. */
size_t strm_multipart_tail(char *out, size_t size, const char *boundary);

/* The exact Content-Length of the multipart body for the plan's p->n ranges: every part head,
 * every range's bytes and the tail. Computed without formatting. Saturates at UINT64_MAX
 * (unreachable for sizes below 2^63). */
uint64_t strm_multipart_length(const struct strm_range_plan *p, const char *boundary,
                               const char *content_type, uint64_t total);

/* --- representation metadata --- */

/* Content-Type from a file name's extension (after the last '.' of the last '/' or '\\'
 * component), case-insensitive: video (mp4/m4v video/mp4, mkv video/x-matroska, webm, avi,
 * mov, ts/m2ts/mts video/mp2t, mpg/mpeg/vob video/mpeg, wmv, flv, ogv, 3gp), subtitles (srt
 * application/x-subrip, vtt text/vtt, ass/ssa text/x-ssa), audio (mp3 audio/mpeg, m4a
 * audio/mp4, flac, aac, ogg/oga/opus audio/ogg, wav, mka, ac3), images (jpg/jpeg, png, gif,
 * webp), txt/nfo text/plain; anything else, NULL included, application/octet-stream. Types a
 * browser would run (html, svg, xml, js, pdf) are octet-stream on purpose: torrent bytes are
 * hostile and served from our origin. Returns a static string. */
const char *strm_content_type(const char *name);

/* Whether the name has a video extension (the video/ types above), case-insensitive; for
 * picking the largest video file of a torrent. NULL -> false. */
bool strm_is_video(const char *name);

/* A strong ETag for an immutable (info-hash, file index, size) triple: '"' + the first 16 hex
 * digits of SHA-256 over a versioned encoding of the triple + '"'. The info-hash is compared
 * case-insensitively (hex or base32 text) and only its first 128 characters count; NULL is
 * the empty string. */
void strm_etag(char out[STRM_ETAG_SIZE], const char *info_hash, uint32_t file, uint64_t size);

#endif
