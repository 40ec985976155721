/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum AWS event-stream frames
 * carry twice: over the 8-byte prelude and over the whole message. Small table implementation so
 * the Worker bundle needs no zlib.
 *
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html (event-stream encoding)
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes[start, end)`, as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
