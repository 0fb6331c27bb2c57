// Vitest global setup for the integration and e2e projects (vitest.config.ts): one NATS, one
// Temporal dev server and one Mongo-wire server per run. Each is reused when its env var names a
// running one (NATS_URL, TEMPORAL_ADDRESS, MONGO_URL), else started here and stopped in teardown.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { credsAuthenticator } from "@nats-io/transport-node";
import {
  createNatsAuthority,
  issueUser,
  loadNatsAuthority,
  parseIdentity,
  saveNatsAuthority,
} from "@warden/nats-auth";
import type { TestProject } from "vitest/node";
import { mongoAnswers, startMongo } from "./mongo.ts";
import { natsAnswers, startNats } from "./nats.ts";
import type { ServerHandle } from "./server-process.ts";
import { startTemporalDev, temporalAnswers } from "./temporal-dev.ts";

interface Dependency {
  envVar: string;
  answers: (address: string) => Promise<void>;
  start: () => Promise<{ server: ServerHandle; address: string }>;
}

// NATS runs with authentication on (operator mode): the harness's authority lives in a temp dir
// for the run; tests mint credentials from it (natsCredentials). A server reused through NATS_URL
// is taken with the authority in WARDEN_NATS_AUTH_DIR, else `.warden/` when `make up` wrote one
// there, else as a server without authentication.
const repoWarden = fileURLToPath(new URL("../../../.warden", import.meta.url));
let natsAuthDir = "";

async function adminAuthenticator(dir: string) {
  const authority = loadNatsAuthority(dir);
  if (authority === undefined) return undefined;
  const { creds } = await issueUser(authority, parseIdentity("test-admin"));
  return credsAuthenticator(new TextEncoder().encode(creds));
}

const nats: Dependency = {
  envVar: "NATS_URL",
  answers: async (url) => {
    const given = process.env["WARDEN_NATS_AUTH_DIR"];
    natsAuthDir =
      given !== undefined && given !== ""
        ? given
        : existsSync(join(repoWarden, "nats-authority.json"))
          ? repoWarden
          : "";
    await natsAnswers(url, natsAuthDir === "" ? undefined : await adminAuthenticator(natsAuthDir));
  },
  start: async () => {
    const dir = await mkdtemp(join(tmpdir(), "warden-nats-auth-"));
    const authority = createNatsAuthority();
    saveNatsAuthority(authority, dir);
    natsAuthDir = dir;
    const started = await startNats({ auth: authority });
    const server = {
      ...started,
      stop: async () => {
        await started.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return { server: { ...server, [Symbol.asyncDispose]: server.stop }, address: started.url };
  },
};
const temporal: Dependency = {
  envVar: "TEMPORAL_ADDRESS",
  answers: temporalAnswers,
  start: async () => {
    const server = await startTemporalDev();
    return { server, address: server.address };
  },
};
const mongo: Dependency = {
  envVar: "MONGO_URL",
  answers: mongoAnswers,
  start: async () => {
    const server = await startMongo();
    return { server, address: server.url };
  },
};

/** The address from the env var when that server answers, else one we start (and own). */
async function resolve(dep: Dependency, owned: AsyncDisposableStack): Promise<string> {
  const given = process.env[dep.envVar];
  if (given !== undefined && given !== "") {
    await dep.answers(given).catch((err: unknown) => {
      throw new Error(
        `${dep.envVar}=${given} does not answer; unset it to let the tests start their own server`,
        { cause: err },
      );
    });
    return given;
  }
  const { server, address } = await dep.start();
  owned.use(server);
  return address;
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const owned = new AsyncDisposableStack();
  const [natsUrl, temporalAddress, mongoUrl] = await Promise.allSettled(
    [nats, temporal, mongo].map((dep) => resolve(dep, owned)),
  );
  if (
    natsUrl?.status !== "fulfilled" ||
    temporalAddress?.status !== "fulfilled" ||
    mongoUrl?.status !== "fulfilled"
  ) {
    await owned.disposeAsync();
    const failure = [natsUrl, temporalAddress, mongoUrl].find((r) => r?.status === "rejected");
    throw failure?.reason;
  }
  project.provide("wardenServers", {
    natsUrl: natsUrl.value,
    temporalAddress: temporalAddress.value,
    mongoUrl: mongoUrl.value,
    natsAuthDir,
  });
  return () => owned.disposeAsync();
}
