import { createParser } from "eventsource-parser";

export interface ParsedStream {
  /** Every `data:` payload except `[DONE]`, parsed. */
  events: Record<string, unknown>[];
  done: boolean;
  /** Raw `:` comment lines seen (keep-alives). */
  comments: number;
  raw: string;
}

/** Reads a whole SSE response the way a careful client does. */
export async function readSse(res: Response): Promise<ParsedStream> {
  const raw = await res.text();
  const out: ParsedStream = { events: [], done: false, comments: 0, raw };
  const parser = createParser({
    onEvent(event) {
      if (event.data === "[DONE]") out.done = true;
      else out.events.push(JSON.parse(event.data) as Record<string, unknown>);
    },
    onComment() {
      out.comments++;
    },
  });
  parser.feed(raw);
  return out;
}
