// A host's record of the directories that restores and drills write before they are done:
// staging trees beside a restore target, drill scratch trees. Each has a lock directory in the
// host's state directory, holding who owns it (the workflow run) and how far it got. It is
//  - the lock that keeps two restores from swapping the same target at once,
//  - the write-ahead log of the two renames of a swap, so that an interrupted swap can be
//    finished or rolled back instead of leaving the target missing,
//  - how the leftovers of a terminated run or a dead worker are found and removed by the next
//    restore, drill or backup on that host, and never mistaken for live work.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import { writeFileAtomic } from '../shared/fs';

/** The workflow run (and activity attempt) that owns a scratch directory. */
export interface Owner {
  namespace: string;
  workflowId: string;
  runId: string;
  attempt: number;
  /** Set when the work runs outside a worker (benchmarks, tests): the process is the owner. */
  local?: { pid: number; hostname: string };
}

export interface ScratchEntry {
  kind: 'restore' | 'drill';
  owner: Owner;
  set: string;
  id: string;
  /** Real path of the restore target (restores only). */
  target: string | null;
  staging: string;
  /** Where the target's old content goes during the swap. */
  previous: string | null;
  state: 'extracting' | 'extracted' | 'swapping';
  updatedAt: string;
}

/** Answers whether an owner's run is still going; injectable for tests. */
export type OwnerCheck = (owner: Owner) => Promise<boolean>;

/** The owner of the current activity, or of this process outside a worker. */
export function currentOwner(): Owner {
  try {
    const info = Context.current().info;
    if (info.workflowExecution && info.workflowNamespace) {
      return {
        namespace: info.workflowNamespace,
        workflowId: info.workflowExecution.workflowId,
        runId: info.workflowExecution.runId,
        attempt: info.attempt,
      };
    }
  } catch {
    /* outside an activity */
  }
  {
    return {
      namespace: '',
      workflowId: `local-${process.pid}`,
      runId: randomBytes(8).toString('hex'),
      attempt: 1,
      local: { pid: process.pid, hostname: os.hostname() },
    };
  }
}

export const sameRun = (a: Owner, b: Owner): boolean =>
  a.namespace === b.namespace && a.workflowId === b.workflowId && a.runId === b.runId;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const RUNNING = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

/** Default OwnerCheck: asks the server (through the worker's client) whether the run is open. */
export const ownerRunning: OwnerCheck = async (owner) => {
  if (owner.local) return owner.local.hostname !== os.hostname() || pidAlive(owner.local.pid);
  let client;
  try {
    client = Context.current().client;
  } catch {
    return true; // cannot tell: never take another owner's work away
  }
  try {
    const d = await client.workflowService.describeWorkflowExecution({
      namespace: owner.namespace,
      execution: { workflowId: owner.workflowId, runId: owner.runId },
    });
    return d.workflowExecutionInfo?.status === RUNNING;
  } catch (err) {
    // NOT_FOUND (5): the run (or its namespace) is gone — it cannot come back for its files.
    if ((err as { code?: number }).code === 5) return false;
    throw err;
  }
};

export function describeOwner(o: Owner): string {
  return o.local
    ? `process ${o.local.pid} on ${o.local.hostname}`
    : `workflow ${o.workflowId} (run ${o.runId})`;
}

export class ScratchJournal {
  readonly dir: string;

  constructor(
    stateDir: string,
    private readonly isRunning: OwnerCheck = ownerRunning,
  ) {
    this.dir = path.join(stateDir, 'scratch');
  }

  private lockDir(key: string): string {
    return path.join(this.dir, `${key}.lock`);
  }

  read(key: string): ScratchEntry | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.lockDir(key), 'entry.json'), 'utf8')) as ScratchEntry;
    } catch {
      return undefined;
    }
  }

  write(key: string, entry: ScratchEntry): void {
    try {
      writeFileAtomic(
        path.join(this.lockDir(key), 'entry.json'),
        JSON.stringify({ ...entry, updatedAt: new Date().toISOString() }),
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS') {
        throw ApplicationFailure.nonRetryable(
          `cannot write the restore journal in ${this.dir} (${code}); free space there (the worker's state directory) and try again`,
          code === 'EROFS' ? BACKUP_FAILURES.restoreTargetInvalid : BACKUP_FAILURES.restoreNoSpace,
        );
      }
      throw err;
    }
  }

  /**
   * Moves the entry of the staging tree `staging` on (a new state). Refused when the lock is no
   * longer that tree's: a later attempt, or another run, has taken it over meanwhile.
   */
  update(key: string, entry: ScratchEntry): void {
    const e = this.read(key);
    if (!e || e.staging !== entry.staging) {
      throw ApplicationFailure.nonRetryable(
        `the lock on ${entry.target ?? entry.staging} was taken over (${e ? `now ${describeOwner(e.owner)}, attempt ${e.owner.attempt}` : 'it is gone'}); this attempt stops`,
        BACKUP_FAILURES.restoreAbandoned,
      );
    }
    this.write(key, entry);
  }

  /**
   * Takes the lock `key` for `entry.owner`. A lock held by an earlier attempt of the same run,
   * or by a run that has ended, is taken over after its leftovers are dealt with; one held by
   * a live run is refused with RestoreInProgress, naming it.
   */
  async acquire(key: string, entry: ScratchEntry, busy: (holder: ScratchEntry) => string): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (let round = 0; round < 20; round++) {
      let made = false;
      try {
        mkdirSync(this.lockDir(key), { mode: 0o700 });
        made = true;
        this.write(key, entry);
        return;
      } catch (err) {
        if (made) {
          rmSync(this.lockDir(key), { recursive: true, force: true }); // ours, and empty
          throw err;
        }
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = this.read(key);
      if (!holder) {
        // Created a moment ago and not yet written, or its creator died in between.
        const age = Date.now() - (statSync(this.lockDir(key), { throwIfNoEntry: false })?.mtimeMs ?? 0);
        if (age < 10_000) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        await this.takeOver(key, undefined);
        continue;
      }
      if (!sameRun(holder.owner, entry.owner) && (await this.isRunning(holder.owner))) {
        throw ApplicationFailure.nonRetryable(busy(holder), BACKUP_FAILURES.restoreInProgress);
      }
      await this.takeOver(key, holder);
    }
    throw new Error(`could not take the scratch lock ${this.lockDir(key)}`);
  }

  /**
   * Gives up the lock of the staging tree `staging`. A lock that is not that tree's (a later
   * attempt took it over) or cannot be read is left alone.
   */
  release(key: string, staging: string): void {
    const e = this.read(key);
    if (!e || e.staging !== staging) return;
    rmSync(this.lockDir(key), { recursive: true, force: true });
  }

  /**
   * Deals with a dead or superseded holder's leftovers first (an interrupted swap is finished or
   * rolled back), then removes its lock atomically (one taker wins). When recovery fails the
   * lock and its record stay, and the error says what is where.
   */
  private async takeOver(key: string, holder: ScratchEntry | undefined): Promise<string[]> {
    const notes = holder ? await recoverLeftovers(holder) : [];
    const grave = path.join(this.dir, `${key}.stale-${randomBytes(4).toString('hex')}`);
    try {
      renameSync(this.lockDir(key), grave);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return notes; // another taker was first
      throw err;
    }
    await rm(grave, { recursive: true, force: true });
    return notes;
  }

  /**
   * Removes every scratch directory whose owner has ended: what a terminated run or a dead
   * worker left. Returns what it did, for the caller's log.
   */
  async cleanStale(): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const done: string[] = [];
    for (const n of names) {
      if (n.includes('.stale-')) {
        // A lock already dealt with, whose removal was cut short.
        await rm(path.join(this.dir, n), { recursive: true, force: true });
        continue;
      }
      if (!n.endsWith('.lock')) continue;
      const key = n.slice(0, -'.lock'.length);
      const e = this.read(key);
      if (!e) continue; // being created right now, or handled by acquire's age rule
      if (await this.isRunning(e.owner)) continue;
      const notes = await this.takeOver(key, e);
      done.push(
        `${e.kind} ${e.id} of ${e.set} by ${describeOwner(e.owner)}: removed ${e.staging}${notes.map((x) => `; ${x}`).join('')}`,
      );
    }
    return done;
  }
}

const there = (p: string | null): p is string => p !== null && existsSync(p);

/**
 * Undoes what an owner that will never come back left half-done, from what is on disk. Data is
 * never lost: an interrupted swap whose target is missing gets its previous content back; a
 * swap that had finished keeps its previous content (said in the returned notes); a state it
 * cannot decide throws, leaving everything where it is.
 */
export async function recoverLeftovers(e: ScratchEntry): Promise<string[]> {
  const notes: string[] = [];
  if (e.kind === 'restore' && e.state === 'swapping' && e.target) {
    const staged = existsSync(e.staging);
    const target = existsSync(e.target);
    const previous = there(e.previous);
    if (!staged && target) {
      // Both renames were done: the restore had finished; its old content is kept.
      if (previous)
        notes.push(
          `the restore into ${e.target} had finished; its previous content is kept in ${e.previous}`,
        );
      return notes;
    }
    if (!target && previous) {
      renameSync(e.previous!, e.target); // first rename done, second not: roll back
      notes.push(`rolled back: ${e.target} has its previous content again`);
    } else if (!target && staged && e.previous !== null) {
      // The old content was moved aside and is gone since: the restored tree is all there is.
      renameSync(e.staging, e.target);
      notes.push(`${e.target}'s previous content is missing; the restored tree was put in its place`);
      return notes;
    } else if (target && previous && staged) {
      throw new Error(
        `an interrupted restore left ${e.target} moved aside to ${e.previous}, and ${e.target} has been created again since; ` +
          `the restored tree is in ${e.staging}. Decide which to keep, move the others away, then remove ${e.staging}`,
      );
    }
  }
  await rm(e.staging, { recursive: true, force: true });
  return notes;
}
