/* gw_rbac_test: the selftest of gw_rbac (and its bootstrap policy). Each group asserts one part
 * of upstream's semantics with the cases rbac_test.go and evaluation_helpers_test.go exercise,
 * plus the texts kubectl users see. Kept apart from gw_rbac.c only for size. */
#include "gw_rbac.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool s_verbose;

/* JSON from text with ' for " (fixtures stay readable). */
static json_t *s_j(const char *text)
{
    char *t = strdup(text);
    assert(t);
    for (char *c = t; *c; c++)
        if (*c == '\'') *c = '"';
    json_error_t err;
    json_t *j = json_loads(t, 0, &err);
    if (!j) fprintf(stderr, "bad fixture %s: %s\n", text, err.text);
    assert(j);
    free(t);
    return j;
}

static int s_put(gw_rbac_t *p, const char *text)
{
    json_t *j = s_j(text);
    int rc = gw_rbac_put(p, j);
    json_decref(j);
    return rc;
}

/* A request from "VERB NS GROUP RESOURCE[/SUB] [NAME]" ("-" is empty) or "VERB /PATH". */
typedef struct {
    char spec[512], gbuf[512];
    const char *groups[16];
    gw_rbac_request_t r;
} s_req_t;

static const char *s_tok(char **p)
{
    char *t = strsep(p, " ");
    if (!t) return "";
    return strcmp(t, "-") == 0 ? "" : t;
}

static const gw_rbac_request_t *s_req(s_req_t *q, const char *user, const char *groups,
                                      const char *spec)
{
    memset(q, 0, sizeof *q);
    snprintf(q->spec, sizeof q->spec, "%s", spec);
    snprintf(q->gbuf, sizeof q->gbuf, "%s", groups);
    q->r.user = user;
    for (char *g = q->gbuf, *t; *groups && (t = strsep(&g, ","));) q->groups[q->r.groups_n++] = t;
    q->r.groups = q->groups;
    char *p = q->spec;
    q->r.verb = s_tok(&p);
    if (p && *p == '/') {
        q->r.path = s_tok(&p);
        return &q->r;
    }
    q->r.resource_request = true;
    q->r.namespace_ = s_tok(&p);
    q->r.api_group = s_tok(&p);
    char *res = (char *)s_tok(&p);
    q->r.name = s_tok(&p);
    char *slash = strchr(res, '/');
    q->r.subresource = slash ? slash + 1 : "";
    if (slash) *slash = 0;
    q->r.resource = res;
    return &q->r;
}

static void s_expect(gw_rbac_t *p, const char *user, const char *groups, const char *spec,
                     bool want)
{
    s_req_t q;
    const char *reason = NULL;
    bool got = gw_rbac_allowed(p, s_req(&q, user, groups, spec), &reason);
    if (s_verbose) printf("    %-5s %s [%s] %s\n", got ? "allow" : "deny", user, groups, spec);
    if (got != want) fprintf(stderr, "gw_rbac: %s [%s] %s: want %d\n", user, groups, spec, want);
    assert(got == want);
    assert(reason && (!got || !*reason));
}

static void s_reason_is(gw_rbac_t *p, const char *user, const char *spec, const char *want)
{
    s_req_t q;
    const char *reason = NULL;
    assert(!gw_rbac_allowed(p, s_req(&q, user, "", spec), &reason));
    if (strcmp(reason, want) != 0) fprintf(stderr, "reason %s\nwant   %s\n", reason, want);
    assert(strcmp(reason, want) == 0);
}

#define S_BIND_U                                                                            \
    "{'kind':'ClusterRoleBinding','metadata':{'name':'u'},'roleRef':{'kind':'ClusterRole'," \
    "'name':'r'},'subjects':[{'kind':'User','name':'u'}]}"

/* Binds ClusterRole r (with this one rule) to user u. */
static void s_rule(gw_rbac_t *p, const char *rule)
{
    char text[1024];
    snprintf(text, sizeof text, "{'kind':'ClusterRole','metadata':{'name':'r'},'rules':[%s]}",
             rule);
    assert(s_put(p, text) == 0);
}

static void s_test_rules_resources(gw_rbac_t *p)
{
    s_rule(p, "{'verbs':['get'],'apiGroups':[''],'resources':['pods']}");
    s_expect(p, "u", "", "get ns - pods x", true);
    s_expect(p, "u", "", "list ns - pods", false);
    s_expect(p, "u", "", "get ns apps pods x", false);
    s_expect(p, "u", "", "get ns - pods/log x", false);
    s_expect(p, "u", "", "get - - pods", true); /* cluster scope too: a ClusterRoleBinding */
    s_expect(p, "other", "", "get ns - pods x", false);
    s_expect(p, "u", "", "get /pods", false); /* resource rules never grant paths */
    s_rule(p, "{'verbs':['*'],'apiGroups':['*'],'resources':['*']}");
    s_expect(p, "u", "", "deletecollection ns apps deployments/scale", true);
    s_expect(p, "u", "", "escalate - rbac.authorization.k8s.io clusterroles x", true);
    s_expect(p, "u", "", "get /healthz", false);
    s_rule(p, "{'verbs':['get'],'apiGroups':['apps'],'resources':['deployments']}");
    s_expect(p, "u", "", "get ns apps deployments x", true);
    s_expect(p, "u", "", "get ns - deployments x", false);
    s_expect(p, "u", "", "get ns extensions deployments x", false);
    /* resource/subresource forms */
    s_rule(p, "{'verbs':['get'],'apiGroups':[''],'resources':['pods/log']}");
    s_expect(p, "u", "", "get ns - pods/log x", true);
    s_expect(p, "u", "", "get ns - pods x", false);
    s_expect(p, "u", "", "get ns - pods/exec x", false);
    s_rule(p, "{'verbs':['update'],'apiGroups':['*'],'resources':['*/scale']}");
    s_expect(p, "u", "", "update ns apps deployments/scale x", true);
    s_expect(p, "u", "", "update ns apps statefulsets/scale x", true);
    s_expect(p, "u", "", "update ns apps deployments x", false);
    s_expect(p, "u", "", "update ns - pods/status x", false);
    s_rule(p, "{'verbs':['get'],'apiGroups':[''],'resources':['*']}");
    s_expect(p, "u", "", "get ns - pods/log x", true);
    /* "pods/" + "*" is a literal upstream, not a subresource wildcard */
    s_rule(p, "{'verbs':['get'],'apiGroups':[''],'resources':['pods/*']}");
    s_expect(p, "u", "", "get ns - pods/log x", false);
    s_expect(p, "u", "", "get ns - pods x", false);
    /* resourceNames: only requests that carry a name */
    s_rule(p, "{'verbs':['*'],'apiGroups':[''],'resources':['configmaps'],'resourceNames':['a']}");
    s_expect(p, "u", "", "get ns - configmaps a", true);
    s_expect(p, "u", "", "update ns - configmaps a", true);
    s_expect(p, "u", "", "get ns - configmaps b", false);
    s_expect(p, "u", "", "list ns - configmaps", false);
    s_expect(p, "u", "", "create ns - configmaps", false);
    s_rule(p,
           "{'verbs':['list'],'apiGroups':[''],'resources':['configmaps'],'resourceNames':['']}");
    s_expect(p, "u", "", "list ns - configmaps", true); /* upstream compares "" too */
}

static void s_test_rules_urls(gw_rbac_t *p)
{
    s_rule(p, "{'verbs':['get'],'nonResourceURLs':['/healthz','/apis/*','/logs*']}");
    s_expect(p, "u", "", "get /healthz", true);
    s_expect(p, "u", "", "get /healthz/etcd", false);
    s_expect(p, "u", "", "get /apis/apps/v1", true);
    s_expect(p, "u", "", "get /apis", false);
    s_expect(p, "u", "", "get /logsfoo", true);
    s_expect(p, "u", "", "post /healthz", false);
    s_expect(p, "u", "", "get - - healthz", false); /* URL rules never grant resources */
    s_rule(p, "{'verbs':['create'],'nonResourceURLs':['*']}");
    s_expect(p, "u", "", "post /anything", false); /* non-resource verbs are HTTP methods */
    s_rule(p, "{'verbs':['post'],'nonResourceURLs':['/x**']}");
    s_expect(p, "u", "", "post /x", true);
    s_expect(p, "u", "", "post /", false);
    s_rule(p, "{'verbs':['*'],'nonResourceURLs':['*']}");
    s_expect(p, "u", "", "delete /a/b", true);
    /* a rule without verbs grants nothing; NULL request fields read as "" */
    s_rule(p, "{'apiGroups':['*'],'resources':['*']}");
    s_expect(p, "u", "", "get ns - pods x", false);
    gw_rbac_request_t empty = {0};
    assert(!gw_rbac_allowed(p, &empty, NULL));
}

static void s_test_rules(void)
{
    gw_rbac_t *p = gw_rbac_new();
    assert(s_put(p, S_BIND_U) == 0);
    s_test_rules_resources(p);
    s_test_rules_urls(p);
    gw_rbac_destroy(&p);
    assert(p == NULL);
    gw_rbac_destroy(&p);
    gw_rbac_destroy(NULL);
}

static void s_test_subjects(void)
{
    gw_rbac_t *p = gw_rbac_new();
    assert(s_put(p, "{'kind':'Role','metadata':{'name':'reader','namespace':'a'},"
                    "'rules':[{'verbs':['get'],'apiGroups':[''],'resources':['pods']}]}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'rb','namespace':'a'},"
                    "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':"
                    "'reader'},'subjects':[{'kind':'User','name':'alice'},{'kind':'Group','name':"
                    "'devs'},{'kind':'ServiceAccount','name':'builder'},{'kind':'ServiceAccount',"
                    "'name':'other','namespace':'b'},{'kind':'Robot','name':'carol'},"
                    "{'kind':'User','name':'alice'}]}") == 0);
    s_expect(p, "alice", "", "get a - pods x", true);
    s_expect(p, "alice", "", "get b - pods x", false);
    s_expect(p, "alice", "", "get - - pods x", false); /* RoleBindings only in a namespace */
    s_expect(p, "Alice", "", "get a - pods x", false);
    s_expect(p, "bob", "devs", "get a - pods x", true);
    s_expect(p, "bob", "x,y,devs", "get a - pods x", true);
    s_expect(p, "devs", "", "get a - pods x", false);
    s_expect(p, "system:serviceaccount:a:builder", "", "get a - pods x", true);
    s_expect(p, "system:serviceaccount:b:builder", "", "get a - pods x", false);
    s_expect(p, "system:serviceaccount:b:other", "", "get a - pods x", true);
    s_expect(p, "carol", "", "get a - pods x", false); /* unknown subject kinds match nobody */
    /* ClusterRoleBindings: a ServiceAccount needs its namespace there */
    assert(s_put(p, "{'kind':'ClusterRole','metadata':{'name':'nodes'},'rules':[{'verbs':"
                    "['list'],'apiGroups':[''],'resources':['nodes']}]}") == 0);
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'crb'},'roleRef':{'kind':"
                    "'ClusterRole','name':'nodes'},'subjects':[{'kind':'ServiceAccount','name':"
                    "'lost'},{'kind':'ServiceAccount','name':'mon','namespace':'kube-system'},"
                    "{'kind':'User','name':'system:serviceaccount:x:y'}]}") == 0);
    s_expect(p, "system:serviceaccount:x:lost", "", "list x - nodes", false);
    s_expect(p, "system:serviceaccount::lost", "", "list - - nodes", false);
    s_expect(p, "system:serviceaccount:kube-system:mon", "", "list - - nodes", true);
    s_expect(p, "system:serviceaccount:x:y", "", "list - - nodes", true);
    gw_rbac_destroy(&p);
}

#define S_POD_READER                                                                           \
    "{'kind':'ClusterRole','metadata':{'name':'pod-reader'},'rules':[{'verbs':['get','list']," \
    "'apiGroups':[''],'resources':['pods']}]}"

static void s_test_bindings(void)
{
    gw_rbac_t *p = gw_rbac_new();
    assert(s_put(p, S_POD_READER) == 0);
    /* a RoleBinding to a ClusterRole grants it in the binding's namespace only */
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'x','namespace':'a'},'roleRef':"
                    "{'kind':'ClusterRole','name':'pod-reader'},'subjects':[{'kind':'User',"
                    "'name':'alice'}]}") == 0);
    s_expect(p, "alice", "", "list a - pods", true);
    s_expect(p, "alice", "", "list b - pods", false);
    s_expect(p, "alice", "", "list - - pods", false);
    /* a RoleBinding to a Role of its own namespace; not to one of another */
    assert(s_put(p, "{'kind':'Role','metadata':{'name':'r','namespace':'a'},'rules':[{'verbs':"
                    "['get'],'apiGroups':[''],'resources':['secrets']}]}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'y','namespace':'a'},'roleRef':"
                    "{'kind':'Role','name':'r'},'subjects':[{'kind':'User','name':'bob'}]}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'y','namespace':'b'},'roleRef':"
                    "{'kind':'Role','name':'r'},'subjects':[{'kind':'User','name':'bob'}]}") == 0);
    s_expect(p, "bob", "", "get a - secrets s", true);
    s_reason_is(p, "bob", "get b - secrets s",
                "RBAC: role.rbac.authorization.k8s.io \"r\" not found");
    s_reason_is(p, "bob", "get a - pods s", ""); /* resolved, just no rule */
    /* a ClusterRoleBinding applies everywhere, cluster scope included */
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'z'},'roleRef':{'kind':"
                    "'ClusterRole','name':'pod-reader'},'subjects':[{'kind':'Group','name':"
                    "'readers'}]}") == 0);
    s_expect(p, "carol", "readers", "list a - pods", true);
    s_expect(p, "carol", "readers", "list zz - pods", true);
    s_expect(p, "carol", "readers", "list - - pods", true);
    s_expect(p, "carol", "readers", "delete a - pods x", false);
    /* unresolvable references give upstream's reasons, ClusterRoleBindings' first */
    assert(s_put(p,
                 "{'kind':'ClusterRoleBinding','metadata':{'name':'m1'},'roleRef':{'kind':"
                 "'ClusterRole','name':'gone'},'subjects':[{'kind':'User','name':'dan'}]}") == 0);
    s_reason_is(p, "dan", "get - - nodes",
                "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
    assert(s_put(p,
                 "{'kind':'ClusterRoleBinding','metadata':{'name':'m2'},'roleRef':{'kind':"
                 "'ClusterRole','name':'gone'},'subjects':[{'kind':'User','name':'dan'}]}") == 0);
    s_reason_is(p, "dan", "get - - nodes",
                "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'m3'},'roleRef':{'kind':"
                    "'Role','name':'r'},'subjects':[{'kind':'User','name':'dan'}]}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'m4','namespace':'a'},'roleRef':"
                    "{'kind':'Bogus','name':'r'},'subjects':[{'kind':'User','name':'dan'}]}") == 0);
    s_reason_is(p, "dan", "get a - nodes",
                "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, "
                "role.rbac.authorization.k8s.io \"r\" not found, unsupported role reference kind: "
                "\"Bogus\"]");
    /* allowed: no reason even though some bindings did not resolve */
    assert(s_put(p,
                 "{'kind':'ClusterRoleBinding','metadata':{'name':'m5'},'roleRef':{'kind':"
                 "'ClusterRole','name':'pod-reader'},'subjects':[{'kind':'User','name':'dan'}]}") ==
           0);
    s_expect(p, "dan", "", "get a - pods x", true);
    /* replacing a binding re-files its subjects; removing drops it */
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'z'},'roleRef':{'kind':"
                    "'ClusterRole','name':'pod-reader'},'subjects':[{'kind':'User','name':"
                    "'erin'}]}") == 0);
    s_expect(p, "carol", "readers", "list - - pods", false);
    s_expect(p, "erin", "", "list - - pods", true);
    assert(gw_rbac_remove(p, "ClusterRoleBinding", "ignored", "z") == 0);
    assert(gw_rbac_remove(p, "ClusterRoleBinding", "", "z") == -ENOENT);
    s_expect(p, "erin", "", "list - - pods", false);
    /* removing the role: the binding stays and now reports it */
    assert(gw_rbac_remove(p, "Role", "a", "r") == 0);
    s_reason_is(p, "bob", "get a - secrets s",
                "RBAC: role.rbac.authorization.k8s.io \"r\" not found");
    assert(gw_rbac_remove(p, "Pod", "a", "r") == -EINVAL);
    gw_rbac_destroy(&p);
}

#define S_CR(name, labels, rest) \
    "{'kind':'ClusterRole','metadata':{'name':'" name "','labels':{" labels "}}" rest "}"
#define S_GET(res)  ",'rules':[{'verbs':['get'],'apiGroups':[''],'resources':['" res "']}]"
#define S_AGG(sels) ",'aggregationRule':{'clusterRoleSelectors':[" sels "]}"

static void s_test_aggregation_basic(gw_rbac_t *p)
{
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'b'},'roleRef':{'kind':"
                    "'ClusterRole','name':'agg'},'subjects':[{'kind':'User','name':'u'}]}") == 0);
    /* own rules are replaced by the selected roles' */
    assert(s_put(p, S_CR("agg", "", S_GET("own") S_AGG("{'matchLabels':{'team':'a'}}"))) == 0);
    assert(s_put(p, S_CR("a1", "'team':'a'", S_GET("pods"))) == 0);
    assert(s_put(p, S_CR("a2", "'team':'b'", S_GET("secrets"))) == 0);
    s_expect(p, "u", "", "get - - pods", true);
    s_expect(p, "u", "", "get - - secrets", false);
    s_expect(p, "u", "", "get - - own", false);
    assert(s_put(p, S_CR("a2", "'team':'a'", S_GET("secrets"))) == 0); /* relabelled */
    s_expect(p, "u", "", "get - - secrets", true);
    assert(s_put(p, S_CR("a3", "'team':'a'", S_GET("configmaps"))) == 0); /* a new one */
    s_expect(p, "u", "", "get - - configmaps", true);
    assert(gw_rbac_remove(p, "ClusterRole", "", "a3") == 0);
    assert(gw_rbac_remove(p, "ClusterRole", "", "a1") == 0);
    s_expect(p, "u", "", "get - - pods", false);
    json_t *rules = gw_rbac_aggregated_rules(p, "agg"), *want;
    want = s_j("[{'verbs':['get'],'apiGroups':[''],'resources':['secrets']}]");
    assert(json_equal(rules, want));
    json_decref(rules);
    json_decref(want);
    assert(!gw_rbac_aggregated_rules(p, "a2") && !gw_rbac_aggregated_rules(p, "none"));
    /* a present aggregationRule without selectors aggregates nothing */
    assert(s_put(p, S_CR("agg", "", S_GET("pods") ",'aggregationRule':{}")) == 0);
    s_expect(p, "u", "", "get - - pods", false);
    /* an empty selector selects every other ClusterRole */
    assert(s_put(p, S_CR("agg", "", S_AGG("{}"))) == 0);
    s_expect(p, "u", "", "get - - secrets", true);
    /* a Role has no aggregation: its rules stand */
    assert(s_put(p, "{'kind':'Role','metadata':{'name':'r','namespace':'n'}" S_GET("cm")
                        S_AGG("{'matchLabels':{'team':'zz'}}") "}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'b','namespace':'n'},'roleRef':"
                    "{'kind':'Role','name':'r'},'subjects':[{'kind':'User','name':'u'}]}") == 0);
    s_expect(p, "u", "", "get n - cm", true);
}

static void s_test_aggregation_expressions(gw_rbac_t *p)
{
    assert(s_put(p, S_CR("x1", "'tier':'web','env':'prod'", S_GET("r1"))) == 0);
    assert(s_put(p, S_CR("x2", "'tier':'db'", S_GET("r2"))) == 0);
    assert(s_put(p, S_CR("x3", "", S_GET("r3"))) == 0);
    static const struct {
        const char *sel;
        bool r1, r2, r3;
    } cases[] = {
        {"{'matchExpressions':[{'key':'tier','operator':'In','values':['web','db']}]}", 1, 1, 0},
        {"{'matchExpressions':[{'key':'tier','operator':'NotIn','values':['db']}]}", 1, 0, 1},
        {"{'matchExpressions':[{'key':'env','operator':'Exists'}]}", 1, 0, 0},
        {"{'matchExpressions':[{'key':'tier','operator':'DoesNotExist'}]}", 0, 0, 1},
        {"{'matchLabels':{'tier':'web'},'matchExpressions':[{'key':'env','operator':'In',"
         "'values':['dev']}]}",
         0, 0, 0},
        {"{'matchLabels':{'tier':'web'}},{'matchLabels':{'tier':'db'}}", 1, 1, 0}, /* ORed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{'kind':'ClusterRole','metadata':{'name':'agg'},'aggregationRule':"
                 "{'clusterRoleSelectors':[%s]}}",
                 cases[i].sel);
        assert(s_put(p, text) == 0);
        s_expect(p, "u", "", "get - - r1", cases[i].r1);
        s_expect(p, "u", "", "get - - r2", cases[i].r2);
        s_expect(p, "u", "", "get - - r3", cases[i].r3);
    }
    /* selectors upstream's validation refuses; the old role stays */
    static const char *const bad[] = {
        "{'matchExpressions':[{'key':'tier','operator':'In'}]}",
        "{'matchExpressions':[{'key':'tier','operator':'In','values':[]}]}",
        "{'matchExpressions':[{'key':'tier','operator':'Exists','values':['a']}]}",
        "{'matchExpressions':[{'key':'tier','operator':'Gt','values':['1']}]}",
        "{'matchExpressions':[{'operator':'Exists'}]}",
        "{'matchLabels':{'tier':1}}",
        "'web'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{'kind':'ClusterRole','metadata':{'name':'agg'},'aggregationRule':"
                 "{'clusterRoleSelectors':[%s]}}",
                 bad[i]);
        assert(s_put(p, text) == -EINVAL);
    }
    s_expect(p, "u", "", "get - - r1", true);
}

static void s_test_aggregation_chains(gw_rbac_t *p)
{
    /* admin <- edit <- view, as the bootstrap roles chain; the result follows any change */
    assert(s_put(p, S_CR("agg", "", S_AGG("{'matchLabels':{'to-top':'true'}}"))) == 0);
    assert(s_put(p, S_CR("mid", "'to-top':'true'", S_AGG("{'matchLabels':{'to-mid':'true'}}"))) ==
           0);
    assert(s_put(p, S_CR("leaf", "'to-mid':'true'", S_GET("deep"))) == 0);
    assert(s_put(p, S_CR("top-own", "'to-top':'true'", S_GET("shallow"))) == 0);
    s_expect(p, "u", "", "get - - deep", true);
    s_expect(p, "u", "", "get - - shallow", true);
    s_expect(p, "u", "", "get - - r1", false);
    assert(s_put(p, S_CR("leaf", "'to-mid':'true'", S_GET("deeper"))) == 0);
    s_expect(p, "u", "", "get - - deep", false);
    s_expect(p, "u", "", "get - - deeper", true);
    json_t *rules = gw_rbac_aggregated_rules(p, "agg"), *want;
    want = s_j("[{'verbs':['get'],'apiGroups':[''],'resources':['deeper']},"
               "{'verbs':['get'],'apiGroups':[''],'resources':['shallow']}]");
    assert(json_equal(rules, want)); /* mid before top-own: by name */
    json_decref(rules);
    json_decref(want);
    /* a cycle settles on the union of what both reach, and ends */
    assert(s_put(p, S_CR("c1", "'ring':'1'", S_AGG("{'matchLabels':{'ring':'2'}}"))) == 0);
    assert(
        s_put(p, S_CR("c2", "'ring':'2'",
                      S_AGG("{'matchLabels':{'ring':'1'}},{'matchLabels':{'to-mid':'true'}}"))) ==
        0);
    assert(s_put(p, S_CR("c3", "'ring':'1'", S_GET("ring1"))) == 0);
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'c'},'roleRef':{'kind':"
                    "'ClusterRole','name':'c1'},'subjects':[{'kind':'User','name':'v'}]}") == 0);
    s_expect(p, "v", "", "get - - ring1", true);
    s_expect(p, "v", "", "get - - deeper", true);
    s_expect(p, "v", "", "get - - shallow", false);
    /* duplicate rules are dropped from the written rules */
    assert(s_put(p, S_CR("d1", "'dup':'1'", S_GET("same"))) == 0);
    assert(s_put(p, S_CR("d2", "'dup':'1'", S_GET("same"))) == 0);
    assert(s_put(p, S_CR("dd", "", S_AGG("{'matchLabels':{'dup':'1'}}"))) == 0);
    rules = gw_rbac_aggregated_rules(p, "dd");
    assert(json_array_size(rules) == 1);
    json_decref(rules);
}

static void s_test_aggregation(void)
{
    gw_rbac_t *p = gw_rbac_new();
    s_test_aggregation_basic(p);
    s_test_aggregation_expressions(p);
    s_test_aggregation_chains(p);
    gw_rbac_destroy(&p);
}

static void s_test_store(void)
{
    gw_rbac_t *p = gw_rbac_new();
    static const char *const bad[] = {
        "[]",
        "{'kind':'Pod','metadata':{'name':'x'}}",
        "{'kind':'ClusterRole','metadata':{}}",
        "{'kind':'ClusterRole','metadata':{'name':''}}",
        "{'kind':'Role','metadata':{'name':'x'}}",
        "{'kind':'RoleBinding','metadata':{'name':'x','namespace':''},'roleRef':{'kind':'Role',"
        "'name':'r'}}",
        "{'kind':'ClusterRoleBinding','metadata':{'name':'x'}}",
        "{'kind':'ClusterRoleBinding','metadata':{'name':'x'},'roleRef':{'kind':'ClusterRole'}}",
        "{'kind':'ClusterRoleBinding','metadata':{'name':'x'},'roleRef':{'kind':'ClusterRole',"
        "'name':'r'},'subjects':{}}",
        "{'kind':'ClusterRole','metadata':{'name':'x'},'rules':{}}",
        "{'kind':'ClusterRole','metadata':{'name':'x'},'rules':[1]}",
        "{'kind':'ClusterRole','metadata':{'name':'x'},'rules':[{'verbs':[1]}]}",
        "{'kind':'ClusterRole','metadata':{'name':'x'},'rules':[{'verbs':'get'}]}",
        "{'kind':'ClusterRole','metadata':{'name':'x'},'aggregationRule':[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert(s_put(p, bad[i]) == -EINVAL);
    assert(gw_rbac_put(p, NULL) == -EINVAL);
    /* a failed replace keeps the old object */
    assert(s_put(p, S_BIND_U) == 0);
    s_rule(p, "{'verbs':['get'],'apiGroups':[''],'resources':['pods']}");
    assert(s_put(p, "{'kind':'ClusterRole','metadata':{'name':'r'},'rules':[{'verbs':[2]}]}") ==
           -EINVAL);
    s_expect(p, "u", "", "get - - pods", true);
    /* limits: rules per role, subjects per binding */
    json_t *role = s_j("{'kind':'ClusterRole','metadata':{'name':'big'},'rules':[]}");
    json_t *rule = s_j("{'verbs':['get'],'apiGroups':[''],'resources':['pods']}");
    for (int i = 0; i < GW_RBAC_RULES_MAX; i++)
        json_array_append(json_object_get(role, "rules"), rule);
    assert(gw_rbac_put(p, role) == 0);
    json_array_append(json_object_get(role, "rules"), rule);
    assert(gw_rbac_put(p, role) == -E2BIG);
    json_t *crb = s_j(S_BIND_U), *subject = s_j("{'kind':'User','name':'x'}");
    for (int i = 0; i <= GW_RBAC_SUBJECTS_MAX; i++)
        json_array_append(json_object_get(crb, "subjects"), subject);
    assert(gw_rbac_put(p, crb) == -E2BIG);
    json_decref(role);
    json_decref(rule);
    json_decref(crb);
    json_decref(subject);
    /* a cluster object's namespace is ignored */
    assert(s_put(p, "{'kind':'ClusterRole','metadata':{'name':'c','namespace':'x'}}") == 0);
    assert(gw_rbac_remove(p, "ClusterRole", "y", "c") == 0);
    /* objects per policy (3 so far: u, r, big) */
    json_t *obj = s_j("{'kind':'Role','metadata':{'name':'n','namespace':'ns'}}");
    json_t *meta = json_object_get(obj, "metadata");
    for (int i = 3; i < GW_RBAC_OBJECTS_MAX; i++) {
        json_object_set_new(meta, "name", json_sprintf("r%d", i));
        assert(gw_rbac_put(p, obj) == 0);
    }
    json_object_set_new(meta, "name", json_string("one-more"));
    assert(gw_rbac_put(p, obj) == -ENOSPC);
    json_object_set_new(meta, "name", json_string("r3"));
    assert(gw_rbac_put(p, obj) == 0); /* replacing is not adding */
    assert(gw_rbac_remove(p, "Role", "ns", "r4") == 0);
    json_object_set_new(meta, "name", json_string("one-more"));
    assert(gw_rbac_put(p, obj) == 0);
    json_decref(obj);
    s_expect(p, "u", "", "get - - pods", true);
    gw_rbac_destroy(&p);
}

static void s_message_is(const char *user, const char *spec, const char *reason, const char *want)
{
    s_req_t q;
    char out[1024];
    gw_rbac_forbidden_message_reason(s_req(&q, user, "", spec), reason, out, sizeof out);
    if (s_verbose) printf("    %s\n", out);
    if (strcmp(out, want) != 0) fprintf(stderr, "got  %s\nwant %s\n", out, want);
    assert(strcmp(out, want) == 0);
}

static void s_test_messages(void)
{
    s_message_is("bob", "list default - secrets", NULL,
                 "secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API "
                 "group \"\" in the namespace \"default\"");
    s_message_is("bob", "get default - pods x", "",
                 "pods \"x\" is forbidden: User \"bob\" cannot get resource \"pods\" in API group "
                 "\"\" in the namespace \"default\"");
    s_message_is("bob", "list - - nodes", NULL,
                 "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group "
                 "\"\" at the cluster scope");
    s_message_is("bob", "get default - pods/log x", NULL,
                 "pods \"x\" is forbidden: User \"bob\" cannot get resource \"pods/log\" in API "
                 "group \"\" in the namespace \"default\"");
    s_message_is("system:serviceaccount:ns:sa", "patch ns apps deployments/scale web", NULL,
                 "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:ns:sa\" "
                 "cannot patch resource \"deployments/scale\" in API group \"apps\" in the "
                 "namespace \"ns\"");
    s_message_is("bob", "create - rbac.authorization.k8s.io clusterroles", NULL,
                 "clusterroles.rbac.authorization.k8s.io is forbidden: User \"bob\" cannot create "
                 "resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the "
                 "cluster scope");
    s_message_is("bob", "get /metrics", NULL,
                 "forbidden: User \"bob\" cannot get path \"/metrics\"");
    s_message_is("bob", "list a - pods",
                 "RBAC: clusterrole.rbac.authorization.k8s.io \"v\" not found",
                 "pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" "
                 "in the namespace \"a\": RBAC: clusterrole.rbac.authorization.k8s.io \"v\" not "
                 "found");
    /* the sanitizer touches the inner message only; %q escapes as Go's */
    s_message_is("<b>&", "get a - pods <i>", NULL,
                 "pods \"<i>\" is forbidden: User \"&lt;b&gt;&amp;\" cannot get resource "
                 "\"pods\" in API group \"\" in the namespace \"a\"");
    s_message_is("q\"b\\\t\x01\x7f\xff\xc3\xa9\xc2\xa0", "get /x", NULL,
                 "forbidden: User \"q\\\"b\\\\\\t\\x01\\x7f\\xff\xc3\xa9\\u00a0\" cannot get "
                 "path \"/x\"");
    s_req_t q;
    char small[12];
    gw_rbac_forbidden_message(s_req(&q, "bob", "", "get /metrics"), small, sizeof small);
    assert(strcmp(small, "forbidden: ") == 0);
    gw_rbac_forbidden_message(s_req(&q, "bob", "", "get /metrics"), small, 0);
    gw_rbac_request_t empty = {.resource_request = true};
    char out[256];
    gw_rbac_forbidden_message(&empty, out, sizeof out);
    assert(strcmp(out, "forbidden: User \"\" cannot  resource \"\" in API group \"\" at the "
                       "cluster scope") == 0);
}

static void s_test_privileged(void)
{
    s_req_t q;
    assert(
        gw_rbac_is_privileged(s_req(&q, "root", "system:authenticated,system:masters", "get /x")));
    assert(!gw_rbac_is_privileged(s_req(&q, "system:masters", "system:authenticated", "get /x")));
    assert(!gw_rbac_is_privileged(s_req(&q, "root", "", "get /x")));
    /* RBAC itself does not know the group: only through the cluster-admin binding */
    gw_rbac_t *p = gw_rbac_new();
    s_expect(p, "root", "system:masters", "delete - - nodes n", false);
    gw_rbac_destroy(&p);
}

static void s_test_bootstrap_objects(gw_rbac_t *p, json_t *all)
{
    size_t i, roles = 0, bindings = 0;
    json_t *o;
    json_array_foreach(all, i, o)
    {
        json_t *meta = json_object_get(o, "metadata");
        const char *kind = json_string_value(json_object_get(o, "kind"));
        assert(strcmp(json_string_value(json_object_get(o, "apiVersion")),
                      "rbac.authorization.k8s.io/v1") == 0);
        assert(strcmp(json_string_value(json_object_get(json_object_get(meta, "labels"),
                                                        "kubernetes.io/bootstrapping")),
                      "rbac-defaults") == 0);
        assert(strcmp(json_string_value(
                          json_object_get(json_object_get(meta, "annotations"),
                                          "rbac.authorization.kubernetes.io/autoupdate")),
                      "true") == 0);
        roles += strcmp(kind, "ClusterRole") == 0;
        bindings += strcmp(kind, "ClusterRoleBinding") == 0;
        assert(gw_rbac_put(p, o) == 0);
    }
    assert(roles == 13 && bindings == 6);
    /* the written rules of the aggregated roles are what aggregation yields from the store */
    json_array_foreach(all, i, o)
    {
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        json_t *agg = strcmp(json_string_value(json_object_get(o, "kind")), "ClusterRole") == 0
                          ? gw_rbac_aggregated_rules(p, name)
                          : NULL;
        if (!agg) continue;
        assert(json_array_size(agg) > 0 && json_equal(agg, json_object_get(o, "rules")));
        json_decref(agg);
    }
    json_t *admin = gw_rbac_aggregated_rules(p, "admin"),
           *view = gw_rbac_aggregated_rules(p, "view");
    json_t *edit = gw_rbac_aggregated_rules(p, "edit");
    assert(json_array_size(view) == 10 && json_array_size(edit) == 23 &&
           json_array_size(admin) == 25);
    json_decref(admin);
    json_decref(edit);
    json_decref(view);
}

static void s_test_bootstrap_defaults(gw_rbac_t *p)
{
    const char *au = "system:authenticated", *un = "system:unauthenticated";
    static const char *const open[] = {"/healthz", "/livez", "/readyz", "/version", "/version/"};
    static const char *const discovery[] = {
        "/api", "/api/v1", "/apis", "/apis/apps/v1", "/openapi/v2", "/openapi/v3/apis/apps/v1"};
    char spec[128];
    for (size_t i = 0; i < sizeof open / sizeof *open; i++) {
        snprintf(spec, sizeof spec, "get %s", open[i]);
        s_expect(p, "bob", au, spec, true);
        s_expect(p, "system:anonymous", un, spec, true);
    }
    for (size_t i = 0; i < sizeof discovery / sizeof *discovery; i++) {
        snprintf(spec, sizeof spec, "get %s", discovery[i]);
        s_expect(p, "bob", au, spec, true);
        s_expect(p, "system:anonymous", un, spec, false);
    }
    s_expect(p, "bob", au, "get /metrics", false);
    s_expect(p, "bob", au, "get /healthz/etcd", false);
    s_expect(p, "bob", au, "post /api", false);
    s_expect(p, "prom", "system:monitoring", "get /metrics", true);
    s_expect(p, "prom", "system:monitoring", "get /readyz/etcd", true);
    s_expect(p, "bob", au, "create - authorization.k8s.io selfsubjectaccessreviews", true);
    s_expect(p, "bob", au, "create - authorization.k8s.io selfsubjectrulesreviews", true);
    s_expect(p, "bob", au, "create - authentication.k8s.io selfsubjectreviews", true);
    s_expect(p, "bob", au, "create - authorization.k8s.io subjectaccessreviews", false);
    s_expect(p, "system:anonymous", un, "create - authorization.k8s.io selfsubjectaccessreviews",
             false);
    s_expect(p, "bob", au, "list default - pods", false);
    s_expect(p, "system:serviceaccount:a:b", "system:serviceaccounts,system:authenticated",
             "get /openid/v1/jwks", true);
    s_expect(p, "root", "system:masters,system:authenticated", "delete - - nodes n", true);
    s_expect(p, "root", "system:masters", "deletecollection x apps deployments", true);
    s_expect(p, "root", "system:masters", "put /anything", true);
}

static void s_test_bootstrap_admin(gw_rbac_t *p)
{
    static const char *const allow[] = {
        "create team rbac.authorization.k8s.io roles",
        "update team rbac.authorization.k8s.io rolebindings x",
        "delete team rbac.authorization.k8s.io rolebindings x",
        "create team authorization.k8s.io localsubjectaccessreviews",
        "list team - secrets",
        "create team - pods/exec x",
        "get team - pods/exec x",
        "create team - pods/attach x",
        "create team - pods/portforward x",
        "get team - pods/log x",
        "get team - pods/status x",
        "update team apps deployments/scale x",
        "patch team apps statefulsets/scale x",
        "update team apps replicasets/scale x",
        "deletecollection team apps daemonsets",
        "create team batch jobs",
        "create team batch cronjobs",
        "watch team coordination.k8s.io leases",
        "create team - services",
        "get team - endpoints x",
        "update team - configmaps x",
        "create team - serviceaccounts",
        "impersonate team - serviceaccounts x",
        "create team - persistentvolumeclaims",
        "create team - events",
        "get team - namespaces team",
        "list team - resourcequotas",
    };
    static const char *const deny[] = {
        "bind team rbac.authorization.k8s.io roles x", /* bind is not in the admin rules */
        "update team - pods/status x",
        "create team - endpoints", /* dropped from edit upstream (CVE-2021-25740) */
        "delete team - namespaces team",
        "update team - resourcequotas x",
        "list other - pods",
        "list - - nodes",
        "list - - namespaces",
        "create - rbac.authorization.k8s.io clusterroles",
    };
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'ad','namespace':'team'},"
                    "'roleRef':{'kind':'ClusterRole','name':'admin'},'subjects':[{'kind':'User',"
                    "'name':'ann'}]}") == 0);
    for (size_t i = 0; i < sizeof allow / sizeof *allow; i++)
        s_expect(p, "ann", "system:authenticated", allow[i], true);
    for (size_t i = 0; i < sizeof deny / sizeof *deny; i++)
        s_expect(p, "ann", "system:authenticated", deny[i], false);
}

static void s_test_bootstrap_edit_view(gw_rbac_t *p)
{
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'ed','namespace':'team'},"
                    "'roleRef':{'kind':'ClusterRole','name':'edit'},'subjects':[{'kind':'User',"
                    "'name':'ed'}]}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'vi','namespace':'team'},"
                    "'roleRef':{'kind':'ClusterRole','name':'view'},'subjects':[{'kind':"
                    "'ServiceAccount','name':'viewer'}]}") == 0);
    const char *ed = "ed", *vi = "system:serviceaccount:team:viewer";
    static const struct {
        const char *spec;
        bool edit, view;
    } cases[] = {
        {"get team - secrets s", 1, 0},
        {"list team - secrets", 1, 0},
        {"create team - pods", 1, 0},
        {"get team - pods p", 1, 1},
        {"get team - pods/log p", 1, 1},
        {"create team - pods/exec p", 1, 0},
        {"update team - pods/status p", 0, 0},
        {"get team - namespaces team", 1, 1},
        {"update team - namespaces team", 0, 0},
        {"get team apps deployments/scale d", 1, 1},
        {"update team apps deployments/scale d", 1, 0},
        {"get team apps statefulsets/scale d", 1, 1},
        {"list team - configmaps", 1, 1},
        {"list team - events", 1, 1},
        {"list team - endpoints", 1, 1},
        {"list team - serviceaccounts", 1, 1},
        {"list team - persistentvolumeclaims", 1, 1},
        {"list team - services", 1, 1},
        {"get team batch jobs j", 1, 1},
        {"get team batch cronjobs j", 1, 1},
        {"get team coordination.k8s.io leases l", 1, 0},
        {"list team rbac.authorization.k8s.io roles", 0, 0},
        {"list team rbac.authorization.k8s.io rolebindings", 0, 0},
        {"create team authorization.k8s.io localsubjectaccessreviews", 0, 0},
        {"get other - pods p", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        s_expect(p, ed, "system:authenticated", cases[i].spec, cases[i].edit);
        s_expect(p, vi, "system:serviceaccounts,system:authenticated", cases[i].spec,
                 cases[i].view);
    }
}

static void s_test_bootstrap(void)
{
    gw_rbac_t *p = gw_rbac_new();
    json_t *all = gw_rbac_bootstrap_objects();
    s_test_bootstrap_objects(p, all);
    json_decref(all);
    s_test_bootstrap_defaults(p);
    s_test_bootstrap_admin(p);
    s_test_bootstrap_edit_view(p);
    gw_rbac_destroy(&p);
}

/* Thousands of bindings: decisions stay right, and (verbose) how long one takes. */
static void s_test_scale(void)
{
    gw_rbac_t *p = gw_rbac_new();
    json_t *all = gw_rbac_bootstrap_objects(), *o;
    size_t i;
    json_array_foreach(all, i, o)
    {
        assert(gw_rbac_put(p, o) == 0);
    }
    json_decref(all);
    json_t *rb = s_j("{'kind':'RoleBinding','metadata':{},'roleRef':{'kind':'ClusterRole',"
                     "'name':'edit'},'subjects':[{'kind':'User'},{'kind':'Group','name':"
                     "'system:authenticated'}]}");
    json_t *meta = json_object_get(rb, "metadata");
    json_t *user = json_array_get(json_object_get(rb, "subjects"), 0);
    for (int n = 0; n < 9000; n++) {
        json_object_set_new(meta, "name", json_sprintf("rb%d", n));
        json_object_set_new(meta, "namespace", json_sprintf("ns%d", n % 3000));
        json_object_set_new(user, "name", json_sprintf("user%d", n));
        /* every third binding also names all authenticated users: a hot subject key */
        if (n % 3 == 0) json_array_remove(json_object_get(rb, "subjects"), 1);
        assert(gw_rbac_put(p, rb) == 0);
        if (n % 3 == 0)
            json_array_append_new(json_object_get(rb, "subjects"),
                                  s_j("{'kind':'Group','name':'system:authenticated'}"));
    }
    json_decref(rb);
    s_expect(p, "user4", "", "create ns4 - pods", true);
    s_expect(p, "user4", "", "create ns5 - pods", false);
    s_expect(p, "user3", "", "create ns3 - pods", true);
    s_expect(p, "nobody", "system:authenticated", "create ns4 - pods", true);
    s_expect(p, "nobody", "system:authenticated", "create ns3 - pods", false);
    s_req_t q;
    const gw_rbac_request_t *r =
        s_req(&q, "user7", "system:authenticated", "get ns7 apps deployments x");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int decisions = 100000, allowed = 0;
    for (int n = 0; n < decisions; n++) allowed += gw_rbac_allowed(p, r, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert(allowed == decisions);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
    if (s_verbose)
        printf("    %d decisions over 9019 objects: %.2f us each\n", decisions, us / decisions);
    for (int n = 0; n < 9000; n++) {
        char name[32], ns[32];
        snprintf(name, sizeof name, "rb%d", n);
        snprintf(ns, sizeof ns, "ns%d", n % 3000);
        assert(gw_rbac_remove(p, "RoleBinding", ns, name) == 0);
    }
    s_expect(p, "user4", "", "create ns4 - pods", false);
    gw_rbac_destroy(&p);
}

/* SelfSubjectRulesReview's rules: cluster bindings, then the namespace's; by user and by group;
 * each binding once; aggregated roles expanded; a missing role named in evaluationError. */
static void s_test_rules_for(void)
{
    gw_rbac_t *p = gw_rbac_new();
    assert(s_put(p, "{'kind':'ClusterRole','metadata':{'name':'read'},'rules':[{'verbs':['get'],"
                    "'apiGroups':[''],'resources':['pods'],'resourceNames':['a']},{'verbs':['get'],"
                    "'nonResourceURLs':['/healthz']}]}") == 0);
    assert(s_put(p, "{'kind':'Role','metadata':{'name':'cm','namespace':'ns1'},'rules':["
                    "{'verbs':['list'],'apiGroups':[''],'resources':['configmaps']}]}") == 0);
    assert(s_put(p, "{'kind':'ClusterRole','metadata':{'name':'agg'},'aggregationRule':"
                    "{'clusterRoleSelectors':[{'matchLabels':{'to':'agg'}}]}}") == 0);
    assert(s_put(p, "{'kind':'ClusterRole','metadata':{'name':'leaf','labels':{'to':'agg'}},"
                    "'rules':[{'verbs':['watch'],'apiGroups':['apps'],'resources':['*']}]}") == 0);
    assert(s_put(p, "{'kind':'ClusterRoleBinding','metadata':{'name':'c1'},'roleRef':{'kind':"
                    "'ClusterRole','name':'read'},'subjects':[{'kind':'User','name':'u'},"
                    "{'kind':'Group','name':'g'}]}") == 0);
    assert(s_put(p, "{'kind':'RoleBinding','metadata':{'name':'b1','namespace':'ns1'},'roleRef':"
                    "{'kind':'Role','name':'cm'},'subjects':[{'kind':'Group','name':'g'}]}") == 0);
    assert(s_put(p,
                 "{'kind':'RoleBinding','metadata':{'name':'b2','namespace':'ns1'},'roleRef':"
                 "{'kind':'ClusterRole','name':'agg'},'subjects':[{'kind':'User','name':'u'}]}") ==
           0);
    assert(s_put(p,
                 "{'kind':'RoleBinding','metadata':{'name':'b3','namespace':'ns2'},'roleRef':"
                 "{'kind':'ClusterRole','name':'gone'},'subjects':[{'kind':'User','name':'u'}]}") ==
           0);
    const char *groups[] = {"g"};
    gw_rbac_request_t who = {.user = "u", .groups = groups, .groups_n = 1};
    json_t *got = gw_rbac_rules(p, &who, "ns1");
    json_t *want = s_j("{'resourceRules':[{'verbs':['get'],'apiGroups':[''],'resources':['pods'],"
                       "'resourceNames':['a']},{'verbs':['watch'],'apiGroups':['apps'],"
                       "'resources':['*']},{'verbs':['list'],'apiGroups':[''],'resources':"
                       "['configmaps']}],'nonResourceRules':[{'verbs':['get'],'nonResourceURLs':"
                       "['/healthz']}],'incomplete':false}");
    if (!json_equal(got, want)) {
        char *t = json_dumps(got, 0);
        fprintf(stderr, "gw_rbac_rules: %s\n", t);
        free(t);
    }
    assert(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    /* Cluster bindings only without a namespace; a missing role is reported, not fatal. */
    got = gw_rbac_rules(p, &who, "");
    assert(json_array_size(json_object_get(got, "resourceRules")) == 1);
    assert(!json_object_get(got, "evaluationError"));
    json_decref(got);
    got = gw_rbac_rules(p, &who, "ns2");
    assert(json_array_size(json_object_get(got, "resourceRules")) == 1);
    const char *e = json_string_value(json_object_get(got, "evaluationError"));
    assert(e && !strcmp(e, "clusterrole.rbac.authorization.k8s.io \"gone\" not found"));
    json_decref(got);
    /* Someone bound to nothing has no rules. */
    gw_rbac_request_t nobody = {.user = "x"};
    got = gw_rbac_rules(p, &nobody, "ns1");
    assert(!json_array_size(json_object_get(got, "resourceRules")) &&
           !json_array_size(json_object_get(got, "nonResourceRules")));
    json_decref(got);
    gw_rbac_destroy(&p);
}

void gw_rbac_test(bool verbose)
{
    s_verbose = verbose;
    static const struct {
        const char *name;
        void (*fn)(void);
    } groups[] = {
        {"rules", s_test_rules},           {"subjects", s_test_subjects},
        {"bindings", s_test_bindings},     {"aggregation", s_test_aggregation},
        {"store", s_test_store},           {"messages", s_test_messages},
        {"privileged", s_test_privileged}, {"bootstrap", s_test_bootstrap},
        {"scale", s_test_scale},           {"rules for", s_test_rules_for},
    };
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++) {
        if (verbose) printf("  %s\n", groups[i].name);
        groups[i].fn();
    }
    (void)verbose; /* the runner prints "ok gw_rbac" */
}
