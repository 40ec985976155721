export interface NonStreamRequest {
  model: string;
  messages: { role: "system" | "user"; content: string }[];
  max_tokens: number;
  temperature: number;
}
export function nonStreamRequest(model: string, pad?: string): NonStreamRequest;
