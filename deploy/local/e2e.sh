#!/usr/bin/env bash
# End-to-end check of the local cluster on a fresh run directory.
#
#   e2e.sh bringup   Kafka (KRaft) + topics + Flink JobManager/TaskManager, REST health checks,
#                    then stop everything by pid and check that nothing is left listening.
#   e2e.sh full      bringup, then the streaming job (jobs/target/scanline.jar, run-kafka) on the
#                    sample images through the real broker and the standalone cluster: results
#                    checked against the local mode of the same job, stop with a savepoint, restart
#                    from it, more images (one corrupt: dead letter), exactly one result per image;
#                    the TaskManager killed and replaced: recovery from a checkpoint, still one result;
#                    then a bounded backfill (BATCH) over the same topic, which re-scores them.
#
# Every process is stopped on exit, also on failure (trap). Each check prints "ok - ..." or fails
# the script with "not ok - ...", so the log shows what was and was not verified.
source "$(dirname "$0")/lib.sh"

mode=${1:-bringup}
[[ $mode == bringup || $mode == full ]] || die "usage: e2e.sh bringup|full"
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
  if compgen -G "$PID_DIR/*.pid" >/dev/null; then "$LOCAL_HOME/stop-all.sh" || true; fi
  exit "$rc"
}
trap on_exit EXIT
# A TERM/INT (CI timeout, Ctrl-C) exits through on_exit too, so nothing is left running.
trap 'exit 143' TERM INT

# The streaming job on the sample images (mode "full"); runs between bring-up and teardown.
job_flow() {
  local shared="${SCANLINE_SHARED:-$REPO_ROOT/../shared}"
  local model="$shared/golden/defocus_mamba_d3_224x224" image="$shared/testdata/pathology/ihc.png"
  local corrupt="$shared/testdata/corrupt/minimal_IFD_with_endless_loop.tif"
  local jar="$REPO_ROOT/jobs/target/scanline.jar"
  for f in "$model/config.json" "$image" "$corrupt"; do [[ -f $f ]] || fail "sample data missing: $f"; done
  [[ -f $jar ]] || (cd "$REPO_ROOT" && mvn -B -ntp -q -pl jobs -am package -DskipTests) || fail "could not build $jar"
  export SCANLINE_JAR="$jar" SCANLINE_MODEL="$model"

  # Reference: the same job in local mode (embedded mini cluster) on the same image.
  java -jar "$jar" run-local --quiet --model "$model" --input "$image" --out "$RUN_DIR/reference" >"$LOG_DIR/run-local.out" 2>&1 ||
    fail "local-mode reference run failed: $(tail -n 5 "$LOG_DIR/run-local.out")"
  local ref_logits; ref_logits=$(jq -c '.logits' "$RUN_DIR/reference/ihc.png.json")
  [[ $ref_logits == \[* ]] || fail "no logits in the local-mode reference"
  ok "local-mode reference result for ihc.png"

  # The job reads claim checks only inside its --root directories (submit-job.sh: SCANLINE_ROOTS,
  # default $RUN_DIR/images): every image is fed from a copy there.
  local images="$RUN_DIR/images"
  mkdir -p "$images"
  cp "$image" "$images/ihc.png"
  cp "$corrupt" "$images/$(basename "$corrupt")"
  corrupt="$images/$(basename "$corrupt")"
  export SCANLINE_ROOTS="$images"

  local job1 job2 savepoint results logits1 logits2
  job1=$("$LOCAL_HOME/submit-job.sh")
  ok "streaming job $job1 submitted through REST and running on the standalone cluster"

  "$LOCAL_HOME/feed-images.sh" "$images/ihc.png"
  results=$("$LOCAL_HOME/show-results.sh" results 1 180) || fail "no result for ihc.png"
  [[ $(jq -s 'length' <<<"$results") == 1 ]] || fail "expected 1 result, got: $results"
  logits1=$(jq -c 'select(.image=="ihc.png" and .kind=="RESULT") | .logits' <<<"$results")
  [[ -n $logits1 ]] || fail "result is not a RESULT for ihc.png: $results"
  [[ $(jq -r '.tokens' <<<"$results") == 1024 ]] || fail "ihc.png (512x512, patch 16) must give 1024 tokens: $results"
  [[ $logits1 == "$ref_logits" ]] || fail "Kafka result differs from local mode: $logits1 vs $ref_logits"
  ok "ihc.png through Kafka -> Flink -> Kafka (read_committed) equals the local-mode result"

  savepoint=$("$LOCAL_HOME/stop-job.sh" "$job1")
  [[ -f ${savepoint#file:}/_metadata ]] || fail "savepoint $savepoint has no _metadata"
  ok "job stopped with savepoint $savepoint"

  job2=$("$LOCAL_HOME/submit-job.sh" --savepoint "$savepoint")
  local restored
  restored=$(rest "$FLINK_REST/jobs/$job2/checkpoints" | jq -r '.latest.restored.external_path // empty')
  [[ $restored == "$savepoint" || file:$restored == "$savepoint" || $restored == "file:${savepoint#file:}" ]] ||
    fail "job $job2 did not restore from $savepoint (restored: '$restored')"
  ok "job $job2 restarted from the savepoint"

  cp "$image" "$images/ihc-after-restore.png"
  "$LOCAL_HOME/feed-images.sh" "$images/ihc-after-restore.png" "$corrupt"
  results=$("$LOCAL_HOME/show-results.sh" results 2 180) || fail "no result after the restart"
  [[ $(jq -s '[.[] | select(.kind=="RESULT" and .image=="ihc.png")] | length' <<<"$results") == 1 ]] ||
    fail "ihc.png must have exactly one result after the restart: $results"
  logits2=$(jq -c 'select(.image=="ihc-after-restore.png") | .logits' <<<"$results")
  [[ $logits2 == "$logits1" ]] || fail "same pixels after the restart gave other logits: $logits2"
  ok "after the restart: one result per image, the same pixels give the same logits"

  local dead
  dead=$("$LOCAL_HOME/show-results.sh" dead-letters 1 120) || fail "no dead letter for the corrupt image"
  jq -e --arg id "$(basename "$corrupt")" 'select(.image==$id and .kind=="DEAD_LETTER" and (.reason | length > 0))' <<<"$dead" >/dev/null ||
    fail "dead letter for $(basename "$corrupt") missing or without reason: $dead"
  [[ $(jq -s 'length' <<<"$dead") == 1 ]] || fail "expected exactly one dead letter: $dead"
  ok "corrupt image on dead-letters with reason: $(jq -r '.reason' <<<"$dead" | head -c 120)"

  # Failure: the TaskManager dies (SIGKILL); a new one registers, the job restores its latest
  # checkpoint, and the next image still gets exactly one result.
  local tm_pid; tm_pid=$(cat "$(pid_file flink-taskmanager)")
  kill -KILL "$tm_pid"; rm -f "$(pid_file flink-taskmanager)"
  log "killed the TaskManager (pid $tm_pid)"
  job_state() { rest "$FLINK_REST/jobs/$job2" | jq -e --arg s "$1" '.state == $s'; }
  "$LOCAL_HOME/start-flink.sh"
  restored_from_checkpoint() {
    rest "$FLINK_REST/jobs/$job2" | jq -e '.state == "RUNNING" and ([.vertices[].status] | all(. == "RUNNING"))' &&
      rest "$FLINK_REST/jobs/$job2/checkpoints" | jq -e '.latest.restored.is_savepoint == false'
  }
  wait_until "$START_TIMEOUT_S" "job $job2 restored from a checkpoint" restored_from_checkpoint ||
    fail "job $job2 did not recover from the TaskManager loss: $(rest "$FLINK_REST/jobs/$job2/checkpoints" | jq -c '.latest.restored')"
  ok "TaskManager killed; job $job2 recovered from checkpoint $(rest "$FLINK_REST/jobs/$job2/checkpoints" | jq -r '.latest.restored.id')"
  # This one goes inline (the bytes in tile records, reassembled by the job), not as a reference.
  cp "$image" "$images/ihc-after-failover.png"
  "$LOCAL_HOME/feed-images.sh" --inline "$images/ihc-after-failover.png"
  results=$("$LOCAL_HOME/show-results.sh" results 3 180) || fail "no result after the failover"
  [[ $(jq -s '[.[] | select(.kind=="RESULT")] | group_by(.image) | map(length) | . == [1,1,1]' <<<"$results") == true ]] ||
    fail "expected exactly one result for each of 3 images after the failover: $results"
  [[ $(jq -c -s '[.[] | .logits] | unique | length' <<<"$results") == 1 ]] || fail "logits changed after the failover: $results"
  ok "after the failover: exactly one result per image, same logits (the last one sent inline)"

  rest -X PATCH "$FLINK_REST/jobs/$job2?mode=cancel" >/dev/null
  wait_until 60 "job $job2 cancelled" bash -c "curl -s --max-time 10 $FLINK_REST/jobs/$job2 | jq -e '.state == \"CANCELED\"'" ||
    fail "job $job2 did not cancel"
  ok "job $job2 cancelled"

  # Backfill: the same jar, bounded to what "images" holds now, BATCH mode, runs to the end.
  local job3 until_ms
  until_ms=$(($(date +%s) * 1000 + 1000))
  job3=$(SCANLINE_GROUP=scanline-local-backfill "$LOCAL_HOME/submit-job.sh" --until-finished -- --backfill-until "$until_ms") ||
    fail "backfill did not finish"
  ok "backfill job $job3 (BATCH, bounded at $until_ms) finished"
  results=$("$LOCAL_HOME/show-results.sh" results 6 120) || fail "backfill results missing"
  [[ $(jq -s '[.[] | select(.kind=="RESULT")] | length' <<<"$results") == 6 ]] ||
    fail "expected 3 streaming + 3 backfill results: $results"
  [[ $(jq -c -s '[.[] | .logits] | unique | length' <<<"$results") == 1 ]] ||
    fail "backfill results differ from the streaming results: $results"
  dead=$("$LOCAL_HOME/show-results.sh" dead-letters 2 60) || fail "backfill dead letter missing"
  [[ $(jq -s 'length' <<<"$dead") == 2 ]] || fail "expected the corrupt image dead-lettered once per run: $dead"
  ok "backfill re-scored the three images with identical logits and dead-lettered the corrupt one again"
}
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

for name in kafka flink-jobmanager flink-taskmanager; do
  wild=$(wildcard_listeners "$(cat "$(pid_file "$name")")")
  [[ -z $wild ]] || fail "$name listens on all interfaces: $wild"
done
ok "Kafka, JobManager and TaskManager listen on loopback only"

[[ $mode == full ]] && job_flow

"$LOCAL_HOME/stop-all.sh"
for name in kafka flink-jobmanager flink-taskmanager; do
  [[ ! -f $(pid_file "$name") ]] || fail "$name pid file left behind"
done
for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$FLINK_REST_PORT" "$FLINK_RPC_PORT"; do
  port_free "$port" || fail "port $port still open after stop"
done
ok "all processes stopped by pid, ports free"

echo "local-cluster e2e ($mode): all $checks checks ok in $((SECONDS - started))s"
