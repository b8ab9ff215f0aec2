-- wrk script: POST pre-split line-protocol batches in turn; print one machine-readable RESULT line.
-- Arguments (after --): directory with batch-NN files, number of files.
local bodies = {}
local next_body = 0

function init(args)
  local dir, n = args[1], tonumber(args[2])
  for i = 0, n - 1 do
    local f = assert(io.open(string.format("%s/batch-%02d", dir, i), "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "text/plain; charset=utf-8" }, bodies[next_body])
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d non2xx=%d sockerr=%d duration_s=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
