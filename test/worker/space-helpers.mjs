// @ts-check
// A sharded `/` under test: its [vars], and which gateway holds a socket.

// Three gateways hold the sockets of `/`, five objects own its topics.
export const sharded = { SIGNAL_GATEWAYS: "3", SIGNAL_TOPIC_SHARDS: "5" };

/** @param {string} http @param {string} app @param {string} instance */
export async function stats(http, app, instance) {
  const response = await fetch(`${http}/stats/${app}/${instance}`);
  if (response.status !== 200) throw new Error(`stats ${app}/${instance}: ${response.status}`);
  return response.json();
}

// The open sockets of each gateway, by its name (g0, g1, …).
/** @param {string} http @param {number} gateways */
export async function socketsPerGateway(http, gateways) {
  const out = {};
  for (let i = 0; i < gateways; i++) out[`g${i}`] = (await stats(http, "signal-gateway", `g${i}`)).connections;
  return out;
}
