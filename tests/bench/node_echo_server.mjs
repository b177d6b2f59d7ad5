// The reference server of `make bench`: npm socket.io 4.8 as a user would run it, with
// every default (the `ws` engine, polling + websocket), acking `echo` with its arguments.
// It is the yardstick Gleitzeit's echo server is compared against, so keep it untuned.
//
//   node tests/bench/node_echo_server.mjs --port N      (0 picks a free port)
//
// Prints "listening on 127.0.0.1:PORT" once it accepts connections; SIGTERM or SIGINT stop it.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`node_echo_server: bad --port ${values.port}`);
  process.exit(2);
}

const httpServer = createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
});

httpServer.on("error", (err) => {
  console.error(`node_echo_server: ${err.message}`);
  process.exit(1);
});
httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
});

// io.close() closes every client and the HTTP server; the timer only guards against a
// close that hangs (thousands of sockets), since the bench waits for this process to end.
function stop() {
  setTimeout(() => process.exit(0), 2000).unref();
  io.close(() => process.exit(0));
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
