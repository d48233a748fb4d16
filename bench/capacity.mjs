// The capacity model of a sharded `/` (docs/signal.md): for G gateways and T
// topic owners, the load on the busiest object, and the most sockets the
// space holds under the per-object limits. Run by `npm run bench` after the
// fan-out (its CPU per event comes from bench/results/latest.json when that
// has both "switchboard" and "switchboard, sharded"), or alone:
// `node bench/capacity.mjs` writes bench/capacity.svg and prints the table.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;

// The load: topics with a Zipf-like popularity (topic k of K has weight
// k^-ZIPF), every socket in SUBSCRIPTIONS topics drawn by popularity and
// publishing PUBLISHES per second spread over them; a topic per
// SOCKETS_PER_TOPIC sockets. The limits: Cloudflare's soft limit of about
// 1,000 requests per second per object, one thread (1 s of CPU per second),
// and SIGNAL_MAX_CONNECTIONS sockets per object.
export const INPUTS = {
  ZIPF: 0.8,
  SUBSCRIPTIONS: 2,
  PUBLISHES: 0.1,
  SOCKETS_PER_TOPIC: 4,
  EVENTS_PER_SECOND: 1000,
  CPU_SECONDS_PER_SECOND: 1,
  SOCKETS_PER_OBJECT: 10_000,
  // One call between objects in the same colo, there and back: a line to
  // another object carries one call at a time, so above 1/RTT calls per
  // second its messages ride in batches.
  RTT_MS: 2,
};

// CPU per event in µs, from this machine's fan-out (see BENCHMARKS.md):
// a client frame taken in, a frame sent to one socket, one call between objects.
export const DEFAULT_COST = { frame: 20, send: 4, call: 60 };

// Fits the costs to a fan-out run: single object µs per delivered message at
// N = 2 and 50 gives the frame and send costs; the sharded run's extra CPU
// per publish, over its calls (one to the owner, one per gateway with
// subscribers: all G at N = 50), gives the call cost.
export function fitCost(fanout, gateways = 3) {
  const row = (server, n) => fanout?.[server]?.find((r) => r.n === n && r.bytes === 200);
  const [single2, single50, sharded50] = [row("switchboard", 2), row("switchboard", 50), row("switchboard, sharded", 50)];
  if (!single2 || !single50 || !sharded50) return DEFAULT_COST;
  const perPublish = (r, n) => r.cpuMicrosPerMessage * n;
  const send = Math.max(0.1, (perPublish(single50, 50) - perPublish(single2, 2)) / 48);
  const frame = Math.max(0.1, perPublish(single2, 2) - 2 * send);
  const call = Math.max(0.1, (perPublish(sharded50, 50) - perPublish(single50, 50)) / (1 + gateways));
  return { frame, send, call };
}

// The busiest object's events per second and CPU seconds per second.
export function load(sockets, gateways, owners, cost = DEFAULT_COST, inputs = INPUTS) {
  const { ZIPF, SUBSCRIPTIONS, PUBLISHES, SOCKETS_PER_TOPIC, RTT_MS } = inputs;
  const topics = Math.max(1, Math.round(sockets / SOCKETS_PER_TOPIC));
  let norm = 0;
  for (let k = 1; k <= topics; k++) norm += k ** -ZIPF;
  const sharded = owners > 0;
  const G = sharded ? gateways : 1;
  const maxCalls = 1000 / RTT_MS;  // per line (sender, receiver)
  let sends = 0;        // frames to sockets, whole space
  let ownerTop = null;  // the owner of the hottest topic
  let ownerRest = { calls: 0, events: 0, cpu: 0 };
  let gatewayCallsIn = 0;  // per gateway, from all owners
  for (let k = 1; k <= topics; k++) {
    const subscribers = Math.min(sockets, (sockets * SUBSCRIPTIONS * k ** -ZIPF) / norm);
    const publishes = (subscribers * PUBLISHES) / SUBSCRIPTIONS;
    sends += publishes * subscribers;
    if (!sharded) continue;
    // Gateways with at least one subscriber of the topic.
    const reached = G * (1 - (1 - 1 / G) ** subscribers);
    // Calls into the owner: each gateway's line carries its share of the publishes.
    const callsIn = Math.min(publishes, G * maxCalls);
    const callsOut = reached * Math.min(publishes, maxCalls);
    const cpu = (callsIn + callsOut) * cost.call * 1e-6;
    const part = { events: callsIn, cpu };
    if (k === 1) ownerTop = part;
    else {
      ownerRest.events += part.events / owners;
      ownerRest.cpu += part.cpu / owners;
    }
    gatewayCallsIn += Math.min(publishes, maxCalls) * (1 - (1 - 1 / G) ** subscribers);
  }
  const frames = (sockets * PUBLISHES) / G;
  const gateway = {
    sockets: sockets / G,
    events: frames + gatewayCallsIn,
    cpu: (frames * cost.frame + (sends / G) * cost.send + (sharded ? (gatewayCallsIn + Math.min(frames, owners * maxCalls)) * cost.call : 0)) * 1e-6,
  };
  if (!sharded) return { busiest: gateway, gateway, owner: null };
  const owner = { sockets: 0, events: (ownerTop?.events ?? 0) + ownerRest.events, cpu: (ownerTop?.cpu ?? 0) + ownerRest.cpu };
  const busiest = gateway.cpu >= owner.cpu ? gateway : owner;
  return { busiest, gateway, owner };
}

function fits(sockets, gateways, owners, cost, inputs) {
  const { gateway, owner } = load(sockets, gateways, owners, cost, inputs);
  return [gateway, owner].every(
    (o) => !o || (o.events <= inputs.EVENTS_PER_SECOND && o.cpu <= inputs.CPU_SECONDS_PER_SECOND && o.sockets <= inputs.SOCKETS_PER_OBJECT),
  );
}

// The most sockets (to 1 %) the space holds.
export function capacity(gateways, owners, cost = DEFAULT_COST, inputs = INPUTS) {
  let low = 0;
  let high = 10_000_000;
  while (high - low > Math.max(10, low / 100)) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid, gateways, owners, cost, inputs)) low = mid;
    else high = mid;
  }
  return low;
}

export const SHAPES = [
  { gateways: 1, owners: 0 },
  ...[2, 4, 8, 16, 32, 64].map((gateways) => ({ gateways, owners: gateways })),
];

export function model(cost = DEFAULT_COST, inputs = INPUTS) {
  return SHAPES.map(({ gateways, owners }) => {
    const sockets = capacity(gateways, owners, cost, inputs);
    const { gateway, owner } = load(sockets, gateways, owners, cost, inputs);
    const limitedBy = [gateway, owner]
      .filter(Boolean)
      .map((o) => (o.sockets >= inputs.SOCKETS_PER_OBJECT * 0.99 ? "sockets per object" : o.events >= inputs.EVENTS_PER_SECOND * 0.98 ? "events per second" : o.cpu >= inputs.CPU_SECONDS_PER_SECOND * 0.98 ? "CPU" : ""))
      .find(Boolean) ?? "–";
    return { gateways, owners, sockets, gateway, owner, limitedBy };
  });
}

export function table(rows) {
  const out = [
    "| G | T | sockets | per gateway: sockets, events/s, CPU s/s | busiest owner: events/s, CPU s/s | bound by |",
    "|---:|---:|---:|---|---|---|",
  ];
  const f = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d });
  for (const r of rows) {
    const owner = r.owner ? `${f(r.owner.events)}, ${f(r.owner.cpu, 2)}` : "–";
    out.push(`| ${r.gateways} | ${r.owners || "0 (one object)"} | ${f(r.sockets)} | ${f(r.gateway.sockets)}, ${f(r.gateway.events)}, ${f(r.gateway.cpu, 2)} | ${owner} | ${r.limitedBy} |`);
  }
  return out.join("\n");
}

export function chart(rows) {
  const width = 560;
  const height = 300;
  const pad = 60;
  const max = Math.max(...rows.map((r) => r.sockets));
  const x = (i) => pad + (i * (width - 2 * pad)) / (rows.length - 1);
  const y = (v) => height - pad + 20 - (v / max) * (height - 2 * pad);
  const points = rows.map((r, i) => `${x(i).toFixed(1)},${y(r.sockets).toFixed(1)}`).join(" ");
  const labels = rows
    .map((r, i) => `<text x="${x(i)}" y="${height - 20}" text-anchor="middle">${r.gateways}</text><text x="${x(i)}" y="${y(r.sockets) - 8}" text-anchor="middle">${Math.round(r.sockets / 1000)}k</text>`)
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<text x="${width / 2}" y="18" text-anchor="middle">sockets one space supports vs gateways G (T = G; G = 1: one object)</text>
<polyline fill="none" stroke="#f38020" stroke-width="2" points="${points}"/>${labels}
<text x="${width / 2}" y="${height - 4}" text-anchor="middle">G</text>
</svg>
`;
}

export function run() {
  const latest = `${root}bench/results/latest.json`;
  const fanout = existsSync(latest) ? JSON.parse(readFileSync(latest, "utf8")).fanout : undefined;
  const cost = fitCost(fanout);
  const rows = model(cost);
  writeFileSync(`${root}bench/capacity.svg`, chart(rows));
  return { cost, inputs: INPUTS, rows, table: table(rows) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { cost, rows, table: text } = run();
  console.log(`CPU per event (µs): ${JSON.stringify(cost)}`);
  console.log(text);
  console.log(JSON.stringify(rows.map((r) => [r.gateways, r.sockets])));
}
