// The control of test/fault/policy-kill.test.ts: the real policy service, except that its decision
// sink answers at once and writes the record afterwards — and never writes every 5th one
// (POLICY_CONTROL_DROP_EVERY). An answered decision without a record is then certain, with no
// timing involved, so the fault test's check must report those decisions missing.
//   node test/fault/lib/policy-answer-first.ts   (configured like services/policy/src/main.ts)
import { loadConfig } from "@warden/policy/config";
import { startPolicyService } from "@warden/policy/start";

const every = Number(process.env["POLICY_CONTROL_DROP_EVERY"] ?? 5);
let seen = 0;

const running = await startPolicyService(loadConfig(), {
  wrapDecisions: (sink) => ({
    decided(decision, request, origin, stop) {
      seen += 1;
      if (seen % every !== 0) void sink.decided(decision, request, origin, stop).catch(() => undefined);
      return Promise.resolve();
    },
  }),
});
process.once("SIGTERM", () => {
  void running.stop().finally(() => process.exit(0));
});
