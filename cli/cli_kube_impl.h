/* cli_kube_impl: what the files of kubus's Kubernetes commands share (cli_kube.c: the command
 * line, requests and what a command acts on; cli_kube_read.c: get, watch, describe,
 * api-resources; cli_kube_write.c: apply, create, delete, scale, label, annotate, logs,
 * rollout). Not for other modules. */
#pragma once

#include "cli_kube.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define S_FILES_MAX   16
#define S_TARGETS_MAX 1000 /* objects one command acts on */
#define S_KINDS_MAX   64
#define S_POLL_MS     100
#define S_TABLE       "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
#define S_MERGE       "application/merge-patch+json"
#define S_WRITE_QUERY "fieldManager=kubus&fieldValidation=Strict"
#define S_LAST        "kubectl.kubernetes.io/last-applied-configuration"
/* kubus's own version: it speaks the API of the Kubernetes release its gateway serves. */
#define CK_CLIENT_VERSION "v1.32.0-kubus"

typedef struct {
    const char *verb;
    const char *kubeconfig, *context, *ns, *output, *selector, *field_selector, *container;
    const char *api_group;          /* api-resources --api-group */
    const char *patch, *patch_type; /* patch -p, --type */
    const char *api_version;        /* explain --api-version */
    int namespaced; /* api-resources --namespaced: -1 both, 0 cluster-scoped, 1 namespaced */
    const char *files[S_FILES_MAX];
    int files_n;
    bool all_ns, watch, show_labels, overwrite, ignore_not_found, wait, follow, previous,
        timestamps, all, no_headers, ns_given, help, list;
    long replicas, current_replicas, tail, timeout_ms;
    char **words;
    int words_n;
    cli_kube_http_t *k;
} ck_ctx_t;

/* One object (or, with no name, every object of a type) a verb acts on. */
typedef struct {
    const cli_kube_res_t *res;
    const char *name;   /* borrowed from argv or from obj */
    const char *ns;     /* NULL: every namespace */
    json_t *obj;        /* the manifest, for -f */
    const char *source; /* its file ("STDIN" for -) */
} ck_target_t;

typedef struct {
    ck_target_t *v;
    size_t n;
    json_t *keep; /* manifests and listed objects the targets borrow from */
    bool kinds;   /* several types were asked for ("cm,deploy", "all") */
} ck_targets_t;

const char *ck_str(const json_t *obj, const char *key);
bool ck_is(const char *a, const char *b);
int ck_usage(const ck_ctx_t *c, FILE *out);
bool ck_bool(const char *arg);
long ck_duration_ms(const char *s);
int ck_long(const char *s, long *out);
int ck_option(ck_ctx_t *c, int ch, const char *arg);
int ck_parse(ck_ctx_t *c, int argc, char **argv);
char *ck_query(const ck_ctx_t *c, const char *extra_field, const char *more);
json_t *ck_list(ck_ctx_t *c, const cli_kube_res_t *res, const char *ns, bool table,
                const char *extra_field);
int ck_object(ck_ctx_t *c, const ck_target_t *t, const char *method, const char *sub,
              const char *query, const json_t *body, const char *content_type, json_t **out);
void ck_done(const ck_ctx_t *c, const cli_kube_res_t *res, const char *name, const char *what);
void ck_fill_kind(json_t *item, const cli_kube_res_t *res);
int ck_add(ck_targets_t *ts, const cli_kube_res_t *res, const char *ns, const char *name,
           json_t *obj, const char *source);
int ck_words(ck_ctx_t *c, char **words, int n, ck_targets_t *ts);
char *ck_read_all(FILE *f, size_t *len);
int ck_read_file(const char *path, json_t *docs);
int ck_read_path(const char *path, json_t *docs);
int ck_manifest(ck_ctx_t *c, json_t *doc, ck_targets_t *ts);
int ck_files(ck_ctx_t *c, ck_targets_t *ts);
int ck_targets(ck_ctx_t *c, char **words, int n, ck_targets_t *ts);
void ck_targets_free(ck_targets_t *ts);
int ck_expand(ck_ctx_t *c, ck_targets_t *ts);
void ck_no_resources(const ck_ctx_t *c, const ck_targets_t *ts);

/* The verbs (cli_kube_read.c, cli_kube_write.c, cli_kube_more.c, cli_kube_explain.c,
 * cli_kube_auth.c). */
int ck_get(ck_ctx_t *c);
int ck_describe(ck_ctx_t *c);
int ck_api_resources(ck_ctx_t *c);
int ck_apply(ck_ctx_t *c);
int ck_delete(ck_ctx_t *c);
int ck_scale(ck_ctx_t *c);
int ck_label(ck_ctx_t *c);
int ck_logs(ck_ctx_t *c);
int ck_rollout(ck_ctx_t *c);
int ck_version(ck_ctx_t *c);
int ck_cluster_info(ck_ctx_t *c);
int ck_replace(ck_ctx_t *c);
int ck_patch(ck_ctx_t *c);
int ck_explain(ck_ctx_t *c);
int ck_auth(ck_ctx_t *c);
