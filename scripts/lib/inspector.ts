/**
 * A minimal Chrome DevTools Protocol client for workerd's `--inspector-addr` (Node 20 needs
 * `--experimental-websocket` for its global WebSocket). Used by the bench's profilers and by the
 * e2e tests that read the gateway's heap.
 */
interface MiniSocket {
  onmessage: (e: { data: unknown }) => void;
  onopen: () => void;
  onerror: (e: unknown) => void;
  send(data: string): void;
  close(): void;
}

export interface InspectorSession {
  /** Sends a method and resolves with its `result`. */
  call(method: string, params?: object): Promise<Record<string, unknown>>;
  close(): void;
}

/** Connects to an inspector target; `onEvent` receives the protocol's events (messages without an id). */
export async function connectInspector(
  url: string,
  onEvent: (method: string, params: Record<string, unknown>) => void = () => {},
): Promise<InspectorSession> {
  // Node's global WebSocket (the tsconfig types it as the Workers one, which differs).
  const ws = new (globalThis as unknown as { WebSocket: new (u: string) => MiniSocket }).WebSocket(url);
  let nextId = 1;
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data));
    if (msg.id === undefined) onEvent(msg.method, msg.params ?? {});
    else {
      waiting.get(msg.id)?.(msg.result ?? {});
      waiting.delete(msg.id);
    }
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/**
 * A heap snapshot of the inspected isolate, as its JSON text. V8 collects all garbage before it
 * takes one, so what the snapshot holds is what is really kept alive.
 */
export async function takeHeapSnapshot(url: string): Promise<string> {
  const chunks: string[] = [];
  const session = await connectInspector(url, (method, params) => {
    if (method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(String(params.chunk));
  });
  try {
    await session.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    return chunks.join("");
  } finally {
    session.close();
  }
}
