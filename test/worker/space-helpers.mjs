// @ts-check
// A sharded `/` under test: its [vars], which gateway holds a socket, which
// object owns a topic, and a barrier that proves subscription changes applied.
import assert from "node:assert/strict";
import { Client } from "./server.mjs";

// Three gateways hold the sockets of `/`, five objects own its topics.
export const GATEWAYS = 3;
export const OWNERS = 5;
export const sharded = { SIGNAL_GATEWAYS: String(GATEWAYS), SIGNAL_TOPIC_SHARDS: String(OWNERS) };

/** @param {string} http @param {string} app @param {string} instance */
export async function stats(http, app, instance) {
  const response = await fetch(`${http}/stats/${app}/${instance}`);
  if (response.status !== 200) throw new Error(`stats ${app}/${instance}: ${response.status}`);
  return response.json();
}

// The open sockets of each gateway, by its name (g0, g1, …).
/** @param {string} http */
export async function socketsPerGateway(http, gateways = GATEWAYS) {
  /** @type {Record<string, number>} */
  const out = {};
  for (let i = 0; i < gateways; i++) out[`g${i}`] = (await stats(http, "signal-gateway", `g${i}`)).connections;
  return out;
}

// A socket on `/` and the gateway it landed on (the one whose count grew).
// Sequential use only: another socket opening meanwhile would blur it.
/** @param {{ http: string, ws: string }} worker */
export async function openOnGateway(worker) {
  const before = await socketsPerGateway(worker.http);
  const client = await Client.open(`${worker.ws}/`);
  for (let i = 0; i < 100; i++) {
    const now = await socketsPerGateway(worker.http);
    const grown = Object.keys(now).find((name) => now[name] > before[name]);
    if (grown) return { client, gateway: grown };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no gateway counted the new socket");
}

// Waits until a gateway has counted a socket's close.
/** @param {string} http @param {string} gateway @param {number} count */
export async function gatewayHolds(http, gateway, count) {
  for (let i = 0; i < 200; i++) {
    if ((await stats(http, "signal-gateway", gateway)).connections === count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${gateway} never held ${count} sockets`);
}

// One socket on every gateway (opened until each holds one): the barrier's probes.
/** @param {{ http: string, ws: string }} worker @returns {Promise<Client[]>} */
export async function probes(worker, gateways = GATEWAYS) {
  /** @type {Record<string, Client>} */
  const found = {};
  const extra = [];
  while (Object.keys(found).length < gateways) {
    const { client, gateway } = await openOnGateway(worker);
    if (found[gateway]) extra.push(client);
    else found[gateway] = client;
  }
  await Promise.all(extra.map((client) => client.close()));
  return Object.keys(found).sort().map((name) => found[name]);
}

// A pong from a gateway means every subscription change it received before
// the ping is in force, a close's unsubscribes included: one ping per gateway
// is a barrier for the space.
/** @param {Client[]} probes one socket on each gateway */
export async function barrier(probes) {
  for (const probe of probes) probe.send('{ "type": "ping" }');
  for (const probe of probes) assert.deepEqual(await probe.next(), { type: "pong" });
}

// The owner of a topic, as the core picks it (FNV-1a of its UTF-8 bytes).
/** @param {string} topic */
export function ownerOf(topic, owners = OWNERS) {
  let hash = 2166136261;
  for (const byte of new TextEncoder().encode(topic)) hash = Math.imul(hash ^ byte, 16777619) >>> 0;
  return `t${hash % owners}`;
}

// A seeded generator (mulberry32): a failing run replays from its seed.
/** @param {number} seed */
export function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
