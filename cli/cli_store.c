/* kubus store: the store's administration, as etcdctl offers etcd's.
 *
 *   kubus store [--dir DIR] [--name NAME] [--member M] [--timeout MS] [--json] COMMAND ...
 *     get KEY [--prefix] [--rev N] [--limit N] [--keys-only] [--serializable]
 *     put KEY VALUE|- [--create] [--if-rev N]    (- reads the value from stdin)
 *     del KEY [--prefix]
 *     watch PREFIX [--rev N]                      (history from N, then changes as they come)
 *     member list | member add NAME | member remove NAME
 *     move-leader NAME                            (waits until NAME leads)
 *     snapshot save FILE | snapshot restore FILE --data DIR --name NAME --initial A,B,C
 *                                                 [--cluster-id HEX]
 *     status                                      (every member)
 *     compact REV
 *     defrag                                      (every member, or --member M)
 *
 * Requests go to the service "store" (any member, or --member M). Restore is local: it makes a
 * member's data directory from a snapshot file, for a new cluster started from it. */
#include "bus_client.h"
#include "bus_err.h"
#include "bus_time.h"
#include "cli.h"
#include "kubus_schema.h"
#include "store_log.h"
#include "store_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_VALUE_MAX  (16u << 20)
#define S_DEL_BATCH  128 /* ops in one transaction */
#define S_WATCH_POLL 200 /* ms between history reads when no event says more came */

typedef struct {
    const char *dir, *name, *member;
    long timeout_ms;
    bool json;
    bus_config_t *config;
    bus_client_t *client;
    bus_arena_t *arena;
} s_ctx_t;

static int s_usage(FILE *out)
{
    fprintf(out,
            "usage: kubus store [--dir DIR] [--name NAME] [--member M] [--timeout MS] [--json] "
            "COMMAND\n"
            "  get KEY [--prefix] [--rev N] [--limit N] [--keys-only] [--serializable]\n"
            "  put KEY VALUE|- [--create] [--if-rev N]\n"
            "  del KEY [--prefix]\n"
            "  watch PREFIX [--rev N]\n"
            "  member list | member add NAME | member remove NAME\n"
            "  move-leader NAME\n"
            "  snapshot save FILE\n"
            "  snapshot restore FILE --data DIR --name NAME --initial A,B,C [--cluster-id HEX]\n"
            "  status\n"
            "  compact REV\n"
            "  defrag\n");
    return out == stdout ? 0 : 2;
}

/* --- talking to the store ------------------------------------------------------------------ */

static int s_connect(s_ctx_t *c)
{
    char err[512];
    if (!(c->config = cli_config(c->dir))) return 1;
    c->client = bus_client_new(c->config, c->name, err, sizeof err);
    if (!c->client) return cli_fail("%s", err);
    c->arena = bus_arena_new((size_t)512 << 20);
    return 0;
}

static void s_close(s_ctx_t *c)
{
    bus_client_destroy(&c->client);
    bus_config_destroy(&c->config);
    bus_arena_destroy(&c->arena);
}

/* One request to member (NULL: any); *reply decoded as rdesc. 0, or the error (printed). */
static int s_call_member(s_ctx_t *c, const char *member, const codec_msg_t *desc, const void *body,
                         const codec_msg_t *rdesc, void **reply, bool quiet)
{
    bus_call_t call = {.service = "store",
                       .instance = member,
                       .desc = desc,
                       .body = body,
                       .timeout_ms = (uint32_t)c->timeout_ms};
    bus_in_t in;
    codec_err_t err;
    int rc = bus_client_call(c->client, &call, &in, &err);
    if (!rc) rc = bus_frame_body(&in.frame, rdesc, c->arena, reply, &err);
    if (rc && !quiet && !zsys_interrupted) cli_fail("%s (%s)", err.text, bus_err_reason(rc));
    return rc;
}

static int s_call(s_ctx_t *c, const codec_msg_t *desc, const void *body, const codec_msg_t *rdesc,
                  void **reply)
{
    return s_call_member(c, c->member, desc, body, rdesc, reply, false);
}

static void s_print_json(const codec_msg_t *desc, const void *msg)
{
    json_t *j = codec_to_json(desc, msg, CODEC_JSON_REDACT);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(j);
}

/* Options after a command's name: --flag or --flag VALUE, in any order with the words. */
typedef struct {
    const char *words[4];
    int words_n;
    bool prefix, keys_only, serializable, create;
    uint64_t rev, limit, if_rev;
    bool have_if_rev;
    const char *data, *name, *initial, *cluster;
} s_args_t;

static int s_args(int argc, char **argv, s_args_t *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "--prefix") == 0)
            a->prefix = true;
        else if (strcmp(s, "--keys-only") == 0)
            a->keys_only = true;
        else if (strcmp(s, "--serializable") == 0)
            a->serializable = true;
        else if (strcmp(s, "--create") == 0)
            a->create = true;
        else if (strcmp(s, "--rev") == 0 && next)
            a->rev = strtoull(argv[++i], NULL, 10);
        else if (strcmp(s, "--limit") == 0 && next)
            a->limit = strtoull(argv[++i], NULL, 10);
        else if (strcmp(s, "--if-rev") == 0 && next) {
            a->if_rev = strtoull(argv[++i], NULL, 10);
            a->have_if_rev = true;
        } else if (strcmp(s, "--data") == 0 && next)
            a->data = argv[++i];
        else if (strcmp(s, "--name") == 0 && next)
            a->name = argv[++i];
        else if (strcmp(s, "--initial") == 0 && next)
            a->initial = argv[++i];
        else if (strcmp(s, "--cluster-id") == 0 && next)
            a->cluster = argv[++i];
        else if (s[0] == '-' && s[1] == '-')
            return cli_fail("unknown option %s", s) + 1;
        else if (a->words_n < 4)
            a->words[a->words_n++] = s;
        else
            return 2;
    }
    return 0;
}

/* --- keys ---------------------------------------------------------------------------------- */

static void s_print_kv(const store_kv_t *kv, bool keys_only)
{
    printf("%s\n", kv->key);
    if (!keys_only) {
        fwrite(kv->value.data, 1, kv->value.len, stdout);
        putchar('\n');
    }
}

static int s_get(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 1) return s_usage(stderr);
    store_range_request_t req = {.key = (char *)a->words[0],
                                 .prefix = a->prefix,
                                 .revision = a->rev,
                                 .limit = (uint32_t)a->limit,
                                 .keys_only = a->keys_only,
                                 .serializable = a->serializable};
    uint64_t left = a->limit;
    for (;;) {
        store_range_reply_t *r;
        if (s_call(c, &store_range_request_desc, &req, &store_range_reply_desc, (void **)&r))
            return 1;
        if (c->json) {
            s_print_json(&store_range_reply_desc, r);
            return 0;
        }
        const store_kv_t *kv = r->kvs.v;
        for (size_t i = 0; i < r->kvs.n; i++) s_print_kv(&kv[i], a->keys_only);
        if (!r->more || !r->kvs.n || (a->limit && (left -= r->kvs.n) == 0)) return 0;
        /* The next page at the same revision, so the listing is one consistent view. */
        static char after[512];
        snprintf(after, sizeof after, "%s", kv[r->kvs.n - 1].key);
        req.after = after;
        req.revision = r->header->revision;
        req.limit = (uint32_t)left;
        bus_arena_reset(c->arena);
    }
}

static int s_read_stdin(uint8_t **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    ssize_t got;
    while (buf && (got = read(0, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n > S_VALUE_MAX) break;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    if (!buf) abort();
    *out = buf;
    *len = n;
    return n > S_VALUE_MAX ? cli_fail("the value is larger than %u bytes", S_VALUE_MAX) : 0;
}

static int s_put(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 2) return s_usage(stderr);
    uint8_t *value = (uint8_t *)a->words[1];
    size_t len = strlen(a->words[1]);
    bool from_stdin = strcmp(a->words[1], "-") == 0;
    if (from_stdin && s_read_stdin(&value, &len)) return 1;
    store_op_t op = {.type = STORE_OP_TYPE_PUT, .key = (char *)a->words[0], .value = {value, len}};
    store_compare_t cmp = {.key = (char *)a->words[0],
                           .target =
                               a->create ? STORE_COMPARE_TARGET_CREATE : STORE_COMPARE_TARGET_MOD,
                           .op = STORE_COMPARE_OP_EQ,
                           .value = a->create ? 0 : a->if_rev};
    bool guarded = a->create || a->have_if_rev;
    store_txn_request_t req = {.compares = {guarded, &cmp}, .success = {1, &op}};
    store_txn_reply_t *r;
    int rc = s_call(c, &store_txn_request_desc, &req, &store_txn_reply_desc, (void **)&r);
    if (from_stdin) free(value);
    if (rc) return 1;
    if (c->json) {
        s_print_json(&store_txn_reply_desc, r);
    } else if (!r->succeeded) {
        return cli_fail("%s: %s", a->words[0],
                        a->create ? "already exists" : "its revision is not the one given");
    } else {
        printf("OK revision %" PRIu64 "\n", r->revision);
    }
    return guarded && !r->succeeded;
}

static int s_del(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 1) return s_usage(stderr);
    uint64_t deleted = 0, revision = 0;
    for (;;) {
        /* The keys to delete, a batch at a time (a prefix may hold many). */
        const char *keys[S_DEL_BATCH];
        size_t n = 0;
        if (a->prefix) {
            store_range_request_t q = {.key = (char *)a->words[0],
                                       .prefix = true,
                                       .limit = S_DEL_BATCH,
                                       .keys_only = true};
            store_range_reply_t *r;
            if (s_call(c, &store_range_request_desc, &q, &store_range_reply_desc, (void **)&r))
                return 1;
            const store_kv_t *kv = r->kvs.v;
            for (size_t i = 0; i < r->kvs.n; i++) keys[n++] = kv[i].key;
        } else {
            keys[n++] = a->words[0];
        }
        if (!n) break;
        store_op_t ops[S_DEL_BATCH];
        for (size_t i = 0; i < n; i++)
            ops[i] = (store_op_t){.type = STORE_OP_TYPE_DELETE, .key = (char *)keys[i]};
        store_txn_request_t req = {.success = {n, ops}};
        store_txn_reply_t *t;
        if (s_call(c, &store_txn_request_desc, &req, &store_txn_reply_desc, (void **)&t)) return 1;
        const store_op_result_t *res = t->results.v;
        for (size_t i = 0; i < t->results.n; i++) deleted += res[i].deleted;
        revision = t->revision;
        bus_arena_reset(c->arena);
        if (!a->prefix) break;
    }
    if (c->json)
        printf("{\"deleted\": %" PRIu64 ", \"revision\": %" PRIu64 "}\n", deleted, revision);
    else
        printf("%" PRIu64 "\n", deleted);
    return 0;
}

static int s_watch(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 1) return s_usage(stderr);
    uint64_t from = a->rev;
    if (!from) {
        store_status_request_t st = {0};
        store_status_reply_t *r;
        if (s_call(c, &store_status_request_desc, &st, &store_status_reply_desc, (void **)&r))
            return 1;
        from = r->header->revision + 1;
    }
    for (;;) {
        store_watch_request_t req = {.prefix = (char *)a->words[0], .from_revision = from};
        store_watch_reply_t *r;
        /* Ctrl-C (or SIGTERM) ends a watch as asked: quietly, exit 0. */
        if (s_call(c, &store_watch_request_desc, &req, &store_watch_reply_desc, (void **)&r))
            return zsys_interrupted ? 0 : 1;
        const store_event_t *ev = r->events.v;
        for (size_t i = 0; i < r->events.n; i++) {
            if (c->json)
                s_print_json(&store_event_desc, &ev[i]);
            else
                printf("%s %s %" PRIu64 "\n", ev[i].type == STORE_EVENT_TYPE_PUT ? "PUT" : "DELETE",
                       ev[i].kv->key, ev[i].revision);
            from = ev[i].revision + 1;
        }
        fflush(stdout);
        bool more = r->more;
        bus_arena_reset(c->arena);
        if (!more) usleep(S_WATCH_POLL * 1000);
        if (zsys_interrupted) return 0;
    }
}

/* --- members ------------------------------------------------------------------------------- */

static void s_print_members(const codec_list_t *list)
{
    const store_member_info_t *m = list->v;
    for (size_t i = 0; i < list->n; i++)
        printf("%016" PRIx64 "  %-20s %-7s match %-10" PRIu64 " %s\n", m[i].id,
               m[i].name && m[i].name[0] ? m[i].name : "?", m[i].learner ? "learner" : "voter",
               m[i].match, m[i].active ? "active" : "");
}

static int s_member(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n < 1) return s_usage(stderr);
    const char *verb = a->words[0];
    store_member_request_t req = {0};
    if (strcmp(verb, "list") == 0 && a->words_n == 1)
        req.action = STORE_MEMBER_ACTION_LIST;
    else if (strcmp(verb, "add") == 0 && a->words_n == 2)
        req.action = STORE_MEMBER_ACTION_ADD;
    else if (strcmp(verb, "remove") == 0 && a->words_n == 2)
        req.action = STORE_MEMBER_ACTION_REMOVE;
    else
        return s_usage(stderr);
    req.name = a->words_n == 2 ? (char *)a->words[1] : NULL;
    store_member_reply_t *r;
    if (s_call(c, &store_member_request_desc, &req, &store_member_reply_desc, (void **)&r))
        return 1;
    if (c->json)
        s_print_json(&store_member_reply_desc, r);
    else if (req.action == STORE_MEMBER_ACTION_LIST)
        s_print_members(&r->members);
    else
        printf("%s %s (%016" PRIx64 ")\n",
               req.action == STORE_MEMBER_ACTION_ADD ? "added" : "removed", req.name, r->id);
    return 0;
}

/* Leadership to NAME, as etcdctl move-leader: the leader starts the transfer; NAME's own status
 * tells when it leads. */
static int s_move_leader(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 1) return s_usage(stderr);
    const char *to = a->words[0];
    store_member_request_t req = {.action = STORE_MEMBER_ACTION_TRANSFER, .name = (char *)to};
    store_member_reply_t *r;
    if (s_call(c, &store_member_request_desc, &req, &store_member_reply_desc, (void **)&r))
        return 1;
    uint64_t deadline = bus_now_ms() + (uint64_t)c->timeout_ms;
    for (;;) {
        bus_arena_reset(c->arena);
        store_status_request_t st = {0};
        store_status_reply_t *s;
        if (s_call_member(c, to, &store_status_request_desc, &st, &store_status_reply_desc,
                          (void **)&s, true) == 0 &&
            s->header && s->header->leader && strcmp(s->header->leader, to) == 0) {
            printf("leader moved to %s (term %" PRIu64 ")\n", to, s->header->term);
            return 0;
        }
        if (bus_now_ms() >= deadline)
            return cli_fail("%s did not become the leader within %ld ms (see the members' logs)",
                            to, c->timeout_ms);
        poll(NULL, 0, 50);
    }
}

/* Every member's status (those the one asked first knows of), like etcdctl endpoint status. */
static int s_status(s_ctx_t *c, const s_args_t *a)
{
    store_status_request_t req = {0};
    store_status_reply_t *first;
    if (s_call(c, &store_status_request_desc, &req, &store_status_reply_desc, (void **)&first))
        return 1;
    if (c->member) {
        if (c->json)
            s_print_json(&store_status_reply_desc, first);
        else
            s_print_members(&first->members);
    }
    int failed = 0;
    json_t *all = json_array();
    const store_member_info_t *m = first->members.v;
    size_t n = first->members.n;
    if (!c->member && !c->json)
        printf("%-16s %-9s %-16s %6s %10s %10s %10s %12s\n", "MEMBER", "ROLE", "LEADER", "TERM",
               "REVISION", "APPLIED", "COMPACTED", "DB SIZE");
    for (size_t i = 0; i < n && !c->member; i++) {
        if (!m[i].name || !m[i].name[0]) continue;
        store_status_reply_t *r;
        if (s_call_member(c, m[i].name, &store_status_request_desc, &req, &store_status_reply_desc,
                          (void **)&r, true) != 0) {
            if (!c->json) printf("%-16s %s\n", m[i].name, "unreachable");
            failed = 1;
            continue;
        }
        if (c->json) {
            json_array_append_new(all, codec_to_json(&store_status_reply_desc, r, 0));
            continue;
        }
        printf("%-16s %-9s %-16s %6" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64
               "\n",
               r->header->member, codec_enum_name(&store_role_enum, r->role), r->header->leader,
               r->header->term, r->header->revision, r->applied, r->header->compacted, r->db_size);
    }
    if (c->json && !c->member) {
        char *text = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    }
    json_decref(all);
    return failed;
}

static int s_compact(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 1) return s_usage(stderr);
    store_compact_request_t req = {.revision = strtoull(a->words[0], NULL, 10)};
    store_compact_reply_t *r;
    if (s_call(c, &store_compact_request_desc, &req, &store_compact_reply_desc, (void **)&r))
        return 1;
    if (c->json)
        s_print_json(&store_compact_reply_desc, r);
    else
        printf("compacted to revision %" PRIu64 "\n", r->header->compacted);
    return 0;
}

static int s_defrag(s_ctx_t *c, const s_args_t *a)
{
    const char *names[2 * 16];
    size_t n = 0;
    if (c->member) {
        names[n++] = c->member;
    } else {
        store_member_request_t req = {.action = STORE_MEMBER_ACTION_LIST};
        store_member_reply_t *r;
        if (s_call(c, &store_member_request_desc, &req, &store_member_reply_desc, (void **)&r))
            return 1;
        const store_member_info_t *m = r->members.v;
        for (size_t i = 0; i < r->members.n && n < 32; i++)
            if (m[i].name && m[i].name[0]) names[n++] = m[i].name;
    }
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        store_defrag_request_t req = {0};
        store_defrag_reply_t *r;
        if (s_call_member(c, names[i], &store_defrag_request_desc, &req, &store_defrag_reply_desc,
                          (void **)&r, false) != 0) {
            failed = 1;
            continue;
        }
        printf("%s: %" PRIu64 " -> %" PRIu64 " bytes\n", names[i], r->size_before, r->size_after);
    }
    return failed;
}

/* --- snapshots ----------------------------------------------------------------------------- */

static int s_snapshot_save(s_ctx_t *c, const char *file)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.part", file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return cli_fail("%s: %s", tmp, strerror(errno));
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, STORE_SNAP_DIGEST);
    uint64_t index = 0, offset = 0, size = 0;
    uint8_t digest[STORE_SNAP_DIGEST];
    const char *member = c->member;
    char holder[STORE_NAME_MAX + 1];
    uint64_t until = bus_now_us() + (uint64_t)c->timeout_ms * 1000;
    for (;;) {
        store_snapshot_request_t req = {.index = index, .offset = offset, .len = 1u << 20};
        store_snapshot_reply_t *r;
        bool first = index == 0;
        int rc = s_call_member(c, member, &store_snapshot_request_desc, &req,
                               &store_snapshot_reply_desc, (void **)&r, first);
        if (rc == BUS_EUNAVAILABLE && first && bus_now_us() < until) {
            usleep(100000); /* the member is making one */
            continue;
        }
        if (rc || r->digest.len != sizeof digest) {
            close(fd);
            unlink(tmp);
            return first && rc ? cli_fail("no snapshot: %s", bus_err_str(rc)) : 1;
        }
        if (first) {
            index = r->index;
            size = r->size;
            memcpy(digest, r->digest.data, sizeof digest);
            /* Every piece from the member that holds it. */
            snprintf(holder, sizeof holder, "%s", r->member ? r->member : "");
            member = holder[0] ? holder : member;
        }
        if (r->data.len && write(fd, r->data.data, r->data.len) != (ssize_t)r->data.len) {
            close(fd);
            unlink(tmp);
            return cli_fail("%s: %s", tmp, strerror(errno));
        }
        crypto_generichash_update(&h, r->data.data, r->data.len);
        offset += r->data.len;
        bus_arena_reset(c->arena);
        if (offset >= size || !r->data.len) break;
    }
    uint8_t got[STORE_SNAP_DIGEST];
    crypto_generichash_final(&h, got, sizeof got);
    int ok = offset == size && memcmp(got, digest, sizeof got) == 0;
    ok = ok && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, file) != 0) {
        unlink(tmp);
        return cli_fail("the snapshot did not arrive whole (wrong size or digest)");
    }
    printf("snapshot at index %" PRIu64 ", %" PRIu64 " bytes, saved to %s\n", index, size, file);
    return 0;
}

static int s_snapshot_restore(const char *file, const s_args_t *a)
{
    if (!a->data || !a->name || !a->initial) return s_usage(stderr);
    uint64_t cluster = a->cluster ? strtoull(a->cluster, NULL, 16) : 0;
    if (!cluster) randombytes_buf(&cluster, sizeof cluster);
    raft_conf_t conf = {0};
    char list[1024];
    snprintf(list, sizeof list, "%s", a->initial);
    bool me = false;
    for (char *save, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (conf.voters_n == RAFT_MEMBERS_MAX)
            return cli_fail("at most %d members", RAFT_MEMBERS_MAX);
        conf.voters[conf.voters_n++] = store_log_member_id(t);
        me |= strcmp(t, a->name) == 0;
    }
    if (!me) return cli_fail("%s is not among the initial members", a->name);
    char err[512], target[4096];
    store_snap_info_t info;
    if (store_snap_inspect(file, &info, NULL, err, sizeof err) != 0) return cli_fail("%s", err);
    if (mkdir(a->data, 0700) != 0 && errno != EEXIST)
        return cli_fail("%s: %s", a->data, strerror(errno));
    snprintf(target, sizeof target, "%s/data.mdb", a->data);
    if (access(target, F_OK) == 0) return cli_fail("%s exists: restore makes a new member", target);
    /* A copy, made this member's, then moved into place in one step. */
    char part[4096 + 8];
    snprintf(part, sizeof part, "%s.part", target);
    FILE *in = fopen(file, "rb"), *out = fopen(part, "wb");
    char buf[65536];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    bool copied = in && out && !ferror(in) && fflush(out) == 0;
    if (in) fclose(in);
    if (out) fclose(out);
    if (!copied) return cli_fail("cannot copy %s", file);
    raft_hard_t hard = {info.meta.term, 0, info.meta.index};
    raft_snap_meta_t meta = {info.meta.index, info.meta.term, conf};
    uint64_t id = store_log_member_id(a->name);
    if (store_snap_adopt(part, cluster, id, a->name, &hard, &meta, true, err, sizeof err) != 0 ||
        store_snap_swap(part, a->data, err, sizeof err) != 0) {
        unlink(part);
        return cli_fail("%s", err);
    }
    printf("restored %s at index %" PRIu64 " for cluster %016" PRIx64 " (start the members with "
           "--cluster-id %016" PRIx64 ")\n",
           a->data, info.meta.index, cluster, cluster);
    return 0;
}

static int s_snapshot(s_ctx_t *c, const s_args_t *a)
{
    if (a->words_n != 2) return s_usage(stderr);
    if (strcmp(a->words[0], "save") == 0) return s_snapshot_save(c, a->words[1]);
    if (strcmp(a->words[0], "restore") == 0) return s_snapshot_restore(a->words[1], a);
    return s_usage(stderr);
}

/* --- the command --------------------------------------------------------------------------- */

int cli_store(int argc, char **argv)
{
    s_ctx_t c = {.name = "admin", .timeout_ms = 5000};
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"member", required_argument, 0, 'm'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    optind = 1;
    /* "+": options stop at the command, whose own options come after it. */
    while ((ch = getopt_long(argc, argv, "+d:n:m:t:jh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': c.dir = optarg; break;
        case 'n': c.name = optarg; break;
        case 'm': c.member = optarg; break;
        case 't': c.timeout_ms = strtol(optarg, NULL, 10); break;
        case 'j': c.json = true; break;
        case 'h': return s_usage(stdout);
        default: return s_usage(stderr);
        }
    }
    if (optind >= argc) return s_usage(stderr);
    if (!c.dir) c.dir = cli_default_dir();
    if (c.timeout_ms <= 0 || c.timeout_ms > 3600000) c.timeout_ms = 5000;
    const char *cmd = argv[optind];
    s_args_t a;
    int rc = s_args(argc - optind - 1, argv + optind + 1, &a);
    if (rc) return rc == 2 ? s_usage(stderr) : 2;
    if (sodium_init() < 0) abort();
    if (strcmp(cmd, "snapshot") == 0 && a.words_n == 2 && strcmp(a.words[0], "restore") == 0)
        return s_snapshot_restore(a.words[1], &a);
    static const struct {
        const char *name;
        int (*fn)(s_ctx_t *c, const s_args_t *a);
    } cmds[] = {{"get", s_get},       {"put", s_put},
                {"del", s_del},       {"watch", s_watch},
                {"member", s_member}, {"snapshot", s_snapshot},
                {"status", s_status}, {"compact", s_compact},
                {"defrag", s_defrag}, {"move-leader", s_move_leader}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name) != 0) continue;
        if (s_connect(&c)) {
            s_close(&c);
            return 1;
        }
        rc = cmds[i].fn(&c, &a);
        s_close(&c);
        return rc;
    }
    fprintf(stderr, "kubus store: unknown command \"%s\"\n", cmd);
    return s_usage(stderr);
}
