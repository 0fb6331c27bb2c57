// HTTP endpoints of the kill switch, served on the ops port beside /healthz, /readyz and /metrics:
//   POST /api/emergency-stop   JSON {scopes: ["global" | "environment:NAME" | "agent:ID" | "service:NAME"], reason}
//                              with `Authorization: Bearer <jwt>`; 201 with the Status JSON, or a
//                              4xx {error, message, violations?} naming the field.
//   GET  /api/emergency-stop   the Status JSON (bearer token required).
//   POST /api/slack/command    a Slack-compatible slash command (form body, signed with the signing
//                              secret; stale, forged and replayed requests are refused with 401).
import type { Logger } from "pino";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isWardenError } from "@warden/grpc/errors";
import type { WardenErrorCode } from "@warden/grpc/errors";
import { AuthError, bearerFrom, JwksUnavailableError, PermissionError } from "@warden/identity";
import type { Principal } from "@warden/identity";
import { z } from "zod";
import type { KillSwitchService } from "../../app/kill-switch-service.ts";
import type { ReplayGuard } from "../../app/ports.ts";
import { describeScope, parseScope } from "../../domain/scope.ts";
import { parseSlashCommand, SLASH_USAGE } from "../../domain/slash-command.ts";
import { SLACK_MAX_SKEW_SECONDS, verifySlackSignature } from "../../domain/slack-signature.ts";
import type { Person } from "../../domain/stop-record.ts";
import { personOf, statusToWire } from "../../wire/kill-switch-wire.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const HTTP_STATUS: Record<WardenErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 412,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
};

const StopBody = z.strictObject({
  scopes: z.array(z.string()).min(1, "at least one scope, e.g. global or environment:production"),
  reason: z.string().trim().min(1, "required: why the stop is activated"),
});

export type KillSwitchHttpOptions = {
  service: KillSwitchService;
  verifier: { verify(token: string): Promise<Principal> };
  /** Absent: the slash-command endpoint answers 404. */
  slack?: { signingSecret: string; users: ReadonlyMap<string, Person>; replays: ReplayGuard } | undefined;
  /** Where an unexpected failure (answered 500) is logged with its cause. */
  log?: Pick<Logger, "error"> | undefined;
  now?: () => number;
};

class HttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body["message"] ?? body["error"]));
    this.status = status;
    this.body = body;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, { error: "too_large", message: `body exceeds ${MAX_BODY_BYTES} bytes` });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function errorBody(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof HttpError) return { status: err.status, body: err.body };
  if (err instanceof AuthError)
    return { status: 401, body: { error: "unauthenticated", message: err.message } };
  if (err instanceof PermissionError)
    return { status: 403, body: { error: "permission_denied", message: err.message } };
  if (err instanceof JwksUnavailableError)
    return { status: 503, body: { error: "unavailable", message: err.message } };
  if (isWardenError(err)) {
    const violations = "violations" in err ? err.violations : undefined;
    return {
      status: HTTP_STATUS[err.code],
      body: {
        error: err.code.toLowerCase(),
        message: err.message,
        ...(violations !== undefined && { violations }),
      },
    };
  }
  return { status: 500, body: { error: "internal", message: "internal error" } };
}

/** Returns a handler for the ops server: true when it answered the request. */
export function killSwitchHttp(
  options: KillSwitchHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { service, verifier } = options;
  const now = options.now ?? Date.now;
  const caller = async (req: IncomingMessage): Promise<Person> =>
    personOf(await verifier.verify(bearerFrom(req.headers.authorization)));

  const emergencyStop = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === "GET") {
      await caller(req);
      send(res, 200, statusToWire(await service.status()));
      return;
    }
    if (req.method !== "POST")
      throw new HttpError(405, {
        error: "method_not_allowed",
        message: "use POST (activate) or GET (status)",
      });
    const person = await caller(req);
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
      throw new HttpError(415, {
        error: "unsupported_media_type",
        message: "content-type must be application/json",
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, { error: "invalid_argument", message: "body: not valid JSON" });
    }
    const parsed = StopBody.safeParse(json);
    if (!parsed.success) {
      const violations = parsed.error.issues.map((i) => ({
        field: i.path.map(String).join(".") || "body",
        reason: i.message,
      }));
      const message = violations.map((v) => `${v.field}: ${v.reason}`).join("; ");
      await service.refused("activate", person, message);
      throw new HttpError(400, { error: "invalid_argument", message, violations });
    }
    let scopes;
    try {
      scopes = parsed.data.scopes.map((s, i) => parseScope(s, `scopes[${i}]`));
    } catch (err) {
      if (err instanceof Error) await service.refused("activate", person, err.message);
      throw err;
    }
    const result = await service.activate(person, { scopes, reason: parsed.data.reason });
    send(res, result.activated.length > 0 ? 201 : 200, {
      activated: result.activated.map((r) => describeScope(r.scope)),
      alreadyActive: result.alreadyActive.map((r) => describeScope(r.scope)),
      ...statusToWire(await service.status()),
    });
  };

  const slashCommand = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const slack = options.slack;
    if (slack === undefined)
      throw new HttpError(404, { error: "not_found", message: "the chat command is not configured" });
    if (req.method !== "POST") throw new HttpError(405, { error: "method_not_allowed", message: "use POST" });
    const body = await readBody(req);
    const timestamp = req.headers["x-slack-request-timestamp"];
    const signature = req.headers["x-slack-signature"];
    const check = verifySlackSignature({
      secret: slack.signingSecret,
      timestamp: typeof timestamp === "string" ? timestamp : undefined,
      signature: typeof signature === "string" ? signature : undefined,
      body,
      nowMs: now(),
    });
    if (!check.ok) {
      await service.refused("activate", undefined, `chat command refused: ${check.reason}: ${check.detail}`);
      throw new HttpError(401, { error: `signature_${check.reason}`, message: check.detail });
    }
    if (!(await slack.replays.firstUse(String(signature), 2 * SLACK_MAX_SKEW_SECONDS * 1000))) {
      await service.refused("activate", undefined, "chat command refused: replayed request");
      throw new HttpError(401, { error: "replayed", message: "this signed request was already used" });
    }
    const form = new URLSearchParams(body);
    const userId = form.get("user_id") ?? "";
    const person = slack.users.get(userId);
    const reply = (text: string, inChannel = false) =>
      send(res, 200, { response_type: inChannel ? "in_channel" : "ephemeral", text });
    if (person === undefined) {
      await service.refused(
        "activate",
        undefined,
        `chat user ${userId || "(none)"} is not mapped to a Warden identity`,
      );
      reply(`Refused: chat user ${userId || "(none)"} is not mapped to a Warden identity (SLACK_USERS).`);
      return;
    }
    try {
      const command = parseSlashCommand(form.get("text") ?? "");
      if (command.kind === "status") {
        const status = await service.status();
        const active = status.scopes.filter((r) => r.active).map((r) => describeScope(r.scope));
        reply(
          `Emergency stop epoch ${status.epoch}: ${active.length === 0 ? "nothing stopped" : `stopped: ${active.join(", ")}`}.`,
        );
        return;
      }
      const result = await service.activate(person, { scopes: command.scopes, reason: command.reason });
      reply(
        `:octagonal_sign: Emergency stop by ${person.id} (epoch ${result.epoch}): ${[...result.activated, ...result.alreadyActive].map((r) => describeScope(r.scope)).join(", ")} — ${command.reason}`,
        true,
      );
    } catch (err) {
      if (!isWardenError(err) && !(err instanceof PermissionError)) throw err;
      // The service recorded the refusal; Slack shows the message to the caller only.
      reply(`Refused: ${err.message}${err.message.includes("usage:") ? "" : `\n${SLASH_USAGE}`}`);
    }
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    "/api/emergency-stop": emergencyStop,
    "/api/slack/command": slashCommand,
  };
  return async (req, res) => {
    const route = routes[new URL(req.url ?? "/", "http://kill-switch").pathname];
    if (route === undefined) return false;
    try {
      await route(req, res);
    } catch (err) {
      const { status, body } = errorBody(err);
      if (status >= 500)
        options.log?.error({ err, path: req.url, method: req.method }, "emergency-stop HTTP request failed");
      if (!res.headersSent) send(res, status, body);
      else res.end();
    }
    return true;
  };
}
