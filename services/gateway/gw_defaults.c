/* gw_defaults: the computed defaults (defaultFn) of the kind descriptions, computed over objects
 * held as JSON the way kube-apiserver v1.32's SetDefaults_* functions compute them over Go structs
 * (pkg/apis/{apps,batch,core,rbac}/v1/defaults.go). One fn decides one field from its parent and
 * the whole object. Not the static defaults and not the schema walk (gw_object.c). */
#include "gw_defaults.h"
#include "kube_obj.h"

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

size_t gw_default_fns_n(void)
{
    return sizeof s_fns / sizeof s_fns[0];
}

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
