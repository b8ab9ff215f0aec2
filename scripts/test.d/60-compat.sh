# Real InfluxDB client libraries (PyPI: influxdb3-python, influxdb-client, influxdb, adbc-driver-flightsql; npm:
# @influxdata/influxdb3-client, @influxdata/influxdb-client) writing through their own APIs to a real
# `linewise serve`, reading it back over Arrow Flight and Flight SQL, and overloading it: every line arrives once.
set -euo pipefail
cargo build -q -p linewise-server
export LINEWISE_BIN="$PWD/target/debug/linewise"
(cd tests && timeout 300 .venv/bin/python -m pytest -q -p no:cacheprovider compat)
(cd tests && timeout 300 node --test compat/influxdb3-js.test.mjs compat/flight.test.mjs compat/overload.test.mjs)
