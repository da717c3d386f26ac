-- Schema 3 of the server: who made each change (the officer's login name on the laptop), so
-- the history rows other laptops pull (status changes, unit events) keep their author.
ALTER TABLE changes ADD COLUMN author text;
