// CPU time of this process including the children it has waited for (systeminformation runs
// `df` and friends as child processes, and their cost is part of a snapshot's cost).
import { readFileSync } from 'node:fs';

let ticksPerSecond = 100; // USER_HZ on every Linux we support

export function setTicksPerSecond(n: number): void {
  ticksPerSecond = n;
}

function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the ")" of the command name: state is field 3; cutime, cstime are 16, 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    return ((cutime + cstime) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Milliseconds of CPU used so far by this process and its reaped children. */
export function processTreeCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + childrenCpuMs();
}
