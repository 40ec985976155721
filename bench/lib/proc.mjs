// Process-tree accounting from /proc (Linux only): CPU seconds (utime+stime) and RSS of a
// root PID plus all its descendants (so `npx …`, `wrangler dev` → workerd, shells are counted).

import { execFileSync } from "node:child_process";
import fs from "node:fs";

let TICKS = 100;
try {
  TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
} catch {
  /* default */
}
let PAGE = 4096;
try {
  PAGE = Number(execFileSync("getconf", ["PAGESIZE"]).toString().trim()) || 4096;
} catch {
  /* default */
}

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // rest[0] = state (field 3); ppid = field 4 -> rest[1]; utime = field 14 -> rest[11]; stime = 15 -> rest[12]
    return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
  } catch {
    return null;
  }
}

export function treePids(root) {
  if (!root) return [];
  const children = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const st = readStat(d);
    if (!st) continue;
    const arr = children.get(st.ppid) || [];
    arr.push(Number(d));
    children.set(st.ppid, arr);
  }
  const out = [];
  const q = [Number(root)];
  while (q.length) {
    const p = q.shift();
    if (!fs.existsSync(`/proc/${p}`)) continue;
    out.push(p);
    for (const c of children.get(p) || []) q.push(c);
  }
  return out;
}

/** CPU seconds (user+system) summed over the given pids. */
export function cpuSeconds(pids) {
  let t = 0;
  for (const p of pids) {
    const st = readStat(p);
    if (st) t += st.utime + st.stime;
  }
  return t / TICKS;
}

/** Resident set size in MiB summed over the given pids. */
export function rssMiB(pids) {
  let pages = 0;
  for (const p of pids) {
    try {
      pages += Number(fs.readFileSync(`/proc/${p}/statm`, "utf8").split(" ")[1]);
    } catch {
      /* gone */
    }
  }
  return (pages * PAGE) / (1024 * 1024);
}

/**
 * Sample a process tree while `fn` runs: CPU delta over the window and peak/mean RSS.
 * The tree is re-resolved at start (cheap) and reused for sampling.
 */
export async function measure(rootPid, fn, intervalMs = 100) {
  if (!rootPid)
    return { result: await fn(), cpu_s: null, rss_peak_mib: null, rss_start_mib: null, rss_end_mib: null };
  const pids = treePids(rootPid);
  const cpu0 = cpuSeconds(pids);
  const rss0 = rssMiB(pids);
  let peak = rss0;
  const timer = setInterval(() => {
    const r = rssMiB(pids);
    if (r > peak) peak = r;
  }, intervalMs);
  let result;
  try {
    result = await fn();
  } finally {
    clearInterval(timer);
  }
  const cpu1 = cpuSeconds(pids);
  const rss1 = rssMiB(pids);
  if (rss1 > peak) peak = rss1;
  return { result, cpu_s: cpu1 - cpu0, rss_start_mib: rss0, rss_peak_mib: peak, rss_end_mib: rss1 };
}
