-- Run once by the postgres image on a new data volume: the projection's read models get
-- a database of their own (the event store uses `saman`). Each service runs its own
-- embedded migrations, so the two must not share a database.
CREATE DATABASE saman_projection OWNER saman;
