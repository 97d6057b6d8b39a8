#!/usr/bin/env bash
# Starts a standalone Flink 2.2.1 session cluster on 127.0.0.1 from Maven-resolved jars (no
# tarball): one JobManager (StandaloneSessionClusterEntrypoint) and one TaskManager
# (TaskManagerRunner). JVM memory flags come from Flink's own BashJavaUtils, as in the
# distribution's scripts. Waits until REST /overview reports the TaskManager and its slots.
source "$(dirname "$0")/lib.sh"

fetch_jars flink
# Also used to bring back a lost TaskManager: the JobManager's ports are only checked when it is down.
if ! running flink-jobmanager; then
  require_free_port "$FLINK_REST_PORT" "Flink REST"
  require_free_port "$FLINK_RPC_PORT" "Flink JobManager RPC"
fi

conf_dir="$RUN_DIR/flink-conf"
mkdir -p "$conf_dir" "$LOG_DIR" "$RUN_DIR"/{tmp,web-upload,checkpoints,savepoints}
sed -e "s|@RPC_PORT@|$FLINK_RPC_PORT|g" -e "s|@REST_PORT@|$FLINK_REST_PORT|g" \
    -e "s|@TM_SLOTS@|$TM_SLOTS|g" -e "s|@TM_PROCESS_SIZE@|$TM_PROCESS_SIZE|g" \
    -e "s|@RUN_DIR@|$RUN_DIR|g" "$LOCAL_HOME/conf/flink-config.yaml" >"$conf_dir/config.yaml"
cp "$LOCAL_HOME/conf/log4j2.properties" "$conf_dir/log4j.properties"

classpath="$FLINK_LIB/*"

# BashJavaUtils prints two result lines: JVM flags, then "-D key=value" dynamic properties.
bash_java_utils() {
  local out
  out=$(java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$classpath" \
        org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$conf_dir" 2>&1) ||
    die "BashJavaUtils $1 failed: $out"
  grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

start_component() {
  local name=$1 utils_cmd=$2 main=$3 params jvm dyn
  params=$(bash_java_utils "$utils_cmd")
  jvm=$(sed -n 1p <<<"$params")
  dyn=$(sed -n 2p <<<"$params")
  [[ -n $jvm ]] || die "no JVM parameters from BashJavaUtils $utils_cmd"
  # An empty plugins directory: reporters and file systems come from lib/ here.
  mkdir -p "$RUN_DIR/plugins"
  # shellcheck disable=SC2086 # word splitting of the flag strings is intended
  FLINK_PLUGINS_DIR="$RUN_DIR/plugins" start_bg "$name" "$LOG_DIR/$name.out" java "${FLINK_JAVA17_OPTS[@]}" $jvm \
    -Dlog.file="$LOG_DIR/$name.log" -Dlog4j.configurationFile="file:$conf_dir/log4j.properties" \
    -Dlog4j2.configurationFile="file:$conf_dir/log4j.properties" \
    -cp "$classpath" "$main" --configDir "$conf_dir" $dyn
}

running flink-jobmanager || start_component flink-jobmanager GET_JM_RESOURCE_PARAMS \
  org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
running flink-taskmanager || start_component flink-taskmanager GET_TM_RESOURCE_PARAMS \
  org.apache.flink.runtime.taskexecutor.TaskManagerRunner

cluster_ready() {
  running flink-jobmanager && running flink-taskmanager &&
    [[ $(rest "$FLINK_REST/overview" | jq -r '."slots-total"') -ge $TM_SLOTS ]]
}
if ! wait_until "$START_TIMEOUT_S" "Flink REST $FLINK_REST/overview with $TM_SLOTS slots" cluster_ready; then
  tail -n 30 "$LOG_DIR/flink-jobmanager.log" "$LOG_DIR/flink-taskmanager.log" >&2 || true
  die "Flink did not come up"
fi
log "Flink is up: $(rest "$FLINK_REST/overview" | jq -c '{"flink-version", taskmanagers, "slots-total", "slots-available"}')"
