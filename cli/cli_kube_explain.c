/* cli_kube_explain: kubus explain TYPE[.FIELD...], from the API server's OpenAPI v3 document of
 * the type's group version, laid out as kubectl explain's plaintext template lays it out (the
 * kind, then the field's description and its fields, words wrapped as go-wordwrap wraps them).
 * Not kubectl: no --recursive, no --output plaintext-openapiv2. */
#include "cli_kube_impl.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define S_PATH_MAX 32 /* fields in TYPE.a.b.c */

/* Go templates' truth: not null, false, 0, "" or empty. */
static bool s_true(const json_t *v)
{
    return v && !json_is_null(v) && !json_is_false(v) &&
           !(json_is_string(v) && !*json_string_value(v)) &&
           !(json_is_array(v) && !json_array_size(v)) &&
           !(json_is_object(v) && !json_object_size(v)) &&
           !(json_is_integer(v) && !json_integer_value(v));
}

static const json_t *s_get(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return s_true(v) ? v : NULL;
}

/* additionalProperties when it is a schema (not true/false). */
static const json_t *s_map_of(const json_t *schema)
{
    const json_t *v = s_get(schema, "additionalProperties");
    return json_is_object(v) ? v : NULL;
}

static const json_t *s_resolve(const json_t *doc, const char *ref)
{
    const char *prefix = "#/components/schemas/";
    if (!ref || strncmp(ref, prefix, strlen(prefix))) return NULL;
    return s_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                 ref + strlen(prefix));
}

static const json_t *s_resolved(const json_t *doc, const json_t *schema)
{
    const json_t *r = s_resolve(doc, ck_str(schema, "$ref"));
    return r ? r : schema;
}

/* go-wordwrap's WrapString: breaks at spaces so no line passes lim runes where a word allows. */
static void s_wrap(FILE *out, const char *s, size_t lim)
{
    size_t cur = 0, word_len = 0, space_len = 0, wn = 0, sn = 0;
    size_t cap = strlen(s) + 1;
    char *word = malloc(cap), *space = malloc(cap);
    if (!word || !space) abort();
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool cont = (*p & 0xC0) == 0x80; /* a UTF-8 continuation byte: the same rune */
        if (*p == '\n') {
            if (!wn) {
                if (cur + space_len <= lim) fwrite(space, 1, sn, out);
            } else {
                fwrite(space, 1, sn, out), fwrite(word, 1, wn, out);
            }
            sn = space_len = wn = word_len = 0;
            fputc('\n', out);
            cur = 0;
        } else if (strchr(" \t\v\f\r", *p)) {
            if (!sn || wn) {
                cur += space_len + word_len;
                fwrite(space, 1, sn, out), fwrite(word, 1, wn, out);
                sn = space_len = wn = word_len = 0;
            }
            space[sn++] = (char)*p, space_len++;
        } else {
            word[wn++] = (char)*p, word_len += !cont;
            if (!cont && cur + space_len + word_len > lim && word_len < lim) {
                fputc('\n', out);
                cur = 0, sn = space_len = 0;
            }
        }
    }
    if (!wn) {
        if (cur + space_len <= lim) fwrite(space, 1, sn, out);
    } else {
        fwrite(space, 1, sn, out), fwrite(word, 1, wn, out);
    }
    free(word);
    free(space);
}

/* Sprig's wrap then indent: every line, the empty last one too, behind n spaces. */
static void s_block(FILE *out, const char *text, size_t lim, int n)
{
    char *wrapped = NULL;
    size_t len;
    FILE *f = open_memstream(&wrapped, &len);
    if (!f) abort();
    s_wrap(f, text, lim);
    fclose(f);
    fprintf(out, "%*s", n, "");
    for (const char *p = wrapped; *p; p++) {
        fputc(*p, out);
        if (*p == '\n') fprintf(out, "%*s", n, "");
    }
    free(wrapped);
}

/* --- the template's pieces ----------------------------------------------------------------- */

static void s_type(FILE *out, const json_t *doc, const json_t *s)
{
    const json_t *all = s_get(s, "allOf");
    if (s_get(s, "items")) {
        fputs("[]", out);
        s_type(out, doc, json_object_get(s, "items"));
    } else if (s_map_of(s)) {
        fputs("map[string]", out);
        s_type(out, doc, s_map_of(s));
    } else if (all && !s_get(s, "properties") && json_array_size(all) == 1) {
        s_type(out, doc, json_array_get(all, 0));
    } else if (*ck_str(s, "$ref")) {
        const char *ref = ck_str(s, "$ref"), *type = ck_str(s_resolve(doc, ref), "type");
        if (!*type || !strcmp(type, "object")) {
            const char *name = strrchr(ref, '/') ? strrchr(ref, '/') + 1 : ref;
            name = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
            fputs(*name ? name : "Object", out);
        } else {
            fputs(type, out);
        }
    } else {
        const char *type = ck_str(s, "type");
        fputs(!*type || !strcmp(type, "object") ? "Object" : type, out);
    }
}

/* ENUM: one a line (long), or "enum: a, b, c, d, ...." under the field (short). */
static void s_enum(FILE *out, const json_t *s, bool long_view, int indent)
{
    const json_t *e = s_get(s, "enum"), *v;
    size_t i;
    if (!json_is_array(e)) return;
    if (long_view)
        fputs("ENUM:", out);
    else
        fprintf(out, "\n%*senum: ", indent, "");
    json_array_foreach(e, i, v)
    {
        if (!long_view && i >= 4) {
            fputs(", ....", out);
            break;
        }
        fputs(long_view ? "\n    " : i ? ", " : "", out);
        if (json_is_string(v))
            fputs(*json_string_value(v) ? json_string_value(v) : "\"\"", out);
        else {
            char *text = json_dumps(v, JSON_ENCODE_ANY);
            fputs(text, out);
            free(text);
        }
    }
}

/* The descriptions of the schema, its allOf, its items and its map's values, one a line. */
static void s_description(FILE *f, const json_t *doc, const json_t *schema)
{
    const json_t *r = s_resolved(doc, schema), *sub;
    size_t i;
    if (s_get(r, "description")) fprintf(f, "%s\n", ck_str(r, "description"));
    json_array_foreach(s_get(r, "allOf"), i, sub) s_description(f, doc, sub);
    if (s_get(r, "items")) s_description(f, doc, json_object_get(r, "items"));
    if (s_map_of(r)) s_description(f, doc, s_map_of(r));
}

static void s_field(FILE *out, const json_t *doc, const json_t *parent, const char *name)
{
    const json_t *fs = json_object_get(json_object_get(parent, "properties"), name), *r;
    size_t i;
    bool required = false;
    json_array_foreach(s_get(parent, "required"), i, r) required |=
        !strcmp(json_string_value(r) ? json_string_value(r) : "", name);
    fprintf(out, "  %s\t<", name);
    s_type(out, doc, fs);
    fprintf(out, ">%s", required ? " -required-" : "");
    s_enum(out, fs, false, 2);
    fputc('\n', out);
    const char *desc = s_get(fs, "description") ? ck_str(fs, "description") : "<no description>";
    s_block(out, desc, 76, 4);
    fputc('\n', out);
    const json_t *ext = s_get(fs, "externalDocs");
    if (ext) {
        fputs("\n    EXTERNAL DOCS:\n", out);
        if (s_get(ext, "description"))
            s_block(out, ck_str(ext, "description"), 74, 6), fputc('\n', out);
        if (s_get(ext, "url")) fprintf(out, "      URL: %s\n", ck_str(ext, "url"));
    }
    fputc('\n', out);
}

static int s_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The fields (sorted by name) of the schema, its allOf, items and map values; refs once a
 * path. */
static void s_fields(FILE *out, const json_t *doc, const json_t *schema, json_t *history)
{
    const char *ref = ck_str(schema, "$ref"), *key;
    if (*ref && json_object_get(history, ref)) return;
    json_t *seen = json_copy(history), *v;
    json_object_set_new(seen, ref, json_true());
    const json_t *r = s_resolved(doc, schema), *props = s_get(r, "properties");
    size_t n = 0, i;
    const char **keys = calloc(json_object_size(props) + 1, sizeof *keys);
    if (!keys) abort();
    json_object_foreach((json_t *)props, key, v) keys[n++] = key;
    qsort(keys, n, sizeof *keys, s_key_cmp);
    for (i = 0; i < n; i++) s_field(out, doc, r, keys[i]);
    free(keys);
    json_array_foreach(s_get(r, "allOf"), i, v) s_fields(out, doc, v, seen);
    if (s_get(r, "items")) s_fields(out, doc, json_object_get(r, "items"), seen);
    if (s_map_of(r)) s_fields(out, doc, s_map_of(r), seen);
    json_decref(seen);
}

/* The template's "output": follows path through properties, items, map values and allOf; at
 * its end the description and the fields. Prints nothing when the path leads nowhere. */
static void s_output(FILE *out, const json_t *doc, const json_t *schema, char **path, int n,
                     json_t *history)
{
    const char *ref = ck_str(schema, "$ref");
    const json_t *r = s_resolved(doc, schema), *sub;
    if (!n) {
        char *desc = NULL;
        size_t len;
        FILE *f = open_memstream(&desc, &len);
        if (!f) abort();
        s_description(f, doc, schema);
        fclose(f);
        fputs("DESCRIPTION:\n", out);
        s_block(out, *desc ? desc : "<empty>", 76, 4);
        fputc('\n', out);
        free(desc);
        char *fields = NULL;
        if (!(f = open_memstream(&fields, &len))) abort();
        json_t *none = json_object();
        s_fields(f, doc, r, none);
        json_decref(none);
        fclose(f);
        if (len) fprintf(out, "FIELDS:\n%s", fields);
        free(fields);
        return;
    }
    if (*ref && json_object_get(history, ref)) return;
    json_t *seen = json_copy(history);
    json_object_set_new(seen, ref, json_true());
    if ((sub = json_object_get(s_get(r, "properties"), path[0]))) {
        if (n == 1) {
            fprintf(out, "FIELD: %s <", path[0]);
            s_type(out, doc, sub);
            fputs(">\n", out);
            s_enum(out, sub, true, 0);
            fputs("\n\n", out);
        }
        json_t *fresh = json_object();
        s_output(out, doc, sub, path + 1, n - 1, fresh);
        json_decref(fresh);
    } else if (s_get(r, "items")) {
        s_output(out, doc, json_object_get(r, "items"), path, n, seen);
    } else if (s_map_of(r)) {
        s_output(out, doc, s_map_of(r), path, n, seen);
    } else {
        size_t i;
        json_array_foreach(s_get(r, "allOf"), i, sub)
        {
            long before = ftell(out);
            s_output(out, doc, sub, path, n, seen);
            if (ftell(out) != before) break;
        }
    }
    json_decref(seen);
}

/* --- the command --------------------------------------------------------------------------- */

/* The OpenAPI v3 document of res's group version, or NULL (printed). */
static json_t *s_document(ck_ctx_t *c, const cli_kube_res_t *res)
{
    char key[512];
    snprintf(key, sizeof key, "%s%s%s%s", *res->group ? "apis/" : "api/", res->group,
             *res->group ? "/" : "", res->version);
    json_t *root = NULL, *doc = NULL;
    int status = cli_kube_http_call(c->k, "GET", "/openapi/v3", NULL, NULL, NULL, &root);
    const char *url =
        ck_str(json_object_get(json_object_get(root, "paths"), key), "serverRelativeURL");
    if (status == 200 && *url)
        status = cli_kube_http_call(c->k, "GET", url, NULL, NULL, NULL, &doc);
    if (status > 0 && status != 200)
        cli_kube_status_print(doc ? doc : root, NULL);
    else if (status == 200 && !*url)
        fprintf(stderr, "error: couldn't find resource for \"%s/%s, Resource=%s\"\n", res->group,
                res->version, res->name);
    if (status != 200 || !*url) json_decref(doc), doc = NULL;
    json_decref(root); /* url is root's */
    return doc;
}

/* The kind the document's paths for res name (x-kubernetes-group-version-kind). */
static const json_t *s_gvk(const json_t *doc, const cli_kube_res_t *res)
{
    static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
    char paths[4][512];
    const char *prefix = *res->group ? "/apis/" : "/api";
    for (int i = 0; i < 4; i++)
        snprintf(paths[i], sizeof paths[i], "%s%s/%s/%s%s%s", prefix, res->group, res->version,
                 i >= 2 ? "namespaces/{namespace}/" : "", res->name, i % 2 ? "/{name}" : "");
    for (int i = 0; i < 4; i++) {
        const json_t *p = s_get(json_object_get(doc, "paths"), paths[i]);
        for (size_t m = 0; p && m < sizeof methods / sizeof methods[0]; m++) {
            const json_t *gvk = s_get(s_get(p, methods[m]), "x-kubernetes-group-version-kind");
            if (gvk) return gvk;
        }
    }
    return NULL;
}

/* The schema whose x-kubernetes-group-version-kind holds gvk. */
static const json_t *s_kind_schema(const json_t *doc, const json_t *gvk)
{
    const char *name;
    const json_t *s, *g;
    size_t i;
    json_object_foreach(json_object_get(json_object_get(doc, "components"), "schemas"), name, s)
        json_array_foreach(json_object_get(s, "x-kubernetes-group-version-kind"), i,
                           g) if (json_equal(g, gvk)) return s;
    return NULL;
}

static int s_explain(ck_ctx_t *c, const cli_kube_res_t *res, char **path, int n)
{
    json_t *doc = s_document(c, res);
    if (!doc) return 1;
    const json_t *gvk = s_gvk(doc, res), *schema = gvk ? s_kind_schema(doc, gvk) : NULL;
    int rc = 1;
    if (!gvk)
        fprintf(stderr, "error: GVR (%s/%s, Resource=%s) not found in OpenAPI schema\n", res->group,
                res->version, res->name);
    else if (!schema)
        fprintf(stderr, "error: GVK %s/%s, Kind=%s not found in OpenAPI schema\n", res->group,
                res->version, res->kind);
    else {
        char *text = NULL;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        if (!f) abort();
        json_t *none = json_object();
        s_output(f, doc, schema, path, n, none);
        json_decref(none);
        fclose(f);
        if (*ck_str(gvk, "group")) printf("GROUP:      %s\n", ck_str(gvk, "group"));
        printf("KIND:       %s\nVERSION:    %s\n\n", ck_str(gvk, "kind"), ck_str(gvk, "version"));
        if (len)
            printf("%s\n", text);
        else /* kubectl too has printed the kind by then */
            fprintf(stderr, "error: field \"%s\" does not exist\n", path[n - 1]);
        rc = !len;
        free(text);
    }
    json_decref(doc);
    return rc;
}

int ck_explain(ck_ctx_t *c)
{
    if (c->words_n != 1) {
        fprintf(stderr, c->words_n ? "error: We accept only this format: explain RESOURCE\n"
                                   : "error: You must specify the type of resource to explain. "
                                     "Use \"kubectl api-resources\" for a complete list of "
                                     "supported resources.\n");
        return 1;
    }
    char words[1024], type[1100], *path[S_PATH_MAX];
    snprintf(words, sizeof words, "%s", c->words[0]);
    size_t len = strlen(words);
    if (len && words[len - 1] == '.') words[len - 1] = 0;
    int n = 0;
    char *save, *first = strtok_r(words, ".", &save);
    for (char *w = strtok_r(NULL, ".", &save); w && n < S_PATH_MAX; w = strtok_r(NULL, ".", &save))
        path[n++] = w;
    if (!first) return ck_usage(c, stderr);
    const char *av = c->api_version, *slash = av ? strchr(av, '/') : NULL;
    if (slash)
        snprintf(type, sizeof type, "%s.%s.%.*s", first, slash + 1, (int)(slash - av), av);
    else
        snprintf(type, sizeof type, "%s", first);
    const cli_kube_res_t *res = cli_kube_http_find(c->k, type);
    if (!res) /* kubectl's words, without its "error: " */
        fprintf(stderr, "the server doesn't have a resource type \"%s\"\n", first);
    return res ? s_explain(c, res, path, n) : 1;
}
