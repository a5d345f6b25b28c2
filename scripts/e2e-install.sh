#!/usr/bin/env bash
# Installs what the end-to-end editor tests (test/e2e) need, outside the
# project's own dependencies:
#   Debian: chromium, libkrb5-dev, ripgrep, neovim   (apt-get; sudo only when not root)
#   npm:    code-server@4.100.3 and playwright-core   (into $FAULTLINE_E2E_CACHE)
# Idempotent: a second run checks what is there and returns in about a second.
# Works with only the npm registry and Debian's archive reachable.
#
#   bash scripts/e2e-install.sh            # install (or check) everything
#   FAULTLINE_E2E_CACHE=/some/dir bash scripts/e2e-install.sh
#
# Exit code non-zero, with a line saying what could not be installed, on failure.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3          # newest code-server that runs on Node 20 (VS Code 1.100.3)
PLAYWRIGHT_VERSION=${FAULTLINE_PLAYWRIGHT_VERSION:-1.65.1}
CACHE=${FAULTLINE_E2E_CACHE:-$HOME/.cache/faultline-e2e}
DEBS=(chromium libkrb5-dev ripgrep neovim)

say() { echo "e2e-install: $*"; }
fail() { echo "e2e-install: FAILED: $*" >&2; exit 1; }

# --- Debian packages ---------------------------------------------------------
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "not root and no sudo: cannot apt-get install ${missing[*]}"
    SUDO=sudo
  fi
  say "apt-get install ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi
for bin in chromium rg nvim; do
  command -v "$bin" >/dev/null || fail "$bin is not on PATH after installing ${DEBS[*]}"
done

# --- code-server + playwright-core into the cache ------------------------------
CS_BIN="$CACHE/node_modules/.bin/code-server"
PW_PKG="$CACHE/node_modules/playwright-core/package.json"
installed_version() { node -p "require('$1').version" 2>/dev/null || true; }

if [ "$(installed_version "$CACHE/node_modules/code-server/package.json")" != "$CODE_SERVER_VERSION" ] \
  || [ "$(installed_version "$PW_PKG")" != "$PLAYWRIGHT_VERSION" ] || [ ! -x "$CS_BIN" ]; then
  mkdir -p "$CACHE"
  [ -f "$CACHE/package.json" ] || echo '{ "name": "faultline-e2e-cache", "private": true }' > "$CACHE/package.json"

  # @vscode/ripgrep's postinstall downloads rg from GitHub, which is not reachable:
  # pre-seed its download cache (in $TMPDIR) with Debian's rg.
  export TMPDIR="$CACHE/tmp"
  rgcache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rgcache"
  for asset in ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz ripgrep-v13.0.0-10-aarch64-unknown-linux-musl.tar.gz; do
    if [ ! -f "$rgcache/$asset" ]; then
      t=$(mktemp -d); cp "$(command -v rg)" "$t/rg"; tar czf "$rgcache/$asset" -C "$t" rg; rm -rf "$t"
    fi
  done

  say "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION into $CACHE (about a minute)"
  # npm_config_unsafe_perm: code-server's postinstall refuses root without it.
  # npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which a `yes=false` npmrc cancels.
  (cd "$CACHE" && npm_config_yes=true npm_config_unsafe_perm=true npm_config_fund=false npm_config_audit=false \
    npm install --loglevel=error "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION") \
    || fail "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION failed"
fi

csv=$(HOME="$CACHE/home" "$CS_BIN" --version 2>/dev/null | grep -m1 -E "^[0-9]") || fail "code-server does not run ($CS_BIN --version)"
case "$csv" in "$CODE_SERVER_VERSION"*) ;; *) fail "code-server reports '$csv', expected $CODE_SERVER_VERSION" ;; esac
say "ok: code-server $csv, playwright-core $(installed_version "$PW_PKG"), $(chromium --version 2>/dev/null | head -1), $(nvim --version | head -1), cache $CACHE"
