/* bus_cert: czmq certificates with role and name metadata, kept apart by secrecy. */
#include "bus_cert.h"
#include "bus_err.h"
#include "bus_role.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *s_path(const char *dir, const char *sub, const char *name, const char *ext)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s%s%s%s", dir, sub, name ? "/" : "", name ? name : "", ext) < 0) abort();
    return p;
}

char *bus_cert_public_path(const char *dir, const char *name)
{
    return s_path(dir, "certs", name, ".cert");
}

char *bus_cert_secret_path(const char *dir, const char *name)
{
    return s_path(dir, "keys", name, ".key");
}

char *bus_cert_dir(const char *dir)
{
    return s_path(dir, "certs", NULL, "");
}

static int s_mkdir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST) return 0;
    return -errno;
}

int bus_cert_create(const char *dir, const char *role, const char *name, char *err, size_t errlen)
{
    if (!bus_role_find(role)) {
        snprintf(err, errlen, "unknown role \"%s\"", role);
        return BUS_EINVALID;
    }
    if (!bus_name_valid(name)) {
        snprintf(err, errlen, "bad name \"%s\": 1-63 of a-z, 0-9, '-', '.'", name);
        return BUS_EINVALID;
    }
    char *certs = bus_cert_dir(dir), *keys = s_path(dir, "keys", NULL, "");
    char *pub = bus_cert_public_path(dir, name), *sec = bus_cert_secret_path(dir, name);
    int rc = s_mkdir(dir, 0755);
    if (!rc) rc = s_mkdir(certs, 0755);
    if (!rc) rc = s_mkdir(keys, 0700);
    if (rc) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
    } else if (access(pub, F_OK) == 0 || access(sec, F_OK) == 0) {
        snprintf(err, errlen, "%s already has a certificate", name);
        rc = BUS_EEXISTS;
    } else {
        zcert_t *cert = zcert_new();
        zcert_set_meta(cert, "name", "%s", name);
        zcert_set_meta(cert, "role", "%s", role);
        /* The secret file is never readable by others, not even for an instant. */
        mode_t old = umask(077);
        int src = zcert_save_secret(cert, sec);
        umask(old);
        if (src == 0) src = zcert_save_public(cert, pub);
        if (src != 0) {
            snprintf(err, errlen, "cannot write the certificate of %s", name);
            unlink(sec);
            rc = -EIO;
        }
        zcert_destroy(&cert);
    }
    free(certs);
    free(keys);
    free(pub);
    free(sec);
    return rc;
}

static zcert_t *s_load(const char *path, const char *name, bool secret, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "no %s certificate for %s (%s)", secret ? "secret" : "public", name,
                 path);
        return NULL;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf(err, errlen, "%s is readable by others (mode %o); chmod 600 it", path,
                 st.st_mode & 0777);
        return NULL;
    }
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, errlen, "%s is not a certificate", path);
        return NULL;
    }
    if (secret && strcmp(zcert_secret_txt(cert), "0000000000000000000000000000000000000000") == 0) {
        snprintf(err, errlen, "%s holds no secret key", path);
        zcert_destroy(&cert);
        return NULL;
    }
    if (strcmp(bus_cert_name(cert), name) != 0) {
        snprintf(err, errlen, "%s is the certificate of \"%s\", not \"%s\"", path,
                 bus_cert_name(cert), name);
        zcert_destroy(&cert);
        return NULL;
    }
    return cert;
}

zcert_t *bus_cert_load_secret(const char *dir, const char *name, char *err, size_t errlen)
{
    char *path = bus_cert_secret_path(dir, name);
    zcert_t *cert = s_load(path, name, true, err, errlen);
    free(path);
    return cert;
}

zcert_t *bus_cert_load_public(const char *dir, const char *name, char *err, size_t errlen)
{
    char *path = bus_cert_public_path(dir, name);
    zcert_t *cert = s_load(path, name, false, err, errlen);
    free(path);
    return cert;
}

const char *bus_cert_role(zcert_t *cert)
{
    const char *v = zcert_meta(cert, "role");
    return v ? v : "";
}

const char *bus_cert_name(zcert_t *cert)
{
    const char *v = zcert_meta(cert, "name");
    return v ? v : "";
}

void bus_cert_test(bool verbose)
{
    char dir[] = "/tmp/kubus-cert-test-XXXXXX";
    assert(mkdtemp(dir));
    char err[256];
    assert(bus_cert_create(dir, "admin", "alice", err, sizeof err) == 0);
    assert(bus_cert_create(dir, "admin", "alice", err, sizeof err) == BUS_EEXISTS);
    assert(bus_cert_create(dir, "wizard", "bob", err, sizeof err) == BUS_EINVALID);
    assert(strstr(err, "unknown role"));
    assert(bus_cert_create(dir, "admin", "Bob!", err, sizeof err) == BUS_EINVALID);

    zcert_t *sec = bus_cert_load_secret(dir, "alice", err, sizeof err);
    zcert_t *pub = bus_cert_load_public(dir, "alice", err, sizeof err);
    assert(sec && pub);
    assert(strcmp(zcert_public_txt(sec), zcert_public_txt(pub)) == 0);
    assert(strcmp(bus_cert_role(pub), "admin") == 0 && strcmp(bus_cert_name(sec), "alice") == 0);
    /* The public file holds no secret; the secret file is private. */
    char *path = bus_cert_secret_path(dir, "alice");
    struct stat st;
    assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    chmod(path, 0644);
    assert(bus_cert_load_secret(dir, "alice", err, sizeof err) == NULL && strstr(err, "readable"));
    chmod(path, 0600);
    char *pubpath = bus_cert_public_path(dir, "alice");
    FILE *f = fopen(pubpath, "r");
    char text[1024] = {0};
    assert(f && fread(text, 1, sizeof text - 1, f) > 0);
    fclose(f);
    assert(!strstr(text, zcert_secret_txt(sec)));
    assert(bus_cert_load_secret(dir, "nobody", err, sizeof err) == NULL && strstr(err, "nobody"));

    zcert_destroy(&sec);
    zcert_destroy(&pub);
    char *cmd;
    assert(asprintf(&cmd, "rm -rf %s", dir) > 0);
    assert(system(cmd) == 0);
    free(cmd);
    free(path);
    free(pubpath);
    (void)verbose;
}
