import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import type { SystemInfo } from '../../activities/health/collector';
import {
  countTcpStates,
  createHealthCollector,
  linuxFilesystems,
  linuxProc,
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
