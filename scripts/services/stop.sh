#!/usr/bin/env bash
# Stop services that scripts/services/start.sh started; forget (but never stop) servers that
# were already running when start.sh found them (the machine's own PostgreSQL, Redis and MariaDB).
#   scripts/services/stop.sh NAME [NAME...] | all
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

exec 3>&1 1>&2

mapfile -t NAMES < <(expand_names "$@")
[ ${#NAMES[@]} -gt 0 ] || exit 1
lock_state

forget() { rm -f "$STATE/$1.env" "$STATE/$1.pid" "$STATE/$1.mode" "$STATE/$1.datadir"; }

stop_postgres() {
    local mode pid kind ver cl
    mode="$(cat "$STATE/postgres.mode" 2>/dev/null || echo external)"
    pid="$(main_pid postgres || true)"
    read -r kind ver cl <<<"$mode" || true
    case "$kind" in
        cluster)
            if pid_matches "$pid" postgres; then
                log "postgres: stopping Debian cluster $ver/$cl that start.sh started"
                as_root pg_ctlcluster --skip-systemctl-redirect -m fast "$ver" "$cl" stop \
                    >>"$STATE/postgres.log" 2>&1 </dev/null 3>&- 9>&- || log "postgres: pg_ctlcluster stop failed"
            fi
            ;;
        throwaway)
            if pid_matches "$pid" postgres; then
                log "postgres: stopping throw-away cluster $STATE/pgdata"
                local run=()
                [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
                "${run[@]+"${run[@]}"}" "$PG_BIN/pg_ctl" -D "$STATE/pgdata" -w -m fast stop \
                    >>"$STATE/postgres.log" 2>&1 </dev/null 3>&- 9>&- || kill_pids postgres "$pid"
            fi
            ;;
        *) [ -f "$STATE/postgres.env" ] && log "postgres: not started by these scripts; leaving it running" ;;
    esac
    forget postgres
    forget pgvector # the extension stays installed; its env line depends on postgres
}

stop_redis() {
    local mode pid
    mode="$(cat "$STATE/redis.mode" 2>/dev/null || echo external)"
    pid="$(main_pid redis || true)"
    if [ "$mode" = owned ] && pid_matches "$pid" redis-server; then
        log "redis: stopping pid $pid"
        kill_pids redis-server "$pid"
    elif [ -f "$STATE/redis.env" ]; then
        log "redis: not started by these scripts; leaving it running"
    fi
    forget redis
}

stop_mariadb() {
    local mode pid
    mode="$(cat "$STATE/mariadb.mode" 2>/dev/null || echo external)"
    pid="$(main_pid mariadb || true)"
    if [ "$mode" = owned ] && pid_matches "$pid" mariadbd; then
        log "mariadb: stopping pid $pid"
        kill_pids mariadbd "$pid"
    elif [ -f "$STATE/mariadb.env" ]; then
        log "mariadb: not started by these scripts; leaving it running"
    fi
    forget mariadb
}

stop_daemon() {
    local name=$1 pat pids=()
    pat="DAEMON_PATTERN_$name"
    pat="${!pat}"
    if [ -s "$STATE/$name.pid" ]; then
        mapfile -t pids <"$STATE/$name.pid"
        log "$name: stopping pid(s) ${pids[*]}"
        kill_pids "$pat" "${pids[0]}"
        # sqld: the child server (kill_pids only touches pids that are still a sqld process)
        if [ ${#pids[@]} -gt 1 ]; then kill_pids sqld "${pids[@]:1}"; fi
    fi
    forget "$name"
}

for n in "${NAMES[@]}"; do
    case "$n" in
        postgres) stop_postgres ;;
        pgvector) log "pgvector: forgetting env (extension stays installed)"; forget pgvector ;;
        redis) stop_redis ;;
        mariadb) stop_mariadb ;;
        sqld | dynamodb | jongodb) stop_daemon "$n" ;;
    esac
done
