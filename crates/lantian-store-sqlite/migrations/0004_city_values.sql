-- Values CNEMC published for cities (`china_cities` files): the city's hourly AQI (item 10) and
-- 1 h concentrations (item = the pollutant's code, lantian_store::codec). Kept to compare with
-- what Lantian computes from the stations; never mixed into the station tables. Keyed for the
-- one read there is: one city's series of one item over a span of hours.
-- (0002 and 0003 are the ledger and the accounts.)
CREATE TABLE city_hourly (
    city  TEXT NOT NULL,
    item  INTEGER NOT NULL,
    ts    INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (city, item, ts)
) WITHOUT ROWID;
