// Where the payload encryption keys are, for every process that talks to Temporal: hactl, the
// workers, hactl dev and the codec server. HA_ENCRYPTION_KEYS_FILE (a key file) or
// HA_ENCRYPTION_KEYS_ENV (the name of a variable that holds the keys) win; otherwise the config
// file's `encryption:` section. Without either, payloads are plain JSON as before.
//
//   encryption:
//     keys: { file: /etc/ha-orchestrator/keys.json }   # or { env: HA_PAYLOAD_KEYS }
//
// Every process of a deployment must use the same keys: a worker without them cannot read what
// an encrypting client sent (its workflow tasks fail, saying so, until it has them).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { load } from 'js-yaml';
import { z } from 'zod';
import { BadInput } from '../../core/errors';
import type { ConfigSection } from '../config/load';
import { DEFAULT_CONFIG_PATH } from '../config/load';
import { AesGcmCodec, NoKeysCodec, encryptedDataConverter, loadKeySet } from './codec';
import type { KeySource } from './codec';

export const KEYS_FILE_ENV = 'HA_ENCRYPTION_KEYS_FILE';
export const KEYS_ENV_ENV = 'HA_ENCRYPTION_KEYS_ENV';

export interface EncryptionConfig {
  /** A key file (absolute) or the name of an environment variable. */
  keys: KeySource;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const schema = z
  .strictObject({
    keys: z.union(
      [
        z.strictObject({ file: z.string().min(1) }),
        z.strictObject({ env: z.string().regex(ENV_NAME, { error: 'an environment variable name' }) }),
      ],
      { error: 'keys: { file: <key file> } or { env: <environment variable> }' },
    ),
  })
  .nullable()
  .optional();

type Raw = z.infer<typeof schema>;

function normalise(raw: Raw, baseDir: string): EncryptionConfig | null {
  if (!raw) return null;
  return 'file' in raw.keys
    ? { keys: { file: path.resolve(baseDir, raw.keys.file) } }
    : { keys: { env: raw.keys.env } };
}

/** The `encryption:` section of the config file (validated with the rest by `hactl config validate`). */
export const encryptionSection: ConfigSection<Raw, EncryptionConfig | null> = {
  key: 'encryption',
  schema,
  normalise: (raw, ctx) => normalise(raw, ctx.baseDir),
  summary: (v) => (v ? `payloads encrypted (keys: ${v.keys.file ?? `$${v.keys.env}`})` : undefined),
};

export interface ResolvedKeys {
  source: KeySource;
  /** Where that was said, for messages. */
  from: string;
}

/**
 * The key source for this process: the environment, else the config file's section. A config
 * file that does not exist is no config (a worker on a host without one); a bad section is bad
 * input, named with its file.
 */
export function keySourceFor(configFile?: string, env: NodeJS.ProcessEnv = process.env): ResolvedKeys | null {
  const file = env[KEYS_FILE_ENV];
  if (file) return { source: { file: path.resolve(file) }, from: KEYS_FILE_ENV };
  const name = env[KEYS_ENV_ENV];
  if (name) return { source: { env: name }, from: KEYS_ENV_ENV };
  const config = configFile ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(config)) return null;
  let doc: unknown;
  try {
    const text = readFileSync(config, 'utf8');
    // Without the word (or an escape that could spell it) there is no such key: a fleet's
    // config is not parsed a second time just to learn that.
    if (!text.includes('encryption') && !text.includes('\\')) return null;
    doc = load(text);
  } catch {
    return null; // not YAML: the command that reads the whole file says where
  }
  const raw = (doc as Record<string, unknown> | null)?.encryption;
  if (raw === undefined || raw === null) return null;
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new BadInput(`${config}: encryption: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const c = normalise(r.data, path.dirname(path.resolve(config)));
  return c ? { source: c.keys, from: `${config} (encryption.keys)` } : null;
}

const codecs = new Map<string, AesGcmCodec>();

/** The codec for this process (the keys read once per source), or null without encryption. */
export function codecFor(configFile?: string): AesGcmCodec | null {
  const resolved = keySourceFor(configFile);
  if (!resolved) return null;
  const key = JSON.stringify(resolved.source);
  let codec = codecs.get(key);
  if (!codec) {
    codec = new AesGcmCodec(loadKeySet(resolved.source));
    codecs.set(key, codec);
  }
  return codec;
}

/** What a process without keys says when it meets an encrypted payload. */
export const NO_KEYS_HINT = `set ${KEYS_FILE_ENV} to the key file, or give --config with the config file whose encryption.keys names it`;

/**
 * The `dataConverter` option for clients and workers: the codec when there are keys; otherwise
 * plain payloads, and a clear error on an encrypted one.
 */
export function dataConverterFor(configFile?: string): { dataConverter: DataConverter } {
  return { dataConverter: encryptedDataConverter(codecFor(configFile) ?? new NoKeysCodec(NO_KEYS_HINT)) };
}
