#!/usr/bin/env bash
# Sends images to the "images" topic in the Kafka image protocol v1 (connectors/README.md) through
# `scanline send`: one claim-check reference per file (key = image id = file name, value = JSON with
# the file's absolute file: URI, SHA-256 and size). The job resolves the URI only inside its --root
# directories (submit-job.sh: SCANLINE_ROOTS) and checks the checksum, so the files must lie under
# one of them and be readable by the TaskManager. --inline sends the bytes instead of a reference.
#   feed-images.sh [--inline] FILE...
source "$(dirname "$0")/lib.sh"
[[ $# -ge 1 ]] || die "usage: feed-images.sh [--inline] FILE..."
running kafka || die "Kafka is not running (deploy/local/start-kafka.sh)"
jar="${SCANLINE_JAR:-$REPO_ROOT/jobs/target/scanline.jar}"
[[ -f $jar ]] || die "job jar $jar not found: build it with mvn -q -pl jobs -am package -DskipTests"
for f in "$@"; do [[ $f == --inline || -f $f ]] || die "no such file: $f"; done
mkdir -p "$LOG_DIR"
java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$jar" send --bootstrap "$BOOTSTRAP" --topic images "$@" \
  >"$LOG_DIR/send.out" 2>&1 || die "scanline send failed: $(tail -n 5 "$LOG_DIR/send.out")"
log "sent to images: $(grep -- ' -> ' "$LOG_DIR/send.out" | tr '\n' ';')"
