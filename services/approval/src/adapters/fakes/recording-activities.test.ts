import { describe, expect, it } from "vitest";
import { contractInput, describeActivitiesContract } from "../../testing/activities-contract.ts";
import { createApprovalState, toView } from "../../domain/approval-state.ts";
import { createRecordingActivities } from "./recording-activities.ts";

describeActivitiesContract("recording fake", () => {
  const fake = createRecordingActivities();
  return Promise.resolve({
    activities: fake.activities,
    recorded: () =>
      Promise.resolve(fake.calls.map((c) => ({ name: c.name, actionId: c.payload.approval.actionId }))),
  });
});

describe("createRecordingActivities", () => {
  it("fails the next n calls of one activity, then records", async () => {
    const fake = createRecordingActivities();
    const input = contractInput("a-1");
    const approval = toView(createApprovalState(input, 0));
    fake.failNext("publishResolved", 1);
    await expect(fake.activities.publishResolved({ approval })).rejects.toThrow(/planted failure/);
    await fake.activities.publishResolved({ approval });
    expect(fake.of("publishResolved")).toHaveLength(1);
    expect(fake.forAction("a-1")).toHaveLength(1);
  });
});
