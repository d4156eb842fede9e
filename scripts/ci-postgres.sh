#!/usr/bin/env bash
# ci-postgres.sh gets a scratch PostgreSQL database for the pgstore tests:
# it starts the machine's PostgreSQL (127.0.0.1:5432, trust auth, user
# postgres) if it is down, drops and recreates the database orgd_test, and
# prints that database's URL on stdout; everything else goes to stderr.
#
#   export ORGD_TEST_POSTGRES_URL=$(scripts/ci-postgres.sh)
#   go test ./internal/store/...
#
# Running it again is safe: PostgreSQL is started only when it does not
# answer, and the database is rebuilt empty each time.
set -euo pipefail

host=127.0.0.1
port=5432
user=postgres
db=orgd_test

say() { echo "ci-postgres: $*" >&2; }

if ! command -v psql >/dev/null; then
	say "psql is not installed; PostgreSQL's client and server come from Debian's postgresql package"
	exit 1
fi

ready() { psql -h "$host" -p "$port" -U "$user" -d postgres -XAtqc 'select 1' >/dev/null 2>&1; }

if ! ready; then
	if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
		say "PostgreSQL does not answer on $host:$port and no cluster is installed to start"
		exit 1
	fi
	version=$(ls /etc/postgresql | sort -V | tail -n 1)
	say "PostgreSQL does not answer on $host:$port; starting cluster $version/main"
	# It may be up but still starting, in which case start fails harmlessly.
	pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
	for _ in $(seq 60); do
		ready && break
		sleep 0.5
	done
	if ! ready; then
		say "PostgreSQL still does not answer on $host:$port after 30s"
		exit 1
	fi
fi

# Separate -c runs are separate transactions, which DROP/CREATE DATABASE
# need; FORCE ends sessions a killed test run left connected.
psql -h "$host" -p "$port" -U "$user" -d postgres -X -q -v ON_ERROR_STOP=1 \
	-c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
	-c "CREATE DATABASE $db" >&2
say "database $db is empty and ready"
echo "postgres://$user@$host:$port/$db?sslmode=disable"
