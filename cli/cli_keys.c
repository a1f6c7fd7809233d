/* kubus keys: certificates of a cluster.
 *     kubus keys new [--dir DIR] --role ROLE NAME     a keypair for NAME with ROLE
 *     kubus keys list [--dir DIR]                      every certificate: name, role, public key
 *     kubus keys roles                                 the roles and what each may do */
#include "bus_cert.h"
#include "bus_role.h"
#include "cli.h"
#include "kubus_schema.h"

#include <czmq.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_usage(FILE *out)
{
    fprintf(out, "usage: kubus keys new [--dir DIR] --role ROLE NAME\n"
                 "       kubus keys list [--dir DIR]\n"
                 "       kubus keys roles\n");
    return out == stdout ? 0 : 2;
}

static int s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int s_list(const char *dir)
{
    char *certs = bus_cert_dir(dir);
    DIR *d = opendir(certs);
    if (!d) {
        int rc = cli_fail("no certificates in %s", certs);
        free(certs);
        return rc;
    }
    char *names[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".cert") == 0)
            names[n++] = strndup(e->d_name, len - 5);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], s_cmp);
    printf("%-24s %-12s %-40s %s\n", "NAME", "ROLE", "PUBLIC KEY", "SECRET");
    for (size_t i = 0; i < n; i++) {
        char err[256];
        zcert_t *cert = bus_cert_load_public(dir, names[i], err, sizeof err);
        char *secret = bus_cert_secret_path(dir, names[i]);
        if (cert)
            printf("%-24s %-12s %-40s %s\n", names[i], bus_cert_role(cert), zcert_public_txt(cert),
                   zsys_file_exists(secret) ? "here" : "-");
        else
            printf("%-24s %-12s %s\n", names[i], "?", err);
        zcert_destroy(&cert);
        free(secret);
        free(names[i]);
    }
    free(certs);
    return 0;
}

static void s_patterns(const char *what, const char *const *p)
{
    if (!*p) return;
    printf("    %-10s", what);
    for (; *p; p++) printf(" %s", *p);
    printf("\n");
}

static int s_roles(void)
{
    for (size_t i = 0; i < kubus_roles_n; i++) {
        const kubus_role_t *r = &kubus_roles[i];
        printf("%s: %s\n", r->name, r->doc);
        s_patterns("serve", r->serve);
        s_patterns("call", r->call);
        s_patterns("publish", r->publish);
        s_patterns("subscribe", r->subscribe);
        if (r->tap) printf("    tap\n");
    }
    return 0;
}

int cli_keys(int argc, char **argv)
{
    if (argc < 2) return s_usage(stderr);
    const char *sub = argv[1], *dir = NULL, *role = NULL;
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"role", required_argument, 0, 'r'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "d:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'r': role = optarg; break;
        case 'h': return s_usage(stdout);
        default: return s_usage(stderr);
        }
    }
    if (!dir) dir = cli_default_dir();
    if (strcmp(sub, "list") == 0 && optind == argc) return s_list(dir);
    if (strcmp(sub, "roles") == 0 && optind == argc) return s_roles();
    if (strcmp(sub, "new") == 0 && role && optind == argc - 1) {
        char err[512];
        if (bus_cert_create(dir, role, argv[optind], err, sizeof err) != 0)
            return cli_fail("%s", err);
        char *pub = bus_cert_public_path(dir, argv[optind]);
        printf("%s: role %s, certificate %s\n", argv[optind], role, pub);
        free(pub);
        return 0;
    }
    return s_usage(stderr);
}
