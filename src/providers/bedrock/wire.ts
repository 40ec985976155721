/**
 * What Bedrock's Converse / ConverseStream send back, as lenient zod shapes: loose objects and
 * `.nullish()` everywhere, because AWS adds fields (every stream payload carries a random-length
 * `p` padding field, usage grew `cacheReadInputTokenCount` twins and `serverToolUsage`).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
import { z } from "zod";

const count = z.number().int().nonnegative().nullish();

/** @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html */
export const usageWire = z.looseObject({
  inputTokens: count,
  outputTokens: count,
  totalTokens: count,
  cacheReadInputTokens: count,
  cacheWriteInputTokens: count,
});
export type UsageWire = z.infer<typeof usageWire>;

export const reasoningContentWire = z.looseObject({
  reasoningText: z.looseObject({ text: z.string().nullish(), signature: z.string().nullish() }).nullish(),
  /** Encrypted reasoning (Claude's redacted_thinking), base64 in JSON. */
  redactedContent: z.string().nullish(),
});

export const contentBlockWire = z.looseObject({
  text: z.string().nullish(),
  /** `input` is the call's arguments object; tolerated absent (a parameterless tool), read as `{}`. */
  toolUse: z
    .looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown().optional() })
    .nullish(),
  reasoningContent: reasoningContentWire.nullish(),
});
export type ContentBlockWire = z.infer<typeof contentBlockWire>;

export const converseResponseWire = z.looseObject({
  output: z
    .looseObject({
      message: z
        .looseObject({ role: z.string().nullish(), content: z.array(contentBlockWire).nullish() })
        .nullish(),
    })
    .nullish(),
  stopReason: z.string().nullish(),
  usage: usageWire.nullish(),
});

// ConverseStream events, one schema per `:event-type`.

export const messageStartWire = z.looseObject({ role: z.string().nullish() });

export const contentBlockStartWire = z.looseObject({
  contentBlockIndex: z.number().int(),
  start: z
    .looseObject({ toolUse: z.looseObject({ toolUseId: z.string(), name: z.string() }).nullish() })
    .nullish(),
});

export const contentBlockDeltaWire = z.looseObject({
  contentBlockIndex: z.number().int(),
  delta: z.looseObject({
    text: z.string().nullish(),
    toolUse: z.looseObject({ input: z.string().nullish() }).nullish(),
    /** In streams the reasoning delta is flat: `{text}` or `{signature}` or `{redactedContent}`. */
    reasoningContent: z
      .looseObject({
        text: z.string().nullish(),
        signature: z.string().nullish(),
        redactedContent: z.string().nullish(),
      })
      .nullish(),
  }),
});

export const contentBlockStopWire = z.looseObject({ contentBlockIndex: z.number().int().nullish() });

export const messageStopWire = z.looseObject({ stopReason: z.string() });

export const metadataWire = z.looseObject({ usage: usageWire.nullish() });

/** Body of an HTTP error and payload of an exception frame (`Message` in some older services). */
export const errorWire = z.looseObject({
  message: z.string().nullish(),
  Message: z.string().nullish(),
  originalStatusCode: z.number().nullish(),
  originalMessage: z.string().nullish(),
});
