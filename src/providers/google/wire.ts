/**
 * What Gemini sends back (generateContent, each streamGenerateContent event, and errors), as
 * lenient zod: loose objects and `.nullish()` everywhere, because Google adds fields monthly and
 * Vertex AI sends extras (`trafficType`, `createTime`, `probabilityScore`, …) the AI Studio API
 * does not.
 *
 * @see https://ai.google.dev/api/generate-content#generatecontentresponse
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse
 */
import { z } from "zod";

/**
 * One streamed piece of a function call's arguments (Vertex AI `streamFunctionCallArguments`):
 * a JSON path into the arguments object and one typed value. Strings arrive in several pieces.
 * Fixture: vertex-stream-function-call-partial-args.chunks.jsonl.
 */
export const partialArgSchema = z.looseObject({
  jsonPath: z.string().nullish(),
  stringValue: z.string().nullish(),
  numberValue: z.number().nullish(),
  boolValue: z.boolean().nullish(),
  nullValue: z.unknown().optional(),
  willContinue: z.boolean().nullish(),
});
export type PartialArg = z.infer<typeof partialArgSchema>;

export const functionCallSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  args: z.record(z.string(), z.unknown()).nullish(),
  partialArgs: z.array(partialArgSchema).nullish(),
  willContinue: z.boolean().nullish(),
});
export type WireFunctionCall = z.infer<typeof functionCallSchema>;

export const partSchema = z.looseObject({
  text: z.string().nullish(),
  /** True on thought-summary parts (with `includeThoughts`). */
  thought: z.boolean().nullish(),
  /** Opaque reasoning state Gemini 3 wants back on the same part of the next request. */
  thoughtSignature: z.string().nullish(),
  functionCall: functionCallSchema.nullish(),
  inlineData: z.looseObject({ mimeType: z.string().nullish(), data: z.string().nullish() }).nullish(),
});
export type WirePart = z.infer<typeof partSchema>;

export const candidateSchema = z.looseObject({
  /** `{}` or `{role}` without parts when the candidate was cut (SAFETY, MAX_TOKENS during thinking). */
  content: z.looseObject({ role: z.string().nullish(), parts: z.array(partSchema).nullish() }).nullish(),
  finishReason: z.string().nullish(),
  finishMessage: z.string().nullish(),
  index: z.number().int().nullish(),
});
export type WireCandidate = z.infer<typeof candidateSchema>;

export const usageMetadataSchema = z.looseObject({
  promptTokenCount: z.number().int().nullish(),
  cachedContentTokenCount: z.number().int().nullish(),
  candidatesTokenCount: z.number().int().nullish(),
  toolUsePromptTokenCount: z.number().int().nullish(),
  thoughtsTokenCount: z.number().int().nullish(),
  totalTokenCount: z.number().int().nullish(),
});
export type WireUsage = z.infer<typeof usageMetadataSchema>;

export const generateContentResponseSchema = z.looseObject({
  candidates: z.array(candidateSchema).nullish(),
  promptFeedback: z.looseObject({ blockReason: z.string().nullish() }).nullish(),
  usageMetadata: usageMetadataSchema.nullish(),
  modelVersion: z.string().nullish(),
  responseId: z.string().nullish(),
});
export type WireResponse = z.infer<typeof generateContentResponseSchema>;

/** google.rpc.Status, the body of every Google API error. */
export const errorSchema = z.looseObject({
  code: z.number().int().nullish(),
  message: z.string().nullish(),
  status: z.string().nullish(),
  details: z
    .array(
      z.looseObject({
        "@type": z.string().nullish(),
        reason: z.string().nullish(),
        retryDelay: z.string().nullish(),
      }),
    )
    .nullish(),
});
export type WireError = z.infer<typeof errorSchema>;

/** `{error}` or, from streaming endpoints, `[{error}]`. */
export const errorBodySchema = z.union([
  z.looseObject({ error: errorSchema }),
  z.array(z.looseObject({ error: errorSchema })).min(1),
]);
