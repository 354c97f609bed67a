-- POST /auth/login, cycling through the prepared users.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local rows, i, path
local hdrs = { ["Content-Type"] = "application/json" }

function init(args)
  rows = C.read_tsv(args[1])
  i = (tid * 7919) % #rows
  path = C.prefix() .. "/auth/login"
end

function request()
  i = (i % #rows) + 1
  return wrk.format("POST", path, hdrs,
    string.format('{"email":"%s","password":"%s"}', rows[i][1], rows[i][2]))
end

function response(status) C.count(status) end
