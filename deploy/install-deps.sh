#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian 12 packages bmpflow needs, skipping those present.
#   install-deps.sh          build and run
#   install-deps.sh --test   also what the test suite needs (clang for libFuzzer,
#                            Apache Kafka from Maven Central: fetch-kafka.sh)
set -euo pipefail

# file: cpack's Debian generator needs it to find binaries for dpkg-shlibdeps
# (deploy/build-deb.sh).
# libcurl4-openssl-dev: bmpflow-alert's webhook and SMTP and the Schema
# Registry client (runtime libcurl4); libjansson-dev: JSON records.
pkgs=(build-essential cmake pkg-config python3 libuv1-dev librdkafka-dev
      libavro-dev librtr-dev libcurl4-openssl-dev libjansson-dev check file)
if [ "${1:-}" = "--test" ]; then
	pkgs+=(clang libclang-rt-14-dev python3-avro kcat curl frr exabgp gobgpd pmacct
	      python3-yaml yamllint systemd openjdk-17-jre-headless maven stayrtr
	      openssh-client python3-venv)
fi
# Test tools from Maven Central and PyPI: Apache Kafka, a Schema Registry
# (Apicurio), confluent-kafka's Avro reader.
test_kafka() {
	[ "${1:-}" = "--test" ] || return 0
	"$(dirname "$0")/fetch-kafka.sh"
	"$(dirname "$0")/fetch-registry.sh"
	"$(dirname "$0")/fetch-pytools.sh"
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	test_kafka "${1:-}"
	exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
	sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
test_kafka "${1:-}"
