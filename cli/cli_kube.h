/* kubus get|describe|apply|create|replace|patch|delete|scale|label|annotate|logs|rollout|
 * api-resources|explain|version|cluster-info|auth can-i: the kubectl verbs a user already knows,
 * spoken over the cluster's Kubernetes API (HTTPS, bearer token) the way kubectl speaks it.
 * cli_kube.c and cli_kube_*.c hold the verbs, cli_kube_http.c the client
 * (kubeconfig, HTTPS, discovery, API errors), cli_kube_print.c the output (tables, YAML, JSON,
 * describe). Errors are printed where they happen, worded as kubectl words them. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* argv[0] is the verb ("get", "apply", ...). Returns the exit code: 0 ok, 1 failed, 2 usage. */
int cli_kube(int argc, char **argv);

#define CLI_KUBE_BODY_MAX     ((size_t)64 << 20) /* one response body, or one watch event */
#define CLI_KUBE_MANIFEST_MAX ((size_t)16 << 20) /* one manifest file */
#define CLI_KUBE_DOCS_MAX     1000               /* objects in all the -f files of a command */

/* --- the client (cli_kube_http.c) --------------------------------------------------------- */

typedef struct cli_kube_http_t cli_kube_http_t;

/* One API resource, from discovery. Its pointers borrow the client's discovery documents and
 * stay valid until cli_kube_http_destroy. */
typedef struct {
    const char *group, *version, *name, *singular, *kind;
    bool namespaced;
    const json_t *short_names, *categories, *verbs; /* arrays of strings, never NULL */
} cli_kube_res_t;

/* The client for kubeconfig (NULL: $KUBECONFIG, else cli_default_dir()/kubeconfig) and context
 * (NULL: its current-context). NULL, with the reason printed, when it cannot be used. */
cli_kube_http_t *cli_kube_http_new(const char *kubeconfig, const char *context);
void cli_kube_http_destroy(cli_kube_http_t **self_p);
/* The cluster's server URL, without a trailing slash. Valid until destroy. */
const char *cli_kube_http_server(const cli_kube_http_t *self);
/* The context's namespace, else "default". Valid until destroy. */
const char *cli_kube_http_namespace(const cli_kube_http_t *self);

/* One request. body (may be NULL) is sent with content_type. Returns the HTTP status, or -1
 * when no answer came (printed: "kubus: cannot reach the API at URL: why"). On success *out is
 * the JSON body (NULL if the body is not JSON); on a status >= 400 it is the answer's Status, or
 * one made from the status code as kubectl makes it. *out is the caller's to release. */
int cli_kube_http_call(cli_kube_http_t *self, const char *method, const char *path,
                       const char *accept, const char *content_type, const char *body,
                       json_t **out);
/* The same with a JSON body (sent compact) and Accept application/json. */
int cli_kube_http_json(cli_kube_http_t *self, const char *method, const char *path,
                       const json_t *body, const char *content_type, json_t **out);

/* A streamed GET (watch, logs): fn gets the body as it comes, a line at a time when lines is
 * set (the newline removed; a line longer than CLI_KUBE_BODY_MAX ends the stream with an error),
 * else in the pieces that arrive. fn returning nonzero stops the stream (fn's arg says why).
 * Returns as cli_kube_http_call: the status, with *err the Status when >= 400, or -1. */
typedef int (*cli_kube_stream_fn)(void *arg, const char *data, size_t len);
int cli_kube_http_stream(cli_kube_http_t *self, const char *path, const char *accept, bool lines,
                         cli_kube_stream_fn fn, void *arg, json_t **err);

/* s with every byte a URL query value may not hold escaped; the caller frees it. */
char *cli_kube_http_escape(const char *s);

/* Prints a Status as kubectl prints it (stderr) and returns 1. when, if not NULL, names what was
 * being done, e.g. `creating "app.yaml"`, printed as kubectl's `error when creating "app.yaml": `.
 */
int cli_kube_status_print(const json_t *status, const char *when);

/* Discovery (GET /api and /apis once per client). The resources in discovery order, core first;
 * NULL (printed) when discovery failed. */
const cli_kube_res_t *cli_kube_http_resources(cli_kube_http_t *self, size_t *n);
/* Resolves a resource type as kubectl does: plural, singular, short name or kind, any case,
 * optionally ".group" or ".version.group"; a category ("all") gives each of its resources.
 * Up to max matches in out; returns how many, or 0 with kubectl's error printed. */
size_t cli_kube_http_resolve(cli_kube_http_t *self, const char *type, const cli_kube_res_t **out,
                             size_t max);
/* The one resource type names (as cli_kube_http_resolve, categories aside), or NULL (nothing
 * printed; also when discovery failed, which is printed). */
const cli_kube_res_t *cli_kube_http_find(cli_kube_http_t *self, const char *type);
/* The resource serving kind in api_version ("apps/v1"), or NULL (nothing printed). */
const cli_kube_res_t *cli_kube_http_kind(cli_kube_http_t *self, const char *api_version,
                                         const char *kind);

/* The path of res in ns (NULL: every namespace, or a cluster-scoped resource), of one object
 * when name is set, of its subresource sub when set, with query (already escaped) when set. */
char *cli_kube_path(const cli_kube_res_t *res, const char *ns, const char *name, const char *sub,
                    const char *query);
/* "deployment.apps", or "configmap" for the core group: how kubectl names a kind in messages.
 * Returns out. */
const char *cli_kube_kind_name(const cli_kube_res_t *res, char *out, size_t outlen);

/* --- output (cli_kube_print.c) ------------------------------------------------------------ */

/* kubectl's YAML (sigs.k8s.io/yaml: block style, keys in yaml.v2's order, strings quoted only
 * where they would read as something else) and JSON (4-space indent, sorted keys, HTML
 * characters escaped as Go escapes them). */
void cli_kube_print_yaml(FILE *out, const json_t *value);
void cli_kube_print_json(FILE *out, const json_t *value);
/* value as compact JSON with sorted keys, as Go's encoder writes it (the last-applied
 * annotation's form); the caller frees it. */
char *cli_kube_json_compact(const json_t *value);

/* A table printed as kubectl's tabwriter prints one: columns padded by 3 spaces, at least 6
 * wide; widths are remembered across flushes, so watch rows line up with the list above. */
typedef struct cli_kube_table_t cli_kube_table_t;
typedef struct {
    bool wide;          /* -o wide: columns of priority > 0 too */
    bool namespace_col; /* -A: a NAMESPACE column first */
    bool show_labels;   /* --show-labels: a LABELS column last */
    bool no_headers;
    const char *kind_prefix; /* names printed as PREFIX/name (several kinds in one get) */
} cli_kube_table_opts_t;

cli_kube_table_t *cli_kube_table_new(const cli_kube_table_opts_t *opts);
void cli_kube_table_destroy(cli_kube_table_t **self_p);
/* The rows of a server-side Table (meta.k8s.io/v1); the first one sets the columns. */
void cli_kube_table_add(cli_kube_table_t *self, const json_t *table);
/* A row of n plain cells, under a header set by the first call with header set. */
void cli_kube_table_row(cli_kube_table_t *self, const char *const *cells, size_t n, bool header);
/* Prints the rows added since the last flush (the header before the first row). */
void cli_kube_table_flush(cli_kube_table_t *self, FILE *out);
/* Rows added and not yet printed. */
size_t cli_kube_table_pending(const cli_kube_table_t *self);

/* A describe summary: Name, Namespace, CreationTimestamp, Labels, Annotations, then the other
 * fields (spec, status, data...) as kubectl's generic describer prints them ("Key:  value",
 * nested two spaces deeper), then the events (a list, or NULL: none). */
void cli_kube_print_describe(FILE *out, const json_t *obj, const json_t *events);
