/* gw_proto_test: the selftest of gw_proto. Bodies captured from kubectl 1.32 must decode to the
 * JSON kubectl itself prints for the same object; hand-assembled bodies cover the conventions and
 * every refusal; truncated and mutated copies of the captures must fail cleanly (run it under
 * ASan+UBSan). Not a fuzzer, but what one would find first. */
#include "gw_proto.h"
#include "gw_proto_types.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *cmd;
    const char *body;
    size_t len;
    const char *json;
} s_capture_t;

/* Captured by pointing kubectl 1.32.4 at a recording server (plain HTTP, legacy discovery).
 * json equals kubectl's own `--dry-run=client -o json` of the same command with nulls removed,
 * except for pdb, whose status counters kubectl prints as 0 (non-pointer zeros, left out here). */
static const s_capture_t s_captures[] = {
    {"kubectl create configmap x --from-literal=a=b",
     "k8s\000\012\017\012\002v1\022\011ConfigMap\022\033\012\021\012\001x\022\000\032\000\"\000*"
     "\0002\0008\000B\000\022\006\012\001a\022\001b\032\000\"\000",
     54,
     "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},\"data\":{\"a\":"
     "\"b\"}}"},
    {"kubectl create namespace foo",
     "k8s\000\012\017\012\002v1\022\011Namespace\022\033\012\023\012\003foo\022\000\032\000\"\000*"
     "\0002\0008\000B\000\022\000\032\002\012\000\032\000\"\000",
     54,
     "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"foo\"},\"spec\":{},\""
     "status\":{}}"},
    {"kubectl create secret generic s --from-literal=user=admin --from-literal=pw=p@ss",
     "k8s\000\012\014\012\002v1\022\006Secret\0220\012\021\012\001s\022\000\032\000\"\000*\0002"
     "\0008\000B\000\022\012\012\002pw\022\004p@ss\022\015\012\004user\022\005admin\032\000\032"
     "\000\"\000",
     72,
     "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"data\":{\"pw\":\""
     "cEBzcw==\",\"user\":\"YWRtaW4=\"}}"},
    {"kubectl create secret docker-registry d --docker-server=r.io --docker-username=u "
     "--docker-password=p",
     "k8s\000\012\014\012\002v1\022\006Secret\022\212\001\012\021\012\001d\022\000\032\000\"\000*"
     "\0002\0008\000B\000\022U\012\021.dockerconfigjson\022@{\"auths\":{\"r.io\":{\"username\":\"u"
     "\",\"password\":\"p\",\"auth\":\"dTpw\"}}}\032\036kubernetes.io/dockerconfigjson\032\000\""
     "\000",
     163,
     "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"d\"},\"data\":{\".docker"
     "configjson\":\"eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkV"
     "HB3In19fQ==\"},\"type\":\"kubernetes.io/dockerconfigjson\"}"},
    {"kubectl create serviceaccount sa1",
     "k8s\000\012\024\012\002v1\022\016ServiceAccount\022\025\012\023\012\003sa1\022\000\032\000\""
     "\000*\0002\0008\000B\000\032\000\"\000",
     53, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa1\"}}"},
    {"kubectl create deployment web --image=nginx",
     "k8s\000\012\025\012\007apps/v1\022\012Deployment\022\253\001\012\037\012\003web\022\000\032"
     "\000\"\000*\0002\0008\000B\000Z\012\012\003app\022\003web\022z\010\001\022\014\012\012\012"
     "\003app\022\003web\032`\012\034\012\000\022\000\032\000\"\000*\0002\0008\000B\000Z\012\012"
     "\003app\022\003web\022@\022\"\012\005nginx\022\005nginx*\000B\000j\000r\000\200\001\000\210"
     "\001\000\220\001\000\242\001\000\032\0002\000B\000J\000R\000X\000`\000h\000\202\001\000\212"
     "\001\000\232\001\000\302\001\000\"\002\012\000(\0008\000\032\014\010\000\020\000\030\000 "
     "\000(\0008\000\032\000\"\000",
     205,
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels"
     "\":{\"app\":\"web\"}},\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web"
     "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\""
     "name\":\"nginx\",\"image\":\"nginx\",\"resources\":{}}]}},\"strategy\":{}},\"status\":{}}"},
    {"kubectl create deployment web2 --image=nginx --replicas=0 --port=80 -- /bin/sh -c \"echo "
     "hi\"",
     "k8s\000\012\025\012\007apps/v1\022\012Deployment\022\323\001\012!\012\004web2\022\000\032"
     "\000\"\000*\0002\0008\000B\000Z\013\012\003app\022\004web2\022\237\001\010\000\022\015\012"
     "\013\012\003app\022\004web2\032\203\001\012\035\012\000\022\000\032\000\"\000*\0002\0008\000"
     "B\000Z\013\012\003app\022\004web2\022b\022D\012\005nginx\022\005nginx\032\007/bin/sh\032\002"
     "-c\032\007echo hi*\0002\012\012\000\020\000\030P\"\000*\000B\000j\000r\000\200\001\000\210"
     "\001\000\220\001\000\242\001\000\032\0002\000B\000J\000R\000X\000`\000h\000\202\001\000\212"
     "\001\000\232\001\000\302\001\000\"\002\012\000(\0008\000\032\014\010\000\020\000\030\000 "
     "\000(\0008\000\032\000\"\000",
     245,
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web2\",\"labels"
     "\":{\"app\":\"web2\"}},\"spec\":{\"replicas\":0,\"selector\":{\"matchLabels\":{\"app\":\"web"
     "2\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web2\"}},\"spec\":{\"containers\":[{"
     "\"name\":\"nginx\",\"image\":\"nginx\",\"command\":[\"/bin/sh\",\"-c\",\"echo hi\"],\"ports"
     "\":[{\"containerPort\":80}],\"resources\":{}}]}},\"strategy\":{}},\"status\":{}}"},
    {"kubectl create service clusterip my --tcp=80:8080",
     "k8s\000\012\015\012\002v1\022\007Service\022f\012\035\012\002my\022\000\032\000\"\000*\0002"
     "\0008\000B\000Z\011\012\003app\022\002my\022A\012\033\012\00780-8080\022\003TCP\030P\"\007"
     "\010\000\020\220\?\032\000(\000\022\011\012\003app\022\002my\032\000\"\011ClusterIP:\000B"
     "\000R\000Z\000`\000h\000\032\002\012\000\032\000\"\000",
     127,
     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"my\",\"labels\":{\"app"
     "\":\"my\"}},\"spec\":{\"ports\":[{\"name\":\"80-8080\",\"protocol\":\"TCP\",\"port\":80,\"ta"
     "rgetPort\":8080}],\"selector\":{\"app\":\"my\"},\"type\":\"ClusterIP\"},\"status\":{\"loadBa"
     "lancer\":{}}}"},
    {"kubectl create service nodeport np --tcp=80:8080 --node-port=30080",
     "k8s\000\012\015\012\002v1\022\007Service\022g\012\035\012\002np\022\000\032\000\"\000*\0002"
     "\0008\000B\000Z\011\012\003app\022\002np\022B\012\035\012\00780-8080\022\003TCP\030P\"\007"
     "\010\000\020\220\?\032\000(\200\353\001\022\011\012\003app\022\002np\032\000\"\010NodePort:"
     "\000B\000R\000Z\000`\000h\000\032\002\012\000\032\000\"\000",
     128,
     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"np\",\"labels\":{\"app"
     "\":\"np\"}},\"spec\":{\"ports\":[{\"name\":\"80-8080\",\"protocol\":\"TCP\",\"port\":80,\"ta"
     "rgetPort\":8080,\"nodePort\":30080}],\"selector\":{\"app\":\"np\"},\"type\":\"NodePort\"},\""
     "status\":{\"loadBalancer\":{}}}"},
    {"kubectl create service externalname ex --external-name=example.com",
     "k8s\000\012\015\012\002v1\022\007Service\022W\012\035\012\002ex\022\000\032\000\"\000*\0002"
     "\0008\000B\000Z\011\012\003app\022\002ex\0222\022\011\012\003app\022\002ex\032\000\"\014Exte"
     "rnalName:\000B\000R\013example.comZ\000`\000h\000\032\002\012\000\032\000\"\000",
     112,
     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"ex\",\"labels\":{\"app"
     "\":\"ex\"}},\"spec\":{\"selector\":{\"app\":\"ex\"},\"type\":\"ExternalName\",\"externalName"
     "\":\"example.com\"},\"status\":{\"loadBalancer\":{}}}"},
    {"kubectl create job j --image=busybox -- echo hi",
     "k8s\000\012\017\012\010batch/v1\022\003Job\022\202\001\012\021\012\001j\022\000\032\000\""
     "\000*\0002\0008\000B\000\022c2a\012\020\012\000\022\000\032\000\"\000*\0002\0008\000B\000"
     "\022M\022*\012\001j\022\007busybox\032\004echo\032\002hi*\000B\000j\000r\000\200\001\000\210"
     "\001\000\220\001\000\242\001\000\032\005Never2\000B\000J\000R\000X\000`\000h\000\202\001\000"
     "\212\001\000\232\001\000\302\001\000\032\010 \000(\0000\000:\000\032\000\"\000",
     158,
     "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},\"spec\":{\"temp"
     "late\":{\"metadata\":{},\"spec\":{\"containers\":[{\"name\":\"j\",\"image\":\"busybox\",\"co"
     "mmand\":[\"echo\",\"hi\"],\"resources\":{}}],\"restartPolicy\":\"Never\"}}},\"status\":{}}"},
    {"kubectl create cronjob cj --image=busybox --schedule=\"*/1 * * * *\" -- echo hi",
     "k8s\000\012\023\012\010batch/v1\022\007CronJob\022\250\001\012\022\012\002cj\022\000\032\000"
     "\"\000*\0002\0008\000B\000\022\217\001\012\013*/1 * * * *\032\000*~\012\022\012\002cj\022"
     "\000\032\000\"\000*\0002\0008\000B\000\022h2f\012\020\012\000\022\000\032\000\"\000*\0002"
     "\0008\000B\000\022R\022+\012\002cj\022\007busybox\032\004echo\032\002hi*\000B\000j\000r\000"
     "\200\001\000\210\001\000\220\001\000\242\001\000\032\011OnFailure2\000B\000J\000R\000X\000`"
     "\000h\000\202\001\000\212\001\000\232\001\000\302\001\000\032\000\032\000\"\000",
     200,
     "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"cj\"},\"spec\":{"
     "\"schedule\":\"*/1 * * * *\",\"jobTemplate\":{\"metadata\":{\"name\":\"cj\"},\"spec\":{\"tem"
     "plate\":{\"metadata\":{},\"spec\":{\"containers\":[{\"name\":\"cj\",\"image\":\"busybox\",\""
     "command\":[\"echo\",\"hi\"],\"resources\":{}}],\"restartPolicy\":\"OnFailure\"}}}}},\"status"
     "\":{}}"},
    {"kubectl create job fromcj --from=cronjob/rich (a CronJob with volumes, probes, env, ...)",
     "k8s\000\012\017\012\010batch/v1\022\003Job\022\330\006\012\240\001\012\006fromcj\022\000\032"
     "\000\"\000*\0002\0008\000B\000Z\015\012\004tier\022\005batchb+\012!cronjob.kubernetes.io/ins"
     "tantiate\022\006manualb\011\012\004note\022\001xjA\012\007CronJob\032\004rich\"$0b3c9c1e-111"
     "1-2222-3333-444455556666*\010batch/v10\001\022\250\005\010\002\020\0042\364\004\012\032\012"
     "\000\022\000\032\000\"\000*\0002\0008\000B\000Z\010\012\003app\022\001r\022\325\004\012 \012"
     "\003cfg\022\031\232\001\026\012\005\012\003cm1\022\012\012\001a\022\005a.txt\030\244\003\012"
     "\023\012\003tmp\022\014\022\012\012\000\022\006\012\00464Mi\012\017\012\003sec\022\0102\006"
     "\012\002s1 \000\022\341\002\012\004main\022\014busybox:1.36\032\002sh\032\002-c\"\007sleep 1"
     "\"\000*\002/w2\022\012\004http\020\000\030\220\?\"\003TCP*\000:\006\012\001A\022\0011:\005"
     "\012\001E\022\000:\022\012\001S\022\000\032\013\"\011\012\004\012\002s1\022\001k:\034\012"
     "\001F\022\000\032\025\012\023\012\002v1\022\015metadata.nameB1\012\015\012\003cpu\022\006"
     "\012\004500m\012\021\012\006memory\022\007\012\005128Mi\022\015\012\003cpu\022\006\012\00410"
     "0mJ\021\012\003cfg\020\001\032\004/cfg\"\0002\000R,\012 \022\036\012\010/healthz\022\012\010"
     "\001\020\000\032\004http\032\000\"\004HTTP\020\003\030\000 \012(\0000\000Z\031\012\015\032"
     "\013\012\007\010\000\020\220\?\032\000\022\000\020\000\030\000 \000(\0000\000b\025\022\023"
     "\012\021\012\002sh\012\002-c\012\007sleep 2j\000r\014IfNotPresentz\015\012\005\022\003ALL"
     "\020\0000\0018\000\200\001\000\210\001\000\220\001\000\232\001\015\012\002P_\022\007\012\005"
     "\012\003cm2\242\001\000\032\011OnFailure \0002\000:\013\012\004disk\022\003ssdB\000J\000R"
     "\000X\000`\000h\000r\013\020\000\030\000 \001 \002(\320\017\202\001\000\212\001\000\222\001"
     "\030\012\026\012\024\012\022\012\020\012\004zone\022\002In\032\001a\032\001b\232\001\000\242"
     "\001)\012\004init\022\007busybox\"\004true*\000B\000j\000r\000\200\001\000\210\001\000\220"
     "\001\000\242\001\000\250\001\000\262\001\033\012\001k\022\006Exists\032\000\"\012NoSchedule("
     "\000\302\001\0008\000@\000J\007IndexedZ\036\012\034\012\007FailJob\022\021\022\002In\030\003"
     "\030\373\377\377\377\377\377\377\377\377\001\032\010 \000(\0000\000:\000\032\000\"\000",
     884,
     "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"fromcj\",\"labels\":{"
     "\"tier\":\"batch\"},\"annotations\":{\"cronjob.kubernetes.io/instantiate\":\"manual\",\"note"
     "\":\"x\"},\"ownerReferences\":[{\"kind\":\"CronJob\",\"name\":\"rich\",\"uid\":\"0b3c9c1e-11"
     "11-2222-3333-444455556666\",\"apiVersion\":\"batch/v1\",\"controller\":true}]},\"spec\":{\"p"
     "arallelism\":2,\"completions\":4,\"template\":{\"metadata\":{\"labels\":{\"app\":\"r\"}},\"s"
     "pec\":{\"volumes\":[{\"name\":\"cfg\",\"configMap\":{\"name\":\"cm1\",\"items\":[{\"key\":\""
     "a\",\"path\":\"a.txt\"}],\"defaultMode\":420}},{\"name\":\"tmp\",\"emptyDir\":{\"sizeLimit\""
     ":\"64Mi\"}},{\"name\":\"sec\",\"secret\":{\"secretName\":\"s1\",\"optional\":false}}],\"cont"
     "ainers\":[{\"name\":\"main\",\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\"],\"args\""
     ":[\"sleep 1\",\"\"],\"workingDir\":\"/w\",\"ports\":[{\"name\":\"http\",\"containerPort\":80"
     "80,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"E\"},{\"name"
     "\":\"S\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s1\",\"key\":\"k\"}}},{\"name\":\"F\","
     "\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}}],\"res"
     "ources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"100m\"}"
     "},\"volumeMounts\":[{\"name\":\"cfg\",\"readOnly\":true,\"mountPath\":\"/cfg\"}],\"livenessP"
     "robe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":\"http\",\"scheme\":\"HTTP\"},\"initialD"
     "elaySeconds\":3,\"periodSeconds\":10},\"readinessProbe\":{\"tcpSocket\":{\"port\":8080}},\"l"
     "ifecycle\":{\"preStop\":{\"exec\":{\"command\":[\"sh\",\"-c\",\"sleep 2\"]}}},\"imagePullPol"
     "icy\":\"IfNotPresent\",\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]},\"privileg"
     "ed\":false,\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":false},\"envFrom\":["
     "{\"prefix\":\"P_\",\"configMapRef\":{\"name\":\"cm2\"}}]}],\"restartPolicy\":\"OnFailure\","
     "\"terminationGracePeriodSeconds\":0,\"nodeSelector\":{\"disk\":\"ssd\"},\"securityContext\":"
     "{\"runAsUser\":0,\"runAsNonRoot\":false,\"supplementalGroups\":[1,2],\"fsGroup\":2000},\"aff"
     "inity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelecto"
     "rTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b"
     "\"]}]}]}}},\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\",\"args\":[\"true\"],"
     "\"resources\":{}}],\"automountServiceAccountToken\":false,\"tolerations\":[{\"key\":\"k\",\""
     "operator\":\"Exists\",\"effect\":\"NoSchedule\",\"tolerationSeconds\":0}]}},\"backoffLimit\""
     ":0,\"ttlSecondsAfterFinished\":0,\"completionMode\":\"Indexed\",\"podFailurePolicy\":{\"rule"
     "s\":[{\"action\":\"FailJob\",\"onExitCodes\":{\"operator\":\"In\",\"values\":[3,-5]}}]}},\"s"
     "tatus\":{}}"},
    {"kubectl create quota q --hard=cpu=1,memory=1G,pods=2",
     "k8s\000\012\023\012\002v1\022\015ResourceQuota\022@\012\021\012\001q\022\000\032\000\"\000*"
     "\0002\0008\000B\000\022)\012\012\012\003cpu\022\003\012\0011\012\016\012\006memory\022\004"
     "\012\0021G\012\013\012\004pods\022\003\012\0012\032\000\032\000\"\000",
     95,
     "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"name\":\"q\"},\"spec\":{\""
     "hard\":{\"cpu\":\"1\",\"memory\":\"1G\",\"pods\":\"2\"}},\"status\":{}}"},
    {"kubectl create priorityclass pc --value=1000 --description=hi --preemption-policy=Never",
     "k8s\000\012%\012\024scheduling.k8s.io/v1\022\015PriorityClass\022$\012\022\012\002pc\022\000"
     "\032\000\"\000*\0002\0008\000B\000\020\350\007\030\000\"\002hi*\005Never\032\000\"\000",
     85,
     "{\"apiVersion\":\"scheduling.k8s.io/v1\",\"kind\":\"PriorityClass\",\"metadata\":{\"name\":"
     "\"pc\"},\"value\":1000,\"description\":\"hi\",\"preemptionPolicy\":\"Never\"}"},
    {"kubectl create role r --verb=get --resource=pods",
     "k8s\000\012$\012\034rbac.authorization.k8s.io/v1\022\004Role\022\"\012\021\012\001r\022\000"
     "\032\000\"\000*\0002\0008\000B\000\022\015\012\003get\022\000\032\004pods\032\000\"\000",
     82,
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\""
     "r\"},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}"},
    {"kubectl create clusterrolebinding crb --clusterrole=view --user=bob",
     "k8s\000\0122\012\034rbac.authorization.k8s.io/v1\022\022ClusterRoleBinding\022o\012\023\012"
     "\003crb\022\000\032\000\"\000*\0002\0008\000B\000\022(\012\004User\022\031rbac.authorization"
     ".k8s.io\032\003bob\"\000\032.\012\031rbac.authorization.k8s.io\022\013ClusterRole\032\004vie"
     "w\032\000\"\000",
     173,
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\",\"metadata"
     "\":{\"name\":\"crb\"},\"subjects\":[{\"kind\":\"User\",\"apiGroup\":\"rbac.authorization.k8s"
     ".io\",\"name\":\"bob\"}],\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\""
     "ClusterRole\",\"name\":\"view\"}}"},
    {"kubectl create poddisruptionbudget pdb --selector=app=a --min-available=0",
     "k8s\000\012 \012\011policy/v1\022\023PodDisruptionBudget\0227\012\023\012\003pdb\022\000\032"
     "\000\"\000*\0002\0008\000B\000\022\024\012\006\010\000\020\000\032\000\022\012\012\010\012"
     "\003app\022\001a\032\012\010\000\030\000 \000(\0000\000\032\000\"\000",
     99,
     "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"pdb"
     "\"},\"spec\":{\"minAvailable\":0,\"selector\":{\"matchLabels\":{\"app\":\"a\"}}},\"status\":"
     "{}}"},
    {"kubectl create ingress ing --rule=\"foo.com/bar=svc1:8080\"",
     "k8s\000\012\037\012\024networking.k8s.io/v1\022\007Ingress\022J\012\023\012\003ing\022\000"
     "\032\000\"\000*\0002\0008\000B\000\022/\032-\012\007foo.com\022\"\012 \012\036\012\004/bar"
     "\022\017\"\015\012\004svc1\022\005\012\000\020\220\?\032\005Exact\032\002\012\000\032\000\""
     "\000",
     117,
     "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"ing\""
     "},\"spec\":{\"rules\":[{\"host\":\"foo.com\",\"http\":{\"paths\":[{\"path\":\"/bar\",\"backe"
     "nd\":{\"service\":{\"name\":\"svc1\",\"port\":{\"number\":8080}}},\"pathType\":\"Exact\"}]}}"
     "]},\"status\":{\"loadBalancer\":{}}}"},
    {"kubectl auth can-i create pods",
     "k8s\000\0122\012\027authorization.k8s.io/v1\022\027SelfSubjectAccessReview\022\?\012\020\012"
     "\000\022\000\032\000\"\000*\0002\0008\000B\000\022!\012\037\012\007default\022\006create\032"
     "\000\"\000*\004pods2\000:\000\032\010\010\000\022\000\032\000 \000\032\000\"\000",
     125,
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"metadata"
     "\":{},\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"create\",\"reso"
     "urce\":\"pods\"}},\"status\":{}}"},
    {"kubectl auth can-i get /logs",
     "k8s\000\0122\012\027authorization.k8s.io/v1\022\027SelfSubjectAccessReview\022,\012\020\012"
     "\000\022\000\032\000\"\000*\0002\0008\000B\000\022\016\022\014\012\005/logs\022\003get\032"
     "\010\010\000\022\000\032\000 \000\032\000\"\000",
     106,
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"metadata"
     "\":{},\"spec\":{\"nonResourceAttributes\":{\"path\":\"/logs\",\"verb\":\"get\"}},\"status\":"
     "{}}"},
    {"kubectl auth whoami",
     "k8s\000\012-\012\030authentication.k8s.io/v1\022\021SelfSubjectReview\022\032\012\020\012"
     "\000\022\000\032\000\"\000*\0002\0008\000B\000\022\006\012\004\012\000\022\000\032\000\"\000",
     83,
     "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\",\"metadata\":{},"
     "\"status\":{\"userInfo\":{}}}"},
    {"kubectl create token default --duration=10m --audience=foo",
     "k8s\000\012(\012\030authentication.k8s.io/v1\022\014TokenRequest\022\"\012\020\012\000\022"
     "\000\032\000\"\000*\0002\0008\000B\000\022\010\012\003foo \330\004\032\004\012\000\022\000"
     "\032\000\"\000",
     86,
     "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"metadata\":{},\"spe"
     "c\":{\"audiences\":[\"foo\"],\"expirationSeconds\":600},\"status\":{}}"},
};

/* A growable buffer and a minimal protobuf encoder, for bodies no kubectl sends. */
typedef struct {
    uint8_t *b;
    size_t n, cap;
} s_buf_t;

static void s_put(s_buf_t *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->b = realloc(b->b, b->cap);
        if (!b->b) abort();
    }
    if (n) memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void s_put_varint(s_buf_t *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        s_put(b, &c, 1);
        v >>= 7;
    } while (v);
}

static void s_put_tag(s_buf_t *b, uint32_t num, int wt)
{
    s_put_varint(b, (uint64_t)num << 3 | (uint64_t)wt);
}

static void s_put_uint(s_buf_t *b, uint32_t num, uint64_t v)
{
    s_put_tag(b, num, 0);
    s_put_varint(b, v);
}

static void s_put_bytes(s_buf_t *b, uint32_t num, const void *p, size_t n)
{
    s_put_tag(b, num, 2);
    s_put_varint(b, n);
    s_put(b, p, n);
}

static void s_put_str(s_buf_t *b, uint32_t num, const char *s)
{
    s_put_bytes(b, num, s, strlen(s));
}

/* Appends m as field num and frees it. */
static void s_put_msg(s_buf_t *b, uint32_t num, s_buf_t *m)
{
    s_put_bytes(b, num, m->b, m->n);
    free(m->b);
    *m = (s_buf_t){0};
}

static void s_put_entry(s_buf_t *b, uint32_t num, const char *key, const char *value)
{
    s_buf_t e = {0};
    s_put_str(&e, 1, key);
    s_put_str(&e, 2, value);
    s_put_msg(b, num, &e);
}

/* "k8s\0" + runtime.Unknown{typeMeta, raw}; frees raw. */
static s_buf_t s_wrap(const char *api_version, const char *kind, s_buf_t *raw)
{
    s_buf_t body = {0}, tm = {0};
    s_put(&body, "k8s", 4);
    s_put_str(&tm, 1, api_version);
    s_put_str(&tm, 2, kind);
    s_put_msg(&body, 1, &tm);
    s_put_msg(&body, 2, raw);
    s_put_str(&body, 3, "");
    s_put_str(&body, 4, "");
    return body;
}

/* Decodes body and compares the compact JSON with want (NULL: any object will do). */
static void s_expect(const char *name, const uint8_t *body, size_t len, const char *want,
                     bool verbose)
{
    char err[256] = "";
    json_t *j = gw_proto_decode(body, len, err, sizeof err);
    if (!j) fprintf(stderr, "gw_proto_test: %s: %s\n", name, err);
    assert(j);
    char *got = json_dumps(j, JSON_COMPACT);
    assert(got);
    if (want && strcmp(got, want) != 0)
        fprintf(stderr, "gw_proto_test: %s:\n  got  %s\n  want %s\n", name, got, want);
    assert(!want || strcmp(got, want) == 0);
    if (verbose) printf("  ok  %s -> %.100s%s\n", name, got, strlen(got) > 100 ? "..." : "");
    free(got);
    json_decref(j);
}

static void s_expect_buf(const char *name, s_buf_t *body, const char *want, bool verbose)
{
    s_expect(name, body->b, body->n, want, verbose);
    free(body->b);
    *body = (s_buf_t){0};
}

static void s_refuse(const char *name, const uint8_t *body, size_t len, const char *want,
                     bool verbose)
{
    char err[256] = "";
    json_t *j = gw_proto_decode(body, len, err, sizeof err);
    if (j || !strstr(err, want))
        fprintf(stderr, "gw_proto_test: %s: expected error \"%s\", got \"%s\"\n", name, want, err);
    assert(!j);
    assert(strstr(err, want));
    assert(strncmp(err, "protobuf: ", 10) == 0);
    if (verbose) printf("  ok  %s -> %s\n", name, err);
}

static void s_refuse_buf(const char *name, s_buf_t *body, const char *want, bool verbose)
{
    s_refuse(name, body->b, body->n, want, verbose);
    free(body->b);
    *body = (s_buf_t){0};
}

/* Every root kind's tables: numbers ascend (the lookup halves), references are set. */
static void s_check_msg(const gw_proto_msg_t *m, int depth)
{
    assert(depth < 32);
    for (size_t i = 0; i < m->fields_len; i++) {
        const gw_proto_field_t *f = &m->fields[i];
        assert(f->num > 0 && (i == 0 || f->num > m->fields[i - 1].num));
        assert(gw_proto_types_field(m, f->num) == f);
        assert((f->kind == GW_PROTO_K_MSG) == (f->msg != NULL));
        assert(!(f->flags & GW_PROTO_INLINE) || !(f->flags & (GW_PROTO_REP | GW_PROTO_MAP)));
        if (f->msg) s_check_msg(f->msg, depth + 1);
    }
    assert(!gw_proto_types_field(m, 0) && !gw_proto_types_field(m, 1000));
}

static void s_test_tables(bool verbose)
{
    static const char *const kinds[][2] = {
        {"v1", "Namespace"},
        {"v1", "ConfigMap"},
        {"v1", "Secret"},
        {"v1", "ServiceAccount"},
        {"v1", "Service"},
        {"v1", "ResourceQuota"},
        {"apps/v1", "Deployment"},
        {"batch/v1", "Job"},
        {"batch/v1", "CronJob"},
        {"scheduling.k8s.io/v1", "PriorityClass"},
        {"authentication.k8s.io/v1", "TokenRequest"},
        {"authentication.k8s.io/v1", "SelfSubjectReview"},
        {"authorization.k8s.io/v1", "SelfSubjectAccessReview"},
        {"rbac.authorization.k8s.io/v1", "Role"},
        {"rbac.authorization.k8s.io/v1", "ClusterRole"},
        {"rbac.authorization.k8s.io/v1", "RoleBinding"},
        {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
        {"policy/v1", "PodDisruptionBudget"},
        {"policy/v1", "Eviction"},
        {"networking.k8s.io/v1", "Ingress"},
    };
    for (size_t i = 0; i < GW_PROTO_LEN(kinds); i++) {
        const gw_proto_msg_t *m = gw_proto_types_root(kinds[i][0], kinds[i][1]);
        assert(m && !strcmp(m->name, kinds[i][1]));
        s_check_msg(m, 0);
    }
    assert(!gw_proto_types_root("v1", "Pod") && !gw_proto_types_root("apps/v1", "ConfigMap"));
    if (verbose) printf("  ok  tables of %zu kinds\n", GW_PROTO_LEN(kinds));
}

static void s_test_captures(bool verbose)
{
    for (size_t i = 0; i < GW_PROTO_LEN(s_captures); i++) {
        const s_capture_t *c = &s_captures[i];
        s_expect(c->cmd, (const uint8_t *)c->body, c->len, c->json, verbose);
    }
}

/* The ConfigMap of kubectl-wire.md §7, built by hand: empty strings, generation 0 and an empty
 * creationTimestamp are on the wire and must not reach the JSON. */
static s_buf_t s_wire_doc_configmap(void)
{
    s_buf_t meta = {0}, raw = {0};
    s_put_str(&meta, 1, "x");
    for (uint32_t n = 2; n <= 6; n++) s_put_str(&meta, n, "");
    s_put_uint(&meta, 7, 0);
    s_put_str(&meta, 8, "");
    s_put_msg(&raw, 1, &meta);
    s_put_entry(&raw, 2, "a", "b");
    return raw;
}

static const char s_configmap_json[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
    "\"data\":{\"a\":\"b\"}}";

static void s_test_configmap(bool verbose)
{
    s_buf_t raw = s_wire_doc_configmap(), body = s_wrap("v1", "ConfigMap", &raw);
    s_expect_buf("configmap (wire doc)", &body, s_configmap_json, verbose);

    /* Unknown numbers of every wire type, top level and nested, are skipped. */
    s_buf_t meta = {0}, tail = {0};
    raw = s_wire_doc_configmap();
    s_put_uint(&raw, 99, 5);
    s_put_tag(&raw, 98, 1);
    s_put(&raw, "12345678", 8);
    s_put_tag(&raw, 97, 5);
    s_put(&raw, "1234", 4);
    s_put_str(&tail, 1, "nested unknown");
    s_put_msg(&raw, 96, &tail);
    s_put_uint(&meta, 100, 1);
    s_put_msg(&raw, 1, &meta);
    body = s_wrap("v1", "ConfigMap", &raw);
    s_expect_buf("unknown fields skipped", &body, s_configmap_json, verbose);

    /* A message read twice merges; a scalar read twice keeps the last value. */
    raw = s_wire_doc_configmap();
    s_put_str(&meta, 1, "y");
    s_put_str(&meta, 1, "z");
    s_put_entry(&meta, 11, "l", "1");
    s_put_msg(&raw, 1, &meta);
    body = s_wrap("v1", "ConfigMap", &raw);
    s_expect_buf("metadata twice", &body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"z\","
                 "\"labels\":{\"l\":\"1\"}},\"data\":{\"a\":\"b\"}}",
                 verbose);
}

/* Namespace: a Time, maps with "" values kept, finalizers, nested status. Secret: bytes to base64
 * (binary and empty), and a pointer bool false that stays. */
static void s_test_namespace_secret(bool verbose)
{
    s_buf_t raw = {0}, meta = {0}, body = {0}, ts = {0}, spec = {0}, status = {0};
    s_put_str(&meta, 1, "ns1");
    s_put_str(&meta, 5, "u-1");
    s_put_uint(&ts, 1, 1700000000);
    s_put_uint(&ts, 2, 5);
    s_put_msg(&meta, 8, &ts);
    s_put_entry(&meta, 11, "env", "prod");
    s_put_entry(&meta, 12, "a", "");
    s_put_str(&meta, 14, "f1");
    s_put_msg(&raw, 1, &meta);
    s_put_str(&spec, 1, "kubernetes");
    s_put_msg(&raw, 2, &spec);
    s_put_str(&status, 1, "Active");
    s_put_msg(&raw, 3, &status);
    body = s_wrap("v1", "Namespace", &raw);
    s_expect_buf("namespace", &body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns1\","
                 "\"uid\":\"u-1\",\"creationTimestamp\":\"2023-11-14T22:13:20Z\",\"labels\":{"
                 "\"env\":\"prod\"},\"annotations\":{\"a\":\"\"},\"finalizers\":[\"f1\"]},"
                 "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}",
                 verbose);

    s_buf_t entry = {0};
    s_put_str(&meta, 1, "s");
    s_put_msg(&raw, 1, &meta);
    s_put_str(&entry, 1, "bin");
    s_put_bytes(&entry, 2, "\xff\x00\x01", 3);
    s_put_msg(&raw, 2, &entry);
    s_put_str(&entry, 1, "empty");
    s_put_msg(&raw, 2, &entry); /* no value at all: the zero value, "" */
    s_put_str(&raw, 3, "Opaque");
    s_put_entry(&raw, 4, "s", "t");
    s_put_uint(&raw, 5, 0);
    body = s_wrap("v1", "Secret", &raw);
    s_expect_buf("secret", &body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
                 "\"data\":{\"bin\":\"/wAB\",\"empty\":\"\"},\"type\":\"Opaque\","
                 "\"stringData\":{\"s\":\"t\"},\"immutable\":false}",
                 verbose);
}

/* An IntOrString: type 0 with intVal, or type 1 with strVal. */
static void s_put_intstr(s_buf_t *b, uint32_t num, int type, int32_t i, const char *s)
{
    s_buf_t m = {0};
    s_put_uint(&m, 1, (uint64_t)type);
    s_put_uint(&m, 2, (uint64_t)(int64_t)i);
    s_put_str(&m, 3, s);
    s_put_msg(b, num, &m);
}

/* A Deployment as kubectl builds it, plus a strategy whose maxUnavailable 0 must stay. */
static void s_test_deployment(bool verbose)
{
    s_buf_t meta = {0}, raw = {0}, spec = {0}, sel = {0}, tmpl = {0}, pod = {0}, ctr = {0};
    s_buf_t res = {0}, strat = {0}, ru = {0};
    s_put_str(&meta, 1, "d");
    s_put_msg(&raw, 1, &meta);
    s_put_uint(&spec, 1, 1);
    s_put_entry(&sel, 1, "app", "d");
    s_put_msg(&spec, 2, &sel);
    s_put_entry(&meta, 11, "app", "d");
    s_put_msg(&tmpl, 1, &meta);
    s_put_str(&ctr, 1, "c");
    s_put_str(&ctr, 2, "nginx");
    s_put_msg(&ctr, 8, &res);
    s_put_uint(&ctr, 16, 0); /* stdin false: left out */
    s_put_msg(&pod, 2, &ctr);
    s_put_msg(&tmpl, 2, &pod);
    s_put_msg(&spec, 3, &tmpl);
    s_put_str(&strat, 1, "RollingUpdate");
    s_put_intstr(&ru, 1, 0, 0, "");
    s_put_intstr(&ru, 2, 1, 0, "25%");
    s_put_msg(&strat, 2, &ru);
    s_put_msg(&spec, 4, &strat);
    s_put_uint(&spec, 5, 0); /* minReadySeconds: an int32, left out */
    s_put_uint(&spec, 6, 0); /* revisionHistoryLimit: a *int32, kept */
    s_put_uint(&spec, 7, 0); /* paused: a bool, left out */
    s_put_msg(&raw, 2, &spec);
    s_buf_t body = s_wrap("apps/v1", "Deployment", &raw);
    s_expect_buf(
        "deployment", &body,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
        "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"d\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":{\"containers\":"
        "[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{}}]}},\"strategy\":{\"type\":"
        "\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":0,\"maxSurge\":\"25%\"}},"
        "\"revisionHistoryLimit\":0}}",
        verbose);
}

static void s_test_auth(bool verbose)
{
    s_buf_t raw = {0}, spec = {0}, ra = {0}, ref = {0};
    s_put_str(&ra, 1, "default");
    s_put_str(&ra, 2, "create");
    s_put_str(&ra, 3, "");
    s_put_str(&ra, 5, "pods");
    s_put_msg(&spec, 1, &ra);
    s_put_msg(&raw, 2, &spec);
    s_buf_t body = s_wrap("authorization.k8s.io/v1", "SelfSubjectAccessReview", &raw);
    s_expect_buf("selfsubjectaccessreview", &body,
                 "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
                 "\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"create\","
                 "\"resource\":\"pods\"}}}",
                 verbose);

    s_put_str(&spec, 1, "api");
    s_put_str(&spec, 1, "vault");
    s_put_str(&ref, 1, "Pod");
    s_put_str(&ref, 2, "v1");
    s_put_str(&ref, 3, "p");
    s_put_str(&ref, 4, "u-2");
    s_put_msg(&spec, 3, &ref);
    s_put_uint(&spec, 4, 3600);
    s_put_msg(&raw, 2, &spec);
    body = s_wrap("authentication.k8s.io/v1", "TokenRequest", &raw);
    s_expect_buf(
        "tokenrequest", &body,
        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{"
        "\"audiences\":[\"api\",\"vault\"],\"boundObjectRef\":{\"kind\":\"Pod\","
        "\"apiVersion\":\"v1\",\"name\":\"p\",\"uid\":\"u-2\"},\"expirationSeconds\":3600}}",
        verbose);

    /* Negative int32 (sign-extended to ten bytes) and a later value winning. */
    s_put_uint(&raw, 2, 7);
    s_put_uint(&raw, 2, (uint64_t)(int64_t)-5);
    body = s_wrap("scheduling.k8s.io/v1", "PriorityClass", &raw);
    s_expect_buf(
        "priorityclass", &body,
        "{\"apiVersion\":\"scheduling.k8s.io/v1\",\"kind\":\"PriorityClass\",\"value\":-5}",
        verbose);
}

/* A message that holds itself, to reach the depth limit, and a repeated int32. */
static const gw_proto_msg_t s_m_node;
static const gw_proto_field_t s_f_node[] = {
    {1, "child", GW_PROTO_K_MSG, 0, &s_m_node},
    {2, "v", GW_PROTO_K_I32, GW_PROTO_REP, NULL},
};
static const gw_proto_msg_t s_m_node = {"Node", s_f_node, GW_PROTO_LEN(s_f_node)};

static void s_test_synthetic(bool verbose)
{
    char err[256];
    for (int levels = 31; levels <= 32; levels++) {
        s_buf_t b = {0}, outer = {0};
        s_put_uint(&b, 2, 1);
        for (int i = 0; i < levels; i++) {
            s_put_msg(&outer, 1, &b);
            b = outer;
            outer = (s_buf_t){0};
        }
        json_t *j = gw_proto_decode_as(&s_m_node, b.b, b.n, err, sizeof err);
        /* The root and 31 nested levels make the 32 allowed. */
        assert(levels == 31 ? j != NULL : j == NULL);
        if (!j) assert(strstr(err, "protobuf: Node.child.child") && strstr(err, "deeper than 32"));
        if (!j && verbose) printf("  ok  nesting 33 -> %.60s...%s\n", err, strstr(err, ": mess"));
        json_decref(j);
        free(b.b);
    }

    /* Packed (proto3 style) and unpacked repeated scalars mix. */
    s_buf_t b = {0}, packed = {0};
    s_put_uint(&b, 2, 1);
    s_put_varint(&packed, (uint64_t)(int64_t)-2);
    s_put_varint(&packed, 3);
    s_put_msg(&b, 2, &packed);
    s_put_uint(&b, 2, 4);
    json_t *j = gw_proto_decode_as(&s_m_node, b.b, b.n, err, sizeof err);
    char *s = json_dumps(j, JSON_COMPACT);
    assert(s && !strcmp(s, "{\"v\":[1,-2,3,4]}"));
    if (verbose) printf("  ok  packed repeated -> %s\n", s);
    free(s);
    json_decref(j);
    free(b.b);
}

/* A ConfigMap whose data entry value is the given bytes. */
static s_buf_t s_configmap_with(const void *value, size_t len)
{
    s_buf_t raw = {0}, entry = {0};
    s_put_str(&entry, 1, "k");
    s_put_bytes(&entry, 2, value, len);
    s_put_msg(&raw, 2, &entry);
    return s_wrap("v1", "ConfigMap", &raw);
}

/* Malformed bytes and envelopes. */
static void s_test_refusals_wire(bool verbose)
{
    s_refuse("bad magic", (const uint8_t *)"k8s\1\012\000", 6, "does not start with the magic",
             verbose);
    s_refuse("empty body", (const uint8_t *)"", 0, "magic", verbose);
    s_refuse("truncated varint", (const uint8_t *)"k8s\0\012\200", 6, "Unknown: truncated varint",
             verbose);
    s_refuse("length past the end", (const uint8_t *)"k8s\0\012\005a", 7,
             "length 5 past the end (1 left)", verbose);
    s_refuse("wire type 3", (const uint8_t *)"k8s\0\013", 5,
             "field 1: groups (wire type 3) are not supported", verbose);
    s_refuse("wire type 4", (const uint8_t *)"k8s\0\014", 5, "groups (wire type 4)", verbose);
    s_refuse("wire type 7", (const uint8_t *)"k8s\0\017", 5, "invalid wire type 7", verbose);
    s_refuse("field number 0", (const uint8_t *)"k8s\0\002\000", 6, "field number 0", verbose);
    s_refuse("varint of 11 bytes",
             (const uint8_t *)"k8s\0\010\377\377\377\377\377\377\377\377\377\377\001", 16,
             "varint longer than 64 bits", verbose);

    s_buf_t raw = {0}, body = s_wrap("v1", "Pod", &raw);
    s_refuse_buf("unsupported kind", &body, "kind v1 Pod is not supported", verbose);
    body = (s_buf_t){0};
    s_put(&body, "k8s", 4);
    s_put_msg(&body, 2, &raw);
    s_refuse_buf("no typeMeta", &body, "typeMeta has no apiVersion or kind", verbose);
    s_put_uint(&raw, 1, 1);
    body = s_wrap("v1", "ConfigMap", &raw);
    s_refuse_buf("wrong wire type", &body, "ConfigMap.metadata: wire type 0, expected 2", verbose);
    raw = s_wire_doc_configmap();
    body = s_wrap("v1", "ConfigMap", &raw);
    body.n -= 2; /* drop contentType "", then contentEncoding gzip */
    s_put_str(&body, 3, "gzip");
    s_refuse_buf("contentEncoding", &body, "contentEncoding \"gzip\" is not supported", verbose);
}

/* Well-formed bytes with values that cannot be JSON; deep inside, the error names the path. */
static void s_test_refusals_values(bool verbose)
{
    s_buf_t raw = {0}, body = {0}, spec = {0}, tmpl = {0}, pod = {0}, ctr = {0};
    s_put_str(&ctr, 1, "c");
    s_put_tag(&ctr, 9, 3);
    s_put_msg(&pod, 2, &ctr);
    s_put_msg(&tmpl, 2, &pod);
    s_put_msg(&spec, 3, &tmpl);
    s_put_msg(&raw, 2, &spec);
    body = s_wrap("apps/v1", "Deployment", &raw);
    s_refuse_buf("group in a container", &body,
                 "protobuf: Deployment.spec.template.spec.containers: field 9: groups", verbose);

    s_put_uint(&spec, 1, (uint64_t)1 << 40);
    s_put_msg(&raw, 2, &spec);
    body = s_wrap("apps/v1", "Deployment", &raw);
    s_refuse_buf("int32 out of range", &body, "spec.replicas: int32 out of range", verbose);

    body = s_configmap_with("\xc3\x28", 2);
    s_refuse_buf("invalid UTF-8", &body, "ConfigMap.data: string is not valid UTF-8", verbose);
    body = s_configmap_with("\xed\xa0\x80", 3);
    s_refuse_buf("UTF-8 surrogate", &body, "not valid UTF-8", verbose);

    s_buf_t entry = {0};
    s_put_bytes(&entry, 1, "a\0b", 3);
    s_put_msg(&raw, 2, &entry);
    body = s_wrap("v1", "ConfigMap", &raw);
    s_refuse_buf("NUL in a map key", &body, "map key contains NUL", verbose);

    s_buf_t ts = {0}, meta = {0};
    s_put_uint(&ts, 1, 253402300800); /* year 10000 */
    s_put_msg(&meta, 8, &ts);
    s_put_msg(&raw, 1, &meta);
    body = s_wrap("v1", "ConfigMap", &raw);
    s_refuse_buf("time past year 9999", &body, "metadata.creationTimestamp: time 253402300800",
                 verbose);

    s_buf_t port = {0}, svc = {0};
    s_put_intstr(&port, 4, 2, 0, "");
    s_put_msg(&svc, 1, &port);
    s_put_msg(&raw, 2, &svc);
    body = s_wrap("v1", "Service", &raw);
    s_refuse_buf("IntOrString type 2", &body, "ports.targetPort: IntOrString of type 2", verbose);
}

/* The limits: a 1 MiB string passes and one byte more is refused; 100 000 fields; 3 MiB. */
static void s_test_limits(bool verbose)
{
    s_buf_t raw = {0}, body = {0};
    char *big = calloc(1, (1u << 20) + 1);
    assert(big);
    memset(big, 'a', (1u << 20) + 1);
    body = s_configmap_with(big, 1u << 20);
    s_expect_buf("string of 1 MiB", &body, NULL, false);
    body = s_configmap_with(big, (1u << 20) + 1);
    s_refuse_buf("string over 1 MiB", &body, "string of 1048577 bytes exceeds 1 MiB", verbose);
    free(big);

    for (int i = 0; i <= 100000; i++) s_put_uint(&raw, 99, 1);
    body = s_wrap("v1", "ConfigMap", &raw);
    s_refuse_buf("too many fields", &body, "more than 100000 fields", verbose);

    uint8_t *huge = calloc(1, GW_PROTO_BODY_MAX + 1);
    assert(huge);
    memcpy(huge, "k8s", 4);
    s_refuse("body over 3 MiB", huge, GW_PROTO_BODY_MAX + 1, "exceeds", verbose);
    free(huge);
}

/* Decodes or refuses cleanly; the sanitizers watch the rest. */
static void s_try(const uint8_t *b, size_t n, size_t *counts)
{
    char err[256] = "";
    json_t *j = gw_proto_decode(b, n, err, sizeof err);
    assert(j ? json_is_object(j) : strncmp(err, "protobuf: ", 10) == 0);
    counts[j != NULL]++;
    json_decref(j);
}

/* Every prefix of every capture, and each byte of it set to values that break varints, lengths
 * and wire types. */
static void s_test_mutations(bool verbose)
{
    size_t counts[2] = {0, 0};
    for (size_t i = 0; i < GW_PROTO_LEN(s_captures); i++) {
        const s_capture_t *c = &s_captures[i];
        uint8_t *copy = malloc(c->len);
        assert(copy);
        memcpy(copy, c->body, c->len);
        for (size_t cut = 0; cut < c->len; cut++) s_try(copy, cut, counts);
        for (size_t at = 0; at < c->len; at++) {
            static const uint8_t values[] = {0x00, 0x01, 0x03, 0x07, 0x0b, 0x7f, 0x80, 0xff};
            uint8_t was = copy[at];
            for (size_t v = 0; v < sizeof values; v++) {
                copy[at] = values[v];
                s_try(copy, c->len, counts);
            }
            copy[at] = was ^ 0x10;
            s_try(copy, c->len, counts);
            copy[at] = was;
        }
        free(copy);
    }
    if (verbose) printf("  ok  mutations: %zu decoded, %zu refused\n", counts[1], counts[0]);
}

void gw_proto_test(bool verbose)
{
    s_test_tables(verbose);
    s_test_captures(verbose);
    s_test_configmap(verbose);
    s_test_namespace_secret(verbose);
    s_test_deployment(verbose);
    s_test_auth(verbose);
    s_test_synthetic(verbose);
    s_test_refusals_wire(verbose);
    s_test_refusals_values(verbose);
    s_test_limits(verbose);
    s_test_mutations(verbose);
    (void)verbose; /* the runner prints "ok gw_proto" */
}
