// The Temporal Web UI as a person sees it, in a real browser (Debian's chromium, driven by
// playwright-core; installed with apt-get on first use, never downloaded by Playwright). Its own
// dev server with the Web UI, whose codec endpoint is a codec server in this process; a host
// worker and hactl with the keys, so every payload is encrypted. What is checked is the page's
// text: the schedules `hactl apply` made; the backup `hactl backup run` started, found with the
// filter HaKind="backup"; a DR run waiting for approval, whose current details name the step and
// the command that approves it; a run's input, decoded through the codec server. A screenshot of
// each page goes to .data/test/screenshots/web-ui/, passed or failed.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium as playwright } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { AesGcmCodec, encryptedDataConverter, loadKeySet } from '../../src/platform/temporal/codec';
import { startCodecServer } from '../../src/platform/temporal/codec-server';
import type { CodecServer } from '../../src/platform/temporal/codec-server';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import type { DevServer } from '../../src/platform/temporal/dev-server';
import { TEST_DATA } from '../setup/shared';
import { chromiumUnavailable, ensureChromium } from '../helpers/chromium';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';

const base = testEnv(__filename);
const tmp = tempDir('web-ui');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const SHOTS = path.join(TEST_DATA, 'screenshots', 'web-ui');
const NS = 'default';
/** In the DR plan's description: of what the UI shows, only the run's input holds it. */
const MARKER = `webui-marker-${randomBytes(5).toString('hex')}`;
let server: DevServer;
let codecServer: CodecServer;
let env: TestEnv;
let worker: WorkerProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let ui = '';
let drRun = '';
const scheduleIds: string[] = [];

const cli = (args: string[]) => hactl(args, { env: env.env, timeoutMs: 120_000 });
/**
 * What a person sees: the page's text, with that of its frames (the UI renders Markdown, as in
 * current details, in an iframe of its own).
 */
async function seen(): Promise<string> {
  const parts: string[] = [];
  for (const frame of page.frames())
    parts.push(
      await frame
        .locator('body')
        .innerText({ timeout: 2_000 })
        .catch(() => ''),
    );
  return parts.join('\n');
}

/**
 * Opens `url` and waits until `text` shows; opens it again (what changed since shows after a
 * load) until `timeoutMs`. Fails with what the page did show.
 */
async function untilShown(
  url: string,
  text: string,
  timeoutMs = 60_000,
  /** What to do on the page before looking, e.g. open a tab. */
  then: () => Promise<void> = async () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    await then();
    const shown = await waitFor(async () => (await seen()).includes(text), { timeoutMs: 10_000 }).then(
      () => true,
      () => false,
    );
    if (shown) return;
    if (Date.now() > deadline)
      throw new Error(`"${text}" not shown at ${url}; the page shows:\n${(await seen()).slice(0, 4000)}`);
  }
}

// Without chromium, and without root to install it, there is nothing to drive: skipped, saying
// so. Where apt-get can install it, a failed install fails the test.
const unavailable = chromiumUnavailable();
if (unavailable) console.warn(`skipping the Web UI test: ${unavailable}`);
const describeIfBrowser = unavailable ? describe.skip : describe;

describeIfBrowser('the Temporal Web UI in chromium', () => {
  beforeAll(async () => {
    // Only this run's pictures: a stale one from an earlier run would mislead.
    rmSync(SHOTS, { recursive: true, force: true });
    const chromium = await ensureChromium((l) => console.error(l));
    browser = await playwright.launch({ executablePath: chromium, args: ['--no-sandbox'] });
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(W('data'), { recursive: true });
    writeFileSync(W('data', 'orders.txt'), 'order-42\n');
    writeFileSync(
      W('keys.json'),
      JSON.stringify({ keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }] }),
    );
    chmodSync(W('keys.json'), 0o600);

    const uiPort = await freePort();
    // The Web UI runs in the browser and calls the codec server from there: its origin must be let in.
    const codec = new AesGcmCodec(loadKeySet({ file: W('keys.json') }));
    codecServer = await startCodecServer({
      listen: `127.0.0.1:${await freePort()}`,
      codec,
      origins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
    });
    server = await startDevServer({
      bin: base.temporalCli,
      port: await freePort(),
      uiPort,
      uiCodecEndpoint: codecServer.url,
      logFile: path.join(TEST_DATA, 'web-ui-temporal-server.log'),
    });
    ui = server.uiUrl!;
    env = {
      ...base,
      address: server.address,
      namespace: NS,
      env: {
        ...base.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: NS,
        HA_ENCRYPTION_KEYS_FILE: W('keys.json'),
      },
    };
    writeConfig(
      tmp.dir,
      'ha.yml',
      `version: 1
hosts: [{ name: alpha }]
encryption:
  keys: { file: keys.json }
backups:
  - { name: webfiles, host: alpha, paths: [${JSON.stringify(W('data'))}], destination: ${JSON.stringify(W('dest'))}, schedule: daily }
drPlans:
  - name: webdr
    description: 'orders to beta (${MARKER})'
    contacts: [{ name: ann, role: dba }]
    groups:
      - name: decide
        steps:
          - name: go-ahead
            approval: { approvers: [ann], question: 'move the orders to beta?' }
      - name: act
        steps:
          - { name: move, command: { host: alpha, argv: [sh, -c, 'echo moved'] } }
`,
    );
    worker = await startWorker(env, 'alpha', ['--config', W('ha.yml')]);
    const applied = await cli(['apply', W('ha.yml')]);
    if (applied.code !== 0) throw new Error(applied.stderr);
    // Our schedules, as the server lists them (all of them: this server is the test's own).
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection, namespace: NS, dataConverter: encryptedDataConverter(codec) });
      for await (const sch of client.schedule.list()) scheduleIds.push(sch.scheduleId);
    } finally {
      await connection.close();
    }

    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(30_000);
    // The UI answers a little after the server's gRPC port does.
    await waitFor(async () => (await fetch(ui)).ok, {
      timeoutMs: 30_000,
      message: () => `no Web UI at ${ui}`,
    });
  }, 15 * 60_000);

  afterEach(async () => {
    if (!page) return;
    const name = (expect.getState().currentTestName ?? 'test')
      .replace('the Temporal Web UI in chromium ', '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .slice(0, 100);
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
    await codecServer?.close();
    tmp.cleanup();
  }, 60_000);

  it('the schedules list shows the schedules hactl apply made', async () => {
    expect(scheduleIds).toContain('backup:webfiles');
    for (const id of scheduleIds) await untilShown(`${ui}/namespaces/${NS}/schedules`, id);
  });

  it('the filter HaKind="backup" lists the backup run, and not the DR run', async () => {
    const ran = await cli(['backup', 'run', 'webfiles', '--wait', '--config', W('ha.yml')]);
    // stderr holds progress and its summary (and a warning while the worker's heartbeat lags).
    expect(ran.code).toBe(0);
    expect(ran.stderr).toMatch(/^backup \S+ done: 1 files, /m);
    expect(ran.stderr).not.toMatch(/error/i);
    const started = await cli(['dr', 'run', 'webdr', '--as', 'zed', '--config', W('ha.yml')]);
    expect([started.code, started.stderr.replace(/^warning: no live worker.*\n/m, '')]).toEqual([0, '']);
    drRun = started.stdout.trim();

    const query = encodeURIComponent('HaKind="backup"');
    // Visibility lags a moment behind a run's start: the list is opened again until the run shows.
    await untilShown(`${ui}/namespaces/${NS}/workflows?query=${query}`, 'backup:webfiles');
    const text = await seen();
    expect(text).toContain('backup:webfiles');
    expect(text).toContain('Completed');
    expect(text).not.toContain(drRun);
  });

  it('a DR run waiting for approval shows the step and the command that approves it', async () => {
    expect(drRun).not.toBe('');
    // Current details are on the run's User Metadata tab, and change as the run goes: the page is
    // opened again until the approval shows.
    await untilShown(
      `${ui}/namespaces/${NS}/workflows/${encodeURIComponent(drRun)}`,
      'go-ahead awaits approval',
      60_000,
      async () => {
        await page.getByText('User Metadata', { exact: true }).first().click();
        await page.getByText('Current Details', { exact: true }).first().waitFor();
      },
    );
    const text = await seen();
    expect(text).toContain('go-ahead: awaiting-approval');
    expect(text).toContain('move the orders to beta?');
    expect(text).toContain(`hactl dr approve ${drRun} go-ahead --as <you>`);
    expect(text).toContain(`temporal workflow signal --workflow-id ${drRun} --name approve`);
  });

  it('with the codec server configured, the run’s input is shown decoded', async () => {
    expect(drRun).not.toBe('');
    await page.goto(`${ui}/namespaces/${NS}/workflows/${encodeURIComponent(drRun)}`);
    const input = page
      .getByTestId('input-and-result')
      .locator(':scope > div')
      .filter({ has: page.getByRole('heading', { name: 'Input', exact: true }) });
    // The input is ciphertext on the server (encoding binary/encrypted): the marker in the plan's
    // description shows only when the browser had it decoded by the codec server.
    await input
      .getByText(MARKER)
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(async (err: unknown) => {
        const text = await input.innerText({ timeout: 2_000 }).catch(() => '(no Input section)');
        throw new Error(
          `${(err as Error).message.split('\n')[0]}; the Input section shows:\n${text.slice(0, 2000)}`,
        );
      });
    const text = await input.innerText();
    expect(text).toContain('"name": "webdr"');
    expect(text).not.toContain('binary/encrypted');
  });
});
