#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the ledger tests (docs/ledger.md). Sourced by .ci/run; run
# it by hand for local test runs:
#
#   eval "$(bash .ci/postgres.sh start)"   # prints `export CASCADE_TEST_PG_URL=...; export CASCADE_TEST_PG_DIR=...`
#   bash .ci/postgres.sh stop "$CASCADE_TEST_PG_DIR"
#
# Debian's `postgresql` package is installed (apt-get) only when no initdb/pg_ctl is found. The
# cluster lives in a fresh directory under /tmp, listens on 127.0.0.1 on a free port and on a
# unix socket in that directory, trusts local connections (nothing but the tests reach it), and
# runs as the `postgres` user when we are root (root cannot run initdb).

pg__bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

pg__install() {
  if pg__bindir >/dev/null; then return 0; fi
  echo "PostgreSQL not found: installing Debian's postgresql package" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update >&2 && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y postgresql >&2
  pg__bindir >/dev/null
}

pg__as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg__free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Prints the exports on stdout; everything else goes to stderr.
pg_start() {
  pg__install || {
    echo "could not install PostgreSQL" >&2
    return 1
  }
  local bin dir port
  bin=$(pg__bindir)
  dir=$(mktemp -d /tmp/cascade-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  port=$(pg__free_port)
  pg__as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    return 1
  }
  pg__as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2 || {
    cat "$dir/server.log" >&2
    return 1
  }
  pg__as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres cascade_test >&2 || return 1
  echo "export CASCADE_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/cascade_test"
  echo "export CASCADE_TEST_PG_DIR=$dir"
}

pg_stop() {
  local dir=$1 bin
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  bin=$(pg__bindir) || return 0
  pg__as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start) pg_start ;;
    stop) pg_stop "${2:-${CASCADE_TEST_PG_DIR:-}}" ;;
    *)
      echo "usage: $0 start | stop DIR" >&2
      exit 2
      ;;
  esac
fi
