// The peer for request-reply benchmarks: a bare NATS responder in its own process that answers
// every request with its own payload. Usage: node echo-responder.ts <nats-url> <subject> <queue>
import { connect } from "@nats-io/transport-node";

const [url, subject, queue] = process.argv.slice(2);
if (url === undefined || subject === undefined || queue === undefined) {
  process.stderr.write("usage: echo-responder.ts <nats-url> <subject> <queue>\n");
  process.exit(2);
}
const nc = await connect({ servers: url, name: "bench-echo" });
nc.subscribe(subject, {
  queue,
  callback: (_err, msg) => {
    msg.respond(msg.data);
  },
});
await nc.flush();
process.stdout.write("ready\n");
process.on("SIGTERM", () => void nc.drain().then(() => process.exit(0)));
