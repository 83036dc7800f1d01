import { createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { BadInput } from '../../src/core/errors';
import {
  AesGcmCodec,
  encryptedDataConverter,
  loadKeySet,
  parseKeySet,
  PayloadDecryptionFailed,
} from '../../src/platform/temporal/codec';
import { tempDir } from '../helpers';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const SECRETS = [
  K1,
  K2,
  Buffer.from(K1, 'base64').toString('hex'),
  Buffer.from(K2, 'base64').toString('hex'),
];

const keysJson = (...entries: [string, string][]): string =>
  JSON.stringify({ keys: entries.map(([id, key]) => ({ id, key })) });
const codecOf = (...entries: [string, string][]): AesGcmCodec =>
  new AesGcmCodec(parseKeySet(keysJson(...entries), 'test keys'));

const utf8 = (u?: Uint8Array | null): string => Buffer.from(u ?? []).toString('utf8');
/** Comparable form: Buffers and Uint8Arrays of the same bytes are equal. */
const plainForm = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, utf8(v)])),
  data: Buffer.from(p.data ?? []).toString('hex'),
});

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

function expectNoKeyMaterial(message: string): void {
  for (const s of SECRETS) {
    expect(message).not.toContain(s);
    expect(message).not.toContain(s.slice(0, 12));
  }
}

describe('AesGcmCodec', () => {
  const codec = codecOf(['k1', K1]);

  it.each([
    ['a string', 'hello'],
    ['an object', { host: 'alpha', ok: true, n: 3 }],
    ['an empty string', ''],
    ['undefined (binary/null, no data)', undefined],
    ['bytes (binary/plain)', new Uint8Array([0, 1, 2, 255])],
    ['no bytes', new Uint8Array()],
    ['1 MiB', 'x'.repeat(1 << 20)],
  ])('round trip: %s', async (_, value) => {
    const payload = defaultPayloadConverter.toPayload(value);
    const [encoded] = await codec.encode([payload]);
    const [decoded] = await codec.decode([encoded!]);
    expect(plainForm(decoded!)).toEqual(plainForm(payload));
    expect(decoded!.data).toBeInstanceOf(Uint8Array);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(value);
  });

  it('hides data and metadata; only the encoding and the key ID show', async () => {
    const payload = defaultPayloadConverter.toPayload({ secret: 'MARKER-42' });
    const [a] = await codec.encode([payload]);
    const [b] = await codec.encode([payload]);
    expect(plainForm(a!).metadata).toEqual({ encoding: 'binary/encrypted', 'encryption-key-id': 'k1' });
    expect(Buffer.from(a!.data!).includes('MARKER-42')).toBe(false);
    expect(Buffer.from(a!.data!).includes('json/plain')).toBe(false);
    // A fresh IV every time: equal inputs do not give equal outputs.
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('writes the samples wire format: IV(12) || ciphertext || tag(16) of the binary Payload', async () => {
    const payload = defaultPayloadConverter.toPayload({ n: 1 });
    const [encoded] = await codec.encode([payload]);
    const data = Buffer.from(encoded!.data!);
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    expect(data.length).toBe(12 + plain.length + 16);
    const d = createDecipheriv('aes-256-gcm', Buffer.from(K1, 'base64'), data.subarray(0, 12));
    d.setAuthTag(data.subarray(data.length - 16));
    const out = Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
    expect(plainForm(temporal.api.common.v1.Payload.decode(out))).toEqual(plainForm(payload));
  });

  it('encodes and decodes many payloads in order, and none', async () => {
    const payloads = ['a', 'b', 'c'].map((v) => defaultPayloadConverter.toPayload(v));
    const decoded = await codec.decode(await codec.encode(payloads));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['a', 'b', 'c']);
    expect(await codec.encode([])).toEqual([]);
  });

  it.each([
    ['json/plain', defaultPayloadConverter.toPayload({ a: 1 })],
    ['binary/null', defaultPayloadConverter.toPayload(undefined)],
    ['no metadata', { data: Buffer.from('raw') }],
    ['another encoding', { metadata: { encoding: Buffer.from('binary/zstd') }, data: Buffer.from('z') }],
  ])('passes a payload that is not encrypted through untouched: %s', async (_, payload: Payload) => {
    const [out] = await codec.decode([payload]);
    expect(out).toBe(payload);
  });
});

describe('key rotation', () => {
  it('decodes what older keys wrote, encrypts with the first key', async () => {
    const before = codecOf(['k1', K1]);
    const after = codecOf(['k2', K2], ['k1', K1]);
    const old = await before.encode([defaultPayloadConverter.toPayload('written with k1')]);
    expect(defaultPayloadConverter.fromPayload((await after.decode(old))[0]!)).toBe('written with k1');
    const fresh = await after.encode([defaultPayloadConverter.toPayload('written with k2')]);
    expect(utf8(fresh[0]!.metadata!['encryption-key-id'])).toBe('k2');
    expect(after.currentKeyId).toBe('k2');
    // A codec that was never given k2 says so.
    const err = await rejectionOf(before.decode(fresh));
    expect(err).toBeInstanceOf(PayloadDecryptionFailed);
    expect(err.message).toBe(
      'encrypted payload uses key "k2", which is not in the test keys (it has k1); add that key back to read it',
    );
  });
});

describe('payloads that do not decrypt', () => {
  const codec = codecOf(['k1', K1], ['k0', K2]);

  async function encrypted(): Promise<Payload> {
    return (await codec.encode([defaultPayloadConverter.toPayload('tamper with me')]))[0]!;
  }
  function flip(p: Payload, index: (n: number) => number): Payload {
    const data = Buffer.from(p.data!);
    const i = index(data.length);
    data[i] = data[i]! ^ 0x01;
    return { ...p, data };
  }
  const authFailed =
    'encrypted payload failed authentication with key "k1": it was altered, or encrypted with another key of that ID';

  it.each([
    ['a flipped IV byte', (p: Payload) => flip(p, () => 0), authFailed],
    ['a flipped ciphertext byte', (p: Payload) => flip(p, () => 12), authFailed],
    ['a flipped tag byte', (p: Payload) => flip(p, (n) => n - 1), authFailed],
    ['a cut tag', (p: Payload) => ({ ...p, data: p.data!.subarray(0, p.data!.length - 1) }), authFailed],
    [
      'data too short for an IV and a tag',
      (p: Payload) => ({ ...p, data: p.data!.subarray(0, 20) }),
      'encrypted payload (key "k1") is 20 bytes, too short for an IV and a tag',
    ],
    [
      'another key ID of the set',
      (p: Payload) => ({ ...p, metadata: { ...p.metadata, 'encryption-key-id': Buffer.from('k0') } }),
      'encrypted payload failed authentication with key "k0": it was altered, or encrypted with another key of that ID',
    ],
    [
      'an unknown key ID',
      (p: Payload) => ({ ...p, metadata: { ...p.metadata, 'encryption-key-id': Buffer.from('k9') } }),
      'encrypted payload uses key "k9", which is not in the test keys (it has k1, k0); add that key back to read it',
    ],
    [
      'no key ID',
      (p: Payload) => ({ ...p, metadata: { encoding: p.metadata!.encoding! } }),
      'encrypted payload has no "encryption-key-id" metadata',
    ],
  ])('%s', async (_, change, message) => {
    const err = await rejectionOf(codec.decode([change(await encrypted())]));
    expect(err).toBeInstanceOf(PayloadDecryptionFailed);
    expect(err.message).toBe(message);
    expectNoKeyMaterial(err.message);
  });
});

describe('key sets', () => {
  it('parses keys newest first and never shows their bytes', () => {
    const set = parseKeySet(keysJson(['k2', K2], ['k1', K1]), 'test keys');
    expect(set.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(set.keys[0]!.key.symmetricKeySize).toBe(32);
    expectNoKeyMaterial(inspect(set, { depth: 10 }));
    expectNoKeyMaterial(JSON.stringify(set));
  });

  it('accepts URL-safe base64 and a key without padding', () => {
    const raw = randomBytes(32);
    const urlSafe = raw.toString('base64url');
    expect(
      parseKeySet(keysJson(['k1', urlSafe]), 'x')
        .keys[0]!.key.export()
        .equals(raw),
    ).toBe(true);
  });

  const src = 'key file /etc/ha/keys.json';
  it.each([
    [
      'not JSON',
      `{"keys":[{"id":"k1","key":"${K1}"}`,
      'not valid JSON; expected {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first',
    ],
    [
      'an array',
      `[{"id":"k1","key":"${K1}"}]`,
      'expected {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first',
    ],
    [
      'no "keys"',
      `{"key":[{"id":"k1","key":"${K1}"}]}`,
      'expected {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first',
    ],
    [
      'no keys',
      '{"keys":[]}',
      '"keys" is empty; expected {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first',
    ],
    [
      'an unknown top-level field',
      `{"keys":[{"id":"k1","key":"${K1}"}],"current":"k1"}`,
      'unknown field "current" (known: keys)',
    ],
    ['a key that is a string', `{"keys":["${K1}"]}`, 'keys[0]: expected {"id":"...","key":"..."}'],
    [
      'a misspelt field',
      `{"keys":[{"id":"k1","kye":"${K1}"}]}`,
      'keys[0]: unknown field "kye" (known: id, key)',
    ],
    [
      'a key as a field name',
      `{"keys":[{"id":"k1","${K1}":1}]}`,
      'keys[0]: unknown field with an odd name (known: id, key)',
    ],
    ['no id', `{"keys":[{"key":"${K1}"}]}`, 'keys[0].id: missing; expected a string like "k1"'],
    [
      'an id with a space',
      `{"keys":[{"id":"k 1","key":"${K1}"}]}`,
      'keys[0].id: not a key ID (1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit)',
    ],
    [
      'a number as id',
      `{"keys":[{"id":7,"key":"${K1}"}]}`,
      'keys[0].id: not a key ID (1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit)',
    ],
    [
      'id and key swapped',
      `{"keys":[{"id":"${K1}","key":"k1"}]}`,
      'keys[0].id: not a key ID (1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit)',
    ],
    [
      'a key-like id',
      `{"keys":[{"id":"A${randomBytes(32).toString('base64url').slice(1)}","key":"k1"}]}`,
      'keys[0].id: looks like a key; are "id" and "key" swapped?',
    ],
    [
      'a duplicate id',
      keysJson(['k1', K1], ['k2', K2], ['k1', K2]),
      'keys[2].id: "k1" is used twice (also keys[0])',
    ],
    ['no key', '{"keys":[{"id":"k1"}]}', 'keys[0].key (id "k1"): missing; expected base64 of 32 bytes'],
    [
      'a number as key',
      '{"keys":[{"id":"k1","key":42}]}',
      'keys[0].key (id "k1"): not a string; expected base64 of 32 bytes',
    ],
    [
      'bad base64',
      keysJson(['k1', `${K1.slice(0, 40)}!${K1.slice(41)}`]),
      'keys[0].key (id "k1"): not base64',
    ],
    ['mixed base64 alphabets', keysJson(['k1', `+_${K1.slice(2)}`]), 'keys[0].key (id "k1"): not base64'],
    [
      'a 16-byte key',
      keysJson(['k1', randomBytes(16).toString('base64')]),
      'keys[0].key (id "k1"): 16 bytes; AES-256 needs 32',
    ],
    [
      'a 33-byte key',
      keysJson(['k1', randomBytes(33).toString('base64')]),
      'keys[0].key (id "k1"): 33 bytes; AES-256 needs 32',
    ],
    [
      'a 48-byte key',
      keysJson(['k1', randomBytes(48).toString('base64')]),
      'keys[0].key (id "k1"): 48 bytes; AES-256 needs 32',
    ],
  ])('refuses %s, saying where and what', (_, text, message) => {
    const err = errorOf(() => parseKeySet(text, src));
    expect(err).toBeInstanceOf(BadInput);
    expect(err.message).toBe(`${src}: ${message}`);
    expectNoKeyMaterial(err.message);
  });
});

describe('loading keys', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('codec')));
  afterEach(() => tmp.cleanup());

  function keyFile(mode: number, text = keysJson(['k2', K2], ['k1', K1])): string {
    const file = path.join(tmp.dir, 'keys.json');
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  }

  it.each([
    ['0600', 0o600],
    ['0400', 0o400],
    ['0640', 0o640],
  ])('reads a key file of mode %s', (_, mode) => {
    const set = loadKeySet({ file: keyFile(mode) });
    expect(set.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(set.source).toBe(`key file ${path.join(tmp.dir, 'keys.json')}`);
  });

  it('reads an environment variable', () => {
    const set = loadKeySet({ env: 'HA_KEYS' }, { HA_KEYS: keysJson(['k1', K1]) });
    expect(set.keys.map((k) => k.id)).toEqual(['k1']);
    expect(set.source).toBe('environment variable HA_KEYS');
  });

  it('names the environment variable in parse errors', () => {
    const err = errorOf(() => loadKeySet({ env: 'HA_KEYS' }, { HA_KEYS: '{"keys":[]}' }));
    expect(err.message).toMatch(/^environment variable HA_KEYS: "keys" is empty; /);
  });

  const file = (): string => path.join(tmp.dir, 'keys.json');
  it.each([
    [
      'a file others can read',
      () => loadKeySet({ file: keyFile(0o644) }),
      () =>
        `key file ${file()} is open to others (mode 0644); run \`chmod 600 ${file()}\` (or 640 to share it with a group)`,
    ],
    [
      'a file its group can write',
      () => loadKeySet({ file: keyFile(0o660) }),
      () =>
        `key file ${file()} is open to others (mode 0660); run \`chmod 600 ${file()}\` (or 640 to share it with a group)`,
    ],
    ['a missing file', () => loadKeySet({ file: file() }), () => `key file ${file()} does not exist`],
    [
      'a directory',
      () => {
        mkdirSync(file(), { mode: 0o700 });
        return loadKeySet({ file: file() });
      },
      () => `key file ${file()} is a directory`,
    ],
    [
      'an unset variable',
      () => loadKeySet({ env: 'HA_NO_KEYS' }, {}),
      () =>
        'environment variable HA_NO_KEYS is not set; it should hold {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first',
    ],
    [
      'an empty variable',
      () => loadKeySet({ env: 'HA_NO_KEYS' }, { HA_NO_KEYS: ' ' }),
      () =>
        'environment variable HA_NO_KEYS is not set; it should hold {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first',
    ],
    [
      'both sources',
      () => loadKeySet({ file: file(), env: 'HA_KEYS' }, {}),
      () => 'encryption keys: give a key file or an environment variable, not both',
    ],
    [
      'no source',
      () => loadKeySet({}, {}),
      () => 'encryption keys: give a key file or the name of an environment variable',
    ],
  ])('refuses %s', (_, load, message) => {
    const err = errorOf(load);
    expect(err).toBeInstanceOf(BadInput);
    expect(err.message).toBe(message());
  });
});

it('builds the dataConverter option of Client and Worker', () => {
  const codec = codecOf(['k1', K1]);
  expect(encryptedDataConverter(codec)).toEqual({ payloadCodecs: [codec] });
});
