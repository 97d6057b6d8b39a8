#!/usr/bin/env bash
# Creates the topics of deploy/kafka/topics.conf on the local broker through the same script a
# real cluster uses (deploy/kafka/create-topics.sh), with replication 1 and kafka-topics.sh's
# class (TopicCommand) from the Maven-resolved Kafka classpath. Idempotent.
source "$(dirname "$0")/lib.sh"
running kafka || die "Kafka is not running (deploy/local/start-kafka.sh)"
KAFKA_TOPICS_CMD="$LOCAL_HOME/kafka-cli.sh org.apache.kafka.tools.TopicCommand" \
  "$REPO_ROOT/deploy/kafka/create-topics.sh" --bootstrap-server "$BOOTSTRAP" --replication-factor 1 --min-insync-replicas 1
