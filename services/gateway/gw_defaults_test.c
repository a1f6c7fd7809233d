/* gw_defaults_test: the computed defaults over realistic objects, each fn against what upstream's
 * SetDefaults_* give, and every fn against mistyped JSON. */
#include "gw_defaults.h"
#include "kube_obj.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RBAC_GROUP "rbac.authorization.k8s.io"

static const char *s_str(const json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    return s ? s : "";
}

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
    assert(sizeof names / sizeof names[0] == gw_default_fns_n());
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
