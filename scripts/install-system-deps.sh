#!/usr/bin/env bash
# Installs the Debian packages callbin needs. Run as root on Debian 12+.
#   bash scripts/install-system-deps.sh          runtime: espeak-ng (TTS), ffmpeg (media decoding), and
#                                                python3/make/g++ to build the embedded SQLite driver
#   bash scripts/install-system-deps.sh --test   also the test peers (sipp, baresip, sox, strace, openssl for test certificates; gcc builds the benchmarks' C load generators),
#                                                Kamailio (the cluster's SIP edge), a PostgreSQL server reachable at 127.0.0.1:5432
#                                                a NATS server with JetStream at 127.0.0.1:4222 (the cluster tests)
#                                                and Chromium (the browser tests drive it headless)
set -euo pipefail

packages=(espeak-ng espeak-ng-data ffmpeg python3 make g++)
if [ "${1:-}" = "--test" ]; then
  packages+=(sip-tester baresip sox strace gcc openssl postgresql postgresql-client kamailio rtpengine-daemon nats-server chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" != "--test" ]; then exit 0; fi

# The store contract suite runs against a real PostgreSQL (postgres://postgres@127.0.0.1:5432/test).
url="${CALLBIN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql "${url%/*}/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
  # A fresh cluster asks for a password on TCP; the test database user is local-only, so trust it.
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  echo "allowing trusted local TCP connections for the test user in $hba"
  sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  sleep 1
fi
db="${url##*/}"
if ! psql "${url%/*}/postgres" -Atqc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
  psql "${url%/*}/postgres" -qc "create database \"$db\""
fi
echo "PostgreSQL ready at ${url}"

# The cluster tests use a real NATS server with JetStream (nats://127.0.0.1:4222).
if ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  echo "starting nats-server (JetStream) on 127.0.0.1:4222"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break; sleep 1; done
fi
(exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null || { echo "NATS does not answer on 127.0.0.1:4222" >&2; exit 1; }
echo "NATS ready at nats://127.0.0.1:4222"
