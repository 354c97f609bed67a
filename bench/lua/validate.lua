-- POST /auth/validate {"token"} with live access tokens; counts "valid":true.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local reqs, i

function init(args)
  local rows = C.read_tsv(args[1])
  local path = C.prefix() .. "/auth/validate"
  local hdrs = { ["Content-Type"] = "application/json" }
  reqs = {}
  for k, r in ipairs(rows) do
    reqs[k] = wrk.format("POST", path, hdrs, string.format('{"token":"%s"}', r[4]))
  end
  i = (tid * 7919) % #reqs
end

function request()
  i = (i % #reqs) + 1
  return reqs[i]
end

function response(status, headers, body)
  C.count(status)
  if body and body:find('"valid":%s*true') then C.count("valid_true") end
end
