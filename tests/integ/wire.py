"""The bus wire format written again in Python, independently of the C code: a tiny msgpack
encoder/decoder, kubus frames (0xB5 0x01, envelope map of tags, body) and czmq certificate files.
Tests use it to talk to brokers as a client that is not built on the project's own library
(Debian's python3-zmq)."""
import re
import struct

MAGIC = b'\xb5\x01'
# bus.envelope tags (schemas/bus.yaml)
KIND, TYPE, RID, SERVICE, INSTANCE, CALLER, TIMEOUT_MS, STATUS, ERROR = 1, 2, 3, 4, 5, 6, 7, 8, 9
SEQ, EPOCH, FLAGS, ATTEMPT, SERVED_BY, CALLER_RID = 10, 11, 12, 13, 14, 15
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT, RESET, EVENT = 1, 2, 3, 4, 5, 6, 7
ECHO_REQUEST, ECHO_REPLY, ECHO_STATS_REQUEST, ECHO_STATS_REPLY = 100, 101, 102, 103


def pack(obj):
    if obj is None:
        return b'\xc0'
    if obj is True:
        return b'\xc3'
    if obj is False:
        return b'\xc2'
    if isinstance(obj, int):
        if 0 <= obj < 128:
            return bytes([obj])
        if 0 <= obj < 2**32:
            return b'\xce' + struct.pack('>I', obj)
        if 0 <= obj < 2**64:
            return b'\xcf' + struct.pack('>Q', obj)
        if -32 <= obj < 0:
            return struct.pack('b', obj)
        return b'\xd3' + struct.pack('>q', obj)
    if isinstance(obj, str):
        b = obj.encode()
        return (bytes([0xa0 | len(b)]) if len(b) < 32 else b'\xdb' + struct.pack('>I', len(b))) + b
    if isinstance(obj, (bytes, bytearray)):
        return b'\xc6' + struct.pack('>I', len(obj)) + bytes(obj)
    if isinstance(obj, dict):
        out = b'\xdf' + struct.pack('>I', len(obj))
        for k, v in obj.items():
            out += pack(k) + pack(v)
        return out
    if isinstance(obj, (list, tuple)):
        return b'\xdd' + struct.pack('>I', len(obj)) + b''.join(pack(x) for x in obj)
    raise TypeError(type(obj))


def unpack(data, pos=0):
    """Decodes one value at pos; returns (value, next position)."""
    b = data[pos]
    pos += 1
    if b <= 0x7f:
        return b, pos
    if b >= 0xe0:
        return b - 256, pos
    if 0x80 <= b <= 0x8f:
        return _map(data, pos, b & 0x0f)
    if 0x90 <= b <= 0x9f:
        return _array(data, pos, b & 0x0f)
    if 0xa0 <= b <= 0xbf:
        n = b & 0x1f
        return data[pos:pos + n].decode(), pos + n
    fixed = {0xcc: '>B', 0xcd: '>H', 0xce: '>I', 0xcf: '>Q', 0xd0: '>b', 0xd1: '>h', 0xd2: '>i',
             0xd3: '>q', 0xca: '>f', 0xcb: '>d'}
    if b in fixed:
        size = struct.calcsize(fixed[b])
        return struct.unpack(fixed[b], data[pos:pos + size])[0], pos + size
    if b == 0xc0:
        return None, pos
    if b in (0xc2, 0xc3):
        return b == 0xc3, pos
    lens = {0xc4: '>B', 0xc5: '>H', 0xc6: '>I', 0xd9: '>B', 0xda: '>H', 0xdb: '>I'}
    if b in lens:
        size = struct.calcsize(lens[b])
        n = struct.unpack(lens[b], data[pos:pos + size])[0]
        pos += size
        raw = data[pos:pos + n]
        return (raw.decode() if b >= 0xd9 else bytes(raw)), pos + n
    if b in (0xdc, 0xdd):
        size = 2 if b == 0xdc else 4
        return _array(data, pos + size, struct.unpack('>H' if size == 2 else '>I', data[pos:pos + size])[0])
    if b in (0xde, 0xdf):
        size = 2 if b == 0xde else 4
        return _map(data, pos + size, struct.unpack('>H' if size == 2 else '>I', data[pos:pos + size])[0])
    raise ValueError('msgpack byte 0x%02x not handled here' % b)


def _map(data, pos, n):
    out = {}
    for _ in range(n):
        k, pos = unpack(data, pos)
        v, pos = unpack(data, pos)
        out[k] = v
    return out, pos


def _array(data, pos, n):
    out = []
    for _ in range(n):
        v, pos = unpack(data, pos)
        out.append(v)
    return out, pos


def frame(envelope, body=None, topic=None):
    out = (topic.encode() + b'\x00') if topic is not None else b''
    return out + MAGIC + pack(envelope) + (pack(body) if body is not None else b'')


def parse(data, topic=False):
    """(topic, envelope dict, body dict or None)."""
    t = None
    if topic:
        i = data.index(b'\x00')
        t, data = data[:i].decode(), data[i + 1:]
    assert data[:2] == MAGIC, 'not a kubus frame: %r' % data[:8]
    env, pos = unpack(data, 2)
    body = unpack(data, pos)[0] if pos < len(data) else None
    return t, env, body


def read_cert(path):
    """A czmq certificate file: {'public': z85, 'secret': z85 or None, 'name':..., 'role':...}."""
    text = open(path).read()

    def field(name):
        m = re.search(r'^\s*%s\s*=\s*"([^"]*)"' % re.escape(name), text, re.M)
        return m.group(1) if m else None
    return {'public': field('public-key'), 'secret': field('secret-key'), 'name': field('name'),
            'role': field('role')}
