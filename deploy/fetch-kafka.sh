#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetch Apache Kafka's broker (KRaft) and its runtime jars from Maven Central
# into a cache directory, once: the real cluster the tests start
# (tests/e2e/kafka_cluster.py) runs from there.
#   fetch-kafka.sh              into $BMPFLOW_KAFKA_HOME or
#                               /var/cache/bmpflow/kafka-$KAFKA_VERSION
# It prints the directory; /var/cache/bmpflow/kafka links to it (the tests'
# default when BMPFLOW_KAFKA_HOME is unset).
set -euo pipefail
KAFKA_VERSION=4.4.0
# log4j-slf4j-impl: Kafka logs through slf4j 1.7; without a binding a broker
# prints nothing, which leaves a failed test without its broker's log.
LOG4J_VERSION=2.25.5
cache=/var/cache/bmpflow
home=${BMPFLOW_KAFKA_HOME:-$cache/kafka-$KAFKA_VERSION}

if [ -f "$home/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
	echo "fetch-kafka: Kafka $KAFKA_VERSION present in $home"
	exit 0
fi
for tool in java mvn; do
	if ! command -v "$tool" >/dev/null; then
		echo "fetch-kafka: '$tool' not found: the real-Kafka tests need" \
		     "OpenJDK 17 and Maven (Debian: apt-get install" \
		     "openjdk-17-jre-headless maven)" >&2
		exit 1
	fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dep() {
	printf '<dependency><groupId>%s</groupId><artifactId>%s</artifactId>' "$1" "$2"
	printf '<version>%s</version></dependency>\n' "$3"
}
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>bmpflow</groupId><artifactId>fetch-kafka</artifactId>
  <version>1</version><packaging>pom</packaging>
  <dependencies>
$(dep org.apache.kafka kafka_2.13 "$KAFKA_VERSION")
$(dep org.apache.kafka kafka-tools "$KAFKA_VERSION")
$(dep org.apache.logging.log4j log4j-slf4j-impl "$LOG4J_VERSION")
  </dependencies>
</project>
POM
echo "fetch-kafka: fetching Kafka $KAFKA_VERSION with Maven into $home"
mkdir -p "$home.part"
if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
	-DincludeScope=runtime -DoutputDirectory="$home.part/libs" \
	>"$work/mvn.log" 2>&1; then
	tail -n 30 "$work/mvn.log" >&2
	echo "fetch-kafka: Maven could not fetch Kafka $KAFKA_VERSION" >&2
	rm -rf "$home.part"
	exit 1
fi
echo "$KAFKA_VERSION" >"$home.part/VERSION"
rm -rf "$home"
mv "$home.part" "$home"
if [ -z "${BMPFLOW_KAFKA_HOME:-}" ]; then
	ln -sfn "$home" "$cache/kafka"
fi
echo "fetch-kafka: $(ls "$home/libs" | wc -l) jars in $home/libs"
