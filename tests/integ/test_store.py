"""The store as real processes: three kubus-store members and a broker on loopback, driven by a
client written apart from the project's C code (store_client.py) and by `kubus store`. Leaders
killed again and again under writes, members replaced, a member caught up by snapshot, watches
and compaction, bad input."""
import json
import os
import re
import signal
import subprocess
import time

import harness
import store_client
from harness import check, wait_for
from store_client import Client, StoreError, Writer

CLUSTER_ID = '5eed00000000c0de'


def _store_cluster(ctx, members=3, extra=(), brokers=1):
    c = ctx.cluster(brokers=brokers)
    path = os.path.join(c.dir, 'cluster.json')
    with open(path) as f:
        conf = json.load(f)
    conf['store'] = {'cluster_id': CLUSTER_ID}
    with open(path, 'w') as f:
        json.dump(conf, f)
    c.start_brokers()
    c.keys('test', 'writer')
    c.keys('test', 'reader')
    c.ensure_key('admin', 'admin')
    names = ['store-%d' % (i + 1) for i in range(members)]
    for n in names:
        c.keys('store', n)
    c.store_names = names
    for n in names:
        _start_member(c, n, initial=names, extra=extra)
    _wait_leader(c)
    return c


def _start_member(c, name, initial=None, extra=()):
    argv = [harness.bin_path('kubus-store'), '--dir', c.dir, '--name', name]
    if initial:
        argv += ['--initial', ','.join(initial)]
    return c.start(name, argv + list(extra))


def _leader(c, via=None):
    """The leader's name as member via (any member by default) sees it, or None."""
    cl = Client(c, 'reader')
    try:
        st = cl.status(instance=via)
        leader = st[1].get(2)
        return leader or None
    finally:
        cl.close()


def _wait_leader(c, not_this=None, timeout=15):
    def ok():
        l = _leader(c)
        return l if l and l != not_this else None
    return wait_for(ok, timeout=timeout, what='a store leader')


def _wait_caught_up(c, name, timeout=20):
    """Waits until member name has applied what the leader had committed when asked: the
    cluster is whole again (a leader killed while another member still catches up leaves a
    quorum that must first bring that one up to date)."""
    cl = Client(c, 'reader')
    target = cl.status()[5]  # commit, as the member asked sees it

    def caught_up():
        return cl.status(instance=name)[6] >= target
    wait_for(caught_up, timeout=timeout, what='%s to catch up' % name)
    cl.close()


def _check_acked(c, writer, prefix):
    """Every acknowledged write is there, with its value."""
    cl = Client(c, 'reader')
    have = cl.items(prefix)
    cl.close()
    missing = [k for k, (v, _, _) in writer.acked.items() if have.get(k) != v.encode()]
    check(not missing, '%d acknowledged writes lost (e.g. %s) of %d' %
          (len(missing), missing[:5], len(writer.acked)))
    return have


def test_writes_survive_the_leader_killed_again_and_again(ctx):
    c = _store_cluster(ctx)
    w = Writer(c, 'writer', '/registry/kill/', inflight=8)
    w.start()
    gaps = []
    for round in range(4):
        time.sleep(1.5)
        leader = _wait_leader(c)
        t0 = time.time()
        c.procs[leader].kill(signal.SIGKILL)
        # Serving again: a write sent after the kill is acknowledged (by the new leader).
        first = wait_for(lambda: w.acked_after(t0), timeout=10, what='a write after the kill')
        gaps.append(first - t0)
        _start_member(c, leader)  # back, with its data, as a follower
        _wait_caught_up(c, leader)
    w.stop()
    check(len(w.acked) > 200, 'too few writes acknowledged: %d (errors %r)' % (len(w.acked), w.errors))
    _check_acked(c, w, '/registry/kill/')
    check(max(gaps) <= 1.5, 'a new leader took %.2f s to serve (gaps %r)' % (max(gaps), gaps))
    # Every member ends up with the same data.
    def same():
        cl = Client(c, 'reader')
        counts = [cl.get('/registry/kill/', prefix=True, serializable=True, instance=n).get(3)
                  for n in c.store_names]
        cl.close()
        return len(set(counts)) == 1 and counts[0] >= len(w.acked)
    wait_for(same, timeout=15, what='the members to agree')


def _since_start(proc):
    """The process's log since it last started (a restarted member appends to its log)."""
    log = proc.log()
    return log[log.rfind('store.started'):]


def test_a_stopping_leader_hands_over(ctx):
    """SIGTERM to the leader, as a rolling restart does: it hands leadership to a caught-up
    member before it exits, so the next leader takes over by a transfer in the very next term,
    not by an election after a timeout. No acknowledged write is lost; writes go on."""
    c = _store_cluster(ctx)
    w = Writer(c, 'writer', '/registry/roll/', inflight=8)
    w.start()
    for _ in range(3):
        time.sleep(1.0)
        leader = _wait_leader(c)
        cl = Client(c, 'reader')
        term = cl.status(instance=leader)[1][3]
        cl.close()
        t0 = time.time()
        check(c.procs[leader].stop() == 0, 'the leader did not stop cleanly')
        log = _since_start(c.procs[leader])
        handed = re.findall(r'store\.hand_off to=(store-\d+)', log)
        check(len(handed) == 1 and 'store.stopping hand_off=done' in log, log[-3000:])
        new = _wait_leader(c, not_this=leader)
        cl = Client(c, 'reader')
        new_term = cl.status(instance=new)[1][3]
        cl.close()
        check(new == handed[0] and new_term == term + 1,
              'handed to %s in term %d, but %s leads in term %d' % (handed[0], term, new, new_term))
        wait_for(lambda: w.acked_after(t0), timeout=10, what='a write after the hand-over')
        _start_member(c, leader)
        _wait_caught_up(c, leader)
    # On demand, as etcdctl move-leader: to a follower, under the same writes.
    leader = _wait_leader(c)
    to = [n for n in c.store_names if n != leader][0]
    r = c.kubus('store', '--dir', c.dir, 'move-leader', to)
    check(r.stdout.startswith('leader moved to %s (term ' % to), r.stdout + r.stderr)
    check(_wait_leader(c) == to, 'the leader is not %s' % to)
    r = c.kubus('store', '--dir', c.dir, 'move-leader', 'store-9', check=False)
    check(r.returncode == 1 and 'store-9 is not a voter' in r.stderr, r.stdout + r.stderr)
    w.stop()
    check(len(w.acked) > 100, 'too few writes acknowledged: %d (errors %r)' % (len(w.acked), w.errors))
    _check_acked(c, w, '/registry/roll/')


def test_a_member_is_replaced_under_load(ctx):
    c = _store_cluster(ctx)
    w = Writer(c, 'writer', '/registry/swap/', inflight=8)
    w.start()
    time.sleep(1)
    # Out goes a follower; in comes a new member, which starts empty and catches up.
    leader = _wait_leader(c)
    gone = [n for n in c.store_names if n != leader][0]
    c.kubus('store', '--dir', c.dir, 'member', 'remove', gone)
    c.procs[gone].stop()
    c.keys('store', 'store-4')
    r = c.kubus('store', '--dir', c.dir, 'member', 'add', 'store-4')
    check('added store-4' in r.stdout, r.stdout)
    _start_member(c, 'store-4')

    def voter():
        r = c.kubus('store', '--dir', c.dir, '--json', 'member', 'list')
        members = json.loads(r.stdout)['members']
        names = {m.get('name'): m for m in members}
        return 'store-4' in names and not names['store-4'].get('learner') and gone not in names
    wait_for(voter, timeout=20, what='store-4 to become a voter')
    time.sleep(1)
    w.stop()
    have = _check_acked(c, w, '/registry/swap/')
    cl = Client(c, 'reader')
    wait_for(lambda: len(cl.items('/registry/swap/', serializable=True, instance='store-4')) >= len(have),
             timeout=15, what='store-4 to hold everything')
    cl.close()


def test_a_member_far_behind_catches_up_by_snapshot(ctx):
    c = _store_cluster(ctx, extra=['--snapshot-entries', '100', '--catchup-entries', '20'])
    c.procs['store-3'].stop()
    cl = Client(c, 'writer')
    for i in range(600):
        cl.put('/registry/snap/%04d' % i, 'x%d' % i)
    _start_member(c, 'store-3')
    wait_for(lambda: cl.get('/registry/snap/', prefix=True, serializable=True, instance='store-3').get(3) == 600,
             timeout=20, what='store-3 to catch up')
    log = c.procs['store-3'].log()
    check('store.snapshot.installed' in log, 'store-3 caught up without a snapshot:\n' + log[-3000:])
    # And it is a full member again: it serves linearizable reads.
    check(cl.get('/registry/snap/0599', instance='store-3')[1][0][2] == b'x599')
    cl.close()


def test_watches_replay_history_and_compaction_answers_gone(ctx):
    c = _store_cluster(ctx, members=1)
    cl = Client(c, 'writer')
    first = cl.put('/registry/w/a', '1')[1]
    cl.put('/registry/w/b', '2')
    cl.put('/registry/w/a', '3')
    cl.txn(success=[{1: store_client.DELETE, 2: '/registry/w/b'}])
    for i in range(20):
        cl.put('/registry/w/n%02d' % i, str(i))
    events = cl.watch('/registry/w/', first)[1]
    got = [(e[1], e[2][1], e[4]) for e in events]
    check(got[:4] == [(1, '/registry/w/a', first), (1, '/registry/w/b', first + 1),
                      (1, '/registry/w/a', first + 2), (2, '/registry/w/b', first + 3)], got[:4])
    revs = [e[4] for e in events]
    check(revs == list(range(first, first + 24)), 'events out of order or missing: %r' % revs)
    # A paged watch: at most 5 at a time, asked again from the next revision, gives the same.
    paged, frm = [], first
    while True:
        r = cl.watch('/registry/w/', frm, max_events=5)
        paged += [e[4] for e in r.get(1, [])]
        if not r.get(2):
            break
        frm = paged[-1] + 1
    check(paged == revs, paged)
    # Compaction: history below it is gone, reads there answer "gone", the rest stays.
    c.kubus('store', '--dir', c.dir, 'compact', str(first + 10))
    for fn in (lambda: cl.watch('/registry/w/', first),
               lambda: cl.get('/registry/w/a', revision=first + 2)):
        try:
            fn()
            check(False, 'a compacted revision was served')
        except StoreError as e:
            check(e.status == store_client.EGONE and 'compacted' in e.text, e)
    check(len(cl.watch('/registry/w/', first + 11)[1]) == 13)
    check(cl.get('/registry/w/a')[1][0][2] == b'3')
    cl.close()


def test_the_leader_compacts_periodically(ctx):
    """--compact-interval: each interval the leader compacts to the revision it saw at the interval
    before, so at least one interval of history stays, and an idle store is not compacted again."""
    c = _store_cluster(ctx, members=1, extra=['--compact-interval', '1'])
    cl = Client(c, 'writer')
    revs = [cl.put('/registry/p/%d' % i, str(i))[1] for i in range(5)]

    def compacted():
        return cl.status()[1].get(5, 0)
    wait_for(lambda: compacted() >= revs[-1], timeout=10, what='a periodic compaction')
    try:
        cl.watch('/registry/p/', revs[0])
        check(False, 'a compacted revision was served')
    except StoreError as e:
        check(e.status == store_client.EGONE, e)
    check(cl.get('/registry/p/4')[1][0][2] == b'4', 'the latest version went with the history')
    later = cl.put('/registry/p/late', 'x')[1]
    check(compacted() < later, 'compacted to a revision less than an interval old')
    wait_for(lambda: compacted() >= later, timeout=10, what='the next periodic compaction')
    time.sleep(0.2)
    done = c.procs['store-1'].log().count('store.compact.periodic revision=')
    time.sleep(2.5)  # idle: nothing new to compact, so nothing is proposed
    log = c.procs['store-1'].log()
    check(log.count('store.compact.periodic revision=') == done, log[-3000:])
    check('error=' not in log.split('store.compact.periodic', 1)[1], log[-3000:])
    cl.close()
    # A lone member has nobody to hand over to: it stops at once.
    check(c.procs['store-1'].stop() == 0, 'store-1 did not stop cleanly')
    log = c.procs['store-1'].log()
    check('store.hand_off to=- why="no other voter in reach"' in log and
          'store.stopping' not in log, log[-2000:])


def test_changes_are_published_on_the_bus(ctx):
    import zmq
    import wire
    c = _store_cluster(ctx, members=1)
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.linger = 0
    me = wire.read_cert(os.path.join(c.dir, 'keys', 'admin.key'))
    sub.curve_serverkey = wire.read_cert(os.path.join(c.dir, 'certs', 'broker-1.cert'))['public'].encode()
    sub.curve_publickey, sub.curve_secretkey = me['public'].encode(), me['secret'].encode()
    sub.setsockopt(zmq.SUBSCRIBE, b'/registry/pub/')
    sub.connect('tcp://127.0.0.1:%d' % c.ports('broker-1')['subscribe'])
    time.sleep(0.5)  # the subscription reaches the broker
    cl = Client(c, 'writer')
    revs = [cl.put('/registry/pub/k%d' % i, 'v%d' % i)[1] for i in range(10)]
    seen = []
    until = time.time() + 5
    while len(seen) < 10 and time.time() < until:
        if sub.poll(200):
            topic, env, body = wire.parse(sub.recv(), topic=True)
            seen.append((topic, body[4], body.get(5, 0)))
    check([s[1] for s in seen] == revs, 'published %r, written %r' % (seen, revs))
    check(seen[0][0] == '/registry/pub/k0')
    # group_prev chains each event to the previous one of its group (/registry/pub/).
    check(all(seen[i][2] == seen[i - 1][1] for i in range(1, 10)), seen)
    sub.close()
    cl.close()


def test_bad_input_gets_clear_errors(ctx):
    c = _store_cluster(ctx, members=1, extra=['--quota-bytes', str(4 << 20)])
    cl = Client(c, 'writer')
    for key, value, status, text in (('/k/' + 'x' * 600, 'v', store_client.EINVALID, '503'),
                                     ('/k/big', b'x' * (2 << 20), store_client.ETOOBIG, 'value'),
                                     ('', 'v', -5000, '')):
        try:
            cl.put(key, value)
            check(False, 'accepted %r' % key[:20])
        except StoreError as e:
            check(e.status in (status, store_client.EINVALID) and text in e.text, e)
    # Past the quota: writes refused with a clear error, deletes still taken, nothing lost.
    acked = []
    try:
        for i in range(400):
            cl.put('/registry/full/%04d' % i, b'y' * 100000)
            acked.append(i)
        check(False, 'the quota never refused a write')
    except StoreError as e:
        check(e.status == store_client.EUNAVAILABLE and 'space exceeded' in e.text, e)
    cl.txn(success=[{1: store_client.DELETE, 2: '/registry/full/0000'}])
    have = cl.items('/registry/full/')
    check(len(have) == len(acked) - 1, (len(have), len(acked)))
    cl.close()
    # Data of another cluster, and a data file that is not LMDB's: refused at start.
    c.procs['store-1'].stop()
    other = c.start('store-1-other', [harness.bin_path('kubus-store'), '--dir', c.dir, '--name',
                                      'store-1', '--cluster-id', '1234'])
    wait_for(lambda: not other.alive(), what='a member of another cluster to refuse to start')
    check(other.popen.returncode == 1 and 'belongs to cluster' in other.log(), other.log())
    other.killed = True
    bad = os.path.join(ctx.dir, 'bad')
    os.makedirs(bad)
    with open(os.path.join(bad, 'data.mdb'), 'wb') as f:
        f.write(os.urandom(65536))
    corrupt = c.start('store-corrupt', [harness.bin_path('kubus-store'), '--dir', c.dir, '--name',
                                        'store-1', '--data', bad])
    wait_for(lambda: not corrupt.alive(), what='a corrupt data file to be refused')
    check(corrupt.popen.returncode == 1 and 'not an LMDB data file' in corrupt.log(), corrupt.log())
    corrupt.killed = True


def test_a_member_of_another_cluster_is_ignored(ctx):
    c = _store_cluster(ctx)
    leader = _wait_leader(c)
    cl = Client(c, 'reader')
    term = cl.status()[1][3]
    # A stray member with the same name list but another cluster id campaigns at our members.
    c.keys('store', 'store-9')
    stray = c.start('store-9', [harness.bin_path('kubus-store'), '--dir', c.dir, '--name', 'store-9',
                                '--cluster-id', 'abcdef', '--initial',
                                'store-1,store-2,store-9', '--election-ticks', '3'])
    time.sleep(3)
    check(stray.alive())
    check(_leader(c) == leader and cl.status()[1][3] == term, 'the stray member disturbed the cluster')
    logs = ''.join(c.procs[n].log() for n in c.store_names)
    check('store.foreign' in logs, 'no member noticed the foreign messages')
    cl.close()


def test_kubus_store_commands(ctx):
    c = _store_cluster(ctx, members=1)

    def k(*args, **kw):
        return c.kubus('store', '--dir', c.dir, *args, **kw)
    check(k('put', '/registry/cli/a', 'hello').stdout.startswith('OK revision '))
    check(k('put', '/registry/cli/a', 'again', '--create', check=False).returncode == 1)
    r = k('put', '/registry/cli/b', '-', input='from stdin')
    check(k('get', '/registry/cli/b').stdout == '/registry/cli/b\nfrom stdin\n')
    check(k('get', '/registry/cli/', '--prefix', '--keys-only').stdout ==
          '/registry/cli/a\n/registry/cli/b\n')
    check(k('del', '/registry/cli/', '--prefix').stdout.strip() == '2')
    check(k('get', '/registry/cli/', '--prefix').stdout == '')
    # watch follows changes until Ctrl-C, which ends it quietly with exit 0.
    rev = k('put', '/registry/cli/w', 'seen').stdout.split()[-1]
    w = c.start('watch', [harness.bin_path('kubus'), 'store', '--dir', c.dir, 'watch',
                          '/registry/cli/', '--rev', rev])
    wait_for(lambda: 'PUT /registry/cli/w ' in w.log(), timeout=10, what='the watch to print the put')
    w.popen.send_signal(signal.SIGINT)
    check(w.popen.wait(timeout=10) == 0, 'watch exited %s:\n%s' % (w.popen.returncode, w.log()))
    check(w.log().strip().startswith('PUT /registry/cli/w ') and 'kubus:' not in w.log(), w.log())
    k('del', '/registry/cli/w')
    st = json.loads(k('--json', 'status').stdout)
    check(st[0]['role'] == 'leader' and st[0]['header']['member'] == 'store-1', st)
    snap = os.path.join(ctx.dir, 'snap.db')
    check('saved to' in k('snapshot', 'save', snap).stdout)
    # A new cluster from the snapshot: restored, started, and holding the data.
    k('put', '/registry/cli/c', 'kept')
    snap2 = os.path.join(ctx.dir, 'snap2.db')
    k('snapshot', 'save', snap2)
    data = os.path.join(ctx.dir, 'restored')
    r = k('snapshot', 'restore', snap2, '--data', data, '--name', 'store-r', '--initial', 'store-r',
          '--cluster-id', 'fedcba')
    check('restored' in r.stdout, r.stdout)
    c.procs['store-1'].stop()
    c.keys('store', 'store-r')
    c.start('store-r', [harness.bin_path('kubus-store'), '--dir', c.dir, '--name', 'store-r',
                        '--data', data, '--cluster-id', 'fedcba'])
    wait_for(lambda: k('get', '/registry/cli/c', check=False).stdout == '/registry/cli/c\nkept\n',
             timeout=15, what='the restored member to serve')
    out = k('defrag').stdout
    check('store-r:' in out and '->' in out, out)
