#!/usr/bin/env bash
# Installs Debian's Chromium for the UI tests when it is missing (root only).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "UI tests need Chromium: install Debian's 'chromium' package (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
