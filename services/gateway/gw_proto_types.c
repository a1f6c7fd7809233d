/* gw_proto_types: the protobuf message tables of the kinds gw_proto decodes, one row per field:
 * number, JSON name, kind, flags, message type. Data only (the walker is gw_proto.c); every
 * message reachable from a root kind is listed, children first. A script emitted the rows from
 * the file descriptors compiled into kubectl 1.32.4 (k8s.io/api v1.32 generated.proto). */

/* Provenance of what the descriptors do not say: JSON names are the proto names (go-to-protobuf
 * takes them from the json tags; the one exception, BoundObjectReference's uID, is renamed), and
 * were checked against schemas/kube; KEEP0 marks pointer scalars and IntOrStrings of the Go types;
 * INLINE marks embedded structs tagged `json:",inline"`. */
#include "gw_proto_types.h"

#include <string.h>

/* The message named n, over its field rows s_f_n. */
#define S_MSG(n) static const gw_proto_msg_t s_m_##n = {#n, s_f_##n, GW_PROTO_LEN(s_f_##n)}

/* One row a line, as emitted, so that a field is one grep away. */
/* clang-format off */
static const gw_proto_field_t s_f_OwnerReference[] = {
    {1, "kind", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
    {4, "uid", GW_PROTO_K_STR, 0, NULL},
    {5, "apiVersion", GW_PROTO_K_STR, 0, NULL},
    {6, "controller", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {7, "blockOwnerDeletion", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(OwnerReference);
static const gw_proto_field_t s_f_ObjectMeta[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "generateName", GW_PROTO_K_STR, 0, NULL},
    {3, "namespace", GW_PROTO_K_STR, 0, NULL},
    {4, "selfLink", GW_PROTO_K_STR, 0, NULL},
    {5, "uid", GW_PROTO_K_STR, 0, NULL},
    {6, "resourceVersion", GW_PROTO_K_STR, 0, NULL},
    {7, "generation", GW_PROTO_K_I64, 0, NULL},
    {8, "creationTimestamp", GW_PROTO_K_TIME, 0, NULL},
    {9, "deletionTimestamp", GW_PROTO_K_TIME, 0, NULL},
    {10, "deletionGracePeriodSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {11, "labels", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {12, "annotations", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {13, "ownerReferences", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_OwnerReference},
    {14, "finalizers", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {17, "managedFields", GW_PROTO_K_SKIP, 0, NULL},
};
S_MSG(ObjectMeta);
static const gw_proto_field_t s_f_NamespaceSpec[] = {
    {1, "finalizers", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(NamespaceSpec);
static const gw_proto_field_t s_f_NamespaceCondition[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "status", GW_PROTO_K_STR, 0, NULL},
    {4, "lastTransitionTime", GW_PROTO_K_TIME, 0, NULL},
    {5, "reason", GW_PROTO_K_STR, 0, NULL},
    {6, "message", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(NamespaceCondition);
static const gw_proto_field_t s_f_NamespaceStatus[] = {
    {1, "phase", GW_PROTO_K_STR, 0, NULL},
    {2, "conditions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_NamespaceCondition},
};
S_MSG(NamespaceStatus);
static const gw_proto_field_t s_f_Namespace[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_NamespaceSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_NamespaceStatus},
};
S_MSG(Namespace);
static const gw_proto_field_t s_f_ConfigMap[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "data", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {3, "binaryData", GW_PROTO_K_BYTES, GW_PROTO_MAP, NULL},
    {4, "immutable", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ConfigMap);
static const gw_proto_field_t s_f_Secret[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "data", GW_PROTO_K_BYTES, GW_PROTO_MAP, NULL},
    {3, "type", GW_PROTO_K_STR, 0, NULL},
    {4, "stringData", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {5, "immutable", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(Secret);
static const gw_proto_field_t s_f_ObjectReference[] = {
    {1, "kind", GW_PROTO_K_STR, 0, NULL},
    {2, "namespace", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
    {4, "uid", GW_PROTO_K_STR, 0, NULL},
    {5, "apiVersion", GW_PROTO_K_STR, 0, NULL},
    {6, "resourceVersion", GW_PROTO_K_STR, 0, NULL},
    {7, "fieldPath", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ObjectReference);
static const gw_proto_field_t s_f_LocalObjectReference[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(LocalObjectReference);
static const gw_proto_field_t s_f_ServiceAccount[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "secrets", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ObjectReference},
    {3, "imagePullSecrets", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_LocalObjectReference},
    {4, "automountServiceAccountToken", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ServiceAccount);
static const gw_proto_field_t s_f_ServicePort[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "protocol", GW_PROTO_K_STR, 0, NULL},
    {3, "port", GW_PROTO_K_I32, 0, NULL},
    {4, "targetPort", GW_PROTO_K_INTSTR, 0, NULL},
    {5, "nodePort", GW_PROTO_K_I32, 0, NULL},
    {6, "appProtocol", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ServicePort);
static const gw_proto_field_t s_f_ClientIPConfig[] = {
    {1, "timeoutSeconds", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(ClientIPConfig);
static const gw_proto_field_t s_f_SessionAffinityConfig[] = {
    {1, "clientIP", GW_PROTO_K_MSG, 0, &s_m_ClientIPConfig},
};
S_MSG(SessionAffinityConfig);
static const gw_proto_field_t s_f_ServiceSpec[] = {
    {1, "ports", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ServicePort},
    {2, "selector", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {3, "clusterIP", GW_PROTO_K_STR, 0, NULL},
    {4, "type", GW_PROTO_K_STR, 0, NULL},
    {5, "externalIPs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {7, "sessionAffinity", GW_PROTO_K_STR, 0, NULL},
    {8, "loadBalancerIP", GW_PROTO_K_STR, 0, NULL},
    {9, "loadBalancerSourceRanges", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {10, "externalName", GW_PROTO_K_STR, 0, NULL},
    {11, "externalTrafficPolicy", GW_PROTO_K_STR, 0, NULL},
    {12, "healthCheckNodePort", GW_PROTO_K_I32, 0, NULL},
    {13, "publishNotReadyAddresses", GW_PROTO_K_BOOL, 0, NULL},
    {14, "sessionAffinityConfig", GW_PROTO_K_MSG, 0, &s_m_SessionAffinityConfig},
    {17, "ipFamilyPolicy", GW_PROTO_K_STR, 0, NULL},
    {18, "clusterIPs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {19, "ipFamilies", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {20, "allocateLoadBalancerNodePorts", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {21, "loadBalancerClass", GW_PROTO_K_STR, 0, NULL},
    {22, "internalTrafficPolicy", GW_PROTO_K_STR, 0, NULL},
    {23, "trafficDistribution", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ServiceSpec);
static const gw_proto_field_t s_f_PortStatus[] = {
    {1, "port", GW_PROTO_K_I32, 0, NULL},
    {2, "protocol", GW_PROTO_K_STR, 0, NULL},
    {3, "error", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PortStatus);
static const gw_proto_field_t s_f_LoadBalancerIngress[] = {
    {1, "ip", GW_PROTO_K_STR, 0, NULL},
    {2, "hostname", GW_PROTO_K_STR, 0, NULL},
    {3, "ipMode", GW_PROTO_K_STR, 0, NULL},
    {4, "ports", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PortStatus},
};
S_MSG(LoadBalancerIngress);
static const gw_proto_field_t s_f_LoadBalancerStatus[] = {
    {1, "ingress", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_LoadBalancerIngress},
};
S_MSG(LoadBalancerStatus);
static const gw_proto_field_t s_f_Condition[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "status", GW_PROTO_K_STR, 0, NULL},
    {3, "observedGeneration", GW_PROTO_K_I64, 0, NULL},
    {4, "lastTransitionTime", GW_PROTO_K_TIME, 0, NULL},
    {5, "reason", GW_PROTO_K_STR, 0, NULL},
    {6, "message", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(Condition);
static const gw_proto_field_t s_f_ServiceStatus[] = {
    {1, "loadBalancer", GW_PROTO_K_MSG, 0, &s_m_LoadBalancerStatus},
    {2, "conditions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Condition},
};
S_MSG(ServiceStatus);
static const gw_proto_field_t s_f_Service[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_ServiceSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_ServiceStatus},
};
S_MSG(Service);
static const gw_proto_field_t s_f_ScopedResourceSelectorRequirement[] = {
    {1, "scopeName", GW_PROTO_K_STR, 0, NULL},
    {2, "operator", GW_PROTO_K_STR, 0, NULL},
    {3, "values", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(ScopedResourceSelectorRequirement);
static const gw_proto_field_t s_f_ScopeSelector[] = {
    {1, "matchExpressions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ScopedResourceSelectorRequirement},
};
S_MSG(ScopeSelector);
static const gw_proto_field_t s_f_ResourceQuotaSpec[] = {
    {1, "hard", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
    {2, "scopes", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {3, "scopeSelector", GW_PROTO_K_MSG, 0, &s_m_ScopeSelector},
};
S_MSG(ResourceQuotaSpec);
static const gw_proto_field_t s_f_ResourceQuotaStatus[] = {
    {1, "hard", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
    {2, "used", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
};
S_MSG(ResourceQuotaStatus);
static const gw_proto_field_t s_f_ResourceQuota[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_ResourceQuotaSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_ResourceQuotaStatus},
};
S_MSG(ResourceQuota);
static const gw_proto_field_t s_f_LabelSelectorRequirement[] = {
    {1, "key", GW_PROTO_K_STR, 0, NULL},
    {2, "operator", GW_PROTO_K_STR, 0, NULL},
    {3, "values", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(LabelSelectorRequirement);
static const gw_proto_field_t s_f_LabelSelector[] = {
    {1, "matchLabels", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {2, "matchExpressions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_LabelSelectorRequirement},
};
S_MSG(LabelSelector);
static const gw_proto_field_t s_f_HostPathVolumeSource[] = {
    {1, "path", GW_PROTO_K_STR, 0, NULL},
    {2, "type", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(HostPathVolumeSource);
static const gw_proto_field_t s_f_EmptyDirVolumeSource[] = {
    {1, "medium", GW_PROTO_K_STR, 0, NULL},
    {2, "sizeLimit", GW_PROTO_K_QTY, 0, NULL},
};
S_MSG(EmptyDirVolumeSource);
static const gw_proto_field_t s_f_GCEPersistentDiskVolumeSource[] = {
    {1, "pdName", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
    {3, "partition", GW_PROTO_K_I32, 0, NULL},
    {4, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(GCEPersistentDiskVolumeSource);
static const gw_proto_field_t s_f_AWSElasticBlockStoreVolumeSource[] = {
    {1, "volumeID", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
    {3, "partition", GW_PROTO_K_I32, 0, NULL},
    {4, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(AWSElasticBlockStoreVolumeSource);
static const gw_proto_field_t s_f_GitRepoVolumeSource[] = {
    {1, "repository", GW_PROTO_K_STR, 0, NULL},
    {2, "revision", GW_PROTO_K_STR, 0, NULL},
    {3, "directory", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(GitRepoVolumeSource);
static const gw_proto_field_t s_f_KeyToPath[] = {
    {1, "key", GW_PROTO_K_STR, 0, NULL},
    {2, "path", GW_PROTO_K_STR, 0, NULL},
    {3, "mode", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(KeyToPath);
static const gw_proto_field_t s_f_SecretVolumeSource[] = {
    {1, "secretName", GW_PROTO_K_STR, 0, NULL},
    {2, "items", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_KeyToPath},
    {3, "defaultMode", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {4, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(SecretVolumeSource);
static const gw_proto_field_t s_f_NFSVolumeSource[] = {
    {1, "server", GW_PROTO_K_STR, 0, NULL},
    {2, "path", GW_PROTO_K_STR, 0, NULL},
    {3, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(NFSVolumeSource);
static const gw_proto_field_t s_f_ISCSIVolumeSource[] = {
    {1, "targetPortal", GW_PROTO_K_STR, 0, NULL},
    {2, "iqn", GW_PROTO_K_STR, 0, NULL},
    {3, "lun", GW_PROTO_K_I32, 0, NULL},
    {4, "iscsiInterface", GW_PROTO_K_STR, 0, NULL},
    {5, "fsType", GW_PROTO_K_STR, 0, NULL},
    {6, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {7, "portals", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {8, "chapAuthDiscovery", GW_PROTO_K_BOOL, 0, NULL},
    {10, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
    {11, "chapAuthSession", GW_PROTO_K_BOOL, 0, NULL},
    {12, "initiatorName", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ISCSIVolumeSource);
static const gw_proto_field_t s_f_GlusterfsVolumeSource[] = {
    {1, "endpoints", GW_PROTO_K_STR, 0, NULL},
    {2, "path", GW_PROTO_K_STR, 0, NULL},
    {3, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(GlusterfsVolumeSource);
static const gw_proto_field_t s_f_PersistentVolumeClaimVolumeSource[] = {
    {1, "claimName", GW_PROTO_K_STR, 0, NULL},
    {2, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(PersistentVolumeClaimVolumeSource);
static const gw_proto_field_t s_f_RBDVolumeSource[] = {
    {1, "monitors", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "image", GW_PROTO_K_STR, 0, NULL},
    {3, "fsType", GW_PROTO_K_STR, 0, NULL},
    {4, "pool", GW_PROTO_K_STR, 0, NULL},
    {5, "user", GW_PROTO_K_STR, 0, NULL},
    {6, "keyring", GW_PROTO_K_STR, 0, NULL},
    {7, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
    {8, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(RBDVolumeSource);
static const gw_proto_field_t s_f_FlexVolumeSource[] = {
    {1, "driver", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
    {3, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
    {4, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {5, "options", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
};
S_MSG(FlexVolumeSource);
static const gw_proto_field_t s_f_CinderVolumeSource[] = {
    {1, "volumeID", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
    {3, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {4, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
};
S_MSG(CinderVolumeSource);
static const gw_proto_field_t s_f_CephFSVolumeSource[] = {
    {1, "monitors", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "path", GW_PROTO_K_STR, 0, NULL},
    {3, "user", GW_PROTO_K_STR, 0, NULL},
    {4, "secretFile", GW_PROTO_K_STR, 0, NULL},
    {5, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
    {6, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(CephFSVolumeSource);
static const gw_proto_field_t s_f_FlockerVolumeSource[] = {
    {1, "datasetName", GW_PROTO_K_STR, 0, NULL},
    {2, "datasetUUID", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(FlockerVolumeSource);
static const gw_proto_field_t s_f_ObjectFieldSelector[] = {
    {1, "apiVersion", GW_PROTO_K_STR, 0, NULL},
    {2, "fieldPath", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ObjectFieldSelector);
static const gw_proto_field_t s_f_ResourceFieldSelector[] = {
    {1, "containerName", GW_PROTO_K_STR, 0, NULL},
    {2, "resource", GW_PROTO_K_STR, 0, NULL},
    {3, "divisor", GW_PROTO_K_QTY, 0, NULL},
};
S_MSG(ResourceFieldSelector);
static const gw_proto_field_t s_f_DownwardAPIVolumeFile[] = {
    {1, "path", GW_PROTO_K_STR, 0, NULL},
    {2, "fieldRef", GW_PROTO_K_MSG, 0, &s_m_ObjectFieldSelector},
    {3, "resourceFieldRef", GW_PROTO_K_MSG, 0, &s_m_ResourceFieldSelector},
    {4, "mode", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(DownwardAPIVolumeFile);
static const gw_proto_field_t s_f_DownwardAPIVolumeSource[] = {
    {1, "items", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_DownwardAPIVolumeFile},
    {2, "defaultMode", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(DownwardAPIVolumeSource);
static const gw_proto_field_t s_f_FCVolumeSource[] = {
    {1, "targetWWNs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "lun", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {3, "fsType", GW_PROTO_K_STR, 0, NULL},
    {4, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {5, "wwids", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(FCVolumeSource);
static const gw_proto_field_t s_f_AzureFileVolumeSource[] = {
    {1, "secretName", GW_PROTO_K_STR, 0, NULL},
    {2, "shareName", GW_PROTO_K_STR, 0, NULL},
    {3, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(AzureFileVolumeSource);
static const gw_proto_field_t s_f_ConfigMapVolumeSource[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "items", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_KeyToPath},
    {3, "defaultMode", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {4, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ConfigMapVolumeSource);
static const gw_proto_field_t s_f_VsphereVirtualDiskVolumeSource[] = {
    {1, "volumePath", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
    {3, "storagePolicyName", GW_PROTO_K_STR, 0, NULL},
    {4, "storagePolicyID", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(VsphereVirtualDiskVolumeSource);
static const gw_proto_field_t s_f_QuobyteVolumeSource[] = {
    {1, "registry", GW_PROTO_K_STR, 0, NULL},
    {2, "volume", GW_PROTO_K_STR, 0, NULL},
    {3, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {4, "user", GW_PROTO_K_STR, 0, NULL},
    {5, "group", GW_PROTO_K_STR, 0, NULL},
    {6, "tenant", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(QuobyteVolumeSource);
static const gw_proto_field_t s_f_AzureDiskVolumeSource[] = {
    {1, "diskName", GW_PROTO_K_STR, 0, NULL},
    {2, "diskURI", GW_PROTO_K_STR, 0, NULL},
    {3, "cachingMode", GW_PROTO_K_STR, 0, NULL},
    {4, "fsType", GW_PROTO_K_STR, 0, NULL},
    {5, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {6, "kind", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(AzureDiskVolumeSource);
static const gw_proto_field_t s_f_PhotonPersistentDiskVolumeSource[] = {
    {1, "pdID", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PhotonPersistentDiskVolumeSource);
static const gw_proto_field_t s_f_SecretProjection[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "items", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_KeyToPath},
    {4, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(SecretProjection);
static const gw_proto_field_t s_f_DownwardAPIProjection[] = {
    {1, "items", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_DownwardAPIVolumeFile},
};
S_MSG(DownwardAPIProjection);
static const gw_proto_field_t s_f_ConfigMapProjection[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "items", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_KeyToPath},
    {4, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ConfigMapProjection);
static const gw_proto_field_t s_f_ServiceAccountTokenProjection[] = {
    {1, "audience", GW_PROTO_K_STR, 0, NULL},
    {2, "expirationSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {3, "path", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ServiceAccountTokenProjection);
static const gw_proto_field_t s_f_ClusterTrustBundleProjection[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "signerName", GW_PROTO_K_STR, 0, NULL},
    {3, "labelSelector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {4, "path", GW_PROTO_K_STR, 0, NULL},
    {5, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ClusterTrustBundleProjection);
static const gw_proto_field_t s_f_VolumeProjection[] = {
    {1, "secret", GW_PROTO_K_MSG, 0, &s_m_SecretProjection},
    {2, "downwardAPI", GW_PROTO_K_MSG, 0, &s_m_DownwardAPIProjection},
    {3, "configMap", GW_PROTO_K_MSG, 0, &s_m_ConfigMapProjection},
    {4, "serviceAccountToken", GW_PROTO_K_MSG, 0, &s_m_ServiceAccountTokenProjection},
    {5, "clusterTrustBundle", GW_PROTO_K_MSG, 0, &s_m_ClusterTrustBundleProjection},
};
S_MSG(VolumeProjection);
static const gw_proto_field_t s_f_ProjectedVolumeSource[] = {
    {1, "sources", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_VolumeProjection},
    {2, "defaultMode", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(ProjectedVolumeSource);
static const gw_proto_field_t s_f_PortworxVolumeSource[] = {
    {1, "volumeID", GW_PROTO_K_STR, 0, NULL},
    {2, "fsType", GW_PROTO_K_STR, 0, NULL},
    {3, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(PortworxVolumeSource);
static const gw_proto_field_t s_f_ScaleIOVolumeSource[] = {
    {1, "gateway", GW_PROTO_K_STR, 0, NULL},
    {2, "system", GW_PROTO_K_STR, 0, NULL},
    {3, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
    {4, "sslEnabled", GW_PROTO_K_BOOL, 0, NULL},
    {5, "protectionDomain", GW_PROTO_K_STR, 0, NULL},
    {6, "storagePool", GW_PROTO_K_STR, 0, NULL},
    {7, "storageMode", GW_PROTO_K_STR, 0, NULL},
    {8, "volumeName", GW_PROTO_K_STR, 0, NULL},
    {9, "fsType", GW_PROTO_K_STR, 0, NULL},
    {10, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(ScaleIOVolumeSource);
static const gw_proto_field_t s_f_StorageOSVolumeSource[] = {
    {1, "volumeName", GW_PROTO_K_STR, 0, NULL},
    {2, "volumeNamespace", GW_PROTO_K_STR, 0, NULL},
    {3, "fsType", GW_PROTO_K_STR, 0, NULL},
    {4, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {5, "secretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
};
S_MSG(StorageOSVolumeSource);
static const gw_proto_field_t s_f_CSIVolumeSource[] = {
    {1, "driver", GW_PROTO_K_STR, 0, NULL},
    {2, "readOnly", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {3, "fsType", GW_PROTO_K_STR, 0, NULL},
    {4, "volumeAttributes", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {5, "nodePublishSecretRef", GW_PROTO_K_MSG, 0, &s_m_LocalObjectReference},
};
S_MSG(CSIVolumeSource);
static const gw_proto_field_t s_f_VolumeResourceRequirements[] = {
    {1, "limits", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
    {2, "requests", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
};
S_MSG(VolumeResourceRequirements);
static const gw_proto_field_t s_f_TypedLocalObjectReference[] = {
    {1, "apiGroup", GW_PROTO_K_STR, 0, NULL},
    {2, "kind", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(TypedLocalObjectReference);
static const gw_proto_field_t s_f_TypedObjectReference[] = {
    {1, "apiGroup", GW_PROTO_K_STR, 0, NULL},
    {2, "kind", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
    {4, "namespace", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(TypedObjectReference);
static const gw_proto_field_t s_f_PersistentVolumeClaimSpec[] = {
    {1, "accessModes", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "resources", GW_PROTO_K_MSG, 0, &s_m_VolumeResourceRequirements},
    {3, "volumeName", GW_PROTO_K_STR, 0, NULL},
    {4, "selector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {5, "storageClassName", GW_PROTO_K_STR, 0, NULL},
    {6, "volumeMode", GW_PROTO_K_STR, 0, NULL},
    {7, "dataSource", GW_PROTO_K_MSG, 0, &s_m_TypedLocalObjectReference},
    {8, "dataSourceRef", GW_PROTO_K_MSG, 0, &s_m_TypedObjectReference},
    {9, "volumeAttributesClassName", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PersistentVolumeClaimSpec);
static const gw_proto_field_t s_f_PersistentVolumeClaimTemplate[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_PersistentVolumeClaimSpec},
};
S_MSG(PersistentVolumeClaimTemplate);
static const gw_proto_field_t s_f_EphemeralVolumeSource[] = {
    {1, "volumeClaimTemplate", GW_PROTO_K_MSG, 0, &s_m_PersistentVolumeClaimTemplate},
};
S_MSG(EphemeralVolumeSource);
static const gw_proto_field_t s_f_ImageVolumeSource[] = {
    {1, "reference", GW_PROTO_K_STR, 0, NULL},
    {2, "pullPolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ImageVolumeSource);
static const gw_proto_field_t s_f_VolumeSource[] = {
    {1, "hostPath", GW_PROTO_K_MSG, 0, &s_m_HostPathVolumeSource},
    {2, "emptyDir", GW_PROTO_K_MSG, 0, &s_m_EmptyDirVolumeSource},
    {3, "gcePersistentDisk", GW_PROTO_K_MSG, 0, &s_m_GCEPersistentDiskVolumeSource},
    {4, "awsElasticBlockStore", GW_PROTO_K_MSG, 0, &s_m_AWSElasticBlockStoreVolumeSource},
    {5, "gitRepo", GW_PROTO_K_MSG, 0, &s_m_GitRepoVolumeSource},
    {6, "secret", GW_PROTO_K_MSG, 0, &s_m_SecretVolumeSource},
    {7, "nfs", GW_PROTO_K_MSG, 0, &s_m_NFSVolumeSource},
    {8, "iscsi", GW_PROTO_K_MSG, 0, &s_m_ISCSIVolumeSource},
    {9, "glusterfs", GW_PROTO_K_MSG, 0, &s_m_GlusterfsVolumeSource},
    {10, "persistentVolumeClaim", GW_PROTO_K_MSG, 0, &s_m_PersistentVolumeClaimVolumeSource},
    {11, "rbd", GW_PROTO_K_MSG, 0, &s_m_RBDVolumeSource},
    {12, "flexVolume", GW_PROTO_K_MSG, 0, &s_m_FlexVolumeSource},
    {13, "cinder", GW_PROTO_K_MSG, 0, &s_m_CinderVolumeSource},
    {14, "cephfs", GW_PROTO_K_MSG, 0, &s_m_CephFSVolumeSource},
    {15, "flocker", GW_PROTO_K_MSG, 0, &s_m_FlockerVolumeSource},
    {16, "downwardAPI", GW_PROTO_K_MSG, 0, &s_m_DownwardAPIVolumeSource},
    {17, "fc", GW_PROTO_K_MSG, 0, &s_m_FCVolumeSource},
    {18, "azureFile", GW_PROTO_K_MSG, 0, &s_m_AzureFileVolumeSource},
    {19, "configMap", GW_PROTO_K_MSG, 0, &s_m_ConfigMapVolumeSource},
    {20, "vsphereVolume", GW_PROTO_K_MSG, 0, &s_m_VsphereVirtualDiskVolumeSource},
    {21, "quobyte", GW_PROTO_K_MSG, 0, &s_m_QuobyteVolumeSource},
    {22, "azureDisk", GW_PROTO_K_MSG, 0, &s_m_AzureDiskVolumeSource},
    {23, "photonPersistentDisk", GW_PROTO_K_MSG, 0, &s_m_PhotonPersistentDiskVolumeSource},
    {24, "portworxVolume", GW_PROTO_K_MSG, 0, &s_m_PortworxVolumeSource},
    {25, "scaleIO", GW_PROTO_K_MSG, 0, &s_m_ScaleIOVolumeSource},
    {26, "projected", GW_PROTO_K_MSG, 0, &s_m_ProjectedVolumeSource},
    {27, "storageos", GW_PROTO_K_MSG, 0, &s_m_StorageOSVolumeSource},
    {28, "csi", GW_PROTO_K_MSG, 0, &s_m_CSIVolumeSource},
    {29, "ephemeral", GW_PROTO_K_MSG, 0, &s_m_EphemeralVolumeSource},
    {30, "image", GW_PROTO_K_MSG, 0, &s_m_ImageVolumeSource},
};
S_MSG(VolumeSource);
static const gw_proto_field_t s_f_Volume[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "volumeSource", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_VolumeSource},
};
S_MSG(Volume);
static const gw_proto_field_t s_f_ContainerPort[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "hostPort", GW_PROTO_K_I32, 0, NULL},
    {3, "containerPort", GW_PROTO_K_I32, 0, NULL},
    {4, "protocol", GW_PROTO_K_STR, 0, NULL},
    {5, "hostIP", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ContainerPort);
static const gw_proto_field_t s_f_ConfigMapEnvSource[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ConfigMapEnvSource);
static const gw_proto_field_t s_f_SecretEnvSource[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(SecretEnvSource);
static const gw_proto_field_t s_f_EnvFromSource[] = {
    {1, "prefix", GW_PROTO_K_STR, 0, NULL},
    {2, "configMapRef", GW_PROTO_K_MSG, 0, &s_m_ConfigMapEnvSource},
    {3, "secretRef", GW_PROTO_K_MSG, 0, &s_m_SecretEnvSource},
};
S_MSG(EnvFromSource);
static const gw_proto_field_t s_f_ConfigMapKeySelector[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "key", GW_PROTO_K_STR, 0, NULL},
    {3, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(ConfigMapKeySelector);
static const gw_proto_field_t s_f_SecretKeySelector[] = {
    {1, "localObjectReference", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_LocalObjectReference},
    {2, "key", GW_PROTO_K_STR, 0, NULL},
    {3, "optional", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(SecretKeySelector);
static const gw_proto_field_t s_f_EnvVarSource[] = {
    {1, "fieldRef", GW_PROTO_K_MSG, 0, &s_m_ObjectFieldSelector},
    {2, "resourceFieldRef", GW_PROTO_K_MSG, 0, &s_m_ResourceFieldSelector},
    {3, "configMapKeyRef", GW_PROTO_K_MSG, 0, &s_m_ConfigMapKeySelector},
    {4, "secretKeyRef", GW_PROTO_K_MSG, 0, &s_m_SecretKeySelector},
};
S_MSG(EnvVarSource);
static const gw_proto_field_t s_f_EnvVar[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "value", GW_PROTO_K_STR, 0, NULL},
    {3, "valueFrom", GW_PROTO_K_MSG, 0, &s_m_EnvVarSource},
};
S_MSG(EnvVar);
static const gw_proto_field_t s_f_ResourceClaim[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "request", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ResourceClaim);
static const gw_proto_field_t s_f_ResourceRequirements[] = {
    {1, "limits", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
    {2, "requests", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
    {3, "claims", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ResourceClaim},
};
S_MSG(ResourceRequirements);
static const gw_proto_field_t s_f_ContainerResizePolicy[] = {
    {1, "resourceName", GW_PROTO_K_STR, 0, NULL},
    {2, "restartPolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(ContainerResizePolicy);
static const gw_proto_field_t s_f_VolumeMount[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "readOnly", GW_PROTO_K_BOOL, 0, NULL},
    {3, "mountPath", GW_PROTO_K_STR, 0, NULL},
    {4, "subPath", GW_PROTO_K_STR, 0, NULL},
    {5, "mountPropagation", GW_PROTO_K_STR, 0, NULL},
    {6, "subPathExpr", GW_PROTO_K_STR, 0, NULL},
    {7, "recursiveReadOnly", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(VolumeMount);
static const gw_proto_field_t s_f_VolumeDevice[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "devicePath", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(VolumeDevice);
static const gw_proto_field_t s_f_ExecAction[] = {
    {1, "command", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(ExecAction);
static const gw_proto_field_t s_f_HTTPHeader[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "value", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(HTTPHeader);
static const gw_proto_field_t s_f_HTTPGetAction[] = {
    {1, "path", GW_PROTO_K_STR, 0, NULL},
    {2, "port", GW_PROTO_K_INTSTR, 0, NULL},
    {3, "host", GW_PROTO_K_STR, 0, NULL},
    {4, "scheme", GW_PROTO_K_STR, 0, NULL},
    {5, "httpHeaders", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_HTTPHeader},
};
S_MSG(HTTPGetAction);
static const gw_proto_field_t s_f_TCPSocketAction[] = {
    {1, "port", GW_PROTO_K_INTSTR, 0, NULL},
    {2, "host", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(TCPSocketAction);
static const gw_proto_field_t s_f_GRPCAction[] = {
    {1, "port", GW_PROTO_K_I32, 0, NULL},
    {2, "service", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(GRPCAction);
static const gw_proto_field_t s_f_ProbeHandler[] = {
    {1, "exec", GW_PROTO_K_MSG, 0, &s_m_ExecAction},
    {2, "httpGet", GW_PROTO_K_MSG, 0, &s_m_HTTPGetAction},
    {3, "tcpSocket", GW_PROTO_K_MSG, 0, &s_m_TCPSocketAction},
    {4, "grpc", GW_PROTO_K_MSG, 0, &s_m_GRPCAction},
};
S_MSG(ProbeHandler);
static const gw_proto_field_t s_f_Probe[] = {
    {1, "handler", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_ProbeHandler},
    {2, "initialDelaySeconds", GW_PROTO_K_I32, 0, NULL},
    {3, "timeoutSeconds", GW_PROTO_K_I32, 0, NULL},
    {4, "periodSeconds", GW_PROTO_K_I32, 0, NULL},
    {5, "successThreshold", GW_PROTO_K_I32, 0, NULL},
    {6, "failureThreshold", GW_PROTO_K_I32, 0, NULL},
    {7, "terminationGracePeriodSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
};
S_MSG(Probe);
static const gw_proto_field_t s_f_SleepAction[] = {
    {1, "seconds", GW_PROTO_K_I64, 0, NULL},
};
S_MSG(SleepAction);
static const gw_proto_field_t s_f_LifecycleHandler[] = {
    {1, "exec", GW_PROTO_K_MSG, 0, &s_m_ExecAction},
    {2, "httpGet", GW_PROTO_K_MSG, 0, &s_m_HTTPGetAction},
    {3, "tcpSocket", GW_PROTO_K_MSG, 0, &s_m_TCPSocketAction},
    {4, "sleep", GW_PROTO_K_MSG, 0, &s_m_SleepAction},
};
S_MSG(LifecycleHandler);
static const gw_proto_field_t s_f_Lifecycle[] = {
    {1, "postStart", GW_PROTO_K_MSG, 0, &s_m_LifecycleHandler},
    {2, "preStop", GW_PROTO_K_MSG, 0, &s_m_LifecycleHandler},
};
S_MSG(Lifecycle);
static const gw_proto_field_t s_f_Capabilities[] = {
    {1, "add", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "drop", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(Capabilities);
static const gw_proto_field_t s_f_SELinuxOptions[] = {
    {1, "user", GW_PROTO_K_STR, 0, NULL},
    {2, "role", GW_PROTO_K_STR, 0, NULL},
    {3, "type", GW_PROTO_K_STR, 0, NULL},
    {4, "level", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(SELinuxOptions);
static const gw_proto_field_t s_f_WindowsSecurityContextOptions[] = {
    {1, "gmsaCredentialSpecName", GW_PROTO_K_STR, 0, NULL},
    {2, "gmsaCredentialSpec", GW_PROTO_K_STR, 0, NULL},
    {3, "runAsUserName", GW_PROTO_K_STR, 0, NULL},
    {4, "hostProcess", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(WindowsSecurityContextOptions);
static const gw_proto_field_t s_f_SeccompProfile[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "localhostProfile", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(SeccompProfile);
static const gw_proto_field_t s_f_AppArmorProfile[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "localhostProfile", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(AppArmorProfile);
static const gw_proto_field_t s_f_SecurityContext[] = {
    {1, "capabilities", GW_PROTO_K_MSG, 0, &s_m_Capabilities},
    {2, "privileged", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {3, "seLinuxOptions", GW_PROTO_K_MSG, 0, &s_m_SELinuxOptions},
    {4, "runAsUser", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {5, "runAsNonRoot", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {6, "readOnlyRootFilesystem", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {7, "allowPrivilegeEscalation", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {8, "runAsGroup", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {9, "procMount", GW_PROTO_K_STR, 0, NULL},
    {10, "windowsOptions", GW_PROTO_K_MSG, 0, &s_m_WindowsSecurityContextOptions},
    {11, "seccompProfile", GW_PROTO_K_MSG, 0, &s_m_SeccompProfile},
    {12, "appArmorProfile", GW_PROTO_K_MSG, 0, &s_m_AppArmorProfile},
};
S_MSG(SecurityContext);
static const gw_proto_field_t s_f_Container[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "image", GW_PROTO_K_STR, 0, NULL},
    {3, "command", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {4, "args", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {5, "workingDir", GW_PROTO_K_STR, 0, NULL},
    {6, "ports", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ContainerPort},
    {7, "env", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_EnvVar},
    {8, "resources", GW_PROTO_K_MSG, 0, &s_m_ResourceRequirements},
    {9, "volumeMounts", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_VolumeMount},
    {10, "livenessProbe", GW_PROTO_K_MSG, 0, &s_m_Probe},
    {11, "readinessProbe", GW_PROTO_K_MSG, 0, &s_m_Probe},
    {12, "lifecycle", GW_PROTO_K_MSG, 0, &s_m_Lifecycle},
    {13, "terminationMessagePath", GW_PROTO_K_STR, 0, NULL},
    {14, "imagePullPolicy", GW_PROTO_K_STR, 0, NULL},
    {15, "securityContext", GW_PROTO_K_MSG, 0, &s_m_SecurityContext},
    {16, "stdin", GW_PROTO_K_BOOL, 0, NULL},
    {17, "stdinOnce", GW_PROTO_K_BOOL, 0, NULL},
    {18, "tty", GW_PROTO_K_BOOL, 0, NULL},
    {19, "envFrom", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_EnvFromSource},
    {20, "terminationMessagePolicy", GW_PROTO_K_STR, 0, NULL},
    {21, "volumeDevices", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_VolumeDevice},
    {22, "startupProbe", GW_PROTO_K_MSG, 0, &s_m_Probe},
    {23, "resizePolicy", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ContainerResizePolicy},
    {24, "restartPolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(Container);
static const gw_proto_field_t s_f_EphemeralContainerCommon[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "image", GW_PROTO_K_STR, 0, NULL},
    {3, "command", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {4, "args", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {5, "workingDir", GW_PROTO_K_STR, 0, NULL},
    {6, "ports", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ContainerPort},
    {7, "env", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_EnvVar},
    {8, "resources", GW_PROTO_K_MSG, 0, &s_m_ResourceRequirements},
    {9, "volumeMounts", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_VolumeMount},
    {10, "livenessProbe", GW_PROTO_K_MSG, 0, &s_m_Probe},
    {11, "readinessProbe", GW_PROTO_K_MSG, 0, &s_m_Probe},
    {12, "lifecycle", GW_PROTO_K_MSG, 0, &s_m_Lifecycle},
    {13, "terminationMessagePath", GW_PROTO_K_STR, 0, NULL},
    {14, "imagePullPolicy", GW_PROTO_K_STR, 0, NULL},
    {15, "securityContext", GW_PROTO_K_MSG, 0, &s_m_SecurityContext},
    {16, "stdin", GW_PROTO_K_BOOL, 0, NULL},
    {17, "stdinOnce", GW_PROTO_K_BOOL, 0, NULL},
    {18, "tty", GW_PROTO_K_BOOL, 0, NULL},
    {19, "envFrom", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_EnvFromSource},
    {20, "terminationMessagePolicy", GW_PROTO_K_STR, 0, NULL},
    {21, "volumeDevices", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_VolumeDevice},
    {22, "startupProbe", GW_PROTO_K_MSG, 0, &s_m_Probe},
    {23, "resizePolicy", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ContainerResizePolicy},
    {24, "restartPolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(EphemeralContainerCommon);
static const gw_proto_field_t s_f_EphemeralContainer[] = {
    {1, "ephemeralContainerCommon", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_EphemeralContainerCommon},
    {2, "targetContainerName", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(EphemeralContainer);
static const gw_proto_field_t s_f_Sysctl[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "value", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(Sysctl);
static const gw_proto_field_t s_f_PodSecurityContext[] = {
    {1, "seLinuxOptions", GW_PROTO_K_MSG, 0, &s_m_SELinuxOptions},
    {2, "runAsUser", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {3, "runAsNonRoot", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {4, "supplementalGroups", GW_PROTO_K_I64, GW_PROTO_REP, NULL},
    {5, "fsGroup", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {6, "runAsGroup", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {7, "sysctls", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Sysctl},
    {8, "windowsOptions", GW_PROTO_K_MSG, 0, &s_m_WindowsSecurityContextOptions},
    {9, "fsGroupChangePolicy", GW_PROTO_K_STR, 0, NULL},
    {10, "seccompProfile", GW_PROTO_K_MSG, 0, &s_m_SeccompProfile},
    {11, "appArmorProfile", GW_PROTO_K_MSG, 0, &s_m_AppArmorProfile},
    {12, "supplementalGroupsPolicy", GW_PROTO_K_STR, 0, NULL},
    {13, "seLinuxChangePolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodSecurityContext);
static const gw_proto_field_t s_f_NodeSelectorRequirement[] = {
    {1, "key", GW_PROTO_K_STR, 0, NULL},
    {2, "operator", GW_PROTO_K_STR, 0, NULL},
    {3, "values", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(NodeSelectorRequirement);
static const gw_proto_field_t s_f_NodeSelectorTerm[] = {
    {1, "matchExpressions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_NodeSelectorRequirement},
    {2, "matchFields", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_NodeSelectorRequirement},
};
S_MSG(NodeSelectorTerm);
static const gw_proto_field_t s_f_NodeSelector[] = {
    {1, "nodeSelectorTerms", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_NodeSelectorTerm},
};
S_MSG(NodeSelector);
static const gw_proto_field_t s_f_PreferredSchedulingTerm[] = {
    {1, "weight", GW_PROTO_K_I32, 0, NULL},
    {2, "preference", GW_PROTO_K_MSG, 0, &s_m_NodeSelectorTerm},
};
S_MSG(PreferredSchedulingTerm);
static const gw_proto_field_t s_f_NodeAffinity[] = {
    {1, "requiredDuringSchedulingIgnoredDuringExecution", GW_PROTO_K_MSG, 0, &s_m_NodeSelector},
    {2, "preferredDuringSchedulingIgnoredDuringExecution", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PreferredSchedulingTerm},
};
S_MSG(NodeAffinity);
static const gw_proto_field_t s_f_PodAffinityTerm[] = {
    {1, "labelSelector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {2, "namespaces", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {3, "topologyKey", GW_PROTO_K_STR, 0, NULL},
    {4, "namespaceSelector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {5, "matchLabelKeys", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {6, "mismatchLabelKeys", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(PodAffinityTerm);
static const gw_proto_field_t s_f_WeightedPodAffinityTerm[] = {
    {1, "weight", GW_PROTO_K_I32, 0, NULL},
    {2, "podAffinityTerm", GW_PROTO_K_MSG, 0, &s_m_PodAffinityTerm},
};
S_MSG(WeightedPodAffinityTerm);
static const gw_proto_field_t s_f_PodAffinity[] = {
    {1, "requiredDuringSchedulingIgnoredDuringExecution", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodAffinityTerm},
    {2, "preferredDuringSchedulingIgnoredDuringExecution", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_WeightedPodAffinityTerm},
};
S_MSG(PodAffinity);
static const gw_proto_field_t s_f_PodAntiAffinity[] = {
    {1, "requiredDuringSchedulingIgnoredDuringExecution", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodAffinityTerm},
    {2, "preferredDuringSchedulingIgnoredDuringExecution", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_WeightedPodAffinityTerm},
};
S_MSG(PodAntiAffinity);
static const gw_proto_field_t s_f_Affinity[] = {
    {1, "nodeAffinity", GW_PROTO_K_MSG, 0, &s_m_NodeAffinity},
    {2, "podAffinity", GW_PROTO_K_MSG, 0, &s_m_PodAffinity},
    {3, "podAntiAffinity", GW_PROTO_K_MSG, 0, &s_m_PodAntiAffinity},
};
S_MSG(Affinity);
static const gw_proto_field_t s_f_Toleration[] = {
    {1, "key", GW_PROTO_K_STR, 0, NULL},
    {2, "operator", GW_PROTO_K_STR, 0, NULL},
    {3, "value", GW_PROTO_K_STR, 0, NULL},
    {4, "effect", GW_PROTO_K_STR, 0, NULL},
    {5, "tolerationSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
};
S_MSG(Toleration);
static const gw_proto_field_t s_f_HostAlias[] = {
    {1, "ip", GW_PROTO_K_STR, 0, NULL},
    {2, "hostnames", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(HostAlias);
static const gw_proto_field_t s_f_PodDNSConfigOption[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "value", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodDNSConfigOption);
static const gw_proto_field_t s_f_PodDNSConfig[] = {
    {1, "nameservers", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "searches", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {3, "options", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodDNSConfigOption},
};
S_MSG(PodDNSConfig);
static const gw_proto_field_t s_f_PodReadinessGate[] = {
    {1, "conditionType", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodReadinessGate);
static const gw_proto_field_t s_f_TopologySpreadConstraint[] = {
    {1, "maxSkew", GW_PROTO_K_I32, 0, NULL},
    {2, "topologyKey", GW_PROTO_K_STR, 0, NULL},
    {3, "whenUnsatisfiable", GW_PROTO_K_STR, 0, NULL},
    {4, "labelSelector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {5, "minDomains", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {6, "nodeAffinityPolicy", GW_PROTO_K_STR, 0, NULL},
    {7, "nodeTaintsPolicy", GW_PROTO_K_STR, 0, NULL},
    {8, "matchLabelKeys", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(TopologySpreadConstraint);
static const gw_proto_field_t s_f_PodOS[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodOS);
static const gw_proto_field_t s_f_PodSchedulingGate[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodSchedulingGate);
static const gw_proto_field_t s_f_PodResourceClaim[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {3, "resourceClaimName", GW_PROTO_K_STR, 0, NULL},
    {4, "resourceClaimTemplateName", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodResourceClaim);
static const gw_proto_field_t s_f_PodSpec[] = {
    {1, "volumes", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Volume},
    {2, "containers", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Container},
    {3, "restartPolicy", GW_PROTO_K_STR, 0, NULL},
    {4, "terminationGracePeriodSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {5, "activeDeadlineSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {6, "dnsPolicy", GW_PROTO_K_STR, 0, NULL},
    {7, "nodeSelector", GW_PROTO_K_STR, GW_PROTO_MAP, NULL},
    {8, "serviceAccountName", GW_PROTO_K_STR, 0, NULL},
    {9, "serviceAccount", GW_PROTO_K_STR, 0, NULL},
    {10, "nodeName", GW_PROTO_K_STR, 0, NULL},
    {11, "hostNetwork", GW_PROTO_K_BOOL, 0, NULL},
    {12, "hostPID", GW_PROTO_K_BOOL, 0, NULL},
    {13, "hostIPC", GW_PROTO_K_BOOL, 0, NULL},
    {14, "securityContext", GW_PROTO_K_MSG, 0, &s_m_PodSecurityContext},
    {15, "imagePullSecrets", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_LocalObjectReference},
    {16, "hostname", GW_PROTO_K_STR, 0, NULL},
    {17, "subdomain", GW_PROTO_K_STR, 0, NULL},
    {18, "affinity", GW_PROTO_K_MSG, 0, &s_m_Affinity},
    {19, "schedulerName", GW_PROTO_K_STR, 0, NULL},
    {20, "initContainers", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Container},
    {21, "automountServiceAccountToken", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {22, "tolerations", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Toleration},
    {23, "hostAliases", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_HostAlias},
    {24, "priorityClassName", GW_PROTO_K_STR, 0, NULL},
    {25, "priority", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {26, "dnsConfig", GW_PROTO_K_MSG, 0, &s_m_PodDNSConfig},
    {27, "shareProcessNamespace", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {28, "readinessGates", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodReadinessGate},
    {29, "runtimeClassName", GW_PROTO_K_STR, 0, NULL},
    {30, "enableServiceLinks", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {31, "preemptionPolicy", GW_PROTO_K_STR, 0, NULL},
    {32, "overhead", GW_PROTO_K_QTY, GW_PROTO_MAP, NULL},
    {33, "topologySpreadConstraints", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_TopologySpreadConstraint},
    {34, "ephemeralContainers", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_EphemeralContainer},
    {35, "setHostnameAsFQDN", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {36, "os", GW_PROTO_K_MSG, 0, &s_m_PodOS},
    {37, "hostUsers", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {38, "schedulingGates", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodSchedulingGate},
    {39, "resourceClaims", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodResourceClaim},
    {40, "resources", GW_PROTO_K_MSG, 0, &s_m_ResourceRequirements},
};
S_MSG(PodSpec);
static const gw_proto_field_t s_f_PodTemplateSpec[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_PodSpec},
};
S_MSG(PodTemplateSpec);
static const gw_proto_field_t s_f_RollingUpdateDeployment[] = {
    {1, "maxUnavailable", GW_PROTO_K_INTSTR, GW_PROTO_KEEP0, NULL},
    {2, "maxSurge", GW_PROTO_K_INTSTR, GW_PROTO_KEEP0, NULL},
};
S_MSG(RollingUpdateDeployment);
static const gw_proto_field_t s_f_DeploymentStrategy[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "rollingUpdate", GW_PROTO_K_MSG, 0, &s_m_RollingUpdateDeployment},
};
S_MSG(DeploymentStrategy);
static const gw_proto_field_t s_f_DeploymentSpec[] = {
    {1, "replicas", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {2, "selector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {3, "template", GW_PROTO_K_MSG, 0, &s_m_PodTemplateSpec},
    {4, "strategy", GW_PROTO_K_MSG, 0, &s_m_DeploymentStrategy},
    {5, "minReadySeconds", GW_PROTO_K_I32, 0, NULL},
    {6, "revisionHistoryLimit", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {7, "paused", GW_PROTO_K_BOOL, 0, NULL},
    {9, "progressDeadlineSeconds", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(DeploymentSpec);
static const gw_proto_field_t s_f_DeploymentCondition[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "status", GW_PROTO_K_STR, 0, NULL},
    {4, "reason", GW_PROTO_K_STR, 0, NULL},
    {5, "message", GW_PROTO_K_STR, 0, NULL},
    {6, "lastUpdateTime", GW_PROTO_K_TIME, 0, NULL},
    {7, "lastTransitionTime", GW_PROTO_K_TIME, 0, NULL},
};
S_MSG(DeploymentCondition);
static const gw_proto_field_t s_f_DeploymentStatus[] = {
    {1, "observedGeneration", GW_PROTO_K_I64, 0, NULL},
    {2, "replicas", GW_PROTO_K_I32, 0, NULL},
    {3, "updatedReplicas", GW_PROTO_K_I32, 0, NULL},
    {4, "availableReplicas", GW_PROTO_K_I32, 0, NULL},
    {5, "unavailableReplicas", GW_PROTO_K_I32, 0, NULL},
    {6, "conditions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_DeploymentCondition},
    {7, "readyReplicas", GW_PROTO_K_I32, 0, NULL},
    {8, "collisionCount", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(DeploymentStatus);
static const gw_proto_field_t s_f_Deployment[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_DeploymentSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_DeploymentStatus},
};
S_MSG(Deployment);
static const gw_proto_field_t s_f_PodFailurePolicyOnExitCodesRequirement[] = {
    {1, "containerName", GW_PROTO_K_STR, 0, NULL},
    {2, "operator", GW_PROTO_K_STR, 0, NULL},
    {3, "values", GW_PROTO_K_I32, GW_PROTO_REP, NULL},
};
S_MSG(PodFailurePolicyOnExitCodesRequirement);
static const gw_proto_field_t s_f_PodFailurePolicyOnPodConditionsPattern[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "status", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodFailurePolicyOnPodConditionsPattern);
static const gw_proto_field_t s_f_PodFailurePolicyRule[] = {
    {1, "action", GW_PROTO_K_STR, 0, NULL},
    {2, "onExitCodes", GW_PROTO_K_MSG, 0, &s_m_PodFailurePolicyOnExitCodesRequirement},
    {3, "onPodConditions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodFailurePolicyOnPodConditionsPattern},
};
S_MSG(PodFailurePolicyRule);
static const gw_proto_field_t s_f_PodFailurePolicy[] = {
    {1, "rules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PodFailurePolicyRule},
};
S_MSG(PodFailurePolicy);
static const gw_proto_field_t s_f_SuccessPolicyRule[] = {
    {1, "succeededIndexes", GW_PROTO_K_STR, 0, NULL},
    {2, "succeededCount", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(SuccessPolicyRule);
static const gw_proto_field_t s_f_SuccessPolicy[] = {
    {1, "rules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_SuccessPolicyRule},
};
S_MSG(SuccessPolicy);
static const gw_proto_field_t s_f_JobSpec[] = {
    {1, "parallelism", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {2, "completions", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {3, "activeDeadlineSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {4, "selector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {5, "manualSelector", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {6, "template", GW_PROTO_K_MSG, 0, &s_m_PodTemplateSpec},
    {7, "backoffLimit", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {8, "ttlSecondsAfterFinished", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {9, "completionMode", GW_PROTO_K_STR, 0, NULL},
    {10, "suspend", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {11, "podFailurePolicy", GW_PROTO_K_MSG, 0, &s_m_PodFailurePolicy},
    {12, "backoffLimitPerIndex", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {13, "maxFailedIndexes", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {14, "podReplacementPolicy", GW_PROTO_K_STR, 0, NULL},
    {15, "managedBy", GW_PROTO_K_STR, 0, NULL},
    {16, "successPolicy", GW_PROTO_K_MSG, 0, &s_m_SuccessPolicy},
};
S_MSG(JobSpec);
static const gw_proto_field_t s_f_JobCondition[] = {
    {1, "type", GW_PROTO_K_STR, 0, NULL},
    {2, "status", GW_PROTO_K_STR, 0, NULL},
    {3, "lastProbeTime", GW_PROTO_K_TIME, 0, NULL},
    {4, "lastTransitionTime", GW_PROTO_K_TIME, 0, NULL},
    {5, "reason", GW_PROTO_K_STR, 0, NULL},
    {6, "message", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(JobCondition);
static const gw_proto_field_t s_f_UncountedTerminatedPods[] = {
    {1, "succeeded", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "failed", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(UncountedTerminatedPods);
static const gw_proto_field_t s_f_JobStatus[] = {
    {1, "conditions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_JobCondition},
    {2, "startTime", GW_PROTO_K_TIME, 0, NULL},
    {3, "completionTime", GW_PROTO_K_TIME, 0, NULL},
    {4, "active", GW_PROTO_K_I32, 0, NULL},
    {5, "succeeded", GW_PROTO_K_I32, 0, NULL},
    {6, "failed", GW_PROTO_K_I32, 0, NULL},
    {7, "completedIndexes", GW_PROTO_K_STR, 0, NULL},
    {8, "uncountedTerminatedPods", GW_PROTO_K_MSG, 0, &s_m_UncountedTerminatedPods},
    {9, "ready", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {10, "failedIndexes", GW_PROTO_K_STR, 0, NULL},
    {11, "terminating", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
S_MSG(JobStatus);
static const gw_proto_field_t s_f_Job[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_JobSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_JobStatus},
};
S_MSG(Job);
static const gw_proto_field_t s_f_JobTemplateSpec[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_JobSpec},
};
S_MSG(JobTemplateSpec);
static const gw_proto_field_t s_f_CronJobSpec[] = {
    {1, "schedule", GW_PROTO_K_STR, 0, NULL},
    {2, "startingDeadlineSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {3, "concurrencyPolicy", GW_PROTO_K_STR, 0, NULL},
    {4, "suspend", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {5, "jobTemplate", GW_PROTO_K_MSG, 0, &s_m_JobTemplateSpec},
    {6, "successfulJobsHistoryLimit", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {7, "failedJobsHistoryLimit", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {8, "timeZone", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(CronJobSpec);
static const gw_proto_field_t s_f_CronJobStatus[] = {
    {1, "active", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ObjectReference},
    {4, "lastScheduleTime", GW_PROTO_K_TIME, 0, NULL},
    {5, "lastSuccessfulTime", GW_PROTO_K_TIME, 0, NULL},
};
S_MSG(CronJobStatus);
static const gw_proto_field_t s_f_CronJob[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_CronJobSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_CronJobStatus},
};
S_MSG(CronJob);
static const gw_proto_field_t s_f_PriorityClass[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "value", GW_PROTO_K_I32, 0, NULL},
    {3, "globalDefault", GW_PROTO_K_BOOL, 0, NULL},
    {4, "description", GW_PROTO_K_STR, 0, NULL},
    {5, "preemptionPolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PriorityClass);
static const gw_proto_field_t s_f_BoundObjectReference[] = {
    {1, "kind", GW_PROTO_K_STR, 0, NULL},
    {2, "apiVersion", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
    {4, "uid", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(BoundObjectReference);
static const gw_proto_field_t s_f_TokenRequestSpec[] = {
    {1, "audiences", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {3, "boundObjectRef", GW_PROTO_K_MSG, 0, &s_m_BoundObjectReference},
    {4, "expirationSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
};
S_MSG(TokenRequestSpec);
static const gw_proto_field_t s_f_TokenRequestStatus[] = {
    {1, "token", GW_PROTO_K_STR, 0, NULL},
    {2, "expirationTimestamp", GW_PROTO_K_TIME, 0, NULL},
};
S_MSG(TokenRequestStatus);
static const gw_proto_field_t s_f_TokenRequest[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_TokenRequestSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_TokenRequestStatus},
};
S_MSG(TokenRequest);
static const gw_proto_field_t s_f_UserInfo[] = {
    {1, "username", GW_PROTO_K_STR, 0, NULL},
    {2, "uid", GW_PROTO_K_STR, 0, NULL},
    {3, "groups", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {4, "extra", GW_PROTO_K_STRLIST, GW_PROTO_MAP, NULL},
};
S_MSG(UserInfo);
static const gw_proto_field_t s_f_SelfSubjectReviewStatus[] = {
    {1, "userInfo", GW_PROTO_K_MSG, 0, &s_m_UserInfo},
};
S_MSG(SelfSubjectReviewStatus);
static const gw_proto_field_t s_f_SelfSubjectReview[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "status", GW_PROTO_K_MSG, 0, &s_m_SelfSubjectReviewStatus},
};
S_MSG(SelfSubjectReview);
static const gw_proto_field_t s_f_FieldSelectorRequirement[] = {
    {1, "key", GW_PROTO_K_STR, 0, NULL},
    {2, "operator", GW_PROTO_K_STR, 0, NULL},
    {3, "values", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(FieldSelectorRequirement);
static const gw_proto_field_t s_f_FieldSelectorAttributes[] = {
    {1, "rawSelector", GW_PROTO_K_STR, 0, NULL},
    {2, "requirements", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_FieldSelectorRequirement},
};
S_MSG(FieldSelectorAttributes);
static const gw_proto_field_t s_f_LabelSelectorAttributes[] = {
    {1, "rawSelector", GW_PROTO_K_STR, 0, NULL},
    {2, "requirements", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_LabelSelectorRequirement},
};
S_MSG(LabelSelectorAttributes);
static const gw_proto_field_t s_f_ResourceAttributes[] = {
    {1, "namespace", GW_PROTO_K_STR, 0, NULL},
    {2, "verb", GW_PROTO_K_STR, 0, NULL},
    {3, "group", GW_PROTO_K_STR, 0, NULL},
    {4, "version", GW_PROTO_K_STR, 0, NULL},
    {5, "resource", GW_PROTO_K_STR, 0, NULL},
    {6, "subresource", GW_PROTO_K_STR, 0, NULL},
    {7, "name", GW_PROTO_K_STR, 0, NULL},
    {8, "fieldSelector", GW_PROTO_K_MSG, 0, &s_m_FieldSelectorAttributes},
    {9, "labelSelector", GW_PROTO_K_MSG, 0, &s_m_LabelSelectorAttributes},
};
S_MSG(ResourceAttributes);
static const gw_proto_field_t s_f_NonResourceAttributes[] = {
    {1, "path", GW_PROTO_K_STR, 0, NULL},
    {2, "verb", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(NonResourceAttributes);
static const gw_proto_field_t s_f_SelfSubjectAccessReviewSpec[] = {
    {1, "resourceAttributes", GW_PROTO_K_MSG, 0, &s_m_ResourceAttributes},
    {2, "nonResourceAttributes", GW_PROTO_K_MSG, 0, &s_m_NonResourceAttributes},
};
S_MSG(SelfSubjectAccessReviewSpec);
static const gw_proto_field_t s_f_SubjectAccessReviewStatus[] = {
    {1, "allowed", GW_PROTO_K_BOOL, 0, NULL},
    {2, "reason", GW_PROTO_K_STR, 0, NULL},
    {3, "evaluationError", GW_PROTO_K_STR, 0, NULL},
    {4, "denied", GW_PROTO_K_BOOL, 0, NULL},
};
S_MSG(SubjectAccessReviewStatus);
static const gw_proto_field_t s_f_SelfSubjectAccessReview[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_SelfSubjectAccessReviewSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_SubjectAccessReviewStatus},
};
S_MSG(SelfSubjectAccessReview);
static const gw_proto_field_t s_f_SelfSubjectRulesReviewSpec[] = {
    {1, "namespace", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(SelfSubjectRulesReviewSpec);
static const gw_proto_field_t s_f_ResourceRule[] = {
    {1, "verbs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "apiGroups", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {3, "resources", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {4, "resourceNames", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(ResourceRule);
static const gw_proto_field_t s_f_NonResourceRule[] = {
    {1, "verbs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "nonResourceURLs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(NonResourceRule);
static const gw_proto_field_t s_f_SubjectRulesReviewStatus[] = {
    {1, "resourceRules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_ResourceRule},
    {2, "nonResourceRules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_NonResourceRule},
    {3, "incomplete", GW_PROTO_K_BOOL, 0, NULL},
    {4, "evaluationError", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(SubjectRulesReviewStatus);
static const gw_proto_field_t s_f_SelfSubjectRulesReview[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_SelfSubjectRulesReviewSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_SubjectRulesReviewStatus},
};
S_MSG(SelfSubjectRulesReview);
static const gw_proto_field_t s_f_PolicyRule[] = {
    {1, "verbs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "apiGroups", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {3, "resources", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {4, "resourceNames", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {5, "nonResourceURLs", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
};
S_MSG(PolicyRule);
static const gw_proto_field_t s_f_Role[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "rules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PolicyRule},
};
S_MSG(Role);
static const gw_proto_field_t s_f_AggregationRule[] = {
    {1, "clusterRoleSelectors", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_LabelSelector},
};
S_MSG(AggregationRule);
static const gw_proto_field_t s_f_ClusterRole[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "rules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_PolicyRule},
    {3, "aggregationRule", GW_PROTO_K_MSG, 0, &s_m_AggregationRule},
};
S_MSG(ClusterRole);
static const gw_proto_field_t s_f_Subject[] = {
    {1, "kind", GW_PROTO_K_STR, 0, NULL},
    {2, "apiGroup", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
    {4, "namespace", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(Subject);
static const gw_proto_field_t s_f_RoleRef[] = {
    {1, "apiGroup", GW_PROTO_K_STR, 0, NULL},
    {2, "kind", GW_PROTO_K_STR, 0, NULL},
    {3, "name", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(RoleRef);
static const gw_proto_field_t s_f_RoleBinding[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "subjects", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Subject},
    {3, "roleRef", GW_PROTO_K_MSG, 0, &s_m_RoleRef},
};
S_MSG(RoleBinding);
static const gw_proto_field_t s_f_ClusterRoleBinding[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "subjects", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Subject},
    {3, "roleRef", GW_PROTO_K_MSG, 0, &s_m_RoleRef},
};
S_MSG(ClusterRoleBinding);
static const gw_proto_field_t s_f_PodDisruptionBudgetSpec[] = {
    {1, "minAvailable", GW_PROTO_K_INTSTR, GW_PROTO_KEEP0, NULL},
    {2, "selector", GW_PROTO_K_MSG, 0, &s_m_LabelSelector},
    {3, "maxUnavailable", GW_PROTO_K_INTSTR, GW_PROTO_KEEP0, NULL},
    {4, "unhealthyPodEvictionPolicy", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(PodDisruptionBudgetSpec);
static const gw_proto_field_t s_f_PodDisruptionBudgetStatus[] = {
    {1, "observedGeneration", GW_PROTO_K_I64, 0, NULL},
    {2, "disruptedPods", GW_PROTO_K_TIME, GW_PROTO_MAP, NULL},
    {3, "disruptionsAllowed", GW_PROTO_K_I32, 0, NULL},
    {4, "currentHealthy", GW_PROTO_K_I32, 0, NULL},
    {5, "desiredHealthy", GW_PROTO_K_I32, 0, NULL},
    {6, "expectedPods", GW_PROTO_K_I32, 0, NULL},
    {7, "conditions", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_Condition},
};
S_MSG(PodDisruptionBudgetStatus);
static const gw_proto_field_t s_f_PodDisruptionBudget[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_PodDisruptionBudgetSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_PodDisruptionBudgetStatus},
};
S_MSG(PodDisruptionBudget);
static const gw_proto_field_t s_f_Preconditions[] = {
    {1, "uid", GW_PROTO_K_STR, 0, NULL},
    {2, "resourceVersion", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(Preconditions);
static const gw_proto_field_t s_f_DeleteOptions[] = {
    {1, "gracePeriodSeconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {2, "preconditions", GW_PROTO_K_MSG, 0, &s_m_Preconditions},
    {3, "orphanDependents", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
    {4, "propagationPolicy", GW_PROTO_K_STR, 0, NULL},
    {5, "dryRun", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {6, "ignoreStoreReadErrorWithClusterBreakingPotential", GW_PROTO_K_BOOL, GW_PROTO_KEEP0, NULL},
};
S_MSG(DeleteOptions);
static const gw_proto_field_t s_f_Eviction[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "deleteOptions", GW_PROTO_K_MSG, 0, &s_m_DeleteOptions},
};
S_MSG(Eviction);
static const gw_proto_field_t s_f_ServiceBackendPort[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "number", GW_PROTO_K_I32, 0, NULL},
};
S_MSG(ServiceBackendPort);
static const gw_proto_field_t s_f_IngressServiceBackend[] = {
    {1, "name", GW_PROTO_K_STR, 0, NULL},
    {2, "port", GW_PROTO_K_MSG, 0, &s_m_ServiceBackendPort},
};
S_MSG(IngressServiceBackend);
static const gw_proto_field_t s_f_IngressBackend[] = {
    {3, "resource", GW_PROTO_K_MSG, 0, &s_m_TypedLocalObjectReference},
    {4, "service", GW_PROTO_K_MSG, 0, &s_m_IngressServiceBackend},
};
S_MSG(IngressBackend);
static const gw_proto_field_t s_f_IngressTLS[] = {
    {1, "hosts", GW_PROTO_K_STR, GW_PROTO_REP, NULL},
    {2, "secretName", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(IngressTLS);
static const gw_proto_field_t s_f_HTTPIngressPath[] = {
    {1, "path", GW_PROTO_K_STR, 0, NULL},
    {2, "backend", GW_PROTO_K_MSG, 0, &s_m_IngressBackend},
    {3, "pathType", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(HTTPIngressPath);
static const gw_proto_field_t s_f_HTTPIngressRuleValue[] = {
    {1, "paths", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_HTTPIngressPath},
};
S_MSG(HTTPIngressRuleValue);
static const gw_proto_field_t s_f_IngressRuleValue[] = {
    {1, "http", GW_PROTO_K_MSG, 0, &s_m_HTTPIngressRuleValue},
};
S_MSG(IngressRuleValue);
static const gw_proto_field_t s_f_IngressRule[] = {
    {1, "host", GW_PROTO_K_STR, 0, NULL},
    {2, "ingressRuleValue", GW_PROTO_K_MSG, GW_PROTO_INLINE, &s_m_IngressRuleValue},
};
S_MSG(IngressRule);
static const gw_proto_field_t s_f_IngressSpec[] = {
    {1, "defaultBackend", GW_PROTO_K_MSG, 0, &s_m_IngressBackend},
    {2, "tls", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_IngressTLS},
    {3, "rules", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_IngressRule},
    {4, "ingressClassName", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(IngressSpec);
static const gw_proto_field_t s_f_IngressPortStatus[] = {
    {1, "port", GW_PROTO_K_I32, 0, NULL},
    {2, "protocol", GW_PROTO_K_STR, 0, NULL},
    {3, "error", GW_PROTO_K_STR, 0, NULL},
};
S_MSG(IngressPortStatus);
static const gw_proto_field_t s_f_IngressLoadBalancerIngress[] = {
    {1, "ip", GW_PROTO_K_STR, 0, NULL},
    {2, "hostname", GW_PROTO_K_STR, 0, NULL},
    {4, "ports", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_IngressPortStatus},
};
S_MSG(IngressLoadBalancerIngress);
static const gw_proto_field_t s_f_IngressLoadBalancerStatus[] = {
    {1, "ingress", GW_PROTO_K_MSG, GW_PROTO_REP, &s_m_IngressLoadBalancerIngress},
};
S_MSG(IngressLoadBalancerStatus);
static const gw_proto_field_t s_f_IngressStatus[] = {
    {1, "loadBalancer", GW_PROTO_K_MSG, 0, &s_m_IngressLoadBalancerStatus},
};
S_MSG(IngressStatus);
static const gw_proto_field_t s_f_Ingress[] = {
    {1, "metadata", GW_PROTO_K_MSG, 0, &s_m_ObjectMeta},
    {2, "spec", GW_PROTO_K_MSG, 0, &s_m_IngressSpec},
    {3, "status", GW_PROTO_K_MSG, 0, &s_m_IngressStatus},
};
S_MSG(Ingress);
typedef struct {
    const char *api_version;
    const char *kind;
    const gw_proto_msg_t *msg;
} s_root_t;

/* The kinds kubectl 1.32 sends as protobuf (typed clients), by apiVersion and kind. */
static const s_root_t s_roots[] = {
    {"v1", "Namespace", &s_m_Namespace},
    {"v1", "ConfigMap", &s_m_ConfigMap},
    {"v1", "Secret", &s_m_Secret},
    {"v1", "ServiceAccount", &s_m_ServiceAccount},
    {"v1", "Service", &s_m_Service},
    {"v1", "ResourceQuota", &s_m_ResourceQuota},
    {"apps/v1", "Deployment", &s_m_Deployment},
    {"batch/v1", "Job", &s_m_Job},
    {"batch/v1", "CronJob", &s_m_CronJob},
    {"scheduling.k8s.io/v1", "PriorityClass", &s_m_PriorityClass},
    {"authentication.k8s.io/v1", "TokenRequest", &s_m_TokenRequest},
    {"authentication.k8s.io/v1", "SelfSubjectReview", &s_m_SelfSubjectReview},
    {"authorization.k8s.io/v1", "SelfSubjectAccessReview", &s_m_SelfSubjectAccessReview},
    {"authorization.k8s.io/v1", "SelfSubjectRulesReview", &s_m_SelfSubjectRulesReview},
    {"rbac.authorization.k8s.io/v1", "Role", &s_m_Role},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", &s_m_ClusterRole},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", &s_m_RoleBinding},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &s_m_ClusterRoleBinding},
    {"policy/v1", "PodDisruptionBudget", &s_m_PodDisruptionBudget},
    {"policy/v1", "Eviction", &s_m_Eviction},
    {"networking.k8s.io/v1", "Ingress", &s_m_Ingress},
};
/* clang-format on */

const gw_proto_msg_t *gw_proto_types_root(const char *api_version, const char *kind)
{
    for (size_t i = 0; i < GW_PROTO_LEN(s_roots); i++)
        if (!strcmp(s_roots[i].api_version, api_version) && !strcmp(s_roots[i].kind, kind))
            return s_roots[i].msg;
    return NULL;
}

const gw_proto_field_t *gw_proto_types_field(const gw_proto_msg_t *msg, uint64_t num)
{
    /* Rows ascend by number (the selftest checks it), so halve the range. */
    size_t lo = 0, hi = msg->fields_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (msg->fields[mid].num == num) return &msg->fields[mid];
        if (msg->fields[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
