-- wrk script: POST /recommendations with random histories of 5..200 ratings (docs/benchmarks.md §22).
-- Items are drawn from data/ml-latest-small/movies.csv (every item the committed champion knows), ratings from
-- 0.5..5 in halves, no item twice. 500 bodies per wrk thread are built before the run and sent in turn, so the
-- client spends its time sending, not building JSON. Non-2xx answers are counted by wrk ("Non-2xx or 3xx").
local path = os.getenv("FOLDIN_PATH") or "/recommendations"
local bodies = {}
local next_body = 1

local function load_items()
  local items = {}
  local file = assert(io.open("data/ml-latest-small/movies.csv", "r"))
  file:read("*l")
  for line in file:lines() do
    local id = line:match("^(%d+),")
    if id then items[#items + 1] = id end
  end
  file:close()
  return items
end

function init(args)
  local items = load_items()
  math.randomseed(42 + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
  for b = 1, 500 do
    local n = math.random(5, 200)
    local seen, parts = {}, {}
    while #parts < n do
      local id = items[math.random(1, #items)]
      if not seen[id] then
        seen[id] = true
        parts[#parts + 1] = string.format('{"itemId":"%s","rating":%.1f}', id, math.random(1, 10) / 2)
      end
    end
    bodies[b] = '{"ratings":[' .. table.concat(parts, ",") .. '],"k":10}'
  end
end

request = function()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end
