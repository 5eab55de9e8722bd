#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:5432 for the test runs on the second engine: used as it is when it answers;
# otherwise Debian's cluster is started, or the `postgresql` package installed and started first.
# The suites connect as `postgres` without a password (trust on the loopback address, as on the
# project's machines). Needs root where it has to install or start anything.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if command -v pg_isready >/dev/null 2>&1 && ready; then
  echo "PostgreSQL is running on 127.0.0.1:5432"
  exit 0
fi

if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "installing Debian's postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /etc/postgresql | sort -V | tail -1)
conf=/etc/postgresql/$version/main
# Trust on the loopback address for the tests' `postgres` user, listening there on 5432.
if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
  sed -i '1i host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"
fi
sed -i "s/^#\?port = .*/port = 5432/" "$conf/postgresql.conf"

echo "starting PostgreSQL $version"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main restart
for _ in $(seq 1 60); do
  if ready; then
    echo "PostgreSQL is running on 127.0.0.1:5432"
    exit 0
  fi
  sleep 1
done
echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
exit 1
