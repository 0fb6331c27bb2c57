// `warden status`: which services answer (the standard gRPC health check, asked for each service's
// own name so a wrong port shows), the policy's active bundle (PolicyService.GetBundle) and the
// emergency-stop state (KillSwitchService.Status).
import { InvalidArgumentError } from "commander";
import type { Command } from "commander";
import { HealthDefinition } from "nice-grpc-server-health";
import { killswitchV1, policyV1 } from "@warden/contracts";
import { EXIT } from "./cli-error.ts";
import type { CommandContext } from "./command-context.ts";
import { SERVICES, SERVICE_LABEL } from "./config.ts";
import type { ServiceName } from "./config.ts";
import { printJson, table } from "./output.ts";
import { scopeLabel } from "./parse-service-options.ts";
import type { Remote } from "./remote.ts";
import { ServiceCallError } from "./rpc-failure.ts";

const FULL_NAME: Readonly<Record<ServiceName, string>> = {
  policy: policyV1.PolicyServiceDefinition.fullName,
  audit: "warden.audit.v1.AuditService",
  killswitch: killswitchV1.KillSwitchServiceDefinition.fullName,
  approval: "warden.approval.v1.ApprovalService",
  rollback: "warden.rollback.v1.RollbackService",
};

interface ServiceHealth {
  service: string;
  address: string;
  /** serving, not-serving, unreachable, or wrong-service (something else answers there). */
  state: "serving" | "not-serving" | "unreachable" | "wrong-service";
  detail: string;
}

const HEALTH_STATUS = ["unknown", "serving", "not-serving", "service-unknown"] as const;

async function health(remote: Remote, service: ServiceName, timeoutMs: number): Promise<ServiceHealth> {
  const address = remote.address(service);
  const base = { service: SERVICE_LABEL[service], address };
  const client = remote.client(HealthDefinition, service, { anonymous: true });
  try {
    const res = await remote.call(service, () =>
      client.check({ service: FULL_NAME[service] }, { signal: AbortSignal.timeout(timeoutMs) }),
    );
    const label = (HEALTH_STATUS as readonly string[])[Number(res.status)] ?? "unknown";
    return label === "serving"
      ? { ...base, state: "serving", detail: "" }
      : { ...base, state: "not-serving", detail: label };
  } catch (err) {
    if (err instanceof ServiceCallError && err.status === "NOT_FOUND")
      return { ...base, state: "wrong-service", detail: `answers, but does not serve ${FULL_NAME[service]}` };
    return { ...base, state: "unreachable", detail: err instanceof Error ? err.message : String(err) };
  }
}

export function registerStatusCommand(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("status")
    .description("which services answer, the policy's active bundle digest, the emergency-stop state")
    .option(
      "--only <services>",
      `check only these (comma-separated: ${SERVICES.join(", ")})`,
      (value: string) => {
        const names = value.split(",").map((v) => v.trim());
        for (const n of names)
          if (!(SERVICES as readonly string[]).includes(n))
            throw new InvalidArgumentError(`unknown service "${n}": use ${SERVICES.join(", ")}`);
        return names as ServiceName[];
      },
    )
    .addHelpText(
      "after",
      "\nWithout a token only health is shown; with one (--token, WARDEN_TOKEN) also the bundle and the stop." +
        "\nExit 0 every checked service serves, 3 one or more do not answer or are not serving," +
        "\n1 all answer but the bundle or stop read was refused (token, role)." +
        "\n\nExamples:\n  warden status\n  warden status --only policy,audit,killswitch --json",
    )
    .action(async (opts: { only?: ServiceName[] }, command: Command) => {
      const remote = ctx.remote(command);
      const services = opts.only ?? [...SERVICES];
      const timeoutMs = Math.min(remote.timeoutMs, 3_000);
      const checks = await Promise.all(services.map((s) => health(remote, s, timeoutMs)));
      const serving = (s: ServiceName): boolean =>
        checks.find((c) => c.service === SERVICE_LABEL[s])?.state === "serving";

      let refused = false;
      const detail = async <T>(
        service: ServiceName,
        run: () => Promise<T>,
      ): Promise<T | { error: string }> => {
        try {
          return await run();
        } catch (err) {
          refused = true;
          return { error: err instanceof Error ? err.message : String(err) };
        }
      };
      const hasToken = remote.token() !== undefined;
      const bundle =
        hasToken && services.includes("policy") && serving("policy")
          ? await detail("policy", async () => {
              const c = remote.client(policyV1.PolicyServiceDefinition, "policy");
              const res = await remote.call("policy", () => c.getBundle({}, remote.unary()));
              return res.bundle ?? { error: "no bundle in the answer" };
            })
          : undefined;
      const stop =
        hasToken && services.includes("killswitch") && serving("killswitch")
          ? await detail("killswitch", async () => {
              const c = remote.client(killswitchV1.KillSwitchServiceDefinition, "killswitch");
              const res = await remote.call("killswitch", () => c.status({}, remote.unary()));
              return {
                active: res.state?.active ?? false,
                epoch: res.epoch,
                scopes: (res.state?.scopes ?? []).map(scopeLabel),
                consumers: res.consumers.length,
                confirmed: res.consumers.filter((x) => x.confirmed).length,
              };
            })
          : undefined;

      const down = checks.some((c) => c.state !== "serving");
      const code = down ? EXIT.unavailable : refused ? EXIT.failed : EXIT.ok;
      if (remote.json) {
        printJson(io, {
          ok: code === EXIT.ok,
          services: checks,
          bundle:
            bundle === undefined ? null : "error" in bundle ? bundle : policyV1.BundleStatus.toJSON(bundle),
          stop: stop ?? null,
        });
      } else {
        io.out(
          table(
            ["service", "address", "state", "detail"],
            checks.map((c) => [
              c.service,
              c.address,
              c.state === "serving" ? "serving" : c.state.toUpperCase(),
              c.detail,
            ]),
          ),
        );
        if (bundle !== undefined)
          io.out(
            "error" in bundle
              ? `bundle: ${bundle.error}\n`
              : `bundle: ${bundle.digest} (${bundle.ruleCount} rules, loaded ${bundle.loadedAt?.toISOString() ?? "—"})\n`,
          );
        if (stop !== undefined)
          io.out(
            "error" in stop
              ? `stop: ${stop.error}\n`
              : `stop: ${stop.active ? `ACTIVE (${stop.scopes.join(", ")})` : "clear"} at epoch ${stop.epoch}; ${stop.confirmed} of ${stop.consumers} consumers confirmed\n`,
          );
      }
      // Notes for people, on stderr in both modes.
      if (!hasToken)
        io.err("no token: pass --token or set WARDEN_TOKEN to see the bundle digest and the stop state\n");
      if (down)
        io.err(
          "some services do not answer: `make up` starts them locally; addresses: --<service>-addr or WARDEN_<SERVICE>_ADDR\n",
        );
      if (refused)
        io.err("the bundle or stop read was refused: see the bundle / stop lines (a role the token lacks)\n");
      ctx.exit(code);
    });
}
