#!/usr/bin/env node
// Prints an access token: npm run token -- <app> <sub> --scope <scope> [--ttl <seconds>] [--topics a,b*]
// Signed (HS256, with jose) with ACCESS_TOKEN_SECRET from the environment or
// .dev.vars, as an app's own backend would sign it (README: Access tokens).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";

const kApps = ["signal", "mpc", "relay", "swarm"];
const kUsage = "usage: npm run token -- <signal|mpc|relay|swarm> <sub> --scope <scope> [--ttl <seconds>] [--topics a,b*]";

function fail(message) {
  console.error(`token: ${message}\n${kUsage}`);
  process.exit(2);
}

// ACCESS_TOKEN_SECRET from the environment, else from .dev.vars (what `npm start` serves with).
function secret() {
  if (process.env.ACCESS_TOKEN_SECRET) return process.env.ACCESS_TOKEN_SECRET;
  let vars = "";
  try {
    vars = readFileSync(new URL("../.dev.vars", import.meta.url), "utf8");
  } catch {
    // No .dev.vars: nothing to read.
  }
  const line = vars.split("\n").find((entry) => entry.startsWith("ACCESS_TOKEN_SECRET="));
  const value = line?.slice("ACCESS_TOKEN_SECRET=".length).trim().replace(/^"(.*)"$/, "$1");
  if (!value) fail("ACCESS_TOKEN_SECRET is neither in the environment nor in .dev.vars (npm start writes one)");
  return value;
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { scope: { type: "string" }, ttl: { type: "string", default: "3600" }, topics: { type: "string" } },
  });
} catch (error) {
  fail(error.message);
}
const { positionals, values } = parsed;
const [app, sub] = positionals;
if (positionals.length !== 2 || !kApps.includes(app) || !sub) fail("an app and a sub are required");
if (!values.scope) fail("--scope is required (the shard, session id or swarm the token is for)");
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl is a whole number of seconds");

const claims = { app, scope: values.scope };
if (values.topics !== undefined) claims.topics = values.topics.split(",").filter(Boolean);
const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(sub)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`)
  .sign(new TextEncoder().encode(secret()));
console.log(token);
