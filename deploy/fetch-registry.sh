#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetch Apicurio Registry (a Confluent-compatible Schema Registry: its
# /apis/ccompat/v7 REST API) from Maven Central into a cache directory, once:
# the real registry the tests start (tests/e2e/schema_registry.py) runs from
# there.  Maven Central carries the whole server as the app's "all" tarball,
# Quarkus's fast-jar layout (quarkus-run.jar, lib/, app/, quarkus/), with its
# default storage an in-memory H2 database: no Kafka or SQL server needed.
#   fetch-registry.sh           into $BMPFLOW_REGISTRY_HOME or
#                               /var/cache/bmpflow/registry-$APICURIO_VERSION
# It prints the directory; /var/cache/bmpflow/registry links to it (the
# tests' default when BMPFLOW_REGISTRY_HOME is unset).
#
# Apicurio Registry 3 is built for Java 21 or newer; Debian 12 has OpenJDK
# 17 only, so the JVM is looked for as $BMPFLOW_REGISTRY_JAVA, $JAVA_HOME,
# `java` on PATH, then /usr/lib/jvm/* (where the machine image has a
# Temurin JDK 25 beside Debian's 17).  The one found is written to
# $home/JAVA, and a training start writes a class-data-sharing archive for
# it ($home/app.jsa), which cuts the registry's start from 9-20 s to 5-7 s
# on one core.
set -euo pipefail
APICURIO_VERSION=3.3.3
JAVA_MIN=21
cache=/var/cache/bmpflow
home=${BMPFLOW_REGISTRY_HOME:-$cache/registry-$APICURIO_VERSION}

if [ -f "$home/quarkus-run.jar" ] && [ -f "$home/JAVA" ]; then
	echo "fetch-registry: Apicurio Registry $APICURIO_VERSION present in $home"
	exit 0
fi

java_major() {
	"$1" -XshowSettings:properties -version 2>&1 |
		sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
find_java() {
	local j m
	for j in ${BMPFLOW_REGISTRY_JAVA:-} ${JAVA_HOME:+$JAVA_HOME/bin/java} \
		"$(command -v java || true)" \
		$(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do
		[ -x "$j" ] || continue
		m=$(java_major "$j")
		if [ -n "$m" ] && [ "$m" -ge "$JAVA_MIN" ]; then
			readlink -f "$j"
			return 0
		fi
	done
	return 1
}
if ! command -v mvn >/dev/null; then
	echo "fetch-registry: 'mvn' not found: the Schema Registry tests need" \
	     "Maven (Debian: apt-get install maven)" >&2
	exit 1
fi
if ! java=$(find_java); then
	echo "fetch-registry: no Java $JAVA_MIN or newer found (Apicurio" \
	     "Registry $APICURIO_VERSION needs one; Debian 12 ships 17 only):" \
	     "set BMPFLOW_REGISTRY_JAVA to its bin/java" >&2
	exit 1
fi
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>bmpflow</groupId><artifactId>fetch-registry</artifactId>
  <version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.apicurio</groupId>
      <artifactId>apicurio-registry-app</artifactId>
      <version>$APICURIO_VERSION</version>
      <classifier>all</classifier><type>tar.gz</type>
      <!-- The tarball holds every jar the server runs: the app's own
           dependencies (some only in other repositories) are not wanted. -->
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId>
      </exclusion></exclusions></dependency>
  </dependencies>
</project>
POM
echo "fetch-registry: fetching Apicurio Registry $APICURIO_VERSION with" \
     "Maven into $home"
if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
	-DoutputDirectory="$work/dist" \
	>"$work/mvn.log" 2>&1; then
	tail -n 30 "$work/mvn.log" >&2
	echo "fetch-registry: Maven could not fetch Apicurio Registry" \
	     "$APICURIO_VERSION" >&2
	exit 1
fi
rm -rf "$home.part"
mkdir -p "$home.part"
tar --no-same-owner -C "$home.part" \
	-xzf "$work/dist/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
echo "$APICURIO_VERSION" >"$home.part/VERSION"
echo "$java" >"$home.part/JAVA"
rm -rf "$home"
mv "$home.part" "$home"
if [ -z "${BMPFLOW_REGISTRY_HOME:-}" ]; then
	ln -sfn "$home" "$cache/registry"
fi

# Training start: loopback, free ports, until the ccompat API answers (at
# most 180 s), then a clean stop writes the CDS archive.  It runs from
# $home itself: the archive holds the class path it was made with.  A failed
# one only costs the archive: the registry starts without it, slower.
free_port() {
	python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
mport=$(free_port)
echo "fetch-registry: training start with $java for the CDS archive"
(cd "$work" && exec "$java" -Xmx512m -XX:TieredStopAtLevel=1 \
	-XX:+UseSerialGC -XX:ArchiveClassesAtExit="$home/app.jsa.part" \
	-Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
	-Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$mport" \
	-jar "$home/quarkus-run.jar") >"$work/train.log" 2>&1 &
pid=$!
ok=
for _ in $(seq 1 720); do
	if curl -sf "http://127.0.0.1:$port/apis/ccompat/v7/subjects" \
		>/dev/null 2>&1; then
		ok=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.25
done
if [ -n "$ok" ]; then
	curl -sf -X POST -H 'Content-Type: application/json' \
		-d '{"schema": "{\"type\": \"string\"}"}' \
		"http://127.0.0.1:$port/apis/ccompat/v7/subjects/warm-up/versions" \
		>/dev/null || true
	kill -TERM "$pid"
	for _ in $(seq 1 240); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
fi
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
if [ -z "$ok" ]; then
	tail -n 20 "$work/train.log" >&2
	echo "fetch-registry: the training start did not serve within 180 s" >&2
	rm -f "$home/app.jsa.part"
elif [ -s "$home/app.jsa.part" ]; then
	mv "$home/app.jsa.part" "$home/app.jsa"
fi
cds=no
[ ! -f "$home/app.jsa" ] || cds=yes
echo "fetch-registry: Apicurio Registry $APICURIO_VERSION in $home" \
     "(Java: $java; CDS archive: $cds)"
