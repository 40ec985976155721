/**
 * Summaries of a V8 .cpuprofile of the Switchyard bundle: self time per bundle module (esbuild's
 * `// path` markers), with native frames also rolled up to their nearest JS caller, per function,
 * and inclusive time per function (what a call costs with everything under it).
 *
 *   npx tsx bench/lib/cpuprofile.ts <bundle index.js> <file.cpuprofile> <units> <unit>
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Line (0-based) → module path, from esbuild's `// path` comments in the bundle. */
export function moduleIndex(bundle: string): (line: number) => string {
  const marks: [number, string][] = [];
  bundle.split("\n").forEach((l, i) => {
    const m = /^\/\/ ((?:src|node_modules)\/\S+|\S+\.(?:m?js|ts))$/.exec(l);
    if (m?.[1]) marks.push([i, m[1]]);
  });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = "(bundle prelude)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [at, name] = marks[mid] as [number, string];
      if (at <= line) {
        found = name;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

function groupOf(path: string): string {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? `npm:${m[1]}` : path;
}

/** A sample counts for at most this many median sampling intervals. */
const GAP_CAP = 4;

/**
 * The time each sample stands for. V8 stamps each sample with the time since the one before, but
 * in workerd the sampler leaves gaps — up to 0.7 s, while the isolate waits on I/O after a run's
 * last request — and charging a whole gap to the sample that ends it made settleGenerations, sampled
 * a few times during the final usage flush, read as 8% of the handler's time (1.4% with the cap).
 */
export function sampleWeights(timeDeltas: readonly number[]): { weights: number[]; cappedUs: number } {
  const sorted = timeDeltas.filter((d) => d > 0).sort((a, b) => a - b);
  const cap = GAP_CAP * (sorted[Math.floor(sorted.length / 2)] ?? 0);
  let cappedUs = 0;
  const weights = timeDeltas.map((d) => {
    const w = Math.max(0, Math.min(d, cap));
    cappedUs += Math.max(0, d) - w;
    return w;
  });
  return { weights, cappedUs };
}

export function summarize(
  p: Profile,
  moduleOf: (line: number) => string,
  units: number,
  unit: string,
): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const { weights, cappedUs } = sampleWeights(p.timeDeltas);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (weights[i] ?? 0));
  });
  const isBundle = (n: Node) => n.callFrame.url !== "" && n.callFrame.url.endsWith("index.js");
  const where = (n: Node): string => (isBundle(n) ? groupOf(moduleOf(n.callFrame.lineNumber)) : "");
  const rollUp = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n && isBundle(n)) return where(n);
    }
    return "(no JS caller)";
  };
  const special = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);
  let busy = 0;
  const fileSelf = new Map<string, number>();
  const fileRolled = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName || "(anonymous)";
    if (name === "(idle)") continue;
    busy += us;
    const file = special.has(name) ? name : where(n) || "(native/runtime)";
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + us);
    const rolled = special.has(name) ? name : rollUp(id);
    fileRolled.set(rolled, (fileRolled.get(rolled) ?? 0) + us);
    const fn = `${name} ${where(n) ? `(${where(n)}:${n.callFrame.lineNumber + 1})` : "(native)"}`;
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + us);
  }
  // Inclusive: each sample counts once for every distinct bundle function on its stack.
  const fnTotal = new Map<string, number>();
  for (const [id, us] of self) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || !isBundle(n)) continue;
      const fn = `${n.callFrame.functionName || "(anonymous)"} (${where(n)}:${n.callFrame.lineNumber + 1})`;
      if (seen.has(fn)) continue;
      seen.add(fn);
      fnTotal.set(fn, (fnTotal.get(fn) ?? 0) + us);
    }
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(
        ([name, us]) =>
          `| ${name} | ${((100 * us) / busy).toFixed(1)}% | ${(us / Math.max(units, 1)).toFixed(1)} |`,
      );
  return [
    `busy (non-idle) CPU in the profile: ${(busy / 1000).toFixed(0)} ms over ${units} ${unit}s = ${(busy / Math.max(units, 1)).toFixed(0)} µs per ${unit} (profiler on: inflated; read the shares)`,
    `(${(cappedUs / 1000).toFixed(0)} ms of gaps between samples not charged: each sample counts for at most ${GAP_CAP}× the median interval)`,
    "",
    `| file (self time; native frames rolled up to their JS caller) | share | µs/${unit} |`,
    "|---|---:|---:|",
    ...top(fileRolled, 22),
    "",
    `| file (self time, native frames apart) | share | µs/${unit} |`,
    "|---|---:|---:|",
    ...top(fileSelf, 14),
    "",
    `| function (self time) | share | µs/${unit} |`,
    "|---|---:|---:|",
    ...top(fnSelf, 30),
    "",
    `| function (inclusive: itself and everything it calls) | share | µs/${unit} |`,
    "|---|---:|---:|",
    ...top(fnTotal, 40),
    "",
  ].join("\n");
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").at(-1) ?? "-");
if (isMain && process.argv.length >= 6) {
  const [bundle, profile, units, unit] = process.argv.slice(2) as [string, string, string, string];
  console.log(
    summarize(
      JSON.parse(readFileSync(profile, "utf8")) as Profile,
      moduleIndex(readFileSync(bundle, "utf8")),
      Number(units),
      unit,
    ),
  );
}
