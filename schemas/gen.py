#!/usr/bin/python3
"""Turns the schema files (schemas/*.yaml) into C tables for the codec walker (bus/bus_codec.c).

Emits, into --out:
  kubus_schema.h       enums, message structs, codec descriptors, the message catalog, roles
  kubus_schema.c       the tables themselves
  kubus_schema_test.c  one round-trip selftest per message

A schema file:

  package: bus
  doc: what the package is for
  enums:
    kind: {doc: ..., values: {ready: 1, request: 2}}
  messages:
    ready:
      type: 1                  # bus message type, permanent; omit for nested-only messages
      doc: ...
      fields:
        1: {name: services, type: "[offer]", items: 64, required: true, doc: ...}
  roles:                       # only in roles.yaml
    admin: {doc: ..., serve: [], call: ["*"], publish: [], subscribe: ["/"], tap: false}

Field types: bool u32 u64 i32 i64 f64 str bytes strmap, an enum name, a message name (either
may be qualified "package.name"), or "[T]" for a list of T. Attributes: max (length for str and
bytes, entries for strmap, largest value for integers), min (integers), items (list length),
required, sensitive, doc.

Tags and type numbers are permanent. schemas/schema.lock records every one ever assigned; the
generator refuses a schema that changes or reuses one. New ones are recorded with --lock.
"""
import argparse
import os
import re
import sys

import yaml

SCALARS = {
    'bool': ('CODEC_BOOL', 'bool'),
    'u32': ('CODEC_U32', 'uint32_t'),
    'u64': ('CODEC_U64', 'uint64_t'),
    'i32': ('CODEC_I32', 'int32_t'),
    'i64': ('CODEC_I64', 'int64_t'),
    'f64': ('CODEC_F64', 'double'),
    'str': ('CODEC_STR', 'char *'),
    'bytes': ('CODEC_BYTES', 'codec_bytes_t'),
    'strmap': ('CODEC_STRMAP', 'codec_list_t'),
}
INT_RANGE = {
    'u32': (0, 2**32 - 1), 'u64': (0, 2**64 - 1),
    'i32': (-2**31, 2**31 - 1), 'i64': (-2**63, 2**63 - 1),
}
DEFAULT_MAX = {'str': 65536, 'bytes': 1 << 20, 'strmap': 256}
DEFAULT_ITEMS = 1024
C_KEYWORDS = set('''auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while bool true false _Bool'''.split())
NAME = re.compile(r'^[a-z][a-z0-9_]*$')
FIELD_KEYS = {'name', 'type', 'max', 'min', 'items', 'required', 'sensitive', 'doc'}


class SchemaError(Exception):
    pass


def c_str(s):
    s = ' '.join(str(s or '').split())
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


class Schema:
    def __init__(self):
        self.enums = {}      # 'pkg.name' -> dict
        self.messages = {}   # 'pkg.name' -> dict
        self.roles = {}      # name -> dict
        self.order = []      # message names in definition order

    def load(self, path):
        with open(path) as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict) or 'package' not in doc:
            raise SchemaError('%s: needs a "package"' % path)
        pkg = doc['package']
        if not NAME.match(pkg):
            raise SchemaError('%s: bad package name %r' % (path, pkg))
        for name, e in (doc.get('enums') or {}).items():
            self._check_name(path, name)
            values = e.get('values') or {}
            if not values:
                raise SchemaError('%s: enum %s has no values' % (path, name))
            for vname, v in values.items():
                self._check_name(path, vname)
                if not isinstance(v, int) or v < 0 or v > 2**32 - 1:
                    raise SchemaError('%s: enum %s.%s: bad value %r' % (path, name, vname, v))
            if len(set(values.values())) != len(values):
                raise SchemaError('%s: enum %s repeats a value' % (path, name))
            self.enums[pkg + '.' + name] = dict(pkg=pkg, name=name, doc=e.get('doc', ''),
                                                values=values)
        for name, m in (doc.get('messages') or {}).items():
            self._check_name(path, name)
            full = pkg + '.' + name
            if full in self.messages:
                raise SchemaError('%s: message %s defined twice' % (path, full))
            self.messages[full] = dict(pkg=pkg, name=name, doc=m.get('doc', ''),
                                       type=m.get('type', 0), fields=m.get('fields') or {},
                                       path=path)
            self.order.append(full)
        for name, r in (doc.get('roles') or {}).items():
            self._check_name(path, name)
            self.roles[name] = r

    @staticmethod
    def _check_name(path, name):
        if not isinstance(name, str) or not NAME.match(name) or name in C_KEYWORDS:
            raise SchemaError('%s: bad name %r (lower_case, not a C keyword)' % (path, name))

    def resolve(self, pkg, tname, table):
        full = tname if '.' in tname else pkg + '.' + tname
        return full if full in table else None

    def check(self):
        types = {}
        for full in self.order:
            m = self.messages[full]
            t = m['type']
            if not isinstance(t, int) or t < 0 or t > 65535:
                raise SchemaError('%s: type must be 0..65535' % full)
            if t:
                if t in types:
                    raise SchemaError('%s: type %d already used by %s' % (full, t, types[t]))
                types[t] = full
            names = set()
            fields = []
            for tag, f in m['fields'].items():
                where = '%s field %s' % (full, tag)
                if not isinstance(tag, int) or tag < 1 or tag > 2**31:
                    raise SchemaError('%s: tags are positive integers' % where)
                if not isinstance(f, dict) or 'name' not in f or 'type' not in f:
                    raise SchemaError('%s: needs name and type' % where)
                unknown = set(f) - FIELD_KEYS
                if unknown:
                    raise SchemaError('%s: unknown attributes %s' % (where, sorted(unknown)))
                self._check_name(m['path'], f['name'])
                if f['name'] in names:
                    raise SchemaError('%s: name %s used twice' % (where, f['name']))
                names.add(f['name'])
                fields.append(self._field(m['pkg'], full, tag, f))
            m['resolved'] = sorted(fields, key=lambda x: x['tag'])
        # Messages may nest, but not contain themselves by value-chains deeper than the codec
        # allows; recursion through a pointer is legal and bounded at run time.

    def _field(self, pkg, full, tag, f):
        t = str(f['type'])
        is_list = t.startswith('[') and t.endswith(']')
        base = t[1:-1] if is_list else t
        out = dict(tag=tag, name=f['name'], type=t, list=is_list, base=base,
                   required=bool(f.get('required')), sensitive=bool(f.get('sensitive')),
                   doc=f.get('doc', ''), msg=None, enum=None)
        if base in SCALARS:
            out['kind'] = SCALARS[base][0]
        elif self.resolve(pkg, base, self.enums):
            out['kind'] = 'CODEC_ENUM'
            out['enum'] = self.resolve(pkg, base, self.enums)
        elif self.resolve(pkg, base, self.messages):
            out['kind'] = 'CODEC_MSG'
            out['msg'] = self.resolve(pkg, base, self.messages)
        else:
            raise SchemaError('%s field %s: unknown type %r' % (full, tag, t))
        if is_list and base == 'strmap':
            raise SchemaError('%s field %s: a list of strmap is not supported' % (full, tag))
        lo, hi = INT_RANGE.get(base, (0, 0))
        if base == 'f64' or base == 'bool' or out['kind'] in ('CODEC_MSG', 'CODEC_ENUM'):
            lo, hi = 0, 0
        mx = f.get('max', DEFAULT_MAX.get(base, hi))
        mn = f.get('min', lo)
        if base in INT_RANGE:
            if not (lo <= mn <= mx <= hi):
                raise SchemaError('%s field %s: need %d <= min <= max <= %d' % (full, tag, lo, hi))
        elif 'min' in f:
            raise SchemaError('%s field %s: min applies to integers only' % (full, tag))
        out['max'] = mx
        out['min'] = mn
        out['items'] = f.get('items', DEFAULT_ITEMS if is_list else 0)
        if 'items' in f and not is_list:
            raise SchemaError('%s field %s: items applies to lists only' % (full, tag))
        return out


def cname(full):
    return full.replace('.', '_')


def c_member(schema, f):
    if f['list'] or f['base'] == 'strmap':
        return 'codec_list_t %s;' % f['name']
    if f['kind'] == 'CODEC_MSG':
        return 'struct %s_t *%s;' % (cname(f['msg']), f['name'])
    if f['kind'] == 'CODEC_ENUM':
        return 'uint32_t %s;' % f['name']
    ctype = SCALARS[f['base']][1]
    sep = '' if ctype.endswith('*') else ' '
    return '%s%s%s;' % (ctype, sep, f['name'])


def list_comment(schema, f):
    if f['base'] == 'strmap':
        return ' /* codec_kv_t[] */'
    if not f['list']:
        return ''
    if f['kind'] == 'CODEC_MSG':
        return ' /* %s_t[] */' % cname(f['msg'])
    if f['kind'] == 'CODEC_ENUM':
        return ' /* uint32_t[] */'
    return ' /* %s[] */' % SCALARS[f['base']][1].strip()


def emit_header(schema):
    out = ['/* Generated by schemas/gen.py from the files in schemas/. Do not edit. */',
           '#pragma once', '', '#include "bus_codec.h"', '']
    for full, e in schema.enums.items():
        prefix = cname(full).upper()
        out.append('/* %s: %s */' % (full, ' '.join(str(e['doc']).split())))
        out.append('enum {')
        for vname, v in e['values'].items():
            out.append('    %s_%s = %d,' % (prefix, vname.upper(), v))
        out.append('};')
        out.append('extern const codec_enum_t %s_enum;' % cname(full))
        out.append('')
    out.append('/* Bus message types (permanent). */')
    out.append('enum {')
    for full in schema.order:
        m = schema.messages[full]
        if m['type']:
            out.append('    MSG_%s = %d,' % (cname(full).upper(), m['type']))
    out.append('};')
    out.append('')
    for full in schema.order:
        out.append('typedef struct %s_t %s_t;' % (cname(full), cname(full)))
    out.append('')
    for full in schema.order:
        m = schema.messages[full]
        out.append('/* %s: %s */' % (full, ' '.join(str(m['doc']).split())))
        out.append('struct %s_t {' % cname(full))
        if not m['resolved']:
            out.append('    char unused_; /* a message with no fields */')
        for f in m['resolved']:
            out.append('    %s%s' % (c_member(schema, f), list_comment(schema, f)))
        out.append('};')
        out.append('extern const codec_msg_t %s_desc;' % cname(full))
        out.append('')
    out.append('''/* Every described message, in definition order. */
extern const codec_msg_t *const kubus_messages[];
extern const size_t kubus_messages_n;
/* The description of a bus message type, or NULL when the type is unknown. */
const codec_msg_t *kubus_message_by_type(uint32_t type);
/* The description named "package.message", or NULL. */
const codec_msg_t *kubus_message_by_name(const char *name);

/* Roles (schemas/roles.yaml): what a certificate of each role may do on the bus. Patterns are
 * exact names, "prefix*" or "*". */
typedef struct {
    const char *name;
    const char *doc;
    const char *const *serve;     /* services it may serve */
    const char *const *call;      /* services it may call */
    const char *const *publish;   /* event topic prefixes it may publish */
    const char *const *subscribe; /* event topic prefixes it may subscribe to */
    bool tap;                     /* may read the tap */
} kubus_role_t;
extern const kubus_role_t kubus_roles[];
extern const size_t kubus_roles_n;

/* The generated round-trip selftests, one per message. */
typedef struct {
    const char *name;
    void (*fn)(void);
} kubus_schema_test_t;
extern const kubus_schema_test_t kubus_schema_tests[];
extern const size_t kubus_schema_tests_n;
''')
    return '\n'.join(out)


def c_uint(v):
    return '%dull' % v


def c_int(v):
    if v == -2**63:
        return '(-9223372036854775807ll - 1)'
    return '%dll' % v


def emit_source(schema):
    out = ['/* Generated by schemas/gen.py from the files in schemas/. Do not edit. */',
           '#include "kubus_schema.h"', '', '#include <stddef.h>', '#include <string.h>', '']
    for full, e in schema.enums.items():
        n = cname(full)
        out.append('static const codec_enum_value_t %s_values[] = {' % n)
        for vname, v in sorted(e['values'].items(), key=lambda kv: kv[1]):
            out.append('    {"%s", %d},' % (vname, v))
        out.append('};')
        out.append('const codec_enum_t %s_enum = {"%s", %s_values, %d};' %
                   (n, full, n, len(e['values'])))
        out.append('')
    for full in schema.order:
        m = schema.messages[full]
        n = cname(full)
        if m['resolved']:
            out.append('static const codec_field_t %s_fields[] = {' % n)
            for f in m['resolved']:
                flags = []
                if f['required']:
                    flags.append('CODEC_REQUIRED')
                if f['list']:
                    flags.append('CODEC_LIST')
                if f['sensitive']:
                    flags.append('CODEC_SENSITIVE')
                out.append('    {.tag = %d, .name = "%s", .kind = %s, .flags = %s,' %
                           (f['tag'], f['name'], f['kind'], ' | '.join(flags) or '0'))
                out.append('     .offset = offsetof(%s_t, %s), .max = %s, .min = %s, '
                           '.items_max = %d,' % (n, f['name'], c_uint(f['max']), c_int(f['min']),
                                                 f['items']))
                out.append('     .msg = %s, .en = %s,' % (
                    '&%s_desc' % cname(f['msg']) if f['msg'] else 'NULL',
                    '&%s_enum' % cname(f['enum']) if f['enum'] else 'NULL'))
                out.append('     .doc = %s},' % c_str(f['doc']))
            out.append('};')
        out.append('const codec_msg_t %s_desc = {"%s", %d, sizeof(%s_t), %s, %d, %s};' %
                   (n, full, m['type'], n, '%s_fields' % n if m['resolved'] else 'NULL',
                    len(m['resolved']), c_str(m['doc'])))
        out.append('')
    out.append('const codec_msg_t *const kubus_messages[] = {')
    for full in schema.order:
        out.append('    &%s_desc,' % cname(full))
    out.append('};')
    out.append('const size_t kubus_messages_n = %d;' % len(schema.order))
    out.append('')
    typed = sorted((schema.messages[f]['type'], f) for f in schema.order if schema.messages[f]['type'])
    out.append('static const codec_msg_t *const s_by_type[] = {')
    for _, full in typed:
        out.append('    &%s_desc,' % cname(full))
    out.append('};')
    out.append('''
const codec_msg_t *kubus_message_by_type(uint32_t type)
{
    size_t lo = 0, hi = sizeof s_by_type / sizeof s_by_type[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s_by_type[mid]->type == type) return s_by_type[mid];
        if (s_by_type[mid]->type < type)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const codec_msg_t *kubus_message_by_name(const char *name)
{
    for (size_t i = 0; i < kubus_messages_n; i++)
        if (strcmp(kubus_messages[i]->name, name) == 0) return kubus_messages[i];
    return NULL;
}
''')
    for rname, r in schema.roles.items():
        for key in ('serve', 'call', 'publish', 'subscribe'):
            items = r.get(key) or []
            out.append('static const char *const s_%s_%s[] = {%s};' % (
                rname, key, ', '.join(c_str(x) for x in items) + (', ' if items else '') + 'NULL'))
    out.append('const kubus_role_t kubus_roles[] = {')
    for rname, r in schema.roles.items():
        out.append('    {"%s", %s, s_%s_serve, s_%s_call, s_%s_publish, s_%s_subscribe, %s},' % (
            rname, c_str(r.get('doc', '')), rname, rname, rname, rname,
            'true' if r.get('tap') else 'false'))
    out.append('};')
    out.append('const size_t kubus_roles_n = %d;' % len(schema.roles))
    out.append('')
    return '\n'.join(out)


def emit_tests(schema):
    out = ['/* Generated by schemas/gen.py from the files in schemas/. Do not edit. */',
           '#include "kubus_schema.h"', '']
    for full in schema.order:
        out.append('static void s_test_%s(void)' % cname(full))
        out.append('{')
        out.append('    codec_selftest_message(&%s_desc);' % cname(full))
        out.append('}')
        out.append('')
    out.append('const kubus_schema_test_t kubus_schema_tests[] = {')
    for full in schema.order:
        out.append('    {"schema.%s", s_test_%s},' % (full, cname(full)))
    out.append('};')
    out.append('const size_t kubus_schema_tests_n = %d;' % len(schema.order))
    out.append('')
    return '\n'.join(out)


def check_roles(schema):
    keys = {'doc', 'serve', 'call', 'publish', 'subscribe', 'tap'}
    for rname, r in schema.roles.items():
        if not isinstance(r, dict):
            raise SchemaError('role %s: needs a mapping' % rname)
        unknown = set(r) - keys
        if unknown:
            raise SchemaError('role %s: unknown keys %s' % (rname, sorted(unknown)))
        for key in ('serve', 'call', 'publish', 'subscribe'):
            for p in r.get(key) or []:
                if not isinstance(p, str) or not p or '*' in p[:-1]:
                    raise SchemaError('role %s: bad pattern %r in %s' % (rname, p, key))


# --- the lock: permanent tags and type numbers --------------------------------------------------

def lock_lines(schema):
    lines = set()
    for full in schema.order:
        m = schema.messages[full]
        if m['type']:
            lines.add('type %s %d' % (full, m['type']))
        for f in m['resolved']:
            base = f['msg'] or f['enum'] or f['base']
            lines.add('field %s %d %s %s' % (full, f['tag'], f['name'],
                                             '[%s]' % base if f['list'] else base))
    for full, e in schema.enums.items():
        for vname, v in e['values'].items():
            lines.add('enum %s %d %s' % (full, v, vname))
    return lines


def lock_order(line):
    parts = line.split()
    return [int(p) if p.isdigit() else p for p in parts]


def check_lock(schema, lock_path, update):
    existing = set()
    if os.path.exists(lock_path):
        with open(lock_path) as f:
            existing = {ln.strip() for ln in f if ln.strip() and not ln.startswith('#')}

    def key(line):
        parts = line.split()
        if parts[0] == 'type':
            return ('type', parts[1])
        if parts[0] == 'field':
            return ('field', parts[1], parts[2])
        return ('enum', parts[1], parts[2])

    by_key = {key(ln): ln for ln in existing}
    # Type numbers may not be reused by another message either.
    numbers = {(ln.split()[2]): ln.split()[1] for ln in existing if ln.startswith('type ')}
    problems, new = [], []
    for line in sorted(lock_lines(schema)):
        k = key(line)
        if k in by_key:
            if by_key[k] != line:
                problems.append('changes a permanent entry: was "%s", now "%s"' % (by_key[k], line))
        else:
            if k[0] == 'type':
                num = line.split()[2]
                if num in numbers and numbers[num] != k[1]:
                    problems.append('type %s was %s\'s: "%s"' % (num, numbers[num], line))
                    continue
            new.append(line)
    if problems:
        raise SchemaError('schema.lock: ' + '; '.join(problems) +
                          ' (tags, type numbers and enum values are permanent; use a new one)')
    if new and not update:
        raise SchemaError('schema.lock: not recorded yet:\n  ' + '\n  '.join(new) +
                          '\nrecord them with: /usr/bin/python3 schemas/gen.py --lock schemas/*.yaml')
    if new and update:
        with open(lock_path, 'w') as f:
            f.write('# Every tag, type number and enum value ever assigned (schemas/gen.py --lock).\n'
                    '# Entries are permanent: never edit or remove one.\n')
            for line in sorted(existing | set(new), key=lock_order):
                f.write(line + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', help='directory for the generated files')
    ap.add_argument('--lock', action='store_true', help='record new tags in schemas/schema.lock')
    ap.add_argument('schemas', nargs='+')
    args = ap.parse_args()
    schema = Schema()
    try:
        for path in args.schemas:
            schema.load(path)
        schema.check()
        check_roles(schema)
        lock = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'schema.lock')
        check_lock(schema, lock, args.lock)
    except (SchemaError, yaml.YAMLError) as e:
        sys.stderr.write('schemas: %s\n' % e)
        return 1
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for name, text in (('kubus_schema.h', emit_header(schema)),
                           ('kubus_schema.c', emit_source(schema)),
                           ('kubus_schema_test.c', emit_tests(schema))):
            with open(os.path.join(args.out, name), 'w') as f:
                f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
