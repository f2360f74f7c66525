/* SPDX-License-Identifier: MIT
 * Tests of cm_json: cm_json_take_dump gives compact bytes we own (freed with cm_free, checked by
 * ASan), with escapes, UTF-8, integers and reals, a length equal to strlen, and "" for NULL. */
#include "cm.h"
#include "cm_json.h"
#include "../../tap.h"

/* Dump `root` (consumed) and compare with `want`; the length must match strlen. */
static void s_dump_is(json_t *root, const char *want, const char *name)
{
    size_t len = 12345;
    char *out = cm_json_take_dump(root, &len);
    ok(out != NULL, "dump is not NULL");
    is_str(out, want, name);
    is_int(len, out ? strlen(out) : 0, "length output matches strlen");
    cm_free(out);
}

static void test_object(void)
{
    json_t *root = json_object();
    json_object_set_new(root, "id", json_integer(42));
    json_object_set_new(root, "title", json_string("Metropolis"));
    json_t *tags = json_array();
    json_array_append_new(tags, json_string("silent"));
    json_array_append_new(tags, json_string("sci-fi"));
    json_object_set_new(root, "tags", tags);
    json_t *nested = json_array();
    json_t *inner = json_array();
    json_array_append_new(inner, json_integer(1));
    json_array_append_new(inner, json_integer(2));
    json_array_append_new(nested, inner);
    json_array_append_new(nested, json_array());
    json_t *obj = json_object();
    json_object_set_new(obj, "k", json_null());
    json_array_append_new(nested, obj);
    json_object_set_new(root, "nested", nested);
    json_object_set_new(root, "ok", json_true());
    json_object_set_new(root, "no", json_false());
    s_dump_is(root,
              "{\"id\":42,\"title\":\"Metropolis\",\"tags\":[\"silent\",\"sci-fi\"],"
              "\"nested\":[[1,2],[],{\"k\":null}],\"ok\":true,\"no\":false}",
              "object with nested arrays, compact, in insertion order");
    /* root was released by the dump: ASan's leak check at exit proves it. */

    s_dump_is(json_object(), "{}", "empty object");
    s_dump_is(json_array(), "[]", "empty array");
}

static void test_strings(void)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string("say \"hi\""));
    json_array_append_new(a, json_string("back\\slash"));
    json_array_append_new(a, json_string("nl\n tab\t cr\r bs\b ff\f"));
    json_array_append_new(a, json_string("\x01"));
    json_array_append_new(a, json_string("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac"));
    json_array_append_new(a, json_string("a/b"));
    json_array_append_new(a, json_stringn("nul\0inside", 10));
    s_dump_is(a,
              "[\"say \\\"hi\\\"\",\"back\\\\slash\",\"nl\\n tab\\t cr\\r bs\\b ff\\f\","
              "\"\\u0001\","
              "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac\",\"a/b\",\"nul\\u0000inside\"]",
              "strings: quotes, backslash, control chars escaped, UTF-8 kept raw");
}

static void test_strings_case_insensitive_hex(void)
{
    /* jansson may print \u001F or \u001f: both are JSON. Check the shape, not the case. */
    json_t *a = json_array();
    json_array_append_new(a, json_string("\x1f"));
    size_t len = 0;
    char *out = cm_json_take_dump(a, &len);
    ok(out && strcasecmp(out, "[\"\\u001f\"]") == 0, "control char 0x1f escaped as \\u001f");
    is_int(len, strlen(out), "length matches strlen");
    cm_free(out);
}

static void test_numbers(void)
{
    json_t *a = json_array();
    json_array_append_new(a, json_integer(0));
    json_array_append_new(a, json_integer(-7));
    json_array_append_new(a, json_integer(INT64_MAX));
    json_array_append_new(a, json_integer(INT64_MIN));
    json_array_append_new(a, json_real(1.5));
    json_array_append_new(a, json_real(-0.25));
    json_array_append_new(a, json_real(2.0));
    s_dump_is(a, "[0,-7,9223372036854775807,-9223372036854775808,1.5,-0.25,2.0]",
              "integers (incl. int64 extremes) and reals");

    /* Reals are printed with 10 significant digits (the module's style). */
    json_t *r = json_array();
    json_array_append_new(r, json_real(3.14159265358979));
    size_t len = 0;
    char *out = cm_json_take_dump(r, &len);
    ok(out && strncmp(out, "[3.14159", 8) == 0, "pi starts with 3.14159");
    ok(out && strlen(out) <= strlen("[3.141592654]"), "pi printed with at most 10 digits");
    is_int(len, strlen(out), "length matches strlen");
    cm_free(out);
}

static void test_null_and_len(void)
{
    size_t len = 12345;
    char *out = cm_json_take_dump(NULL, &len);
    ok(out != NULL, "NULL root gives a string, not NULL");
    is_str(out, "", "NULL root gives \"\"");
    is_int(len, 0, "NULL root gives length 0");
    cm_free(out);

    out = cm_json_take_dump(NULL, NULL);
    is_str(out, "", "NULL root with NULL len_out");
    cm_free(out);

    json_t *o = json_pack("{s:i}", "a", 1);
    out = cm_json_take_dump(o, NULL);
    is_str(out, "{\"a\":1}", "len_out may be NULL");
    cm_free(out);

    /* A large document crosses any internal buffer size. */
    json_t *big = json_array();
    for (int i = 0; i < 5000; i++)
        json_array_append_new(big, json_string("0123456789"));
    len = 0;
    out = cm_json_take_dump(big, &len);
    is_int(len, 2 + 5000 * 13 - 1, "large array: exact length");
    is_int(strlen(out), len, "large array: strlen matches");
    ok(out[0] == '[' && out[len - 1] == ']' && out[len] == '\0', "large array: framed, NUL");
    cm_free(out);
}

static void test_shared_reference(void)
{
    /* take_dump releases one reference: a root the caller still holds stays usable. */
    json_t *o = json_pack("{s:s}", "k", "v");
    json_incref(o);
    char *out = cm_json_take_dump(o, NULL);
    is_str(out, "{\"k\":\"v\"}", "dump of a shared root");
    cm_free(out);
    is_int(o->refcount, 1, "one reference released");
    is_str(json_string_value(json_object_get(o, "k")), "v", "caller's reference still valid");
    json_decref(o);
}

int main(void)
{
    test_object();
    test_strings();
    test_strings_case_insensitive_hex();
    test_numbers();
    test_null_and_len();
    test_shared_reference();
    return done_testing();
}
