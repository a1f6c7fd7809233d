"""What integration tests share: a temp directory per test, real processes with their logs, and
clusters built the way an operator builds them (kubus keys, cluster.json, kubus-broker...).

Every process a test starts is stopped with SIGTERM at the end and must exit 0 with no sanitizer
report in its log, unless the test killed it on purpose. A failing test keeps its directory and
shows the tail of every log.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = None  # set by tests/run
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                   'SUMMARY: UndefinedBehaviorSanitizer')


class TestFailure(AssertionError):
    pass


def check(cond, message='check failed'):
    if not cond:
        raise TestFailure(message)


def wait_for(fn, timeout=10.0, interval=0.05, what='condition'):
    """Polls fn until it returns something true; returns that, or fails after timeout."""
    until = time.time() + timeout
    last = None
    while time.time() < until:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the thing may not exist yet
            last = e
        time.sleep(interval)
    raise TestFailure('timed out after %.1f s waiting for %s (last: %r)' % (timeout, what, last))


def bin_path(name):
    return os.path.join(BIN, name)


class Proc:
    def __init__(self, ctx, name, argv, env=None):
        self.ctx = ctx
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(ctx.dir, 'logs', name + '.log')
        self.killed = False  # killed on purpose: its exit code is not checked
        log = open(self.log_path, 'ab')
        e = dict(os.environ)
        e.update(env or {})
        self.popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=e,
                                      stdin=subprocess.DEVNULL)
        log.close()

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def log(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def kill(self, sig=signal.SIGKILL):
        self.killed = True
        try:
            self.popen.send_signal(sig)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                return 'hung (killed after %d s)' % timeout
        return self.popen.returncode


class Cluster:
    """A cluster directory with brokers on ephemeral loopback ports."""

    def __init__(self, ctx, brokers=1, heartbeat_ms=200, liveness=3, msg_max=None, name='c',
                 broker_limits=None):
        self.ctx = ctx
        self.dir = os.path.join(ctx.dir, name)
        os.makedirs(self.dir)
        self.broker_names = ['broker-%d' % (i + 1) for i in range(brokers)]
        for b in self.broker_names:
            self.keys('broker', b)
        conf = {'cluster': name, 'heartbeat_ms': heartbeat_ms, 'liveness': liveness,
                'brokers': [{'name': b, 'host': '127.0.0.1',
                             'ports': {'router': 0, 'publish': 0, 'subscribe': 0, 'tap': 0}}
                            for b in self.broker_names]}
        if msg_max:
            conf['msg_max'] = msg_max
        if broker_limits:
            conf['broker_limits'] = broker_limits
        with open(os.path.join(self.dir, 'cluster.json'), 'w') as f:
            json.dump(conf, f)
        self.procs = {}

    def keys(self, role, name):
        self.kubus('keys', 'new', '--dir', self.dir, '--role', role, name)

    def kubus(self, *args, check=True, timeout=60, input=None):
        r = subprocess.run([bin_path('kubus')] + list(args), capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise TestFailure('kubus %s: exit %d\n%s%s' % (' '.join(args), r.returncode, r.stdout,
                                                           r.stderr))
        return r

    def start(self, name, argv):
        p = Proc(self.ctx, name, argv)
        self.procs[name] = p
        self.ctx.procs.append(p)
        return p

    def ports(self, broker):
        """The ports a broker listens on: pinned in cluster.json, or reported in its run file."""
        with open(os.path.join(self.dir, 'cluster.json')) as f:
            conf = [b for b in json.load(f)['brokers'] if b['name'] == broker][0]['ports']
        if all(conf.values()):
            return conf
        with open(os.path.join(self.dir, 'run', broker + '.ports.json')) as f:
            return json.load(f)

    def start_broker(self, name=None):
        name = name or self.broker_names[0]
        old = self.procs.get(name)
        started = old.log().count('broker.started') if old else 0
        p = self.start(name, [bin_path('kubus-broker'), '--dir', self.dir, '--name', name])
        # The log is shared with an earlier run of the same broker: wait for a new start line.
        wait_for(lambda: p.log().count('broker.started') > started or not p.alive(),
                 what='%s to bind' % name)
        check(p.alive(), '%s exited:\n%s' % (name, p.log()))
        return p

    def pin_ports(self):
        """Writes the ports the brokers got into cluster.json, so a restarted broker binds them
        again (as kubus up does)."""
        path = os.path.join(self.dir, 'cluster.json')
        with open(path) as f:
            conf = json.load(f)
        for b in conf['brokers']:
            b['ports'] = self.ports(b['name'])
        with open(path, 'w') as f:
            json.dump(conf, f)

    def start_brokers(self):
        for b in self.broker_names:
            self.start_broker(b)
        self.pin_ports()

    def start_echo(self, name, credits=64, make_key=True):
        if make_key:
            self.keys('echo', name)
        return self.start(name, [bin_path('kubus-echo'), '--dir', self.dir, '--name', name,
                                 '--credits', str(credits)])

    def wait_workers(self, service, n, broker=None, client='admin', timeout=10):
        """Waits until every broker (or one) reports n workers of service."""
        brokers = [broker] if broker else self.broker_names

        def ready():
            for b in brokers:
                st = self.status(b, client)
                svc = [s for s in st.get('services', []) if s['name'] == service]
                if not svc or len(svc[0].get('workers', [])) != n:
                    return False
            return True
        wait_for(ready, timeout=timeout, what='%d workers of %s' % (n, service))

    def status(self, broker, client='admin'):
        self.ensure_key('admin', client)
        r = self.kubus('status', '--dir', self.dir, '--name', client, '--broker', broker, '--json')
        return json.loads(r.stdout)

    def ensure_key(self, role, name):
        if not os.path.exists(os.path.join(self.dir, 'keys', name + '.key')):
            self.keys(role, name)

    def load(self, client='client', timeout=120, **opts):
        """Runs the load generator as a test client; returns its JSON summary."""
        self.ensure_key('test', client)
        argv = [bin_path('kubus-bench-bus'), 'load', '--dir', self.dir, '--name', client, '--json']
        for k, v in opts.items():
            flag = '--' + k.replace('_', '-')
            if v is True:
                argv.append(flag)
            elif v is not False and v is not None:
                argv += [flag, str(v)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if not r.stdout.strip():
            raise TestFailure('load generator printed nothing (exit %d):\n%s' % (r.returncode, r.stderr))
        out = json.loads(r.stdout.strip().splitlines()[-1])
        out['exit'] = r.returncode
        out['stderr'] = r.stderr
        return out


class Context:
    """One test's world: a temp dir and every process started in it."""

    def __init__(self, name, keep=False):
        self.name = name
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix='kubus-test-')
        os.makedirs(os.path.join(self.dir, 'logs'))
        self.procs = []
        self.finished = None

    def cluster(self, **kw):
        return Cluster(self, **kw)

    def start(self, name, argv, env=None):
        p = Proc(self, name, argv, env)
        self.procs.append(p)
        return p

    def free_port(self):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def finish(self, failed):
        """Stops everything. Raises when a process misbehaved (non-zero exit on SIGTERM, or a
        sanitizer report); with failed=True returns the logs' tails instead."""
        if self.finished is None:
            problems = []
            for p in reversed(self.procs):
                code = p.stop()
                if not p.killed and code != 0:
                    problems.append('%s exited with %s after SIGTERM' % (p.name, code))
                text = p.log()
                for mark in SANITIZER_MARKS:
                    if mark in text:
                        problems.append('%s: sanitizer report (%s)' % (p.name, mark))
                        break
            self.finished = problems
        if not failed and not self.finished:
            if not self.keep:
                shutil.rmtree(self.dir, ignore_errors=True)
            return ''
        detail = ''.join(p + '\n' for p in self.finished)
        for p in self.procs:
            tail = p.log().splitlines()[-25:]
            detail += '--- %s (%s)\n%s\n' % (p.name, p.log_path, '\n'.join(tail))
        detail += '(test directory kept: %s)\n' % self.dir
        if not failed:
            raise TestFailure(detail)  # the test passed but a process misbehaved
        return detail
