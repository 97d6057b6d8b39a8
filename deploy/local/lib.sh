# Shared settings and helpers of the local cluster scripts (sourced, not run).
#
# Everything binds to 127.0.0.1. Every wait is bounded. Every process we start writes its pid to
# $RUN_DIR/pids/NAME.pid and is stopped by that pid only.
#
# Overridable from the environment:
#   SCANLINE_LOCAL_DIR   run directory (config, data, logs, pids)   default deploy/local/target/run
#   KAFKA_PORT           broker listener                             default 19092
#   KAFKA_CONTROLLER_PORT KRaft controller listener                  default 19093
#   FLINK_REST_PORT      JobManager REST/web                         default 18081
#   FLINK_RPC_PORT       JobManager RPC                              default 16123
#   TM_SLOTS             task slots of the one TaskManager           default 2
#   TM_PROCESS_SIZE      TaskManager process memory                  default 1728m
#   START_TIMEOUT_S      bound of every "wait until up" loop         default 90

set -euo pipefail

LOCAL_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LOCAL_HOME/../.." && pwd)"
JARS_DIR="$LOCAL_HOME/target"
FLINK_LIB="$JARS_DIR/flink-lib"
KAFKA_LIB="$JARS_DIR/kafka-lib"
RUN_DIR="${SCANLINE_LOCAL_DIR:-$LOCAL_HOME/target/run}"
PID_DIR="$RUN_DIR/pids"
LOG_DIR="$RUN_DIR/log"

HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
FLINK_REST_PORT="${FLINK_REST_PORT:-18081}"
FLINK_RPC_PORT="${FLINK_RPC_PORT:-16123}"
TM_SLOTS="${TM_SLOTS:-2}"
TM_PROCESS_SIZE="${TM_PROCESS_SIZE:-1728m}"
START_TIMEOUT_S="${START_TIMEOUT_S:-90}"

BOOTSTRAP="$HOST:$KAFKA_PORT"
FLINK_REST="http://$HOST:$FLINK_REST_PORT"
TOPICS_FILE="$REPO_ROOT/deploy/kafka/topics.conf"

# Flink's own --add-exports/--add-opens list for Java 17 (env.java.opts.all of the distribution's
# config.yaml). The distribution's scripts add it; we start the JVMs ourselves, so we add it here.
FLINK_JAVA17_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

# DJL must never reach the network (see ../shared/stack.md): TaskManagers inherit this.
export DJL_OFFLINE=true OPT_OUT_TRACKING=true

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: polls COMMAND every second, fails after TIMEOUT_S.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then log "timed out after ${timeout}s waiting for: $what"; return 1; fi
    sleep 1
  done
}

port_free() { ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

require_free_port() {
  port_free "$1" || die "port $HOST:$1 ($2) is in use; stop what holds it or set the port variable (see deploy/local/lib.sh)"
}

pid_file() { echo "$PID_DIR/$1.pid"; }

# wildcard_listeners PID: prints the listening TCP sockets of PID bound to every interface
# (0.0.0.0 or ::), read from /proc; prints nothing when all of its listeners are on loopback.
wildcard_listeners() {
  local pid=$1 inodes
  inodes=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n' | sort -u)
  [[ -n $inodes ]] || return 0
  awk -v inodes="$inodes" 'BEGIN { n = split(inodes, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    FNR > 1 && $4 == "0A" && ($10 in want) { split($2, addr, ":"); if (addr[1] ~ /^0+$/) print FILENAME, $2 }' \
    /proc/net/tcp /proc/net/tcp6
}

# running NAME: true when NAME's recorded pid is alive.
running() {
  local f; f=$(pid_file "$1")
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# start_bg NAME LOGFILE COMMAND...: starts COMMAND detached, records its pid.
start_bg() {
  local name=$1 logfile=$2; shift 2
  mkdir -p "$PID_DIR" "$(dirname "$logfile")"
  running "$name" && die "$name already runs (pid $(cat "$(pid_file "$name")"))"
  nohup "$@" >"$logfile" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  log "started $name (pid $!), log: $logfile"
}

# stop_pid NAME [GRACE_S]: SIGTERM to the recorded pid, SIGKILL after GRACE_S, removes the pid file.
stop_pid() {
  local name=$1 grace=${2:-20} f pid
  f=$(pid_file "$name")
  [[ -f $f ]] || { log "$name: no pid file, nothing to stop"; return 0; }
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for ${grace}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  else
    log "$name (pid $pid) was not running"
  fi
  rm -f "$f"
}

# Resolves the Flink and Kafka jars from Maven (offline first: a warm ~/.m2 needs no network).
fetch_jars() {
  local kind=$1 pom="$LOCAL_HOME/maven/$1-lib.xml" out="$JARS_DIR/$1-lib"
  if [[ -f $out/.complete && $out/.complete -nt $pom ]]; then return 0; fi
  rm -rf "$out"
  log "resolving the $kind jars into $out"
  mvn -B -ntp -q -o -f "$pom" dependency:copy-dependencies -DoutputDirectory="$out" >/dev/null 2>&1 ||
    mvn -B -ntp -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$out" ||
    die "could not resolve the $kind jars ($pom)"
  touch "$out/.complete"
}

# curl against the local Flink REST API, bounded in time.
rest() { curl -sS --max-time 30 "$@"; }
