import { stopStoreContract } from "../../testing/stop-store-contract.ts";
import { createInMemoryStopStore } from "./in-memory-stop-store.ts";

stopStoreContract("in memory", () => Promise.resolve(createInMemoryStopStore()));
