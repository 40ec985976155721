/**
 * Sticky provider routing for prompt caching (API.md b10): a conversation stays on the provider
 * that served it, so that provider's prompt cache keeps hitting. Scope: account × model ×
 * conversation. Held in the isolate, like the free-tier limiter: exact per isolate, and a request
 * that lands on another isolate is routed as a new conversation (a cache miss, never an error).
 *
 * What is remembered is the provider slug and when it last served; never the prompt.
 */
import type { ChatRequest, Message } from "../schema/chat-request";

/** Inactivity after which a conversation is routed afresh (b10: 10 minutes). */
export const STICKY_TTL_MS = 10 * 60_000;
/** At most this many conversations are remembered per isolate; the least recently served go first. */
export const STICKY_MAX_ENTRIES = 10_000;
/** `session_id` and `x-session-id` are at most 256 characters (b1, b2); a longer key is hashed. */
const MAX_KEY_CHARS = 256;

interface StickyEntry {
  provider: string;
  servedAt: number;
}

export class StickyRoutes {
  /** In insertion order = least recently served first, since each success re-inserts its entry. */
  private readonly entries = new Map<string, StickyEntry>();

  constructor(
    private readonly ttlMs = STICKY_TTL_MS,
    private readonly maxEntries = STICKY_MAX_ENTRIES,
  ) {}

  /** The provider slug that served `scope` within the TTL, if any. */
  get(scope: string, now: number): string | undefined {
    const entry = this.entries.get(scope);
    if (entry === undefined) return undefined;
    if (now - entry.servedAt >= this.ttlMs) {
      this.entries.delete(scope);
      return undefined;
    }
    return entry.provider;
  }

  /**
   * A success on `provider`, an endpoint whose cache reads are cheaper than its input. It refreshes
   * stickiness already on that provider; with `starts` (a cache hit, or a session id) it also
   * starts it, or moves it to `provider` (a fallback served). Errors never come here: they do not
   * refresh, so a conversation whose provider keeps failing is routed afresh after the TTL.
   */
  served(scope: string, provider: string, starts: boolean, now: number): void {
    const entry = this.entries.get(scope);
    const refreshes = entry !== undefined && entry.provider === provider && now - entry.servedAt < this.ttlMs;
    if (!starts && !refreshes) return;
    if (entry !== undefined) this.entries.delete(scope);
    this.entries.set(scope, { provider, servedAt: now });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value ?? "");
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The isolate's sticky routes. */
export const stickyRoutes = new StickyRoutes();

/** The map key of one conversation on one model of one account. */
export function stickyScope(accountId: string, modelId: string, conversation: string): string {
  return `${accountId}\n${modelId}\n${conversation}`;
}

/** `session_id`, else the `x-session-id` header (b1: at most 256 characters; the body's wins). */
export function sessionIdOf(request: ChatRequest, headers: Headers): string | null {
  return request.session_id ?? headers.get("x-session-id")?.slice(0, MAX_KEY_CHARS) ?? null;
}

/**
 * The conversation a request belongs to (b10): its session id (`sessionIdOf`), else
 * `prompt_cache_key` (the three share one namespace: OpenRouter's `session_id` falls back to
 * `prompt_cache_key`), else a hash of the first system/developer message and the first other
 * message — what stays the same from turn to turn of one conversation. Empty values count as unset.
 */
export function conversationKey(request: ChatRequest, sessionId: string | null): string {
  const explicit = sessionId || request.prompt_cache_key;
  if (explicit) return explicit.length <= MAX_KEY_CHARS ? `=${explicit}` : `#${hashText(explicit)}`;
  let system: Message | undefined;
  let first: Message | undefined;
  for (const m of request.messages) {
    if (m.role === "system" || m.role === "developer") system ??= m;
    else first ??= m;
    if (system !== undefined && first !== undefined) break;
  }
  h1 = SEED_1;
  h2 = SEED_2;
  mixContent(system);
  mix(0x1e); // a separator, so that moving text from one message to the other changes the hash
  mixContent(first);
  return `~${digest()}`;
}

/** A stand-alone hash of one string, for a long explicit key. */
function hashText(text: string): string {
  h1 = SEED_1;
  h2 = SEED_2;
  mixString(text);
  return digest();
}

/*
 * A fast non-cryptographic 53-bit hash (cyrb53's mixing: two 32-bit lanes, Math.imul), over a
 * bounded sample of each string: all of it up to FULL_CHARS, else its length, its first and last
 * EDGE_CHARS and STRIDE_SAMPLES characters spread evenly between. So the cost is a few
 * microseconds whatever the prompt's size (a 200 KB system prompt is not read whole on every
 * request). Two conversations differing only in unsampled characters share a key: they then share
 * a sticky provider, a cache-locality matter and nothing else (the scope is one account's, and the
 * answer is served from the request as sent). Not crypto: nothing here needs resisting an attacker,
 * and `crypto.subtle` is asynchronous and costs far more per call.
 *
 * The lanes are module state, not a returned pair, so hashing allocates nothing; the isolate is
 * single-threaded and the hash runs without awaiting.
 */
const SEED_1 = 0xdeadbeef;
const SEED_2 = 0x41c6ce57;
const FULL_CHARS = 2048;
const EDGE_CHARS = 512;
const STRIDE_SAMPLES = 256;
let h1 = SEED_1;
let h2 = SEED_2;

function mix(code: number): void {
  h1 = Math.imul(h1 ^ code, 2654435761);
  h2 = Math.imul(h2 ^ code, 1597334677);
}

function mixString(s: string): void {
  const n = s.length;
  if (n <= FULL_CHARS) {
    for (let i = 0; i < n; i++) mix(s.charCodeAt(i));
    return;
  }
  mix(n & 0xffff);
  mix(n >>> 16);
  for (let i = 0; i < EDGE_CHARS; i++) mix(s.charCodeAt(i));
  const step = (n - 2 * EDGE_CHARS) / STRIDE_SAMPLES;
  for (let k = 0; k < STRIDE_SAMPLES; k++) mix(s.charCodeAt(EDGE_CHARS + Math.floor(k * step)));
  for (let i = n - EDGE_CHARS; i < n; i++) mix(s.charCodeAt(i));
}

function mixContent(message: Message | undefined): void {
  if (message === undefined) return;
  mix(message.role.charCodeAt(0));
  const content = message.content;
  if (typeof content === "string") mixString(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      mix(0x1f);
      if (part.type === "text") mixString(part.text);
      else if (part.type === "image_url") mixString(part.image_url.url);
      else mixString(part.type);
    }
  }
}

function digest(): string {
  let a = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  a ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  let b = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  b ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & b) + (a >>> 0)).toString(36);
}
