// Every metric an alert rule can watch: the host metrics of the health snapshot, and the fleet
// metrics the alerts manager reads itself. A unit test checks that health's samples use no
// name missing here.
import { HOST_METRICS } from '../health/model/metrics';

export const FLEET_METRICS = {
  'backup.recovery_point_seconds': {
    labels: ['set'],
    help: "age of a set's newest completed backup in seconds (from its schedule's creation while it has none): the recovery point",
  },
  'schedule.consecutive_failures': {
    labels: ['schedule'],
    help: 'runs of a schedule that failed in a row, newest first (of the last 10)',
  },
} as const;

export const METRICS: Record<string, { labels: readonly string[]; help: string }> = {
  ...HOST_METRICS,
  ...FLEET_METRICS,
};
