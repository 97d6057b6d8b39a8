#!/usr/bin/env bash
# End-to-end check of the local cluster on a fresh run directory.
#
#   e2e.sh bringup   Kafka (KRaft) + topics + Flink JobManager/TaskManager, REST health checks,
#                    then stop everything by pid and check that nothing is left listening.
#
# Every process is stopped on exit, also on failure (trap). Each check prints "ok - ..." or fails
# the script with "not ok - ...", so the log shows what was and was not verified.
source "$(dirname "$0")/lib.sh"

mode=${1:-bringup}
[[ $mode == bringup ]] || die "usage: e2e.sh bringup"
for tool in curl jq java mvn; do command -v "$tool" >/dev/null || die "$tool is required"; done

export SCANLINE_LOCAL_DIR="${SCANLINE_LOCAL_DIR:-$LOCAL_HOME/target/e2e-run}"
RUN_DIR="$SCANLINE_LOCAL_DIR"; PID_DIR="$RUN_DIR/pids"; LOG_DIR="$RUN_DIR/log"
checks=0
ok() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { echo "not ok - $*"; exit 1; }

on_exit() {
  local rc=$?
  if ((rc != 0)); then
    log "e2e failed (rc=$rc); last log lines:"
    for f in "$LOG_DIR"/kafka.log "$LOG_DIR"/flink-jobmanager.log "$LOG_DIR"/flink-taskmanager.log; do
      [[ -f $f ]] && { echo "== $f"; tail -n 40 "$f"; }
    done
  fi
  "$LOCAL_HOME/stop-all.sh" || true
  exit "$rc"
}
trap on_exit EXIT
# A TERM/INT (CI timeout, Ctrl-C) exits through on_exit too, so nothing is left running.
trap 'exit 143' TERM INT

rm -rf "$RUN_DIR"
started=$SECONDS

"$LOCAL_HOME/start-kafka.sh"
ok "Kafka broker answers on $BOOTSTRAP"

"$LOCAL_HOME/create-topics.sh" >"$RUN_DIR/topics.txt"
while read -r name partitions retention max_bytes; do
  [[ -z $name || $name == \#* ]] && continue
  line=$(grep -E "^Topic: $name\s" "$RUN_DIR/topics.txt") || fail "topic $name missing"
  grep -q "PartitionCount: $partitions\s" <<<"$line" || fail "topic $name: wrong partition count: $line"
  grep -q "retention.ms=$retention" <<<"$line" || fail "topic $name: wrong retention: $line"
  grep -q "max.message.bytes=$max_bytes" <<<"$line" || fail "topic $name: wrong max.message.bytes: $line"
  ok "topic $name as declared in deploy/kafka/topics.conf"
done <"$TOPICS_FILE"

"$LOCAL_HOME/start-flink.sh"
overview=$(rest "$FLINK_REST/overview")
[[ $(jq -r '."flink-version"' <<<"$overview") == 2.2.1 ]] || fail "Flink version: $overview"
[[ $(jq -r '.taskmanagers' <<<"$overview") == 1 ]] || fail "TaskManager count: $overview"
[[ $(jq -r '."slots-available"' <<<"$overview") == "$TM_SLOTS" ]] || fail "free slots: $overview"
ok "Flink 2.2.1 REST /overview: 1 TaskManager, $TM_SLOTS free slots"

jm_conf=$(rest "$FLINK_REST/jobmanager/config")
for kv in state.backend.type=rocksdb execution.checkpointing.incremental=true \
          classloader.parent-first-patterns.additional="jcuda.;ai.djl."; do
  key=${kv%%=*} want=${kv#*=}
  got=$(jq -r --arg k "$key" '.[] | select(.key==$k) | .value' <<<"$jm_conf")
  [[ $got == "$want" ]] || fail "JobManager config $key: want '$want', got '$got'"
done
ok "JobManager runs with RocksDB incremental checkpoints and parent-first native libraries"

tm_id=$(rest "$FLINK_REST/taskmanagers" | jq -r '.taskmanagers[0].id')
[[ -n $tm_id && $tm_id != null ]] || fail "no TaskManager id"
rest "$FLINK_REST/taskmanagers/$tm_id" | jq -e '.memoryConfiguration.managedMemory > 0' >/dev/null ||
  fail "TaskManager has no managed memory (RocksDB needs it)"
ok "TaskManager $tm_id registered with managed memory for RocksDB"

"$LOCAL_HOME/stop-all.sh"
for name in kafka flink-jobmanager flink-taskmanager; do
  [[ ! -f $(pid_file "$name") ]] || fail "$name pid file left behind"
done
for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$FLINK_REST_PORT" "$FLINK_RPC_PORT"; do
  port_free "$port" || fail "port $port still open after stop"
done
ok "all processes stopped by pid, ports free"

echo "local-cluster e2e ($mode): all $checks checks ok in $((SECONDS - started))s"
