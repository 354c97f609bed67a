-- Helpers shared by the scenarios: status counts per thread and one
-- machine-readable line at the end, BENCHJSON {...}.
local M = {}

local threads = {}
local next_tid = 0

function M.setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

function M.prefix()
  local p = wrk.path or ""
  if p == "/" then return "" end
  return (p:gsub("/+$", ""))
end

-- users.tsv: email \t password \t user_id \t access_token \t refresh_token
function M.read_tsv(path)
  local rows = {}
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do
    if #line > 0 and line:sub(1, 1) ~= "#" then
      local cols = {}
      for c in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(cols, c) end
      table.insert(rows, cols)
    end
  end
  f:close()
  assert(#rows > 0, "no rows in " .. path)
  return rows
end

counts = {}
function M.count(status)
  local k = tostring(status)
  counts[k] = (counts[k] or 0) + 1
end

local function json_counts(t)
  local parts = {}
  for k, v in pairs(t) do table.insert(parts, string.format('"%s":%d', k, v)) end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

function M.done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts") or {}
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_s":%.3f,"rps":%.2f,' ..
    '"lat_ms":{"p50":%.3f,"p99":%.3f,"max":%.3f},' ..
    '"socket_errors":%d,"status":%s}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, json_counts(total)))
end

return M
