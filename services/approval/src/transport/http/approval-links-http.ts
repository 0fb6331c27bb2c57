// HTTP endpoints of the signed approval links, served on the approval ops port:
//   GET  /approvals/links/<token>   the confirmation page; never votes (chat clients prefetch links)
//   POST /approvals/links/<token>   the form of that page (x-www-form-urlencoded: token, comment,
//                                   bearer) votes once. CSRF: Origin (else Referer) must be the
//                                   configured public origin, and the form's token must be the path's.
// Refusals answer a page naming the reason, with 400/401/403/409/410 (see README).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { AuthError, bearerFrom } from "@warden/identity";
import type { LinkRefusalReason } from "../../domain/approval-notice.ts";
import type { LinkRefused, LinkVotes } from "../../app/link-votes.ts";
import { confirmationPage, refusalPage, resultPage } from "./link-pages.ts";

export const APPROVAL_LINK_PATH = "/approvals/links/";
export const MAX_FORM_BYTES = 16 * 1024;

/** The absolute URL of a link token under the public base URL. */
export function approvalLinkUrl(baseUrl: string): (token: string) => string {
  return (token) => new URL(`${APPROVAL_LINK_PATH}${token}`, baseUrl).href;
}

const STATUS: Record<LinkRefusalReason, number> = {
  malformed: 400,
  invalid_input: 400,
  unauthenticated: 401,
  tampered: 403,
  wrong_approver: 403,
  forbidden_origin: 403,
  reused: 409,
  vote_refused: 409,
  expired: 410,
};

export function statusOf(refused: LinkRefused): number {
  if (refused.refusal.reason === "vote_refused" && refused.forbidden === true) return 403;
  return STATUS[refused.refusal.reason];
}

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function sendPage(
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...HEADERS, ...extra });
  res.end(body);
}

class TooLarge extends Error {}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_FORM_BYTES) throw new TooLarge();
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export interface ApprovalLinksHttpOptions {
  links: LinkVotes;
  /** APPROVAL_LINK_BASE_URL: its origin is the only one a vote may come from. */
  baseUrl: string;
  log?: Pick<Logger, "error"> | undefined;
}

/** Returns a handler for the ops server: true when it answered the request. */
export function approvalLinksHttp(
  options: ApprovalLinksHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const origin = new URL(options.baseUrl).origin;
  const { links } = options;

  const sameOrigin = (req: IncomingMessage): boolean => {
    const given = req.headers.origin;
    // "null" (opaque origin) and an empty header say nothing: fall back to the Referer.
    if (typeof given === "string" && given !== "" && given !== "null") return given === origin;
    const referer = req.headers.referer;
    return typeof referer === "string" && URL.canParse(referer) && new URL(referer).origin === origin;
  };

  const refused = (res: ServerResponse, r: LinkRefused) => sendPage(res, statusOf(r), refusalPage(r.refusal));

  const show = async (res: ServerResponse, path: string, token: string): Promise<void> => {
    const seen = await links.inspect(token);
    if (!seen.ok) {
      refused(res, seen);
      return;
    }
    sendPage(res, 200, confirmationPage({ ...seen, action: path, token }));
  };

  const vote = async (req: IncomingMessage, res: ServerResponse, token: string): Promise<void> => {
    if (!sameOrigin(req)) {
      const origin = req.headers.origin ?? req.headers.referer ?? "none";
      refused(
        res,
        await links.refuse({
          reason: "forbidden_origin",
          message: `votes are accepted only from the confirmation page (origin ${String(origin).slice(0, 100)})`,
        }),
      );
      return;
    }
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "")) {
      refused(
        res,
        await links.refuse({ reason: "invalid_input", message: "the vote must come from the page's form" }),
      );
      return;
    }
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      refused(
        res,
        await links.refuse({ reason: "invalid_input", message: `the form exceeds ${MAX_FORM_BYTES} bytes` }),
      );
      return;
    }
    if (form.get("token") !== token) {
      refused(
        res,
        await links.refuse({
          reason: "forbidden_origin",
          message: "token: the form does not belong to this link",
        }),
      );
      return;
    }
    let bearer = form.get("bearer") ?? undefined;
    if (req.headers.authorization !== undefined) {
      try {
        bearer = bearerFrom(req.headers.authorization);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        refused(res, await links.refuse({ reason: "unauthenticated", message: err.message }));
        return;
      }
    }
    const cast = await links.cast({ token, bearer, comment: form.get("comment") ?? undefined });
    if (!cast.ok) {
      refused(res, cast);
      return;
    }
    sendPage(res, 200, resultPage(cast.claims, cast.approval));
  };

  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://approval").pathname;
    if (!path.startsWith(APPROVAL_LINK_PATH)) return false;
    // A link token is base64url and dots: nothing to decode; anything else fails verification.
    const token = path.slice(APPROVAL_LINK_PATH.length);
    try {
      if (req.method === "GET" || req.method === "HEAD") await show(res, path, token);
      else if (req.method === "POST") await vote(req, res, token);
      else
        sendPage(
          res,
          405,
          refusalPage({ reason: "invalid_input", message: "use GET (the page) or POST (its form)" }),
          { allow: "GET, HEAD, POST" },
        );
    } catch (err) {
      options.log?.error(
        { err: { name: (err as Error).name, message: (err as Error).message }, method: req.method },
        "approval link request failed",
      );
      if (!res.headersSent)
        sendPage(
          res,
          503,
          refusalPage({
            reason: "vote_refused",
            message:
              "the approval service could not be reached; nothing was counted, try the link again shortly",
          }),
        );
      else res.end();
    }
    return true;
  };
}
