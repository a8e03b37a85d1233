#!/usr/bin/env bash
# Installs what the benchmarks drive beyond the test dependencies, from Debian's packages,
# when missing: wrk (the HTTP load generator of bench/api_writes.py). Not part of make test.
set -euo pipefail
need=()
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench-deps: missing ${need[*]} and not root; install them with apt-get" >&2
    exit 1
  fi
  echo "bench-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
