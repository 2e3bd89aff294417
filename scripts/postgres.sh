#!/usr/bin/env bash
# postgres.sh - throwaway PostgreSQL servers for the integration tests.
#
# Usage:
#   scripts/postgres.sh install      install Debian's `postgresql` package (server
#                                    + psql) if initdb/pg_ctl are missing; stops any
#                                    system cluster the package started. Idempotent.
#   scripts/postgres.sh start DIR    create a new cluster in DIR and start it;
#                                    prints ONE line on stdout, a libpq conninfo:
#                                      host=DIR port=PORT user=USER dbname=leadtune
#   scripts/postgres.sh stop DIR     stop the cluster in DIR (exit 0 if none runs).
#   scripts/postgres.sh -h           this help.
#
# start DIR:
#   - DIR must be an absolute or relative path made of [A-Za-z0-9._/+-] only,
#     short enough for a unix socket (DIR/.s.PGSQL.NNNNN < 108 bytes), and
#     either missing (it is created) or an empty directory.
#   - Layout: DIR/data (cluster), DIR/postgres.log (server log), DIR/initdb.log,
#     DIR/.s.PGSQL.PORT (the only listening socket: listen_addresses='').
#   - Auth is `trust` for local connections; encoding UTF8, locale C; fsync off
#     (throwaway data). The database `leadtune` is created.
#   - As a normal user: everything runs as that user; USER is that user's name.
#   - As root (initdb refuses root): initdb/pg_ctl run as the `postgres` system
#     user (override with PG_RUN_AS=name), DIR is chown'ed to it, and every
#     ancestor directory of DIR that this user cannot traverse gets `chmod o+x`
#     (search only, not read), e.g. a 0700 tempdir made by root. USER is then
#     `postgres`; root's psql connects over the socket with trust auth.
#   - All messages go to stderr; only the conninfo line goes to stdout. The
#     server is detached from the script's stdout/stderr, so `$(...)` or
#     Rust's Command::output() return as soon as the script exits.
#   - The server keeps running after the script exits: call `stop DIR` (e.g. in
#     a Drop guard) before deleting DIR.
#
# Environment (all optional):
#   PG_BINDIR         directory holding initdb/pg_ctl (default: highest
#                     /usr/lib/postgresql/*/bin)
#   PG_RUN_AS         user to run the server as when invoked as root (postgres)
#   PG_START_TIMEOUT  seconds to wait for the server to accept connections (30)
#   PG_PORT           first port number to try (default derived from $$)
#
# Exit status: 0 on success, non-zero with a message on stderr otherwise.
set -euo pipefail

readonly DBNAME=leadtune
PROG=$(basename "$0")

usage() {
  sed -n '2,/^set -euo pipefail/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

log() {
  printf '%s: %s\n' "$PROG" "$*" >&2
}

# Print the highest-versioned PostgreSQL bin dir with initdb and pg_ctl, or
# return 1.
find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then
    if [[ -x "$PG_BINDIR/initdb" && -x "$PG_BINDIR/pg_ctl" ]]; then
      printf '%s\n' "$PG_BINDIR"
      return 0
    fi
    return 1
  fi
  local d best=""
  # sort -V so that 9.6 < 10 < 15 < 16.
  while IFS= read -r d; do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      best=$d
    fi
  done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
  [[ -n "$best" ]] || return 1
  printf '%s\n' "$best"
}

# ---------------------------------------------------------------- install
cmd_install() {
  if find_bindir >/dev/null && command -v psql >/dev/null 2>&1; then
    log "PostgreSQL already installed ($(find_bindir))"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "PostgreSQL (initdb/pg_ctl) is missing and apt-get is not available; install PostgreSQL server binaries by hand (or set PG_BINDIR)"
  local -a sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 ||
      die "installing PostgreSQL needs root: run as root or install sudo"
    sudo=(sudo)
  fi
  log "installing Debian package postgresql (apt-get)..."
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
    die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Use-Pty=0 postgresql >&2 ||
    die "apt-get install postgresql failed"

  # The package creates a "main" cluster and may have started it (on port
  # 5432). The tests never use it; stop it so nothing is left running.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local ver name _port status _rest
    while read -r ver name _port status _rest; do
      if [[ "$status" == online* ]]; then
        log "stopping system cluster $ver/$name started by the package"
        "${sudo[@]}" pg_ctlcluster "$ver" "$name" stop >&2 ||
          log "warning: could not stop system cluster $ver/$name"
      fi
    done < <(pg_lsclusters -h 2>/dev/null || true)
  fi

  find_bindir >/dev/null ||
    die "postgresql installed but no initdb/pg_ctl in /usr/lib/postgresql/*/bin"
  command -v psql >/dev/null 2>&1 || die "postgresql installed but psql not found"
  log "PostgreSQL installed ($(find_bindir))"
}

# ---------------------------------------------------------------- helpers
# Absolute path of $1 (which may not exist yet); no symlink resolution needed.
abspath() {
  local p=$1
  [[ "$p" == /* ]] || p="$PWD/$p"
  # Squeeze // and strip trailing /.
  p=$(printf '%s' "$p" | tr -s '/')
  [[ "$p" == "/" ]] || p=${p%/}
  printf '%s\n' "$p"
}

check_dir_arg() {
  local dir=$1
  [[ "$dir" =~ ^[A-Za-z0-9._/+-]+$ ]] ||
    die "DIR '$dir' may only contain [A-Za-z0-9._/+-] (it goes into a libpq conninfo and postgresql.conf)"
  # sun_path is 108 bytes including the NUL; socket name is .s.PGSQL.NNNNN
  (( ${#dir} + 15 < 108 )) ||
    die "DIR '$dir' is too long for a unix socket path (max ~92 characters)"
}

# as_user USER CMD...: run CMD as USER (directly when USER is us).
as_user() {
  local user=$1
  shift
  if [[ "$user" == "$(id -un)" ]]; then
    "$@"
  else
    runuser -u "$user" -- "$@"
  fi
}

# Make every ancestor of $1 traversable by user $2 (root only).
ensure_traversable() {
  local dir=$1 user=$2 p
  p=$(dirname "$dir")
  local -a fix=()
  while [[ "$p" != "/" ]]; do
    if ! runuser -u "$user" -- test -x "$p" 2>/dev/null; then
      fix+=("$p")
    fi
    p=$(dirname "$p")
  done
  if ((${#fix[@]})); then
    log "chmod o+x (so user '$user' can reach DIR): ${fix[*]}"
    chmod o+x "${fix[@]}"
  fi
}

# ---------------------------------------------------------------- start
cmd_start() {
  local dir
  dir=$(abspath "$1")
  check_dir_arg "$dir"

  local bindir
  bindir=$(find_bindir) ||
    die "initdb/pg_ctl not found in /usr/lib/postgresql/*/bin; run '$0 install' first"
  command -v psql >/dev/null 2>&1 || die "psql not found; run '$0 install' first"

  if [[ -e "$dir" ]]; then
    [[ -d "$dir" ]] || die "DIR '$dir' exists and is not a directory"
    [[ -z "$(ls -A "$dir")" ]] || die "DIR '$dir' is not empty (start needs a new or empty directory)"
  else
    mkdir -p "$dir" || die "cannot create DIR '$dir'"
  fi

  local user
  if [[ $EUID -eq 0 ]]; then
    user=${PG_RUN_AS:-postgres}
    [[ "$user" != root ]] || die "PG_RUN_AS must not be root (initdb refuses to run as root)"
    id -u "$user" >/dev/null 2>&1 ||
      die "running as root but user '$user' does not exist (run '$0 install', or set PG_RUN_AS to an unprivileged user)"
    command -v runuser >/dev/null 2>&1 || die "running as root but runuser(1) is missing"
    chown "$user": "$dir"
    chmod 0700 "$dir"
    ensure_traversable "$dir" "$user"
    as_user "$user" test -w "$dir" || die "user '$user' cannot write to '$dir'"
  else
    user=$(id -un)
    [[ -w "$dir" ]] || die "cannot write to DIR '$dir'"
  fi

  local data="$dir/data" logfile="$dir/postgres.log" initlog="$dir/initdb.log"

  # initdb/pg_ctl look at the current directory; use one the user can read.
  cd "$dir"

  log "initdb ($bindir/initdb) as user '$user' in $data"
  if ! as_user "$user" "$bindir/initdb" -D "$data" -U "$user" -A trust \
      -E UTF8 --locale=C --no-sync >"$initlog" 2>&1; then
    cat "$initlog" >&2
    die "initdb failed (log above, also in $initlog)"
  fi

  as_user "$user" tee -a "$data/postgresql.conf" >/dev/null <<EOF

# --- added by scripts/postgres.sh: throwaway test server ---
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0777
max_connections = 20
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF

  local timeout=${PG_START_TIMEOUT:-30}
  local port=${PG_PORT:-$((20000 + ($$ * 7) % 30000))}
  local attempt started=0
  for attempt in 1 2 3 4 5; do
    # The socket lives in DIR, so a port number can only clash with another
    # server using the same DIR; still vary it and retry to be safe.
    if [[ -e "$dir/.s.PGSQL.$port" || -e "$dir/.s.PGSQL.$port.lock" ]]; then
      port=$(((port - 20000 + 1 + RANDOM % 97) % 30000 + 20000))
      continue
    fi
    log "starting server on socket $dir/.s.PGSQL.$port (attempt $attempt)"
    # -l detaches the server's stdin/stdout/stderr (</dev/null >>log 2>&1).
    if as_user "$user" "$bindir/pg_ctl" start -D "$data" -l "$logfile" -w \
        -t "$timeout" -o "-p $port" >&2 </dev/null; then
      started=1
      break
    fi
    log "pg_ctl start failed on port $port; server log:"
    tail -n 20 "$logfile" >&2 || true
    # Stop anything half-started before trying another port.
    as_user "$user" "$bindir/pg_ctl" stop -D "$data" -m immediate -w >/dev/null 2>&1 </dev/null || true
    port=$(((port - 20000 + 1 + RANDOM % 97) % 30000 + 20000))
  done
  ((started)) || { cat "$logfile" >&2 2>/dev/null || true; die "could not start PostgreSQL in '$dir' (server log: $logfile)"; }

  # pg_ctl -w already waited for "ready"; confirm a real connection works.
  local deadline=$((SECONDS + timeout))
  until "$bindir/pg_isready" -q -h "$dir" -p "$port" -U "$user" -d postgres; do
    if ((SECONDS >= deadline)); then
      cat "$logfile" >&2 || true
      as_user "$user" "$bindir/pg_ctl" stop -D "$data" -m immediate >/dev/null 2>&1 </dev/null || true
      die "server in '$dir' did not accept connections within ${timeout}s"
    fi
    sleep 0.2
  done

  if ! "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
      "host=$dir port=$port user=$user dbname=postgres" \
      -c "CREATE DATABASE $DBNAME" >&2 </dev/null; then
    as_user "$user" "$bindir/pg_ctl" stop -D "$data" -m immediate >/dev/null 2>&1 </dev/null || true
    die "could not create database $DBNAME"
  fi
  log "ready: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') in $dir, port $port, user $user"
  printf 'host=%s port=%s user=%s dbname=%s\n' "$dir" "$port" "$user" "$DBNAME"
}

# ---------------------------------------------------------------- stop
cmd_stop() {
  local dir
  dir=$(abspath "$1")
  local data="$dir/data"
  if [[ ! -f "$data/postmaster.pid" ]]; then
    return 0 # nothing running (or no cluster at all)
  fi
  local bindir
  bindir=$(find_bindir) || die "pg_ctl not found; cannot stop the server in '$dir'"
  local owner
  owner=$(stat -c %U "$data")
  if [[ $EUID -ne 0 && "$owner" != "$(id -un)" ]]; then
    die "cluster in '$dir' belongs to '$owner'; stop it as that user or root"
  fi
  [[ "$owner" != UNKNOWN ]] || die "cannot tell who owns '$data'"
  (cd "$dir" && as_user "$owner" "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 30 \
      >/dev/null 2>&1 </dev/null) ||
    (cd "$dir" && as_user "$owner" "$bindir/pg_ctl" stop -D "$data" -m immediate -w \
      >/dev/null 2>&1 </dev/null) || true
  if (cd "$dir" && as_user "$owner" "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1 </dev/null); then
    die "the server in '$dir' is still running"
  fi
  return 0
}

# ---------------------------------------------------------------- main
main() {
  local cmd=${1:-}
  case "$cmd" in
    -h | --help | help)
      usage
      ;;
    install)
      (($# == 1)) || { usage >&2; exit 2; }
      cmd_install
      ;;
    start)
      (($# == 2)) || { usage >&2; exit 2; }
      cmd_start "$2"
      ;;
    stop)
      (($# == 2)) || { usage >&2; exit 2; }
      cmd_stop "$2"
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
