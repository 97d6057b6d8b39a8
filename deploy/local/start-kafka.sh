#!/usr/bin/env bash
# Starts one KRaft Kafka node (broker + controller) on 127.0.0.1 from the Maven-resolved
# kafka_2.13 classpath: StorageTool format, then kafka.Kafka. Waits until the broker answers.
source "$(dirname "$0")/lib.sh"

fetch_jars kafka
running kafka && { log "kafka already runs (pid $(cat "$(pid_file kafka)"))"; exit 0; }
require_free_port "$KAFKA_PORT" "Kafka broker"
require_free_port "$KAFKA_CONTROLLER_PORT" "Kafka controller"

conf="$RUN_DIR/kafka/server.properties"
data="$RUN_DIR/kafka/data"
mkdir -p "$RUN_DIR/kafka" "$LOG_DIR"
sed -e "s|@BROKER_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@DATA_DIR@|$data|g" "$LOCAL_HOME/conf/kafka-server.properties" >"$conf"

kafka_java=(java -Xms512m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$LOCAL_HOME/conf/log4j2.properties"
  -cp "$KAFKA_LIB/*")

if [[ ! -f $data/meta.properties ]]; then
  cluster_id=$(LOG_FILE=/dev/null "${kafka_java[@]}" -Dlog.file="$LOG_DIR/kafka-storage.log" kafka.tools.StorageTool random-uuid)
  log "formatting KRaft storage (cluster id $cluster_id)"
  "${kafka_java[@]}" -Dlog.file="$LOG_DIR/kafka-storage.log" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >>"$LOG_DIR/kafka-storage.log" 2>&1 ||
    die "kafka storage format failed, see $LOG_DIR/kafka-storage.log"
fi

start_bg kafka "$LOG_DIR/kafka.out" "${kafka_java[@]}" -Dlog.file="$LOG_DIR/kafka.log" kafka.Kafka "$conf"

# The log line comes first (cheap to poll); one admin round trip then proves the broker serves requests.
broker_ready() {
  running kafka && port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOG_DIR/kafka.log"
}
if ! wait_until "$START_TIMEOUT_S" "Kafka broker on $BOOTSTRAP" broker_ready ||
   ! "$LOCAL_HOME/kafka-cli.sh" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list >/dev/null; then
  tail -n 30 "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.out" >&2 || true
  die "Kafka did not come up"
fi
log "Kafka is up on $BOOTSTRAP"
