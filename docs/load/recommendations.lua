-- wrk script: GET /users/{random user}/recommendations?k=10 for MovieLens latest-small's users 1..610.
-- Non-2xx responses are counted by wrk itself ("Non-2xx or 3xx responses").
math.randomseed(42)
request = function()
  return wrk.format("GET", "/users/" .. math.random(1, 610) .. "/recommendations?k=10")
end
