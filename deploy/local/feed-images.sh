#!/usr/bin/env bash
# Sends image references to the "images" topic: one message per file, key = image id (the file
# name, as the job derives it), value = the file's absolute path. The job reads the pixels from
# that path, so it must be readable by the TaskManager (on this machine: any local file).
#   feed-images.sh FILE...
source "$(dirname "$0")/lib.sh"
[[ $# -ge 1 ]] || die "usage: feed-images.sh FILE..."
running kafka || die "Kafka is not running (deploy/local/start-kafka.sh)"
lines=""
for f in "$@"; do
  [[ -f $f ]] || die "no such file: $f"
  abs="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
  lines+="$(basename "$f")"$'\t'"$abs"$'\n'
done
printf '%s' "$lines" | "$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.ConsoleProducer \
  --bootstrap-server "$BOOTSTRAP" --topic images --command-property acks=all \
  --reader-property parse.key=true --reader-property key.separator=$'\t'
log "sent $# image reference(s) to images: $*"
