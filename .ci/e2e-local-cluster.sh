#!/usr/bin/env bash
# Local-cluster end-to-end check, run by .ci/run after the Maven tests: a real KRaft Kafka broker
# and a real standalone Flink cluster (JobManager + TaskManager processes, not a mini cluster) on
# loopback, started from Maven-resolved jars, running the streaming job on the sample images with a
# savepoint restart in between. See deploy/README.md, "Local cluster (no Docker)".
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
exec timeout 900 bash deploy/local/e2e.sh full
