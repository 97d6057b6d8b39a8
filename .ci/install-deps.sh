#!/usr/bin/env bash
# System packages the test suite needs (a fresh machine has only the JDK, Maven, nvcc and apt).
# Idempotent: skips the install when every tool is already present.
set -euo pipefail
need=()
for pkg_tool in "libvips-tools:vips" "gdal-bin:gdalinfo" "geotiff-bin:listgeo" "python3:python3" "g++:g++"; do
  tool=${pkg_tool#*:}
  command -v "$tool" >/dev/null 2>&1 || need+=("${pkg_tool%%:*}")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
