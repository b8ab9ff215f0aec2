"""The InfluxDB client libraries from PyPI, each writing the seed's home data with its own API."""
import pytest
from conftest import HOME, TOKEN

from influxdb import InfluxDBClient as V1Client
from influxdb.exceptions import InfluxDBClientError
from influxdb_client import InfluxDBClient as V2Client, WritePrecision as V2Precision
from influxdb_client.client.write_api import SYNCHRONOUS as V2_SYNCHRONOUS
from influxdb_client.rest import ApiException
from influxdb_client_3 import InfluxDBClient3, Point, WritePrecision
from influxdb_client_3.exceptions import InfluxDBPartialWriteError, InfluxDBError

LINES = HOME.strip().splitlines()


def test_influxdb3_python_default_v2_path(server):
    with InfluxDBClient3(host=server.base, token=TOKEN, database="py3_v2") as client:
        client.write(record=LINES, write_precision=WritePrecision.S)
    assert server.rows("py3_v2", "home") == 26


def test_influxdb3_python_v3_write_lp(server):
    with InfluxDBClient3(host=server.base, token=TOKEN, database="py3_v3",
                         write_use_v2_api=False, enable_gzip=True) as client:
        client.write(record=HOME, write_precision=WritePrecision.S)
        client.write(record=Point("home").tag("room", "Garage").field("temp", 18.5)
                     .field("co", 0).time(1641024000, WritePrecision.S),
                     write_precision=WritePrecision.S)
    assert server.rows("py3_v3", "home") == 27


def test_influxdb3_python_parses_partial_write_errors(server):
    with InfluxDBClient3(host=server.base, token=TOKEN, database="py3_partial",
                         write_use_v2_api=False) as client:
        body = "home,room=Sunroom temp=96\n\nhome,room=Sunroom temp=\"hi\""
        with pytest.raises(InfluxDBPartialWriteError) as err:
            client.write(record=body)
    [line] = err.value.line_errors
    assert line.line_number == 3
    assert line.original_line == "home,room=Sunroom temp=hi"
    assert "expected iox::column_type::field::float, got iox::column_type::field::string" in line.error_message
    assert server.rows("py3_partial", "home") == 1


def test_influxdb3_python_wrong_token(server):
    with InfluxDBClient3(host=server.base, token="wrong", database="py3_denied") as client:
        with pytest.raises(InfluxDBError) as err:
            client.write(record=LINES, write_precision=WritePrecision.S)
    assert err.value.response.status == 401
    assert server.rows("py3_denied", "home") == 0


def test_influxdb_client_v2(server):
    with V2Client(url=server.base, token=TOKEN, org="my-org") as client:
        api = client.write_api(write_options=V2_SYNCHRONOUS)
        api.write(bucket="py_v2", record=LINES, write_precision=V2Precision.S)
        with pytest.raises(ApiException) as err:
            api.write(bucket="py_v2", record="home,room=Kitchen co=1.5 1641024000",
                      write_precision=V2Precision.S)
        # The client reads /health as JSON: "pass" (it reported "fail" on InfluxDB 3's text).
        assert client.health().status == "pass"
    assert err.value.status == 400
    assert '"code":"invalid"' in err.value.body
    assert server.rows("py_v2", "home") == 26


def test_influxdb_python_v1(server):
    client = V1Client(host="127.0.0.1", port=server.port, username="root", password=TOKEN,
                      database="py_v1")
    version = client.ping()
    assert version
    assert client.write_points(LINES, protocol="line", time_precision="s")
    assert server.rows("py_v1", "home") == 26
    # A refused write shows the server's reason.
    with pytest.raises(InfluxDBClientError) as err:
        client.write_points(["home,room=Kitchen co=1.5 1641024000"], protocol="line", time_precision="s")
    assert err.value.code == 400
    assert "invalid column type for column 'co'" in str(err.value)
    client.close()
