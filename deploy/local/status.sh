#!/usr/bin/env bash
# Shows which local cluster processes run, the Flink overview and jobs, and the topics.
source "$(dirname "$0")/lib.sh"
for name in kafka flink-jobmanager flink-taskmanager; do
  if running "$name"; then echo "$name: running (pid $(cat "$(pid_file "$name")"))"; else echo "$name: stopped"; fi
done
if running flink-jobmanager && port_open "$FLINK_REST_PORT"; then
  echo "flink overview: $(rest "$FLINK_REST/overview" | jq -c .)"
  rest "$FLINK_REST/jobs/overview" | jq -r '.jobs[] | "job \(.jid) \(.name): \(.state)"'
fi
if running kafka; then
  "$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --describe | grep -E '^Topic:' || true
fi
