#!/usr/bin/env bash
# Stops a job with a savepoint (REST /jobs/:id/stop) and prints the savepoint path on stdout.
#   stop-job.sh JOB_ID
source "$(dirname "$0")/lib.sh"
job_id=${1:?usage: stop-job.sh JOB_ID}
target="file://$RUN_DIR/savepoints"
trigger=$(rest -X POST -H 'Content-Type: application/json' -d "{\"drain\": false, \"targetDirectory\": \"$target\"}" \
  "$FLINK_REST/jobs/$job_id/stop" | jq -r '."request-id" // empty')
[[ -n $trigger ]] || die "stop-with-savepoint of $job_id was not accepted"
log "stop-with-savepoint of $job_id requested (trigger $trigger)"

status_file="$RUN_DIR/savepoint-$job_id.json"
savepoint_done() {
  rest "$FLINK_REST/jobs/$job_id/savepoints/$trigger" >"$status_file" && jq -e '.status.id == "COMPLETED"' "$status_file"
}
wait_until "$START_TIMEOUT_S" "savepoint of $job_id" savepoint_done || die "savepoint did not complete: $(cat "$status_file")"
location=$(jq -r '.operation.location // empty' "$status_file")
[[ -n $location ]] || die "savepoint failed: $(jq -c '.operation' "$status_file")"
job_stopped() { rest "$FLINK_REST/jobs/$job_id" | jq -e '.state == "FINISHED"'; }
wait_until "$START_TIMEOUT_S" "job $job_id finished after its savepoint" job_stopped || die "job $job_id did not stop"
log "job $job_id stopped; savepoint at $location"
echo "$location"
