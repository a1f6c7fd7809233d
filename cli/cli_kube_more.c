/* cli_kube_more: kubus version, cluster-info, replace and patch over the Kubernetes API, with
 * kubectl's output and error lines. Not kubectl: no kustomize version, no cluster-info dump, no
 * replace --force, no patch --patch-file. */
#include "cli_kube_impl.h"
#include "cli.h"
#include "kube_yaml.h"

#include <stdlib.h>
#include <string.h>

/* --- version ------------------------------------------------------------------------------- */

/* kubectl's version.Info, its fields in the order kubectl prints them. */
static json_t *s_version_info(const json_t *v)
{
    static const char *const keys[] = {"major",     "minor",        "gitVersion",
                                       "gitCommit", "gitTreeState", "buildDate",
                                       "goVersion", "compiler",     "platform"};
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_object_set_new(out, keys[i], json_string(ck_str(v, keys[i])));
    return out;
}

/* The client: kubus speaks the API of the Kubernetes release its gateway serves. */
static json_t *s_client_version(void)
{
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1", "minor", "32",
                          "gitVersion", CK_CLIENT_VERSION, "gitTreeState", "clean", "compiler",
                          "gcc", "platform", "linux/amd64");
    json_t *out = s_version_info(v);
    json_decref(v);
    return out;
}

int ck_version(ck_ctx_t *c)
{
    if (c->output && !ck_is(c->output, "json") && !ck_is(c->output, "yaml")) {
        fprintf(stderr, "error: --output must be 'yaml' or 'json'\n");
        return 1;
    }
    json_t *server = NULL, *all = json_pack("{s:o}", "clientVersion", s_client_version());
    int status = cli_kube_http_call(c->k, "GET", "/version", NULL, NULL, NULL, &server);
    if (status == 200) json_object_set_new(all, "serverVersion", s_version_info(server));
    if (ck_is(c->output, "json")) {
        char *text = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    } else if (ck_is(c->output, "yaml")) {
        cli_kube_print_yaml(stdout, all);
    } else {
        printf("Client Version: %s\n", CK_CLIENT_VERSION);
        if (status == 200)
            printf("Server Version: %s\n",
                   ck_str(json_object_get(all, "serverVersion"), "gitVersion"));
    }
    if (status > 0 && status != 200) cli_kube_status_print(server, NULL);
    json_decref(server);
    json_decref(all);
    return status != 200;
}

/* --- cluster-info -------------------------------------------------------------------------- */

/* Where kubectl says a cluster service runs: its load balancer, else the API server's proxy. */
static void s_service_link(ck_ctx_t *c, const json_t *svc, char *link, size_t len)
{
    const json_t *meta = json_object_get(svc, "metadata"),
                 *ports = json_object_get(json_object_get(svc, "spec"), "ports"),
                 *ingress =
                     json_array_get(json_object_get(json_object_get(json_object_get(svc, "status"),
                                                                    "loadBalancer"),
                                                    "ingress"),
                                    0),
                 *port;
    size_t i, used = 0;
    link[0] = 0;
    if (ingress) {
        const char *ip =
            *ck_str(ingress, "ip") ? ck_str(ingress, "ip") : ck_str(ingress, "hostname");
        json_array_foreach(ports, i, port) if (used < len) used +=
            (size_t)snprintf(link + used, len - used, "http://%s:%" JSON_INTEGER_FORMAT " ", ip,
                             json_integer_value(json_object_get(port, "port")));
        return;
    }
    char name[512];
    const char *svc_name = ck_str(meta, "name");
    snprintf(name, sizeof name, "%s", svc_name);
    if ((port = json_array_get(ports, 0))) {
        const char *pname = ck_str(port, "name");
        bool https =
            !strcmp(pname, "https") || json_integer_value(json_object_get(port, "port")) == 443;
        snprintf(name, sizeof name, "%s%s%s%s", https ? "https:" : "", svc_name,
                 https || *pname ? ":" : "", pname);
    }
    snprintf(link, len, "%s/api/v1/namespaces/%s/services/%s/proxy", cli_kube_http_server(c->k),
             ck_str(meta, "namespace"), name);
}

int ck_cluster_info(ck_ctx_t *c)
{
    static const cli_kube_res_t services = {
        .group = "", .version = "v1", .name = "services", .kind = "Service", .namespaced = true};
    const char *saved = c->selector;
    c->selector = "kubernetes.io/cluster-service=true";
    json_t *list = ck_list(c, &services, c->ns_given ? c->ns : "kube-system", false, NULL), *svc;
    c->selector = saved;
    if (list) {
        printf("Kubernetes control plane is running at %s\n", cli_kube_http_server(c->k));
        size_t i;
        json_array_foreach(json_object_get(list, "items"), i, svc)
        {
            char link[4096];
            const json_t *meta = json_object_get(svc, "metadata");
            const char *name = ck_str(json_object_get(meta, "labels"), "kubernetes.io/name");
            s_service_link(c, svc, link, sizeof link);
            printf("%s is running at %s\n", *name ? name : ck_str(meta, "name"), link);
        }
    }
    printf("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n");
    json_decref(list);
    return !list;
}

/* --- replace ------------------------------------------------------------------------------- */

static int s_replace_one(ck_ctx_t *c, const ck_target_t *t)
{
    if (!t->name) {
        fprintf(stderr, "error: resource name may not be empty (in \"%s\")\n", t->source);
        return 1;
    }
    json_t *out = NULL;
    int status = ck_object(c, t, "PUT", NULL, S_WRITE_QUERY, t->obj, NULL, &out);
    char when[4200];
    snprintf(when, sizeof when, "replacing \"%s\"", t->source);
    if (status == 200 || status == 201)
        ck_done(c, t->res, t->name, "replaced");
    else if (status > 0)
        cli_kube_status_print(out, when);
    json_decref(out);
    return status != 200 && status != 201;
}

int ck_replace(ck_ctx_t *c)
{
    if (!c->files_n || c->words_n) {
        fprintf(stderr, "error: must specify one of -f and -k\n");
        return 1;
    }
    ck_targets_t ts;
    int rc = ck_targets(c, NULL, 0, &ts);
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++)
        rc |= s_replace_one(c, &ts.v[i]);
    if (!rc && !ts.n) fprintf(stderr, "error: no objects passed to replace\n");
    ck_targets_free(&ts);
    return rc || !ts.n;
}

/* --- patch --------------------------------------------------------------------------------- */

/* kubectl reads the patch as YAML (JSON is YAML) and sends it as JSON. */
static json_t *s_patch_body(const char *text)
{
    char err[512];
    json_t *body = kube_yaml_decode((const uint8_t *)text, strlen(text), err, sizeof err);
    if (!body) fprintf(stderr, "error: unable to parse \"%s\": %s\n", text, err);
    return body;
}

/* As kubectl decides: "patched" when the object after differs from the one before. */
static int s_patch_one(ck_ctx_t *c, const ck_target_t *t, const json_t *body, const char *type)
{
    json_t *before = NULL, *after = NULL;
    int status = ck_object(c, t, "GET", NULL, NULL, NULL, NULL, &before);
    if (status == 200) status = ck_object(c, t, "PATCH", NULL, S_WRITE_QUERY, body, type, &after);
    if (status != 200) {
        if (status > 0) cli_kube_status_print(after ? after : before, NULL);
    } else if (ck_is(c->output, "json") || ck_is(c->output, "yaml")) {
        (ck_is(c->output, "json") ? cli_kube_print_json : cli_kube_print_yaml)(stdout, after);
    } else {
        ck_done(c, t->res, t->name, json_equal(before, after) ? "patched (no change)" : "patched");
    }
    json_decref(before);
    json_decref(after);
    return status != 200;
}

int ck_patch(ck_ctx_t *c)
{
    static const char *const types[][2] = {{"strategic", "application/strategic-merge-patch+json"},
                                           {"merge", S_MERGE},
                                           {"json", "application/json-patch+json"}};
    const char *type = NULL, *kind = c->patch_type ? c->patch_type : "strategic";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(kind, types[i][0])) type = types[i][1];
    if (!type) {
        fprintf(stderr, "error: --type must be one of [json merge strategic], not \"%s\"\n", kind);
        return 1;
    }
    if (c->output && !ck_is(c->output, "name") && !ck_is(c->output, "json") &&
        !ck_is(c->output, "yaml")) {
        fprintf(stderr,
                "error: unable to match a printer suitable for the output format \"%s\", "
                "allowed formats are: json,name,yaml\n",
                c->output);
        return 1;
    }
    if (!c->patch) {
        fprintf(stderr, "error: must specify --patch or --patch-file containing the contents of "
                        "the patch\n");
        return 1;
    }
    json_t *body = s_patch_body(c->patch);
    if (!body) return 1;
    ck_targets_t ts;
    int rc = ck_targets(c, c->words, c->words_n, &ts);
    if (rc == 2) rc = ck_usage(c, stderr);
    for (size_t i = 0; !rc && i < ts.n; i++)
        if (!ts.v[i].name) {
            fprintf(stderr, "error: resource(s) were provided, but no name was specified\n");
            rc = 1;
        }
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++)
        rc |= s_patch_one(c, &ts.v[i], body, type);
    ck_targets_free(&ts);
    json_decref(body);
    return rc;
}
