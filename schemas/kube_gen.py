#!/usr/bin/python3
"""Turns the Kubernetes kind descriptions (schemas/kube/*.yaml) into C tables for the gateway.

  schemas/kube_gen.py --out DIR schemas/kube/*.yaml

Emits DIR/kube_schema.h and DIR/kube_schema.c: every object type with its fields (type, default,
merge key, patch strategy, enum, flags, doc), every kind (names, scope, verbs, short names,
categories, subresources, field selectors, Table columns) and, per kind, a type holding its
top-level fields (apiVersion, kind and metadata implied). The format is described in
schemas/kube/README.md. Tables, not code: the gateway walks them for discovery, OpenAPI,
validation, defaulting, strategic merge and Tables. The generator is strict: an unknown
attribute, an undefined type or a name defined twice is an error.
"""
import argparse
import json
import os
import re
import sys

import yaml

SCALARS = ['string', 'int32', 'int64', 'number', 'boolean', 'time', 'bytes', 'quantity',
           'int-or-string', 'object']
C_SCALAR = {'string': 'KUBE_T_STRING', 'int32': 'KUBE_T_INT32', 'int64': 'KUBE_T_INT64',
            'number': 'KUBE_T_NUMBER', 'boolean': 'KUBE_T_BOOL', 'time': 'KUBE_T_TIME',
            'bytes': 'KUBE_T_BYTES', 'quantity': 'KUBE_T_QUANTITY',
            'int-or-string': 'KUBE_T_INTSTR', 'object': 'KUBE_T_OBJECT'}
FIELD_KEYS = {'type', 'doc', 'required', 'default', 'defaultFn', 'enum', 'mergeKey',
              'patchStrategy', 'listType', 'listMapKeys', 'readOnly', 'format', 'status',
              'sensitive', 'min', 'max', 'pattern', 'emptyOk'}
KIND_KEYS = {'plural', 'singular', 'scope', 'shortNames', 'categories', 'verbs', 'subresources',
             'doc', 'fields', 'fieldSelectors', 'columns', 'subresourceOnly', 'createOnUpdate'}
COLUMN_KEYS = {'name', 'type', 'format', 'priority', 'doc', 'path', 'fn'}
SUB_KEYS = {'kind', 'group', 'version', 'verbs'}
FILE_KEYS = {'group', 'version', 'doc', 'types', 'kinds'}
LIST_RE = re.compile(r'^\[(.+)\]$')
MAP_RE = re.compile(r'^map\[string\](.+)$')


class Error(Exception):
    pass


def c_str(s):
    if s is None:
        return 'NULL'
    s = ' '.join(str(s).split())
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def c_ident(s):
    return re.sub(r'[^A-Za-z0-9_]', '_', s)


class Kube:
    def __init__(self):
        self.types = {}   # name -> dict(doc, fields, where)
        self.kinds = []   # dicts
        self.files = []

    def load(self, path):
        with open(path) as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict):
            raise Error('%s: not a mapping' % path)
        extra = set(doc) - FILE_KEYS
        if extra:
            raise Error('%s: unknown keys %s' % (path, sorted(extra)))
        group = doc.get('group', '')
        group = '' if group in (None, 'core') else str(group)
        version = str(doc.get('version', 'v1'))
        for name, t in (doc.get('types') or {}).items():
            if name in self.types:
                raise Error('%s: type %s already defined in %s' % (path, name,
                                                                 self.types[name]['where']))
            self.types[name] = dict(doc=(t or {}).get('doc', ''), fields=(t or {}).get('fields')
                                    or {}, where=path)
        for kname, k in (doc.get('kinds') or {}).items():
            extra = set(k) - KIND_KEYS
            if extra:
                raise Error('%s: kind %s: unknown keys %s' % (path, kname, sorted(extra)))
            k = dict(k, kind=kname, group=group, version=version, where=path)
            self.kinds.append(k)

    def type_of(self, where, t):
        """(c_type, c_elem, ref name or None) for a field type text."""
        m = LIST_RE.match(t)
        if m:
            inner = self.type_of(where, m.group(1))
            if inner[0] in ('KUBE_T_LIST', 'KUBE_T_MAP'):
                raise Error('%s: nested collections are not supported: %s' % (where, t))
            return 'KUBE_T_LIST', inner[0], inner[2]
        m = MAP_RE.match(t)
        if m:
            inner = self.type_of(where, m.group(1))
            if inner[0] in ('KUBE_T_LIST', 'KUBE_T_MAP'):
                raise Error('%s: nested collections are not supported: %s' % (where, t))
            return 'KUBE_T_MAP', inner[0], inner[2]
        if t in C_SCALAR:
            return C_SCALAR[t], 'KUBE_T_NONE', None
        if t in self.types:
            return 'KUBE_T_REF', 'KUBE_T_NONE', t
        raise Error('%s: unknown type %r' % (where, t))

    def check_fields(self, where, fields):
        for fname, f in fields.items():
            w = '%s field %s' % (where, fname)
            if not isinstance(f, dict) or 'type' not in f:
                raise Error('%s: needs a type' % w)
            extra = set(f) - FIELD_KEYS
            if extra:
                raise Error('%s: unknown attributes %s' % (w, sorted(extra)))
            self.type_of(w, str(f['type']))

    def check(self):
        if 'ObjectMeta' not in self.types:
            raise Error('no ObjectMeta type (schemas/kube/meta.yaml)')
        for name, t in self.types.items():
            self.check_fields('type ' + name, t['fields'])
        seen = {}
        for k in self.kinds:
            w = 'kind %s' % k['kind']
            if k['kind'] in self.types:
                raise Error('%s: also defined as a type' % w)
            key = (k['group'], k['kind'])
            if key in seen:
                raise Error('%s: defined twice' % w)
            seen[key] = k
            self.check_fields(w, k.get('fields') or {})
            if k.get('subresourceOnly'):
                continue
            for need in ('plural', 'scope'):
                if need not in k:
                    raise Error('%s: needs %s' % (w, need))
            if k['scope'] not in ('Namespaced', 'Cluster'):
                raise Error('%s: scope is Namespaced or Cluster' % w)
            for c in k.get('columns') or []:
                extra = set(c) - COLUMN_KEYS
                if extra or 'name' not in c:
                    raise Error('%s column %s: bad keys' % (w, c.get('name')))
                if bool(c.get('path')) == bool(c.get('fn')):
                    raise Error('%s column %s: needs path or fn' % (w, c['name']))
            for sname, s in (k.get('subresources') or {}).items():
                extra = set(s or {}) - SUB_KEYS
                if extra:
                    raise Error('%s subresource %s: unknown keys %s' % (w, sname, sorted(extra)))


def strs(name, values):
    if not values:
        return 'static const char *const %s[] = {NULL};\n' % name
    return 'static const char *const %s[] = {%s, NULL};\n' % (
        name, ', '.join(c_str(v) for v in values))


def field_flags(f):
    flags = []
    for attr, flag in (('required', 'KUBE_F_REQUIRED'), ('readOnly', 'KUBE_F_READ_ONLY'),
                       ('status', 'KUBE_F_STATUS'), ('sensitive', 'KUBE_F_SENSITIVE'),
                       ('emptyOk', 'KUBE_F_EMPTY_OK')):
        if f.get(attr):
            flags.append(flag)
    ps = str(f.get('patchStrategy') or '')
    if 'merge' in ps.split(','):
        flags.append('KUBE_F_PATCH_MERGE')
    if 'retainKeys' in ps.split(','):
        flags.append('KUBE_F_RETAIN_KEYS')
    return ' | '.join(flags) or '0'


def emit_fields(kube, out, ident, where, fields):
    """Writes the field array of one type; returns its C name and count."""
    lines = []
    for i, (fname, f) in enumerate(sorted(fields.items())):
        ct, ce, ref = kube.type_of(where, str(f['type']))
        enum_name = 'NULL'
        if f.get('enum'):
            enum_name = 's_%s_%d_enum' % (ident, i)
            out.append(strs(enum_name, [str(v) for v in f['enum']]))
        default = None
        if 'default' in f:
            default = json.dumps(f['default'], sort_keys=True, separators=(',', ':'))
        lines.append('    {%s, %s, %s, %s, %s, %s, %s, %s, %s, %s},' % (
            c_str(fname), ct, ce, ('&kube_types[KUBE_TYPE_%s]' % c_ident(ref)) if ref else 'NULL',
            field_flags(f), c_str(f.get('doc', '')), c_str(default), c_str(f.get('defaultFn')),
            enum_name, c_str(f.get('mergeKey'))))
    name = 's_%s_fields' % ident
    if lines:
        out.append('static const kube_field_t %s[] = {\n%s\n};\n' % (name, '\n'.join(lines)))
        return name, len(lines)
    return 'NULL', 0


HEADER = '''/* Generated by schemas/kube_gen.py from the YAML files in schemas/kube: do not edit. The Kubernetes kinds
 * and object types the gateway serves, as tables (see schemas/kube/README.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    KUBE_T_NONE = 0,
    KUBE_T_STRING,
    KUBE_T_INT32,
    KUBE_T_INT64,
    KUBE_T_NUMBER,
    KUBE_T_BOOL,
    KUBE_T_TIME,
    KUBE_T_BYTES,
    KUBE_T_QUANTITY,
    KUBE_T_INTSTR,
    KUBE_T_OBJECT, /* free-form JSON */
    KUBE_T_REF,    /* an object of a described type */
    KUBE_T_LIST,
    KUBE_T_MAP, /* map[string]elem */
} kube_ftype_t;

enum {
    KUBE_F_REQUIRED = 1,
    KUBE_F_READ_ONLY = 2,
    KUBE_F_STATUS = 4,
    KUBE_F_SENSITIVE = 8,
    KUBE_F_PATCH_MERGE = 16, /* patchStrategy merge */
    KUBE_F_RETAIN_KEYS = 32, /* patchStrategy retainKeys */
    KUBE_F_EMPTY_OK = 64,    /* required, yet validation accepts it absent or empty */
};

typedef struct kube_type_t kube_type_t;

typedef struct {
    const char *name;
    unsigned char type; /* kube_ftype_t */
    unsigned char elem; /* lists and maps: the elements' kube_ftype_t */
    const kube_type_t *ref; /* KUBE_T_REF, or a list or map of them */
    unsigned flags;         /* KUBE_F_* */
    const char *doc;
    const char *default_json; /* JSON text, or NULL */
    const char *default_fn;   /* a computed default the gateway knows by name, or NULL */
    const char *const *enums; /* NULL-terminated, or NULL */
    const char *merge_key;    /* lists of objects merged by this key, or NULL */
} kube_field_t;

struct kube_type_t {
    const char *name;
    const char *doc;
    const kube_field_t *fields; /* sorted by name */
    size_t fields_n;
};

typedef struct {
    const char *name, *type, *format, *doc;
    const char *path; /* ".a.b": the value at that path */
    const char *fn;   /* or a computation the gateway knows by name */
    int priority;
} kube_column_t;

typedef struct {
    const char *name, *kind, *group, *version;
    const char *const *verbs;
} kube_subresource_t;

typedef struct {
    const char *kind, *group, *version, *plural, *singular, *doc;
    bool namespaced;
    bool subresource_only; /* a kind only subresources return (Scale): no resource of its own */
    bool create_on_update; /* a PUT of an absent object creates it (else 404), as its strategy */
    const char *const *short_names;
    const char *const *categories;
    const char *const *verbs;
    const char *const *field_selectors;
    const kube_subresource_t *subresources;
    size_t subresources_n;
    const kube_type_t *type; /* its top-level fields, apiVersion, kind and metadata included */
    const kube_column_t *columns;
    size_t columns_n;
} kube_kind_t;

'''


def generate(kube, out_dir):
    names = sorted(kube.types) + [k['kind'] for k in kube.kinds]
    h = [HEADER, 'enum {\n']
    for i, n in enumerate(names):
        h.append('    KUBE_TYPE_%s = %d,\n' % (c_ident(n), i))
    h.append('    KUBE_TYPES_N = %d\n};\n\n' % len(names))
    h.append('extern const kube_type_t kube_types[KUBE_TYPES_N];\n')
    h.append('extern const kube_kind_t kube_kinds[];\nextern const size_t kube_kinds_n;\n')

    c = ['/* Generated by schemas/kube_gen.py: do not edit. */\n#include "kube_schema.h"\n\n',
         '#include <stddef.h>\n\n']
    types_init = []
    for n in sorted(kube.types):
        t = kube.types[n]
        fname, count = emit_fields(kube, c, 't_' + c_ident(n), 'type ' + n, t['fields'])
        types_init.append('    [KUBE_TYPE_%s] = {%s, %s, %s, %zu},' .replace('%zu', '%d') % (
            c_ident(n), c_str(n), c_str(t['doc']), fname, count))
    for k in kube.kinds:
        fields = dict(k.get('fields') or {})
        fields.setdefault('apiVersion', {'type': 'string', 'doc': 'APIVersion defines the '
                                         'versioned schema of this representation of an object.'})
        fields.setdefault('kind', {'type': 'string', 'doc': 'Kind is a string value representing '
                                   'the REST resource this object represents.'})
        fields.setdefault('metadata', {'type': 'ObjectMeta', 'doc': "Standard object's metadata."})
        ident = 'k_' + c_ident(k['kind'])
        fname, count = emit_fields(kube, c, ident, 'kind ' + k['kind'], fields)
        types_init.append('    [KUBE_TYPE_%s] = {%s, %s, %s, %d},' % (
            c_ident(k['kind']), c_str(k['kind']), c_str(k.get('doc', '')), fname, count))
    c.append('const kube_type_t kube_types[KUBE_TYPES_N] = {\n%s\n};\n\n' % '\n'.join(types_init))

    kinds_init = []
    for k in kube.kinds:
        ident = c_ident(k['kind'])
        for attr in ('shortNames', 'categories', 'verbs', 'fieldSelectors'):
            c.append(strs('s_%s_%s' % (ident, attr), [str(v) for v in k.get(attr) or []]))
        subs = []
        for sname, s in (k.get('subresources') or {}).items():
            s = s or {}
            vname = 's_%s_sub_%s_verbs' % (ident, c_ident(sname))
            c.append(strs(vname, [str(v) for v in s.get('verbs') or []]))
            group = s.get('group', k['group'])
            subs.append('    {%s, %s, %s, %s, %s},' % (
                c_str(sname), c_str(s.get('kind', k['kind'])),
                c_str('' if group in (None, 'core') else group),
                c_str(s.get('version', k['version'])), vname))
        subs_name = 'NULL'
        if subs:
            subs_name = 's_%s_subs' % ident
            c.append('static const kube_subresource_t %s[] = {\n%s\n};\n' % (subs_name,
                                                                        '\n'.join(subs)))
        cols = []
        for col in k.get('columns') or []:
            cols.append('    {%s, %s, %s, %s, %s, %s, %d},' % (
                c_str(col['name']), c_str(col.get('type', 'string')),
                c_str(col.get('format', '')), c_str(col.get('doc', '')), c_str(col.get('path')),
                c_str(col.get('fn')), int(col.get('priority', 0))))
        cols_name = 'NULL'
        if cols:
            cols_name = 's_%s_columns' % ident
            c.append('static const kube_column_t %s[] = {\n%s\n};\n' % (cols_name, '\n'.join(cols)))
        kinds_init.append(
            '    {%s, %s, %s, %s, %s, %s, %s, %s, %s, s_%s_shortNames, s_%s_categories, s_%s_verbs, '
            's_%s_fieldSelectors, %s, %d, &kube_types[KUBE_TYPE_%s], %s, %d},' % (
                c_str(k['kind']), c_str(k['group']), c_str(k['version']),
                c_str(k.get('plural', '')), c_str(k.get('singular', k['kind'].lower())),
                c_str(k.get('doc', '')), 'true' if k.get('scope') == 'Namespaced' else 'false',
                'true' if k.get('subresourceOnly') else 'false',
                'true' if k.get('createOnUpdate') else 'false', ident, ident, ident, ident,
                subs_name, len(subs), ident, cols_name, len(cols)))
    c.append('const kube_kind_t kube_kinds[] = {\n%s\n};\n' % '\n'.join(kinds_init))
    c.append('const size_t kube_kinds_n = sizeof kube_kinds / sizeof kube_kinds[0];\n')

    os.makedirs(out_dir, exist_ok=True)
    for name, text in (('kube_schema.h', ''.join(h)), ('kube_schema.c', ''.join(c))):
        path = os.path.join(out_dir, name)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            with open(path, 'w') as f:
                f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('files', nargs='+')
    args = ap.parse_args()
    kube = Kube()
    try:
        for path in sorted(args.files):
            kube.load(path)
        kube.check()
    except Error as e:
        sys.exit('kube_gen: %s' % e)
    generate(kube, args.out)


if __name__ == '__main__':
    main()
