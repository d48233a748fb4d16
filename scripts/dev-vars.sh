#!/usr/bin/env bash
# Local secrets for `wrangler dev`: gives .dev.vars (git-ignored) a random
# JWT_SECRET when it has none, so room tokens work without a built-in secret.
# Deployments set their own: `wrangler secret put JWT_SECRET`. The other
# secrets, with what each one does: .dev.vars.example.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f .dev.vars ] && grep -q '^JWT_SECRET=' .dev.vars; then
  exit 0
fi
secret=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')
# Keep whatever else the file holds; start on a fresh line.
if [ -s .dev.vars ] && [ -n "$(tail -c1 .dev.vars)" ]; then echo >> .dev.vars; fi
echo "JWT_SECRET=$secret" >> .dev.vars
chmod 600 .dev.vars
echo "dev-vars: wrote a random JWT_SECRET to .dev.vars"
