// The codec server over real HTTP, as the Web UI and the temporal CLI call it; and payload
// encryption end to end: a client with the codec writes to the suite's server, the history holds
// ciphertext only, and the stock CLI reads it back through the codec server.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { AesGcmCodec, encryptedDataConverter, parseKeySet } from '../../src/platform/temporal/codec';
import { startCodecServer } from '../../src/platform/temporal/codec-server';
import type { CodecServer, CodecServerOptions } from '../../src/platform/temporal/codec-server';
import { freePort } from '../../src/platform/temporal/dev-server';
import { hactl, HACTL, ROOT, testEnv, waitFor } from '../helpers';

const env = testEnv(__filename);
const KEYS = JSON.stringify({
  keys: [
    { id: 'k2', key: randomBytes(32).toString('base64') },
    { id: 'k1', key: randomBytes(32).toString('base64') },
  ],
});
const codec = new AesGcmCodec(parseKeySet(KEYS, 'test keys'));
const TOKEN = randomBytes(16).toString('hex');
const UI = 'http://localhost:8233';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

interface JsonPayloads {
  payloads: { metadata: Record<string, string>; data: string }[];
}

async function listen(opts: Omit<CodecServerOptions, 'listen' | 'codec'> = {}): Promise<CodecServer> {
  return startCodecServer({ listen: `127.0.0.1:${await freePort()}`, codec, ...opts });
}

function post(
  server: CodecServer,
  route: string,
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
    // A streamed body must say so.
    ...(typeof body === 'string' ? {} : { duplex: 'half' as const }),
  });
}

function preflight(server: CodecServer, origin: string): Promise<Response> {
  return fetch(`${server.url}/decode`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
    },
  });
}

function everyString(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (typeof v !== 'object' || v === null) return [];
  return Object.values(v).flatMap(everyString);
}

let open: CodecServer;
let locked: CodecServer;
beforeAll(async () => {
  open = await listen();
  locked = await listen({ token: TOKEN });
});
afterAll(async () => {
  await open?.close();
  await locked?.close();
});

describe('the codec server protocol', () => {
  const plain: JsonPayloads = {
    payloads: [
      { metadata: { encoding: b64('json/plain') }, data: b64('{"host":"alpha"}') },
      { metadata: { encoding: b64('binary/null') }, data: '' },
    ],
  };

  it('encodes, then decodes back to the exact JSON it was given', async () => {
    const enc = await post(open, '/encode', JSON.stringify(plain));
    expect(enc.status).toBe(200);
    expect(enc.headers.get('content-type')).toBe('application/json');
    const encoded = (await enc.json()) as JsonPayloads;
    expect(encoded.payloads).toHaveLength(2);
    for (const p of encoded.payloads) {
      expect(p.metadata).toEqual({ encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k2') });
      expect(unb64(p.data)).not.toContain('alpha');
    }
    // As the CLI calls it: the namespace in the path, and the X-Namespace header.
    const dec = await post(open, `/${env.namespace}/decode`, JSON.stringify(encoded), {
      'X-Namespace': env.namespace,
    });
    expect(dec.status).toBe(200);
    expect(await dec.json()).toEqual(plain);
  });

  it('reads every form proto3 JSON allows: absent or null fields, URL-safe base64, no padding', async () => {
    const r = await post(
      open,
      '/decode',
      '{"payloads":[{"data":"aGk"},{"metadata":null,"data":null},{"metadata":{"x":"-_8"}}],"later":1}',
    );
    expect(await r.json()).toEqual({
      payloads: [
        { metadata: {}, data: 'aGk=' },
        { metadata: {}, data: '' },
        { metadata: { x: '+/8=' }, data: '' },
      ],
    });
    expect(await (await post(open, '/decode', '{}')).json()).toEqual({ payloads: [] });
  });

  const SHAPE = 'expected {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}';
  it.each([
    ['bad JSON', '{"payloads":[', `request body is not valid JSON; ${SHAPE}`],
    ['an array', '[]', SHAPE],
    ['payloads not an array', '{"payloads":{}}', `"payloads" is not an array; ${SHAPE}`],
    [
      'a payload that is a number',
      '{"payloads":[1]}',
      'payloads[0]: expected {"metadata":{...},"data":"<base64>"}',
    ],
    ['data not base64', '{"payloads":[{"data":"a*b"}]}', 'payloads[0].data: not a base64 string'],
    [
      'metadata not base64',
      '{"payloads":[{"data":"","metadata":{"encoding":"json plain"}}]}',
      'payloads[0].metadata.encoding: not a base64 string',
    ],
    [
      'a key the codec lacks',
      JSON.stringify({
        payloads: [
          { metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k0') }, data: '' },
        ],
      }),
      'decode failed: encrypted payload uses key "k0", which is not in the test keys (it has k2, k1); add that key back to read it',
    ],
  ])('answers 400 to %s, saying what', async (_, body, message) => {
    const r = await post(open, '/decode', body);
    expect(r.status).toBe(400);
    expect(await r.text()).toBe(`${message}\n`);
  });

  it('answers 413 to a body over 4 MiB, with or without a length, and serves on', async () => {
    const huge = JSON.stringify({ payloads: [{ data: 'A'.repeat(5 * 1024 * 1024) }] });
    const sized = await post(open, '/decode', huge);
    expect(sized.status).toBe(413);
    expect(await sized.text()).toBe('request body over 4194304 bytes\n');
    const chunk = new Uint8Array(64 * 1024).fill(65);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if ((sent += chunk.length) > 6 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    expect((await post(open, '/decode', stream)).status).toBe(413);
    expect((await post(open, '/decode', '{"payloads":[]}')).status).toBe(200);
  });

  it('answers 404 off the two endpoints and 405 to other methods', async () => {
    const r404 = await post(open, '/decrypt', '{}');
    expect(r404.status).toBe(404);
    const r405 = await fetch(`${open.url}/decode`);
    expect(r405.status).toBe(405);
    expect(r405.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('CORS for the Web UI', () => {
  it.each(['http://localhost:8233', 'http://127.0.0.1:8233'])(
    'lets the dev server UI at %s call it',
    async (origin) => {
      const pre = await preflight(open, origin);
      expect(pre.status).toBe(204);
      expect(Object.fromEntries(pre.headers)).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization',
        vary: 'Origin',
      });
      const r = await post(open, '/decode', '{"payloads":[]}', { Origin: origin });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe(origin);
    },
  );

  it('gives another origin no CORS headers, and refuses its requests', async () => {
    const pre = await preflight(open, 'https://evil.example');
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const r = await post(open, '/decode', '{"payloads":[]}', { Origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(await r.text()).toBe(
      'origin https://evil.example is not allowed; start the codec server with --origin https://evil.example\n',
    );
  });

  it('takes configured origins instead of the defaults; * allows any but "null"', async () => {
    const custom = await listen({ origins: ['https://temporal.example.com/'] });
    const any = await listen({ origins: ['*'] });
    try {
      expect(custom.origins).toEqual(['https://temporal.example.com']);
      expect((await preflight(custom, 'https://temporal.example.com')).status).toBe(204);
      expect((await preflight(custom, UI)).status).toBe(403);
      const pre = await preflight(any, 'https://anywhere.example');
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://anywhere.example');
      expect((await preflight(any, 'null')).status).toBe(403);
    } finally {
      await custom.close();
      await any.close();
    }
  });
});

describe('the bearer token', () => {
  const body = '{"payloads":[]}';
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { Authorization: `Bearer ${TOKEN.slice(1)}x` }],
    ['a token that is a prefix', { Authorization: `Bearer ${TOKEN.slice(0, 8)}` }],
    ['another scheme', { Authorization: `Basic ${TOKEN}` }],
  ])('refuses %s with 401', async (_, headers: Record<string, string>) => {
    const r = await post(locked, '/decode', body, { Origin: UI, ...headers });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    // With CORS headers, so that the UI can show why.
    expect(r.headers.get('access-control-allow-origin')).toBe(UI);
    expect(await r.text()).toBe('missing or wrong token; send Authorization: Bearer <token>\n');
  });

  it('serves a request with the token, and a preflight without it (browsers send none there)', async () => {
    expect((await post(locked, '/decode', body, { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await post(locked, '/decode', body, { Authorization: `bearer  ${TOKEN}` })).status).toBe(200);
    expect((await preflight(locked, UI)).status).toBe(204);
  });
});

describe('through the Temporal server and the stock temporal CLI', () => {
  it('history holds ciphertext only; /decode and `temporal --codec-endpoint` read the input', async () => {
    const marker = `MARKER-${randomBytes(8).toString('hex')}`;
    const workflowId = `codec-${randomBytes(4).toString('hex')}`;
    const connection = await Connection.connect({ address: env.address });
    const client = new Client({
      connection,
      namespace: env.namespace,
      dataConverter: encryptedDataConverter(codec),
    });
    // Nobody polls this queue: the start event is all the history there is, and all we need.
    const handle = await client.workflow.start('noSuchWorkflow', {
      taskQueue: `codec-nobody-${workflowId}`,
      workflowId,
      args: [{ note: marker }],
    });
    // Not execFileSync: the codec server it calls runs in this process.
    const show = async (...extra: string[]): Promise<string> => {
      const args = ['workflow', 'show', '--address', env.address, '--namespace', env.namespace];
      const r = await promisify(execFile)(
        env.temporalCli,
        [...args, '--workflow-id', workflowId, '--output', 'json', ...extra],
        { encoding: 'utf8', env: env.env, timeout: 30_000 },
      );
      return r.stdout;
    };
    try {
      const raw = await show();
      // The CLI prints payload bytes in base64: look in every string, as is and decoded.
      expect(
        everyString(JSON.parse(raw)).filter((s) => s.includes(marker) || unb64(s).includes(marker)),
      ).toEqual([]);
      const history = JSON.parse(raw) as {
        events: { workflowExecutionStartedEventAttributes?: { input: JsonPayloads } }[];
      };
      const input = history.events[0]!.workflowExecutionStartedEventAttributes!.input;
      expect(input.payloads[0]!.metadata).toEqual({
        encoding: b64('binary/encrypted'),
        'encryption-key-id': b64('k2'),
      });

      const r = await post(locked, `/${env.namespace}/decode`, JSON.stringify(input), {
        Authorization: `Bearer ${TOKEN}`,
      });
      expect(r.status).toBe(200);
      const decoded = ((await r.json()) as JsonPayloads).payloads[0]!;
      expect(unb64(decoded.metadata.encoding!)).toBe('json/plain');
      expect(JSON.parse(unb64(decoded.data))).toEqual({ note: marker });

      // The CLI as the Web UI's sibling client: it sends the token as given in --codec-auth.
      const viaCodec = await show(
        '--codec-endpoint',
        `${locked.url}/{namespace}`,
        '--codec-auth',
        `Bearer ${TOKEN}`,
      );
      const shown = JSON.parse(viaCodec) as typeof history;
      const [payload] = shown.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads;
      expect(unb64(payload!.metadata.encoding!)).toBe('json/plain');
      expect(JSON.parse(unb64(payload!.data))).toEqual({ note: marker });
    } finally {
      await handle.terminate('codec-server test done');
      await connection.close();
    }
  });
});

describe('hactl codec-server', () => {
  const BAD_KEYS = JSON.stringify({ keys: [{ id: 'k1', key: randomBytes(16).toString('base64') }] });
  const cliEnv = { ...env.env, HA_TEST_CODEC_KEYS: KEYS, HA_TEST_BAD_KEYS: BAD_KEYS, HA_TEST_TOKEN: TOKEN };

  it('says where it listens, serves, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const args = ['codec-server', '--listen', `127.0.0.1:${port}`, '--keys-env', 'HA_TEST_CODEC_KEYS'];
    const child = spawn(
      process.execPath,
      [HACTL, ...args, '--origin', 'https://temporal.example.com', '--token-env', 'HA_TEST_TOKEN'],
      { cwd: ROOT, env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('\n'), {
        message: () => `hactl codec-server did not start:\n${out}`,
        failIf: () => (child.exitCode !== null ? `hactl codec-server exited:\n${out}` : undefined),
      });
      expect(out).toBe(
        `codec server on http://127.0.0.1:${port} (keys: k2, k1; origins: https://temporal.example.com; token required)\n`,
      );
      const server = { url: `http://127.0.0.1:${port}` } as CodecServer;
      const auth = { Authorization: `Bearer ${TOKEN}` };
      const enc = await post(server, '/encode', '{"payloads":[{"data":"aGk="}]}', auth);
      // Encrypted with the same keys as this process's codec: it decodes here.
      const dec = await post(open, '/decode', await enc.text());
      expect(await dec.json()).toEqual({ payloads: [{ metadata: {}, data: 'aGk=' }] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('codec server stopped\n');
  });

  it('exits 1 when the port is taken', async () => {
    const taken = open.url.slice('http://'.length);
    const r = await hactl(['codec-server', '--listen', taken, '--keys-env', 'HA_TEST_CODEC_KEYS'], {
      env: cliEnv,
    });
    expect([r.code, r.stderr.trim()]).toEqual([1, `error: cannot listen on ${taken}: the port is in use`]);
  });

  it.each([
    [
      ['--listen', '127.0.0.1:0'],
      'no encryption keys: give --keys-file FILE or --keys-env NAME, or configure them (HA_ENCRYPTION_KEYS_FILE, or encryption.keys in config/high_availability.yml)',
    ],
    [['--keys-file', 'k.json', '--keys-env', 'X'], 'give --keys-file or --keys-env, not both'],
    [['--listen', '8081'], '--listen 8081: expected HOST:PORT, like 127.0.0.1:8081 or [::1]:8081'],
    [
      ['--origin', 'http://localhost:8233/namespaces'],
      '--origin http://localhost:8233/namespaces: an origin has no path; did you mean http://localhost:8233?',
    ],
    [
      ['--keys-env', 'HA_TEST_CODEC_KEYS', '--token-env', 'HA_TEST_NO_TOKEN'],
      '--token-env HA_TEST_NO_TOKEN: environment variable HA_TEST_NO_TOKEN is not set',
    ],
    [
      ['--keys-env', 'HA_TEST_BAD_KEYS'],
      'environment variable HA_TEST_BAD_KEYS: keys[0].key (id "k1"): 16 bytes; AES-256 needs 32',
    ],
  ])('exits 2 on %j, saying what to do', async (args, message) => {
    const r = await hactl(['codec-server', ...args], { env: cliEnv });
    expect([r.code, r.stderr.trim()]).toEqual([2, `error: ${message}`]);
  });
});
