/* fuzz_kube: the Kubernetes decoders of the gateway, on bytes as a client would send them. The
 * first byte picks the decoder, the rest is its input:
 *   0  kube_yaml_decode_all: every document that decodes dumps to JSON that loads back equal
 *   1  kube_obj_decode (msgpack at rest): what decodes re-encodes and decodes back equal
 *   2  label and field selectors: a selector that parses prints as text that parses again
 *   3  JSON merge patch, 4  JSON patch, 5  strategic merge patch (no schema): the document and
 *      patch are the two halves around the first NUL; neither input changes, and a result is an
 *      object for 3 and 5. */
#include "bus_buf.h"
#include "kube_obj.h"
#include "kube_patch.h"
#include "kube_select.h"
#include "kube_yaml.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_fail(const char *what)
{
    fprintf(stderr, "fuzz_kube: %s\n", what);
    abort();
}

static void s_yaml(const uint8_t *d, size_t n)
{
    char err[512];
    json_t *docs = kube_yaml_decode_all(d, n, err, sizeof err);
    if (!docs) return;
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        char *text = json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text) s_fail("a decoded document does not dump");
        json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!back || !json_equal(back, doc)) s_fail("a decoded document does not load back");
        json_decref(back);
        free(text);
    }
    json_decref(docs);
}

static void s_obj(const uint8_t *d, size_t n)
{
    char err[256];
    json_t *v = kube_obj_decode(d, n, err, sizeof err);
    if (!v) return;
    bus_buf_t buf;
    bus_buf_init(&buf, 64u << 20);
    if (kube_obj_encode(v, &buf)) s_fail("a decoded object does not encode");
    json_t *back = kube_obj_decode(buf.data, buf.len, err, sizeof err);
    if (!back || !json_equal(back, v)) s_fail("an object does not decode back equal");
    json_decref(back);
    json_decref(v);
    bus_buf_free(&buf);
}

static void s_select(const uint8_t *d, size_t n)
{
    char text[9000], err[1024];
    if (n >= sizeof text) return;
    memcpy(text, d, n);
    text[n] = 0;
    kube_labels_t *l = kube_labels_parse(text, err, sizeof err);
    if (l) {
        char *again = kube_labels_string(l);
        kube_labels_t *l2 = kube_labels_parse(again, err, sizeof err);
        if (!l2) s_fail("a label selector's text does not parse again");
        json_t *labels = json_pack("{s:s}", "app", "web");
        if (kube_labels_match(l, labels) != kube_labels_match(l2, labels))
            s_fail("a label selector and its text select differently");
        json_decref(labels);
        kube_labels_destroy(&l2);
        free(again);
        kube_labels_destroy(&l);
    }
    kube_fields_t *f = kube_fields_parse(text, err, sizeof err);
    kube_fields_destroy(&f);
}

static void s_patch(int kind, const uint8_t *d, size_t n)
{
    const uint8_t *nul = memchr(d, 0, n);
    if (!nul) return;
    json_t *doc = json_loadb((const char *)d, (size_t)(nul - d), JSON_DECODE_ANY, NULL);
    json_t *patch =
        json_loadb((const char *)nul + 1, n - (size_t)(nul - d) - 1, JSON_DECODE_ANY, NULL);
    if (doc && patch) {
        json_t *doc0 = json_deep_copy(doc), *patch0 = json_deep_copy(patch), *out = NULL;
        char err[512];
        int rc = kind == 3   ? kube_merge_patch(doc, patch, &out, err, sizeof err)
                 : kind == 4 ? kube_json_patch(doc, patch, &out, err, sizeof err)
                             : kube_strategic_patch(doc, patch, NULL, NULL, &out, err, sizeof err);
        if (!json_equal(doc, doc0) || !json_equal(patch, patch0))
            s_fail("a patch changed its input");
        if (rc == 0 && !out) s_fail("a patch succeeded with no result");
        if (rc == 0 && kind != 4 && json_is_object(doc) && !json_is_object(out))
            s_fail("a merge patch of an object is not an object");
        json_decref(out);
        json_decref(doc0);
        json_decref(patch0);
    }
    json_decref(doc);
    json_decref(patch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 6) {
    case 0: s_yaml(d, n); break;
    case 1: s_obj(d, n); break;
    case 2: s_select(d, n); break;
    default: s_patch(data[0] % 6, d, n); break;
    }
    return 0;
}
