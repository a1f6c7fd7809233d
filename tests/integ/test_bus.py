"""The bus: routing, failure of workers and brokers, security, the tap, bad input, events.
Real kubus-broker and kubus-echo processes on 127.0.0.1 with ephemeral ports."""
import json
import os
import re
import threading
import time

import zmq

import harness
import wire
from harness import check, wait_for

ECHO_REQ = {wire.KIND: wire.REQUEST, wire.SERVICE: 'echo', wire.TIMEOUT_MS: 3000,
            wire.TYPE: wire.ECHO_REQUEST}


def _raw(c, cert=None, curve=True, broker='broker-1'):
    """A DEALER from python3-zmq: with a cluster certificate, a random key (cert None), or no
    CURVE at all (curve False)."""
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.linger = 0
    if curve:
        s.curve_serverkey = wire.read_cert(os.path.join(c.dir, 'certs', broker + '.cert'))['public'].encode()
        if cert:
            me = wire.read_cert(os.path.join(c.dir, 'keys', cert + '.key'))
            s.curve_publickey, s.curve_secretkey = me['public'].encode(), me['secret'].encode()
        else:
            s.curve_publickey, s.curve_secretkey = zmq.curve_keypair()
    s.connect('tcp://127.0.0.1:%d' % c.ports(broker)['router'])
    return s


def _ask(sock, data, timeout=2.0, kinds=(wire.REPLY, wire.DISCONNECT)):
    """Sends data (bytes or a list of parts); returns the first reply (envelope, body) or None."""
    if isinstance(data, list):
        sock.send_multipart(data)
    else:
        sock.send(data)
    until = time.time() + timeout
    while time.time() < until:
        if sock.poll(int(max(1, (until - time.time()) * 1000))):
            _, env, body = wire.parse(sock.recv())
            if env.get(wire.KIND) in kinds:
                return env, body
    return None


def _metric(c, name, broker='broker-1'):
    text = c.kubus('status', '--dir', c.dir, '--broker', broker, '--metrics').stdout
    m = re.search(r'^kubus_broker_%s\{[^}]*\} (\d+)$' % name, text, re.M)
    check(m, 'no metric %s in:\n%s' % (name, text))
    return int(m.group(1))


def _echo_cluster(ctx, brokers=1, echoes=2, **kw):
    c = ctx.cluster(brokers=brokers, **kw)
    c.ensure_key('admin', 'admin')
    c.start_brokers()
    for i in range(echoes):
        c.start_echo('echo-%d' % (i + 1))
    if echoes:
        c.wait_workers('echo', echoes)
    return c


def test_spread_over_two_instances(ctx):
    c = _echo_cluster(ctx)
    r = c.load(count=10000, concurrency=100)
    check(r['ok'] == 10000 and r['duplicates'] == 0 and r['unanswered'] == 0, r)
    for name in ('echo-1', 'echo-2'):
        share = r['served_by'].get(name, 0) / 10000
        check(0.3 <= share <= 0.7, '%s took %.0f%% of the requests: %s' % (name, share * 100, r))


def test_kill_instance_mid_run_every_request_answered_once(ctx):
    c = _echo_cluster(ctx)
    victim = c.procs['echo-1']
    killer = threading.Timer(0.5, victim.kill)
    killer.start()
    r = c.load(count=10000, concurrency=100, delay_ms=10)
    killer.join()
    check(not victim.alive(), 'echo-1 still alive')
    check(r['ok'] == 10000, r)
    check(r['duplicates'] == 0 and r['unanswered'] == 0 and not r['errors'], r)
    check(r['served_by'].get('echo-1', 0) > 0, 'echo-1 served nothing before it died: %s' % r)
    # The kill really caught requests in flight: the broker sent them elsewhere.
    check(_metric(c, 'redispatched_total') > 0, 'nothing was re-dispatched')
    log = c.procs['broker-1'].log()
    check('broker.worker.lost worker=echo/echo-1' in log, log)


def test_kill_broker_mid_run_other_broker_carries_on(ctx):
    c = _echo_cluster(ctx, brokers=2)
    victim = c.procs['broker-1']
    killer = threading.Timer(0.5, victim.kill)
    killer.start()
    r = c.load(count=10000, concurrency=100, delay_ms=10)
    killer.join()
    check(not victim.alive())
    check(r['ok'] == 10000 and r['duplicates'] == 0 and r['unanswered'] == 0 and not r['errors'], r)
    check(r['resent'] > 0, 'the client resent nothing through broker-2: %s' % r)
    # broker-2 alone still serves.
    r2 = c.load(count=200, concurrency=10)
    check(r2['ok'] == 200, r2)


def test_security_refuses_plain_unknown_and_wrong_role(ctx):
    c = _echo_cluster(ctx, echoes=1)
    c.keys('admin', 'alice')
    c.keys('tap', 'watcher')
    c.keys('node', 'node-1')
    c.keys('test', 'tester')
    # A valid key works, from a client that is not built on the project's library.
    ok = _ask(_raw(c, 'alice'), wire.frame({**ECHO_REQ, **{wire.RID: 7}}, {1: b'hi'}))
    check(ok, 'admin got no answer')
    env, body = ok
    check(not env.get(wire.STATUS) and body.get(1) == b'hi' and env.get(wire.SERVED_BY) == 'echo-1', ok)
    # Refused at the handshake: an unknown key, no CURVE at all, a tap key on the router.
    hello = wire.frame({**ECHO_REQ, **{wire.RID: 8}}, {1: b'x'})
    check(_ask(_raw(c, None), hello, timeout=1) is None, 'an unknown key was answered')
    check(_ask(_raw(c, curve=False), hello, timeout=1) is None, 'a plain client was answered')
    check(_ask(_raw(c, 'watcher'), hello, timeout=1) is None, 'a tap key was answered on the router')
    # Refused by role: a node agent may not serve echo; a test client may not call the store.
    ready = wire.frame({wire.KIND: wire.READY, wire.TYPE: 1}, {1: [{1: 'echo', 2: 1}]})
    refused = _ask(_raw(c, 'node-1'), ready)
    check(refused and refused[0][wire.KIND] == wire.DISCONNECT and refused[0][wire.STATUS] == -5004,
          refused)
    store = wire.frame({wire.KIND: wire.REQUEST, wire.SERVICE: 'node', wire.RID: 9,
                        wire.TIMEOUT_MS: 1000})
    denied = _ask(_raw(c, 'tester'), store)
    check(denied and denied[0][wire.STATUS] == -5004 and 'may not call' in denied[0][wire.ERROR], denied)
    # Our own service with a key of the wrong role stops with the broker's reason.
    c.keys('node', 'node-2')
    bad = c.start('node-2', [harness.bin_path('kubus-echo'), '--dir', c.dir, '--name', 'node-2'])
    wait_for(lambda: not bad.alive(), what='kubus-echo with a node key to stop')
    check(bad.popen.returncode == 1 and 'role node may not serve echo' in bad.log(), bad.log())
    bad.killed = True  # its non-zero exit is the point
    # Every refusal was logged.
        # libzmq reports a plain client as a mechanism mismatch, or, when the client is gone by the
    # time the handshake fails, as closed during the handshake: either is logged.
    log = wait_for(lambda: (lambda t: ('mechanism mismatch' in t or 'closed during the handshake' in t)
                            and t)(c.procs['broker-1'].log()),
                   what='the plain handshake to be logged')
    check('reason="unknown key"' in log, log)
    check('reason="role not allowed on this socket"' in log, log)
    check('role node may not serve echo' in log, log)


def test_tap_shows_every_message_decoded(ctx):
    c = _echo_cluster(ctx)
    c.keys('tap', 'tap')
    tap = ctx.start('tap', [harness.bin_path('kubus'), 'tap', '--dir', c.dir, '--name', 'tap',
                            '--service', 'echo', '--json'])
    wait_for(lambda: 'attached to 1 broker' in tap.log(), what='the tap to attach')
    r = c.load(count=2000, concurrency=50, size=16)
    check(r['ok'] == 2000, r)

    def records():
        lines = [json.loads(x) for x in tap.log().splitlines() if x.startswith('{')]
        return lines if len(lines) >= 4000 else None
    lines = wait_for(records, timeout=15, what='4000 tap records')
    requests = [x for x in lines if x['kind'] == 'request']
    replies = [x for x in lines if x['kind'] == 'reply']
    check(len(requests) == 2000 and len(replies) == 2000, (len(requests), len(replies)))
    check(len({x['rid'] for x in requests}) == 2000, 'request ids repeat')
    check(all(x['type'] == 'echo.request' and x['body']['payload'] for x in requests), requests[0])
    check(all(x['type'] == 'echo.reply' and x['peer'].startswith('echo/') for x in replies), replies[0])
    # Each reply names the request it answers by the caller's id.
    check({x['rid'] for x in replies} == {x['rid'] for x in requests}, 'replies do not match requests')
    tap.stop()
    check(re.search(r'kubus tap: \d+ shown of \d+ records, 0 gaps', tap.log()), tap.log()[-500:])


def test_bad_input_gets_errors_and_one_log_line_each(ctx):
    c = _echo_cluster(ctx, echoes=1, msg_max=65536)
    c.keys('admin', 'alice')
    s = _raw(c, 'alice')
    cases = {
        'garbage': b'hello, broker',
        'version': b'\xb5\x02\x80',
        'huge array': wire.MAGIC + b'\xdd\xff\xff\xff\xff',
        'unknown kind': wire.frame({wire.KIND: 99}),
        'oversize': wire.frame({**ECHO_REQ, **{wire.RID: 1}}, {1: b'\x00' * 70000}),
        'two parts': [wire.frame({**ECHO_REQ, **{wire.RID: 2}}), b'extra'],
    }
    for name, data in cases.items():
        got = _ask(s, data)
        check(got and got[0].get(wire.STATUS, 0) < 0 and got[0].get(wire.ERROR), '%s: %r' % (name, got))
    check('exceeds the limit of 65536' in _ask(s, cases['oversize'])[0][wire.ERROR])
    log = c.procs['broker-1'].log()
    check(log.count('broker.bad_frame') == len(cases) + 1, log)
    # The service side: an unknown message type, and a body that does not decode.
    unknown = _ask(s, wire.frame({**ECHO_REQ, **{wire.RID: 3, wire.TYPE: 4242}}, {1: 1}))
    check(unknown and unknown[0][wire.STATUS] == -5007 and '4242' in unknown[0][wire.ERROR], unknown)
    bad_body = _ask(s, wire.frame({**ECHO_REQ, **{wire.RID: 4}}, {1: 12345}))
    check(bad_body and bad_body[0][wire.STATUS] == -5000 and 'payload' in bad_body[0][wire.ERROR], bad_body)
    elog = c.procs['echo-1'].log()
    check(elog.count('service.unknown_type') == 1 and elog.count('service.bad_body') == 1, elog)
    # A flood of garbage neither crashes nor blocks the broker.
    for _ in range(3000):
        s.send(b'\xff' * 64)
    t0 = time.time()
    s.send(wire.frame({**ECHO_REQ, **{wire.RID: 5}}, {1: b'fine'}))
    ok = _recv_rid(s, 5)  # after the 3000 error replies to the garbage
    check(ok and not ok[0].get(wire.STATUS), ok)
    check(time.time() - t0 < 5, 'the broker took %.1f s to answer after the flood' % (time.time() - t0))
    check(c.procs['broker-1'].alive())
    check('suppressed=' in c.procs['broker-1'].log(), 'the flood was not rate-limited in the log')


def _recv_rid(sock, rid, timeout=10):
    until = time.time() + timeout
    while time.time() < until:
        if sock.poll(200):
            _, env, body = wire.parse(sock.recv())
            if env.get(wire.KIND) == wire.REPLY and env.get(wire.RID) == rid:
                return env, body
    return None


def test_no_such_service_fails_at_its_deadline(ctx):
    c = _echo_cluster(ctx, echoes=0)
    t0 = time.time()
    r = c.kubus('call', '--dir', c.dir, '--timeout', '400', 'nothere', 'echo.request', '{}', check=False)
    took = time.time() - t0
    check(r.returncode == 1 and 'no such service: nothere' in r.stderr, r.stderr)
    check(0.4 <= took < 5, 'answered after %.2f s' % took)


def test_retried_request_is_not_executed_twice(ctx):
    c = _echo_cluster(ctx, echoes=1)
    c.keys('admin', 'alice')
    s = _raw(c, 'alice')
    slow = wire.frame({**ECHO_REQ, **{wire.RID: 42}}, {1: b'once', 2: 300})
    s.send(slow)
    s.send(slow)  # a retry while the first still runs
    first = _recv_rid(s, 42)
    check(first and first[1] == {1: b'once', 2: 1}, first)
    check(_recv_rid(s, 42, timeout=0.7) is None, 'the retry was answered twice')
    again = _ask(s, slow)  # a retry after the answer: replayed, not executed
    check(again and again[1] == {1: b'once', 2: 1}, again)
    stats = json.loads(c.kubus('call', '--dir', c.dir, '--instance', 'echo-1', 'echo',
                               'echo.stats_request').stdout)
    check(stats.get('executed') == 1 and stats.get('replayed') == 1, stats)


def test_events_once_across_two_brokers_and_by_role(ctx):
    c = ctx.cluster(brokers=2)
    c.start_brokers()
    c.keys('test', 'pub')
    c.keys('test', 'sub')
    kubus = harness.bin_path('kubus')
    # Run for a while rather than stop at the fifth event: the second broker's copies come later.
    watch = ctx.start('watch', [kubus, 'watch', '--dir', c.dir, '--name', 'sub', '--duration', '4',
                                '--json', '/test/a/'])
    wait_for(lambda: 'subscribed' in watch.log(), what='the watcher')
    time.sleep(0.5)  # both brokers must have the subscription before the first event
    c.kubus('publish', '--dir', c.dir, '--name', 'pub', '--count', '5', '/test/a/x', 'echo.request',
            '{"note":"hi"}')
    c.kubus('publish', '--dir', c.dir, '--name', 'pub', '/test/b/y', 'echo.request', '{}')
    wait_for(lambda: not watch.alive(), timeout=15, what='the watcher to finish')
    events = [json.loads(x) for x in watch.log().splitlines() if x.startswith('{')]
    check([e['seq'] for e in events] == [1, 2, 3, 4, 5], events)
    check(all(e['topic'] == '/test/a/x' and e['publisher'] == 'test/pub' for e in events), events)
    # Both brokers carried the events; each reached the watcher once.
    m = re.search(r'5 events, (\d+) duplicates dropped, 0 lost', watch.log())
    check(m and int(m.group(1)) >= 1, watch.log())
    # A role may not watch outside its prefixes.
    denied = c.kubus('watch', '--dir', c.dir, '--name', 'sub', '--duration', '1', '/registry/')
    check('0 events' in denied.stderr)
    wait_for(lambda: 'role test may not subscribe to /registry/' in c.procs['broker-1'].log(),
             what='the refused subscription to be logged')


def test_broker_restart_workers_announce_again(ctx):
    c = _echo_cluster(ctx, echoes=2)
    c.procs['broker-1'].kill()
    c.start_broker('broker-1')  # same pinned ports
    c.wait_workers('echo', 2, timeout=10)
    r = c.load(count=500, concurrency=20)
    check(r['ok'] == 500 and not r['errors'], r)
