#!/usr/bin/env bash
# A newcomer's path, on a fresh clone of this repository: README's install and first start, its admin sequence
# and its CI recipe as written (on a free port instead of 3000), then `npm pack` → install of the tarball into an
# empty folder → `npx socket-repos-server serve` and `import { createServer }`. Needs the npm registry (or its
# cache) for the dependencies; better-sqlite3 may compile from source (a minute or two, twice).
set -euo pipefail
source_repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/srs-fresh-XXXXXX")"
export npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_for() { # url, seconds
  for _ in $(seq 1 $(($2 * 5))); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done
  echo "not up: $1" >&2
  return 1
}
# The first ```sh block after a README heading.
readme_block() { awk -v h="$1" '$0 == h {s=1} s && /^```sh/ {b=1; next} b && /^```/ {exit} b {print}' README.md; }
step() { echo "== $*"; }

git clone -q "$source_repo" "$work/clone"
cd "$work/clone"

step "npm ci on a fresh clone (installs exactly the lockfile, builds dist/ through prepare)"
npm ci >"$work/ci.log" 2>&1 || { cat "$work/ci.log" >&2; exit 1; }
if grep -E 'EBADENGINE' "$work/ci.log"; then echo "npm ci warned about engines" >&2; exit 1; fi
test -f dist/server.js && test -f dist/index.d.ts

step "npm pack, then the tarball into an empty folder (in the background meanwhile)"
tarball="$work/clone/$(npm pack --silent | tail -1)"
mkdir "$work/consumer"
(cd "$work/consumer" && npm init -y >/dev/null && npm install "$tarball" >"$work/consumer.log" 2>&1) &
consumer_install=$!

step "npm start: the first start bootstraps and prints a map; dist/ is current, so nothing is rebuilt"
port="$(free_port)"
before="$(stat -c %Y dist/server.js)"
setsid env PORT="$port" npm start >"$work/start.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$port/ready" 60
for _ in $(seq 1 50); do grep -q 'request journal:' "$work/start.log" && break; sleep 0.2; done
grep -q 'token: sktsec_' "$work/start.log"
grep -q "API base URL:    http://127.0.0.1:$port/v0" "$work/start.log"
test "$(stat -c %Y dist/server.js)" = "$before"
curl -sf "http://127.0.0.1:$port/" | grep -q '"docs":"/docs"'
kill -- "-${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
pids=()

step "README's admin sequence, as written, on the database of that first start"
grep -E '^npm run admin -- ' <(readme_block '## Admin CLI') | sed 's/ *#.*$//' | while read -r line; do
  echo "\$ $line"
  output="$(bash -c "$line" 2>&1)" || { echo "$output" >&2; exit 1; }
  echo "$output" | grep -v '^>' | grep -v '^$' | head -3
  test -n "$(echo "$output" | grep -v '^>' | grep -v '^$')" || { echo "no output from: $line" >&2; exit 1; }
done
test -f state.yml

port="$(free_port)"
step "README's CI recipe, as written (npm ci done above; port $port for 3000)"
recipe="$(readme_block '## Run in CI' | grep -v '^npm ci' | sed "s/3000/$port/g")"
setsid bash -c "set -euo pipefail; trap 'kill \$(jobs -p) 2>/dev/null || true' EXIT; $recipe" >"$work/recipe.log" 2>&1 ||
  { cat "$work/recipe.log" >&2; exit 1; }
grep -q 'web-app' "$work/recipe.log"
grep -q '"operationId":"getOrgRepoList"' "$work/recipe.log"
if grep -q 'sktsec_fixture_ci_token' "$work/recipe.log"; then echo "a token was printed" >&2; exit 1; fi

step "the tarball, installed into an empty folder: npx socket-repos-server serve, and import { createServer }"
wait "$consumer_install" || { cat "$work/consumer.log" >&2; exit 1; }
cd "$work/consumer"
port="$(free_port)"
setsid env PORT="$port" DATABASE_PATH=:memory: npx --no-install socket-repos-server serve >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$port/health" 60
curl -sf "http://127.0.0.1:$port/openapi.json" | grep -q '"openapi"'
cat >consumer.test.mjs <<'EOF'
import { createServer } from 'socket-repos-server'
const token = 'sktsec_consumer_token_0123456789'
const server = await createServer({ fixture: { orgs: [{ slug: 'acme', tokens: [{ token }] }] } })
const api = await server.listen()
const created = await fetch(`${api}/orgs/acme/repos`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'web', visibility: 'private' }),
})
const [entry] = server.requests({ operationId: 'createOrgRepo' })
await server.close()
if (created.status !== 201 || entry?.status !== 201 || JSON.stringify(entry).includes(token)) process.exit(1)
console.log('createServer from the tarball: ok')
EOF
node consumer.test.mjs

echo "== fresh clone: all README paths work"
