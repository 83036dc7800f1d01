// A test-only metric source: HA_TEST_METRICS_FILE, set in a worker's environment, names a JSON
// file whose values replace what the collector measured, re-read at every snapshot. Tests use
// it to drive alert rules through exact values. It cannot be turned on from the config, and the
// worker says loudly at start that it is on.
import { readFileSync } from 'node:fs';
import type { HostSnapshot } from '../../src/health/model/types';

export const TEST_METRICS_ENV = 'HA_TEST_METRICS_FILE';

/** `{"memory.used_percent": 97, "fs.used_percent{mount=/data}": 95, "cpu.load_percent": 99}` */
export type TestMetrics = Record<string, number>;

function read(file: string): TestMetrics {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TestMetrics;
  } catch {
    return {}; // written by a test right now, or removed: measured values stand
  }
}

export function applyTestMetrics(s: HostSnapshot, file: string): HostSnapshot {
  for (const [key, value] of Object.entries(read(file))) {
    const m = /^([a-z_.0-9]+)(?:\{(\w+)=([^}]*)\})?$/.exec(key);
    if (!m || typeof value !== 'number') continue;
    const [, name, , label] = m;
    switch (name) {
      case 'cpu.load_percent':
        s.cpu.loadPercent = value;
        break;
      case 'memory.used_percent':
        s.memory.usedPercent = value;
        break;
      case 'swap.used_percent':
        s.swap = { totalBytes: 100, usedBytes: value, freeBytes: 100 - value };
        break;
      case 'tcp.established':
        s.tcp.established = value;
        break;
      case 'processes.total':
        s.processes.total = value;
        break;
      case 'fs.used_percent': {
        const mount = label ?? '/';
        const f = s.filesystems.find((x) => x.mount === mount);
        if (f) f.usedPercent = value;
        else
          s.filesystems.push({
            mount,
            fs: 'test',
            type: 'test',
            sizeBytes: 100,
            usedBytes: value,
            availableBytes: 100 - value,
            usedPercent: value,
          });
        break;
      }
    }
  }
  return s;
}
