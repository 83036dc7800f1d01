// `hactl codec-server`: decrypts payloads for the Temporal Web UI (its Codec Server setting) and
// for `temporal --codec-endpoint`, with the same keys as the workers and clients.
import type { Command } from 'commander';
import { BadInput } from '../../../core/errors';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import { AesGcmCodec, loadKeySet } from '../../temporal/codec';
import { KEYS_FILE_ENV, keySourceFor } from '../../temporal/codec-config';
import { configOption } from '../context';
import type { KeySource } from '../../temporal/codec';
import { DEFAULT_UI_ORIGINS, parseListen, parseOrigin, startCodecServer } from '../../temporal/codec-server';

interface Opts {
  listen: string;
  config: string;
  keysFile?: string;
  keysEnv?: string;
  origin: string[];
  tokenEnv?: string;
}

function keySource(opts: Opts): KeySource {
  if (opts.keysFile !== undefined && opts.keysEnv !== undefined)
    throw new BadInput('give --keys-file or --keys-env, not both');
  if (opts.keysFile !== undefined) return { file: opts.keysFile };
  if (opts.keysEnv !== undefined) return { env: opts.keysEnv };
  // The keys every other process uses: the environment, else the config's encryption section.
  const configured = keySourceFor(opts.config);
  if (configured) return configured.source;
  throw new BadInput(
    `no encryption keys: give --keys-file FILE or --keys-env NAME, or configure them (${KEYS_FILE_ENV}, or encryption.keys in ${opts.config})`,
  );
}

function token(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name]?.trim();
  if (!value) throw new BadInput(`--token-env ${name}: environment variable ${name} is not set`);
  return value;
}

function listenOption(value: string): string {
  parseListen(value);
  return value;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    // `on`, not `once`: a second Ctrl-C while closing must not kill us halfway.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => resolve());
  });
}

export function register(program: Command): Command {
  return program
    .command('codec-server')
    .description(
      'serve /encode and /decode for the Temporal Web UI and `temporal --codec-endpoint`, so that they show encrypted payloads decoded',
    )
    .option('--listen <host:port>', 'address to listen on', listenOption, '127.0.0.1:8081')
    .option('--keys-file <file>', 'JSON key file: {"keys":[{"id":"k2","key":"<base64 of 32 bytes>"},...]}')
    .option('--keys-env <name>', 'environment variable that holds the same JSON')
    .addOption(
      configOption().default(
        DEFAULT_CONFIG_PATH,
        `${DEFAULT_CONFIG_PATH}: its encryption section, when no --keys-*`,
      ),
    )
    .option(
      '--origin <url>',
      `Web UI origin allowed to call it; repeat for more, * for any (default: ${DEFAULT_UI_ORIGINS.join(', ')})`,
      (v: string, all: string[]) => [...all, parseOrigin(v)],
      [],
    )
    .option(
      '--token-env <name>',
      'environment variable with a token every request must send as "Authorization: Bearer <token>" ' +
        '(the CLI: --codec-auth "Bearer <token>"; the Web UI sends only its own login token)',
    )
    .action(async (opts: Opts) => {
      const keySet = loadKeySet(keySource(opts));
      const bearer = token(opts.tokenEnv);
      const server = await startCodecServer({
        listen: opts.listen,
        codec: new AesGcmCodec(keySet),
        ...(opts.origin.length > 0 ? { origins: opts.origin } : {}),
        ...(bearer !== undefined ? { token: bearer } : {}),
        log: (line) => console.error(line),
      });
      const ids = keySet.keys.map((k) => k.id).join(', ');
      console.log(
        `codec server on ${server.url} (keys: ${ids}; origins: ${server.origins.join(', ')}${bearer ? '; token required' : ''})`,
      );
      if (!bearer && !isLoopback(parseListen(opts.listen).host))
        console.error(
          `warning: ${opts.listen} is not a loopback address and no --token-env is set: anyone who reaches it can decrypt payloads`,
        );
      await untilSignal();
      await server.close();
      console.log('codec server stopped');
    });
}
