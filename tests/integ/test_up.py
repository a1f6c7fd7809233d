"""kubus up and kubus down: creating a cluster, supervising its processes (restart after a crash,
children that die with the supervisor), detaching, and stopping. Ephemeral ports only."""
import json
import os
import signal
import socket
import stat
import subprocess

import harness
from harness import check, wait_for

READY = 'cluster up in '


def _dir(ctx):
    return os.path.realpath(os.path.join(ctx.dir, 'kubus'))


def _kubus(*args, timeout=40):
    return subprocess.run([harness.bin_path('kubus')] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _conf(d):
    with open(os.path.join(d, 'cluster.json')) as f:
        return json.load(f)


def _ports(d, broker=0):
    return _conf(d)['brokers'][broker]['ports']


def _state(pid):
    """The process's state letter, or None when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _gone(pid):
    return _state(pid) in (None, 'Z', 'X')  # a zombie has exited; only its parent has to reap it


def _pids(d, program='kubus-broker'):
    """Live processes running program with d in their arguments."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as f:
                argv = [a.decode(errors='replace') for a in f.read().split(b'\0') if a]
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == program and d in argv and not _gone(int(entry)):
            found.append(int(entry))
    return sorted(found)


def _accepts(port):
    with socket.create_connection(('127.0.0.1', port), timeout=2):
        return True


def _no_sanitizer_reports(d):
    logs = os.path.join(d, 'log')
    for name in sorted(os.listdir(logs)):
        with open(os.path.join(logs, name), errors='replace') as f:
            text = f.read()
        for mark in harness.SANITIZER_MARKS:
            check(mark not in text, '%s: sanitizer report:\n%s' % (name, text[-4000:]))


def _up_foreground(ctx, *extra):
    d = _dir(ctx)
    sup = ctx.start('up', [harness.bin_path('kubus'), 'up', '--foreground', '--dir', d,
                           '--base-port', '0'] + list(extra))
    wait_for(lambda: READY in sup.log() or not sup.alive(), timeout=25, what='the ready line')
    check(sup.alive() and READY in sup.log(), 'kubus up is not ready:\n' + sup.log())
    return sup, d


def _down(d, sup=None):
    brokers = _pids(d) + _pids(d, 'kubus-store')
    r = _kubus('down', '--dir', d)
    check(r.returncode == 0 and 'kubus: cluster in %s stopped' % d in r.stdout,
          'kubus down: exit %d\n%s%s' % (r.returncode, r.stdout, r.stderr))
    if sup:
        check(sup.popen.wait(timeout=15) == 0, 'the supervisor exited with %s' % sup.popen.returncode)
    wait_for(lambda: all(_gone(p) for p in brokers), timeout=10, what='the brokers and stores to exit')
    r = _kubus('down', '--dir', d)
    check(r.returncode == 0 and 'kubus: not running in %s' % d in r.stdout, r.stdout + r.stderr)


def test_up_foreground_and_down(ctx):
    sup, d = _up_foreground(ctx)
    ports = _ports(d)
    check(sorted(ports) == ['publish', 'router', 'subscribe', 'tap'], ports)
    check(all(isinstance(p, int) and 0 < p < 65536 for p in ports.values()), 'not pinned: %r' % ports)
    check('%s%s (1 broker: tcp://127.0.0.1:%d; store: 1 member, leader store-1; API: '
          'https://127.0.0.1:%d)' % (READY, d, ports['router'], _conf(d)['gateway']['port'])
          in sup.log(), sup.log())
    for name in ('broker-1', 'store-1', 'gateway-1', 'admin', 'tap'):
        check(os.path.exists(os.path.join(d, 'certs', name + '.cert')), 'no certificate for ' + name)
        mode = stat.S_IMODE(os.stat(os.path.join(d, 'keys', name + '.key')).st_mode)
        check(mode == 0o600, '%s.key has mode %o' % (name, mode))
    for port in ports.values():
        check(_accepts(port), 'port %d' % port)
    check(len(_pids(d)) == 1, 'brokers: %r' % _pids(d))
    with open(os.path.join(d, 'run', 'up.pid')) as f:
        check(int(f.read()) == sup.pid, 'up.pid is not the supervisor')
    _down(d, sup)
    check(not os.path.exists(os.path.join(d, 'run', 'up.pid')), 'up.pid left behind')
    check('up.child.stopped name=broker-1' in sup.log(), sup.log())
    _no_sanitizer_reports(d)


def test_up_two_brokers(ctx):
    sup, d = _up_foreground(ctx, '--brokers', '2')
    conf = _conf(d)
    check([b['name'] for b in conf['brokers']] == ['broker-1', 'broker-2'], conf)
    check([c['name'] for c in conf['components']] == ['broker-1', 'broker-2', 'store-1',
                                                         'gateway-1'], conf)
    check('(2 brokers: tcp://127.0.0.1:%d, tcp://127.0.0.1:%d; store: 1 member'
          % (_ports(d, 0)['router'], _ports(d, 1)['router']) in sup.log(), sup.log())
    check(len(_pids(d)) == 2, 'brokers: %r' % _pids(d))
    _down(d, sup)
    _no_sanitizer_reports(d)


def test_restart_on_crash(ctx):
    sup, d = _up_foreground(ctx)
    ports = _ports(d)
    [old] = _pids(d)
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: [p for p in _pids(d) if p != old], timeout=10, what='a new broker')
    check(len(new) == 1, new)
    started = 'broker.started name=broker-1 router=%d ' % ports['router']

    def restarted():
        with open(os.path.join(d, 'log', 'broker-1.log')) as f:
            return f.read().count(started) == 2
    wait_for(restarted, timeout=10, what='the broker to bind the pinned ports again')
    check(_ports(d) == ports, 'ports changed: %r -> %r' % (ports, _ports(d)))
    check(_accepts(ports['router']), 'router port')
    log = sup.log()
    check('up.child.exited name=broker-1 pid=%d signal=KILL' % old in log, log)
    check('up.child.restarted name=broker-1 pid=%d' % new[0] in log, log)
    _down(d, sup)
    _no_sanitizer_reports(d)


def _store(d, *args):
    r = _kubus('store', '--dir', d, *args)
    check(r.returncode == 0, 'kubus store %s: exit %d\n%s%s' % (' '.join(args), r.returncode,
                                                               r.stdout, r.stderr))
    return r.stdout


def test_up_store_keeps_data_across_crash_and_restart(ctx):
    """kubus up runs a store member: writes survive a kill -9 of it (the supervisor restarts it)
    and a whole down and up; the data file belongs to this cluster's id."""
    sup, d = _up_foreground(ctx)
    conf = _conf(d)
    check(conf['store']['members'] == ['store-1'], conf)
    check(len(conf['store']['cluster_id']) == 16 and int(conf['store']['cluster_id'], 16), conf)
    check('store: 1 member, leader store-1' in sup.log(), sup.log())
    for i in range(20):
        check(_store(d, 'put', 'k/%02d' % i, 'v%d' % i).startswith('OK revision'), 'put')
    [old] = _pids(d, 'kubus-store')
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: [p for p in _pids(d, 'kubus-store') if p != old], timeout=10,
             what='the store restarted')

    def served():
        r = _kubus('store', '--dir', d, 'get', 'k/', '--prefix', '--keys-only')
        return r.returncode == 0 and r.stdout.split() == ['k/%02d' % i for i in range(20)]
    wait_for(served, timeout=15, what='every write back after the store was killed')
    _down(d, sup)
    sup, d = _up_foreground(ctx)
    check(_store(d, 'get', 'k/07').split() == ['k/07', 'v7'], 'lost across down and up')
    _down(d, sup)
    check(os.path.isfile(os.path.join(d, 'data', 'store-1', 'data.mdb')), 'no data file')
    _no_sanitizer_reports(d)


def test_up_three_store_members(ctx):
    sup, d = _up_foreground(ctx, '--stores', '3')
    conf = _conf(d)
    check(conf['store']['members'] == ['store-1', 'store-2', 'store-3'], conf)
    check('store: 3 members, leader store-' in sup.log(), sup.log())
    check(len(_pids(d, 'kubus-store')) == 3, _pids(d, 'kubus-store'))
    _store(d, 'put', 'ha', 'yes')
    status = _store(d, 'status')
    check(sum(1 for line in status.splitlines()[1:] if ' leader ' in line) == 1, status)
    r = _kubus('up', '--dir', d, '--stores', '1')
    check(r.returncode == 1 and 'has 3 store member(s): --stores 1 would change it' in r.stderr,
          r.stdout + r.stderr)
    _down(d, sup)
    _no_sanitizer_reports(d)


def test_up_detached_idempotent(ctx):
    d = _dir(ctx)
    try:
        r = _kubus('up', '--dir', d, '--base-port', '0')
        check(r.returncode == 0 and READY + d in r.stdout, 'exit %d\n%s%s' % (r.returncode, r.stdout,
                                                                            r.stderr))
        with open(os.path.join(d, 'run', 'up.pid')) as f:
            pid = int(f.read())
        check(not _gone(pid) and len(_pids(d)) == 1, 'supervisor %d, brokers %r' % (pid, _pids(d)))
        r = _kubus('up', '--dir', d)
        check(r.returncode == 0 and 'kubus: already running in %s (pid %d)' % (d, pid) in r.stdout,
              r.stdout + r.stderr)
        r = _kubus('up', '--dir', d, '--brokers', '2')
        check(r.returncode == 1 and '--brokers 2 would change it' in r.stderr, r.stdout + r.stderr)
    finally:
        r = _kubus('down', '--dir', d)
    check(r.returncode == 0 and 'kubus: cluster in %s stopped' % d in r.stdout, r.stdout + r.stderr)
    wait_for(lambda: _gone(pid) and not _pids(d), timeout=10, what='everything to exit')
    r = _kubus('down', '--dir', d)
    check(r.returncode == 0 and 'kubus: not running in %s' % d in r.stdout, r.stdout + r.stderr)
    with open(os.path.join(d, 'log', 'kubus-up.log')) as f:
        log = f.read()
    check('up.ready' in log and 'up.stopped' in log, log)
    _no_sanitizer_reports(d)


def test_supervisor_death_takes_children(ctx):
    sup, d = _up_foreground(ctx)
    [broker] = _pids(d)
    [store] = _pids(d, 'kubus-store')
    sup.kill(signal.SIGKILL)
    wait_for(lambda: _gone(broker) and _gone(store), timeout=10,
             what='the broker and the store to die with their supervisor')
    r = _kubus('down', '--dir', d)  # the lock died with the supervisor; its pid file did not
    check(r.returncode == 0 and 'kubus: not running in %s' % d in r.stdout, r.stdout + r.stderr)


def _hand_cluster(ctx, *extra):
    """A cluster.json written by hand, as an operator may: one broker and extra components."""
    c = ctx.cluster(brokers=1, name='hand')
    c.ensure_key('admin', 'admin')
    conf = _conf(c.dir)
    conf['components'] = [{'name': 'broker-1', 'program': 'kubus-broker',
                           'args': ['--dir', '{dir}', '--name', '{name}']}] + list(extra)
    with open(os.path.join(c.dir, 'cluster.json'), 'w') as f:
        json.dump(conf, f)
    d = os.path.realpath(c.dir)
    sup = ctx.start('up', [harness.bin_path('kubus'), 'up', '--foreground', '--dir', d])
    wait_for(lambda: READY in sup.log() or not sup.alive(), timeout=25, what='the ready line')
    check(READY in sup.log(), sup.log())
    return sup, d


def _log_ends_with(path, text):
    with open(path) as f:
        return f.read().endswith(text)


def test_up_runs_components_and_rotates_logs(ctx):
    """Any program, {dir} and {name} substituted, env set, and a log that outgrows 10 MiB
    rotated once."""
    noisy = ('echo "name={name} dir={dir} greeting=$GREETING"; '
             'head -c 11534336 /dev/zero | tr "\\0" x; echo; echo done; exec sleep 600')
    sup, d = _hand_cluster(ctx, {'name': 'noise', 'program': 'sh', 'args': ['-c', noisy],
                                 'env': {'GREETING': 'hi-{name}'}})
    log = os.path.join(d, 'log', 'noise.log')
    wait_for(lambda: _log_ends_with(log, 'done\n'), timeout=20, what='the noisy component')
    old, new = os.path.getsize(log + '.1'), os.path.getsize(log)
    with open(log + '.1') as f:
        first = f.readline()
    check(first == 'name=noise dir=%s greeting=hi-noise\n' % d, first)
    # Rotated before the write that would pass 10 MiB (reads are at most 64 KiB), nothing lost.
    check(10 << 20 >= old > (10 << 20) - 65536, 'noise.log.1 has %d bytes' % old)
    check(old + new == len(first) + 11534336 + len('\ndone\n'), 'sizes %d + %d' % (old, new))
    check(_ports(d)['router'] > 0, 'ports not pinned in a hand-written cluster.json')
    _down(d, sup)
    check('up.child.stopped name=noise pid=' in sup.log(), sup.log())


def test_up_stop_kills_what_ignores_sigterm(ctx):
    """A service that ignores SIGTERM is killed, and the broker still stops cleanly after it."""
    sup, d = _hand_cluster(ctx, {'name': 'stubborn', 'program': 'sh',
                                 'args': ['-c', 'trap "" TERM; echo ready; exec sleep 600']})
    log = os.path.join(d, 'log', 'stubborn.log')
    wait_for(lambda: _log_ends_with(log, 'ready\n'), timeout=10, what='the stubborn component')
    _down(d, sup)
    log = sup.log()
    killed = log.find('up.child.stopped name=stubborn pid=')
    stopped = log.find('up.child.stopped name=broker-1 pid=')
    check('up.child.kill name=stubborn' in log and 'up.child.kill name=broker-1' not in log, log)
    check(0 <= killed < stopped, 'the broker did not stop after the service:\n' + log)
    check(log[killed:].split('\n')[0].endswith('signal=KILL'), log)
    check(log[stopped:].split('\n')[0].endswith('status=0'), log)


def test_up_down_usage(ctx):
    for cmd in ('up', 'down'):
        r = _kubus(cmd, '--help')
        check(r.returncode == 0 and r.stdout.startswith('usage: kubus %s' % cmd), r.stdout + r.stderr)
        r = _kubus(cmd, '--no-such-option')
        check(r.returncode == 2 and 'usage: kubus %s' % cmd in r.stderr, r.stdout + r.stderr)
    for bad in (['--brokers', '17'], ['--stores', '0'], ['--stores', '8'], ['--base-port', '70000'], ['--log-level', 'loud'], ['extra']):
        r = _kubus('up', '--dir', _dir(ctx), *bad)
        check(r.returncode == 2, '%r: exit %d' % (bad, r.returncode))
    check(not os.path.exists(_dir(ctx)), 'bad usage created the directory')


def test_up_foreground_fails_when_the_cluster_cannot_start(ctx):
    # A broker that cannot bind its port: kubus up --foreground says why and exits 1 (it used to
    # exit 0 whenever it stopped, failed or not).
    c = ctx.cluster(brokers=1, name='busy')
    c.ensure_key('admin', 'admin')
    taken = socket.socket()
    taken.bind(('127.0.0.1', 0))
    taken.listen(1)
    conf = _conf(c.dir)
    conf['brokers'][0]['ports'] = {'router': taken.getsockname()[1], 'publish': 0,
                                   'subscribe': 0, 'tap': 0}
    conf['components'] = [{'name': 'broker-1', 'program': 'kubus-broker',
                           'args': ['--dir', '{dir}', '--name', '{name}']}]
    with open(os.path.join(c.dir, 'cluster.json'), 'w') as f:
        json.dump(conf, f)
    r = _kubus('up', '--foreground', '--dir', os.path.realpath(c.dir), timeout=60)
    taken.close()
    check(r.returncode == 1, 'exit %d:\n%s%s' % (r.returncode, r.stdout, r.stderr))
    check('Address already in use' in r.stdout + r.stderr, r.stdout + r.stderr)
