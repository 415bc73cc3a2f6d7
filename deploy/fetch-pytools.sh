#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Python test tools that Debian does not package, from PyPI into one
# virtual environment, once: confluent-kafka's Schema Registry client and
# AvroDeserializer (how Kafka users read avro-confluent records) and
# fastavro.  The tests run it as $BMPFLOW_PYTOOLS/bin/python, default
# /var/cache/bmpflow/pytools; it sees Debian's packages too.
set -euo pipefail
home=${BMPFLOW_PYTOOLS:-/var/cache/bmpflow/pytools}
want="confluent-kafka[avro,schemaregistry]==2.16.2 fastavro==1.13.1"
if [ -x "$home/bin/python" ] && [ "$(cat "$home/WANT" 2>/dev/null)" = "$want" ]; then
	echo "fetch-pytools: present in $home"
	exit 0
fi
rm -rf "$home"
/usr/bin/python3 -m venv --system-site-packages "$home"
# shellcheck disable=SC2086
"$home/bin/pip" install -q --disable-pip-version-check $want
echo "$want" >"$home/WANT"
echo "fetch-pytools: $want in $home"
