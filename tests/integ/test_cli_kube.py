"""kubus get|describe|apply|create|replace|patch|delete|scale|label|annotate|logs|rollout|
api-resources|explain|version|cluster-info|auth can-i against the real kubectl: one cluster made by `kubus up`, the same commands given to both, the same
output where kubectl's is the one to match, and kubectl's exact error lines."""
import json
import os
import re
import subprocess
import time

import harness
from harness import check, wait_for
from test_gateway import CM, DEPLOY, KUBECTL, NS, Kube, Lines

LAST = 'kubectl.kubernetes.io/last-applied-configuration'


def _no_ages(text):
    """The text with each table's AGE cells blanked, the columns where they are: the seconds
    that pass between two commands are not a difference."""
    out, span = [], None
    for line in text.split('\n'):
        if not line:
            span = None  # a blank line ends a block; the next line is a header
        elif span is None:
            m = re.search(r'(?<!\S)AGE(?!\S)', line)
            nxt = re.search(r'\S', line[m.end():]) if m else None
            span = (m.start(), m.end() + nxt.start() if nxt else len(line) + 99) if m else False
        elif span:
            line = line[:span[0]] + '~' * len(line[span[0]:span[1]]) + line[span[1]:]
        out.append(line)
    return '\n'.join(out)


class Both(Kube):
    """The cluster, kubectl (run) and kubus (kubus) pointed at it with the same kubeconfig."""

    def kubus(self, *args, input=None, ok=True, env=None, timeout=60):
        r = subprocess.run([harness.bin_path('kubus')] + list(args), capture_output=True,
                           text=True, env=env or self.env, input=input, timeout=timeout)
        for mark in harness.SANITIZER_MARKS:
            check(mark not in r.stderr, 'kubus %s: sanitizer report:\n%s' % (' '.join(args),
                                                                             r.stderr))
        if ok is not None:
            check((r.returncode == 0) == ok, 'kubus %s: exit %d\n%s%s' % (
                ' '.join(args), r.returncode, r.stdout, r.stderr))
        return r

    def same(self, *args, ok=True, stderr=True, ages=True):
        """kubus prints what kubectl prints, ages aside. Tried three times: an age may grow a
        digit between the two. ages=False compares the words of each line without the AGE column
        (rows made over several seconds)."""
        def words(text):
            rows = [line.split() for line in text.splitlines()]
            age = rows[0].index('AGE') if rows and 'AGE' in rows[0] else None
            return [[w for i, w in enumerate(r) if i != age] for r in rows]
        for _ in range(3):
            a, b = self.kubus(*args, ok=ok), self.run(*args, ok=ok)
            out_same = (_no_ages(a.stdout) == _no_ages(b.stdout) or
                        (not ages and words(a.stdout) == words(b.stdout)))
            if out_same and (not stderr or a.stderr == b.stderr):
                return a
            time.sleep(0.3)
        check(False, 'kubus %s differs from kubectl:\n--- kubus\n%s%s--- kubectl\n%s%s' % (
            ' '.join(args), a.stdout, a.stderr, b.stdout, b.stderr))

    def obj(self, *args):
        return json.loads(self.run('get', *args, '-o', 'json').stdout)

    def set_status(self, name, status):
        """What a deployment controller would write (there is none yet)."""
        code, _, body = self.https('/apis/apps/v1/namespaces/default/deployments/%s/status' % name,
                                   token=self.token(), method='PATCH',
                                   body=json.dumps({'status': status}).encode(),
                                   headers={'Content-Type': 'application/merge-patch+json'})
        check(code == 200, (code, body))


def _objects(k):
    k.run('apply', '-f', k.file('cm.yaml', CM))
    k.run('apply', '-f', k.file('dep.yaml', DEPLOY))
    k.run('create', 'namespace', 'team-a')
    k.run('create', 'configmap', 'other', '--from-literal=a=b', '-n', 'team-a')
    k.run('label', 'cm', 'other', 'app=web', 'tier=back', '-n', 'team-a')
    k.run('run', 'p', '--image=busybox')


def test_get_prints_what_kubectl_prints(ctx):
    k = Both(ctx)
    _objects(k)
    for args in [('api-resources',), ('api-resources', '-o', 'wide'),
                 ('api-resources', '-o', 'name'), ('api-resources', '--namespaced=false'),
                 ('get', 'cm'), ('get', 'configmaps', '-o', 'wide'), ('get', 'all'),
                 ('get', 'cm,deploy'), ('get', 'cm', '-A'), ('get', 'pods', '-A', '-o', 'wide'),
                 ('get', 'ns', '--show-labels'), ('get', 'cm', '-l', 'app=web', '-A',
                                                  '--show-labels'),
                 ('get', 'ns', '--field-selector', 'metadata.name=team-a'),
                 ('get', 'cm', 'web-config', '-o', 'yaml'), ('get', 'cm', 'web-config', '-o',
                                                             'json'),
                 ('get', 'deploy', 'web', '-o', 'yaml'), ('get', 'cm', '-o', 'yaml'),
                 ('get', 'cm,deploy', '-o', 'json'), ('get', 'all', '-o', 'name'),
                 ('get', 'deploy/web', 'cm/web-config'), ('get', 'ns', 'default', 'team-a'),
                 ('get', 'po', 'p', '-o', 'yaml'), ('get', 'deployments.apps', '-o', 'wide'),
                 ('get', 'pv'), ('get', 'cm', '-n', 'nons'), ('get', 'pods', '-l', 'app=none'),
                 ('get', 'pv', '-o', 'yaml')]:
        k.same(*args)
    for args in [('get', 'cm', 'nope'), ('get', 'nosuchtype'), ('get', 'deploy', 'nope', '-o',
                                                                 'yaml')]:
        k.same(*args, ok=False)
    r = k.kubus('get', 'cm', 'nope', ok=False)
    check(r.stderr == 'Error from server (NotFound): configmaps "nope" not found\n', r.stderr)
    r = k.kubus('get', 'cm', '-n', 'nons')
    check(r.stderr == 'No resources found in nons namespace.\n' and not r.stdout, r)
    # More than a page (limit=500): the continue token is followed, all in one table.
    many = {'apiVersion': 'v1', 'kind': 'List', 'items': [
        {'apiVersion': 'v1', 'kind': 'ConfigMap',
         'metadata': {'name': 'many-%03d' % i, 'labels': {'many': 'yes'}}} for i in range(510)]}
    r = k.kubus('create', '-f', '-', input=json.dumps(many), timeout=120)
    check(r.stdout.count(' created\n') == 510, r.stdout[-500:])
    r = k.same('get', 'cm', '-l', 'many=yes', ages=False)
    check(len(r.stdout.splitlines()) == 511, len(r.stdout.splitlines()))
    items = json.loads(k.kubus('get', 'cm', '-l', 'many=yes', '-o', 'json').stdout)['items']
    check(len(items) == 510 and items[0]['kind'] == 'ConfigMap', len(items))
    k.down()


def test_apply_create_delete(ctx):
    k = Both(ctx)
    cm, dep = k.file('cm.yaml', CM), k.file('dep.yaml', DEPLOY)
    r = k.kubus('apply', '-f', cm, '-f', dep)
    check(r.stdout == 'configmap/web-config created\ndeployment.apps/web created\n', r.stdout)
    r = k.kubus('apply', '-f', cm, '-f', dep)
    check(r.stdout == 'configmap/web-config unchanged\ndeployment.apps/web unchanged\n', r.stdout)
    # The annotation is the one kubectl writes: kubectl finds nothing to change.
    k.run('apply', '-f', k.file('twin.yaml', CM.replace('web-config', 'twin')))
    mine = k.obj('cm', 'web-config')['metadata']['annotations'][LAST]
    theirs = k.obj('cm', 'twin')['metadata']['annotations'][LAST]
    check(mine == theirs.replace('twin', 'web-config') and mine.endswith('}\n'), (mine, theirs))
    check(k.run('apply', '-f', cm).stdout.strip() == 'configmap/web-config unchanged', 'kubectl')
    check(k.run('apply', '-f', dep).stdout.strip() == 'deployment.apps/web unchanged', 'kubectl')
    # A change, and a field dropped from the manifest since it was applied.
    k.file('cm.yaml', CM.replace('value1', 'value2').replace('  labels: {app: web}\n', ''))
    check(k.kubus('apply', '-f', cm).stdout == 'configmap/web-config configured\n', 'configured')
    obj = k.obj('cm', 'web-config')
    check(obj['data'] == {'key1': 'value2'} and 'labels' not in obj['metadata'], obj)
    k.file('dep.yaml', DEPLOY.replace('replicas: 2', 'replicas: 3'))
    check(k.kubus('apply', '-f', dep).stdout == 'deployment.apps/web configured\n', 'dep')
    spec = k.obj('deploy', 'web')['spec']
    c = spec['template']['spec']['containers'][0]
    check(spec['replicas'] == 3 and c['image'] == 'nginx:1.25' and
          c['imagePullPolicy'] == 'IfNotPresent', spec)
    check(k.kubus('apply', '-f', dep).stdout == 'deployment.apps/web unchanged\n', 'unchanged')
    k.file('dep.yaml', DEPLOY.replace('nginx:1.25', 'nginx:1.26'))
    check(k.kubus('apply', '-f', dep, '-o', 'name').stdout == 'deployment.apps/web\n', 'name')
    c = k.obj('deploy', 'web')['spec']['template']['spec']['containers'][0]
    check(c['image'] == 'nginx:1.26' and k.obj('deploy', 'web')['spec']['replicas'] == 2, c)
    # create -f: several documents (a namespace first), from a file and from stdin.
    multi = k.file('multi.yaml', NS + '---\n' + CM.replace('web-config', 'c1') + '---\n' +
                   CM.replace('web-config', 'c2').replace('metadata:\n',
                                                          'metadata:\n  namespace: team-a\n'))
    r = k.kubus('create', '-f', multi)
    check(r.stdout == 'namespace/team-a created\nconfigmap/c1 created\nconfigmap/c2 created\n',
          r.stdout)
    r = k.same('create', '-f', multi, ok=False)
    check(r.stderr.splitlines()[0] == 'Error from server (AlreadyExists): error when creating '
          '"%s": namespaces "team-a" already exists' % multi, r.stderr)
    r = k.kubus('create', '-f', '-', input=CM.replace('web-config', 'c3'))
    check(r.stdout == 'configmap/c3 created\n', r.stdout)
    r = k.kubus('create', '-f', '-', input=CM.replace('web-config', 'c3'), ok=False)
    check(r.stderr == 'Error from server (AlreadyExists): error when creating "STDIN": '
          'configmaps "c3" already exists\n', r.stderr)
    k.same('create', '-f', k.file('bad.yaml', CM.replace('web-config', 'Bad_Name')), ok=False)
    k.same('apply', '-f', k.file('bad.yaml', CM.replace('web-config', 'Bad_Name')), ok=False)
    k.same('create', '-f', k.file('unknown.yaml', CM.replace('web-config', 'u') + 'bogus: 1\n'),
           ok=False)
    k.same('create', '-f', k.file('nons.yaml', CM), '-n', 'nons', ok=False)
    # A stale resourceVersion in the manifest: the server's Conflict, as kubectl words it.
    rv = k.obj('cm', 'c1')['metadata']['resourceVersion']
    k.run('label', 'cm', 'c1', 'moved=on')
    stale = k.file('stale.yaml', CM.replace('web-config', 'c1').replace(
        'metadata:\n', 'metadata:\n  resourceVersion: "%s"\n' % rv))
    r = k.kubus('apply', '-f', stale, ok=False)
    lines = r.stderr.splitlines()  # c1 was created, not applied: kubectl's warning first
    check(len(lines) == 2 and lines[0].startswith('Warning: resource configmaps/c1 is missing the '
                                                  '%s annotation' % LAST), r.stderr)
    check(lines[1] == 'Error from server (Conflict): error when patching "%s": Operation cannot '
          'be fulfilled on configmaps "c1": the object has been modified; please apply your '
          'changes to the latest version and try again' % stale, r.stderr)
    # delete answers once the object is gone; then NotFound, as kubectl says it.
    r = k.kubus('delete', 'cm', 'c1')
    check(r.stdout == 'configmap "c1" deleted\n', r.stdout)
    k.run('get', 'cm', 'c1', ok=False)
    r = k.same('delete', 'cm', 'c1', ok=False)
    check(r.stderr == 'Error from server (NotFound): configmaps "c1" not found\n', r.stderr)
    k.same('delete', 'cm', 'c1', '--ignore-not-found')
    r = k.kubus('delete', '-f', k.file('twin.yaml', CM.replace('web-config', 'twin')))
    check(r.stdout == 'configmap "twin" deleted\n', r.stdout)
    r = k.kubus('delete', 'deploy/web', 'cm/web-config', '--wait=false')
    check(r.stdout == 'deployment.apps "web" deleted\nconfigmap "web-config" deleted\n', r.stdout)
    k.run('label', 'cm', 'c3', 'grp=x')
    check(k.kubus('delete', 'cm', '-l', 'grp=x').stdout == 'configmap "c3" deleted\n', 'by label')
    k.same('delete', 'cm', '-l', 'grp=x')
    r = k.kubus('delete', 'cm', ok=False)
    check('resource(s) were provided, but no name was specified' in r.stderr, r.stderr)
    k.down()


def test_scale_label_describe_logs_rollout(ctx):
    k = Both(ctx)
    _objects(k)
    r = k.kubus('scale', 'deploy', 'web', '--replicas=3')
    check(r.stdout == 'deployment.apps/web scaled\n', r.stdout)
    check(k.obj('deploy', 'web')['spec']['replicas'] == 3, 'replicas')
    k.same('scale', 'deployment/web', '--replicas=5', '--current-replicas=2', ok=False)
    r = k.kubus('scale', 'deploy', 'web', ok=False)
    check(r.returncode == 2 and 'usage: kubus scale' in r.stderr, r.stderr)
    # label and annotate: a value changes only with --overwrite, in kubectl's words.
    check(k.kubus('label', 'cm', 'web-config', 'tier=front').stdout ==
          'configmap/web-config labeled\n', 'labeled')
    r = k.same('label', 'cm', 'web-config', 'tier=back', ok=False)
    check(r.stderr == "error: 'tier' already has a value (front), and --overwrite is false\n",
          r.stderr)
    check(k.kubus('label', 'cm/web-config', 'tier=back', '--overwrite').stdout ==
          'configmap/web-config labeled\n', 'overwrite')
    check(k.kubus('label', 'cm', 'web-config', 'tier-').stdout ==
          'configmap/web-config unlabeled\n', 'unlabeled')
    check(k.obj('cm', 'web-config')['metadata']['labels'] == {'app': 'web'}, 'labels')
    check(k.kubus('annotate', 'cm', 'web-config', 'note=hi').stdout ==
          'configmap/web-config annotated\n', 'annotated')
    k.same('annotate', 'cm', 'web-config', 'note=ho', ok=False)
    k.kubus('annotate', 'cm', 'web-config', 'note=ho', '--overwrite')
    check(k.obj('cm', 'web-config')['metadata']['annotations']['note'] == 'ho', 'note')
    # describe: the summary, the events (none: no controller writes any yet).
    r = k.kubus('describe', 'cm', 'web-config')
    lines = r.stdout.splitlines()
    check(lines[0].split() == ['Name:', 'web-config'] and lines[1].split() == ['Namespace:',
                                                                                'default'], lines)
    check(lines[2].startswith('CreationTimestamp:') and 'Labels:             app=web' in lines,
          lines)
    check('Annotations:        note: ho' in lines and '  key1:  value1' in lines, lines)
    check(lines[-1].split() == ['Events:', '<none>'], lines)
    check(LAST not in r.stdout, r.stdout)
    r = k.kubus('describe', 'deploy', 'web')
    check('  Replicas:' in r.stdout and r.stdout.splitlines()[-1].split() == ['Events:', '<none>'],
          r.stdout)
    k.same('describe', 'cm', 'nope', ok=False)
    # logs: the pod is read first; the gateway has no node agent to serve logs yet (503).
    for args in [('logs', 'p'), ('logs', 'pod/p', '--tail', '2', '-f'), ('logs', 'nope'),
                 ('logs', 'p', '-c', 'nosuch')]:
        k.same(*args, ok=False)
    r = k.kubus('logs', 'p', ok=False)
    check(r.stderr.startswith('Error from server (ServiceUnavailable): '), r.stderr)
    # rollout status follows the deployment's status (written here as a controller would).
    r = k.kubus('rollout', 'status', 'deploy/web', '--timeout=1s', ok=False)
    check(r.stdout == 'Waiting for deployment spec update to be observed...\n' and
          r.stderr == 'error: timed out waiting for the condition\n', r)
    k.set_status('web', {'observedGeneration': 2, 'replicas': 3, 'updatedReplicas': 1})
    r = k.same('rollout', 'status', 'deploy/web', '--watch=false')
    check(r.stdout == 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas '
          'have been updated...\n', r.stdout)
    w = subprocess.Popen([harness.bin_path('kubus'), 'rollout', 'status', 'deployment', 'web'],
                         env=k.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    k.set_status('web', {'updatedReplicas': 3, 'availableReplicas': 3, 'readyReplicas': 3})
    out, err = w.communicate(timeout=20)
    check(w.returncode == 0 and out.splitlines()[-1] == 'deployment "web" successfully rolled out',
          (out, err))
    k.same('rollout', 'status', 'deploy/web')
    r = k.kubus('rollout', 'history', 'deploy/web', ok=False)
    check('not supported yet' in r.stderr, r.stderr)
    k.down()


def test_watch_auth_and_usage(ctx):
    k = Both(ctx)
    k.run('create', '-f', k.file('cm.yaml', CM))
    procs = {}
    for tool in ('kubus', 'kubectl'):
        exe = harness.bin_path('kubus') if tool == 'kubus' else KUBECTL
        for how in (('get', 'cm', '-w'), ('get', 'cm', 'web-config', '-w', '-o', 'json')):
            p = subprocess.Popen([exe] + list(how), env=k.env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            procs[(tool, how[2])] = (p, Lines(p))
    out = {key: lines.take(1, timeout=15) for key, (p, lines) in procs.items()}
    check(all(out.values()), out)
    time.sleep(1.0)  # every watch is open
    k.run('label', 'cm', 'web-config', 'step=1')
    k.run('create', '-f', k.file('cm2.yaml', CM.replace('web-config', 'a-much-longer-name')))
    k.run('delete', 'cm', 'web-config')
    time.sleep(1.5)
    for key, (p, lines) in procs.items():
        p.terminate()
        p.wait(timeout=10)
        out[key] += lines.take(1000, timeout=1)
        for mark in harness.SANITIZER_MARKS:
            check(mark not in p.stderr.read(), key)
    # The list, then a row per change; widths remembered, as kubectl's tabwriter does.
    check(len(out[('kubus', '-w')]) == 1 + 2 + 3, out)  # web-config and kube-root-ca.crt
    mine, theirs = ('\n'.join(out[(tool, '-w')]) for tool in ('kubus', 'kubectl'))
    check(_no_ages(mine) == _no_ages(theirs), out)  # each watcher's ages are its own
    check(out[('kubus', 'web-config')] == out[('kubectl', 'web-config')], out)
    # Credentials and reachability.
    token = k.token()
    bad = dict(k.env, KUBECONFIG=k.file('bad.kubeconfig', open(k.env['KUBECONFIG']).read()
                                        .replace(token, 'wrong')))
    for args in (('get', 'ns'), ('api-resources',), ('delete', 'cm', 'x')):
        r = k.kubus(*args, env=bad, ok=False)
        check(r.stderr == 'error: You must be logged in to the server (Unauthorized)\n', r.stderr)
    check(token not in r.stderr + r.stdout, 'the token was printed')
    down = dict(k.env, KUBECONFIG=k.file('down.kubeconfig', open(k.env['KUBECONFIG']).read()
                                         .replace(':%d' % k.port, ':1')))
    r = k.kubus('get', 'ns', env=down, ok=False)
    check(r.stderr.startswith('kubus: cannot reach the API at https://127.0.0.1:1: '), r.stderr)
    r = k.kubus('get', 'ns', '--kubeconfig', os.path.join(ctx.dir, 'none'), ok=False)
    check('none: No such file or directory' in r.stderr, r.stderr)
    # The cluster directory's kubeconfig when nothing else is named.
    env = dict(k.env, KUBUS_DIR=k.dir)
    del env['KUBECONFIG']
    check('a-much-longer-name' in k.kubus('get', 'cm', env=env).stdout, 'default kubeconfig')
    # Usage errors exit 2 with a usage line.
    for args in (('get',), ('get', 'cm', '-o', 'bogus'), ('apply',), ('logs',),
                 ('label', 'cm', 'x'), ('get', '--bogus')):
        r = k.kubus(*args, ok=False)
        check(r.returncode == 2 and ('usage: kubus' in r.stderr or 'error:' in r.stderr),
              (args, r.returncode, r.stderr))
    r = k.kubus('get', 'cm,deploy', '-w', ok=False)
    check('you may only specify a single resource type' in r.stderr, r.stderr)
    k.down()


def test_version_cluster_info_replace_patch(ctx):
    k = Both(ctx)
    # version: kubus's own version, the server's as kubectl prints it.
    server = [line for line in k.run('version').stdout.splitlines() if line.startswith('Server')]
    r = k.kubus('version')
    check(r.stdout == 'Client Version: v1.32.0-kubus\n%s\n' % server[0], r.stdout)
    mine = json.loads(k.kubus('version', '-o', 'json').stdout)
    theirs = json.loads(k.run('version', '-o', 'json').stdout)
    check(mine['serverVersion'] == theirs['serverVersion'] and
          list(mine['serverVersion']) == list(theirs['serverVersion']), (mine, theirs))
    check('gitVersion: v1.32.0-kubus' in k.kubus('version', '-o', 'yaml').stdout, 'yaml')
    k.same('cluster-info')
    check(k.kubus('cluster-info').stdout.startswith(
        'Kubernetes control plane is running at https://127.0.0.1:%d\n' % k.port), 'cluster-info')
    # replace: a PUT of each manifest; a stale resourceVersion is kubectl's Conflict line.
    k.run('create', '-f', k.file('cm.yaml', CM))
    live = k.file('live.yaml', k.run('get', 'cm', 'web-config', '-o', 'yaml').stdout
                  .replace('value1', 'value9'))
    r = k.kubus('replace', '-f', live)
    check(r.stdout == 'configmap/web-config replaced\n', r.stdout)
    check(k.obj('cm', 'web-config')['data'] == {'key1': 'value9'}, 'replaced')
    r, theirs = k.kubus('replace', '-f', live, ok=False), k.run('replace', '-f', live, ok=False)
    check(r.stderr == theirs.stderr == 'Error from server (Conflict): error when replacing "%s": '
          'Operation cannot be fulfilled on configmaps "web-config": the object has been '
          'modified; please apply your changes to the latest version and try again\n' % live,
          (r.stderr, theirs.stderr))
    r = k.kubus('replace', '-f', '-', ok=True, input=CM.replace('value1', 'stdin'))
    check(r.stdout == 'configmap/web-config replaced\n', r.stdout)
    for args in [('replace', '-f', os.path.join(ctx.dir, 'none.yaml')), ('replace',)]:
        k.same(*args, ok=False)
    # patch: strategic (the default), merge and JSON patches; "(no change)" as kubectl says it.
    p = '{"data":{"key1":"p1"}}'
    check(k.kubus('patch', 'cm', 'web-config', '-p', p).stdout == 'configmap/web-config patched\n',
          'patched')
    for args in [('patch', 'cm', 'web-config', '-p', p),
                 ('patch', 'cm/web-config', '--type', 'merge', '-p', p),
                 ('patch', 'cm', 'web-config', '--type', 'json', '-p',
                  '[{"op":"replace","path":"/data/key1","value":"p1"}]')]:
        r = k.same(*args)
        check(r.stdout == 'configmap/web-config patched (no change)\n', r.stdout)
    r = k.kubus('patch', 'cm', 'web-config', '--type', 'json', '-o', 'name', '-p',
                '[{"op":"add","path":"/data/key2","value":"j"}]')
    check(r.stdout == 'configmap/web-config\n', r.stdout)
    r = k.kubus('patch', 'cm', 'web-config', '--type', 'merge', '-o', 'json', '-p',
                'data: {key2: null}')
    check(json.loads(r.stdout)['data'] == {'key1': 'p1'}, r.stdout)
    k.run('apply', '-f', k.file('dep.yaml', DEPLOY))
    r = k.kubus('patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":'
                '[{"name":"nginx","image":"nginx:1.27"}]}}}}')
    check(r.stdout == 'deployment.apps/web patched\n', r.stdout)
    c = k.obj('deploy', 'web')['spec']['template']['spec']['containers']
    check(len(c) == 1 and c[0]['image'] == 'nginx:1.27' and
          c[0]['imagePullPolicy'] == 'IfNotPresent', c)  # merged into the list by name
    for args in [('patch', 'cm', 'nope', '-p', '{}'), ('patch', 'cm', 'web-config', '--type',
                                                        'bogus', '-p', '{}'),
                 ('patch', 'cm', 'web-config'), ('patch', 'cm', '-p', '{}'),
                 ('patch', 'nosuchtype', 'x', '-p', '{}'),
                 ('patch', 'cm', 'web-config', '--type', 'json', '-p',
                  '[{"op":"replace","path":"/data/none","value":"e"}]')]:
        k.same(*args, ok=False)
    r = k.kubus('patch', 'cm', 'nope', '-p', '{}', ok=False)
    check(r.stderr == 'Error from server (NotFound): configmaps "nope" not found\n', r.stderr)
    k.down()


def test_explain_and_auth_can_i(ctx):
    k = Both(ctx)
    for args in [('explain', 'configmap'), ('explain', 'pod.spec.containers'),
                 ('explain', 'deploy'), ('explain', 'deployments.spec.replicas'),
                 ('explain', 'pod.spec.containers.imagePullPolicy'), ('explain', 'cm.data'),
                 ('explain', 'svc.spec'), ('explain', 'node.status'),
                 ('explain', 'clusterroles.rules'), ('explain', 'pod.metadata.labels')]:
        k.same(*args)
    r = k.kubus('explain', 'pod.spec.containers')
    check('FIELD: containers <[]Container>\n' in r.stdout and
          '  name\t<string> -required-\n' in r.stdout, r.stdout)
    for args in [('explain', 'cm.nope'), ('explain', 'nosuchtype'), ('explain',)]:
        k.same(*args, ok=False)
    check(k.kubus('explain', 'cm.nope', ok=False).stderr == 'error: field "nope" does not exist\n',
          'no field')
    # can-i: yes (exit 0), kubectl's warnings; --list: the rules as kubectl tabulates them.
    for args in [('auth', 'can-i', 'get', 'pods'), ('auth', 'can-i', 'delete', 'nodes'),
                 ('auth', 'can-i', 'get', 'nosuchtype'), ('auth', 'can-i', 'get', '/healthz'),
                 ('auth', 'can-i', 'create', 'deployments.apps/x', '-n', 'kube-system'),
                 ('auth', 'can-i', '--list'), ('auth', 'can-i', '--list', '--no-headers')]:
        k.same(*args)
    for args in [('auth', 'can-i', 'get'), ('auth', 'can-i', '--list', '-A')]:
        k.same(*args, ok=False)
    with open(os.path.join(k.dir, 'tokens.csv'), 'a') as f:
        f.write('bob-token-0123456789,bob,bob-uid,"devs"\n')
    bob = dict(k.env, KUBECONFIG=k.file('bob.kubeconfig', open(k.env['KUBECONFIG']).read()
                                        .replace(k.token(), 'bob-token-0123456789')))
    for name, role in (('bob-view', 'view'), ('bob-edit', 'edit')):
        k.run('create', 'rolebinding', name, '--clusterrole=' + role, '--group=devs')
    admin, k.env = k.env, bob
    wait_for(lambda: k.run('auth', 'can-i', 'list', 'configmaps', ok=None).returncode == 0,
             timeout=10, what='bob known')
    r = k.same('auth', 'can-i', 'list', 'secrets', '-n', 'kube-system', ok=False)
    check(r.stdout == 'no\n' and r.returncode == 1, r)
    for args in [('auth', 'can-i', '--list'), ('auth', 'can-i', '--list', '-n', 'kube-system')]:
        r = k.same(*args)
    rows = k.kubus('auth', 'can-i', '--list').stdout.splitlines()
    check(any(row.split() == ['configmaps', '[]', '[]', '[get', 'list', 'watch', 'create', 'delete',
                              'deletecollection', 'patch', 'update]'] for row in rows), rows)
    k.env = admin
    k.down()
