-- POST /credits/use amount=1, a new idempotency key per request.
-- mode "many": every prepared user in turn; "single": only the first.
-- With a service key (4th argument) it calls with the key and `userId`
-- instead of each user's access token.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local hdrs, users, i, n, path, run_id

function init(args)
  local rows = C.read_tsv(args[1])
  run_id = args[3]
  path = C.prefix() .. "/credits/use"
  hdrs, users = {}, {}
  local key = args[4]
  local last = args[2] == "single" and 1 or #rows
  for k = 1, last do
    hdrs[k] = { ["Content-Type"] = "application/json",
                ["Authorization"] = "Bearer " .. (key or rows[k][4]) }
    users[k] = key and string.format(',"userId":"%s"', rows[k][3]) or ""
  end
  i = (tid * 7919) % #hdrs
  n = 0
end

function request()
  i = (i % #hdrs) + 1
  n = n + 1
  return wrk.format("POST", path, hdrs[i], string.format(
    '{"amount":1,"appId":"bench","description":"bench use","idempotencyKey":"use-%s-t%d-%d"%s}',
    run_id, tid, n, users[i]))
end

function response(status) C.count(status) end
