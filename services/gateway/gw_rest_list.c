/* gw_rest_list: lists of a kind, in pages that read one revision (a continue token names it and
 * the last key), filtered by label and field selectors; JSON lists go from the store's msgpack
 * to the response text without building objects, Tables through gw_table. */
#include "gw_rest_impl.h"

#include "bus_err.h"
#include "bus_log.h"
#include "kube_obj.h"
#include "kube_select.h"
#include "kube_time.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- list ---------------------------------------------------------------------------------- */

bool gw_op_selected(const gw_op_t *op, const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    if (op->labels && !kube_labels_match(op->labels, json_object_get(meta, "labels"))) return false;
    if (op->fields) {
        gw_field_ctx_t c = {.obj = obj};
        if (!kube_fields_match(op->fields, gw_field_get, &c)) return false;
    }
    return true;
}

/* The continue token of a page that ended at key, read at rev. */
static void s_continue_token(uint64_t rev, const char *key, char *out, size_t outlen)
{
    /* The token names the revision and the last key: the next page reads at the same revision,
     * so a list in pages is one consistent snapshot. */
    json_t *tok = json_pack("{s:I, s:s}", "rv", (json_int_t)rev, "after", key);
    char *text = json_dumps(tok, JSON_COMPACT);
    json_decref(tok);
    sodium_bin2base64(out, outlen, (unsigned char *)text, strlen(text),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(text);
}

/* A JSON list with no field selector goes from the store's bytes to the response text without
 * building objects (thousands of pods: the cost is the copy); labels are read alone for a label
 * selector. */
static void s_list_fast(gw_req_t *req, gw_op_t *op, const store_range_reply_t *r, const char *rv,
                        const char *cont)
{
    bus_buf_t out;
    bus_buf_init(&out, (size_t)1 << 30);
    char av[128], head[512], err[128];
    gw_api_version(op->t.kind, av, sizeof av);
    snprintf(head, sizeof head,
             "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%s\"%"
             "s%s%s},"
             "\"items\":[",
             op->t.kind->kind, av, rv, *cont ? ",\"continue\":\"" : "", cont, *cont ? "\"" : "");
    bus_buf_append(&out, head, strlen(head));
    const store_kv_t *kvs = r->kvs.v;
    static const char *const labels_path[] = {"metadata", "labels"};
    bool first = true;
    for (size_t i = 0; i < r->kvs.n; i++) {
        if (op->labels) {
            json_t *labels = kube_obj_get(kvs[i].value.data, kvs[i].value.len, labels_path, 2);
            bool match = kube_labels_match(op->labels, labels);
            json_decref(labels);
            if (!match) continue;
        }
        char item_rv[32];
        snprintf(item_rv, sizeof item_rv, "%" PRIu64, kvs[i].mod_revision);
        size_t mark = out.len;
        if (!first) bus_buf_append(&out, ",", 1);
        if (kube_obj_write_json(kvs[i].value.data, kvs[i].value.len, item_rv, &out, err,
                                sizeof err)) {
            if (out.err) break;
            out.len = mark; /* a corrupt object is left out, as the slow path does */
            continue;
        }
        first = false;
    }
    bus_buf_append(&out, "]}", 2);
    if (out.err) {
        bus_buf_free(&out);
        gw_fail(req, 413, "RequestEntityTooLarge", NULL,
                "the list is too large to answer at once: use limit and continue");
        return;
    }
    gw_respond(req, 200, "application/json", (char *)out.data, out.len);
}

static void s_list_reply(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return;
    store_kv_t *kvs = r->kvs.v;
    uint64_t rev = r->header ? r->header->revision : 0;
    if (op->rv[0]) rev = strtoull(op->rv, NULL, 10);
    char rv[32], cont[1024] = "";
    snprintf(rv, sizeof rv, "%" PRIu64, rev);
    if (r->more && r->kvs.n) s_continue_token(rev, kvs[r->kvs.n - 1].key, cont, sizeof cont);
    bool table = gw_table_wanted(req);
    if (!table && !op->fields && !gw_seal_wanted(op->t.kind)) {
        s_list_fast(req, op, r, rv, cont);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < r->kvs.n; i++) {
        json_t *obj = gw_object_load(op->t.kind, &kvs[i]);
        if (!obj) continue;
        if (gw_op_selected(op, obj))
            json_array_append_new(items, obj);
        else
            json_decref(obj);
    }
    if (table) {
        json_t *t = gw_table_new(op->t.kind, items, rv, cont, gw_query(req, "includeObject"), true,
                                 kube_time_now());
        json_decref(items);
        gw_respond_json(req, 200, t);
        return;
    }
    char av[128], list_kind[128];
    gw_api_version(op->t.kind, av, sizeof av);
    snprintf(list_kind, sizeof list_kind, "%sList", op->t.kind->kind);
    json_t *list = json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", list_kind, "apiVersion", av,
                             "metadata", "resourceVersion", rv, "items", items);
    if (*cont)
        json_object_set_new(json_object_get(list, "metadata"), "continue", json_string(cont));
    gw_respond_json(req, 200, list);
}

static int s_parse_continue(gw_req_t *req, gw_op_t *op, const char *token, char *after,
                            size_t afterlen)
{
    unsigned char raw[1024];
    size_t n;
    json_t *tok = NULL;
    if (sodium_base642bin(raw, sizeof raw - 1, token, strlen(token), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0) {
        raw[n] = 0;
        tok = json_loads((char *)raw, 0, NULL);
    }
    json_int_t rv = json_integer_value(json_object_get(tok, "rv"));
    const char *a = json_string_value(json_object_get(tok, "after"));
    if (!tok || rv <= 0 || !a || strncmp(a, op->key, strlen(op->key))) {
        json_decref(tok);
        gw_fail(req, 400, "BadRequest", NULL, "continue key is not valid");
        return -1;
    }
    snprintf(op->rv, sizeof op->rv, "%" JSON_INTEGER_FORMAT, rv);
    snprintf(after, afterlen, "%s", a);
    json_decref(tok);
    return 0;
}

int gw_op_selectors(gw_req_t *req, gw_op_t *op)
{
    char err[1024];
    const char *ls = gw_query(req, "labelSelector"), *fs = gw_query(req, "fieldSelector");
    if (ls && *ls && !(op->labels = kube_labels_parse(ls, err, sizeof err))) {
        gw_fail(req, 400, "BadRequest", NULL, "%s", err);
        return -1;
    }
    if (fs && *fs && !(op->fields = kube_fields_parse(fs, err, sizeof err))) {
        gw_fail(req, 400, "BadRequest", NULL, "%s", err);
        return -1;
    }
    for (size_t i = 0; op->fields && i < kube_fields_count(op->fields); i++) {
        const char *k = kube_fields_key(op->fields, i);
        bool ok = false;
        for (const char *const *f = op->t.kind->field_selectors; f && *f; f++)
            if (strcmp(*f, k) == 0) ok = true;
        if (!ok && strcmp(k, "metadata.name") && strcmp(k, "metadata.namespace")) {
            gw_fail(req, 400, "BadRequest", NULL, "field label not supported: %s", k);
            return -1;
        }
    }
    return 0;
}

void gw_rest_list(gw_req_t *req, gw_op_t *op)
{
    if (gw_op_selectors(req, op)) return;
    const char *limit = gw_query(req, "limit"), *cont = gw_query(req, "continue");
    op->limit = limit && *limit ? (uint32_t)strtoul(limit, NULL, 10) : 0;
    if (op->limit > GW_LIST_MAX) op->limit = GW_LIST_MAX;
    char after[600] = "";
    if (cont && *cont && s_parse_continue(req, op, cont, after, sizeof after)) return;
    store_range_request_t q = {.key = op->key,
                               .prefix = true,
                               .limit = op->limit ? op->limit : GW_LIST_MAX,
                               .after = *after ? after : NULL,
                               .revision = op->rv[0] ? strtoull(op->rv, NULL, 10) : 0};
    gw_store_call(req, &store_range_request_desc, &q, s_list_reply);
}
