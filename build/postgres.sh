# A private PostgreSQL server for tests and benchmarks: on 127.0.0.1 only, on a free port, its data in a temporary
# folder that postgres_stop removes. Source this file, then:
#   postgres_start            # starts it; exports WORKFLOWS_POSTGRES (the connection string), POSTGRES_PORT, POSTGRES_BASE
#   POSTGRES_FSYNC=off postgres_start   # fsync off: only for functional tests (anything measuring durability keeps it on)
#   postgres_stop             # stops it and removes its folder; harmless when nothing was started
# Installs Debian's postgresql package only when no /usr/lib/postgresql/*/bin/initdb exists (that needs root).
# The server runs as the postgres user (initdb refuses root); trust authentication, reachable only from this machine.

postgres_start() {
  local initdb_path
  initdb_path="$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$initdb_path" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "!! PostgreSQL is missing and installing it needs root: apt-get install -y postgresql"; return 1; }
    echo "installing postgresql (apt-get install -y postgresql)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
        || { echo "!! could not install postgresql (apt-get install -y postgresql)"; return 1; }
    fi
    initdb_path="$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$initdb_path" ] || { echo "!! apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb exists"; return 1; }
  fi
  POSTGRES_BIN="$(dirname "$initdb_path")"
  local as_postgres=()
  if [ "$(id -u)" -eq 0 ]; then as_postgres=(runuser -u postgres --); fi

  POSTGRES_BASE="$(mktemp -d)"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$POSTGRES_BASE"
  chmod 700 "$POSTGRES_BASE"
  POSTGRES_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  if ! "${as_postgres[@]}" "$POSTGRES_BIN/initdb" -D "$POSTGRES_BASE/data" -U postgres --auth=trust -E UTF8 --no-sync \
      >"$POSTGRES_BASE/initdb.log" 2>&1; then
    echo "!! initdb failed:"; cat "$POSTGRES_BASE/initdb.log"; postgres_stop; return 1
  fi
  local options="-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $POSTGRES_BASE -c max_connections=200"
  if [ "${POSTGRES_FSYNC:-on}" = "off" ]; then
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  if ! "${as_postgres[@]}" "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_BASE/data" -l "$POSTGRES_BASE/server.log" -w -t 30 \
      -o "$options" start >/dev/null; then
    echo "!! PostgreSQL did not start:"; cat "$POSTGRES_BASE/server.log" 2>/dev/null || true; postgres_stop; return 1
  fi
  export WORKFLOWS_POSTGRES="Host=127.0.0.1;Port=$POSTGRES_PORT;Username=postgres;Database=postgres"
  export POSTGRES_PORT POSTGRES_BASE POSTGRES_BIN
  echo "PostgreSQL $("$POSTGRES_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$POSTGRES_PORT (data in $POSTGRES_BASE)"
}

postgres_stop() {
  [ -n "${POSTGRES_BASE:-}" ] || return 0
  if [ -f "$POSTGRES_BASE/data/postmaster.pid" ]; then
    local as_postgres=()
    if [ "$(id -u)" -eq 0 ]; then as_postgres=(runuser -u postgres --); fi
    "${as_postgres[@]}" "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_BASE/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || "${as_postgres[@]}" "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_BASE/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$POSTGRES_BASE"
  POSTGRES_BASE=""
  unset WORKFLOWS_POSTGRES
}
