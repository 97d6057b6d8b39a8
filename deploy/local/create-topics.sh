#!/usr/bin/env bash
# Creates the topics of deploy/kafka/topics.conf on the local broker (replication 1), the
# kafka-topics.sh way (TopicCommand). Idempotent: existing topics are left as they are.
source "$(dirname "$0")/lib.sh"
running kafka || die "Kafka is not running (deploy/local/start-kafka.sh)"

existing=$("$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list)
while read -r name partitions retention max_bytes; do
  [[ -z $name || $name == \#* ]] && continue
  if grep -qx "$name" <<<"$existing"; then log "topic $name exists"; continue; fi
  "$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --create --topic "$name" --partitions "$partitions" --replication-factor 1 \
    --config "retention.ms=$retention" --config "max.message.bytes=$max_bytes" >/dev/null
  log "created topic $name (partitions=$partitions retention.ms=$retention max.message.bytes=$max_bytes)"
done <"$TOPICS_FILE"

# Read back what the broker holds, so a silent mismatch shows here and not in the job.
"$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --describe \
  | grep -E '^Topic:' || die "describe topics failed"
