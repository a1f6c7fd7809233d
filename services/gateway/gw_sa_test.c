/* gw_sa's selftest: tokens signed, checked, and refused for every reason there is. */
#include "gw_sa.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NOW 1800000000

static json_t *s_claims(const char *aud, int64_t nbf, int64_t exp, const char *uid)
{
    return json_pack("{s:[s], s:I, s:I, s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:I, s:s}", "aud", aud,
                     "exp", (json_int_t)exp, "iat", (json_int_t)nbf, "iss", GW_SA_ISSUER, "jti",
                     "j-1", "kubernetes.io", "namespace", "team", "serviceaccount", "name", "bot",
                     "uid", uid, "nbf", (json_int_t)nbf, "sub", "system:serviceaccount:team:bot");
}

static int s_check(json_t *claims, gw_user_t *u)
{
    char *token = gw_sa_sign(claims);
    json_decref(claims);
    assert(token);
    char why[256];
    int rc = gw_sa_verify(token, S_NOW, u, why, sizeof why);
    free(token);
    return rc;
}

void gw_sa_test(bool verbose)
{
    if (sodium_init() < 0) abort();
    unsigned char seed[32] = {1, 2, 3};
    gw_sa_use_seed(seed);
    gw_sa_reset();
    json_t *sa = json_pack("{s:{s:s, s:s, s:s}, s:b}", "metadata", "namespace", "team", "name",
                           "bot", "uid", "u-1", "automountServiceAccountToken", 0);
    assert(gw_sa_put(sa) == 0);
    json_decref(sa);
    int automount = 7;
    assert(!strcmp(gw_sa_lookup("team", "bot", &automount), "u-1") && automount == 0);
    assert(!gw_sa_lookup("team", "other", NULL));

    gw_user_t u;
    assert(s_check(s_claims(GW_SA_AUDIENCE, S_NOW - 10, S_NOW + 600, "u-1"), &u) == 1);
    assert(!strcmp(u.name, "system:serviceaccount:team:bot") && !strcmp(u.uid, "u-1"));
    assert(u.groups_n == 2 && !strcmp(u.groups[0], "system:serviceaccounts") &&
           !strcmp(u.groups[1], "system:serviceaccounts:team") && !strcmp(u.credential, "JTI=j-1"));
    /* A minute of leeway either side for clocks; no more. */
    assert(s_check(s_claims(GW_SA_AUDIENCE, S_NOW - 700, S_NOW - 30, "u-1"), &u) == 1);
    assert(s_check(s_claims(GW_SA_AUDIENCE, S_NOW - 700, S_NOW - 61, "u-1"), &u) == -1);
    assert(s_check(s_claims(GW_SA_AUDIENCE, S_NOW + 61, S_NOW + 600, "u-1"), &u) == -1);
    /* Another audience, another uid (the account was made again), an unknown account. */
    assert(s_check(s_claims("https://vault", S_NOW, S_NOW + 600, "u-1"), &u) == -1);
    assert(s_check(s_claims(GW_SA_AUDIENCE, S_NOW, S_NOW + 600, "u-0"), &u) == -1);
    gw_sa_remove("team", "bot");
    assert(s_check(s_claims(GW_SA_AUDIENCE, S_NOW, S_NOW + 600, "u-1"), &u) == -2);
    sa = json_pack("{s:{s:s, s:s, s:s}}", "metadata", "namespace", "team", "name", "bot", "uid",
                   "u-1");
    assert(gw_sa_put(sa) == 0);
    json_decref(sa);
    assert(gw_sa_lookup("team", "bot", &automount) && automount == -1);

    /* Tampered with, or signed by another key, or not signed at all. */
    json_t *c = s_claims(GW_SA_AUDIENCE, S_NOW, S_NOW + 600, "u-1");
    char *token = gw_sa_sign(c);
    char why[256];
    char *dot = strchr(token, '.');
    dot[3] ^= 1;
    assert(gw_sa_verify(token, S_NOW, &u, why, sizeof why) == -1);
    dot[3] ^= 1;
    assert(gw_sa_verify(token, S_NOW, &u, why, sizeof why) == 1);
    seed[0] = 9;
    gw_sa_use_seed(seed);
    assert(gw_sa_verify(token, S_NOW, &u, why, sizeof why) == -1 &&
           !strcmp(why, "invalid signature"));
    char none[4096];
    snprintf(none, sizeof none, "eyJhbGciOiJub25lIn0%s", dot); /* {"alg":"none"} */
    assert(gw_sa_verify(none, S_NOW, &u, why, sizeof why) == -1);
    free(token);
    json_decref(c);
    /* Not a JWT at all: another authenticator's. Garbage in JWT form: refused. */
    assert(gw_sa_verify("plain-token", S_NOW, &u, why, sizeof why) == 0);
    assert(gw_sa_verify("a.b.c.d", S_NOW, &u, why, sizeof why) == 0);
    assert(gw_sa_verify("..", S_NOW, &u, why, sizeof why) == -1);
    assert(gw_sa_verify("!!.??.**", S_NOW, &u, why, sizeof why) == -1);
    gw_sa_free();
    if (verbose) printf("gw_sa: ok\n");
}
