#!/usr/bin/env bash
# ci-postgres.sh gets a scratch PostgreSQL database for the pgstore tests:
# it starts the machine's PostgreSQL (127.0.0.1:5432, trust auth, user
# postgres) if it is down, creates a database of this run's own, and
# prints its URL on stdout; everything else goes to stderr.
#
#   url=$(scripts/ci-postgres.sh $$)      # $$: the shell the run belongs to
#   trap 'scripts/ci-postgres.sh --drop "$url"' EXIT
#   ORGD_TEST_POSTGRES_URL=$url go test ./internal/store/...
#
# A run's database is orgd_test_<host>_<pid>_<random>, where pid is the
# process the run belongs to (the argument, else the caller). Two runs on
# one host, or on two hosts sharing a server, never share or drop each
# other's database. --drop drops one such database; each run also drops
# the databases of runs on this host whose process is gone (killed before
# its trap ran), and no others.
set -euo pipefail

host=127.0.0.1
port=5432
user=postgres

say() { echo "ci-postgres: $*" >&2; }
sql() { psql -h "$host" -p "$port" -U "$user" -d postgres -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@" >&2; }

# This host's part of the names: lower-case letters and digits only, so
# that a name is a plain identifier.
me=$(hostname 2>/dev/null | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z' | cut -c1-20)
me=${me:-host}
prefix="orgd_test_${me}_"

if [ "${1:-}" = --drop ]; then
	db=${2:?usage: ci-postgres.sh --drop URL-or-database}
	db=${db##*/}
	db=${db%%\?*}
	case "$db" in
	"$prefix"*) ;;
	*)
		say "refusing to drop $db: not a database of a test run on this host ($prefix*)"
		exit 1
		;;
	esac
	# FORCE ends sessions the run's tests left behind.
	sql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
	say "dropped database $db"
	exit 0
fi

owner=${1:-$PPID}
case "$owner" in
'' | *[!0-9]*)
	say "the owner must be a process ID, not $owner"
	exit 2
	;;
esac

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

# Databases of this host's runs whose process is gone.
psql -h "$host" -p "$port" -U "$user" -d postgres -XAtq \
	-c "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'" |
	while read -r stale; do
		pid=${stale#"$prefix"}
		pid=${pid%%_*}
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && [ ! -d "/proc/$pid" ]; then
			sql -c "DROP DATABASE IF EXISTS $stale WITH (FORCE)"
			say "dropped $stale, left by a run that is gone"
		fi
	done

db="${prefix}${owner}_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
sql -c "CREATE DATABASE $db"
say "database $db is empty and ready; scripts/ci-postgres.sh --drop $db drops it"
echo "postgres://$user@$host:$port/$db?sslmode=disable"
