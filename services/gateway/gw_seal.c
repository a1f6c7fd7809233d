/* gw_seal: Secret objects sealed before they reach the store, as kube-apiserver's encryption at
 * rest does for Secrets: what the store keeps, replicates, publishes on the bus and the tap shows
 * is ciphertext (XChaCha20-Poly1305, libsodium's secretbox; a random nonce per write). The key is
 * DIR/pki/secrets.key (32 bytes, 0600), made at the first start and shared by every gateway of
 * the cluster. A stored value is "kubus:sealed:1:" + nonce + box; anything else is read as plain
 * msgpack, so objects written before sealing (or of other kinds) still read. */
#include "gw.h"

#include "bus_log.h"

#include <assert.h>
#include <stdlib.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAGIC     "kubus:sealed:1:"
#define S_MAGIC_LEN (sizeof S_MAGIC - 1)

static unsigned char s_key[crypto_secretbox_KEYBYTES];
static bool s_ready;

int gw_key_file(const char *dir, const char *file, unsigned char *key, size_t len, const char *what,
                char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pki", dir);
    if (mkdir(path, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/pki/%s", dir, file);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, key, len);
            close(fd);
            if (n != (ssize_t)len) {
                snprintf(err, errlen, "%s: not a %zu-byte key", path, len);
                return -1;
            }
            return 0;
        }
        if (errno != ENOENT) break;
        /* Made so that two gateways starting at once agree on one (O_EXCL: the loser reads
         * the winner's). */
        randombytes_buf(key, len);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) break;
        bool ok = write(fd, key, len) == (ssize_t)len && fsync(fd) == 0;
        close(fd);
        if (!ok) {
            unlink(path);
            break;
        }
        log_info("gateway.key", "detail=\"made a new key for %s\" file=%s", what, path);
        return 0;
    }
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
}

int gw_seal_init(const char *dir, char *err, size_t errlen)
{
    if (gw_key_file(dir, "secrets.key", s_key, sizeof s_key, "Secrets", err, errlen)) return -1;
    s_ready = true;
    return 0;
}

bool gw_seal_wanted(const kube_kind_t *kind)
{
    return !*kind->group && !strcmp(kind->plural, "secrets");
}

int gw_seal(bus_buf_t *value)
{
    if (!s_ready) return -1;
    size_t n = value->len;
    size_t total = S_MAGIC_LEN + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    uint8_t *out = malloc(total);
    if (!out) abort();
    memcpy(out, S_MAGIC, S_MAGIC_LEN);
    uint8_t *nonce = out + S_MAGIC_LEN;
    randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, value->data, n, nonce, s_key);
    sodium_memzero(value->data, n);
    bus_buf_reset(value);
    int rc = bus_buf_append(value, out, total);
    free(out);
    return rc;
}

int gw_unseal(const uint8_t *data, size_t len, uint8_t **plain, size_t *plain_len)
{
    *plain = NULL;
    *plain_len = 0;
    if (len < S_MAGIC_LEN || memcmp(data, S_MAGIC, S_MAGIC_LEN)) return 0; /* not sealed */
    size_t head = S_MAGIC_LEN + crypto_secretbox_NONCEBYTES;
    if (!s_ready || len < head + crypto_secretbox_MACBYTES) return -1;
    size_t n = len - head - crypto_secretbox_MACBYTES;
    uint8_t *out = malloc(n ? n : 1);
    if (!out) abort();
    if (crypto_secretbox_open_easy(out, data + head, len - head, data + S_MAGIC_LEN, s_key)) {
        free(out);
        return -1; /* another key, or tampered with */
    }
    *plain = out;
    *plain_len = n;
    return 1;
}

void gw_seal_test(bool verbose)
{
    char dir[] = "/tmp/kubus-seal-XXXXXX", err[256];
    assert(mkdtemp(dir));
    assert(gw_seal_init(dir, err, sizeof err) == 0);
    bus_buf_t b;
    bus_buf_init(&b, 1 << 20);
    assert(bus_buf_append(&b, "secret-bytes", 12) == 0);
    assert(gw_seal(&b) == 0);
    assert(b.len == S_MAGIC_LEN + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 12);
    assert(!memmem(b.data, b.len, "secret-bytes", 12));
    uint8_t *plain;
    size_t n;
    assert(gw_unseal(b.data, b.len, &plain, &n) == 1 && n == 12 &&
           !memcmp(plain, "secret-bytes", 12));
    free(plain);
    /* A flipped bit is refused; plain values pass through as not sealed. */
    b.data[b.len - 1] ^= 1;
    assert(gw_unseal(b.data, b.len, &plain, &n) == -1 && !plain);
    assert(gw_unseal((const uint8_t *)"\x81\xa1x\x01", 4, &plain, &n) == 0 && !plain);
    /* A second start reads the same key. */
    unsigned char first[sizeof s_key];
    memcpy(first, s_key, sizeof first);
    assert(gw_seal_init(dir, err, sizeof err) == 0 && !memcmp(first, s_key, sizeof first));
    char path[4096];
    snprintf(path, sizeof path, "%s/pki/secrets.key", dir);
    struct stat st;
    assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    unlink(path);
    snprintf(path, sizeof path, "%s/pki", dir);
    rmdir(path);
    rmdir(dir);
    bus_buf_free(&b);
    (void)verbose;
}
