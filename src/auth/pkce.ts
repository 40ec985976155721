/**
 * The pure parts of OpenRouter's OAuth PKCE sign-in (API.md b11, "OAuth PKCE"; RFC 7636):
 * authorization codes, challenge verification, and which callback URLs a code may be sent to.
 */

/** Codes live 10 minutes, as OpenRouter's do. */
export const AUTH_CODE_TTL_MINUTES = 10;

/**
 * Refused exchanges (wrong or missing verifier, wrong method) a code survives: at this many it is
 * dead, even for the right verifier. Whoever holds a leaked code gets this many guesses, not more;
 * an app that sends the wrong verifier this often has lost it and must sign in again anyway.
 */
export const MAX_FAILED_EXCHANGES = 5;

export const CODE_CHALLENGE_METHODS = ["S256", "plain"] as const;
export type CodeChallengeMethod = (typeof CODE_CHALLENGE_METHODS)[number];

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** 256 random bits, base64url (43 characters): safe in a query string as it is. */
export function generateAuthCode(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/** RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/**
 * An S256 challenge as base64url without padding. OpenRouter's guide says "the base64 encoding of
 * the sha256 hash", so a client may send standard base64 (`+`, `/`, `=`): it names the same hash.
 */
export function normalizeS256Challenge(challenge: string): string {
  return challenge.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** A plain challenge is the verifier itself: printable ASCII, no spaces (RFC 7636 asks for less). */
export const PLAIN_CHALLENGE = /^[!-~]{1,256}$/;

/** The challenge a verifier answers under each method; null where it can answer none. */
export interface VerifierChallenges {
  S256: string;
  plain: string | null;
}

/**
 * The challenge `verifier` answers under each method (RFC 7636 §4.6): the exchange sends both to
 * the database, which compares the one for the code's own method in the same UPDATE that counts a
 * failure (src/db/queries/auth-codes.ts), so checking and counting cannot race. A verifier no
 * plain challenge could be (a NUL, a space) answers none: it is a wrong verifier, and Postgres
 * would refuse a NUL as text.
 */
export async function challengesFor(verifier: string): Promise<VerifierChallenges> {
  return { S256: await s256Challenge(verifier), plain: PLAIN_CHALLENGE.test(verifier) ? verifier : null };
}

/** Hosts an app on the user's own machine listens on: plain http is allowed to them, on any port. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export const MAX_CALLBACK_URL_LENGTH = 2048;

/** `reason` completes a sentence whose subject is `callback_url`. */
export type CallbackCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Where a code may be sent: https anywhere, or http on a loopback host (any port, for CLIs and
 * desktop apps). Nothing else: no javascript:, data:, file: or custom schemes, no user:password@
 * (it disguises the host the user is shown), no #fragment (RFC 6749 §3.1.2; the code goes in the query).
 */
export function checkCallbackUrl(raw: string): CallbackCheck {
  if (raw.length > MAX_CALLBACK_URL_LENGTH) {
    return { ok: false, reason: `is longer than ${MAX_CALLBACK_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, reason: "must be an https URL (or http on localhost)" };
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    return {
      ok: false,
      reason: "must use https; plain http is allowed only for localhost, 127.0.0.1 and [::1]",
    };
  }
  if (url.username !== "" || url.password !== "") {
    return { ok: false, reason: "must not contain a user name or password" };
  }
  if (url.hash !== "" || raw.includes("#")) {
    return { ok: false, reason: "must not contain a #fragment" };
  }
  return { ok: true, url };
}

/** The callback with `code` added to its query (replacing a `code` already there), the rest kept. */
export function callbackWithCode(callback: URL, code: string): string {
  const url = new URL(callback);
  url.searchParams.set("code", code);
  return url.toString();
}

/** The name a key made through the flow gets when the app gave no `key_label`. */
export function defaultKeyName(callback: URL | undefined): string {
  return callback ? `OAuth: ${callback.host}` : "OAuth: headless sign-in";
}

/** The stable id OpenRouter's exchange answers as `user_id`: one per account. */
export function userIdOf(accountId: string): string {
  return `user_${accountId}`;
}
