#!/usr/bin/env node
// CPU profile of a Worker running in plain workerd, through its V8 inspector (start workerd with
// `--inspector-addr=127.0.0.1:PORT`). Starts the profiler, runs the given load command, stops,
// writes a .cpuprofile (Chrome DevTools › Performance, or speedscope) and prints the top frames.
//   node --experimental-websocket bench/profile-workerd.mjs ws://127.0.0.1:9230/main out.cpuprofile -- <load command…>
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const [wsUrl, out, sep, ...load] = process.argv.slice(2);
if (!wsUrl || !out || sep !== "--" || !load.length) {
  console.error("usage: profile-workerd.mjs <ws url> <out.cpuprofile> -- <load command…>");
  process.exit(2);
}
const ws = new WebSocket(wsUrl);
let nextId = 1;
const waiting = new Map();
ws.onmessage = (e) => {
  const msg = JSON.parse(e.data);
  if (msg.id && waiting.has(msg.id)) {
    waiting.get(msg.id)(msg);
    waiting.delete(msg.id);
  }
};
const call = (method, params = {}) =>
  new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
await new Promise((r) => {
  ws.onopen = r;
});
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 100 });
await call("Profiler.start");
const r = spawnSync(load[0], load.slice(1), { stdio: "inherit" });
const { result } = await call("Profiler.stop");
fs.writeFileSync(out, JSON.stringify(result.profile));
ws.close();
console.error(`load exit ${r.status}; profile -> ${out}`);
