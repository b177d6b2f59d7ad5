// The reference server for testing Gleitzeit's C++ Socket.IO client: npm socket.io 4.8
// with long-polling and WebSocket, on namespaces "/" and "/custom", each behaving the same:
//
//   middleware        refuses the connection when handshake auth has `refuse` set, with
//                     message "refused by reference" and the auth as the error's data
//   on connection     emits `auth` with the handshake auth
//   message           emits `message-back` with the same arguments
//   message-with-ack  acks with the same arguments
//   server-ask        (event, ...args, ack): emits `event` with args to the client and asks
//                     for an ack within 2 s; acks the client's reply arguments, or
//                     {timeout: true} when the client did not answer
//   disconnect-me     the server disconnects the socket
//
//   node tests/interop/node/ref_server.mjs --port N      (0 picks a free port)
//
// Prints "listening on 127.0.0.1:PORT" once it accepts connections; SIGTERM or SIGINT stop it.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`ref_server: bad --port ${values.port}`);
  process.exit(2);
}

const httpServer = createServer();
const io = new Server(httpServer, { transports: ["polling", "websocket"] });

/** Splits a trailing ack callback off an event's arguments. */
function splitAck(args) {
  const ack = typeof args.at(-1) === "function" ? args.pop() : null;
  return [args, ack];
}

for (const name of ["/", "/custom"]) {
  const nsp = io.of(name);

  nsp.use((socket, next) => {
    if (socket.handshake.auth.refuse) {
      const err = new Error("refused by reference");
      err.data = socket.handshake.auth;
      next(err);
    } else {
      next();
    }
  });

  nsp.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);

    socket.on("message", (...args) => socket.emit("message-back", ...args));

    socket.on("message-with-ack", (...all) => {
      const [args, ack] = splitAck(all);
      ack?.(...args);
    });

    socket.on("server-ask", (event, ...rest) => {
      const [args, ack] = splitAck(rest);
      if (!ack || typeof event !== "string") return;
      socket.timeout(2000).emit(event, ...args, (err, ...reply) => {
        if (err) ack({ timeout: true });
        else ack(...reply);
      });
    });

    socket.on("disconnect-me", () => socket.disconnect());
  });
}

httpServer.on("error", (err) => {
  console.error(`ref_server: ${err.message}`);
  process.exit(1);
});
httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
});

// The timer guards against a close that hangs, so a test's teardown never waits long.
function stop() {
  setTimeout(() => process.exit(0), 2000).unref();
  io.close(() => process.exit(0));
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
