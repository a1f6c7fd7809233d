/* cli_pki: the API's TLS material, admin token and kubeconfig for `kubus up` (see cli_pki.c). */
#pragma once

/* Makes what DIR lacks of: pki/ca.{crt,key}, pki/gateway.{crt,key} (for host, 127.0.0.1,
 * localhost and this machine's name), tokens.csv and kubeconfig (https://HOST:PORT). */
int cli_pki_ensure(const char *dir, const char *host, unsigned port, char *err, size_t errlen);
