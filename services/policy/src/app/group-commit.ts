// Group commit of decision records (POLICY_DECISION_RECORDS=group, issue #17). While one group of
// records is being written, the records of the decisions made meanwhile wait; when every record of
// that group is acknowledged (or refused), the waiting ones go out together — handed to the sink in
// one turn, so their publishes leave in one socket write — and each caller's promise settles with
// its own record's ack. Under low load a record goes alone, at once (no added wait); under high load
// one round trip serves many records. No decision is answered before its record is durable
// (DESIGN.md §11): `decided` resolves only on that record's own ack and rejects on its own failure,
// which the transports answer with the fail-closed error as before; a refused record fails only its
// own decision, never the others of its group.
import type { DecisionSink } from "./ports.ts";

type Args = Parameters<DecisionSink["decided"]>;

interface Held {
  readonly args: Args;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most records in one group; the rest wait for the next (default 256). */
  readonly maxGroup?: number;
  /** Called with each group's size as it goes out (metrics, tests). */
  readonly onGroup?: (size: number) => void;
}

export function groupCommit(sink: DecisionSink, options: GroupCommitOptions = {}): DecisionSink {
  const maxGroup = options.maxGroup ?? 256;
  if (!Number.isInteger(maxGroup) || maxGroup < 1) throw new RangeError(`maxGroup: ${maxGroup} is not ≥ 1`);
  let writing = false;
  let held: Held[] = [];

  const send = (group: readonly Held[]): void => {
    writing = true;
    options.onGroup?.(group.length);
    let left = group.length;
    const done = (): void => {
      left -= 1;
      if (left === 0) next();
    };
    for (const h of group) {
      let ack: Promise<void>;
      try {
        ack = sink.decided(...h.args);
      } catch (err) {
        ack = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      ack.then(
        () => {
          h.resolve();
          done();
        },
        (err: unknown) => {
          h.reject(err);
          done();
        },
      );
    }
  };

  const next = (): void => {
    writing = false;
    if (held.length === 0) return;
    const group = held.length <= maxGroup ? held : held.slice(0, maxGroup);
    held = held.length <= maxGroup ? [] : held.slice(maxGroup);
    send(group);
  };

  return {
    decided(...args) {
      return new Promise<void>((resolve, reject) => {
        const h: Held = { args, resolve, reject };
        if (writing) held.push(h);
        else send([h]);
      });
    },
  };
}
