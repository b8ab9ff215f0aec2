-- wrk script for sustained.sh: every request is a 5,000-line batch built on the fly from gen_lp.py
-- `cpu` lines (100 hosts x 50 steps) whose timestamps are replaced, so no point is ever sent twice:
-- request k of thread t in window w covers the 50 milliseconds starting at
--   base + ((w * PER_WINDOW + k) * threads + t) * 50   (precision=ms).
-- Arguments (after --): template file (lines without timestamps), base ms, window index, threads.
-- Prints one machine-readable RESULT line.
local PER_WINDOW = 20000 -- more requests than one thread sends in 10 s
local templates = {}
local steps = 0
local base, window, threads = 0, 0, 1
local tid = 0
local sent = 0
local parts = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  for line in f:lines() do
    templates[#templates + 1] = line .. " "
  end
  f:close()
  base, window, threads = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  steps = math.floor(#templates / 100)
end

function request()
  local slot = ((window * PER_WINDOW + sent) * threads + tid) * steps
  sent = sent + 1
  local n = 0
  for step = 0, steps - 1 do
    -- One timestamp string per step, shared by its 100 lines (one per host).
    local ts = string.format("%d\n", base + slot + step)
    for i = step * 100 + 1, step * 100 + 100 do
      n = n + 1
      parts[n] = templates[i]
      n = n + 1
      parts[n] = ts
    end
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "text/plain; charset=utf-8" }, table.concat(parts, "", 1, n))
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d non2xx=%d sockerr=%d duration_s=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
