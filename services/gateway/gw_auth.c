/* gw_auth: who is asking. Bearer tokens from DIR/tokens.csv, in kube-apiserver's static token
 * file format (token,user,uid,"group1,group2"). Only a hash of each token is kept, and lookups go
 * by hash, so comparing never leaks a token's bytes through timing. The health and version
 * endpoints are open to everyone (as kube-apiserver's system:public-info-viewer); everything else
 * needs a token: no token, or an unknown one, gets 401. Authorization (RBAC) is not here. */
#include "gw.h"

#include "bus_log.h"
#include "gw_sa.h"
#include "kube_time.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define S_TOKENS_MAX 10000

static void s_hash(const char *token, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

/* Splits one CSV line into at most max fields (double quotes group commas). */
static int s_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        char *out = p;
        fields[n++] = out;
        bool quoted = false;
        for (; *p && (quoted || *p != ','); p++) {
            if (*p == '"') {
                quoted = !quoted;
                continue;
            }
            *out++ = *p;
        }
        if (*p == ',') p++;
        *out = 0;
    }
    return n;
}

static int s_add(gw_t *gw, char *line, int lineno, char *err, size_t errlen)
{
    line[strcspn(line, "\r\n")] = 0;
    if (!*line || *line == '#') return 0;
    char *f[4] = {0};
    int n = s_csv(line, f, 4);
    if (n < 2 || !*f[0] || !*f[1]) {
        snprintf(err, errlen, "tokens.csv line %d: want token,user[,uid[,\"groups\"]]", lineno);
        return -1;
    }
    if (json_object_size(gw->tokens) >= S_TOKENS_MAX) {
        snprintf(err, errlen, "tokens.csv: more than %d tokens", S_TOKENS_MAX);
        return -1;
    }
    json_t *groups = json_array();
    for (char *g = n > 3 ? strtok(f[3], ",") : NULL; g; g = strtok(NULL, ","))
        json_array_append_new(groups, json_string(g));
    char hex[65];
    s_hash(f[0], hex);
    sodium_memzero(f[0], strlen(f[0]));
    json_object_set_new(
        gw->tokens, hex,
        json_pack("{s:s, s:s, s:o}", "user", f[1], "uid", n > 2 ? f[2] : "", "groups", groups));
    return 0;
}

static struct timespec s_mtime; /* of the tokens file as last read */

static int s_stat(const char *path, struct timespec *t)
{
    struct stat st;
    if (stat(path, &st)) return -1;
    *t = st.st_mtim;
    return 0;
}

int gw_auth_load(gw_t *gw, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tokens.csv", gw->dir);
    s_stat(path, &s_mtime);
    json_decref(gw->tokens);
    gw->tokens = json_object();
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) {
            log_info("gateway.auth",
                     "tokens=0 detail=\"no %s: every request needs a token, "
                     "none is known\"",
                     path);
            return 0;
        }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) rc = s_add(gw, line, ++lineno, err, errlen);
    sodium_memzero(line, sizeof line);
    fclose(f);
    if (!rc) log_info("gateway.auth", "tokens=%zu", json_object_size(gw->tokens));
    return rc;
}

/* Reads the tokens file again when it changed (called once a second): tokens are added or
 * revoked without a restart. A file that no longer reads keeps the tokens known before. */
void gw_auth_refresh(gw_t *gw)
{
    char path[4096], err[512];
    struct timespec t = {0};
    snprintf(path, sizeof path, "%s/tokens.csv", gw->dir);
    if (s_stat(path, &t) || (t.tv_sec == s_mtime.tv_sec && t.tv_nsec == s_mtime.tv_nsec)) return;
    json_t *old = json_incref(gw->tokens);
    if (gw_auth_load(gw, err, sizeof err)) {
        log_error("gateway.auth", "error=\"%s\" detail=\"kept the tokens known before\"", err);
        json_decref(gw->tokens);
        gw->tokens = old;
        return;
    }
    json_decref(old);
}

static bool s_public(const char *path)
{
    static const char *const open[] = {"/healthz", "/livez", "/readyz", "/version", NULL};
    for (int i = 0; open[i]; i++) {
        size_t n = strlen(open[i]);
        if (strncmp(path, open[i], n) == 0 && (path[n] == 0 || path[n] == '/')) return true;
    }
    return false;
}

int gw_auth(gw_req_t *req)
{
    const char *h = gw_header(req, "Authorization");
    json_t *who = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        const char *token = h + 7;
        while (*token == ' ') token++;
        char hex[65];
        s_hash(token, hex);
        who = json_object_get(req->gw->tokens, hex);
    }
    if (!who && h && strncasecmp(h, "Bearer ", 7) == 0) {
        /* A service account's token? */
        const char *token = h + 7;
        while (*token == ' ') token++;
        char why[256] = "";
        int rc = gw_sa_verify(token, kube_time_now(), &req->user, why, sizeof why);
        if (rc == -2 && !gw_authz_loaded()) {
            gw_fail(req, 503, "ServiceUnavailable", NULL,
                    "the service accounts are not loaded yet; try again shortly");
            return -1;
        }
        if (rc < 0) log_debug("gateway.auth", "refused=service-account why=\"%s\"", why);
        if (rc == 1) {
            snprintf(req->user.groups[req->user.groups_n++], sizeof req->user.groups[0],
                     "system:authenticated");
            return gw_sa_bound_check(req, gw_api_handle);
        }
    }
    if (!who) {
        if (s_public(req->path)) {
            snprintf(req->user.name, sizeof req->user.name, "system:anonymous");
            snprintf(req->user.groups[0], sizeof req->user.groups[0], "system:unauthenticated");
            req->user.groups_n = 1;
            return 0;
        }
        gw_fail(req, 401, "Unauthorized", NULL, "Unauthorized");
        return -1;
    }
    snprintf(req->user.name, sizeof req->user.name, "%s",
             json_string_value(json_object_get(who, "user")));
    const char *uid = json_string_value(json_object_get(who, "uid"));
    snprintf(req->user.uid, sizeof req->user.uid, "%s", uid ? uid : "");
    size_t i;
    json_t *g;
    req->user.groups_n = 0;
    json_array_foreach(json_object_get(who, "groups"), i, g)
    {
        if (req->user.groups_n >= GW_USER_GROUPS - 1) break; /* one left for system:authenticated */
        snprintf(req->user.groups[req->user.groups_n++], sizeof req->user.groups[0], "%s",
                 json_string_value(g));
    }
    snprintf(req->user.groups[req->user.groups_n++], sizeof req->user.groups[0],
             "system:authenticated");
    return 0;
}
