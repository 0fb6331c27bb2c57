// Vitest global setup for the integration and e2e projects (vitest.config.ts): one NATS, one
// Temporal dev server and one Mongo-wire server per run. Each is reused when its env var names a
// running one (NATS_URL, TEMPORAL_ADDRESS, MONGO_URL), else started here and stopped in teardown.
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

const nats: Dependency = {
  envVar: "NATS_URL",
  answers: natsAnswers,
  start: async () => {
    const server = await startNats();
    return { server, address: server.url };
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
  });
  return () => owned.disposeAsync();
}
