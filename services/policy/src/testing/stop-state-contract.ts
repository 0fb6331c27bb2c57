// The StopStateReader contract (STYLE.md item 17): one suite that the fake (a unit test) and the NATS
// adapter over the kill-switch bucket (test/stop-state-contract.test.ts, on a real NATS server) both
// pass. `make` returns a reader on fresh, never-set state and a way to set the state as the
// kill-switch service does; the real reader follows it asynchronously, so reads are polled.
import { describe, expect, it } from "vitest";
import type { StopStateReader } from "../app/ports.ts";
import type { StopScope } from "../domain/stop-state.ts";

export interface StopStateUnderTest {
  readonly reader: StopStateReader;
  readonly set: (state: { epoch: number; active: boolean; scopes: readonly StopScope[] }) => Promise<void>;
  readonly close: () => Promise<void>;
}

const POLL = { timeout: 10_000, interval: 20 };

export function describeStopStateContract(name: string, make: () => Promise<StopStateUnderTest>): void {
  describe(`StopStateReader contract: ${name}`, () => {
    it("is clear at epoch 0 while never set, active with its scopes and epoch once set, clear at the new epoch after resume", async () => {
      const { reader, set, close } = await make();
      try {
        expect(reader.current()).toEqual({ kind: "clear", epoch: 0 });
        const scopes: StopScope[] = [
          { kind: "environment", value: "production" },
          { kind: "agent", value: "bot" },
        ];
        await set({ epoch: 3, active: true, scopes });
        await expect.poll(() => reader.current(), POLL).toEqual({ kind: "active", epoch: 3, scopes });
        await set({ epoch: 4, active: true, scopes: [{ kind: "global" }] });
        await expect
          .poll(() => reader.current(), POLL)
          .toEqual({ kind: "active", epoch: 4, scopes: [{ kind: "global" }] });
        await set({ epoch: 5, active: false, scopes: [] });
        await expect.poll(() => reader.current(), POLL).toEqual({ kind: "clear", epoch: 5 });
      } finally {
        await close();
      }
    });
  });
}
