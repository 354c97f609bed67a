-- GET /credits/balance with each user's access token in turn.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local reqs, i

function init(args)
  local rows = C.read_tsv(args[1])
  local path = C.prefix() .. "/credits/balance"
  reqs = {}
  for k, r in ipairs(rows) do
    reqs[k] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. r[4] })
  end
  i = (tid * 7919) % #reqs
end

function request()
  i = (i % #reqs) + 1
  return reqs[i]
end

function response(status) C.count(status) end
