"""The gateway against the real kubectl: a cluster made by `kubus up` (broker, store, gateway
with its CA, admin token and kubeconfig), driven command by command, checking kubectl's own
output and exact error lines."""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request

import harness
from harness import check, wait_for

KUBECTL = '/usr/bin/kubectl'
READY = 'cluster up in '


class Kube:
    """A cluster up in the foreground, and kubectl pointed at it."""

    def __init__(self, ctx):
        self.dir = os.path.realpath(os.path.join(ctx.dir, 'kubus'))
        self.sup = ctx.start('up', [harness.bin_path('kubus'), 'up', '--foreground', '--dir',
                                    self.dir, '--base-port', '0'])
        wait_for(lambda: READY in self.sup.log() or not self.sup.alive(), timeout=30,
                 what='the ready line')
        check(self.sup.alive() and READY in self.sup.log(), 'not ready:\n' + self.sup.log())
        with open(os.path.join(self.dir, 'cluster.json')) as f:
            self.port = json.load(f)['gateway']['port']
        self.home = os.path.join(ctx.dir, 'home')
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, HOME=self.home, KUBECONFIG=os.path.join(self.dir, 'kubeconfig'),
                        KUBECACHEDIR=os.path.join(self.home, 'cache'))
        self.files = os.path.join(ctx.dir, 'manifests')
        os.makedirs(self.files, exist_ok=True)

    def run(self, *args, input=None, ok=True, timeout=30):
        r = subprocess.run([KUBECTL] + list(args), capture_output=True, text=True, env=self.env,
                           input=input, timeout=timeout)
        if ok is not None:
            check((r.returncode == 0) == ok, 'kubectl %s: exit %d\n%s%s' % (
                ' '.join(args), r.returncode, r.stdout, r.stderr))
        return r

    def file(self, name, text):
        path = os.path.join(self.files, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def https(self, path, token=None, method='GET', body=None, headers=None, port=None):
        """A raw request, verifying the gateway's certificate with the cluster CA."""
        context = ssl.create_default_context(cafile=os.path.join(self.dir, 'pki', 'ca.crt'))
        req = urllib.request.Request('https://127.0.0.1:%d%s' % (port or self.port, path),
                                     method=method,
                                     data=body, headers=dict(headers or {}))
        if token:
            req.add_header('Authorization', 'Bearer ' + token)
        try:
            with urllib.request.urlopen(req, context=context, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def token(self):
        with open(os.path.join(self.dir, 'tokens.csv')) as f:
            return f.read().split(',')[0]

    def down(self):
        r = subprocess.run([harness.bin_path('kubus'), 'down', '--dir', self.dir],
                           capture_output=True, text=True, timeout=40)
        check(r.returncode == 0, r.stdout + r.stderr)
        check(self.sup.popen.wait(timeout=20) == 0, 'the supervisor exited with %s'
              % self.sup.popen.returncode)
        logs = os.path.join(self.dir, 'log')
        for name in sorted(os.listdir(logs)):
            with open(os.path.join(logs, name), errors='replace') as f:
                text = f.read()
            for mark in harness.SANITIZER_MARKS:
                check(mark not in text, '%s: sanitizer report:\n%s' % (name, text[-4000:]))


CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: web}
data:
  key1: value1
"""

NS = """apiVersion: v1
kind: Namespace
metadata:
  name: team-a
"""


def test_kubectl_version_discovery_and_auth(ctx):
    k = Kube(ctx)
    r = k.run('version')
    check('Server Version: v1.32.0-kubus' in r.stdout, r.stdout)
    check('Client Version: v1.32' in r.stdout, r.stdout)
    r = k.run('api-resources')
    lines = r.stdout.splitlines()
    check(lines[0].split() == ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], lines[0])
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    check(rows['pods'] == ['pods', 'po', 'v1', 'true', 'Pod'], rows.get('pods'))
    check(rows['deployments'] == ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
          rows.get('deployments'))
    check(rows['namespaces'] == ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
          rows.get('namespaces'))
    # The certificate verifies against the cluster CA; no token is 401, a bad one too.
    status, _, body = k.https('/api/v1/namespaces')
    check(status == 401 and json.loads(body)['reason'] == 'Unauthorized', (status, body))
    status, _, _ = k.https('/api/v1/namespaces', token='not-a-token')
    check(status == 401, status)
    status, _, body = k.https('/version')
    check(status == 200 and json.loads(body)['minor'] == '32', (status, body))
    status, _, body = k.https('/healthz')
    check(status == 200 and body == b'ok', (status, body))
    status, _, body = k.https('/metrics', token=k.token())
    check(status == 200 and b'kubus_gateway_requests_total' in body, (status, body[:200]))
    bad = dict(k.env, KUBECONFIG=k.file('bad.kubeconfig', open(k.env['KUBECONFIG']).read()
                                        .replace(k.token(), 'wrong')))
    r = subprocess.run([KUBECTL, 'get', 'ns'], capture_output=True, text=True, env=bad, timeout=60)
    # kube-apiserver's 401 Status says "Unauthorized", which kubectl prints in parentheses.
    check(r.returncode == 1 and 'error: You must be logged in to the server (Unauthorized)'
          in r.stderr, r.stderr)
    k.down()


def test_kubectl_create_get_replace_delete(ctx):
    k = Kube(ctx)
    r = k.run('get', 'secrets')
    check('No resources found in default namespace.' in r.stderr, r.stderr)
    # kubectl's generators send protobuf bodies; the gateway decodes them.
    r = k.run('create', 'namespace', 'x')
    check(r.stdout.strip() == 'namespace/x created', r.stdout)
    r = k.run('create', 'configmap', 'lit', '--from-literal=a=b', '-n', 'x')
    check(r.stdout.strip() == 'configmap/lit created', r.stdout)
    check(json.loads(k.run('get', 'cm', 'lit', '-n', 'x', '-o', 'json').stdout)['data'] ==
          {'a': 'b'}, 'configmap data')
    r = k.run('create', 'secret', 'generic', 'pw', '--from-literal=p=s3cret', '-n', 'x')
    check(r.stdout.strip() == 'secret/pw created', r.stdout)
    r = k.run('create', 'deployment', 'd1', '--image=nginx:1.25', '--replicas=2', '-n', 'x')
    check(r.stdout.strip() == 'deployment.apps/d1 created', r.stdout)
    d1 = json.loads(k.run('get', 'deploy', 'd1', '-n', 'x', '-o', 'json').stdout)
    check(d1['spec']['replicas'] == 2 and
          d1['spec']['template']['spec']['containers'][0]['image'] == 'nginx:1.25', d1['spec'])
    r = k.run('auth', 'whoami')
    check('admin' in r.stdout and 'system:masters' in r.stdout, r.stdout)
    path = k.file('ns.yaml', NS)
    r = k.run('create', '-f', path)
    check(r.stdout.strip() == 'namespace/team-a created', r.stdout)
    r = k.run('create', '-f', path, ok=False)
    check('Error from server (AlreadyExists): error when creating "%s": namespaces "team-a" already'
          ' exists' % path in r.stderr, r.stderr)
    cm = k.file('cm.yaml', CM)
    r = k.run('create', '-f', cm)
    check(r.stdout.strip() == 'configmap/web-config created', r.stdout)
    r = k.run('get', 'cm')
    lines = r.stdout.splitlines()
    check(lines[0].split() == ['NAME', 'DATA', 'AGE'], lines)
    check([l.split()[:2] for l in lines[1:]] == [['kube-root-ca.crt', '1'], ['web-config', '1']],
          lines)
    r = k.run('get', 'cm', 'web-config', '-o', 'json')
    obj = json.loads(r.stdout)
    check(obj['data'] == {'key1': 'value1'} and obj['metadata']['namespace'] == 'default', obj)
    check(len(obj['metadata']['uid']) == 36 and obj['metadata']['resourceVersion'].isdigit(), obj)
    check(obj['metadata']['creationTimestamp'].endswith('Z'), obj)
    r = k.run('get', 'cm', '-l', 'app=web', '-o', 'name')
    check(r.stdout.strip() == 'configmap/web-config', r.stdout)
    r = k.run('get', 'cm', '-l', 'app=other')
    check('No resources found' in r.stderr, r.stderr)
    r = k.run('get', 'cm', '--show-labels')
    check('app=web' in r.stdout, r.stdout)
    r = k.run('get', 'ns', 'team-a', '-o', 'yaml')
    check('name: team-a' in r.stdout, r.stdout)
    # replace: a fresh resourceVersion works, a stale one is a conflict.
    stale = dict(obj)
    obj['data']['key1'] = 'value2'
    r = k.run('replace', '-f', '-', input=json.dumps(obj))
    check(r.stdout.strip() == 'configmap/web-config replaced', r.stdout)
    stale['data'] = {'key1': 'stale'}
    r = k.run('replace', '-f', '-', input=json.dumps(stale), ok=False)
    check('Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
          'fulfilled on configmaps "web-config": the object has been modified; please apply your '
          'changes to the latest version and try again' in r.stderr, r.stderr)
    r = k.run('get', 'cm', 'nope', ok=False)
    check(r.stderr.strip() == 'Error from server (NotFound): configmaps "nope" not found', r.stderr)
    r = k.run('get', 'cm', '-n', 'nons')
    check('No resources found in nons namespace.' in r.stderr, r.stderr)
    r = k.run('create', '-f', cm, '-n', 'nons', ok=False)
    check('namespaces "nons" not found' in r.stderr, r.stderr)
    bad = k.file('bad.yaml', CM.replace('web-config', 'Bad_Name'))
    r = k.run('create', '-f', bad, ok=False)
    check('The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a '
          'lowercase RFC 1123 subdomain must consist of' in r.stderr, r.stderr)
    unknown = k.file('unknown.yaml', CM + 'bogus: 1\n')
    r = k.run('create', '-f', unknown, ok=False)
    check('strict decoding error: unknown field "bogus"' in r.stderr, r.stderr)
    r = k.run('delete', 'cm', 'web-config')
    check(r.stdout.strip() == 'configmap "web-config" deleted', r.stdout)
    r = k.run('delete', 'cm', 'web-config', ok=False)
    check('Error from server (NotFound): configmaps "web-config" not found' in r.stderr, r.stderr)
    k.down()


def test_kubectl_apply_patch_label(ctx):
    k = Kube(ctx)
    cm = k.file('cm.yaml', CM)
    r = k.run('apply', '-f', cm)
    check(r.stdout.strip() == 'configmap/web-config created', r.stdout)
    r = k.run('apply', '-f', cm)
    check(r.stdout.strip() == 'configmap/web-config unchanged', r.stdout)
    k.file('cm.yaml', CM.replace('value1', 'value2'))
    r = k.run('apply', '-f', cm)
    check(r.stdout.strip() == 'configmap/web-config configured', r.stdout)
    data = json.loads(k.run('get', 'cm', 'web-config', '-o', 'json').stdout)['data']
    check(data == {'key1': 'value2'}, data)
    r = k.run('label', 'cm', 'web-config', 'tier=front')
    check(r.stdout.strip() == 'configmap/web-config labeled', r.stdout)
    r = k.run('annotate', 'cm', 'web-config', 'note=hi')
    check(r.stdout.strip() == 'configmap/web-config annotated', r.stdout)
    r = k.run('patch', 'cm', 'web-config', '--type', 'merge', '-p', '{"data":{"k2":"v2"}}')
    check(r.stdout.strip() == 'configmap/web-config patched', r.stdout)
    r = k.run('patch', 'cm', 'web-config', '--type', 'json', '-p',
              '[{"op":"replace","path":"/data/k2","value":"v3"}]')
    check(r.stdout.strip() == 'configmap/web-config patched', r.stdout)
    r = k.run('patch', 'cm', 'web-config', '-p', '{"data":{"key1":null}}')
    check(r.stdout.strip() == 'configmap/web-config patched', r.stdout)
    obj = json.loads(k.run('get', 'cm', 'web-config', '-o', 'json').stdout)
    check(obj['data'] == {'k2': 'v3'}, obj['data'])
    check(obj['metadata']['labels'] == {'app': 'web', 'tier': 'front'}, obj['metadata'])
    check(obj['metadata']['annotations']['note'] == 'hi', obj['metadata'])
    r = k.run('patch', 'cm', 'web-config', '--type', 'json', '-p',
              '[{"op":"test","path":"/data/k2","value":"nope"}]', ok=False)
    check('The request is invalid: the patch could not be applied: testing value /data/k2 failed'
          in r.stderr, r.stderr)
    k.down()


class Lines:
    """The lines a running process prints, collected by a thread as they come."""

    def __init__(self, proc):
        import queue
        import threading
        self.proc, self.q = proc, queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.q.put(line.rstrip('\n'))

    def take(self, want, timeout=15):
        import queue
        lines, deadline = [], time.time() + timeout
        while len(lines) < want and time.time() < deadline:
            try:
                lines.append(self.q.get(timeout=0.2))
            except queue.Empty:
                pass
        return lines


def test_kubectl_watch(ctx):
    k = Kube(ctx)
    k.run('create', '-f', k.file('cm.yaml', CM))
    # A list watch: the current rows, then one line per change, in order.
    w = subprocess.Popen([KUBECTL, 'get', 'cm', '-w', '--output-watch-events'], env=k.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = Lines(w)
    first = lines.take(3)  # every namespace has kube-root-ca.crt
    check(first[0].split() == ['EVENT', 'NAME', 'DATA', 'AGE'] and
          [l.split()[:3] for l in first[1:]] == [['ADDED', 'kube-root-ca.crt', '1'],
                                                 ['ADDED', 'web-config', '1']], first)
    # A watch of one object starts with its current state (kubectl drops that first event).
    one = subprocess.Popen([KUBECTL, 'get', 'cm', 'web-config', '-w', '-o', 'json'], env=k.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    k.run('label', 'cm', 'web-config', 'step=1')
    k.run('create', '-f', k.file('cm2.yaml', CM.replace('web-config', 'second')))
    k.run('delete', 'cm', 'web-config')
    rest = lines.take(3)
    check([l.split()[:2] for l in rest] == [['MODIFIED', 'web-config'], ['ADDED', 'second'],
                                            ['DELETED', 'web-config']], rest)
    w.terminate()
    time.sleep(0.5)
    one.terminate()
    out = one.communicate(timeout=10)[0]
    objs = [json.loads(part) for part in _split_json(out)]
    check([o['metadata'].get('labels', {}).get('step') for o in objs][:2] == [None, '1'],
          [o['metadata'] for o in objs])
    # A watch from a compacted revision ends with 410 Expired, as kube-apiserver's.
    lst = json.loads(k.https('/api/v1/namespaces/default/configmaps', token=k.token())[2])
    r = subprocess.run([harness.bin_path('kubus'), 'store', '--dir', k.dir, 'compact',
                        lst['metadata']['resourceVersion']], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, r.stdout + r.stderr)
    status, _, body = k.https('/api/v1/namespaces/default/configmaps?watch=true&'
                              'resourceVersion=2&timeoutSeconds=2', token=k.token())
    event = json.loads(body.splitlines()[0])
    check(status == 200 and event['type'] == 'ERROR' and event['object']['code'] == 410 and
          event['object']['reason'] == 'Expired', body)
    k.down()


def _split_json(text):
    """The JSON documents kubectl -o json -w prints one after another."""
    dec, i, out = json.JSONDecoder(), 0, []
    text = text.strip()
    while i < len(text):
        obj, end = dec.raw_decode(text, i)
        out.append(json.dumps(obj))
        i = end
        while i < len(text) and text[i].isspace():
            i += 1
    return out


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
"""


def test_kubectl_scale_status_describe_explain(ctx):
    k = Kube(ctx)
    r = k.run('apply', '-f', k.file('dep.yaml', DEPLOY))
    check(r.stdout.strip() == 'deployment.apps/web created', r.stdout)
    dep = json.loads(k.run('get', 'deploy', 'web', '-o', 'json').stdout)
    # Defaults from the kind descriptions, as kube-apiserver sets them.
    spec = dep['spec']
    check(spec['strategy'] == {'type': 'RollingUpdate', 'rollingUpdate': {
        'maxSurge': '25%', 'maxUnavailable': '25%'}}, spec.get('strategy'))
    check(spec['revisionHistoryLimit'] == 10 and spec['progressDeadlineSeconds'] == 600, spec)
    c = spec['template']['spec']['containers'][0]
    check(c['imagePullPolicy'] == 'IfNotPresent' and c['ports'][0]['protocol'] == 'TCP' and
          c['terminationMessagePath'] == '/dev/termination-log', c)
    check(dep['metadata']['generation'] == 1 and 'status' not in dep, dep)
    lines = k.run('get', 'deploy', '-o', 'wide').stdout.splitlines()
    check(lines[0].split() == ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS',
                               'IMAGES', 'SELECTOR'], lines)
    check(lines[1].split()[:4] == ['web', '0/2', '0', '0'] and
          lines[1].split()[5:] == ['nginx', 'nginx:1.25', 'app=web'], lines)
    r = k.run('scale', 'deploy', 'web', '--replicas=3')
    check(r.stdout.strip() == 'deployment.apps/web scaled', r.stdout)
    r = k.run('scale', 'deploy', 'web', '--replicas=5', '--current-replicas=2', ok=False)
    check('Expected replicas to be 2, was 3' in r.stderr, r.stderr)
    dep = json.loads(k.run('get', 'deploy', 'web', '-o', 'json').stdout)
    check(dep['spec']['replicas'] == 3 and dep['metadata']['generation'] == 2, dep['metadata'])
    # status changes only through its subresource; the main resource keeps what it has.
    st = {'status': {'replicas': 3, 'readyReplicas': 3, 'updatedReplicas': 3,
                     'availableReplicas': 3, 'observedGeneration': 2}}
    status, _, body = k.https('/apis/apps/v1/namespaces/default/deployments/web/status',
                              token=k.token(), method='PATCH', body=json.dumps(st).encode(),
                              headers={'Content-Type': 'application/merge-patch+json'})
    check(status == 200 and json.loads(body)['status']['readyReplicas'] == 3, (status, body))
    r = k.run('patch', 'deploy', 'web', '--type', 'merge', '-p', '{"status":{"replicas":0}}')
    dep = json.loads(k.run('get', 'deploy', 'web', '-o', 'json').stdout)
    check(dep['status']['replicas'] == 3 and dep['metadata']['generation'] == 2, dep['status'])
    lines = k.run('get', 'deploy').stdout.splitlines()
    check(lines[1].split()[:4] == ['web', '3/3', '3', '3'], lines)
    r = k.run('describe', 'deploy', 'web')
    check('Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable'
          in r.stdout and 'Image:         nginx:1.25' in r.stdout, r.stdout)
    r = k.run('explain', 'deployment.spec.replicas')
    check('KIND:       Deployment' in r.stdout and 'FIELD: replicas <integer>' in r.stdout,
          r.stdout)
    r = k.run('explain', 'configmap.data')  # a core kind: its paths are under /api/v1/
    check('KIND:       ConfigMap' in r.stdout and 'FIELD: data <map[string]string>' in r.stdout,
          r.stdout)
    r = k.run('get', 'all')
    check('deployment.apps/web' in r.stdout, r.stdout)
    k.down()


def test_bad_input_gets_a_status_and_nothing_stored(ctx):
    k = Kube(ctx)
    t = k.token()
    base = '/api/v1/namespaces/default/configmaps'
    cases = [
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"', 'application/json', 400,
         'BadRequest'),
        (b'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [', 'application/yaml', 400,
         'BadRequest'),
        (b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}', 'application/json', 400,
         'BadRequest'),
        (b'{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"a"}}', 'application/json',
         400, 'BadRequest'),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":5}}',
         'application/json', 400, 'BadRequest'),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"b a":"x"}}}',
         'application/json', 422, 'Invalid'),
        (b'x' * (3 * 1024 * 1024 + 1), 'application/json', 413, 'RequestEntityTooLarge'),
    ]
    for body, ct, code, reason in cases:
        status, _, out = k.https(base + '?fieldValidation=Strict', token=t, method='POST',
                                 body=body, headers={'Content-Type': ct})
        doc = json.loads(out)
        check(status == code and doc['kind'] == 'Status' and doc['reason'] == reason and
              doc['code'] == code, (body[:80], status, out[:300]))
    status, _, out = k.https(base, token=t)
    check(status == 200 and [i['metadata']['name'] for i in json.loads(out)['items']] == [
        'kube-root-ca.crt'], out)
    # YAML bodies are accepted; warnings for unknown fields by default (fieldValidation=Warn).
    status, headers, out = k.https(base, token=t, method='POST', body=(
        b'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: {a: "1"}\nbogus: 2\n'),
        headers={'Content-Type': 'application/yaml'})
    check(status == 201 and json.loads(out)['data'] == {'a': '1'} and 'bogus' not in
          json.loads(out), (status, out))
    check(headers.get('Warning') == '299 - "unknown field \\"bogus\\""', headers)
    # Required fields, as kube-apiserver's validation names them; nothing is stored.
    for manifest, line in (
            ('spec: {containers: [{image: busybox}]}',
             'The Pod "x" is invalid: spec.containers[0].name: Required value'),
            ('spec: {}', 'The Pod "x" is invalid: spec.containers: Required value'),
            ('spec: {containers: [{name: c, image: b, env: [{value: v}]}]}',
             'The Pod "x" is invalid: spec.containers[0].env[0].name: Required value')):
        r = k.run('create', '-f', '-', input='apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n' +
                  manifest + '\n', ok=False)
        check(r.stderr.strip() == line, r.stderr)
    k.run('get', 'pod', 'x', ok=False)
    # ...but not where upstream's validation takes an empty one (a probe's header value).
    k.run('create', '-f', '-', input='apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: '
          '{containers: [{name: c, image: b, readinessProbe: {httpGet: {port: 80, httpHeaders: '
          '[{name: X-Empty, value: ""}]}}}]}\n')
    # A client that sends half a body and stalls is cut off; the server stays up.
    import socket as _s
    raw = _s.create_connection(('127.0.0.1', k.port), timeout=5)
    raw.close()
    status, _, _ = k.https('/healthz')
    check(status == 200, status)
    k.down()


def test_rbac_decides_every_request(ctx):
    k = Kube(ctx)
    with open(os.path.join(k.dir, 'tokens.csv'), 'a') as f:
        f.write('bob-token-0123456789,bob,bob-uid,"devs"\n')
    bob = ('--token', 'bob-token-0123456789')

    def bob_denied(*args, line):
        r = wait_for(lambda: (lambda r: r if r.returncode == 1 and 'Forbidden' in r.stderr else
                              None)(k.run(*(bob + args), ok=None)), timeout=10,
                     what='a 403 for bob')
        check(line in r.stderr, r.stderr)

    # The gateway reads the tokens file again once a second: bob is known, and may do nothing.
    bob_denied('get', 'pods', line='Error from server (Forbidden): pods is forbidden: User "bob" '
               'cannot list resource "pods" in API group "" in the namespace "default"')
    bob_denied('get', 'nodes', line='Error from server (Forbidden): nodes is forbidden: User "bob" '
               'cannot list resource "nodes" in API group "" at the cluster scope')
    r = k.run(*(bob + ('auth', 'can-i', 'list', 'configmaps')), ok=False)
    check(r.stdout.strip() == 'no', r.stdout)
    check(k.run('auth', 'can-i', 'delete', 'nodes').stdout.strip() == 'yes', 'admin can-i')
    # kube-apiserver's bootstrap roles exist; binding view in default lets bob read there only.
    r = k.run('get', 'clusterroles', 'view', 'admin', 'edit', 'cluster-admin', '-o', 'name')
    check(len(r.stdout.split()) == 4, r.stdout)
    k.run('apply', '-f', k.file('rb.yaml', """apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-view, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: devs}
"""))
    r = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
        k.run(*(bob + ('get', 'configmaps')), ok=None)), timeout=10, what='bob allowed')
    r = k.run(*(bob + ('auth', 'can-i', 'list', 'configmaps')))
    check(r.stdout.strip() == 'yes', r.stdout)
    # What bob may do, listed (SelfSubjectRulesReview): view's rules here, not in kube-system.
    rows = k.run(*(bob + ('auth', 'can-i', '--list'))).stdout.splitlines()
    check(rows[0].split() == ['Resources', 'Non-Resource', 'URLs', 'Resource', 'Names', 'Verbs'],
          rows[0])
    check(any(r.split() == ['configmaps', '[]', '[]', '[get', 'list', 'watch]'] for r in rows),
          rows)
    check(any(r.split() == ['[/healthz]', '[]', '[get]'] for r in rows), rows)
    rows = k.run(*(bob + ('auth', 'can-i', '--list', '-n', 'kube-system'))).stdout.splitlines()
    check(not any(r.startswith('configmaps ') for r in rows), rows)
    bob_denied('get', 'secrets', line='secrets is forbidden: User "bob" cannot list resource '
               '"secrets" in API group "" in the namespace "default"')
    bob_denied('create', '-f', k.file('cm.yaml', CM), line='configmaps is forbidden: User "bob" '
               'cannot create resource "configmaps" in API group "" in the namespace "default"')
    bob_denied('get', 'configmaps', '-n', 'kube-system', line='in the namespace "kube-system"')
    # Removing the binding takes the right away again.
    k.run('delete', 'rolebinding', 'bob-view')
    bob_denied('get', 'configmaps', line='cannot list resource "configmaps"')
    k.down()


def test_a_large_answer_goes_out_at_once(ctx):
    """An answer larger than libmicrohttpd's buffer went out one buffer per wake-up of the loop
    (each waited for some other event): 900 KB took about a second. It must not wait."""
    k = Kube(ctx)
    big = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'big'},
           'data': {'k%d' % i: 'x' * 1000 for i in range(900)}}
    status, _, _ = k.https('/api/v1/namespaces/default/configmaps', token=k.token(), method='POST',
                           body=json.dumps(big).encode(),
                           headers={'Content-Type': 'application/json'})
    check(status == 201, status)
    t0 = time.time()
    for _ in range(10):
        status, _, body = k.https('/api/v1/namespaces/default/configmaps/big', token=k.token())
        check(status == 200 and len(body) > 900000, (status, len(body)))
    took = time.time() - t0
    check(took < 3.0, 'ten 900 KB answers took %.1f s (about 5.6 before the fix)' % took)
    # Larger than the store takes: 413, as kube-apiserver answers what etcd refuses.
    big['metadata']['name'] = 'huge'
    big['data'] = {'k%d' % i: 'x' * 1000 for i in range(2500)}
    status, _, body = k.https('/api/v1/namespaces/default/configmaps', token=k.token(),
                              method='POST', body=json.dumps(big).encode(),
                              headers={'Content-Type': 'application/json'})
    check(status == 413 and json.loads(body)['reason'] == 'RequestEntityTooLarge', (status, body))
    k.down()


def _cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _close_waits(port):
    """Sockets of the gateway (local port) whose client has closed and the gateway not yet."""
    n = 0
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            n += int(local.split(':')[1], 16) == port and state == '08'
    return n


def test_the_loop_neither_spins_nor_keeps_the_gone(ctx):
    """A TLS handshake waiting for its client kept libmicrohttpd's timeout at 0, and the loop
    ran it again and again: two clients that sent a ClientHello and stalled cost a whole core
    (1.9 CPU s in 2 s under the sanitizers). And a watch whose client hangs up is closed on the
    gateway's side too, though its stream waits for events without reading."""
    k = Kube(ctx)
    gw = int(subprocess.check_output(['pgrep', '-f', 'kubus-gateway .*' + k.dir]).split()[0])
    stalled = []
    partial = socket.create_connection(('127.0.0.1', k.port))
    partial.send(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')  # a ClientHello, cut short
    stalled.append(partial)
    context = ssl.create_default_context(cafile=os.path.join(k.dir, 'pki', 'ca.crt'))
    raw = socket.create_connection(('127.0.0.1', k.port))
    raw.setblocking(False)
    hello = context.wrap_socket(raw, server_hostname='127.0.0.1', do_handshake_on_connect=False)
    try:
        hello.do_handshake()  # sends the whole ClientHello; the server's answer is never read
    except ssl.SSLWantReadError:
        pass
    stalled.append(hello)
    time.sleep(0.3)
    c0, t0 = _cpu_seconds(gw), time.time()
    k.run('get', 'namespaces')  # served meanwhile
    time.sleep(2.0)
    used = _cpu_seconds(gw) - c0
    check(used < 0.5, 'the gateway used %.2f CPU s in %.1f s with two stalled handshakes'
          % (used, time.time() - t0))
    for s in stalled:
        s.close()
    # A watch stream whose client goes: the gateway closes its side within a few seconds.
    before = _close_waits(k.port)
    sock = context.wrap_socket(socket.create_connection(('127.0.0.1', k.port)),
                               server_hostname='127.0.0.1')
    sock.sendall(('GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\n'
                  'Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n' % k.token()).encode())
    head = b''
    while b'\r\n\r\n' not in head:
        head += sock.recv(65536)
    check(head.startswith(b'HTTP/1.1 200'), head[:200])
    time.sleep(1.5)  # past its first events: the stream waits, suspended
    sock.close()
    wait_for(lambda: _close_waits(k.port) <= before, timeout=5,
             what='the gateway to close a watch whose client hung up')
    k.down()


def test_kubectl_cluster_info_and_all_namespaces(ctx):
    k = Kube(ctx)
    r = k.run('cluster-info')
    check('Kubernetes control plane is running at https://127.0.0.1:%d' % k.port in r.stdout,
          r.stdout)
    k.run('create', '-f', k.file('cm.yaml', CM))
    k.run('create', '-f', k.file('cm2.yaml', CM.replace('web-config', 'sys-config')), '-n',
          'kube-system')
    lines = k.run('get', 'cm', '-A').stdout.splitlines()
    check(lines[0].split() == ['NAMESPACE', 'NAME', 'DATA', 'AGE'], lines)
    rows = sorted(tuple(l.split()[:2]) for l in lines[1:] if 'kube-root-ca.crt' not in l)
    check(rows == [('default', 'web-config'), ('kube-system', 'sys-config')], rows)
    check(len(lines) == 1 + 2 + 4, lines)  # and each namespace's kube-root-ca.crt
    lines = k.run('get', 'ns', '--show-labels').stdout.splitlines()
    check(any(l.startswith('kube-system') and 'kubernetes.io/metadata.name=kube-system' in l
              for l in lines), lines)
    k.down()


def test_secrets_are_sealed_in_the_store(ctx):
    """What the store keeps, replicates and publishes on the bus (and so what the tap shows) of
    a Secret is ciphertext; the API gives it back as written."""
    k = Kube(ctx)
    r = k.run('create', 'secret', 'generic', 'pw', '--from-literal=password=s3cret-value')
    check(r.stdout.strip() == 'secret/pw created', r.stdout)
    obj = json.loads(k.run('get', 'secret', 'pw', '-o', 'json').stdout)
    check(obj['data'] == {'password': 'czNjcmV0LXZhbHVl'}, obj.get('data'))
    k.run('label', 'secret', 'pw', 'tier=db')
    check(json.loads(k.run('get', 'secrets', '-o', 'json').stdout)['items'][0]['metadata']
          ['labels'] == {'tier': 'db'}, 'list of secrets')
    for args in (['get', '/registry/secrets/default/pw'],
                 ['--json', 'get', '/registry/secrets/default/pw']):
        r = subprocess.run([harness.bin_path('kubus'), 'store', '--dir', k.dir] + args,
                           capture_output=True, timeout=30)
        check(r.returncode == 0 and r.stdout.strip(), repr(r.stdout + r.stderr))
        for clear in (b's3cret-value', b'czNjcmV0LXZhbHVl', b'password'):
            check(clear not in r.stdout, 'the store holds %r in clear:\n%r' % (clear, r.stdout))
    key = os.path.join(k.dir, 'pki', 'secrets.key')
    check(os.stat(key).st_mode & 0o777 == 0o600, oct(os.stat(key).st_mode))
    k.down()


def test_kubectl_delete_finalizers_grace_and_propagation(ctx):
    k = Kube(ctx)
    t = k.token()

    def meta(kind, name, *rest):
        r = k.run('get', kind, name, '-o', 'json', *rest)
        return json.loads(r.stdout)['metadata']

    def gone(kind, name):
        r = k.run('get', kind, name, ok=False)
        check('(NotFound)' in r.stderr, r.stderr)

    # Finalizers hold an object: delete only marks it, and it may lose finalizers but not gain any.
    k.run('create', '-f', k.file('held.yaml', """apiVersion: v1
kind: ConfigMap
metadata: {name: held, finalizers: [example.com/hold]}
"""))
    r = k.run('delete', 'configmap', 'held', '--wait=false')
    check(r.stdout.strip() == 'configmap "held" deleted', r.stdout)
    m = meta('configmap', 'held')
    check(m.get('deletionTimestamp') and m.get('deletionGracePeriodSeconds') == 0 and
          m['finalizers'] == ['example.com/hold'], m)
    r = k.run('patch', 'configmap', 'held', '--type=json', '-p',
              '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]', ok=False)
    check('metadata.finalizers: Forbidden: no new finalizers can be added if the object is being '
          'deleted, found new finalizers []string{"example.com/more"}' in r.stderr, r.stderr)
    r = k.run('delete', 'configmap', 'held', '--wait=false')  # again: nothing changes
    check(meta('configmap', 'held')['deletionTimestamp'] == m['deletionTimestamp'], 'moved')
    k.run('patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}')
    gone('configmap', 'held')

    # The propagation policy becomes the garbage collector's finalizer.
    for cascade, finalizer in (('orphan', 'orphan'), ('foreground', 'foregroundDeletion')):
        k.run('create', 'configmap', 'c-' + cascade)
        k.run('delete', 'configmap', 'c-' + cascade, '--cascade=' + cascade, '--wait=false')
        m = meta('configmap', 'c-' + cascade)
        check(m['finalizers'] == [finalizer] and m.get('deletionTimestamp'), m)
        k.run('patch', 'configmap', 'c-' + cascade, '--type=json', '-p',
              '[{"op":"remove","path":"/metadata/finalizers/0"}]')
        gone('configmap', 'c-' + cascade)

    # A pod on a node is deleted gracefully; one no node has goes at once.
    pod = """apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  %s
  terminationGracePeriodSeconds: 45
  containers: [{name: c, image: busybox}]
"""
    k.run('create', '-f', k.file('p1.yaml', pod % ('on-node', 'nodeName: node-1')))
    k.run('create', '-f', k.file('p2.yaml', pod % ('unscheduled', '')))
    k.run('delete', 'pod', 'unscheduled', '--wait=false')
    gone('pod', 'unscheduled')
    before = int(time.time())
    k.run('delete', 'pod', 'on-node', '--wait=false')
    m = meta('pod', 'on-node')
    check(m['deletionGracePeriodSeconds'] == 45, m)
    at = time.mktime(time.strptime(m['deletionTimestamp'], '%Y-%m-%dT%H:%M:%SZ')) - time.timezone
    check(before + 44 <= at <= time.time() + 46, (before, m['deletionTimestamp']))
    r = k.run('get', 'pod', 'on-node', '--no-headers')
    check(r.stdout.split()[2] == 'Terminating', r.stdout)
    k.run('delete', 'pod', 'on-node', '--wait=false', '--grace-period=90')  # longer: no change
    check(meta('pod', 'on-node')['deletionGracePeriodSeconds'] == 45, 'grace grew')
    k.run('delete', 'pod', 'on-node', '--wait=false', '--grace-period=5')  # shorter: taken
    m2 = meta('pod', 'on-node')
    at2 = time.mktime(time.strptime(m2['deletionTimestamp'], '%Y-%m-%dT%H:%M:%SZ')) - time.timezone
    check(m2['deletionGracePeriodSeconds'] == 5 and at2 == at - 40, (m, m2))
    r = k.run('delete', 'pod', 'on-node', '--grace-period=0', '--force')
    check(r.stdout.strip() == 'pod "on-node" force deleted', r.stdout)
    gone('pod', 'on-node')

    # Preconditions and bad options, over the API itself.
    k.run('create', 'configmap', 'pre')
    uid = meta('configmap', 'pre')['uid']
    url = '/api/v1/namespaces/default/configmaps/pre'
    for body, code, text in (
            ({'preconditions': {'uid': 'other'}}, 409,
             'Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition '
             '(other) does not match the UID in record (%s). The object might have been deleted '
             'and then recreated' % uid),
            ({'preconditions': {'resourceVersion': '1'}}, 409,
             'the ResourceVersion in the precondition (1) does not match'),
            ({'propagationPolicy': 'Sometimes'}, 422,
             'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
             '"Sometimes": supported values: "Foreground", "Background", "Orphan"'),
            ({'propagationPolicy': 'Orphan', 'orphanDependents': True}, 422,
             'orphanDependents and deletionPropagation cannot be both set')):
        status, _, out = k.https(url, token=t, method='DELETE', body=json.dumps(body).encode(),
                                 headers={'Content-Type': 'application/json'})
        doc = json.loads(out)
        check(status == code and text in doc['message'], (body, status, out))
    status, _, out = k.https(url, token=t, method='DELETE', body=json.dumps(
        {'preconditions': {'uid': uid}}).encode(), headers={'Content-Type': 'application/json'})
    check(status == 200 and json.loads(out)['status'] == 'Success', out)
    gone('configmap', 'pre')

    # A namespace ends in two steps: Terminating until its finalizers are gone, then deleted.
    k.run('create', 'namespace', 'ending')
    k.run('create', 'configmap', 'x', '-n', 'ending')
    k.run('delete', 'namespace', 'ending', '--wait=false')
    r = k.run('get', 'namespace', 'ending', '--no-headers')
    check(r.stdout.split()[1] == 'Terminating', r.stdout)
    r = k.run('create', 'configmap', 'y', '-n', 'ending', ok=False)
    check('unable to create new content in namespace ending because it is being terminated'
          in r.stderr, r.stderr)
    k.run('delete', 'namespace', 'ending', '--wait=false')  # its finalizer still holds it
    k.run('get', 'namespace', 'ending')
    doc = json.loads(k.run('get', 'namespace', 'ending', '-o', 'json').stdout)
    check(doc['spec']['finalizers'] == ['kubernetes'], doc)
    doc['spec']['finalizers'] = []
    k.run('replace', '--raw', '/api/v1/namespaces/ending/finalize', '-f',
          k.file('fin.json', json.dumps(doc)))
    k.run('delete', 'namespace', 'ending')
    gone('namespace', 'ending')
    k.down()


def test_service_account_tokens(ctx):
    k = Kube(ctx)
    # Every namespace has its default account and the cluster CA, from its first moment.
    k.run('create', 'namespace', 'team')
    r = k.run('get', 'serviceaccounts,configmaps', '-n', 'team', '-o', 'name')
    check(r.stdout.split() == ['serviceaccount/default', 'configmap/kube-root-ca.crt'], r.stdout)
    with open(os.path.join(k.dir, 'pki', 'ca.crt')) as f:
        ca = f.read()
    r = k.run('get', 'configmap', 'kube-root-ca.crt', '-n', 'kube-system', '-o', 'json')
    check(json.loads(r.stdout)['data']['ca.crt'] == ca, 'kube-root-ca.crt')
    k.run('create', 'serviceaccount', 'bot', '-n', 'team')
    token = k.run('create', 'token', 'bot', '-n', 'team').stdout.strip()
    check(token.count('.') == 2, token)
    bot = ('--token', token, '-n', 'team')
    r = k.run(*bot, 'auth', 'whoami', '-o', 'json')
    info = json.loads(r.stdout)['status']['userInfo']
    check(info['username'] == 'system:serviceaccount:team:bot' and info['groups'] == [
        'system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'], info)
    uid = json.loads(k.run('get', 'sa', 'bot', '-n', 'team', '-o', 'json').stdout)['metadata']['uid']
    check(info['uid'] == uid, (info, uid))
    r = k.run(*bot, 'get', 'pods', ok=False)
    check('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:team:bot" '
          'cannot list resource "pods" in API group "" in the namespace "team"' in r.stderr,
          r.stderr)
    k.run('create', 'rolebinding', 'bot-view', '--clusterrole=view', '--serviceaccount=team:bot',
          '-n', 'team')
    wait_for(lambda: k.run(*bot, 'get', 'pods', ok=None).returncode == 0, timeout=10,
             what='the bot allowed to list pods')
    r = k.run('create', 'token', 'bot', '-n', 'team', '--duration=5m', ok=False)
    check('spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 '
          'minutes' in r.stderr, r.stderr)
    r = k.run('create', 'token', 'nobody', '-n', 'team', ok=False)
    check('serviceaccounts "nobody" not found' in r.stderr, r.stderr)
    # A token for another audience is not for the API; a forged one is nothing.
    other = k.run('create', 'token', 'bot', '-n', 'team', '--audience=https://vault').stdout.strip()
    forged = token[:-4] + ('AAAA' if not token.endswith('AAAA') else 'BBBB')
    for t in (other, forged):
        r = k.run('--token', t, 'get', 'pods', '-n', 'team', ok=False)
        check('error: You must be logged in to the server (Unauthorized)' in r.stderr, r.stderr)
    # Pods run as an account: the default one, with its token volume; an unknown one is refused.
    k.run('run', 'p1', '-n', 'team', '--image=busybox')
    pod = json.loads(k.run('get', 'pod', 'p1', '-n', 'team', '-o', 'json').stdout)
    vols = pod['spec']['volumes']
    check(pod['spec']['serviceAccountName'] == 'default' and len(vols) == 1 and
          vols[0]['name'].startswith('kube-api-access-') and
          pod['spec']['containers'][0]['volumeMounts'] == [{
              'name': vols[0]['name'], 'readOnly': True,
              'mountPath': '/var/run/secrets/kubernetes.io/serviceaccount'}], pod['spec'])
    k.run('run', 'p2', '-n', 'team', '--image=busybox',
          '--overrides={"spec":{"serviceAccountName":"bot","automountServiceAccountToken":false}}')
    pod = json.loads(k.run('get', 'pod', 'p2', '-n', 'team', '-o', 'json').stdout)
    check(pod['spec']['serviceAccountName'] == 'bot' and 'volumes' not in pod['spec'], pod['spec'])
    r = k.run('run', 'p3', '-n', 'team', '--image=busybox',
              '--overrides={"spec":{"serviceAccountName":"nope"}}', ok=False)
    check('Error from server (Forbidden): pods "p3" is forbidden: error looking up service '
          'account team/nope: serviceaccount "nope" not found' in r.stderr, r.stderr)
    # A token bound to a pod or a secret is good while that object is there, not once it goes
    # or is made again under the same name (at once, not after the bound check's cache).
    k.run('create', 'secret', 'generic', 'key', '-n', 'team', '--from-literal=a=b')
    for kind, name in (('Pod', 'p2'), ('Secret', 'key')):
        bound = k.run('create', 'token', 'bot', '-n', 'team', '--bound-object-kind=' + kind,
                      '--bound-object-name=' + name).stdout.strip()
        claims = json.loads(base64.urlsafe_b64decode(bound.split('.')[1] + '=='))
        check(claims['kubernetes.io'][kind.lower()]['name'] == name, claims)
        extra = json.loads(k.run('--token', bound, 'auth', 'whoami', '-o', 'json').stdout)[
            'status']['userInfo'].get('extra', {})
        check((extra.get('authentication.kubernetes.io/pod-name') == [name]) == (kind == 'Pod') and
              (kind != 'Pod' or extra['authentication.kubernetes.io/pod-uid'] ==
               [claims['kubernetes.io']['pod']['uid']]), extra)
        use = ('--token', bound, '-n', 'team', 'get', 'pod', 'p1', '-o', 'name')
        r = k.run(*use)
        check(r.stdout.split() == ['pod/p1'], r.stdout)
        k.run('delete', kind.lower(), name, '-n', 'team')
        r = k.run(*use, ok=False)
        check('error: You must be logged in to the server (Unauthorized)' in r.stderr, r.stderr)
    k.run('create', 'secret', 'generic', 'key', '-n', 'team', '--from-literal=a=b')
    check(k.run(*use, ok=False).returncode == 1, 'a secret made again is not the one bound')
    # Deleting the account revokes its tokens at once.
    k.run('delete', 'serviceaccount', 'bot', '-n', 'team')
    r = wait_for(lambda: (lambda r: r if r.returncode else None)(
        k.run(*bot, 'get', 'pods', ok=None)), timeout=10, what='the token refused')
    check('(Unauthorized)' in r.stderr, r.stderr)
    k.down()


def _second_gateway(ctx, k):
    """A second gateway over the cluster's store: its process and port."""
    r = subprocess.run([harness.bin_path('kubus'), 'keys', 'new', '--dir', k.dir, '--role',
                        'gateway', 'gateway-2'], capture_output=True, text=True, timeout=20)
    check(r.returncode == 0, r.stdout + r.stderr)
    port = ctx.free_port()
    g2 = ctx.start('gateway-2', [harness.bin_path('kubus-gateway'), '--dir', k.dir, '--name',
                                 'gateway-2', '--listen', '127.0.0.1:%d' % port])
    return g2, port


def test_two_gateways_answer_as_one(ctx):
    """Gateways keep no state of their own: a second one over the same store serves the same
    objects, versions, conflicts, watches, Secrets and service account tokens."""
    k = Kube(ctx)
    g2, port = _second_gateway(ctx, k)
    kc = os.path.join(k.dir, 'kubeconfig')
    with open(kc) as f:
        text = f.read()
    kc2 = os.path.join(ctx.dir, 'kubeconfig-2')
    with open(kc2, 'w') as f:
        f.write(text.replace(':%d' % k.port, ':%d' % port))
    env2 = dict(k.env, KUBECONFIG=kc2, KUBECACHEDIR=os.path.join(k.home, 'cache-2'))

    def run2(*args, ok=True):
        r = subprocess.run([KUBECTL] + list(args), capture_output=True, text=True, env=env2,
                           timeout=30)
        if ok is not None:
            check((r.returncode == 0) == ok, 'gateway-2: kubectl %s: exit %d\n%s%s' % (
                ' '.join(args), r.returncode, r.stdout, r.stderr))
        return r

    wait_for(lambda: run2('get', 'ns', ok=None).returncode == 0, timeout=20,
             what='the second gateway')
    # A watch on the second sees what the first writes, in order.
    w = subprocess.Popen([KUBECTL, 'get', 'configmaps', '-w', '--output-watch-events', '--no-headers'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env2)
    try:
        time.sleep(1)
        k.run('create', 'configmap', 'shared', '--from-literal=a=1')
        k.run('create', 'secret', 'generic', 's', '--from-literal=password=hunter2')
        one = json.loads(k.run('get', 'configmap', 'shared', '-o', 'json').stdout)
        two = json.loads(run2('get', 'configmap', 'shared', '-o', 'json').stdout)
        check(one == two, (one, two))
        r = run2('get', 'secret', 's', '-o', 'jsonpath={.data.password}')
        check(r.stdout == 'aHVudGVyMg==', r.stdout)  # sealed by one, opened by the other
        # A write through the second makes the first's version stale: 409 there.
        run2('label', 'configmap', 'shared', 'by=two')
        stale = dict(one)
        stale['data'] = {'a': '2'}
        r = k.run('replace', '-f', k.file('stale.json', json.dumps(stale)), ok=False)
        check('Error from server (Conflict): error when replacing' in r.stderr and
              'the object has been modified' in r.stderr, r.stderr)
        k.run('delete', 'configmap', 'shared')
        run2('get', 'configmap', 'shared', ok=False)
        token = k.run('create', 'token', 'default').stdout.strip()
        r = run2('--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}')
        check(r.stdout == 'system:serviceaccount:default:default', r.stdout)
        time.sleep(1)
    finally:
        w.terminate()
        out, _ = w.communicate(timeout=10)
    events = [line.split()[:2] for line in out.splitlines() if 'shared' in line]
    check([e[0] for e in events] == ['ADDED', 'MODIFIED', 'DELETED'], out)
    g2.popen.terminate()
    check(g2.popen.wait(timeout=20) == 0, 'gateway-2 exit %s' % g2.popen.returncode)
    k.down()


def _metric(k, name, port=None):
    status, _, body = k.https('/metrics', token=k.token(), port=port)
    check(status == 200, body)
    for line in body.decode().splitlines():
        if line.startswith(name + ' '):
            return int(line.split()[1])
    raise AssertionError('no %s in /metrics' % name)


def test_writes_start_from_the_gateways_copy_and_lose_nothing(ctx):
    """An update or a patch starts from the gateway's copy of the object (from the store's
    events), as kube-apiserver's does from its watch cache: concurrent patches through two
    gateways lose nothing, a copy that is behind is never what an answer is made from, and a
    change that changes nothing writes nothing (same resourceVersion, as kube-apiserver)."""
    k = Kube(ctx)
    g2, port2 = _second_gateway(ctx, k)
    token = k.token()
    wait_for(lambda: k.https('/readyz', token=token, port=port2)[0] == 200, timeout=20,
             what='the second gateway')
    k.run('create', 'configmap', 'counter', '--from-literal=a=0')
    path = '/api/v1/namespaces/default/configmaps/counter'
    merge = {'Content-Type': 'application/merge-patch+json'}

    def patch(body, port=None, headers=merge):
        status, _, out = k.https(path, token=token, method='PATCH', port=port,
                                 body=json.dumps(body).encode(), headers=headers)
        check(status == 200, (status, out))
        return json.loads(out)

    # A patch that changes nothing: the object as it is, no new resourceVersion.
    one = patch({'data': {'a': '1'}})
    same = patch({'data': {'a': '1'}})
    check(same['metadata']['resourceVersion'] == one['metadata']['resourceVersion'],
          (one['metadata'], same['metadata']))
    again = patch({'data': {'a': '1'}}, port=port2)
    check(again['metadata']['resourceVersion'] == one['metadata']['resourceVersion'],
          (one['metadata'], again['metadata']))

    # Four writers, two on each gateway, on one object: every patch lands.
    import threading
    failures = []

    def writer(n, port):
        for i in range(25):
            try:
                patch({'data': {'w%d-%d' % (n, i): 'x'}}, port=port)
            except AssertionError as e:
                failures.append(str(e))

    # And an update that names no resourceVersion is unconditional: redone, never a 409.
    k.run('create', 'configmap', 'other')
    other = '/api/v1/namespaces/default/configmaps/other'

    def putter(port):
        for i in range(25):
            status, _, out = k.https(other, token=token, method='PUT', port=port,
                                     body=json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                      'metadata': {'name': 'other'},
                                                      'data': {'i': str(i)}}).encode(),
                                     headers={'Content-Type': 'application/json'})
            if status != 200:
                failures.append('PUT: %d %s' % (status, out))
            status, _, out = k.https(other, token=token, method='PATCH', port=port,
                                     body=b'{"metadata":{"labels":{"n":"%d"}}}' % i,
                                     headers=merge)
            if status != 200:
                failures.append('PATCH: %d %s' % (status, out))

    threads = [threading.Thread(target=writer, args=(n, port2 if n % 2 else None))
               for n in range(4)]
    threads += [threading.Thread(target=putter, args=(port,)) for port in (None, port2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    check(not failures, failures[:3])
    data = json.loads(k.run('get', 'configmap', 'counter', '-o', 'json').stdout)['data']
    check(len([key for key in data if key.startswith('w')]) == 100, sorted(data))

    # A write through one gateway, then at once a JSON patch through the other that tests for
    # it: never refused on the strength of an older copy.
    jp = {'Content-Type': 'application/json-patch+json'}
    for i in range(20):
        status, _, out = k.https(path, token=token, method='PUT', port=port2,
                                 body=json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                  'metadata': {'name': 'counter'},
                                                  'data': {'v': str(i)}}).encode(),
                                 headers={'Content-Type': 'application/json'})
        check(status == 200, (status, out))
        patch([{'op': 'test', 'path': '/data/v', 'value': str(i)},
               {'op': 'add', 'path': '/data/w', 'value': str(i)}], headers=jp)
    check(json.loads(k.run('get', 'configmap', 'counter', '-o', 'json').stdout)['data'] ==
          {'v': '19', 'w': '19'}, 'the last write')

    # A PUT of an absent object creates it only for the kinds whose strategy allows it.
    status, _, out = k.https('/api/v1/namespaces/default/configmaps/absent', token=token,
                             method='PUT', body=json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                            'metadata': {'name': 'absent'}}).encode(),
                             headers={'Content-Type': 'application/json'})
    check(status == 404 and json.loads(out)['message'] == 'configmaps "absent" not found',
          (status, out))
    r = k.run('replace', '-f', k.file('absent.yaml', 'apiVersion: v1\nkind: ConfigMap\n'
                                      'metadata: {name: absent}\n'), ok=False)
    check('Error from server (NotFound): error when replacing' in r.stderr and
          'configmaps "absent" not found' in r.stderr, r.stderr)
    status, _, out = k.https('/api/v1/namespaces/default/services/made-by-put', token=token,
                             method='PUT', body=json.dumps({
                                 'apiVersion': 'v1', 'kind': 'Service',
                                 'metadata': {'name': 'made-by-put'},
                                 'spec': {'ports': [{'port': 80}]}}).encode(),
                             headers={'Content-Type': 'application/json'})
    check(status == 201, (status, out))

    # The same for a subresource; a dry run of one answers as the subresource (a Scale).
    k.run('create', 'deployment', 'web', '--image=registry.local/web:1')
    dep = json.loads(k.run('get', 'deployment', 'web', '-o', 'json').stdout)
    scale = '/apis/apps/v1/namespaces/default/deployments/web/scale'
    for query, replicas in (('?dryRun=All', 3), ('', 1)):
        status, _, out = k.https(scale + query, token=token, method='PATCH', port=port2,
                                 body=json.dumps({'spec': {'replicas': replicas}}).encode(),
                                 headers=merge)
        check(status == 200, (status, out))
        got = json.loads(out)
        check(got['kind'] == 'Scale' and got['spec']['replicas'] == replicas, got)
        check(got['metadata']['resourceVersion'] == dep['metadata']['resourceVersion'],
              (got['metadata'], dep['metadata']))
    after = json.loads(k.run('get', 'deployment', 'web', '-o', 'json').stdout)
    check(after['spec']['replicas'] == 1 and after['metadata'] == dep['metadata'],
          after['metadata'])

    cached = (_metric(k, 'kubus_gateway_cached_reads_total') +
              _metric(k, 'kubus_gateway_cached_reads_total', port=port2))
    stale = (_metric(k, 'kubus_gateway_cached_reads_stale_total') +
             _metric(k, 'kubus_gateway_cached_reads_stale_total', port=port2))
    check(cached >= 100, 'cached reads: %d' % cached)
    check(stale > 0, 'concurrent writers never found a copy behind: %d' % stale)
    g2.popen.terminate()
    check(g2.popen.wait(timeout=20) == 0, 'gateway-2 exit %s' % g2.popen.returncode)
    k.down()


def test_delete_a_collection(ctx):
    """DELETE on a collection (deletecollection, as the namespace controller uses it): every
    object the selectors choose goes as its own DELETE would (finalizers hold, pods on a node go
    gracefully), the answer lists them; a dry run deletes nothing; RBAC's verb is
    deletecollection; across all namespaces it is not allowed, as from kube-apiserver."""
    k = Kube(ctx)
    token = k.token()
    for name, labels, fins in (('a', 'app: x', '[]'), ('b', 'app: x', '[example.com/hold]'),
                               ('c', 'app: x', '[]'), ('d', 'app: z', '[]')):
        k.run('create', '-f', k.file(name + '.yaml', """apiVersion: v1
kind: ConfigMap
metadata: {name: %s, labels: {%s}, finalizers: %s}
""" % (name, labels, fins)))
    k.run('create', '-f', k.file('pod.yaml', """apiVersion: v1
kind: Pod
metadata: {name: on-node, labels: {app: x}}
spec: {nodeName: node-1, terminationGracePeriodSeconds: 30, containers: [{name: c, image: busybox}]}
"""))
    cms = '/api/v1/namespaces/default/configmaps'

    def names():
        out = k.run('get', 'configmaps', '-o', 'json').stdout
        return sorted(i['metadata']['name'] for i in json.loads(out)['items']
                      if i['metadata']['name'] != 'kube-root-ca.crt')

    status, _, out = k.https(cms + '?labelSelector=app%3Dx&dryRun=All', token=token,
                             method='DELETE')
    check(status == 200, (status, out))
    check(sorted(i['metadata']['name'] for i in json.loads(out)['items']) == ['a', 'b', 'c'], out)
    check(names() == ['a', 'b', 'c', 'd'], names())

    status, _, out = k.https(cms + '?labelSelector=app%3Dx', token=token, method='DELETE')
    check(status == 200, (status, out))
    got = json.loads(out)
    check(got['kind'] == 'ConfigMapList' and got['apiVersion'] == 'v1', got)
    items = {i['metadata']['name']: i['metadata'] for i in got['items']}
    check(sorted(items) == ['a', 'b', 'c'], items)
    check(items['b'].get('deletionTimestamp') and items['b']['finalizers'] == ['example.com/hold'],
          items['b'])
    check(names() == ['b', 'd'], names())  # b is held by its finalizer

    status, _, out = k.https('/api/v1/namespaces/default/pods', token=token, method='DELETE',
                             body=b'{"gracePeriodSeconds": 20}',
                             headers={'Content-Type': 'application/json'})
    check(status == 200, (status, out))
    pod = json.loads(k.run('get', 'pod', 'on-node', '-o', 'json').stdout)['metadata']
    check(pod['deletionGracePeriodSeconds'] == 20, pod)

    status, _, out = k.https('/api/v1/configmaps', token=token, method='DELETE')
    check(status == 405, (status, out))
    status, _, out = k.https(cms + '?fieldSelector=spec.nope%3D1', token=token, method='DELETE')
    check(status == 400 and b'field label not supported: spec.nope' in out, (status, out))

    # A user who may delete one by one, but not a collection.
    k.run('create', 'serviceaccount', 'one-by-one')
    k.run('create', 'role', 'deleter', '--verb=get,list,delete', '--resource=configmaps')
    k.run('create', 'rolebinding', 'deleter', '--role=deleter',
          '--serviceaccount=default:one-by-one')
    sa = k.run('create', 'token', 'one-by-one').stdout.strip()
    wait_for(lambda: k.https(cms + '/d', token=sa)[0] == 200, timeout=10, what='the role')
    status, _, out = k.https(cms, token=sa, method='DELETE')
    check(status == 403 and 'cannot deletecollection resource "configmaps"' in
          json.loads(out)['message'], (status, out))
    check(names() == ['b', 'd'], names())
    k.down()


def test_services_get_addresses(ctx):
    """A Service gets a cluster IP from 10.96.0.0/12 and, as NodePort, node ports from
    30000-32767, as kube-apiserver's Service registry allocates them: one owner per address
    (a key each, claimed in the Service's own transaction), kubectl's error lines for a taken or
    out-of-range one and for a change, kept across updates, freed by a delete or a type change."""
    k = Kube(ctx)
    k.run('create', 'deployment', 'web', '--image=registry.local/web:1')
    k.run('expose', 'deployment', 'web', '--port=80')
    spec = json.loads(k.run('get', 'svc', 'web', '-o', 'json').stdout)['spec']
    ip = spec['clusterIP']
    parts = [int(x) for x in ip.split('.')]
    check(parts[0] == 10 and 96 <= parts[1] <= 111 and spec['clusterIPs'] == [ip] and
          spec['ipFamilies'] == ['IPv4'] and spec['ipFamilyPolicy'] == 'SingleStack', spec)
    row = k.run('get', 'svc', 'web', '--no-headers').stdout.split()
    check(row[:3] == ['web', 'ClusterIP', ip], row)
    # Kept by an update that leaves it out; a change is refused.
    k.run('replace', '-f', k.file('web-svc.json', json.dumps({
        'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'web'},
        'spec': {'selector': {'app': 'web'}, 'ports': [{'port': 8080}]}})))
    check(json.loads(k.run('get', 'svc', 'web', '-o', 'json').stdout)['spec']['clusterIP'] == ip,
          'kept')
    r = k.run('patch', 'svc', 'web', '-p', '{"spec":{"clusterIP":"10.96.0.50"}}', ok=False)
    check(r.stderr.strip() == 'The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: '
          '[]string{"10.96.0.50"}: may not change once set', r.stderr)
    # Chosen addresses: in range, and one owner each, until the owner goes.
    k.run('create', 'service', 'clusterip', 'dns', '--tcp=53', '--clusterip=10.96.0.10')
    r = k.run('create', 'service', 'clusterip', 'dns2', '--tcp=53', '--clusterip=10.96.0.10',
              ok=False)
    check(r.stderr.strip() == 'error: failed to create ClusterIP service: Service "dns2" is '
          'invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP '
          '10.96.0.10: provided IP is already allocated', r.stderr)
    r = k.run('create', 'service', 'clusterip', 'far', '--tcp=53', '--clusterip=192.168.0.1',
              ok=False)
    check('the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is '
          '10.96.0.0/12' in r.stderr, r.stderr)
    k.run('delete', 'svc', 'dns')
    k.run('create', 'service', 'clusterip', 'dns2', '--tcp=53', '--clusterip=10.96.0.10')
    # Node ports: chosen here or asked for; freed when the type no longer needs them.
    k.run('create', 'service', 'nodeport', 'np', '--tcp=80:8080')
    port = json.loads(k.run('get', 'svc', 'np', '-o', 'json').stdout)['spec']['ports'][0]
    check(30000 <= port['nodePort'] <= 32767, port)
    r = k.run('create', 'service', 'nodeport', 'np2', '--tcp=80:8080',
              '--node-port=%d' % port['nodePort'], ok=False)
    check('spec.ports[0].nodePort: Invalid value: %d: provided port is already allocated'
          % port['nodePort'] in r.stderr, r.stderr)
    r = k.run('create', 'service', 'nodeport', 'np3', '--tcp=80:8080', '--node-port=80', ok=False)
    check('spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The '
          'range of valid ports is 30000-32767' in r.stderr, r.stderr)
    k.run('patch', 'svc', 'np', '-p', '{"spec":{"type":"ClusterIP"}}')
    check('nodePort' not in json.loads(k.run('get', 'svc', 'np', '-o', 'json').stdout)['spec'][
        'ports'][0], 'freed')
    k.run('create', 'service', 'nodeport', 'np2', '--tcp=80:8080',
          '--node-port=%d' % port['nodePort'])
    # An update that asks for another's port is told so; two ports of one Service may swap.
    k.run('create', 'service', 'nodeport', 'np4', '--tcp=80:8080', '--tcp=81:8081')
    mine = [p['nodePort'] for p in json.loads(
        k.run('get', 'svc', 'np4', '-o', 'json').stdout)['spec']['ports']]
    r = k.run('patch', 'svc', 'np4', '--type=json', '-p', json.dumps(
        [{'op': 'replace', 'path': '/spec/ports/0/nodePort', 'value': port['nodePort']}]),
              ok=False)
    check(r.stderr.strip() == 'The Service "np4" is invalid: spec.ports[0].nodePort: Invalid '
          'value: %d: provided port is already allocated' % port['nodePort'], r.stderr)
    k.run('patch', 'svc', 'np4', '--type=json', '-p', json.dumps(
        [{'op': 'replace', 'path': '/spec/ports/0/nodePort', 'value': mine[1]},
         {'op': 'replace', 'path': '/spec/ports/1/nodePort', 'value': mine[0]}]))
    check([p['nodePort'] for p in json.loads(k.run('get', 'svc', 'np4', '-o', 'json').stdout)[
        'spec']['ports']] == mine[::-1], 'swapped')
    # Headless and ExternalName Services hold no address.
    k.run('create', 'service', 'clusterip', 'headless', '--clusterip=None')
    k.run('create', 'service', 'externalname', 'ext', '--external-name=example.com')
    rows = {r.split()[0]: r.split()[2] for r in
            k.run('get', 'svc', '--no-headers').stdout.splitlines()}
    check(rows['headless'] == 'None' and rows['ext'] == '<none>', rows)
    # Many at once: every address different.
    for i in range(20):
        k.https('/api/v1/namespaces/default/services', token=k.token(), method='POST',
                body=json.dumps({'apiVersion': 'v1', 'kind': 'Service',
                                 'metadata': {'name': 's%d' % i},
                                 'spec': {'ports': [{'port': 80}]}}).encode(),
                headers={'Content-Type': 'application/json'})
    ips = [s['spec'].get('clusterIP') for s in json.loads(
        k.run('get', 'svc', '-o', 'json').stdout)['items'] if s['spec']['type'] == 'ClusterIP']
    check(len(ips) == 24 and len(set(ips)) == 24, ips)  # np4 is a NodePort
    k.down()


def test_apply_prune_ingress_and_replication_controllers(ctx):
    """kubectl apply --prune lists every kind of its default allowlist, ReplicationController and
    Ingress among them: both are served (Tables as kubectl prints them, a Scale for the first,
    kubectl create ingress's protobuf body for the second), and pruning deletes what the
    manifests no longer hold. EndpointSlices are served for kubectl describe's backends."""
    k = Kube(ctx)
    two = """apiVersion: v1
kind: ConfigMap
metadata: {name: p1, labels: {set: s}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: p2, labels: {set: s}}
"""
    k.run('apply', '-f', k.file('two.yaml', two))
    r = k.run('apply', '-f', k.file('one.yaml', two.split('---')[0]), '--prune', '-l', 'set=s')
    check('configmap/p1 unchanged' in r.stdout and 'configmap/p2 pruned' in r.stdout, r.stdout)
    check(k.run('get', 'cm', '-l', 'set=s', '-o', 'name').stdout.split() == ['configmap/p1'],
          'pruned')
    k.run('apply', '-f', k.file('rc.yaml', """apiVersion: v1
kind: ReplicationController
metadata: {name: rc1}
spec:
  selector: {app: rc1}
  template:
    metadata: {labels: {app: rc1}}
    spec: {containers: [{name: c, image: busybox}]}
"""))
    r = k.run('get', 'rc', '-o', 'wide')
    check(r.stdout.splitlines()[0].split() == ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE',
                                               'CONTAINERS', 'IMAGES', 'SELECTOR'] and
          r.stdout.splitlines()[1].split()[:4] == ['rc1', '1', '0', '0'] and
          r.stdout.splitlines()[1].split()[-3:] == ['c', 'busybox', 'app=rc1'], r.stdout)
    k.run('scale', 'rc', 'rc1', '--replicas=3')
    status, _, out = k.https('/api/v1/namespaces/default/replicationcontrollers/rc1/scale',
                             token=k.token())
    scale = json.loads(out)
    check(scale['spec']['replicas'] == 3 and scale['status']['selector'] == 'app=rc1', scale)
    meta = json.loads(k.run('get', 'rc', 'rc1', '-o', 'json').stdout)['metadata']
    check(meta['generation'] == 2, meta)
    k.run('create', 'ingress', 'web', '--rule=foo.com/bar=svc1:8080,tls=my-cert')
    k.run('apply', '-f', k.file('ing.yaml', """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing1}
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""))
    rows = [line.split() for line in k.run('get', 'ing').stdout.splitlines()]
    check(rows[0] == ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'] and
          rows[1][:4] == ['ing1', 'nginx', 'a.example.com', '80'] and
          rows[2][:5] == ['web', '<none>', 'foo.com', '80,', '443'], rows)
    # EndpointSlices (discovery.k8s.io) are what kubectl's describers read a backend's
    # endpoints from; one with no endpoints is as valid as upstream says.
    k.run('create', 'service', 'clusterip', 'web', '--tcp=80')
    k.run('apply', '-f', k.file('es.yaml', """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: "80", port: 80}]
endpoints:
- addresses: [10.244.0.5]
  conditions: {ready: true}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: empty}
addressType: IPv4
endpoints: []
"""))
    rows = [line.split() for line in k.run('get', 'endpointslices').stdout.splitlines()]
    check(rows == [['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
                   ['empty', 'IPv4', '<unset>', '<unset>', rows[1][4]],
                   ['web-abc', 'IPv4', '80', '10.244.0.5', rows[2][4]]], rows)
    r = k.run('describe', 'ingress', 'ing1')
    check('web:80 (10.244.0.5:80)' in r.stdout, r.stdout)
    r = k.run('apply', '-f', k.file('bad-ing.yaml', """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - http:
      paths:
      - {path: /, backend: {service: {name: web}}}
"""), ok=False)
    check('spec.rules[0].http.paths[0].pathType: Required value' in r.stderr, r.stderr)
    k.down()
