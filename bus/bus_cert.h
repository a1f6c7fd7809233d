/* bus_cert: one CURVE keypair per process, stored as czmq certificates whose metadata names the
 * holder and its role. In a cluster directory:
 *     DIR/certs/NAME.cert   the public certificate: shareable; the brokers admit these keys
 *     DIR/keys/NAME.key     the secret certificate: mode 0600 in a 0700 directory
 * A secret file readable by group or others is refused, as ssh refuses such keys. */
#pragma once

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

/* Creates a new keypair for name with role. Fails (BUS_EEXISTS) if name already has one,
 * BUS_EINVALID for an unknown role or a bad name; err gets the reason. */
int bus_cert_create(const char *dir, const char *role, const char *name, char *err, size_t errlen);

/* Loads name's secret (both keys) or public certificate. NULL on failure, with err set.
 * The caller destroys the result with zcert_destroy. */
zcert_t *bus_cert_load_secret(const char *dir, const char *name, char *err, size_t errlen);
zcert_t *bus_cert_load_public(const char *dir, const char *name, char *err, size_t errlen);

/* Metadata of a certificate; "" when absent. Valid while the certificate lives. */
const char *bus_cert_role(zcert_t *cert);
const char *bus_cert_name(zcert_t *cert);

/* Paths: DIR/certs/NAME.cert, DIR/keys/NAME.key, DIR/certs. Caller frees. */
char *bus_cert_public_path(const char *dir, const char *name);
char *bus_cert_secret_path(const char *dir, const char *name);
char *bus_cert_dir(const char *dir);

void bus_cert_test(bool verbose);
