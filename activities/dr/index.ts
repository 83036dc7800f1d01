// DR step activities. On a host: commands, probes, restores (into a directory or a drill's
// scratch directory) and the scratch's removal. Anywhere: HTTP checks, preconditions, backups,
// backup verification, failovers, services and host liveness, through the other capabilities'
// typed clients with the worker's own connection. Each one attempt: the plan workflow retries.
import { Context } from '@temporalio/activity';
import type { ActivityModule, HostActivityDeps } from '../../src/platform/capability';
import { cancellationSignal, withHeartbeats } from '../shared/heartbeat';
import { checkHttp, runStepCommand, stepFailed } from './run';
import type { StepOutcome } from './run';
import {
  backupNow,
  failoverStep,
  hostsUp,
  preconditions,
  serviceStep,
  verifyNewest,
  waitProbes,
} from './steps';
import type { FailoverStepInput, PreconditionsInput, ServiceStepInput } from './steps';
import { removeScratch, restoreStep } from './restore';
import type { RestoreStepInput } from './restore';
import type { BackupSetSpec } from '../../src/backup/model/types';
import type { CommandSpec } from '../../src/core/command';
import type { ProbeSpec } from '../../src/core/probe';
import type { HttpCheck } from '../../src/dr/model/types';

export type { StepOutcome };

const client = () => Context.current().client;

export function createDrHostActivities(deps: HostActivityDeps) {
  return {
    async drCommand(input: {
      command: CommandSpec;
      where: string;
      vars: Record<string, string>;
    }): Promise<StepOutcome> {
      return withHeartbeats(() =>
        runStepCommand(input.command, input.where, {
          host: deps.host,
          env: { ...deps.env, ...input.vars },
          signal: cancellationSignal(),
        }),
      );
    },
    async drHttp(input: { http: HttpCheck; where: string }): Promise<StepOutcome> {
      return withHeartbeats(() =>
        checkHttp(input.http, input.where, deps.host, deps.env, cancellationSignal()),
      );
    },
    async drProbes(input: { probes: ProbeSpec[]; until: boolean; where: string }): Promise<StepOutcome> {
      return withHeartbeats(() =>
        waitProbes(input.probes, input.until, {
          host: deps.host,
          env: deps.env,
          signal: cancellationSignal(),
          where: input.where,
        }),
      );
    },
    async drRestore(input: RestoreStepInput): Promise<StepOutcome> {
      return withHeartbeats(() => restoreStep(client(), input, deps, cancellationSignal()));
    },
    async drRemoveScratch(input: { key: string }): Promise<StepOutcome> {
      return withHeartbeats(() => removeScratch(deps, input.key));
    },
  };
}

export function createDrSharedActivities(deps: { env: NodeJS.ProcessEnv }) {
  return {
    async drHttp(input: { http: HttpCheck; where: string }): Promise<StepOutcome> {
      return withHeartbeats(() =>
        checkHttp(input.http, input.where, 'any worker', deps.env, cancellationSignal()),
      );
    },
    async drPreconditions(input: PreconditionsInput): Promise<{ problems: string[]; detail: string }> {
      return withHeartbeats(() => preconditions(client(), input));
    },
    async drBackup(input: { spec: BackupSetSpec }): Promise<StepOutcome> {
      return withHeartbeats(() => backupNow(client(), input.spec, cancellationSignal()));
    },
    async drVerifyBackup(input: { spec: BackupSetSpec; maxAgeMs: number | null }): Promise<StepOutcome> {
      return withHeartbeats(() => verifyNewest(client(), input.spec, input.maxAgeMs));
    },
    async drFailover(input: FailoverStepInput): Promise<StepOutcome & { switchedFrom?: string }> {
      return withHeartbeats(() => failoverStep(client(), input, cancellationSignal()));
    },
    async drService(input: ServiceStepInput): Promise<StepOutcome> {
      return withHeartbeats(() => serviceStep(client(), input, cancellationSignal()));
    },
    async drHostsUp(input: { hosts: string[] }): Promise<StepOutcome> {
      return withHeartbeats(async () => {
        const problems = await hostsUp(client(), input.hosts);
        if (problems.length) throw stepFailed(problems.join('; '));
        return { detail: `hosts up: ${input.hosts.join(', ')}` };
      });
    },
  };
}

export type DrActivities = ReturnType<typeof createDrHostActivities> &
  ReturnType<typeof createDrSharedActivities>;

export const activityModule: ActivityModule = {
  host: (deps) => ({ activities: createDrHostActivities(deps) }),
  shared: (deps) => createDrSharedActivities(deps),
};
