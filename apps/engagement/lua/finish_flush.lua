-- The end of a flush (counters.py): clear the ids it wrote, but only while it still holds the
-- lease. A flush that lost it (it ran past the expiry and another took over) leaves them to the
-- holder, which read them too (or will: it merges this set first), so no flush ever deletes ids
-- it did not write. KEYS: lock, flushing; ARGV: token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('DEL', KEYS[1])
return 1
