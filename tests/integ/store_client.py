"""A store client for the integration tests, in Python over python3-zmq and wire.py: it speaks
the bus and the store's messages (schemas/store.yaml) without the project's C library, keeps
many requests in flight, and records exactly which writes were acknowledged."""
import os
import random
import threading
import time

import zmq

import wire

TXN, TXN_REPLY, RANGE, RANGE_REPLY, EVENT, WATCH, WATCH_REPLY = 1000, 1001, 1002, 1003, 1004, 1005, 1006
COMPACT, COMPACT_REPLY, MEMBER, MEMBER_REPLY, STATUS, STATUS_REPLY = 1007, 1008, 1010, 1011, 1012, 1013
PUT, DELETE = 1, 2
EGONE, EINVALID, ETOOBIG, EUNAVAILABLE = -5012, -5013, -5001, -5015


class StoreError(Exception):
    def __init__(self, status, text):
        super().__init__('%d: %s' % (status, text))
        self.status = status
        self.text = text


def put_op(key, value):
    return {1: PUT, 2: key, 3: value if isinstance(value, bytes) else value.encode()}


class Client:
    """One DEALER to the cluster's first broker, as certificate name (a role that may call
    store). Not thread-safe: one per thread."""

    def __init__(self, cluster, name, broker='broker-1'):
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.linger = 0
        me = wire.read_cert(os.path.join(cluster.dir, 'keys', name + '.key'))
        srv = wire.read_cert(os.path.join(cluster.dir, 'certs', broker + '.cert'))
        self.sock.curve_serverkey = srv['public'].encode()
        self.sock.curve_publickey = me['public'].encode()
        self.sock.curve_secretkey = me['secret'].encode()
        self.sock.connect('tcp://127.0.0.1:%d' % cluster.ports(broker)['router'])
        # Request ids name requests across retries (the services cache answers by caller and
        # id): a new connection must not reuse an earlier one's.
        self.rid = random.getrandbits(48)
        self.last_beat = 0

    def close(self):
        self.sock.close()

    def beat(self):
        if time.time() - self.last_beat > 0.1:
            self.sock.send(wire.frame({wire.KIND: wire.HEARTBEAT}))
            self.last_beat = time.time()

    def send(self, mtype, body, timeout_ms=3000, instance=None):
        self.rid += 1
        env = {wire.KIND: wire.REQUEST, wire.SERVICE: 'store', wire.RID: self.rid,
               wire.TIMEOUT_MS: timeout_ms, wire.TYPE: mtype}
        if instance:
            env[wire.INSTANCE] = instance
        self.sock.send(wire.frame(env, body))
        return self.rid

    def recv(self, timeout=0.1):
        """(rid, status, error, body) of the next reply, or None."""
        self.beat()
        if not self.sock.poll(int(timeout * 1000)):
            return None
        _, env, body = wire.parse(self.sock.recv())
        if env.get(wire.KIND) != wire.REPLY:
            return None
        return env.get(wire.RID), env.get(wire.STATUS, 0), env.get(wire.ERROR, ''), body

    def call(self, mtype, body, timeout_ms=5000, instance=None):
        rid = self.send(mtype, body, timeout_ms, instance)
        until = time.time() + timeout_ms / 1000.0 + 2
        while time.time() < until:
            r = self.recv()
            if r and r[0] == rid:
                if r[1]:
                    raise StoreError(r[1], r[2])
                return r[3]
        raise StoreError(-5003, 'no answer')

    # Convenience.
    def put(self, key, value, **kw):
        return self.call(TXN, {2: [put_op(key, value)]}, **kw)

    def txn(self, compares=(), success=(), failure=(), **kw):
        return self.call(TXN, {1: list(compares), 2: list(success), 3: list(failure)}, **kw)

    def get(self, key, prefix=False, revision=0, serializable=False, instance=None, limit=0):
        body = {1: key, 3: prefix, 4: revision, 9: serializable}
        if limit:
            body[5] = limit
        return self.call(RANGE, body, instance=instance)

    def items(self, prefix, serializable=False, instance=None):
        """Every key under prefix, page by page at one revision: {key: value}."""
        out, after, rev = {}, None, 0
        while True:
            body = {1: prefix, 3: True, 4: rev, 5: 1000, 9: serializable}
            if after:
                body[6] = after
            r = self.call(RANGE, body, instance=instance)
            for kv in r.get(1, []):
                out[kv[1]] = kv.get(2, b'')
            rev = r[4][4]
            if not r.get(2) or not r.get(1):
                return out
            after = r[1][-1][1]

    def watch(self, prefix, from_revision, max_events=0):
        body = {1: prefix, 2: from_revision}
        if max_events:
            body[3] = max_events
        return self.call(WATCH, body)

    def status(self, instance=None):
        return self.call(STATUS, {}, instance=instance)


class Writer(threading.Thread):
    """Keeps `inflight` puts of distinct keys (prefix + number) going until stopped, and records
    which were acknowledged, when, and what errors came back."""

    def __init__(self, cluster, name, prefix, inflight=16, timeout_ms=3000):
        super().__init__(daemon=True)
        self.cluster, self.name, self.prefix = cluster, name, prefix
        self.inflight, self.timeout_ms = inflight, timeout_ms
        self.acked = {}  # key -> (value, time sent, time acknowledged)
        self.errors = {}  # error text -> count
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.failure = None

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by stop()
            self.failure = e

    def _run(self):
        c = Client(self.cluster, self.name)
        pending = {}  # rid -> (key, value, sent)
        n = 0
        while not self.stopping.is_set() or pending:
            while not self.stopping.is_set() and len(pending) < self.inflight:
                n += 1
                key, value = '%s%08d' % (self.prefix, n), 'v%d' % n
                rid = c.send(TXN, {2: [put_op(key, value)]}, self.timeout_ms)
                pending[rid] = (key, value, time.time())
                self.sent += 1
            r = c.recv(0.05)
            now = time.time()
            if r and r[0] in pending:
                key, value, sent = pending.pop(r[0])
                with self.lock:
                    if r[1]:
                        self.errors[r[2]] = self.errors.get(r[2], 0) + 1
                    elif r[3].get(2):
                        self.acked[key] = (value, sent, now)
            # Requests whose answer never came are forgotten: unknown, like a lost client.
            for rid in [k for k, v in pending.items() if now - v[2] > self.timeout_ms / 1000.0 + 3]:
                del pending[rid]
        c.close()

    def acked_after(self, t):
        """The first acknowledgement of a write sent after t: its time, or None."""
        with self.lock:
            times = [a for (_, s, a) in self.acked.values() if s > t]
        return min(times) if times else None

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
        if self.failure:
            raise self.failure
