#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""protogen: the message schemas in proto/*.toml -> C codecs, their tests and golden bytes.

    protogen.py            write proto/gen/<svc>_msg.{h,c} and tests/proto/<svc>_msg_test.c
    protogen.py --golden   write tests/proto/golden/<svc>/<MSG>.mp (on purpose: review the diff)
    protogen.py --check    exit 1, naming each stale file, when anything committed differs

A schema marked `test_only = true` (proto/test.toml) is generated into tests/proto/gen/ instead
of proto/gen/, so it never reaches libproto; its test #includes the generated .c.

The output is formatted as clang-format (the repository's .clang-format) would format it and has
no timestamps, so regenerating is idempotent and --check can compare bytes. Golden files are
encoded by the small msgpack encoder below, independent of the C encoder (msgpack-c), so a bug
that is symmetric in our C encoder and decoder still shows. Standard library only (tomllib).
See proto/README.md for the rules the schemas follow."""

import argparse
import os
import re
import sys
import tomllib

COLUMNS = 100  # .clang-format ColumnLimit
HEADLINE = "GENERATED SOURCE CODE, DO NOT EDIT \u2014 from proto/{}.toml"

UINTS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}
SCALARS = ("u8", "u16", "u32", "u64", "i64", "bool")
ITEMS = SCALARS + ("str", "bin")  # what a list may hold
CTYPE = {"u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
         "i64": "int64_t", "bool": "bool", "bin": "cm_iov_t"}
KINDS = {"request": "CM_MSG_REQUEST", "reply": "CM_MSG_REPLY", "event": "CM_MSG_EVENT"}

TAG_MAX = 127        # tags are positive fixints: one byte on the wire
FIELDS_MAX = 64      # the decoder's `seen` bitmask
NAME_MAX = 24        # message and field names: short enough for one line of C
PROTO_NAME_MAX = 12  # protocol names, likewise
LEN_MAX = 1 << 24    # str/bin max: above any frame we accept
COUNT_MAX = 65535    # list max
PAIRS_MAX = 1024     # map max: the duplicate-key check is quadratic

C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while bool true false _Bool""".split())


class SchemaError(Exception):
    pass


# --- Schema ---------------------------------------------------------------------------------


class Field:
    def __init__(self, where, d):
        known = {"tag", "name", "type", "max", "item_max", "required", "test", "doc"}
        for k in d:
            if k not in known:
                raise SchemaError(f"{where}: unknown key '{k}'")
        for k in ("tag", "name", "type", "test"):
            if k not in d:
                raise SchemaError(f"{where}: missing '{k}'")
        self.tag = d["tag"]
        self.name = d["name"]
        self.where = f"{where} ({self.name})"
        if not isinstance(self.tag, int) or isinstance(self.tag, bool) \
                or not 1 <= self.tag <= TAG_MAX:
            raise SchemaError(f"{self.where}: tag must be an integer in 1..{TAG_MAX}")
        if not isinstance(self.name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", self.name) \
                or len(self.name) > NAME_MAX or self.name in C_KEYWORDS \
                or self.name.endswith("_"):
            raise SchemaError(f"{self.where}: name must be lower_snake_case, at most "
                              f"{NAME_MAX} characters, not a C keyword")
        t = d["type"].replace(" ", "") if isinstance(d["type"], str) else ""
        self.type = t
        self.elem = None
        if t in ITEMS:
            self.kind = t
        elif re.fullmatch(r"list<(\w+)>", t) and re.fullmatch(r"list<(\w+)>", t)[1] in ITEMS:
            self.kind = "list"
            self.elem = re.fullmatch(r"list<(\w+)>", t)[1]
        elif t == "map<str,str>":
            self.kind = "map"
            self.elem = "str"
        else:
            raise SchemaError(f"{self.where}: unknown type '{d['type']}'")
        self.max = d.get("max")
        self.item_max = d.get("item_max")
        needs_max = self.kind in ("str", "bin", "list", "map")
        needs_item = self.kind == "map" or (self.kind == "list" and self.elem in ("str", "bin"))
        if needs_max != (self.max is not None):
            raise SchemaError(f"{self.where}: 'max' is " +
                              ("required" if needs_max else "only for str, bin, list and map"))
        if needs_item != (self.item_max is not None):
            raise SchemaError(f"{self.where}: 'item_max' is " +
                              ("required" if needs_item else
                               "only for list<str>, list<bin> and map<str,str>"))
        limit = {"str": LEN_MAX, "bin": LEN_MAX, "list": COUNT_MAX, "map": PAIRS_MAX}.get(
            self.kind)
        for k, v, lim in (("max", self.max, limit), ("item_max", self.item_max, LEN_MAX)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)
                                  or not 1 <= v <= lim):
                raise SchemaError(f"{self.where}: '{k}' must be an integer in 1..{lim}")
        self.required = d.get("required", False)
        if not isinstance(self.required, bool):
            raise SchemaError(f"{self.where}: 'required' must be true or false")
        self.doc = d.get("doc", "")
        if not isinstance(self.doc, str) or "*/" in self.doc or "\n" in self.doc:
            raise SchemaError(f"{self.where}: 'doc' must be one line of text")
        self.test = d["test"]
        self._check_test()

    def _check_scalar(self, t, v, what):
        if t == "bool":
            if not isinstance(v, bool):
                raise SchemaError(f"{self.where}: {what} must be true or false")
            return
        if not isinstance(v, int) or isinstance(v, bool):
            raise SchemaError(f"{self.where}: {what} must be an integer")
        lo, hi = (-(1 << 63), (1 << 63) - 1) if t == "i64" else (0, (1 << UINTS[t]) - 1)
        if not lo <= v <= hi:
            raise SchemaError(f"{self.where}: {what} {v} is out of range for {t}")

    def _check_bytes(self, t, v, cap, what):
        if not isinstance(v, str):
            raise SchemaError(f"{self.where}: {what} must be a string")
        b = v.encode("utf-8")
        if len(b) > cap:
            raise SchemaError(f"{self.where}: {what} is {len(b)} bytes, over its max {cap}")
        if t == "str" and b"\0" in b:
            raise SchemaError(f"{self.where}: {what} holds a NUL byte")

    def _check_test(self):
        v = self.test
        if self.kind in SCALARS:
            self._check_scalar(self.kind, v, "test")
        elif self.kind in ("str", "bin"):
            self._check_bytes(self.kind, v, self.max, "test")
        elif self.kind == "list":
            if not isinstance(v, list) or len(v) > self.max:
                raise SchemaError(f"{self.where}: test must be a list of at most {self.max}")
            for i, item in enumerate(v):
                if self.elem in SCALARS:
                    self._check_scalar(self.elem, item, f"test[{i}]")
                else:
                    self._check_bytes(self.elem, item, self.item_max, f"test[{i}]")
        else:
            if not isinstance(v, dict) or len(v) > self.max:
                raise SchemaError(f"{self.where}: test must be a table of at most {self.max}")
            for k, item in v.items():
                self._check_bytes("str", k, self.item_max, f"test key '{k}'")
                self._check_bytes("str", item, self.item_max, f"test['{k}']")


class Message:
    def __init__(self, where, d):
        known = {"name", "id", "kind", "doc", "fields", "reserved", "payload"}
        for k in d:
            if k not in known:
                raise SchemaError(f"{where}: unknown key '{k}'")
        for k in ("name", "id", "kind", "doc"):
            if k not in d:
                raise SchemaError(f"{where}: missing '{k}'")
        self.name = d["name"]
        self.where = f"{where} ({self.name})"
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", self.name) \
                or len(self.name) > NAME_MAX or self.name.endswith("_"):
            raise SchemaError(f"{self.where}: name must be UPPER_SNAKE_CASE, at most "
                              f"{NAME_MAX} characters")
        self.id = d["id"]
        if not isinstance(self.id, int) or isinstance(self.id, bool) or not 1 <= self.id <= 65535:
            raise SchemaError(f"{self.where}: id must be an integer in 1..65535")
        if d["kind"] not in KINDS:
            raise SchemaError(f"{self.where}: kind must be one of {', '.join(KINDS)}")
        self.kind = d["kind"]
        self.doc = d["doc"]
        if not isinstance(self.doc, str) or not self.doc or "*/" in self.doc:
            raise SchemaError(f"{self.where}: 'doc' must be a non-empty string")
        self.payload = d.get("payload", False)
        if not isinstance(self.payload, bool):
            raise SchemaError(f"{self.where}: 'payload' must be true or false")
        self.reserved = d.get("reserved", [])
        if not isinstance(self.reserved, list) or not all(
                isinstance(t, int) and not isinstance(t, bool) for t in self.reserved):
            raise SchemaError(f"{self.where}: 'reserved' must be a list of tags")
        fields = d.get("fields", [])
        if not isinstance(fields, list):
            raise SchemaError(f"{self.where}: 'fields' must be a list")
        self.fields = [Field(f"{self.where} field {i + 1}", f) for i, f in enumerate(fields)]
        if len(self.fields) > FIELDS_MAX:
            raise SchemaError(f"{self.where}: more than {FIELDS_MAX} fields")
        members = set()
        for i, f in enumerate(self.fields):
            if i and f.tag <= self.fields[i - 1].tag:
                raise SchemaError(f"{f.where}: tags must be unique and listed in ascending order")
            if f.tag in self.reserved:
                raise SchemaError(f"{f.where}: tag {f.tag} is reserved")
            names = [f.name] + ([f.name + "_count"] if f.kind in ("list", "map") else [])
            for n in names:
                if n in members:
                    raise SchemaError(f"{f.where}: member '{n}' defined twice")
                members.add(n)
        self.lower = self.name.lower()


class Protocol:
    def __init__(self, path):
        self.path = path
        self.file = os.path.basename(path)
        stem = self.file[:-len(".toml")]
        with open(path, "rb") as f:
            try:
                d = tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                raise SchemaError(f"{self.file}: {e}") from None
        for k in d:
            if k not in ("protocol", "message"):
                raise SchemaError(f"{self.file}: unknown table '{k}'")
        p = d.get("protocol")
        if not isinstance(p, dict):
            raise SchemaError(f"{self.file}: missing [protocol]")
        for k in p:
            if k not in ("name", "id", "version", "doc", "test_only"):
                raise SchemaError(f"{self.file}: [protocol]: unknown key '{k}'")
        self.name = p.get("name")
        if self.name != stem or not re.fullmatch(r"[a-z][a-z0-9]*", stem) \
                or len(stem) > PROTO_NAME_MAX:
            raise SchemaError(f"{self.file}: [protocol] name must be '{stem}', the file's name "
                              f"(lower case letters and digits, at most {PROTO_NAME_MAX})")
        self.id = p.get("id")
        self.version = p.get("version")
        for k, v, lo in (("id", self.id, 0), ("version", self.version, 1)):
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= 65535:
                raise SchemaError(f"{self.file}: [protocol] {k} must be an integer in "
                                  f"{lo}..65535")
        self.doc = p.get("doc", "")
        if not isinstance(self.doc, str) or "*/" in self.doc:
            raise SchemaError(f"{self.file}: [protocol] doc must be a string")
        self.test_only = p.get("test_only", False)
        if not isinstance(self.test_only, bool):
            raise SchemaError(f"{self.file}: [protocol] test_only must be true or false")
        msgs = d.get("message", [])
        self.msgs = [Message(f"{self.file} message {i + 1}", m) for i, m in enumerate(msgs)]
        for i, m in enumerate(self.msgs):
            if i and m.id <= self.msgs[i - 1].id:
                raise SchemaError(f"{m.where}: ids must be unique and listed in ascending order")
            if any(o.name == m.name for o in self.msgs[:i]):
                raise SchemaError(f"{m.where}: name used twice")
        self.upper = self.name.upper()
        gen = "tests/proto/gen" if self.test_only else "proto/gen"
        self.h_path = f"{gen}/{self.name}_msg.h"
        self.c_path = f"{gen}/{self.name}_msg.c"
        self.test_path = f"tests/proto/{self.name}_msg_test.c"

    def all_fields(self):
        return [f for m in self.msgs for f in m.fields]

    def uses(self, *types):
        """True when a field, or the items of a list field, has one of `types`."""
        for f in self.all_fields():
            if f.kind in types or (f.kind == "list" and f.elem in types):
                return True
        return False


# --- msgpack, for golden files (canonical smallest forms, as msgpack-c writes them) ---------


def mp_uint(v):
    if v < 0x80:
        return bytes([v])
    for tag, n in ((0xcc, 1), (0xcd, 2), (0xce, 4), (0xcf, 8)):
        if v < 1 << (8 * n):
            return bytes([tag]) + v.to_bytes(n, "big")
    raise ValueError(v)


def mp_int(v):
    if v >= 0:
        return mp_uint(v)
    if v >= -32:
        return bytes([v & 0xff])
    for tag, n in ((0xd0, 1), (0xd1, 2), (0xd2, 4), (0xd3, 8)):
        if v >= -(1 << (8 * n - 1)):
            return bytes([tag]) + v.to_bytes(n, "big", signed=True)
    raise ValueError(v)


def mp_head(n, fix, fix_max, tags):
    if n <= fix_max:
        return bytes([fix | n])
    for tag, size in tags:
        if n < 1 << (8 * size):
            return bytes([tag]) + n.to_bytes(size, "big")
    raise ValueError(n)


def mp_str(b):
    return mp_head(len(b), 0xa0, 31, ((0xd9, 1), (0xda, 2), (0xdb, 4))) + b


def mp_bin(b):
    for tag, size in ((0xc4, 1), (0xc5, 2), (0xc6, 4)):
        if len(b) < 1 << (8 * size):
            return bytes([tag]) + len(b).to_bytes(size, "big") + b
    raise ValueError(len(b))


def mp_array(n):
    return mp_head(n, 0x90, 15, ((0xdc, 2), (0xdd, 4)))


def mp_map(n):
    return mp_head(n, 0x80, 15, ((0xde, 2), (0xdf, 4)))


def mp_value(t, v):
    if t == "bool":
        return b"\xc3" if v else b"\xc2"
    if t == "i64":
        return mp_int(v)
    if t in UINTS:
        return mp_uint(v)
    if t == "str":
        return mp_str(v.encode("utf-8"))
    return mp_bin(v.encode("utf-8"))


def golden(msg):
    """The body of `msg` built from its test values: every field, in tag order."""
    out = bytearray(mp_map(len(msg.fields)))
    for f in msg.fields:
        out += mp_uint(f.tag)
        if f.kind == "list":
            out += mp_array(len(f.test))
            for item in f.test:
                out += mp_value(f.elem, item)
        elif f.kind == "map":
            out += mp_map(len(f.test))
            for k, v in f.test.items():
                out += mp_value("str", k) + mp_value("str", v)
        else:
            out += mp_value(f.kind, f.test)
    return bytes(out)


# --- C text helpers ---------------------------------------------------------------------------


def c_string(b):
    """A C string literal for the bytes `b` (octal escapes: never ambiguous, no trigraphs)."""
    out = []
    for c in b:
        ch = chr(c)
        if ch in "\"\\?":
            out.append("\\" + ch)
        elif 0x20 <= c < 0x7f:
            out.append(ch)
        else:
            out.append("\\%03o" % c)
    return '"' + "".join(out) + '"'


def wrap_words(text, width):
    lines, cur = [], ""
    for w in text.split():
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines or [""]


def block_comment(text, indent="", close=True):
    """`text` as a /* */ comment, wrapped within the column limit (left open unless `close`)."""
    width = COLUMNS - len(indent) - 6  # room for the closing " */" on the last line
    paras = text.split("\n")
    lines = []
    for p in paras:
        lines += wrap_words(p, width) if p.strip() else [""]
    out = []
    for i, ln in enumerate(lines):
        lead = "/* " if i == 0 else " * "
        s = (indent + lead + ln).rstrip()
        if i == len(lines) - 1 and close:
            if len(s) + 3 > COLUMNS:
                out.append(s)
                s = indent + " */"
            else:
                s += " */"
        out.append(s)
    return out


def call(indent, head, args, tail):
    """`head(arg, arg...)tail` laid out as clang-format lays out a call or declaration: on one
    line when it fits; else bin-packed, continuation lines aligned after the parenthesis; else,
    when not even the first argument fits there, broken after the parenthesis."""
    one = indent + head + ", ".join(args) + tail
    if len(one) <= COLUMNS:
        return [one]
    if " = " in head:  # an assignment: clang-format breaks after '=' when the call then fits
        lhs, rhs = head.split(" = ", 1)
        moved = indent + "    " + rhs + ", ".join(args) + tail
        if len(moved) <= COLUMNS:
            return [indent + lhs + " =", moved]
    col = len(indent + head)
    first = indent + head + args[0] + ("," if len(args) > 1 else tail)
    if len(first) <= COLUMNS and all(col + len(a) + 1 <= COLUMNS for a in args):
        lines, cur = [], indent + head
        for i, a in enumerate(args):
            piece = a + ("," if i < len(args) - 1 else tail)
            if cur.strip() and not cur.endswith("(") and len(cur) + 1 + len(piece) > COLUMNS:
                lines.append(cur)
                cur = " " * col + piece
            elif cur.endswith("("):
                cur += piece
            else:
                cur += " " + piece
        lines.append(cur)
        return lines
    cont = indent + "    "
    rest = ", ".join(args) + tail
    if len(cont + rest) <= COLUMNS:
        return [indent + head, cont + rest]
    lines, cur = [indent + head], cont
    for i, a in enumerate(args):
        piece = a + ("," if i < len(args) - 1 else tail)
        if cur.strip() and len(cur) + 1 + len(piece) > COLUMNS:
            lines.append(cur)
            cur = cont + piece
        elif cur.strip():
            cur += " " + piece
        else:
            cur += piece
    lines.append(cur)
    return lines


class Text:
    """Lines of C. A row added with a `note` gets a trailing /* note */ comment; consecutive
    commented rows are aligned one column past the longest code, as clang-format does."""

    def __init__(self):
        self.rows = []

    def __call__(self, line="", note=None):
        self.rows.append((line, note))

    def lines(self, lines):
        for ln in lines:
            self(ln)

    def render(self):
        out, i = [], 0
        while i < len(self.rows):
            if self.rows[i][1] is None:
                out.append(self.rows[i][0])
                i += 1
                continue
            j = i
            while j < len(self.rows) and self.rows[j][1] is not None:
                j += 1
            group = self.rows[i:j]
            col = max(len(code) for code, _ in group) + 1
            if any(col + len(note) + 6 > COLUMNS for _, note in group):
                # Too wide for trailing comments: put each above its line instead.
                for code, note in group:
                    indent = code[:len(code) - len(code.lstrip())]
                    out += block_comment(note, indent) + [code]
            else:
                out += [code.ljust(col) + "/* " + note + " */" for code, note in group]
            i = j
        return "\n".join(out) + "\n"


# --- C: header --------------------------------------------------------------------------------


def member_rows(t, f):
    """Struct members of field `f` as (code, note) rows."""
    borrowed = f.kind == "bin" or f.elem == "bin"
    note = (f"tag {f.tag}" + (", required" if f.required else "")
            + (", borrowed from the frame" if borrowed else "") + (f": {f.doc}" if f.doc else ""))
    n = f.name
    if f.kind == "str":
        t(f"    char {n}[{f.max} + 1];", note)
    elif f.kind in CTYPE:
        t(f"    {CTYPE[f.kind]} {n};", note)
    elif f.kind == "list":
        if f.elem == "str":
            t(f"    char {n}[{f.max}][{f.item_max} + 1];", note)
        else:
            t(f"    {CTYPE[f.elem]} {n}[{f.max}];", note)
        t(f"    uint32_t {n}_count;", f"items in {n}, at most {f.max}")
    else:
        # The note goes above: a trailing comment on "} name[max];" reads as the inner struct's.
        t.lines(block_comment(note, "    "))
        t("    struct {")
        t(f"        char key[{f.item_max} + 1];")
        t(f"        char value[{f.item_max} + 1];")
        t(f"    }} {n}[{f.max}];")
        t(f"    uint32_t {n}_count;", f"pairs in {n}, at most {f.max}; keys are unique")


def prototypes(p, m):
    s = f"{p.name}_{m.lower}"
    return (call("", f"int {s}_encode(", [f"const struct {s} *m", "cm_buf_t *out"], ");")
            + call("", f"int {s}_decode(", [f"struct {s} *m", "const void *data", "size_t size"],
                   ");")
            + call("", f"void {s}_print(", [f"const struct {s} *m", "FILE *out"], ");"))


def gen_header(p):
    t = Text()
    guard = f"{p.upper}_MSG_H"
    lo = p.name
    intro = (f"{HEADLINE.format(p.name)}\nSPDX-License-Identifier: MIT\n"
             f"{p.name} (protocol {p.id}, version {p.version}): {p.doc}\n\n"
             "Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each "
             f"message <msg> below (its name in lower case) has a plain struct {lo}_<msg> and "
             "three functions:")
    t.lines(block_comment(intro, close=False))  # closed by the function list below
    for ln in [
        f" *   int {lo}_<msg>_encode(const struct {lo}_<msg> *m, cm_buf_t *out);",
        " *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,",
        " *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,",
        " *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)",
        " *       or `out` is full. After -1, `out` may hold part of the body: discard it.",
        f" *   int {lo}_<msg>_decode(struct {lo}_<msg> *m, const void *data, size_t size);",
        " *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map",
        " *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of",
        " *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,",
        " *       a required field missing. Unknown tags are skipped (a newer sender). No logging,",
        " *       no allocation. str fields are NUL-terminated copies; bin fields are views",
        " *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.",
        f" *   void {lo}_<msg>_print(const struct {lo}_<msg> *m, FILE *out);",
        " *       One line, e.g. `common.ERROR status=8 reason=\"...\"`: strings escaped as in the",
        " *       logs, bin shown as its length.",
        " * Every function is pure and may be called from any thread. */",
    ]:
        t(ln)
    t(f"#ifndef {guard}")
    t(f"#define {guard}")
    t('#include "cm.h"')
    t()
    t("/* Protocol number (never reused) and version (bumped on an incompatible change). */")
    t(f"#define {p.upper}_PROTO {p.id}")
    t(f"#define {p.upper}_VERSION {p.version}")
    if p.msgs:
        t()
        t("/* Message numbers: never reused. */")
        for m in p.msgs:
            t(f"#define {p.upper}_MSG_{m.name} {m.id}")
    for m in p.msgs:
        t()
        what = f"{m.name} ({m.id}, {m.kind}{', with a payload frame' if m.payload else ''}): "
        t.lines(block_comment(what + m.doc))
        t(f"struct {lo}_{m.lower} {{")
        if not m.fields:
            t("    uint8_t unused_;", "no fields yet; C wants one member")
        for f in m.fields:
            member_rows(t, f)
        t("};")
        t()
        t.lines(prototypes(p, m))
    t()
    t("/* Room for any message of the protocol, e.g. to decode into before dispatching. */")
    t(f"union {lo}_msg {{")
    if not p.msgs:
        t("    uint8_t unused_;", "no messages yet; C wants one member")
    for m in p.msgs:
        t(f"    struct {lo}_{m.lower} {m.lower};")
    t("};")
    t()
    t.lines(block_comment(f'The name of message `id` (e.g. "{p.msgs[0].name if p.msgs else "PING"}"), '
                          'or "?" when the protocol has none. Static.'))
    t(f"const char *{lo}_msg_name(int id);")
    t()
    t.lines(block_comment(
        "The functions above, chosen by message number: `m` points to the struct of message "
        f"`id` (a union {lo}_msg will do). Decode and encode return -1 for an unknown id; print "
        f"prints \"{lo}.? id=N\"."))
    t.lines(call("", f"int {lo}_msg_decode(", ["int id", "void *m", "const void *data",
                                               "size_t size"], ");"))
    t.lines(call("", f"int {lo}_msg_encode(", ["int id", "const void *m", "cm_buf_t *out"], ");"))
    t.lines(call("", f"void {lo}_msg_print(", ["int id", "const void *m", "FILE *out"], ");"))
    t()
    t("/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */")
    t(f"extern const struct cm_proto {lo}_proto;")
    t()
    t("#endif")
    return t.render()


# --- C: source --------------------------------------------------------------------------------


def helpers(p, t):
    """The static helpers this protocol's code uses (an unused static function is an error)."""
    for bits in (8, 16, 32):
        if p.uses(f"u{bits}"):
            t.lines(block_comment(f"Read an unsigned integer that fits a uint{bits}_t."))
            t(f"static int s_get_u{bits}(cm_mp_reader_t *r, uint{bits}_t *v)")
            t("{")
            t("    uint64_t u;")
            t(f"    if (cm_mp_read_uint(r, &u) < 0 || u > UINT{bits}_MAX)")
            t("        return -1;")
            t(f"    *v = (uint{bits}_t)u;")
            t("    return 0;")
            t("}")
            t()
    if p.uses("str"):
        t.lines(block_comment("Copy a str shorter than `cap` into `dst`, NUL-terminated; -1 when "
                              "it is not a str, is too long, is not UTF-8 or holds a NUL."))
        t("static int s_get_str(cm_mp_reader_t *r, char *dst, size_t cap)")
        t("{")
        t("    const char *s;")
        t("    uint32_t len;")
        t("    if (cm_mp_read_str(r, &s, &len) < 0 || len >= cap || !cm_utf8_valid(s, len, false))")
        t("        return -1;")
        t("    memcpy(dst, s, len);")
        t("    dst[len] = '\\0';")
        t("    return 0;")
        t("}")
        t()
    if p.uses("bin"):
        t.lines(block_comment("Borrow a bin of at most `max` bytes: `v` points into the frame."))
        t("static int s_get_bin(cm_mp_reader_t *r, cm_iov_t *v, size_t max)")
        t("{")
        t("    const void *data;")
        t("    uint32_t len;")
        t("    if (cm_mp_read_bin(r, &data, &len) < 0 || len > max)")
        t("        return -1;")
        t("    v->data = len ? data : NULL;")
        t("    v->len = len;")
        t("    return 0;")
        t("}")
        t()
    if p.uses("list"):
        t.lines(block_comment("Read the header of an array of at most `max` items."))
        t("static int s_get_array(cm_mp_reader_t *r, uint32_t max, uint32_t *n)")
        t("{")
        t("    uint32_t count;")
        t("    if (cm_mp_read_array(r, &count) < 0 || count > max)")
        t("        return -1;")
        t("    *n = count;")
        t("    return 0;")
        t("}")
        t()
    if p.uses("map"):
        t.lines(block_comment("Read one pair of a map<str,str>: a key and a value, each shorter "
                              "than `cap`."))
        t("static int s_get_pair(cm_mp_reader_t *r, char *key, char *value, size_t cap)")
        t("{")
        t("    if (s_get_str(r, key, cap) < 0 || s_get_str(r, value, cap) < 0)")
        t("        return -1;")
        t("    return 0;")
        t("}")
        t()
        t.lines(block_comment(
            "-1 when two of the `n` pairs at `pairs`, `stride` bytes apart and each starting with "
            "its NUL-terminated key, have the same key; else 0. Quadratic: a map's max is small."))
        t("static int s_check_keys(const void *pairs, size_t stride, uint32_t n)")
        t("{")
        t("    const char *p = pairs;")
        t("    for (uint32_t i = 1; i < n; i++) {")
        t("        for (uint32_t j = 0; j < i; j++) {")
        t("            if (strcmp(p + i * stride, p + j * stride) == 0)")
        t("                return -1;")
        t("        }")
        t("    }")
        t("    return 0;")
        t("}")
        t()
        t.lines(block_comment("Read the header of a map of at most `max` pairs."))
        t("static int s_get_map(cm_mp_reader_t *r, uint32_t max, uint32_t *n)")
        t("{")
        t("    uint32_t count;")
        t("    if (cm_mp_read_map(r, &count) < 0 || count > max)")
        t("        return -1;")
        t("    *n = count;")
        t("    return 0;")
        t("}")
        t()
    if p.uses("str", "map"):
        t.lines(block_comment("What s_get_str() accepts: NUL-terminated within `cap` bytes, UTF-8, "
                              "no NUL inside. Encoders refuse anything else."))
        t("static bool s_str_valid(const char *s, size_t cap)")
        t("{")
        t("    size_t len = strnlen(s, cap);")
        t("    return len < cap && cm_utf8_valid(s, len, false);")
        t("}")
        t()
        t.lines(block_comment(
            "Print a str in double quotes, escaped by cm_log_escape() (control bytes and invalid "
            "UTF-8 as \\xNN) plus '\"' and '\\\\', so a peer's string cannot forge a line. Runs "
            "are cut on character boundaries so a sequence is never escaped in halves."))
        t("static void s_print_str(FILE *out, const char *s, size_t cap)")
        t("{")
        t("    const unsigned char *p = (const unsigned char *)s;")
        t("    size_t len = strnlen(s, cap);")
        t("    char esc[4 * (32 + 4) + 1];")
        t()
        t("    fputc('\"', out);")
        t("    for (size_t i = 0; i < len;) {")
        t("        size_t n = 0;")
        t("        while (i + n < len && n < 32 && p[i + n] != '\"' && p[i + n] != '\\\\') {")
        t("            size_t k = cm_utf8_seq(p + i + n, len - i - n);")
        t("            n += k ? k : 1;")
        t("        }")
        t("        if (n == 0) {")
        t("            fputc('\\\\', out);")
        t("            fputc(p[i], out);")
        t("            i++;")
        t("        } else {")
        t("            fputs(cm_log_escape(esc, sizeof(esc), p + i, n), out);")
        t("            i += n;")
        t("        }")
        t("    }")
        t("    fputc('\"', out);")
        t("}")
        t()
    if p.uses("bin"):
        t.lines(block_comment("What s_get_bin() accepts: at most `max` bytes, and somewhere to "
                              "read them from."))
        t("static bool s_bin_valid(const cm_iov_t *v, size_t max)")
        t("{")
        t("    return v->len <= max && (v->data || v->len == 0);")
        t("}")
        t()


def put_value(t, indent, kind, ref):
    if kind in UINTS:
        t(f"{indent}cm_mp_put_uint(&w, {ref});")
    elif kind == "i64":
        t(f"{indent}cm_mp_put_int(&w, {ref});")
    elif kind == "bool":
        t(f"{indent}cm_mp_put_bool(&w, {ref});")
    elif kind == "str":
        t(f"{indent}cm_mp_put_cstr(&w, {ref});")
    else:
        t.lines(call(indent, "cm_mp_put_bin(", ["&w", f"{ref}.data", f"{ref}.len"], ");"))


def gen_encode(p, m, t):
    s = f"{p.name}_{m.lower}"
    t.lines(call("", f"int {s}_encode(", [f"const struct {s} *m", "cm_buf_t *out"], ")"))
    t("{")
    t("    cm_mp_writer_t w;")
    t()
    if not m.fields:
        t("    CM_UNUSED(m);")
    checks = [f for f in m.fields if f.kind in ("str", "bin", "list", "map")]
    if checks:
        t("    /* Refuse a field that breaks the schema before writing anything. */")
    for f in checks:
        n = f.name
        if f.kind == "str":
            t(f"    if (!s_str_valid(m->{n}, {f.max} + 1))")
            t("        return -1;")
        elif f.kind == "bin":
            t(f"    if (!s_bin_valid(&m->{n}, {f.max}))")
            t("        return -1;")
        else:
            t(f"    if (m->{n}_count > {f.max})")
            t("        return -1;")
        if f.kind == "list" and f.elem in ("str", "bin"):
            t(f"    for (uint32_t i = 0; i < m->{n}_count; i++) {{")
            if f.elem == "str":
                t(f"        if (!s_str_valid(m->{n}[i], {f.item_max} + 1))")
            else:
                t(f"        if (!s_bin_valid(&m->{n}[i], {f.item_max}))")
            t("            return -1;")
            t("    }")
        if f.kind == "map":
            t(f"    for (uint32_t i = 0; i < m->{n}_count; i++) {{")
            t(f"        if (!s_str_valid(m->{n}[i].key, {f.item_max} + 1))")
            t("            return -1;")
            t(f"        if (!s_str_valid(m->{n}[i].value, {f.item_max} + 1))")
            t("            return -1;")
            t("    }")
            t.lines(call("    ", "if (s_check_keys(", [f"m->{n}", f"sizeof(m->{n}[0])",
                                                      f"m->{n}_count"], ") < 0)"))
            t("        return -1;")
    t("    cm_mp_writer_init(&w, out);")
    t(f"    cm_mp_put_map(&w, {len(m.fields)});")
    for f in m.fields:
        n = f.name
        t(f"    cm_mp_put_uint(&w, {f.tag});", n)
        if f.kind == "list":
            t(f"    cm_mp_put_array(&w, m->{n}_count);")
            t(f"    for (uint32_t i = 0; i < m->{n}_count; i++)")
            put_value(t, "        ", f.elem, f"m->{n}[i]")
        elif f.kind == "map":
            t(f"    cm_mp_put_map(&w, m->{n}_count);")
            t(f"    for (uint32_t i = 0; i < m->{n}_count; i++) {{")
            t(f"        cm_mp_put_cstr(&w, m->{n}[i].key);")
            t(f"        cm_mp_put_cstr(&w, m->{n}[i].value);")
            t("    }")
        else:
            put_value(t, "    ", f.kind, f"m->{n}")
    t("    return cm_mp_writer_status(&w);")
    t("}")


def get_value(kind, ref, cap):
    """The call that reads one value of `kind` into the lvalue `ref`."""
    if kind in ("u8", "u16", "u32"):
        return f"s_get_{kind}(&r, &{ref})"
    if kind == "u64":
        return f"cm_mp_read_uint(&r, &{ref})"
    if kind == "i64":
        return f"cm_mp_read_int(&r, &{ref})"
    if kind == "bool":
        return f"cm_mp_read_bool(&r, &{ref})"
    if kind == "str":
        return f"s_get_str(&r, {ref}, {cap} + 1)"
    return f"s_get_bin(&r, &{ref}, {cap})"


def gen_decode(p, m, t):
    s = f"{p.name}_{m.lower}"
    t.lines(call("", f"int {s}_decode(", [f"struct {s} *m", "const void *data", "size_t size"],
                 ")"))
    t("{")
    t("    cm_mp_reader_t r;")
    t("    uint32_t n;")
    if m.fields:
        t("    uint64_t seen = 0;", "bit i: the i-th field was read")
    t()
    t("    memset(m, 0, sizeof(*m));")
    t("    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) < 0)")
    t("        return -1;")
    t("    cm_mp_reader_init(&r, data, size);")
    t("    if (cm_mp_read_map(&r, &n) < 0)")
    t("        return -1;")
    if not m.fields:
        t("    /* No fields yet: skip whatever a newer sender added. */")
        t("    for (uint32_t i = 0; i < n; i++) {")
        t("        uint64_t tag;")
        t("        if (cm_mp_read_uint(&r, &tag) < 0 || cm_mp_skip(&r, CM_MP_DEPTH_MAX) < 0)")
        t("            return -1;")
        t("    }")
        t("    return 0;")
        t("}")
        return
    t("    for (uint32_t i = 0; i < n; i++) {")
    t("        uint64_t tag, bit = 0;")
    t("        int rc;")
    t("        if (cm_mp_read_uint(&r, &tag) < 0)")
    t("            return -1;")
    t("        switch (tag) {")
    for i, f in enumerate(m.fields):
        n = f.name
        t(f"        case {f.tag}:", n)
        t(f"            bit = 0x{1 << i:x};")
        if f.kind == "list":
            t(f"            rc = s_get_array(&r, {f.max}, &m->{n}_count);")
            t(f"            for (uint32_t j = 0; rc == 0 && j < m->{n}_count; j++)")
            t(f"                rc = {get_value(f.elem, f'm->{n}[j]', f.item_max)};")
        elif f.kind == "map":
            t(f"            rc = s_get_map(&r, {f.max}, &m->{n}_count);")
            t(f"            for (uint32_t j = 0; rc == 0 && j < m->{n}_count; j++)")
            t.lines(call("                ", "rc = s_get_pair(",
                         ["&r", f"m->{n}[j].key", f"m->{n}[j].value", f"{f.item_max} + 1"], ");"))
            t("            if (rc == 0)", "a key given twice is malformed")
            t.lines(call("                ", "rc = s_check_keys(",
                         [f"m->{n}", f"sizeof(m->{n}[0])", f"m->{n}_count"], ");"))
        else:
            t(f"            rc = {get_value(f.kind, f'm->{n}', f.max)};")
        t("            break;")
    t("        default:", "a field of a newer sender: skip it")
    t("            rc = cm_mp_skip(&r, CM_MP_DEPTH_MAX);")
    t("            break;")
    t("        }")
    t("        if (rc < 0 || (seen & bit))")
    t("            return -1;")
    t("        seen |= bit;")
    t("    }")
    req = [i for i, f in enumerate(m.fields) if f.required]
    if req:
        mask = sum(1 << i for i in req)
        names = ", ".join(m.fields[i].name for i in req)
        t.lines(block_comment(f"Required: {names}.", "    "))
        t(f"    if ((seen & 0x{mask:x}) != 0x{mask:x})")
        t("        return -1;")
    t("    return 0;")
    t("}")


def gen_print(p, m, t):
    s = f"{p.name}_{m.lower}"
    t.lines(call("", f"void {s}_print(", [f"const struct {s} *m", "FILE *out"], ")"))
    t("{")
    if not m.fields:
        t("    CM_UNUSED(m);")
        t(f'    fputs("{p.name}.{m.name}\\n", out);')
        t("}")
        return
    t(f'    fputs("{p.name}.{m.name}", out);')
    for f in m.fields:
        n = f.name
        if f.kind in SCALARS or f.kind == "bin":
            v = f"m->{n}"
            if f.kind in ("u8", "u16"):
                args = [f'" {n}=%u"', f"(unsigned){v}"]
            elif f.kind in ("u32", "u64", "i64"):
                macro = {"u32": "PRIu32", "u64": "PRIu64", "i64": "PRId64"}[f.kind]
                args = [f'" {n}=%" {macro}', v]
            elif f.kind == "bool":
                args = [f'" {n}=%s"', f'{v} ? "true" : "false"']
            else:
                args = [f'" {n}=<%zu bytes>"', f"{v}.len"]
            t.lines(call("    ", "fprintf(", ["out"] + args, ");"))
        elif f.kind == "str":
            t(f'    fputs(" {n}=", out);')
            t(f"    s_print_str(out, m->{n}, {f.max} + 1);")
        elif f.kind == "list":
            t(f'    fputs(" {n}=[", out);')
            loop = f"    for (uint32_t i = 0; i < m->{n}_count && i < {f.max}; i++)"
            v = f"m->{n}[i]"
            if f.elem == "str":
                t(loop + " {")
                t('        fputs(i ? "," : "", out);')
                t(f"        s_print_str(out, {v}, {f.item_max} + 1);")
                t("    }")
            else:
                t(loop)
                if f.elem in ("u8", "u16"):
                    t(f'        fprintf(out, "%s%u", i ? "," : "", (unsigned){v});')
                elif f.elem in ("u32", "u64", "i64"):
                    macro = {"u32": "PRIu32", "u64": "PRIu64", "i64": "PRId64"}[f.elem]
                    t(f'        fprintf(out, "%s%" {macro}, i ? "," : "", {v});')
                elif f.elem == "bool":
                    t(f'        fprintf(out, "%s%s", i ? "," : "", {v} ? "true" : "false");')
                else:
                    t(f'        fprintf(out, "%s<%zu bytes>", i ? "," : "", {v}.len);')
            t("    fputc(']', out);")
        else:
            t(f'    fputs(" {n}={{", out);')
            t(f"    for (uint32_t i = 0; i < m->{n}_count && i < {f.max}; i++) {{")
            t('        fputs(i ? "," : "", out);')
            t(f"        s_print_str(out, m->{n}[i].key, {f.item_max} + 1);")
            t("        fputc(':', out);")
            t(f"        s_print_str(out, m->{n}[i].value, {f.item_max} + 1);")
            t("    }")
            t("    fputc('}', out);")
    t("    fputc('\\n', out);")
    t("}")


def gen_source(p):
    t = Text()
    lo = p.name
    t.lines(block_comment(
        f"{HEADLINE.format(p.name)}\nSPDX-License-Identifier: MIT\n"
        f"{p.name}: body codecs. A decoder validates the frame with cm_mp_check() first, then "
        "reads it in place with a cm_mp_reader_t: no msgpack-c unpacker, no allocation. "
        "Encoders write every field, in tag order, through cm_mp_writer_t (msgpack-c's packer), "
        "so an encoding is deterministic. Rules: proto/README.md."))
    t('#include "cm.h"')
    t(f'#include "{lo}_msg.h"')
    t()
    if p.msgs:
        t("/* --- Helpers --- */")
        t()
        helpers(p, t)
    for m in p.msgs:
        t(f"/* --- {m.name} --- */")
        t()
        gen_encode(p, m, t)
        t()
        gen_decode(p, m, t)
        t()
        gen_print(p, m, t)
        t()
    t("/* --- Protocol --- */")
    t()
    if p.msgs:
        t("static const struct cm_proto_msg s_msgs[] = {")
        for m in p.msgs:
            parts = [f".id = {p.upper}_MSG_{m.name}", f".kind = {KINDS[m.kind]}",
                     f".payload = {int(m.payload)}", f'.name = "{m.name}"']
            row = "    {" + ", ".join(parts) + "},"
            if len(row) <= COLUMNS:
                t(row)
            else:  # clang-format puts each designator on its own line
                t.lines(["    {" + parts[0] + ","] + ["     " + x + "," for x in parts[1:-1]]
                        + ["     " + parts[-1] + "},"])
        t("};")
        t()
    t(f"const struct cm_proto {lo}_proto = {{")
    t(f"    .id = {p.upper}_PROTO,")
    t(f"    .version = {p.upper}_VERSION,")
    t(f'    .name = "{lo}",')
    t(f"    .nmsgs = {'CM_ARRAY_LEN(s_msgs)' if p.msgs else '0'},")
    t(f"    .msgs = {'s_msgs' if p.msgs else 'NULL'},")
    t("};")
    t()
    t(f"const char *{lo}_msg_name(int id)")
    t("{")
    t(f"    const struct cm_proto_msg *msg = cm_proto_find(&{lo}_proto, id);")
    t('    return msg ? msg->name : "?";')
    t("}")
    t()
    disp = (("decode", "int", ["int id", "void *m", "const void *data", "size_t size"],
             "(m, data, size)"),
            ("encode", "int", ["int id", "const void *m", "cm_buf_t *out"], "(m, out)"),
            ("print", "void", ["int id", "const void *m", "FILE *out"], "(m, out)"))
    for verb, ret, args, fwd in disp:
        t.lines(call("", f"{ret} {lo}_msg_{verb}(", args, ")"))
        t("{")
        if not p.msgs:
            for a in args[1:] if verb == "print" else args:
                if a != "FILE *out":
                    t(f"    CM_UNUSED({a.split('*')[-1].split()[-1]});")
            if verb == "print":
                t(f'    fprintf(out, "{lo}.? id=%d\\n", id);')
            else:
                t("    return -1;", "no messages yet")
            t("}")
            t()
            continue
        t("    switch (id) {")
        for m in p.msgs:
            t(f"    case {p.upper}_MSG_{m.name}:")
            if ret == "void":
                t(f"        {lo}_{m.lower}_{verb}{fwd};")
                t("        break;")
            else:
                t(f"        return {lo}_{m.lower}_{verb}{fwd};")
        t("    default:")
        if ret == "void":
            t(f'        fprintf(out, "{lo}.? id=%d\\n", id);')
            t("        break;")
        else:
            t("        return -1;")
        t("    }")
        t("}")
        t()
    text = t.render()
    return text[:-1]  # no blank line at the end


# --- C: generated test ------------------------------------------------------------------------


def c_uint(v, kind):
    if kind == "u64":
        return f"UINT64_C({v})"
    return f"{v}u" if v > 0x7fffffff else str(v)


def c_int64(v):
    if v == -(1 << 63):
        return "INT64_MIN"
    return f"INT64_C({v})"


def c_scalar(kind, v):
    if kind == "bool":
        return "true" if v else "false"
    if kind == "i64":
        return c_int64(v)
    return c_uint(v, kind)


def c_pieces(b, width):
    """`b` as adjacent C string literals of at most `width` columns each."""
    pieces, cur = [], ""
    for c in b:
        tok = c_string(bytes([c]))[1:-1]
        if cur and len(cur) + len(tok) + 2 > width:
            pieces.append('"' + cur + '"')
            cur = ""
        cur += tok
    pieces.append('"' + cur + '"')
    return pieces


def set_bytes(t, indent, dest, b, how):
    """Copy the bytes `b` into `dest`: with memcpy (a char array) or by pointing at a literal
    (a cm_iov_t's data). A long literal is split into adjacent literals, one per line."""
    if how == "memcpy":
        one = call(indent, "memcpy(", [dest, c_string(b), str(len(b))], ");")
        if all(len(ln) <= COLUMNS for ln in one):
            t.lines(one)
            return
        col = " " * len(indent + "memcpy(")
        pieces = c_pieces(b, COLUMNS - len(col) - 1)
        t(f"{indent}memcpy({dest},")
        t.lines([col + p for p in pieces[:-1]] + [col + pieces[-1] + ",", col + f"{len(b)});"])
        return
    head = f"{indent}{dest}.data = "
    one = head + c_string(b) + ";"
    if len(one) <= COLUMNS:
        t(one)
    else:
        pieces = c_pieces(b, COLUMNS - len(head) - 1)
        t(head + pieces[0])
        t.lines([" " * len(head) + p for p in pieces[1:-1]] + [" " * len(head) + pieces[-1] + ";"]
                if len(pieces) > 1 else [])
    t(f"{indent}{dest}.len = {len(b)};")


def fill_rows(t, f, m_ref):
    n = f.name
    if f.kind in SCALARS:
        t(f"    {m_ref}{n} = {c_scalar(f.kind, f.test)};")
    elif f.kind in ("str", "bin"):
        b = f.test.encode("utf-8")
        if b:  # an empty value is what memset left
            set_bytes(t, "    ", f"{m_ref}{n}", b, "memcpy" if f.kind == "str" else "iov")
    elif f.kind == "list":
        for i, item in enumerate(f.test):
            if f.elem in SCALARS:
                t(f"    {m_ref}{n}[{i}] = {c_scalar(f.elem, item)};")
            elif item:
                set_bytes(t, "    ", f"{m_ref}{n}[{i}]", item.encode("utf-8"),
                          "memcpy" if f.elem == "str" else "iov")
        t(f"    {m_ref}{n}_count = {len(f.test)};")
    else:
        for i, (k, v) in enumerate(f.test.items()):
            for part, s in (("key", k), ("value", v)):
                if s:
                    set_bytes(t, "    ", f"{m_ref}{n}[{i}].{part}", s.encode("utf-8"), "memcpy")
        t(f"    {m_ref}{n}_count = {len(f.test)};")


def gen_test(p):
    t = Text()
    lo, up = p.name, p.upper
    what = (f"Tests of the {p.name} codecs: each message is built from its schema test values, "
            "encoded, decoded, compared field by field, re-encoded and compared byte for byte "
            "(zproto's self-test), compared with its golden encoding in "
            f"tests/proto/golden/{p.name}/ and printed. Each str, bin, list and map field is "
            "also tried at its max and past it. Run from the repository root."
            if p.msgs else f"Tests of the {p.name} protocol: no messages yet, so its "
            "descriptor, names and dispatch only.")
    t.lines(block_comment(f"{HEADLINE.format(p.name)}\nSPDX-License-Identifier: MIT\n{what}"))
    t('#include "cm.h"')
    if p.test_only:
        t(f'#include "gen/{lo}_msg.c"')
    else:
        t(f'#include "{lo}_msg.h"')
    t('#include "../tap.h"')
    t()
    if p.msgs:
        bins = [f.max for f in p.all_fields() if f.kind == "bin"] + \
               [f.item_max for f in p.all_fields() if f.kind == "list" and f.elem == "bin"]
        t("/* --- Helpers --- */")
        t()
        t("enum {")
        t("    TEST_BUF_CAP = CM_POOL_MSG_MAX,", "room for any encoding")
        t("    TEST_PRINT_MAX = 64 * 1024,", "room for any printed line")
        t("};")
        t()
        if bins:
            t(f"static const unsigned char s_zeros[{max(bins) + 1}];", "bytes for bin fields at their max")
            t()
        t("/* The TAP name \"MSG: what\", in a static buffer: valid until the next call. */")
        t("static const char *s_name(const char *msg, const char *what)")
        t("{")
        t("    static char name[256];")
        t('    snprintf(name, sizeof(name), "%s: %s", msg, what);')
        t("    return name;")
        t("}")
        t()
        t("/* Print the bytes of `buf` as a TAP diagnostic, in hex. */")
        t("static void s_diag_hex(const char *what, const cm_buf_t *buf)")
        t("{")
        t("    char hex[2 * 64 + 4] = \"\";")
        t("    size_t len = cm_buf_len(buf);")
        t("    for (size_t i = 0; i < len && i < 64; i++)")
        t('        snprintf(hex + 2 * i, 3, "%02x", cm_buf_data(buf)[i]);')
        t("    if (len > 64)")
        t('        memcpy(hex + 2 * 64, "...", 4);')
        t('    diag("%s (%zu bytes): %s", what, len, hex);')
        t("}")
        t()
        t("/* True when two arrays of the same type hold the same bytes. */")
        t("#define SAME_ARRAY(x, y) (memcmp((x), (y), sizeof(x)) == 0)")
        t()
        t("/* True when `a` and `b` hold the same bytes. */")
        t("static bool s_same(const cm_buf_t *a, const cm_buf_t *b)")
        t("{")
        t("    return cm_buf_len(a) == cm_buf_len(b) &&")
        t("           memcmp(cm_buf_data(a), cm_buf_data(b), cm_buf_len(a)) == 0;")
        t("}")
        t()
        if p.uses("bin"):
            t("/* True when two borrowed views show the same bytes. */")
            t("static bool s_iov_eq(const cm_iov_t *a, const cm_iov_t *b)")
            t("{")
            t("    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);")
            t("}")
            t()
        t("/* Read a whole file into `buf`; -1 when it cannot be read. */")
        t("static int s_read_file(const char *path, cm_buf_t *buf)")
        t("{")
        t("    unsigned char chunk[4096];")
        t("    int rc = 0;")
        t('    FILE *f = fopen(path, "rb");')
        t("    if (!f)")
        t("        return -1;")
        t("    for (;;) {")
        t("        size_t n = fread(chunk, 1, sizeof(chunk), f);")
        t("        if (n == 0)")
        t("            break;")
        t("        if (cm_buf_append(buf, chunk, n) < 0) {")
        t("            rc = -1;")
        t("            break;")
        t("        }")
        t("    }")
        t("    if (ferror(f))")
        t("        rc = -1;")
        t("    fclose(f);")
        t("    return rc;")
        t("}")
        t()
        t.lines(block_comment(
            f"Compare an encoding with tests/proto/golden/{lo}/<msg>.mp, written by `make "
            "proto-golden` from the schema with the generator's own msgpack encoder."))
        t("static void s_golden(const cm_buf_t *enc, const char *msg)")
        t("{")
        t("    char path[256];")
        t("    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);")
        t()
        t(f'    snprintf(path, sizeof(path), "tests/proto/golden/{lo}/%s.mp", msg);')
        t("    if (s_read_file(path, want) < 0) {")
        t('        ok(0, s_name(msg, "golden file readable"));')
        t('        diag("cannot read %s: run `make proto-golden` from the repository root", path);')
        t("    } else if (!ok(s_same(enc, want), s_name(msg, \"encoding matches its golden file\"))) {")
        t('        s_diag_hex("got ", enc);')
        t('        s_diag_hex("want", want);')
        t('        diag("if the change is intended, run `make proto-golden` and review the diff");')
        t("    }")
        t("    cm_buf_destroy(&want);")
        t("}")
        t()
        t.lines(block_comment(
            "Encode `a`, decode that into `b`, encode `b` and compare the two encodings. Leaves "
            "the first encoding in `enc` (the views of `b` point into it)."))
        t("static void s_round_trip(int id, const void *a, void *b, cm_buf_t *enc)")
        t("{")
        t(f"    const char *msg = {lo}_msg_name(id);")
        t("    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);")
        t()
        t("    cm_buf_reset(enc);")
        t(f'    is_int({lo}_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));')
        t(f"    int rc = {lo}_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));")
        t('    is_int(rc, 0, s_name(msg, "decodes"));')
        t(f'    is_int({lo}_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));')
        t('    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));')
        t("    cm_buf_destroy(&again);")
        t("}")
        t()
        t("/* The same without TAP output: true when every step passed. */")
        t("static bool s_cycle(int id, const void *a, void *b)")
        t("{")
        t("    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);")
        t("    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);")
        t(f"    bool pass = {lo}_msg_encode(id, a, enc) == 0 &&")
        t(f"                {lo}_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&")
        t(f"                {lo}_msg_encode(id, b, again) == 0 && s_same(enc, again);")
        t("    cm_buf_destroy(&again);")
        t("    cm_buf_destroy(&enc);")
        t("    return pass;")
        t("}")
        t()
        t("/* True when encoding `a` is refused. */")
        t("static bool s_refused(int id, const void *a)")
        t("{")
        t("    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);")
        t(f"    bool refused = {lo}_msg_encode(id, a, enc) == -1;")
        t("    cm_buf_destroy(&enc);")
        t("    return refused;")
        t("}")
        t()
        t("/* print writes exactly one line, starting with the protocol and message names. */")
        t("static void s_print(int id, const void *m)")
        t("{")
        t("    static char text[TEST_PRINT_MAX];")
        t(f"    const char *msg = {lo}_msg_name(id);")
        t("    char want[64];")
        t()
        t("    memset(text, 0, sizeof(text));")
        t('    FILE *f = fmemopen(text, sizeof(text) - 1, "w");')
        t('    if (!ok(f != NULL, s_name(msg, "fmemopen")))')
        t("        return;")
        t(f"    {lo}_msg_print(id, m, f);")
        t("    fclose(f);")
        t(f'    snprintf(want, sizeof(want), "{lo}.%s", msg);')
        t("    size_t len = strlen(text);")
        t("    bool line = len > 0 && strchr(text, '\\n') == text + len - 1;")
        t('    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));')
        t('    diag("%.*s", (int)strcspn(text, "\\n"), text);')
        t("}")
        t()
    for m in p.msgs:
        s = f"{lo}_{m.lower}"
        mid = f"{up}_MSG_{m.name}"
        t(f"/* --- {m.name} --- */")
        t()
        t("/* The schema's test values. */")
        t.lines(call("", f"static void s_fill_{m.lower}(", [f"struct {s} *m"], ")"))
        t("{")
        t("    memset(m, 0, sizeof(*m));")
        for f in m.fields:
            fill_rows(t, f, "m->")
        t("}")
        t()
        t(f"static void s_test_{m.lower}(cm_buf_t *enc)")
        t("{")
        t(f"    struct {s} a, b;")
        t()
        t(f"    s_fill_{m.lower}(&a);")
        t(f"    s_round_trip({mid}, &a, &b, enc);")
        q = f'"{m.name}"'
        for f in m.fields:
            n = f.name
            nm = f's_name({q}, "{n}")'
            if f.kind in SCALARS:
                t.lines(call("    ", "ok(", [f"b.{n} == a.{n}", nm], ");"))
            elif f.kind == "str":
                t.lines(call("    ", "is_str(", [f"b.{n}", f"a.{n}", nm], ");"))
            elif f.kind == "bin":
                t.lines(call("    ", "ok(", [f"s_iov_eq(&b.{n}, &a.{n})", nm], ");"))
            else:
                t.lines(call("    ", "is_int(", [f"b.{n}_count", f"a.{n}_count",
                                                 f's_name({q}, "{n}_count")'], ");"))
                if f.kind == "list" and f.elem == "bin":
                    t(f"    for (uint32_t i = 0; i < a.{n}_count; i++)")
                    t.lines(call("        ", "ok(", [f"s_iov_eq(&b.{n}[i], &a.{n}[i])", nm], ");"))
                else:
                    t.lines(call("    ", "ok(", [f"SAME_ARRAY(b.{n}, a.{n})", nm], ");"))
        t(f"    s_golden(enc, {q});")
        t(f"    s_print({mid}, &b);")
        for f in m.fields:
            n = f.name
            if f.kind not in ("str", "bin", "list", "map"):
                continue

            def what(w, n=n):
                return f's_name({q}, "{n} {w}")'

            t()
            t(f"    s_fill_{m.lower}(&a);")
            if f.kind == "str":
                t(f"    memset(a.{n}, 'x', {f.max});")
                t.lines(call("    ", "ok(", [f"s_cycle({mid}, &a, &b)", what("at its max")], ");"))
                t(f"    a.{n}[{f.max}] = 'x';", "no NUL left")
                t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)", what("past its max refused")],
                             ");"))
                t(f"    memcpy(a.{n}, \"\\303\", 2);", "a lone UTF-8 lead byte")
                t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)", what("not UTF-8 refused")],
                             ");"))
            elif f.kind == "bin":
                t(f"    a.{n}.data = s_zeros;")
                t(f"    a.{n}.len = {f.max};")
                t.lines(call("    ", "ok(", [f"s_cycle({mid}, &a, &b)", what("at its max")], ");"))
                t(f"    a.{n}.len = {f.max + 1};")
                t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)", what("past its max refused")],
                             ");"))
                t(f"    a.{n}.data = NULL;")
                t(f"    a.{n}.len = 1;")
                t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)", what("without data refused")],
                             ");"))
            else:
                if f.kind == "map":
                    t(f"    for (uint32_t i = 0; i < {f.max}; i++)")
                    t.lines(call("        ", "snprintf(", [f"a.{n}[i].key", f"{f.item_max} + 1",
                                                          '"%" PRIu32', "i"], ");"))
                elif f.elem == "bin":
                    t(f"    for (uint32_t i = 0; i < {f.max}; i++) {{")
                    t(f"        a.{n}[i].data = s_zeros;")
                    t(f"        a.{n}[i].len = {f.item_max};")
                    t("    }")
                elif f.elem == "str":
                    t(f"    for (uint32_t i = 0; i < {f.max}; i++)")
                    t(f"        memset(a.{n}[i], 'x', {f.item_max});")
                t(f"    a.{n}_count = {f.max};")
                t.lines(call("    ", "ok(", [f"s_cycle({mid}, &a, &b)", what("at its max")], ");"))
                t(f"    a.{n}_count = {f.max + 1};")
                t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)", what("past its max refused")],
                             ");"))
                if f.kind == "list" and f.elem == "str":
                    t(f"    a.{n}_count = 1;")
                    t(f"    a.{n}[0][{f.item_max}] = 'x';", "no NUL left")
                    t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)",
                                                 what("item past its max refused")], ");"))
                elif f.kind == "list" and f.elem == "bin":
                    t(f"    a.{n}_count = 1;")
                    t(f"    a.{n}[0].len = {f.item_max + 1};")
                    t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)",
                                                 what("item past its max refused")], ");"))
                elif f.kind == "map" and f.max >= 2:
                    t(f"    a.{n}_count = 2;")
                    t.lines(call("    ", "memcpy(", [f"a.{n}[1].key", f"a.{n}[0].key",
                                                        f"{f.item_max} + 1"], ");"))
                    t.lines(call("    ", "ok(", [f"s_refused({mid}, &a)",
                                                 what("with a duplicate key refused")], ");"))
        t("}")
        t()
    # The protocol as a whole: descriptor, names, dispatch.
    t("/* --- Protocol --- */")
    t()
    t("static void s_test_protocol(void)")
    t("{")
    t(f"    union {lo}_msg u;")
    t("    cm_buf_t *enc = cm_buf_new(64);")
    t()
    t("    memset(&u, 0, sizeof(u));")
    t.lines(call("    ", "is_int(", [f"{lo}_proto.id", f"{up}_PROTO", f'"{lo}: protocol number"'],
                 ");"))
    t.lines(call("    ", "is_int(", [f"{lo}_proto.version", f"{up}_VERSION", f'"{lo}: version"'],
                 ");"))
    t(f'    is_str({lo}_proto.name, "{lo}", "{lo}: name");')
    t.lines(call("    ", "is_int(", [f"{lo}_proto.nmsgs", str(len(p.msgs)),
                                        f'"{lo}: {len(p.msgs)} messages"'], ");"))
    for m in p.msgs:
        mid = f"{up}_MSG_{m.name}"
        t.lines(call("    ", f"{'const struct cm_proto_msg *' if m is p.msgs[0] else ''}d = "
                     "cm_proto_find(", [f"&{lo}_proto", mid], ");"))
        t.lines(call("    ", "ok(", [f"d && d->kind == {KINDS[m.kind]} && d->payload == "
                                      f"{int(m.payload)}", f'"{m.name}: descriptor"'], ");"))
        t.lines(call("    ", "is_str(", [f"{lo}_msg_name({mid})", f'"{m.name}"',
                                            f'"{m.name}: name"'], ");"))
    unknown = (p.msgs[-1].id + 1) if p.msgs else 1
    t(f'    is_str({lo}_msg_name({unknown}), "?", "{lo}: unknown id has no name");')
    t(f'    is_str({lo}_msg_name(-1), "?", "{lo}: negative id has no name");')
    t.lines(call("    ", "is_int(", [f'{lo}_msg_decode({unknown}, &u, "\\x80", 1)', "-1",
                                        f'"{lo}: unknown id: no decode"'], ");"))
    t.lines(call("    ", "is_int(", [f"{lo}_msg_encode({unknown}, &u, enc)", "-1",
                                        f'"{lo}: unknown id: no encode"'], ");"))
    t("    cm_buf_destroy(&enc);")
    t("}")
    t()
    t("int main(void)")
    t("{")
    if p.msgs:
        t("    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);")
        t()
    t("    s_test_protocol();")
    for m in p.msgs:
        t(f"    s_test_{m.lower}(enc);")
    if p.msgs:
        t("    cm_buf_destroy(&enc);")
    t("    return done_testing();")
    t("}")
    return t.render()


# --- Driver -----------------------------------------------------------------------------------


def load(root):
    protos = []
    pdir = os.path.join(root, "proto")
    for name in sorted(os.listdir(pdir)):
        if name.endswith(".toml"):
            protos.append(Protocol(os.path.join(pdir, name)))
    for i, p in enumerate(protos):
        for o in protos[:i]:
            if o.id == p.id:
                raise SchemaError(f"{p.file}: protocol id {p.id} is already {o.file}'s")
    return protos


def outputs(protos, golden_files):
    """path -> bytes of everything generated: code and tests, or the golden files."""
    out = {}
    for p in protos:
        if golden_files:
            for m in p.msgs:
                out[f"tests/proto/golden/{p.name}/{m.name}.mp"] = golden(m)
            continue
        for path, text in ((p.h_path, gen_header(p)), (p.c_path, gen_source(p)),
                           (p.test_path, gen_test(p))):
            for n, line in enumerate(text.split("\n"), 1):
                if len(line) > COLUMNS:
                    raise SchemaError(f"{path}:{n}: line longer than {COLUMNS} columns; "
                                      f"shorten a name in proto/{p.name}.toml")
            out[path] = text.encode("utf-8")
    return out


def stray(root, protos):
    """Generated-looking files that no schema produces any more."""
    want = set()
    for p in protos:
        want |= {p.h_path, p.c_path}
    found = []
    for d in ("proto/gen", "tests/proto/gen"):
        full = os.path.join(root, d)
        if os.path.isdir(full):
            found += [f"{d}/{n}" for n in sorted(os.listdir(full))
                      if n.endswith((".c", ".h")) and f"{d}/{n}" not in want]
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--golden", action="store_true", help="write the golden files")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a committed file differs from what the schemas produce")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="repository root (default: the parent of proto/)")
    args = ap.parse_args()
    try:
        protos = load(args.root)
        if args.check:
            stale = []
            for golden_files, cmd in ((False, "make proto"), (True, "make proto-golden")):
                for path, data in sorted(outputs(protos, golden_files).items()):
                    try:
                        with open(os.path.join(args.root, path), "rb") as f:
                            same = f.read() == data
                    except OSError:
                        same = False
                    if not same:
                        stale.append(f"{path} (run `{cmd}`)")
            stale += [f"{path} (no schema produces it; remove it)"
                      for path in stray(args.root, protos)]
            for s in stale:
                print(f"protogen: stale: {s}", file=sys.stderr)
            return 1 if stale else 0
        for path, data in sorted(outputs(protos, args.golden).items()):
            full = os.path.join(args.root, path)
            try:
                with open(full, "rb") as f:
                    if f.read() == data:
                        continue
            except OSError:
                pass
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
            print(f"protogen: wrote {path}")
        return 0
    except SchemaError as e:
        print(f"protogen: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
