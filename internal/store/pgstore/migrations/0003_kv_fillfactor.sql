-- Leave room in each page of kv for the new versions of its rows, so that
-- rewriting a value (an organization's record on each of its writes) is a
-- HOT update: no new index entry, hence no write to an index page that
-- other SERIALIZABLE transactions have read, which PostgreSQL would count
-- as a conflict with them (its predicate locks on indexes are per page).
-- Only pages written from now on get the room.
ALTER TABLE kv SET (fillfactor = 70);
