/* cli_pki: the API's TLS material and credentials, made by `kubus up` for a new cluster: a
 * cluster CA (DIR/pki/ca.crt, ca.key), the gateway's certificate signed by it for the API's
 * addresses (DIR/pki/gateway.crt, gateway.key), an admin bearer token (DIR/tokens.csv, in
 * kube-apiserver's static token format) and a kubeconfig for it (DIR/kubeconfig). Keys are ECDSA
 * P-256 through GnuTLS; secrets are written 0600 and never printed. What exists is kept. */
#include "cli.h"
#include "cli_pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_PATH_MAX 4096
#define S_YEARS    10

static int s_write(const char *path, const void *data, size_t len, mode_t mode, char *err,
                   size_t errlen)
{
    char tmp[S_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) || close(fd) ||
        rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int s_read(const char *path, gnutls_datum_t *out, char *err, size_t errlen)
{
    int rc = gnutls_load_file(path, out);
    if (rc < 0) snprintf(err, errlen, "%s: %s", path, gnutls_strerror(rc));
    return rc < 0 ? -1 : 0;
}

static int s_export(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *crt_path,
                    const char *key_path, char *err, size_t errlen)
{
    gnutls_datum_t c = {0}, k = {0};
    int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c);
    if (rc >= 0) rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k);
    if (rc < 0) {
        snprintf(err, errlen, "exporting %s: %s", crt_path, gnutls_strerror(rc));
    } else {
        /* The key first: a certificate on disk always has its key. */
        rc = s_write(key_path, k.data, k.size, 0600, err, errlen);
        if (!rc) rc = s_write(crt_path, c.data, c.size, 0644, err, errlen);
    }
    if (k.data) {
        sodium_memzero(k.data, k.size);
        gnutls_free(k.data);
    }
    gnutls_free(c.data);
    return rc < 0 ? -1 : 0;
}

/* A new key and a certificate for it, not yet signed: CN, ten years, a random serial. */
static int s_new(gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, const char *cn)
{
    unsigned char serial[16];
    randombytes_buf(serial, sizeof serial);
    serial[0] &= 0x7f; /* positive */
    time_t now = time(NULL);
    int rc = gnutls_x509_privkey_init(key);
    if (rc >= 0)
        rc = gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0) rc = gnutls_x509_crt_init(crt);
    if (rc >= 0) rc = gnutls_x509_crt_set_version(*crt, 3);
    if (rc >= 0) rc = gnutls_x509_crt_set_serial(*crt, serial, sizeof serial);
    if (rc >= 0) rc = gnutls_x509_crt_set_activation_time(*crt, now - 3600);
    if (rc >= 0) rc = gnutls_x509_crt_set_expiration_time(*crt, now + S_YEARS * 365 * 86400L);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_dn_by_oid(*crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn));
    if (rc >= 0) rc = gnutls_x509_crt_set_key(*crt, *key);
    unsigned char id[64];
    size_t id_len = sizeof id;
    if (rc >= 0) rc = gnutls_x509_crt_get_key_id(*crt, 0, id, &id_len);
    if (rc >= 0) rc = gnutls_x509_crt_set_subject_key_id(*crt, id, id_len);
    return rc;
}

static int s_make_ca(const char *crt_path, const char *key_path, char *err, size_t errlen)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t key = NULL;
    int rc = s_new(&crt, &key, "kubus-ca");
    if (rc >= 0) rc = gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
                                                    GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (rc >= 0) rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    if (rc < 0)
        snprintf(err, errlen, "making the cluster CA: %s", gnutls_strerror(rc));
    else
        rc = s_export(crt, key, crt_path, key_path, err, errlen);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc < 0 ? -1 : 0;
}

static int s_sans(gnutls_x509_crt_t crt, const char *host)
{
    int rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                  GNUTLS_FSAN_APPEND);
    char hostname[256] = "";
    if (rc >= 0 && gethostname(hostname, sizeof hostname - 1) == 0 && *hostname)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, hostname,
                                                  (unsigned)strlen(hostname), GNUTLS_FSAN_APPEND);
    const char *ips[] = {"127.0.0.1", host};
    for (int i = 0; rc >= 0 && i < 2; i++) {
        struct in_addr a;
        if (!ips[i] || inet_pton(AF_INET, ips[i], &a) != 1 || (i && !strcmp(host, "127.0.0.1")))
            continue;
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &a, 4,
                                                  GNUTLS_FSAN_APPEND);
    }
    return rc;
}

static int s_make_server(const char *dir, const char *host, char *err, size_t errlen)
{
    char ca_crt[S_PATH_MAX], ca_key[S_PATH_MAX], crt_path[S_PATH_MAX], key_path[S_PATH_MAX];
    snprintf(ca_crt, sizeof ca_crt, "%s/pki/ca.crt", dir);
    snprintf(ca_key, sizeof ca_key, "%s/pki/ca.key", dir);
    snprintf(crt_path, sizeof crt_path, "%s/pki/gateway.crt", dir);
    snprintf(key_path, sizeof key_path, "%s/pki/gateway.key", dir);
    gnutls_datum_t cd = {0}, kd = {0};
    if (s_read(ca_crt, &cd, err, errlen) || s_read(ca_key, &kd, err, errlen)) {
        gnutls_free(cd.data);
        return -1;
    }
    gnutls_x509_crt_t ca = NULL, crt = NULL;
    gnutls_x509_privkey_t cakey = NULL, key = NULL;
    int rc = gnutls_x509_crt_init(&ca);
    if (rc >= 0) rc = gnutls_x509_crt_import(ca, &cd, GNUTLS_X509_FMT_PEM);
    if (rc >= 0) rc = gnutls_x509_privkey_init(&cakey);
    if (rc >= 0) rc = gnutls_x509_privkey_import(cakey, &kd, GNUTLS_X509_FMT_PEM);
    if (rc >= 0) rc = s_new(&crt, &key, "kubus-gateway");
    if (rc >= 0) rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                    GNUTLS_KEY_KEY_ENCIPHERMENT);
    if (rc >= 0) rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc >= 0) rc = s_sans(crt, host);
    unsigned char id[64];
    size_t id_len = sizeof id;
    if (rc >= 0) rc = gnutls_x509_crt_get_subject_key_id(ca, id, &id_len, NULL);
    if (rc >= 0) rc = gnutls_x509_crt_set_authority_key_id(crt, id, id_len);
    if (rc >= 0) rc = gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256, 0);
    if (rc < 0)
        snprintf(err, errlen, "making the gateway's certificate: %s", gnutls_strerror(rc));
    else
        rc = s_export(crt, key, crt_path, key_path, err, errlen);
    sodium_memzero(kd.data, kd.size);
    gnutls_free(kd.data);
    gnutls_free(cd.data);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(cakey);
    gnutls_x509_privkey_deinit(key);
    return rc < 0 ? -1 : 0;
}

static bool s_exists(const char *dir, const char *file)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* The admin token (32 random bytes, hex) in tokens.csv and in a kubeconfig that trusts the CA. */
static int s_make_access(const char *dir, const char *server, char *err, size_t errlen)
{
    unsigned char raw[32];
    char token[65], line[256], path[S_PATH_MAX];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, sizeof token, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    snprintf(line, sizeof line, "%s,admin,admin,\"system:masters\"\n", token);
    snprintf(path, sizeof path, "%s/tokens.csv", dir);
    int rc = s_write(path, line, strlen(line), 0600, err, errlen);
    sodium_memzero(line, sizeof line);
    gnutls_datum_t ca = {0};
    snprintf(path, sizeof path, "%s/pki/ca.crt", dir);
    if (!rc) rc = s_read(path, &ca, err, errlen);
    if (!rc) {
        size_t b64_len = sodium_base64_ENCODED_LEN(ca.size, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(b64_len);
        if (!b64) abort();
        sodium_bin2base64(b64, b64_len, ca.data, ca.size, sodium_base64_VARIANT_ORIGINAL);
        char *conf = NULL;
        size_t conf_len = 0;
        FILE *f = open_memstream(&conf, &conf_len);
        fprintf(f,
                "apiVersion: v1\nkind: Config\nclusters:\n- name: kubus\n  cluster:\n"
                "    server: %s\n    certificate-authority-data: %s\nusers:\n- name: admin\n"
                "  user:\n    token: %s\ncontexts:\n- name: kubus\n  context:\n"
                "    cluster: kubus\n    user: admin\n    namespace: default\n"
                "current-context: kubus\npreferences: {}\n",
                server, b64, token);
        fclose(f);
        snprintf(path, sizeof path, "%s/kubeconfig", dir);
        rc = s_write(path, conf, conf_len, 0600, err, errlen);
        sodium_memzero(conf, conf_len);
        free(conf);
        free(b64);
    }
    gnutls_free(ca.data);
    sodium_memzero(token, sizeof token);
    return rc;
}

int cli_pki_ensure(const char *dir, const char *host, unsigned port, char *err, size_t errlen)
{
    char pki[S_PATH_MAX], ca_crt[S_PATH_MAX], ca_key[S_PATH_MAX], server[512];
    snprintf(pki, sizeof pki, "%s/pki", dir);
    if (mkdir(pki, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", pki, strerror(errno));
        return -1;
    }
    snprintf(ca_crt, sizeof ca_crt, "%s/ca.crt", pki);
    snprintf(ca_key, sizeof ca_key, "%s/ca.key", pki);
    snprintf(server, sizeof server, "https://%s:%u", host, port);
    if (!s_exists(dir, "pki/ca.crt") && s_make_ca(ca_crt, ca_key, err, errlen)) return -1;
    if (!s_exists(dir, "pki/gateway.crt") && s_make_server(dir, host, err, errlen)) return -1;
    if (!s_exists(dir, "kubeconfig") && s_make_access(dir, server, err, errlen)) return -1;
    return 0;
}
