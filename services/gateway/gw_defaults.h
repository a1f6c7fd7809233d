/* gw_defaults: the computed defaults (defaultFn) of the kind descriptions, as kube-apiserver's
 * SetDefaults_* functions compute them. Semantics of each fn: the header comment of the
 * schemas/kube/NAME.yaml that introduces it (upstream pkg/apis/{apps,batch,core,rbac}/v1,
 * v1.32). Not the static `default:` values, which the schema walker (gw_object.c) sets itself. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Applies defaultFn fn to field `field` of `parent` (the JSON object that holds, or should hold,
 * the field; the field is absent or null when this is called), with `root` the whole object (some
 * defaults depend on other parts of it, e.g. a Pod's hostNetwork for container ports). Sets
 * parent[field] when the default applies; leaves it absent otherwise. Returns false when fn is not
 * known (the caller logs it once), true otherwise.
 *
 * What a fn sets is what upstream sets at that level: rolling_update and sts_rolling_update set
 * `{}` and the caller's recursion then gives its fields their static defaults; empty_dir_volume
 * sets `{}`; session_affinity_config sets {"clientIP": {"timeoutSeconds": 10800}}.
 *
 * Order: the caller visits an object's fields sorted by name, so a sibling with a static default
 * may still be unset; each fn reads such a sibling as its default would make it (strategy type
 * "" = RollingUpdate, Service type "" = ClusterIP, sessionAffinity "" = None). sts_rolling_update
 * needs updateStrategy.type as the request had it; it gets that because "rollingUpdate" sorts
 * before "type" (the static default is not yet set). job_default_completions needs parallelism as
 * requested ("completions" sorts first); job_parallelism also sets completions to 1 when both are
 * unset, so the pair comes out right in either order.
 *
 * A fn may also be called with the field present: it then does what upstream does to a present
 * value (an empty string or 0 counts as unset where upstream tests for "" or 0: targetPort,
 * hostPort, imagePullPolicy, pullPolicy, externalTrafficPolicy, status, apiGroup; requests gets
 * the limits it lacks; sessionAffinityConfig is completed when partial and removed when affinity
 * is None) and otherwise leaves it. Never crashes on mistyped JSON; out of memory aborts. */
bool gw_default_fn(const char *fn, json_t *parent, const char *field, const json_t *root);

/* How many fns are known (the selftest checks that it names them all). */
size_t gw_default_fns_n(void);

/* Asserts every fn of the kind descriptions is known and its effect on realistic objects;
 * verbose prints each case. */
void gw_defaults_test(bool verbose);
