#!/usr/bin/env bash
# Debian packages the tests need: chromium and its driver for the browser tests, redis-server for
# the scaled-out (Celery + Redis) tests, postgresql for the scenario store and API on PostgreSQL.
# Installs only what is missing, so a prepared machine is not touched.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v redis-server >/dev/null || missing+=(redis-server)
# Debian keeps PostgreSQL's server programs off the PATH, in /usr/lib/postgresql/<version>/bin
command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
fi
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
