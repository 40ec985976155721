/**
 * Addressing and authenticating a Bedrock runtime call: SigV4 (service `bedrock`) with the
 * provider's access key pair, or `Authorization: Bearer` for Bedrock API keys
 * (`config.auth: "bearer"`). Signing hashes the exact body, so it happens last, on the final bytes.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
 */
import { AwsV4Signer } from "aws4fetch";
import { GatewayError } from "../../errors";
import type { Target, UpstreamRequest } from "../types";

/** `https://bedrock-runtime.eu-west-1.amazonaws.com` → `eu-west-1`. */
function regionOf(target: Target): string | undefined {
  const configured = target.provider.config.region;
  if (typeof configured === "string" && configured) return configured;
  return /bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(target.provider.baseUrl)?.[1];
}

/**
 * A provider that cannot be authenticated is a configuration problem of that provider only, so
 * the error is retryable: routing moves on to an endpoint that can serve the request.
 */
/**
 * The gateway lacks what signing needs: its configuration's fault, never the client's key (a 401
 * would read as that in every SDK). A 503 like any provider not configured here; the next may serve.
 */
function misconfigured(target: Target, what: string): GatewayError {
  return new GatewayError(
    503,
    "provider_unavailable",
    `${target.provider.name} is not configured on this gateway: ${what}`,
    { provider: target.provider.name, retryable: true, retryAfter: 60 },
  );
}

export function converseUrl(target: Target, stream: boolean): string {
  const base = target.provider.baseUrl.replace(/\/+$/, "");
  // Model ids contain ':' (`us.amazon.nova-micro-v1:0`) and ARNs contain '/': encode the whole id.
  const model = encodeURIComponent(target.endpoint.providerModelId);
  return `${base}/model/${model}/${stream ? "converse-stream" : "converse"}`;
}

export async function signedRequest(target: Target, stream: boolean, body: string): Promise<UpstreamRequest> {
  const url = converseUrl(target, stream);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: stream ? "application/vnd.amazon.eventstream" : "application/json",
  };
  const { config } = target.provider;
  if (!target.apiKey) throw misconfigured(target, "no access key id / API key configured");
  if (config.auth === "bearer") {
    return { url, headers: { ...headers, authorization: `Bearer ${target.apiKey}` }, body };
  }

  const secretAccessKey = target.secret(String(config.secretAccessKeyEnv ?? "AWS_SECRET_ACCESS_KEY"));
  if (!secretAccessKey) throw misconfigured(target, "no secret access key configured");
  const region = regionOf(target);
  if (!region) throw misconfigured(target, "no region configured and none in the base URL");
  const sessionToken =
    typeof config.sessionTokenEnv === "string" ? target.secret(config.sessionTokenEnv) : undefined;

  const signer = new AwsV4Signer({
    method: "POST",
    url,
    headers,
    body,
    accessKeyId: target.apiKey,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    service: "bedrock",
    region,
  });
  const signed = await signer.sign();
  return { url, headers: Object.fromEntries(signed.headers.entries()), body };
}
