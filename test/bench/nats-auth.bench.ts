// Cost per connection of the NATS authentication candidates (ADR 0013-nats-identities), each
// against its own nats-server on loopback, connects interleaved round-robin so every candidate sees
// the same machine load. One sample = connect (handshake + auth) + flush (a round trip) + close.
//
//   node test/bench/nats-auth.bench.ts [--connects 200]
//
// Candidates:
//   none      no authentication (the baseline)
//   static    a user / password with the agent's permissions in the server config
//   jwt       decentralized JWT: operator mode, `full` resolver, user JWT + nkey signature (chosen)
//   callout   auth callout: the server asks a responder (here in-process, on its own connection) to
//             turn the connect options into a user JWT with the same permissions
import { parseArgs } from "node:util";
import { Algorithms, createAccount, decode, encodeAuthorizationResponse, encodeUser } from "@nats-io/jwt";
import type { AuthorizationRequest } from "@nats-io/jwt";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import type { ConnectionOptions } from "@nats-io/transport-node";
import { createNatsAuthority, issueUser, parseIdentity, permissionsFor } from "@warden/nats-auth";
import { startNats, type NatsServer } from "@warden/testing";
import { formatNs, percentile } from "./lib/stats.ts";

const { values: args } = parseArgs({ options: { connects: { type: "string", default: "200" } } });
const connects = Number(args.connects);

const identity = parseIdentity("agent:deploy-bot");
const perms = permissionsFor(identity);

// --- static users: the permissions written into the server config --------------------------------
const staticConfig = `authorization {
  users: [
    { user: "deploy-bot", password: "s3cret", permissions: ${JSON.stringify({
      publish: perms.pub,
      subscribe: perms.sub,
    })} }
  ]
}`;

// --- auth callout: an issuer account key signs the per-connection user JWT ----------------------
const calloutIssuer = createAccount();
const authority = createNatsAuthority();
const calloutConfig = `accounts {
  AUTH: { users: [ { user: "auth", password: "auth" } ] }
  APP: { jetstream: enabled }
}
authorization {
  auth_callout {
    issuer: ${calloutIssuer.getPublicKey()}
    auth_users: [ "auth" ]
    account: AUTH
  }
}`;

async function probeConnect(url: string, options: Partial<ConnectionOptions>): Promise<void> {
  const nc = await connect({ servers: url, timeout: 1_000, reconnect: false, ...options });
  await nc.close();
}

/** The callout responder: every connect request becomes a user JWT with the agent's permissions. */
async function startCallout(url: string): Promise<() => Promise<void>> {
  const nc = await connect({ servers: url, user: "auth", pass: "auth", noAsyncTraces: true });
  nc.subscribe("$SYS.REQ.USER.AUTH", {
    callback: (_err, msg) => {
      void (async () => {
        const request = decode<AuthorizationRequest>(msg.string()).nats as AuthorizationRequest;
        const ok = request.connect_opts.user === "deploy-bot" && request.connect_opts.pass === "s3cret";
        const user = ok
          ? await encodeUser(
              "deploy-bot",
              request.user_nkey,
              calloutIssuer,
              { pub: perms.pub, sub: perms.sub },
              { algorithm: Algorithms.v2, aud: "APP" },
            )
          : undefined;
        msg.respond(
          await encodeAuthorizationResponse(
            request.user_nkey,
            request.server_id.id,
            calloutIssuer,
            ok ? { jwt: user } : { error: "not authorized" },
            {},
          ),
        );
      })();
    },
  });
  await nc.flush();
  return () => nc.drain();
}

const servers: { name: string; server: NatsServer; options: Partial<ConnectionOptions> }[] = [];
let stopCallout: (() => Promise<void>) | undefined;
try {
  const agentCreds = (await issueUser(authority, identity)).creds;
  const password = { user: "deploy-bot", pass: "s3cret" };
  servers.push({ name: "none", server: await startNats(), options: {} });
  servers.push({
    name: "static",
    server: await startNats({ extraConfig: staticConfig, probe: (u) => probeConnect(u, password) }),
    options: password,
  });
  servers.push({
    name: "jwt",
    server: await startNats({ auth: authority }),
    options: { authenticator: credsAuthenticator(new TextEncoder().encode(agentCreds)) },
  });
  const callout = await startNats({
    extraConfig: calloutConfig,
    probe: (u) => probeConnect(u, { user: "auth", pass: "auth" }),
  });
  servers.push({ name: "callout", server: callout, options: password });
  stopCallout = await startCallout(callout.url);

  const samples = new Map(servers.map((s) => [s.name, new Float64Array(connects)]));
  const once = async (s: (typeof servers)[number]): Promise<number> => {
    const started = process.hrtime.bigint();
    const nc = await connect({ servers: s.server.url, reconnect: false, noAsyncTraces: true, ...s.options });
    await nc.flush();
    const elapsed = Number(process.hrtime.bigint() - started);
    await nc.close();
    return elapsed;
  };
  for (const s of servers) for (let i = 0; i < 10; i++) await once(s); // warm-up
  for (let i = 0; i < connects; i++) {
    for (const s of servers) {
      const out = samples.get(s.name);
      if (out !== undefined) out[i] = await once(s);
    }
  }
  const base = [...(samples.get("none") ?? [])].sort((a, b) => a - b);
  const baseP50 = percentile(Float64Array.from(base), 50);
  console.log(`${connects} connects each (connect + flush), interleaved, loopback, one nats-server each`);
  console.log("| candidate | p50 | p99 | p50 vs none |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const s of servers) {
    const sorted = Float64Array.from([...(samples.get(s.name) ?? [])].sort((a, b) => a - b));
    const p50 = percentile(sorted, 50);
    console.log(
      `| ${s.name} | ${formatNs(p50)} | ${formatNs(percentile(sorted, 99))} | ${(p50 / baseP50).toFixed(2)}× |`,
    );
  }
} finally {
  await stopCallout?.();
  for (const s of servers) await s.server.stop();
}
