/* cli_kube_http: the Kubernetes API client of the kubectl verbs: the kubeconfig, HTTPS requests
 * over libcurl (the cluster's CA, a bearer token never printed, streams for watch and logs),
 * Status errors worded as kubectl words them, and discovery (aggregated, else legacy) with
 * kubectl's resource name resolution. One invocation, one client: nothing is cached on disk. */
#include "cli.h"
#include "cli_kube.h"
#include "kube_yaml.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#define S_TIMEOUT_S     120 /* a request that is not a stream */
#define S_CONNECT_S     10
#define S_AGGREGATED    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define S_RESOURCES_MAX 4096

struct cli_kube_http_t {
    CURL *curl;
    char *server, *ns, *auth; /* auth: the whole "Authorization: Bearer ..." header line */
    int fds[3];               /* memfds holding the CA, the client certificate and its key */
    char errbuf[CURL_ERROR_SIZE];
    char *content_type; /* of the last answer */
    json_t *docs;       /* discovery documents, and strings the resources borrow */
    cli_kube_res_t *res;
    size_t res_n;
    bool discovered;
};

typedef struct {
    char *data;
    size_t len, cap;
    bool too_big;
} s_buf_t;

static bool s_buf_add(s_buf_t *b, const char *p, size_t n)
{
    if (b->len + n > CLI_KUBE_BODY_MAX) {
        b->too_big = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 16384;
        if (!(b->data = realloc(b->data, b->cap))) abort();
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return true;
}

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* --- the kubeconfig ------------------------------------------------------------------------ */

static char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    s_buf_t b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (!s_buf_add(&b, chunk, n)) break;
    bool bad = ferror(f) || b.too_big;
    fclose(f);
    if (bad) {
        free(b.data);
        errno = b.too_big ? EFBIG : EIO;
        return NULL;
    }
    *len = b.len;
    return b.data ? b.data : strdup("");
}

static const json_t *s_named(const json_t *list, const char *name, const char *field)
{
    size_t i;
    const json_t *e;
    json_array_foreach(
        list, i, e) if (name && !strcmp(s_str(e, "name"), name)) return json_object_get(e, field);
    return NULL;
}

/* A file curl can read holding data (a memfd: nothing on disk to clean up). -1 on failure. */
static int s_memfd(const void *data, size_t len, char *path, size_t pathlen)
{
    int fd = memfd_create("kubus-kubeconfig", MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

/* Sets the file option (CURLOPT_CAINFO...) from a kubeconfig's "-data" (base64) or path field;
 * a relative path is relative to the kubeconfig's folder. */
static int s_tls_file(cli_kube_http_t *self, int slot, CURLoption opt, const json_t *conf,
                      const char *field, const char *config_dir)
{
    char key[64], path[4200];
    snprintf(key, sizeof key, "%s-data", field);
    const char *b64 = s_str(conf, key), *file = s_str(conf, field);
    if (*b64) {
        size_t cap = strlen(b64), len = 0;
        unsigned char *raw = malloc(cap + 1);
        if (!raw) abort();
        int bad = sodium_base642bin(raw, cap, b64, cap, " \r\n", &len, NULL,
                                    sodium_base64_VARIANT_ORIGINAL);
        struct curl_blob blob = {raw, len, CURL_BLOB_COPY};
        if (!bad && opt == CURLOPT_CAINFO &&
            curl_easy_setopt(self->curl, CURLOPT_CAINFO_BLOB, &blob) == CURLE_OK) {
            free(raw);
            curl_easy_setopt(self->curl, CURLOPT_CAPATH, NULL);
            return 0;
        }
        /* GnuTLS builds of libcurl take no blobs: the bytes go in a memfd curl reads by path. */
        self->fds[slot] = bad ? -1 : s_memfd(raw, len, path, sizeof path);
        sodium_memzero(raw, cap);
        free(raw);
        if (self->fds[slot] < 0) return cli_fail("kubeconfig: %s is not usable", key);
    } else if (*file) {
        snprintf(path, sizeof path, "%s%s%s", file[0] == '/' ? "" : config_dir,
                 file[0] == '/' ? "" : "/", file);
    } else {
        return 0;
    }
    curl_easy_setopt(self->curl, opt, path);
    if (opt == CURLOPT_CAINFO) curl_easy_setopt(self->curl, CURLOPT_CAPATH, NULL);
    return 0;
}

static int s_credentials(cli_kube_http_t *self, const json_t *user, const char *dir)
{
    const char *token = s_str(user, "token"), *token_file = s_str(user, "tokenFile");
    char *from_file = NULL;
    size_t len = 0;
    if (!*token && *token_file) {
        if (!(from_file = s_read(token_file, &len)))
            return cli_fail("%s: %s", token_file, strerror(errno));
        while (len && isspace((unsigned char)from_file[len - 1])) from_file[--len] = 0;
        token = from_file;
    }
    if (*token) {
        size_t n = strlen(token) + 32;
        if (!(self->auth = malloc(n))) abort();
        snprintf(self->auth, n, "Authorization: Bearer %s", token);
    }
    if (from_file) {
        sodium_memzero(from_file, len);
        free(from_file);
    }
    if (s_tls_file(self, 1, CURLOPT_SSLCERT, user, "client-certificate", dir)) return 1;
    return s_tls_file(self, 2, CURLOPT_SSLKEY, user, "client-key", dir);
}

/* The context's cluster, user and namespace. 0, or 1 with the reason printed. */
static int s_configure(cli_kube_http_t *self, const json_t *conf, const char *context,
                       const char *dir)
{
    const char *name = context ? context : s_str(conf, "current-context");
    const json_t *ctx = s_named(json_object_get(conf, "contexts"), name, "context");
    if (!ctx) {
        fprintf(stderr,
                *name ? "error: context \"%s\" does not exist\n"
                      : "error: the kubeconfig names no current-context%s\n",
                name);
        return 1;
    }
    const json_t *cluster =
        s_named(json_object_get(conf, "clusters"), s_str(ctx, "cluster"), "cluster");
    const json_t *user = s_named(json_object_get(conf, "users"), s_str(ctx, "user"), "user");
    const char *server = s_str(cluster, "server");
    if (!*server) return cli_fail("kubeconfig: context \"%s\" has no cluster server", name);
    self->server = strdup(server);
    size_t n = strlen(self->server);
    while (n && self->server[n - 1] == '/') self->server[--n] = 0;
    self->ns = strdup(*s_str(ctx, "namespace") ? s_str(ctx, "namespace") : "default");
    if (!self->server || !self->ns) abort();
    if (json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"))) {
        curl_easy_setopt(self->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(self->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (s_tls_file(self, 0, CURLOPT_CAINFO, cluster, "certificate-authority", dir)) {
        return 1;
    }
    return s_credentials(self, user, dir);
}

static size_t s_header(char *p, size_t size, size_t n, void *arg);

static json_t *s_load_kubeconfig(const char *path)
{
    size_t len;
    char *text = s_read(path, &len), err[256];
    if (!text) {
        cli_fail("%s: %s (`kubus up` writes one; or pass --kubeconfig)", path, strerror(errno));
        return NULL;
    }
    json_t *conf = kube_yaml_decode((const uint8_t *)text, len, err, sizeof err);
    sodium_memzero(text, len);
    free(text);
    if (!json_is_object(conf)) {
        cli_fail("%s: not a kubeconfig%s%s", path, conf ? "" : ": ", conf ? "" : err);
        json_decref(conf);
        return NULL;
    }
    return conf;
}

cli_kube_http_t *cli_kube_http_new(const char *kubeconfig, const char *context)
{
    char path[4096], dir[4096];
    const char *env = getenv("KUBECONFIG");
    if (kubeconfig)
        snprintf(path, sizeof path, "%s", kubeconfig);
    else if (env && *env)
        snprintf(path, sizeof path, "%.*s", (int)strcspn(env, ":"), env); /* the first one */
    else
        snprintf(path, sizeof path, "%s/kubeconfig", cli_default_dir());
    json_t *conf = s_load_kubeconfig(path);
    if (!conf) return NULL;
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = 0; /* "/kubeconfig" is in "/" */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cli_kube_http_t *self = calloc(1, sizeof *self);
    if (!self || !(self->curl = curl_easy_init()) || !(self->docs = json_array())) abort();
    self->fds[0] = self->fds[1] = self->fds[2] = -1;
    CURL *c = self->curl;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, self->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)S_CONNECT_S);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kubus/1 (linux)");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, self);
    int rc = s_configure(self, conf, context, dir);
    json_decref(conf);
    if (rc) cli_kube_http_destroy(&self);
    return self;
}

void cli_kube_http_destroy(cli_kube_http_t **self_p)
{
    cli_kube_http_t *self = *self_p;
    if (!self) return;
    curl_easy_cleanup(self->curl);
    curl_global_cleanup();
    for (int i = 0; i < 3; i++)
        if (self->fds[i] >= 0) close(self->fds[i]);
    if (self->auth) sodium_memzero(self->auth, strlen(self->auth));
    free(self->auth);
    free(self->server);
    free(self->ns);
    free(self->content_type);
    free(self->res);
    json_decref(self->docs);
    free(self);
    *self_p = NULL;
}

const char *cli_kube_http_server(const cli_kube_http_t *self)
{
    return self->server;
}

const char *cli_kube_http_namespace(const cli_kube_http_t *self)
{
    return self->ns;
}

/* --- requests ------------------------------------------------------------------------------ */

/* Prints the texts of `Warning: 299 - "text"` headers as kubectl does ("Warning: text"). */
static size_t s_header(char *p, size_t size, size_t n, void *arg)
{
    size_t len = size * n;
    if (len < 9 || strncasecmp(p, "Warning:", 8) != 0) return len;
    const char *q = memchr(p, '"', len), *end = p + len;
    if (!q) return len;
    fputs("Warning: ", stderr);
    for (q++; q < end && *q != '"'; q++) {
        if (*q == '\\' && q + 1 < end) q++;
        fputc(*q, stderr);
    }
    fputc('\n', stderr);
    return len;
}

static void s_headers_free(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i; i = i->next) sodium_memzero(i->data, strlen(i->data));
    curl_slist_free_all(h);
}

/* One request; the answer's bytes go to write(arg). The HTTP status, or -1 (printed). */
static long s_perform(cli_kube_http_t *self, const char *method, const char *path,
                      const char *accept, const char *content_type, const char *body,
                      curl_write_callback write, void *arg, bool stream)
{
    CURL *c = self->curl;
    char *url = NULL, line[512];
    size_t url_len;
    FILE *f = open_memstream(&url, &url_len);
    if (!f) abort();
    fprintf(f, "%s%s", self->server, path);
    fclose(f);
    struct curl_slist *h = NULL;
    snprintf(line, sizeof line, "Accept: %s", accept ? accept : "application/json");
    h = curl_slist_append(h, line);
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        h = curl_slist_append(h, line);
    }
    if (self->auth) h = curl_slist_append(h, self->auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL); /* the last request's body is gone */
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, stream ? 0L : (long)S_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, arg);
    self->errbuf[0] = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    s_headers_free(h);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    free(self->content_type);
    self->content_type = ct ? strdup(ct) : NULL;
    if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR) {
        cli_fail("cannot reach the API at %s: %s", self->server,
                 self->errbuf[0] ? self->errbuf : curl_easy_strerror(rc));
        status = -1;
    }
    free(url);
    return status;
}

static size_t s_collect(char *p, size_t size, size_t n, void *arg)
{
    return s_buf_add(arg, p, size * n) ? size * n : 0;
}

/* The Status kubectl makes of an error answer that carries none (client-go's
 * newUnstructuredResponseError). */
static json_t *s_status_of(long code, const char *body, size_t len)
{
    json_t *doc = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (json_is_object(doc) && !strcmp(s_str(doc, "kind"), "Status")) return doc;
    json_decref(doc);
    static const struct {
        long code;
        const char *reason, *message;
    } known[] = {
        {400, "BadRequest", "the server rejected our request for an unknown reason"},
        {401, "Unauthorized", "the server has asked for the client to provide credentials"},
        {403, "Forbidden", "the server does not allow access to the requested resource"},
        {404, "NotFound", "the server could not find the requested resource"},
        {405, "MethodNotAllowed",
         "the server does not allow this method on the requested "
         "resource"},
        {409, "Conflict", "the server reported a conflict"},
        {413, "RequestEntityTooLarge",
         "the server has rejected the request because the "
         "request body is too large"},
        {415, "UnsupportedMediaType", "the server does not support the request's media type"},
        {422, "Invalid", "the server rejected our request due to an error in our request"},
        {429, "TooManyRequests",
         "the server has received too many requests and has asked us "
         "to try again later"},
        {503, "ServiceUnavailable", "the server is currently unable to handle the request"},
        {504, "Timeout",
         "the server was unable to return a response in the time allotted, but "
         "may still be processing the request"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].code == code)
            return json_pack("{s:s, s:s, s:s, s:I}", "kind", "Status", "reason", known[i].reason,
                             "message", known[i].message, "code", (json_int_t)code);
    char msg[512];
    int shown = body ? (int)strcspn(body, "\n") : 0;
    snprintf(msg, sizeof msg,
             "an error on the server (\"%.*s\") has prevented the request from "
             "succeeding",
             shown > 200 ? 200 : shown, body ? body : "");
    return json_pack("{s:s, s:s, s:s, s:I}", "kind", "Status", "reason", "InternalError", "message",
                     msg, "code", (json_int_t)code);
}

int cli_kube_http_call(cli_kube_http_t *self, const char *method, const char *path,
                       const char *accept, const char *content_type, const char *body, json_t **out)
{
    s_buf_t b = {0};
    *out = NULL;
    long status = s_perform(self, method, path, accept, content_type, body, s_collect, &b, false);
    if (b.too_big) {
        status = -1;
        cli_fail("the answer to %s %s is larger than %zu MiB", method, path,
                 CLI_KUBE_BODY_MAX >> 20);
    }
    json_error_t e;
    if (status >= 300) {
        *out = s_status_of(status, b.data, b.len);
    } else if (status > 0 && b.data && !(*out = json_loadb(b.data, b.len, 0, &e)) &&
               self->content_type && strstr(self->content_type, "json")) {
        cli_fail("the answer to %s %s is not JSON: %s", method, path, e.text);
        status = -1;
    }
    free(b.data);
    return (int)status;
}

int cli_kube_http_json(cli_kube_http_t *self, const char *method, const char *path,
                       const json_t *body, const char *content_type, json_t **out)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (body && !text) abort();
    int status = cli_kube_http_call(
        self, method, path, "application/json",
        body ? (content_type ? content_type : "application/json") : NULL, text, out);
    free(text);
    return status;
}

typedef struct {
    CURL *curl;
    bool lines;
    cli_kube_stream_fn fn;
    void *arg;
    s_buf_t buf; /* a partial line, or an error answer */
    long status;
} s_stream_t;

static size_t s_stream_write(char *p, size_t size, size_t n, void *arg)
{
    s_stream_t *s = arg;
    size_t len = size * n;
    if (!s->status) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status < 300 && !s->lines) return s->fn(s->arg, p, len) ? 0 : len;
    if (!s_buf_add(&s->buf, p, len)) return 0;
    if (s->status >= 300) return len;
    char *start = s->buf.data, *nl;
    while ((nl = memchr(start, '\n', s->buf.len - (size_t)(start - s->buf.data)))) {
        *nl = 0;
        if (s->fn(s->arg, start, (size_t)(nl - start))) return 0;
        start = nl + 1;
    }
    s->buf.len -= (size_t)(start - s->buf.data);
    memmove(s->buf.data, start, s->buf.len + 1);
    return len;
}

int cli_kube_http_stream(cli_kube_http_t *self, const char *path, const char *accept, bool lines,
                         cli_kube_stream_fn fn, void *arg, json_t **err)
{
    s_stream_t s = {.curl = self->curl, .lines = lines, .fn = fn, .arg = arg};
    *err = NULL;
    long status = s_perform(self, "GET", path, accept, NULL, NULL, s_stream_write, &s, true);
    if (s.buf.too_big) {
        cli_fail("a line of the answer to GET %s is larger than %zu MiB", path,
                 CLI_KUBE_BODY_MAX >> 20);
        status = -1;
    } else if (status >= 300) {
        *err = s_status_of(status, s.buf.data, s.buf.len);
    } else if (status > 0 && s.buf.len) {
        fn(arg, s.buf.data, s.buf.len); /* the last line had no newline */
    }
    free(s.buf.data);
    return (int)status;
}

char *cli_kube_http_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0), *copy = e ? strdup(e) : NULL;
    if (!copy) abort();
    curl_free(e);
    return copy;
}

/* --- errors -------------------------------------------------------------------------------- */

/* kubectl's checkErr for 422 Invalid: the kind and name from the details, then the causes. */
static void s_print_invalid(const json_t *st, const char *message)
{
    const json_t *details = json_object_get(st, "details"), *causes;
    causes = json_object_get(details, "causes");
    const char *kind = s_str(details, "kind"), *name = s_str(details, "name");
    if (!json_is_object(details)) {
        fprintf(stderr, "The request is invalid%s%s\n", *message ? ": " : "", message);
        return;
    }
    if (*kind || *name)
        fprintf(stderr, "The %s \"%s\" is invalid", kind, name);
    else
        fprintf(stderr, "The request is invalid%s%s",
                *message && !json_array_size(causes) ? ": " : "",
                json_array_size(causes) ? "" : message);
    size_t n = json_array_size(causes), i;
    const json_t *c;
    if (n == 0) fputc('\n', stderr);
    if (n == 1)
        fprintf(stderr, ": %s: %s\n", s_str(json_array_get(causes, 0), "field"),
                s_str(json_array_get(causes, 0), "message"));
    if (n > 1) {
        fputs(": \n", stderr);
        json_array_foreach(causes, i, c)
            fprintf(stderr, "* %s: %s\n", s_str(c, "field"), s_str(c, "message"));
    }
}

int cli_kube_status_print(const json_t *status, const char *when)
{
    const char *reason = s_str(status, "reason"), *message = s_str(status, "message");
    char *full = NULL;
    if (when) {
        size_t n = strlen(when) + strlen(message) + 32;
        if (!(full = malloc(n))) abort();
        snprintf(full, n, "error when %s: %s", when, message);
        message = full;
    }
    long code = (long)json_integer_value(json_object_get(status, "code"));
    if (!strcmp(reason, "Unauthorized") || code == 401)
        fprintf(stderr, "error: You must be logged in to the server (%s)\n",
                *message ? message : "Unauthorized");
    else if (!strcmp(reason, "Invalid"))
        s_print_invalid(status, message);
    else if (*reason)
        fprintf(stderr, "Error from server (%s): %s\n", reason, message);
    else
        fprintf(stderr, "Error from server: %s\n", message);
    free(full);
    return 1;
}

/* --- discovery ----------------------------------------------------------------------------- */

static const char *s_keep(cli_kube_http_t *self, const char *s)
{
    json_t *j = json_string(s);
    if (!j) abort();
    json_array_append_new(self->docs, j);
    return json_string_value(j);
}

static const json_t *s_array(cli_kube_http_t *self, const json_t *a)
{
    if (json_is_array(a)) return a;
    json_t *empty = json_array();
    json_array_append_new(self->docs, empty);
    return empty;
}

static void s_add(cli_kube_http_t *self, const char *group, const char *version, const json_t *r,
                  const char *kind, bool namespaced, const char *singular)
{
    if (self->res_n == S_RESOURCES_MAX || !*kind) return;
    if (!(self->res_n % 64) &&
        !(self->res = realloc(self->res, (self->res_n + 64) * sizeof *self->res)))
        abort();
    char lower[256];
    if (!*singular) { /* kubectl derives it from the kind */
        snprintf(lower, sizeof lower, "%s", kind);
        for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
        singular = s_keep(self, lower);
    }
    const char *name = *s_str(r, "resource") ? s_str(r, "resource") : s_str(r, "name");
    self->res[self->res_n++] = (cli_kube_res_t){
        .group = group,
        .version = version,
        .name = name,
        .singular = singular,
        .kind = kind,
        .namespaced = namespaced,
        .short_names = s_array(self, json_object_get(r, "shortNames")),
        .categories = s_array(self, json_object_get(r, "categories")),
        .verbs = s_array(self, json_object_get(r, "verbs")),
    };
}

static void s_add_aggregated(cli_kube_http_t *self, const json_t *doc)
{
    size_t i, j;
    const json_t *g, *r;
    json_array_foreach(json_object_get(doc, "items"), i, g)
    {
        const char *group = s_str(json_object_get(g, "metadata"), "name");
        const json_t *v = json_array_get(json_object_get(g, "versions"), 0); /* preferred */
        json_array_foreach(json_object_get(v, "resources"), j, r)
        {
            const json_t *rk = json_object_get(r, "responseKind");
            s_add(self, group, s_str(v, "version"), r, s_str(rk, "kind"),
                  !strcmp(s_str(r, "scope"), "Namespaced"), s_str(r, "singularResource"));
        }
    }
}

/* A legacy APIResourceList for group/version (subresources, "pods/log", are left out). */
static int s_add_legacy_gv(cli_kube_http_t *self, const char *group, const char *version)
{
    char path[512];
    snprintf(path, sizeof path, *group ? "/apis/%s/%s" : "/api%s/%s", group, version);
    json_t *doc;
    int status = cli_kube_http_call(self, "GET", path, NULL, NULL, NULL, &doc);
    if (status != 200) {
        if (status > 0) cli_kube_status_print(doc, NULL);
        json_decref(doc);
        return -1;
    }
    json_array_append_new(self->docs, doc);
    group = s_keep(self, group);
    version = s_keep(self, version);
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(doc, "resources"), i, r) if (!strchr(s_str(r, "name"), '/'))
        s_add(self, group, version, r, s_str(r, "kind"),
              json_is_true(json_object_get(r, "namespaced")), s_str(r, "singularName"));
    return 0;
}

static int s_add_legacy(cli_kube_http_t *self, const json_t *doc, bool core)
{
    size_t i;
    const json_t *g;
    if (core) {
        const char *v = json_string_value(json_array_get(json_object_get(doc, "versions"), 0));
        return v ? s_add_legacy_gv(self, "", v) : 0;
    }
    json_array_foreach(json_object_get(doc, "groups"), i, g)
    {
        const char *gv = s_str(json_object_get(g, "preferredVersion"), "groupVersion");
        const char *slash = strchr(gv, '/');
        char group[256];
        snprintf(group, sizeof group, "%.*s", slash ? (int)(slash - gv) : 0, gv);
        if (slash && s_add_legacy_gv(self, group, slash + 1)) return -1;
    }
    return 0;
}

const cli_kube_res_t *cli_kube_http_resources(cli_kube_http_t *self, size_t *n)
{
    for (int i = 0; i < 2 && !self->discovered; i++) {
        json_t *doc;
        const char *path = i ? "/apis" : "/api";
        int status = cli_kube_http_call(self, "GET", path, S_AGGREGATED ",application/json", NULL,
                                        NULL, &doc);
        if (status != 200 || !json_is_object(doc)) {
            if (status > 0) cli_kube_status_print(doc, NULL);
            if (status == 200) cli_fail("GET %s: the answer is not JSON", path);
            json_decref(doc);
            return NULL;
        }
        json_array_append_new(self->docs, doc);
        bool aggregated =
            self->content_type && strstr(self->content_type, "as=APIGroupDiscoveryList");
        if (aggregated)
            s_add_aggregated(self, doc);
        else if (s_add_legacy(self, doc, i == 0))
            return NULL;
    }
    self->discovered = true;
    *n = self->res_n;
    return self->res;
}

static bool s_match(const cli_kube_res_t *r, int pass, const char *name)
{
    size_t i;
    const json_t *s;
    switch (pass) {
    case 0: return !strcmp(r->name, name);
    case 1: return !strcmp(r->singular, name);
    case 2:
        json_array_foreach(r->short_names, i,
                           s) if (!strcmp(json_string_value(s), name)) return true;
        return false;
    default: return !strcasecmp(r->kind, name);
    }
}

/* The first resource that name (of group and version, when set) names; passes in kubectl's
 * order of precedence. */
static const cli_kube_res_t *s_find(const cli_kube_res_t *res, size_t n, const char *name,
                                    const char *group, const char *version)
{
    for (int pass = 0; pass < 4; pass++)
        for (size_t i = 0; i < n; i++) {
            if (group && strcmp(res[i].group, group)) continue;
            if (version && strcmp(res[i].version, version)) continue;
            if (s_match(&res[i], pass, name)) return &res[i];
        }
    return NULL;
}

const cli_kube_res_t *cli_kube_http_find(cli_kube_http_t *self, const char *type)
{
    size_t n;
    const cli_kube_res_t *res = cli_kube_http_resources(self, &n);
    if (!res) return NULL;
    char name[256];
    snprintf(name, sizeof name, "%s", type);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    char *group = strchr(name, '.');
    if (group) *group++ = 0;
    const cli_kube_res_t *r = s_find(res, n, name, group, NULL);
    char *dot = group ? strchr(group, '.') : NULL;
    if (!r && dot) { /* "deployments.v1.apps" */
        *dot = 0;
        r = s_find(res, n, name, dot + 1, group);
    }
    return r;
}

size_t cli_kube_http_resolve(cli_kube_http_t *self, const char *type, const cli_kube_res_t **out,
                             size_t max)
{
    size_t n;
    const cli_kube_res_t *res = cli_kube_http_resources(self, &n);
    if (!res) return 0;
    const cli_kube_res_t *r = cli_kube_http_find(self, type);
    if (r && max) {
        out[0] = r;
        return 1;
    }
    char name[256];
    snprintf(name, sizeof name, "%s", type);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    size_t found = 0, j;
    const json_t *c;
    for (size_t i = 0; i < n && !strchr(name, '.') && found < max; i++)
        json_array_foreach(res[i].categories, j, c) if (!strcmp(json_string_value(c), name) &&
                                                        found < max) out[found++] = &res[i];
    if (!found) fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", type);
    return found;
}

const cli_kube_res_t *cli_kube_http_kind(cli_kube_http_t *self, const char *api_version,
                                         const char *kind)
{
    size_t n;
    const cli_kube_res_t *res = cli_kube_http_resources(self, &n);
    const char *slash = strchr(api_version, '/');
    const char *version = slash ? slash + 1 : api_version;
    size_t group_len = slash ? (size_t)(slash - api_version) : 0;
    for (size_t i = 0; res && i < n; i++)
        if (!strcmp(res[i].kind, kind) && !strcmp(res[i].version, version) &&
            strlen(res[i].group) == group_len && !strncmp(res[i].group, api_version, group_len))
            return &res[i];
    return NULL;
}

char *cli_kube_path(const cli_kube_res_t *res, const char *ns, const char *name, const char *sub,
                    const char *query)
{
    char *path = NULL;
    size_t len;
    FILE *f = open_memstream(&path, &len);
    if (!f) abort();
    if (*res->group)
        fprintf(f, "/apis/%s/%s", res->group, res->version);
    else
        fprintf(f, "/api/%s", res->version);
    char *e;
    if (res->namespaced && ns) {
        fprintf(f, "/namespaces/%s", e = cli_kube_http_escape(ns));
        free(e);
    }
    fprintf(f, "/%s", res->name);
    if (name) {
        fprintf(f, "/%s", e = cli_kube_http_escape(name));
        free(e);
    }
    if (sub) fprintf(f, "/%s", sub);
    if (query && *query) fprintf(f, "?%s", query);
    fclose(f);
    return path;
}

const char *cli_kube_kind_name(const cli_kube_res_t *res, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s%s", res->kind, *res->group ? "." : "", res->group);
    for (char *p = out; *p && *p != '.'; p++) *p = (char)tolower((unsigned char)*p);
    return out;
}
