#!/usr/bin/env bash
# Prints the committed messages of a result topic (read_committed: what an exactly-once consumer
# sees), one JSON value per line, waiting until at least MIN messages are there or TIMEOUT_S passes.
#   show-results.sh [TOPIC=results] [MIN=1] [TIMEOUT_S=120]
source "$(dirname "$0")/lib.sh"
topic=${1:-results} min=${2:-1} timeout=${3:-120}
running kafka || die "Kafka is not running (deploy/local/start-kafka.sh)"
out="$RUN_DIR/$topic.jsonl"
deadline=$((SECONDS + timeout))
while :; do
  "$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BOOTSTRAP" \
    --topic "$topic" --from-beginning --isolation-level read_committed --timeout-ms 4000 \
    >"$out" 2>/dev/null || true
  count=$(grep -c . "$out" || true)
  ((count >= min)) && break
  ((SECONDS < deadline)) || { log "only $count of $min message(s) on $topic after ${timeout}s"; cat "$out"; exit 1; }
  sleep 2
done
cat "$out"
