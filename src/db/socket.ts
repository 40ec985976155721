/**
 * The TCP socket postgres.js uses inside workerd, given through its `socket` option: the library's
 * own Workers socket (postgres/cf/polyfills.js) raises an unhandled rejection, "Stream was
 * cancelled.", whenever a connection is closed while its request is still running — `sql.end()`,
 * `idle_timeout`, `max_lifetime` alike (porsager/postgres#1202, STACK-NOTES G5). The cause: the
 * connection drops all its listeners on close, then the pending read rejects and is re-emitted as
 * an 'error' event nobody listens to. This socket is the same thin adapter over
 * `cloudflare:sockets`, except that an error with no listener left (a read cancelled by our own
 * close) is dropped instead of thrown.
 *
 * Only for plain TCP: with TLS postgres.js swaps in its own TLS wrapper around the polyfill's
 * internals, so clients that ask for TLS keep the library's socket (see client.ts).
 */
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";

/** The part of postgres.js's parsed options this factory reads. */
export interface SocketTarget {
  host: readonly string[];
  port: readonly number[];
}

/** Opens a connection to the first host (Hyperdrive gives exactly one). */
export async function workerdSocket(target: SocketTarget) {
  const { connect } = await import("cloudflare:sockets");
  const host = target.host[0] ?? "localhost";
  const port = target.port[0] ?? 5432;
  const raw = connect({ hostname: host, port });
  const writer = raw.writable.getWriter();
  const reader = raw.readable.getReader();

  const socket = Object.assign(new EventEmitter(), {
    readyState: "open" as "open" | "closed",
    // postgres.js names the address in its connection errors.
    host,
    port,
    write(data: Uint8Array, done?: () => void): boolean {
      writer.write(data).then(done, fail);
      return true;
    },
    /** postgres.js ends a connection with its Terminate message, then expects 'close'. */
    end(data?: Uint8Array): void {
      if (data) socket.write(data, () => void raw.close().catch(fail));
      else void raw.close().catch(fail);
    },
    destroy(): void {
      socket.end();
    },
  });

  function fail(error: unknown): void {
    // An 'error' event without a listener throws: after postgres.js let go of this socket
    // (removeAllListeners on close) a failure is nobody's to handle, so it is not raised.
    if (socket.listenerCount("error") > 0) socket.emit("error", error);
    closed();
  }

  function closed(): void {
    if (socket.readyState === "closed") return;
    socket.readyState = "closed";
    socket.emit("close");
  }

  raw.closed.then(closed, fail);
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // A fresh chunk per read: wrap it, no copy.
        socket.emit("data", Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (error) {
      fail(error);
    }
  })();
  return socket;
}
