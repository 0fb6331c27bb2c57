"""Ask Warden's policy service for a decision over plain NATS, without the TypeScript SDK.

The wire: a NATS request on `[<namespace>.]wardenrpc.policy.evaluate.<agent-id>` whose body is the
proto3 JSON of warden.common.v1.ActionRequest; the reply is
`{"ok": true, "result": <warden.policy.v1.Decision JSON>}` or
`{"ok": false, "error": {"code", "message", "issues"}}`. The subject's last token is the agent's
identity (NATS permissions bind it), so `agentId` in the body must be the same.

    pip install -r requirements.txt
    python agent.py --nats nats://127.0.0.1:4222 --agent release-pipeline

Prints the decision as one JSON line; exit code 0 allow, 1 deny, 2 approval required, 3 no answer.
"""

import argparse
import asyncio
import json
import sys
import uuid

import nats
from nats.errors import NoRespondersError, TimeoutError


async def main() -> int:
    parser = argparse.ArgumentParser(description="Ask Warden's policy for a decision.")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222", help="NATS server URL")
    parser.add_argument("--namespace", default="", help="Warden topology namespace (default none)")
    parser.add_argument("--agent", default="release-pipeline", help="the agent's id")
    parser.add_argument("--action", default="change.deploy")
    parser.add_argument("--environment", default="ENVIRONMENT_STAGING")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for the policy")
    parser.add_argument("--creds", default=None, help="the agent's NATS .creds file (auth on)")
    args = parser.parse_args()

    prefix = f"{args.namespace}." if args.namespace else ""
    subject = f"{prefix}wardenrpc.policy.evaluate.{args.agent}"
    request = {
        "actionId": str(uuid.uuid4()),
        "agentId": args.agent,
        "action": args.action,
        "changeType": "CHANGE_TYPE_CODE",
        "environment": args.environment,
        "versionChange": "VERSION_CHANGE_PATCH",
    }

    # Replies come to the agent's own inbox, so permissions can keep agents out of each other's.
    inbox = f"_INBOX_AGENT.{args.namespace}.{args.agent}" if args.namespace else f"_INBOX_AGENT.{args.agent}"
    options = {"inbox_prefix": inbox.encode()}
    if args.creds:
        options["user_credentials"] = args.creds
    nc = await nats.connect(args.nats, **options)
    try:
        msg = await nc.request(subject, json.dumps(request).encode(), timeout=args.timeout)
    except (NoRespondersError, TimeoutError) as err:
        # Fail closed: no answer means not allowed.
        print(json.dumps({"error": type(err).__name__, "subject": subject}))
        return 3
    finally:
        await nc.drain()

    reply = json.loads(msg.data)
    if not reply.get("ok"):
        print(json.dumps({"error": reply.get("error")}))
        return 3
    decision = reply["result"]
    print(json.dumps({
        "actionId": decision.get("actionId"),
        "outcome": decision.get("outcome"),
        "reasons": decision.get("reasons", []),
        "requestDigest": decision.get("requestDigest"),
    }))
    return {"OUTCOME_ALLOW": 0, "OUTCOME_DENY": 1, "OUTCOME_APPROVAL_REQUIRED": 2}.get(decision.get("outcome"), 3)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
