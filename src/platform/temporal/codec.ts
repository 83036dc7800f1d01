// Payload encryption: a PayloadCodec with AES-256-GCM, for clients and workers (never workflow
// code: codecs run outside the sandbox). The wire format is the Temporal samples' (Go, Python):
// metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`, data = 12-byte IV ||
// ciphertext || 16-byte tag, the plaintext being the whole Payload in protobuf binary (not
// length-delimited), so its metadata is hidden too and a codec server of another SDK with the
// same key reads it.
//
// Key file (or the value of an environment variable), newest key FIRST:
//   {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"},{"id":"k1","key":"<base64 of 32 bytes>"}]}
// The first key encrypts everything new; every listed key decrypts. To rotate, put a new key in
// front and keep the old ones for as long as histories encrypted with them are read.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { BadInput, OperationFailed } from '../../core/errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Printable in messages and metadata, and short. */
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;
const FORMAT = '{"keys":[{"id":"k2","key":"<base64 of 32 bytes>"}, ...]}, newest key first';
const EXPECTED = `expected ${FORMAT}`;

/** A key is a KeyObject, so that logging a key set never prints its bytes. */
export interface CodecKey {
  id: string;
  key: KeyObject;
}

export interface KeySet {
  /** Newest first: `keys[0]` encrypts, all of them decrypt. Never empty. */
  keys: readonly CodecKey[];
  /** Where the keys came from, for messages: `key file /etc/ha/keys.json`. */
  source: string;
}

/** True for the strict base64 that proto3 JSON allows (standard or URL-safe, padding optional). */
export function isBase64(text: string): boolean {
  return BASE64.test(text) && text.replace(/=+$/, '').length % 4 !== 1;
}

/** Parses and checks a key set; every error says where and what, never the key itself. */
export function parseKeySet(text: string, source: string): KeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text around the mistake: it could quote a key.
    throw new BadInput(`${source}: not valid JSON; ${EXPECTED}`);
  }
  if (!isObject(doc) || !Array.isArray(doc.keys)) throw new BadInput(`${source}: ${EXPECTED}`);
  unknownFields(doc, ['keys'], source, '');
  if (doc.keys.length === 0) throw new BadInput(`${source}: "keys" is empty; ${EXPECTED}`);
  const seen = new Map<string, number>();
  const keys = doc.keys.map((entry: unknown, i): CodecKey => {
    const at = `keys[${i}]`;
    if (!isObject(entry)) throw new BadInput(`${source}: ${at}: expected {"id":"...","key":"..."}`);
    unknownFields(entry, ['id', 'key'], source, at);
    const id = keyId(entry.id, source, at);
    const first = seen.get(id);
    if (first !== undefined)
      throw new BadInput(`${source}: ${at}.id: "${id}" is used twice (also keys[${first}])`);
    seen.set(id, i);
    return { id, key: keyBytes(entry.key, source, `${at}.key (id "${id}")`) };
  });
  return { keys, source };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Unknown fields are refused: a misspelt "keys" or "id" must not go unnoticed. */
function unknownFields(o: Record<string, unknown>, known: string[], source: string, at: string): void {
  const extra = Object.keys(o).find((k) => !known.includes(k));
  if (extra === undefined) return;
  // A field name is echoed only when it cannot be a pasted key.
  const name = /^[A-Za-z_]{1,20}$/.test(extra) ? `"${extra}"` : 'with an odd name';
  throw new BadInput(`${source}: ${at ? `${at}: ` : ''}unknown field ${name} (known: ${known.join(', ')})`);
}

/** IDs are quoted in later messages, so one that is not plainly an ID is never echoed. */
function keyId(v: unknown, source: string, at: string): string {
  if (v === undefined) throw new BadInput(`${source}: ${at}.id: missing; expected a string like "k1"`);
  if (typeof v !== 'string' || !KEY_ID.test(v))
    throw new BadInput(
      `${source}: ${at}.id: not a key ID (1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit)`,
    );
  if (isBase64(v) && Buffer.from(v, 'base64').length === KEY_BYTES)
    throw new BadInput(`${source}: ${at}.id: looks like a key; are "id" and "key" swapped?`);
  return v;
}

function keyBytes(v: unknown, source: string, at: string): KeyObject {
  if (v === undefined) throw new BadInput(`${source}: ${at}: missing; expected base64 of 32 bytes`);
  if (typeof v !== 'string')
    throw new BadInput(`${source}: ${at}: not a string; expected base64 of 32 bytes`);
  if (!isBase64(v)) throw new BadInput(`${source}: ${at}: not base64`);
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length !== KEY_BYTES)
    throw new BadInput(`${source}: ${at}: ${bytes.length} bytes; AES-256 needs ${KEY_BYTES}`);
  return createSecretKey(bytes);
}

export interface KeySource {
  /** A JSON key file, readable by its owner (and group) only. */
  file?: string;
  /** The name of an environment variable that holds the same JSON. */
  env?: string;
}

/**
 * Reads the key set from a file or an environment variable (exactly one). A file that others
 * may read, or that group or others may write, is refused, as ssh refuses a private key: group
 * read is allowed (0640) so that a service group can share it.
 */
export function loadKeySet(from: KeySource, environment: NodeJS.ProcessEnv = process.env): KeySet {
  if (from.file !== undefined && from.env !== undefined)
    throw new BadInput('encryption keys: give a key file or an environment variable, not both');
  if (from.file !== undefined) return parseKeySet(readKeyFile(from.file), `key file ${from.file}`);
  if (from.env !== undefined) {
    const text = environment[from.env];
    if (!text?.trim())
      throw new BadInput(`environment variable ${from.env} is not set; it should hold ${FORMAT}`);
    return parseKeySet(text, `environment variable ${from.env}`);
  }
  throw new BadInput('encryption keys: give a key file or the name of an environment variable');
}

function readKeyFile(file: string): string {
  try {
    const mode = statSync(file).mode & 0o777;
    if (process.platform !== 'win32' && mode & 0o027)
      throw new BadInput(
        `key file ${file} is open to others (mode ${mode.toString(8).padStart(4, '0')}); ` +
          `run \`chmod 600 ${file}\` (or 640 to share it with a group)`,
      );
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof BadInput) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BadInput(`key file ${file} does not exist`);
    if (code === 'EACCES') throw new BadInput(`key file ${file} cannot be read by this user`);
    if (code === 'EISDIR') throw new BadInput(`key file ${file} is a directory`);
    throw new BadInput(`key file ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** An encrypted payload that cannot be decrypted (exit 1: the data or the keys are wrong). */
export class PayloadDecryptionFailed extends OperationFailed {}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

/** AES-256-GCM over the whole payload, with the key ID in the metadata. */
export class AesGcmCodec implements PayloadCodec {
  private readonly byId: ReadonlyMap<string, KeyObject>;

  constructor(readonly keySet: KeySet) {
    if (keySet.keys.length === 0) throw new BadInput(`${keySet.source}: no keys`);
    this.byId = new Map(keySet.keys.map((k) => [k.id, k.key]));
  }

  /** The key that encrypts. */
  get currentKeyId(): string {
    return this.keySet.keys[0]!.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keySet.keys[0]!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(id),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  /** Payloads that are not encrypted pass: histories from before encryption still read. */
  private decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!id) throw new PayloadDecryptionFailed(`encrypted payload has no "${KEY_ID_METADATA}" metadata`);
    const key = this.byId.get(id);
    if (!key)
      throw new PayloadDecryptionFailed(
        `encrypted payload uses key "${id.slice(0, 80)}", which is not in the ${this.keySet.source} ` +
          `(it has ${this.keySet.keys.map((k) => k.id).join(', ')}); add that key back to read it`,
      );
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionFailed(
        `encrypted payload (key "${id}") is ${data.length} bytes, too short for an IV and a tag`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionFailed(
        `encrypted payload failed authentication with key "${id}": it was altered, or encrypted with another key of that ID`,
      );
    }
    let inner: temporal.api.common.v1.Payload;
    try {
      inner = temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptionFailed(`payload decrypted with key "${id}" is not a Temporal payload`);
    }
    // A plain payload: protobufjs decodes absent bytes as a shared `[]` on the prototype.
    return {
      metadata: inner.metadata,
      data: inner.data instanceof Uint8Array ? inner.data : new Uint8Array(),
      ...(inner.externalPayloads.length > 0 ? { externalPayloads: inner.externalPayloads } : {}),
    };
  }
}

/**
 * The codec of a process without keys: it sends plain payloads, and on reading an encrypted one
 * says what is missing instead of the SDK's "Unknown encoding".
 */
export class NoKeysCodec implements PayloadCodec {
  constructor(private readonly hint: string) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const p of payloads)
      if (text(p.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING)
        throw new PayloadDecryptionFailed(
          `payload is encrypted (key "${(text(p.metadata?.[KEY_ID_METADATA]) ?? '?').slice(0, 80)}") and this process has no keys: ${this.hint}`,
        );
    return payloads;
  }
}

/** The `dataConverter` option of `new Client(...)` and `Worker.create(...)`. */
export function encryptedDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}
