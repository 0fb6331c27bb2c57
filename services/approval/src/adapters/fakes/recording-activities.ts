// In-memory Activities: records every call in order, so tests can check what was published and
// notified (and that nothing else was). `failNext(name, n)` makes the next n calls of one activity
// throw, to show the workflow's retry sends each event once it succeeds.
import type { Activities, ActivityName } from "../../activities/activities.ts";

export interface RecordedCall<N extends ActivityName = ActivityName> {
  readonly name: N;
  readonly payload: Parameters<Activities[N]>[0];
}

export interface RecordingActivities {
  readonly activities: Activities;
  /** Every successful call, in the order they completed. */
  readonly calls: RecordedCall[];
  /** The payloads of one activity's calls. */
  of<N extends ActivityName>(name: N): Parameters<Activities[N]>[0][];
  /** Calls about one action only (the activities of many workflows share one worker). */
  forAction(actionId: string): RecordedCall[];
  failNext(name: ActivityName, times: number): void;
}

export function createRecordingActivities(): RecordingActivities {
  const calls: RecordedCall[] = [];
  const failures = new Map<ActivityName, number>();
  const record =
    <N extends ActivityName>(name: N) =>
    (payload: Parameters<Activities[N]>[0]): Promise<void> => {
      const left = failures.get(name) ?? 0;
      if (left > 0) {
        failures.set(name, left - 1);
        return Promise.reject(new Error(`${name}: planted failure`));
      }
      const call: RecordedCall = { name, payload };
      calls.push(call);
      return Promise.resolve();
    };
  const activities: Activities = {
    publishRequested: record("publishRequested"),
    publishVoteCast: record("publishVoteCast"),
    publishEscalated: record("publishEscalated"),
    publishResolved: record("publishResolved"),
    publishVerdict: record("publishVerdict"),
    publishRefusal: record("publishRefusal"),
    notify: record("notify"),
  };
  return {
    activities,
    calls,
    of: <N extends ActivityName>(name: N) =>
      calls.filter((c) => c.name === name).map((c) => c.payload as Parameters<Activities[N]>[0]),
    forAction: (actionId) => calls.filter((c) => c.payload.approval.actionId === actionId),
    failNext: (name, times) => void failures.set(name, times),
  };
}
