import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import type { SystemInfo } from '../../activities/health/collector';
import type * as CollectorModule from '../../activities/health/collector';
import {
  countTcpStates,
  createHealthCollector,
  linuxFilesystems,
  linuxProc,
  parseCpuTicks,
  parseNetDev,
} from '../../activities/health/collector';

function fakeSi(): SystemInfo {
  return {
    currentLoad: async () => ({ currentLoad: 42.123, cpus: [{ load: 40.04 }, { load: 44.2 }] }) as never,
    mem: async () => ({ total: 1000, available: 250, swaptotal: 100, swapused: 10, swapfree: 90 }) as never,
    fsSize: async () =>
      [
        { fs: '/dev/sda1', type: 'ext4', size: 100, used: 60, available: 40, use: 60, mount: '/' },
        { fs: 'tmpfs', type: 'tmpfs', size: 10, used: 1, available: 9, use: 10, mount: '/run' },
        { fs: 'none', type: 'ext4', size: 0, used: 0, available: 0, use: 0, mount: '/empty' },
      ] as never,
    networkStats: async () =>
      [
        { iface: 'eth0', rx_bytes: 5000, tx_bytes: 7000, rx_sec: 123.4, tx_sec: 56.7 },
        { iface: 'lo', rx_bytes: 1, tx_bytes: 1, rx_sec: null, tx_sec: -1 },
      ] as never,
    processes: async () => ({ all: 9, running: 1, blocked: 0, sleeping: 8 }) as never,
    networkConnections: async () =>
      [
        { protocol: 'tcp', state: 'ESTABLISHED' },
        { protocol: 'tcp6', state: 'LISTEN' },
        { protocol: 'udp', state: '' },
      ] as never,
  };
}

describe('health collector', () => {
  it('maps systeminformation output into a snapshot', async () => {
    const c = createHealthCollector({
      host: 'alpha',
      si: fakeSi(),
      proc: { processes: async () => undefined, tcp: async () => undefined },
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
    const s = await c.collect();
    expect(s.host).toBe('alpha');
    expect(s.collectedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(s.worker.pid).toBe(process.pid);
    expect(s.cpu).toMatchObject({ cores: 2, loadPercent: 42.1, perCorePercent: [40, 44.2] });
    expect(s.memory).toEqual({ totalBytes: 1000, usedBytes: 750, availableBytes: 250, usedPercent: 75 });
    expect(s.swap).toEqual({ totalBytes: 100, usedBytes: 10, freeBytes: 90 });
    // tmpfs and zero-size filesystems say nothing about capacity.
    expect(s.filesystems.map((f) => f.mount)).toEqual(['/']);
    expect(s.network).toEqual([
      { iface: 'eth0', rxBytes: 5000, txBytes: 7000, rxBytesPerSec: 123, txBytesPerSec: 57 },
      { iface: 'lo', rxBytes: 1, txBytes: 1, rxBytesPerSec: null, txBytesPerSec: null },
    ]);
    expect(s.processes).toEqual({ total: 9, running: 1, blocked: 0, sleeping: 8 });
    expect(s.tcp).toEqual({ established: 1, listening: 1, total: 2 });
  });

  it('collects a real snapshot of this machine', async () => {
    const c = createHealthCollector({ host: 'here' });
    await c.prime();
    await new Promise((r) => setTimeout(r, 300));
    const s = await c.collect();
    expect(s.cpu.cores).toBeGreaterThan(0);
    expect(s.cpu.perCorePercent).toHaveLength(s.cpu.cores);
    expect(s.cpu.loadPercent).toBeGreaterThanOrEqual(0);
    expect(s.cpu.loadPercent).toBeLessThanOrEqual(100);
    expect(s.memory.totalBytes).toBeGreaterThan(s.memory.availableBytes);
    expect(s.filesystems.length).toBeGreaterThan(0);
    expect(s.filesystems.every((f) => f.usedPercent >= 0 && f.usedPercent <= 100)).toBe(true);
    expect(s.network.some((n) => n.iface === 'lo')).toBe(true);
    expect(s.processes.total).toBeGreaterThan(1);
    expect(s.cost.wallMs).toBeGreaterThan(0);
    // JSON-clean: this travels through Temporal payloads.
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('reads CPU ticks and interface counters from /proc text', () => {
    const stat = [
      'cpu  300 0 100 1000 50 0 10 0 0 0',
      'cpu0 100 0 50 500 20 0 5 0 0 0',
      'cpu1 200 0 50 500 30 0 5 0 7 0',
      'intr 12345',
      'ctxt 999',
    ].join('\n');
    // Busy: all but idle and iowait; guest (the 9th) is already inside user.
    expect(parseCpuTicks(stat)).toEqual([
      { busy: 155, total: 675 },
      { busy: 255, total: 785 },
    ]);
    const dev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:  1700     9    0    0    0     0          0         0  1700     9    0    0    0     0       0          0',
      '  eth0:492627728 29797 0 0 0 0 0 0 2522125 22029 0 0 0 0 0 0',
      'broken: 1 2 3',
    ].join('\n');
    expect(parseNetDev(dev)).toEqual([
      { iface: 'lo', rxBytes: 1700, txBytes: 1700 },
      { iface: 'eth0', rxBytes: 492627728, txBytes: 2522125 },
    ]);
  });

  it('gives load and traffic rates since the previous sample, the first one since boot', async () => {
    let ticks = [
      { busy: 100, total: 1000 },
      { busy: 300, total: 1000 },
    ];
    let rx = 1000;
    const c = createHealthCollector({
      host: 'beta',
      proc: {
        processes: async () => ({ total: 3, running: 1, blocked: 0, sleeping: 2 }),
        tcp: async () => ({ established: 0, listening: 0, total: 0 }),
        cpuTicks: async () => ticks,
        network: async () => [{ iface: 'eth0', rxBytes: rx, txBytes: 5 }],
      },
    });
    const first = await c.collect();
    expect(first.cpu).toMatchObject({ cores: 2, loadPercent: 20, perCorePercent: [10, 30] });
    expect(first.network).toEqual([
      { iface: 'eth0', rxBytes: 1000, txBytes: 5, rxBytesPerSec: null, txBytesPerSec: null },
    ]);
    ticks = [
      { busy: 150, total: 1100 },
      { busy: 300, total: 1100 },
    ];
    rx = 1000 + 10_000;
    await new Promise((r) => setTimeout(r, 200));
    const second = await c.collect();
    expect(second.cpu).toMatchObject({ loadPercent: 25, perCorePercent: [50, 0] });
    const [eth0] = second.network;
    // 10 kB over a little more than 200 ms; nothing sent.
    expect(eth0!.rxBytesPerSec).toBeGreaterThan(20_000);
    expect(eth0!.rxBytesPerSec).toBeLessThanOrEqual(50_000);
    expect(eth0!.txBytesPerSec).toBe(0);
    // No tick in between: the previous figures stand rather than a division by zero.
    const third = await c.collect();
    expect(third.cpu.loadPercent).toBe(25);
  });

  it('takes a snapshot without starting a single process', async () => {
    // systeminformation's currentLoad and networkStats start shells (one of them with execSync,
    // blocking the worker): the collector reads /proc itself. Every way of starting a process
    // is recorded for the modules loaded here, systeminformation's included.
    const started: string[] = [];
    let fresh: typeof CollectorModule | undefined;
    jest.isolateModules(() => {
      const real = jest.requireActual<Record<string, unknown>>('node:child_process');
      const recorded = Object.fromEntries(
        ['exec', 'execFile', 'execSync', 'execFileSync', 'spawn', 'spawnSync', 'fork'].map((name) => [
          name,
          (...args: unknown[]) => {
            started.push(`${name} ${String(args[0])}`);
            return (real[name] as (...a: unknown[]) => unknown)(...args);
          },
        ]),
      );
      jest.doMock('child_process', () => ({ ...real, ...recorded }));
      jest.doMock('node:child_process', () => ({ ...real, ...recorded }));
      fresh = jest.requireActual<typeof CollectorModule>('../../activities/health/collector');
    });
    const c = fresh!.createHealthCollector({ host: 'quiet' });
    await c.prime();
    await new Promise((r) => setTimeout(r, 100));
    const s = await c.collect();
    expect(s.cpu.cores).toBeGreaterThan(0);
    expect(s.network.some((n) => n.iface === 'lo')).toBe(true);
    expect(started).toEqual([]);
  });

  it('counts real TCP sockets from /proc', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    try {
      const t = await linuxProc.tcp();
      expect(t).toBeDefined();
      expect(t!.listening).toBeGreaterThanOrEqual(1);
      expect(t!.established).toBeGreaterThanOrEqual(2); // both ends of our connection
      const p = await linuxProc.processes();
      expect(p!.total).toBeGreaterThan(1);
      expect(p!.running).toBeGreaterThanOrEqual(1);
    } finally {
      sock.destroy();
      server.close();
    }
  });

  it('counts socket states from a table by scanning bytes: the 4th column, hex', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '  10: 0100007F:D2F0 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1',
      ' 100: 0100007F:C000 0100007F:1F90 06 00000000:00000000 03:00000FA0 00000000     0        0 0 3',
      '',
    ].join('\n');
    expect(countTcpStates(Buffer.from(table))).toEqual({ established: 2, listening: 1, total: 4 });
    expect(countTcpStates(Buffer.from(table.split('\n')[0]!))).toEqual({
      established: 0,
      listening: 0,
      total: 0,
    });
  });

  it('reads filesystems as df does, without running it', async () => {
    const fromProc = await linuxFilesystems();
    expect(fromProc).toBeDefined();
    const root = fromProc!.find((f) => f.mount === '/');
    expect(root).toBeDefined();
    // df -P /: 1024-blocks total, used, available, capacity.
    const [, total, used, avail] = execFileSync('df', ['-P', '-k', '/'], { encoding: 'utf8' })
      .trim()
      .split('\n')[1]!
      .split(/\s+/)
      .map(Number);
    const kib = (n: number): number => Math.round(n / 1024);
    expect(Math.abs(kib(root!.sizeBytes) - total!)).toBeLessThanOrEqual(1);
    // Used and available move while the suite writes: within 1 %.
    expect(Math.abs(kib(root!.usedBytes) - used!)).toBeLessThan(total! / 100);
    expect(Math.abs(kib(root!.availableBytes) - avail!)).toBeLessThan(total! / 100);
  });
});
