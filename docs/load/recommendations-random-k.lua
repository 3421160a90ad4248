-- wrk script: GET /users/{random user}/recommendations?k={random 5..20} for MovieLens latest-small's users 1..610
-- (the committed champion's users). docs/benchmarks.md §13 compares it with GET /health (http-ratio.sh).
-- Non-2xx responses are counted by wrk itself ("Non-2xx or 3xx responses").
math.randomseed(42)
request = function()
  return wrk.format("GET", "/users/" .. math.random(1, 610) .. "/recommendations?k=" .. math.random(5, 20))
end
