// The demo page: a Yjs text shared with y-webrtc through this server's own
// signaling, and a live view of one object's stats.
import { WebrtcProvider } from "y-webrtc";
import * as Y from "yjs";
import { SignalingClient } from "../clients/src/index.js";

const room = location.hash.slice(1) || "switchboard-demo";
const signaling = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
const doc = new Y.Doc();
const text = doc.getText("pad");
const provider = new WebrtcProvider(room, doc, {
  signaling: [signaling],
  peerOpts: { config: { iceServers: [{ urls: "stun:stun.cloudflare.com:3478" }] } },
});
const $ = (id) => document.getElementById(id);
$("room").textContent = room;

// Keep the textarea and the shared text equal: local edits become the
// smallest splice, remote ones replace the value (keeping the caret near).
const pad = $("pad");
pad.addEventListener("input", () => {
  const before = text.toString();
  const after = pad.value;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  doc.transact(() => {
    text.delete(start, before.length - start - end);
    text.insert(start, after.slice(start, after.length - end));
  });
});
text.observe((event) => {
  if (event.transaction.local) return;
  const caret = pad.selectionStart;
  pad.value = text.toString();
  pad.setSelectionRange(caret, caret);
});

// Windows with this room open, through the client package: a SignalingClient
// on a shard of its own (the pad's shard keeps only y-webrtc's sockets) that
// says hello on the room's topic now and then; every delivered publish carries
// the topic's subscriber count. It subscribes again by itself after a reconnect.
const presence = new SignalingClient({ url: location.origin, shard: "demo-presence" });
presence.subscribe(room);
presence.on("message", ({ clients }) => ($("windows").textContent = String(clients)));
presence.on("open", () => presence.publish(room, { hello: true }));
setInterval(() => presence.publish(room, { hello: true }), 5000);

provider.on("status", ({ connected }) => ($("signaling").textContent = connected ? "connected" : "offline"));
setInterval(() => {
  const connected = provider.signalingConns.some((conn) => conn.connected);
  $("signaling").textContent = connected ? "connected" : "connecting…";
  // Peers whose connection opened: y-webrtc keeps a peer that vanished while
  // its offer was in flight (a tab closed mid-handshake) for as long as this tab is open.
  const peers = provider.room ? [...provider.room.webrtcConns.values()].filter((conn) => conn.connected) : [];
  $("peers").textContent = String(peers.length);
}, 500);

// Stats: the apps this deployment serves (from /health) that have instances a
// visitor can name. An instance default only where one exists: signaling and
// MPC clients use the `global` shard unless they name one; a relay session, a
// room and a swarm are named by their clients.
const instances = {
  signal: { value: "global", hint: "shard" },
  mpc: { value: "global", hint: "shard" },
  relay: { value: "", hint: "session id (from the QR code)" },
  swarm: { value: "", hint: "host's persistentId" },
  rooms: { value: "", hint: "room id" },
};
const select = $("stats-app");
const instanceInput = $("stats-instance");
function showInstance() {
  const { value, hint } = instances[select.value] ?? { value: "", hint: "" };
  instanceInput.value = value;
  instanceInput.placeholder = hint;
  $("stats").replaceChildren();
  $("stats-status").textContent = value ? "" : `enter the ${hint}`;
}
select.addEventListener("change", showInstance);
fetch("/health")
  .then((response) => response.json())
  .then(({ apps }) => {
    for (const app of apps.filter((name) => name in instances)) select.add(new Option(app, app));
    showInstance();
  });

async function refreshStats() {
  const app = select.value;
  const instance = instanceInput.value.trim();
  if (!app || !instance) return;
  const token = $("stats-token").value;
  const response = await fetch(`/stats/${encodeURIComponent(app)}/${encodeURIComponent(instance)}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  $("stats-status").textContent = response.ok ? `updated ${new Date().toLocaleTimeString()}` : `HTTP ${response.status}`;
  if (!response.ok) return;
  const stats = await response.json();
  const list = $("stats");
  list.replaceChildren();
  for (const [name, value] of Object.entries(stats)) {
    if (name === "app" || typeof value === "object") continue;  // limits and settings are not counts
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.id = `stat-${name}`;
    detail.textContent = String(value);
    list.append(term, detail);
  }
}
setInterval(() => refreshStats().catch(() => ($("stats-status").textContent = "unreachable")), 1000);
