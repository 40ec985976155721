// Ways to pass an upstream SSE body through JavaScript, shared by the bench's floors
// (floor-worker.mjs: floor-js-pump, floor-js-rewrite) and the experiments in stream-variants/.

/** The upstream's bytes, unchanged, into an IdentityTransformStream (workerd pumps its readable natively). */
export function throughIdentityStream(upstream, queuingStrategy) {
  const { readable, writable } = new IdentityTransformStream(queuingStrategy);
  const writer = writable.getWriter();
  (async () => {
    const reader = upstream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) await writer.write(r.value);
    await writer.close();
  })().catch(() => {});
  return readable;
}

/** A JS ReadableStream the caller pushes into, as Switchyard's response body is (src/routing/respond.ts). */
export function jsStream() {
  let controller;
  const readable = new ReadableStream(
    {
      start(c) {
        controller = c;
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
  return { readable, controller };
}

/** The upstream's bytes, unchanged, into a JS ReadableStream. */
export function throughJsStream(upstream) {
  const { readable, controller } = jsStream();
  (async () => {
    const reader = upstream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) controller.enqueue(r.value);
    controller.close();
  })().catch(() => {});
  return readable;
}

/**
 * The least a gateway that stamps its chunks does per event: split on blank lines, JSON.parse
 * each `data: {…}`, let `stamp` change it in place, serialise, and `write` each read's frames as
 * one encoded chunk. No SSE edge cases (CRLF, multi-line data), no translation, no usage.
 */
export async function stampEvents(upstream, write, stamp) {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const reader = upstream.getReader();
  let carry = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    carry += decoder.decode(r.value, { stream: true });
    let out = "";
    for (let end = carry.indexOf("\n\n"); end !== -1; end = carry.indexOf("\n\n")) {
      const event = carry.slice(0, end);
      carry = carry.slice(end + 2);
      if (event.startsWith("data: {")) {
        const chunk = JSON.parse(event.slice(6));
        stamp(chunk);
        out += `data: ${JSON.stringify(chunk)}\n\n`;
      } else out += `${event}\n\n`;
    }
    if (out === "") continue;
    const written = write(encoder.encode(out)); // a promise from a stream writer, nothing from a controller
    if (written) await written;
  }
}
