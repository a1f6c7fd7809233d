/* store_snap: snapshots and data-file swaps (the API is in store_snap.h). A snapshot is
 * mdb_env_copy2's compacted copy, which LMDB makes from one read transaction, so the keyspace,
 * the sessions and the applied index in it agree. snap/<index>/info holds, in text, what
 * store_snap_info_t says, so serving a snapshot needs no LMDB work. */
#include "store_snap.h"
#include "store_util.h"
#include "bus_err.h"
#include "store_kv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATH_MAX 4096

/* rm -r of a directory holding only files. */
static void s_remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    char p[S_PATH_MAX];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(path);
}

static int s_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int store_snap_env_open(const char *dir, size_t map_bytes, bool create, MDB_env **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return store_fail(err, errlen, BUS_ECONFIG, "store: cannot make %s: %s", dir,
                          strerror(errno));
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, STORE_ENV_DBS);
    if (!rc) rc = mdb_env_set_mapsize(env, map_bytes);
    /* NOTLS: the loop, the disk worker and the snapshot maker each read. NORDAHEAD: the data is
     * reached by key, not scanned. */
    if (!rc) rc = mdb_env_open(env, dir, MDB_NOTLS | MDB_NORDAHEAD, 0600);
    if (rc) {
        mdb_env_close(env);
        const char *why = rc == MDB_INVALID            ? "not an LMDB data file"
                          : rc == MDB_VERSION_MISMATCH ? "written by another LMDB version"
                                                       : mdb_strerror(rc);
        return store_fail(err, errlen, BUS_ECONFIG, "store: cannot open %s/data.mdb: %s", dir, why);
    }
    *out = env;
    return 0;
}

/* --- snapshot metadata --------------------------------------------------------------------- */

static int s_digest_file(const char *path, uint8_t out[STORE_SNAP_DIGEST], uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, STORE_SNAP_DIGEST);
    static __thread uint8_t buf[1 << 16];
    ssize_t n;
    *size = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        crypto_generichash_update(&st, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    int rc = n < 0 ? -errno : 0;
    close(fd);
    crypto_generichash_final(&st, out, STORE_SNAP_DIGEST);
    return rc;
}

static int s_info_write(const char *dir, const store_snap_info_t *info)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/info", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    fprintf(f, "index %" PRIu64 "\nterm %" PRIu64 "\nsize %" PRIu64 "\ndigest ", info->meta.index,
            info->meta.term, info->size);
    for (int i = 0; i < STORE_SNAP_DIGEST; i++) fprintf(f, "%02x", info->digest[i]);
    fprintf(f, "\nvoters");
    for (size_t i = 0; i < info->meta.conf.voters_n; i++)
        fprintf(f, " %" PRIx64, info->meta.conf.voters[i]);
    fprintf(f, "\nlearners");
    for (size_t i = 0; i < info->meta.conf.learners_n; i++)
        fprintf(f, " %" PRIx64, info->meta.conf.learners[i]);
    fprintf(f, "\n");
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -errno;
    fclose(f);
    return rc;
}

/* Reads a list of hex ids after a word. */
static size_t s_ids(const char *line, uint64_t *ids)
{
    size_t n = 0;
    const char *p = strchr(line, ' ');
    while (p && n < RAFT_MEMBERS_MAX) {
        char *end;
        uint64_t v = strtoull(p + 1, &end, 16);
        if (end == p + 1) break;
        ids[n++] = v;
        p = *end == ' ' ? end : NULL;
    }
    return n;
}

static int s_info_read(const char *dir, store_snap_info_t *info)
{
    char path[S_PATH_MAX], line[1024];
    snprintf(path, sizeof path, "%s/info", dir);
    FILE *f = fopen(path, "r");
    if (!f) return BUS_ENOTFOUND;
    memset(info, 0, sizeof *info);
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char hex[2 * STORE_SNAP_DIGEST + 1];
        if (sscanf(line, "index %" SCNu64, &info->meta.index) == 1)
            seen |= 1;
        else if (sscanf(line, "term %" SCNu64, &info->meta.term) == 1)
            seen |= 2;
        else if (sscanf(line, "size %" SCNu64, &info->size) == 1)
            seen |= 4;
        else if (sscanf(line, "digest %64s", hex) == 1 && strlen(hex) == 64) {
            for (int i = 0; i < STORE_SNAP_DIGEST; i++)
                sscanf(hex + 2 * i, "%2hhx", &info->digest[i]);
            seen |= 8;
        } else if (strncmp(line, "voters", 6) == 0)
            info->meta.conf.voters_n = s_ids(line, info->meta.conf.voters);
        else if (strncmp(line, "learners", 8) == 0)
            info->meta.conf.learners_n = s_ids(line, info->meta.conf.learners);
    }
    fclose(f);
    return seen == 15 ? 0 : BUS_ENOTFOUND;
}

void store_snap_path(const char *data_dir, uint64_t index, char *out, size_t cap)
{
    snprintf(out, cap, "%s/snap/%" PRIu64 "/data.mdb", data_dir, index);
}

int store_snap_newest(const char *data_dir, store_snap_info_t *info)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/snap", data_dir);
    DIR *d = opendir(path);
    if (!d) return BUS_ENOTFOUND;
    uint64_t best = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        uint64_t v = strtoull(e->d_name, &end, 10);
        if (*end == 0 && end != e->d_name && v > best) best = v;
    }
    closedir(d);
    if (!best) return BUS_ENOTFOUND;
    snprintf(path, sizeof path, "%s/snap/%" PRIu64, data_dir, best);
    return s_info_read(path, info);
}

/* --- reading a copy's own metadata --------------------------------------------------------- */

int store_snap_inspect(const char *path, store_snap_info_t *info, uint64_t *cluster, char *err,
                       size_t errlen)
{
    memset(info, 0, sizeof *info);
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, STORE_ENV_DBS);
    if (!rc) rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0600);
    MDB_txn *txn = NULL;
    if (!rc) rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc) {
        if (txn) mdb_txn_abort(txn);
        mdb_env_close(env);
        return store_fail(err, errlen, BUS_ECONFIG, "store: %s: %s", path,
                          rc == MDB_INVALID ? "not an LMDB data file" : mdb_strerror(rc));
    }
    /* Read-only: the databases must exist, so open them without creating. */
    MDB_dbi meta;
    rc = mdb_dbi_open(txn, "raft.meta", 0, &meta);
    store_log_state_t st = {0};
    if (!rc) {
        MDB_val k = {2, "id"}, v;
        if (mdb_get(txn, meta, &k, &v) == 0 && v.mv_size >= 16) {
            const uint8_t *p = v.mv_data;
            for (int i = 0; i < 8; i++) st.cluster = (st.cluster << 8) | p[i];
        }
        k = (MDB_val){7, "applied"};
        if (mdb_get(txn, meta, &k, &v) == 0 && v.mv_size == 16) {
            const uint8_t *p = v.mv_data;
            for (int i = 0; i < 8; i++) st.applied = (st.applied << 8) | p[i];
            for (int i = 8; i < 16; i++) st.applied_term = (st.applied_term << 8) | p[i];
        }
        k = (MDB_val){4, "conf"};
        if (mdb_get(txn, meta, &k, &v) == 0) store_log_conf_decode(v.mv_data, v.mv_size, &st.conf);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    if (rc || !st.applied)
        return store_fail(err, errlen, BUS_ECONFIG, "store: %s is not a store snapshot%s", path,
                          rc ? "" : " (it has applied nothing)");
    info->meta = (raft_snap_meta_t){st.applied, st.applied_term, st.conf};
    if (cluster) *cluster = st.cluster;
    rc = s_digest_file(path, info->digest, &info->size);
    return rc ? store_fail(err, errlen, BUS_EINTERNAL, "store: read %s: %s", path, strerror(-rc))
              : 0;
}

/* --- making and reading snapshots ---------------------------------------------------------- */

int store_snap_make(MDB_env *env, const char *data_dir, store_snap_info_t *info, char *err,
                    size_t errlen)
{
    char snap[S_PATH_MAX], tmp[S_PATH_MAX], file[S_PATH_MAX], final[S_PATH_MAX];
    snprintf(snap, sizeof snap, "%s/snap", data_dir);
    snprintf(tmp, sizeof tmp, "%s/snap/tmp", data_dir);
    mkdir(snap, 0700);
    s_remove_dir(tmp);
    if (mkdir(tmp, 0700) != 0)
        return store_fail(err, errlen, BUS_EINTERNAL, "store: snapshot: mkdir %s: %s", tmp,
                          strerror(errno));
    int rc = mdb_env_copy2(env, tmp, MDB_CP_COMPACT);
    if (rc) {
        s_remove_dir(tmp);
        return store_fail(err, errlen, BUS_EINTERNAL, "store: snapshot: copy: %s",
                          mdb_strerror(rc));
    }
    snprintf(file, sizeof file, "%s/data.mdb", tmp);
    rc = store_snap_inspect(file, info, NULL, err, errlen);
    if (!rc && s_fsync_path(file) != 0) rc = BUS_EINTERNAL;
    if (!rc && s_info_write(tmp, info) != 0) rc = BUS_EINTERNAL;
    snprintf(final, sizeof final, "%s/snap/%" PRIu64, data_dir, info->meta.index);
    s_remove_dir(final);
    if (!rc && rename(tmp, final) != 0)
        rc = store_fail(err, errlen, BUS_EINTERNAL, "store: snapshot: rename: %s", strerror(errno));
    if (rc) {
        s_remove_dir(tmp);
        return rc == BUS_EINTERNAL && err && !err[0]
                   ? store_fail(err, errlen, rc, "store: snapshot: cannot write it")
                   : rc;
    }
    s_fsync_path(snap);
    /* Only the newest is kept. */
    DIR *d = opendir(snap);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        uint64_t v = strtoull(e->d_name, &end, 10);
        if (*end == 0 && end != e->d_name && v != info->meta.index) {
            snprintf(tmp, sizeof tmp, "%s/%s", snap, e->d_name);
            s_remove_dir(tmp);
        }
    }
    if (d) closedir(d);
    return 0;
}

int store_snap_read(const char *data_dir, uint64_t index, uint64_t offset, uint8_t *buf, size_t cap,
                    size_t *n, store_snap_info_t *info)
{
    char dir[S_PATH_MAX], path[S_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/snap/%" PRIu64, data_dir, index);
    if (s_info_read(dir, info) != 0) return BUS_ENOTFOUND;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return BUS_ENOTFOUND;
    ssize_t got = offset < info->size ? pread(fd, buf, cap, (off_t)offset) : 0;
    close(fd);
    if (got < 0) return BUS_EINTERNAL;
    *n = (size_t)got;
    return 0;
}

/* --- adopting and swapping ----------------------------------------------------------------- */

int store_snap_adopt(const char *path, uint64_t cluster, uint64_t member, const char *name,
                     const raft_hard_t *hard, const raft_snap_meta_t *meta, bool restore, char *err,
                     size_t errlen)
{
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, STORE_ENV_DBS);
    if (!rc) rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0600);
    MDB_txn *txn = NULL;
    if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc) {
        mdb_env_close(env);
        return store_fail(err, errlen, BUS_ECONFIG, "store: %s: %s", path,
                          rc == MDB_INVALID ? "not an LMDB data file" : mdb_strerror(rc));
    }
    store_log_t *log = NULL;
    rc = store_log_open(txn, &log, err, errlen);
    const store_log_state_t *st = log ? store_log_state(log) : NULL;
    if (!rc && !restore && st->cluster != cluster)
        rc = store_fail(err, errlen, BUS_ECONFIG,
                        "store: the snapshot belongs to cluster %016" PRIx64 ", not %016" PRIx64,
                        st->cluster, cluster);
    if (!rc && st->applied != meta->index)
        rc = store_fail(err, errlen, BUS_ECONFIG,
                        "store: the snapshot holds index %" PRIu64 ", not the %" PRIu64 " expected",
                        st->applied, meta->index);
    raft_snap_meta_t none = {0};
    if (!rc) rc = store_log_identify(log, txn, cluster, member, name, true, err, errlen);
    if (!rc) rc = store_log_set_hard(log, txn, hard, err, errlen);
    if (!rc) rc = store_log_reset(log, txn, meta->index, meta->term, &meta->conf, err, errlen);
    if (!rc) rc = store_log_set_snapshot(log, txn, &none, err, errlen);
    if (!rc) {
        /* The keyspace must be one this build reads. */
        store_kv_space_t *kv = NULL;
        rc = store_kv_open(txn, NULL, &kv, err, errlen);
        store_kv_destroy(&kv);
    }
    store_log_destroy(&log);
    if (!rc) {
        rc = mdb_txn_commit(txn);
        if (rc) rc = store_fail(err, errlen, BUS_EINTERNAL, "store: adopt: %s", mdb_strerror(rc));
    } else {
        mdb_txn_abort(txn);
    }
    if (!rc) mdb_env_sync(env, 1);
    mdb_env_close(env);
    return rc;
}

int store_snap_swap(const char *path, const char *data_dir, char *err, size_t errlen)
{
    char target[S_PATH_MAX];
    snprintf(target, sizeof target, "%s/data.mdb", data_dir);
    if (s_fsync_path(path) != 0 || rename(path, target) != 0)
        return store_fail(err, errlen, BUS_EINTERNAL, "store: replace %s: %s", target,
                          strerror(errno));
    s_fsync_path(data_dir);
    return 0;
}

int store_snap_copy(MDB_env *env, const char *data_dir, char *path, size_t cap, char *err,
                    size_t errlen)
{
    char dir[S_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/incoming", data_dir);
    s_remove_dir(dir);
    if (mkdir(dir, 0700) != 0)
        return store_fail(err, errlen, BUS_EINTERNAL, "store: mkdir %s: %s", dir, strerror(errno));
    int rc = mdb_env_copy2(env, dir, MDB_CP_COMPACT);
    if (rc) return store_fail(err, errlen, BUS_EINTERNAL, "store: copy: %s", mdb_strerror(rc));
    snprintf(path, cap, "%s/data.mdb", dir);
    return 0;
}
