#!/usr/bin/env bash
# Runs a Kafka command-line class (TopicCommand = kafka-topics.sh, ConsoleConsumer, ...) from the
# Maven-resolved Kafka classpath. Usage: kafka-cli.sh MAIN_CLASS ARGS...
source "$(dirname "$0")/lib.sh"
fetch_jars kafka
[[ $# -ge 1 ]] || die "usage: kafka-cli.sh MAIN_CLASS ARGS..."
mkdir -p "$LOG_DIR"
# C1 only and serial GC: these are short-lived CLI JVMs, startup time is all that matters.
exec java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true -Dlog.file="$LOG_DIR/kafka-cli.log" \
  -Dlog4j2.configurationFile="$LOCAL_HOME/conf/log4j2.properties" -cp "$KAFKA_LIB/*" "$@"
