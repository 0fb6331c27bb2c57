// The chat slash command's text: `<scope>[,<scope>…] <reason…>`, e.g.
// `/emergency-stop environment:production agent loops on refunds`. `status` asks for the state.
import { InvalidArgumentError } from "@warden/grpc/errors";
import { parseScope } from "./scope.ts";
import type { Scope } from "./scope.ts";

export const SLASH_USAGE =
  "usage: /emergency-stop <global|environment:NAME|agent:ID|service:NAME>[,…] <reason>";

export type SlashCommand = { kind: "status" } | { kind: "activate"; scopes: Scope[]; reason: string };

export function parseSlashCommand(text: string): SlashCommand {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "status") return { kind: "status" };
  const space = trimmed.search(/\s/);
  const head = space === -1 ? trimmed : trimmed.slice(0, space);
  const reason = space === -1 ? "" : trimmed.slice(space).trim();
  const scopes = head.split(",").map((part, i) => parseScope(part, `text scope ${i + 1}`));
  if (reason === "")
    throw new InvalidArgumentError("text", `a reason is required after the scopes; ${SLASH_USAGE}`);
  return { kind: "activate", scopes, reason };
}
