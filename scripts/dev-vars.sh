#!/usr/bin/env bash
# Local secrets for `wrangler dev`: gives .dev.vars (git-ignored) a random
# JWT_SECRET (room tokens) and ACCESS_TOKEN_SECRET (access tokens, `npm run
# token`) when it has none, so both work without a built-in secret.
# Deployments set their own: `wrangler secret put NAME`. The other secrets,
# with what each one does: .dev.vars.example.
set -euo pipefail
cd "$(dirname "$0")/.."

for name in JWT_SECRET ACCESS_TOKEN_SECRET; do
  if [ -f .dev.vars ] && grep -q "^$name=." .dev.vars; then
    continue
  fi
  secret=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')
  if [ -f .dev.vars ]; then
    # An empty line for the name (as copied from .dev.vars.example) is replaced.
    sed -i "/^$name=\$/d" .dev.vars
  fi
  # Keep whatever else the file holds; start on a fresh line.
  if [ -s .dev.vars ] && [ -n "$(tail -c1 .dev.vars)" ]; then echo >> .dev.vars; fi
  echo "$name=$secret" >> .dev.vars
  chmod 600 .dev.vars
  echo "dev-vars: wrote a random $name to .dev.vars"
done
