/* gw_table_fns_test: the selftest of gw_table_fns (gw_table_fns.c), apart from the module it tests.
 */
#include "gw_table_fns.h"
#include "kube_obj.h"
#include "kube_time.h"
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- selftest ---- */

#define S_NOW 1704070800 /* 2024-01-01T01:00:00Z */

static bool s_verbose;

static void s_expect_wide(const char *fn, const char *json, bool wide, const char *want)
{
    json_t *obj = kube_obj_quoted(json), *cell = gw_table_fn(fn, obj, S_NOW, wide);
    assert(cell && json_is_string(cell));
    if (s_verbose || strcmp(json_string_value(cell), want))
        fprintf(s_verbose ? stdout : stderr, "  %-22s %-32s (want %s)\n", fn,
                json_string_value(cell), want);
    fflush(stdout);
    assert(!strcmp(json_string_value(cell), want));
    json_decref(cell);
    json_decref(obj);
}

static void s_expect(const char *fn, const char *json, const char *want)
{
    s_expect_wide(fn, json, false, want);
}

static void s_expect_int(const char *fn, const char *json, json_int_t want)
{
    json_t *obj = kube_obj_quoted(json), *cell = gw_table_fn(fn, obj, S_NOW, false);
    assert(cell && json_is_integer(cell));
    if (s_verbose) printf("  %-22s %" JSON_INTEGER_FORMAT "\n", fn, json_integer_value(cell));
    assert(json_integer_value(cell) == want);
    json_decref(cell);
    json_decref(obj);
}

/* Status, Ready and Restarts of one pod. */
static void s_expect_pod(const char *json, const char *status, const char *ready,
                         const char *restarts)
{
    s_expect("pod_status", json, status);
    s_expect("pod_ready", json, ready);
    s_expect("pod_restarts", json, restarts);
}

static void s_test_pods(void)
{
    s_expect_pod("{'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':'Running',"
                 "'conditions':[{'type':'Ready','status':'True'}],'containerStatuses':["
                 "{'name':'a','ready':true,'restartCount':0,'state':{'running':{}}},"
                 "{'name':'b','ready':true,'restartCount':0,'state':{'running':{}}}]}}",
                 "Running", "2/2", "0");
    s_expect_pod("{'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Pending'}}", "Pending",
                 "0/1", "0");
    s_expect("pod_status",
             "{'status':{'phase':'Pending','containerStatuses':[{'name':'a','state':{'waiting':"
             "{'reason':'ContainerCreating'}}}]}}",
             "ContainerCreating");
    /* init containers: i/n while they run, their reason when they fail */
    s_expect_pod("{'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],'containers':[{'name':"
                 "'a'}]},'status':{'phase':'Pending','initContainerStatuses':[{'name':'i1',"
                 "'state':{'running':{}}},{'name':'i2','state':{'waiting':{'reason':"
                 "'PodInitializing'}}}],'containerStatuses':[{'name':'a','restartCount':7,"
                 "'state':{'waiting':{'reason':'PodInitializing'}}}]}}",
                 "Init:0/2", "0/1", "0");
    s_expect("pod_status",
             "{'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}]},'status':{"
             "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':0,'reason':"
             "'Completed'}}},{'name':'i2','state':{'running':{}}}]}}",
             "Init:1/2");
    s_expect_pod("{'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
                 "'status':{'phase':'Pending','initContainerStatuses':[{'name':'i1',"
                 "'restartCount':4,'state':{'waiting':{'reason':'CrashLoopBackOff'}},'lastState':"
                 "{'terminated':{'exitCode':1,'finishedAt':'2024-01-01T00:55:00Z'}}}],"
                 "'containerStatuses':[{'name':'a','restartCount':7}]}}",
                 "Init:CrashLoopBackOff", "0/1", "4 (5m ago)");
    s_expect("pod_status",
             "{'status':{'initContainerStatuses':[{'state':{'terminated':{'exitCode':3}}}]}}",
             "Init:ExitCode:3");
    s_expect("pod_status",
             "{'status':{'initContainerStatuses':[{'state':{'terminated':{'exitCode':137,"
             "'signal':9}}}]}}",
             "Init:Signal:9");
}

static void s_test_pod_containers(void)
{
    s_expect_pod("{'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running',"
                 "'containerStatuses':[{'name':'a','ready':false,'restartCount':3,'state':"
                 "{'waiting':{'reason':'CrashLoopBackOff'}},'lastState':{'terminated':{"
                 "'exitCode':1,'finishedAt':'2024-01-01T00:55:00Z'}}}]}}",
                 "CrashLoopBackOff", "0/1", "3 (5m ago)");
    s_expect_pod("{'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Succeeded',"
                 "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,'reason':"
                 "'Completed'}}}]}}",
                 "Completed", "0/1", "0");
    const char *half = "{'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':"
                       "'Running','conditions':[{'type':'Ready','status':'%s'}],"
                       "'containerStatuses':[{'name':'a','ready':true,'state':{'running':{}}},"
                       "{'name':'b','state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}";
    char buf[512];
    snprintf(buf, sizeof buf, half, "False");
    s_expect_pod(buf, "NotReady", "1/2", "0");
    snprintf(buf, sizeof buf, half, "True");
    s_expect_pod(buf, "Running", "1/2", "0");
    s_expect("pod_status",
             "{'status':{'phase':'Failed','containerStatuses':[{'state':{'terminated':{"
             "'exitCode':1}}}]}}",
             "ExitCode:1");
    s_expect("pod_status",
             "{'status':{'phase':'Failed','containerStatuses':[{'state':{'terminated':{"
             "'exitCode':137,'signal':9}}}]}}",
             "Signal:9");
    /* the pod's own reason, scheduling gates, deletion */
    s_expect("pod_status", "{'status':{'phase':'Failed','reason':'Evicted'}}", "Evicted");
    s_expect("pod_status",
             "{'status':{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'False',"
             "'reason':'SchedulingGated'}]}}",
             "SchedulingGated");
    s_expect("pod_status",
             "{'metadata':{'deletionTimestamp':'2024-01-01T00:59:00Z'},'status':{'phase':"
             "'Running','containerStatuses':[{'ready':true,'state':{'running':{}}}]}}",
             "Terminating");
    s_expect("pod_status",
             "{'metadata':{'deletionTimestamp':'2024-01-01T00:59:00Z'},'status':{'phase':"
             "'Succeeded','containerStatuses':[{'state':{'terminated':{'reason':'Completed'}}}]}}",
             "Completed");
    s_expect("pod_status",
             "{'metadata':{'deletionTimestamp':'2024-01-01T00:59:00Z'},'status':{'phase':"
             "'Running','reason':'NodeLost'}}",
             "Unknown");
}

static void s_test_pod_sidecars(void)
{
    /* A sidecar (restartPolicy Always) counts in Ready; past initialization only its restarts
     * count among the init containers: init's later finishedAt must not show. */
    const char *pod =
        "{'spec':{'initContainers':[{'name':'init'},{'name':'proxy','restartPolicy':'Always'}],"
        "'containers':[{'name':'app'}]},'status':{'phase':'Running','conditions':[{'type':"
        "'Initialized','status':'True'},{'type':'Ready','status':'True'}],"
        "'initContainerStatuses':[{'name':'init','restartCount':5,'state':{'terminated':{"
        "'exitCode':0,'reason':'Completed'}},'lastState':{'terminated':{'exitCode':1,"
        "'finishedAt':'2024-01-01T00:59:00Z'}}},{'name':'proxy','restartCount':1,'started':true,"
        "'ready':%s,'state':{'running':{}},'lastState':{'terminated':{'exitCode':1,'finishedAt':"
        "'2024-01-01T00:40:00Z'}}}],'containerStatuses':[{'name':'app','restartCount':2,'ready':"
        "true,'state':{'running':{}},'lastState':{'terminated':{'exitCode':1,'finishedAt':"
        "'2024-01-01T00:50:00Z'}}}]}}";
    char buf[1024];
    snprintf(buf, sizeof buf, pod, "true");
    s_expect_pod(buf, "Running", "2/2", "3 (10m ago)");
    snprintf(buf, sizeof buf, pod, "false");
    s_expect("pod_ready", buf, "1/2");
    /* a sidecar not yet started holds initialization: app's readiness does not count */
    s_expect_pod("{'spec':{'initContainers':[{'name':'proxy','restartPolicy':'Always'}],"
                 "'containers':[{'name':'app'}]},'status':{'phase':'Pending',"
                 "'initContainerStatuses':[{'name':'proxy','started':false,'state':{'running':"
                 "{}}}],'containerStatuses':[{'name':'app','ready':true,'state':{'running':{}}}]}}",
                 "Init:0/1", "0/2", "0");
    s_expect("pod_readiness_gates",
             "{'spec':{'readinessGates':[{'conditionType':'a'},{'conditionType':'b'}]},"
             "'status':{'conditions':[{'type':'a','status':'True'},{'type':'b','status':'False'},"
             "{'type':'b','status':'True'}]}}",
             "1/2");
    s_expect("pod_readiness_gates", "{'spec':{}}", "<none>");
    s_expect("pod_ip", "{'status':{'podIPs':[{'ip':'10.1.0.5'},{'ip':'fd00::5'}]}}", "10.1.0.5");
    s_expect("pod_ip", "{'status':{'podIP':'10.1.0.6'}}", "10.1.0.6");
    s_expect("pod_ip", "{'status':{}}", "<none>");
    s_expect("pod_node", "{'spec':{'nodeName':'n1'}}", "n1");
    s_expect("pod_nominated_node", "{'status':{'nominatedNodeName':''}}", "<none>");
}

static void s_test_services(void)
{
    s_expect("service_cluster_ip", "{'spec':{'clusterIPs':['10.96.0.1','fd00::1']}}", "10.96.0.1");
    s_expect("service_cluster_ip", "{'spec':{'clusterIP':'None'}}", "None");
    s_expect("service_cluster_ip", "{'spec':{}}", "<none>");
    s_expect("service_external_ip", "{'spec':{'type':'ClusterIP'}}", "<none>");
    s_expect("service_external_ip",
             "{'spec':{'type':'ClusterIP','externalIPs':['1.2.3.4','5.6.7.8']}}",
             "1.2.3.4,5.6.7.8");
    s_expect("service_external_ip", "{'spec':{'type':'NodePort','externalIPs':['1.2.3.4']}}",
             "1.2.3.4");
    s_expect("service_external_ip", "{'spec':{'type':'NodePort'}}", "<none>");
    s_expect("service_external_ip", "{'spec':{'type':'LoadBalancer'}}", "<pending>");
    const char *lb = "{'spec':{'type':'LoadBalancer'},'status':{'loadBalancer':{'ingress':["
                     "{'ip':'10.0.0.2'},{'ip':'10.0.0.1'},{'ip':'10.0.0.1'}]}}}";
    s_expect_wide("service_external_ip", lb, false, "10.0.0.1,10.0...");
    s_expect_wide("service_external_ip", lb, true, "10.0.0.1,10.0.0.2");
    s_expect("service_external_ip",
             "{'spec':{'type':'LoadBalancer'},'status':{'loadBalancer':{'ingress':[{'hostname':"
             "'lb.example.com'}]}}}",
             "lb.example.com");
    s_expect("service_external_ip",
             "{'spec':{'type':'LoadBalancer','externalIPs':['1.2.3.4']},'status':{"
             "'loadBalancer':{'ingress':[{'ip':'10.0.0.9'}]}}}",
             "10.0.0.9,1.2.3.4");
    s_expect("service_external_ip", "{'spec':{'type':'LoadBalancer','externalIPs':['1.2.3.4']}}",
             "1.2.3.4");
    s_expect("service_external_ip",
             "{'spec':{'type':'ExternalName','externalName':'db.example.com'}}", "db.example.com");
    s_expect("service_external_ip", "{'spec':{}}", "<unknown>");
    s_expect("service_ports",
             "{'spec':{'ports':[{'port':80,'protocol':'TCP'},{'port':443,'nodePort':30443,"
             "'protocol':'TCP'},{'port':53,'protocol':'UDP'}]}}",
             "80/TCP,443:30443/TCP,53/UDP");
    s_expect("service_ports", "{'spec':{'ports':[]}}", "<none>");
    s_expect("ingress_class", "{'spec':{}}", "<none>");
    s_expect("ingress_class", "{'spec':{'ingressClassName':'nginx'}}", "nginx");
    s_expect("ingress_hosts", "{'spec':{'rules':[{'http':{}}]}}", "*");
    s_expect("ingress_hosts", "{'spec':{'rules':[{'host':'a'},{},{'host':'b'}]}}", "a,b");
    s_expect("ingress_hosts",
             "{'spec':{'rules':[{'host':'a'},{'host':'b'},{},{'host':'c'},{'host':'d'},{}]}}",
             "a,b,c + 3 more...");
    s_expect("ingress_hosts", "{'spec':{'rules':[{'host':'a'},{'host':'b'},{'host':'c'}]}}",
             "a,b,c");
    s_expect("ingress_hosts", "{'spec':{'rules':[{'host':'%s%n'}]}}", "%s%n");
    s_expect("ingress_ports", "{'spec':{}}", "80");
    s_expect("endpointslice_ports", "{}", "<unset>");
    s_expect("endpointslice_ports", "{'ports':[{'port':80},{'name':'http'},{}]}", "80,http,*");
    s_expect("endpointslice_ports", "{'ports':[{'port':1},{'port':2},{'port':3},{'port':4},{}]}",
             "1,2,3 + 2 more...");
    s_expect("endpointslice_endpoints", "{'endpoints':[]}", "<unset>");
    s_expect("endpointslice_endpoints",
             "{'endpoints':[{'addresses':['10.0.0.1','10.0.0.2']},{'addresses':['10.0.0.3']},"
             "{'addresses':['10.0.0.4','10.0.0.5']}]}",
             "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...");
    s_expect("ingress_ports", "{'spec':{'tls':[{'hosts':['a']}]}}", "80, 443");
    s_expect("ingress_address", "{'status':{'loadBalancer':{}}}", "");
    s_expect_wide("ingress_address",
                  "{'status':{'loadBalancer':{'ingress':[{'ip':'10.0.0.2'},{'hostname':"
                  "'lb.example.com'},{'ip':'10.0.0.2'}]}}}",
                  false, "10.0.0.2,lb.e...");
    s_expect_wide("ingress_address",
                  "{'status':{'loadBalancer':{'ingress':[{'ip':'10.0.0.2'},{'hostname':"
                  "'lb.example.com'}]}}}",
                  true, "10.0.0.2,lb.example.com");
    s_expect("service_selector", "{'spec':{'selector':{'tier':'fe','app':'web'}}}",
             "app=web,tier=fe");
    s_expect("service_selector", "{'spec':{}}", "<none>");
}

static void s_test_endpoints(void)
{
    s_expect("endpoints_list", "{}", "<none>");
    s_expect("endpoints_list",
             "{'subsets':[{'addresses':[{'ip':'10.0.0.1'},{'ip':'10.0.0.2'}],'ports':["
             "{'port':80},{'port':443}]}]}",
             "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...");
    s_expect("endpoints_list",
             "{'subsets':[{'addresses':[{'ip':'10.0.0.1'}],'ports':[{'port':80}]},"
             "{'addresses':[{'ip':'fd00::1'}],'ports':[{'port':8080}]},{'addresses':[{'ip':"
             "'10.0.0.3'}]}]}",
             "10.0.0.1:80,[fd00::1]:8080,10.0.0.3");
    s_expect("endpoints_list",
             "{'subsets':[{'addresses':[{'ip':'a'},{'ip':'b'},{'ip':'c'},{'ip':'d'},{'ip':'e'}]},"
             "{'addresses':[{'ip':'f'}],'ports':[{'port':1}]}]}",
             "a,b,c + 3 more...");
    s_expect("endpoints_list", "{'subsets':[{'notReadyAddresses':[{'ip':'10.0.0.1'}]}]}", "");
}

static void s_test_nodes(void)
{
    s_expect("node_status",
             "{'spec':{'unschedulable':true},'status':{'conditions':[{'type':'MemoryPressure',"
             "'status':'False'},{'type':'Ready','status':'True'}]}}",
             "Ready,SchedulingDisabled");
    s_expect("node_status", "{'status':{'conditions':[{'type':'Ready','status':'Unknown'}]}}",
             "NotReady");
    s_expect("node_status", "{'spec':{'unschedulable':true}}", "Unknown,SchedulingDisabled");
    s_expect("node_roles",
             "{'metadata':{'labels':{'node-role.kubernetes.io/worker':'x',"
             "'node-role.kubernetes.io/control-plane':'','kubernetes.io/role':'master',"
             "'node-role.kubernetes.io/':'','node-role.kubernetes.io/master':''}}}",
             "control-plane,master,worker");
    s_expect("node_roles", "{'metadata':{'labels':{'kubernetes.io/role':''}}}", "<none>");
    const char *node = "{'status':{'addresses':[{'type':'Hostname','address':'n1'},{'type':"
                       "'InternalIP','address':'192.168.1.5'},{'type':'InternalIP','address':"
                       "'192.168.1.6'}],'nodeInfo':{'osImage':'Debian GNU/Linux 12 (bookworm)',"
                       "'kernelVersion':'','containerRuntimeVersion':'kubus://1.0'}}}";
    s_expect("node_internal_ip", node, "192.168.1.5");
    s_expect("node_external_ip", node, "<none>");
    s_expect("node_os_image", node, "Debian GNU/Linux 12 (bookworm)");
    s_expect("node_kernel_version", node, "<unknown>");
    s_expect("node_container_runtime", node, "kubus://1.0");
}

static void s_test_events(void)
{
    s_expect("event_object", "{'involvedObject':{'kind':'Pod','name':'web-1'}}", "pod/web-1");
    s_expect("event_object", "{'involvedObject':{'kind':'Node'}}", "node");
    const char *ev = "{'firstTimestamp':'2024-01-01T00:00:00Z','lastTimestamp':"
                     "'2024-01-01T00:58:00Z','count':3}";
    s_expect("event_last_seen", ev, "2m");
    s_expect("event_first_seen", ev, "60m");
    s_expect_int("event_count", ev, 3);
    const char *fresh = "{'eventTime':'2024-01-01T00:59:30.123456Z'}";
    s_expect("event_last_seen", fresh, "30s");
    s_expect("event_first_seen", fresh, "30s");
    s_expect_int("event_count", fresh, 1);
    const char *series = "{'eventTime':'2024-01-01T00:00:00.000000Z','series':{'count':5,"
                         "'lastObservedTime':'2024-01-01T00:59:50.000000Z'}}";
    s_expect("event_last_seen", series, "10s");
    s_expect_int("event_count", series, 5);
    s_expect("event_last_seen", "{}", "<unknown>");
    s_expect("event_source", "{'source':{'component':'kubelet','host':'node-1'}}",
             "kubelet, node-1");
    s_expect("event_source", "{'source':{},'reportingComponent':'ctrl'}", "ctrl");
    s_expect("event_source", "{'reportingComponent':'ctrl','reportingInstance':'ctrl-1'}",
             "ctrl, ctrl-1");
    s_expect("event_message", "{'message':' \\t Pulled image \\u00a0\\n'}", "Pulled image");
    s_expect("event_message", "{'message':'   '}", "");
}

static void s_test_volumes(void)
{
    s_expect("access_modes",
             "{'spec':{'accessModes':['ReadWriteMany','ReadWriteOnce','ReadWriteOncePod',"
             "'ReadOnlyMany','ReadWriteOnce']}}",
             "RWO,ROX,RWX,RWOP");
    s_expect("access_modes", "{'spec':{'accessModes':['ReadWriteOncePod','ReadWriteMany']}}",
             "RWX,RWOP");
    s_expect("pv_capacity", "{'spec':{'capacity':{'storage':'10Gi'}}}", "10Gi");
    s_expect("pv_capacity", "{'spec':{'capacity':{'storage':1000}}}", "1000");
    s_expect("pv_capacity", "{'spec':{}}", "0");
    s_expect("pv_claim", "{'spec':{'claimRef':{'namespace':'ns','name':'data'}}}", "ns/data");
    s_expect("pv_claim", "{'spec':{}}", "");
    s_expect("storage_class",
             "{'metadata':{'annotations':{'volume.beta.kubernetes.io/storage-class':'old'}},"
             "'spec':{'storageClassName':'new'}}",
             "old");
    s_expect("storage_class", "{'spec':{'storageClassName':'new'}}", "new");
    s_expect("volume_phase", "{'status':{'phase':'Bound'}}", "Bound");
    s_expect("volume_phase",
             "{'metadata':{'deletionTimestamp':'2024-01-01T00:00:00Z'},'status':{'phase':"
             "'Bound'}}",
             "Terminating");
    s_expect("volume_mode", "{'spec':{'volumeMode':'Block'}}", "Block");
    s_expect("volume_attributes_class", "{'spec':{}}", "<unset>");
    const char *pvc = "{'spec':{'volumeName':'pv1','resources':{'requests':{'storage':'1Gi'}}},"
                      "'status':{'capacity':{'storage':'2Gi'},'accessModes':['ReadWriteOnce']}}";
    s_expect("pvc_capacity", pvc, "2Gi");
    s_expect("pvc_access_modes", pvc, "RWO");
    s_expect("pvc_capacity", "{'spec':{'resources':{'requests':{'storage':'1Gi'}}}}", "");
    s_expect("pvc_access_modes", "{'status':{'accessModes':['ReadWriteOnce']}}", "");
    const char *cs = "{'conditions':[{'type':'Other','status':'False'},{'type':'Healthy',"
                     "'status':'False','message':'dial','error':'refused'}]}";
    s_expect("cs_status", cs, "Unhealthy");
    s_expect("cs_message", cs, "dial");
    s_expect("cs_error", cs, "refused");
    s_expect("cs_status", "{'conditions':[{'type':'Healthy','status':'True'}]}", "Healthy");
    s_expect("cs_status", "{}", "Unknown");
}

static void s_test_counts_rbac(void)
{
    s_expect_int("secret_data_count", "{'data':{'a':'eA==','b':'eQ=='}}", 2);
    s_expect_int("configmap_data_count", "{'data':{'a':'x'},'binaryData':{'b':'eQ=='}}", 2);
    s_expect_int("sa_secrets_count", "{'secrets':[{'name':'t'}]}", 1);
    s_expect_int("cronjob_active", "{'status':{'active':[{'name':'j1'},{'name':'j2'}]}}", 2);
    s_expect_int("cronjob_active", "{}", 0);
    s_expect("role_ref", "{'roleRef':{'kind':'ClusterRole','name':'view'}}", "ClusterRole/view");
    const char *rb = "{'subjects':[{'kind':'User','name':'alice'},{'kind':'Group','name':'devs'},"
                     "{'kind':'ServiceAccount','name':'sa1','namespace':'ns1'},{'kind':'User',"
                     "'name':'bob'},{'kind':'ServiceAccount','name':'sa2'}]}";
    s_expect("subject_users", rb, "alice, bob");
    s_expect("subject_groups", rb, "devs");
    s_expect("subject_sas", rb, "ns1/sa1, sa2");
    s_expect("age", "{'metadata':{'creationTimestamp':'2023-12-30T01:00:00Z'}}", "2d");
    s_expect("age", "{'metadata':{}}", "<unknown>");
}

static void s_test_workloads(void)
{
    s_expect("ready_of_replicas", "{'spec':{'replicas':3},'status':{'readyReplicas':2}}", "2/3");
    s_expect("ready_of_replicas", "{'spec':{'replicas':3},'status':{}}", "0/3");
    const char *sel =
        "{'spec':{'selector':{'matchLabels':{'tier':'fe','app':'web'},'matchExpressions':["
        "{'key':'env','operator':'In','values':['prod','dev']},{'key':'zone','operator':'NotIn',"
        "'values':['z1']},{'key':'gpu','operator':'Exists'},{'key':'legacy','operator':"
        "'DoesNotExist'}]},'template':{'spec':{'nodeSelector':{'disk':'ssd','arch':'arm64'},"
        "'containers':[{'name':'web','image':'nginx:1.25'},{'name':'log','image':'busybox'}]}}}}";
    const char *want = "app=web,env in (dev,prod),gpu,!legacy,tier=fe,zone notin (z1)";
    s_expect("selector_string", sel, want);
    s_expect("deployment_selector", sel, want);
    s_expect("containers_names", sel, "web,log");
    s_expect("containers_images", sel, "nginx:1.25,busybox");
    s_expect("template_node_selector", sel, "arch=arm64,disk=ssd");
    s_expect("template_node_selector", "{'spec':{'template':{'spec':{}}}}", "<none>");
    s_expect("selector_string", "{'spec':{'selector':{}}}", "<none>");
    s_expect("selector_string", "{'spec':{}}", "<none>");
    s_expect("deployment_selector", "{'spec':{'selector':{'matchLabels':{}}}}", "");
    const char *bad_op =
        "{'spec':{'selector':{'matchExpressions':[{'key':'a','operator':'Has'}]}}}";
    s_expect("selector_string", bad_op, "<error>");
    s_expect("deployment_selector", bad_op, "<invalid>");
    s_expect("selector_string",
             "{'spec':{'selector':{'matchExpressions':[{'key':'a','operator':'In','values':[]}]}}}",
             "<error>");
    s_expect("selector_string", "{'spec':{'selector':{'matchLabels':{'bad key':'x'}}}}", "<error>");
    s_expect("selector_string",
             "{'spec':{'selector':{'matchLabels':{'example.com/app':'a-b.c_d'}}}}",
             "example.com/app=a-b.c_d");
    s_expect("selector_string", "{'spec':{'selector':{'matchLabels':{'-x.com/app':'a'}}}}",
             "<error>");
    /* a CronJob's template and selector sit in its jobTemplate */
    const char *cj = "{'kind':'CronJob','spec':{'timeZone':'Europe/Paris','suspend':false,"
                     "'jobTemplate':{'spec':{'selector':{'matchLabels':{'job':'x'}},'template':"
                     "{'spec':{'containers':[{'name':'run','image':'alpine'}]}}}}}}";
    s_expect("containers_names", cj, "run");
    s_expect("containers_images", cj, "alpine");
    s_expect("selector_string", cj, "job=x");
    s_expect("cronjob_timezone", cj, "Europe/Paris");
    s_expect("cronjob_timezone", "{'spec':{}}", "<none>");
    s_expect("cronjob_suspend", cj, "False");
    s_expect("cronjob_suspend", "{'spec':{'suspend':true}}", "True");
    s_expect("cronjob_suspend", "{'spec':{}}", "<unset>");
    s_expect("cronjob_last_schedule", "{'status':{}}", "<none>");
    s_expect("cronjob_last_schedule", "{'status':{'lastScheduleTime':'2024-01-01T00:55:00Z'}}",
             "5m");
}

static void s_test_jobs(void)
{
    s_expect("job_status", "{'status':{'conditions':[{'type':'Complete','status':'True'}]}}",
             "Complete");
    s_expect("job_status",
             "{'status':{'conditions':[{'type':'FailureTarget','status':'True'},{'type':"
             "'Failed','status':'True'}]}}",
             "Failed");
    s_expect("job_status",
             "{'metadata':{'deletionTimestamp':'2024-01-01T00:00:00Z'},'status':{'conditions':"
             "[{'type':'Suspended','status':'True'}]}}",
             "Terminating");
    s_expect("job_status", "{'status':{'conditions':[{'type':'Suspended','status':'True'}]}}",
             "Suspended");
    s_expect("job_status", "{'status':{'conditions':[{'type':'FailureTarget','status':'True'}]}}",
             "FailureTarget");
    /* a condition type counts by its first entry */
    s_expect("job_status",
             "{'status':{'conditions':[{'type':'Complete','status':'False'},{'type':'Complete',"
             "'status':'True'}]}}",
             "Running");
    s_expect("job_status", "{}", "Running");
    s_expect("job_completions", "{'spec':{'completions':3},'status':{'succeeded':1}}", "1/3");
    s_expect("job_completions", "{'spec':{'parallelism':4},'status':{'succeeded':2}}", "2/1 of 4");
    s_expect("job_completions", "{'spec':{'parallelism':1}}", "0/1");
    s_expect("job_duration", "{'status':{}}", "");
    s_expect("job_duration", "{'status':{'startTime':'2024-01-01T00:57:55Z'}}", "2m5s");
    s_expect("job_duration",
             "{'status':{'startTime':'2024-01-01T00:10:00Z','completionTime':"
             "'2024-01-01T00:10:45Z'}}",
             "45s");
}

/* Every fn named by a column in schemas/kube/NAME.yaml (grep 'fn:' under columns). */
static const char *const s_yaml_fns[] = {"access_modes",
                                         "age",
                                         "configmap_data_count",
                                         "containers_images",
                                         "containers_names",
                                         "cronjob_active",
                                         "cronjob_last_schedule",
                                         "cronjob_suspend",
                                         "cronjob_timezone",
                                         "cs_error",
                                         "cs_message",
                                         "cs_status",
                                         "deployment_selector",
                                         "endpoints_list",
                                         "endpointslice_endpoints",
                                         "endpointslice_ports",
                                         "event_count",
                                         "event_first_seen",
                                         "event_last_seen",
                                         "event_message",
                                         "event_object",
                                         "event_source",
                                         "ingress_address",
                                         "ingress_class",
                                         "ingress_hosts",
                                         "ingress_ports",
                                         "job_completions",
                                         "job_duration",
                                         "job_status",
                                         "node_container_runtime",
                                         "node_external_ip",
                                         "node_internal_ip",
                                         "node_kernel_version",
                                         "node_os_image",
                                         "node_roles",
                                         "node_status",
                                         "pod_ip",
                                         "pod_node",
                                         "pod_nominated_node",
                                         "pod_readiness_gates",
                                         "pod_ready",
                                         "pod_restarts",
                                         "pod_status",
                                         "pv_capacity",
                                         "pv_claim",
                                         "pvc_access_modes",
                                         "pvc_capacity",
                                         "ready_of_replicas",
                                         "role_ref",
                                         "sa_secrets_count",
                                         "secret_data_count",
                                         "selector_string",
                                         "service_cluster_ip",
                                         "service_external_ip",
                                         "service_ports",
                                         "service_selector",
                                         "storage_class",
                                         "subject_groups",
                                         "subject_sas",
                                         "subject_users",
                                         "template_node_selector",
                                         "volume_attributes_class",
                                         "volume_mode",
                                         "volume_phase"};

static void s_test_all_known(void)
{
    size_t n = gw_table_fns_count();
    for (size_t i = 1; i < n; i++)
        assert(strcmp(gw_table_fns_name(i - 1), gw_table_fns_name(i)) < 0);
    assert(n == sizeof s_yaml_fns / sizeof *s_yaml_fns);
    /* {} and objects whose fields have the wrong shapes must not crash anything */
    const char *odd[] = {
        "{}",
        "{'metadata':[],'spec':'x','status':7,'subsets':{},'conditions':[1,null,'x'],'data':3}",
        "{'metadata':{'labels':[],'deletionTimestamp':null},'spec':{'containers':{},"
        "'initContainers':[3],'ports':[null],'selector':[],'type':'LoadBalancer',"
        "'externalIPs':[1]},'status':{'containerStatuses':[{'state':[]},7],"
        "'initContainerStatuses':[{'state':{'terminated':null}}],'loadBalancer':{'ingress':[{}]},"
        "'conditions':{}},'subsets':[{'addresses':[{}],'ports':[{}]}],'subjects':[{}],"
        "'involvedObject':7,'series':{}}",
    };
    for (size_t o = 0; o < sizeof odd / sizeof *odd; o++) {
        json_t *obj = kube_obj_quoted(odd[o]);
        for (size_t i = 0; i < sizeof s_yaml_fns / sizeof *s_yaml_fns; i++) {
            for (int wide = 0; wide < 2; wide++) {
                json_t *cell = gw_table_fn(s_yaml_fns[i], obj, S_NOW, wide);
                assert(cell && (json_is_string(cell) || json_is_integer(cell)));
                json_decref(cell);
            }
        }
        json_decref(obj);
    }
    for (size_t i = 0; i < sizeof s_yaml_fns / sizeof *s_yaml_fns; i++) {
        json_t *cell = gw_table_fn(s_yaml_fns[i], NULL, S_NOW, false); /* no object at all */
        assert(cell);
        json_decref(cell);
    }
    json_t *empty = json_object();
    assert(empty && !gw_table_fn("no_such_fn", empty, S_NOW, false));
    assert(!gw_table_fn("", empty, S_NOW, false) && !gw_table_fn(NULL, empty, S_NOW, false));
    json_decref(empty);
}

void gw_table_fns_test(bool verbose)
{
    s_verbose = verbose;
    s_test_pods();
    s_test_pod_containers();
    s_test_pod_sidecars();
    s_test_services();
    s_test_endpoints();
    s_test_nodes();
    s_test_events();
    s_test_volumes();
    s_test_counts_rbac();
    s_test_workloads();
    s_test_jobs();
    s_test_all_known();
    (void)verbose; /* the runner prints "ok gw_table_fns" */
}
