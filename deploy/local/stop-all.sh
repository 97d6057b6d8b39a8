#!/usr/bin/env bash
# Stops every process of the local cluster by its recorded pid: running jobs are cancelled first
# (best effort), then TaskManager, JobManager, Kafka. Keeps data and logs; --clean also removes
# the run directory (Kafka data, checkpoints, savepoints).
source "$(dirname "$0")/lib.sh"

if running flink-jobmanager && port_open "$FLINK_REST_PORT"; then
  for id in $(rest "$FLINK_REST/jobs" 2>/dev/null | jq -r '.jobs[]? | select(.status=="RUNNING" or .status=="RESTARTING" or .status=="CREATED") | .id'); do
    log "cancelling job $id"
    rest -X PATCH "$FLINK_REST/jobs/$id?mode=cancel" >/dev/null || true
  done
fi
stop_pid flink-taskmanager 30
stop_pid flink-jobmanager 30
stop_pid kafka 30

if [[ ${1:-} == --clean ]]; then
  rm -rf "$RUN_DIR"
  log "removed $RUN_DIR"
fi
