/* SPDX-License-Identifier: MIT
 * bt_bencode: iterative bencode decoder into a flat token array, accessors, and an encoder.
 *
 * The decoder keeps an explicit stack of open containers (bounded by depth_max) and appends
 * one token per value; a token's `next` is linked when its next sibling is created, so it
 * skips the whole subtree. Integers and string lengths are always held to the canonical form
 * (no leading zeros, no "-0"): real data never needs the other forms and every consumer is
 * simpler for it. Dictionary keys must be strings and unique in both modes; strict mode also
 * wants them sorted. In non-strict mode, a dictionary whose keys arrive out of order has its
 * keys sorted once at its 'e' to find duplicates (O(n log n), never O(n^2)).
 *
 * Nothing here recurses: bt_be_encode_canonical walks with an explicit stack as well. */
#include "cm.h"
#include "bt_bencode.h"

enum {
    BE_TOKS_INIT = 64,      /* first token array allocation */
    BE_STACK_INIT = 16,     /* first container stack allocation */
    BE_INT_DIGITS_MAX = 19, /* INT64_MAX has 19 digits */
    BE_LEN_DIGITS_MAX = 10, /* string lengths fit uint32 */
};

/* One open container while decoding. */
struct be_open {
    uint32_t tok;      /* its token */
    uint32_t last;     /* last child token, or BT_BE_NIL */
    uint32_t last_key; /* DICT: last key token, or BT_BE_NIL */
    uint32_t count;    /* LIST: elements; DICT: complete pairs */
    bool dict;
    bool want_value; /* DICT: a key was read, its value comes next */
    bool unsorted;   /* DICT: some key arrived out of order (non-strict) */
};

/* A key for sorting: bytes and the key's token. */
struct be_key {
    const uint8_t *p;
    uint32_t len;
    uint32_t tok;
};

/* Bytewise order of two strings, shorter first on a common prefix. */
static int s_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, CM_MIN(alen, blen));
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int s_key_qsort(const void *x, const void *y)
{
    const struct be_key *a = x, *b = y;
    return s_keycmp(a->p, a->len, b->p, b->len);
}

/* Collect the keys of dict token `d` (count pairs) sorted. Caller owns *out (cm_free). */
static struct be_key *s_sorted_keys(const bt_be_t *be, uint32_t d)
{
    uint32_t n = be->toks[d].count;
    struct be_key *keys = cm_malloc((size_t)(n ? n : 1) * sizeof(*keys));
    uint32_t k = n ? d + 1 : BT_BE_NIL;
    for (uint32_t i = 0; i < n && k != BT_BE_NIL; i++) {
        keys[i].p = be->buf + be->toks[k].sdata;
        keys[i].len = be->toks[k].count;
        keys[i].tok = k;
        k = be->toks[k + 1].next; /* the value follows its key directly */
    }
    qsort(keys, n, sizeof(*keys), s_key_qsort);
    return keys;
}

/* Index of the first key of dict `d` that repeats a key, or BT_BE_NIL. */
static uint32_t s_find_dup(const bt_be_t *be, uint32_t d)
{
    uint32_t n = be->toks[d].count, dup = BT_BE_NIL;
    if (n < 2)
        return BT_BE_NIL;
    struct be_key *keys = s_sorted_keys(be, d);
    for (uint32_t i = 1; i < n; i++)
        if (s_keycmp(keys[i - 1].p, keys[i - 1].len, keys[i].p, keys[i].len) == 0) {
            dup = CM_MAX(keys[i - 1].tok, keys[i].tok);
            break;
        }
    cm_free(keys);
    return dup;
}

/* Append a token; -1 over the cap. */
static int s_new_tok(bt_be_t *be, uint32_t tokens_max, uint32_t *idx)
{
    if (be->ntoks >= tokens_max)
        return -1;
    if (be->ntoks == be->cap) {
        uint32_t cap = be->cap ? be->cap : BE_TOKS_INIT / 2;
        cap = cap > tokens_max / 2 ? tokens_max : cap * 2;
        be->toks = cm_realloc(be->toks, (size_t)cap * sizeof(*be->toks));
        be->cap = cap;
    }
    *idx = be->ntoks++;
    memset(&be->toks[*idx], 0, sizeof(be->toks[*idx]));
    be->toks[*idx].next = BT_BE_NIL;
    return 0;
}

/* Parse "i...e" at pos into tok; advances *pos. 0 or -1 with err. */
static int s_parse_int(const uint8_t *buf, size_t len, size_t *pos, struct bt_be_tok *tok,
                       char *err, size_t errlen)
{
    size_t at = *pos, p = at + 1;
    bool neg = false;
    if (p < len && buf[p] == '-') {
        neg = true;
        p++;
    }
    size_t d0 = p;
    uint64_t v = 0;
    while (p < len && buf[p] >= '0' && buf[p] <= '9') {
        if (p - d0 >= BE_INT_DIGITS_MAX) {
            cm_errf(err, errlen, "integer with more than %d digits at offset %zu",
                    BE_INT_DIGITS_MAX, at);
            return -1;
        }
        v = v * 10 + (uint64_t)(buf[p] - '0');
        p++;
    }
    size_t nd = p - d0;
    if (p >= len) {
        cm_errf(err, errlen, "unexpected end of input at offset %zu (inside an integer)", p);
        return -1;
    }
    if (nd == 0) {
        cm_errf(err, errlen, "integer without digits at offset %zu", at);
        return -1;
    }
    if (buf[p] != 'e') {
        cm_errf(err, errlen, "unexpected byte 0x%02x in an integer at offset %zu", buf[p], p);
        return -1;
    }
    if (nd > 1 && buf[d0] == '0') {
        cm_errf(err, errlen, "integer with a leading zero at offset %zu", at);
        return -1;
    }
    if (neg && v == 0) {
        cm_errf(err, errlen, "negative zero integer at offset %zu", at);
        return -1;
    }
    if (!neg && v > (uint64_t)INT64_MAX) {
        cm_errf(err, errlen, "integer out of the int64 range at offset %zu", at);
        return -1;
    }
    if (neg && v > (uint64_t)INT64_MAX + 1) {
        cm_errf(err, errlen, "integer out of the int64 range at offset %zu", at);
        return -1;
    }
    tok->type = BT_BE_INT;
    tok->ival = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    tok->start = (uint32_t)at;
    tok->end = (uint32_t)(p + 1);
    *pos = p + 1;
    return 0;
}

/* Parse "len:bytes" at pos into tok; advances *pos. 0 or -1 with err. */
static int s_parse_str(const uint8_t *buf, size_t len, size_t *pos, struct bt_be_tok *tok,
                       char *err, size_t errlen)
{
    size_t at = *pos, p = at;
    uint64_t n = 0;
    while (p < len && buf[p] >= '0' && buf[p] <= '9') {
        if (p - at >= BE_LEN_DIGITS_MAX) {
            cm_errf(err, errlen, "string length with more than %d digits at offset %zu",
                    BE_LEN_DIGITS_MAX, at);
            return -1;
        }
        n = n * 10 + (uint64_t)(buf[p] - '0');
        p++;
    }
    if (p >= len) {
        cm_errf(err, errlen, "unexpected end of input at offset %zu (inside a string length)", p);
        return -1;
    }
    if (buf[p] != ':') {
        cm_errf(err, errlen, "unexpected byte 0x%02x in a string length at offset %zu", buf[p], p);
        return -1;
    }
    if (p - at > 1 && buf[at] == '0') {
        cm_errf(err, errlen, "string length with a leading zero at offset %zu", at);
        return -1;
    }
    p++; /* ':' */
    if (n > len - p) {
        cm_errf(err, errlen,
                "unexpected end of input at offset %zu (string of %" PRIu64
                " bytes at offset %zu runs past it)",
                len, n, at);
        return -1;
    }
    tok->type = BT_BE_STR;
    tok->start = (uint32_t)at;
    tok->sdata = (uint32_t)p;
    tok->count = (uint32_t)n;
    tok->end = (uint32_t)(p + n);
    *pos = p + (size_t)n;
    return 0;
}

/* Check the new key `k` against the dict's previous key. 0 or -1 with err. */
static int s_check_key(bt_be_t *be, struct be_open *o, uint32_t k, bool strict, char *err,
                       size_t errlen)
{
    if (o->last_key != BT_BE_NIL) {
        const struct bt_be_tok *a = &be->toks[o->last_key], *b = &be->toks[k];
        int c = s_keycmp(be->buf + a->sdata, a->count, be->buf + b->sdata, b->count);
        if (c == 0) {
            cm_errf(err, errlen, "duplicate dictionary key at offset %u", b->start);
            return -1;
        }
        if (c > 0) {
            if (strict) {
                cm_errf(err, errlen, "dictionary key out of order at offset %u", b->start);
                return -1;
            }
            o->unsorted = true;
        }
    }
    o->last_key = k;
    return 0;
}

int bt_be_decode(bt_be_t *out, const uint8_t *buf, size_t len, const struct bt_be_limits *lim,
                 size_t *consumed, char *err, size_t errlen)
{
    uint32_t depth_max = lim && lim->depth_max ? lim->depth_max : BT_BE_DEPTH_MAX;
    uint32_t tokens_max = lim && lim->tokens_max ? lim->tokens_max : BT_BE_TOKENS_MAX;
    size_t len_max = lim && lim->len_max ? lim->len_max : BT_BE_LEN_MAX;
    bool strict = lim && lim->strict;
    struct be_open *stack = NULL;
    uint32_t sp = 0, scap = 0;
    size_t pos = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (err && errlen)
        err[0] = '\0';
    if (tokens_max > UINT32_MAX - 1)
        tokens_max = UINT32_MAX - 1;
    if (len > len_max) {
        cm_errf(err, errlen, "input of %zu bytes is over the cap of %zu", len, len_max);
        return -1;
    }
    if (len > UINT32_MAX - 1) {
        cm_errf(err, errlen, "input of %zu bytes does not fit 32-bit offsets", len);
        return -1;
    }
    if (!buf && len > 0) {
        cm_errf(err, errlen, "no input");
        return -1;
    }
    out->buf = buf;

    for (;;) {
        if (pos >= len) {
            cm_errf(err, errlen, "unexpected end of input at offset %zu", pos);
            goto out;
        }
        uint8_t c = buf[pos];
        struct be_open *o = sp ? &stack[sp - 1] : NULL;

        if (c == 'e') {
            if (!o) {
                cm_errf(err, errlen, "unexpected 'e' at offset %zu", pos);
                goto out;
            }
            if (o->dict && o->want_value) {
                cm_errf(err, errlen, "dictionary key without a value at offset %zu", pos);
                goto out;
            }
            struct bt_be_tok *t = &out->toks[o->tok];
            t->end = (uint32_t)(pos + 1);
            t->count = o->count;
            if (o->dict && o->unsorted) {
                uint32_t dup = s_find_dup(out, o->tok);
                if (dup != BT_BE_NIL) {
                    cm_errf(err, errlen, "duplicate dictionary key at offset %u",
                            out->toks[dup].start);
                    goto out;
                }
            }
            sp--;
            pos++;
            if (sp == 0)
                break;
            continue;
        }

        bool is_key = o && o->dict && !o->want_value;
        if (is_key && !(c >= '0' && c <= '9')) {
            cm_errf(err, errlen, "dictionary key is not a string at offset %zu", pos);
            goto out;
        }
        uint32_t t;
        if (s_new_tok(out, tokens_max, &t) < 0) {
            cm_errf(err, errlen, "more than %" PRIu32 " values at offset %zu", tokens_max, pos);
            goto out;
        }
        if (o) {
            if (o->last != BT_BE_NIL)
                out->toks[o->last].next = t;
            o->last = t;
        }
        bool opened = false;
        if (c == 'i') {
            if (s_parse_int(buf, len, &pos, &out->toks[t], err, errlen) < 0)
                goto out;
        } else if (c >= '0' && c <= '9') {
            if (s_parse_str(buf, len, &pos, &out->toks[t], err, errlen) < 0)
                goto out;
        } else if (c == 'l' || c == 'd') {
            if (sp >= depth_max) {
                cm_errf(err, errlen, "nesting deeper than %" PRIu32 " at offset %zu", depth_max,
                        pos);
                goto out;
            }
            out->toks[t].type = c == 'l' ? BT_BE_LIST : BT_BE_DICT;
            out->toks[t].start = (uint32_t)pos;
            opened = true;
            pos++;
        } else {
            cm_errf(err, errlen, "unexpected byte 0x%02x at offset %zu", c, pos);
            goto out;
        }

        if (o) { /* `o` stays valid: the stack grows only below */
            if (!o->dict) {
                o->count++;
            } else if (is_key) {
                if (s_check_key(out, o, t, strict, err, errlen) < 0)
                    goto out;
                o->want_value = true;
            } else {
                o->want_value = false;
                o->count++;
            }
        }
        if (opened) {
            if (sp == scap) {
                scap = scap ? (scap > depth_max / 2 ? depth_max : scap * 2)
                            : CM_MIN(BE_STACK_INIT, depth_max);
                stack = cm_realloc(stack, (size_t)scap * sizeof(*stack));
            }
            stack[sp++] = (struct be_open){
                .tok = t, .last = BT_BE_NIL, .last_key = BT_BE_NIL, .dict = c == 'd'};
        } else if (sp == 0) {
            break; /* a bare scalar at the root */
        }
    }

    if (!consumed && pos != len) {
        cm_errf(err, errlen, "trailing data at offset %zu", pos);
        goto out;
    }
    if (consumed)
        *consumed = pos;
    out->len = pos;
    rc = 0;
out:
    cm_free(stack);
    if (rc < 0)
        bt_be_clear(out);
    return rc;
}

void bt_be_clear(bt_be_t *be)
{
    if (!be)
        return;
    cm_free(be->toks);
    memset(be, 0, sizeof(*be));
}

/* --- accessors --- */

static const struct bt_be_tok *s_tok(const bt_be_t *be, bt_be_node_t n)
{
    if (!be || !be->toks || n == BT_BE_NIL || n >= be->ntoks)
        return NULL;
    return &be->toks[n];
}

bt_be_type_t bt_be_type(const bt_be_t *be, bt_be_node_t n)
{
    const struct bt_be_tok *t = s_tok(be, n);
    return t ? (bt_be_type_t)t->type : BT_BE_NONE;
}

int bt_be_int(const bt_be_t *be, bt_be_node_t n, int64_t *v)
{
    const struct bt_be_tok *t = s_tok(be, n);
    if (!t || t->type != BT_BE_INT)
        return -1;
    if (v)
        *v = t->ival;
    return 0;
}

const uint8_t *bt_be_str(const bt_be_t *be, bt_be_node_t n, size_t *len)
{
    const struct bt_be_tok *t = s_tok(be, n);
    if (len)
        *len = 0;
    if (!t || t->type != BT_BE_STR)
        return NULL;
    if (len)
        *len = t->count;
    return be->buf + t->sdata;
}

const uint8_t *bt_be_raw(const bt_be_t *be, bt_be_node_t n, size_t *len)
{
    const struct bt_be_tok *t = s_tok(be, n);
    if (len)
        *len = 0;
    if (!t)
        return NULL;
    if (len)
        *len = t->end - t->start;
    return be->buf + t->start;
}

uint32_t bt_be_count(const bt_be_t *be, bt_be_node_t n)
{
    const struct bt_be_tok *t = s_tok(be, n);
    if (!t || (t->type != BT_BE_LIST && t->type != BT_BE_DICT))
        return 0;
    return t->count;
}

bt_be_node_t bt_be_first(const bt_be_t *be, bt_be_node_t n)
{
    const struct bt_be_tok *t = s_tok(be, n);
    if (!t || (t->type != BT_BE_LIST && t->type != BT_BE_DICT) || t->count == 0)
        return BT_BE_NIL;
    return n + 1;
}

bt_be_node_t bt_be_next(const bt_be_t *be, bt_be_node_t n)
{
    const struct bt_be_tok *t = s_tok(be, n);
    return t ? t->next : BT_BE_NIL;
}

bt_be_node_t bt_be_list_at(const bt_be_t *be, bt_be_node_t list, uint32_t i)
{
    if (bt_be_type(be, list) != BT_BE_LIST || i >= bt_be_count(be, list))
        return BT_BE_NIL;
    bt_be_node_t c = bt_be_first(be, list);
    while (i-- > 0 && c != BT_BE_NIL)
        c = be->toks[c].next;
    return c;
}

bt_be_node_t bt_be_dict_get(const bt_be_t *be, bt_be_node_t dict, const char *key)
{
    if (bt_be_type(be, dict) != BT_BE_DICT || !key)
        return BT_BE_NIL;
    size_t klen = strlen(key);
    for (bt_be_node_t k = bt_be_first(be, dict); k != BT_BE_NIL;) {
        const struct bt_be_tok *t = &be->toks[k];
        bt_be_node_t v = t->next;
        if (v == BT_BE_NIL)
            break;
        if (t->count == klen && memcmp(be->buf + t->sdata, key, klen) == 0)
            return v;
        k = be->toks[v].next;
    }
    return BT_BE_NIL;
}

int bt_be_dict_int(const bt_be_t *be, bt_be_node_t dict, const char *key, int64_t *v)
{
    return bt_be_int(be, bt_be_dict_get(be, dict, key), v);
}

const uint8_t *bt_be_dict_str(const bt_be_t *be, bt_be_node_t dict, const char *key, size_t *len)
{
    return bt_be_str(be, bt_be_dict_get(be, dict, key), len);
}

/* --- encoder --- */

int bt_be_put_int(cm_buf_t *b, int64_t v)
{
    return cm_buf_appendf(b, "i%" PRId64 "e", v);
}

int bt_be_put_str(cm_buf_t *b, const void *s, size_t len)
{
    char hdr[32];
    int n = snprintf(hdr, sizeof(hdr), "%zu:", len);
    if (n < 0 || (size_t)n >= sizeof(hdr))
        return -1;
    size_t room = cm_buf_cap(b) - cm_buf_len(b);
    if ((size_t)n > room || len > room - (size_t)n)
        return -1; /* all or nothing */
    if (cm_buf_append(b, hdr, (size_t)n) < 0)
        return -1;
    return cm_buf_append(b, s, len);
}

int bt_be_put_cstr(cm_buf_t *b, const char *s)
{
    return bt_be_put_str(b, s, strlen(s));
}

int bt_be_put_list(cm_buf_t *b)
{
    return cm_buf_append(b, "l", 1);
}

int bt_be_put_dict(cm_buf_t *b)
{
    return cm_buf_append(b, "d", 1);
}

int bt_be_put_end(cm_buf_t *b)
{
    return cm_buf_append(b, "e", 1);
}

/* One container being re-encoded. */
struct enc_frame {
    uint32_t node;
    uint32_t i;          /* next child (LIST: element index; DICT: index into keys) */
    uint32_t n;          /* children to write */
    uint32_t cur;        /* LIST: next element token */
    struct be_key *keys; /* DICT: sorted keys, owned */
};

/* Write the scalar token `n`, or 'l'/'d' for a container. */
static int s_enc_head(const bt_be_t *be, uint32_t n, cm_buf_t *b)
{
    const struct bt_be_tok *t = &be->toks[n];
    switch (t->type) {
    case BT_BE_INT:
        return bt_be_put_int(b, t->ival);
    case BT_BE_STR:
        return bt_be_put_str(b, be->buf + t->sdata, t->count);
    case BT_BE_LIST:
        return bt_be_put_list(b);
    case BT_BE_DICT:
        return bt_be_put_dict(b);
    default:
        return -1;
    }
}

int bt_be_encode_canonical(const bt_be_t *be, bt_be_node_t n, cm_buf_t *b)
{
    if (!s_tok(be, n))
        return -1;
    struct enc_frame *st = NULL;
    uint32_t sp = 0, scap = 0;
    int rc = -1;
    uint32_t node = n; /* the value to write next, or BT_BE_NIL to continue a frame */

    for (;;) {
        if (node != BT_BE_NIL) {
            if (s_enc_head(be, node, b) < 0)
                goto out;
            uint8_t type = be->toks[node].type;
            if (type == BT_BE_LIST || type == BT_BE_DICT) {
                if (sp == scap) {
                    scap = scap ? scap * 2 : BE_STACK_INIT;
                    st = cm_realloc(st, (size_t)scap * sizeof(*st));
                }
                struct enc_frame *f = &st[sp++];
                *f = (struct enc_frame){.node = node, .n = be->toks[node].count};
                f->cur = bt_be_first(be, node);
                if (type == BT_BE_DICT) {
                    f->keys = s_sorted_keys(be, node);
                    for (uint32_t i = 1; i < f->n; i++)
                        if (s_keycmp(f->keys[i - 1].p, f->keys[i - 1].len, f->keys[i].p,
                                     f->keys[i].len) == 0)
                            goto out; /* a duplicate key */
                }
            } else if (sp == 0) {
                break;
            }
            node = BT_BE_NIL;
        }
        struct enc_frame *f = &st[sp - 1];
        if (f->i >= f->n || (!f->keys && f->cur == BT_BE_NIL)) {
            if (bt_be_put_end(b) < 0)
                goto out;
            cm_free(f->keys);
            sp--;
            if (sp == 0)
                break;
            continue;
        }
        if (f->keys) {
            /* Write the key here; its value is the next thing to write. */
            uint32_t k = f->keys[f->i++].tok;
            if (s_enc_head(be, k, b) < 0)
                goto out;
            node = k + 1;
        } else {
            node = f->cur;
            f->cur = be->toks[node].next;
            f->i++;
        }
    }
    rc = 0;
out:
    for (uint32_t i = 0; i < sp; i++)
        cm_free(st[i].keys);
    cm_free(st);
    return rc;
}
