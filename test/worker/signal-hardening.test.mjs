// §D.1's opt-in hardening: off by default (the other suite runs without it),
// here switched on with [vars].
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { SIGNAL_TOKEN: "s3cret-token", SIGNAL_IP_CONNECTS_PER_MINUTE: "2" } })));
after(() => worker.stop());

test("SIGNAL_TOKEN: no token or a wrong one gets 401; Bearer or ?token= gets in", async () => {
  assert.equal((await refusedUpgrade(worker.ws)).status, 401);
  const wrong = await refusedUpgrade(worker.ws, { headers: { Authorization: "Bearer nope" } });
  assert.deepEqual([wrong.status, wrong.body], [401, { error: "unauthorized" }]);
  assert.equal((await refusedUpgrade(`${worker.ws}/?token=nope`)).status, 401);
  const bearer = await Client.open(`${worker.ws}/signal/auth`, { headers: { Authorization: "Bearer s3cret-token", "CF-Connecting-IP": "10.0.0.1" } });
  const query = await Client.open(`${worker.ws}/signal/auth?token=s3cret-token`, { headers: { "CF-Connecting-IP": "10.0.0.2" } });
  query.send({ type: "ping" });
  assert.deepEqual(await query.next(), { type: "pong" });
  await Promise.all([bearer.close(), query.close()]);
});

test("SIGNAL_IP_CONNECTS_PER_MINUTE: the third upgrade from one address in a minute gets 429", async () => {
  const from = (ip) => ({ headers: { Authorization: "Bearer s3cret-token", "CF-Connecting-IP": ip } });
  const first = await Client.open(`${worker.ws}/signal/rate`, from("192.0.2.7"));
  const second = await Client.open(`${worker.ws}/signal/rate`, from("192.0.2.7"));
  const third = await refusedUpgrade(`${worker.ws}/signal/rate`, from("192.0.2.7"));
  assert.deepEqual([third.status, third.body], [429, { error: "too many connections from this address" }]);
  const elsewhere = await Client.open(`${worker.ws}/signal/rate`, from("192.0.2.8"));
  await Promise.all([first.close(), second.close(), elsewhere.close()]);
});
