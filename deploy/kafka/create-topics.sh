#!/usr/bin/env bash
# Creates (or checks) Scanline's topics of deploy/kafka/topics.conf on any Kafka cluster with
# kafka-topics.sh, for clusters not managed by Strimzi (k8s/kafka-topics.yaml is the Strimzi form).
# Idempotent: an existing topic is described, not changed.
#
#   create-topics.sh --bootstrap-server HOST:PORT [--replication-factor 3] [--min-insync-replicas 2]
#                    [--command-config client.properties]
#
# KAFKA_TOPICS_CMD overrides the command (default: kafka-topics.sh on PATH, or $KAFKA_HOME/bin/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bootstrap="" rf=3 min_isr=2 command_config=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --bootstrap-server) bootstrap=$2; shift 2 ;;
    --replication-factor) rf=$2; shift 2 ;;
    --min-insync-replicas) min_isr=$2; shift 2 ;;
    --command-config) command_config=(--command-config "$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $bootstrap ]] || { echo "usage: create-topics.sh --bootstrap-server HOST:PORT [...]" >&2; exit 2; }
((min_isr <= rf)) || { echo "min.insync.replicas $min_isr > replication factor $rf" >&2; exit 2; }

if [[ -n ${KAFKA_TOPICS_CMD:-} ]]; then
  read -r -a topics_cmd <<<"$KAFKA_TOPICS_CMD"
elif command -v kafka-topics.sh >/dev/null; then
  topics_cmd=(kafka-topics.sh)
elif [[ -n ${KAFKA_HOME:-} && -x $KAFKA_HOME/bin/kafka-topics.sh ]]; then
  topics_cmd=("$KAFKA_HOME/bin/kafka-topics.sh")
else
  echo "kafka-topics.sh not found: put it on PATH, set KAFKA_HOME or KAFKA_TOPICS_CMD" >&2; exit 2
fi
kt() { "${topics_cmd[@]}" --bootstrap-server "$bootstrap" "${command_config[@]}" "$@"; }

existing=$(kt --list)
while read -r name partitions retention max_bytes; do
  [[ -z $name || $name == \#* ]] && continue
  if grep -qx "$name" <<<"$existing"; then
    echo "topic $name exists (left unchanged)" >&2
    continue
  fi
  kt --create --topic "$name" --partitions "$partitions" --replication-factor "$rf" \
    --config "retention.ms=$retention" --config "max.message.bytes=$max_bytes" \
    --config "min.insync.replicas=$min_isr" --config cleanup.policy=delete >/dev/null
  echo "created topic $name (partitions=$partitions replication=$rf retention.ms=$retention max.message.bytes=$max_bytes)" >&2
done <"$here/topics.conf"
kt --describe | grep -E '^Topic:'
