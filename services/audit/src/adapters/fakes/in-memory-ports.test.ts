// The in-memory RecordPublisher and RecordFeed against their contracts;
// test/record-stream-contract.test.ts runs the same suites against the NATS adapters.
import {
  describeRecordFeedContract,
  describeRecordPublisherContract,
} from "../../testing/record-publisher-contract.ts";
import { InMemoryRecordFeed, InMemoryRecordPublisher } from "./in-memory-ports.ts";

describeRecordPublisherContract("InMemoryRecordPublisher", () => {
  const publisher = new InMemoryRecordPublisher();
  return Promise.resolve({
    publisher,
    stored: () =>
      Promise.resolve({ records: [...publisher.records], checkpoints: [...publisher.checkpoints] }),
  });
});

describeRecordFeedContract("InMemoryRecordFeed", () => {
  const feed = new InMemoryRecordFeed();
  return Promise.resolve({
    feed,
    publish: (records) => {
      for (const r of records) feed.push(r);
      return Promise.resolve();
    },
  });
});
