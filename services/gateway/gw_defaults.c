/* gw_defaults: the computed defaults (defaultFn) of the kind descriptions, computed over objects
 * held as JSON the way kube-apiserver v1.32's SetDefaults_* functions compute them over Go structs
 * (pkg/apis/{apps,batch,core,rbac}/v1/defaults.go). One fn decides one field from its parent and
 * the whole object. Not the static defaults and not the schema walk (gw_object.c). */
#include "gw_defaults.h"
#include "kube_obj.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CLIENT_IP_TIMEOUT 10800 /* v1.DefaultClientIPServiceAffinitySeconds: 3 hours */
#define S_BACKOFF_LIMIT     6     /* JobSpec.backoffLimit without backoffLimitPerIndex */
#define S_NAME_MAX          255   /* distribution/reference NameTotalLengthMax */
#define S_TAG_MAX           128   /* its tag pattern [\w][\w.-]{0,127} */
#define S_RBAC_GROUP        "rbac.authorization.k8s.io"

typedef void s_fn_t(json_t *parent, const char *field, const json_t *root);

/* ---- reading JSON as Go reads structs: absent, null or mistyped = the zero value ---- */

/* The member, NULL when absent or null: where upstream tests a pointer, map or slice for nil. */
static json_t *s_get(const json_t *v, const char *key)
{
    json_t *x = json_object_get(v, key);
    return json_is_null(x) ? NULL : x;
}

/* A Go string field: "" when absent, null or not a string. */
static const char *s_str(const json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    return s ? s : "";
}

/* A pointer field that is nil. */
static bool s_unset(const json_t *v, const char *key)
{
    return !s_get(v, key);
}

/* A string field that is "" (absent, null or the empty string); a mistyped value is not "". */
static bool s_str_unset(const json_t *v, const char *key)
{
    const json_t *x = s_get(v, key);
    return !x || (json_is_string(x) && !*json_string_value(x));
}

static bool s_kind_is(const json_t *root, const char *kind)
{
    return !strcmp(s_str(root, "kind"), kind);
}

static bool s_has_elem(const json_t *list, const json_t *elem)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) if (x == elem) return true;
    return false;
}

/* Sets parent[field]: a NULL value (a jansson constructor out of memory) or a failed set aborts. */
static void s_set(json_t *parent, const char *field, json_t *value)
{
    if (json_object_set_new(parent, field, value)) abort();
}

/* ---- where the parent sits: several upstream defaults run on one kind's object only ---- */

/* SetDefaults_Pod walks spec.containers and spec.initContainers of Pod objects (not templates):
 * true when one of those containers has `res` as its resources or `port` in its ports. */
static bool s_pod_container_holds(const json_t *root, const json_t *res, const json_t *port)
{
    static const char *const lists[] = {"containers", "initContainers"};
    if (!s_kind_is(root, "Pod")) return false;
    const json_t *spec = s_get(root, "spec");
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(s_get(spec, lists[l]), i, c)
        {
            if (res && json_object_get(c, "resources") == res) return true;
            if (port && s_has_elem(s_get(c, "ports"), port)) return true;
        }
    }
    return false;
}

/* SetDefaults_Job runs on Job objects, not on the JobSpec of a CronJob's jobTemplate. */
static bool s_job_spec(const json_t *parent, const json_t *root)
{
    return s_kind_is(root, "Job") && parent == s_get(root, "spec");
}

/* A Service's type as SetDefaults_Service sees it after defaulting it: "" is ClusterIP. */
static const char *s_svc_type(const json_t *spec)
{
    const char *t = s_str(spec, "type");
    return *t ? t : "ClusterIP";
}

/* ---- image references: pkg/util/parsers.ParseImageName over distribution/reference ---- */

static bool s_is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool s_is_alnum(char c)
{
    return s_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool s_is_word(char c)
{
    return s_is_alnum(c) || c == '_';
}

/* pathComponent: runs of [a-z0-9] joined by ".", "_", "__" or a run of "-". */
static bool s_path_component(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && s_is_lower_alnum(s[i])) i++;
        if (i == start) return false; /* empty, or a separator first, last or doubled */
        if (i == n) return true;
        size_t sep = i;
        while (i < n && !s_is_lower_alnum(s[i])) i++;
        size_t len = i - sep;
        bool ok = strspn(s + sep, "-") >= len || (len == 1 && (s[sep] == '.' || s[sep] == '_')) ||
                  (len == 2 && s[sep] == '_' && s[sep + 1] == '_');
        if (!ok) return false;
    }
}

/* domainAndPort: DNS-like labels ([a-zA-Z0-9], inner '-') joined by '.', or an IPv6 address in
 * brackets; then an optional ":digits". */
static bool s_domain(const char *s, size_t n)
{
    size_t i = 0;
    if (n && s[0] == '[') {
        for (i = 1; i < n && s[i] && strchr("0123456789abcdefABCDEF:", s[i]); i++) continue;
        if (i == 1 || i == n || s[i] != ']') return false;
        i++;
    } else {
        for (;;) {
            size_t start = i;
            while (i < n && (s_is_alnum(s[i]) || s[i] == '-')) i++;
            if (i == start || s[start] == '-' || s[i - 1] == '-') return false;
            if (i == n || s[i] != '.') break;
            i++;
        }
    }
    if (i == n) return true;
    if (s[i] != ':' || i + 1 == n) return false;
    for (i++; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* ParseNormalizedNamed's name check: splitDockerDomain, then the reference pattern's
 * (domainAndPort "/")? pathComponent ("/" pathComponent)* over domain "/" remainder, at most
 * S_NAME_MAX characters in all. */
static bool s_ref_name(const char *s, size_t n)
{
    if (n > S_NAME_MAX) return false;
    const char *slash = memchr(s, '/', n), *dom = "docker.io", *rem = s;
    size_t dom_n = 9, rem_n = n;
    if (slash) {
        size_t first = (size_t)(slash - s);
        bool upper = false;
        for (size_t i = 0; i < first; i++) upper |= s[i] >= 'A' && s[i] <= 'Z';
        bool legacy = first == 15 && !memcmp(s, "index.docker.io", 15);
        if (legacy || (first == 9 && !memcmp(s, "localhost", 9)) || memchr(s, '.', first) ||
            memchr(s, ':', first) || upper) {
            if (!legacy) dom = s, dom_n = first;
            rem = slash + 1, rem_n = n - first - 1;
        }
    }
    bool library = dom_n == 9 && !memcmp(dom, "docker.io", 9) && !memchr(rem, '/', rem_n);
    char full[S_NAME_MAX + 2];
    int len = snprintf(full, sizeof full, "%.*s/%s%.*s", (int)dom_n, dom, library ? "library/" : "",
                       (int)rem_n, rem);
    if (len < 0 || len > S_NAME_MAX) return false;
    /* The pattern's domain is optional: the first part may instead read as a path component. */
    size_t first = strcspn(full, "/");
    if (!s_domain(full, first) && !s_path_component(full, first)) return false;
    for (const char *p = full + first + 1;;) {
        size_t part = strcspn(p, "/");
        if (!s_path_component(p, part)) return false;
        if (!p[part]) return true;
        p += part + 1;
    }
}

/* go-digest's Parse: an algorithm kube-apiserver links, and exactly its length of lowercase hex. */
static bool s_digest(const char *d)
{
    static const struct {
        const char *alg;
        size_t hex_n;
    } algs[] = {{"sha256:", 64}, {"sha384:", 96}, {"sha512:", 128}};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        size_t an = strlen(algs[i].alg);
        if (strncmp(d, algs[i].alg, an)) continue;
        const char *hex = d + an;
        return strlen(hex) == algs[i].hex_n && strspn(hex, "0123456789abcdef") == algs[i].hex_n;
    }
    return false;
}

/* Whether ParseImageName(image) yields tag "latest": an explicit ":latest" (even with a digest),
 * or neither tag nor digest. A reference that does not parse yields "" upstream: false. */
static bool s_image_latest(const char *image)
{
    size_t n = strlen(image);
    if (n == 64 && strspn(image, "0123456789abcdef") == 64) return false; /* an image ID */
    const char *at = strchr(image, '@');
    if (at && !s_digest(at + 1)) return false;
    size_t nt = at ? (size_t)(at - image) : n; /* name[:tag] */
    const char *slash = memrchr(image, '/', nt);
    const char *from = slash ? slash : image;
    const char *colon = memrchr(from, ':', nt - (size_t)(from - image));
    size_t name_n = colon ? (size_t)(colon - image) : nt;
    if (!s_ref_name(image, name_n)) return false;
    if (!colon) return !at;
    const char *tag = colon + 1;
    size_t tag_n = nt - name_n - 1;
    if (!tag_n || tag_n > S_TAG_MAX || !s_is_word(tag[0])) return false;
    for (size_t i = 1; i < tag_n; i++)
        if (!s_is_word(tag[i]) && tag[i] != '.' && tag[i] != '-') return false;
    return tag_n == 6 && !memcmp(tag, "latest", 6);
}

/* ---- the fns, by upstream function ---- */

/* SetDefaults_Deployment, SetDefaults_DaemonSet: an unset strategy type becomes RollingUpdate, and
 * a RollingUpdate strategy without rollingUpdate gets the empty struct, whose maxUnavailable and
 * maxSurge then take their static defaults (Deployment 25%/25%, DaemonSet 1/0) as the caller
 * recurses into it. */
static void s_rolling_update(json_t *parent, const char *field, const json_t *root)
{
    const char *type = s_str(parent, "type");
    if (s_unset(parent, field) && (!*type || !strcmp(type, "RollingUpdate")))
        s_set(parent, field, json_object());
}

/* SetDefaults_StatefulSet creates rollingUpdate only inside `if Type == ""`: an explicit
 * RollingUpdate without rollingUpdate stays without it. "rollingUpdate" sorts before "type", so
 * an unset type here is unset in the request; partition then gets its static 0. */
static void s_sts_rolling_update(json_t *parent, const char *field, const json_t *root)
{
    if (s_unset(parent, field) && !*s_str(parent, "type")) s_set(parent, field, json_object());
}

/* SetDefaults_Job: parallelism 1 when unset; completions 1 as well when it is unset too. That
 * half belongs to job_default_completions, done here also so the pair does not depend on which
 * field the caller visits first. */
static void s_job_parallelism(json_t *parent, const char *field, const json_t *root)
{
    if (!s_job_spec(parent, root) || !s_unset(parent, field)) return;
    if (s_unset(parent, "completions")) s_set(parent, "completions", json_integer(1));
    s_set(parent, field, json_integer(1));
}

/* SetDefaults_Job: completions 1 only when parallelism is unset too; a job with parallelism but
 * no completions stays a work queue (completions absent). */
static void s_job_default_completions(json_t *parent, const char *field, const json_t *root)
{
    if (s_job_spec(parent, root) && s_unset(parent, field) && s_unset(parent, "parallelism"))
        s_set(parent, field, json_integer(1));
}

/* SetDefaults_Job: with backoffLimitPerIndex the per-index limit governs, so the global one is
 * effectively disabled (MaxInt32). */
static void s_job_backoff_limit(json_t *parent, const char *field, const json_t *root)
{
    if (!s_job_spec(parent, root) || !s_unset(parent, field)) return;
    bool per_index = !s_unset(parent, "backoffLimitPerIndex");
    s_set(parent, field, json_integer(per_index ? INT32_MAX : S_BACKOFF_LIMIT));
}

static void s_job_completion_mode(json_t *parent, const char *field, const json_t *root)
{
    if (s_job_spec(parent, root) && s_unset(parent, field))
        s_set(parent, field, json_string("NonIndexed"));
}

static void s_job_suspend(json_t *parent, const char *field, const json_t *root)
{
    if (s_job_spec(parent, root) && s_unset(parent, field)) s_set(parent, field, json_false());
}

/* SetDefaults_Job: with a podFailurePolicy, pods are replaced only once fully failed. */
static void s_job_pod_replacement_policy(json_t *parent, const char *field, const json_t *root)
{
    if (!s_job_spec(parent, root) || !s_unset(parent, field)) return;
    bool pfp = !s_unset(parent, "podFailurePolicy");
    s_set(parent, field, json_string(pfp ? "Failed" : "TerminatingOrFailed"));
}

/* SetDefaults_Job: onPodConditions patterns of spec.podFailurePolicy.rules of a Job. */
static void s_job_pod_condition_status(json_t *parent, const char *field, const json_t *root)
{
    if (!s_kind_is(root, "Job") || !s_str_unset(parent, field)) return;
    const json_t *rules = s_get(s_get(s_get(root, "spec"), "podFailurePolicy"), "rules");
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        if (!s_has_elem(s_get(rule, "onPodConditions"), parent)) continue;
        s_set(parent, field, json_string("True"));
        return;
    }
}

/* SetDefaults_Container (every container, templates included) reads image; SetDefaults_Volume
 * reads an ImageVolumeSource's reference for its pullPolicy. */
static void s_image_pull_policy(json_t *parent, const char *field, const json_t *root)
{
    if (!s_str_unset(parent, field)) return;
    const char *ref = s_str(parent, strcmp(field, "pullPolicy") ? "image" : "reference");
    s_set(parent, field, json_string(s_image_latest(ref) ? "Always" : "IfNotPresent"));
}

/* SetDefaults_Service: targetPort 0 or "" becomes the port's number. */
static void s_target_port(json_t *parent, const char *field, const json_t *root)
{
    const json_t *tp = s_get(parent, field);
    bool zero = !tp || (json_is_integer(tp) && !json_integer_value(tp)) ||
                (json_is_string(tp) && !*json_string_value(tp));
    if (zero) s_set(parent, field, json_integer(json_integer_value(s_get(parent, "port"))));
}

/* SetDefaults_Pod, not SetDefaults_PodSpec: Pod objects only, so templates stay as written. */
static void s_pod_enable_service_links(json_t *parent, const char *field, const json_t *root)
{
    if (s_kind_is(root, "Pod") && parent == s_get(root, "spec") && s_unset(parent, field))
        s_set(parent, field, json_true());
}

/* SetDefaults_Pod: each limit without a request becomes the request. Empty limits leave requests
 * as they were: upstream then makes an empty map, which serializes as nothing. */
static void s_requests_from_limits(json_t *parent, const char *field, const json_t *root)
{
    json_t *limits = s_get(parent, "limits");
    if (!json_object_size(limits) || !s_pod_container_holds(root, parent, NULL)) return;
    json_t *req = s_get(parent, field);
    if (!req) {
        req = json_object();
        s_set(parent, field, req); /* parent holds it; req stays valid while borrowed */
    }
    if (!json_is_object(req)) return;
    const char *key;
    json_t *v;
    json_object_foreach(limits, key, v)
    {
        if (!json_object_get(req, key)) s_set(req, key, json_deep_copy(v));
    }
}

/* SetDefaults_Pod (defaultHostNetworkPorts): with hostNetwork a container port is a host port.
 * containerPort 0 leaves hostPort 0, which upstream omits. */
static void s_host_network_port(json_t *parent, const char *field, const json_t *root)
{
    const json_t *hp = s_get(parent, field);
    if (hp && !(json_is_integer(hp) && !json_integer_value(hp))) return;
    if (!json_is_true(s_get(s_get(root, "spec"), "hostNetwork"))) return;
    json_int_t port = json_integer_value(s_get(parent, "containerPort"));
    if (port && s_pod_container_holds(root, NULL, parent)) s_set(parent, field, json_integer(port));
}

/* Every member of upstream's VolumeSource: a Volume sets exactly one. */
static const char *const s_volume_sources[] = {"hostPath",
                                               "emptyDir",
                                               "gcePersistentDisk",
                                               "awsElasticBlockStore",
                                               "gitRepo",
                                               "secret",
                                               "nfs",
                                               "iscsi",
                                               "glusterfs",
                                               "persistentVolumeClaim",
                                               "rbd",
                                               "flexVolume",
                                               "cinder",
                                               "cephfs",
                                               "flocker",
                                               "downwardAPI",
                                               "fc",
                                               "azureFile",
                                               "configMap",
                                               "vsphereVolume",
                                               "quobyte",
                                               "azureDisk",
                                               "photonPersistentDisk",
                                               "projected",
                                               "portworxVolume",
                                               "scaleIO",
                                               "storageos",
                                               "csi",
                                               "ephemeral",
                                               "image"};

/* SetDefaults_Volume: ptr.AllPtrFieldsNil(&VolumeSource), over every member of VolumeSource. */
static void s_empty_dir_volume(json_t *parent, const char *field, const json_t *root)
{
    for (size_t i = 0; i < sizeof s_volume_sources / sizeof s_volume_sources[0]; i++)
        if (!s_unset(parent, s_volume_sources[i])) return;
    s_set(parent, field, json_object());
}

/* SetDefaults_Service: affinity None (or unset, its default) drops any config; ClientIP without
 * clientIP.timeoutSeconds gets a whole new config, as upstream replaces the struct. */
static void s_session_affinity_config(json_t *parent, const char *field, const json_t *root)
{
    const char *aff = s_str(parent, "sessionAffinity");
    if (!*aff || !strcmp(aff, "None")) {
        if (s_get(parent, field)) json_object_del(parent, field);
        return;
    }
    if (strcmp(aff, "ClientIP") || s_get(s_get(s_get(parent, field), "clientIP"), "timeoutSeconds"))
        return;
    s_set(parent, field, json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", S_CLIENT_IP_TIMEOUT));
}

/* SetDefaults_Service: service.ExternallyAccessible — NodePort, LoadBalancer, or ClusterIP with
 * externalIPs. */
static void s_external_traffic_policy(json_t *parent, const char *field, const json_t *root)
{
    if (!s_str_unset(parent, field)) return;
    const char *type = s_svc_type(parent);
    bool external = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer") ||
                    (!strcmp(type, "ClusterIP") && json_array_size(s_get(parent, "externalIPs")));
    if (external) s_set(parent, field, json_string("Cluster"));
}

/* SetDefaults_Service: every type that has a cluster IP, i.e. all but ExternalName. */
static void s_internal_traffic_policy(json_t *parent, const char *field, const json_t *root)
{
    const char *type = s_svc_type(parent);
    if (s_unset(parent, field) &&
        (!strcmp(type, "ClusterIP") || !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer")))
        s_set(parent, field, json_string("Cluster"));
}

static void s_allocate_lb_node_ports(json_t *parent, const char *field, const json_t *root)
{
    if (s_unset(parent, field) && !strcmp(s_svc_type(parent), "LoadBalancer"))
        s_set(parent, field, json_true());
}

/* SetDefaults_Service: status.loadBalancer.ingress entries of a LoadBalancer Service that have an
 * ip (LoadBalancerIPMode, on by default since v1.30). */
static void s_lb_ip_mode(json_t *parent, const char *field, const json_t *root)
{
    if (!s_kind_is(root, "Service") || !s_unset(parent, field) || !*s_str(parent, "ip")) return;
    if (strcmp(s_svc_type(s_get(root, "spec")), "LoadBalancer")) return;
    const json_t *ingress = s_get(s_get(s_get(root, "status"), "loadBalancer"), "ingress");
    if (s_has_elem(ingress, parent)) s_set(parent, field, json_string("VIP"));
}

/* SetDefaults_NodeStatus: an empty capacity would give an empty allocatable, which serializes as
 * nothing, so only a non-empty one is copied. */
static void s_allocatable_from_capacity(json_t *parent, const char *field, const json_t *root)
{
    const json_t *cap = s_get(parent, "capacity");
    if (s_unset(parent, field) && json_is_object(cap) && json_object_size(cap))
        s_set(parent, field, json_deep_copy(cap));
}

/* SetDefaults_Subject: ServiceAccount's group is "" (omitted); other kinds get none. */
static void s_subject_api_group(json_t *parent, const char *field, const json_t *root)
{
    const char *kind = s_str(parent, "kind");
    if (s_str_unset(parent, field) && (!strcmp(kind, "User") || !strcmp(kind, "Group")))
        s_set(parent, field, json_string(S_RBAC_GROUP));
}

/* ---- the table ---- */

static const struct {
    const char *name;
    s_fn_t *fn;
} s_fns[] = {
    {"rolling_update", s_rolling_update},
    {"sts_rolling_update", s_sts_rolling_update},
    {"job_parallelism", s_job_parallelism},
    {"job_default_completions", s_job_default_completions},
    {"job_backoff_limit", s_job_backoff_limit},
    {"job_completion_mode", s_job_completion_mode},
    {"job_suspend", s_job_suspend},
    {"job_pod_replacement_policy", s_job_pod_replacement_policy},
    {"job_pod_condition_status", s_job_pod_condition_status},
    {"image_pull_policy", s_image_pull_policy},
    {"target_port", s_target_port},
    {"pod_enable_service_links", s_pod_enable_service_links},
    {"requests_from_limits", s_requests_from_limits},
    {"host_network_port", s_host_network_port},
    {"empty_dir_volume", s_empty_dir_volume},
    {"session_affinity_config", s_session_affinity_config},
    {"external_traffic_policy", s_external_traffic_policy},
    {"internal_traffic_policy", s_internal_traffic_policy},
    {"allocate_lb_node_ports", s_allocate_lb_node_ports},
    {"lb_ip_mode", s_lb_ip_mode},
    {"allocatable_from_capacity", s_allocatable_from_capacity},
    {"subject_api_group", s_subject_api_group},
};

bool gw_default_fn(const char *fn, json_t *parent, const char *field, const json_t *root)
{
    for (size_t i = 0; i < sizeof s_fns / sizeof s_fns[0]; i++) {
        if (strcmp(fn, s_fns[i].name)) continue;
        /* The walker only passes objects; anything else has no field to default. */
        if (json_is_object(parent) && field) s_fns[i].fn(parent, field, root);
        return true;
    }
    return false;
}

/* ---- selftest ---- */

static bool s_verbose;

/* The value at a dotted path whose all-digit parts index lists; "" is v itself. */
static json_t *s_at(json_t *v, const char *path)
{
    char buf[256];
    assert(strlen(path) < sizeof buf);
    strcpy(buf, path);
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && v;
         part = strtok_r(NULL, ".", &save))
        v = strspn(part, "0123456789") == strlen(part) ? json_array_get(v, strtoul(part, NULL, 10))
                                                       : json_object_get(v, part);
    return v;
}

/* Applies fn to field of the object at path in doc; want is the field's JSON afterwards (compact,
 * ' for "), NULL for absent. Returns the root for further checks (the caller frees it). */
static json_t *s_apply(const char *fn, const char *doc, const char *path, const char *field,
                       const char *want)
{
    json_t *root = kube_obj_quoted(doc), *parent = s_at(root, path);
    assert(json_is_object(parent));
    char *before = json_dumps(parent, JSON_COMPACT | JSON_SORT_KEYS);
    assert(before);
    assert(gw_default_fn(fn, parent, field, root));
    json_t *got = json_object_get(parent, field);
    char *text = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    char *w = want ? strdup(want) : NULL;
    for (char *c = w; c && *c; c++)
        if (*c == '\'') *c = '"';
    bool ok = w ? text && !strcmp(text, w) : !text;
    const char *root_kind = s_str(root, "kind");
    if (s_verbose || !ok)
        fprintf(ok ? stdout : stderr, "  %-26s %-.60s %s of %s: %s = %s (want %s)\n", fn, before,
                strlen(before) > 60 ? "..." : "", root_kind, field, text ? text : "absent",
                w ? w : "absent");
    assert(ok);
    free(before);
    free(text);
    free(w);
    return root;
}

static void s_expect(const char *fn, const char *doc, const char *path, const char *field,
                     const char *want)
{
    json_decref(s_apply(fn, doc, path, field, want));
}

static void s_test_apps(void)
{
    const char *fn = "rolling_update";
    s_expect(fn, "{'kind':'Deployment','spec':{'strategy':{}}}", "spec.strategy", "rollingUpdate",
             "{}");
    s_expect(fn, "{'kind':'Deployment','spec':{'strategy':{'type':'RollingUpdate'}}}",
             "spec.strategy", "rollingUpdate", "{}");
    s_expect(fn, "{'kind':'Deployment','spec':{'strategy':{'type':'Recreate'}}}", "spec.strategy",
             "rollingUpdate", NULL);
    s_expect(fn, "{'kind':'Deployment','spec':{'strategy':{'rollingUpdate':{'maxSurge':2}}}}",
             "spec.strategy", "rollingUpdate", "{'maxSurge':2}");
    s_expect(fn, "{'kind':'DaemonSet','spec':{'updateStrategy':{}}}", "spec.updateStrategy",
             "rollingUpdate", "{}");
    s_expect(fn, "{'kind':'DaemonSet','spec':{'updateStrategy':{'type':'OnDelete'}}}",
             "spec.updateStrategy", "rollingUpdate", NULL);
    fn = "sts_rolling_update";
    s_expect(fn, "{'kind':'StatefulSet','spec':{'updateStrategy':{}}}", "spec.updateStrategy",
             "rollingUpdate", "{}");
    s_expect(fn, "{'kind':'StatefulSet','spec':{'updateStrategy':{'type':''}}}",
             "spec.updateStrategy", "rollingUpdate", "{}");
    s_expect(fn, "{'kind':'StatefulSet','spec':{'updateStrategy':{'type':'RollingUpdate'}}}",
             "spec.updateStrategy", "rollingUpdate", NULL);
    s_expect(fn, "{'kind':'StatefulSet','spec':{'updateStrategy':{'type':'OnDelete'}}}",
             "spec.updateStrategy", "rollingUpdate", NULL);
}

static void s_test_jobs(void)
{
    const char *job = "{'kind':'Job','spec':{'template':{'spec':{}}}}";
    const char *cron = "{'kind':'CronJob','spec':{'jobTemplate':{'spec':{}}}}";
    s_expect("job_default_completions", job, "spec", "completions", "1");
    s_expect("job_parallelism", job, "spec", "parallelism", "1");
    json_t *root = s_apply("job_parallelism", job, "spec", "parallelism", "1");
    assert(json_integer_value(s_at(root, "spec.completions")) == 1); /* either visiting order */
    json_decref(root);
    s_expect("job_default_completions", "{'kind':'Job','spec':{'parallelism':3}}", "spec",
             "completions", NULL);
    s_expect("job_parallelism", "{'kind':'Job','spec':{'completions':5}}", "spec", "parallelism",
             "1");
    root = s_apply("job_parallelism", "{'kind':'Job','spec':{'completions':5}}", "spec",
                   "parallelism", "1");
    assert(json_integer_value(s_at(root, "spec.completions")) == 5);
    json_decref(root);
    s_expect("job_backoff_limit", job, "spec", "backoffLimit", "6");
    s_expect("job_backoff_limit",
             "{'kind':'Job','spec':{'completionMode':'Indexed','backoffLimitPerIndex':1}}", "spec",
             "backoffLimit", "2147483647");
    s_expect("job_backoff_limit", "{'kind':'Job','spec':{'backoffLimit':0}}", "spec",
             "backoffLimit", "0");
    s_expect("job_completion_mode", job, "spec", "completionMode", "'NonIndexed'");
    s_expect("job_suspend", job, "spec", "suspend", "false");
    s_expect("job_pod_replacement_policy", job, "spec", "podReplacementPolicy",
             "'TerminatingOrFailed'");
    s_expect("job_pod_replacement_policy",
             "{'kind':'Job','spec':{'podFailurePolicy':{'rules':[]}}}", "spec",
             "podReplacementPolicy", "'Failed'");
    const char *pfp = "{'kind':'%s','spec':{'podFailurePolicy':{'rules':[{'action':'Ignore',"
                      "'onPodConditions':[{'type':'DisruptionTarget'}]}]}}}";
    char doc[256];
    snprintf(doc, sizeof doc, pfp, "Job");
    s_expect("job_pod_condition_status", doc, "spec.podFailurePolicy.rules.0.onPodConditions.0",
             "status", "'True'");
    /* A CronJob's jobTemplate is left as written: SetDefaults_Job does not run on it. */
    static const char *const job_fns[][2] = {
        {"job_default_completions", "completions"},
        {"job_parallelism", "parallelism"},
        {"job_backoff_limit", "backoffLimit"},
        {"job_completion_mode", "completionMode"},
        {"job_suspend", "suspend"},
        {"job_pod_replacement_policy", "podReplacementPolicy"}};
    for (size_t i = 0; i < sizeof job_fns / sizeof job_fns[0]; i++)
        s_expect(job_fns[i][0], cron, "spec.jobTemplate.spec", job_fns[i][1], NULL);
    s_expect("job_pod_condition_status",
             "{'kind':'CronJob','spec':{'jobTemplate':{'spec':{'podFailurePolicy':{'rules':[{"
             "'onPodConditions':[{'type':'DisruptionTarget'}]}]}}}}}",
             "spec.jobTemplate.spec.podFailurePolicy.rules.0.onPodConditions.0", "status", NULL);
}

static void s_test_images(void)
{
    static const char *const cases[][2] = {
        {"nginx", "Always"},
        {"nginx:1.25", "IfNotPresent"},
        {"nginx:latest", "Always"},
        {"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "IfNotPresent"},
        /* ParseImageName keeps the tag beside a digest: "latest" still means Always. */
        {"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "Always"},
        {"nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "IfNotPresent"},
        {"library/nginx", "Always"},
        {"docker.io/library/nginx:latest", "Always"},
        {"registry.k8s.io/pause:3.10", "IfNotPresent"},
        {"registry.example.com:5000/team/app", "Always"},
        {"localhost:5000/app", "Always"},
        {"localhost:5000/app:v1", "IfNotPresent"},
        {"localhost:5000", "IfNotPresent"}, /* docker.io/library/localhost, tag "5000" */
        {"[::1]:5000/app", "Always"},
        {"my-registry.local/a__b/c--d.e_f", "Always"},
        {"nginx:LATEST", "IfNotPresent"},
        /* References that do not parse give upstream tag "", hence IfNotPresent. */
        {"", "IfNotPresent"},
        {"Nginx", "IfNotPresent"},
        {"example.com/Team/app", "IfNotPresent"},
        {"nginx:", "IfNotPresent"},
        {"nginx@sha256:abc", "IfNotPresent"},
        {"nginx@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
         "IfNotPresent"},
        {"nginx@md5:0123456789abcdef0123456789abcdef", "IfNotPresent"},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "IfNotPresent"},
        {"a/-b", "IfNotPresent"},
        {"a/b..c", "IfNotPresent"},
        {"a//b", "IfNotPresent"},
        {"example.com:port/app", "IfNotPresent"},
        {"nginx:1.0/x", "IfNotPresent"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char doc[512], want[32];
        snprintf(doc, sizeof doc,
                 "{'kind':'Deployment','spec':{'template':{'spec':{'containers':[{'name':'c',"
                 "'image':'%s'}]}}}}",
                 cases[i][0]);
        snprintf(want, sizeof want, "'%s'", cases[i][1]);
        s_expect("image_pull_policy", doc, "spec.template.spec.containers.0", "imagePullPolicy",
                 want);
    }
}

/* A name too long, a container without image, a set policy, and image volumes. */
static void s_test_image_edges(void)
{
    char long_name[400] = "{'kind':'Pod','spec':{'containers':[{'image':'";
    size_t n = strlen(long_name);
    memset(long_name + n, 'a', 250); /* docker.io/library/ + 250 > 255 */
    strcpy(long_name + n + 250, "'}]}}");
    s_expect("image_pull_policy", long_name, "spec.containers.0", "imagePullPolicy",
             "'IfNotPresent'");
    s_expect("image_pull_policy", "{'kind':'Pod','spec':{'containers':[{'name':'c'}]}}",
             "spec.containers.0", "imagePullPolicy", "'IfNotPresent'");
    s_expect("image_pull_policy",
             "{'kind':'Pod','spec':{'containers':[{'image':'nginx','imagePullPolicy':'Never'}]}}",
             "spec.containers.0", "imagePullPolicy", "'Never'");
    s_expect("image_pull_policy",
             "{'kind':'Pod','spec':{'volumes':[{'name':'v','image':{'reference':'quay.io/x/y'}}]}}",
             "spec.volumes.0.image", "pullPolicy", "'Always'");
    s_expect(
        "image_pull_policy",
        "{'kind':'Pod','spec':{'volumes':[{'name':'v','image':{'reference':'quay.io/x/y:1'}}]}}",
        "spec.volumes.0.image", "pullPolicy", "'IfNotPresent'");
}

static void s_test_pods(void)
{
    s_expect("pod_enable_service_links", "{'kind':'Pod','spec':{'containers':[]}}", "spec",
             "enableServiceLinks", "true");
    s_expect("pod_enable_service_links", "{'kind':'Pod','spec':{'enableServiceLinks':false}}",
             "spec", "enableServiceLinks", "false");
    s_expect("pod_enable_service_links", "{'kind':'Deployment','spec':{'template':{'spec':{}}}}",
             "spec.template.spec", "enableServiceLinks", NULL);

    const char *fn = "requests_from_limits";
    s_expect(fn,
             "{'kind':'Pod','spec':{'containers':[{'resources':{'limits':{'cpu':'500m',"
             "'memory':'128Mi'}}}]}}",
             "spec.containers.0.resources", "requests", "{'cpu':'500m','memory':'128Mi'}");
    s_expect(fn,
             "{'kind':'Pod','spec':{'initContainers':[{'resources':{'limits':{'cpu':'1'},"
             "'requests':{'memory':'1Gi'}}}]}}",
             "spec.initContainers.0.resources", "requests", "{'cpu':'1','memory':'1Gi'}");
    s_expect(fn,
             "{'kind':'Pod','spec':{'containers':[{'resources':{'limits':{'cpu':'2'},"
             "'requests':{'cpu':'1'}}}]}}",
             "spec.containers.0.resources", "requests", "{'cpu':'1'}");
    s_expect(fn, "{'kind':'Pod','spec':{'containers':[{'resources':{'limits':{}}}]}}",
             "spec.containers.0.resources", "requests", NULL);
    s_expect(fn, "{'kind':'Pod','spec':{'containers':[{'resources':{}}]}}",
             "spec.containers.0.resources", "requests", NULL);
    s_expect(fn,
             "{'kind':'Pod','spec':{'ephemeralContainers':[{'resources':{'limits':{'cpu':'1'}}}]}}",
             "spec.ephemeralContainers.0.resources", "requests", NULL);
    s_expect(fn,
             "{'kind':'Deployment','spec':{'template':{'spec':{'containers':[{'resources':{"
             "'limits':{'cpu':'1'}}}]}}}}",
             "spec.template.spec.containers.0.resources", "requests", NULL);
}

static void s_test_pod_ports_volumes(void)
{
    const char *fn = "host_network_port";
    const char *hn = "{'kind':'Pod','spec':{'hostNetwork':true,'containers':[{'ports':[{'name':"
                     "'http','containerPort':8080},{'containerPort':9090,'hostPort':9091}]}],"
                     "'initContainers':[{'ports':[{'containerPort':53,'hostPort':0}]}]}}";
    s_expect(fn, hn, "spec.containers.0.ports.0", "hostPort", "8080");
    s_expect(fn, hn, "spec.containers.0.ports.1", "hostPort", "9091");
    s_expect(fn, hn, "spec.initContainers.0.ports.0", "hostPort", "53");
    s_expect(fn, "{'kind':'Pod','spec':{'containers':[{'ports':[{'containerPort':8080}]}]}}",
             "spec.containers.0.ports.0", "hostPort", NULL);
    s_expect(fn,
             "{'kind':'Pod','spec':{'hostNetwork':true,'containers':[{'ports':[{'protocol':"
             "'UDP'}]}]}}",
             "spec.containers.0.ports.0", "hostPort", NULL);
    s_expect(fn,
             "{'kind':'DaemonSet','spec':{'template':{'spec':{'hostNetwork':true,'containers':[{"
             "'ports':[{'containerPort':8080}]}]}}}}",
             "spec.template.spec.containers.0.ports.0", "hostPort", NULL);

    fn = "empty_dir_volume";
    s_expect(fn, "{'kind':'Pod','spec':{'volumes':[{'name':'scratch'}]}}", "spec.volumes.0",
             "emptyDir", "{}");
    s_expect(fn, "{'kind':'Pod','spec':{'volumes':[{'name':'s','hostPath':null}]}}",
             "spec.volumes.0", "emptyDir", "{}");
    s_expect(fn, "{'kind':'Pod','spec':{'volumes':[{'name':'cfg','configMap':{'name':'c'}}]}}",
             "spec.volumes.0", "emptyDir", NULL);
    s_expect(fn, "{'kind':'Pod','spec':{'volumes':[{'name':'d','storageos':{}}]}}",
             "spec.volumes.0", "emptyDir", NULL);
}

static void s_test_services(void)
{
    const char *fn = "target_port";
    const char *svc = "{'kind':'Service','spec':{'ports':[{'port':80},{'port':443,'targetPort':"
                      "0},{'port':53,'targetPort':''},{'port':8443,'targetPort':'https'}]}}";
    s_expect(fn, svc, "spec.ports.0", "targetPort", "80");
    s_expect(fn, svc, "spec.ports.1", "targetPort", "443");
    s_expect(fn, svc, "spec.ports.2", "targetPort", "53");
    s_expect(fn, svc, "spec.ports.3", "targetPort", "'https'");

    fn = "session_affinity_config";
    const char *want = "{'clientIP':{'timeoutSeconds':10800}}";
    s_expect(fn, "{'kind':'Service','spec':{'sessionAffinity':'ClientIP'}}", "spec",
             "sessionAffinityConfig", want);
    s_expect(fn,
             "{'kind':'Service','spec':{'sessionAffinity':'ClientIP','sessionAffinityConfig':{"
             "'clientIP':{}}}}",
             "spec", "sessionAffinityConfig", want);
    s_expect(fn,
             "{'kind':'Service','spec':{'sessionAffinity':'ClientIP','sessionAffinityConfig':{"
             "'clientIP':{'timeoutSeconds':60}}}}",
             "spec", "sessionAffinityConfig", "{'clientIP':{'timeoutSeconds':60}}");
    s_expect(fn, "{'kind':'Service','spec':{}}", "spec", "sessionAffinityConfig", NULL);
    s_expect(fn,
             "{'kind':'Service','spec':{'sessionAffinity':'None','sessionAffinityConfig':{"
             "'clientIP':{'timeoutSeconds':60}}}}",
             "spec", "sessionAffinityConfig", NULL);

    static const char *const types[][4] = {
        /* spec; externalTrafficPolicy, internalTrafficPolicy, allocateLoadBalancerNodePorts */
        {"{}", NULL, "'Cluster'", NULL},
        {"{'type':'ClusterIP','externalIPs':['203.0.113.7']}", "'Cluster'", "'Cluster'", NULL},
        {"{'type':'NodePort'}", "'Cluster'", "'Cluster'", NULL},
        {"{'type':'LoadBalancer'}", "'Cluster'", "'Cluster'", "true"},
        {"{'type':'ExternalName','externalName':'db.example.com'}", NULL, NULL, NULL},
        {"{'type':'LoadBalancer','externalTrafficPolicy':'Local','internalTrafficPolicy':'Local',"
         "'allocateLoadBalancerNodePorts':false}",
         "'Local'", "'Local'", "false"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char doc[256];
        snprintf(doc, sizeof doc, "{'kind':'Service','spec':%s}", types[i][0]);
        s_expect("external_traffic_policy", doc, "spec", "externalTrafficPolicy", types[i][1]);
        s_expect("internal_traffic_policy", doc, "spec", "internalTrafficPolicy", types[i][2]);
        s_expect("allocate_lb_node_ports", doc, "spec", "allocateLoadBalancerNodePorts",
                 types[i][3]);
    }

    fn = "lb_ip_mode";
    const char *lb = "{'kind':'Service','spec':{'type':'%s'},'status':{'loadBalancer':{"
                     "'ingress':[{'ip':'198.51.100.1'},{'hostname':'lb.example.com'}]}}}";
    char doc[256];
    snprintf(doc, sizeof doc, lb, "LoadBalancer");
    s_expect(fn, doc, "status.loadBalancer.ingress.0", "ipMode", "'VIP'");
    s_expect(fn, doc, "status.loadBalancer.ingress.1", "ipMode", NULL);
    snprintf(doc, sizeof doc, lb, "ClusterIP");
    s_expect(fn, doc, "status.loadBalancer.ingress.0", "ipMode", NULL);
}

static void s_test_nodes_rbac(void)
{
    const char *fn = "allocatable_from_capacity";
    s_expect(fn, "{'kind':'Node','status':{'capacity':{'cpu':'4','memory':'8Gi','pods':'110'}}}",
             "status", "allocatable", "{'cpu':'4','memory':'8Gi','pods':'110'}");
    s_expect(fn, "{'kind':'Node','status':{'capacity':{'cpu':'4'},'allocatable':{'cpu':'3'}}}",
             "status", "allocatable", "{'cpu':'3'}");
    s_expect(fn, "{'kind':'Node','status':{'capacity':{}}}", "status", "allocatable", NULL);
    s_expect(fn, "{'kind':'Node','status':{}}", "status", "allocatable", NULL);

    fn = "subject_api_group";
    const char *rb = "{'kind':'RoleBinding','subjects':[{'kind':'User','name':'alice'},{'kind':"
                     "'Group','name':'devs'},{'kind':'ServiceAccount','name':'default',"
                     "'namespace':'ns'},{'kind':'User','name':'bob','apiGroup':''}]}";
    s_expect(fn, rb, "subjects.0", "apiGroup", "'" S_RBAC_GROUP "'");
    s_expect(fn, rb, "subjects.1", "apiGroup", "'" S_RBAC_GROUP "'");
    s_expect(fn, rb, "subjects.2", "apiGroup", NULL);
    s_expect(fn, rb, "subjects.3", "apiGroup", "'" S_RBAC_GROUP "'");
}

/* Every defaultFn of schemas/kube (grep defaultFn:) is known, and none crashes on odd JSON. */
static void s_test_all_known(void)
{
    static const char *const names[] = {"rolling_update",
                                        "sts_rolling_update",
                                        "job_backoff_limit",
                                        "job_default_completions",
                                        "job_parallelism",
                                        "job_completion_mode",
                                        "job_suspend",
                                        "job_pod_replacement_policy",
                                        "job_pod_condition_status",
                                        "image_pull_policy",
                                        "target_port",
                                        "pod_enable_service_links",
                                        "requests_from_limits",
                                        "host_network_port",
                                        "empty_dir_volume",
                                        "session_affinity_config",
                                        "external_traffic_policy",
                                        "internal_traffic_policy",
                                        "allocate_lb_node_ports",
                                        "lb_ip_mode",
                                        "subject_api_group",
                                        "allocatable_from_capacity"};
    static const char *const odd[] = {
        "{}", "{'kind':3,'spec':[]}", "{'kind':'Pod','spec':{'containers':{},'hostNetwork':1}}",
        "{'kind':'Job','spec':null}", "{'kind':'Service','spec':{'type':7},'status':[]}"};
    assert(sizeof names / sizeof names[0] == sizeof s_fns / sizeof s_fns[0]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (size_t j = 0; j < sizeof odd / sizeof odd[0]; j++) {
            json_t *root = kube_obj_quoted(odd[j]),
                   *parent = kube_obj_quoted(
                       "{'type':5,'image':[],'port':'x','limits':[],'capacity':3,'kind':null}");
            assert(gw_default_fn(names[i], parent, "f", root));
            assert(gw_default_fn(names[i], root, "spec", root));
            json_t *scalar = json_integer(1);
            assert(gw_default_fn(names[i], scalar, "f", root)); /* not an object: no-op */
            json_decref(scalar);
            json_decref(parent);
            json_decref(root);
        }
    }
    json_t *obj = json_object();
    assert(!gw_default_fn("no_such_fn", obj, "f", obj));
    assert(!gw_default_fn("", obj, "f", obj));
    assert(json_object_size(obj) == 0);
    json_decref(obj);
}

void gw_defaults_test(bool verbose)
{
    s_verbose = verbose;
    s_test_apps();
    s_test_jobs();
    s_test_images();
    s_test_image_edges();
    s_test_pods();
    s_test_pod_ports_volumes();
    s_test_services();
    s_test_nodes_rbac();
    s_test_all_known();
    (void)verbose; /* the runner prints "ok gw_defaults" */
}
