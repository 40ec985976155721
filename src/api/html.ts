/**
 * Text placed in HTML (element content or a quoted attribute value): the five characters that
 * could end the text or the attribute are replaced by their entities. Used by every page the
 * gateway renders (/docs, /auth), for every value that did not come from a literal in the code.
 */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
