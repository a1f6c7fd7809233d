/* gw_alloc: what kube-apiserver's Service registry allocates, and frees: a cluster IP from the
 * service range (10.96.0.0/12; 10.96.0.1 is kept for the API's own "kubernetes" Service, and the
 * first 256 addresses for IPs that clients choose, as its static subrange) and node ports
 * (30000-32767, the first 86 likewise) for NodePort and LoadBalancer Services. Each allocation is
 * a key of its own, claimed in the Service's own transaction under an "absent" compare, so two
 * gateways never hand out one address and a Service never exists without what it holds:
 * /registry/ipaddresses/<ip> (an IPAddress naming its Service, as networking.k8s.io keeps them)
 * and /registry/servicenodeports/<port>. A delete frees them in the same transaction. */
#include "gw_rest_impl.h"

#include "kube_obj.h"
#include "kube_valid.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NET        0x0A600000u /* 10.96.0.0 */
#define S_NET_SIZE   (1u << 20)  /* a /12 */
#define S_IP_STATIC  256         /* 10.96.0.0-10.96.0.255: for IPs clients ask for */
#define S_PORT_MIN   30000
#define S_PORT_MAX   32767
#define S_PORT_FIXED 86 /* 30000-30085: for ports clients ask for */
#define S_IP_PREFIX  "/registry/ipaddresses/"
#define S_NP_PREFIX  "/registry/servicenodeports/"

bool gw_alloc_wanted(const kube_kind_t *kind)
{
    return !*kind->group && !strcmp(kind->plural, "services");
}

void gw_alloc_clear(gw_alloc_t *a)
{
    for (int i = 0; i < a->n; i++) json_decref(a->values[i]);
    memset(a, 0, sizeof *a);
}

static const char *s_type(const json_t *svc)
{
    const char *t = json_string_value(json_object_get(json_object_get(svc, "spec"), "type"));
    return t && *t ? t : "ClusterIP";
}

static bool s_wants_node_ports(const json_t *svc)
{
    const char *t = s_type(svc);
    const json_t *alloc =
        json_object_get(json_object_get(svc, "spec"), "allocateLoadBalancerNodePorts");
    return !strcmp(t, "NodePort") || (!strcmp(t, "LoadBalancer") && !json_is_false(alloc));
}

static const char *s_cluster_ip(const json_t *svc)
{
    const json_t *spec = json_object_get(svc, "spec");
    const char *ip = json_string_value(json_array_get(json_object_get(spec, "clusterIPs"), 0));
    if (!ip) ip = json_string_value(json_object_get(spec, "clusterIP"));
    return ip ? ip : "";
}

static bool s_holds_ip(const char *ip)
{
    return *ip && strcmp(ip, "None");
}

/* The node port a Service had for the same port (number and protocol), or 0. */
static json_int_t s_old_node_port(const json_t *old, const json_t *port)
{
    size_t i;
    json_t *p;
    const char *proto = json_string_value(json_object_get(port, "protocol"));
    json_array_foreach(json_object_get(json_object_get(old, "spec"), "ports"), i, p)
    {
        const char *op = json_string_value(json_object_get(p, "protocol"));
        if (json_integer_value(json_object_get(p, "port")) ==
                json_integer_value(json_object_get(port, "port")) &&
            !strcmp(op ? op : "TCP", proto ? proto : "TCP"))
            return json_integer_value(json_object_get(p, "nodePort"));
    }
    return 0;
}

/* Whether old holds node port np. */
static bool s_old_holds(const json_t *old, json_int_t np)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(json_object_get(old, "spec"), "ports"), i, p)
    {
        if (json_integer_value(json_object_get(p, "nodePort")) == np) return true;
    }
    return false;
}

static bool s_claimed(const gw_alloc_t *a, const char *key)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->keys[i], key)) return true;
    return false;
}

static void s_claim(gw_alloc_t *a, const char *key, json_t *value, const char *field,
                    const char *shown)
{
    if (a->n >= GW_ALLOC_MAX) { /* gw_alloc_service refuses before this */
        json_decref(value);
        return;
    }
    snprintf(a->keys[a->n], sizeof a->keys[0], "%s", key);
    snprintf(a->field[a->n], sizeof a->field[0], "%s", field ? field : "");
    snprintf(a->shown[a->n], sizeof a->shown[0], "%s", shown ? shown : "");
    a->values[a->n++] = value;
}

static void s_release(gw_alloc_t *a, const char *key)
{
    if (a->release_n < GW_ALLOC_MAX)
        snprintf(a->release[a->release_n++], sizeof a->release[0], "%s", key);
}

/* What an address's key holds: an IPAddress naming its Service, as networking.k8s.io/v1 has it. */
static json_t *s_ip_object(const char *ip, const char *ns, const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s, s:s, s:s, s:s}}}", "apiVersion",
                     "networking.k8s.io/v1", "kind", "IPAddress", "metadata", "name", ip, "spec",
                     "parentRef", "group", "", "resource", "services", "namespace", ns, "name",
                     name);
}

/* What a node port's key holds: the port and its Service. */
static json_t *s_port_object(json_int_t np, const char *ns, const char *name)
{
    return json_pack("{s:I, s:{s:s, s:s}}", "nodePort", np, "service", "namespace", ns, "name",
                     name);
}

/* The cluster IP: kept from old, asked for (in range), "None" (headless), or chosen here. */
static void s_ip(gw_alloc_t *a, json_t *svc, const json_t *old, const char *ns, const char *name,
                 kube_errs_t *errs)
{
    json_t *spec = json_object_get(svc, "spec");
    const char *had = s_cluster_ip(old);
    const char *one = json_string_value(json_object_get(spec, "clusterIP"));
    const char *first = json_string_value(json_array_get(json_object_get(spec, "clusterIPs"), 0));
    const char *want = one && *one ? one : first ? first : "";
    if (one && *one && first && *first && strcmp(one, first)) {
        if (*had && !strcmp(first, had)) { /* one of the two changed: that is the change */
            want = one;
        } else if (*had && !strcmp(one, had)) {
            want = first;
        } else {
            kube_errs_add(errs, "FieldValueInvalid", "spec.clusterIPs[0]",
                          "Invalid value: []string{\"%s\"}: must match `clusterIP`", first);
            return;
        }
    }
    char key[64], ip[INET_ADDRSTRLEN];
    if (!strcmp(s_type(svc), "ExternalName")) { /* a name, no address */
        if (s_holds_ip(had)) {
            snprintf(key, sizeof key, S_IP_PREFIX "%s", had);
            s_release(a, key);
        }
        json_object_del(spec, "clusterIP");
        json_object_del(spec, "clusterIPs");
        json_object_del(spec, "ipFamilies");
        json_object_del(spec, "ipFamilyPolicy");
        return;
    }
    if (*had && !*want) want = had; /* an update that leaves it out keeps it */
    if (*had && strcmp(want, had)) {
        kube_errs_add(errs, "FieldValueInvalid", "spec.clusterIPs[0]",
                      "Invalid value: []string{\"%s\"}: may not change once set", want);
        return;
    }
    if (*had || !strcmp(want, "None")) {
        snprintf(ip, sizeof ip, "%s", want);
    } else if (*want) {
        struct in_addr in;
        uint32_t h = inet_pton(AF_INET, want, &in) == 1 ? ntohl(in.s_addr) : 0;
        if ((h & ~(S_NET_SIZE - 1)) != S_NET || h == S_NET || h == S_NET + S_NET_SIZE - 1) {
            kube_errs_add(errs, "FieldValueInvalid", "spec.clusterIPs",
                          "Invalid value: []string{\"%s\"}: failed to allocate IP %s: the "
                          "provided IP (%s) is not in the valid range. The range of valid IPs "
                          "is 10.96.0.0/12",
                          want, want, want);
            return;
        }
        snprintf(ip, sizeof ip, "%s", want);
        snprintf(key, sizeof key, S_IP_PREFIX "%s", ip);
        char shown[96];
        snprintf(shown, sizeof shown, "[]string{\"%s\"}: failed to allocate IP %s", ip, ip);
        s_claim(a, key, s_ip_object(ip, ns, name), "spec.clusterIPs", shown);
    } else {
        uint32_t span = S_NET_SIZE - S_IP_STATIC - 1; /* the broadcast address left out */
        struct in_addr in = {.s_addr = htonl(S_NET + S_IP_STATIC + randombytes_uniform(span))};
        inet_ntop(AF_INET, &in, ip, sizeof ip);
        snprintf(key, sizeof key, S_IP_PREFIX "%s", ip);
        s_claim(a, key, s_ip_object(ip, ns, name), NULL, NULL);
    }
    json_object_set_new(spec, "clusterIP", json_string(ip));
    json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
    json_object_set_new(spec, "ipFamilies", json_pack("[s]", "IPv4"));
    json_object_set_new(spec, "ipFamilyPolicy", json_string("SingleStack"));
}

/* Node ports: kept from old for the same port, asked for (in range), or chosen here; the old
 * ones no port keeps are freed. */
static void s_node_ports(gw_alloc_t *a, json_t *svc, const json_t *old, const char *ns,
                         const char *name, kube_errs_t *errs)
{
    bool wants = s_wants_node_ports(svc), had = old && s_wants_node_ports(old);
    json_int_t kept[GW_ALLOC_MAX];
    int kept_n = 0;
    size_t i;
    json_t *p;
    char key[64], field[48];
    json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, p)
    {
        json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
        json_int_t was = had ? s_old_node_port(old, p) : 0;
        snprintf(field, sizeof field, "spec.ports[%zu].nodePort", i);
        if (!wants) {
            if (np && np != was)
                kube_errs_add(errs, "FieldValueForbidden", field,
                              "Forbidden: may not be used when `type` is '%s'", s_type(svc));
            json_object_del(p, "nodePort");
            continue;
        }
        if (!np) np = was;
        bool twice = false;
        for (int k = 0; k < kept_n; k++) twice = twice || kept[k] == np;
        if (np && twice) {
            kube_errs_add(errs, "FieldValueDuplicate", field,
                          "Duplicate value: %" JSON_INTEGER_FORMAT, np);
            continue;
        }
        if (np && had && s_old_holds(old, np)) { /* this Service's already, on any of its ports */
            if (kept_n < GW_ALLOC_MAX) kept[kept_n++] = np;
        } else if (np) {
            snprintf(key, sizeof key, S_NP_PREFIX "%" JSON_INTEGER_FORMAT, np);
            if (np < S_PORT_MIN || np > S_PORT_MAX) {
                kube_errs_add(errs, "FieldValueInvalid", field,
                              "Invalid value: %" JSON_INTEGER_FORMAT ": provided port is not in "
                              "the valid range. The range of valid ports is 30000-32767",
                              np);
                continue;
            }
            if (s_claimed(a, key)) {
                kube_errs_add(errs, "FieldValueDuplicate", field,
                              "Duplicate value: %" JSON_INTEGER_FORMAT, np);
                continue;
            }
            char shown[32];
            snprintf(shown, sizeof shown, "%" JSON_INTEGER_FORMAT, np);
            s_claim(a, key, s_port_object(np, ns, name), field, shown);
        } else {
            do {
                np = S_PORT_MIN + S_PORT_FIXED +
                     randombytes_uniform(S_PORT_MAX - S_PORT_MIN - S_PORT_FIXED + 1);
                snprintf(key, sizeof key, S_NP_PREFIX "%" JSON_INTEGER_FORMAT, np);
            } while (s_claimed(a, key));
            s_claim(a, key, s_port_object(np, ns, name), NULL, NULL);
        }
        json_object_set_new(p, "nodePort", json_integer(np));
    }
    json_array_foreach(json_object_get(json_object_get(old, "spec"), "ports"), i, p)
    {
        json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
        bool keep = false;
        for (int k = 0; k < kept_n; k++) keep = keep || kept[k] == np;
        if (!np || keep) continue;
        snprintf(key, sizeof key, S_NP_PREFIX "%" JSON_INTEGER_FORMAT, np);
        s_release(a, key);
    }
}

int gw_alloc_service(gw_req_t *req, gw_op_t *op, const json_t *old, gw_alloc_t *a)
{
    gw_alloc_clear(a);
    json_t *svc = op->obj;
    json_t *meta = json_object_get(svc, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    kube_errs_t *errs = kube_errs_new();
    if (json_array_size(json_object_get(json_object_get(svc, "spec"), "ports")) >= GW_ALLOC_MAX) {
        kube_errs_add(errs, "FieldValueTooMany", "spec.ports",
                      "Too many: %zu: must have at most %d items",
                      json_array_size(json_object_get(json_object_get(svc, "spec"), "ports")),
                      GW_ALLOC_MAX - 1);
    } else {
        if (!json_is_object(json_object_get(svc, "spec")))
            json_object_set_new(svc, "spec", json_object());
        s_ip(a, svc, old, op->t.ns, name ? name : "", errs);
        s_node_ports(a, svc, old, op->t.ns, name ? name : "", errs);
    }
    if (kube_errs_count(errs)) {
        gw_alloc_clear(a);
        gw_fail_invalid(req, "Service", "", name ? name : "", errs);
        kube_errs_destroy(&errs);
        return -1;
    }
    kube_errs_destroy(&errs);
    return 0;
}

void gw_alloc_held(const json_t *svc, gw_alloc_t *a)
{
    gw_alloc_clear(a);
    char key[64];
    const char *ip = s_cluster_ip(svc);
    if (s_holds_ip(ip) && strcmp(s_type(svc), "ExternalName")) {
        snprintf(key, sizeof key, S_IP_PREFIX "%s", ip);
        s_release(a, key);
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, p)
    {
        json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
        if (!np) continue;
        snprintf(key, sizeof key, S_NP_PREFIX "%" JSON_INTEGER_FORMAT, np);
        s_release(a, key);
    }
}
