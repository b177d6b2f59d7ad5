// Preloaded into the LLM fixture server by the provider bench (node --import this file):
// stamps the moment the fixture writes the first chunk of a streamed answer, so that the bench
// can tell how long that chunk took to reach a client, directly or as a task_progress event
// through gleitzeitd. The fixture itself stays as it is; this only wraps ServerResponse.write.
//
// Each stamp is a line "first_chunk <ns>" on stderr, <ns> from process.hrtime.bigint(): Linux's
// CLOCK_MONOTONIC, one clock for every process on the machine, so the bench can subtract it
// from its own hrtime.
import { ServerResponse } from "node:http";

const write = ServerResponse.prototype.write;
ServerResponse.prototype.write = function (...args) {
  // _header is the header block writeHead stored; getHeader() misses headers given to writeHead.
  if (this.benchStamped || !/ndjson|event-stream/.test(String(this._header ?? ""))) return write.apply(this, args);
  this.benchStamped = true;
  const at = process.hrtime.bigint();
  const r = write.apply(this, args); // the chunk leaves first; the stamp line must not delay it
  process.stderr.write(`first_chunk ${at}\n`);
  return r;
};
