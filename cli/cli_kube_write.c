/* cli_kube_write: kubus apply, create, delete, scale, label, annotate, logs and rollout over the
 * Kubernetes API. */
#include "cli_kube_impl.h"
#include "cli.h"
#include "kube_patch.h"
#include "kube_yaml.h"
#include <dirent.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* --- apply and create ---------------------------------------------------------------------- */

/* evanphx/json-patch's CreateMergePatch: what turns a into b (a null removes). */
static json_t *s_merge_diff(const json_t *a, const json_t *b)
{
    json_t *patch = json_object(), *bv, *av, *v;
    const char *key;
    json_object_foreach((json_t *)b, key, bv)
    {
        av = json_object_get(a, key);
        if (json_is_object(av) && json_is_object(bv)) {
            json_t *sub = s_merge_diff(av, bv);
            if (json_object_size(sub)) json_object_set(patch, key, sub);
            json_decref(sub);
        } else if (!av || !json_equal(av, bv)) {
            json_object_set_new(patch, key, json_deep_copy(bv));
        }
    }
    json_object_foreach((json_t *)a, key, v) if (!json_object_get(b, key))
        json_object_set_new(patch, key, json_null());
    return patch;
}

/* jsonmergepatch's keepOrDeleteNullInObj: only the removals, or only the rest. */
static json_t *s_filter(const json_t *patch, bool removals)
{
    json_t *out = json_object(), *v;
    const char *key;
    json_object_foreach((json_t *)patch, key, v)
    {
        if (json_is_null(v)) {
            if (removals) json_object_set_new(out, key, json_null());
        } else if (json_is_object(v) && json_object_size(v)) {
            json_t *sub = s_filter(v, removals);
            if (json_object_size(sub)) json_object_set(out, key, sub);
            json_decref(sub);
        } else if (!removals) {
            json_object_set(out, key, v); /* a value, a list (replaced whole) or an explicit {} */
        }
    }
    return out;
}

/* Does live hold every field of v (maps: v's keys; lists: as many elements, each held)? */
static bool s_holds(const json_t *live, const json_t *v)
{
    size_t i;
    const char *key;
    const json_t *x;
    if (json_is_object(v) && json_is_object(live)) {
        json_object_foreach((json_t *)v, key,
                            x) if (!s_holds(json_object_get(live, key), x)) return false;
        return true;
    }
    if (!json_is_array(v) || !json_is_array(live)) return live && json_equal(live, v);
    if (json_array_size(v) != json_array_size(live)) return false;
    json_array_foreach(v, i, x) if (!s_holds(json_array_get(live, i), x)) return false;
    return true;
}

/* What to set so that live has modified's fields. A list is replaced whole when it differs,
 * except one the manifest has not changed since it was last applied and that live still holds
 * (the server added defaults to its elements): strategic merge would leave it alone too. */
static json_t *s_changes(const json_t *live, const json_t *modified, const json_t *original)
{
    json_t *patch = json_object(), *mv;
    const char *key;
    json_object_foreach((json_t *)modified, key, mv)
    {
        const json_t *lv = json_object_get(live, key), *ov = json_object_get(original, key);
        if (json_is_object(lv) && json_is_object(mv)) {
            json_t *sub = s_changes(lv, mv, ov);
            if (json_object_size(sub)) json_object_set(patch, key, sub);
            json_decref(sub);
        } else if (!lv || !json_equal(lv, mv)) {
            if (lv && ov && json_equal(ov, mv) && s_holds(lv, mv)) continue;
            json_object_set_new(patch, key, json_deep_copy(mv));
        }
    }
    return patch;
}

/* kubectl apply's three-way JSON merge patch: fields the manifest dropped since it was last
 * applied are removed; fields that differ from the live object are set. */
static json_t *s_three_way(const json_t *original, const json_t *modified, const json_t *live)
{
    json_t *empty = json_object(), *d1 = s_changes(live, modified, original);
    json_t *d2 = s_merge_diff(original ? original : empty, modified);
    json_t *changes = s_filter(d1, false), *removals = s_filter(d2, true), *patch = NULL;
    if (kube_merge_patch(removals, changes, &patch, NULL, 0)) abort(); /* both are objects */
    json_decref(empty);
    json_decref(d1);
    json_decref(d2);
    json_decref(changes);
    json_decref(removals);
    return patch;
}

static int s_create_one(ck_ctx_t *c, const ck_target_t *t, const json_t *body)
{
    ck_target_t all = *t;
    all.name = NULL;
    json_t *out;
    int status = ck_object(c, &all, "POST", NULL, S_WRITE_QUERY, body, NULL, &out);
    char when[4200];
    snprintf(when, sizeof when, "creating \"%s\"", t->source);
    if (status == 200 || status == 201)
        ck_done(c, t->res, ck_str(json_object_get(out, "metadata"), "name"), "created");
    else if (status > 0)
        cli_kube_status_print(out, when);
    json_decref(out);
    return status != 200 && status != 201;
}

static int s_apply_patch(ck_ctx_t *c, const ck_target_t *t, const json_t *modified,
                         const json_t *live)
{
    const json_t *ann = json_object_get(json_object_get(live, "metadata"), "annotations");
    const char *last = ck_str(ann, S_LAST);
    json_t *original = *last ? json_loads(last, 0, NULL) : NULL, *out = NULL;
    if (!*last)
        fprintf(stderr,
                "Warning: resource %s/%s is missing the %s annotation which is required "
                "by kubus apply. kubus apply should only be used on resources created "
                "declaratively by kubus apply. The missing annotation will be patched "
                "automatically.\n",
                t->res->name, t->name, S_LAST);
    json_t *patch = s_three_way(original, modified, live);
    int status = 200;
    if (json_object_size(patch))
        status = ck_object(c, t, "PATCH", NULL, S_WRITE_QUERY, patch, S_MERGE, &out);
    char when[4200];
    snprintf(when, sizeof when, "patching \"%s\"", t->source);
    if (status == 200)
        ck_done(c, t->res, t->name, json_object_size(patch) ? "configured" : "unchanged");
    else if (status > 0)
        cli_kube_status_print(out, when);
    json_decref(original);
    json_decref(patch);
    json_decref(out);
    return status != 200;
}

/* The manifest as kubectl apply sends it: with the last-applied annotation, which is the
 * manifest itself as compact JSON with sorted keys and the namespace filled in. */
static json_t *s_with_last_applied(const json_t *manifest)
{
    json_t *m = json_deep_copy(manifest), *meta = json_object_get(m, "metadata"), *ann;
    if (!json_is_object(meta)) json_object_set_new(m, "metadata", meta = json_object());
    if (!json_is_object(ann = json_object_get(meta, "annotations")))
        json_object_set_new(meta, "annotations", ann = json_object());
    json_object_del(ann, S_LAST);
    char *text = cli_kube_json_compact(m);
    size_t n = strlen(text);
    if (!(text = realloc(text, n + 2))) abort();
    memcpy(text + n, "\n", 2);
    json_object_set_new(ann, S_LAST, json_string(text));
    free(text);
    return m;
}

static int s_apply_one(ck_ctx_t *c, const ck_target_t *t)
{
    if (!t->name) {
        fprintf(stderr, "error: an object in \"%s\" has no metadata.name\n", t->source);
        return 1;
    }
    json_t *modified = s_with_last_applied(t->obj), *live;
    int status = ck_object(c, t, "GET", NULL, NULL, NULL, NULL, &live), rc = 1;
    if (status == 404)
        rc = s_create_one(c, t, modified);
    else if (status == 200)
        rc = s_apply_patch(c, t, modified, live);
    else if (status > 0)
        cli_kube_status_print(live, NULL);
    json_decref(modified);
    json_decref(live);
    return rc;
}

int ck_apply(ck_ctx_t *c)
{
    if (!c->files_n || c->words_n) {
        fprintf(stderr, "error: must specify -f\n");
        return ck_usage(c, stderr);
    }
    ck_targets_t ts;
    int rc = ck_targets(c, NULL, 0, &ts);
    /* A bad file changes nothing; a failed object does not stop the others. */
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++)
        rc |= ck_is(c->verb, "apply") ? s_apply_one(c, &ts.v[i])
                                      : s_create_one(c, &ts.v[i], ts.v[i].obj);
    if (!rc && !ts.n) fprintf(stderr, "error: no objects passed to %s\n", c->verb);
    ck_targets_free(&ts);
    return rc || !ts.n;
}

/* --- delete -------------------------------------------------------------------------------- */

static long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits until the object is gone (404, or a new object of the same name). */
static int s_wait_gone(ck_ctx_t *c, const ck_target_t *t, const char *uid, long deadline_ms)
{
    for (;;) {
        json_t *obj;
        int status = ck_object(c, t, "GET", NULL, NULL, NULL, NULL, &obj);
        bool other = status == 200 && strcmp(ck_str(json_object_get(obj, "metadata"), "uid"), uid);
        json_decref(obj);
        if (status == 404 || other) return 0;
        if (status < 0) return 1;
        if (s_now_ms() >= deadline_ms) {
            fprintf(stderr, "error: timed out waiting for the condition on %s/%s\n", t->res->name,
                    t->name);
            return 1;
        }
        poll(NULL, 0, S_POLL_MS);
    }
}

static int s_delete_one(ck_ctx_t *c, const ck_target_t *t, json_t *uids)
{
    json_t *body = json_pack("{s:s}", "propagationPolicy", "Background"), *out;
    int status = ck_object(c, t, "DELETE", NULL, NULL, body, NULL, &out);
    char kind[256], when[4200];
    snprintf(when, sizeof when, "deleting \"%s\"", t->source ? t->source : "");
    json_decref(body);
    if (status == 200 || status == 202) {
        if (ck_is(c->output, "name"))
            printf("%s/%s\n", cli_kube_kind_name(t->res, kind, sizeof kind), t->name);
        else
            printf("%s \"%s\" deleted\n", cli_kube_kind_name(t->res, kind, sizeof kind), t->name);
        fflush(stdout);
        const char *uid = ck_str(json_object_get(out, "metadata"), "uid");
        json_array_append_new(
            uids, json_string(*uid ? uid : ck_str(json_object_get(out, "details"), "uid")));
    } else {
        json_array_append_new(uids, json_null());
        if (status > 0 && !(status == 404 && c->ignore_not_found))
            cli_kube_status_print(out, t->source ? when : NULL);
    }
    json_decref(out);
    return status != 200 && status != 202 && !(status == 404 && c->ignore_not_found);
}

int ck_delete(ck_ctx_t *c)
{
    ck_targets_t ts;
    int rc = ck_targets(c, c->words, c->words_n, &ts);
    if (rc == 2) rc = ck_usage(c, stderr);
    for (size_t i = 0; !rc && i < ts.n; i++)
        if (!ts.v[i].name && !ts.v[i].obj && !c->selector && !c->field_selector && !c->all) {
            fprintf(stderr, "error: resource(s) were provided, but no name was specified\n");
            rc = 1;
        }
    size_t listed = ts.n;
    if (!rc) rc = ck_expand(c, &ts);
    if (!rc && !ts.n && listed) printf("No resources found\n");
    json_t *uids = json_array();
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++)
        rc |= s_delete_one(c, &ts.v[i], uids);
    long deadline = s_now_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 30000);
    for (size_t i = 0; c->wait && i < json_array_size(uids); i++)
        if (json_is_string(json_array_get(uids, i)))
            rc |= s_wait_gone(c, &ts.v[i], json_string_value(json_array_get(uids, i)), deadline);
    json_decref(uids);
    ck_targets_free(&ts);
    return rc;
}

/* --- scale, label, annotate ---------------------------------------------------------------- */

static int s_scale_one(ck_ctx_t *c, const ck_target_t *t)
{
    json_t *out = NULL;
    if (c->current_replicas >= 0) { /* kubectl's precondition, checked here as it does */
        int status = ck_object(c, t, "GET", "scale", NULL, NULL, NULL, &out);
        json_int_t now =
            json_integer_value(json_object_get(json_object_get(out, "spec"), "replicas"));
        if (status == 200 && now != c->current_replicas)
            fprintf(stderr, "error: Expected replicas to be %ld, was %" JSON_INTEGER_FORMAT "\n",
                    c->current_replicas, now);
        else if (status > 0 && status != 200)
            cli_kube_status_print(out, NULL);
        json_decref(out);
        if (status != 200 || now != c->current_replicas) return 1;
    }
    json_t *patch = json_pack("{s:{s:I}}", "spec", "replicas", (json_int_t)c->replicas);
    int status = ck_object(c, t, "PATCH", "scale", NULL, patch, S_MERGE, &out);
    if (status == 200)
        ck_done(c, t->res, t->name, "scaled");
    else if (status > 0)
        cli_kube_status_print(out, NULL);
    json_decref(patch);
    json_decref(out);
    return status != 200;
}

int ck_scale(ck_ctx_t *c)
{
    if (c->replicas < 0) {
        fprintf(stderr, "error: required flag(s) \"replicas\" not set\n");
        return ck_usage(c, stderr);
    }
    ck_targets_t ts;
    int rc = ck_targets(c, c->words, c->words_n, &ts);
    if (rc == 2) rc = ck_usage(c, stderr);
    if (!rc) rc = ck_expand(c, &ts);
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++)
        rc |= s_scale_one(c, &ts.v[i]);
    ck_targets_free(&ts);
    return rc;
}

/* KEY=VALUE and KEY- against the object's current map: the merge patch of the map, or NULL when
 * a value would change without --overwrite (printed). *changed: the patch changes something. */
static json_t *s_edits(ck_ctx_t *c, char **edits, int n, const json_t *now, bool labels,
                       bool *changed)
{
    json_t *patch = json_object();
    *changed = false;
    for (int i = 0; i < n; i++) {
        char key[512];
        const char *eq = strchr(edits[i], '='), *value = eq ? eq + 1 : NULL;
        snprintf(key, sizeof key, "%.*s", (int)(eq ? eq - edits[i] : (long)strlen(edits[i]) - 1),
                 edits[i]);
        const char *old = json_string_value(json_object_get(now, key));
        if (value && old && strcmp(old, value) && !c->overwrite) {
            fprintf(stderr,
                    labels ? "error: '%s' already has a value (%s), and --overwrite is false\n"
                           : "error: --overwrite is false but found the following declared "
                             "annotation(s): '%s' already has a value (%s)\n",
                    key, old);
            json_decref(patch);
            return NULL;
        }
        *changed |= value ? !old || strcmp(old, value) : old != NULL;
        json_object_set_new(patch, key, value ? json_string(value) : json_null());
    }
    return patch;
}

static int s_meta_one(ck_ctx_t *c, const ck_target_t *t, char **edits, int n, bool labels)
{
    const char *field = labels ? "labels" : "annotations";
    json_t *obj, *out = NULL, *now;
    int status = ck_object(c, t, "GET", NULL, NULL, NULL, NULL, &obj);
    if (status != 200) {
        if (status > 0) cli_kube_status_print(obj, NULL);
        json_decref(obj);
        return 1;
    }
    now = json_object_get(json_object_get(obj, "metadata"), field);
    bool changed;
    json_t *edit = s_edits(c, edits, n, now, labels, &changed), *after = NULL;
    if (edit && changed) {
        json_t *patch = json_pack("{s:{s:O}}", "metadata", field, edit);
        status = ck_object(c, t, "PATCH", NULL, NULL, patch, S_MERGE, &out);
        if (status > 0 && status != 200) cli_kube_status_print(out, NULL);
        after = json_object_get(json_object_get(out, "metadata"), field);
        json_decref(patch);
    }
    if (edit && status == 200) /* kubectl's words: fewer labels without --overwrite: unlabeled */
        ck_done(c, t->res, t->name,
                !labels                                                            ? "annotated"
                : !changed                                                         ? "not labeled"
                : json_object_size(after) < json_object_size(now) && !c->overwrite ? "unlabeled"
                                                                                   : "labeled");
    json_decref(edit);
    json_decref(obj);
    json_decref(out);
    return !edit || status != 200;
}

int ck_label(ck_ctx_t *c)
{
    bool labels = ck_is(c->verb, "label");
    /* KEY=VALUE and KEY- are edits; the other words name the objects. */
    char **words = calloc(2 * (size_t)c->words_n + 1, sizeof *words), **edits;
    if (!words) abort();
    edits = words + c->words_n;
    int n = 0, m = 0;
    for (int i = 0; i < c->words_n; i++) {
        size_t len = strlen(c->words[i]);
        if (strchr(c->words[i], '=') || (len > 1 && c->words[i][len - 1] == '-'))
            edits[m++] = c->words[i];
        else
            words[n++] = c->words[i];
    }
    ck_targets_t ts = {0};
    int rc = m ? ck_targets(c, words, n, &ts) : 2;
    if (!m)
        fprintf(stderr, "error: at least one %s update is required\n",
                labels ? "label" : "annotation");
    if (rc == 2) rc = ck_usage(c, stderr);
    if (!rc) rc = ck_expand(c, &ts);
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++)
        rc |= s_meta_one(c, &ts.v[i], edits, m, labels);
    ck_targets_free(&ts);
    free(words);
    return rc;
}

/* --- logs, rollout ------------------------------------------------------------------------- */

static int s_write_out(void *arg, const char *data, size_t len)
{
    fwrite(data, 1, len, stdout);
    fflush(stdout);
    return ferror(stdout) ? 1 : 0;
}

/* kubectl's choice of container: the one asked for (it must be the pod's), else the one the
 * default-container annotation names, else the first (said on stderr when there are several).
 * NULL (printed) when the one asked for is not there. */
static const char *s_container(const json_t *pod, const char *asked)
{
    const json_t *spec = json_object_get(pod, "spec"), *list, *c;
    static const char *const kinds[] = {"containers", "initContainers", "ephemeralContainers"};
    size_t i;
    for (int k = 0; asked && k < 3; k++)
        json_array_foreach(json_object_get(spec, kinds[k]), i,
                           c) if (!strcmp(ck_str(c, "name"), asked)) return asked;
    if (asked) {
        fprintf(stderr, "error: container %s is not valid for pod %s\n", asked,
                ck_str(json_object_get(pod, "metadata"), "name"));
        return NULL;
    }
    const json_t *ann = json_object_get(json_object_get(pod, "metadata"), "annotations");
    const char *def = ck_str(ann, "kubectl.kubernetes.io/default-container");
    list = json_object_get(spec, "containers");
    if (*def || json_array_size(list) < 2)
        return *def ? def : ck_str(json_array_get(list, 0), "name");
    fprintf(stderr, "Defaulted container \"%s\" out of: ", ck_str(json_array_get(list, 0), "name"));
    json_array_foreach(list, i, c) fprintf(stderr, "%s%s", i ? ", " : "", ck_str(c, "name"));
    fputc('\n', stderr);
    return ck_str(json_array_get(list, 0), "name");
}

int ck_logs(ck_ctx_t *c)
{
    if (c->words_n < 1 || c->words_n > 2) return ck_usage(c, stderr);
    const char *pod = c->words[0], *slash = strchr(pod, '/');
    if (slash && strncmp(pod, "pod/", 4) && strncmp(pod, "pods/", 5) && strncmp(pod, "po/", 3)) {
        fprintf(stderr, "error: kubus logs reads pods only (POD or pod/POD)\n");
        return 1;
    }
    pod = slash ? slash + 1 : pod;
    char *ns = cli_kube_http_escape(c->ns), *name = cli_kube_http_escape(pod), *path = NULL, *e;
    char tail[32] = "";
    size_t len;
    FILE *f = open_memstream(&path, &len);
    if (!f) abort();
    fprintf(f, "/api/v1/namespaces/%s/pods/%s", ns, name);
    fflush(f);
    /* The pod first, as kubectl reads it, for its containers. */
    json_t *obj = NULL, *err = NULL;
    int status = cli_kube_http_call(c->k, "GET", path, NULL, NULL, NULL, &obj);
    const char *container = status != 200 ? NULL
                                          : s_container(obj, c->container      ? c->container
                                                             : c->words_n == 2 ? c->words[1]
                                                                               : NULL);
    if (c->tail >= 0) snprintf(tail, sizeof tail, "&tailLines=%ld", c->tail);
    e = cli_kube_http_escape(container ? container : "");
    fprintf(f, "/log?%s%s%s%s%s%s", *e ? "container=" : "", e, c->follow ? "&follow=true" : "",
            c->previous ? "&previous=true" : "", tail, c->timestamps ? "&timestamps=true" : "");
    fclose(f);
    if (status == 404) /* kubectl's words for a missing pod */
        fprintf(stderr,
                "error: error from server (NotFound): pods \"%s\" not found in namespace "
                "\"%s\"\n",
                pod, c->ns);
    else if (status > 0 && status != 200)
        cli_kube_status_print(obj, NULL);
    else if (status == 200 && container)
        status = cli_kube_http_stream(c->k, path, "application/json, */*", false, s_write_out, NULL,
                                      &err);
    if (err) cli_kube_status_print(err, NULL);
    json_decref(obj);
    json_decref(err);
    free(path);
    free(ns);
    free(name);
    free(e);
    return status != 200 || !container;
}

/* kubectl's DeploymentStatusViewer: the message for the deployment's state; *done when rolled
 * out, *failed when its progress deadline passed. */
static void s_rollout_state(const json_t *d, char *msg, size_t len, bool *done, bool *failed)
{
    const json_t *meta = json_object_get(d, "metadata"), *st = json_object_get(d, "status"), *cond;
    const char *name = ck_str(meta, "name");
    json_int_t want = 1, updated = json_integer_value(json_object_get(st, "updatedReplicas"));
    json_int_t replicas = json_integer_value(json_object_get(st, "replicas"));
    json_int_t available = json_integer_value(json_object_get(st, "availableReplicas"));
    const json_t *spec_replicas = json_object_get(json_object_get(d, "spec"), "replicas");
    if (spec_replicas) want = json_integer_value(spec_replicas);
    *done = *failed = false;
    if (json_integer_value(json_object_get(meta, "generation")) >
        json_integer_value(json_object_get(st, "observedGeneration"))) {
        snprintf(msg, len, "Waiting for deployment spec update to be observed...");
        return;
    }
    size_t i;
    json_array_foreach(
        json_object_get(st, "conditions"), i,
        cond) if (!strcmp(ck_str(cond, "type"), "Progressing") &&
                  !strcmp(ck_str(cond, "reason"), "ProgressDeadlineExceeded")) *failed = true;
    if (*failed)
        snprintf(msg, len, "error: deployment \"%s\" exceeded its progress deadline", name);
    else if (updated < want)
        snprintf(msg, len,
                 "Waiting for deployment \"%s\" rollout to finish: %" JSON_INTEGER_FORMAT
                 " out of %" JSON_INTEGER_FORMAT " new replicas have been updated...",
                 name, updated, want);
    else if (replicas > updated)
        snprintf(msg, len,
                 "Waiting for deployment \"%s\" rollout to finish: %" JSON_INTEGER_FORMAT
                 " old replicas are pending termination...",
                 name, replicas - updated);
    else if (available < updated)
        snprintf(msg, len,
                 "Waiting for deployment \"%s\" rollout to finish: %" JSON_INTEGER_FORMAT
                 " of %" JSON_INTEGER_FORMAT " updated replicas are available...",
                 name, available, updated);
    else
        snprintf(msg, len, "deployment \"%s\" successfully rolled out", name), *done = true;
}

static int s_rollout_status(ck_ctx_t *c, const ck_target_t *t)
{
    if (strcmp(t->res->kind, "Deployment") || !t->name) {
        fprintf(stderr, "error: kubus rollout status follows one deployment (deployment/NAME)\n");
        return 1;
    }
    long deadline = c->timeout_ms > 0 ? s_now_ms() + c->timeout_ms : 0;
    char msg[512], last[512] = "";
    for (;;) {
        json_t *d;
        int status = ck_object(c, t, "GET", NULL, NULL, NULL, NULL, &d);
        bool done, failed;
        if (status == 200) s_rollout_state(d, msg, sizeof msg, &done, &failed);
        if (status > 0 && status != 200) cli_kube_status_print(d, NULL);
        json_decref(d);
        if (status != 200) return 1;
        if (failed) return fprintf(stderr, "%s\n", msg), 1;
        if (strcmp(msg, last)) printf("%s\n", msg), fflush(stdout);
        snprintf(last, sizeof last, "%s", msg);
        if (done || !c->watch) return 0;
        if (deadline && s_now_ms() >= deadline)
            return fprintf(stderr, "error: timed out waiting for the condition\n"), 1;
        poll(NULL, 0, 2 * S_POLL_MS);
    }
}

int ck_rollout(ck_ctx_t *c)
{
    static const char *const later[] = {"history", "undo", "restart", "pause", "resume", NULL};
    for (const char *const *l = later; c->words_n && *l; l++)
        if (!strcmp(c->words[0], *l))
            return fprintf(stderr,
                           "error: kubus rollout %s is not supported yet (rollout status "
                           "is)\n",
                           *l),
                   1;
    if (c->words_n < 2 || strcmp(c->words[0], "status")) return ck_usage(c, stderr);
    ck_targets_t ts;
    int rc = ck_targets(c, c->words + 1, c->words_n - 1, &ts);
    if (rc == 2) rc = ck_usage(c, stderr);
    if (!rc && ts.n != 1) {
        fprintf(stderr, "error: rollout status follows one object\n");
        rc = 1;
    }
    if (!rc) rc = s_rollout_status(c, &ts.v[0]);
    ck_targets_free(&ts);
    return rc;
}
