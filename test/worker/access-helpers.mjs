// @ts-check
// Access tokens as an app's backend mints them (jose), and the forgeries the
// Worker must refuse, for the access suites.
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";

// The ACCESS_TOKEN_SECRET the suites' servers are given.
export const kSecret = `access-${randomBytes(16).toString("hex")}`;

export const unique = (name) => `${name}-${Math.random().toString(36).slice(2, 10)}`;
export const seconds = () => Math.floor(Date.now() / 1000);

/**
 * An access token as an app's backend mints it with jose.
 * @param {string} app @param {string} sub @param {string} scope
 * @param {{ secret?: string, alg?: string, exp?: number, nbf?: number, topics?: string[] }} [options]
 */
export function mint(app, sub, scope, { secret = kSecret, alg = "HS256", exp = seconds() + 600, nbf, topics } = {}) {
  /** @type {Record<string, unknown>} */
  const claims = { app, scope };
  if (topics) claims.topics = topics;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).setSubject(sub).setIssuedAt().setExpirationTime(exp);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  return jwt.sign(new TextEncoder().encode(secret));
}

export const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
export const withToken = (url, token) => `${url}${url.includes("?") ? "&" : "?"}access_token=${token}`;
export const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });

/**
 * Every token the Worker must refuse for (app, sub, scope): [what, token or null, status].
 * @returns {Promise<[string, string | null, number][]>}
 */
export async function forgeries(app, sub, scope, otherScope = `${scope}x`) {
  const good = await mint(app, sub, scope);
  const [header, payload] = good.split(".");
  return [
    ["no token", null, 401],
    ["another secret", await mint(app, sub, scope, { secret: "not-the-secret" }), 401],
    ["alg none", `${part({ alg: "none", typ: "JWT" })}.${payload}.`, 401],
    ["alg HS512 with the right secret", await mint(app, sub, scope, { alg: "HS512" }), 401],
    ["signature stripped", `${header}.${payload}.`, 401],
    ["signature and its dot stripped", `${header}.${payload}`, 401],
    ["expired", await mint(app, sub, scope, { exp: seconds() - 5 }), 401],
    ["nbf in the future", await mint(app, sub, scope, { nbf: seconds() + 600 }), 401],
    ["malformed", "not-a-token", 401],
    ["another app", await mint(app === "mpc" ? "relay" : "mpc", sub, scope), 403],
    ["another scope", await mint(app, sub, otherScope), 403],
  ];
}

