/* kube_patch_test: the selftest of kube_patch (kube_patch.c), apart from the module it tests. */
#include "kube_patch.h"
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- selftest ---- */

/* How deep objects and arrays nest in v (a scalar is 0), measured apart from the module's own
 * bounded walk. */
static size_t s_nesting(const json_t *v)
{
    size_t max = 0, d;
    if (json_is_object(v)) {
        const char *k;
        json_t *item;
        json_object_foreach((json_t *)v, k, item) if ((d = s_nesting(item)) > max) max = d;
        return max + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) if ((d = s_nesting(item)) > max) max = d;
        return max + 1;
    }
    return 0;
}

/* Test JSON is written with single quotes, made double here (no test text has an apostrophe). */
static json_t *s_j(const char *text)
{
    char *s = strdup(text);
    assert(s);
    for (char *p = s; *p; p++)
        if (*p == '\'') *p = '"';
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
    if (!v) fprintf(stderr, "kube_patch_test: bad JSON: %s: %s\n", e.text, s);
    assert(v);
    free(s);
    return v;
}

static const struct {
    const char *path;
    kube_patch_field_t f;
} s_test_fields[] = {
    {"metadata.finalizers", {NULL, true, false}},
    {"metadata.ownerReferences", {"uid", false, false}},
    {"spec.template.spec.containers", {"name", false, false}},
    {"spec.template.spec.containers.ports", {"containerPort", false, false}},
    {"spec.template.spec.containers.env", {"name", false, false}},
    {"spec.template.spec.containers.volumeMounts", {"mountPath", false, false}},
    {"spec.template.spec.volumes", {"name", false, true}},
};

/* The strategic merge metadata of the fields the tests use; counts its calls in *arg. */
static bool s_test_schema(void *arg, const char *const *path, size_t depth, kube_patch_field_t *out)
{
    char name[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < depth && len < sizeof name; i++)
        len += (size_t)snprintf(name + len, sizeof name - len, "%s%s", i ? "." : "", path[i]);
    (*(int *)arg)++;
    for (size_t i = 0; i < sizeof s_test_fields / sizeof s_test_fields[0]; i++) {
        if (strcmp(name, s_test_fields[i].path) == 0) {
            *out = s_test_fields[i].f;
            return true;
        }
    }
    return false;
}

typedef enum { S_MERGE, S_JSON, S_SMP, S_SMP_NOSCHEMA } s_kind_t;

static int s_run(s_kind_t kind, const json_t *doc, const json_t *patch, json_t **out, char *err,
                 size_t errlen)
{
    int calls = 0;
    switch (kind) {
    case S_MERGE: return kube_merge_patch(doc, patch, out, err, errlen);
    case S_JSON: return kube_json_patch(doc, patch, out, err, errlen);
    case S_SMP: return kube_strategic_patch(doc, patch, s_test_schema, &calls, out, err, errlen);
    default: return kube_strategic_patch(doc, patch, NULL, NULL, out, err, errlen);
    }
}

/* Applies patch to doc and checks the result against want exactly, or, want NULL, that it fails
 * with exactly errwant. Either way the inputs must be left as they were. */
static void s_check_json(s_kind_t kind, const json_t *d, const json_t *p, const json_t *w,
                         const char *errwant)
{
    json_t *d0 = json_deep_copy(d), *p0 = json_deep_copy(p), *out = NULL;
    char err[1024] = "";
    int rc = s_run(kind, d, p, &out, err, sizeof err);
    bool ok = w ? rc == 0 && json_equal(out, w) : rc == -1 && !out && strcmp(err, errwant) == 0;
    if (!ok) {
        char *ds = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
        char *ps = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
        char *ws = w ? json_dumps(w, JSON_COMPACT) : NULL;
        char *gs = out ? json_dumps(out, JSON_COMPACT) : NULL;
        fprintf(stderr,
                "kube_patch_test (%d): %s\n  patch %s\n  want  %s\n  got   %s\n  err   %s\n", kind,
                ds, ps, ws ? ws : errwant, gs ? gs : "-", err);
        free(ds), free(ps), free(ws), free(gs);
    }
    assert(ok);
    assert(json_equal(d, d0) && json_equal(p, p0));
    json_decref(out);
    json_decref(d0);
    json_decref(p0);
}

static void s_check(s_kind_t kind, const char *doc, const char *patch, const char *want,
                    const char *errwant)
{
    json_t *d = s_j(doc), *p = s_j(patch), *w = want ? s_j(want) : NULL;
    s_check_json(kind, d, p, w, errwant);
    json_decref(d);
    json_decref(p);
    json_decref(w);
}

static void s_test_merge(void)
{
    /* RFC 7386, appendix A (a top-level array patch is refused instead of replacing all). */
    s_check(S_MERGE, "{'a':'b'}", "{'a':'c'}", "{'a':'c'}", NULL);
    s_check(S_MERGE, "{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}", NULL);
    s_check(S_MERGE, "{'a':'b'}", "{'a':null}", "{}", NULL);
    s_check(S_MERGE, "{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}", NULL);
    s_check(S_MERGE, "{'a':['b']}", "{'a':'c'}", "{'a':'c'}", NULL);
    s_check(S_MERGE, "{'a':'c'}", "{'a':['b']}", "{'a':['b']}", NULL);
    s_check(S_MERGE, "{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}", NULL);
    s_check(S_MERGE, "{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}", NULL);
    s_check(S_MERGE, "{'e':null}", "{'a':1}", "{'e':null,'a':1}", NULL);
    s_check(S_MERGE, "[1,2]", "{'a':'b','c':null}", "{'a':'b'}", NULL);
    s_check(S_MERGE, "{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}", NULL);
    /* Arrays are replaced whole, nulls inside them kept. */
    s_check(S_MERGE, "{'a':[1,2]}", "{'a':[null,{'x':null}]}", "{'a':[null,{'x':null}]}", NULL);
    s_check(S_MERGE, "{'a':1}", "null", "{'a':1}", NULL);
    s_check(S_MERGE, "{'a':1}", "['c','d']", NULL,
            "a merge patch must be a JSON object, not array");
    s_check(S_MERGE, "{'a':1}", "'x'", NULL, "a merge patch must be a JSON object, not string");
}

/* An object nested n levels deep: {"a":{"a":...{}}}. */
static json_t *s_nest(int n)
{
    json_t *v = json_object();
    for (int i = 1; i < n; i++) {
        json_t *outer = json_object();
        json_object_set_new(outer, "a", v);
        v = outer;
    }
    return v;
}

static void s_test_depth(void)
{
    json_t *doc = s_j("{'x':1}"), *ok = json_object(), *bad = json_object();
    json_object_set_new(ok, "a", s_nest(KUBE_PATCH_DEPTH_MAX - 1));
    json_object_set_new(bad, "a", s_nest(KUBE_PATCH_DEPTH_MAX));
    json_t *want = json_deep_copy(ok);
    json_object_set_new(want, "x", json_integer(1));
    s_check_json(S_MERGE, doc, ok, want, NULL);
    s_check_json(S_SMP, doc, ok, want, NULL);
    s_check_json(S_MERGE, doc, bad, NULL, "patch nests deeper than 100 levels");
    s_check_json(S_SMP, doc, bad, NULL, "patch nests deeper than 100 levels");
    json_t *ops = json_pack("[{s:s, s:s, s:o}]", "op", "add", "path", "/b", "value",
                            s_nest(KUBE_PATCH_DEPTH_MAX + 1));
    s_check_json(S_JSON, doc, ops, NULL, "operation 0 nests deeper than 100 levels");
    /* A pointer of 101 tokens. */
    char path[2 * KUBE_PATCH_DEPTH_MAX + 8] = "";
    for (int i = 0; i <= KUBE_PATCH_DEPTH_MAX; i++) strcat(path, "/a");
    json_decref(ops);
    ops = json_pack("[{s:s, s:s}]", "op", "remove", "path", path);
    json_t *d2 = json_pack("{s:o}", "a", s_nest(KUBE_PATCH_DEPTH_MAX + 1));
    char msg[512];
    snprintf(msg, sizeof msg, "remove operation does not apply: path \"%s\" is deeper than 100",
             path);
    s_check_json(S_JSON, d2, ops, NULL, msg);
    json_decref(d2);
    json_decref(ops);
    json_decref(doc);
    json_decref(ok);
    json_decref(bad);
    json_decref(want);
}

static void s_test_json(void)
{
    /* RFC 6902, appendix A. */
    s_check(S_JSON, "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
            "{'baz':'qux','foo':'bar'}", NULL);
    s_check(S_JSON, "{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]",
            "{'foo':['bar','qux','baz']}", NULL);
    s_check(S_JSON, "{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}",
            NULL);
    s_check(S_JSON, "{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]",
            "{'foo':['bar','baz']}", NULL);
    s_check(S_JSON, "{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]",
            "{'baz':'boo','foo':'bar'}", NULL);
    s_check(S_JSON, "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
            "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
            "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}", NULL);
    s_check(S_JSON, "{'foo':['all','grass','cows','eat']}",
            "[{'op':'move','from':'/foo/1','path':'/foo/3'}]",
            "{'foo':['all','cows','eat','grass']}", NULL);
    s_check(S_JSON, "{'baz':'qux','foo':['a',2,'c']}",
            "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
            "{'baz':'qux','foo':['a',2,'c']}", NULL);
    s_check(S_JSON, "{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]", NULL,
            "testing value /baz failed: test failed");
    s_check(S_JSON, "{'foo':'bar'}",
            "[{'op':'add','path':'/child','value':{'grandchild':{}},'xyz':1}]",
            "{'foo':'bar','child':{'grandchild':{}}}", NULL);
    s_check(S_JSON, "{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':'qux'}]", NULL,
            "add operation does not apply: doc is missing path: \"/baz/bat\": missing value");
    s_check(S_JSON, "{'/':9,'~1':10}",
            "[{'op':'test','path':'/~01','value':10},{'op':'test','path':'/~1','value':9}]",
            "{'/':9,'~1':10}", NULL);
    s_check(S_JSON, "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':'10'}]", NULL,
            "testing value /~01 failed: test failed");
    s_check(S_JSON, "{'foo':['bar']}", "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
            "{'foo':['bar',['abc','def']]}", NULL);
    /* Copy; test compares deeply, whatever the key order; 1 is not 1.0, as upstream. */
    s_check(S_JSON, "{'a':{'x':[1,{'y':2}]}}",
            "[{'op':'copy','from':'/a','path':'/b'},{'op':'test','path':'/b',"
            "'value':{'x':[1,{'y':2}]}},{'op':'add','path':'/b/x/1/z','value':3}]",
            "{'a':{'x':[1,{'y':2}]},'b':{'x':[1,{'y':2,'z':3}]}}", NULL);
    s_check(S_JSON, "{'o':{'a':2,'b':1}}", "[{'op':'test','path':'/o','value':{'b':1,'a':2}}]",
            "{'o':{'a':2,'b':1}}", NULL);
    s_check(S_JSON, "{'n':1}", "[{'op':'test','path':'/n','value':1.0}]", NULL,
            "testing value /n failed: test failed");
    /* A Kubernetes-looking patch: replace the image, append an arg, drop a label. */
    s_check(S_JSON,
            "{'metadata':{'labels':{'a/b':'x','c':'y'}},'spec':{'containers':[{'name':'n',"
            "'image':'i:1','args':['a']}]}}",
            "[{'op':'test','path':'/spec/containers/0/name','value':'n'},"
            "{'op':'replace','path':'/spec/containers/0/image','value':'i:2'},"
            "{'op':'add','path':'/spec/containers/0/args/-','value':'b'},"
            "{'op':'remove','path':'/metadata/labels/a~1b'}]",
            "{'metadata':{'labels':{'c':'y'}},'spec':{'containers':[{'name':'n',"
            "'image':'i:2','args':['a','b']}]}}",
            NULL);
    s_check(S_JSON, "{'l':[0,1,2,3,4,5,6,7,8,9,10,11]}",
            "[{'op':'replace','path':'/l/10','value':'x'},{'op':'remove','path':'/l/011'}]",
            "{'l':[0,1,2,3,4,5,6,7,8,9,'x']}", NULL);
    s_check(S_JSON, "{'a':1}", "null", "{'a':1}", NULL);
    s_check(S_JSON, "{'a':1}", "[]", "{'a':1}", NULL);
}

static void s_test_json_errors(void)
{
    const char *d = "{'a':{'b':[1,2]},'s':'str'}";
    s_check(S_JSON, d, "{'op':'add'}", NULL,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    s_check(S_JSON, d, "[1]", NULL,
            "json: cannot unmarshal number into Go value of type jsonpatch.Operation");
    s_check(S_JSON, d, "[{'op':'bogus','path':'/a'}]", NULL, "Unexpected kind: bogus");
    s_check(S_JSON, d, "[{'path':'/a'}]", NULL, "Unexpected kind: unknown");
    s_check(S_JSON, d, "[null]", NULL, "Unexpected kind: unknown");
    s_check(S_JSON, d, "[{'op':'add','value':1}]", NULL,
            "add operation failed to decode path: missing value");
    s_check(S_JSON, d, "[{'op':'move','path':'/x'}]", NULL,
            "move operation failed to decode from: missing value");
    s_check(S_JSON, d, "[{'op':'replace','path':'/a'}]", NULL,
            "replace operation failed to decode value: missing value");
    s_check(S_JSON, d, "[{'op':'remove','path':'/a/x'}]", NULL,
            "remove operation does not apply: doc is missing path: \"/a/x\": missing value");
    s_check(S_JSON, d, "[{'op':'replace','path':'/q','value':1}]", NULL,
            "replace operation does not apply: doc is missing path: \"/q\": missing value");
    s_check(S_JSON, d, "[{'op':'add','path':'','value':1}]", NULL,
            "add operation does not apply: doc is missing path: \"\": missing value");
    s_check(S_JSON, d, "[{'op':'add','path':'/s/x','value':1}]", NULL,
            "add operation does not apply: doc is missing path: \"/s/x\": missing value");
    s_check(S_JSON, d, "[{'op':'add','path':'/a/b/3','value':1}]", NULL,
            "error in add for path: '/a/b/3': Unable to access invalid index: 3: invalid index "
            "referenced");
    s_check(S_JSON, d, "[{'op':'add','path':'/a/b/2','value':3}]", "{'a':{'b':[1,2,3]},'s':'str'}",
            NULL);
    s_check(S_JSON, d, "[{'op':'remove','path':'/a/b/-1'}]", NULL,
            "error in remove for path: '/a/b/-1': value was not a proper array index: '-1'");
    s_check(S_JSON, d, "[{'op':'remove','path':'/a/b/-'}]", NULL,
            "error in remove for path: '/a/b/-': Unable to access invalid index: -: invalid index "
            "referenced");
    s_check(S_JSON, d, "[{'op':'replace','path':'/a/b/99999999999999999999999','value':0}]", NULL,
            "error in replace for path: '/a/b/99999999999999999999999': Unable to access invalid "
            "index: 99999999999999999999999: invalid index referenced");
    s_check(S_JSON, d, "[{'op':'test','path':'/a/c','value':1}]", NULL,
            "test operation does not apply: doc is missing path: \"/a/c\": missing value");
    s_check(S_JSON, d, "[{'op':'copy','from':'/nope','path':'/c'}]", NULL,
            "copy operation does not apply: doc is missing from path: \"/nope\": missing value");
    /* Moving a value into itself: once taken out, the destination is gone. */
    s_check(S_JSON, d, "[{'op':'move','from':'/a','path':'/a/b/0'}]", NULL,
            "move operation does not apply: doc is missing destination path: \"/a/b/0\": missing "
            "value");
    /* All or nothing: the first operation applied, the second fails, nothing comes out. */
    s_check(S_JSON, d, "[{'op':'remove','path':'/s'},{'op':'test','path':'/a/b/0','value':2}]",
            NULL, "testing value /a/b/0 failed: test failed");
    /* The message is cut to errlen, and stays a C string. */
    json_t *doc = s_j(d), *ops = s_j("[{'op':'bogus'}]"), *out = NULL;
    char small[8];
    assert(kube_json_patch(doc, ops, &out, small, sizeof small) == -1 && !out);
    assert(strcmp(small, "Unexpec") == 0);
    assert(kube_json_patch(doc, ops, &out, NULL, 0) == -1 && !out);
    json_decref(ops);
    json_decref(doc);
}

static void s_test_json_limits(void)
{
    json_t *doc = s_j("{'a':1}"), *ops = json_array(), *out = NULL;
    for (int i = 0; i < KUBE_PATCH_OPS_MAX; i++)
        json_array_append_new(ops,
                              json_pack("{s:s, s:s, s:i}", "op", "test", "path", "/a", "value", 1));
    s_check_json(S_JSON, doc, ops, doc, NULL);
    json_array_append_new(ops,
                          json_pack("{s:s, s:s, s:i}", "op", "test", "path", "/a", "value", 1));
    s_check_json(S_JSON, doc, ops, NULL,
                 "The allowed maximum operations in a JSON patch is 10000, got 10001");
    json_decref(ops);
    json_decref(doc);

    /* Copies of a 1 MiB string: the third passes 3 MiB. */
    char *big = malloc(1 << 20 | 1);
    assert(big);
    memset(big, 'x', 1 << 20);
    big[1 << 20] = '\0';
    doc = json_pack("{s:s}", "a", big);
    free(big);
    ops = s_j("[{'op':'copy','from':'/a','path':'/b'},{'op':'copy','from':'/a','path':'/c'},"
              "{'op':'copy','from':'/a','path':'/d'}]");
    char msg[256];
    snprintf(msg, sizeof msg,
             "Unable to complete the copy, the accumulated size increase of copy is %d, exceeding "
             "the limit %d",
             3 * ((1 << 20) + 2), KUBE_PATCH_COPY_BYTES_MAX);
    s_check_json(S_JSON, doc, ops, NULL, msg);
    json_array_remove(ops, 2);
    assert(kube_json_patch(doc, ops, &out, msg, sizeof msg) == 0 && json_object_size(out) == 3);
    json_decref(out);
    json_decref(ops);
    json_decref(doc);

    /* Copying a 100-deep chain 99 levels down into itself nests the document 99 levels deeper
     * each time: nine copies fit in KUBE_PATCH_DOC_DEPTH_MAX, the tenth would not. */
    doc = json_pack("{s:o}", "p", s_nest(KUBE_PATCH_DEPTH_MAX));
    char path[KUBE_PATCH_DEPTH_MAX * 2 + 8] = "/p";
    for (int i = 0; i < KUBE_PATCH_DEPTH_MAX - 2; i++) strcat(path, "/a");
    strcat(path, "/c");
    ops = json_array();
    for (int i = 0; i < 10; i++)
        json_array_append_new(
            ops, json_pack("{s:s, s:s, s:s}", "op", "copy", "from", "/p", "path", path));
    s_check_json(S_JSON, doc, ops, NULL,
                 "copy operation would nest the document deeper than 1000 levels");
    json_array_remove(ops, 9);
    assert(kube_json_patch(doc, ops, &out, msg, sizeof msg) == 0);
    assert(s_nesting(out) == 1 + 9 * 99 + 100);
    json_decref(out);
    json_decref(ops);
    json_decref(doc);
}

/* A Deployment as the apiserver stores it, less what the tests do not need. */
#define S_DEPLOY                                                                                   \
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}," \
    "'finalizers':['a','b']},'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},"       \
    "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':["                       \
    "{'name':'nginx','image':'nginx:1.25','ports':[{'containerPort':80,'name':'http'},"            \
    "{'containerPort':443,'name':'https'}],'env':[{'name':'A','value':'1'},"                       \
    "{'name':'B','value':'2'}],'resources':{'limits':{'cpu':'500m'}},"                             \
    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"                                       \
    "{'name':'side','image':'busybox','args':['sleep','3600']}],"                                  \
    "'volumes':[{'name':'data','emptyDir':{}}]}}}}"

#define S_POD  "/spec/template/spec"
#define S_NGX  S_POD "/containers/0"
#define S_SPEC "{'spec':{'template':{'spec':"

/* Strategic-merges patch into the Deployment and checks that the result is exactly the
 * Deployment changed by ops (a JSON patch): nothing else may change. */
static void s_check_deploy(const char *patch, const char *ops)
{
    json_t *d = s_j(S_DEPLOY), *p = s_j(patch), *o = s_j(ops), *want = NULL;
    char err[256];
    assert(kube_json_patch(d, o, &want, err, sizeof err) == 0);
    s_check_json(S_SMP, d, p, want, NULL);
    json_decref(d);
    json_decref(p);
    json_decref(o);
    json_decref(want);
}

static void s_test_smp_deploy(void)
{
    /* kubectl apply's patch after an image change: only that image changes. */
    s_check_deploy(S_SPEC "{'$setElementOrder/containers':[{'name':'nginx'}],"
                          "'containers':[{'image':'nginx:1.26','name':'nginx'}]}}}}",
                   "[{'op':'replace','path':'" S_NGX "/image','value':'nginx:1.26'}]");
    /* env merges by name: B changes in place, C is appended. */
    s_check_deploy(S_SPEC "{'containers':[{'name':'nginx','env':[{'name':'B','value':'20'},"
                          "{'name':'C','value':'3'}]}]}}}}",
                   "[{'op':'replace','path':'" S_NGX "/env/1/value','value':'20'},"
                   "{'op':'add','path':'" S_NGX "/env/-','value':{'name':'C','value':'3'}}]");
    /* ports merge by containerPort; items new to the list come before the server-only ones
     * after them, so 8080 comes first and 443 (untouched) last. */
    s_check_deploy(S_SPEC "{'containers':[{'name':'nginx','ports':[{'containerPort':8080,"
                          "'name':'alt'},{'containerPort':80,'protocol':'TCP'}]}]}}}}",
                   "[{'op':'add','path':'" S_NGX "/ports/0/protocol','value':'TCP'},"
                   "{'op':'add','path':'" S_NGX "/ports/0','value':{'containerPort':8080,"
                   "'name':'alt'}}]");
    /* 80.0 names port 80 (the apiserver decodes both as int64 80). */
    s_check_deploy(S_SPEC "{'containers':[{'name':'nginx','ports':[{'containerPort':80.0,"
                          "'protocol':'UDP'}]}]}}}}",
                   "[{'op':'add','path':'" S_NGX "/ports/0/protocol','value':'UDP'},"
                   "{'op':'replace','path':'" S_NGX "/ports/0/containerPort','value':80.0}]");
    /* A new container is listed first, as in kubectl's documentation. */
    s_check_deploy(S_SPEC "{'containers':[{'name':'redis','image':'redis'}]}}}}",
                   "[{'op':'add','path':'" S_POD "/containers/0','value':{'name':'redis',"
                   "'image':'redis'}}]");
    /* volumes: retainKeys drops emptyDir for configMap. */
    s_check_deploy(S_SPEC "{'volumes':[{'name':'data','$retainKeys':['configMap','name'],"
                          "'configMap':{'name':'cm'}}]}}}}",
                   "[{'op':'replace','path':'" S_POD "/volumes/0','value':{'name':'data',"
                   "'configMap':{'name':'cm'}}}]");
    s_check_deploy(S_SPEC "{'containers':[{'$patch':'delete','name':'side'}]}}}}",
                   "[{'op':'remove','path':'" S_POD "/containers/1'}]");
    s_check_deploy(S_SPEC "{'containers':[{'name':'nginx','ports':null}]}}}}",
                   "[{'op':'remove','path':'" S_NGX "/ports'}]");
    /* The whole list replaced; the directive element goes wherever it likes. */
    s_check_deploy(S_SPEC "{'containers':[{'name':'only','image':'i'},{'$patch':'replace'}]}}}}",
                   "[{'op':'replace','path':'" S_POD "/containers','value':[{'name':'only',"
                   "'image':'i'}]}]");
    /* Finalizers: a union, new ones first; deletion from the list; ordering alone. */
    s_check_deploy("{'metadata':{'finalizers':['c','a']}}",
                   "[{'op':'add','path':'/metadata/finalizers/0','value':'c'}]");
    s_check_deploy("{'metadata':{'$deleteFromPrimitiveList/finalizers':['a','x']}}",
                   "[{'op':'remove','path':'/metadata/finalizers/0'}]");
    s_check_deploy(
        "{'metadata':{'$setElementOrder/finalizers':['b','a']}}",
        "[{'op':'move','from':'/metadata/finalizers/0','path':'/metadata/finalizers/-'}]");
    /* $patch on maps: replace puts the patch there, delete leaves {} (as upstream). */
    s_check_deploy("{'spec':{'template':{'metadata':{'labels':{'$patch':'replace','tier':'x'}}}}}",
                   "[{'op':'replace','path':'/spec/template/metadata/labels','value':"
                   "{'tier':'x'}}]");
    s_check_deploy("{'spec':{'selector':{'$patch':'delete'}}}",
                   "[{'op':'replace','path':'/spec/selector','value':{}}]");
    /* Unknown fields: maps merge (nulls delete, new subtrees lose their nulls), lists replace. */
    s_check_deploy("{'spec':{'replicas':null,'strategy':{'type':'Recreate','rollingUpdate':null},"
                   "'template':{'spec':{'tolerations':[{'key':'k','value':null}]}}}}",
                   "[{'op':'remove','path':'/spec/replicas'},{'op':'add','path':'/spec/strategy',"
                   "'value':{'type':'Recreate'}},{'op':'add','path':'" S_POD "/tolerations',"
                   "'value':[{'key':'k','value':null}]}]");
}

#define S_ENV(x) "{'spec':{'template':{'spec':{'containers':[{'name':'c','env':" x "}]}}}}"
#define S_A      "{'name':'A','value':'1'}"
#define S_B      "{'name':'B','value':'2'}"
#define S_C      "{'name':'C','value':'3'}"
#define S_D      "{'name':'D','value':'4'}"
#define S_C1(x)  "{'spec':{'template':{'spec':{'containers':[{'name':'c'," x "}]}}}}"

static void s_test_smp_order(void)
{
    /* Ordering alone: server-only D keeps its place before B, which it preceded. */
    s_check(S_SMP, S_ENV("[" S_A "," S_D "," S_B "]"),
            S_C1("'$setElementOrder/env':[{'name':'B'},{'name':'A'}]"),
            S_ENV("[" S_D "," S_B "," S_A "]"), NULL);
    /* kubectl's form: the order names every item of the applied list, the list only changes. */
    s_check(S_SMP, S_ENV("[" S_A "," S_B "," S_D "]"),
            S_C1("'$setElementOrder/env':[{'name':'C'},{'name':'A'},{'name':'B'}],'env':[" S_C "]"),
            S_ENV("[" S_C "," S_A "," S_B "," S_D "]"), NULL);
    /* Without an order list the patch's own order applies to the items it names. */
    s_check(S_SMP, S_ENV("[" S_A "," S_B "," S_C "]"),
            S_C1("'env':[{'name':'C','value':'30'},{'name':'A','value':'10'}]"),
            S_ENV("[" S_B ",{'name':'C','value':'30'},{'name':'A','value':'10'}]"), NULL);
    /* A list new to the document: directives inside it apply, never land in the output. */
    s_check(S_SMP, S_ENV("[]"),
            "{'spec':{'template':{'spec':{'containers':[{'name':'n','env':[" S_A
            ",{'name':'X','$patch':'delete'}]}]}}}}",
            "{'spec':{'template':{'spec':{'containers':[{'name':'n','env':[" S_A
            "]},{'name':'c','env':[]}]}}}}",
            NULL);
    /* A list that does not merge takes the patch's list, whose order must agree with the order
     * list's. */
    s_check(S_SMP, S_C1("'args':['x']"),
            S_C1("'$setElementOrder/args':['b','c','a'],'args':['b','a']"),
            S_C1("'args':['b','a']"), NULL);
    s_check(S_SMP, S_C1("'args':['x']"), S_C1("'$setElementOrder/args':['b','a'],'args':['a','b']"),
            NULL, "The order in patch list: [a b] doesn't match $setElementOrder list: [b a]");
    s_check(S_SMP, "{'data':{'key1':'a','key2':'b'}}", "{'data':{'key1':null}}",
            "{'data':{'key2':'b'}}", NULL);
    s_check(S_SMP,
            "{'metadata':{'ownerReferences':[{'uid':'1','kind':'A'},{'uid':'2','kind':'B'}]}}",
            "{'metadata':{'ownerReferences':[{'uid':'1','$patch':'delete'},{'uid':'3'}]}}",
            "{'metadata':{'ownerReferences':[{'uid':'3'},{'uid':'2','kind':'B'}]}}", NULL);
    s_check(S_SMP, "{'a':1}", "null", "{'a':1}", NULL);
    s_check(S_SMP, "{'a':1}", "{'$patch':'delete'}", "{}", NULL);
    s_check(S_SMP, "{'a':1,'b':{'c':1}}", "{'$patch':'replace','b':{'d':null,'e':2}}",
            "{'b':{'e':2}}", NULL);
}

static void s_test_smp_errors(void)
{
    s_check(S_SMP, S_DEPLOY, S_SPEC "{'containers':[{'image':'x'}]}}}}", NULL,
            "map: map[image:x] does not contain declared merge key: name");
    s_check(S_SMP, S_DEPLOY, S_SPEC "{'containers':[{'$patch':'delete'}]}}}}", NULL,
            "map: map[$patch:delete] does not contain declared merge key: name");
    s_check(S_SMP, S_DEPLOY, S_SPEC "{'containers':[{'$patch':'merge','name':'x'}]}}}}", NULL,
            "merging lists cannot yet be specified in the patch");
    s_check(S_SMP, S_DEPLOY, "{'metadata':{'$patch':'bogus'}}", NULL,
            "unknown patch type: bogus in map: map[$patch:bogus]");
    s_check(S_SMP, S_DEPLOY, S_SPEC "{'$setElementOrderX/containers':[]}}}}", NULL,
            "invalid patch format of setElementOrder list");
    s_check(S_SMP, S_DEPLOY, S_SPEC "{'$setElementOrder/containers':'x'}}}}", NULL,
            "expected a []interface {}, but received a string");
    s_check(S_SMP, S_DEPLOY, "{'metadata':{'$deleteFromPrimitiveListfinalizers':['a']}}", NULL,
            "invalid patch format of primitive list");
    s_check(S_SMP, S_DEPLOY,
            S_SPEC "{'volumes':[{'name':'data','$retainKeys':['name'],'configMap':{}}]}}}}", NULL,
            "invalid patch format of retainKeys");
    s_check(S_SMP, S_DEPLOY,
            S_SPEC "{'$setElementOrder/containers':[{'name':'side'}],'containers':[{'name':"
                   "'nginx','image':'x'}]}}}}",
            NULL,
            "The order in patch list: [map[image:x name:nginx]] doesn't match $setElementOrder "
            "list: [map[name:side]]");
    s_check(S_SMP, S_DEPLOY, "{'metadata':{'finalizers':[1]}}", NULL,
            "list element types are not identical: [[a b] [1]]");
    s_check(S_SMP, "{'metadata':{'finalizers':[]}}", "{'metadata':{'finalizers':[[1]]}}", NULL,
            "lists of lists are not supported");
    s_check(S_SMP, S_DEPLOY, "[]", NULL,
            "json: cannot unmarshal array into Go value of type map[string]interface {}");
    s_check(S_SMP, "[]", "{}", NULL, "the document is not a JSON object");
}

/* Without a schema every field is unknown: a merge patch, directives still applied. */
static void s_test_smp_noschema(void)
{
    const char *p = S_SPEC "{'containers':[{'name':'nginx','image':'x'}]}},"
                           "'selector':{'matchLabels':{'app':null,'x':'y'}}}}";
    json_t *d = s_j(S_DEPLOY), *patch = s_j(p), *want = NULL;
    assert(kube_merge_patch(d, patch, &want, NULL, 0) == 0);
    s_check_json(S_SMP_NOSCHEMA, d, patch, want, NULL);
    json_decref(want);
    json_decref(patch);
    json_decref(d);
    s_check(S_SMP_NOSCHEMA, "{'l':{'a':1}}", "{'l':{'$patch':'replace','b':2}}", "{'l':{'b':2}}",
            NULL);
    /* The schema is asked, with its argument, about each field the patch enters: spec,
     * template, spec, containers, then name and ports (in the element), then containerPort. */
    int calls = 0;
    json_t *out = NULL;
    d = s_j(S_DEPLOY);
    patch = s_j(S_SPEC "{'containers':[{'name':'nginx','ports':[{'containerPort':80}]}]}}}}");
    assert(kube_strategic_patch(d, patch, s_test_schema, &calls, &out, NULL, 0) == 0);
    assert(calls == 7 && json_equal(out, d));
    json_decref(out);
    json_decref(patch);
    json_decref(d);
}

void kube_patch_test(bool verbose)
{
    s_test_merge();
    s_test_depth();
    s_test_json();
    s_test_json_errors();
    s_test_json_limits();
    s_test_smp_deploy();
    s_test_smp_order();
    s_test_smp_errors();
    s_test_smp_noschema();
    if (verbose) printf(" * kube_patch: OK\n");
}
