#!/usr/bin/env bash
# Submits the Scanline streaming job to the local Flink cluster through the REST API (jar upload,
# then run), optionally restoring from a savepoint, and waits until every task runs.
# Prints the job id on stdout.
#
#   submit-job.sh [--savepoint PATH] [--until-finished] [-- EXTRA_JOB_ARGS...]
#
# --until-finished waits for a bounded job (a backfill: -- --backfill-until EPOCH_MS) to finish
# instead of waiting for its tasks to run.
#
# Environment: SCANLINE_JAR (default jobs/target/scanline.jar), SCANLINE_MODEL (default
# ../shared/golden/defocus_mamba_d3_224x224), SCANLINE_BACKEND (default reference),
# SCANLINE_CHECKPOINT_MS (default 2000), SCANLINE_GROUP (Kafka consumer group, default scanline-local),
# SCANLINE_ROOTS (':'-separated directories that image references may point into, passed as --root;
# default $RUN_DIR/images, created if missing: feed-images.sh sends files from there).
source "$(dirname "$0")/lib.sh"

savepoint=""
until_finished=false
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --savepoint) savepoint=$2; shift 2 ;;
    --until-finished) until_finished=true; shift ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument $1" ;;
  esac
done

jar="${SCANLINE_JAR:-$REPO_ROOT/jobs/target/scanline.jar}"
model="${SCANLINE_MODEL:-$REPO_ROOT/../shared/golden/defocus_mamba_d3_224x224}"
[[ -f $jar ]] || die "job jar $jar not found: build it with mvn -q -pl jobs -am package -DskipTests"
[[ -f $model/config.json ]] || die "model folder $model has no config.json"
model=$(cd "$model" && pwd)
running flink-jobmanager || die "Flink is not running (deploy/local/start-flink.sh)"
root_args=()
IFS=: read -r -a roots <<<"${SCANLINE_ROOTS:-$RUN_DIR/images}"
for r in "${roots[@]}"; do
  [[ -n $r ]] || continue
  mkdir -p "$r" || die "cannot create root directory $r"
  root_args+=(--root "$(cd "$r" && pwd -P)")
done
((${#root_args[@]} > 0)) || die "SCANLINE_ROOTS names no directory"

# One upload per run directory: a restart reuses the uploaded jar.
jar_id_file="$RUN_DIR/jar-id"
if [[ ! -s $jar_id_file ]] || ! rest "$FLINK_REST/jars" | jq -e --arg id "$(cat "$jar_id_file")" '.files[] | select(.id==$id)' >/dev/null; then
  log "uploading $(basename "$jar") ($(du -h "$jar" | cut -f1))"
  rest --max-time 300 -X POST -H "Expect:" -F "jarfile=@$jar" "$FLINK_REST/jars/upload" >"$RUN_DIR/upload.json"
  jq -r '.filename' "$RUN_DIR/upload.json" | xargs basename >"$jar_id_file" || die "upload failed: $(cat "$RUN_DIR/upload.json")"
  [[ $(jq -r '.status' "$RUN_DIR/upload.json") == success ]] || die "upload failed: $(cat "$RUN_DIR/upload.json")"
fi
jar_id=$(cat "$jar_id_file")

args=(run-kafka --model "$model" --bootstrap "$BOOTSTRAP"
      --images images --results results --dead-letters dead-letters --group "${SCANLINE_GROUP:-scanline-local}"
      --backend "${SCANLINE_BACKEND:-reference}" --checkpoint-ms "${SCANLINE_CHECKPOINT_MS:-2000}" "${root_args[@]}" "${extra[@]}")
# ClusterEntry, not ScanlineCli: main runs inside the JobManager and must not call System.exit.
args_json=$(printf '%s\n' "${args[@]}" | jq -R . | jq -sc .)
body=$(jq -n --arg entry io.scanline.jobs.cli.ClusterEntry --arg sp "$savepoint" --argjson a "$args_json" '
  {entryClass: $entry, programArgsList: $a, parallelism: 1}
  + (if $sp == "" then {} else {savepointPath: $sp, allowNonRestoredState: false} end)')
log "running job ${savepoint:+from savepoint $savepoint }with: ${args[*]}"
resp=$(rest --max-time 180 -X POST -H 'Content-Type: application/json' -d "$body" "$FLINK_REST/jars/$jar_id/run")
job_id=$(jq -r '.jobid // empty' <<<"$resp")
[[ -n $job_id ]] || die "job submission failed: $resp"

if $until_finished; then
  finished() {
    local st; st=$(rest "$FLINK_REST/jobs/$job_id" | jq -r '.state')
    [[ $st == FAILED || $st == CANCELED ]] && die "job $job_id ended $st"
    [[ $st == FINISHED ]]
  }
  wait_until "$START_TIMEOUT_S" "job $job_id finished" finished || die "job $job_id did not finish"
  log "job $job_id finished"
  echo "$job_id"
  exit 0
fi
all_running() {
  rest "$FLINK_REST/jobs/$job_id" | jq -e '.state == "RUNNING" and ([.vertices[].status] | all(. == "RUNNING"))'
}
wait_until "$START_TIMEOUT_S" "job $job_id running" all_running ||
  die "job $job_id did not reach RUNNING: $(rest "$FLINK_REST/jobs/$job_id" | jq -c '{state, vertices: [.vertices[] | {name, status}]}')"
log "job $job_id is running"
echo "$job_id"
