#!/usr/bin/env bash
# Starts the machine's PostgreSQL 15 cluster on 127.0.0.1 only and creates the role and
# database the keyseal-server tests use. The tests read the URL from
# KEYSEAL_TEST_POSTGRES_URL, which `.ci/run` exports (this script runs in a subshell).
# Idempotent: running it again on a started cluster changes nothing.
set -euo pipefail
version=15
cluster=main
url_role=keyseal_test
url_db=keyseal_test
if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c && $4 == "online" {found=1} END {exit !found}'; then
    # Debian's postgresql.conf includes conf.d/: listen on loopback only.
    echo "listen_addresses = '127.0.0.1'" >"/etc/postgresql/$version/$cluster/conf.d/keyseal-ci.conf"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
fi
for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p 5432
psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA -h /var/run/postgresql $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$url_role'\"")" != 1 ]; then
    psql_admin "-c \"CREATE ROLE $url_role LOGIN PASSWORD '$url_role' CREATEDB\""
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$url_db'\"")" != 1 ]; then
    psql_admin "-c \"CREATE DATABASE $url_db OWNER $url_role\""
fi
echo "PostgreSQL ready: postgres://$url_role:***@127.0.0.1:5432/$url_db"
