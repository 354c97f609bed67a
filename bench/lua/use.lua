-- POST /credits/use amount=1, a new idempotency key per request.
-- mode "many": every prepared user in turn; "single": only the first.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local hdrs, i, n, path, run_id

function init(args)
  local rows = C.read_tsv(args[1])
  run_id = args[3]
  path = C.prefix() .. "/credits/use"
  hdrs = {}
  local last = args[2] == "single" and 1 or #rows
  for k = 1, last do
    hdrs[k] = { ["Content-Type"] = "application/json",
                ["Authorization"] = "Bearer " .. rows[k][4] }
  end
  i = (tid * 7919) % #hdrs
  n = 0
end

function request()
  i = (i % #hdrs) + 1
  n = n + 1
  return wrk.format("POST", path, hdrs[i], string.format(
    '{"amount":1,"appId":"bench","description":"bench use","idempotencyKey":"use-%s-t%d-%d"}',
    run_id, tid, n))
end

function response(status) C.count(status) end
