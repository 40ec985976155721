/**
 * Summaries of a V8 heap snapshot (the JSON of `HeapProfiler.takeHeapSnapshot`, or a
 * .heapsnapshot file): live objects grouped by V8 node type and constructor/function name, and
 * the difference between two snapshots per unit (e.g. per open stream) — which kinds of object a
 * load keeps alive, and how many bytes of each.
 */

export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface Group {
  count: number;
  bytes: number;
}

/** Types whose names are contents (a string's text, a number), not kinds: grouped by type alone. */
const BY_TYPE_ONLY = new Set([
  "string",
  "concatenated string",
  "sliced string",
  "number",
  "heap number",
  "code",
]);

/** `type: name` → count and total self size. */
export function groupSnapshot(s: HeapSnapshot): Map<string, Group> {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const groups = new Map<string, Group>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt] as number] ?? "?";
    const name = BY_TYPE_ONLY.has(type) ? "" : (s.strings[s.nodes[i + nameAt] as number] ?? "").slice(0, 60);
    const key = name ? `${type}: ${name}` : `(${type})`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += s.nodes[i + sizeAt] as number;
    groups.set(key, g);
  }
  return groups;
}

/** Markdown table of the groups that grew most from `before` to `after`, per unit (bytes and count). */
export function diffGroups(
  before: Map<string, Group>,
  after: Map<string, Group>,
  units: number,
  top: number,
): string {
  const rows = [...after].map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, bytes: (a.bytes - b.bytes) / units, count: (a.count - b.count) / units };
  });
  const total = rows.reduce((n, r) => n + r.bytes, 0);
  rows.sort((x, y) => y.bytes - x.bytes);
  const shown = rows.filter((r) => r.bytes >= 1).slice(0, top);
  return [
    "| group (V8 type: constructor / function) | bytes per unit | objects per unit |",
    "|---|---:|---:|",
    ...shown.map(
      (r) => `| ${r.key.replaceAll("|", "\\|")} | ${r.bytes.toFixed(0)} | ${r.count.toFixed(2)} |`,
    ),
    `| **all groups** | **${total.toFixed(0)}** | |`,
  ].join("\n");
}

/** A sampling heap profile (`HeapProfiler.stopSampling`): allocations by call stack. */
export interface SamplingHeapProfile {
  head: AllocationNode;
}
interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocationNode[];
}

/**
 * Bytes allocated per unit, by bundle module (esbuild's `// path` markers, via `moduleOf`; a
 * native frame counts for its nearest bundle caller) and by function (self), from a sampling
 * heap profile taken with objects collected by GC included: what a load allocates, not only what
 * it keeps.
 */
export function summarizeAllocations(
  profile: SamplingHeapProfile,
  moduleOf: (line: number) => string,
  units: number,
  top: number,
): string {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const walk = (n: AllocationNode, caller: string | undefined) => {
    const inBundle = n.callFrame.url.endsWith("index.js") || n.callFrame.url.endsWith("worker.js");
    const here = inBundle ? moduleOf(n.callFrame.lineNumber) : undefined;
    const module = here ?? caller;
    if (n.selfSize > 0) {
      total += n.selfSize;
      add(byModule, module ?? "(no JS caller)", n.selfSize);
      const fn = `${n.callFrame.functionName || "(anonymous)"} ${here ? `(${here}:${n.callFrame.lineNumber + 1})` : `(native, from ${caller ?? "runtime"})`}`;
      add(byFunction, fn, n.selfSize);
    }
    for (const c of n.children) walk(c, module);
  };
  walk(profile.head, undefined);
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, v]) =>
          `| ${k.replaceAll("|", "\\|")} | ${(v / units / 1024).toFixed(2)} | ${((100 * v) / total).toFixed(1)}% |`,
      );
  return [
    `Allocated: ${(total / units / 1024).toFixed(1)} KiB per unit (sampled; includes objects already collected).`,
    "",
    "| module (native allocations count for their JS caller) | KiB per unit | share |",
    "|---|---:|---:|",
    ...rows(byModule),
    "",
    "| function (self) | KiB per unit | share |",
    "|---|---:|---:|",
    ...rows(byFunction),
  ].join("\n");
}
