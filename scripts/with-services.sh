#!/usr/bin/env bash
# Runs a command (the test suite) beside a throwaway PostgreSQL cluster on a loopback
# port, exported as TOUCHPOINT_TEST_PG_URL, and removes the cluster afterwards.
set -uo pipefail
initdb=$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1)
bindir=$(dirname "$initdb")
dir=$(mktemp -d /tmp/touchpoint-pg.XXXXXX)
# TOUCHPOINT_TEST_PG_PORT names the one port to use; by default the first of 54329-54348
# that a server can listen on (another cluster, or a test run beside this one, may hold
# 54329).
ports=(${TOUCHPOINT_TEST_PG_PORT:-$(seq 54329 54348)})
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U touchpoint --auth=trust -E UTF8 >/dev/null
started=
for port in "${ports[@]}"; do
  if "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null 2>&1; then
    started=$port
    break
  fi
done
if [ -z "$started" ]; then
  echo "with-services.sh: PostgreSQL could not start on port(s) ${ports[*]}; its log:" >&2
  cat "$dir/log" >&2
  exit 1
fi
"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U touchpoint touchpoint_test || exit 1
export TOUCHPOINT_TEST_PG_URL="postgresql+psycopg://touchpoint@127.0.0.1:$port/touchpoint_test"
"$@"
rc=$?
# pytest's "no tests collected" is not a pass.
exit $rc
