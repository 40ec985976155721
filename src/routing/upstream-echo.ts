/**
 * `debug: {echo_upstream_body: true}` on a streamed request (API.md b8): the stream starts with
 * one chunk per provider attempted, `choices: []` and `debug.echo_upstream_body`, the body our
 * adapter sent that provider (its native JSON for Anthropic, Google, Bedrock), parsed.
 *
 * Only the body: keys travel in headers (Google's in the URL), and neither is echoed. The body is
 * redacted all the same, with the provider's own secrets and the usual key patterns.
 * @see https://openrouter.ai/docs/api_reference/debugging
 */
import { redactJsonSecrets } from "../errors";
import type { Target } from "../providers/types";

/** One attempt's body, as its debug chunk shows it. */
export interface UpstreamEcho {
  /** The attempt's model and provider, for the chunk's `model` and `provider`. */
  model: string;
  provider: string;
  body: unknown;
}

/**
 * The bodies of one request's attempts, held from sending until the stream writes them. Made
 * only when the client asked (the route checks the flag once), so a request without it holds
 * nothing and calls nothing. `take` empties it for good: the bodies hold the prompt, and a
 * stream lives for minutes.
 */
export class UpstreamEchoes {
  private pending: UpstreamEcho[] | undefined = [];

  /** An attempt's body, as sent; ignored once taken. */
  record(body: string, target: Target): void {
    this.pending?.push({
      model: target.endpoint.model,
      provider: target.provider.name,
      body: redactJsonSecrets(body, secretsOf(target)),
    });
  }

  /** The bodies recorded so far, in order; later ones are not kept. */
  take(): UpstreamEcho[] {
    const taken = this.pending ?? [];
    this.pending = undefined;
    return taken;
  }
}

/** The provider's key and the other secrets its config names (`secretAccessKeyEnv`, `sessionTokenEnv`…). */
function secretsOf(target: Target): string[] {
  const known: string[] = [];
  if (target.apiKey) known.push(target.apiKey);
  for (const [name, value] of Object.entries(target.provider.config)) {
    if (!name.endsWith("Env") || typeof value !== "string") continue;
    const secret = target.secret(value);
    if (secret) known.push(secret);
  }
  return known;
}
